"""nn.functional ops that record PyTorch's graph nodes (PreluKernelBackward0, NativeGroupNormBackward0,
TrilinearBackward0, PixelShuffleBackward0, SoftMarginLossBackward0, GluBackward0, NormBackward1, ...):
node names, values against NumPy references, first and second derivatives (float64 finite
differences), the argument errors, and torch.rrelu's ``generator``. Runs on every device."""
import math

import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn.functional as F
from tensorgraft.autograd import gradcheck, gradgradcheck
from tensorgraft.testing.oracle import to_numpy


def leaf(a, device="cpu"):
    return tg.tensor(np.asarray(a, dtype=np.float64), device=device, requires_grad=True)


def chain(out, depth=2):
    """The node names from ``out.grad_fn`` down ``depth`` levels (first input first)."""
    names = []
    fn = out.grad_fn
    for _ in range(depth):
        if fn is None:
            break
        names.append(fn.name())
        fn = next((n for n, _ in fn.next_functions if n is not None), None)
    return names


# ------------------------------------------------------------------ node names
def _rng_cases():
    r = np.random.default_rng(11)
    x2, y2 = r.standard_normal((3, 5)), r.standard_normal((3, 5))
    z2 = r.standard_normal((3, 5))
    sign5 = np.sign(r.standard_normal(5))
    cases = [
        ("prelu", lambda d: F.prelu(leaf(r.standard_normal((2, 3, 4)), d), leaf(r.standard_normal(3), d)),
         ["PreluKernelBackward0"]),
        ("group_norm", lambda d: F.group_norm(leaf(r.standard_normal((2, 4, 3)), d), 2,
                                              leaf(r.standard_normal(4), d), leaf(r.standard_normal(4), d)),
         ["NativeGroupNormBackward0"]),
        ("bilinear", lambda d: F.bilinear(leaf(x2[:, :4], d), leaf(y2, d), leaf(r.standard_normal((2, 4, 5)), d),
                                          leaf(r.standard_normal(2), d)),
         ["AddBackward0", "ViewBackward0", "TrilinearBackward0"]),
        ("bilinear_no_bias", lambda d: F.bilinear(leaf(x2[:, :4], d), leaf(y2, d),
                                                  leaf(r.standard_normal((2, 4, 5)), d)),
         ["ViewBackward0", "TrilinearBackward0"]),
        ("cosine_similarity", lambda d: F.cosine_similarity(leaf(x2, d), leaf(y2, d)),
         ["SumBackward1", "MulBackward0", "DivBackward0"]),
        ("pairwise_distance", lambda d: F.pairwise_distance(leaf(x2, d), leaf(y2, d)),
         ["NormBackward1", "AddBackward1", "SubBackward0"]),
        ("pixel_shuffle", lambda d: F.pixel_shuffle(leaf(r.standard_normal((1, 8, 2, 2)), d), 2),
         ["PixelShuffleBackward0"]),
        ("pixel_unshuffle", lambda d: F.pixel_unshuffle(leaf(r.standard_normal((1, 2, 4, 4)), d), 2),
         ["PixelUnshuffleBackward0"]),
        ("margin_ranking_loss", lambda d: F.margin_ranking_loss(
            leaf(x2[0], d), leaf(y2[0], d), tg.tensor(sign5, device=d), reduction="none"),
         ["ClampMinBackward0", "AddBackward1", "MulBackward0"]),
        ("triplet_margin_loss", lambda d: F.triplet_margin_loss(leaf(x2, d), leaf(y2, d), leaf(z2, d),
                                                                reduction="none"),
         ["ClampMinBackward0", "SubBackward0", "AddBackward1", "NormBackward1"]),
        ("soft_margin_loss", lambda d: F.soft_margin_loss(leaf(x2, d), tg.tensor(np.sign(y2), device=d)),
         ["SoftMarginLossBackward0"]),
        ("soft_margin_loss_none", lambda d: F.soft_margin_loss(leaf(x2, d), tg.tensor(np.sign(y2), device=d),
                                                               reduction="none"),
         ["SoftMarginLossBackward0"]),
        ("glu", lambda d: F.glu(leaf(r.standard_normal((3, 4)), d)), ["GluBackward0"]),
        ("cross_entropy_smoothing", lambda d: F.cross_entropy(leaf(x2, d), tg.tensor([0, 1, 4], device=d),
                                                             label_smoothing=0.1),
         ["AddBackward0"]),
        ("cross_entropy_probs_mean", lambda d: F.cross_entropy(leaf(x2, d), tg.tensor(np.abs(y2), device=d)),
         ["DivBackward1"]),
        ("mse_loss_weight", lambda d: F.mse_loss(leaf(x2, d), tg.tensor(y2, device=d),
                                                 weight=tg.tensor(np.abs(z2), device=d)),
         ["DivBackward0", "SumBackward0", "MulBackward0"]),
        ("huber_loss_weight", lambda d: F.huber_loss(leaf(x2, d), tg.tensor(y2, device=d),
                                                     weight=tg.tensor(np.abs(z2), device=d)),
         ["MeanBackward0", "MulBackward0", "HuberLossBackward0"]),
        ("kl_div_log_target", lambda d: F.kl_div(leaf(x2, d), tg.tensor(y2, device=d), reduction="none",
                                                 log_target=True),
         ["MulBackward0"]),
        ("dropout1d_unbatched", lambda d: F.dropout1d(leaf(x2, d), 0.5), ["SqueezeBackward1", "MulBackward0"]),
        ("linear_1d_bias", lambda d: F.linear(leaf(x2[0], d), leaf(y2[:2], d), leaf(z2[0, :2], d)),
         ["ViewBackward0"]),
        ("smooth_l1_beta0", lambda d: F.smooth_l1_loss(leaf(x2, d), tg.tensor(y2, device=d), beta=0.0,
                                                       reduction="none"),
         ["AbsBackward0"]),
    ]
    return cases


