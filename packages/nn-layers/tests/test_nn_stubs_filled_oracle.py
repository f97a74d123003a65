"""Oracle twins of test_nn_stubs_filled.py: the same calls in tensorgraft and PyTorch (values,
gradients, grad_fn names, error messages)."""
import math

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


# ====================================================================== rrelu
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("inplace", [False, True])
def test_rrelu_eval_matches_torch(dtype, inplace):
    x = seeded_normal(4, 5).astype(dtype)
    x[0, 0] = 0
    (a, ta) = as_both(x, requires_grad=True)
    b, tb = a * 1, ta * 1
    y, ty = F.rrelu(b, 0.1, 0.3, False, inplace), TF.rrelu(tb, 0.1, 0.3, False, inplace)
    assert y.grad_fn.name() == ty.grad_fn.name()
    close(y, ty, 1e-6)
    g = seeded_normal(4, 5, seed=1).astype(dtype)
    y.backward(tg.tensor(g))
    ty.backward(torch.tensor(g))
    close(a.grad, ta.grad, 1e-6)


@pytest.mark.parametrize("inplace", [False, True])
def test_rrelu_training_grad_fn_and_contract_match_torch(inplace):
    x = seeded_normal(30, 30, seed=2)
    for lib, f in ((tg, F), (torch, TF)):
        a = lib.tensor(x, requires_grad=True)
        b = a * 1
        y = f.rrelu(b, 0.1, 0.3, True, inplace)
        name = y.grad_fn.name()
        y.sum().backward()
        slope = a.grad.numpy()
        neg = x <= 0
        assert np.all(slope[~neg] == 1) and slope[neg].min() >= 0.1 and slope[neg].max() <= 0.3
        np.testing.assert_allclose(y.detach().numpy(), x * slope)
        if lib is tg:
            ours = name
    assert ours == name


def test_rrelu_errors_and_module_repr_match_torch():
    x = seeded_normal(3)
    assert_same_error(lambda: F.rrelu(tg.tensor(x), 0.5, 0.1, True), lambda: TF.rrelu(torch.tensor(x), 0.5, 0.1, True))
    assert_same_error(lambda: F.rrelu(tg.tensor(x), 0.5, 0.1), lambda: TF.rrelu(torch.tensor(x), 0.5, 0.1))
    assert_same_error(lambda: F.rrelu(tg.arange(3), training=True), lambda: TF.rrelu(torch.arange(3), training=True))
    assert_same_error(lambda: F.rrelu(tg.arange(3)), lambda: TF.rrelu(torch.arange(3)))
    assert_same_error(lambda: F.rrelu([1.0]), lambda: TF.rrelu([1.0]))
    for args in [(), (0.1, 0.3), (0.2, 0.25, True)]:
        assert repr(nn.RReLU(*args)) == repr(torch.nn.RReLU(*args))


# ====================================================================== local_response_norm
@pytest.mark.parametrize("shape", [(2, 5, 4), (2, 6, 3, 4), (1, 4, 2, 2, 3)])
@pytest.mark.parametrize("size, alpha, beta, k", [(1, 1e-4, 0.75, 1.0), (2, 0.1, 0.75, 1.0), (3, 0.5, 0.6, 2.0),
                                                  (8, 0.2, 1.0, 0.5)])
def test_local_response_norm_matches_torch(shape, size, alpha, beta, k):
    x = seeded_normal(*shape, seed=size)
    a, ta = as_both(x, requires_grad=True)
    y, ty = F.local_response_norm(a, size, alpha, beta, k), TF.local_response_norm(ta, size, alpha, beta, k)
    close(y, ty)
    assert y.grad_fn.name() == ty.grad_fn.name()
    g = seeded_normal(*shape, seed=9)
    y.backward(tg.tensor(g))
    ty.backward(torch.tensor(g))
    close(a.grad, ta.grad)
    m, tm = nn.LocalResponseNorm(size, alpha, beta, k), torch.nn.LocalResponseNorm(size, alpha, beta, k)
    assert repr(m) == repr(tm)
    close(m(tg.tensor(x.astype(np.float32))), tm(torch.tensor(x.astype(np.float32))), 1e-5)


def test_local_response_norm_errors_and_empty_match_torch():
    assert_same_error(lambda: F.local_response_norm(tg.ones(2, 3), 2),
                      lambda: TF.local_response_norm(torch.ones(2, 3), 2))
    assert tuple(F.local_response_norm(tg.ones(0, 3, 4), 2).shape) == \
        tuple(TF.local_response_norm(torch.ones(0, 3, 4), 2).shape)


# ====================================================================== instance norm with running statistics
@pytest.mark.parametrize("cls, shape", [("InstanceNorm1d", (3, 4, 6)), ("InstanceNorm2d", (2, 4, 3, 5)),
                                        ("InstanceNorm3d", (2, 4, 2, 3, 2)), ("InstanceNorm1d", (4, 6)),
                                        ("InstanceNorm2d", (4, 3, 5))])
