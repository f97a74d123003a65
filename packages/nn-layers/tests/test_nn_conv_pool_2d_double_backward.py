"""Second derivatives of the 2-D (and 1-D) convolutions, pools, unfold and fold: finite differences of
the gradients (gradgradcheck), the first-order array path against the op path that create_graph=True
takes, a gradient penalty against PyTorch, the grad_fn names of gradients taken with
create_graph=True against PyTorch, max-pool indices of all -inf windows, and every device
(``tg_device``) against CPU."""
import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.testing import assert_on_device
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.autograd import gradcheck, gradgradcheck
from tensorgraft.testing import assert_close


def rand(*shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _inputs(shapes, lib=tg, dtype=np.float64, device=None):
    kw = {} if device is None else {"device": device}
    return [lib.tensor(rand(*s, seed=i, dtype=dtype), requires_grad=True, **kw) for i, s in enumerate(shapes)]


# Each case: f(F, *tensors) -> a tensor, and the inputs' shapes. ``F`` is tensorgraft's or PyTorch's
# functional module, so the same case runs in both.
CASES = {
    "conv1d": (lambda F, x, w, b: F.conv1d(x, w, b, stride=2, padding=1, dilation=2, groups=2),
               [(2, 4, 9), (4, 2, 3), (4,)]),
    "conv1d-stride1-unbatched": (lambda F, x, w: F.conv1d(x, w, padding=2), [(3, 6), (2, 3, 3)]),
    "conv2d-stride1": (lambda F, x, w, b: F.conv2d(x, w, b, padding=1), [(2, 3, 5, 4), (4, 3, 3, 2), (4,)]),
    "conv2d-same-even-kernel": (lambda F, x, w: F.conv2d(x, w, padding="same"), [(1, 2, 5, 4), (3, 2, 2, 4)]),
    "conv2d-strided-groups-dilation": (lambda F, x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=(1, 2),
                                                                   dilation=(1, 2), groups=2),
                                       [(2, 4, 6, 7), (4, 2, 3, 2), (4,)]),
    "conv2d-unbatched": (lambda F, x, w: F.conv2d(x, w, stride=2), [(3, 5, 5), (2, 3, 2, 2)]),
    "conv_transpose2d": (lambda F, x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
                         [(2, 2, 3, 3), (2, 3, 3, 3), (3,)]),
    "conv_transpose2d-stride1": (lambda F, x, w: F.conv_transpose2d(x, w, padding=1), [(2, 2, 4, 3), (2, 3, 3, 2)]),
    "conv_transpose2d-groups-dilation": (lambda F, x, w: F.conv_transpose2d(x, w, groups=2, dilation=2,
                                                                            output_padding=1),
                                         [(1, 4, 3, 3), (4, 1, 2, 2)]),
    "conv_transpose1d": (lambda F, x, w, b: F.conv_transpose1d(x, w, b, stride=3, padding=1, output_padding=2),
                         [(2, 2, 4), (2, 3, 3), (3,)]),
    "max_pool2d-tiled": (lambda F, x: F.max_pool2d(x, 2), [(2, 2, 4, 5)]),
    "max_pool2d-overlapping": (lambda F, x: F.max_pool2d(x, 3, 1, 1), [(1, 2, 5, 5)]),
    "max_pool2d-dilation-ceil": (lambda F, x: F.max_pool2d(x, (2, 3), (2, 1), 1, dilation=(2, 1), ceil_mode=True),
                                 [(1, 2, 6, 5)]),
    "max_pool2d-indices-unbatched": (lambda F, x: F.max_pool2d(x, 3, 2, 1, return_indices=True)[0], [(2, 5, 6)]),
    "max_pool1d": (lambda F, x: F.max_pool1d(x, 3, 2, 1, ceil_mode=True), [(2, 3, 8)]),
    "avg_pool2d-exclude-pad-ceil": (lambda F, x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
                                    [(1, 2, 5, 6)]),
    "avg_pool2d-divisor-unbatched": (lambda F, x: F.avg_pool2d(x, (2, 3), 1, 1, divisor_override=5), [(2, 4, 5)]),
    "avg_pool1d": (lambda F, x: F.avg_pool1d(x, 3, 2, 1), [(2, 3, 7)]),
    "adaptive_avg_pool2d": (lambda F, x: F.adaptive_avg_pool2d(x, (3, 4)), [(2, 2, 7, 6)]),
    "adaptive_avg_pool2d-unbatched": (lambda F, x: F.adaptive_avg_pool2d(x, (2, None)), [(2, 5, 3)]),
    "adaptive_avg_pool1d": (lambda F, x: F.adaptive_avg_pool1d(x, 3), [(2, 3, 7)]),
    "adaptive_max_pool2d": (lambda F, x: F.adaptive_max_pool2d(x, (3, 4)), [(2, 2, 7, 6)]),
    "adaptive_max_pool2d-unbatched": (lambda F, x: F.adaptive_max_pool2d(x, 2, return_indices=True)[0], [(2, 5, 3)]),
    "adaptive_max_pool1d": (lambda F, x: F.adaptive_max_pool1d(x, 3), [(2, 3, 7)]),
    "unfold": (lambda F, x: F.unfold(x, (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)), [(2, 2, 5, 6)]),
    "unfold-unbatched": (lambda F, x: F.unfold(x, 2), [(2, 3, 4)]),
    "fold": (lambda F, x: F.fold(x, (4, 5), 2, padding=1, stride=(1, 2)), [(2, 8, 15)]),
    "fold-unbatched": (lambda F, x: F.fold(x, (3, 3), 2), [(8, 4)]),
}


