"""Graphs users can see match PyTorch 2.13's for nn functions: the nodes of a gradient built with
create_graph=True of mse_loss / smooth_l1_loss / huber_loss (one ``<Loss>BackwardBackward0`` over
the output gradient, the input and the target, and PyTorch's double-backward formulas below it),
the edges of a convolution's ``ConvolutionBackwardBackward0`` (output gradient, input, weight),
F.normalize's ``ClampMinBackward0``, what F.linear's node keeps for saved-tensor hooks, and FX's
name for a traced F.threshold. The expected strings and numbers were produced with PyTorch 2.13
(CPU) on the same inputs and are hard-coded here (these tests do not import torch)."""
from __future__ import annotations

import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft import fx
from tensorgraft.testing.graphs import graph_text as _walk


_R = np.random.RandomState(0)
_X = _R.rand(3, 4) + 0.5
_Y = _R.rand(3, 4) * 0.9 + 0.3
_R0 = np.random.RandomState(0)
_R0.rand(3, 4)
_Y2 = _R0.rand(3, 4) + 0.5  # (the second draw of seed 0, as the composed-loss cases were computed)

_LOSSES = {"mse_loss": ({}, "MseLossBackwardBackward0"),
           "smooth_l1_loss": ({"beta": 0.7}, "SmoothL1LossBackwardBackward0"),
           "huber_loss": ({"delta": 0.3}, "HuberLossBackwardBackward0")}
_ACC = "AccumulateGrad"


def _loss_grads(name, reduction):
    """gx, gy (create_graph, with an output gradient v that requires grad), then the gradients of
    sum(gx^2) + sum((3 gy)^3) for x, y and v (create_graph again)."""
    kw, _ = _LOSSES[name]
    x = tg.tensor(_X, requires_grad=True)
    y = tg.tensor(_Y, requires_grad=True)
    out = getattr(F, name)(x, y, reduction=reduction, **kw)
    v = tg.full_like(out, 1.5).requires_grad_()
    gx, gy = tg.autograd.grad(out, (x, y), grad_outputs=v, create_graph=True)
    hx, hy, hv = tg.autograd.grad((gx * gx).sum() + (gy * 3).pow(3).sum(), (x, y, v), create_graph=True)
    return gx, gy, hx, hy, hv


# PyTorch's graph of hv (the output gradient's derivative) for mse/smooth_l1 ({N}: the loss's node),
# by reduction; huber's differs (huber_loss_double_backward_grad_output: the op over ones, times
# the incoming gradient, summed)
_HV_REDUCED = ("AddBackward0[SumBackward0,SumBackward0] SumBackward0[{N}] SumBackward0[{N}] "
               "{N}[MulBackward0,AccumulateGrad,AccumulateGrad] {N}[AddBackward0,AccumulateGrad,AccumulateGrad] "
               "MulBackward0[MulBackward0,None] AccumulateGrad[] AccumulateGrad[] "
               "AddBackward0[MulBackward0,MulBackward0] MulBackward0[None,MulBackward1] MulBackward0[None,{N}] "
               "MulBackward0[None,{N}] MulBackward1[PowBackward0] {N}[AccumulateGrad,AccumulateGrad,AccumulateGrad] "
               "PowBackward0[MulBackward0] AccumulateGrad[] MulBackward0[{N},None] "
               "{N}[AccumulateGrad,AccumulateGrad,AccumulateGrad]")
_HV_NONE = ("AddBackward0[{N},{N}] {N}[MulBackward0,AccumulateGrad,AccumulateGrad] "
            "{N}[AddBackward0,AccumulateGrad,AccumulateGrad] MulBackward0[MulBackward0,None] AccumulateGrad[] "
            "AccumulateGrad[] AddBackward0[MulBackward0,MulBackward0] MulBackward0[None,MulBackward1] "
            "MulBackward0[None,{N}] MulBackward0[None,{N}] MulBackward1[PowBackward0] "
            "{N}[AccumulateGrad,AccumulateGrad,AccumulateGrad] PowBackward0[MulBackward0] AccumulateGrad[] "
            "MulBackward0[{N},None] {N}[AccumulateGrad,AccumulateGrad,AccumulateGrad]")
