"""Files written by PyTorch's torch.save, loaded by tensorgraft.load: layers' state_dicts give the
same outputs, optimizer and scheduler states resume the same training, arbitrary nested objects
load to the same values, and the refusals are PyTorch's (PyTorch 2.13 as the oracle)."""
from __future__ import annotations

import collections
import dataclasses
import io

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensorgraft as tg  # noqa: E402
from tensorgraft.testing.oracle import assert_same_error  # noqa: E402

# PyTorch warns when a sparse tensor is built without its invariant checks (the random objects)
pytestmark = pytest.mark.filterwarnings("ignore:Sparse invariant checks:UserWarning")

FORMATS = [pytest.param(True, id="zip"), pytest.param(False, id="legacy")]


def _saved(obj, zip_format=True) -> io.BytesIO:
    buf = io.BytesIO()
    torch.save(obj, buf, _use_new_zipfile_serialization=zip_format)
    buf.seek(0)
    return buf


def _module(lib, name):
    nn = lib.nn
    return {
        "linear": lambda: nn.Linear(5, 3),
        "conv2d": lambda: nn.Conv2d(2, 4, 3, padding=1, bias=True),
        "conv_transpose2d": lambda: nn.ConvTranspose2d(2, 3, 3, stride=2),
        "conv1d_groups": lambda: nn.Conv1d(4, 4, 3, groups=2),
        "batchnorm2d": lambda: nn.BatchNorm2d(2),
        "layernorm": lambda: nn.LayerNorm(5),
        "groupnorm": lambda: nn.GroupNorm(2, 4),
        "embedding": lambda: nn.Embedding(10, 4, padding_idx=0),
        "lstm": lambda: nn.LSTM(5, 6, num_layers=2, batch_first=True, bidirectional=True),
        "gru": lambda: nn.GRU(5, 4, batch_first=True),
        "mha": lambda: nn.MultiheadAttention(8, 2, batch_first=True),
        "transformer_layer": lambda: nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True,
                                                                dropout=0.0),
        "cnn": lambda: nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                                     nn.Flatten(), nn.Linear(4 * 3 * 3, 5)),
    }[name]()


def _input(name, lib):
    rng = np.random.default_rng(1)
    shapes = {"linear": (4, 5), "conv2d": (2, 2, 6, 6), "conv_transpose2d": (1, 2, 4, 4), "conv1d_groups": (2, 4, 7),
              "batchnorm2d": (3, 2, 4, 4), "layernorm": (3, 5), "groupnorm": (2, 4, 3), "lstm": (2, 3, 5),
              "gru": (2, 3, 5), "mha": (2, 3, 8), "transformer_layer": (2, 3, 8), "cnn": (2, 1, 8, 8)}
    if name == "embedding":
        return lib.tensor([[0, 3, 9], [2, 2, 1]])
    return lib.tensor(rng.standard_normal(shapes[name]).astype(np.float32))


def _first(out):
    return out[0] if isinstance(out, tuple) else out


@pytest.mark.parametrize("zip_format", FORMATS)
@pytest.mark.parametrize("name", ["linear", "conv2d", "conv_transpose2d", "conv1d_groups", "batchnorm2d",
                                  "layernorm", "groupnorm", "embedding", "lstm", "gru", "mha", "transformer_layer",
                                  "cnn"])
def test_state_dict_from_pytorch_gives_pytorch_outputs(name, zip_format):
    torch.manual_seed(0)
    theirs = _module(torch, name)
    if name in ("batchnorm2d", "cnn"):  # running statistics that are not the defaults
        theirs.train()
        with torch.no_grad():
            for _ in range(3):
                theirs(_input(name, torch) * 3 + 1)
    theirs.eval()
    ours = _module(tg, name).eval()
    result = ours.load_state_dict(tg.load(_saved(theirs.state_dict(), zip_format)))
    assert not result.missing_keys and not result.unexpected_keys
    with torch.no_grad():
        want = _first(theirs(*(3 * [_input(name, torch)] if name == "mha" else [_input(name, torch)])))
    with tg.no_grad():
        got = _first(ours(*(3 * [_input(name, tg)] if name == "mha" else [_input(name, tg)])))
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-5)
    for key, value in theirs.state_dict().items():  # buffers too (num_batches_tracked is int64)
        assert str(ours.state_dict()[key].dtype) == str(value.dtype), key
        np.testing.assert_array_equal(ours.state_dict()[key].numpy(), value.numpy())