@pytest.mark.parametrize("kw", [dict(track_running_stats=True), dict(track_running_stats=True, affine=True, momentum=0.3),
                                dict(track_running_stats=True, momentum=None), dict(affine=True)],
                         ids=["stats", "stats-affine", "cumulative", "affine"])
def test_instance_norm_modules_match_torch_in_train_and_eval(cls, shape, kw):
    rng = np.random.default_rng(0)
    tm, gm = getattr(torch.nn, cls)(4, **kw).double(), getattr(nn, cls)(4, **kw).double()
    if kw.get("affine"):
        w, b = rng.uniform(0.5, 1.5, 4), rng.standard_normal(4)
        with torch.no_grad():
            tm.weight.copy_(torch.tensor(w))
            tm.bias.copy_(torch.tensor(b))
        with tg.no_grad():
            gm.weight.copy_(tg.tensor(w))
            gm.bias.copy_(tg.tensor(b))
    for mode in ("train", "train", "eval"):
        getattr(tm, mode)()
        getattr(gm, mode)()
        x, g = rng.standard_normal(shape) * 2 + 1, rng.standard_normal(shape)
        a, ta = as_both(x, requires_grad=True)
        y, ty = gm(a), tm(ta)
        assert y.grad_fn.name() == ty.grad_fn.name()
        close(y, ty)
        y.backward(tg.tensor(g))
        ty.backward(torch.tensor(g))
        close(a.grad, ta.grad)
        if kw.get("affine"):
            close(gm.weight.grad, tm.weight.grad)
            close(gm.bias.grad, tm.bias.grad)
        ours, theirs = gm.state_dict(), tm.state_dict()
        assert list(ours) == list(theirs)
        for key in theirs:
            close(ours[key], theirs[key])


def test_instance_norm_functional_errors_match_torch():
    x = seeded_normal(2, 3, 4)
    assert_same_error(lambda: F.instance_norm(tg.tensor(x), use_input_stats=False),
                      lambda: TF.instance_norm(torch.tensor(x), use_input_stats=False))
    assert_same_error(lambda: F.instance_norm(tg.ones(2, 3, 1)), lambda: TF.instance_norm(torch.ones(2, 3, 1)))
    assert_same_error(lambda: F.instance_norm(tg.ones(3, 4)), lambda: TF.instance_norm(torch.ones(3, 4)))
    assert_same_error(lambda: F.instance_norm(tg.ones(2, 4, 5), tg.zeros(3), tg.ones(3)),
                      lambda: TF.instance_norm(torch.ones(2, 4, 5), torch.zeros(3), torch.ones(3)))
    assert_same_error(lambda: F.instance_norm(tg.ones(2, 4, 5), weight=tg.ones(3)),
                      lambda: TF.instance_norm(torch.ones(2, 4, 5), weight=torch.ones(3)))


# ====================================================================== alpha dropout
@pytest.mark.parametrize("name", ["alpha_dropout", "feature_alpha_dropout"])
@pytest.mark.parametrize("inplace", [False, True])
def test_alpha_dropout_p1_matches_torch(name, inplace):
    x = seeded_normal(2, 3, 4)
    a, ta = as_both(x, requires_grad=True)
    y, ty = getattr(F, name)(a * 1, 1.0, True, inplace), getattr(TF, name)(ta * 1, 1.0, True, inplace)
    close(y, ty)
    np.testing.assert_array_equal(np.signbit(y.detach().numpy()), np.signbit(ty.detach().numpy()))
    assert y.grad_fn.name() == ty.grad_fn.name()
    y.sum().backward()
    ty.sum().backward()
    close(a.grad, ta.grad)


def test_alpha_dropout_grad_fn_and_errors_match_torch():
    x = seeded_normal(4, 5)
    for name in ("alpha_dropout", "feature_alpha_dropout"):
        a, ta = as_both(x, requires_grad=True)
        assert getattr(F, name)(a, 0.5, True).grad_fn.name() == getattr(TF, name)(ta, 0.5, True).grad_fn.name()
        assert_same_error(lambda name=name: getattr(F, name)(tg.ones(3), 1.5, True),
                          lambda name=name: getattr(TF, name)(torch.ones(3), 1.5, True))
        assert_same_error(lambda name=name: getattr(F, name)([1.0], 0.5, True),
                          lambda name=name: getattr(TF, name)([1.0], 0.5, True))
    assert_same_error(lambda: F.feature_alpha_dropout(tg.ones(5), 0.5, True),
                      lambda: TF.feature_alpha_dropout(torch.ones(5), 0.5, True))