# ------------------------------------------------------------------ finite differences, first and second order
@pytest.mark.parametrize("name", sorted(CASES))
def test_gradcheck_and_gradgradcheck(name):
    f, shapes = CASES[name]
    fn = lambda *xs: f(F, *xs)   # noqa: E731
    assert gradcheck(fn, _inputs(shapes))
    assert gradgradcheck(fn, _inputs(shapes))


# ------------------------------------------------------------------ the array path against the op path
@pytest.mark.parametrize("bad", [None, np.inf, np.nan])
@pytest.mark.parametrize("name", [n for n in sorted(CASES) if n.startswith(("conv", "max_pool"))])
def test_first_order_path_matches_create_graph_path(name, bad):
    """First-order gradients run kernels on arrays; with create_graph=True the same gradients come from
    ops (their kernels partly conv3d.py's/pooling3d.py's). Both must agree, also where the stride-1
    path reads non-finite values as junk."""
    f, shapes = CASES[name]
    xs = _inputs(shapes)
    if bad is not None:
        xs[0] = tg.tensor(np.where(rand(*shapes[0], seed=11) > 1.2, bad, xs[0].detach().numpy()),
                          requires_grad=True)
    y = f(F, *xs)
    g = tg.tensor(rand(*y.shape, seed=7))
    plain = tg.autograd.grad(y, xs, g, retain_graph=True)
    graph = tg.autograd.grad(y, xs, g, create_graph=True)
    for a, b in zip(plain, graph):
        assert b.requires_grad
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-12, equal_nan=True)


def test_gradient_penalty_reaches_the_weights():
    """The bug this file guards: grad(out.sum(), x, create_graph=True) through a Conv2d carried no
    history, so a penalty on it gave the weights no gradient."""
    m = nn.Conv2d(2, 3, 3, padding=1, dtype=tg.float64)
    x = tg.tensor(rand(2, 2, 5, 5), requires_grad=True)
    (gx,) = tg.autograd.grad(m(x).sum(), x, create_graph=True)
    assert type(gx.grad_fn).__name__ == "ConvolutionBackwardBackward0"
    gx.pow(2).sum().backward()
    # d/dw sum over x-positions of (sum_o conv_T(1, w))^2 is nonzero
    assert np.abs(m.weight.grad.numpy()).max() > 1e-3
    assert m.bias.grad is None or not np.any(m.bias.grad.numpy())


def test_max_pool_indices_of_all_minus_inf_windows_inside_the_input():
    """A window that holds only -inf (and padding) picks its first position inside the input, never a
    padded one (a negative or out-of-row index before); its gradient lands there."""
    x = tg.tensor(np.full((1, 1, 4, 5), -np.inf), requires_grad=True)
    y, idx = F.max_pool2d(x, 3, 2, 1, return_indices=True)
    # windows start at rows/cols -1, 1 (and cols 3): first inside positions 0, 1 / 0, 1, 3
    np.testing.assert_array_equal(idx.numpy()[0, 0], [[0, 1, 3], [5, 6, 8]])
    y.backward(tg.ones_like(y))
    assert x.grad.numpy().sum() == y.numel()
    assert x.grad.numpy()[0, 0, 0, 0] == 1 and x.grad.numpy()[0, 0, 1, 1] == 1
    x1 = tg.tensor(np.full((1, 2, 6), -np.inf))
    _, idx1 = F.max_pool1d(x1, 3, 2, 1, dilation=2, return_indices=True)
    assert (idx1.numpy() >= 0).all() and (idx1.numpy() < 6).all()
    np.testing.assert_array_equal(idx1.numpy()[0, 0], [1, 1])


