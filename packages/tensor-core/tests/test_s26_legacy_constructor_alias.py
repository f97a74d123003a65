"""``torch.Tensor(t)``, ``MyTensor(t)`` and ``torch.FloatTensor(t)`` alias ``t`` as in PyTorch 2.13:
same memory, dtype and version counter, an AliasBackward0 node where ``t`` is in a graph, no copy
warning; a typed constructor given another dtype raises PyTorch's TypeError. (Values below are what
PyTorch 2.13 prints for the same calls.)"""
from __future__ import annotations

import warnings

import pytest

import tensorgraft as tg

_FLOAT_FROM_LONG = (
    "expected TensorOptions(dtype=float, device=cpu, layout=Strided, requires_grad=false (default), "
    "pinned_memory=false (default), memory_format=(nullopt)) (got TensorOptions(dtype=long int, device=cpu, "
    "layout=Strided, requires_grad=false (default), pinned_memory=false (default), memory_format=(nullopt)))")


def test_tensor_of_a_tensor_shares_memory_and_keeps_its_dtype():
    x = tg.arange(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # PyTorch does not warn here (it copies nothing)
        y = tg.Tensor(x)
    assert y.dtype is tg.int64
    y.add_(1)
    assert x.tolist() == [1, 2, 3]
    assert x._version == y._version == 1
    assert y._is_view()


def test_subclass_constructor_aliases_too():
    class MyTensor(tg.Tensor):
        pass
    x = tg.arange(3.0)
    m = MyTensor(x)
    assert type(m) is MyTensor and m.dtype is tg.float32
    m[0] = 7.0
    assert x[0].item() == 7.0
    assert MyTensor([1, 2]).dtype is tg.float32 and MyTensor(2, 3).shape == (2, 3)


def test_alias_records_an_alias_node_and_gradients_flow():
    pytest.importorskip("tensorgraft.autograd")
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    b = tg.Tensor(a)
    assert type(b.grad_fn).__name__ == "AliasBackward0" and b._base is a
    (b * 3).sum().backward()
    assert a.grad.tolist() == [3.0, 3.0]
    with tg.no_grad():
        c = tg.Tensor(a)
    assert c.requires_grad and c.grad_fn is None  # PyTorch: True, None


@pytest.mark.parametrize("make, message", [
    (lambda: tg.FloatTensor(tg.arange(3)), _FLOAT_FROM_LONG),
    (lambda: tg.randn(2).new(tg.arange(3)), _FLOAT_FROM_LONG),
    (lambda: tg.ByteTensor(tg.tensor([1], dtype=tg.int32)),
     _FLOAT_FROM_LONG.replace("dtype=float", "dtype=unsigned char").replace("dtype=long int", "dtype=int")),
    (lambda: tg.HalfTensor(tg.arange(2)), _FLOAT_FROM_LONG.replace("dtype=float", "dtype=c10::Half")),
])
def test_typed_constructor_refuses_another_dtype(make, message):
    with pytest.raises(TypeError) as info:
        make()
    assert str(info.value) == message


def test_typed_constructor_of_its_own_dtype_aliases():
    x = tg.arange(3.0)
    y = tg.FloatTensor(x)
    y[1] = -1.0
    assert x.tolist() == [0.0, -1.0, 2.0]
