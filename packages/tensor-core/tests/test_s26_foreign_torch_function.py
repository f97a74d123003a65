"""A tensorgraft tensor handed to a function of PyTorch itself (a program mixing the two libraries by
mistake) gets PyTorch's TypeError naming the function, not an endless recursion: tensorgraft's
``__torch_function__`` declines functions that belong to PyTorch."""
from __future__ import annotations

import types

import pytest

import tensorgraft as tg
from tensorgraft.overrides._dispatch import _is_pytorch_function, default_torch_function


def _fake_pytorch_function(module):
    fn = types.FunctionType((lambda *a: 1 / 0).__code__, {})  # would fail loudly if it were run
    fn.__module__ = module
    return fn


@pytest.mark.parametrize("module", ["torch", "torch.nn.functional", "torch._C._nn", "torch.functional"])
def test_pytorch_functions_are_declined(module):
    func = _fake_pytorch_function(module)
    assert _is_pytorch_function(func)
    assert default_torch_function(tg.Tensor, func, (tg.Tensor,), (tg.ones(2),)) is NotImplemented


def test_tensorgraft_functions_still_run():
    assert not _is_pytorch_function(tg.add)
    out = default_torch_function(tg.Tensor, tg.add, (tg.Tensor,), (tg.ones(2), tg.ones(2)))
    assert out.tolist() == [2.0, 2.0]


def test_real_pytorch_raises_its_type_error():
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match="no implementation found for 'torch.nn.functional.relu'"):
        torch.nn.functional.relu(tg.randn(3))
