"""CTCLoss, MultiMarginLoss, MultiLabelMarginLoss and AdaptiveLogSoftmaxWithLoss against NumPy
references written loop by loop (CTC: a sum over every alignment of tiny inputs), finite-difference
gradients in float64, the argument errors, and the same numbers on every device (no PyTorch needed;
the oracle twins are in test_nn_losses_more_oracle.py)."""
import itertools

import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.autograd import gradcheck
from tensorgraft.testing import assert_on_device
from tensorgraft.testing.oracle import seeded_normal


def t64(a, grad=True):
    return tg.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def log_softmax(x, axis=-1):
    m = x.max(axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis, keepdims=True))


# ====================================================================== CTC: the brute-force reference
def ctc_brute(lp, target, blank=0):
    """-log sum over every path of length T (over all C labels) that collapses to ``target``."""
    T, C = lp.shape
    total = 0.0
    for path in itertools.product(range(C), repeat=T):
        collapsed = [c for i, c in enumerate(path) if c != blank and (i == 0 or c != path[i - 1])]
        if collapsed == list(target):
            total += np.exp(sum(lp[t, c] for t, c in enumerate(path)))
    return -np.log(total) if total > 0 else np.inf


def ctc_ref(lp, targets, il, tl, blank=0):
    """Per-sequence reference for (T, N, C) log-probabilities and padded (N, S) targets."""
    return np.array([ctc_brute(lp[:il[n], n], targets[n][:tl[n]], blank) for n in range(lp.shape[1])])


T, N, C = 5, 4, 3
LP = log_softmax(seeded_normal(T, N, C, seed=1))
TGT = np.array([[1, 1, 2], [2, 1, 2], [1, 2, 2], [2, 1, 1]])   # repeats need a blank between them
IL, TL = [5, 5, 4, 3], [2, 3, 3, 0]


def test_ctc_matches_the_sum_over_all_alignments():
    ref = ctc_ref(LP, TGT, IL, TL)
    assert np.isfinite(ref).all()  # "1 2 2" in 4 frames: the blank between the twos is forced
    out = F.ctc_loss(t64(LP, False), tg.tensor(TGT), tg.tensor(IL), tg.tensor(TL), reduction="none")
    np.testing.assert_allclose(out.detach().numpy(), ref, rtol=1e-12)
    assert out.dtype == tg.float64


def test_ctc_padded_concatenated_tuples_and_lists_agree():
    conc = np.concatenate([TGT[n, :TL[n]] for n in range(N)])
    ref = ctc_ref(LP, TGT, IL, TL)
    for targets, il, tl in [(tg.tensor(conc), tg.tensor(IL), tg.tensor(TL)), (tg.tensor(TGT), tuple(IL), tuple(TL)),
                            (tg.tensor(conc.astype(np.int32)), list(IL), list(TL)),
                            (tg.tensor(TGT), tg.tensor(IL, dtype=tg.int32), tg.tensor(TL, dtype=tg.int32))]:
        out = F.ctc_loss(t64(LP, False), targets, il, tl, reduction="none")
        np.testing.assert_allclose(out.detach().numpy(), ref, rtol=1e-12)


@pytest.mark.parametrize("blank", [0, 2])
def test_ctc_reductions_and_blank(blank):
    tg_ = np.where(TGT == blank, 0, TGT)
    ref = ctc_ref(LP, tg_, IL, TL, blank)
    ref[~np.isfinite(ref)] = 0.0
    args = (t64(LP, False), tg.tensor(tg_), tg.tensor(IL), tg.tensor(TL))
    kw = dict(blank=blank, zero_infinity=True)
    np.testing.assert_allclose(F.ctc_loss(*args, reduction="sum", **kw).item(), ref.sum(), rtol=1e-12)
    mean = (ref / np.maximum(TL, 1)).mean()   # each loss over its target length, then the batch mean
    np.testing.assert_allclose(F.ctc_loss(*args, reduction="mean", **kw).item(), mean, rtol=1e-12)
    np.testing.assert_allclose(nn.CTCLoss(blank=blank, zero_infinity=True)(*args).item(), mean, rtol=1e-12)


