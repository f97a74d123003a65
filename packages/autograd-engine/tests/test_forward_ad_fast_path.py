"""The shortcuts forward AD takes for plain Tensors (forward_ad/_ops.py's PLAIN ops, the per-function
handling cache of _propagation.py, make_dual/unpack_dual running with the mode off) give bit for bit
what the dispatching path gives, and step aside where something can override a call (a Tensor
subclass, a mode a program entered)."""
from __future__ import annotations

import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.autograd.forward_ad as fwAD
from tensorgraft.autograd.forward_ad import _ops, _propagation, _rules
from tensorgraft.overrides import TorchFunctionMode

RNG = np.random.default_rng(1)
X = RNG.uniform(0.2, 1.5, (3, 4))
Y = RNG.uniform(0.2, 1.5, (3, 4))
ROW = RNG.uniform(0.2, 1.5, (4,))
TX = RNG.standard_normal((3, 4))
TY = RNG.standard_normal((3, 4))
TROW = RNG.standard_normal((4,))

_UNARY = ("sin", "cos", "tan", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "tanh",
          "sigmoid", "sinh", "cosh", "atan", "reciprocal", "square", "relu", "erf", "neg")
CASES = {
    **{name: (lambda n: lambda x, y, row: getattr(tg, n)(x))(name) for name in _UNARY},
    "relu_at_zero": lambda x, y, row: tg.relu(x - x),
    "negative_operator": lambda x, y, row: -x,
    "sum_dim": lambda x, y, row: x.sum(dim=1, keepdim=True),
    "mean": lambda x, y, row: x.mean(),
    "add_alpha": lambda x, y, row: tg.add(x, y, alpha=-2.5),
    "radd_number": lambda x, y, row: 3 + x,
    "add_broadcast": lambda x, y, row: row + x,
    "sub": lambda x, y, row: x - y,
    "mul": lambda x, y, row: x * y,
    "rmul_number": lambda x, y, row: 2 * x,
    "mul_self": lambda x, y, row: x * x,
    "div": lambda x, y, row: x / y,
    "div_constant_numerator": lambda x, y, row: tg.tensor(Y) / x,
    "pow_square": lambda x, y, row: x ** 2,
    "pow_square_float": lambda x, y, row: x.pow(2.0),
    "pow_cube": lambda x, y, row: x ** 3,
    "pow_fraction": lambda x, y, row: x.pow(-0.5),
    "pow_zero": lambda x, y, row: x ** 0,
    "matmul": lambda x, y, row: x @ y.T,
    "linear": lambda x, y, row: tg.nn.functional.linear(x, y, row[:3]),
    "chain": lambda x, y, row: ((x.sin() * x).exp() + x ** 2).sum(),
}


def _tangent(case, ops=None, requires_grad=False):
    if case is CASES["linear"]:
        pytest.importorskip("tensorgraft.nn", reason="F.linear needs tensorgraft-nn")
    saved = _rules.PLAIN
    if ops is not None:
        _rules.PLAIN = ops
    try:
        with fwAD.dual_level():
            primals = [tg.tensor(a, requires_grad=requires_grad) for a in (X, Y, ROW)]
            duals = [fwAD.make_dual(p, tg.tensor(t)) for p, t in zip(primals, (TX, TY, TROW))]
            return fwAD.unpack_dual(case(*duals)).tangent
    finally:
        _rules.PLAIN = saved


def _bits(t):
    return t.detach().numpy().view(np.int64)


@pytest.mark.parametrize("name", sorted(CASES))
def test_plain_ops_give_the_dispatching_ops_tangent_bit_for_bit(name):
    fast = _tangent(CASES[name])
    slow = _tangent(CASES[name], ops=_ops.DISPATCHING)
    assert fast.dtype is slow.dtype and fast.shape == slow.shape
    np.testing.assert_array_equal(_bits(fast), _bits(slow))  # (signed zeros too)


@pytest.mark.parametrize("name", ["sin", "mul", "div", "pow_cube", "matmul", "chain"])
def test_plain_ops_keep_the_tangent_differentiable(name):
    fast = _tangent(CASES[name], requires_grad=True)
    slow = _tangent(CASES[name], ops=_ops.DISPATCHING, requires_grad=True)
    assert fast.requires_grad and slow.requires_grad
    assert type(fast.grad_fn).__name__ == type(slow.grad_fn).__name__


def test_plain_ops_are_taken_for_plain_tensors_only(monkeypatch):
    seen = []
    original = _rules.tangent_by_rule

    def spy(func, name, args, kwargs, out, duals, run=None):
        seen.append(run is not None and run is not func)
        return original(func, name, args, kwargs, out, duals, run)

    class Sub(tg.Tensor):
        pass

    monkeypatch.setattr(_propagation, "tangent_by_rule", spy)
    with fwAD.dual_level():
        fwAD.make_dual(tg.tensor(X), tg.tensor(TX)).sin()
        fwAD.make_dual(tg.tensor(X).as_subclass(Sub), tg.tensor(TX)).sin()
    assert seen == [True, False]


def test_pow_square_shortcut_is_the_general_formula():
    # x ** 2's tangent is written t * (x * 2); the general formula is t * (2 * x.pow(1))
    with fwAD.dual_level():
        got = fwAD.unpack_dual(fwAD.make_dual(tg.tensor(X), tg.tensor(TX)) ** 2).tangent
    x, t = tg.tensor(X), tg.tensor(TX)
    np.testing.assert_array_equal(_bits(got), _bits(t * (2 * x.pow(1))))