def _is_parameter(t):
    return isinstance(t, (tg.nn.Parameter, torch.nn.Parameter))


def _same(ours, theirs, path="obj"):
    """``ours`` (what tensorgraft loaded, or what PyTorch loaded of a file tensorgraft wrote) holds
    what ``theirs`` (torch.load of the original) holds: structure, dtypes, strides, values."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, (tg.Tensor, torch.Tensor)), path
        assert str(ours.dtype) == str(theirs.dtype) and tuple(ours.shape) == tuple(theirs.shape), path
        assert ours.requires_grad == theirs.requires_grad, path
        assert _is_parameter(ours) == _is_parameter(theirs), path
        if theirs.layout == torch.sparse_coo:
            assert str(ours.layout) == "torch.sparse_coo" and ours.is_coalesced() == theirs.is_coalesced(), path
            _same(ours._indices(), theirs._indices(), path + "._indices()")
            _same(ours._values(), theirs._values(), path + "._values()")
            return
        if theirs.numel():  # an empty tensor's strides say nothing (from_numpy gives zeros)
            assert tuple(ours.stride()) == theirs.stride(), path
        a, b = ours.detach(), theirs.detach()
        if theirs.dtype == torch.bfloat16:
            a, b = a.float(), b.float()
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=path)
    elif isinstance(theirs, (torch.dtype, torch.device, torch.Size)):
        assert type(ours).__name__ == type(theirs).__name__ and str(ours) == str(theirs), path
    elif isinstance(theirs, dict):
        assert type(ours) is type(theirs) and list(ours) == list(theirs), path
        for k in theirs:
            _same(ours[k], theirs[k], f"{path}[{k!r}]")
        if hasattr(theirs, "_metadata"):
            assert ours._metadata == theirs._metadata, path
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs), path
        for i, (o, t) in enumerate(zip(ours, theirs)):
            _same(o, t, f"{path}[{i}]")
    else:
        assert type(ours) is type(theirs) and ours == theirs, path


def _random_object(rng, depth=0):
    kinds = ["tensor", "view", "scalar", "dict", "list", "tuple", "param", "sparse", "meta"] if depth < 3 \
        else ["tensor", "scalar"]
    kind = kinds[rng.integers(len(kinds))]
    dtypes = [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int64, torch.int32, torch.int16,
              torch.int8, torch.uint8, torch.bool, torch.complex64, torch.complex128]
    if kind in ("tensor", "view", "param"):
        shape = tuple(int(s) for s in rng.integers(0, 4, size=rng.integers(0, 4)))
        t = torch.from_numpy(np.asarray(rng.standard_normal(shape) * 10))
        dtype = dtypes[rng.integers(len(dtypes))]
        t = t.to(dtype) if not dtype.is_complex else torch.complex(t, -t).to(dtype)
        if kind == "view" and t.dim() >= 2:
            t = t.transpose(0, 1)[:, 1:]
        if kind == "param":
            return torch.nn.Parameter(t, requires_grad=t.is_floating_point() or t.is_complex())
        return t
    if kind == "sparse":
        t = torch.from_numpy(rng.standard_normal((3, 4))).float()
        t[t.abs() < 0.8] = 0
        return t.to_sparse() if rng.integers(2) else torch.sparse_coo_tensor(
            torch.tensor([[0, 2, 0], [1, 1, 1]]), torch.tensor([1.0, 2.0, 3.0]), (3, 2))
    if kind == "scalar":
        return [3, -1.5, "text", None, True, b"raw", complex(0.5, 2), 2 ** 70][rng.integers(8)]
    if kind == "meta":
        return [torch.float16, torch.device("cpu"), torch.Size([2, 0, 3]), {1, 2}, collections.Counter("aab"),
                bytearray(b"xy")][rng.integers(6)]
    n = int(rng.integers(0, 4))
    items = [_random_object(rng, depth + 1) for _ in range(n)]
    if kind == "dict":
        cls = collections.OrderedDict if rng.integers(2) else dict
        return cls((f"k{i}", v) for i, v in enumerate(items))
    return items if kind == "list" else tuple(items)


@pytest.mark.parametrize("zip_format", FORMATS)
@pytest.mark.parametrize("seed", range(40))
def test_random_objects_load_as_torch_loads_them(seed, zip_format):
    rng = np.random.default_rng(seed)
    obj = {"root": _random_object(rng), "shared": None}
    base = torch.arange(12.0).reshape(3, 4)
    obj["shared"] = (base, base.t(), base[1], base[:, 1:3])
    buf = _saved(obj, zip_format)
    theirs = torch.load(io.BytesIO(buf.getvalue()))
    ours = tg.load(io.BytesIO(buf.getvalue()))
    _same(ours, theirs)
    ours["shared"][0][1, 1] = -7.0  # storage sharing survives, as in PyTorch
    theirs["shared"][0][1, 1] = -7.0
    _same(ours["shared"], theirs["shared"])


OPTIMIZERS = {"SGD": dict(lr=0.1, momentum=0.9, nesterov=True), "Adam": dict(lr=0.01),
              "AdamW": dict(lr=0.01, weight_decay=0.1, amsgrad=True), "RMSprop": dict(lr=0.01, momentum=0.5)}


def _batches(seed):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((8, 4)).astype(np.float32), rng.standard_normal((8, 2)).astype(np.float32))
            for _ in range(6)]


def _build(lib, opt_name):
    lib.manual_seed(0)
    model = lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.Tanh(), lib.nn.Linear(8, 2))
    opt = getattr(lib.optim, opt_name)(model.parameters(), **OPTIMIZERS[opt_name])
    return model, opt, lib.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)


def _train(lib, model, opt, sched, batches):
    for x, y in batches:
        opt.zero_grad()
        lib.nn.functional.mse_loss(model(lib.tensor(x)), lib.tensor(y)).backward()
        opt.step()
        sched.step()


def _resume(ck, model, opt, sched):
    model.load_state_dict(ck["model"])
    opt.load_state_dict(ck["opt"])
    sched.load_state_dict(ck["sched"])


def _assert_same_weights(ours, theirs):
    for (key, want), got in zip(theirs.state_dict().items(), ours.state_dict().values()):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-6, err_msg=key)


@pytest.mark.parametrize("zip_format", FORMATS)
@pytest.mark.parametrize("opt_name", list(OPTIMIZERS))
def test_training_resumes_from_a_pytorch_checkpoint(opt_name, zip_format):
    """Three steps in PyTorch, checkpoint, then three more steps in PyTorch and in tensorgraft."""
    batches = _batches(3)
    model, opt, sched = _build(torch, opt_name)
    _train(torch, model, opt, sched, batches[:3])
    buf = _saved({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(), "epoch": 3},
                 zip_format)
    _train(torch, model, opt, sched, batches[3:])
    ours, our_opt, our_sched = _build(tg, opt_name)
    _resume(tg.load(buf), ours, our_opt, our_sched)
    _train(tg, ours, our_opt, our_sched, batches[3:])
    _assert_same_weights(ours, model)
    assert our_sched.get_last_lr() == pytest.approx(sched.get_last_lr())


class _Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(2, 2)


@pytest.mark.parametrize("zip_format", FORMATS)
@pytest.mark.parametrize("case", ["module", "numpy_scalar", "numpy_array", "namespace", "frozenset", "slice"])
def test_weights_only_refusals_are_pytorchs(case, zip_format):
    import argparse
    obj = {"module": lambda: _Net(), "numpy_scalar": lambda: {"acc": np.float64(0.5)},
           "numpy_array": lambda: {"a": np.arange(3)}, "namespace": lambda: argparse.Namespace(a=1),
           "frozenset": lambda: frozenset({1}), "slice": lambda: slice(1, 2)}[case]()
    data = _saved(obj, zip_format).getvalue()
    assert_same_error(lambda lib: lib.load(io.BytesIO(data)))
    assert_same_error(lambda lib: lib.load(io.BytesIO(data), weights_only=True))


@pytest.mark.parametrize("zip_format", FORMATS)
def test_weights_only_false_loads_plain_data_as_pytorch(zip_format):
    import argparse
    import datetime
    import pathlib
    obj = {"acc": np.float64(0.5), "arr": np.arange(6).reshape(2, 3), "args": argparse.Namespace(lr=0.1),
           "path": pathlib.PurePosixPath("/runs/a"), "when": datetime.datetime(2026, 12, 4, 10, 30),
           "counts": collections.defaultdict(list, {"a": [1]}), "fs": frozenset({2}), "sl": slice(1, None, 2),
           "t": torch.ones(2)}
    data = _saved(obj, zip_format).getvalue()
    theirs = torch.load(io.BytesIO(data), weights_only=False)
    ours = tg.load(io.BytesIO(data), weights_only=False)
    assert list(ours) == list(theirs)
    for key in theirs:
        if key == "t":
            np.testing.assert_array_equal(ours[key].numpy(), theirs[key].numpy())
        elif key == "arr":
            np.testing.assert_array_equal(ours[key], theirs[key])
        elif key == "args":
            assert vars(ours[key]) == vars(theirs[key])
        else:
            assert type(ours[key]) is type(theirs[key]) and ours[key] == theirs[key], key


@pytest.mark.parametrize("zip_format", FORMATS)
def test_safe_globals_of_a_program_class(zip_format):
    """A plain-data class of the program, allow-listed, loads in both (same qualified name)."""
    data = _saved({"cfg": _Config(3, "adam")}, zip_format).getvalue()
    with torch.serialization.safe_globals([_Config]):
        theirs = torch.load(io.BytesIO(data))
    with tg.serialization.safe_globals([_Config]):
        ours = tg.load(io.BytesIO(data))
    assert ours["cfg"] == theirs["cfg"] == _Config(3, "adam")
    assert_same_error(lambda lib: lib.load(io.BytesIO(data)))


class _Config:
    def __init__(self, layers, opt):
        self.layers, self.opt = layers, opt

    def __eq__(self, other):
        return isinstance(other, _Config) and vars(self) == vars(other)


def test_mmap_as_pytorch(tmp_path):
    path = tmp_path / "sd.pt"
    torch.save({"w": torch.arange(6.0).reshape(2, 3), "i": torch.arange(4)}, path)
    theirs, ours = torch.load(path, mmap=True), tg.load(path, mmap=True)
    for key in theirs:
        np.testing.assert_array_equal(ours[key].numpy(), theirs[key].numpy())
    legacy = tmp_path / "legacy.pt"
    torch.save({"w": torch.ones(2)}, legacy, _use_new_zipfile_serialization=False)
    assert_same_error(lambda lib: lib.load(legacy, mmap=True))
    assert_same_error(lambda lib: lib.load(str(legacy), mmap=True))


# --------------------------------------------------------------------------- save_for_pytorch
@pytest.mark.parametrize("name", ["linear", "conv2d", "batchnorm2d", "lstm", "mha", "transformer_layer", "cnn"])
def test_state_dict_written_for_pytorch_gives_tensorgraft_outputs(name):
    tg.manual_seed(0)
    ours = _module(tg, name)
    if name in ("batchnorm2d", "cnn"):
        with tg.no_grad():
            ours(_input(name, tg) * 3 + 1)
    ours.eval()
    buf = io.BytesIO()
    tg.serialization.save_for_pytorch(ours.state_dict(), buf)
    buf.seek(0)
    theirs = _module(torch, name).eval()
    theirs.load_state_dict(torch.load(buf))  # PyTorch's default weights_only=True
    with torch.no_grad():
        want = _first(theirs(*(3 * [_input(name, torch)] if name == "mha" else [_input(name, torch)])))
    with tg.no_grad():
        got = _first(ours(*(3 * [_input(name, tg)] if name == "mha" else [_input(name, tg)])))
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("seed", range(30))
def test_pytorch_to_tensorgraft_to_pytorch(seed):
    """A file PyTorch wrote, loaded here and written back with save_for_pytorch, loads in PyTorch
    (weights_only, and with mmap) as the original."""
    rng = np.random.default_rng(seed)
    obj = {"root": _random_object(rng)}
    base = torch.arange(12.0).reshape(3, 4)
    obj["shared"] = (base, base.t(), base[1], base[:, 1:3])
    original = torch.load(_saved(obj))
    buf = io.BytesIO()
    tg.serialization.save_for_pytorch(tg.load(_saved(obj)), buf)
    again = torch.load(io.BytesIO(buf.getvalue()))
    _same(again, original)
    again["shared"][0][2, 3] = -1.0  # the views share one storage again
    assert again["shared"][1][3, 2].item() == -1.0 and again["shared"][3][2, 1].item() == 10.0


@pytest.mark.parametrize("opt_name", list(OPTIMIZERS))
def test_training_resumes_in_pytorch_from_a_tensorgraft_checkpoint(opt_name, tmp_path):
    """Three steps here, save_for_pytorch, then three more steps here and in PyTorch (mmap load)."""
    batches = _batches(5)
    ours, our_opt, our_sched = _build(tg, opt_name)
    _train(tg, ours, our_opt, our_sched, batches[:3])
    path = tmp_path / "ck.pt"
    tg.serialization.save_for_pytorch({"model": ours.state_dict(), "opt": our_opt.state_dict(),
                                       "sched": our_sched.state_dict(), "epoch": 3}, path)
    _train(tg, ours, our_opt, our_sched, batches[3:])
    theirs, their_opt, their_sched = _build(torch, opt_name)
    _resume(torch.load(path, mmap=True), theirs, their_opt, their_sched)
    _train(torch, theirs, their_opt, their_sched, batches[3:])
    _assert_same_weights(ours, theirs)


# --------------------------------------------------------------------------- objects of other classes
@dataclasses.dataclass
class _RunConfig:
    lr: float = 0.1
    layers: int = 3
    tags: tuple = ("a",)


class _HParams(dict):
    def __getattr__(self, key):
        return self[key]


class _Slotted:
    __slots__ = ("depth", "width")

    def __init__(self, depth, width):
        self.depth, self.width = depth, width


@pytest.mark.parametrize("zip_format", FORMATS)
def test_objects_of_program_classes_keep_their_fields(zip_format):
    obj = {"cfg": _RunConfig(), "hp": _HParams(lr=0.01, batch=32), "slots": _Slotted(4, 8),
           "model": torch.nn.Linear(2, 2).state_dict()}
    data = _saved(obj, zip_format).getvalue()
    theirs = torch.load(io.BytesIO(data), weights_only=False)
    # weights_only=False unpickles as PyTorch does: the program's own classes are rebuilt
    ours = tg.load(io.BytesIO(data), weights_only=False)
    assert (type(ours["cfg"]), type(ours["hp"]), type(ours["slots"])) == (_RunConfig, _HParams, _Slotted)
    assert (ours["cfg"].lr, ours["cfg"].layers, ours["cfg"].tags) == (theirs["cfg"].lr, theirs["cfg"].layers,
                                                                     theirs["cfg"].tags)
    assert dict(zip(ours["hp"].keys(), (ours["hp"][k] for k in ours["hp"].keys()))) == dict(theirs["hp"])
    assert ours["hp"].batch == theirs["hp"].batch
    assert (ours["slots"].depth, ours["slots"].width) == (theirs["slots"].depth, theirs["slots"].width)
    _same(ours["model"], theirs["model"])


_SCHEDULERS = {
    "OneCycleLR": lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=20),
    "CyclicLR": lambda lib, o: lib.optim.lr_scheduler.CyclicLR(o, 0.01, 0.1, step_size_up=3),
    "ReduceLROnPlateau": lambda lib, o: lib.optim.lr_scheduler.ReduceLROnPlateau(o, patience=1),
    "CosineAnnealingWarmRestarts": lambda lib, o: lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, 3),
    "SequentialLR": lambda lib, o: lib.optim.lr_scheduler.SequentialLR(
        o, [lib.optim.lr_scheduler.LinearLR(o), lib.optim.lr_scheduler.ExponentialLR(o, 0.9)], milestones=[3]),
    "PolynomialLR": lambda lib, o: lib.optim.lr_scheduler.PolynomialLR(o, total_iters=8),
}


@pytest.mark.parametrize("name", list(_SCHEDULERS))
def test_scheduler_state_from_pytorch_continues_the_same(name):
    def build(lib):
        model = lib.nn.Linear(2, 2)
        opt = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        return opt, _SCHEDULERS[name](lib, opt)

    def step(sched, i):
        if name == "ReduceLROnPlateau":
            sched.step(1.0)  # a loss that never improves
        else:
            sched.step()

    opt, sched = build(torch)
    for i in range(4):
        opt.step()
        step(sched, i)
    buf = _saved({"opt": opt.state_dict(), "sched": sched.state_dict()})
    ours_opt, ours_sched = build(tg)
    ck = tg.load(buf)
    ours_opt.load_state_dict(ck["opt"])
    ours_sched.load_state_dict(ck["sched"])
    for i in range(4, 9):
        opt.step()
        step(sched, i)
        ours_opt.step()
        step(ours_sched, i)
        assert [g["lr"] for g in ours_opt.param_groups] == pytest.approx([g["lr"] for g in opt.param_groups]), i


@pytest.mark.parametrize("zip_format", FORMATS)
@pytest.mark.filterwarnings("ignore:TypedStorage is deprecated")
def test_storages_saved_on_their_own_as_pytorch(zip_format):
    obj = {"typed": torch.arange(3, dtype=torch.int16).storage()}
    if zip_format:  # (PyTorch 2.13's legacy reader fails on an untyped storage)
        obj["untyped"] = torch.arange(4.0).untyped_storage()
    data = _saved(obj, zip_format).getvalue()
    theirs, ours = torch.load(io.BytesIO(data)), tg.load(io.BytesIO(data))
    for key in obj:  # PyTorch loads every storage typed
        assert type(ours[key]).__name__ == type(theirs[key]).__name__ == "TypedStorage", key
        assert list(ours[key]) == list(theirs[key]) and str(ours[key].dtype) == str(theirs[key].dtype), key
    buf = io.BytesIO()  # and written back for PyTorch
    tg.serialization.save_for_pytorch(ours, buf)
    again = torch.load(io.BytesIO(buf.getvalue()))
    for key in obj:
        assert type(again[key]).__name__ == "TypedStorage" and list(again[key]) == list(theirs[key]), key


def _resnet_like(lib):
    nn = lib.nn

    class Block(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.downsample = None if stride == 1 and cin == cout else nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            out = lib.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            return lib.relu(out + (x if self.downsample is None else self.downsample(x)))

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 1, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU())
            self.layer1 = nn.Sequential(Block(8, 8, 1), Block(8, 16, 2))
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(16, 10)

        def forward(self, x):
            return self.fc(lib.flatten(self.pool(self.layer1(self.stem(x))), 1))
    return Net()


@pytest.mark.parametrize("zip_format", FORMATS)
def test_pretrained_style_models_from_pytorch(zip_format):
    """A ResNet-style network (trained BatchNorm statistics) and an nn.Transformer, saved by PyTorch,
    give PyTorch's outputs here; written back with save_for_pytorch, PyTorch loads them unchanged."""
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    theirs = _resnet_like(torch)
    theirs.train()
    with torch.no_grad():
        for _ in range(2):
            theirs(torch.from_numpy(rng.standard_normal((4, 3, 8, 8)).astype(np.float32)))
    transformer_t = torch.nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                                         dim_feedforward=16, dropout=0.0, batch_first=True)
    buf = _saved({"resnet": theirs.state_dict(), "transformer": transformer_t.state_dict()}, zip_format)
    ck = tg.load(buf)
    ours = _resnet_like(tg)
    ours.load_state_dict(ck["resnet"])
    transformer_g = tg.nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                                      dim_feedforward=16, dropout=0.0, batch_first=True)
    transformer_g.load_state_dict(ck["transformer"])
    for m in (theirs, ours, transformer_t, transformer_g):
        m.eval()
    x = rng.standard_normal((2, 3, 8, 8)).astype(np.float32)
    src, tgt = (rng.standard_normal((2, 5, 8)).astype(np.float32), rng.standard_normal((2, 4, 8)).astype(np.float32))
    with torch.no_grad(), tg.no_grad():
        np.testing.assert_allclose(ours(tg.tensor(x)).numpy(), theirs(torch.tensor(x)).numpy(), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(transformer_g(tg.tensor(src), tg.tensor(tgt)).numpy(),
                                   transformer_t(torch.tensor(src), torch.tensor(tgt)).numpy(), rtol=1e-4, atol=1e-5)
    out = io.BytesIO()
    tg.serialization.save_for_pytorch({"resnet": ours.state_dict()}, out)
    again = _resnet_like(torch)
    again.load_state_dict(torch.load(io.BytesIO(out.getvalue()))["resnet"])
    _same(again.state_dict(), theirs.state_dict())
