"""Graph nodes people print: the node on an RNN/GRU/LSTM output with ``batch_first`` (PyTorch
turns RNN and GRU outputs back in place, TransposeBackward1, LSTM's out of place,
TransposeBackward0) and cross_entropy with class targets and ``label_smoothing``, recorded as
PyTorch composes it (AddBackward0 of two MulBackward1 branches over one log_softmax). Values and
gradients are checked against NumPy. Runs on every device."""
import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.testing.oracle import to_numpy


def tree(fn):
    """``fn`` and everything below it as nested (name, children) tuples; None for an empty edge."""
    if fn is None:
        return None
    return (type(fn).__name__, tuple(tree(f) for f, _ in fn.next_functions))


def names_below(fn):
    return [None if f is None else f.name() for f, _ in fn.next_functions]


# ------------------------------------------------------------------ recurrent layers
@pytest.mark.parametrize("kind, top", [("RNN", "TransposeBackward1"), ("GRU", "TransposeBackward1"),
                                       ("LSTM", "TransposeBackward0")])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_batch_first_output_node_and_values(tg_device, kind, top, bidirectional):
    rng = np.random.default_rng(31)
    tg.manual_seed(0)
    kw = {"proj_size": 2} if kind == "LSTM" and bidirectional else {}
    first = getattr(nn, kind)(3, 4, batch_first=True, bidirectional=bidirectional, **kw).double().to(tg_device)
    second = getattr(nn, kind)(3, 4, batch_first=False, bidirectional=bidirectional, **kw).double().to(tg_device)
    second.load_state_dict(first.state_dict())
    data = rng.standard_normal((2, 5, 3))
    x = tg.tensor(data, device=tg_device, requires_grad=True)
    out, hidden = first(x)
    assert out.grad_fn.name() == top
    below = "CatBackward0" if bidirectional else "StackBackward0"
    assert names_below(out.grad_fn) == [below]
    ref_out, ref_hidden = second(tg.tensor(data.transpose(1, 0, 2), device=tg_device))
    np.testing.assert_allclose(to_numpy(out), to_numpy(ref_out).transpose(1, 0, 2), rtol=1e-12)
    h_n = hidden[0] if kind == "LSTM" else hidden
    assert h_n.grad_fn.name() == "StackBackward0"
    out.sum().backward()
    assert x.grad is not None and x.grad.shape == x.shape


@pytest.mark.parametrize("kind, below", [("RNN", "TransposeBackward1"), ("GRU", "TransposeBackward1"),
                                         ("LSTM", "TransposeBackward0")])
def test_unbatched_batch_first_output_is_turned_back_then_squeezed(tg_device, kind, below):
    rng = np.random.default_rng(32)
    tg.manual_seed(1)
    layer = getattr(nn, kind)(3, 4, batch_first=True).double().to(tg_device)
    data = rng.standard_normal((5, 3))
    out, hidden = layer(tg.tensor(data, device=tg_device))
    assert out.grad_fn.name() == "SqueezeBackward1" and names_below(out.grad_fn) == [below]
    assert tuple(out.shape) == (5, 4)
    batched, _ = layer(tg.tensor(data[None], device=tg_device))
    np.testing.assert_allclose(to_numpy(out), to_numpy(batched)[0], rtol=1e-12)
    h_n = hidden[0] if kind == "LSTM" else hidden
    assert h_n.grad_fn.name() == "SqueezeBackward1" and tuple(h_n.shape) == (1, 4)


def test_seq_first_output_keeps_its_stack_node(tg_device):
    tg.manual_seed(2)
    out, _ = nn.GRU(3, 4).to(tg_device)(tg.ones(5, 2, 3, device=tg_device))
    assert out.grad_fn.name() == "StackBackward0"


# ------------------------------------------------------------------ label smoothing, class targets
def _smoothed_reference(x, t, w, reduction, ignore_index, eps):
    """Loss and d loss / d x (for an all-ones upstream gradient) in NumPy: loss_i =
    -sum_c Q[i, c] log_softmax(x_i)_c with Q = (1 - eps) w_t onehot(t) + eps / C w, 0 for ignored rows."""
    C = x.shape[1] if x.ndim > 1 else x.shape[0]
    x2 = np.moveaxis(x, 1, -1).reshape(-1, C) if x.ndim > 1 else x.reshape(1, C)
    t2 = t.reshape(-1)
    w = np.ones(C) if w is None else w
    live = t2 != ignore_index
    tc = np.where(live, t2, 0)
    Q = eps / C * w[None, :] * live[:, None]
    Q[np.arange(len(t2)), tc] += (1 - eps) * w[tc] * live
    lsm = x2 - x2.max(1, keepdims=True)
    lsm -= np.log(np.exp(lsm).sum(1, keepdims=True))
    per = -(Q * lsm).sum(1)
    dx = np.exp(lsm) * Q.sum(1, keepdims=True) - Q
    if reduction == "none":
        loss = per.reshape(t.shape)
    else:
        loss = per.sum()
        if reduction == "mean":
            divisor = (w[tc] * live).sum()
            loss, dx = loss / divisor, dx / divisor
    dx = np.moveaxis(dx.reshape(x.shape[:1] + x.shape[2:] + (C,)), -1, 1) if x.ndim > 1 else dx.reshape(x.shape)
    return loss, dx


