"""Loss-function fixes found by differential fuzzing against PyTorch 2.13 (expected values and
messages hard-coded from PyTorch; no torch import)."""
import math

import numpy as np
import pytest

import tensorgraft as torch
import tensorgraft.nn.functional as F


def _close(got, want, rel=1e-12):
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape
    assert np.array_equal(np.isnan(got), np.isnan(want)), (got, want)
    ok = ~np.isnan(want)
    np.testing.assert_allclose(got[ok], want[ok], rtol=rel, atol=0)


# ---------------------------------------------------------------- binary_cross_entropy at 0 and 1
def _bce_case():
    x = torch.tensor([0.0, 1.0, 0.0, 0.25], dtype=torch.float64, requires_grad=True)
    t = torch.tensor([0.3, 0.6, 0.0, 0.5], dtype=torch.float64, requires_grad=True)
    w = torch.tensor([1.0, 2.0, 3.0, 0.5], dtype=torch.float64)
    return x, t, F.binary_cross_entropy(x, t, weight=w, reduction="mean")


def test_bce_gradient_uses_float_epsilon():
    # PyTorch's EPSILON is the float 1e-12 (9.99999996e-13): -0.3 / 4 / EPSILON is not -7.5e10
    x, t, loss = _bce_case()
    gx, gt = torch.autograd.grad(loss, (x, t))
    _close(gx.tolist(), [-75000000299.68521, 200000000799.16058, 0.0, -0.16666666666666666])
    _close(gt.tolist(), [math.inf, -math.inf, math.inf, 0.13732653608351372])


def test_bce_double_backward_is_pytorchs_formula():
    x, t, loss = _bce_case()
    gx, gt = torch.autograd.grad(loss, (x, t), create_graph=True)
    assert type(gx.grad_fn).__name__ == "BinaryCrossEntropyBackwardBackward0"
    _close(gx.tolist(), [-75000000299.68521, 200000000799.16058, 0.0, -0.16666666666666666])
    g2x, g2t = torch.autograd.grad(gx.sum(), (x, t))
    # (x^2 - 2xt + t) / ((x + eps)^2 (1 - x + eps)^2): 7.5e22 at x = 0, and 0 where x = t = 0
    _close(g2x.tolist(), [7.499999999984999e+22, 1.9999999999959998e+23, 0.0, 1.1111111110992593], rel=1e-9)
    _close(g2t.tolist(), [-250000000000.0, -500000000000.0, -750000000000.0, -0.6666666666666666])


# ---------------------------------------------------------------- kl_div's second derivative at target 0
def test_kl_div_double_backward_at_zero_target():
    x = torch.tensor([-1.0, -2.0], dtype=torch.float64, requires_grad=True)
    t = torch.tensor([0.5, 0.0], dtype=torch.float64, requires_grad=True)
    loss = F.kl_div(x, t, reduction="sum")
    gx, gt = torch.autograd.grad(loss, (x, t), create_graph=True)
    _close(gt.tolist(), [1.3068528194400546, math.nan])
    g2x, g2t = torch.autograd.grad(gt.sum(), (x, t))
    _close(g2x.tolist(), [-1.0, -1.0])   # was [-1, 0]
    _close(g2t.tolist(), [2.0, math.nan])


