"""Oracle twins of test_nn_losses_more.py: CTCLoss, MultiMarginLoss, MultiLabelMarginLoss and
AdaptiveLogSoftmaxWithLoss in tensorgraft and PyTorch side by side (values, input gradients,
grad_fn names, repr, state_dict loading, error messages)."""
import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.testing.oracle import as_both, assert_same_error, assert_values_close, seeded_normal

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def close(ours, theirs, tol=1e-10):  # this file's tolerance (float64 unless a test passes one)
    assert_values_close(ours, theirs, rtol=tol, atol=tol, check_dtype=False)


def backward_both(y, ty, seed=9):
    g = seeded_normal(*ty.shape, seed=seed)
    y.backward(tg.tensor(g, dtype=y.dtype))
    ty.backward(torch.tensor(g, dtype=ty.dtype))


# ====================================================================== CTC
T, N, C = 12, 4, 6
TGT = np.array([[1, 2, 2, 3, 5], [4, 4, 4, 1, 0], [5, 1, 3, 2, 1], [2, 3, 0, 0, 0]])
IL, TL = [12, 10, 7, 11], [5, 3, 4, 2]


def ctc_args(lib, targets, il, tl):
    conv = (lambda v: lib.tensor(v)) if not isinstance(il, tuple) else (lambda v: v)
    return lib.tensor(targets), conv(il), conv(tl)


@pytest.mark.parametrize("dtype, tol", [("float64", 1e-10), ("float32", 2e-5)])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("zero_infinity", [False, True])
@pytest.mark.parametrize("layout", ["padded", "concatenated", "tuples"])
def test_ctc_matches_torch(dtype, tol, reduction, zero_infinity, layout):
    x = seeded_normal(T, N, C, seed=1).astype(dtype)
    il = [12, 10, 3, 11] if zero_infinity else IL   # the third cannot fit its 4 labels in 3 frames
    targets = TGT if layout != "concatenated" else np.concatenate([TGT[n, :TL[n]] for n in range(N)])
    a, b = as_both(x, requires_grad=True)
    lpa, lpb = F.log_softmax(a, 2), TF.log_softmax(b, 2)
    lpa.retain_grad()
    lpb.retain_grad()
    lens = (tuple(il), tuple(TL)) if layout == "tuples" else (il, TL)
    y = F.ctc_loss(lpa, *ctc_args(tg, targets, *lens), blank=0, reduction=reduction, zero_infinity=zero_infinity)
    ty = TF.ctc_loss(lpb, *ctc_args(torch, targets, *lens), blank=0, reduction=reduction,
                     zero_infinity=zero_infinity)
    assert y.grad_fn.name() == ty.grad_fn.name()
    assert y.dtype == getattr(tg, dtype)
    close(y, ty, tol)
    backward_both(y, ty)
    close(lpa.grad, lpb.grad, tol)   # PyTorch's own gradient w.r.t. log_probs, exp(lp) term included
    close(a.grad, b.grad, tol)


@pytest.mark.parametrize("blank", [0, 3, 5])
def test_ctc_blank_and_targets_holding_the_blank(blank):
    # labels equal to the blank are a user error PyTorch accepts: same numbers, same quirks
    x = np.log(np.random.default_rng(2).dirichlet(np.ones(C), (T, N)))
    a, b = as_both(x, requires_grad=True)
    y = F.ctc_loss(a, tg.tensor(TGT), tg.tensor(IL), tg.tensor(TL), blank=blank, reduction="none")
    ty = TF.ctc_loss(b, torch.tensor(TGT), torch.tensor(IL), torch.tensor(TL), blank=blank, reduction="none")
    close(y, ty)
    backward_both(y, ty)
    close(a.grad, b.grad)


def test_ctc_unbatched_and_edge_lengths():
    x = np.log(np.random.default_rng(3).dirichlet(np.ones(C), (T, N)))
    for red in ("none", "mean", "sum"):
        a, b = as_both(x[:, 0].copy(), requires_grad=True)
        y = F.ctc_loss(a, tg.tensor(TGT[0]), tg.tensor(9), tg.tensor(5), reduction=red)
        ty = TF.ctc_loss(b, torch.tensor(TGT[0]), torch.tensor(9), torch.tensor(5), reduction=red)
        assert y.shape == ty.shape and y.grad_fn.name() == ty.grad_fn.name()
        close(y, ty)
        backward_both(y, ty)
        close(a.grad, b.grad)
    a, b = as_both(x, requires_grad=True)
    args = (TGT, [0, 1, 5, 12], [0, 0, 3, 5])
    y = F.ctc_loss(a, *ctc_args(tg, *args), reduction="none")
    ty = TF.ctc_loss(b, *ctc_args(torch, *args), reduction="none")
    close(y, ty)
    backward_both(y, ty)
    close(a.grad, b.grad)
    close(F.ctc_loss(a, *ctc_args(tg, TGT, IL, [0] * 4)), TF.ctc_loss(b, *ctc_args(torch, TGT, IL, [0] * 4)))