def _expected_tree(reduction, weighted, ndim):
    """The node tree PyTorch records (nll_loss: an edge for its input alone; a Scalar overload's
    ``MulBackward1`` has no edge for its number)."""
    softmax = ("LogSoftmaxBackward0", (("AccumulateGrad", ()),))
    nll = ("NllLoss2DBackward0" if ndim > 2 else "NllLossBackward0",
           (("ViewBackward0", (softmax,)) if ndim == 3 else softmax,))
    if ndim == 3 and reduction == "none":
        nll = ("ViewBackward0", (nll,))
    terms = ("MulBackward0", (softmax, None)) if weighted else softmax
    smooth = ("MaskedFillBackward0", (("NegBackward0", (("SumBackward1", (terms,)),)),))
    if reduction == "sum":
        smooth = ("SumBackward0", (smooth,))
    elif reduction == "mean":
        smooth = ("DivBackward0", (("SumBackward0", (smooth,)), None))
    return ("AddBackward0", (("MulBackward1", (nll,)), ("MulBackward1", (smooth,))))


@pytest.mark.parametrize("shape", [(4, 3), (3,), (2, 3, 4), (2, 3, 2, 2)])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_smoothed_class_targets_graph_values_and_gradients(tg_device, shape, reduction, weighted):
    rng = np.random.default_rng(33)
    xv = rng.standard_normal(shape)
    target_shape = shape[:1] + shape[2:] if len(shape) > 1 else ()
    tv = rng.integers(0, 3, target_shape)
    tv = np.where(tv == 1, 2, tv)
    if tv.ndim:
        tv.reshape(-1)[0] = 1  # one ignored target (ignore_index=1 below) in every batch of several
    wv = rng.random(3) + 0.5 if weighted else None
    x = tg.tensor(xv, device=tg_device, requires_grad=True)
    loss = F.cross_entropy(x, tg.tensor(tv, device=tg_device), weight=tg.tensor(wv, device=tg_device)
                           if weighted else None, ignore_index=1, reduction=reduction, label_smoothing=0.2)
    assert tree(loss.grad_fn) == _expected_tree(reduction, weighted, len(shape))
    # one log_softmax node feeds both branches, as in PyTorch
    top = loss.grad_fn.next_functions
    nll_side, smooth_side = top[0][0], top[1][0]
    while nll_side.name() != "LogSoftmaxBackward0":
        nll_side = next(f for f, _ in nll_side.next_functions if f is not None)
    while smooth_side.name() != "LogSoftmaxBackward0":
        smooth_side = next(f for f, _ in smooth_side.next_functions if f is not None)
    assert nll_side is smooth_side
    ref, ref_dx = _smoothed_reference(xv, tv, wv, reduction, 1, 0.2)
    np.testing.assert_allclose(to_numpy(loss), ref, rtol=1e-12, atol=1e-14)
    assert loss.dtype == tg.float64 and tuple(loss.shape) == np.shape(ref)
    loss.backward(tg.ones_like(loss))
    np.testing.assert_allclose(to_numpy(x.grad), ref_dx, rtol=1e-10, atol=1e-14)


def test_smoothed_loss_keeps_float32_and_all_ignored_mean_is_nan():
    rng = np.random.default_rng(34)
    x = tg.tensor(rng.standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    loss = F.cross_entropy(x, tg.tensor([2, 2, 2]), ignore_index=2, label_smoothing=0.3)
    assert loss.dtype == tg.float32 and np.isnan(to_numpy(loss))
    loss.backward()
    assert np.all(to_numpy(x.grad) == 0)


def test_unsmoothed_class_targets_keep_the_fused_node():
    x = tg.zeros(2, 3, requires_grad=True)
    assert F.cross_entropy(x, tg.tensor([0, 2])).grad_fn.name() == "NllLossBackward0"
    assert F.cross_entropy(x, tg.tensor([0, 2]), label_smoothing=0.0).grad_fn.name() == "NllLossBackward0"


def test_smoothed_loss_is_twice_differentiable():
    rng = np.random.default_rng(35)
    x = tg.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    loss = F.cross_entropy(x, tg.tensor([0, 2]), label_smoothing=0.1)
    (gx,) = tg.autograd.grad(loss, x, create_graph=True)
    (hv,) = tg.autograd.grad(gx.pow(2).sum(), x)
    assert hv.shape == x.shape and np.all(np.isfinite(to_numpy(hv)))
