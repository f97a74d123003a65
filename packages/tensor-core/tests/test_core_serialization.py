"""tensorgraft.save / tensorgraft.load: round trips, sharing, atomic writes, corrupt files, interop."""
from __future__ import annotations

import collections
import io
import json
import os
import pickle
import signal
import struct
import subprocess
import sys
import textwrap
import time
import tracemalloc

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.serialization import CheckpointError

needs_autograd = pytest.mark.skipif(tg.Tensor._autograd is None, reason="the autograd engine is not installed")

ALL_DTYPES = [tg.bool, tg.uint8, tg.int8, tg.int16, tg.int32, tg.int64, tg.float16, tg.float32, tg.float64,
              tg.complex64, tg.complex128]


def _sample(dtype, shape, seed=0):
    rng = np.random.default_rng(seed)
    if dtype is tg.bool:
        a = rng.random(shape) > 0.5
    elif dtype.is_complex:
        a = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    elif dtype.is_floating_point:
        a = rng.standard_normal(shape) * 100
    else:
        info = np.iinfo(dtype.np)
        a = rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=dtype.np)
    return tg.from_numpy(np.asarray(a).astype(dtype.np))


def _roundtrip(obj, tmp_path, name="ckpt.pt"):
    p = tmp_path / name
    tg.save(obj, p)
    return tg.load(p)


def _same_tensor(a, b):
    assert isinstance(b, tg.Tensor)
    assert a.dtype is b.dtype and tuple(a.shape) == tuple(b.shape) and a.device == b.device
    np.testing.assert_array_equal(a.numpy(force=True), b.numpy(force=True))


def _assert_same(a, b):
    """Structural equality that also checks container types (tuple vs list, OrderedDict, int vs str keys)."""
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, tg.Tensor):
        _same_tensor(a, b)
    elif isinstance(a, dict):
        assert list(a.keys()) == list(b.keys())
        for k in a:
            assert type(k) is type(next(kk for kk in b if kk == k))
            _assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _assert_same(x, y)
    elif isinstance(a, float) and a != a:
        assert b != b
    else:
        assert a == b


# ------------------------------------------------------------------------------------------ round trips
@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=str)
def test_every_dtype_roundtrips_exactly(dtype, tmp_path):
    sd = collections.OrderedDict(
        full=_sample(dtype, (3, 5)), scalar=_sample(dtype, ()), empty=_sample(dtype, (0, 4)),
        strided=_sample(dtype, (4, 6))[::2, 1::2])
    out = _roundtrip(sd, tmp_path)
    assert type(out) is collections.OrderedDict and list(out) == list(sd)
    for k in sd:
        _same_tensor(sd[k], out[k])
        assert out[k].is_contiguous()


def test_float_specials_and_tensor_at_top_level(tmp_path):
    t = tg.tensor([float("nan"), float("inf"), -float("inf"), -0.0, 1e-45], dtype=tg.float32)
    out = _roundtrip(t, tmp_path)
    assert isinstance(out, tg.Tensor)
    np.testing.assert_array_equal(out.numpy().view(np.uint32), t.numpy().view(np.uint32))  # bit exact


def test_non_contiguous_views_keep_their_layout_and_share(tmp_path):
    base = tg.arange(24, dtype=tg.float32).reshape(4, 6)
    obj = {"t": base.t(), "step": base[:, ::3], "row": base[1], "base": base}
    out = _roundtrip(obj, tmp_path)
    for k in obj:
        _same_tensor(obj[k], out[k])
    # views of one base share their storage after loading, as after torch.load
    out["row"].add_(1)
    assert out["base"][1, 0].item() == 7.0 and out["t"].stride() == (1, 6)


def test_same_object_is_stored_once_and_restored_as_same_object(tmp_path):
    w = tg.randn(50, 50)
    obj = {"a": w, "b": [w, (w,)], "c": tg.zeros(2)}
    p = tmp_path / "s.pt"
    tg.save(obj, p)
    from safetensors import safe_open
    with safe_open(str(p), framework="np") as f:
        assert len(list(f.keys())) == 2
    out = tg.load(p)
    assert out["a"] is out["b"][0] is out["b"][1][0]
    assert out["a"] is not out["c"]
    _same_tensor(w, out["a"])