def test_a_subclass_tangent_sees_the_rule_ops():
    calls = []

    class Logged(tg.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            calls.append(func.__name__)
            return super().__torch_function__(func, types, args, kwargs or {})

    with fwAD.dual_level():
        d = fwAD.make_dual(tg.tensor(X), tg.tensor(TX).as_subclass(Logged))
        calls.clear()
        t = fwAD.unpack_dual(d.exp()).tangent
    assert "mul" in calls or "__mul__" in calls
    assert isinstance(t, Logged)
    np.testing.assert_allclose(t.numpy(), TX * np.exp(X), rtol=1e-12)


def test_a_program_mode_still_sees_make_dual_and_unpack_dual_calls():
    names = []

    class Spy(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            names.append(func.__name__)
            return func(*args, **(kwargs or {}))

    with fwAD.dual_level():
        alone = fwAD.make_dual(tg.tensor(X), tg.tensor(TX))
        with Spy():
            d = fwAD.make_dual(tg.tensor(X), tg.tensor(TX))
            p, t = fwAD.unpack_dual(d)
        assert "view_as" in names
        assert fwAD.unpack_dual(p).tangent is None
        np.testing.assert_array_equal(t.numpy(), TX)
        np.testing.assert_array_equal(fwAD.unpack_dual(alone).primal.numpy(), X)


def test_unpack_dual_primal_is_a_view_without_tangent():
    with fwAD.dual_level():
        x = tg.tensor(X, requires_grad=True)
        d = fwAD.make_dual(x, tg.tensor(TX))
        p, t = fwAD.unpack_dual(d)
        assert p._base is x and fwAD.unpack_dual(p).tangent is None
        assert type(p.grad_fn).__name__ == "ViewBackward0"
        p2, t2 = fwAD.unpack_dual(p * 2)
        assert t2 is None


def test_make_dual_keeps_a_tangent_laid_out_as_the_primal():
    with fwAD.dual_level():
        x = tg.tensor(X, dtype=tg.float32)
        same = tg.tensor(TX, dtype=tg.float32)
        wider = tg.tensor(TX)  # (float64 for a float32 primal: other bytes per step, the same strides)
        assert fwAD.unpack_dual(fwAD.make_dual(x, same)).tangent is same
        assert fwAD.unpack_dual(fwAD.make_dual(x, wider)).tangent is wider
        transposed = tg.tensor(TX.T.copy()).T  # (strides (1, 3): copied into the primal's (4, 1))
        kept = fwAD.unpack_dual(fwAD.make_dual(tg.tensor(X), transposed)).tangent
        assert kept is not transposed and kept.stride() == (4, 1)
        np.testing.assert_array_equal(kept.numpy(), TX)


def test_make_dual_checks_still_raise():
    with fwAD.dual_level():
        with pytest.raises(ValueError, match="Expected primal to be floating point"):
            fwAD.make_dual(tg.tensor([1, 2]), tg.tensor([1.0, 2.0]))
        with pytest.raises(RuntimeError, match="different size"):
            fwAD.make_dual(tg.tensor(X), tg.tensor(TROW))
        d = fwAD.make_dual(tg.tensor(X), tg.tensor(TX))
        with pytest.raises(RuntimeError, match="already has a forward gradient"):
            fwAD.make_dual(d, tg.tensor(TX))


def test_levels_entered_again_propagate_afresh():
    for _ in range(3):
        with fwAD.dual_level():
            t = fwAD.unpack_dual(fwAD.make_dual(tg.tensor(X), tg.tensor(TX)).sin()).tangent
        np.testing.assert_allclose(t.numpy(), TX * np.cos(X), rtol=1e-12)
    assert fwAD.unpack_dual(tg.tensor(X)).tangent is None  # (outside a level)


def test_handling_of_a_function_is_worked_out_once_and_rules_are_read_each_call():
    with fwAD.dual_level():
        d = fwAD.make_dual(tg.tensor(X), tg.tensor(TX))
        d.cos()
        assert tg.Tensor.cos in _propagation._kinds
        saved = dict(_rules.RULES)
        _rules.RULES.clear()  # (rules taken out after the first call: the general path)
        try:
            t = fwAD.unpack_dual(d.cos()).tangent
        finally:
            _rules.RULES.update(saved)
    np.testing.assert_allclose(t.numpy(), -TX * np.sin(X), rtol=1e-12)


def test_a_non_view_ops_tangent_is_new_memory():
    # PyTorch 2.13: an in-place op on the result of clone / + / - / * never writes into the tangent
    # given to make_dual; on a view it does (the view's tangent is a view of it)
    x, t = tg.tensor([1.0, 2.0, 3.0]), tg.tensor([1.0, 2.0, 3.0])
    with fwAD.dual_level():
        d = fwAD.make_dual(x, t)
        d.clone().mul_(2)
        (d + 3).mul_(2)
        (d - 1).mul_(2)
        (d * 1).mul_(2)
        assert t.tolist() == [1.0, 2.0, 3.0]
        d[0:2].mul_(2)
        assert t.tolist() == [2.0, 4.0, 3.0] and fwAD.unpack_dual(d).tangent.tolist() == [2.0, 4.0, 3.0]
