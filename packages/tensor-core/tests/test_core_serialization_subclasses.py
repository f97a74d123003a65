"""``save``/``load`` of tensors of a Tensor subclass: stored with the class's import name (as
torch.save's pickle names it) and rebuilt as that class with ``weights_only=False`` or when the class
is allow-listed; the default ``weights_only`` load refuses it with PyTorch's UnpicklingError, before
building anything; a class defined inside a function cannot be saved (PyTorch's pickle error)."""
from __future__ import annotations

import io
import pickle

import pytest

import tensorgraft as tg


class Tagged(tg.Tensor):
    pass


def _saved(obj) -> io.BytesIO:
    buf = io.BytesIO()
    tg.save(obj, buf)
    buf.seek(0)
    return buf


def test_round_trip_keeps_class_attributes_and_identity():
    x = tg.tensor([1.0, 2.0]).as_subclass(Tagged)
    x.note = "hello"
    y = tg.arange(3.0).as_subclass(Tagged)
    plain = tg.ones(2)
    out = tg.load(_saved({"x": x, "y": y, "again": [y], "plain": plain}), weights_only=False)
    assert type(out["x"]) is Tagged and out["x"].note == "hello" and out["x"].tolist() == [1.0, 2.0]
    assert type(out["y"]) is Tagged and out["again"][0] is out["y"]
    assert type(out["plain"]) is tg.Tensor
    assert type(out["y"] + 1) is Tagged  # the subclass's ops dispatch as before


def test_requires_grad_comes_back_as_an_alias_as_in_pytorch():
    pytest.importorskip("tensorgraft.autograd")
    x = tg.tensor([1.0, 2.0], requires_grad=True).as_subclass(Tagged)
    out = tg.load(_saved([x]), weights_only=False)[0]
    assert type(out) is Tagged and out.requires_grad
    assert type(out.grad_fn).__name__ == "AliasBackward0"  # PyTorch's _rebuild_from_type_v2 uses as_subclass


def test_default_load_refuses_unless_the_class_is_allow_listed():
    buf = _saved({"y": tg.ones(1).as_subclass(Tagged)})
    with pytest.raises(pickle.UnpicklingError, match=f"Unsupported global: GLOBAL {Tagged.__module__}.Tagged"):
        tg.load(buf)
    buf.seek(0)
    with tg.serialization.safe_globals([Tagged]):
        assert type(tg.load(buf)["y"]) is Tagged


def test_allow_listed_class_is_taken_from_the_list_not_imported():
    buf = _saved(tg.ones(1).as_subclass(Tagged))

    class Stand(tg.Tensor):  # same name, another object: proves the allow-list's object is used
        pass
    Stand.__module__, Stand.__qualname__ = Tagged.__module__, "Tagged"
    with tg.serialization.safe_globals([Stand]):
        assert type(tg.load(buf)) is Stand


def test_class_defined_in_a_function_cannot_be_saved(tmp_path):
    class Local(tg.Tensor):
        pass
    target = tmp_path / "t.pt"
    with pytest.raises(AttributeError, match="Can't pickle local object"):
        tg.save({"t": tg.ones(1).as_subclass(Local)}, target)
    assert not target.exists()


def test_matches_pytorch():
    pytest.importorskip("tensorgraft.autograd")
    torch = pytest.importorskip("torch")

    def story(lib, cls):
        x = lib.tensor([1.0, 2.0], requires_grad=True).as_subclass(cls)
        buf = io.BytesIO()
        lib.save({"x": x}, buf)
        buf.seek(0)
        out = lib.load(buf, weights_only=False)["x"]
        buf.seek(0)
        try:
            lib.load(buf)
            refused = False
        except pickle.UnpicklingError:
            refused = True
        return [type(out).__name__, out.tolist(), out.requires_grad, out.is_leaf, type(out.grad_fn).__name__,
                refused]

    class _TorchTagged(torch.Tensor):
        pass
    _TorchTagged.__qualname__ = "_TorchTagged"
    globals()["_TorchTagged"] = _TorchTagged  # importable from this module by name, as PyTorch's load needs
    assert story(tg, Tagged)[1:] == story(torch, _TorchTagged)[1:]
