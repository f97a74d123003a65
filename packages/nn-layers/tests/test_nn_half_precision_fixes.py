"""Half-precision fixes found by running PyTorch's OpInfo database in bfloat16 and float16: the
chunked linear_cross_entropy takes bfloat16 inputs with its float32 accumulation, and conv
gradients of float16 operands are accumulated in float32 and rounded once (as ATen's)."""
import numpy as np
import pytest

pytest.importorskip("tensorgraft.nn", reason="needs tensorgraft-nn")
pytest.importorskip("tensorgraft.autograd", reason="needs tensorgraft-autograd")

import tensorgraft as tg  # noqa: E402
import tensorgraft.nn.functional as F  # noqa: E402

RNG = np.random.default_rng(7)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_chunked_linear_cross_entropy_takes_bfloat16_inputs(reduction):
    x64, w64 = RNG.standard_normal((8, 3)), RNG.standard_normal((4, 3))
    t = tg.tensor([0, 3, 1, 2, 2, 0, 1, 3])
    x = tg.tensor(x64, dtype=tg.bfloat16, requires_grad=True)
    w = tg.tensor(w64, dtype=tg.bfloat16, requires_grad=True)
    options = tg.nn.LinearCrossEntropyOptions(batch_chunk_size=3)
    loss = F.linear_cross_entropy(x, w, t, reduction=reduction, options=options)
    assert loss.dtype == tg.bfloat16
    # the float32 result of the same (bfloat16-rounded) operands, rounded once
    xr, wr = (a.detach().float().requires_grad_() for a in (x, w))
    want = F.cross_entropy(xr @ wr.T, t, reduction=reduction)
    np.testing.assert_allclose(loss.float().detach().numpy(), want.detach().numpy(), rtol=1e-2, atol=1e-2)
    loss.sum().backward()
    want.sum().backward()
    assert x.grad.dtype == w.grad.dtype == tg.bfloat16
    np.testing.assert_allclose(x.grad.float().numpy(), xr.grad.numpy(), rtol=2e-2, atol=1e-2)
    np.testing.assert_allclose(w.grad.float().numpy(), wr.grad.numpy(), rtol=2e-2, atol=1e-2)


def test_chunked_linear_cross_entropy_still_refuses_a_narrower_accumulation():
    x = tg.randn(4, 3, dtype=tg.float32)
    w = tg.randn(5, 3, dtype=tg.float32)
    options = tg.nn.LinearCrossEntropyOptions(acc_dtype=tg.float16)
    with pytest.raises(RuntimeError, match="^linear_cross_entropy supports float32 acc_dtype with float16/bfloat16 "
                                           "inputs, but got torch.float16 acc_dtype and torch.float32 inputs.$"):
        F.linear_cross_entropy(x, w, tg.tensor([0, 1, 2, 3]), options=options)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("groups, transposed", [(1, False), (4, False), (1, True)])
