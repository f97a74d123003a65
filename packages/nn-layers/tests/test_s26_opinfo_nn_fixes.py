"""Fixes from running PyTorch 2.13's OpInfo samples against tensorgraft: rrelu of a 0-d input in
training, native_group_norm / group_norm with an empty batch or empty groups, and bilinear's
integer dtypes. Expected values computed with PyTorch 2.13 CPU; no torch import."""
import math

import pytest

import tensorgraft as tg
import tensorgraft.nn.functional as F


def test_rrelu_training_on_a_0d_input():
    # crashed with IndexError (the mask of negative elements became 1-d)
    tg.manual_seed(0)
    out = F.rrelu(tg.tensor(-1.), 0., 1., training=True)
    assert out.shape == () and out.item() == pytest.approx(-0.9700530171394348, abs=0)
    assert tg.rand(1).item() == pytest.approx(0.08847743272781372, abs=0)  # one draw consumed, as PyTorch
    tg.manual_seed(3)
    x = tg.tensor(-2., dtype=tg.float64, requires_grad=True)
    y = F.rrelu(x, 0.1, 0.3, training=True)
    y.backward()
    assert y.item() == -0.2136432782602082 and x.grad.item() == 0.1068216391301041
    assert y.grad_fn.name() == "RreluWithNoiseBackward0"
    tg.manual_seed(3)
    x = tg.tensor(-2.)
    F.rrelu(x, 0.1, 0.3, training=True, inplace=True)
    assert x.item() == -0.21364328265190125
    assert F.rrelu(tg.tensor(5.), training=True).item() == 5.0


def test_native_group_norm_empty_batch():
    # raised "cannot reshape tensor of 0 elements into shape [0, 1, -1]"
    out, mean, rstd = tg.native_group_norm(tg.zeros(0, 2), tg.ones(2), tg.zeros(2), 0, 2, 1, 1, 1e-5)
    assert (tuple(out.shape), tuple(mean.shape), tuple(rstd.shape)) == ((0, 2), (0, 1), (0, 1))
    out, mean, rstd = tg.native_group_norm(tg.zeros(0, 4, 3), None, None, 0, 4, 3, 2, 1e-5)
    assert (tuple(out.shape), tuple(mean.shape), tuple(rstd.shape)) == ((0, 4, 3), (0, 2), (0, 2))


def test_native_group_norm_empty_groups_give_mean_zero_rstd_nan():
    out, mean, rstd = tg.native_group_norm(tg.zeros(2, 4, 0), None, None, 2, 4, 0, 2, 1e-5)
    assert tuple(out.shape) == (2, 4, 0)
    assert mean.tolist() == [[0.0, 0.0], [0.0, 0.0]]
    assert all(math.isnan(v) for row in rstd.tolist() for v in row) and tuple(rstd.shape) == (2, 2)


@pytest.mark.parametrize("shape", [(0, 2), (0, 4, 3), (0, 4, 3, 3)])
def test_group_norm_empty_batch(shape):
    x = tg.zeros(*shape, requires_grad=True)
    y = F.group_norm(x, 2, tg.ones(shape[1]), tg.zeros(shape[1]))
    assert tuple(y.shape) == shape and y.grad_fn.name() == "NativeGroupNormBackward0"
    y.sum().backward()
    assert tuple(x.grad.shape) == shape


@pytest.mark.parametrize("dtype, expected", [
    (tg.int32, [[22, 59], [122, 375]]), (tg.int16, [[22, 59], [122, 375]]), (tg.int8, [[22, 59], [122, 119]]),
    (tg.int64, [[22, 59], [122, 375]])])
def test_bilinear_keeps_integer_dtype(dtype, expected):
    # int32 inputs gave int64 (NumPy's sum widens); PyTorch keeps the dtype and wraps around
    a = tg.tensor([[1, 2], [3, 4]], dtype=dtype)
    b = tg.tensor([[1, -1, 2], [0, 5, 1]], dtype=dtype)
    w = tg.arange(12, dtype=dtype).reshape(2, 2, 3)
    assert F.bilinear(a, b, w).dtype == dtype
    out = F.bilinear(a, b, w, tg.tensor([1, 2], dtype=dtype))
    assert out.dtype == dtype and out.tolist() == expected


def test_bilinear_uint8_wraps():
    a = tg.tensor([[1, 2], [3, 4]], dtype=tg.uint8)
    b = tg.tensor([[1, 1, 2], [0, 5, 1]], dtype=tg.uint8)
    w = tg.arange(12, dtype=tg.uint8).reshape(2, 2, 3)
    out = F.bilinear(a, b, w, tg.tensor([1, 2], dtype=tg.uint8))
    assert out.dtype == tg.uint8 and out.tolist() == [[40, 113], [122, 119]]
    small = F.bilinear(tg.tensor([[100, 2]], dtype=tg.int8), tg.tensor([[100, 1, 1]], dtype=tg.int8),
                       tg.full((1, 2, 3), 100, dtype=tg.int8))
    assert small.dtype == tg.int8 and small.tolist() == [[16]]


def test_triplet_margin_with_distance_loss_with_a_module_distance():
    # the OpInfo sweep's RecursionError came from its sample passing *torch's* PairwiseDistance module
    # to tensorgraft tensors; tensorgraft's own module works
    a = tg.tensor([[0.5, -1.0, 2.0], [1.5, 0.0, -0.5]])
    p = tg.tensor([[0.0, -1.0, 1.0], [1.0, 1.0, -1.0]])
    n = tg.tensor([[2.0, 1.0, 0.0], [1.5, 0.25, -0.5]])
    loss = F.triplet_margin_with_distance_loss(a, p, n, distance_function=tg.nn.PairwiseDistance(), reduction="none")
    assert loss.tolist() == [0.0, 1.974745750427246]
    assert F.triplet_margin_with_distance_loss(a, p, n, reduction="none").tolist() == [0.0, 1.974745750427246]
