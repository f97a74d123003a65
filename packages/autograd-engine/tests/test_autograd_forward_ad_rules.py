"""The forward formulas of forward_ad/_rules.py against the general path (the tangent derived from
the reverse-mode formulas), call by call: the same tangent values, dtype and shape, the same
differentiability, and the rule actually taken (or declined) where expected."""
from __future__ import annotations

import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.autograd.forward_ad as fwAD
from tensorgraft.autograd.forward_ad import _rules

RNG = np.random.default_rng(0)
X = RNG.uniform(0.2, 1.5, (3, 4))
Y = RNG.uniform(0.2, 1.5, (3, 4))
ROW = RNG.uniform(0.2, 1.5, (4,))
TX = RNG.standard_normal((3, 4))
TY = RNG.standard_normal((3, 4))
TROW = RNG.standard_normal((4,))

# name -> call on (x, y, row) duals and constants (the call's __name__ must be the rule's key)
CASES = {
    **{name: (lambda n: lambda x, y, row: getattr(tg, n)(x))(name)
       for name in ("sin", "cos", "tan", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt",
                    "tanh", "sigmoid", "sinh", "cosh", "atan", "reciprocal", "square", "relu", "erf", "neg")},
    "negative_operator": lambda x, y, row: -x,
    "sum": lambda x, y, row: x.sum(),
    "sum_dim": lambda x, y, row: x.sum(dim=1, keepdim=True),
    "mean_dim": lambda x, y, row: tg.mean(x, 0),
    "add": lambda x, y, row: x + y,
    "add_alpha": lambda x, y, row: tg.add(x, y, alpha=-2.5),
    "add_number": lambda x, y, row: 3 + x,
    "add_broadcast": lambda x, y, row: row + x,
    "add_broadcast_dual_row_only": lambda x, y, row: row + tg.tensor(Y),
    "sub": lambda x, y, row: x - y,
    "sub_constant_first": lambda x, y, row: tg.sub(tg.tensor(Y), x, alpha=2),
    "mul": lambda x, y, row: x * y,
    "mul_number": lambda x, y, row: 2 * x,
    "mul_constant": lambda x, y, row: x * tg.tensor(Y),
    "div": lambda x, y, row: x / y,
    "div_constant_numerator": lambda x, y, row: tg.tensor(Y) / x,
    "div_number": lambda x, y, row: x / 4,
    "pow": lambda x, y, row: x ** 3,
    "pow_fraction": lambda x, y, row: x.pow(-0.5),
    "pow_zero": lambda x, y, row: x ** 0,
    "matmul": lambda x, y, row: x @ y.T,
    "matmul_vector": lambda x, y, row: x @ row,
    "mm": lambda x, y, row: tg.mm(x, y.T),
    "linear": lambda x, y, row: tg.nn.functional.linear(x, y, row[:3]),
    "linear_constant_weight": lambda x, y, row: tg.nn.functional.linear(x, tg.tensor(Y)),
    "linear_dual_weight_only": lambda x, y, row: tg.nn.functional.linear(tg.tensor(X), y, bias=row[:3]),
}


def _tangent(case, rules_on, dtype=tg.float64, tangent_dtype=None, requires_grad=False, grad_enabled=True):
    if case in (CASES["linear"], CASES["linear_constant_weight"], CASES["linear_dual_weight_only"]):
        pytest.importorskip("tensorgraft.nn", reason="F.linear needs tensorgraft-nn")
    tangent_dtype = tangent_dtype or dtype
    saved = dict(_rules.RULES)
    if not rules_on:
        _rules.RULES.clear()
    try:
        with fwAD.dual_level(), tg.set_grad_enabled(grad_enabled):
            primals = [tg.tensor(a, dtype=dtype, requires_grad=requires_grad) for a in (X, Y, ROW)]
            tangents = [tg.tensor(a, dtype=tangent_dtype) for a in (TX, TY, TROW)]
            duals = [fwAD.make_dual(p, t) for p, t in zip(primals, tangents)]
            out = case(*duals)
            t = fwAD.unpack_dual(out).tangent
            grads = None
            if requires_grad and grad_enabled and t.requires_grad:
                grads = tg.autograd.grad(t.sum(), primals, allow_unused=True)
            return t, grads
    finally:
        _rules.RULES.clear()
        _rules.RULES.update(saved)


@pytest.mark.parametrize("name", sorted(CASES))
def test_rule_gives_the_general_paths_tangent(name):
    fast, _ = _tangent(CASES[name], True)
    slow, _ = _tangent(CASES[name], False)
    assert fast.dtype is slow.dtype and fast.shape == slow.shape
    np.testing.assert_allclose(fast.numpy(), slow.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(CASES))
def test_rule_tangent_is_differentiable_like_the_general_path(name):
    fast, fast_grads = _tangent(CASES[name], True, requires_grad=True)
    slow, slow_grads = _tangent(CASES[name], False, requires_grad=True)
    np.testing.assert_allclose(fast.detach().numpy(), slow.detach().numpy(), rtol=1e-12, atol=1e-12)
    if slow_grads is None or not any(s is not None and s.abs().sum().item() for s in slow_grads):
        return  # (a tangent that does not depend on the primals: a linear op, relu's mask)
    assert fast_grads is not None, name
    for f, s in zip(fast_grads, slow_grads):
        if s is None or not s.abs().sum().item():
            continue
        np.testing.assert_allclose(f.numpy(), s.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["sin", "mul", "matmul", "add_broadcast", "div"])
def test_float32_primal_with_a_float64_tangent(name):
    fast, _ = _tangent(CASES[name], True, dtype=tg.float32, tangent_dtype=tg.float64)
    slow, _ = _tangent(CASES[name], False, dtype=tg.float32, tangent_dtype=tg.float64)
    assert fast.dtype is slow.dtype is tg.float32
    np.testing.assert_allclose(fast.numpy(), slow.numpy(), rtol=1e-5)


def test_no_grad_gives_a_plain_tangent():
    t, _ = _tangent(CASES["mul"], True, requires_grad=True, grad_enabled=False)
    assert not t.requires_grad


def test_rules_are_taken_and_declined(monkeypatch):
    taken = []
    original = _rules.tangent_by_rule

    def spy(func, name, *rest):
        out = original(func, name, *rest)
        taken.append((name, out is not None))
        return out

    from tensorgraft.autograd.forward_ad import _propagation
    monkeypatch.setattr(_propagation, "tangent_by_rule", spy)
    with fwAD.dual_level():
        x = fwAD.make_dual(tg.tensor(X), tg.tensor(TX))
        x.sin()
        tg.div(x, 2.0, rounding_mode="floor")  # (declined: no rule for a rounding mode)
        x ** tg.tensor(2.0)  # (declined: a tensor exponent)
        z = fwAD.make_dual(tg.tensor(X, dtype=tg.complex128), tg.tensor(TX, dtype=tg.complex128))
        z * z  # (declined: complex values take the general path)
    assert taken == [("sin", True), ("div", False), ("pow", False), ("mul", False)]