# ====================================================================== interpolate
def _torch_backward_is_adjoint(mode, nsp, in_sizes, out_sizes, scales, antialias):
    """False where PyTorch's backward kernel takes a different shortcut than its forward kernel
    (an axis keeping its length, or nearest doubling it, under an explicit scale factor): there
    its gradient is not the derivative of its own output; ours is (see differences.md)."""
    for n_in, n_out, s in zip(in_sizes, out_sizes, scales):
        if s is None:
            continue
        if mode == "nearest" and nsp != 2 and n_out in (n_in, 2 * n_in):
            return False
        if (mode == "bicubic" or antialias) and n_out == n_in:
            return False
    return True


def _configs(seed, count):
    rng = np.random.default_rng(seed)
    modes = {1: ["nearest", "nearest-exact", "linear"], 2: ["nearest", "nearest-exact", "bilinear", "bicubic"],
             3: ["nearest", "nearest-exact", "trilinear", "area"]}
    out = []
    while len(out) < count:
        nsp = int(rng.integers(1, 4))
        mode = str(rng.choice(modes[nsp]))
        aa = mode in ("bilinear", "bicubic") and bool(rng.integers(2))
        if nsp == 2 and rng.random() < 0.15:
            mode, aa = "lanczos", True
        sp = tuple(int(v) for v in rng.integers(1, 9, nsp))
        align = None if mode in ("nearest", "nearest-exact", "area") else (
            False if mode == "lanczos" else bool(rng.integers(2)))
        if rng.random() < 0.35:
            kw = {"size": tuple(int(v) for v in rng.integers(1, 12, nsp))}
        else:
            sf = tuple(round(float(rng.uniform(0.4, 3.2)), 2) for _ in range(nsp))
            if any(math.floor(n * s) < 1 for n, s in zip(sp, sf)):
                continue
            kw = {"scale_factor": sf, "recompute_scale_factor": bool(rng.integers(2))}
        out.append((sp, mode, aa, align, kw))
    return out


CONFIGS = _configs(0, 160)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("cfg", CONFIGS, ids=[f"{c[1]}{'-aa' if c[2] else ''}-{i}" for i, c in enumerate(CONFIGS)])
def test_interpolate_matches_torch(cfg, dtype):
    sp, mode, aa, align, kw = cfg
    x = seeded_normal(2, 3, *sp, seed=len(sp)).astype(dtype)
    a, ta = as_both(x, requires_grad=True)
    y = F.interpolate(a, mode=mode, align_corners=align, antialias=aa, **kw)
    ty = TF.interpolate(ta, mode=mode, align_corners=align, antialias=aa, **kw)
    assert tuple(y.shape) == tuple(ty.shape)
    assert y.grad_fn.name() == ty.grad_fn.name()
    out_sizes = tuple(ty.shape[2:])
    if aa and out_sizes[-1] == 1:
        pytest.skip("PyTorch's anti-aliased kernels repeat the first output row when the output width is 1")
    tol = 1e-10 if dtype == "float64" else 2e-5
    close(y, ty, tol)
    g = seeded_normal(*ty.shape, seed=7).astype(dtype)
    y.backward(tg.tensor(g))
    ty.backward(torch.tensor(g))
    scales = (None,) * len(sp) if "size" in kw or kw.get("recompute_scale_factor") else kw["scale_factor"]
    if _torch_backward_is_adjoint(mode, len(sp), sp, out_sizes, scales, aa):
        close(a.grad, ta.grad, tol)


def test_interpolate_edge_cases_match_torch():
    x = seeded_normal(1, 2, 5, 4)
    a, ta = as_both(x, requires_grad=True)
    # bicubic without the "same size" shortcut in its forward: the scale factor decides
    close(F.interpolate(a, scale_factor=1.1, mode="bicubic"), TF.interpolate(ta, scale_factor=1.1, mode="bicubic"))
    # nearest 1-D / 3-D take no shortcut in the forward, 2-D does
    x1 = seeded_normal(2, 3, 5)
    close(F.interpolate(tg.tensor(x1), scale_factor=1.01), TF.interpolate(torch.tensor(x1), scale_factor=1.01))
    close(F.interpolate(a, scale_factor=1.1), TF.interpolate(ta, scale_factor=1.1))
    # anti-aliasing skips an axis that keeps its length
    close(F.interpolate(a, scale_factor=(0.6, 1.1), mode="bilinear", antialias=True),
          TF.interpolate(ta, scale_factor=(0.6, 1.1), mode="bilinear", antialias=True))
    gy, tgy = as_both(seeded_normal(1, 2, 8, 10, seed=3), requires_grad=True)
    g, = tg.autograd.grad(F.interpolate(a, size=(8, 10), mode="bicubic"), a, gy, create_graph=True)
    tg_, = torch.autograd.grad(TF.interpolate(ta, size=(8, 10), mode="bicubic"), ta, tgy, create_graph=True)
    assert g.grad_fn.name() == tg_.grad_fn.name()
    close(g, tg_)


