"""Regression tests for differences from PyTorch found in the autograd-engine audit (issue 4)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.autograd import Function


def _x():
    return tg.tensor([1.0, 2.0], requires_grad=True)


# --------------------------------------------------------------------------- backward / grad arguments
def test_backward_empty_inputs_message():
    with pytest.raises(RuntimeError) as e:
        (_x() * 2).sum().backward(inputs=[])
    assert str(e.value) == "`inputs` argument to `backward()` cannot be empty."


def test_grad_materialize_grads_rejects_allow_unused_false():
    x, z = _x(), _x()
    with pytest.raises(ValueError, match="Expected allow_unused to be True or not passed when materialize_grads=True"):
        tg.autograd.grad((x * 2).sum(), [x, z], allow_unused=False, materialize_grads=True)


def test_grad_only_inputs_false_warns_and_is_ignored():
    x = _x()
    with pytest.warns(FutureWarning, match="only_inputs argument is deprecated"):
        g, = tg.autograd.grad((x * 2).sum(), x, only_inputs=False)
    np.testing.assert_allclose(g.numpy(), [2.0, 2.0])


def test_backward_on_tensor_without_grad_checks_requires_grad_first():
    # PyTorch skips the implicit-gradient checks for outputs that do not require grad
    for t in (tg.ones(3), (tg.ones(2) > 0).sum()):
        with pytest.raises(RuntimeError, match="^element 0 of tensors does not require grad and does not have a "
                                               "grad_fn$"):
            t.backward()


def test_extra_gradients_are_ignored_missing_ones_are_an_error():
    x = _x()
    y = x * 2
    g, = tg.autograd.grad([y], [x], grad_outputs=[tg.ones(2), tg.ones(2)], retain_graph=True)
    np.testing.assert_allclose(g.numpy(), [2.0, 2.0])
    tg.autograd.backward([y], [tg.ones(2), tg.ones(2)], retain_graph=True)
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])
    with pytest.raises(RuntimeError, match="^got 2 tensors and 1 gradients$"):
        tg.autograd.backward([y, y], [tg.ones(2)])


def test_create_graph_backward_warns_once_per_process(monkeypatch):
    monkeypatch.setattr(tg.autograd, "_warned_create_graph", False)
    x = _x()
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        (x ** 2).sum().backward(create_graph=True, inputs=[x])
        (x ** 2).sum().backward(create_graph=True)
    assert [str(m.message).startswith("Using backward() with create_graph=True") for m in w] == [True]


def test_create_graph_first_accumulation_is_copybackwards(monkeypatch):
    monkeypatch.setattr(tg.autograd, "_warned_create_graph", True)
    x = _x()
    (x ** 2).sum().backward(create_graph=True)
    assert x.grad.grad_fn.name() == "torch::autograd::CopyBackwards"  # (PyTorch's C++ node name)
    (x ** 2).sum().backward(create_graph=True)
    assert x.grad.grad_fn.name() == "AddBackward0"
    np.testing.assert_allclose(x.grad.detach().numpy(), [4.0, 8.0])
    g = x.grad
    x.grad = None
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 4.0])


# --------------------------------------------------------------------------- node hooks
def test_node_hook_results_are_checked():
    x = _x()
    z = x * x
    z.grad_fn.register_prehook(lambda go: [go[0]])
    with pytest.raises(TypeError, match="^expected tuple, but hook returned 'list'$"):
        z.sum().backward()

    def two(go):
        return go[0], go[0]
    z = x.exp()
    z.grad_fn.register_prehook(two)
    with pytest.raises(RuntimeError, match=r"^hook 'two' has returned an incorrect number of values \(got 2, but "
                                           r"expected 1\)$"):
        z.sum().backward()
    z = x.exp()
    z.grad_fn.register_hook(lambda gi, go: 5)
    with pytest.raises(TypeError, match="^expected tuple, but hook returned 'int'$"):
        z.sum().backward()


# --------------------------------------------------------------------------- node names
NAMES = [
    ("pow(a, 2)", lambda T, a, b: T.pow(a, 2), "PowBackward0"),
    ("pow(a, b)", lambda T, a, b: T.pow(a, b), "PowBackward1"),
    ("pow(2, a)", lambda T, a, b: T.pow(2, a), "PowBackward2"),
    ("2 ** a", lambda T, a, b: 2 ** a, "PowBackward2"),
    ("2 - a", lambda T, a, b: 2 - a, "RsubBackward1"),
    ("a - 2", lambda T, a, b: a - 2, "SubBackward0"),
    ("subtract", lambda T, a, b: T.subtract(a, b), "SubBackward0"),
    ("multiply", lambda T, a, b: T.multiply(a, b), "MulBackward0"),
    ("divide", lambda T, a, b: T.divide(a, b), "DivBackward0"),
    ("true_divide", lambda T, a, b: T.true_divide(a, b), "DivBackward0"),
    ("negative", lambda T, a, b: T.negative(a), "NegBackward0"),
    ("absolute", lambda T, a, b: T.absolute(a), "AbsBackward0"),
    ("arctan2", lambda T, a, b: T.arctan2(a, b), "Atan2Backward0"),
    ("fix", lambda T, a, b: T.fix(a), "TruncBackward0"),
    ("log1p", lambda T, a, b: T.log1p(a), "Log1PBackward0"),
    ("float_power(a, 2)", lambda T, a, b: T.float_power(a, 2), "PowBackward0"),
    ("float_power(a, b)", lambda T, a, b: T.float_power(a, b), "PowBackward1"),
]


@pytest.mark.parametrize("case", NAMES, ids=[c[0] for c in NAMES])
def test_node_names(case):
    _, fn, expected = case
    a = tg.tensor([0.5, 1.5], dtype=tg.float64, requires_grad=True)
    b = tg.tensor([1.5, 0.5], dtype=tg.float64)
    assert type(fn(tg, a, b).grad_fn).__name__ == expected


@pytest.mark.parametrize("case", NAMES, ids=[c[0] for c in NAMES])
def test_node_names_and_grads_match_torch(case):
    torch = pytest.importorskip("torch")
    _, fn, _ = case
    a = tg.tensor([0.5, 1.5], dtype=tg.float64, requires_grad=True)
    b = tg.tensor([1.5, 0.5], dtype=tg.float64)
    ta = torch.tensor([0.5, 1.5], dtype=torch.float64, requires_grad=True)
    tb = torch.tensor([1.5, 0.5], dtype=torch.float64)
    out, tout = fn(tg, a, b), fn(torch, ta, tb)
    assert out.grad_fn.name() == tout.grad_fn.name()
    out.sum().backward()
    tout.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-12)


# --------------------------------------------------------------------------- custom Function
class _Scale(Function):
    @staticmethod
    def forward(ctx, x, k, w):
        ctx.k = k
        ctx.save_for_backward(w)
        return x * k * w

    @staticmethod
    def backward(ctx, g):
        w, = ctx.saved_tensors
        return g * ctx.k * w, None, None


def test_function_edges_only_for_tensor_arguments():
    x = _x()
    y = _Scale.apply(x, 3.0, tg.tensor([2.0, 2.0]))
    nf = y.grad_fn.next_functions
    assert len(nf) == 2 and nf[0][0].variable is x and nf[1] == (None, 0)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 6.0])


def test_function_gradient_for_non_tensor_argument_is_an_error():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g, g

    with pytest.raises(RuntimeError, match="returned a gradient different than None at position 2, but the "
                                        "corresponding forward input was not a Variable"):
        Bad.apply(_x(), 2.0).sum().backward()


def test_function_setup_context_style():
    class Mul(Function):
        @staticmethod
        def forward(x, k):
            return x * k

        @staticmethod
        def setup_context(ctx, inputs, output):
            x, k = inputs
            ctx.k = k
            ctx.save_for_backward(x)

        @staticmethod
        def backward(ctx, g):
            return g * ctx.k, None

    x = _x()
    y = Mul.apply(x, 3)
    assert y.grad_fn.name() == "MulBackward"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])


def test_function_save_for_backward_non_tensor_message():
    class Save(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, 3)
            return x * 2

    with pytest.raises(TypeError, match="^save_for_backward can only save variables, but argument 1 is of type int$"):
        Save.apply(_x())


def test_function_instantiation_and_call():
    with pytest.warns(DeprecationWarning, match="should not be instantiated"):
        f = _Scale()
    with pytest.raises(RuntimeError, match="Legacy autograd function with non-static forward method is deprecated"):
        f(_x())


def test_function_matches_torch_next_functions():
    torch = pytest.importorskip("torch")

    def build(T, Fn):
        class Scale(Fn):
            @staticmethod
            def forward(ctx, x, k, w, flag):
                ctx.save_for_backward(w)
                return x * k * w

            @staticmethod
            def backward(ctx, g):
                w, = ctx.saved_tensors
                return g * w, None, None, None
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = Scale.apply(x, 3.0, T.tensor([2.0, 2.0]), "flag")
        return [(type(n).__name__ if n is not None else None, i) for n, i in y.grad_fn.next_functions]

    assert build(tg, Function) == build(torch, torch.autograd.Function)


def test_gradcheck_no_input_requires_grad_message():
    with pytest.raises(ValueError, match="^gradcheck expects at least one input tensor to require gradient, but none "
                                         "of them have requires_grad=True.$"):
        tg.autograd.gradcheck(lambda a: a * 2, (tg.ones(2, dtype=tg.float64),))


def test_mark_non_differentiable_applies_to_an_input_returned_as_is():
    class PassThrough(Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.mark_non_differentiable(b)
            return a * 2, b

        @staticmethod
        def backward(ctx, ga, gb):
            return ga * 2, None

    a = tg.ones(2, requires_grad=True)
    b = tg.ones(2, requires_grad=True)
    y, z = PassThrough.apply(a, b)
    assert y.requires_grad and not z.requires_grad and z.grad_fn is None
    assert z is not b  # still a new alias of the input, as PyTorch


def test_plugins_report_counts_no_core_op_without_a_formula():
    # `tensorgraft plugins` shows this count; composite ops (e.g. positive) need no formula
    from tensorgraft.autograd._plugin import tensorgraft_report
    assert tensorgraft_report() == {"ops without a gradient formula": 0}
