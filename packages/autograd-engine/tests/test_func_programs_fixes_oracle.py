"""Gaps found by the torch.func / autograd tutorial programs (tests/programs/func_*.py), checked
against PyTorch: the once_differentiable error node, gradcheck's forward-mode check and its
mismatch messages, ``ctx.save_for_forward`` and autograd.functional.jvp of an integer output."""
from __future__ import annotations

import importlib
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from tensorgraft.testing.oracle import (  # noqa: E402
    assert_same_error, assert_same_result, run_in_both,
)

RNG = np.random.default_rng(29)
X = RNG.uniform(0.2, 1.0, 3)


def _once_exp(m):
    once_differentiable = importlib.import_module(m.__name__ + ".autograd.function").once_differentiable

    class ExpOnce(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            result = x.exp()
            ctx.save_for_backward(result)
            return result

        @staticmethod
        @once_differentiable
        def backward(ctx, grad_out):
            result, = ctx.saved_tensors
            return result * grad_out
    return ExpOnce


def _cube(m, with_jvp=True):
    class Cube(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            ctx.save_for_forward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return 3 * x * x * g

    if with_jvp:
        Cube.jvp = staticmethod(lambda ctx, t: 3 * ctx.saved_tensors[0] ** 2 * t)
    return Cube


def _leaf(m, values=X, dtype="float64"):
    return m.tensor(values, dtype=getattr(m, dtype), requires_grad=True)


def _outcome(call):
    try:
        return ("returned", call())
    except Exception as e:  # noqa: BLE001 - the outcome is compared
        return (type(e).__name__, str(e))


# --------------------------------------------------------------------------- once_differentiable
def test_once_differentiable_results_reach_neither_input_nor_grad_output():
    def case(m):
        x, v = _leaf(m), m.ones(3, dtype=m.float64, requires_grad=True)
        (g,) = m.autograd.grad(_once_exp(m).apply(x), x, v, create_graph=True)
        acc = g.grad_fn.next_functions[0][0]
        return (g.grad_fn.name(), type(acc).__name__, acc.variable,
                _outcome(lambda: m.autograd.grad(g.sum(), x, retain_graph=True)),
                _outcome(lambda: m.autograd.grad(g.sum(), v, retain_graph=True, allow_unused=True)),
                _outcome(lambda: g.sum().backward()), x.grad, v.grad)
    assert_same_result(*run_in_both(case))


def test_gradgradcheck_of_once_differentiable():
    assert_same_error(lambda m: m.autograd.gradgradcheck(_once_exp(m).apply, _leaf(m), m.ones(3, dtype=m.float64)))
    assert_same_result(*run_in_both(lambda m: m.autograd.gradgradcheck(_once_exp(m).apply, _leaf(m),
                                                                       raise_exception=False)))


# --------------------------------------------------------------------------- gradcheck
@pytest.mark.parametrize("in_dtype,out", [("float32", "double"), ("float64", "float"), ("float32", "float")])
def test_mismatch_message_dtypes(in_dtype, out):
    def case(m):
        class Half(m.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                return a * 2

            @staticmethod
            def backward(ctx, g):
                return g

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return m.autograd.gradcheck(lambda a: getattr(Half.apply(a), out)(), _leaf(m, [1.0, 2.0], in_dtype))
    assert_same_error(case)


@pytest.mark.parametrize("kwargs", [dict(check_forward_ad=True), dict(check_forward_ad=True, check_backward_ad=False),
                                    dict(check_forward_ad=True, check_batched_forward_grad=True)])
def test_check_forward_ad_agrees(kwargs):
    def case(m):
        x = _leaf(m)
        return (m.autograd.gradcheck(_cube(m).apply, x, **kwargs),
                m.autograd.gradcheck(lambda a, b: (a.sin() * b, a.exp()), (x, _leaf(m, X[::-1].copy())), **kwargs),
                m.autograd.gradcheck(lambda a: a.detach() * a, x, raise_exception=False, **kwargs))
    assert_same_result(*run_in_both(case))


def test_check_forward_ad_complex():
    # (not with check_batched_forward_grad: PyTorch 2.13 fails an internal assert there)
    assert_same_result(*run_in_both(lambda m: m.autograd.gradcheck(
        lambda z: (z * z.conj().exp()).abs(), m.tensor([1 + 2j, 0.3 - 1j], dtype=m.complex128, requires_grad=True),
        check_forward_ad=True)))


@pytest.mark.parametrize("kwargs", [{}, dict(check_forward_ad=True, check_backward_ad=False)])
def test_outputs_not_requiring_grad(kwargs):
    # none requires grad: the finite differences must be exactly zero
    assert_same_error(lambda m: m.autograd.gradcheck(lambda a: a.detach() * 1e-12, _leaf(m), **kwargs))
    assert_same_result(*run_in_both(lambda m: (
        m.autograd.gradcheck(lambda a: a.detach() * 0 + 1, _leaf(m), **kwargs),
        m.autograd.gradcheck(lambda a: a.detach() * 2, _leaf(m), raise_exception=False, **kwargs),
        # one does: the other is left out
        m.autograd.gradcheck(lambda a: (a * 2, a.detach() * 2), _leaf(m), **kwargs))))
    # ... and the outputs are numbered among those requiring grad
    assert_same_error(lambda m: m.autograd.gradcheck(lambda a: (a.detach() * 2, a.detach() * a), _leaf(m), **kwargs))


def test_gradgradcheck_pairs_grad_outputs_with_outputs_requiring_grad():
    def case(m, swap, **kw):
        m.manual_seed(0)
        f = (lambda a: (a * a * a, a.detach() * 2)) if swap else (lambda a: (a.detach() * 2, a * a * a))
        return m.autograd.gradgradcheck(f, _leaf(m), **kw), m.rand(2)
    ones = (lambda m: m.ones(3, dtype=m.float64))
    assert_same_result(*run_in_both(lambda m: case(m, False)))
    assert_same_result(*run_in_both(lambda m: case(m, True)))
    assert_same_result(*run_in_both(lambda m: case(m, False, grad_outputs=(ones(m),))))
    assert_same_result(*run_in_both(lambda m: case(m, False, grad_outputs=(ones(m), ones(m)))))


@pytest.mark.parametrize("call", [
    lambda m: m.autograd.gradcheck(lambda a: a.detach() * a, _leaf(m, [1.0, 2.0]), check_forward_ad=True,
                                   check_backward_ad=False),
    lambda m: m.autograd.gradcheck(lambda a: (a * 2, a.detach() * a), _leaf(m, [1.0, 2.0]), check_forward_ad=True),
    lambda m: m.autograd.gradcheck(lambda a, b: b.detach() * b + a, (_leaf(m, [1.0, 2.0]), _leaf(m, [0.5, 1.0])),
                                   check_forward_ad=True, check_backward_ad=False),
    lambda m: m.autograd.gradcheck(_cube(m, with_jvp=False).apply, _leaf(m), check_forward_ad=True),
    lambda m: m.autograd.gradcheck(_cube(m).apply, _leaf(m), check_backward_ad=False),
    lambda m: m.autograd.gradgradcheck(_cube(m).apply, _leaf(m), check_rev_over_rev=False),
    lambda m: m.autograd.gradgradcheck(_cube(m).apply, _leaf(m), check_fwd_over_rev=True, check_rev_over_rev=False),
    lambda m: _cube(m).apply(_leaf(m).detach() * 0 + m.tensor(1.0)).new_zeros(1).requires_grad_(False) if False
    else type("Bad", (m.autograd.Function,), {"forward": staticmethod(lambda ctx, t: (ctx.save_for_forward(t, 2), t)[1]),
                                              "backward": staticmethod(lambda ctx, g: g)}).apply(_leaf(m)),
])
def test_forward_mode_errors(call):
    assert_same_error(call)


def test_gradgradcheck_forward_over_reverse():
    assert_same_result(*run_in_both(lambda m: (
        m.autograd.gradgradcheck(_cube(m).apply, _leaf(m), check_fwd_over_rev=True),
        m.autograd.gradgradcheck(m.tanh, _leaf(m), check_fwd_over_rev=True, check_rev_over_rev=False,
                                 check_undefined_grad=False))))


# --------------------------------------------------------------------------- autograd.functional
def test_functional_jvp_integer_output():
    assert_same_error(lambda m: m.autograd.functional.jvp(lambda t: t.argmax(), m.tensor(X), m.tensor(X)))


@pytest.mark.parametrize("kwargs", [dict(check_batched_grad=True), dict(fast_mode=True),
                                    dict(check_forward_ad=True, check_batched_forward_grad=True),
                                    dict(check_batched_grad=True, check_forward_ad=True,
                                         check_batched_forward_grad=True)])
def test_random_numbers_drawn_by_gradcheck(kwargs):
    # a program that gradchecks and then goes on drawing random numbers sees PyTorch's numbers
    def case(m):
        m.manual_seed(0)
        x = m.rand(20, dtype=m.float64, requires_grad=True)
        y = m.tensor([[1.0, 2.0], [0.5, 0.1]], dtype=m.float64, requires_grad=True)
        first = m.autograd.gradcheck(lambda a: (a.sin(), a[:5].exp()), x, **kwargs)
        second = m.autograd.gradcheck(lambda a, b: (a[:2] * b.sum(), b.exp()), (x[:3].detach().requires_grad_(), y),
                                      **kwargs)
        third = m.autograd.gradgradcheck(m.sin, x[:3].detach().requires_grad_(),
                                         check_batched_grad=kwargs.get("check_batched_grad", False))
        return first, second, third, m.rand(3)
    assert_same_result(*run_in_both(case))


@pytest.mark.parametrize("call", [
    lambda m: m.func.vmap(lambda t: (t * 2, t.sum(), t.long()))(m.zeros(0, 3)),
    lambda m: m.func.vmap(lambda t: t * 2, out_dims=1)(m.zeros(0, 3, 2)),
    lambda m: m.func.vmap(lambda t: t * 2, in_dims=1)(m.zeros(3, 0, 2)),
    lambda m: m.func.vmap(lambda t, c: t + c, in_dims=(0, None))(m.zeros(0, 3), m.ones(3)),
    lambda m: m.func.vmap(m.func.grad(lambda t: t.sin().sum()))(m.zeros(0, 3)),
    lambda m: m.func.vmap(m.func.vmap(lambda t: t * 2))(m.zeros(2, 0, 3)),
    lambda m: m.func.vmap(lambda t: t * 2)(m.zeros(0, 3, requires_grad=True)),
])
def test_vmap_over_size_zero(call):
    assert_same_result(*run_in_both(call))


def test_vmap_over_size_zero_errors():
    assert_same_error(lambda m: m.func.vmap(lambda t: 3)(m.zeros(0, 3)))
    assert_same_error(lambda m: m.func.vmap(lambda t: t + m.rand(3))(m.zeros(0, 3)))


@pytest.mark.parametrize("shape", [(3,), (2, 3), (3, 1), (1,), ()])
def test_gradgradcheck_non_contiguous_grad_outputs(shape):
    def case(m):
        class Backward(m.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                ctx.save_for_backward(a)
                return a * a

            @staticmethod
            def backward(ctx, g):
                a, = ctx.saved_tensors
                return 2 * a.detach() * g

        y = m.arange(1.0, 1.0 + int(np.prod(shape)), dtype=m.float64).reshape(shape).requires_grad_()
        m.manual_seed(0)
        message = _outcome(lambda: m.autograd.gradgradcheck(Backward.apply, y, gen_non_contig_grad_outputs=True))
        return message, m.rand(2)
    assert_same_result(*run_in_both(case))


@pytest.mark.parametrize("call", [
    lambda m: m.func.jacfwd(lambda t: t * 2)(m.arange(3)),
    lambda m: m.func.jacfwd(lambda t: t * 2)(m.arange(3) > 0),
    lambda m: m.func.jacfwd(lambda a, b: a * b, argnums=(0, 1))(m.ones(3), m.arange(3)),
    lambda m: m.func.jvp(lambda t: t * 2, (m.arange(3),), (m.ones(3),)),
    lambda m: m.func.jvp(lambda t: t * 2, (m.ones(3),), (m.arange(3),)),
    lambda m: m.func.hessian(lambda t: (t * 2).sum())(m.arange(3)),
    lambda m: m.func.linearize(lambda t: t * 2, m.arange(3)),
])
def test_forward_mode_integer_inputs(call):
    assert_same_error(call)


def test_forward_mode_only_checks_differentiated_arguments():
    assert_same_result(*run_in_both(lambda m: m.func.jacfwd(lambda a, b: a * b, argnums=0)(m.ones(3), m.arange(3))))
