"""tensorgraft.utils.dlpack and tensorgraft.from_dlpack: capsules, the __dlpack__ protocol, sharing."""
from __future__ import annotations

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.utils import dlpack


def test_capsule_round_trip_shares_memory():
    x = tg.arange(6.0).reshape(2, 3)
    capsule = dlpack.to_dlpack(x)
    assert type(capsule).__name__ == "PyCapsule"
    y = dlpack.from_dlpack(capsule)
    assert y.dtype is tg.float32 and tuple(y.shape) == (2, 3)
    np.testing.assert_array_equal(y.numpy(), x.numpy())
    x[0, 0] = 42.0  # same memory
    assert y[0, 0].item() == 42.0


def test_a_capsule_is_consumed_once():
    capsule = dlpack.to_dlpack(tg.ones(2))
    tg.from_dlpack(capsule)
    with pytest.raises(RuntimeError, match="^from_dlpack received an invalid capsule. Note that DLTensor capsules "
                                           "can be consumed only once"):
        dlpack.from_dlpack(capsule)


def test_versioned_capsules():
    a = np.arange(5, dtype=np.int16)
    try:
        capsule = a.__dlpack__(max_version=(1, 0))  # DLPack 1.0's "dltensor_versioned" capsule
    except TypeError:
        pytest.skip(f"NumPy {np.__version__} exports only the pre-1.0 capsule")
    t = tg.from_dlpack(capsule)
    assert t.dtype is tg.int16 and t.tolist() == [0, 1, 2, 3, 4]
    t[1] = 9
    assert a[1] == 9


def test_protocol_objects():
    b = np.arange(3.0)
    u = tg.from_dlpack(b)  # an object with __dlpack__
    b[2] = -1.0
    assert u.tolist() == [0.0, 1.0, -1.0]
    assert tg.from_dlpack(u) is u


def test_to_dlpack_refusals():
    if tg.Tensor._autograd is not None:
        t = tg.ones(2, requires_grad=True)
        with pytest.raises(BufferError, match="^Can't export tensors that require gradient, use tensor.detach\\(\\)$"):
            t.__dlpack__()
        with pytest.raises(BufferError, match="require gradient"):
            np.from_dlpack(t)
        assert dlpack.from_dlpack(dlpack.to_dlpack(t)).tolist() == [1.0, 1.0]  # the function exports it
    with pytest.raises(TypeError, match=r"^_to_dlpack\(\): argument 'data' \(position 1\) must be Tensor, not numpy\.ndarray$"):
        dlpack.to_dlpack(np.ones(2))


def test_device_types_and_the_module_attribute():
    assert dlpack.DLDeviceType.kDLCPU == 1 and dlpack.DLDeviceType.kDLCUDA == 2
    assert dlpack.DLDeviceType.kDLMAIA == 17 and len(dlpack.DLDeviceType) == 15
    assert tg.utils.dlpack is dlpack
    assert tg.ones(2).__dlpack_device__() == (dlpack.DLDeviceType.kDLCPU, 0)


def test_tensor_from_an_unversioned_capsule_is_writeable_and_shares_memory():
    # PyTorch's from_dlpack docstring writes through a tensor made from a to_dlpack capsule; NumPy
    # alone would import that ("dltensor", unversioned) capsule read-only
    t = tg.arange(4)
    t3 = tg.from_dlpack(tg.utils.dlpack.to_dlpack(t))
    t3[0] = -9
    assert t.tolist() == [-9, 1, 2, 3]
    a = np.arange(3.0)
    t4 = tg.from_dlpack(a.__dlpack__())
    del a  # the tensor keeps the memory alive
    t4[1] = 7.0
    assert t4.tolist() == [0.0, 7.0, 2.0]