def test_distinct_tensors_on_the_same_memory_stay_aliased(tmp_path):
    w = tg.randn(3, 3)
    sd = {"encoder.weight": w.detach(), "decoder.weight": w.detach()}  # tied weights, as state_dict() gives
    out = _roundtrip(sd, tmp_path)
    assert out["encoder.weight"] is not out["decoder.weight"]
    _same_tensor(w, out["decoder.weight"])
    out["encoder.weight"].mul_(0)
    assert out["decoder.weight"].abs().sum().item() == 0


def test_optimizer_like_nested_structure_keeps_types(tmp_path):
    p0, p1 = tg.randn(3), tg.randn(2, 2)
    obj = {
        "state": {0: {"step": tg.tensor(5.0), "exp_avg": p0 * 2, "exp_avg_sq": p0 * p0},
                  1: {"step": tg.tensor(5.0), "momentum_buffer": None}},
        "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0, "amsgrad": False,
                          "maximize": False, "foreach": None, "params": [0, 1], "name": "group0"}],
        "od": collections.OrderedDict([("z", 1), ("a", 2)]),
        "misc": [float("inf"), float("nan"), -0.0, 2 ** 80, "text", b"\x00\xff", 1 + 2j, {1, 2}, frozenset({"x"})],
        "types": [tg.float16, tg.device("cpu"), tg.Size([2, 3])],
        (1, "a"): "tuple key", 2.5: "float key", None: "none key", True: "bool key",
        "np": [np.float32(1.5), np.int64(-3), np.arange(4, dtype=np.int16)],
        "p1": p1,
    }
    out = _roundtrip(obj, tmp_path)
    np_part = out.pop("np")
    assert type(np_part[0]) is np.float32 and np_part[0] == 1.5
    assert type(np_part[1]) is np.int64 and np_part[1] == -3
    assert isinstance(np_part[2], np.ndarray) and np_part[2].dtype == np.int16
    np.testing.assert_array_equal(np_part[2], np.arange(4))
    obj.pop("np")
    _assert_same(obj, out)
    assert list(out["state"]) == [0, 1] and all(type(k) is int for k in out["state"])
    assert isinstance(out["param_groups"][0]["betas"], tuple)


@needs_autograd
def test_parameters_come_back_as_parameters(tmp_path):
    try:
        from tensorgraft import nn
    except ImportError:
        pytest.skip("tensorgraft-nn is not installed")
    p = nn.Parameter(tg.randn(3))
    frozen = nn.Parameter(tg.randn(2), requires_grad=False)
    out = _roundtrip({"p": p, "again": [p], "frozen": frozen}, tmp_path)
    assert type(out["p"]) is type(p) and out["p"].requires_grad and out["again"][0] is out["p"]
    assert type(out["frozen"]) is type(p) and not out["frozen"].requires_grad
    _same_tensor(p.detach(), out["p"].detach())


def test_save_through_a_symlink_updates_the_target(tmp_path):
    real = tmp_path / "real.pt"
    tg.save({"a": tg.ones(1)}, real)
    link = tmp_path / "link.pt"
    os.symlink(real, link)
    tg.save({"a": tg.zeros(1)}, link)
    assert os.path.islink(link) and tg.load(real)["a"].item() == 0.0


def test_numpy_arrays_any_byte_order_and_torch_shims(tmp_path):
    import tensorgraft.serialization as ser
    be = np.arange(6, dtype=">i4").reshape(2, 3)
    out = _roundtrip({"be": be, "c": np.array([1 + 1j], np.complex64)}, tmp_path)
    assert out["be"].dtype == np.int32 and out["be"].dtype.isnative
    np.testing.assert_array_equal(out["be"], be)
    assert out["c"].dtype == np.complex64 and out["c"][0] == 1 + 1j
    with ser.safe_globals([dict]):
        assert dict in ser.get_safe_globals()
    assert dict not in ser.get_safe_globals()


@needs_autograd
def test_requires_grad_is_restored(tmp_path):
    w = tg.randn(3, requires_grad=True)
    out = _roundtrip({"w": w, "x": tg.ones(2)}, tmp_path)
    assert out["w"].requires_grad and out["w"].is_leaf and not out["x"].requires_grad