_HV_HUBER_REDUCED = (
    "AddBackward0[SumBackward0,SumBackward0] SumBackward0[MulBackward0] SumBackward0[MulBackward0] "
    "MulBackward0[{N},MulBackward0] MulBackward0[{N},AddBackward0] {N}[None,AccumulateGrad,AccumulateGrad] "
    "MulBackward0[MulBackward0,None] {N}[None,AccumulateGrad,AccumulateGrad] AddBackward0[MulBackward0,MulBackward0] "
    "AccumulateGrad[] AccumulateGrad[] MulBackward0[None,MulBackward1] MulBackward0[None,{N}] MulBackward0[None,{N}] "
    "MulBackward1[PowBackward0] {N}[AccumulateGrad,AccumulateGrad,AccumulateGrad] PowBackward0[MulBackward0] "
    "AccumulateGrad[] MulBackward0[{N},None] {N}[AccumulateGrad,AccumulateGrad,AccumulateGrad]")


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", sorted(_LOSSES))
def test_loss_double_backward_graph_is_pytorchs(name, reduction):
    node = _LOSSES[name][1]
    gx, gy, hx, hy, hv = _loss_grads(name, reduction)
    # the gradient is one node over (output gradient, input, target); the target's swaps the two
    first = f"{node}[{_ACC},{_ACC},{_ACC}] {_ACC}[] {_ACC}[] {_ACC}[]"
    assert _walk(gx.grad_fn) == first
    assert _walk(gy.grad_fn) == first
    assert gx.grad_fn.next_functions[1][0].variable is gy.grad_fn.next_functions[2][0].variable
    if reduction == "none":
        expected = _HV_NONE
    else:
        expected = _HV_HUBER_REDUCED if name == "huber_loss" else _HV_REDUCED
    assert _walk(hv.grad_fn) == expected.format(N=node)


# PyTorch's graph of hx for reduction='mean' (its double-backward formulas: a Scalar product and
# the mean's Scalar division for mse; smooth_l1's mask and two divisions; huber's mask)
_HX_MEAN = {
    "mse_loss": (
        "AddBackward0[NegBackward0,DivBackward1] NegBackward0[DivBackward1] DivBackward1[MulBackward1] "
        "DivBackward1[MulBackward1] MulBackward1[MulBackward0] MulBackward1[MulBackward0] "
        "MulBackward0[AddBackward0,AccumulateGrad] MulBackward0[MulBackward0,AccumulateGrad] "
        "AddBackward0[MulBackward0,MulBackward0] AccumulateGrad[] MulBackward0[MulBackward0,None] "
        "MulBackward0[None,{N}] MulBackward0[None,{N}] MulBackward0[None,MulBackward1] "
        "{N}[AccumulateGrad,AccumulateGrad,AccumulateGrad] MulBackward1[PowBackward0] AccumulateGrad[] "
        "AccumulateGrad[] PowBackward0[MulBackward0] MulBackward0[{N},None] {N}[AccumulateGrad,AccumulateGrad,"
        "AccumulateGrad]"),
    "smooth_l1_loss": (
        "AddBackward0[NegBackward0,DivBackward1] NegBackward0[DivBackward1] DivBackward1[DivBackward1] "
        "DivBackward1[DivBackward1] DivBackward1[MulBackward0] DivBackward1[MulBackward0] "
        "MulBackward0[MulBackward0,None] MulBackward0[MulBackward0,None] MulBackward0[AddBackward0,AccumulateGrad] "
        "MulBackward0[MulBackward0,AccumulateGrad] AddBackward0[MulBackward0,MulBackward0] AccumulateGrad[] "
        "MulBackward0[MulBackward0,None] MulBackward0[None,{N}] MulBackward0[None,{N}] "
        "MulBackward0[None,MulBackward1] {N}[AccumulateGrad,AccumulateGrad,AccumulateGrad] "
        "MulBackward1[PowBackward0] AccumulateGrad[] AccumulateGrad[] PowBackward0[MulBackward0] "
        "MulBackward0[{N},None] {N}[AccumulateGrad,AccumulateGrad,AccumulateGrad]"),
    "huber_loss": (
        "AddBackward0[NegBackward0,DivBackward1] NegBackward0[DivBackward1] DivBackward1[MulBackward0] "
        "DivBackward1[MulBackward0] MulBackward0[MulBackward0,None] MulBackward0[MulBackward0,None] "
        "MulBackward0[AddBackward0,AccumulateGrad] MulBackward0[MulBackward0,AccumulateGrad] "
        "AddBackward0[MulBackward0,MulBackward0] AccumulateGrad[] MulBackward0[MulBackward0,None] "
        "MulBackward0[None,{N}] MulBackward0[None,{N}] MulBackward0[None,MulBackward1] "
        "{N}[AccumulateGrad,AccumulateGrad,AccumulateGrad] MulBackward1[PowBackward0] AccumulateGrad[] "
        "AccumulateGrad[] PowBackward0[MulBackward0] MulBackward0[{N},None] {N}[AccumulateGrad,AccumulateGrad,"
        "AccumulateGrad]"),
}

