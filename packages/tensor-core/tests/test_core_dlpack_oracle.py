"""Exchanging tensors with PyTorch through DLPack, both ways, without copies."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import tensorgraft as tg  # noqa: E402
from tensorgraft.testing.oracle import assert_same_error  # noqa: E402


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int8", "uint8", "bool", "float16", "complex64"])
def test_pytorch_capsules_and_tensors_come_in_shared(dtype):
    t = torch.arange(6).reshape(2, 3).to(getattr(torch, dtype))
    ours = tg.utils.dlpack.from_dlpack(torch.utils.dlpack.to_dlpack(t))
    assert str(ours.dtype) == str(t.dtype) and ours.tolist() == t.tolist()
    shared = tg.from_dlpack(t)
    t[1, 1] = 1
    assert shared.tolist() == t.tolist()


def test_tensorgraft_tensors_go_out_shared():
    x = tg.arange(4.0)
    y = torch.from_dlpack(x)
    y[0] = 9.0
    assert x.tolist() == [9.0, 1.0, 2.0, 3.0]
    z = torch.utils.dlpack.from_dlpack(tg.utils.dlpack.to_dlpack(tg.arange(3)))
    assert z.dtype == torch.int64 and z.tolist() == [0, 1, 2]


def test_same_errors():
    def twice(lib):
        capsule = lib.utils.dlpack.to_dlpack(lib.ones(2))
        lib.utils.dlpack.from_dlpack(capsule)
        lib.utils.dlpack.from_dlpack(capsule)
    assert_same_error(twice)
    assert_same_error(lambda lib: lib.ones(2, requires_grad=True).__dlpack__())
    for lib in (tg, torch):  # the function exports a tensor that requires grad; the method does not
        assert lib.utils.dlpack.from_dlpack(lib.utils.dlpack.to_dlpack(lib.ones(2, requires_grad=True))).tolist() \
            == [1.0, 1.0]


def test_same_device_type_codes():
    assert {k: int(v) for k, v in tg.utils.dlpack.DLDeviceType.__members__.items()} == \
        {k: int(v) for k, v in torch.utils.dlpack.DLDeviceType.__members__.items()}
