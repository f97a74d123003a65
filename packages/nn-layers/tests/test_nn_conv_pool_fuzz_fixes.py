"""Regressions found by differential fuzzing of convolution, pooling and resampling against
PyTorch 2.13 (expected values and messages hard-coded from PyTorch)."""
import math
import re

import pytest

import tensorgraft as torch
import tensorgraft.nn.functional as F


def test_avg_pool3d_takes_long_input():
    x = torch.arange(2 * 4 * 4 * 4).reshape(1, 2, 4, 4, 4) * 37 % 23 - 11
    y = F.avg_pool3d(x, 2)
    assert y.dtype == torch.int64 and tuple(y.shape) == (1, 2, 2, 2, 2)
    # PyTorch: the window sums divided with C's integer division (toward zero)
    assert y.flatten().tolist()[:4] == [-2, 0, 0, 0]
    y = F.avg_pool3d(x, 3, 2, 1, True, False, 2)
    assert y.flatten().tolist()[:8] == [-8, -1, -3, -2, -4, -5, 0, 5]
    with pytest.raises(NotImplementedError, match="\"avg_pool3d_out_frame\" not implemented for 'Int'"):
        F.avg_pool3d(torch.zeros(1, 1, 2, 2, 2, dtype=torch.int32), 2)


@pytest.mark.parametrize("size", [(1, 2, 3), (1,), [1], (1, 1, 1), (None,), (None, 2, 3)])
def test_adaptive_avg_pool2d_output_size_must_be_2(size):
    with pytest.raises(RuntimeError, match="^adaptive_avg_pool2d: output_size must be 2$"):
        F.adaptive_avg_pool2d(torch.zeros(2, 3, 4, 5), size)


@pytest.mark.parametrize("size", [(1, 2, 3), (1,)])
def test_adaptive_max_pool2d_output_size_must_be_2(size):
    with pytest.raises(RuntimeError, match=r"^adaptive_max_pool2d\(\): internal error: output_size.size\(\) must be 2$"):
        F.adaptive_max_pool2d(torch.zeros(2, 3, 4, 5), size)
    # (the rank is checked first)
    with pytest.raises(RuntimeError, match=r"Expected 3D or 4D tensor, but got: \[1, 2, 2, 3, 4\]"):
        F.adaptive_max_pool2d(torch.zeros(1, 2, 2, 3, 4), (1, 2, 3))


@pytest.mark.parametrize("shape,mode", [((1, 0, 3, 3), "nearest"), ((1, 0, 3, 3), "bilinear"),
                                        ((1, 0, 3, 3), "bicubic"), ((1, 0, 3), "linear"),
                                        ((1, 0, 3), "nearest-exact"), ((1, 0, 3, 3, 3), "trilinear"),
                                        ((1, 0, 3, 3, 3), "nearest")])
def test_interpolate_refuses_zero_channels(shape, mode):
    d = len(shape) - 2
    msg = f"Non-empty {d + 2}D data tensor expected but got a tensor with sizes {list(shape)}"
    with pytest.raises(RuntimeError, match=re.escape(msg)):
        F.interpolate(torch.zeros(shape), size=(4,) * d, mode=mode)


def test_interpolate_bilinear_antialias_refuses_zero_channels():
    with pytest.raises(RuntimeError, match="Non-empty 4D data tensor expected"):
        F.interpolate(torch.zeros(1, 0, 3, 3), size=(4, 4), mode="bilinear", antialias=True)


def test_interpolate_area_3d_refuses_zero_channels():
    with pytest.raises(RuntimeError, match=r"adaptive_avg_pool3d\(\): Expected input to have non-zero size for "
                                            r"non-batch dimensions, but input has sizes \[1, 0, 3, 3, 3\] with "
                                            r"dimension 1 being empty"):
        F.interpolate(torch.zeros(1, 0, 3, 3, 3), size=(4, 4, 4), mode="area")
    # an empty batch, and 1-D/2-D area (adaptive average pools) with no channels, are accepted
    assert tuple(F.interpolate(torch.zeros(0, 2, 3, 3), size=(4, 4), mode="bilinear").shape) == (0, 2, 4, 4)
    assert tuple(F.interpolate(torch.zeros(1, 0, 3, 3), size=(4, 4), mode="area").shape) == (1, 0, 4, 4)
    assert tuple(F.interpolate(torch.zeros(1, 0, 3), size=4, mode="area").shape) == (1, 0, 4)


def test_conv_transpose_output_size_message_unbatched():
    torch.manual_seed(1)
    m = torch.nn.ConvTranspose1d(4, 2, 3, stride=2, padding=1).double()
    msg = (r"requested an output size of \[10\], but valid sizes range from \[11\] to \[12\] "
           r"\(for an input of torch.Size\(\[\]\)\)")
    with pytest.raises(ValueError, match=msg):
        m(torch.zeros(4, 6, dtype=torch.float64), output_size=[10])
    with pytest.raises(ValueError, match=msg):  # (PyTorch names the spatial part it checked)
        m(torch.zeros(4, 6, dtype=torch.float64), output_size=[2, 10])
    m2 = torch.nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1)
    with pytest.raises(ValueError, match=r"\(for an input of torch.Size\(\[6\]\)\)"):
        m2(torch.zeros(4, 6, 6), output_size=[5, 5])


@pytest.mark.parametrize("val", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("align", [False, True])
def test_grid_sample_2d_bilinear_zeros_non_finite_coordinate_gives_nan(val, align):
    x = torch.arange(1., 13., dtype=torch.float64).reshape(1, 1, 3, 4)
    g = torch.full((1, 1, 2, 2), 0.2, dtype=torch.float64)
    g[0, 0, 0, 1] = val
    out = F.grid_sample(x, g, mode="bilinear", padding_mode="zeros", align_corners=align)
    assert math.isnan(out[0, 0, 0, 0].item())
    # the finite point is untouched
    expected = 8.1 if not align else 7.6
    assert abs(out[0, 0, 0, 1].item() - expected) < 1e-12
    # nearest gives the zero of a point outside, as PyTorch
    assert F.grid_sample(x, g, mode="nearest", align_corners=align)[0, 0, 0, 0].item() == 0.0