CASES = _rng_cases()


@pytest.mark.parametrize("name, make, expected", CASES, ids=[c[0] for c in CASES])
def test_node_chain(name, make, expected, tg_device):
    tg.manual_seed(0)
    assert chain(make(tg_device), len(expected)) == expected


@pytest.mark.parametrize("reduction, top", [("none", "ClampMinBackward0"), ("mean", "MeanBackward0"),
                                            ("sum", "SumBackward0")])
def test_margin_losses_every_reduction(reduction, top):
    r = np.random.default_rng(3)
    a, p, n = (leaf(r.standard_normal((4, 3))) for _ in range(3))
    for out in (F.triplet_margin_loss(a, p, n, reduction=reduction),
                F.triplet_margin_loss(a, p, n, swap=True, reduction=reduction),
                F.margin_ranking_loss(a[:, 0], p[:, 0], tg.tensor(np.sign(r.standard_normal(4))),
                                      reduction=reduction)):
        assert out.grad_fn.name() == top
        if reduction != "none":
            assert out.grad_fn.next_functions[0][0].name() == "ClampMinBackward0"
    out = F.soft_margin_loss(a, tg.tensor(np.sign(r.standard_normal((4, 3)))), reduction=reduction)
    assert out.grad_fn.name() == "SoftMarginLossBackward0"


def test_prelu_weight_view_by_input_rank():
    r = np.random.default_rng(5)
    w = leaf(r.standard_normal(1))
    for shape, under in (((2, 3), "ViewBackward0"), ((), "ViewBackward0"), ((4,), "AccumulateGrad")):
        out = F.prelu(leaf(r.standard_normal(shape)), w)
        assert out.grad_fn.name() == "PreluKernelBackward0" and out.shape == shape
        assert out.grad_fn.next_functions[1][0].name().endswith(under)


# ------------------------------------------------------------------ values and gradients
def _sig(v):
    return 1 / (1 + np.exp(-v))


def test_prelu_values_and_gradients(tg_device):
    r = np.random.default_rng(21)
    xa, wa, ga = r.standard_normal((2, 3, 4)), r.standard_normal(3), r.standard_normal((2, 3, 4))
    x, w = leaf(xa, tg_device), leaf(wa, tg_device)
    out = F.prelu(x, w)
    wb = wa.reshape(1, 3, 1)
    np.testing.assert_allclose(to_numpy(out), np.where(xa > 0, xa, xa * wb))
    out.backward(tg.tensor(ga, device=tg_device))
    np.testing.assert_allclose(to_numpy(x.grad), np.where(xa > 0, ga, ga * wb))
    np.testing.assert_allclose(to_numpy(w.grad), np.where(xa > 0, 0, ga * xa).sum(axis=(0, 2)))


def test_glu_values_and_gradients(tg_device):
    r = np.random.default_rng(22)
    xa, ga = r.standard_normal((4, 6)), r.standard_normal((2, 6))
    x = leaf(xa, tg_device)
    out = F.glu(x, 0)
    a, b = xa[:2], xa[2:]
    np.testing.assert_allclose(to_numpy(out), a * _sig(b))
    out.backward(tg.tensor(ga, device=tg_device))
    s = _sig(b)
    np.testing.assert_allclose(to_numpy(x.grad), np.concatenate([ga * s, ga * a * s * (1 - s)]))


