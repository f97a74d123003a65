"""Python attributes on tensors: set, read, copied and pickled, as PyTorch tensors take them
(``param.no_weight_decay = True`` and the like)."""
import copy
import pickle

import pytest

import tensorgraft as tg


def test_attributes_are_set_read_and_listed():
    t = tg.ones(2)
    assert t.__dict__ == {}
    t.note = "first"
    t.scale = 2
    assert (t.note, t.scale) == ("first", 2) and t.__dict__ == {"note": "first", "scale": 2}
    del t.note
    with pytest.raises(AttributeError):
        _ = t.note
    assert not hasattr(tg.ones(1), "scale")  # per tensor, not per class


def test_attributes_travel_with_copies_and_pickles_not_with_new_tensors():
    t = tg.arange(3.0)
    t.tag = {"k": [1]}
    deep = copy.deepcopy(t)
    assert deep.tag == {"k": [1]} and deep.tag is not t.tag
    assert pickle.loads(pickle.dumps(t)).tag == {"k": [1]}
    assert not hasattr(t + 1, "tag") and not hasattr(t.detach(), "tag") and not hasattr(t.clone(), "tag")


def test_core_fields_are_not_attributes():
    t = tg.ones(2)
    with pytest.raises((AttributeError, TypeError)):
        t.shape = (3,)
    assert "_data" not in t.__dict__


def test_parameters_take_attributes_too():
    nn = pytest.importorskip("tensorgraft.nn")
    p = nn.Parameter(tg.ones(2))
    p.no_weight_decay = True
    assert copy.deepcopy(p).no_weight_decay is True
    assert pickle.loads(pickle.dumps(p)).no_weight_decay is True
    layer = nn.Linear(2, 2)
    layer.weight.sharded = False
    assert copy.deepcopy(layer).weight.sharded is False


def test_tensorgraft_checkpoints_keep_attributes(tmp_path):
    import argparse
    t = tg.arange(3.0)
    t.note = "hi"
    t.me = t  # a reference back to the tensor: stored once, the same object after loading
    plain = tg.ones(1)
    path = tmp_path / "ck.pt"
    tg.save({"t": t, "again": t, "plain": plain, "nested": [t]}, path)
    back = tg.load(path)
    assert back["t"].note == "hi" and back["t"].me is back["t"] and back["again"] is back["t"]
    assert back["nested"][0] is back["t"] and back["plain"].__dict__ == {}
    tg.save({"w": t}, path)  # a flat state_dict whose tensor has attributes takes the general path
    assert tg.load(path)["w"].note == "hi"
    t.args = argparse.Namespace(lr=0.1)  # attribute values follow the weights_only rules
    tg.save({"w": t}, path)
    with pytest.raises(pickle.UnpicklingError, match="argparse.Namespace was not an allowed global"):
        tg.load(path)
    assert tg.load(path, weights_only=False)["w"].args.lr == 0.1


def test_sparse_tensors_keep_attributes(tmp_path):
    sp = tg.tensor([[0.0, 1.0], [2.0, 0.0]]).to_sparse()
    sp.kind = "adjacency"
    tg.save({"adj": sp}, tmp_path / "sp.pt")
    back = tg.load(tmp_path / "sp.pt")["adj"]
    assert back.is_sparse and back.kind == "adjacency"
