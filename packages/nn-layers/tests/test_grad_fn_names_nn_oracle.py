"""PyTorch as the oracle for the nn.functional graph nodes: the node chain under the result, the
values, dtypes and gradients of prelu, group_norm, bilinear, cosine_similarity, pairwise_distance,
pixel_(un)shuffle, glu, the margin losses (every reduction), cross_entropy's smoothed and
probability targets, weighted mse/huber and kl_div's log targets; the argument errors; and
torch.rrelu's ``generator`` argument."""
import inspect

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensorgraft as tg  # noqa: E402
import tensorgraft.nn.functional as F  # noqa: E402
from tensorgraft.testing.oracle import assert_same_error  # noqa: E402
import torch.nn.functional as TF  # noqa: E402


def chain(out, depth):
    """Node names breadth-first to ``depth`` levels, the ``torch::autograd::`` prefix dropped."""
    names, level = [], [out.grad_fn]
    for _ in range(depth):
        nxt = []
        for fn in level:
            if fn is None:
                continue
            names.append(fn.name().replace("torch::autograd::", ""))
            nxt.extend(n for n, _ in fn.next_functions)
        level = nxt
    return names


class Pair:
    """The same seeded arrays as tensorgraft and torch leaves (``grad=False``: plain inputs)."""

    def __init__(self, seed, dtype=np.float64):
        self.rng = np.random.default_rng(seed)
        self.dtype = dtype
        self.ours, self.theirs = [], []

    def add(self, a, grad=True):
        a = np.asarray(a)
        if a.dtype.kind == "f":
            a = a.astype(self.dtype)
        o = tg.tensor(a, requires_grad=grad and a.dtype.kind == "f")
        t = torch.tensor(a, requires_grad=grad and a.dtype.kind == "f")
        if o.requires_grad:
            self.ours.append(o)
            self.theirs.append(t)
        return o, t

    def normal(self, *shape, grad=True):
        return self.add(self.rng.standard_normal(shape), grad)


def compare(pair, ours, theirs, depth):
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype)
    tol = dict(rtol=1e-5, atol=1e-6) if pair.dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), **tol)
    assert chain(ours, depth) == chain(theirs, depth)
    g = pair.rng.standard_normal(tuple(theirs.shape)).astype(pair.dtype)
    ours.backward(tg.tensor(g))
    theirs.backward(torch.tensor(g))
    for o, t in zip(pair.ours, pair.theirs):
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), **tol)