def test_ctc_unbatched():
    out = F.ctc_loss(t64(LP[:, 1], False), tg.tensor(TGT[1]), tg.tensor(5), tg.tensor(3), reduction="none")
    assert out.shape == ()
    np.testing.assert_allclose(out.item(), ctc_brute(LP[:, 1], TGT[1]), rtol=1e-12)
    out = F.ctc_loss(t64(LP[:, 1], False), tg.tensor(TGT[1, :2]), (4,), (2,), reduction="mean")
    np.testing.assert_allclose(out.item(), ctc_brute(LP[:4, 1], TGT[1, :2]) / 2, rtol=1e-12)


def test_ctc_edge_lengths_and_impossible_targets():
    lp = t64(LP, False)
    out = F.ctc_loss(lp, tg.tensor(TGT), tg.tensor([0, 0, 1, 5]), tg.tensor([0, 1, 0, 3]), reduction="none")
    ref = [0.0, np.inf, -LP[0, 2, 0], ctc_brute(LP[:, 3], TGT[3])]
    np.testing.assert_allclose(out.detach().numpy(), ref, rtol=1e-12)
    # a label outside [0, C) makes its sequence impossible (PyTorch reads out of bounds there)
    bad = TGT.copy()
    bad[0, 0] = 7
    out = F.ctc_loss(lp, tg.tensor(bad), tg.tensor(IL), tg.tensor(TL), reduction="none")
    assert np.isinf(out.detach().numpy()[0]) and np.isfinite(out.detach().numpy()[1])


def test_ctc_gradcheck_through_log_softmax():
    conc = np.concatenate([TGT[n, :TL[n]] for n in [0, 1, 3]])
    for red in ("none", "mean", "sum"):
        assert gradcheck(lambda x: F.ctc_loss(x.log_softmax(2), tg.tensor(TGT[[0, 1, 3]]), (5, 4, 3), (2, 3, 0),
                                              reduction=red), (t64(seeded_normal(T, 3, C, seed=2)),))
        assert gradcheck(lambda x: F.ctc_loss(x.log_softmax(1), tg.tensor(conc[:2]), (5,), (2,), blank=2,
                                              reduction=red), (t64(seeded_normal(T, C, seed=3)),))


def test_ctc_gradient_is_pytorchs_formula():
    """d loss / d log_probs as PyTorch defines it: exp(lp) * g minus the alignment posterior; the
    first term is the log_softmax logits' share (it cancels there), the second the true derivative,
    zero past each sequence's input length."""
    lp = t64(LP)
    g = np.array([0.5, -1.0, 2.0, 1.5])
    il, tl = [5, 4, 3, 2], [2, 3, 1, 1]
    F.ctc_loss(lp, tg.tensor(TGT), tg.tensor(il), tg.tensor(tl), reduction="none").backward(tg.tensor(g))
    eps = 1e-6
    true = np.zeros_like(LP)
    for idx in np.ndindex(*LP.shape):
        d = np.zeros_like(LP)
        d[idx] = eps
        true[idx] = ((ctc_ref(LP + d, TGT, il, tl) - ctc_ref(LP - d, TGT, il, tl)) / (2 * eps) * g).sum()
    expected = true + np.exp(LP) * g[None, :, None] * (np.arange(T)[:, None] < np.array(il)[None])[..., None]
    np.testing.assert_allclose(lp.grad.numpy(), expected, atol=1e-7)


