"""Fixes found by the representation/meta-learning programs (tests/programs/learn_*.py)."""
import math

import numpy as np
import pytest

pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
import tensorgraft as tg  # noqa: E402
import tensorgraft.nn.functional as F  # noqa: E402

INF = float("inf")


def test_cross_entropy_ignores_minus_inf_logits_of_other_classes():
    # SimCLR's NT-Xent masks the similarity diagonal with -inf before cross_entropy
    x = tg.tensor([[-INF, 1.0, 2.0], [0.0, -INF, 3.0]], requires_grad=True)
    loss = F.cross_entropy(x, tg.tensor([1, 2]))
    assert math.isclose(loss.item(), 0.6809245, rel_tol=1e-5)
    loss.backward()
    assert np.isfinite(x.grad.numpy()).all() and x.grad[0, 0].item() == 0.0


def test_nll_loss_none_with_minus_inf_and_ignored_rows():
    lsm = F.log_softmax(tg.tensor([[-INF, 1.0, 2.0], [0.0, -INF, 3.0]]), 1)
    out = F.nll_loss(lsm, tg.tensor([1, -100]), reduction="none")
    assert np.allclose(out.numpy(), [1.3132616, 0.0])
    # the target's own -inf is still an infinite loss
    assert F.nll_loss(lsm, tg.tensor([0, 2])).item() == INF


def test_cross_entropy_minus_inf_spatial_and_smoothed():
    x3 = tg.tensor([[[-INF, 1.0], [0.0, 2.0]]])
    assert math.isclose(F.cross_entropy(x3, tg.tensor([[1, 0]])).item(), 0.656630, rel_tol=1e-5)
    # smoothing averages every class's log-probability in, so -inf makes it infinite (not NaN)
    x = tg.tensor([[-INF, 1.0, 2.0], [0.0, -INF, 3.0]])
    assert F.cross_entropy(x, tg.tensor([2, 2]), label_smoothing=0.1).item() == INF


def test_triplet_margin_loss_refuses_unequal_ranks():
    # a 3-D negative used to broadcast against 2-D anchors and return a loss
    a = tg.zeros(4, 3)
    with pytest.raises(RuntimeError, match="anchor 2D, positive 2D, and negative 3D inputs"):
        F.triplet_margin_loss(a, a, a.unsqueeze(0))


def test_triplet_margin_loss_margin_and_types():
    a = tg.zeros(4, 3)
    with pytest.raises(ValueError, match="^margin must be greater than 0, got 0$"):
        F.triplet_margin_loss(a, a, a, margin=0)
    with pytest.raises(ValueError, match="^bad is not a valid value for reduction$"):
        F.triplet_margin_loss(a, a, a, margin=-1.0, reduction="bad")
    with pytest.raises(TypeError, match=r"argument 'negative' \(position 3\) must be Tensor, not list"):
        F.triplet_margin_loss(a, a, [1.0])
    with pytest.raises(ValueError, match="TripletMarginLoss: expected margin to be greater than 0, got -1.0"):
        tg.nn.TripletMarginLoss(margin=-1.0)
    assert F.triplet_margin_loss(a, a, a, margin=0.5).item() == 0.5


@pytest.mark.parametrize("eps", [-0.1, -5.0, float("nan")])
def test_label_smoothing_below_zero_or_nan_means_none(eps):
    rng = np.random.default_rng(1)
    x = tg.tensor(rng.standard_normal((4, 5)).astype(np.float32))
    y = tg.tensor([0, 2, 4, 1])
    p = tg.softmax(tg.tensor(rng.standard_normal((4, 5)).astype(np.float32)), 1)
    assert F.cross_entropy(x, y, label_smoothing=eps).item() == F.cross_entropy(x, y).item()
    assert F.cross_entropy(x, p, label_smoothing=eps).item() == F.cross_entropy(x, p).item()
    assert tg.nn.CrossEntropyLoss(label_smoothing=eps)(x, y).item() == F.cross_entropy(x, y).item()
    with pytest.raises(RuntimeError, match="^label_smoothing must be between 0.0 and 1.0. Got: 1.5$"):
        F.cross_entropy(x, y, label_smoothing=1.5)


