"""Gaps found by the torch.func / autograd tutorial programs (tests/programs/func_*.py), checked
without PyTorch (the ``_oracle`` file next to this one compares the same behaviour with PyTorch):
the once_differentiable error node's edges, gradcheck's forward-mode check and the dtypes of its
mismatch message, ``ctx.save_for_forward``, and autograd.functional.jvp of an integer output."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.autograd import gradcheck, gradgradcheck
from tensorgraft.autograd.function import Function, once_differentiable
from tensorgraft.autograd.gradcheck import GradcheckError

RNG = np.random.default_rng(23)
X = RNG.uniform(0.2, 1.0, 3)


class ExpOnce(Function):
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


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        ctx.save_for_forward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return 3 * x * x * g

    @staticmethod
    def jvp(ctx, t):
        x, = ctx.saved_tensors
        return 3 * x * x * t


class CubeNoJvp(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return 3 * x * x * g


def _leaf(values=X, dtype=tg.float64):
    return tg.tensor(values, dtype=dtype, requires_grad=True)


# --------------------------------------------------------------------------- once_differentiable
def test_once_differentiable_error_node_leads_to_fresh_leaves_not_the_graph():
    x, v = _leaf(), tg.ones(3, dtype=tg.float64, requires_grad=True)
    (g,) = tg.autograd.grad(ExpOnce.apply(x), x, v, create_graph=True)
    ((acc, nr),) = g.grad_fn.next_functions
    assert nr == 0 and acc.variable is not v and acc.variable is not x
    np.testing.assert_allclose(acc.variable.detach().numpy(), np.exp(X))
    # a pass that only needs x or v never reaches the node: they are unused, no error
    for wrt in (x, v):
        with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
            tg.autograd.grad(g.sum(), wrt, retain_graph=True)
        assert tg.autograd.grad(g.sum(), wrt, retain_graph=True, allow_unused=True) == (None,)
    # a full backward does reach it
    with pytest.raises(RuntimeError, match="^trying to differentiate twice a function that was marked with "
                                           "@once_differentiable$"):
        g.sum().backward()
    assert x.grad is None and v.grad is None


def test_once_differentiable_error_node_one_edge_per_result():
    class Two(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        @once_differentiable
        def backward(ctx, go):
            return go * 2, None

    a, b = _leaf(), _leaf()
    ga, gb = tg.autograd.grad(Two.apply(a, b), (a, b), tg.ones(3, dtype=tg.float64, requires_grad=True),
                              create_graph=True, allow_unused=True)
    assert gb is None and ga.grad_fn.name() == "torch::autograd::Error"
    assert len(ga.grad_fn.next_functions) == 2 and ga.grad_fn.next_functions[1] == (None, 0)


def test_gradgradcheck_of_once_differentiable_reports_a_zero_jacobian():
    with pytest.raises(GradcheckError, match="Jacobian mismatch for output 0 with respect to input 0"):
        gradgradcheck(ExpOnce.apply, _leaf())
    assert gradgradcheck(ExpOnce.apply, _leaf(), raise_exception=False) is False


# --------------------------------------------------------------------------- gradcheck messages
def test_mismatch_message_keeps_the_output_and_input_dtypes():
    def doubled(a):
        return CubeWrong.apply(a)

    class CubeWrong(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the float32 precision warning
        with pytest.raises(RuntimeError) as info:
            gradcheck(lambda a: doubled(a).double(), _leaf([1.0, 2.0], tg.float32))
    numerical, analytical = str(info.value).split("analytical:")
    assert "dtype=torch.float64" in numerical and "dtype" not in analytical  # output float64, input float32
    with pytest.raises(RuntimeError) as info:
        gradcheck(lambda a: doubled(a).float(), _leaf([1.0, 2.0]))
    numerical, analytical = str(info.value).split("analytical:")
    assert "dtype" not in numerical and "dtype=torch.float64" in analytical


# --------------------------------------------------------------------------- forward mode
def test_check_forward_ad_passes_for_correct_functions():
    x = _leaf()
    assert gradcheck(Cube.apply, x, check_forward_ad=True)
    assert gradcheck(Cube.apply, x, check_forward_ad=True, check_backward_ad=False)
    assert gradcheck(lambda a, b: (a.sin() * b, a.exp()), (x, _leaf(X[::-1].copy())), check_forward_ad=True)
    assert gradcheck(lambda a, k: a ** k, (x, 3), check_forward_ad=True, check_batched_forward_grad=True)
    z = tg.tensor([1 + 2j, 0.3 - 1j], dtype=tg.complex128, requires_grad=True)
    assert gradcheck(lambda t: (t * t.conj().exp()).abs(), z, check_forward_ad=True, check_backward_ad=False)
    assert gradgradcheck(Cube.apply, x, check_fwd_over_rev=True)


def test_check_forward_ad_finds_a_wrong_forward_derivative():
    x = _leaf([1.0, 2.0])
    with pytest.raises(RuntimeError) as info:
        gradcheck(lambda a: a.detach() * a, x, check_forward_ad=True, check_backward_ad=False)
    text = str(info.value)
    assert text.startswith("Jacobian computed with forward mode mismatch for output 0 with respect to input 0,\n")
    assert "analytical:tensor([[1., 0.],\n        [0., 2.]], dtype=torch.float64)" in text
    assert gradcheck(lambda a: a.detach() * a, x, check_forward_ad=True, check_backward_ad=False,
                     raise_exception=False) is False
    # the reverse-mode check runs first
    with pytest.raises(RuntimeError, match="^Jacobian mismatch for output 0"):
        gradcheck(lambda a: a.detach() * a, x, check_forward_ad=True)
    with pytest.raises(RuntimeError, match="forward mode mismatch for output 1 with respect to input 0"):
        gradcheck(lambda a: (a * 2, a.detach() * a), x, check_forward_ad=True, check_backward_ad=False)


def test_check_forward_ad_needs_a_jvp_and_one_check():
    with pytest.raises(NotImplementedError, match="You must implement the jvp function for custom "
                                                  "autograd.Function to use it with forward mode AD."):
        gradcheck(lambda a: CubeNoJvp.apply(a) * 2, _leaf(), check_forward_ad=True, raise_exception=False)
    with pytest.raises(AssertionError, match="Expected at least one of check_forward_ad or check_backward_ad"):
        gradcheck(Cube.apply, _leaf(), check_backward_ad=False)
    with pytest.raises(AssertionError, match="Expected at least one of check_fwd_over_rev or check_rev_over_rev"):
        gradgradcheck(Cube.apply, _leaf(), check_rev_over_rev=False)
    with pytest.raises(AssertionError, match="Setting check_undefined_grad=True requires check_rev_over_rev"):
        gradgradcheck(Cube.apply, _leaf(), check_fwd_over_rev=True, check_rev_over_rev=False)
    assert gradgradcheck(Cube.apply, _leaf(), check_fwd_over_rev=True, check_rev_over_rev=False,
                         check_undefined_grad=False)


def test_save_for_forward_takes_tensors_and_none_only():
    class Scale(Function):
        @staticmethod
        def forward(ctx, a, extra):
            ctx.save_for_forward(a, None)
            ctx.save_for_forward(a, extra)
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2, None

    x = _leaf()
    Scale.apply(x, None).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0] * 3)
    with pytest.raises(AssertionError, match="save_for_forward expects all arguments to be tensors; you should "
                                             "save non-tensors as attributes on ctx."):
        Scale.apply(x.detach(), 3)  # checked even when nothing records a graph


# --------------------------------------------------------------------------- autograd.functional
def test_functional_jvp_of_an_integer_output_is_refused_by_the_factory():
    from tensorgraft.autograd.functional import jvp
    with pytest.raises(RuntimeError, match="^Only Tensors of floating point and complex dtype can require gradients$"):
        jvp(lambda t: t.argmax(), tg.tensor(X), tg.tensor(X))


# --------------------------------------------------------------------------- outputs without grad
def test_gradcheck_without_differentiable_outputs_needs_zero_finite_differences():
    for kwargs in ({}, dict(check_forward_ad=True, check_backward_ad=False)):
        with pytest.raises(GradcheckError, match="^Numerical gradient for function expected to be zero$"):
            gradcheck(lambda a: a.detach() * 1e-12, _leaf(), **kwargs)
        assert gradcheck(lambda a: a.detach() * 2, _leaf(), raise_exception=False, **kwargs) is False
        assert gradcheck(lambda a: a.detach() * 0 + 1, _leaf(), **kwargs)
        # with an output that requires grad, those that do not are left out of the check
        assert gradcheck(lambda a: (a * 2, a.detach() * 2), _leaf(), **kwargs)


def test_gradcheck_numbers_only_outputs_requiring_grad():
    with pytest.raises(GradcheckError, match="^Jacobian mismatch for output 0 with respect to input 0"):
        gradcheck(lambda a: (a.detach() * 2, a.detach() * a), _leaf())


def test_gradgradcheck_draws_and_pairs_grad_outputs_for_outputs_requiring_grad():
    def draws_after(f, **kw):
        tg.manual_seed(0)
        assert gradgradcheck(f, _leaf(), **kw)
        return tg.rand(2).tolist()

    cube = draws_after(lambda a: a * a * a)
    assert draws_after(lambda a: (a.detach() * 2, a * a * a)) == cube  # one cotangent drawn, not two
    assert draws_after(lambda a: (a * a * a, a.sin())) != cube
    ones = tg.ones(3, dtype=tg.float64)
    tg.manual_seed(0)
    nothing_drawn = tg.rand(2).tolist()
    assert draws_after(lambda a: (a.detach() * 2, a * a * a), grad_outputs=(ones,)) == nothing_drawn
    assert gradgradcheck(lambda a: (a.detach() * 2, a * a * a), _leaf(), grad_outputs=(ones, ones))


# --------------------------------------------------------------------------- batched checks
def test_batched_checks_draw_two_random_tensors_per_output_or_input():
    def after(**kw):
        tg.manual_seed(0)
        assert gradcheck(lambda a, b: (a[:2] * b.sum(), b.exp()), (_leaf(), _leaf([[1.0, 2.0], [0.5, 0.1]])), **kw)
        return tg.rand(2).tolist()

    def drawn(*numels):
        tg.manual_seed(0)
        for n in numels:
            tg.randn(n, dtype=tg.float64)
        return tg.rand(2).tolist()

    assert after() == drawn() == after(fast_mode=True, check_forward_ad=True)
    assert after(check_batched_grad=True) == drawn(2, 2, 4, 4)  # per output: two cotangents
    assert after(check_forward_ad=True, check_batched_forward_grad=True) == drawn(3, 3, 4, 4)  # per input: tangents
    tg.manual_seed(0)
    assert gradgradcheck(tg.sin, _leaf(), check_batched_grad=True)
    after_gg = tg.rand(2).tolist()
    tg.manual_seed(0)
    tg.empty(3, dtype=tg.float64).uniform_(-1, 1)  # gradgradcheck's own cotangent
    tg.randn(3, dtype=tg.float64)
    tg.randn(3, dtype=tg.float64)
    assert after_gg == tg.rand(2).tolist()


def test_batched_checks_compare_batched_and_single_products():
    z = tg.tensor([1 + 2j, 0.3 - 1j], dtype=tg.complex128, requires_grad=True)
    assert gradcheck(lambda t: (t * t).abs(), z, check_batched_grad=True)
    assert gradcheck(lambda t: t * t.conj().exp(), z, check_forward_ad=True, check_batched_forward_grad=True)
    x = _leaf(RNG.uniform(0.2, 1.0, 20))
    assert gradcheck(lambda a: (a.sin(), a[:5].exp()), x, check_batched_grad=True, check_forward_ad=True,
                     check_batched_forward_grad=True)


# --------------------------------------------------------------------------- vmap over nothing
def test_vmap_over_a_dimension_of_size_zero_gives_empty_results():
    from tensorgraft.func import grad, vmap
    empty = tg.zeros(0, 3)
    calls = []

    def f(t):
        calls.append(tuple(t.shape))  # runs once, on one slice's shape
        return t * 2, t.sum(), t.long()

    a, b, c = vmap(f)(empty)
    assert calls == [(3,)]
    assert a.shape == (0, 3) and b.shape == (0,) and c.shape == (0, 3) and c.dtype == tg.int64
    assert vmap(lambda t: t * 2, out_dims=1)(tg.zeros(0, 3, 2)).shape == (3, 0, 2)
    assert vmap(lambda t: t * 2, in_dims=1)(tg.zeros(3, 0, 2)).shape == (0, 3, 2)
    assert vmap(lambda t, c: t + c, in_dims=(0, None))(empty, tg.ones(3)).shape == (0, 3)
    assert vmap(lambda t: (t, 3), out_dims=(0, None))(empty)[1] == 3
    assert vmap(grad(lambda t: t.sin().sum()))(empty).shape == (0, 3)
    assert vmap(vmap(lambda t: t * 2))(tg.zeros(2, 0, 3)).shape == (2, 0, 3)
    assert vmap(lambda t: t * 2)(tg.zeros(0, 3, requires_grad=True)).requires_grad
    with pytest.raises(ValueError, match="must only return Tensors"):
        vmap(lambda t: 3)(empty)
    with pytest.raises(RuntimeError, match="randomness error mode"):
        vmap(lambda t: t + tg.rand(3))(empty)


def test_gradgradcheck_non_contiguous_grad_outputs_keep_every_second_draw():
    class Backward(Function):  # a backward linear in the saved input: only grad_output is seen
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, g):
            a, = ctx.saved_tensors
            return 2 * a.detach() * g

    y = tg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=tg.float64, requires_grad=True)
    tg.manual_seed(0)
    with pytest.raises(GradcheckError) as info:
        gradgradcheck(Backward.apply, y, gen_non_contig_grad_outputs=True)
    after = tg.rand(2).tolist()
    tg.manual_seed(0)
    drawn = tg.empty(2, 6, dtype=tg.float64).uniform_(-1, 1)[:, 1::2]  # last dimension doubled, odd entries
    assert after == tg.rand(2).tolist()
    numerical = str(info.value).split("analytical:")[0]
    for v in (2 * drawn).flatten().tolist():
        assert f"{v:.4f}" in numerical
    # one element: drawn as it is
    tg.manual_seed(0)
    assert gradgradcheck(tg.sin, tg.tensor([0.5], dtype=tg.float64, requires_grad=True),
                         gen_non_contig_grad_outputs=True)
    after = tg.rand(1).tolist()
    tg.manual_seed(0)
    tg.rand(1, dtype=tg.float64)
    assert after == tg.rand(1).tolist()


# --------------------------------------------------------------------------- forward-mode dtypes
def test_forward_mode_transforms_refuse_integer_primals_and_tangents():
    from tensorgraft.func import hessian, jacfwd, jvp, linearize
    ints, floats = tg.arange(3), tg.ones(3)
    primal = "^Expected primal to be floating point or complex, but got: torch.int64$"
    for call in (lambda: jacfwd(lambda t: t * 2)(ints),
                 lambda: jacfwd(lambda a, b: a * b, argnums=(0, 1))(floats, ints),
                 lambda: jacfwd(lambda d: d["a"] * 2)({"a": ints}),
                 lambda: jvp(lambda t: t * 2, (ints,), (floats,)),
                 lambda: hessian(lambda t: (t * 2).sum())(ints),
                 lambda: linearize(lambda t: t * 2, ints)):
        with pytest.raises(ValueError, match=primal):
            call()
    with pytest.raises(ValueError, match="^Expected primal to be floating point or complex, but got: torch.bool$"):
        jacfwd(lambda t: t * 2)(ints > 0)
    with pytest.raises(ValueError, match="^Expected tangent to be floating point or complex, but got: torch.int64$"):
        jvp(lambda t: t * 2, (floats,), (ints,))
    # only the differentiated arguments are checked
    assert jacfwd(lambda a, b: a * b, argnums=0)(floats, ints).shape == (3, 3)