# PyTorch's values (reduction='mean'): gx, hx (hy is -hx) and hv
_VALUES_MEAN = {
    "mse_loss": (
        [0.0593933497, 0.020538098, 0.1847077309, 0.1666167033, 0.1513645604, 0.024134063, -0.0156884661,
         0.0771905168, 0.0707265631, -0.0339502972, 0.144098403, 0.0066046653],
        [-0.0417366175, 0.0017273263, -0.5985142883, -0.4788544463, -0.3882701303, 0.0002723583, -0.0128283245,
         -0.0820618534, -0.0659322147, -0.0403157579, -0.348428881, 0.0024189952],
        -0.8297657789),
    "smooth_l1_loss": (
        [0.0424238212, 0.01467007, 0.125, 0.1190119309, 0.1081175432, 0.0172386164, -0.0112060472, 0.0551360835,
         0.0505189737, -0.0242502123, 0.1029274307, 0.0047176181],
        [-0.0108811762, 0.002126438, 0.0, -0.1623655633, -0.1304654585, 0.0018582984, -0.0058185196, -0.0242797923,
         -0.0188727777, -0.0171668431, -0.1164756561, 0.0013629476],
        -0.2624173832),
    "huber_loss": (
        [0.0296966749, 0.010269049, 0.0375, 0.0375, 0.0375, 0.0120670315, -0.0078442331, 0.0375, 0.0353632816,
         -0.0169751486, 0.0375, 0.0033023326],
        [-0.0015049928, 0.0014995469, 0.0, 0.0, 0.0, 0.0015424237, -0.0025840697, 0.0, -0.0038211166,
         -0.0071613633, 0.0, 0.000715166],
        -0.0048718793),
}