def test_cosine_embedding_loss_target_and_input_ranks():
    a = tg.ones(4, 3)
    with pytest.raises(RuntimeError, match=r"^1D target tensor expects 2D input tensors, but found inputs with sizes "
                                           r"\[3\] and \[3\]\.$"):
        F.cosine_embedding_loss(a[0], a[0], tg.tensor([1]))
    with pytest.raises(RuntimeError, match=r"^0D target tensor expects 1D input tensors, but found inputs with sizes "
                                           r"\[4, 3\] and \[4, 3\]\.$"):
        F.cosine_embedding_loss(a, a, tg.tensor(1))
    with pytest.raises(RuntimeError, match=r"sizes \[4, 3\] and \[3\]\.$"):
        F.cosine_embedding_loss(a, a[0], tg.ones(4))
    with pytest.raises(RuntimeError, match="^0D or 1D target tensor expected, multi-target not supported$"):
        F.cosine_embedding_loss(a, a, tg.ones(4, 1))
    with pytest.raises(TypeError, match=r"argument 'target' \(position 3\) must be Tensor, not list"):
        F.cosine_embedding_loss(a, a, [1, 1, 1, 1])
    assert abs(F.cosine_embedding_loss(a[0], a[0] * 2, tg.tensor(1)).item()) < 1e-6


def test_cosine_similarity_dtype_rules():
    rng = np.random.default_rng(2)
    f = tg.tensor(rng.standard_normal((4, 3)).astype(np.float32))
    i = tg.tensor([[1, 2, 3], [0, 1, 0], [2, 2, 2], [1, 0, 0]], dtype=tg.int32)
    with pytest.raises(RuntimeError, match="^expected common dtype to be floating point, yet common dtype is Int$"):
        F.cosine_similarity(i, i)
    with pytest.raises(RuntimeError, match="yet common dtype is Long$"):
        F.cosine_similarity(i, i[:3].long())  # the dtype is checked before the shapes
    with pytest.raises(RuntimeError, match="yet common dtype is ComplexFloat$"):
        F.cosine_similarity(f.to(tg.complex64), f)
    # an integer input beside a floating one is promoted, not refused
    mixed = F.cosine_similarity(i, f)
    assert mixed.dtype == tg.float32
    assert np.allclose(mixed.numpy(), F.cosine_similarity(i.float(), f).numpy())


@pytest.mark.parametrize("shape, exc, msg", [
    (4, TypeError, "^layer_norm\\(\\): argument 'normalized_shape' \\(position 2\\) must be tuple of ints, not int$"),
    (None, TypeError, "must be tuple of ints, not NoneType$"),
    ((4.0,), TypeError, "must be tuple of ints, but found element of type float at pos 0$"),
    ((True,), TypeError, "but found element of type bool at pos 0$"),
    ((), RuntimeError, "^Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one "
                       "element, but got normalized_shape = \\[\\]$"),
])
def test_layer_norm_normalized_shape_argument(shape, exc, msg):
    with pytest.raises(exc, match=msg):
        F.layer_norm(tg.ones(2, 4), shape)


def test_layer_norm_normalized_shape_int_likes_and_rms_norm():
    x = tg.ones(2, 4)
    assert F.layer_norm(x, (np.int64(4),)).shape == (2, 4)
    assert F.layer_norm(x, [tg.tensor(4)]).shape == (2, 4)
    with pytest.raises(TypeError, match="found element of type Tensor at pos 0"):
        F.layer_norm(x, [tg.tensor(4.0)])
    with pytest.raises(TypeError, match="^rms_norm\\(\\): .* but found element of type float at pos 0$"):
        F.rms_norm(x, (4.0,))
    with pytest.raises(RuntimeError, match="at least 1-dimensional"):
        F.rms_norm(x, ())


def test_layer_norm_affine_shapes_checked_first():
    x = tg.ones(2, 4)
    with pytest.raises(RuntimeError, match="^Expected weight to be of same shape as normalized_shape, but got weight "
                                           "of shape \\[2\\] and normalized_shape = \\[3\\]$"):
        F.layer_norm(x, (3,), weight=tg.ones(2))
    with pytest.raises(RuntimeError, match="^Expected bias to be of same shape as normalized_shape, but got bias of "
                                           "shape \\[3\\] and normalized_shape = \\[4\\]$"):
        F.layer_norm(x, (4,), weight=tg.ones(4), bias=tg.ones(3))


@pytest.mark.parametrize("xd, wd, bd, msg", [
    ("float32", "float64", None, "mixed dtype (CPU): expect parameter to have scalar type of Float"),
    ("float64", "float32", "float32", "mixed dtype (CPU): all inputs must share same datatype."),
    ("float32", "float32", "float64", "expected scalar type Float but found Double"),
    ("float16", "float64", None, "mixed dtype (CPU): expect parameter to have scalar type of Float"),
    ("float16", "float16", "float32", "expected scalar type Half but found Float"),
])
def test_layer_norm_mixed_dtypes_refused(xd, wd, bd, msg):
    x = tg.ones(2, 4, dtype=getattr(tg, xd))
    w = tg.ones(4, dtype=getattr(tg, wd))
    b = None if bd is None else tg.ones(4, dtype=getattr(tg, bd))
    with pytest.raises(RuntimeError) as info:
        F.layer_norm(x, (4,), w, b)
    assert str(info.value) == msg