def test_file_objects_and_back_to_back_checkpoints():
    buf = io.BytesIO()
    a, b = {"x": tg.arange(5)}, [tg.ones(2, dtype=tg.complex128), 3]
    tg.save(a, buf)
    tg.save(b, buf)
    buf.seek(0)
    _assert_same(a, tg.load(buf))
    _assert_same(b, tg.load(buf))
    assert buf.read() == b""


def test_non_seekable_stream():
    buf = io.BytesIO()
    tg.save({"x": tg.arange(6).reshape(2, 3)}, buf)

    class Pipe:
        def __init__(self, data):
            self._b = io.BytesIO(data)

        def read(self, n=-1):
            return self._b.read(n)

        def seekable(self):
            return False

    out = tg.load(Pipe(buf.getvalue()))
    _same_tensor(tg.arange(6).reshape(2, 3), out["x"])
    with pytest.raises(CheckpointError, match="truncated"):
        tg.load(Pipe(buf.getvalue()[:-3]))


def test_unsupported_objects_raise_clearly(tmp_path):
    # objects the safetensors format cannot hold are pickled, as torch.save pickles everything:
    # a class defined in a function cannot be, and PyTorch 2.13 raises this AttributeError
    class Foo:
        pass
    with pytest.raises(AttributeError, match=r"Can't pickle local object '.*<locals>\.Foo'"):
        tg.save({"a": Foo()}, tmp_path / "x.pt")
    assert not os.listdir(tmp_path)
    # a reference cycle is pickled too, and loads back as one (PyTorch's default weights_only allows lists)
    cyc = []
    cyc.append(cyc)
    buf = io.BytesIO()
    tg.save(cyc, buf)
    assert buf.getvalue()[:2] == b"PK"
    buf.seek(0)
    back = tg.load(buf)
    assert type(back) is list and back[0] is back


def test_loading_never_unpickles(tmp_path, monkeypatch):
    p = tmp_path / "c.pt"
    tg.save({"a": [tg.ones(2), {3: "x"}]}, p)

    def boom(*a, **k):
        raise AssertionError("pickle used")
    monkeypatch.setattr(pickle, "loads", boom)
    monkeypatch.setattr(pickle, "load", boom)
    monkeypatch.setattr(pickle, "Unpickler", boom)
    for wo in (True, False):
        out = tg.load(p, weights_only=wo)
        assert out["a"][1] == {3: "x"}


# ------------------------------------------------------------------------------------------ map_location
def _rewrite_device(path, device):
    """Make a checkpoint that says its tensors were saved on ``device``."""
    from safetensors.numpy import load_file, save_file
    from safetensors import safe_open
    with safe_open(str(path), framework="np") as f:
        meta = f.metadata()
    doc = json.loads(meta["tensorgraft"])
    for r in doc["tensors"]:
        r[3] = device
    meta["tensorgraft"] = json.dumps(doc)
    arrays = load_file(str(path))
    save_file(arrays, str(path), metadata=meta)


def test_map_location_variants(tmp_path):
    p = tmp_path / "m.pt"
    tg.save({"w": tg.arange(3.0)}, p)
    for ml in (None, "cpu", tg.device("cpu"), {"cpu": "cpu"}, lambda storage, loc: storage):
        out = tg.load(p, map_location=ml)
        assert out["w"].device == tg.device("cpu")
    _rewrite_device(p, "cuda:0")
    cuda = tg.device("cuda:0")
    try:
        available = tg.cuda.is_available()
    except Exception:
        available = False
    if not available:
        with pytest.raises(RuntimeError, match="CUDA device but torch.cuda.is_available\\(\\) is False"):
            tg.load(p)
    seen = []
    out = tg.load(p, map_location=lambda t, loc: seen.append(loc) or t)
    assert seen == ["cuda:0"] and out["w"].device == tg.device("cpu")
    assert tg.load(p, map_location={"cuda:0": "cpu"})["w"].device == tg.device("cpu")
    assert tg.load(p, map_location="cpu")["w"].tolist() == [0.0, 1.0, 2.0]
    assert cuda.type == "cuda"
    with pytest.raises(TypeError, match="map_location"):
        tg.load(p, map_location=3.5)


