"""nn regressions found by differential fuzzing against PyTorch 2.13 (expected values are PyTorch's):
each gave another value, a crash or no error in tensorgraft before its fix."""
from __future__ import annotations

import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn.functional as F


@pytest.mark.parametrize("name", ["gelu", "silu", "mish", "elu", "softplus", "hardswish", "logsigmoid"])
def test_activations_of_a_zero_dim_float32_tensor(name):
    x = tg.tensor(-0.7, requires_grad=True)
    y = getattr(F, name)(x)
    assert y.shape == ()
    y.backward()
    dense = getattr(F, name)(tg.tensor([-0.7]))
    assert y.item() == pytest.approx(dense.item())
    assert x.grad.shape == ()
    assert F.gelu(tg.tensor(1.5)).item() == pytest.approx(1.3998, abs=1e-4)


def test_cross_entropy_with_probabilities_refuses_an_ignore_index():
    with pytest.raises(RuntimeError, match="ignore_index is not supported for floating point target"):
        F.cross_entropy(tg.randn(3, 4), tg.rand(3, 4).softmax(1), ignore_index=0)
    F.cross_entropy(tg.randn(3, 4), tg.rand(3, 4).softmax(1))  # (the default is fine)


@pytest.mark.parametrize("call,size", [
    (lambda: F.group_norm(tg.randn(1, 3), 3), "[1, 3]"),
    (lambda: tg.nn.GroupNorm(4, 4).eval()(tg.randn(1, 4, 1)), "[1, 4, 1]"),
])
def test_group_norm_needs_more_than_one_value_per_group(call, size):
    with pytest.raises(ValueError, match=rf"Expected more than 1 value per channel when training, got input size "
                                         rf"\{size[:-1]}\]"):
        call()
    assert F.group_norm(tg.randn(1, 4, 1), 2).shape == (1, 4, 1)


def test_attention_takes_a_mask_and_is_causal_on_the_fused_path():
    rng = np.random.default_rng(0)
    q, k = (tg.tensor(rng.standard_normal(s).astype(np.float32)) for s in ((2, 4, 3, 2), (2, 4, 5, 2)))
    allowed = tg.tensor(rng.random((3, 5)) > 0.3)
    both = F.scaled_dot_product_attention(q, k, k, attn_mask=allowed, is_causal=True)
    combined = F.scaled_dot_product_attention(q, k, k, attn_mask=allowed & tg.ones(3, 5, dtype=tg.bool).tril())
    np.testing.assert_allclose(both.numpy(), combined.numpy(), atol=1e-6)
    with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set when is_causal=True"):
        F.scaled_dot_product_attention(q[0], k[0], k[0], attn_mask=allowed, is_causal=True)  # (3-D: the math path)


def test_rrelu_draws_pytorchs_slopes():
    tg.manual_seed(0)
    out = tg.nn.RReLU()(tg.tensor([1.0, -1.0, -1.0, 2.0, -3.0]))
    np.testing.assert_allclose(out.numpy(), [1.0, -0.3271, -0.2725, 2.0, -0.6621], atol=1e-4)
    assert tg.rand(1).item() == pytest.approx(0.4901, abs=1e-4)  # (the generator moved as PyTorch's)
    tg.manual_seed(0)
    x = tg.tensor([-1.0, 2.0, -0.5], requires_grad=True)
    tg.rrelu(x, training=True).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.3271, 1.0, 0.2725], atol=1e-4)


def test_pdist_of_one_row_keeps_the_graph():
    x = tg.randn(1, 3, requires_grad=True)
    y = F.pdist(x)
    assert y.shape == (0,) and type(y.grad_fn).__name__ == "PdistBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [[0.0, 0.0, 0.0]]


def test_margin_ranking_loss_needs_inputs_of_one_rank():
    with pytest.raises(RuntimeError, match="All input tensors should have same dimension"):
        F.margin_ranking_loss(tg.randn(3, 1), tg.randn(1), tg.ones(1))
    assert F.margin_ranking_loss(tg.ones(3), tg.zeros(3), tg.ones(3)).item() == 0.0


def _complex(rng, *shape):
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


