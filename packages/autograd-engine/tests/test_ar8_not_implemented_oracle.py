"""Ops PyTorch has no derivative for record its C++ ``NotImplemented`` node (``2 % x``, ``x // 2``,
``x // y``): edges for the tensor operands only, nothing saved, and a backward through it raises
PyTorch's "derivative for aten::<op> is not implemented"; the differentiable overloads of
remainder/fmod keep their nodes."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from tensorgraft.testing.oracle import (  # noqa: E402
    assert_same_error, assert_values_close, grad_fn_name, run_in_both,
)

RNG = np.random.default_rng(9)
A = RNG.uniform(0.5, 3.0, 4)
B = RNG.uniform(0.5, 2.0, 4) * np.array([1, -1, 1, -1])

CASES = [
    lambda m, x, y: 2 % x,
    lambda m, x, y: x // 2,
    lambda m, x, y: 2 // x,
    lambda m, x, y: x // y,
    lambda m, x, y: m.floor_divide(x, y),
    lambda m, x, y: m.floor_divide(x, 1.5),
    lambda m, x, y: m.remainder(2, x),
    lambda m, x, y: m.remainder(2.5, x),
    lambda m, x, y: x.clone().floor_divide_(2),
    lambda m, x, y: x.floor_divide(y.detach()),
]


def _graph(m, make):
    x = m.tensor(A, requires_grad=True)
    y = m.tensor(B, requires_grad=True)
    out = make(m, x, y)
    fn = out.grad_fn
    edges = [None if f is None else type(f).__name__ for f, _ in fn.next_functions]
    saved = [n for n in dir(fn) if n.startswith(("_saved_", "_raw_saved_"))]
    return grad_fn_name(out), fn.name(), edges, saved, repr(out).split("grad_fn=")[1], out.detach()


@pytest.mark.parametrize("make", CASES)
def test_not_implemented_node(make):
    ours, theirs = run_in_both(lambda m: _graph(m, make))
    assert ours[:5] == theirs[:5]
    assert_values_close(ours[5], theirs[5])


@pytest.mark.parametrize("make", CASES[:8])
def test_backward_through_it_raises(make):
    def case(m):
        x = m.tensor(A, requires_grad=True)
        y = m.tensor(B, requires_grad=True)
        (make(m, x, y) * x).sum().backward()
    assert_same_error(case)


@pytest.mark.parametrize("make", [
    lambda m, x, y: x % y,
    lambda m, x, y: x % 2,
    lambda m, x, y: x.fmod(y),
    lambda m, x, y: x.fmod(2),
    lambda m, x, y: m.remainder(x, y),
    lambda m, x, y: m.div(x, y, rounding_mode="floor"),
])
def test_differentiable_overloads_keep_their_nodes(make):
    def case(m):
        x = m.tensor(A, requires_grad=True)
        y = m.tensor(B, requires_grad=True)
        out = make(m, x, y)
        names = _graph(m, make)[:4]
        out.sum().backward()
        return names, x.grad, y.grad
    ours, theirs = run_in_both(case)
    assert ours[0] == theirs[0]
    for o, t in zip(ours[1:], theirs[1:]):
        if t is None:
            assert o is None
        else:
            assert_values_close(o, t)
