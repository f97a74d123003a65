"""``tensorgraft.from_file``: tensors over memory-mapped files. Expected values and messages are
PyTorch 2.13's (run with torch on the same files)."""
import os
import pickle
from multiprocessing.reduction import ForkingPickler

import numpy as np
import pytest

import tensorgraft as tg


@pytest.fixture
def ten_floats(tmp_path):
    path = tmp_path / "ten.bin"
    np.arange(10, dtype=np.float32).tofile(path)
    return str(path)


def test_reads_the_file_as_elements_of_the_dtype(ten_floats):
    t = tg.from_file(ten_floats, size=10)
    assert t.dtype == tg.float32 and t.tolist() == list(range(10))
    # the same bytes read as int32 (PyTorch: [0, 1065353216, 1073741824, 1077936128])
    assert tg.from_file(ten_floats, False, 4, dtype=tg.int32).tolist() == [0, 1065353216, 1073741824, 1077936128]
    assert tg.from_file(ten_floats, size=2, dtype=tg.bfloat16).tolist() == [0.0, 0.0]  # the low halves of 0.0, 1.0
    assert tg.from_file(ten_floats, size=2, dtype=tg.complex64).tolist() == [1j, 2 + 3j]
    assert tg.from_file(ten_floats).shape == (0,) and tg.from_file(ten_floats, size=0).shape == (0,)


def test_default_dtype_applies(ten_floats):
    previous = tg.get_default_dtype()
    tg.set_default_dtype(tg.float64)
    try:
        t = tg.from_file(ten_floats, size=1)
    finally:
        tg.set_default_dtype(previous)
    assert t.dtype == tg.float64 and t.item() == 0.0078125  # float32 0.0 and 1.0 read as one float64


def test_private_mapping_leaves_the_file_alone(ten_floats):
    t = tg.from_file(ten_floats, size=3)
    t[0] = 5
    assert t.tolist() == [5.0, 1.0, 2.0]
    assert np.fromfile(ten_floats, dtype=np.float32)[0] == 0.0


def test_shared_mapping_writes_through_and_creates_or_lengthens_the_file(ten_floats, tmp_path):
    t = tg.from_file(ten_floats, shared=True, size=10)
    t[0] = 42
    t.mul_(2)
    del t
    assert np.fromfile(ten_floats, dtype=np.float32)[:3].tolist() == [84.0, 2.0, 4.0]
    fresh = str(tmp_path / "fresh.bin")
    assert tg.from_file(fresh, shared=True, size=3).tolist() == [0.0, 0.0, 0.0]
    assert os.path.getsize(fresh) == 12
    short = tmp_path / "short.bin"
    short.write_bytes(b"\0" * 8)
    tg.from_file(str(short), shared=True, size=4)
    assert os.path.getsize(short) == 16
    tg.from_file(str(short), shared=True, size=1)  # never shortened
    assert os.path.getsize(short) == 16
    assert not os.path.exists(tmp_path / "none.bin") and tg.from_file(str(tmp_path / "none.bin"), shared=True).numel() == 0
    assert not os.path.exists(tmp_path / "none.bin")  # size 0 maps nothing and creates nothing (PyTorch too)


def test_counts_as_shared_memory(ten_floats):
    # PyTorch: True for both kinds of mapping; share_memory_() leaves the mapping in place
    assert tg.from_file(ten_floats, size=2).is_shared()
    t = tg.from_file(ten_floats, shared=True, size=2)
    assert t.is_shared() and t[1:].is_shared()
    t.share_memory_()
    t[1] = 7
    assert np.fromfile(ten_floats, dtype=np.float32)[1] == 7.0
    assert not tg.ones(2).is_shared()


def test_sent_to_another_process_it_maps_the_same_file(ten_floats):
    t = tg.from_file(ten_floats, shared=True, size=10)[2:6]
    received = pickle.loads(ForkingPickler.dumps(t))
    assert received.tolist() == [2.0, 3.0, 4.0, 5.0]
    received[0] = -1
    assert t[0].item() == -1.0 and np.fromfile(ten_floats, dtype=np.float32)[2] == -1.0


def test_requires_grad(ten_floats):
    pytest.importorskip("tensorgraft.autograd")
    t = tg.from_file(ten_floats, size=2, requires_grad=True)
    assert t.requires_grad and t.is_leaf


@pytest.mark.parametrize("kwargs, error, message", [
    ({"size": 11}, RuntimeError, "size <40> is smaller than the required mapping size <44>"),
    ({"size": -1}, RuntimeError, "unable to mmap -4 bytes from file"),
    ({"shared": 1}, TypeError, "from_file(): argument 'shared' must be bool, not int"),
    ({"size": 2.0}, TypeError, "from_file(): argument 'size' must be int, not float"),
    ({"pin_memory": True}, RuntimeError, "tensors constructed from a file cannot be pinned"),
    ({"device": "cuda"}, RuntimeError, "only CPU tensors can be mapped to files"),
    ({"layout": "sparse"}, NotImplementedError, "only strided (dense) tensors can be mapped to files"),
])
def test_bad_arguments(ten_floats, kwargs, error, message):
    if kwargs.get("layout") == "sparse":
        kwargs = {"layout": tg.sparse_coo}
    with pytest.raises(error) as info:
        tg.from_file(ten_floats, **{"size": 2, **kwargs})
    assert message in str(info.value)


def test_missing_file_and_bad_name(tmp_path):
    missing = str(tmp_path / "missing.bin")
    with pytest.raises(RuntimeError, match=r"unable to open file <.*missing.bin> in read-only mode: No such file"):
        tg.from_file(missing, size=3)
    with pytest.raises(TypeError, match=r"argument 'filename' \(position 1\) must be str, not int"):
        tg.from_file(3, size=3)


def test_storages_from_file(ten_floats):
    # PyTorch 2.13: UntypedStorage.from_file(filename, shared=False, nbytes=0), FloatStorage.from_file(f, shared, size)
    assert len(tg.UntypedStorage.from_file(ten_floats)) == 0
    raw = tg.UntypedStorage.from_file(ten_floats, True, 8)
    assert len(raw) == 8 and raw.is_shared() and list(raw)[4:8] == [0, 0, 128, 63]
    raw[0] = 7
    assert np.fromfile(ten_floats, dtype=np.uint8)[0] == 7
    floats = tg.FloatStorage.from_file(ten_floats, False, 3)
    assert floats.dtype == tg.float32 and floats.tolist()[1:] == [1.0, 2.0] and floats.is_shared()
    assert tg.tensor([]).set_(tg.UntypedStorage.from_file(ten_floats, False, 8)).tolist()[1] == 1.0
    with pytest.raises(RuntimeError, match="from_file can only be called on derived classes"):
        tg.TypedStorage.from_file(ten_floats, False, 2)
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'shared'"):
        tg.FloatStorage.from_file(ten_floats, size=3)
