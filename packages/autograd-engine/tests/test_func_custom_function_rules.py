"""Custom ``autograd.Function`` classes under every ``tensorgraft.func`` transform: the ctx style
is refused (PyTorch's message) wherever it is applied while a transform runs, the
``setup_context`` style keeps working, and the hook ``Function.apply`` consults is gone once the
transforms are done — per thread."""
from __future__ import annotations

import threading

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft import func
from tensorgraft.autograd import Function
from tensorgraft.autograd import function as function_module

REFUSAL = ("In order to use an autograd.Function with functorch transforms (vmap, grad, jvp, jacrev, ...), it must "
           "override the setup_context staticmethod. For more details, please see "
           "https://pytorch.org/docs/main/notes/extending.func.html")


class CtxDouble(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g * 2


class SetupSquare(Function):
    """x ** 2 with a hand-written backward, in the style transforms accept."""

    generate_vmap_rule = True

    @staticmethod
    def forward(x):
        return x * x

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 2 * x * g

    @staticmethod
    def jvp(ctx, t):
        (x,) = ctx.saved_tensors
        return 2 * x * t


class SetupCubeNoJvp(Function):
    """x ** 3 without a ``jvp`` staticmethod: fine for reverse mode only."""

    generate_vmap_rule = True

    @staticmethod
    def forward(x):
        return x ** 3

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 3 * x ** 2 * g


class SetupCubeNoVmap(SetupCubeNoJvp):
    generate_vmap_rule = False

    @staticmethod
    def jvp(ctx, t):
        (x,) = ctx.saved_tensors
        return 3 * x ** 2 * t


class RuleUsingCtxDouble(Function):
    """Its written vmap rule applies the ctx-style CtxDouble (allowed only with no transform left)."""

    @staticmethod
    def forward(x):
        return x * 3

    @staticmethod
    def setup_context(ctx, inputs, output):
        pass

    @staticmethod
    def backward(ctx, g):
        return g * 3

    @staticmethod
    def vmap(info, in_dims, x):
        return CtxDouble.apply(x) * 1.5, in_dims[0]


TRANSFORMS = {
    "grad": lambda f, x: func.grad(lambda t: f(t).sum())(x),
    "grad_and_value": lambda f, x: func.grad_and_value(lambda t: f(t).sum())(x),
    "vjp": lambda f, x: func.vjp(f, x),
    "jvp": lambda f, x: func.jvp(f, (x,), (tg.ones_like(x),)),
    "jacrev": lambda f, x: func.jacrev(f)(x),
    "jacfwd": lambda f, x: func.jacfwd(f)(x),
    "hessian": lambda f, x: func.hessian(lambda t: f(t).sum())(x),
    "vmap": lambda f, x: func.vmap(f)(x.unsqueeze(0)),
}


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_ctx_style_function_is_refused_by_every_transform(tg_device, name):
    x = tg.ones(3, device=tg_device)
    with pytest.raises(RuntimeError) as err:
        TRANSFORMS[name](CtxDouble.apply, x)
    assert str(err.value) == REFUSAL
    assert function_module._transform_hook is None
    # outside the transform the same Function runs as usual
    assert CtxDouble.apply(x).tolist() == [2.0, 2.0, 2.0]


def test_ctx_style_function_is_refused_even_off_the_differentiated_path(tg_device):
    x = tg.ones(3, device=tg_device)
    constant = tg.ones(3, device=tg_device)
    with pytest.raises(RuntimeError, match="must override the setup_context staticmethod"):
        func.grad(lambda t: CtxDouble.apply(constant).sum() + t.sum())(x)
    with pytest.raises(RuntimeError, match="must override the setup_context staticmethod"):
        func.grad(lambda t: _applied_without_grad(t).sum() + t.sum())(x)


def _applied_without_grad(t):
    with tg.no_grad():
        return CtxDouble.apply(t)


def test_nested_transforms_refuse_and_clear_the_hook(tg_device):
    x = tg.ones(2, device=tg_device)
    with pytest.raises(RuntimeError, match="must override the setup_context staticmethod"):
        func.grad(func.grad(lambda t: CtxDouble.apply(t).sum()))(x.sum())
    assert function_module._transform_hook is None


def test_vjp_fn_runs_outside_the_transform(tg_device):
    # the transform is over once vjp returns: a ctx-style Function making the cotangent is fine
    rng = np.random.default_rng(5)
    data = rng.standard_normal(4)
    x = tg.tensor(data, device=tg_device)
    _, vjp_fn = func.vjp(lambda t: t * 3, x)
    (g,) = vjp_fn(CtxDouble.apply(tg.ones(4, device=tg_device)))
    np.testing.assert_allclose(g.cpu().numpy(), np.full(4, 6.0))


def test_setup_context_function_gives_the_right_derivatives(tg_device):
    rng = np.random.default_rng(17)
    data = rng.standard_normal(3)
    x = tg.tensor(data, device=tg_device, dtype=tg.float64)
    np.testing.assert_allclose(func.grad(lambda t: SetupSquare.apply(t).sum())(x).cpu().numpy(), 2 * data)
    out, vjp_fn = func.vjp(SetupSquare.apply, x)
    np.testing.assert_allclose(out.cpu().numpy(), data ** 2)
    np.testing.assert_allclose(vjp_fn(tg.ones_like(x))[0].cpu().numpy(), 2 * data)
    _, tangent = func.jvp(SetupSquare.apply, (x,), (tg.ones_like(x),))
    np.testing.assert_allclose(tangent.cpu().numpy(), 2 * data)
    for jacobian in (func.jacrev, func.jacfwd):
        np.testing.assert_allclose(jacobian(SetupSquare.apply)(x).cpu().numpy(), np.diag(2 * data))
    hess = func.hessian(lambda t: SetupSquare.apply(t).sum())(x)
    np.testing.assert_allclose(hess.cpu().numpy(), 2 * np.eye(3))
    batched = func.vmap(func.grad(lambda t: SetupSquare.apply(t).sum()))(x.view(3, 1))
    np.testing.assert_allclose(batched.cpu().numpy(), 2 * data.reshape(3, 1))
    assert function_module._transform_hook is None


def test_a_vmap_rule_runs_one_level_down(tg_device):
    x = tg.ones(2, 3, device=tg_device)
    # the only transform is the vmap whose rule runs: inside the rule nothing is transformed
    assert func.vmap(RuleUsingCtxDouble.apply)(x).tolist() == [[3.0] * 3] * 2
    assert func.vmap(lambda t: RuleUsingCtxDouble.apply(t))(x).tolist() == [[3.0] * 3] * 2
    # an enclosing transform is still running inside the rule
    for outer in (lambda: func.grad(lambda t: func.vmap(RuleUsingCtxDouble.apply)(t).sum())(x),
                  lambda: func.vmap(func.vmap(RuleUsingCtxDouble.apply))(x.unsqueeze(0))):
        with pytest.raises(RuntimeError) as err:
            outer()
        assert str(err.value) == REFUSAL
    assert function_module._transform_hook is None


def test_a_transform_in_one_thread_leaves_other_threads_alone(tg_device):
    inside, other_done = threading.Event(), threading.Event()
    seen = {}

    def other_thread():
        inside.wait(timeout=10)
        seen["hook set meanwhile"] = function_module._transform_hook is not None
        try:
            seen["result"] = CtxDouble.apply(tg.ones(2, device=tg_device)).tolist()
        except RuntimeError as e:  # what a hook that ignored threads would do
            seen["result"] = str(e)
        other_done.set()

    def f(t):
        inside.set()
        other_done.wait(timeout=10)
        return (t * t).sum()

    worker = threading.Thread(target=other_thread)
    worker.start()
    g = func.grad(f)(tg.ones(2, device=tg_device))
    worker.join(timeout=10)
    assert g.tolist() == [2.0, 2.0]
    assert seen == {"hook set meanwhile": True, "result": [2.0, 2.0]}
    assert function_module._transform_hook is None


def test_transforms_running_in_two_threads_keep_the_hook_until_both_end(tg_device):
    first_inside, second_done = threading.Event(), threading.Event()
    seen = {}

    def second_thread():
        first_inside.wait(timeout=10)
        seen["second"] = func.grad(lambda t: SetupSquare.apply(t).sum())(tg.ones(2, device=tg_device)).tolist()
        seen["hook after second"] = function_module._transform_hook is not None
        second_done.set()

    def f(t):
        first_inside.set()
        second_done.wait(timeout=10)
        with pytest.raises(RuntimeError, match="must override the setup_context staticmethod"):
            CtxDouble.apply(t)
        return (t * t).sum()

    worker = threading.Thread(target=second_thread)
    worker.start()
    func.grad(f)(tg.ones(2, device=tg_device))
    worker.join(timeout=10)
    assert seen == {"second": [2.0, 2.0], "hook after second": True}
    assert function_module._transform_hook is None


JVP_REFUSAL = "You must implement the jvp function for custom autograd.Function to use it with forward mode AD."
NO_VMAP = ("You tried to vmap over SetupCubeNoVmap, but it does not have vmap support. Please override and implement "
           "the vmap staticmethod or set generate_vmap_rule=True. For more details, please see "
           "https://pytorch.org/docs/main/notes/extending.func.html")


def test_forward_mode_transforms_need_a_jvp_staticmethod(tg_device):
    x = tg.ones(3, device=tg_device)
    calls = [lambda: func.jvp(SetupCubeNoJvp.apply, (x,), (x,)),
             lambda: func.jvp(func.grad(lambda t: SetupCubeNoJvp.apply(t).sum()), (x,), (x,)),
             lambda: func.jacfwd(SetupCubeNoJvp.apply)(x),
             lambda: func.hessian(lambda t: SetupCubeNoJvp.apply(t).sum())(x),
             # an input that already requires grad carries the tangent through its alias
             lambda: func.jvp(SetupCubeNoJvp.apply, (x.clone().requires_grad_(),), (x,))]
    for call in calls:
        with pytest.raises(NotImplementedError) as err:
            call()
        assert str(err.value) == JVP_REFUSAL
    assert function_module._transform_hook is None
    # reverse mode does not need it
    assert func.grad(lambda t: SetupCubeNoJvp.apply(t).sum())(x).tolist() == [3.0] * 3
    assert func.jacrev(SetupCubeNoJvp.apply)(x).tolist() == (3 * np.eye(3)).tolist()


def test_forward_mode_lets_a_jvp_less_function_through_when_no_tangent_reaches_it(tg_device):
    x = tg.ones(3, device=tg_device)
    constant = tg.full((3,), 2.0, device=tg_device)
    out, tangent = func.jvp(lambda t: SetupCubeNoJvp.apply(constant) + t, (x,), (x,))
    assert out.tolist() == [9.0] * 3 and tangent.tolist() == [1.0] * 3


def test_jacfwd_needs_vmap_support_first(tg_device):
    x = tg.ones(3, device=tg_device)
    constant = tg.ones(3, device=tg_device)
    for call in (lambda: func.jacfwd(SetupCubeNoVmap.apply)(x),
                 lambda: func.jacfwd(lambda t: SetupCubeNoVmap.apply(constant) + t)(x)):
        with pytest.raises(RuntimeError) as err:
            call()
        assert str(err.value) == NO_VMAP
    # jvp alone does not vmap
    _, tangent = func.jvp(SetupCubeNoVmap.apply, (x,), (x,))
    assert tangent.tolist() == [3.0] * 3


def test_outside_transforms_apply_has_no_hook(tg_device):
    assert function_module._transform_hook is None
    x = tg.ones(2, device=tg_device, requires_grad=True)
    y = CtxDouble.apply(x)
    assert type(y.grad_fn).__name__ == "CtxDoubleBackward"
