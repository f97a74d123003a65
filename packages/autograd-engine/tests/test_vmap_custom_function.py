"""vmap of a custom ``autograd.Function``: which Functions vmap refuses, a generated rule (the
slice-by-slice run), and a written ``vmap`` staticmethod (called with ``VmapInfo``, in_dims and
batched inputs; its ``(output, out_dims)`` checked)."""
from __future__ import annotations

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft import func
from tensorgraft.func import _vmap
from tensorgraft.autograd import Function

DOC = "For more details, please see https://pytorch.org/docs/main/notes/extending.func.html"


@pytest.fixture
def loop_vmap(monkeypatch):
    """The slice-by-slice vmap (``TENSORGRAFT_VMAP=loop``, a supported mode) whatever mode this
    process runs: the test checks that loop's own workings."""
    monkeypatch.setattr(_vmap, "_MODE", "loop")


@pytest.fixture
def vectorized_vmap(monkeypatch):
    """The vectorized vmap (``TENSORGRAFT_VMAP=vectorized``) whatever mode this process runs."""
    monkeypatch.setattr(_vmap, "_MODE", "vectorized")


class CtxStyleDouble(Function):
    generate_vmap_rule = True  # not enough: the ctx style cannot be transformed

    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g * 2


class NoRuleCube(Function):
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


class GeneratedCube(NoRuleCube):
    generate_vmap_rule = True


class ScaledWithRule(Function):
    """x * scale with a written rule; the rule records every call so tests can see what it got."""
    calls: list = []

    @staticmethod
    def forward(x, scale):
        return x * scale, x + 1

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.scale = inputs[1]

    @staticmethod
    def backward(ctx, g, g_plus):
        return g * ctx.scale + g_plus, None

    @staticmethod
    def vmap(info, in_dims, x, scale):
        ScaledWithRule.calls.append((info, in_dims, tuple(x.shape)))
        # first output: batch moved to the front; second: left where the input had it
        return (x.movedim(in_dims[0], 0) * scale, x + 1), (0, in_dims[0])


def test_ctx_style_function_is_refused_even_with_generate_vmap_rule(tg_device):
    x = tg.ones(3, 2, device=tg_device)
    with pytest.raises(RuntimeError) as err:
        func.vmap(CtxStyleDouble.apply)(x)
    assert str(err.value) == ("In order to use an autograd.Function with functorch transforms (vmap, grad, jvp, "
                              "jacrev, ...), it must override the setup_context staticmethod. " + DOC)
    # and inside a larger function too, on any input
    with pytest.raises(RuntimeError, match="must override the setup_context staticmethod"):
        func.vmap(lambda r: r + CtxStyleDouble.apply(tg.ones(2, device=tg_device)))(x)


def test_function_without_a_rule_is_refused(tg_device):
    x = tg.ones(3, 2, device=tg_device)
    message = ("You tried to vmap over NoRuleCube, but it does not have vmap support. Please override and "
               "implement the vmap staticmethod or set generate_vmap_rule=True. " + DOC)
    with pytest.raises(RuntimeError) as err:
        func.vmap(NoRuleCube.apply)(x)
    assert str(err.value) == message
    with pytest.raises(RuntimeError) as err:
        func.vmap(lambda r: NoRuleCube.apply(r.sin()))(x)
    assert str(err.value) == message


def test_function_with_both_rules_is_refused(tg_device):
    class Both(GeneratedCube):
        vmap = ScaledWithRule.vmap

    with pytest.raises(RuntimeError) as err:
        func.vmap(lambda r: Both.apply(r))(tg.ones(3, 2, device=tg_device))
    assert str(err.value) == ("You tried to vmap over Both, but it has both generate_vmap_rule=True and an overridden "
                              "vmap staticmethod. Please set generate_vmap_rule=False or delete the overridden vmap "
                              "staticmethod to avoid ambiguity. " + DOC)


def test_apply_hook_is_cleared_after_vmap_even_when_it_failed(tg_device):
    from tensorgraft.autograd import function as function_module
    original = Function.__dict__["apply"]
    x = tg.ones(3, 2, device=tg_device)
    with pytest.raises(RuntimeError):
        func.vmap(NoRuleCube.apply)(x)
    assert function_module._transform_hook is None
    # outside vmap the Function runs as usual
    assert NoRuleCube.apply(tg.tensor([2.0], device=tg_device)).tolist() == [8.0]
    func.vmap(GeneratedCube.apply)(x)
    assert function_module._transform_hook is None
    assert Function.__dict__["apply"] is original  # vmap never swaps the method itself


def test_generated_rule_maps_values_and_gradients(tg_device):
    rng = np.random.default_rng(11)
    data = rng.standard_normal((4, 3))
    x = tg.tensor(data, device=tg_device, requires_grad=True)
    out = func.vmap(GeneratedCube.apply, in_dims=1, out_dims=1)(x)
    np.testing.assert_allclose(out.detach().cpu().numpy(), data ** 3, rtol=1e-6)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), 3 * data ** 2, rtol=1e-6)
    per_example = func.vmap(func.grad(lambda r: GeneratedCube.apply(r).sum()))(x.detach())
    np.testing.assert_allclose(per_example.cpu().numpy(), 3 * data ** 2, rtol=1e-6)