def test_ctc_module():
    x = np.log(np.random.default_rng(4).dirichlet(np.ones(C), (T, N)))
    m, tm = nn.CTCLoss(blank=5, reduction="sum", zero_infinity=True), torch.nn.CTCLoss(5, "sum", True)
    assert repr(m) == repr(tm) and (m.blank, m.reduction, m.zero_infinity) == (tm.blank, tm.reduction,
                                                                              tm.zero_infinity)
    close(m(tg.tensor(x), *ctc_args(tg, TGT % 5, IL, TL)), tm(torch.tensor(x), *ctc_args(torch, TGT % 5, IL, TL)))


CTC_ERRORS = [
    dict(blank=6), dict(blank=-1), dict(il=[12, 10, 7]), dict(tl=[5, 3, 4]), dict(il=[13, 10, 7, 11]),
    dict(il=[12, -1, 7, 11]), dict(tl=[6, 3, 4, 2]), dict(tl=[5, -3, 4, 2]), dict(reduction="avg"),
    dict(targets=TGT.reshape(-1)), dict(targets=TGT[:3]), dict(targets=TGT[None]), dict(lp_shape=(1, T, N, C)),
    dict(il="float"), dict(tl="float"), dict(dtype="float16"),
]


@pytest.mark.parametrize("case", CTC_ERRORS, ids=[",".join(c) for c in CTC_ERRORS])
def test_ctc_errors_match_torch(case):
    x = seeded_normal(*case.get("lp_shape", (T, N, C))).astype(case.get("dtype", "float32"))
    targets = case.get("targets", TGT)

    def call(lib, f):
        il = lib.tensor(IL, dtype=lib.float32) if case.get("il") == "float" else lib.tensor(case.get("il", IL))
        tl = lib.tensor(TL, dtype=lib.float32) if case.get("tl") == "float" else lib.tensor(case.get("tl", TL))
        return f.ctc_loss(lib.tensor(x), lib.tensor(targets), il, tl, blank=case.get("blank", 0),
                          reduction=case.get("reduction", "mean"))
    assert_same_error(lambda: call(tg, F), lambda: call(torch, TF))


# ====================================================================== multi-class hinge losses
X = seeded_normal(7, 5, seed=4, scale=0.8)
Y = np.array([0, 4, 2, 2, 1, 3, 0])
W = np.random.default_rng(5).uniform(0.5, 2.0, 5)
ML = np.array([[1, 2, -1, 0, 4], [3, -1, 2, 2, 2], [0, 1, 2, 3, 4], [-1, 0, 0, 0, 0], [2, 2, 1, -1, 3],
               [4, 0, -1, -1, -1], [1, 1, 1, 1, 1]])


@pytest.mark.parametrize("dtype, tol", [("float64", 1e-12), ("float32", 1e-6)])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("p, margin, weighted", [(1, 1.0, False), (2, 0.5, True), (1, 2.0, True)])
def test_multi_margin_matches_torch(dtype, tol, reduction, p, margin, weighted):
    a, b = as_both(X.astype(dtype), requires_grad=True)
    w = W.astype(dtype) if weighted else None
    y = F.multi_margin_loss(a, tg.tensor(Y), p, margin, None if w is None else tg.tensor(w), reduction=reduction)
    ty = TF.multi_margin_loss(b, torch.tensor(Y), p, margin, None if w is None else torch.tensor(w),
                              reduction=reduction)
    assert y.grad_fn.name() == ty.grad_fn.name() == "MultiMarginLossBackward0"
    close(y, ty, tol)
    backward_both(y, ty)
    close(a.grad, b.grad, tol)


@pytest.mark.parametrize("dtype, tol", [("float64", 1e-12), ("float32", 1e-6)])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_multilabel_margin_matches_torch(dtype, tol, reduction):
    a, b = as_both(X.astype(dtype), requires_grad=True)
    y = F.multilabel_margin_loss(a, tg.tensor(ML), reduction=reduction)
    ty = TF.multilabel_margin_loss(b, torch.tensor(ML), reduction=reduction)
    assert y.grad_fn.name() == ty.grad_fn.name() == "MultilabelMarginLossBackward0"
    close(y, ty, tol)
    backward_both(y, ty)
    close(a.grad, b.grad, tol)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("shapes", [((5,), ()), ((5,), (1,)), ((), ()), ((), (1,))], ids=str)
