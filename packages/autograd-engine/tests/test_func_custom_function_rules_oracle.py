"""Custom Functions under ``torch.func`` against ``tensorgraft.func``: which transforms refuse a
ctx-style Function (type and text), where the refusal reaches (off the differentiated path,
inside a vmap rule under an enclosing transform, not in another thread), and the values a
setup_context-style Function gives under them. Each Function is written once against a module ``m``."""
from __future__ import annotations

import threading

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import tensorgraft as tg  # noqa: E402
from tensorgraft.testing.oracle import error_of  # noqa: E402


def make_functions(m):
    class CtxTriple(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * 3

        @staticmethod
        def backward(ctx, g):
            return g * 3

    class SetupSin(m.autograd.Function):
        generate_vmap_rule = True

        @staticmethod
        def forward(x):
            return x.sin()

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * x.cos()

    class RuleCallsCtx(m.autograd.Function):
        @staticmethod
        def forward(x):
            return x * 2

        @staticmethod
        def setup_context(ctx, inputs, output):
            pass

        @staticmethod
        def backward(ctx, g):
            return g * 2

        @staticmethod
        def vmap(info, in_dims, x):
            return CtxTriple.apply(x), in_dims[0]

    return CtxTriple, SetupSin, RuleCallsCtx


TG_FUNCTIONS = make_functions(tg)
TORCH_FUNCTIONS = make_functions(torch)


def transforms(m):
    f = m.func
    return {
        "grad": lambda fn, x: f.grad(lambda t: fn(t).sum())(x),
        "grad_and_value": lambda fn, x: f.grad_and_value(lambda t: fn(t).sum())(x),
        "vjp": lambda fn, x: f.vjp(fn, x)[0],
        "jvp": lambda fn, x: f.jvp(fn, (x,), (m.ones_like(x),)),
        "jacrev": lambda fn, x: f.jacrev(fn)(x),
        "jacfwd": lambda fn, x: f.jacfwd(fn)(x),
        "hessian": lambda fn, x: f.hessian(lambda t: fn(t).sum())(x),
        "vmap": lambda fn, x: f.vmap(fn)(x.unsqueeze(0)),
        "off_path": lambda fn, x: f.grad(lambda t: fn(m.ones(3)).sum() + t.sum())(x),
        "grad_of_grad": lambda fn, x: f.grad(f.grad(lambda t: fn(t.expand(3)).sum()))(x.sum()),
    }


@pytest.mark.parametrize("name", sorted(transforms(tg)))
def test_ctx_style_refusal_matches_torch(name):
    ours = error_of(lambda: transforms(tg)[name](TG_FUNCTIONS[0].apply, tg.ones(3)))
    ref = error_of(lambda: transforms(torch)[name](TORCH_FUNCTIONS[0].apply, torch.ones(3)))
    assert ref is not None and ref[0] == "RuntimeError"
    assert ours == ref


@pytest.mark.parametrize("name", ["grad", "grad_and_value", "vjp", "jacrev"])
def test_setup_context_values_match_torch(name):
    rng = np.random.default_rng(23)
    data = rng.standard_normal(4)
    ours = transforms(tg)[name](TG_FUNCTIONS[1].apply, tg.tensor(data))
    ref = transforms(torch)[name](TORCH_FUNCTIONS[1].apply, torch.tensor(data))
    ours_flat = ours if isinstance(ours, tuple) else (ours,)
    ref_flat = ref if isinstance(ref, tuple) else (ref,)
    assert len(ours_flat) == len(ref_flat)
    for a, b in zip(ours_flat, ref_flat):
        assert str(a.dtype) == str(b.dtype)
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)


def test_vmap_of_grad_of_setup_context_function_matches_torch():
    rng = np.random.default_rng(29)
    data = rng.standard_normal((3, 2))

    def run(m, fns, x):
        return m.func.vmap(m.func.grad(lambda t: fns[1].apply(t).sum()))(x)

    np.testing.assert_allclose(run(tg, TG_FUNCTIONS, tg.tensor(data)).numpy(),
                               run(torch, TORCH_FUNCTIONS, torch.tensor(data)).numpy(), rtol=1e-12)