def test_written_rule_gets_the_whole_batch_when_vmapping_apply(tg_device):
    rng = np.random.default_rng(12)
    data = rng.standard_normal((2, 3))
    ScaledWithRule.calls.clear()
    scaled, plus = func.vmap(ScaledWithRule.apply, in_dims=(1, None), randomness="same")(
        tg.tensor(data, device=tg_device), 2.5)
    assert ScaledWithRule.calls == [(func._vmap.VmapInfo(batch_size=3, randomness="same"), (1, None), (2, 3))]
    assert repr(ScaledWithRule.calls[0][0]) == "VmapInfo(batch_size=3, randomness='same')"
    # out_dims=0: the rule's out_dims 1 for the second output is moved to the front
    np.testing.assert_allclose(scaled.cpu().numpy(), data.T * 2.5, rtol=1e-6)
    np.testing.assert_allclose(plus.cpu().numpy(), data.T + 1, rtol=1e-6)


@pytest.mark.usefixtures("loop_vmap")
def test_written_rule_inside_a_function_runs_per_slice_with_gradients(tg_device):
    rng = np.random.default_rng(13)
    data = rng.standard_normal((3, 2))
    x = tg.tensor(data, device=tg_device, requires_grad=True)
    ScaledWithRule.calls.clear()
    out = func.vmap(lambda r: ScaledWithRule.apply(r.sin(), 3.0)[0])(x)
    assert [c[1:] for c in ScaledWithRule.calls] == [((0, None), (1, 2))] * 3
    assert ScaledWithRule.calls[0][0].batch_size == 1
    np.testing.assert_allclose(out.detach().cpu().numpy(), np.sin(data) * 3, rtol=1e-6)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), np.cos(data) * 3, rtol=1e-6)


@pytest.mark.usefixtures("loop_vmap")
def test_nested_vmap_of_a_written_rule(tg_device):
    rng = np.random.default_rng(14)
    data = rng.standard_normal((2, 3, 4))
    ScaledWithRule.calls.clear()
    out = func.vmap(func.vmap(lambda r: ScaledWithRule.apply(r, 2.0)))(tg.tensor(data, device=tg_device))
    np.testing.assert_allclose(out[0].cpu().numpy(), data * 2, rtol=1e-6)
    assert len(ScaledWithRule.calls) == 6



@pytest.mark.usefixtures("vectorized_vmap")
def test_written_rule_inside_a_function_gets_the_whole_batch_once(tg_device):
    # PyTorch 2.13 (computed with torch): the rule runs once, with the batch (in_dims (0, None),
    # x of shape (3, 2), VmapInfo batch_size 3), also when apply is called inside the function
    rng = np.random.default_rng(13)
    data = rng.standard_normal((3, 2))
    x = tg.tensor(data, device=tg_device, requires_grad=True)
    ScaledWithRule.calls.clear()
    out = func.vmap(lambda r: ScaledWithRule.apply(r.sin(), 3.0)[0])(x)
    assert [c[1:] for c in ScaledWithRule.calls] == [((0, None), (3, 2))]
    assert ScaledWithRule.calls[0][0] == func._vmap.VmapInfo(batch_size=3, randomness="error")
    np.testing.assert_allclose(out.detach().cpu().numpy(), np.sin(data) * 3, rtol=1e-6)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), np.cos(data) * 3, rtol=1e-6)


@pytest.mark.usefixtures("vectorized_vmap")
def test_nested_vmap_of_a_written_rule_calls_it_once_for_the_inner_level(tg_device):
    # PyTorch 2.13 (computed with torch): one call, for the inner level (batch 3, x of logical
    # shape (3, 4)); the outer level's batch rides through the rule's own ops
    data = np.random.default_rng(14).standard_normal((2, 3, 4))
    ScaledWithRule.calls.clear()
    out = func.vmap(func.vmap(lambda r: ScaledWithRule.apply(r, 2.0)))(tg.tensor(data, device=tg_device))
    np.testing.assert_allclose(out[0].cpu().numpy(), data * 2, rtol=1e-6)
    assert [(c[0].batch_size,) + c[1:] for c in ScaledWithRule.calls] == [(3, (0, None), (3, 4))]

class _BadRule(NoRuleCube):
    result = None

    @staticmethod
    def vmap(info, in_dims, x):
        return _BadRule.result(x)


def test_rule_results_are_checked(tg_device):
    x = tg.ones(3, 2, device=tg_device)
    _BadRule.result = lambda x: x * 3
    with pytest.raises(RuntimeError) as err:
        func.vmap(_BadRule.apply)(x)
    assert str(err.value) == ("Expected the vmap staticmethod to have two returns, an output and out_dims with pytree "
                              f"structure compatible with the output. Got a {tg.Tensor} instead")
    _BadRule.result = lambda x: (x * 3, (0, 0))
    with pytest.raises(RuntimeError) as err:
        func.vmap(_BadRule.apply)(x)
    assert str(err.value) == ("The autograd.Function's vmap staticmethod returned an incompatible (output, out_dims) "
                              "tuple. Expected out_dims=(0, 0) to be compatible with the structure of `output`. "
                              "out_dims has structure TreeSpec(tuple, None, [*,\n  *]) but output has structure *. "
                              + DOC)
    # out_dims None: the output is the same for every slice, so vmap broadcasts it
    _BadRule.result = lambda x: (x[0] * 3, None)
    assert func.vmap(_BadRule.apply)(x).tolist() == [[3.0, 3.0]] * 3