def test_layer_norm_half_input_float_params_stays_half():
    rng = np.random.default_rng(5)
    x = tg.tensor(rng.standard_normal((2, 4)).astype(np.float16), requires_grad=True)
    w = tg.tensor(rng.standard_normal(4).astype(np.float32), requires_grad=True)
    y = F.layer_norm(x, (4,), w, tg.zeros(4))
    assert y.dtype == tg.float16
    ref = F.layer_norm(x.detach().float(), (4,), w.detach())
    assert np.allclose(y.detach().float().numpy(), ref.numpy(), atol=2e-3)
    y.float().sum().backward()
    assert x.grad.dtype == tg.float16 and w.grad.dtype == tg.float32


@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_double_backward_links_input_and_target(log_target):
    # d/dtarget of the loss depends on the input: create_graph must keep that link (it was cut,
    # so a gradient penalty on a distillation loss silently lost a term)
    rng = np.random.default_rng(6)
    a = tg.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    b = tg.tensor(rng.standard_normal((4, 3)), requires_grad=True)

    def loss(a, b):
        t = b.log_softmax(1) if log_target else b.softmax(1)
        return F.kl_div(a.log_softmax(1), t, reduction="batchmean", log_target=log_target)

    _, gb = tg.autograd.grad(loss(a, b), (a, b), create_graph=True)
    penalty = gb.pow(2).sum()
    (ga2,) = tg.autograd.grad(penalty, a)
    # against central differences of the penalty in a
    h = 1e-6
    num = np.zeros((4, 3))
    for idx in np.ndindex(4, 3):
        vals = []
        for s in (h, -h):
            ap = a.detach().clone()
            ap[idx] += s
            ap.requires_grad_()
            _, gbp = tg.autograd.grad(loss(ap, b), (ap, b))
            vals.append(gbp.pow(2).sum().item())
        num[idx] = (vals[0] - vals[1]) / (2 * h)
    assert np.abs(num).max() > 1e-3
    assert np.allclose(ga2.numpy(), num, atol=1e-6)


def test_kl_div_target_gradient_at_zero_is_nan_and_no_size_warning():
    import warnings
    x = tg.tensor([[-1.0, -2.0, -0.5]])
    t = tg.tensor([0.0, 0.5, 0.5], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # kl_div broadcasts a target without PyTorch's size warning
        out = F.kl_div(x, t, reduction="sum")
    (g,) = tg.autograd.grad(out, t)
    assert np.isnan(g[0].item()) and np.allclose(g[1:].numpy(), [1 + np.log(0.5) + 2.0, 1 + np.log(0.5) + 0.5])


def _edges(t):
    return [None if f is None else type(f).__name__ for f, _ in t.grad_fn.next_functions]


@pytest.mark.parametrize("shape, target", [((4, 3), [0, 2, 1, 0]), ((3,), 1), ((2, 3, 5), [[0, 1, 2, 0, 1]] * 2),
                                           ((2, 3, 2, 2), [[[0, 1], [2, 0]]] * 2)])
def test_cross_entropy_graph_is_log_softmax_then_nll(shape, target):
    # loss.grad_fn.next_functions is what autograd tutorials print: PyTorch's cross_entropy is
    # nll_loss over log_softmax, and nll_loss's node has the input as its only edge
    rng = np.random.default_rng(8)
    x = tg.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)
    loss = F.cross_entropy(x, tg.tensor(target))
    inner = loss.grad_fn
    while type(inner).__name__ == "ViewBackward0":
        inner = inner.next_functions[0][0]
    assert type(inner.next_functions[0][0]).__name__ in ("LogSoftmaxBackward0", "ViewBackward0")
    if len(shape) in (1, 2, 4):
        assert _edges(loss)[0] == "LogSoftmaxBackward0"
    # the same gradient as before, to rounding
    loss.backward()
    p = F.softmax(x.detach(), 1 if len(shape) > 1 else 0).numpy()
    onehot = np.moveaxis(np.eye(shape[1] if len(shape) > 1 else shape[0])[np.asarray(target)], -1,
                         1 if len(shape) > 1 else 0)
    n = np.asarray(target).size
    assert np.allclose(x.grad.numpy(), (p - onehot) / n, atol=1e-6)
