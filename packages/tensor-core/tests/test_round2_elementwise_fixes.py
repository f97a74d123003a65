"""PyTorch's behaviour, pinned without PyTorch: subtraction with one bool operand, isclose's shape
error, polygamma's integer order, relu on complex input, round's node with ``decimals``, trace of
a bool matrix, index_add's argument order, the legacy scatter_reduce names' backward, the leaf
check of in-place ops before their argument checks and softmax's last-dim normalisation."""
from __future__ import annotations

import numpy as np
import pytest

import tensorgraft as tg

_ONE_BOOL = ("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a "
             "mask, use the `~` or `logical_not()` operator instead.")
_LEAF = "a leaf Variable that requires grad is being used in an in-place operation."


def _needs_autograd():
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")


@pytest.mark.parametrize("call", [
    lambda: 1 - tg.tensor([True, False]),
    lambda: tg.tensor([True, False]) - tg.tensor([1.0, 2.0]),
    lambda: tg.tensor([1.0, 2.0]) - tg.tensor([True, False]),
    lambda: tg.tensor([1.0, 2.0]) - True,
    lambda: True - tg.tensor([1, 2]),
    lambda: tg.sub(tg.tensor([1.0]), tg.tensor([True])),
    lambda: tg.rsub(tg.tensor([True]), 1),
    lambda: tg.tensor([1.0, 2.0]).sub_(tg.tensor([True, False])),
])
def test_subtraction_with_one_bool_operand_raises(call):
    with pytest.raises(RuntimeError) as info:
        call()
    assert str(info.value) == _ONE_BOOL


def test_subtraction_of_two_bools_keeps_its_message():
    with pytest.raises(RuntimeError, match="with two bool tensors is not supported"):
        tg.tensor([True]) - tg.tensor([False])
    assert (tg.tensor([3, 4]) - 1).tolist() == [2, 3]


def test_isclose_shape_mismatch_is_pytorchs_runtime_error():
    msg = r"^The size of tensor a \(4\) must match the size of tensor b \(3\) at non-singleton dimension 1$"
    with pytest.raises(RuntimeError, match=msg):
        tg.allclose(tg.ones(4, 4), tg.ones(3, 3))
    with pytest.raises(RuntimeError, match=msg):
        tg.isclose(tg.ones(4, 4), tg.ones(3, 3))


def test_polygamma_order_must_be_an_int():
    x = tg.tensor([1.0, 2.0])
    with pytest.raises(TypeError, match=r"^polygamma\(\): argument 'n' \(position 1\) must be int, not float$"):
        tg.polygamma(1.5, x)
    with pytest.raises(TypeError, match=r"must be int, not bool$"):
        x.polygamma(True)
    with pytest.raises(TypeError, match=r"must be int, not Tensor$"):
        tg.polygamma(tg.tensor(1.0), x)


def test_relu_of_complex_is_refused_as_clamp():
    with pytest.raises(NotImplementedError, match="^clamp is not supported for complex types$"):
        tg.relu(tg.tensor([1 + 1j]))


def test_round_with_decimals_records_round_backward1():
    _needs_autograd()
    x = tg.tensor([1.23456], requires_grad=True)
    assert type(x.round(decimals=3).grad_fn).__name__ == "RoundBackward1"
    assert type(x.round(decimals=0).grad_fn).__name__ == "RoundBackward1"
    assert type(x.round().grad_fn).__name__ == "RoundBackward0"
    assert x.round(decimals=3).tolist() == pytest.approx([1.235])


def test_trace_of_bool_matrix_is_not_implemented():
    with pytest.raises(NotImplementedError, match="^\"trace\" not implemented for 'Bool'$"):
        tg.tensor([[True, False], [False, True]]).trace()
    assert tg.tensor([[1, 2], [3, 4]]).trace().item() == 5


def test_index_add_checks_the_index_first():
    with pytest.raises(TypeError, match=r"argument 'index' \(position 3\) must be Tensor, not list"):
        tg.index_add(tg.zeros(3, 2), 0, [0], [1.0])


def test_scatter_reduce_legacy_names_refuse_backward():
    _needs_autograd()
    src = tg.tensor([3.0, 1.0, 2.0], requires_grad=True)
    out = tg.zeros(3).scatter_reduce(0, tg.tensor([0, 1, 0]), src, reduce="max", include_self=False)
    assert out.tolist() == [3.0, 1.0, 0.0]
    with pytest.raises(RuntimeError, match=r"^Expected 'reduce' to be one of 'sum', 'prod', 'mean', 'amax', "
                                           r"'amin' but got max\.$"):
        out.sum().backward()


@pytest.mark.parametrize("call", [
    lambda w: w.copy_(tg.ones(3)),
    lambda w: w.fill_(tg.ones(3)),
    lambda w: w.masked_fill_(tg.ones(3, dtype=tg.bool), 1.0),
    lambda w: w.masked_scatter_(tg.ones(3, dtype=tg.bool), tg.ones(9)),
])
def test_leaf_check_before_argument_checks(call):
    _needs_autograd()
    w = tg.ones(2, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match=f"^{_LEAF}$"):
        call(w)
    assert w.tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_softmax_last_dim_scales_by_the_reciprocal():
    rng = np.random.default_rng(3)
    data = rng.standard_normal((64, 4)) * 3
    e = np.exp(data - data.max(axis=1, keepdims=True))
    s = e.sum(axis=1, keepdims=True)
    want, other = e * (1 / s), e / s
    assert (want != other).any()
    np.testing.assert_array_equal(tg.tensor(data).softmax(1).numpy(), want)
    e0 = np.exp(data - data.max(axis=0, keepdims=True))
    np.testing.assert_array_equal(tg.tensor(data).softmax(0).numpy(), e0 / e0.sum(axis=0, keepdims=True))
    try:
        import tensorgraft.nn.functional as NF
    except ImportError:
        return
    np.testing.assert_array_equal(NF.softmax(tg.tensor(data), 1).numpy(), want)


def test_softmax_of_0d_and_empty_inputs():
    assert tg.softmax(tg.tensor(2.0), 0).item() == 1.0
    assert tg.tensor(2.0).log_softmax(-1).item() == 0.0
    assert tg.softmax(tg.tensor([1.0, 2.0], dtype=tg.float16), 0).dtype == tg.float16
    try:
        import tensorgraft.nn.functional as NF
    except ImportError:
        return
    assert NF.softmax(tg.tensor(2.0), 0).item() == 1.0
    assert tuple(NF.softmax(tg.zeros(0, 3), 1).shape) == (0, 3)