# ------------------------------------------------------------------ PyTorch as the oracle
@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _name(t):
    return None if t is None or t.grad_fn is None else type(t.grad_fn).__name__


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_grad_fn_names_like_torch(torch, name):
    """The forward's node, and the node of every gradient taken with create_graph=True, both for a loss
    whose output gradient requires grad ((y * y).sum()) and one whose does not (y.sum(): PyTorch's
    double-backward node then still exists when the forward's inputs require grad); the gradients'
    own gradients (a Hessian-vector product) agree."""
    f, shapes = CASES[name]
    res = {}
    for lib, fl in ((tg, F), (torch, torch.nn.functional)):
        xs = _inputs(shapes, lib)
        y = f(fl, *xs)
        names = [_name(y)]
        for loss in ((y * y).sum(), y.sum()):
            grads = lib.autograd.grad(loss, xs, create_graph=True, retain_graph=True)
            names.append([_name(g) for g in grads])
        grads = lib.autograd.grad((y * y).sum(), xs, create_graph=True)
        sum((g * g).sum() for g in grads).backward()
        res[lib.__name__] = (names, [y.detach().numpy()] + [g.detach().numpy() for g in grads]
                             + [x.grad.numpy() for x in xs])
    assert res["tensorgraft"][0] == res["torch"][0]
    for a, b in zip(res["tensorgraft"][1], res["torch"][1]):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)


PENALTY_MODELS = {
    "conv-maxpool-conv": (lambda nn: nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.Tanh(), nn.MaxPool2d(2),
                                                   nn.Conv2d(4, 2, 3, stride=2, groups=2)), (2, 3, 8, 9)),
    "conv-avgpool-convT": (lambda nn: nn.Sequential(nn.Conv2d(3, 4, 3, stride=2, padding=1, dilation=2),
                                                    nn.Softplus(),
                                                    nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False),
                                                    nn.ConvTranspose2d(4, 2, 3, stride=2, output_padding=1)),
                           (2, 3, 9, 8)),
    "overlapping-maxpool-adaptive": (lambda nn: nn.Sequential(nn.Conv2d(3, 4, 2), nn.Tanh(), nn.MaxPool2d(3, 1, 1),
                                                              nn.AdaptiveAvgPool2d((3, 2)), nn.Sigmoid(),
                                                              nn.AdaptiveMaxPool2d(2), nn.Flatten(),
                                                              nn.Linear(16, 3)), (2, 3, 7, 6)),
    "conv1d": (lambda nn: nn.Sequential(nn.Conv1d(3, 4, 3, padding=1), nn.Tanh(), nn.MaxPool1d(3, 2, 1),
                                        nn.ConvTranspose1d(4, 2, 3, stride=2), nn.Softplus(), nn.AvgPool1d(2)),
               (2, 3, 9)),
    "unfold-fold": (lambda nn: nn.Sequential(nn.Conv2d(3, 2, 3, padding=1), nn.Tanh(), nn.Unfold(2, padding=1),
                                             nn.Fold((4, 5), 2, padding=1)), (2, 3, 4, 5)),
}


@pytest.mark.parametrize("name", sorted(PENALTY_MODELS))
def test_gradient_penalty_like_torch(torch, name):
    """A gradient penalty (as WGAN-GP's): grad(out.sum(), x, create_graph=True) squared and summed,
    then backward: the penalty and its gradient w.r.t. every parameter agree with PyTorch's."""
    make, shape = PENALTY_MODELS[name]
    tg.manual_seed(0)
    m, t = make(nn).to(tg.float64), make(torch.nn).double()
    t.load_state_dict({k: torch.tensor(np.array(v.detach().numpy())) for k, v in m.state_dict().items()})
    res = []
    for lib, model in ((tg, m), (torch, t)):
        x = lib.tensor(rand(*shape), requires_grad=True)
        (gx,) = lib.autograd.grad(model(x).sum(), x, create_graph=True)
        penalty = gx.pow(2).sum()
        penalty.backward()
        res.append([penalty.detach()] + [p.grad for p in model.parameters()])
    assert res[0][1] is not None and np.abs(res[0][1].numpy()).max() > 1e-6   # the first conv's weight
    for a, b in zip(*res):
        assert (a is None) == (b is None)   # (a last layer's bias is not on the gradient's graph)
        if a is not None:
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("kw", [dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=3, padding=1, dilation=2),
                                dict(kernel_size=2, padding=1, ceil_mode=True), dict(kernel_size=(3, 2), stride=1,
                                                                                     padding=(1, 1))])