# ------------------------------------------------------------------------------------------ atomic writes
def test_failed_write_leaves_old_file_and_no_temp(tmp_path, monkeypatch):
    import tensorgraft.serialization as ser
    p = tmp_path / "ckpt.pt"
    tg.save({"v": tg.tensor([1.0])}, p)
    before = p.read_bytes()

    def failing(arrays, path, metadata):
        with open(path, "wb") as f:
            f.write(b"partial garbage")
        raise OSError("disk full")
    monkeypatch.setattr(ser, "_write_file", failing)
    with pytest.raises(OSError, match="disk full"):
        tg.save({"v": tg.tensor([2.0])}, p)
    assert p.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt.pt"]
    assert tg.load(p)["v"].item() == 1.0


def test_sigkill_during_save_keeps_old_checkpoint(tmp_path):
    p = tmp_path / "ckpt.pt"
    ready = tmp_path / "ready"
    tg.save({"v": tg.arange(1000.0)}, p)
    before = p.read_bytes()
    script = textwrap.dedent(f"""
        import time, tensorgraft as tg, tensorgraft.serialization as ser
        real = ser._write_file
        def slow(arrays, path, metadata):
            real(arrays, path, metadata)
            with open(path, "r+b") as f:
                f.truncate(100)   # half-written temp file
            open({str(ready)!r}, "w").close()
            time.sleep(60)
        ser._write_file = slow
        tg.save({{"v": tg.zeros(5000)}}, {str(p)!r})
    """)
    proc = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 30
        while not ready.exists():
            assert proc.poll() is None, "child exited early"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert p.read_bytes() == before
    np.testing.assert_array_equal(tg.load(p)["v"].numpy(), np.arange(1000.0, dtype=np.float32))
    leftovers = [n for n in os.listdir(tmp_path) if n not in ("ckpt.pt", "ready")]
    assert len(leftovers) == 1 and leftovers[0].startswith(".ckpt.pt.") and leftovers[0].endswith(".tmp")


def test_save_replaces_and_keeps_permissions(tmp_path):
    p = tmp_path / "c.pt"
    tg.save({"a": tg.ones(1)}, p)
    os.chmod(p, 0o640)
    tg.save({"a": tg.zeros(1)}, p)
    assert (os.stat(p).st_mode & 0o777) == 0o640
    assert tg.load(p)["a"].item() == 0.0
    with pytest.raises(RuntimeError, match="Parent directory"):
        tg.save({"a": tg.ones(1)}, tmp_path / "nope" / "c.pt")


# ------------------------------------------------------------------------------------------ corrupt files
def test_truncation_at_any_offset_raises(tmp_path):
    p = tmp_path / "full.pt"
    tg.save({"state": {0: {"m": tg.randn(40)}}, "w": tg.randn(10, 10), "e": 3}, p)
    data = p.read_bytes()
    n = struct.unpack("<Q", data[:8])[0]
    rng = np.random.default_rng(0)
    offsets = {0, 1, 7, 8, 9, 8 + n - 1, 8 + n, 8 + n + 1, len(data) - 1}
    offsets |= set(rng.integers(0, len(data), 25).tolist())
    t = tmp_path / "trunc.pt"
    for off in sorted(offsets):
        t.write_bytes(data[:off])
        with pytest.raises(CheckpointError) as ei:
            tg.load(t)
        msg = str(ei.value)
        assert "trunc.pt" in msg and ("truncated" in msg or "empty" in msg), (off, msg)
        with pytest.raises(CheckpointError):
            tg.load(io.BytesIO(data[:off]))
    assert isinstance(CheckpointError("x"), RuntimeError)


def test_truncated_message_names_sizes(tmp_path):
    from safetensors.numpy import save
    raw = save({"a": np.zeros(1024, np.float32)})
    p = tmp_path / "x.pt"
    n = struct.unpack("<Q", raw[:8])[0]
    p.write_bytes(raw[:8 + n + 1000])
    with pytest.raises(CheckpointError, match=r"checkpoint '.*x.pt' is truncated: header says 4096 bytes of tensor "
                                              r"data, file has 1000"):
        tg.load(p)


def _craft(header: dict, data: bytes = b"", length=None) -> bytes:
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h) if length is None else length) + h + data