def test_interpolate_errors_match_torch():
    cases = [((1, 1, 4), dict(scale_factor=2, mode="bicubic")),
             ((1, 1, 2, 3, 4), dict(scale_factor=2, mode="bicubic")),
             ((1, 1, 4, 4), dict(scale_factor=2, mode="lanczos")),
             ((1, 1, 4, 4), dict(scale_factor=2, mode="lanczos", antialias=True, align_corners=True)),
             ((1, 1, 4), dict(scale_factor=2, mode="lanczos", antialias=True)),
             ((1, 1, 4), dict(scale_factor=2, mode="linear", antialias=True)),
             ((1, 1, 5, 4), dict(size=(2, 0), mode="bicubic")),
             ((1, 1, 5), dict(size=0, mode="linear")),
             ((1, 1, 2, 5, 4), dict(size=(2, 0, 1), mode="trilinear")),
             ((1, 1, 4, 4), dict(scale_factor=2, mode="nearest", align_corners=True)),
             ((1, 1, 4, 4), dict(size=(2, 2.5), mode="bicubic")),
             ((1, 4), dict(size=3, mode="nearest")),
             ((1, 1, 4, 4), dict(scale_factor=2, mode="cubic"))]
    for shape, kw in cases:
        assert_same_error(lambda: F.interpolate(tg.ones(*shape), **kw),
                          lambda: TF.interpolate(torch.ones(*shape), **kw))


def test_upsample_bicubic_module_matches_torch():
    x = seeded_normal(2, 3, 4, 5).astype(np.float32)
    for kw in [dict(scale_factor=2, mode="bicubic"), dict(size=(3, 7), mode="bicubic", align_corners=True)]:
        m, tm = nn.Upsample(**kw), torch.nn.Upsample(**kw)
        assert repr(m) == repr(tm)
        close(m(tg.tensor(x)), tm(torch.tensor(x)), 2e-5)


# ====================================================================== norm(p='nuc')
NORM_ARGS = [dict(p="nuc"), dict(p="nuc", dim=1), dict(p="nuc", dim=(0, 1, 2)), dict(p="abc"),
             dict(p="abc", dim=(0, 1)), dict(p="fro", dim=(0, 1, 2)), dict(p="nuc", dim=(1, 1)),
             dict(p="nuc", dim=(0, 2)), dict(p="nuc", dim=(2, 0), keepdim=True), dict(p="nuc", dim=[1, 2]),
             dict(p="fro", dim=(0, 2)), dict(p="nuc", dim=(-1, -2)), dict(p="fro")]


@pytest.mark.parametrize("kw", NORM_ARGS, ids=[str(k) for k in NORM_ARGS])
def test_norm_string_orders_match_torch(kw):
    y = seeded_normal(2, 3, 4)
    try:
        expected = torch.norm(torch.tensor(y), **kw)
    except Exception:  # noqa: BLE001 - then the same error
        assert_same_error(lambda: tg.norm(tg.tensor(y), **kw), lambda: torch.norm(torch.tensor(y), **kw))
        return
    close(tg.norm(tg.tensor(y), **kw), expected)
    close(tg.tensor(y).norm(**kw), torch.tensor(y).norm(**kw))


def test_nuclear_norm_gradients_and_errors_match_torch():
    x = seeded_normal(2, 3, 4, seed=1)
    a, ta = as_both(x, requires_grad=True)
    r, tr = tg.norm(a, "nuc", dim=(0, 2)), torch.norm(ta, "nuc", dim=(0, 2))
    assert r.grad_fn.name() == tr.grad_fn.name()
    w = seeded_normal(3, seed=2)
    (r * tg.tensor(w)).sum().backward()
    (tr * torch.tensor(w)).sum().backward()
    close(a.grad, ta.grad)
    assert_same_error(lambda: tg.norm(tg.tensor(seeded_normal(4)), "nuc"),
                      lambda: torch.norm(torch.tensor(seeded_normal(4)), "nuc"))
    assert_same_error(lambda: tg.norm(tg.arange(6).reshape(2, 3), "nuc"),
                      lambda: torch.norm(torch.arange(6).reshape(2, 3), "nuc"))
    assert_same_error(lambda: tg.norm(tg.arange(6).reshape(2, 3), "nuc", dtype=tg.float64),
                      lambda: torch.norm(torch.arange(6).reshape(2, 3), "nuc", dtype=torch.float64))
    close(tg.norm(tg.arange(6.0).reshape(2, 3), "nuc", dtype=tg.float64),
          torch.norm(torch.arange(6.0).reshape(2, 3), "nuc", dtype=torch.float64))