def test_group_norm_values_and_gradients(tg_device):
    r = np.random.default_rng(23)
    xa, wa, ba = r.standard_normal((2, 6, 5)), r.standard_normal(6), r.standard_normal(6)
    x, w, b = leaf(xa, tg_device), leaf(wa, tg_device), leaf(ba, tg_device)
    out = F.group_norm(x, 3, w, b, eps=1e-5)
    rows = xa.reshape(2, 3, -1)
    xhat = ((rows - rows.mean(-1, keepdims=True)) / np.sqrt(rows.var(-1, keepdims=True) + 1e-5)).reshape(xa.shape)
    np.testing.assert_allclose(to_numpy(out), xhat * wa[:, None] + ba[:, None], atol=1e-12)
    ga = r.standard_normal(xa.shape)
    out.backward(tg.tensor(ga, device=tg_device))
    np.testing.assert_allclose(to_numpy(w.grad), (ga * xhat).sum(axis=(0, 2)), atol=1e-12)
    np.testing.assert_allclose(to_numpy(b.grad), ga.sum(axis=(0, 2)), atol=1e-12)
    assert gradcheck(lambda t: F.group_norm(t, 3, tg.tensor(wa), tg.tensor(ba)), (leaf(xa),))
    if tg_device != "cpu":
        with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
            F.group_norm(tg.tensor(xa), 3, tg.tensor(wa, device=tg_device), None)
        with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
            F.prelu(tg.tensor(xa), tg.tensor(wa, device=tg_device))


def test_bilinear_values(tg_device):
    r = np.random.default_rng(24)
    x1a, x2a, wa, ba = (r.standard_normal(s) for s in ((2, 3, 4), (2, 3, 5), (6, 4, 5), (6,)))
    out = F.bilinear(*(tg.tensor(a, device=tg_device) for a in (x1a, x2a, wa, ba)))
    np.testing.assert_allclose(to_numpy(out), np.einsum("abi,oij,abj->abo", x1a, wa, x2a) + ba, atol=1e-12)


def test_pixel_shuffle_values_round_trip(tg_device):
    r = np.random.default_rng(25)
    xa = r.standard_normal((2, 3, 8, 2, 3))   # two leading batch dims
    x = leaf(xa, tg_device)
    out = F.pixel_shuffle(x, 2)
    ref = xa.reshape(2, 3, 2, 2, 2, 2, 3).transpose(0, 1, 2, 5, 3, 6, 4).reshape(2, 3, 2, 4, 6)
    np.testing.assert_array_equal(to_numpy(out), ref)
    np.testing.assert_array_equal(to_numpy(F.pixel_unshuffle(out, 2)), xa)
    ga = r.standard_normal(ref.shape)
    out.backward(tg.tensor(ga, device=tg_device))
    np.testing.assert_array_equal(to_numpy(x.grad), to_numpy(F.pixel_unshuffle(tg.tensor(ga), 2)))


def test_cosine_similarity_clamps_each_norm():
    # each input is divided by max(||x||, eps): a tiny vector keeps its direction's small weight
    x1 = leaf([[1e-10, 2e-10], [3.0, 4.0]])
    x2 = leaf([[1.0, 1.0], [1.0, 2.0]])
    out = F.cosine_similarity(x1, x2)
    expected0 = (np.array([1e-10, 2e-10]) / 1e-8) @ (np.array([1.0, 1.0]) / math.sqrt(2))
    np.testing.assert_allclose(to_numpy(out), [expected0, 11 / (5 * math.sqrt(5))], rtol=1e-12)
    out.sum().backward()
    # the gradient flows through the unclamped norm (the clamp is not recorded), as in PyTorch
    u, v = np.array([1e-10, 2e-10]), np.array([1.0, 1.0]) / math.sqrt(2)
    n = np.linalg.norm(u)
    np.testing.assert_allclose(to_numpy(x1.grad)[0], v / 1e-8 - (u @ v) / 1e-16 * u / n, rtol=1e-9)