@pytest.mark.parametrize("name", sorted(_LOSSES))
def test_loss_third_order_graph_and_values_are_pytorchs(name):
    gx, gy, hx, hy, hv = _loss_grads(name, "mean")
    assert _walk(hx.grad_fn) == _HX_MEAN[name].format(N=_LOSSES[name][1])
    want_gx, want_hx, want_hv = _VALUES_MEAN[name]
    np.testing.assert_allclose(gx.detach().numpy().ravel(), want_gx, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(gy.detach().numpy().ravel(), -np.array(want_gx), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(hx.detach().numpy().ravel(), want_hx, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(hy.detach().numpy().ravel(), -np.array(want_hx), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(float(hv.detach()), want_hv, rtol=1e-8)


def test_loss_double_backward_broadcasts_and_keeps_first_order_values():
    # a target broadcast to the input: each gradient summed back to its operand's shape (PyTorch's
    # values for x = [[1, 2], [3, 5]], y = [0.5, 4]: mse mean, then d(sum gx^2)/dy)
    x = tg.tensor([[1.0, 2.0], [3.0, 5.0]], requires_grad=True)
    y = tg.tensor([0.5, 4.0], requires_grad=True)
    with pytest.warns(UserWarning, match="target size"):
        out = F.mse_loss(x, y)
    gx, gy = tg.autograd.grad(out, (x, y), create_graph=True)
    np.testing.assert_allclose(gx.detach().numpy(), [[0.25, -1.0], [1.25, 0.5]])
    np.testing.assert_allclose(gy.detach().numpy(), [-1.5, 0.5])
    assert _walk(gy.grad_fn, 3) == ("ViewBackward0[SumBackward1] SumBackward1[MseLossBackwardBackward0] "
                                    "MseLossBackwardBackward0[None,AccumulateGrad,AccumulateGrad]")
    h, = tg.autograd.grad((gx * gx).sum(), y)
    np.testing.assert_allclose(h.numpy(), [-1.5, 0.5])
    # a first-order backward (no graph) is unchanged: numbers, no node
    with pytest.warns(UserWarning, match="target size"):
        g, = tg.autograd.grad(F.smooth_l1_loss(x, y.detach(), beta=0.7), x)
    assert g.grad_fn is None
    np.testing.assert_allclose(g.numpy(), [[0.178571428571, -0.25], [0.25, 0.25]])


# (case, expression, PyTorch's graph of the loss, of d/dx and d/dy of its sum under create_graph,
# and its sums of the gradients of sum(gx^2) + sum(gy^3) for x and y). l1_loss is PyTorch's
# composite (sub, abs, the reduction; smooth_l1_loss with beta=0 is l1_loss); the logits BCE's
# gradient is binary_cross_entropy_with_logits_backward written out (the mean a Scalar division).
_COMPOSED = [
    ('l1_mean', 'F.l1_loss(x, y)',
     'MeanBackward0[AbsBackward0] AbsBackward0[SubBackward0] SubBackward0[AccumulateGrad,AccumulateGrad] '
     'AccumulateGrad[] AccumulateGrad[]',
     'MulBackward0[None,SgnBackward0] SgnBackward0[SubBackward0] SubBackward0[AccumulateGrad,AccumulateGrad] '
     'AccumulateGrad[] AccumulateGrad[]',
     'NegBackward0[MulBackward0] MulBackward0[None,SgnBackward0] SgnBackward0[SubBackward0] '
     'SubBackward0[AccumulateGrad,AccumulateGrad] AccumulateGrad[] AccumulateGrad[]',
     [0.0, 0.0]),
    ('l1_none', "F.l1_loss(x, y, reduction='none')",
     'AbsBackward0[SubBackward0] SubBackward0[AccumulateGrad,AccumulateGrad] AccumulateGrad[] AccumulateGrad[]',
     'MulBackward0[None,SgnBackward0] SgnBackward0[SubBackward0] SubBackward0[AccumulateGrad,AccumulateGrad] '
     'AccumulateGrad[] AccumulateGrad[]',
     'NegBackward0[MulBackward0] MulBackward0[None,SgnBackward0] SgnBackward0[SubBackward0] '
     'SubBackward0[AccumulateGrad,AccumulateGrad] AccumulateGrad[] AccumulateGrad[]',
     [0.0, 0.0]),
    ('smooth_l1_beta0', "F.smooth_l1_loss(x, y, beta=0.0, reduction='sum')",
     'SumBackward0[AbsBackward0] AbsBackward0[SubBackward0] SubBackward0[AccumulateGrad,AccumulateGrad] '
     'AccumulateGrad[] AccumulateGrad[]',
     'MulBackward0[None,SgnBackward0] SgnBackward0[SubBackward0] SubBackward0[AccumulateGrad,AccumulateGrad] '
     'AccumulateGrad[] AccumulateGrad[]',
     'NegBackward0[MulBackward0] MulBackward0[None,SgnBackward0] SgnBackward0[SubBackward0] '
     'SubBackward0[AccumulateGrad,AccumulateGrad] AccumulateGrad[] AccumulateGrad[]',
     [0.0, 0.0]),
    ('bce_logits', 'F.binary_cross_entropy_with_logits(x, y / 2)',
     'BinaryCrossEntropyWithLogitsBackward0[AccumulateGrad,DivBackward0] AccumulateGrad[] '
     'DivBackward0[AccumulateGrad,None] AccumulateGrad[]',
     'DivBackward1[MulBackward0] MulBackward0[SubBackward0,None] SubBackward0[SigmoidBackward0,DivBackward0] '
     'SigmoidBackward0[AccumulateGrad] DivBackward0[AccumulateGrad,None] AccumulateGrad[] AccumulateGrad[]',
     'DivBackward0[DivBackward1,None] DivBackward1[MulBackward0] MulBackward0[NegBackward0,None] '
     'NegBackward0[AccumulateGrad] AccumulateGrad[]',
     [0.003025486, -0.017019675]),
    ('bce_logits_weights',
     'F.binary_cross_entropy_with_logits(x, y / 2, weight=y.detach(), pos_weight=y.detach()[0])',
     'BinaryCrossEntropyWithLogitsBackward0[AccumulateGrad,DivBackward0] AccumulateGrad[] '
     'DivBackward0[AccumulateGrad,None] AccumulateGrad[]',
     'DivBackward1[MulBackward0] MulBackward0[MulBackward0,None] MulBackward0[SubBackward0,None] '
     'SubBackward0[MulBackward0,MulBackward0] MulBackward0[SubBackward0,SigmoidBackward0] '
     'MulBackward0[None,DivBackward0] SubBackward0[AddBackward1,DivBackward0] SigmoidBackward0[AccumulateGrad] '
     'DivBackward0[AccumulateGrad,None] AddBackward1[MulBackward0] AccumulateGrad[] AccumulateGrad[]',
     'DivBackward0[DivBackward1,None] DivBackward1[MulBackward0] MulBackward0[MulBackward0,None] '
     'MulBackward0[SubBackward0,None] SubBackward0[LogSigmoidBackward0,MulBackward0] '
     'LogSigmoidBackward0[NegBackward0] MulBackward0[LogSigmoidBackward0,None] NegBackward0[AccumulateGrad] '
     'LogSigmoidBackward0[AccumulateGrad] AccumulateGrad[]',
     [-0.001978234, -0.012640735]),
]


@pytest.mark.parametrize("case,expr,graph,gx_graph,gy_graph,sums", _COMPOSED, ids=[c[0] for c in _COMPOSED])
def test_composed_loss_graphs_are_pytorchs(case, expr, graph, gx_graph, gy_graph, sums):
    x = tg.tensor(_X, requires_grad=True)
    y = tg.tensor(_Y2, requires_grad=True)
    out = eval(expr, {"F": F, "x": x, "y": y})
    assert _walk(out.grad_fn) == graph
    gx, gy = tg.autograd.grad(out.sum(), (x, y), create_graph=True)
    assert _walk(gx.grad_fn) == gx_graph
    assert _walk(gy.grad_fn) == gy_graph
    h = tg.autograd.grad((gx * gx).sum() + (gy ** 3).sum(), (x, y), allow_unused=True)
    np.testing.assert_allclose([0.0 if t is None else float(t.sum()) for t in h], sums, rtol=1e-7, atol=1e-9)


def test_cosine_embedding_loss_records_atens_composite():
    # PyTorch's graph: its C++ numbers are Scalar operands (AddBackward1, SubBackward1), 1 - cos a
    # SubBackward0 with an empty first edge, then ClampMinBackward0
    x = tg.tensor(_X, requires_grad=True)
    y = tg.tensor(_Y2, requires_grad=True)
    out = F.cosine_embedding_loss(x, y, tg.ones(3))
    assert _walk(out.grad_fn) == (
        "MeanBackward0[AddBackward0] AddBackward0[WhereBackward0,WhereBackward0] WhereBackward0[SubBackward0,None] "
        "WhereBackward0[ClampMinBackward0,None] SubBackward0[None,DivBackward0] ClampMinBackward0[SubBackward1] "
        "DivBackward0[SumBackward1,SqrtBackward0] SubBackward1[DivBackward0] SumBackward1[MulBackward0] "
        "SqrtBackward0[MulBackward0] MulBackward0[AccumulateGrad,AccumulateGrad] MulBackward0[AddBackward1,AddBackward1] "
        "AccumulateGrad[] AccumulateGrad[] AddBackward1[SumBackward1] AddBackward1[SumBackward1] SumBackward1[MulBackward0] "
        "SumBackward1[MulBackward0] MulBackward0[AccumulateGrad,AccumulateGrad] MulBackward0[AccumulateGrad,AccumulateGrad]")


def test_soft_margin_loss_double_backward_is_pytorchs():
    r = np.random.RandomState(0)
    xs, ts = r.randn(3, 4), np.sign(r.randn(3, 4))
    x = tg.tensor(xs, requires_grad=True)
    out = F.soft_margin_loss(x, tg.tensor(ts))
    v = tg.full_like(out, 1.5).requires_grad_()
    gx, = tg.autograd.grad(out, x, v, create_graph=True)
    hx, hv = tg.autograd.grad((gx * gx).sum(), (x, v), create_graph=True)
    # PyTorch's graphs (soft_margin_loss_backward and its double-backward formulas) and values
    assert _walk(gx.grad_fn) == "SoftMarginLossBackwardBackward0[AccumulateGrad,AccumulateGrad] AccumulateGrad[] " \
                                "AccumulateGrad[]"
    assert _walk(hx.grad_fn) == (
        "DivBackward1[DivBackward0] DivBackward0[MulBackward0,MulBackward0] MulBackward0[MulBackward0,ExpBackward0] "
        "MulBackward0[AddBackward1,AddBackward1] MulBackward0[MulBackward0,None] ExpBackward0[MulBackward0] "
        "AddBackward1[ExpBackward0] MulBackward0[AddBackward0,AccumulateGrad] MulBackward0[AccumulateGrad,None] "
        "AddBackward0[MulBackward0,MulBackward0] AccumulateGrad[] AccumulateGrad[] "
        "MulBackward0[None,SoftMarginLossBackwardBackward0] MulBackward0[None,SoftMarginLossBackwardBackward0] "
        "SoftMarginLossBackwardBackward0[AccumulateGrad,AccumulateGrad]")
    assert _walk(hv.grad_fn) == (
        "SumBackward0[MulBackward0] MulBackward0[SoftMarginLossBackwardBackward0,AddBackward0] "
        "SoftMarginLossBackwardBackward0[None,AccumulateGrad] AddBackward0[MulBackward0,MulBackward0] AccumulateGrad[] "
        "MulBackward0[None,SoftMarginLossBackwardBackward0] MulBackward0[None,SoftMarginLossBackwardBackward0] "
        "SoftMarginLossBackwardBackward0[AccumulateGrad,AccumulateGrad] AccumulateGrad[]")
    np.testing.assert_allclose(hx.detach().numpy().ravel(), [
        -0.0005708928, -0.0030127355, -0.0016946392, -0.0002610607, -0.0004847607, 0.0016975618, -0.0017525069,
        0.00359059, 0.003694979, -0.0029876768, -0.0036066597, 0.0038884425], rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(float(hv.detach()), 0.03972446463164859, rtol=1e-10)


def test_l1_loss_without_a_graph_keeps_the_fused_kernel_values():
    x, y = tg.tensor(_X), tg.tensor(_Y2)
    for reduction in ("mean", "sum", "none"):
        fused = F.l1_loss(x, y, reduction=reduction)
        assert fused.grad_fn is None
        xr = x.clone().requires_grad_()
        np.testing.assert_array_equal(F.l1_loss(xr, y, reduction=reduction).detach().numpy(), fused.numpy())


# ------------------------------------------------------------------ convolutions
_R1 = np.random.RandomState(1)
_XI = _R1.rand(2, 2, 5, 5) - 0.3
_WI = _R1.rand(2, 2, 3, 3) - 0.3
_BI = _R1.rand(2)
_WT = _R1.rand(2, 3, 3, 3) - 0.3
_BT = _R1.rand(3)

# PyTorch's sums of the third-order gradients below (x, weight, bias)
_CONV_SUMS = {"conv1d": [2439.141379, 1181.357685, 1339.081463],
              "conv2d": [9104123.794182, 2911423.370486, 895085.268157],
              "conv3d": [28341080.408684, 6908048.938935, 2873971.531919],
              "conv_transpose2d": [8858065.834201, 3831891.028608, 1176435.003445]}


@pytest.mark.parametrize("kind", sorted(_CONV_SUMS))
def test_conv_double_backward_edges_are_grad_output_input_weight(kind):
    if kind == "conv2d":
        xs, ws, bs = _XI, _WI, _BI
    elif kind == "conv1d":
        xs, ws, bs = _XI[:, :, 0], _WI[:, :, 0], _BI
    elif kind == "conv3d":
        xs, ws, bs = np.stack([_XI, _XI * 0.5], 2), _WI[:, :, None], _BI
    else:
        xs, ws, bs = _XI, _WT, _BT
    x, w, b = (tg.tensor(a, requires_grad=True) for a in (xs, ws, bs))
    out = getattr(F, kind)(x, w, b, stride=1, padding=1)
    grads = tg.autograd.grad((out ** 2).sum(), (x, w, b), create_graph=True)
    for g in grads:  # one node per gradient, each with PyTorch's three edges in its order
        fn = g.grad_fn
        assert fn.name() == "ConvolutionBackwardBackward0"
        assert [type(nf).__name__ if nf is not None else None for nf, _ in fn.next_functions] == [
            "MulBackward0", "AccumulateGrad", "AccumulateGrad"]
        assert fn.next_functions[1][0].variable is x and fn.next_functions[2][0].variable is w
    gx, gw, gb = grads
    h = tg.autograd.grad((gx ** 2).sum() + (gw ** 3).sum() + (gb ** 2).sum(), (x, w, b))
    np.testing.assert_allclose([float(t.sum()) for t in h], _CONV_SUMS[kind], rtol=1e-9)


# ------------------------------------------------------------------ normalize
@pytest.mark.parametrize("p", [1, 2, float("inf"), 3])
def test_normalize_records_clamp_min(p):
    x = tg.tensor(_XI[0, 0], requires_grad=True)
    assert _walk(F.normalize(x, p=p).grad_fn) == (
        "DivBackward0[AccumulateGrad,ExpandBackward0] AccumulateGrad[] ExpandBackward0[ClampMinBackward0] "
        "ClampMinBackward0[LinalgVectorNormBackward0] LinalgVectorNormBackward0[AccumulateGrad]")


def test_normalize_values_and_gradients_at_zero_rows():
    # PyTorch's values: a zero row stays zero (the clamp keeps the norm at eps: gradient g / eps)
    x = tg.tensor([[3.0, -4.0], [0.0, 0.0]], requires_grad=True)
    out = F.normalize(x, p=1)
    np.testing.assert_allclose(out.detach().numpy(), [[3 / 7, -4 / 7], [0.0, 0.0]])
    g, = tg.autograd.grad((out * tg.tensor([[1.0, 2.0], [3.0, 4.0]])).sum(), x)
    np.testing.assert_allclose(g.numpy(), [[0.244897959184, 0.183673469388], [3e12, 4e12]], rtol=1e-6)


# ------------------------------------------------------------------ F.linear and saved-tensor hooks
def _packed(fn):
    seq = []

    def pack(t):
        seq.append((tuple(t.shape), str(t.dtype).split(".")[-1]))
        return t
    with tg.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        fn()
    return seq


@pytest.mark.parametrize("x_grad,w_grad", [(True, True), (False, True), (True, False)])
def test_linear_packs_what_pytorch_saves(x_grad, w_grad):
    x = tg.rand(3, 4, requires_grad=x_grad)
    w = tg.rand(5, 4, requires_grad=w_grad)
    b = tg.rand(5, requires_grad=True)
    # PyTorch: addmm keeps mat1 (the input) and mat2 (weight.t()), never the bias
    assert _packed(lambda: F.linear(x, w, b)) == [((3, 4), "float32"), ((4, 5), "float32")]
    assert _packed(lambda: F.linear(x[None], w, b)) == [((3, 4), "float32"), ((4, 5), "float32")]
    # mm keeps each operand only for the other's gradient
    nobias = _packed(lambda: F.linear(x, w))
    want = {(True, True): {((3, 4), "float32"), ((4, 5), "float32")},
            (False, True): {((3, 4), "float32")}, (True, False): {((4, 5), "float32")}}[(x_grad, w_grad)]
    assert set(nobias) == want and len(nobias) == len(want)


def test_linear_node_shows_pytorchs_saved_attributes_and_gradients():
    x = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    w = tg.tensor([[1.0, -1.0], [0.5, 2.0], [0.0, 1.0]], requires_grad=True)
    b = tg.tensor([0.1, 0.2, 0.3], requires_grad=True)
    out = F.linear(x, w, b)
    fn = out.grad_fn
    assert fn.name() == "AddmmBackward0"
    assert (fn._saved_alpha, fn._saved_beta) == (1, 1)
    assert fn._saved_mat1 is x and tuple(fn._saved_mat2.shape) == (2, 3)
    with pytest.raises(AttributeError):
        fn._saved_self  # noqa: B018  (PyTorch's AddmmBackward0 does not keep the bias)
    # an in-place change of the bias after the forward is no error (it was not saved), as in PyTorch
    with tg.no_grad():
        b.add_(1.0)
    (out * tg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[2.0, 6.0], [6.5, 12.0]])
    np.testing.assert_allclose(w.grad.numpy(), [[13.0, 18.0], [17.0, 24.0], [21.0, 30.0]])
    np.testing.assert_allclose(b.grad.numpy(), [5.0, 7.0, 9.0])


# ------------------------------------------------------------------ FX: F.threshold
def test_fx_traces_threshold_as_pytorchs_threshold_function():
    class M(nn.Module):
        def forward(self, x):
            return F.threshold(x, 0.5, 2.0) + F.threshold(x, 0.1, 0.0, inplace=True)

    gm = fx.symbolic_trace(M())
    # PyTorch 2.13's text for the same module
    assert gm.code == (
        "\n\n\ndef forward(self, x):\n"
        "    _threshold = torch.nn.functional._threshold(x, 0.5, 2.0, inplace = False)\n"
        "    _threshold_1 = torch.nn.functional._threshold(x, 0.1, 0.0, inplace = True);  x = None\n"
        "    add = _threshold + _threshold_1;  _threshold = _threshold_1 = None\n"
        "    return add\n    ")
    assert str(gm.graph).splitlines()[2] == (
        "    %_threshold : [num_users=1] = call_function[target=torch.nn.functional._threshold](args = "
        "(%x, 0.5, 2.0), kwargs = {inplace: False})")
    x = tg.tensor([0.05, 0.3, 0.7])
    np.testing.assert_allclose(gm(x.clone()).numpy(), [2.0, 2.3, 1.4])
    # the generated code runs and traces again
    assert "torch.nn.functional._threshold" in fx.symbolic_trace(gm).code