def test_ctc_zero_infinity():
    lp = t64(LP)
    il, tl = tg.tensor([1, 5, 5, 5]), tg.tensor([3, 2, 3, 1])   # three labels cannot fit in one frame
    out = F.ctc_loss(lp, tg.tensor(TGT), il, tl, reduction="none")
    assert np.isinf(out.detach().numpy()[0])
    out.sum().backward()
    assert np.isnan(lp.grad.numpy()[0, 0]).all() and (lp.grad.numpy()[1:, 0] == 0).all()
    lp.grad = None
    out = F.ctc_loss(lp, tg.tensor(TGT), il, tl, reduction="none", zero_infinity=True)
    assert out.detach().numpy()[0] == 0 and out.grad_fn.name() == "WhereBackward0"
    out.sum().backward()
    assert (lp.grad.numpy()[:, 0] == 0).all() and np.isfinite(lp.grad.numpy()).all()


def test_ctc_grad_fn_names():
    lp = t64(LP)
    args = (tg.tensor(TGT), tg.tensor(IL), tg.tensor(TL))
    assert F.ctc_loss(lp, *args, reduction="none").grad_fn.name() == "CtcLossBackward0"
    assert F.ctc_loss(lp, *args).grad_fn.name() == "MeanBackward0"
    assert F.ctc_loss(lp, *args, reduction="sum").grad_fn.name() == "SumBackward0"
    assert F.ctc_loss(lp[:, 0], tg.tensor(TGT[0]), (5,), (3,), reduction="none").grad_fn.name() == "SqueezeBackward1"


@pytest.mark.parametrize("call, exc, msg", [
    (lambda lp, t: F.ctc_loss(lp, t, (5, 5, 4, 3), (2, 3, 3, 0), blank=3), RuntimeError, "blank must be in label range"),
    (lambda lp, t: F.ctc_loss(lp, t, (5, 5, 4), (2, 3, 3, 0)), RuntimeError, "input_lengths must be of size batch"),
    (lambda lp, t: F.ctc_loss(lp, t, (5, 5, 4, 3), (2, 3)), RuntimeError, "target_lengths must be of size batch"),
    (lambda lp, t: F.ctc_loss(lp, t, (5, 5, 4, 6), (2, 3, 3, 0)), RuntimeError, "at most 5, but got value 6"),
    (lambda lp, t: F.ctc_loss(lp, t, (5, 5, 4, 3), (2, 4, 3, 0)), RuntimeError, "size at least 4 at dimension 1"),
    (lambda lp, t: F.ctc_loss(lp, t, (5, 5, 4, 3), (2, -1, 3, 0)), RuntimeError, "at least 0, but got value -1"),
    (lambda lp, t: F.ctc_loss(lp, t.reshape(-1), (5, 5, 4, 3), (2, 3, 3, 0)), RuntimeError,
     "Expected tensor to have size 8 at dimension 0, but got size 12"),
    (lambda lp, t: F.ctc_loss(lp, t, tg.tensor([5., 5, 4, 3]), tg.tensor([2, 3, 3, 0])), RuntimeError,
     "input_lengths must be integral"),
    (lambda lp, t: F.ctc_loss(lp, t, (5, 5, 4, 3), (2, 3, 3, 0), reduction="avg"), ValueError,
     "avg is not a valid value for reduction"),
    (lambda lp, t: F.ctc_loss(lp[None], t, (5, 5, 4, 3), (2, 3, 3, 0)), RuntimeError,
     "Expected 3-dimensional tensor, but got 5-dimensional tensor for argument #1 'log_probs'"),
    (lambda lp, t: F.ctc_loss(lp.half(), t, (5, 5, 4, 3), (2, 3, 3, 0)), NotImplementedError, "'Half'"),
])
def test_ctc_errors(call, exc, msg):
    with pytest.raises(exc, match=msg.replace("(", r"\(").replace(")", r"\)")):
        call(t64(LP, False), tg.tensor(TGT))


# ====================================================================== multi-class hinge losses
def multi_margin_ref(x, y, p=1, margin=1.0, w=None):
    out = np.zeros(x.shape[0])
    for n in range(x.shape[0]):
        for i in range(x.shape[1]):
            z = margin - x[n, y[n]] + x[n, i]
            if i != y[n] and z > 0:
                out[n] += z ** p * (w[y[n]] if w is not None else 1)
    return out / x.shape[1]


