"""``torch.save(model)`` / ``torch.load(path, weights_only=False)``: whole objects (modules, an
optimizer, objects of the program's classes) are pickled into PyTorch's zip format and load back only
with an explicit ``weights_only=False``, as in PyTorch 2.13; the default refuses them with PyTorch's
message. Whole models PyTorch saved (data/pytorch_checkpoints/whole_*.pt, written by
tools/make_pytorch_checkpoint_fixtures.py --only-whole-models) load into tensorgraft modules and give
PyTorch's outputs (whole_models_expected.npz, computed by PyTorch 2.13 there)."""
from __future__ import annotations

import collections
import io
import json
import pathlib
import pickle
import struct
import sys
import warnings
import zipfile

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft import nn
from tensorgraft.serialization import safe_globals

DATA = pathlib.Path(__file__).resolve().parent / "data" / "pytorch_checkpoints"


def _weights_only_message(name: str) -> str:
    # PyTorch 2.13's words, copied from torch.load(path) of a torch.save(model) file
    return ("Weights only load failed. This file can still be loaded, to do so you have two options, \x1b[1mdo those "
            "steps only if you trust the source of the checkpoint\x1b[0m. \n\t(1) In PyTorch 2.6, we changed the default "
            "value of the `weights_only` argument in `torch.load` from `False` to `True`. Re-running `torch.load` with "
            "`weights_only` set to `False` will likely succeed, but it can result in arbitrary code execution. Do it only "
            "if you got the file from a trusted source.\n\t(2) Alternatively, to load with `weights_only=True` please "
            "check the recommended steps in the following error message.\n\tWeightsUnpickler error: Unsupported global: "
            f"GLOBAL {name} was not an allowed global by default. Please use `torch.serialization.add_safe_globals("
            f"[{name}])` or the `torch.serialization.safe_globals([{name}])` context manager to allowlist this global "
            "if you trust this class/function.\n\nCheck the documentation of torch.load to learn more about types "
            "accepted by default with weights_only https://pytorch.org/docs/stable/generated/torch.load.html.")


def _saved(obj) -> io.BytesIO:
    buf = io.BytesIO()
    tg.save(obj, buf)
    buf.seek(0)
    return buf


