"""Gaps found by the round-5 PyTorch-style programs: ``torch._foreach_*``, the multi-tensor functions
that hand-written optimizers (a Lion with a foreach step, tests/programs/optim_custom_optimizer.py)
call on lists of parameters and states."""
from __future__ import annotations

import math

import pytest

import tensorgraft as tg


def _lists():
    return [tg.tensor([1.0, -2.0]), tg.tensor([4.0, 0.5, -1.0])]


def test_foreach_binary_out_of_place_returns_a_tuple_of_new_tensors():
    xs = _lists()
    out = tg._foreach_mul(xs, 2.0)
    assert isinstance(out, tuple) and len(out) == 2
    assert out[0].tolist() == [2.0, -4.0] and out[1].tolist() == [8.0, 1.0, -2.0]
    assert xs[0].tolist() == [1.0, -2.0]  # inputs untouched
    assert [t.tolist() for t in tg._foreach_add(xs, [1, 2])] == [[2.0, -1.0], [6.0, 2.5, 1.0]]
    assert [t.tolist() for t in tg._foreach_sub(xs, xs, alpha=0.5)] == [[0.5, -1.0], [2.0, 0.25, -0.5]]
    assert [t.tolist() for t in tg._foreach_div(xs, tg.tensor(2.0))] == [[0.5, -1.0], [2.0, 0.25, -0.5]]
    assert [t.tolist() for t in tg._foreach_maximum(xs, 0.0)] == [[1.0, 0.0], [4.0, 0.5, 0.0]]
    assert [t.tolist() for t in tg._foreach_clamp_max(xs, [0.0, 1.0])] == [[0.0, -2.0], [1.0, 0.5, -1.0]]


def test_foreach_inplace_updates_each_tensor_and_returns_the_given_list():
    xs = _lists()
    first = xs[0]
    assert tg._foreach_mul_(xs, 3.0) is xs and xs[0] is first
    assert xs[0].tolist() == [3.0, -6.0]
    tg._foreach_add_(xs, [tg.ones(2), tg.ones(3)], alpha=-1)
    assert xs[1].tolist() == [11.0, 0.5, -4.0]
    ends = [tg.zeros(2), tg.zeros(3)]
    tg._foreach_lerp_(xs, ends, 0.5)
    assert xs[0].tolist() == [1.0, -3.5]
    tg._foreach_sign_(xs)
    assert xs[1].tolist() == [1.0, 1.0, -1.0]
    tg._foreach_zero_(xs)
    assert xs[1].tolist() == [0.0, 0.0, 0.0]
    tg._foreach_copy_(xs, _lists())
    assert xs[0].tolist() == [1.0, -2.0]


def test_foreach_unary_reductions_and_pointwise():
    xs = _lists()
    assert [t.tolist() for t in tg._foreach_abs(xs)] == [[1.0, 2.0], [4.0, 0.5, 1.0]]
    assert [t.tolist() for t in tg._foreach_neg(xs)] == [[-1.0, 2.0], [-4.0, -0.5, 1.0]]
    norms = tg._foreach_norm(xs)
    assert math.isclose(norms[0].item(), math.sqrt(5), rel_tol=1e-6)
    assert math.isclose(norms[1].item(), math.sqrt(17.25), rel_tol=1e-6)
    assert [n.item() for n in tg._foreach_norm(xs, 1)] == [3.0, 5.5]
    assert [n.item() for n in tg._foreach_max(xs)] == [1.0, 4.0]
    assert [n.item() for n in tg._foreach_powsum(xs, 2)] == [5.0, 17.25]
    assert [t.tolist() for t in tg._foreach_pow(4.0, xs)] == [[4.0, 0.0625], [256.0, 2.0, 0.25]]
    out = tg._foreach_addcmul(xs, xs, xs, tg.tensor([1.0, -1.0]))
    assert out[0].tolist() == [2.0, 2.0] and out[1].tolist() == [-12.0, 0.25, -2.0]
    out = tg._foreach_addcdiv(xs, xs, [tg.full((2,), 2.0), tg.full((3,), 0.5)], [2, 1])
    assert out[0].tolist() == [2.0, -4.0] and out[1].tolist() == [12.0, 1.5, -3.0]
    assert tg._foreach_sqrt([tg.tensor([4, 9])])[0].dtype == tg.float32  # ints take the float result


def test_foreach_errors_name_the_mismatch():
    xs = _lists()
    with pytest.raises(RuntimeError, match=r"^Tensor lists must have the same number of tensors, got 2 and 1$"):
        tg._foreach_add(xs, [tg.ones(2)])
    with pytest.raises(RuntimeError, match=r"^Tensor list must have at least one tensor\.$"):
        tg._foreach_mul([], 2)
    with pytest.raises(RuntimeError, match=r"^Tensor list must have same number of elements as scalar list\.$"):
        tg._foreach_mul(xs, [1, 2, 3])
    with pytest.raises(RuntimeError, match=r"^scalar tensor expected to be 0 dim but it has 1 dimensions and 2 "):
        tg._foreach_mul(xs, tg.tensor([2.0, 3.0]))
    with pytest.raises(TypeError, match=r"^expected Tensor as element 1 in argument 1, but got int$"):
        tg._foreach_mul(xs, [tg.ones(2), 2])
    with pytest.raises(TypeError, match=r"^_foreach_sqrt\(\): argument 'self' \(position 1\) must be tuple of "
                                        r"Tensors, not Tensor$"):
        tg._foreach_sqrt(tg.ones(2))
    with pytest.raises(TypeError, match=r"^_foreach_add\(\) received an invalid combination of arguments - got "
                                        r"\(Tensor, int\)"):
        tg._foreach_add(tg.ones(2), 1)
    with pytest.raises(RuntimeError, match="max over zero elements is undefined"):
        tg._foreach_max([tg.ones(0)])
    with pytest.raises(AttributeError, match="no attribute '_foreach_nothing'"):
        tg._foreach_nothing  # noqa: B018


def test_foreach_inplace_integer_refuses_a_float_result():
    ints = [tg.tensor([1, 2])]
    assert tg._foreach_mul(ints, 0.5)[0].tolist() == [0.5, 1.0]
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        tg._foreach_mul_(ints, 0.5)
    assert ints[0].tolist() == [1, 2]