def test_unbatched_margin_losses_match_torch(reduction, shapes):
    xs, ts = shapes
    x = X[1].reshape(xs) if xs else X[1, 0].reshape(())
    for f, tf_, t in ((F.multi_margin_loss, TF.multi_margin_loss, np.array(Y[1] if xs else 0).reshape(ts)),
                      (F.multilabel_margin_loss, TF.multilabel_margin_loss,
                       (ML[1] if xs else np.array(0)).reshape(xs or (ts if ts else ())))):
        a, b = as_both(x, requires_grad=True)
        y, ty = f(a, tg.tensor(t), reduction=reduction), tf_(b, torch.tensor(t), reduction=reduction)
        assert y.shape == ty.shape
        close(y, ty)
        backward_both(y, ty)
        close(a.grad, b.grad)


def test_margin_modules_match_torch():
    w = W.astype(np.float32)
    for m, tm in [(nn.MultiMarginLoss(p=2, margin=0.3, weight=tg.tensor(w)),
                   torch.nn.MultiMarginLoss(p=2, margin=0.3, weight=torch.tensor(w))),
                  (nn.MultiLabelMarginLoss(reduction="sum"), torch.nn.MultiLabelMarginLoss(reduction="sum"))]:
        assert repr(m) == repr(tm)
        assert list(m.state_dict()) == list(tm.state_dict())
        t = ML if isinstance(m, nn.MultiLabelMarginLoss) else Y
        x = X.astype(np.float32)
        close(m(tg.tensor(x), tg.tensor(t)), tm(torch.tensor(x), torch.tensor(t)), 1e-6)


MARGIN_ERRORS = [
    ("mm", dict(p=3)), ("mm", dict(weight=np.ones((5, 1)))), ("mm", dict(weight=np.ones(4))),
    ("mm", dict(target=Y[:4])), ("mm", dict(target=Y + 1)), ("mm", dict(target=Y - 1)),
    ("mm", dict(target=Y.astype(np.float32))), ("mm", dict(target=Y.astype(np.int32))),
    ("mm", dict(reduction="x")), ("mm", dict(x=X[None])), ("mm", dict(x=X[:, :0])), ("mm", dict(x=X.astype(np.int64))),
    ("mm", dict(weight=np.ones(5))), ("mm", dict(target=Y[:, None])), ("mm", dict(x=X[0], target=Y[:2])),
    ("ml", dict(target=ML[:3])), ("ml", dict(target=ML[:, :3])), ("ml", dict(target=ML + 1)),
    ("ml", dict(target=ML - 1)), ("ml", dict(target=ML.astype(np.float32))), ("ml", dict(target=ML.astype(np.int32))),
    ("ml", dict(x=X[0], target=ML[0, :3])), ("ml", dict(x=X[None])), ("ml", dict(reduction="x")),
    ("ml", dict(x=X.astype(np.int64))),
]


@pytest.mark.parametrize("which, case", MARGIN_ERRORS, ids=[f"{w}-{','.join(c)}-{i}" for i, (w, c) in
                                                             enumerate(MARGIN_ERRORS)])
def test_margin_errors_match_torch(which, case):
    x = case.get("x", X)
    x = x.astype(np.float64) if x.dtype.kind == "f" else x
    t = case.get("target", Y if which == "mm" else ML)

    def call(lib, f):
        kw = {"reduction": case.get("reduction", "mean")}
        if which == "mm":
            w = case.get("weight")
            kw.update(p=case.get("p", 1), weight=None if w is None else lib.tensor(w, requires_grad=w.ndim == 1
                                                                                     and w.size == 5))
            return f.multi_margin_loss(lib.tensor(x), lib.tensor(t), **kw)
        return f.multilabel_margin_loss(lib.tensor(x), lib.tensor(t), **kw)
    assert_same_error(lambda: call(tg, F), lambda: call(torch, TF))


@pytest.mark.parametrize("kw", [dict(p=3), dict(weight=np.ones((2, 2), np.float32))], ids=["p", "weight"])
def test_multi_margin_module_errors_match_torch(kw):
    def make(lib, mod):
        w = kw.get("weight")
        return mod.MultiMarginLoss(p=kw.get("p", 1), weight=None if w is None else lib.tensor(w))
    assert_same_error(lambda: make(tg, nn), lambda: make(torch, torch.nn))