def _load_quietly(f, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # torch.load(weights_only=False) warns about nothing in 2.13
        return tg.load(f, weights_only=False, **kwargs)


class Net(nn.Module):
    """The program's own model; the same class as the PyTorch fixtures' ``__main__.Net``."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3, padding=1)
        self.bn = nn.BatchNorm2d(2)
        self.act = nn.ReLU()
        self.flat = nn.Flatten()
        self.drop = nn.Dropout(0.5)
        self.norm = nn.LayerNorm(32)
        self.fc = nn.Linear(32, 3)
        self.register_buffer("scale", tg.tensor(0.5))
        self.note = "kept"

    def forward(self, x):
        x = self.act(self.bn(self.conv(x)))
        return self.fc(self.norm(self.drop(self.flat(x)))) * self.scale


class Tied(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(5, 3)
        self.out = nn.Linear(3, 5, bias=False)
        self.out.weight = self.emb.weight  # tied weights stay one Parameter

    def forward(self, idx):
        return self.out(self.emb(idx))


@pytest.fixture
def main_net(monkeypatch):
    """``Net`` defined in ``__main__``, as in the script that saved the PyTorch fixtures."""
    monkeypatch.setattr(sys.modules["__main__"], "Net", Net, raising=False)
    return Net


# ------------------------------------------------------------------------------------ what stays safetensors
def test_state_dict_is_still_written_in_the_safetensors_format_unchanged():
    sd = {"w": tg.arange(6.0).reshape(2, 3), "b": tg.zeros(2, dtype=tg.int64)}
    for obj, meta, names in (
            (sd, '{"v":2,"root":["d",[["w",["T",0]],["b",["T",1]]]],"tensors":[["w","float32",[2,3],"cpu",false,"t",0,'
                 '[3,1]],["b","int64",[2],"cpu",false,"t",0,[1]]]}', ("b", "w")),
            ({"epoch": 3, "model": sd, "names": ["a", None], "lr": 0.5},
             '{"v":2,"root":["d",[["epoch",3],["model",["d",[["w",["T",0]],["b",["T",1]]]]],["names",["l",["a",null]]],'
             '["lr",0.5]]],"tensors":[["model.w","float32",[2,3],"cpu",false,"t",0,[3,1]],["model.b","int64",[2],"cpu",'
             'false,"t",0,[1]]]}', ("model.b", "model.w"))):
        raw = _saved(obj).getvalue()
        # what tensorgraft wrote before whole objects could be saved (safetensors orders the header's
        # keys as it likes, so the header is compared parsed; the metadata string and data exactly)
        n = struct.unpack("<Q", raw[:8])[0]
        header = json.loads(raw[8:8 + n])
        assert header == {"__metadata__": {"format": "pt", "tensorgraft": meta},
                          names[0]: {"dtype": "I64", "shape": [2], "data_offsets": [0, 16]},
                          names[1]: {"dtype": "F32", "shape": [2, 3], "data_offsets": [16, 40]}}
        assert raw[8 + n:].hex() == "0" * 44 + "803f0000004000004040000080400000a040"


# ------------------------------------------------------------------------------------ tensorgraft round trips
def test_sequential_round_trip_through_a_path(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    path = tmp_path / "model.pt"
    tg.save(model, path)
    assert path.read_bytes()[:2] == b"PK"  # PyTorch's zip format, as torch.save writes a module
    with zipfile.ZipFile(path) as zf:
        assert "model/data.pkl" in zf.namelist() and "model/byteorder" in zf.namelist()
    loaded = _load_quietly(path)
    assert type(loaded) is nn.Sequential and loaded is not model
    loaded.eval()
    assert not loaded.training and all(not m.training for m in loaded.modules())
    x = tg.randn(5, 3)
    assert np.array_equal(loaded(x).detach().numpy(), model(x).detach().numpy())
    assert type(loaded[0].weight) is nn.Parameter and loaded[0].weight.requires_grad
    assert [k for k, _ in loaded.named_parameters()] == [k for k, _ in model.named_parameters()]


def test_custom_module_with_buffer_attribute_and_tied_weights_round_trips(main_net):
    torch_like = main_net()
    torch_like(tg.randn(3, 1, 4, 4))  # BatchNorm's running statistics move
    torch_like.eval()
    loaded = _load_quietly(_saved(torch_like))
    assert type(loaded) is main_net and loaded.note == "kept" and not loaded.training
    x = tg.randn(2, 1, 4, 4)
    np.testing.assert_array_equal(loaded(x).detach().numpy(), torch_like(x).detach().numpy())
    assert loaded.bn.num_batches_tracked.item() == 1 and "scale" in dict(loaded.named_buffers())
    tied = _load_quietly(_saved(Tied()))
    assert tied.out.weight is tied.emb.weight and len(list(tied.parameters())) == 1


def test_optimizer_object_resumes_as_the_original():
    pytest.importorskip("tensorgraft.optim")  # (the nn tox env installs no optimizers)
    model = nn.Linear(3, 2)
    opt = tg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(tg.ones(4, 3)).sum().backward()
    opt.step()
    ck = _load_quietly(_saved({"model": model, "optimizer": opt, "epoch": 3}))
    model2, opt2 = ck["model"], ck["optimizer"]
    assert ck["epoch"] == 3 and type(opt2) is tg.optim.SGD
    assert opt2.param_groups[0]["params"][0] is model2.weight  # the optimizer holds the loaded parameters
    for m, o in ((model, opt), (model2, opt2)):
        o.zero_grad()
        m(tg.ones(4, 3)).sum().backward()
        o.step()
    np.testing.assert_array_equal(model2.weight.detach().numpy(), model.weight.detach().numpy())


def test_dict_holding_a_module_and_plain_values_round_trips():
    obj = {"model": nn.Linear(2, 2), "w": tg.arange(3.0), "names": ["a", "b"], "when": (1, 2.5)}
    back = _load_quietly(_saved(obj))
    assert type(back["model"]) is nn.Linear and back["names"] == ["a", "b"] and back["when"] == (1, 2.5)
    assert back["w"].tolist() == [0.0, 1.0, 2.0]


def test_map_location_and_mmap_with_a_whole_module(tmp_path):
    path = tmp_path / "m.pt"
    model = nn.Linear(3, 2)
    tg.save(model, path)
    for kwargs in ({"map_location": "cpu"}, {"mmap": True}, {"map_location": {"cpu": "cpu"}, "mmap": True}):
        loaded = _load_quietly(str(path), **kwargs)
        assert loaded.weight.device == tg.device("cpu")
        np.testing.assert_array_equal(loaded.weight.detach().numpy(), model.weight.detach().numpy())


def test_unpicklable_objects_raise_as_pickle_does_and_leave_no_file(tmp_path):
    class Local(nn.Module):
        pass
    with pytest.raises(AttributeError, match=r"Can't pickle local object '.*<locals>\.Local'"):
        tg.save({"m": Local()}, tmp_path / "x.pt")
    model = nn.Linear(1, 1)
    model.fn = lambda t: t
    with pytest.raises(AttributeError, match=r"Can't pickle local object '.*<lambda>'"):
        tg.save(model, tmp_path / "y.pt")
    assert not list(tmp_path.iterdir())


def test_a_lambda_attribute_is_refused_in_the_c_picklers_words():
    # torch.save pickles with the C pickler; PyTorch 2.13 on Python 3.11 says, for a model with a
    # lambda defined at the top of the program: PicklingError "Can't pickle <function <lambda> at
    # 0x...>: attribute lookup <lambda> on __main__ failed" (the pure-Python pickler says "it's not
    # found as __main__.<lambda>")
    model = nn.Linear(1, 1)
    model.fn = lambda t: t
    model.fn.__qualname__ = "<lambda>"
    model.fn.__module__ = "__main__"
    with pytest.raises(pickle.PicklingError) as info:
        tg.save(model, io.BytesIO())
    with pytest.raises(pickle.PicklingError) as c_pickler:
        pickle.dumps(model.fn)
    assert str(info.value) == str(c_pickler.value)
    if sys.version_info[:2] == (3, 11):
        assert str(info.value).endswith(": attribute lookup <lambda> on __main__ failed")


# ------------------------------------------------------------------------------------ weights_only=True
def test_default_weights_only_refuses_a_whole_module_with_pytorchs_message():
    buf = _saved(nn.Sequential(nn.Linear(3, 2), nn.ReLU()))
    with pytest.raises(pickle.UnpicklingError) as info:
        tg.load(buf)
    assert str(info.value) == _weights_only_message("tensorgraft.nn.modules.container.Sequential")
    with pytest.raises(pickle.UnpicklingError) as info:
        tg.load(DATA / "whole_net.pt")
    assert str(info.value) == _weights_only_message("__main__.Net")
    # allow-listing the classes lets weights_only load it, as in PyTorch
    buf.seek(0)
    with safe_globals([nn.Sequential, nn.Linear, nn.ReLU]):
        assert type(tg.load(buf)) is nn.Sequential


# ------------------------------------------------------------------------------------ files PyTorch wrote
def test_pytorch_whole_model_of_the_programs_class_gives_pytorchs_outputs(main_net):
    expected = np.load(DATA / "whole_models_expected.npz")
    model = _load_quietly(DATA / "whole_net.pt")
    assert type(model) is main_net and model.note == "kept" and not model.training
    assert type(model.conv) is nn.Conv2d and type(model.bn) is nn.BatchNorm2d and type(model.fc) is nn.Linear
    model.eval()
    out = model(tg.tensor(expected["net_x"])).detach().numpy()
    np.testing.assert_allclose(out, expected["net_out"], rtol=1e-5, atol=1e-6)
    # it trains on as a tensorgraft model
    model.train()
    model(tg.tensor(expected["net_x"])).sum().backward()
    assert model.fc.weight.grad is not None and model.fc.weight.grad.shape == (3, 32)


def test_pytorch_whole_lstm_and_legacy_format_model():
    expected = np.load(DATA / "whole_models_expected.npz")
    lstm = _load_quietly(DATA / "whole_lstm.pt")
    assert type(lstm) is nn.LSTM and lstm.batch_first
    out, _ = lstm(tg.tensor(expected["lstm_x"]))
    np.testing.assert_allclose(out.detach().numpy(), expected["lstm_out"], rtol=1e-5, atol=1e-6)
    mlp = _load_quietly(DATA / "whole_mlp_legacy.pt")  # _use_new_zipfile_serialization=False
    assert type(mlp) is nn.Sequential and [type(m) for m in mlp] == [nn.Linear, nn.ReLU, nn.Linear]
    np.testing.assert_allclose(mlp(tg.tensor(expected["mlp_x"])).detach().numpy(), expected["mlp_out"], rtol=1e-5,
                               atol=1e-6)


def test_pytorch_training_objects_resume_the_same_training():
    pytest.importorskip("tensorgraft.optim")  # (the nn tox env installs no optimizers)
    expected = np.load(DATA / "whole_models_expected.npz")
    ck = _load_quietly(DATA / "whole_training_objects.pt")
    model, opt = ck["model"], ck["optimizer"]
    assert ck["epoch"] == 7 and type(opt) is tg.optim.SGD and opt.param_groups[0]["momentum"] == 0.9
    assert opt.param_groups[0]["params"][0] is model[0].weight
    for p in model.parameters():
        p.grad = tg.ones_like(p)
    opt.step()  # PyTorch's second step from the same state
    for k, v in model.state_dict().items():
        np.testing.assert_allclose(v.numpy(), expected[f"after_second_step.{k}"], rtol=1e-6, atol=1e-7)


def test_a_class_missing_from_the_program_raises_pickles_error():
    # (no __main__.Net defined: PyTorch raises the same AttributeError)
    if hasattr(sys.modules["__main__"], "Net"):
        pytest.skip("this __main__ defines a Net")
    with pytest.raises(AttributeError, match=r"Can't get attribute 'Net' on <module '(pytest\.)?__main__'"):
        tg.load(DATA / "whole_net.pt", weights_only=False)


def test_a_pytorch_class_tensorgraft_lacks_is_named():
    from tensorgraft.serialization.pytorch_writer import write_archive
    buf = io.BytesIO()
    write_archive(buf, b"\x80\x02ctorch.nn.modules.nosuch\nNoSuchLayer\nq\x00)\x81q\x01.", [])
    buf.seek(0)
    with pytest.raises(pickle.UnpicklingError, match=r"holds torch\.nn\.modules\.nosuch\.NoSuchLayer, which "
                                                     "tensorgraft has no counterpart of"):
        tg.load(buf, weights_only=False)


def test_pytorch_names_map_to_tensorgraft_objects():
    pytest.importorskip("tensorgraft.optim")  # (the nn tox env installs no optimizers)
    from tensorgraft.serialization.pickled_objects import find_global
    assert find_global("torch.nn.modules.linear", "Linear") is nn.Linear
    assert find_global("torch.nn.modules.batchnorm", "BatchNorm2d") is nn.BatchNorm2d  # another module here
    assert find_global("torch.optim.sgd", "SGD") is tg.optim.SGD
    assert find_global("torch.nn.functional", "relu") is nn.functional.relu
    assert find_global("collections", "OrderedDict") is collections.OrderedDict


def test_other_objects_the_safetensors_format_cannot_hold_are_pickled_too():
    # a namedtuple, a slice, a range: pickled as torch.save pickles them; PyTorch 2.13's default
    # weights_only refuses their globals, weights_only=False rebuilds them
    buf = _saved({"s": slice(1, 5, 2), "r": range(3), "layout": tg.sparse_coo})
    assert buf.getvalue()[:2] == b"PK"
    with pytest.raises(pickle.UnpicklingError, match="GLOBAL slice was not an allowed global"):
        tg.load(buf)
    buf.seek(0)
    assert _load_quietly(buf) == {"s": slice(1, 5, 2), "r": range(3), "layout": tg.sparse_coo}


def test_a_class_of_a_part_that_is_not_installed_names_the_part():
    # the nn tox environment has no tensorgraft-optim: a checkpoint holding torch.optim.SGD says what to install
    import importlib.util
    try:
        if importlib.util.find_spec("tensorgraft.optim") is not None:
            pytest.skip("tensorgraft-optim is installed here")
    except ModuleNotFoundError:
        pass
    from tensorgraft.serialization.pickled_objects import find_global
    with pytest.raises(ModuleNotFoundError, match="provided by the tensorgraft-optim distribution"):
        find_global("torch.optim.sgd", "SGD")
