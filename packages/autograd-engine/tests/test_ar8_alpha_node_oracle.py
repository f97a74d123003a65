"""``add``/``sub`` with ``alpha=``: PyTorch records one node (AddBackward0/SubBackward0) keeping
``_saved_alpha``, with an edge per operand, rather than a MulBackward0 for ``other * alpha`` under
it; values, gradients (double backward too) and alpha's dtype rules as PyTorch's."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from tensorgraft.testing.oracle import (  # noqa: E402
    assert_same_error, assert_values_close, grad_fn_name, run_in_both,
)

RNG = np.random.default_rng(8)
A = RNG.standard_normal(4)
B = RNG.standard_normal(4)


def _edges(fn):
    return [None if f is None else type(f).__name__ for f, _ in fn.next_functions]


@pytest.mark.parametrize("make", [
    lambda m, x, y: x.sub(y, alpha=2),
    lambda m, x, y: m.add(x, y, alpha=3),
    lambda m, x, y: m.sub(x, y, alpha=0.5),
    lambda m, x, y: m.subtract(x, y, alpha=2),
    lambda m, x, y: m.add(x, 2, alpha=3),
    lambda m, x, y: m.sub(x, 2.5, alpha=-1),
    lambda m, x, y: m.add(2, x, alpha=2),
    lambda m, x, y: m.sub(2, x, alpha=2),
    lambda m, x, y: x.clone().add_(y, alpha=2),
    lambda m, x, y: x.clone().sub_(y, alpha=2),
    lambda m, x, y: x + y,
    lambda m, x, y: x.add(y, alpha=1),
])
def test_one_node_with_saved_alpha(make):
    def case(m):
        x = m.tensor(A, requires_grad=True)
        y = m.tensor(B, requires_grad=True)
        out = make(m, x, y)
        fn = out.grad_fn
        saved = [n for n in dir(fn) if n.startswith(("_saved_", "_raw_saved_"))]
        out.backward(m.arange(1.0, 5.0, dtype=m.float64))
        return (grad_fn_name(out), _edges(fn), fn._saved_alpha, saved, out.detach(),
                x.grad, None if y.grad is None else y.grad)
    ours, theirs = run_in_both(case)
    assert ours[:4] == theirs[:4]
    for o, t in zip(ours[4:], theirs[4:]):
        if t is None:
            assert o is None
        else:
            assert_values_close(o, t)


@pytest.mark.parametrize("op", ["add", "sub"])
def test_double_backward_through_alpha(op):
    def case(m):
        x = m.tensor(A, requires_grad=True)
        y = m.tensor(B, requires_grad=True)
        out = getattr(m, op)(x * x, y * x, alpha=3)
        gx, gy = m.autograd.grad(out.sum(), (x, y), create_graph=True)
        names = (grad_fn_name(gx), grad_fn_name(gy))
        ggx, = m.autograd.grad((gx * gy).sum(), x)
        return names, gx.detach(), gy.detach(), ggx
    ours, theirs = run_in_both(case)
    assert ours[0] == theirs[0]
    for o, t in zip(ours[1:], theirs[1:]):
        assert_values_close(o, t)


@pytest.mark.parametrize("dtype,alpha", [("int64", 2), ("float32", 2), ("float32", 0.5), ("float64", 3),
                                         ("float32", True)])
def test_alpha_dtype_rules_unchanged(dtype, alpha):
    def case(m):
        dt = getattr(m, dtype)
        x = m.tensor([1, 2, 3], dtype=dt, requires_grad=dt.is_floating_point)
        y = m.tensor([4, 5, 6], dtype=dt)
        return m.add(x, y, alpha=alpha)
    ours, theirs = run_in_both(lambda m: _outcome(lambda: case(m)))
    if isinstance(theirs, tuple):
        assert ours == theirs
    else:
        assert_values_close(ours, theirs)
        assert grad_fn_name(ours) == grad_fn_name(theirs)


def _outcome(call):
    try:
        return call()
    except Exception as e:  # noqa: BLE001 - the outcome is compared
        return type(e).__name__, str(e)


def test_float_alpha_with_integer_tensors_is_refused():
    assert_same_error(lambda m: m.add(m.tensor([1, 2]), m.tensor([3, 4]), alpha=0.5))


def test_bool_tensor_sub_with_alpha_is_refused():
    assert_same_error(lambda m: m.sub(m.tensor([1.0, 2.0], requires_grad=True), m.tensor([True, False]), alpha=2))