# ====================================================================== AdaptiveLogSoftmaxWithLoss
def asm_pair(head_bias=False, cutoffs=(3, 6), div_value=2.0):
    tm = torch.nn.AdaptiveLogSoftmaxWithLoss(8, 12, list(cutoffs), div_value=div_value, head_bias=head_bias).double()
    m = nn.AdaptiveLogSoftmaxWithLoss(8, 12, list(cutoffs), div_value=div_value, head_bias=head_bias).double()
    m.load_state_dict({k: tg.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    return m, tm


@pytest.mark.parametrize("head_bias", [False, True])
@pytest.mark.parametrize("cutoffs", [(3, 6), (4,), (2, 5, 9)], ids=str)
def test_adaptive_matches_torch(head_bias, cutoffs):
    m, tm = asm_pair(head_bias, cutoffs)
    assert repr(m) == repr(tm)
    assert [(k, tuple(v.shape)) for k, v in m.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in tm.state_dict().items()]
    x = seeded_normal(9, 8, seed=7)
    t = np.array([0, 4, 11, 2, 7, 5, 3, 9, 1])
    a, b = as_both(x, requires_grad=True)
    o, to = m(a, tg.tensor(t)), tm(b, torch.tensor(t))
    assert type(o).__name__ == type(to).__name__ and o._fields == to._fields
    assert o.output.grad_fn.name() == to.output.grad_fn.name()
    assert o.loss.grad_fn.name() == to.loss.grad_fn.name()
    close(o.output, to.output)
    close(o.loss, to.loss)
    (o.loss * 2 + o.output.sum()).backward()
    (to.loss * 2 + to.output.sum()).backward()
    close(a.grad, b.grad)
    for p, tp in zip(m.parameters(), tm.parameters()):
        close(p.grad, tp.grad)
    close(m.log_prob(a), tm.log_prob(b))
    assert m.log_prob(a).grad_fn.name() == tm.log_prob(b).grad_fn.name()
    for rows in (slice(None), [0, 3], [1, 2, 4]):
        np.testing.assert_array_equal(m.predict(a[rows]).numpy(), tm.predict(b[rows]).numpy())
    o1, to1 = m(a[2], tg.tensor(t[2])), tm(b[2], torch.tensor(t[2]))
    assert o1.output.shape == to1.output.shape and o1.output.grad_fn.name() == to1.output.grad_fn.name()
    close(o1.loss, to1.loss)


def test_adaptive_predict_outside_the_shortlist():
    m, tm = asm_pair()
    with torch.no_grad():
        tm.head.weight[3:] += 5.0   # push the head towards the clusters so predict takes its other branches
    m.load_state_dict({k: tg.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    x = seeded_normal(10, 8, seed=8)
    np.testing.assert_array_equal(m.predict(tg.tensor(x)).numpy(), tm.predict(torch.tensor(x)).numpy())
    x = np.abs(x)
    np.testing.assert_array_equal(m.predict(tg.tensor(x)).numpy(), tm.predict(torch.tensor(x)).numpy())


@pytest.mark.parametrize("cutoffs", [[], [3, 3], [0], [12], [6, 3], [2.5]], ids=str)
def test_adaptive_cutoff_errors_match_torch(cutoffs):
    assert_same_error(lambda: nn.AdaptiveLogSoftmaxWithLoss(8, 12, cutoffs),
                      lambda: torch.nn.AdaptiveLogSoftmaxWithLoss(8, 12, cutoffs))


@pytest.mark.parametrize("x_shape, t", [((5, 8), [0, 1, 12, 2, 3]), ((5, 8), [0, -1, 1, 2, 3]), ((5, 8), [0, 1]),
                                        ((8,), [1, 2, 3, 4, 5, 6, 7, 8]), ((5, 8), 3), ((5, 8), [[1]])], ids=str)
def test_adaptive_target_errors_match_torch(x_shape, t):
    m, tm = asm_pair()
    x = seeded_normal(*x_shape)
    assert_same_error(lambda: m(tg.tensor(x), tg.tensor(t)), lambda: tm(torch.tensor(x), torch.tensor(t)))


def test_adaptive_unused_cluster_and_shape_error_order_match_torch():
    m, tm = asm_pair()
    x, t = seeded_normal(4, 8, seed=11), np.array([0, 1, 4, 2])    # nothing in the second cluster
    m(tg.tensor(x), tg.tensor(t)).loss.backward()
    tm(torch.tensor(x), torch.tensor(t)).loss.backward()
    assert [p.grad is None for p in m.parameters()] == [p.grad is None for p in tm.parameters()]
    for x_shape, tt in (((8,), [1, 2]), ((3, 8, 2), [1, 2]), ((3, 8, 2), [1, 2, 3])):
        x = seeded_normal(*x_shape)
        assert_same_error(lambda: m(tg.tensor(x), tg.tensor(tt)), lambda: tm(torch.tensor(x), torch.tensor(tt)))