def test_conv_gradients_of_half_operands_are_rounded_once(dtype, groups, transposed):
    """Each gradient is the float32 gradient of the same operands rounded to the half type once
    (ATen accumulates half convolutions in float32); summing kernel offsets in float16 rounded after
    every one and was several times further from the exact gradient than PyTorch's."""
    half = getattr(tg, dtype)
    x0 = RNG.standard_normal((2, 4, 9, 9)) * 4
    w0 = RNG.standard_normal((4, 4 // groups, 3, 3)) * 4
    g0 = RNG.standard_normal((2, 4, 9, 9) if not transposed else (2, 4, 11, 11))
    conv = F.conv_transpose2d if transposed else F.conv2d
    kwargs = {} if transposed else {"padding": 1, "groups": groups}
    grads = {}
    for dt in (half, tg.float32):
        x = tg.tensor(x0, dtype=half).to(dt).requires_grad_()
        w = tg.tensor(w0, dtype=half).to(dt).requires_grad_()
        b = tg.zeros(4, dtype=dt, requires_grad=True)
        conv(x, w, b, **kwargs).backward(tg.tensor(g0, dtype=half).to(dt))
        grads[dt] = [t.grad for t in (x, w, b)]
    for mine, wide in zip(grads[half], grads[tg.float32]):
        assert mine.dtype == half
        assert tg.equal(mine, wide.to(half))


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("batch_shape", [(6,), (2, 3)])
def test_linear_gradients_of_half_operands_are_rounded_once(dtype, batch_shape):
    """float16 as bfloat16: the gradients are the float32 ones of the same operands rounded once
    (NumPy's float16 products, a plain loop, made a float16 Linear's backward ~25x slower)."""
    half = getattr(tg, dtype)
    x0, w0, b0 = RNG.standard_normal(batch_shape + (5,)), RNG.standard_normal((4, 5)), RNG.standard_normal(4)
    g0 = RNG.standard_normal(batch_shape + (4,))
    grads = {}
    for dt in (half, tg.float32):
        x, w, b = (tg.tensor(a, dtype=half).to(dt).requires_grad_() for a in (x0, w0, b0))
        F.linear(x, w, b).backward(tg.tensor(g0, dtype=half).to(dt))
        grads[dt] = [t.grad for t in (x, w, b)]
    for mine, wide in zip(grads[half], grads[tg.float32]):
        assert mine.dtype == half
        assert tg.equal(mine, wide.to(half))


def _grid_sample_cases():
    x2, g2 = RNG.standard_normal((2, 3, 6, 7)), RNG.uniform(-1.2, 1.2, (2, 4, 5, 2))
    x3, g3 = RNG.standard_normal((1, 2, 4, 5, 3)), RNG.uniform(-1.2, 1.2, (1, 2, 3, 4, 3))
    for mode in ("bilinear", "nearest", "bicubic"):
        for padding in ("zeros", "border", "reflection"):
            for align in (False, True):
                yield x2, g2, dict(mode=mode, padding_mode=padding, align_corners=align)
                if mode != "bicubic":
                    yield x3, g3, dict(mode=mode, padding_mode=padding, align_corners=align)


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_grid_sample_of_half_operands_is_float32_rounded_once(dtype):
    half = getattr(tg, dtype)
    for x64, g64, kwargs in _grid_sample_cases():
        x, grid = tg.tensor(x64, dtype=half), tg.tensor(g64, dtype=half)
        out = F.grid_sample(x, grid, **kwargs)
        assert out.dtype == half
        want = F.grid_sample(x.float(), grid.float(), **kwargs).to(half)
        np.testing.assert_array_equal(out.float().numpy(), want.float().numpy(), err_msg=str(kwargs))


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_grid_sample_of_half_operands_lands_on_the_right_pixels_of_a_large_image(dtype):
    # a bfloat16 row coordinate near 286 has a spacing of 2: unnormalised in the half type (as ATen's
    # scalar kernel does) the point moves by a third of a row; PyTorch's bfloat16 result there is
    # even 0 or NaN. The exact value: bilinear interpolation in float64 of the same half inputs
    H, W = 345, 456
    image = ((np.arange(H)[:, None] * 37 + np.arange(W)[None, :] * 11) % 256).astype(np.float64)
    gx, gy = -0.9921875, -0.1689453125  # exact in both half types
    x = tg.tensor(image[None, None], dtype=getattr(tg, dtype))
    grid = tg.tensor([[[[gx, gy]]]], dtype=getattr(tg, dtype))
    ix, iy = ((gx + 1) * W - 1) / 2, ((gy + 1) * H - 1) / 2  # align_corners=False
    x0, y0 = int(np.floor(ix)), int(np.floor(iy))
    fx, fy = ix - x0, iy - y0
    exact = ((1 - fx) * (1 - fy) * image[y0, x0] + fx * (1 - fy) * image[y0, x0 + 1]
             + (1 - fx) * fy * image[y0 + 1, x0] + fx * fy * image[y0 + 1, x0 + 1])
    got = F.grid_sample(x, grid, align_corners=False).float().item()
    assert abs(got - exact) <= 1.0, (got, exact)  # the output's own rounding (bfloat16: 1 at 128..256)
    nearest = F.grid_sample(x, grid, mode="nearest", align_corners=False).float().item()
    assert nearest == image[int(np.rint(iy)), int(np.rint(ix))]