def multilabel_margin_ref(x, t):
    out = np.zeros(x.shape[0])
    for n in range(x.shape[0]):
        labels = list(itertools.takewhile(lambda c: c >= 0, t[n]))
        for j in labels:
            for d in range(x.shape[1]):
                if d not in labels:
                    out[n] += max(0.0, 1 - x[n, j] + x[n, d])
    return out / x.shape[1]


X = seeded_normal(6, 5, seed=4)
Y = np.array([0, 4, 2, 2, 1, 3])
W = np.random.default_rng(5).uniform(0.5, 2.0, 5)
ML = np.array([[1, 2, -1, 0, 4], [3, -1, 2, 2, 2], [0, 1, 2, 3, 4], [-1, 0, 0, 0, 0], [2, 2, 1, -1, 3],
               [4, 0, -1, -1, -1]])


@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("weighted", [False, True])
def test_multi_margin_matches_reference(p, weighted):
    w = W if weighted else None
    ref = multi_margin_ref(X, Y, p, 0.7, w)
    kw = dict(p=p, margin=0.7, weight=t64(w, False) if weighted else None)
    for red, expected in (("none", ref), ("mean", ref.mean()), ("sum", ref.sum())):
        out = F.multi_margin_loss(t64(X), tg.tensor(Y), reduction=red, **kw)
        np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-12)
        assert out.grad_fn.name() == "MultiMarginLossBackward0"
        assert gradcheck(lambda x: F.multi_margin_loss(x, tg.tensor(Y), reduction=red, **kw), (t64(X),))
    np.testing.assert_allclose(nn.MultiMarginLoss(p, 0.7, kw["weight"])(t64(X), tg.tensor(Y)).item(), ref.mean())


def test_multi_margin_unbatched_and_empty():
    out = F.multi_margin_loss(t64(X[1]), tg.tensor(Y[1]), reduction="none")
    assert out.shape == ()
    np.testing.assert_allclose(out.item(), multi_margin_ref(X[1:2], Y[1:2])[0])
    assert F.multi_margin_loss(t64(X[1]), tg.tensor(Y[1:2]), reduction="none").shape == (1,)
    assert gradcheck(lambda x: F.multi_margin_loss(x, tg.tensor(Y[1]), p=2), (t64(X[1]),))
    empty = t64(np.zeros((0, 5)))
    assert F.multi_margin_loss(empty, tg.tensor(Y[:0]), reduction="none").shape == (0,)
    assert F.multi_margin_loss(empty, tg.tensor(Y[:0]), reduction="sum").item() == 0
    assert np.isnan(F.multi_margin_loss(empty, tg.tensor(Y[:0])).item())


def test_multilabel_margin_matches_reference():
    ref = multilabel_margin_ref(X, ML)
    for red, expected in (("none", ref), ("mean", ref.mean()), ("sum", ref.sum())):
        out = F.multilabel_margin_loss(t64(X), tg.tensor(ML), reduction=red)
        np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-12)
        assert out.grad_fn.name() == "MultilabelMarginLossBackward0"
        assert gradcheck(lambda x: F.multilabel_margin_loss(x, tg.tensor(ML), reduction=red), (t64(X),))
    np.testing.assert_allclose(nn.MultiLabelMarginLoss(reduction="sum")(t64(X), tg.tensor(ML)).item(), ref.sum())
    out = F.multilabel_margin_loss(t64(X[4]), tg.tensor(ML[4]), reduction="none")
    assert out.shape == ()
    np.testing.assert_allclose(out.item(), ref[4])


