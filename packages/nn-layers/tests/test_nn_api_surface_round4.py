"""nn's small API gaps (session 23): ``nn.common_types``' aliases, and ``F.native_channel_shuffle``,
``F.conv_tbc`` and ``F.grad`` (the ``nn.grad`` module), which PyTorch's ``torch.nn.functional``
also names. Expected values are PyTorch 2.13's (CPU)."""
import typing

import pytest

import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.nn import common_types


def test_common_types_aliases():
    assert typing.get_args(common_types._size_1_t) == (int, tuple[int])
    assert typing.get_args(common_types._size_2_t) == (int, tuple[int, int])
    assert typing.get_args(common_types._size_3_t) == (int, tuple[int, int, int])
    assert typing.get_args(common_types._size_6_t) == (int, tuple[int, int, int, int, int, int])
    assert typing.get_args(common_types._size_any_t) == (int, tuple[int, ...])
    assert typing.get_args(common_types._size_2_opt_t) == (int, type(None), tuple[typing.Optional[int],
                                                                                  typing.Optional[int]])
    assert typing.get_args(common_types._ratio_2_t) == (float, tuple[float, float])
    assert typing.get_args(common_types._ratio_any_t) == (float, tuple[float, ...])
    assert typing.get_args(common_types._tensor_list_t) == (torch.Tensor, tuple[torch.Tensor, ...])
    assert typing.get_args(common_types._maybe_indices_t) == (torch.Tensor, tuple[torch.Tensor, torch.Tensor])
    assert typing.get_args(common_types._scalar_or_tuple_2_t[str]) == (str, tuple[str, str])


def _plain(fn):
    """The function under ``__torch_function__``'s wrapper (a Tensor subclass defined by an earlier
    test turns dispatch on, which wraps F's and the top level's names separately)."""
    return getattr(fn, "__wrapped__", fn)


def test_functional_names_the_kernels_pytorch_f_names():
    assert _plain(F.native_channel_shuffle) is _plain(torch.native_channel_shuffle)
    assert _plain(F.conv_tbc) is _plain(torch.conv_tbc)
    assert F.grad is nn.grad
    assert "grad" not in F.__all__  # (PyTorch's F imports it without listing it)


def test_native_channel_shuffle_and_conv_tbc_values():
    x = torch.arange(8.).reshape(1, 4, 2)
    assert F.native_channel_shuffle(x, 2).tolist() == [[[0., 1.], [4., 5.], [2., 3.], [6., 7.]]]
    with pytest.raises(RuntimeError, match="^Number of channels must be divisible by groups. Got 4 channels and 3 "
                       "groups.$"):
        F.native_channel_shuffle(x, 3)
    inp, w, b = torch.arange(6.).reshape(3, 1, 2), torch.arange(4.).reshape(2, 2, 1), torch.tensor([0.5])
    assert F.conv_tbc(inp, w, b, 1).tolist() == [[[3.5]], [[14.5]], [[26.5]], [[5.5]]]


def test_f_grad_computes_convolution_gradients():
    g = F.grad.conv1d_input((1, 1, 3), torch.ones(1, 1, 2), torch.ones(1, 1, 2))
    assert g.tolist() == [[[1., 2., 1.]]]
