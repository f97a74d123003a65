"""nn.attention (SDPBackend, sdpa_kernel) and nn.grad (convolution input/weight gradients) without PyTorch."""
import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn.functional as F
from tensorgraft.nn import grad as nngrad
from tensorgraft.nn.attention import SDPBackend, _cur_sdpa_kernel_backends, sdpa_kernel

NO_BACKEND = ("No viable backend for scaled_dot_product_attention was found. This is likely due to turning off "
              "both the math kernel and the fused kernels.")


def test_backend_enum():
    assert repr(SDPBackend.MATH) == "<SDPBackend.MATH: 0>" and str(SDPBackend.MATH) == "SDPBackend.MATH"
    assert [int(b) for b in SDPBackend] == [-1, 0, 1, 2, 3, 4]
    assert SDPBackend.MATH != 0


def test_sdpa_kernel_selects_and_restores(tg_device):
    q = tg.tensor(np.random.default_rng(0).standard_normal((1, 2, 3, 4)), device=tg_device)
    everything = _cur_sdpa_kernel_backends()
    reference = F.scaled_dot_product_attention(q, q, q)
    for allowed in (SDPBackend.MATH, [SDPBackend.FLASH_ATTENTION], [SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH]):
        with sdpa_kernel(allowed) as value:
            assert value == {}
            out = F.scaled_dot_product_attention(q, q, q)
        np.testing.assert_array_equal(out.cpu().numpy(), reference.cpu().numpy())
    for refused in ([], SDPBackend.ERROR, [SDPBackend.OVERRIDEABLE]):
        with sdpa_kernel(refused):
            with pytest.raises(RuntimeError) as info:
                F.scaled_dot_product_attention(q, q, q)
            assert str(info.value) == NO_BACKEND
    assert _cur_sdpa_kernel_backends() == everything


def test_efficient_alone_runs_on_cuda_only(tg_device):
    q = tg.ones(1, 1, 2, 2, device=tg_device)
    with sdpa_kernel([SDPBackend.EFFICIENT_ATTENTION, SDPBackend.CUDNN_ATTENTION]):
        if tg_device == "cpu":
            with pytest.raises(RuntimeError, match="No viable backend"):
                F.scaled_dot_product_attention(q, q, q)
        else:
            assert tuple(F.scaled_dot_product_attention(q, q, q).shape) == (1, 1, 2, 2)


def test_sdpa_kernel_argument_rules():
    with sdpa_kernel([SDPBackend.MATH, SDPBackend.FLASH_ATTENTION], set_priority=True):
        assert _cur_sdpa_kernel_backends() == [SDPBackend.FLASH_ATTENTION, SDPBackend.MATH]
    with sdpa_kernel([SDPBackend.MATH, SDPBackend.FLASH_ATTENTION, "junk", SDPBackend.MATH]):
        assert _cur_sdpa_kernel_backends() == [SDPBackend.FLASH_ATTENTION, SDPBackend.MATH]
    with sdpa_kernel(SDPBackend.MATH):
        with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
            assert _cur_sdpa_kernel_backends() == [SDPBackend.FLASH_ATTENTION]
        assert _cur_sdpa_kernel_backends() == [SDPBackend.MATH]
    for bad, kind in (("math", "str"), ((SDPBackend.MATH,), "tuple"), (None, "NoneType")):
        with pytest.raises(AssertionError, match=f"list of SDPBackend instances, got {kind}$"):
            with sdpa_kernel(bad):
                pass


def _numeric_input_grad(nd, x_shape, w, go, **kw):
    conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[nd]
    # the convolution is linear in x: grad_x[i] = <go, conv(e_i, w)>
    flat = np.zeros(int(np.prod(x_shape)))
    for i in range(flat.size):
        e = np.zeros(flat.size)
        e[i] = 1.0
        flat[i] = (conv(tg.tensor(e.reshape(x_shape)), w, None, **kw) * go).sum().item()
    return flat.reshape(x_shape)


@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1), dict(dilation=2, groups=2)])
def test_conv_input_and_weight_gradients(nd, kw, tg_device):
    rng = np.random.default_rng(nd * 10 + len(kw))
    x = rng.standard_normal((2, 4) + (5,) * nd)
    w = rng.standard_normal((2, 4 // kw.get("groups", 1)) + (3,) * nd)
    conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[nd]
    xt = tg.tensor(x, device=tg_device, requires_grad=True)
    wt = tg.tensor(w, device=tg_device, requires_grad=True)
    out = conv(xt, wt, None, **kw)
    go = tg.tensor(rng.standard_normal(tuple(out.shape)), device=tg_device)
    out.backward(go)
    gi = getattr(nngrad, f"conv{nd}d_input")(x.shape, wt.detach(), go, **kw)
    gw = getattr(nngrad, f"conv{nd}d_weight")(xt.detach(), w.shape, go, **kw)
    np.testing.assert_allclose(gi.cpu().numpy(), xt.grad.cpu().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gw.cpu().numpy(), wt.grad.cpu().numpy(), rtol=1e-10, atol=1e-12)
    assert not gi.requires_grad and not gw.requires_grad
    if nd == 1 and tg_device == "cpu":  # independent of autograd: the definition of the gradient
        np.testing.assert_allclose(gi.numpy(), _numeric_input_grad(1, x.shape, wt.detach(), go, **kw), atol=1e-10)


def test_conv_grad_is_differentiable_and_checks_shapes():
    rng = np.random.default_rng(5)
    w = tg.tensor(rng.standard_normal((3, 2, 3, 3)), requires_grad=True)
    go = tg.tensor(rng.standard_normal((1, 3, 3, 3)))
    gi = nngrad.conv2d_input((1, 2, 5, 5), w, go)
    assert gi.requires_grad
    gi.sum().backward()
    assert w.grad is not None and tuple(w.grad.shape) == (3, 2, 3, 3)
    with pytest.raises(RuntimeError, match=r"grad_output has shape \(1, 3, 3, 3\)"):
        nngrad.conv2d_input((1, 2, 7, 7), w, go)