def test_pairwise_distance_values():
    r = np.random.default_rng(26)
    a, b = r.standard_normal((4, 3)), r.standard_normal((4, 3))
    for p in (1.0, 2.0, 3.0, math.inf):
        out = F.pairwise_distance(tg.tensor(a), tg.tensor(b), p=p, keepdim=True)
        np.testing.assert_allclose(to_numpy(out), np.linalg.norm(a - b + 1e-6, ord=p, axis=-1, keepdims=True))
    x = leaf(np.ones((2, 3)))
    F.pairwise_distance(x, tg.tensor(np.ones((2, 3))), eps=0.0).sum().backward()
    assert not np.isnan(to_numpy(x.grad)).any()   # a zero difference: gradient 0, not NaN


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_soft_margin_loss_values_and_gradients(reduction):
    r = np.random.default_rng(27)
    xa, ya = r.standard_normal((3, 4)), np.sign(r.standard_normal(4))   # target broadcast
    x = leaf(xa)
    out = F.soft_margin_loss(x, tg.tensor(ya), reduction=reduction)
    per = np.log1p(np.exp(-ya * xa))
    ref = {"none": per, "mean": per.mean(), "sum": per.sum()}[reduction]
    np.testing.assert_allclose(to_numpy(out), ref)
    assert gradcheck(lambda t: F.soft_margin_loss(t, tg.tensor(ya), reduction=reduction), (leaf(xa),))
    assert gradgradcheck(lambda t: F.soft_margin_loss(t, tg.tensor(ya), reduction=reduction), (leaf(xa),))


def test_weighted_mse_and_huber():
    r = np.random.default_rng(28)
    xa, ya, wa = r.standard_normal((3, 4)), r.standard_normal((3, 4)), r.uniform(0.1, 1, (3, 4))
    x, y, w = tg.tensor(xa), tg.tensor(ya), tg.tensor(wa)
    np.testing.assert_allclose(to_numpy(F.mse_loss(x, y, weight=w)), ((xa - ya) ** 2 * wa).sum() / wa.sum())
    np.testing.assert_allclose(to_numpy(F.mse_loss(x, y, weight=w, reduction="none")), (xa - ya) ** 2 * wa)
    d = np.abs(xa - ya)
    hub = np.where(d < 0.5, 0.5 * d * d, 0.5 * (d - 0.25))
    np.testing.assert_allclose(to_numpy(F.huber_loss(x, y, weight=w, delta=0.5, reduction="sum")), (hub * wa).sum())
    with pytest.raises(ValueError, match="Weights and input must have the same size."):
        F.mse_loss(x, y, weight=tg.ones(4))
    with pytest.raises(ValueError, match="Invalid reduction mode: bad. Expected one of 'none', 'mean', 'sum'."):
        F.huber_loss(x, y, weight=w, reduction="bad")


GRAD_CASES = [
    ("prelu", lambda x, w: F.prelu(x, w), [(2, 3, 4), (3,)]),
    ("prelu_scalar_weight", lambda x, w: F.prelu(x, w), [(2, 3), (1,)]),
    ("glu", lambda x: F.glu(x, 1), [(2, 6)]),
    ("group_norm", lambda x, w, b: F.group_norm(x, 2, w, b), [(2, 4, 3), (4,), (4,)]),
    ("bilinear", lambda a, b, w, c: F.bilinear(a, b, w, c), [(3, 2), (3, 4), (2, 2, 4), (2,)]),
    ("pixel_shuffle", lambda x: F.pixel_shuffle(x, 2), [(1, 4, 2, 3)]),
    ("pixel_unshuffle", lambda x: F.pixel_unshuffle(x, 2), [(1, 1, 4, 2)]),
    ("pairwise_distance", lambda a, b: F.pairwise_distance(a, b, p=3.0), [(3, 4), (3, 4)]),
    ("cosine_similarity", lambda a, b: F.cosine_similarity(a, b), [(3, 4), (3, 4)]),
    ("triplet_margin_loss", lambda a, p, n: F.triplet_margin_loss(a, p, n, margin=3.0, reduction="none"),
     [(3, 4), (3, 4), (3, 4)]),
    ("margin_ranking_loss", lambda a, b: F.margin_ranking_loss(a, b, tg.tensor([1.0, -1.0, 1.0]), margin=2.0),
     [(3,), (3,)]),
]