@pytest.mark.parametrize("blob,match", [
    (struct.pack("<Q", 2 ** 62) + b"{}", "exceeds the 100 MB limit"),
    (struct.pack("<Q", 50_000_000) + b"{" + b" " * 100, "truncated: header says 50000000 bytes"),
    (_craft({"a": {"dtype": "F32", "shape": [2 ** 40], "data_offsets": [0, 2 ** 42]}}), "truncated: header says "
                                                                                          "4398046511104 bytes"),
    (_craft({"a": {"dtype": "F32", "shape": [2 ** 40], "data_offsets": [0, 8]}}, b"\0" * 8), "span 8 bytes"),
    (_craft({"a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}}, b"\0" * 16), "starts at byte 8"),
    (_craft({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
             "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, b"\0" * 12), "starts at byte 4"),
    (_craft({"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 0]}}), "invalid shape"),
    (_craft({"a": {"dtype": "Q9", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4), "unknown dtype"),
    (_craft({"a": {"dtype": "F6_E3M2", "shape": [2], "data_offsets": [0, 2]}}, b"\0" * 2), "does not support"),
    (_craft({"__metadata__": {"a": 1}}), "__metadata__"),
    (_craft([1, 2]), "not a JSON object|does not start"),
    (b"\x05\x00\x00\x00\x00\x00\x00\x00{abc}", "not valid JSON"),
    (b"PK\x03\x04" + b"\0" * 40, "zip archive"),
    (b"\x80\x02}q\x00." + b"\0" * 10, "pickle"),
    (b"hello world, not a checkpoint at all", "corrupt|not a safetensors|truncated"),
    (_craft({"__metadata__": {"tensorgraft": "{\"v\":1,\"root\":[\"T\",0],\"tensors\":[]}"}}), "unexpected structure"),
    (_craft({"__metadata__": {"tensorgraft": "{\"v\":1,\"root\":[\"T\",0],\"tensors\":[[\"zz\",\"float32\",[1],"
                                             "\"cpu\",false,\"t\"]]}"}}), "missing entry"),
    (_craft({"__metadata__": {"tensorgraft": "{\"v\":99,\"root\":null,\"tensors\":[]}"}}), "format version 99"),
    (_craft({"__metadata__": {"tensorgraft": "{\"v\":1,\"root\":[\"d\",[[[\"l\",[]],1]]],\"tensors\":[]}"}}),
     "unhashable"),
    (_craft({"__metadata__": {"tensorgraft": "{\"v\":1,\"root\":[\"dev\",\"not a device!\"],\"tensors\":[]}"}}),
     "corrupt"),
    (_craft({"__metadata__": {"tensorgraft": "{\"v\":1,\"root\":[\"np\",\"int8\",100000],\"tensors\":[]}"}}),
     "corrupt"),
    (_craft({"__metadata__": {"tensorgraft": "{\"v\":1,\"root\":[\"exec\",\"rm -rf\"],\"tensors\":[]}"}}),
     "unexpected structure"),
])
def test_crafted_and_foreign_files_raise_without_allocating(blob, match, tmp_path):
    p = tmp_path / "evil.pt"
    p.write_bytes(blob)
    tracemalloc.start()
    try:
        with pytest.raises(CheckpointError, match=match):
            tg.load(p)
        with pytest.raises(CheckpointError, match=match):
            tg.load(io.BytesIO(blob))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 1024 * 1024, peak


def test_trailing_bytes_after_tensor_data_in_a_file(tmp_path):
    p = tmp_path / "t.pt"
    p.write_bytes(_craft({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 9))
    with pytest.raises(CheckpointError, match="unexpected trailing bytes"):
        tg.load(p)


def test_load_returns_new_objects_only(tmp_path):
    p = tmp_path / "c.pt"
    w = tg.ones(3)
    tg.save({"w": w}, p)
    out = tg.load(p)
    out["w"].add_(1)
    assert w.tolist() == [1.0, 1.0, 1.0]


# ------------------------------------------------------------------------------------------ interop (oracle)
def test_state_dict_is_a_valid_safetensors_file_for_torch(tmp_path):
    pytest.importorskip("torch")
    st = pytest.importorskip("safetensors.torch")
    sd = collections.OrderedDict((f"layer{i}.{k}", _sample(d, s, i)) for i, (k, d, s) in enumerate([
        ("weight", tg.float32, (4, 3)), ("bias", tg.float32, (4,)), ("scale", tg.float16, ()),
        ("idx", tg.int64, (5,)), ("mask", tg.bool, (2, 2)), ("u", tg.uint8, (3,)), ("e", tg.float64, (0, 2)),
        ("t", tg.float32, (3, 4))]))
    sd["layer7.t"] = sd["layer7.t"].t()
    p = tmp_path / "model.safetensors"
    tg.save(sd, p)
    loaded = st.load_file(str(p))
    assert set(loaded) == set(sd)
    for k, v in sd.items():
        tv = loaded[k]
        assert str(tv.dtype) == str(v.dtype), k
        np.testing.assert_array_equal(tv.numpy(), v.numpy())


def test_loads_plain_safetensors_written_by_torch(tmp_path):
    torch = pytest.importorskip("torch")
    st = pytest.importorskip("safetensors.torch")
    src = {"a": torch.randn(3, 4), "b": torch.arange(5), "c": torch.tensor(True), "d": torch.zeros(0, dtype=torch.int8)}
    p = tmp_path / "t.safetensors"
    st.save_file(src, str(p), metadata={"format": "pt"})
    out = tg.load(p)
    assert type(out) is dict and set(out) == set(src)
    for k, v in src.items():
        assert str(out[k].dtype) == str(v.dtype) and tuple(out[k].shape) == tuple(v.shape)
        np.testing.assert_array_equal(out[k].numpy(), v.numpy())
    out["a"].add_(1)  # writable
    with open(p, "rb") as f:
        assert set(tg.load(f)) == set(src)


# ------------------------------------------------------------------------------------------ resume
def _train(steps, start_state=None, ckpt=None, stop_at=None):
    """A hand-written logistic-regression model trained with momentum SGD on shuffled mini-batches;
    returns the losses. ``ckpt``/``stop_at``: save model+optimizer+epoch there after ``stop_at`` epochs."""
    from tensorgraft.utils.data import DataLoader, TensorDataset
    g = np.random.default_rng(0)
    X = tg.from_numpy(g.standard_normal((64, 5)).astype(np.float32))
    y = tg.from_numpy((g.random(64) > 0.5).astype(np.float32))
    loader = DataLoader(TensorDataset(X, y), batch_size=16, shuffle=True)
    if start_state is None:
        tg.manual_seed(1)
        params = {"w": tg.randn(5, 1) * 0.1, "b": tg.zeros(1)}
        opt = {"state": {}, "param_groups": [{"lr": 0.5, "momentum": 0.9, "params": ["w", "b"]}]}
        epoch0 = 0
    else:
        params, opt, epoch0 = start_state["model"], start_state["optim"], start_state["epoch"]
    for p in params.values():
        p.requires_grad_(True)
    losses = []
    for epoch in range(epoch0, steps):
        tg.manual_seed(100 + epoch)  # the shuffle of each epoch depends only on the epoch
        for xb, yb in loader:
            z = (xb @ params["w"]).reshape(-1) + params["b"]
            loss = ((1 + (-z.abs()).exp()).log() + z.clamp(min=0) - yb * z).mean()  # BCE with logits
            for p in params.values():
                p.grad = None
            loss.backward()
            grp = opt["param_groups"][0]
            with tg.no_grad():
                for i, name in enumerate(grp["params"]):
                    p = params[name]
                    st = opt["state"].setdefault(i, {})
                    buf = st.get("momentum_buffer")
                    buf = p.grad.clone() if buf is None else buf * grp["momentum"] + p.grad
                    st["momentum_buffer"] = buf
                    p.sub_(buf * grp["lr"])
            losses.append(loss.item())
        if ckpt is not None and epoch + 1 == stop_at:
            tg.save({"model": {k: v.detach() for k, v in params.items()}, "optim": opt, "epoch": epoch + 1}, ckpt)
            return losses
    return losses


@needs_autograd
def test_resume_from_checkpoint_reproduces_exact_losses(tmp_path):
    full = _train(6)
    ck = tmp_path / "resume.pt"
    first = _train(6, ckpt=ck, stop_at=3)
    state = tg.load(ck)
    assert state["epoch"] == 3 and isinstance(state["optim"]["state"][0]["momentum_buffer"], tg.Tensor)
    rest = _train(6, start_state=state)
    assert first + rest == full
    assert len(full) == 24 and full[-1] < full[0]


def test_train_digits_example_resumes_to_the_same_loss_curve(tmp_path, capsys):
    pytest.importorskip("sklearn")
    try:
        import tensorgraft.nn  # noqa: F401
        import tensorgraft.optim  # noqa: F401
    except ImportError:
        pytest.skip("tensorgraft-nn / tensorgraft-optim are not installed")
    if tg.Tensor._autograd is None:
        pytest.skip("the autograd engine is not installed")
    import importlib.util
    path = os.path.join(os.path.dirname(__file__), "..", "..", "..", "examples", "train_digits.py")
    if not os.path.exists(path):
        pytest.skip("examples/ is not part of this checkout")
    spec = importlib.util.spec_from_file_location("tg_example_train_digits", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    common = ["--no-progress", "--batch-size", "128"]
    straight = mod.main(["--epochs", "3", "--checkpoint", str(tmp_path / "a.pt")] + common)
    first = mod.main(["--epochs", "1", "--checkpoint", str(tmp_path / "b.pt")] + common)
    resumed = mod.main(["--epochs", "3", "--checkpoint", str(tmp_path / "b.pt"), "--resume", "--num-workers", "2"]
                       + common)
    assert first == straight[:1] and resumed == straight
    assert straight[-1] < straight[0]
    ck = tg.load(tmp_path / "b.pt")
    assert ck["epoch"] == 3 and set(ck["model"]) == {"0.weight", "0.bias", "2.weight", "2.bias"}
    assert "resumed from" in capsys.readouterr().out


# ------------------------------------------------------------------------------------------ audit regressions
def test_map_location_accepts_torch_device_objects(tmp_path):
    """torch code passes ``map_location=torch.device('cpu')`` (and dicts whose values are devices)."""
    torch = pytest.importorskip("torch")
    p = tmp_path / "m.pt"
    tg.save({"w": tg.arange(3.0)}, p)
    assert tg.load(p, map_location=torch.device("cpu"))["w"].tolist() == [0.0, 1.0, 2.0]
    assert tg.load(p, map_location={"cpu": torch.device("cpu")})["w"].device == tg.device("cpu")
    _rewrite_device(p, "cuda:0")
    assert tg.load(p, map_location={"cuda:0": torch.device("cpu")})["w"].device == tg.device("cpu")


def test_tied_weights_in_a_flat_state_dict_are_visible_under_every_name(tmp_path):
    """A state_dict with tied weights: tensorgraft restores the sharing, and a safetensors reader
    (``safetensors.numpy`` here, ``safetensors.torch`` in the oracle test) sees every key."""
    from safetensors.numpy import load_file
    w = tg.arange(6.0).reshape(2, 3)
    sd = collections.OrderedDict([("emb.weight", w), ("head.weight", w.detach()), ("other", w)])
    p = tmp_path / "tied.safetensors"
    tg.save(sd, p)
    raw = load_file(str(p))
    assert set(raw) == set(sd)
    for k in sd:
        np.testing.assert_array_equal(raw[k], w.numpy())
    out = tg.load(p)
    assert list(out) == list(sd) and out["emb.weight"] is out["other"]
    out["emb.weight"].add_(1)
    assert out["head.weight"].tolist() == out["emb.weight"].tolist()


def test_tied_state_dict_loads_into_torch_module(tmp_path):
    torch = pytest.importorskip("torch")
    st = pytest.importorskip("safetensors.torch")
    w = tg.from_numpy(np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32))
    p = tmp_path / "tied.safetensors"
    tg.save({"0.weight": w, "1.weight": w.detach()}, p)
    tm = torch.nn.Sequential(torch.nn.Embedding(5, 4), torch.nn.Linear(4, 5, bias=False))
    tm[1].weight = tm[0].weight
    tm.load_state_dict(st.load_file(str(p)))
    np.testing.assert_array_equal(tm[1].weight.detach().numpy(), w.numpy())


def test_saving_a_tensor_with_backward_hooks_warns_about_each_hook():
    import io
    import warnings

    from tensorgraft.utils.hooks import unserializable_hook
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")

    def my_hook(g):
        return g

    @unserializable_hook
    def quiet_hook(g):
        return g
    x = tg.ones(2, requires_grad=True)
    x.register_hook(my_hook)
    x.register_hook(quiet_hook)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tg.save({"x": x}, io.BytesIO())
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1 and messages[0].startswith("backward hook <function ")
    assert "my_hook" in messages[0] and messages[0].endswith(
        "on tensor will not be serialized.  If this is expected, you can decorate the function with "
        "@torch.utils.hooks.unserializable_hook to suppress this warning")