@pytest.mark.parametrize("call, exc, msg", [
    (lambda: F.multi_margin_loss(t64(X), tg.tensor(Y), p=3), ValueError, "only p == 1 and p == 2 supported"),
    (lambda: F.multi_margin_loss(t64(X), tg.tensor(Y), weight=t64(np.ones((5, 1)))), ValueError,
     "weight must be one-dimensional"),
    (lambda: F.multi_margin_loss(t64(X), tg.tensor(Y), weight=t64(np.ones(4), False)), RuntimeError,
     r"inconsistent weight size, expected 5 but got \[4\]"),
    (lambda: F.multi_margin_loss(t64(X), tg.tensor(Y[:4])), RuntimeError, r"Expected target size \[6\], but got \[4\]"),
    (lambda: F.multi_margin_loss(t64(X), tg.tensor(Y + 1)), RuntimeError, "target out of range"),
    (lambda: F.multi_margin_loss(t64(X), tg.tensor(Y.astype(np.float64))), RuntimeError,
     "expected scalar type Long but found Double"),
    (lambda: F.multi_margin_loss(t64(X[None]), tg.tensor(Y)), RuntimeError, "Expected non-empty vector or matrix"),
    (lambda: F.multi_margin_loss(t64(X), tg.tensor(Y), reduction="x"), ValueError, "x is not a valid value"),
    (lambda: F.multi_margin_loss(t64(X), tg.tensor(Y), weight=t64(W)), RuntimeError, "not differentiable"),
    (lambda: nn.MultiMarginLoss(p=0), ValueError, "only p == 1 and p == 2 supported"),
    (lambda: nn.MultiMarginLoss(weight=tg.ones(2, 2)), ValueError, "expected weight to be None or 1D tensor, got 2D"),
    (lambda: F.multilabel_margin_loss(t64(X), tg.tensor(ML[:, :3])), RuntimeError,
     r"inconsistent target size: \[6, 3\] for input of size: \[6, 5\]"),
    (lambda: F.multilabel_margin_loss(t64(X), tg.tensor(ML - 1)), RuntimeError, "argument #2 'target' is out of range"),
    (lambda: F.multilabel_margin_loss(t64(X), tg.tensor(ML.astype(np.int32))), RuntimeError,
     "expected scalar type Long but found Int"),
    (lambda: F.multilabel_margin_loss(t64(X), tg.tensor(ML), reduction="x"), ValueError, "x is not a valid value"),
])
def test_margin_errors(call, exc, msg):
    with pytest.raises(exc, match=msg):
        call()


# ====================================================================== AdaptiveLogSoftmaxWithLoss
def make_asm(**kw):
    tg.manual_seed(0)
    return nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6], div_value=2.0, **kw).double()


def test_adaptive_layout_and_repr():
    m = make_asm(head_bias=True)
    shapes = {k: tuple(v.shape) for k, v in m.state_dict().items()}
    assert shapes == {"head.weight": (5, 8), "head.bias": (5,), "tail.0.0.weight": (4, 8),
                      "tail.0.1.weight": (3, 4), "tail.1.0.weight": (2, 8), "tail.1.1.weight": (4, 2)}
    assert (m.cutoffs, m.shortlist_size, m.n_clusters, m.head_size) == ([3, 6, 10], 3, 2, 5)
    assert repr(make_asm()).splitlines()[:3] == ["AdaptiveLogSoftmaxWithLoss(",
                                                 "  (head): Linear(in_features=8, out_features=5, bias=False)",
                                                 "  (tail): ModuleList("]


