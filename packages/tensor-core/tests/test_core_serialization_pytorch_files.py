"""tensorgraft.load of files written by PyTorch's torch.save (zip archive and legacy stream).

The files under data/pytorch_checkpoints/ were written by PyTorch 2.13 with
tools/make_pytorch_checkpoint_fixtures.py from ``arange`` values, so these tests recompute what they
must hold with NumPy and run without PyTorch. Corrupt and hostile files are assembled here, opcode by
opcode, by ``_TorchPickle`` (no PyTorch needed either).
"""
from __future__ import annotations

import collections
import io
import os
import pathlib
import pickle
import struct
import zipfile

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.serialization import CheckpointError, save_for_pytorch

DATA = pathlib.Path(__file__).resolve().parent / "data" / "pytorch_checkpoints"
has_autograd = tg.Tensor._autograd is not None


def _mlp_values(shape):
    n = int(np.prod(shape))
    return ((np.arange(n, dtype=np.float32) - np.float32(n / 2)) / np.float32(10)).reshape(shape)


MLP_SHAPES = {"0.weight": (4, 3), "0.bias": (4,), "2.weight": (2, 4), "2.bias": (2,)}


# --------------------------------------------------------------------------- state dicts
def test_state_dict_keys_values_and_metadata():
    sd = tg.load(DATA / "mlp_state_dict.pt")
    assert type(sd) is collections.OrderedDict
    assert list(sd) == list(MLP_SHAPES)
    for key, shape in MLP_SHAPES.items():
        t = sd[key]
        assert isinstance(t, tg.Tensor) and t.dtype is tg.float32 and tuple(t.shape) == shape
        np.testing.assert_array_equal(t.numpy(), _mlp_values(shape))
        assert not t.requires_grad
    # the per-module versions PyTorch's load_state_dict reads
    assert sd._metadata == collections.OrderedDict(
        [("", {"version": 1}), ("0", {"version": 1}), ("1", {"version": 1}), ("2", {"version": 1})])