CASES = {
    "prelu_3d": (lambda p: p.normal(2, 3, 4), lambda p: p.normal(3), lambda F_, x, w: F_.prelu(x, w), 3),
    "prelu_4d_one_weight": (lambda p: p.normal(2, 3, 2, 2), lambda p: p.normal(1),
                            lambda F_, x, w: F_.prelu(x, w), 3),
    "prelu_1d": (lambda p: p.normal(5), lambda p: p.normal(1), lambda F_, x, w: F_.prelu(x, w), 2),
    "prelu_0d": (lambda p: p.normal(), lambda p: p.normal(1), lambda F_, x, w: F_.prelu(x, w), 3),
    "glu": (lambda p: p.normal(3, 8), lambda p: None, lambda F_, x, _: F_.glu(x), 2),
    "glu_dim0": (lambda p: p.normal(4, 3), lambda p: None, lambda F_, x, _: F_.glu(x, 0), 2),
    "pixel_shuffle": (lambda p: p.normal(2, 8, 2, 3), lambda p: None, lambda F_, x, _: F_.pixel_shuffle(x, 2), 2),
    "pixel_shuffle_3d": (lambda p: p.normal(9, 2, 2), lambda p: None, lambda F_, x, _: F_.pixel_shuffle(x, 3), 2),
    "pixel_unshuffle": (lambda p: p.normal(2, 2, 4, 6), lambda p: None,
                        lambda F_, x, _: F_.pixel_unshuffle(x, 2), 2),
    "pixel_unshuffle_5d": (lambda p: p.normal(2, 1, 3, 4, 4), lambda p: None,
                           lambda F_, x, _: F_.pixel_unshuffle(x, 2), 2),
    "pairwise_distance": (lambda p: p.normal(4, 5), lambda p: p.normal(4, 5),
                          lambda F_, a, b: F_.pairwise_distance(a, b), 4),
    "pairwise_distance_p1_keepdim": (lambda p: p.normal(4, 5), lambda p: p.normal(4, 5),
                                     lambda F_, a, b: F_.pairwise_distance(a, b, 1.0, keepdim=True), 4),
    "pairwise_distance_p3_1d": (lambda p: p.normal(5), lambda p: p.normal(5),
                                lambda F_, a, b: F_.pairwise_distance(a, b, 3.0), 4),
    "cosine_similarity": (lambda p: p.normal(4, 5), lambda p: p.normal(4, 5),
                          lambda F_, a, b: F_.cosine_similarity(a, b), 5),
    "cosine_similarity_dim0": (lambda p: p.normal(3, 2, 4), lambda p: p.normal(3, 2, 4),
                               lambda F_, a, b: F_.cosine_similarity(a, b, 0), 5),
    "cosine_similarity_broadcast": (lambda p: p.normal(4, 5), lambda p: p.normal(1, 5),
                                    lambda F_, a, b: F_.cosine_similarity(a, b), 4),
    "cosine_similarity_tiny": (lambda p: p.add(p.rng.standard_normal((2, 3)) * 1e-10), lambda p: p.normal(2, 3),
                               lambda F_, a, b: F_.cosine_similarity(a, b), 5),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name", list(CASES))
def test_unary_and_binary_ops(name, dtype):
    make1, make2, call, depth = CASES[name]
    p = Pair(sum(map(ord, name)), dtype)
    a = make1(p)
    b = make2(p)
    ours = call(F, a[0], None if b is None else b[0])
    theirs = call(TF, a[1], None if b is None else b[1])
    compare(p, ours, theirs, depth)


@pytest.mark.parametrize("affine", ["both", "weight", "none"])
@pytest.mark.parametrize("shape, groups", [((2, 4, 5), 2), ((3, 6, 2, 2), 3), ((2, 4), 4)])
def test_group_norm(shape, groups, affine):
    p = Pair(31)
    x = p.normal(*shape)
    w = p.normal(shape[1]) if affine != "none" else (None, None)
    b = p.normal(shape[1]) if affine == "both" else (None, None)
    compare(p, F.group_norm(x[0], groups, w[0], b[0]), TF.group_norm(x[1], groups, w[1], b[1]), 2)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("lead", [(), (3,), (2, 3)])
def test_bilinear(lead, bias):
    p = Pair(32)
    x1, x2, w = p.normal(*lead, 4), p.normal(*lead, 5), p.normal(6, 4, 5)
    b = p.normal(6) if bias else (None, None)
    compare(p, F.bilinear(x1[0], x2[0], w[0], b[0]), TF.bilinear(x1[1], x2[1], w[1], b[1]), 4)


REDUCTIONS = ["none", "mean", "sum"]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("swap", [False, True])
def test_triplet_margin_loss(reduction, swap):
    p = Pair(33)
    a, pos, neg = p.normal(4, 3), p.normal(4, 3), p.normal(4, 3)
    ours = F.triplet_margin_loss(a[0], pos[0], neg[0], margin=2.0, swap=swap, reduction=reduction)
    theirs = TF.triplet_margin_loss(a[1], pos[1], neg[1], margin=2.0, swap=swap, reduction=reduction)
    compare(p, ours, theirs, 4)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_triplet_margin_with_distance_loss(reduction):
    p = Pair(34)
    a, pos, neg = p.normal(4, 3), p.normal(4, 3), p.normal(4, 3)
    ours = F.triplet_margin_with_distance_loss(a[0], pos[0], neg[0], margin=2.0, reduction=reduction)
    theirs = TF.triplet_margin_with_distance_loss(a[1], pos[1], neg[1], margin=2.0, reduction=reduction)
    compare(p, ours, theirs, 3)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_margin_ranking_loss(reduction):
    p = Pair(35)
    x1, x2 = p.normal(6), p.normal(6)
    y = p.add(np.sign(p.rng.standard_normal(6)), grad=False)
    compare(p, F.margin_ranking_loss(x1[0], x2[0], y[0], 0.5, reduction=reduction),
            TF.margin_ranking_loss(x1[1], x2[1], y[1], 0.5, reduction=reduction), 4)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("target_shape", [(3, 4), (4,)])
def test_soft_margin_loss(reduction, target_shape):
    p = Pair(36)
    x = p.normal(3, 4)
    y = p.add(np.sign(p.rng.standard_normal(target_shape)), grad=False)
    compare(p, F.soft_margin_loss(x[0], y[0], reduction=reduction),
            TF.soft_margin_loss(x[1], y[1], reduction=reduction), 2)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_other_margin_losses_keep_pytorch_top_node(reduction):
    p = Pair(37)
    x, x2 = p.normal(3, 5), p.normal(3, 5)
    sign = p.add(np.sign(p.rng.standard_normal((3, 5))), grad=False)
    y3 = p.add(np.array([1.0, -1.0, 1.0]), grad=False)
    cls = p.add(np.array([0, 1, 4]), grad=False)
    multi = p.add(np.array([[0, 1, -1, 0, 0], [2, -1, 0, 0, 0], [4, 3, -1, 0, 0]]), grad=False)
    for ours, theirs in (
            (F.hinge_embedding_loss(x[0], sign[0], reduction=reduction),
             TF.hinge_embedding_loss(x[1], sign[1], reduction=reduction)),
            (F.cosine_embedding_loss(x[0], x2[0], y3[0], reduction=reduction),
             TF.cosine_embedding_loss(x[1], x2[1], y3[1], reduction=reduction)),
            (F.multi_margin_loss(x[0], cls[0], reduction=reduction),
             TF.multi_margin_loss(x[1], cls[1], reduction=reduction)),
            (F.multilabel_margin_loss(x[0], multi[0], reduction=reduction),
             TF.multilabel_margin_loss(x[1], multi[1], reduction=reduction)),
            (F.multilabel_soft_margin_loss(x[0], sign[0].clamp(0, 1), reduction=reduction),
             TF.multilabel_soft_margin_loss(x[1], sign[1].clamp(0, 1), reduction=reduction))):
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10)
        assert ours.grad_fn.name() == theirs.grad_fn.name()


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kind", ["smoothing", "smoothing_weight", "probs", "probs_smoothing", "spatial_smoothing"])
def test_cross_entropy_top_node(kind, reduction):
    p = Pair(38)
    spatial = kind.startswith("spatial")
    x = p.normal(2, 4, 3) if spatial else p.normal(3, 4)
    if kind.startswith("probs"):
        t = p.add(p.rng.dirichlet(np.ones(4), 3), grad=False)
    else:
        t = p.add(p.rng.integers(0, 4, (2, 3) if spatial else (3,)), grad=False)
    kw = {"label_smoothing": 0.2} if "smoothing" in kind else {}
    w = p.add(p.rng.uniform(0.5, 1.5, 4), grad=False) if kind.endswith("weight") else (None, None)
    ours = F.cross_entropy(x[0], t[0], weight=w[0], reduction=reduction, **kw)
    theirs = TF.cross_entropy(x[1], t[1], weight=w[1], reduction=reduction, **kw)
    assert ours.grad_fn.name() == theirs.grad_fn.name()
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10)
    g = np.ones(tuple(theirs.shape))
    ours.backward(tg.tensor(g))
    theirs.backward(torch.tensor(g))
    np.testing.assert_allclose(x[0].grad.numpy(), x[1].grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("loss", ["mse_loss", "huber_loss"])
def test_weighted_pointwise_losses(loss, reduction):
    p = Pair(39)
    x = p.normal(3, 4)
    y = p.normal(3, 4, grad=False)
    w = p.add(p.rng.uniform(0.1, 1.0, (3, 4)), grad=False)
    compare(p, getattr(F, loss)(x[0], y[0], reduction=reduction, weight=w[0]),
            getattr(TF, loss)(x[1], y[1], reduction=reduction, weight=w[1]), 3)


@pytest.mark.parametrize("reduction", ["none", "sum", "batchmean"])
def test_kl_div_log_target(reduction):
    p = Pair(40)
    x, y = p.normal(3, 4), p.normal(3, 4, grad=False)
    compare(p, F.kl_div(x[0], y[0], reduction=reduction, log_target=True),
            TF.kl_div(x[1], y[1], reduction=reduction, log_target=True), 1)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_smooth_l1_beta_zero_is_l1(reduction):
    p = Pair(42)
    x, y = p.normal(3, 4), p.normal(3, 4, grad=False)
    compare(p, F.smooth_l1_loss(x[0], y[0], reduction=reduction, beta=0.0),
            TF.smooth_l1_loss(x[1], y[1], reduction=reduction, beta=0.0), 1)   # l1_loss is one fused op here


@pytest.mark.parametrize("bias", [True, False])
def test_linear_1d_input(bias):
    p = Pair(43)
    x, w = p.normal(4), p.normal(3, 4)
    b = p.normal(3) if bias else (None, None)
    compare(p, F.linear(x[0], w[0], b[0]), TF.linear(x[1], w[1], b[1]), 1)


@pytest.mark.parametrize("fn, shape", [("dropout1d", (4, 6)), ("dropout3d", (3, 2, 2, 2))])
def test_unbatched_feature_dropout_node(fn, shape):
    x = tg.ones(*shape, requires_grad=True)
    t = torch.ones(*shape, requires_grad=True)
    assert chain(getattr(F, fn)(x, 0.5), 3) == chain(getattr(TF, fn)(t, 0.5), 3)


def test_double_backward_values():
    p = Pair(41)
    x, w = p.normal(2, 3, 4), p.normal(3)
    gx = tg.autograd.grad(F.prelu(x[0], w[0]).pow(2).sum(), (x[0], w[0]), create_graph=True)
    tx = torch.autograd.grad(TF.prelu(x[1], w[1]).pow(2).sum(), (x[1], w[1]), create_graph=True)
    for o, t in zip(tg.autograd.grad(gx[0].sum() + gx[1].sum(), (x[0], w[0])),
                    torch.autograd.grad(tx[0].sum() + tx[1].sum(), (x[1], w[1]))):
        np.testing.assert_allclose(o.numpy(), t.numpy(), rtol=1e-10, atol=1e-12)


ERRORS = [
    lambda F_, lib: F_.prelu(lib.ones(2, 3), lib.ones(1, 3)),
    lambda F_, lib: F_.prelu(lib.ones(5), lib.ones(5)),
    lambda F_, lib: F_.prelu(lib.ones(2, 3), lib.ones(4)),
    lambda F_, lib: F_.prelu(lib.ones(2, 3, dtype=lib.int32), lib.ones(3, dtype=lib.int32)),
    lambda F_, lib: F_.glu(lib.tensor(1.0)),
    lambda F_, lib: F_.glu(lib.ones(3, 5)),
    lambda F_, lib: F_.glu(lib.ones(3, 4, dtype=lib.int32)),
    lambda F_, lib: F_.pixel_shuffle(lib.ones(2, 3, 3, 3), 2),
    lambda F_, lib: F_.pixel_shuffle(lib.ones(4, 3), 2),
    lambda F_, lib: F_.pixel_shuffle(lib.ones(1, 4, 3, 3), 0),
    lambda F_, lib: F_.pixel_unshuffle(lib.ones(2, 3, 5, 4), 2),
    lambda F_, lib: F_.pixel_unshuffle(lib.ones(2, 3, 4, 5), 2),
    lambda F_, lib: F_.pixel_unshuffle(lib.ones(4, 3), 2),
    lambda F_, lib: F_.pixel_unshuffle(lib.ones(1, 4, 4, 4), 0),
    lambda F_, lib: F_.soft_margin_loss(lib.ones(3), lib.ones(3, requires_grad=True)),
    lambda F_, lib: F_.mse_loss(lib.ones(3, 4), lib.ones(3, 4), weight=lib.ones(4)),
    lambda F_, lib: F_.huber_loss(lib.ones(3, 4), lib.ones(3, 4), weight=lib.ones(3, 4), reduction="bad"),
    lambda F_, lib: F_.batch_norm(lib.ones(2, 3, dtype=lib.float64), lib.zeros(3), lib.ones(3)),
    lambda F_, lib: F_.batch_norm(lib.ones(2, 3), None, None, lib.ones(3, dtype=lib.float64), training=True),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors_match(i):
    assert_same_error(lambda: ERRORS[i](F, tg), lambda: ERRORS[i](TF, torch))


# ------------------------------------------------------------------ rrelu's generator
def test_rrelu_signatures_as_pytorch():
    # torch.rrelu/rrelu_ take generator (5th); torch.nn.functional's do not
    assert list(inspect.signature(F.rrelu).parameters) == list(inspect.signature(TF.rrelu).parameters)
    assert "generator" not in inspect.signature(F.rrelu_).parameters
    x = -torch.ones(4)
    torch.rrelu(x, 0.1, 0.3, True, torch.Generator().manual_seed(0))   # positional generator is accepted
    tg.rrelu(-tg.ones(4), 0.1, 0.3, True, tg.Generator().manual_seed(0))


@pytest.mark.parametrize("name", ["rrelu", "rrelu_"])
def test_rrelu_generator_type_error(name):
    with pytest.raises(TypeError) as theirs:
        getattr(torch, name)(-torch.ones(3), 0.1, 0.3, True, 5)
    with pytest.raises(TypeError) as ours:
        getattr(tg, name)(-tg.ones(3), 0.1, 0.3, True, 5)
    assert str(ours.value) == str(theirs.value)


def test_rrelu_generator_seeding_behaves_as_pytorch():
    """Same seed, same slopes; the default generator does not move (its own draws differ from
    PyTorch's: tensorgraft's generators are not PyTorch's Mersenne Twister)."""
    for lib in (torch, tg):
        x = -lib.ones(20)
        a = lib.rrelu(x, 0.1, 0.3, True, lib.Generator().manual_seed(4))
        lib.manual_seed(9)
        expected = lib.rand(3)
        lib.manual_seed(9)
        b = lib.rrelu(x, 0.1, 0.3, True, generator=lib.Generator().manual_seed(4))
        assert np.array_equal(a.numpy(), b.numpy())
        assert np.array_equal(lib.rand(3).numpy(), expected.numpy())
        assert ((-a.numpy() >= 0.1) & (-a.numpy() <= 0.3)).all()
