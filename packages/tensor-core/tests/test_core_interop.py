"""NumPy / DLPack interop: from_numpy, as_tensor, __array__, __dlpack__, from_dlpack."""
import numpy as np
import pytest

import tensorgraft as tg

NUMPY2 = int(np.__version__.split(".")[0]) >= 2


def test_from_numpy_shares_memory_both_ways():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = tg.from_numpy(a)
    assert t.dtype is tg.float32 and t.shape == (2, 3)
    a[0, 0] = 100.0
    assert t[0, 0].item() == 100.0
    t[1, 2] = -1.0
    assert a[1, 2] == -1.0
    t.add_(1)
    assert a[0, 0] == 101.0


def test_from_numpy_dtypes_and_errors():
    for npd, d in [(np.int32, tg.int32), (np.bool_, tg.bool), (np.complex128, tg.complex128), (np.uint8, tg.uint8),
                   (np.float16, tg.float16)]:
        assert tg.from_numpy(np.zeros(2, npd)).dtype is d
    with pytest.raises(TypeError, match="expected np.ndarray"):
        tg.from_numpy([1, 2])
    with pytest.raises(TypeError, match="can't convert np.ndarray of type"):
        tg.from_numpy(np.array(["a"]))


def test_as_tensor_no_copy_when_possible():
    a = np.array([1.0, 2.0])
    t = tg.as_tensor(a)
    a[0] = 5.0
    assert t[0].item() == 5.0 and t.dtype is tg.float64
    c = tg.as_tensor(a, dtype=tg.float32)  # needs a cast: copy
    a[1] = 9.0
    assert c.tolist() == [5.0, 2.0]
    x = tg.ones(2)
    assert tg.as_tensor(x) is x and tg.as_tensor(x, dtype=tg.float32) is x
    assert tg.as_tensor(x, dtype=tg.float64).dtype is tg.float64
    assert tg.as_tensor([1, 2]).dtype is tg.int64
    assert tg.as_tensor([1.0, 2], dtype=tg.float64).dtype is tg.float64


def test_array_protocol():
    x = tg.tensor([[1.0, 2.0]])
    a = np.asarray(x)
    assert a.dtype == np.float32 and a.shape == (1, 2)
    assert np.asarray(x, dtype=np.float64).dtype == np.float64
    assert np.array(x).tolist() == [[1.0, 2.0]]
    assert np.asarray(x) is x.numpy()  # CPU: no copy


def test_dlpack_roundtrip_with_numpy():
    x = tg.arange(6, dtype=tg.float32).reshape(2, 3) if hasattr(tg.Tensor, "reshape") else tg.zeros(2, 3)
    a = np.from_dlpack(x)
    assert a.shape == (2, 3) and a.dtype == np.float32
    assert np.shares_memory(a, x.numpy())
    if NUMPY2:  # NumPy 1.x hands DLPack imports back read-only
        a[0, 0] = 42.0
        assert x[0, 0].item() == 42.0  # shares memory
    b = np.arange(4, dtype=np.int32)
    t = tg.from_dlpack(b)
    assert t.dtype is tg.int32 and t.tolist() == [0, 1, 2, 3]
    b[0] = 7
    assert t[0].item() == 7
    assert tg.from_dlpack(t) is t
    assert x.__dlpack_device__()[0] == 1  # kDLCPU


def test_oracle_interop_with_torch():
    torch = pytest.importorskip("torch")
    a = np.arange(5, dtype=np.float64)
    g, t = tg.from_numpy(a), torch.from_numpy(a)
    assert str(g.dtype) == str(t.dtype) and g.tolist() == t.tolist()
    # torch can consume our tensors through DLPack and the array protocol
    x = tg.tensor([[1.5, 2.5]])
    assert torch.from_dlpack(x).tolist() == [[1.5, 2.5]]
    assert torch.as_tensor(np.asarray(x)).tolist() == [[1.5, 2.5]]
    # and we consume torch's
    assert tg.from_dlpack(torch.tensor([1, 2])).tolist() == [1, 2]


@pytest.mark.skipif(not NUMPY2, reason="the copy= keyword of np.asarray is NumPy 2 API")
def test_array_copy_keyword_numpy2():
    x = tg.tensor([1.0, 2.0])
    assert np.asarray(x, copy=False) is x.numpy()
    c = np.array(x, copy=True)
    c[0] = 9.0
    assert x[0].item() == 1.0
    with pytest.raises(ValueError):
        np.asarray(x, dtype=np.float64, copy=False)


def test_tensor_from_foreign_dlpack_producer_copies():
    torch = pytest.importorskip("torch")
    src = torch.tensor([1.0, 2.0])
    t = tg.tensor(src)
    src[0] = 5.0
    assert t.tolist() == [1.0, 2.0] and t.dtype is tg.float32