def test_max_pool_minus_inf_like_torch(torch, kw):
    x = np.full((2, 2, 5, 6), -np.inf)
    x[1, 0, 2, 3] = 1.0
    for f, tf, a in ((F.max_pool2d, torch.nn.functional.max_pool2d, x), (F.max_pool1d, torch.nn.functional.max_pool1d,
                                                                          x[:, :, 0])):
        k = {n: (v[1] if isinstance(v, tuple) else v) for n, v in kw.items()} if a.ndim == 3 else kw
        xa, xb = tg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        (y, i), (yt, it) = f(xa, return_indices=True, **k), tf(xb, return_indices=True, **k)
        np.testing.assert_array_equal(i.numpy(), it.numpy())
        np.testing.assert_array_equal(y.detach().numpy(), yt.detach().numpy())
        y.sum().backward()
        yt.sum().backward()
        np.testing.assert_array_equal(xa.grad.numpy(), xb.grad.numpy())


@pytest.mark.parametrize("call", [
    lambda f, lib: f.conv_transpose2d(lib.ones(5, 5), lib.ones(3, 4, 2, 2)),
    lambda f, lib: f.conv_transpose2d(lib.ones(4, 5, 5), lib.ones(3, 4, 2, 2)),
    lambda f, lib: f.conv_transpose2d(lib.ones(1, 3, 2, 2), lib.ones(3, 3, 2, 2), padding=2),
    lambda f, lib: f.conv_transpose1d(lib.ones(5), lib.ones(4, 4, 2)),
    lambda f, lib: f.conv_transpose1d(lib.ones(4, 5), lib.ones(3, 4, 2)),
    lambda f, lib: f.conv_transpose1d(lib.ones(2, 4, 5), lib.ones(4, 4, 2), stride=2, output_padding=2),
    lambda f, lib: f.conv_transpose1d(lib.ones(4, 5), lib.ones(4, 4, 2), padding=3),
    lambda f, lib: f.adaptive_avg_pool1d(lib.ones(2, 3, 6, 5), 2),
    lambda f, lib: f.adaptive_avg_pool2d(lib.ones(2, 3, 6, 6, dtype=lib.int64), (3, 2)),
    lambda f, lib: f.adaptive_avg_pool2d(lib.ones(2, 3, 0, 6), (3, 2)),
    lambda f, lib: f.adaptive_max_pool2d(lib.ones(3, 6, 0), (3, 2)),
])
def test_errors_like_torch(torch, call):
    msgs = []
    for f, lib in ((torch.nn.functional, torch), (F, tg)):
        with pytest.raises(Exception) as info:
            call(f, lib)
        msgs.append((type(info.value), str(info.value)))
    assert msgs[0] == msgs[1]


@pytest.mark.parametrize("f", ["adaptive_avg_pool2d", "adaptive_max_pool2d"])
@pytest.mark.parametrize("shape, out", [((0, 3, 6, 6), (3, 2)), ((0, 6, 6), (3, 2)), ((1, 0, 6, 6), (3, 2)),
                                        ((3, 0, 6), (3, 2)), ((2, 3, 6, 6), (0, 2))])
def test_empty_and_zero_channel_adaptive_pools_like_torch(torch, f, shape, out):
    res = []
    for lib, fl in ((tg, F), (torch, torch.nn.functional)):
        try:
            res.append(tuple(getattr(fl, f)(lib.ones(*shape), out).shape))
        except RuntimeError as exc:
            res.append(str(exc))
    assert res[0] == res[1]


# ------------------------------------------------------------------ every device against CPU
_on_device = assert_on_device  # the result lives on the device, as the device's own array


@pytest.mark.parametrize("name", sorted(CASES))
def test_device_matches_cpu(tg_device, name):
    f, shapes = CASES[name]
    res = {}
    for dev in ("cpu", tg_device):
        xs = _inputs(shapes, dtype=np.float32, device=dev)
        y = f(F, *xs)
        g = tg.tensor(rand(*y.shape, seed=9, dtype=np.float32), device=dev, requires_grad=True)
        # the gradients with create_graph=True (the op path), then their own gradients
        grads = tg.autograd.grad(y, xs, g, create_graph=True)
        sum((gr * gr).sum() for gr in grads).backward()
        # and the first-order array path
        plain = tg.autograd.grad(f(F, *xs), xs, g.detach())
        res[dev] = [y] + list(grads) + list(plain) + [x.grad for x in xs] + [g.grad]
    for c, d in zip(res["cpu"], res[tg_device]):
        if c is None:   # (a bias has no second-order gradient here)
            assert d is None
            continue
        _on_device(d, tg_device)
        assert_close(d.detach().cpu(), c.detach(), rtol=1e-4, atol=1e-4)