@pytest.mark.parametrize("name, fn, shapes", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_first_and_second_derivatives(name, fn, shapes):
    r = np.random.default_rng(29)
    inputs = tuple(leaf(r.uniform(0.2, 1.0, s) * r.choice([-1, 1], s)) for s in shapes)
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


# ------------------------------------------------------------------ argument errors
def test_argument_errors():
    with pytest.raises(RuntimeError, match=r"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = 2"):
        F.prelu(tg.ones(2, 3), tg.ones(1, 3))
    with pytest.raises(RuntimeError, match=r"Found parameter numbers = 5 and channel size = 1\."):
        F.prelu(tg.ones(5), tg.ones(5))
    with pytest.raises(NotImplementedError, match="\"prelu_cpu\" not implemented for 'Int'"):
        F.prelu(tg.ones(2, 3, dtype=tg.int32), tg.ones(3, dtype=tg.int32))
    with pytest.raises(RuntimeError, match="glu does not support scalars because halving size must be even"):
        F.glu(tg.tensor(1.0))
    with pytest.raises(RuntimeError, match="Halving dimension must be even, but dimension 1 is size 5"):
        F.glu(tg.ones(3, 5))
    with pytest.raises(RuntimeError, match=r"pixel_shuffle expects input to have at least 3 dimensions, but got "
                                           r"input with 2 dimension\(s\)"):
        F.pixel_shuffle(tg.ones(4, 3), 2)
    with pytest.raises(RuntimeError, match="pixel_shuffle expects a positive upscale_factor, but got 0"):
        F.pixel_shuffle(tg.ones(1, 4, 3, 3), 0)
    with pytest.raises(RuntimeError, match=r"pixel_unshuffle expects height to be divisible by downscale_factor, "
                                           r"but input.size\(-2\)=5 is not divisible by 2"):
        F.pixel_unshuffle(tg.ones(2, 3, 5, 4), 2)
    with pytest.raises(RuntimeError, match=r"input.size\(-1\)=5 is not divisible by 2"):
        F.pixel_unshuffle(tg.ones(2, 3, 4, 5), 2)
    with pytest.raises(RuntimeError, match=r"mixed dtype \(CPU\): all inputs must share same datatype\."):
        F.batch_norm(tg.ones(2, 3, dtype=tg.float64), tg.zeros(3), tg.ones(3))
    with pytest.raises(RuntimeError, match=r"mixed dtype \(CPU\): expect parameter to have scalar type of Float"):
        F.batch_norm(tg.ones(2, 3), None, None, tg.ones(3, dtype=tg.float64), training=True)
    assert F.instance_norm(tg.ones(2, 3, 4, dtype=tg.float64), tg.zeros(3), tg.ones(3)).dtype == tg.float64
    target = tg.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="The function 'soft_margin_loss' is not differentiable with respect "
                                           "to argument 'target'"):
        F.soft_margin_loss(tg.ones(3), target)


# ------------------------------------------------------------------ torch.rrelu's generator
def test_rrelu_generator_gives_reproducible_slopes(tg_device):
    x = -tg.ones(50, device=tg_device)
    g1 = tg.Generator(tg_device).manual_seed(7)
    first = tg.rrelu(x, 0.1, 0.3, True, g1)
    g2 = tg.Generator(tg_device).manual_seed(7)
    second = tg.rrelu(x, 0.1, 0.3, training=True, generator=g2)
    np.testing.assert_array_equal(to_numpy(first), to_numpy(second))
    assert ((-to_numpy(first) >= 0.1) & (-to_numpy(first) <= 0.3)).all() and len(np.unique(to_numpy(first))) > 40
    third = tg.rrelu(x, 0.1, 0.3, True, g1)   # the generator moved on: new slopes
    assert not np.array_equal(to_numpy(first), to_numpy(third))
    inplace = -tg.ones(50, device=tg_device)
    tg.rrelu_(inplace, 0.1, 0.3, True, tg.Generator(tg_device).manual_seed(7))
    np.testing.assert_array_equal(to_numpy(inplace), to_numpy(first))


def test_rrelu_generator_leaves_default_generator_alone():
    tg.manual_seed(3)
    expected = tg.rand(4)
    tg.manual_seed(3)
    tg.rrelu(-tg.ones(10), training=True, generator=tg.Generator().manual_seed(1))
    np.testing.assert_array_equal(to_numpy(tg.rand(4)), to_numpy(expected))


def test_rrelu_generator_gradient_uses_the_drawn_slopes():
    x = leaf(-np.ones(6))
    out = tg.rrelu(x, 0.1, 0.3, True, tg.Generator().manual_seed(2))
    assert out.grad_fn.name() == "RreluWithNoiseBackward0"
    out.sum().backward()
    np.testing.assert_array_equal(to_numpy(x.grad), -to_numpy(out))


def test_rrelu_generator_type_error_and_F_signature():
    import inspect
    with pytest.raises(TypeError, match=r"rrelu\(\): argument 'generator' \(position 5\) must be torch.Generator, "
                                        r"not int"):
        tg.rrelu(-tg.ones(3), 0.1, 0.3, True, 5)
    x = -tg.ones(3)
    with pytest.raises(TypeError, match=r"rrelu_\(\): argument 'generator' \(position 5\)"):
        tg.rrelu_(x, 0.1, 0.3, True, "g")
    assert (x.numpy() == -1).all()
    assert "generator" not in inspect.signature(F.rrelu).parameters   # as torch.nn.functional.rrelu