@pytest.mark.parametrize("nesting", ["alone", "in_function", "under_grad", "under_vmap"])
def test_a_vmap_rule_sees_only_the_enclosing_transforms_as_torch(nesting):
    def call(m, fns):
        f, rule = m.func, fns[2].apply
        x = m.ones(2, 3)
        if nesting == "alone":
            return f.vmap(rule)(x).tolist()
        if nesting == "in_function":
            return f.vmap(lambda t: rule(t))(x).tolist()
        if nesting == "under_grad":
            return f.grad(lambda t: f.vmap(rule)(t).sum())(x).tolist()
        return f.vmap(f.vmap(rule))(x.unsqueeze(0)).tolist()

    def outcome(m, fns):
        try:
            return "ok", call(m, fns)
        except RuntimeError as e:
            return "RuntimeError", str(e)

    assert outcome(tg, TG_FUNCTIONS) == outcome(torch, TORCH_FUNCTIONS)


def test_another_threads_transform_does_not_reach_this_thread_as_in_torch():
    def run(m, fns):
        inside, done = threading.Event(), threading.Event()
        seen = {}

        def other():
            inside.wait(timeout=10)
            try:
                seen["other"] = fns[0].apply(m.ones(2)).tolist()
            except RuntimeError as e:
                seen["other"] = str(e)
            done.set()

        def f(t):
            inside.set()
            done.wait(timeout=10)
            return (t * t).sum()

        worker = threading.Thread(target=other)
        worker.start()
        seen["grad"] = m.func.grad(f)(m.ones(2)).tolist()
        worker.join(timeout=10)
        return seen

    assert run(tg, TG_FUNCTIONS) == run(torch, TORCH_FUNCTIONS) == {"other": [3.0, 3.0], "grad": [2.0, 2.0]}


def make_doubling(m, with_jvp, generate_vmap_rule):
    class Doubling(m.autograd.Function):
        generate_vmap_rule = False

        @staticmethod
        def forward(x):
            return x * 2

        @staticmethod
        def setup_context(ctx, inputs, output):
            pass

        @staticmethod
        def backward(ctx, g):
            return g * 2

    Doubling.generate_vmap_rule = generate_vmap_rule
    if with_jvp:
        Doubling.jvp = staticmethod(lambda ctx, t: t * 2)
    return Doubling


def forward_mode_calls(m, fn):
    f = m.func
    return {
        "jvp": lambda x: f.jvp(fn, (x,), (x,)),
        "jvp_const": lambda x: f.jvp(lambda t: fn(m.ones(3)) + t, (x,), (x,)),
        "jvp_of_grad": lambda x: f.jvp(f.grad(lambda t: fn(t).sum()), (x,), (x,)),
        "jvp_input_requires_grad": lambda x: f.jvp(fn, (x.clone().requires_grad_(),), (x,)),
        "jacfwd": lambda x: f.jacfwd(fn)(x),
        "jacfwd_const": lambda x: f.jacfwd(lambda t: fn(m.ones(3)) + t)(x),
        "hessian": lambda x: f.hessian(lambda t: fn(t).sum())(x),
    }


@pytest.mark.parametrize("with_jvp", [False, True])
@pytest.mark.parametrize("generate_vmap_rule", [False, True])
@pytest.mark.parametrize("case", sorted(forward_mode_calls(tg, None)))
def test_forward_mode_rules_match_torch(with_jvp, generate_vmap_rule, case):
    rng = np.random.default_rng(31)
    data = rng.standard_normal(3)

    def outcome(m):
        fn = make_doubling(m, with_jvp, generate_vmap_rule).apply
        try:
            result = forward_mode_calls(m, fn)[case](m.tensor(data))
        except (RuntimeError, NotImplementedError) as e:
            return type(e).__name__, str(e)
        flat = result if isinstance(result, tuple) else (result,)
        return "ok", [np.round(r.detach().numpy(), 12).tolist() for r in flat]

    assert outcome(tg) == outcome(torch)