def test_state_dict_loads_into_a_tensorgraft_model():
    nn = pytest.importorskip("tensorgraft.nn")
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    result = model.load_state_dict(tg.load(DATA / "mlp_state_dict.pt"))
    assert not result.missing_keys and not result.unexpected_keys
    x = np.array([[1.0, -2.0, 0.5]], dtype=np.float32)
    h = np.maximum(x @ _mlp_values((4, 3)).T + _mlp_values((4,)), 0)
    want = h @ _mlp_values((2, 4)).T + _mlp_values((2,))
    with tg.no_grad():
        got = model(tg.tensor(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_training_checkpoint_plain_values_and_optimizer_state():
    ck = tg.load(DATA / "training_checkpoint.pt")
    assert ck["epoch"] == 7 and ck["loss"] == 0.25 and ck["flag"] is True
    assert ck["tags"] == ["a", "b"] and ck["pair"] == (1, None) and type(ck["pair"]) is tuple
    assert ck["blob"] == b"\x00\x01\xff" and type(ck["blob"]) is bytes
    assert ck["ids"] == {3, 4} and ck["counts"] == collections.Counter({"x": 2})
    assert type(ck["counts"]) is collections.Counter
    assert ck["dtype"] is tg.float64
    assert ck["size"] == tg.Size([2, 3]) and type(ck["size"]) is tg.Size
    assert ck["device"] == tg.device("cpu") and ck["z"] == complex(1, -2)
    # SGD(lr=0.5, momentum=0.9), one step with gradient ones: p - 0.5, momentum buffer ones
    for key, shape in MLP_SHAPES.items():
        np.testing.assert_allclose(ck["model"][key].numpy(), _mlp_values(shape) - 0.5, rtol=1e-6)
    opt = ck["optimizer"]
    assert list(opt["state"]) == [0, 1, 2, 3]
    for i, shape in enumerate(MLP_SHAPES.values()):
        np.testing.assert_array_equal(opt["state"][i]["momentum_buffer"].numpy(), np.ones(shape, np.float32))
    group = opt["param_groups"][0]
    assert group["lr"] == 0.5 and group["momentum"] == 0.9 and group["params"] == [0, 1, 2, 3]


def test_optimizer_state_resumes_in_tensorgraft():
    nn = pytest.importorskip("tensorgraft.nn")
    optim = pytest.importorskip("tensorgraft.optim")
    ck = tg.load(DATA / "training_checkpoint.pt")
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    model.load_state_dict(ck["model"])
    opt = optim.SGD(model.parameters(), lr=0.1)
    opt.load_state_dict(ck["optimizer"])
    assert opt.param_groups[0]["lr"] == 0.5 and opt.param_groups[0]["momentum"] == 0.9
    for p in model.parameters():
        p.grad = tg.ones_like(p)
    opt.step()  # buffer = 0.9 * 1 + 1 = 1.9; p -= 0.5 * 1.9
    for p, shape in zip(model.parameters(), MLP_SHAPES.values()):
        np.testing.assert_allclose(p.detach().numpy(), _mlp_values(shape) - 0.5 - 0.95, rtol=1e-5)


# --------------------------------------------------------------------------- tensors
DTYPE_NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64",
               "complex64", "complex128"]


@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_every_dtype_round_trips(name):
    t = tg.load(DATA / "dtypes_and_views.pt")[name]
    assert t.dtype is getattr(tg, name)
    a = np.arange(6, dtype=np.float64) - 2
    if name.startswith("complex"):
        want = a - 1j * a
    elif name == "bool":
        want = a > 0
    elif name == "uint8":
        want = a + 2
    else:
        want = a
    np.testing.assert_array_equal(t.to(tg.complex128 if name.startswith("complex") else tg.float64).numpy()
                                  if name != "bool" else t.numpy(), want)


def test_views_keep_sharing_one_storage():
    d = tg.load(DATA / "dtypes_and_views.pt")
    base = np.arange(12, dtype=np.float32).reshape(3, 4)
    np.testing.assert_array_equal(d["base"].numpy(), base)
    np.testing.assert_array_equal(d["transposed"].numpy(), base.T)
    np.testing.assert_array_equal(d["row"].numpy(), base[1])
    np.testing.assert_array_equal(d["column"].numpy(), base[:, 2])
    assert d["transposed"].stride() == (1, 4) and d["column"].stride() == (4,)
    d["base"][1, 2] = -1.0  # one storage, as in PyTorch: every view sees the write
    assert d["transposed"][2, 1].item() == -1.0 and d["row"][2].item() == -1.0 and d["column"][1].item() == -1.0


def test_odd_shapes_requires_grad_and_parameters():
    d = tg.load(DATA / "dtypes_and_views.pt")
    assert d["scalar"].shape == () and d["scalar"].item() == 2.5
    assert tuple(d["empty"].shape) == (0, 2) and d["empty"].dtype is tg.float32
    assert d["requires_grad"].requires_grad is has_autograd
    np.testing.assert_array_equal(d["requires_grad"].detach().numpy(), [1.0, 2.0])
    try:
        from tensorgraft.nn import Parameter
    except ImportError:
        Parameter = None
    if Parameter is not None:
        assert isinstance(d["parameter"], Parameter) and isinstance(d["int_parameter"], Parameter)
    assert d["parameter"].requires_grad is has_autograd and not d["int_parameter"].requires_grad
    assert d["int_parameter"].dtype is tg.int64
    np.testing.assert_array_equal(d["parameter"].detach().numpy(), [0.0, 1.0, 2.0])


def test_tensor_attributes_are_kept():
    d = tg.load(DATA / "tensor_attributes.pt")
    np.testing.assert_array_equal(d["tagged"].numpy(), [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(d["param"].detach().numpy(), [1.0, 1.0])
    assert d["tagged"].note == "kept by PyTorch" and d["param"].note == "on a parameter"
    back = tg.load(io.BytesIO(_written(d)))  # and written back in PyTorch's rebuild-with-state forms
    assert back["tagged"].note == "kept by PyTorch" and back["param"].note == "on a parameter"


def test_legacy_format():
    d = tg.load(DATA / "legacy_format.pt")
    w = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_array_equal(d["w"].numpy(), w)
    np.testing.assert_array_equal(d["wt"].numpy(), w.T)
    np.testing.assert_array_equal(d["tail"].numpy(), w[1:])
    assert d["n"] == 3 and d["name"] == "legacy"
    d["w"][1, 0] = 9.0
    assert d["wt"][0, 1].item() == 9.0 and d["tail"][0, 0].item() == 9.0


def test_sparse_coo_tensors():
    d = tg.load(DATA / "sparse_coo.pt")
    raw, co = d["raw"], d["coalesced"]
    assert raw.layout is tg.sparse_coo and not raw.is_coalesced() and co.is_coalesced()
    np.testing.assert_array_equal(raw._indices().numpy(), [[0, 1, 1], [2, 0, 0]])
    np.testing.assert_array_equal(raw._values().numpy(), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(co.indices().numpy(), [[0, 1], [2, 0]])
    np.testing.assert_array_equal(co.values().numpy(), [1.0, 5.0])
    np.testing.assert_array_equal(raw.to_dense().numpy(), [[0, 0, 1], [5, 0, 0]])


# --------------------------------------------------------------------------- sources
def test_path_kinds_file_objects_and_streams():
    path = DATA / "mlp_state_dict.pt"
    want = tg.load(path)
    raw = path.read_bytes()
    with open(path, "rb") as fh:
        got_fh = tg.load(fh)

    class OnlyRead:  # a pipe-like stream: no seek, no tell
        def __init__(self, data):
            self._b = io.BytesIO(data)

        def read(self, n=-1):
            return self._b.read(n)

    for got in (tg.load(str(path)), tg.load(os.fsencode(str(path))), got_fh, tg.load(io.BytesIO(raw)),
                tg.load(OnlyRead(raw)), tg.load(DATA / "legacy_format.pt") and tg.load(path)):
        assert list(got) == list(want)
        for k in want:
            np.testing.assert_array_equal(got[k].numpy(), want[k].numpy())
    legacy = (DATA / "legacy_format.pt").read_bytes()
    np.testing.assert_array_equal(tg.load(OnlyRead(legacy))["w"].numpy(), np.arange(6).reshape(2, 3))


# --------------------------------------------------------------------------- weights_only and code
def test_plain_data_needs_weights_only_false_as_in_pytorch():
    path = DATA / "plain_data.pt"
    with pytest.raises(pickle.UnpicklingError, match=r"GLOBAL numpy\._core\.multiarray\.scalar was not an allowed "
                                                     r"global by default"):
        tg.load(path)
    d = tg.load(path, weights_only=False)
    assert d["best_acc"] == 0.75 and type(d["best_acc"]) is np.float64
    np.testing.assert_array_equal(d["order"], np.arange(3, dtype=np.int32))
    assert d["order"].dtype == np.int32
    assert d["args"].lr == 0.1 and d["args"].epochs == 2 and type(d["args"]).__name__ == "Namespace"
    assert d["frozen"] == frozenset({1})


def test_add_safe_globals_lifts_the_refusal():
    import argparse
    try:
        from numpy._core import multiarray
    except ImportError:  # NumPy 1 (the file was pickled under NumPy 2: the names are aliased)
        from numpy.core import multiarray
    allowed = [multiarray.scalar, multiarray._reconstruct, np.ndarray, np.dtype, argparse.Namespace, frozenset]
    with tg.serialization.safe_globals(allowed):
        d = tg.load(DATA / "plain_data.pt")
    assert d["best_acc"] == 0.75 and d["args"].epochs == 2
    with pytest.raises(pickle.UnpicklingError):
        tg.load(DATA / "plain_data.pt")  # the context manager took them back


def test_whole_module_is_refused_by_default_and_loads_with_weights_only_false():
    # PyTorch 2.13: torch.save(model) files need the explicit weights_only=False opt-in to unpickling
    path = DATA / "whole_module.pt"
    with pytest.raises(pickle.UnpicklingError, match=r"GLOBAL torch\.nn\.modules\.container\.Sequential was not "
                                                     "an allowed global"):
        tg.load(path)
    nn = pytest.importorskip("tensorgraft.nn")
    model = tg.load(path, weights_only=False)
    assert type(model) is nn.Sequential and [type(m) for m in model] == [nn.Linear, nn.ReLU, nn.Linear]
    np.testing.assert_array_equal(model[0].weight.detach().numpy(),
                                  ((np.arange(12, dtype=np.float32) - 6) / 10).reshape(4, 3))


def test_torchscript_archive_is_refused():
    with pytest.raises(CheckpointError, match="TorchScript archive"):
        tg.load(DATA / "torchscript.pt")


# --------------------------------------------------------------------------- hand-made files
class _TorchPickle:
    """Assembles a protocol-2 pickle as torch.save writes it, opcode by opcode."""

    def __init__(self):
        self.parts = [b"\x80\x02"]

    def glob(self, module, name):
        self.parts.append(b"c" + module.encode() + b"\n" + name.encode() + b"\n")
        return self

    def str(self, s):
        b = s.encode()
        self.parts.append(b"X" + struct.pack("<I", len(b)) + b)
        return self

    def int(self, i):
        self.parts.append(b"J" + struct.pack("<i", i))
        return self

    def op(self, code):
        self.parts.append(code)
        return self

    def tuple_of_ints(self, values):
        self.op(b"(")
        for v in values:
            self.int(v)
        return self.op(b"t")

    def tensor(self, key, numel, offset, size, stride, location="cpu", storage="FloatStorage"):
        self.glob("torch._utils", "_rebuild_tensor_v2").op(b"(")
        self.op(b"(").str("storage").glob("torch", storage).str(key).str(location).int(numel).op(b"t").op(b"Q")
        self.int(offset).tuple_of_ints(size).tuple_of_ints(stride).op(b"\x89")
        self.glob("collections", "OrderedDict").op(b")R").op(b"t").op(b"R")
        return self

    def bytes(self):
        return b"".join(self.parts) + b"."


def _zip(pkl: bytes, storages: dict, byteorder="little", extra=None, compression=zipfile.ZIP_STORED) -> io.BytesIO:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        z.writestr("archive/data.pkl", pkl)
        z.writestr("archive/byteorder", byteorder)
        for key, data in storages.items():
            z.writestr(f"archive/data/{key}", data)
        for name, data in (extra or {}).items():
            z.writestr(name, data)
        z.writestr("archive/version", "3\n")
    buf.seek(0)
    return buf


def test_hand_made_file_matches_the_reader():
    pkl = _TorchPickle().tensor("0", 6, 1, (2, 2), (3, 1)).bytes()
    t = tg.load(_zip(pkl, {"0": np.arange(6, dtype=np.float32).tobytes()}))
    np.testing.assert_array_equal(t.numpy(), [[1, 2], [4, 5]])


def test_compressed_entries_and_a_damaged_local_header():
    pkl = _TorchPickle().tensor("0", 6, 0, (6,), (1,)).bytes()
    data = np.arange(6, dtype=np.float32).tobytes()
    # PyTorch stores entries uncompressed (read straight at their offset); a re-zipped file may not be
    t = tg.load(_zip(pkl, {"0": data}, compression=zipfile.ZIP_DEFLATED))
    np.testing.assert_array_equal(t.numpy(), np.arange(6))
    raw = bytearray(_zip(pkl, {"0": data}).getvalue())
    at = raw.index(b"archive/data/0") - 30  # the entry's local header: 30 bytes, then its name
    assert raw[at:at + 4] == b"PK\x03\x04"
    raw[at:at + 4] = b"XXXX"  # the storage's local header no longer says PK
    with pytest.raises(CheckpointError, match="storage 0 has 0 of 24 bytes"):
        tg.load(io.BytesIO(bytes(raw)))


def test_big_endian_archive():
    pkl = _TorchPickle().tensor("0", 3, 0, (3,), (1,)).bytes()
    data = np.array([1.5, -2.0, 3.25], dtype=">f4").tobytes()
    t = tg.load(_zip(pkl, {"0": data}, byteorder="big"))
    np.testing.assert_array_equal(t.numpy(), [1.5, -2.0, 3.25])


@pytest.mark.parametrize("offset,size,stride,match", [
    (0, (3,), (2,), "reaches element 4 of a storage of 4 elements"),
    (4, (1,), (1,), "reaches element 4 of a storage of 4 elements"),
    (0, (2, 2), (-1, 1), "has offset 0, size"),
    (0, (2,), (1, 1), "has offset 0, size"),
])
def test_tensor_outside_its_storage_is_refused(offset, size, stride, match):
    pkl = _TorchPickle().tensor("0", 4, offset, size, stride).bytes()
    with pytest.raises(CheckpointError, match=match):
        tg.load(_zip(pkl, {"0": np.zeros(4, np.float32).tobytes()}))


def test_storage_size_mismatch_and_missing_storage():
    pkl = _TorchPickle().tensor("0", 4, 0, (4,), (1,)).bytes()
    with pytest.raises(CheckpointError, match=r"storage 0 holds 12 bytes, its record says 4 elements of float32"):
        tg.load(_zip(pkl, {"0": np.zeros(3, np.float32).tobytes()}))
    with pytest.raises(CheckpointError, match="storage 0 is missing from the archive"):
        tg.load(_zip(pkl, {}))


def test_foreign_dtype_storage_is_named():
    pkl = _TorchPickle().tensor("0", 4, 0, (4,), (1,), storage="QInt8Storage").bytes()
    with pytest.raises(CheckpointError, match="torch.QInt8Storage, a dtype tensorgraft does not have"):
        tg.load(_zip(pkl, {"0": bytes(4)}))


def test_no_code_runs_unless_weights_only_is_false(tmp_path):
    marker = tmp_path / "ran"
    # builtins.exec("open(marker, 'w')"): refused before anything is called with weights_only
    pkl = _TorchPickle().glob("builtins", "exec").str(f"open({str(marker)!r}, 'w').close()").op(b"\x85R").bytes()
    for weights_only in (None, True):
        with pytest.raises(pickle.UnpicklingError, match="exec"):
            tg.load(_zip(pkl, {}), weights_only=weights_only)
    pkl_os = _TorchPickle().glob("os", "system").str(f"touch {marker}").op(b"\x85R").bytes()
    with pytest.raises(pickle.UnpicklingError, match="os.system"):
        tg.load(_zip(pkl_os, {}))
    assert not marker.exists()
    # weights_only=False is the explicit opt-in to unpickling: the file's code runs, as in PyTorch
    tg.load(_zip(pkl, {}), weights_only=False)
    assert marker.exists()


def test_unknown_persistent_id_and_broken_pickle():
    pkl = _TorchPickle().op(b"(").str("module").str("x").op(b"tQ").bytes()
    with pytest.raises(CheckpointError, match="unknown persistent id"):
        tg.load(_zip(pkl, {}))
    with pytest.raises(CheckpointError, match="its pickle could not be read"):
        tg.load(_zip(b"\x80\x02(", {}))


def test_zip_that_is_not_a_checkpoint():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "hello")
    buf.seek(0)
    with pytest.raises(CheckpointError, match="has no data.pkl record"):
        tg.load(buf)
    truncated = (DATA / "mlp_state_dict.pt").read_bytes()[:200]
    with pytest.raises(CheckpointError, match="not a readable zip archive"):
        tg.load(io.BytesIO(truncated))


def test_truncated_legacy_file():
    data = (DATA / "legacy_format.pt").read_bytes()
    with pytest.raises(CheckpointError, match="truncated"):
        tg.load(io.BytesIO(data[:-5]))


# --------------------------------------------------------------------------- map_location
def _cuda_located(path) -> io.BytesIO:
    """The same archive with every storage recorded on 'cuda:0' (as a GPU-trained file is)."""
    src = zipfile.ZipFile(path)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("data.pkl"):
                data = data.replace(b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0")
            z.writestr(info.filename, data)
    out.seek(0)
    return out


def _cuda_available():
    try:
        return tg.cuda.is_available()
    except ImportError:  # tensorgraft-cuda is not installed
        return False


def test_map_location_moves_a_gpu_trained_file_to_the_cpu():
    path = DATA / "mlp_state_dict.pt"
    want = _mlp_values((4, 3))
    for ml in ("cpu", tg.device("cpu"), {"cuda:0": "cpu"}, lambda storage, loc: storage):
        sd = tg.load(_cuda_located(path), map_location=ml)
        assert sd["0.weight"].device == tg.device("cpu")
        np.testing.assert_array_equal(sd["0.weight"].numpy(), want)
    seen = []
    tg.load(_cuda_located(path), map_location=lambda storage, loc: seen.append(loc) or storage)
    assert set(seen) == {"cuda:0"}


@pytest.mark.skipif(_cuda_available(), reason="the refusal is for machines without CUDA")
def test_gpu_trained_file_without_cuda_says_what_to_do():
    with pytest.raises(RuntimeError, match=r"Attempting to deserialize object on a CUDA device but "
                                           r"torch.cuda.is_available\(\) is False.*map_location=torch.device\('cpu'\)"):
        tg.load(_cuda_located(DATA / "mlp_state_dict.pt"))


needs_cuda = pytest.mark.skipif(not _cuda_available(), reason="needs a CUDA device (a GPU, or the cuda-fake tox "
                                                              "environment's stand-in CuPy)")


@needs_cuda
def test_gpu_trained_file_goes_back_to_the_gpu():
    sd = tg.load(_cuda_located(DATA / "mlp_state_dict.pt"))
    assert all(t.device == tg.device("cuda:0") for t in sd.values())
    np.testing.assert_array_equal(sd["0.weight"].cpu().numpy(), _mlp_values((4, 3)))
    cpu = tg.load(DATA / "mlp_state_dict.pt", map_location="cuda")
    assert cpu["2.bias"].device.type == "cuda"
    if tg.cuda.device_count() > 1:
        moved = tg.load(_cuda_located(DATA / "mlp_state_dict.pt"), map_location={"cuda:0": "cuda:1"})
        assert moved["0.bias"].device == tg.device("cuda:1")


@needs_cuda
def test_save_for_pytorch_records_the_gpu():
    t = tg.arange(4.0).to("cuda")
    data = _written({"t": t, "tail": t[1:]})
    assert b"cuda:0" in zipfile.ZipFile(io.BytesIO(data)).read("archive/data.pkl")
    back = tg.load(io.BytesIO(data))
    assert back["t"].device == tg.device("cuda:0") and back["tail"].cpu().tolist() == [1.0, 2.0, 3.0]
    assert tg.load(io.BytesIO(data), map_location="cpu")["t"].tolist() == [0.0, 1.0, 2.0, 3.0]


def test_map_location_of_a_bad_kind():
    # PyTorch: TypeError "'float' object is not callable"; the type is its, the words say what to pass
    for bad in (3.5, 0, -1):
        with pytest.raises(TypeError, match="map_location should be"):
            tg.load(DATA / "mlp_state_dict.pt", map_location=bad)
    buf = io.BytesIO()
    tg.save({"w": tg.ones(2)}, buf)
    with pytest.raises(TypeError, match="map_location should be"):
        tg.load(io.BytesIO(buf.getvalue()), map_location=0)


def test_tensorgraft_checkpoints_still_load(tmp_path):
    sd = tg.load(DATA / "mlp_state_dict.pt")
    tg.save(sd, tmp_path / "ours.pt")
    back = tg.load(tmp_path / "ours.pt")
    assert list(back) == list(sd)
    np.testing.assert_array_equal(back["2.weight"].numpy(), sd["2.weight"].numpy())


# --------------------------------------------------------------------------- mmap
def test_mmap_maps_storages_copy_on_write(tmp_path):
    path = tmp_path / "copy.pt"
    path.write_bytes((DATA / "dtypes_and_views.pt").read_bytes())
    before = path.read_bytes()
    mapped = tg.load(path, mmap=True)
    read = tg.load(path)
    assert list(mapped) == list(read)
    for key in read:
        a, b = mapped[key].detach(), read[key].detach()
        if b.dtype is tg.bfloat16:
            a, b = a.float(), b.float()
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=key)
    assert isinstance(_base_of(mapped["base"]._data), np.memmap)
    mapped["base"][0, 0] = 99.0  # shared with its views, never written to the file
    assert mapped["transposed"][0, 0].item() == 99.0
    assert path.read_bytes() == before


def _base_of(arr):
    while getattr(arr, "base", None) is not None and not isinstance(arr, np.memmap):
        arr = arr.base
    return arr


def test_mmap_refusals():
    with pytest.raises(RuntimeError, match=r"^mmap can only be used with files saved with `torch.save\(.*legacy_format"
                                           r".pt, _use_new_zipfile_serialization=True\)"):
        tg.load(str(DATA / "legacy_format.pt"), mmap=True)
    with pytest.raises(RuntimeError, match=r"^mmap can only be used with files saved with `torch.save\("
                                           r"_use_new_zipfile_serialization=True\)"):
        tg.load(DATA / "legacy_format.pt", mmap=True)  # a Path is not named, as in PyTorch
    with open(DATA / "mlp_state_dict.pt", "rb") as fh, pytest.raises(ValueError, match="f must be a file path"):
        tg.load(fh, mmap=True)


# --------------------------------------------------------------------------- save_for_pytorch

# the globals PyTorch's weights_only loader allows by default that the writer may name
_ALLOWED_GLOBALS = {"torch._utils _rebuild_tensor_v2", "torch._utils _rebuild_parameter", "torch.storage UntypedStorage",
                    "torch._utils _rebuild_parameter_with_state", "torch._tensor _rebuild_from_type_v2",
                    "torch Tensor",
                    "torch._utils _rebuild_sparse_tensor", "torch.serialization _get_layout", "torch Size",
                    "torch device", "collections OrderedDict", "collections Counter", "_codecs encode",
                    "__builtin__ set", "__builtin__ frozenset", "__builtin__ bytearray", "__builtin__ complex",
                    *(f"torch {n}" for n in DTYPE_NAMES),
                    *(f"torch {s}" for s in ("FloatStorage", "DoubleStorage", "HalfStorage", "BFloat16Storage",
                                             "LongStorage", "IntStorage", "ShortStorage", "CharStorage",
                                             "ByteStorage", "BoolStorage", "ComplexFloatStorage",
                                             "ComplexDoubleStorage"))}


def _globals_of(pkl: bytes) -> set:
    import pickletools
    return {arg for op, arg, _ in pickletools.genops(pkl) if op.name == "GLOBAL"}


def _written(obj) -> bytes:
    buf = io.BytesIO()
    save_for_pytorch(obj, buf)
    return buf.getvalue()


def test_written_files_read_back_the_same():
    for name in ("training_checkpoint.pt", "dtypes_and_views.pt", "sparse_coo.pt", "mlp_state_dict.pt"):
        original = tg.load(DATA / name)
        again = tg.load(io.BytesIO(_written(original)))
        _assert_same_tree(again, original, name)


def _assert_same_tree(a, b, path):
    if isinstance(b, tg.Tensor):
        assert type(a) is type(b) and a.dtype is b.dtype and a.shape == b.shape, path
        assert a.requires_grad == b.requires_grad and a.layout is b.layout, path
        if b.layout is tg.sparse_coo:
            assert a.is_coalesced() == b.is_coalesced(), path
            _assert_same_tree(a._indices(), b._indices(), path)
            _assert_same_tree(a._values(), b._values(), path)
            return
        x, y = a.detach(), b.detach()
        if b.dtype is tg.bfloat16:
            x, y = x.float(), y.float()
        np.testing.assert_array_equal(x.numpy(), y.numpy(), err_msg=path)
    elif isinstance(b, dict):
        assert type(a) is type(b) and list(a) == list(b), path
        assert getattr(a, "_metadata", None) == getattr(b, "_metadata", None), path
        for k in b:
            _assert_same_tree(a[k], b[k], f"{path}[{k!r}]")
    elif isinstance(b, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same_tree(x, y, f"{path}[{i}]")
    else:
        assert type(a) is type(b) and a == b, path


def test_written_archive_layout_and_globals():
    d = tg.load(DATA / "training_checkpoint.pt")
    data = _written(d)
    z = zipfile.ZipFile(io.BytesIO(data))
    names = z.namelist()
    assert names[:4] == ["archive/data.pkl", "archive/.format_version", "archive/.storage_alignment",
                         "archive/byteorder"]
    assert names[-2:] == ["archive/version", "archive/.data/serialization_id"]
    assert z.read("archive/version") == b"3\n" and z.read("archive/byteorder") == b"little"
    storages = [n for n in names if n.startswith("archive/data/")]
    assert len(storages) == 4 + 4  # the model's four tensors, the four momentum buffers
    for info in z.infolist():
        assert info.compress_type == zipfile.ZIP_STORED
        start = info.header_offset + 30 + len(info.filename.encode()) + int.from_bytes(
            data[info.header_offset + 28:info.header_offset + 30], "little")
        if info.filename.startswith("archive/data/"):
            assert start % 64 == 0, info.filename  # PyTorch's alignment, for mmap
    assert _globals_of(z.read("archive/data.pkl")) <= _ALLOWED_GLOBALS


def test_views_share_one_storage_and_objects_are_written_once():
    base = tg.arange(12.0).reshape(3, 4)
    obj = {"base": base, "t": base.t(), "row": base[1], "again": base, "copy": base.clone()}
    z = zipfile.ZipFile(io.BytesIO(_written(obj)))
    assert len([n for n in z.namelist() if "/data/" in n]) == 2  # base's storage and the clone's
    back = tg.load(io.BytesIO(_written(obj)))
    assert back["again"] is back["base"]
    back["base"][1, 1] = -3.0
    assert back["t"][1, 1].item() == -3.0 and back["row"][1].item() == -3.0 and back["copy"][1, 1].item() == 5.0


def test_refuses_what_pytorch_could_not_load_before_writing(tmp_path):
    path = tmp_path / "w.pt"
    path.write_bytes(b"previous")

    class Config:
        pass

    for bad in ({"model": Config()}, [lambda x: x], {"arr": np.arange(3)}):
        with pytest.raises(TypeError, match="save_for_pytorch writes tensors and plain data"):
            save_for_pytorch(bad, path)
        buf = io.BytesIO()
        with pytest.raises(TypeError):
            save_for_pytorch(bad, buf)
        assert buf.getvalue() == b""
    assert path.read_bytes() == b"previous"
    with pytest.raises(AttributeError, match="expected 'f' to be string, path, or a file-like object"):
        save_for_pytorch({}, 3)


def test_path_writes_are_atomic_and_named_by_the_file(tmp_path):
    path = tmp_path / "weights.pth"
    save_for_pytorch({"w": tg.ones(2)}, path)
    assert zipfile.ZipFile(path).namelist()[0] == "weights/data.pkl"  # torch.save's archive name
    assert os.listdir(tmp_path) == ["weights.pth"]
    save_for_pytorch({"w": tg.zeros(3)}, str(path))
    assert tg.load(path)["w"].tolist() == [0.0, 0.0, 0.0]


def test_module_state_dict_round_trip():
    nn = pytest.importorskip("tensorgraft.nn")
    tg.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(2 * 3 * 3, 3))
    model(tg.ones(2, 1, 5, 5))  # running statistics that are not the defaults
    sd = model.state_dict()
    back = tg.load(io.BytesIO(_written(sd)))
    assert back._metadata == sd._metadata
    _assert_same_tree(back, sd, "state_dict")


# --------------------------------------------------------------------------- foreign objects
def _lightning_like_checkpoint() -> io.BytesIO:
    """{'hyper_parameters': AttributeDict(lr=0.01) (a dict subclass of a library not installed
    here, with an attribute in its state), 'cfg': Config(3) (built by calling its class), 'w': a tensor}."""
    p = _TorchPickle().op(b"}").op(b"(")
    p.str("hyper_parameters").glob("lightning.fabric.utilities.data", "AttributeDict").op(b")\x81")
    p.op(b"(").str("lr").op(b"G" + struct.pack(">d", 0.01)).op(b"u")
    p.op(b"}").op(b"(").str("frozen").op(b"\x88").op(b"u").op(b"b")
    p.str("cfg").glob("myproject.config", "Config").op(b"(").int(3).op(b"t").op(b"R")
    p.str("w").tensor("0", 2, 0, (2,), (1,))
    p.op(b"u")
    return _zip(p.bytes(), {"0": np.array([1.5, 2.5], np.float32).tobytes()})


def test_objects_of_unknown_classes_load_as_placeholders_with_weights_only_false():
    from tensorgraft.serialization import ForeignObject
    with pytest.raises(pickle.UnpicklingError, match="GLOBAL lightning.fabric.utilities.data.AttributeDict was not "
                                                     "an allowed global by default"):
        tg.load(_lightning_like_checkpoint())
    with pytest.warns(UserWarning, match=r"holds objects of classes tensorgraft does not rebuild "
                                         r"\(lightning.fabric.utilities.data.AttributeDict, myproject.config.Config\)"):
        ck = tg.load(_lightning_like_checkpoint(), weights_only=False)
    hp, cfg = ck["hyper_parameters"], ck["cfg"]
    assert isinstance(hp, ForeignObject) and hp.foreign_name == "lightning.fabric.utilities.data.AttributeDict"
    assert hp["lr"] == 0.01 and hp.lr == 0.01 and hp.frozen is True and list(hp.keys()) == ["lr"] and len(hp) == 1
    with pytest.warns(UserWarning) as record:
        again = tg.load(_lightning_like_checkpoint(), weights_only=False)
    assert record[0].filename == __file__  # attributed to the line that called load
    assert type(hp).__name__ == "AttributeDict" and type(hp) is type(again["hyper_parameters"])
    assert cfg.args == (3,) and cfg.state is None and "myproject.config.Config, args=(3,)" in repr(cfg)
    with pytest.raises(AttributeError, match="the saved myproject.config.Config object has no field 'depth'"):
        _ = cfg.depth
    with pytest.raises(KeyError):
        hp["missing"]
    assert ck["w"].tolist() == [1.5, 2.5]


def test_placeholders_only_stand_in_for_classes_of_missing_libraries():
    # weights_only=False resolves every other global as PyTorch does (PyTorch's names as tensorgraft's)
    import subprocess
    assert tg.load(_zip(_TorchPickle().glob("subprocess", "Popen").op(b".").bytes(), {}),
                   weights_only=False) is subprocess.Popen
    nn = pytest.importorskip("tensorgraft.nn")
    assert tg.load(_zip(_TorchPickle().glob("torch.nn.modules.linear", "Linear").op(b".").bytes(), {}),
                   weights_only=False) is nn.Linear


def test_storages_saved_on_their_own():
    p = _TorchPickle().op(b"}").op(b"(")
    p.str("typed").op(b"(").str("storage").glob("torch", "FloatStorage").str("0").str("cpu").int(3).op(b"tQ")
    p.str("untyped").op(b"(").str("storage").glob("torch", "UntypedStorage").str("1").str("cpu").int(4).op(b"tQ")
    p.op(b"u")
    d = tg.load(_zip(p.bytes(), {"0": np.array([1.0, 2.0, 3.0], np.float32).tobytes(), "1": bytes([1, 2, 3, 4])}))
    from tensorgraft.storage import TypedStorage
    assert isinstance(d["typed"], TypedStorage) and d["typed"].dtype is tg.float32 and list(d["typed"]) == [1, 2, 3]
    # as PyTorch loads it: typed, its elements the bytes
    assert isinstance(d["untyped"], TypedStorage) and d["untyped"].dtype is tg.uint8 and list(d["untyped"]) == [
        1, 2, 3, 4]


@pytest.mark.filterwarnings("ignore:TypedStorage is deprecated")
def test_save_for_pytorch_writes_storages_saved_on_their_own():
    t = tg.arange(4.0)
    typed = tg.arange(3, dtype=tg.int16).storage()
    data = _written({"untyped": t.untyped_storage(), "typed": typed, "again": typed})
    pkl = zipfile.ZipFile(io.BytesIO(data)).read("archive/data.pkl")
    assert "torch.storage UntypedStorage" in _globals_of(pkl) and "torch ShortStorage" in _globals_of(pkl)
    back = tg.load(io.BytesIO(data))
    assert list(back["typed"]) == [0, 1, 2] and back["typed"].dtype is tg.int16 and back["again"] is back["typed"]
    assert back["untyped"].dtype is tg.uint8 and bytes(back["untyped"].untyped()._bytes()) == t.numpy().tobytes()


def test_paths_pickled_under_either_python_load():
    import pathlib as _pathlib
    for module in ("pathlib", "pathlib._local"):  # Python < 3.13 and >= 3.13 name the class so
        pkl = _TorchPickle().glob(module, "PurePosixPath").op(b"(").str("/runs/a").op(b"tR").bytes()
        assert tg.load(_zip(pkl, {}), weights_only=False) == _pathlib.PurePosixPath("/runs/a")
