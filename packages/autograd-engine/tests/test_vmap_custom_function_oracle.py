"""vmap of custom Functions against ``torch.vmap``: the refusals (type and text), generated rules,
written rules (what ``vmap`` staticmethod receives when vmapping ``apply``, the values and
gradients that come out). Each Function is written once against a module ``m``."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import tensorgraft as tg  # noqa: E402
from tensorgraft.testing.oracle import error_of  # noqa: E402


def make_functions(m):
    class CtxStyle(m.autograd.Function):
        generate_vmap_rule = True

        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    class NoRule(m.autograd.Function):
        @staticmethod
        def forward(x):
            return x.exp()

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(output)

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y

    class Generated(NoRule):
        generate_vmap_rule = True

    class Written(m.autograd.Function):
        seen: list = []

        @staticmethod
        def forward(x, w):
            return x * w, x.sum()

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(*inputs)

        @staticmethod
        def backward(ctx, g, g_sum):
            x, w = ctx.saved_tensors
            return g * w + g_sum, g * x

        @staticmethod
        def vmap(info, in_dims, x, w):
            Written.seen.append((repr(info), in_dims, tuple(x.shape), tuple(w.shape)))
            x = x.movedim(in_dims[0], -1)
            w = w if in_dims[1] is None else w.movedim(in_dims[1], -1)
            return (x * w.unsqueeze(-1) if in_dims[1] is None else x * w, x.sum(0)), (-1, 0)

    return CtxStyle, NoRule, Generated, Written


def test_refusals_match_torch():
    errors = []
    for m in (tg, torch):
        x = m.ones(3, 2)
        ctx_style, no_rule, _, _ = make_functions(m)
        errors.append([error_of(lambda: m.vmap(ctx_style.apply)(x)),
                       error_of(lambda: m.vmap(lambda r: no_rule.apply(r * 2))(x)),
                       error_of(lambda: m.vmap(lambda r: r + no_rule.apply(m.ones(2)))(x))])
    ours, ref = errors
    assert ours == ref and None not in ref


def test_both_rules_is_refused_like_torch():
    errors = []
    for m in (tg, torch):
        _, _, generated, written = make_functions(m)

        class Both(generated):
            vmap = written.vmap

        errors.append(error_of(lambda: m.vmap(Both.apply)(m.ones(3, 2))))
    assert errors[0] == errors[1] and errors[0][0] == "RuntimeError"


def test_generated_rule_values_and_gradients_match_torch():
    rng = np.random.default_rng(21)
    data = rng.standard_normal((3, 4))
    outs = []
    for m in (tg, torch):
        _, _, generated, _ = make_functions(m)
        x = m.tensor(data, requires_grad=True)
        y = m.vmap(lambda r: generated.apply(r.sin()) * 2, in_dims=1)(x)
        y.pow(2).sum().backward()
        per_example = m.func.vmap(m.func.grad(lambda r: generated.apply(r).sum()))(m.tensor(data))
        outs.append((y.detach().numpy(), x.grad.numpy(), per_example.numpy(), y.dtype is m.float64))
    for ours, ref in zip(*outs):
        np.testing.assert_allclose(ours, ref, rtol=1e-12)


def test_written_rule_protocol_and_results_match_torch():
    rng = np.random.default_rng(22)
    xs, ws = rng.standard_normal((2, 4)), rng.standard_normal(2)
    results = []
    for m in (tg, torch):
        _, _, _, written = make_functions(m)
        x = m.tensor(xs, requires_grad=True)
        w = m.tensor(ws)
        prod, total = m.vmap(written.apply, in_dims=(1, None), randomness="different")(x, w)
        (prod.sum() + total.pow(2).sum()).backward()
        results.append((written.seen, prod.detach().numpy(), total.detach().numpy(), x.grad.numpy()))
    ours, ref = results
    assert ours[0] == ref[0] == [("VmapInfo(batch_size=4, randomness='different')", (1, None), (2, 4), (2,))]
    for a, b in zip(ours[1:], ref[1:]):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_rule_result_errors_match_torch():
    messages = []
    for m in (tg, torch):
        _, no_rule, _, _ = make_functions(m)

        class Bad(no_rule):
            @staticmethod
            def vmap(info, in_dims, x):
                return (x, x), (0, 0, 0)

        class NotPair(no_rule):
            @staticmethod
            def vmap(info, in_dims, x):
                return [x]

        x = m.ones(3, 2)
        messages.append((error_of(lambda: m.vmap(Bad.apply)(x)), error_of(lambda: m.vmap(NotPair.apply)(x))))
    assert messages[0] == messages[1]