@pytest.mark.parametrize("case", ["linear", "linear_1d", "linear_3d", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                                  "conv_transpose2d"])
def test_complex_layers_conjugate_the_other_factor(case):
    """Each gradient of a bilinear layer takes the conjugate of the other factor: the same as
    writing the product out with matmul / the real and imaginary parts (checked that way here)."""
    rng = np.random.default_rng(3)
    shapes = {"linear": ((3, 4), (2, 4)), "linear_1d": ((4,), (2, 4)), "linear_3d": ((2, 3, 4), (2, 4)),
              "conv1d": ((2, 3, 7), (4, 3, 3)), "conv2d": ((2, 3, 5, 4), (4, 3, 3, 2)),
              "conv3d": ((1, 2, 4, 4, 3), (3, 2, 2, 2, 2)), "conv_transpose1d": ((2, 3, 5), (3, 2, 3)),
              "conv_transpose2d": ((2, 3, 4, 3), (3, 2, 2, 2))}[case]
    X, W = (_complex(rng, *s) for s in shapes)
    op = {"linear": F.linear, "linear_1d": F.linear, "linear_3d": F.linear, "conv1d": F.conv1d, "conv2d": F.conv2d,
          "conv3d": F.conv3d, "conv_transpose1d": lambda x, w: F.conv_transpose1d(x, w, stride=2),
          "conv_transpose2d": lambda x, w: F.conv_transpose2d(x, w, stride=2)}[case]

    def real_parts(xr, xi, wr, wi):  # the same product from its four real products
        return op(xr, wr) - op(xi, wi), op(xr, wi) + op(xi, wr)

    x = tg.tensor(X, requires_grad=True)
    w = tg.tensor(W, requires_grad=True)
    y = op(x, w)
    (y.real * 1.5 + y.imag * 0.5).sum().backward()
    parts = [tg.tensor(a, requires_grad=True) for a in (X.real, X.imag, W.real, W.imag)]
    re, im = real_parts(*parts)
    (re * 1.5 + im * 0.5).sum().backward()
    # PyTorch's complex gradient is d/dRe + i d/dIm
    np.testing.assert_allclose(x.grad.numpy(), parts[0].grad.numpy() + 1j * parts[1].grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(w.grad.numpy(), parts[2].grad.numpy() + 1j * parts[3].grad.numpy(), atol=1e-10)


def test_activation_classes_follow_pytorchs_hierarchy():
    nn = tg.nn
    assert isinstance(nn.ReLU6(), nn.Hardtanh) and (nn.ReLU6().min_val, nn.ReLU6().max_val) == (0.0, 6.0)
    assert not isinstance(nn.CELU(), nn.ELU) and not isinstance(nn.Softshrink(), nn.Hardshrink)
    assert [repr(m) for m in (nn.ReLU6(), nn.ReLU6(True), nn.CELU(2.0), nn.Softshrink(0.3))] == [
        "ReLU6()", "ReLU6(inplace=True)", "CELU(alpha=2.0)", "Softshrink(0.3)"]
    assert nn.ReLU6()(tg.tensor([-1.0, 7.0])).tolist() == [0.0, 6.0]
    assert nn.Softshrink(0.3)(tg.tensor([1.0])).item() == pytest.approx(0.7)
    assert nn.CELU(2.0)(tg.tensor([-1.0])).item() == pytest.approx(2.0 * (np.exp(-0.5) - 1))


def test_a_scalar_parameter_loads_a_one_element_vector():
    module = tg.nn.Module()
    module.p = tg.nn.Parameter(tg.tensor(1.0))
    module.load_state_dict({"p": tg.tensor([5.0])})  # (0.3-era checkpoints kept scalars as 1-D)
    assert module.p.shape == () and module.p.item() == 5.0
    with pytest.raises(RuntimeError, match=r"size mismatch for p: copying a param with shape torch.Size\(\[2\]\)"):
        module.load_state_dict({"p": tg.tensor([5.0, 6.0])})


def test_parameter_dict_reverses():
    t = tg.zeros(1)
    pd = tg.nn.ParameterDict({"a": tg.nn.Parameter(t), "b": tg.nn.Parameter(t)})
    assert list(reversed(pd)) == ["b", "a"]


def test_future_switch_overwrites_parameters_on_conversion():
    future = tg.__future__
    assert not future.get_overwrite_module_params_on_conversion()
    m = tg.nn.Linear(2, 2)
    w = m.weight
    m.double()
    assert m.weight is w and w.dtype is tg.float64  # (the default: converted in place)
    future.set_overwrite_module_params_on_conversion(True)
    try:
        m = tg.nn.Linear(2, 2)
        w = m.weight
        m.double()
        assert m.weight is not w and isinstance(m.weight, tg.nn.Parameter)
        assert m.weight.dtype is tg.float64 and w.dtype is tg.float32
    finally:
        future.set_overwrite_module_params_on_conversion(False)
    future.set_swap_module_params_on_conversion(True)
    try:
        assert future.get_swap_module_params_on_conversion()
        m = tg.nn.Linear(2, 2)
        w = m.weight
        m.double()
        assert m.weight is w and w.dtype is tg.float64
    finally:
        future.set_swap_module_params_on_conversion(False)