def test_adaptive_forward_log_prob_predict():
    m = make_asm()
    x, t = t64(seeded_normal(7, 8, seed=6)), tg.tensor([0, 4, 9, 2, 7, 5, 3])
    full = m.log_prob(x)
    np.testing.assert_allclose(np.exp(full.detach().numpy()).sum(1), 1.0, rtol=1e-12)
    out = m(x, t)
    assert type(out).__name__ == "_ASMoutput" and out._fields == ("output", "loss")
    expected = full.detach().numpy()[np.arange(7), t.numpy()]
    np.testing.assert_allclose(out.output.detach().numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(out.loss.item(), -expected.mean(), rtol=1e-12)
    np.testing.assert_array_equal(m.predict(x).numpy(), full.detach().numpy().argmax(1))
    one = m(x[2], t[2])
    assert one.output.shape == () and one.output.grad_fn.name() == "SqueezeBackward1"
    np.testing.assert_allclose(one.loss.item(), -expected[2], rtol=1e-12)
    assert gradcheck(lambda x: m(x, t).loss, (x,))


@pytest.mark.parametrize("call, exc, msg", [
    (lambda: nn.AdaptiveLogSoftmaxWithLoss(8, 10, []), ValueError, "cutoffs should be a sequence of length larger"),
    (lambda: nn.AdaptiveLogSoftmaxWithLoss(8, 10, [5, 3]), ValueError, "cutoffs should be a sequence of unique"),
    (lambda: nn.AdaptiveLogSoftmaxWithLoss(8, 10, [10]), ValueError, "between 1 and n_classes-1"),
    (lambda: make_asm()(t64(seeded_normal(3, 8)), tg.tensor([1, 10, 2])), RuntimeError,
     r"Target values should be in \[0, 9\], but values in range \[1, 10\] were found. "),
    (lambda: make_asm()(t64(seeded_normal(3, 8)), tg.tensor([1, 2])), RuntimeError, "same size in the batch dimension"),
    (lambda: make_asm()(t64(seeded_normal(3, 8)), tg.tensor(1)), RuntimeError, "0D target tensor expects 1D input"),
    (lambda: make_asm()(t64(seeded_normal(3, 8)), tg.tensor([[1]])), RuntimeError, "multi-target not supported"),
])
def test_adaptive_errors(call, exc, msg):
    with pytest.raises(exc, match=msg):
        call()


# ====================================================================== on every device
def _same_on_device(fn, arrays, dev, grad=(0,)):
    outs, grads = [], []
    for d in ("cpu", dev):
        ts = [tg.tensor(a, device=d, requires_grad=i in grad) for i, a in enumerate(arrays)]
        out = fn(*ts)
        out.backward(tg.ones_like(out))
        if d != "cpu":
            assert_on_device(out, d)
            assert_on_device(ts[0].grad, d)
        outs.append(out.detach().cpu().numpy())
        grads.append(ts[0].grad.cpu().numpy())
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("reduction", ["none", "mean"])
def test_losses_on_every_device(tg_device, reduction):
    lp = LP.astype(np.float32)
    _same_on_device(lambda a, t, il, tl: F.ctc_loss(a, t, il, tl, reduction=reduction, zero_infinity=True),
                    (lp, TGT, np.array(IL), np.array([2, 3, 1, 0])), tg_device)
    conc = np.array([1, 1, 2, 1, 0, 2])
    _same_on_device(lambda a, t: F.ctc_loss(a, t, (5, 5, 4, 3), (2, 3, 1, 0), reduction=reduction),
                    (lp, conc), tg_device)
    x = X.astype(np.float32)
    _same_on_device(lambda a, t, w: F.multi_margin_loss(a, t, p=2, weight=w, reduction=reduction),
                    (x, Y, W.astype(np.float32)), tg_device)
    _same_on_device(lambda a, t: F.multilabel_margin_loss(a, t, reduction=reduction), (x, ML), tg_device)


def test_adaptive_on_every_device(tg_device):
    m = make_asm().float()
    d = make_asm().float().to(tg_device)
    x, t = seeded_normal(7, 8, seed=6).astype(np.float32), np.array([0, 4, 9, 2, 7, 5, 3])
    a, b = tg.tensor(x, requires_grad=True), tg.tensor(x, device=tg_device, requires_grad=True)
    oa, ob = m(a, tg.tensor(t)), d(b, tg.tensor(t, device=tg_device))
    oa.loss.backward()
    ob.loss.backward()
    assert_on_device(ob.output, tg_device)
    assert_on_device(b.grad, tg_device)
    np.testing.assert_allclose(ob.output.detach().cpu().numpy(), oa.output.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b.grad.cpu().numpy(), a.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(d.predict(b).cpu().numpy(), m.predict(a).numpy())