# ---------------------------------------------------------------- cosine_embedding_loss's epsilon
def test_cosine_embedding_loss_float_epsilon_at_zero_vector():
    a = torch.tensor([[0.0, 0.0], [1.0, 2.0]], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([[0.5, -1.0], [2.0, 1.0]], dtype=torch.float64, requires_grad=True)
    loss = F.cosine_embedding_loss(a, b, torch.tensor([1, -1]), reduction="sum")
    _close(loss.item(), 1.79999999999984)
    (ga,) = torch.autograd.grad(loss, a)
    _close(ga.tolist(), [[-447213.59639326774, 894427.1927865355], [0.23999999999998398, -0.11999999999991201]])


# ---------------------------------------------------------------- uint8 targets of K-dimensional inputs
@pytest.mark.parametrize("shape", [(2, 3, 2), (2, 3, 2, 2), (0, 3, 2, 2), (2, 3, 1, 1, 2)])
@pytest.mark.parametrize("fn", ["nll_loss", "cross_entropy", "smoothed"])
def test_uint8_targets_refused_beyond_two_dims(shape, fn):
    x = torch.zeros(shape, dtype=torch.float64, requires_grad=True)
    t = torch.zeros((shape[0],) + shape[2:], dtype=torch.uint8)
    with pytest.raises(RuntimeError, match="^expected scalar type Long but found Byte$"):
        if fn == "smoothed":
            F.cross_entropy(x, t, label_smoothing=0.1)
        else:
            getattr(F, fn)(x, t)
    # one or two dims (nll_loss's own kernel) still take Byte targets
    x2 = torch.zeros((2, 3), dtype=torch.float64)
    assert F.nll_loss(x2, torch.zeros(2, dtype=torch.uint8)).item() == 0.0




# ---------------------------------------------------------------- gaussian_nll_loss's check order
def test_gaussian_nll_loss_checks_sign_before_size_and_reduction():
    with pytest.raises(ValueError, match="^var has negative entry/entries$"):
        F.gaussian_nll_loss(torch.zeros(2, 3), torch.zeros(2, 3), -torch.ones(3, 2))
    with pytest.raises(ValueError, match="^var has negative entry/entries$"):
        F.gaussian_nll_loss(torch.zeros(2, 3), torch.zeros(2, 3), -1.0, reduction="bad")
    with pytest.raises(ValueError, match="^bad is not valid$"):
        F.gaussian_nll_loss(torch.zeros(2, 3), torch.zeros(2, 3), torch.ones(2, 3), reduction="bad")
    with pytest.raises(ValueError, match="^var is of incorrect size$"):
        F.gaussian_nll_loss(torch.zeros(2, 3), torch.zeros(2, 3), torch.ones(1, 1))


# ---------------------------------------------------------------- nll_loss's double backward
def test_nll_loss_gradient_requires_grad_under_create_graph():
    x = torch.tensor([[0.1, 0.5, -0.3], [0.2, -0.1, 0.4]], dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(F.nll_loss(x, torch.tensor([2, 0])), x, create_graph=True)
    assert g.requires_grad and type(g.grad_fn).__name__ == "NllLossBackwardBackward0"
    (g2,) = torch.autograd.grad(g.sum(), x)
    assert g2.tolist() == [[0.0] * 3] * 2


def test_nll_loss_kdim_second_derivative_through_upstream_gradient():
    x = torch.tensor([[[0.1, -0.4], [0.3, 0.2], [-0.5, 0.7]]], dtype=torch.float64, requires_grad=True)
    loss = F.nll_loss(x, torch.tensor([[2, 0]]), reduction="sum")
    (g,) = torch.autograd.grad(loss * loss, x, create_graph=True)
    assert type(g.grad_fn).__name__ == "ViewBackward0"
    (g2,) = torch.autograd.grad(g.sum(), x)   # raised "element 0 of tensors does not require grad"
    assert g2.tolist() == [[[0.0, 4.0], [0.0, 0.0], [4.0, 0.0]]]


# ---------------------------------------------------------------- losses whose backward has no derivative
def _no_derivative_cases():
    x = torch.tensor([[0.1, 0.5, -0.3], [0.2, -0.1, 0.4]], dtype=torch.float64, requires_grad=True)
    lp = torch.tensor([[[-1.0, -0.5, -2.0]], [[-0.7, -1.2, -0.9]]], dtype=torch.float64, requires_grad=True)
    return [
        ("multi_margin_loss_backward", x, lambda: F.multi_margin_loss(x, torch.tensor([2, 0]))),
        ("multilabel_margin_loss_backward", x,
         lambda: F.multilabel_margin_loss(x, torch.tensor([[2, -1, 0], [0, 1, -1]]))),
        ("_ctc_loss_backward", lp, lambda: F.ctc_loss(lp, torch.tensor([[1]]), [2], [1])),
    ]


@pytest.mark.parametrize("i", range(3))
def test_double_backward_refused_as_pytorch(i):
    name, src, f = _no_derivative_cases()[i]
    (g,) = torch.autograd.grad(f(), src, create_graph=True)
    assert g.requires_grad and type(g.grad_fn).__name__ == "NotImplemented"
    with pytest.raises(RuntimeError, match=f"^derivative for aten::{name} is not implemented$"):
        g.sum().backward()
    # without create_graph the gradient is a plain tensor, as before
    (g,) = torch.autograd.grad(f(), src)
    assert not g.requires_grad
