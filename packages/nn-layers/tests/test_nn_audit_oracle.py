"""Oracle twins of test_nn_audit_plain.py (issue 5 audit): same calls in tensorgraft and PyTorch."""
import math
import warnings

import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F

torch = pytest.importorskip("torch")
tnn = torch.nn
TF = torch.nn.functional


def _tg(t, grad=False):
    out = tg.tensor(t.detach().numpy().copy())
    return out.requires_grad_(True) if grad else out


def _eq(a, b, tol=1e-5):
    a = None if a is None else np.asarray(a.detach().numpy(), dtype=np.float64)
    b = None if b is None else np.asarray(b.detach().numpy(), dtype=np.float64)
    assert (a is None) == (b is None)
    if a is not None:
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol, equal_nan=True)


def test_parameter_dict_order_and_repr_match_torch():
    a = nn.ParameterDict({"w": nn.Parameter(tg.ones(2, 2)), "b": tg.ones(3)})
    b = tnn.ParameterDict({"w": tnn.Parameter(torch.ones(2, 2)), "b": torch.ones(3)})
    assert list(a.keys()) == list(b.keys())
    assert repr(a) == repr(b)


def test_full_backward_hooks_match_torch_with_two_inputs():
    torch.manual_seed(0)
    tm = tnn.Bilinear(2, 3, 4)
    gm = nn.Bilinear(2, 3, 4)
    gm.load_state_dict({k: _tg(v) for k, v in tm.state_dict().items()})
    logs = {}
    for lib, m, mk in ((torch, tm, lambda t: t.clone().requires_grad_(True)), (tg, gm, lambda t: _tg(t, True))):
        log = logs.setdefault(lib.__name__, [])

        def hook(mod, gin, gout, log=log):
            log.append([g.detach().numpy().copy() for g in gin] + [g.detach().numpy().copy() for g in gout])
            return gin[0] * 2, gin[1] * -1

        def pre(mod, gout, log=log):
            return (gout[0] * 3,)
        m.register_full_backward_hook(hook)
        m.register_full_backward_pre_hook(pre)
        x1 = torch.randn(5, 2, generator=torch.Generator().manual_seed(1))
        x2 = torch.randn(5, 3, generator=torch.Generator().manual_seed(2))
        a, b = mk(x1), mk(x2)
        out = m(a, b)
        log.append(out.grad_fn.name())
        w = np.linspace(-1, 1, 20).reshape(5, 4).astype(np.float32)
        (out * lib.tensor(w)).sum().backward()
        log.append([a.grad.numpy().copy(), b.grad.numpy().copy(), m.weight.grad.numpy().copy()])
    t, g = logs["torch"], logs["tensorgraft"]
    assert t[0] == g[0] == "BackwardHookFunctionBackward"
    for x, y in zip(t[1] + t[2], g[1] + g[2]):
        np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-5)


def test_forward_hook_always_call_matches_torch():
    logs = []
    for n, lib in ((tnn, torch), (nn, tg)):
        log = []
        m = n.Linear(3, 2)
        m.register_forward_hook(lambda *a, log=log: log.append(1), always_call=True)
        m.register_forward_hook(lambda *a, log=log: log.append(0), prepend=True)
        with pytest.raises(RuntimeError):
            m(lib.ones(1, 4))
        logs.append(log)
    assert logs[0] == logs[1] == [1]


@pytest.mark.parametrize("red", ["none", "mean", "sum"])
def test_loss_target_gradients_match_torch(red):
    rng = np.random.RandomState(0)
    x = torch.tensor(rng.randn(6, 4).astype(np.float32))
    p = torch.softmax(torch.tensor(rng.randn(6, 4).astype(np.float32)), 1)
    w = torch.tensor(rng.rand(4).astype(np.float32))
    u = torch.tensor(rng.rand(6, 4).astype(np.float32))
    cases = [
        (lambda f, lib, a, b, w: f.cross_entropy(a, b, reduction=red), x, p),
        (lambda f, lib, a, b, w: f.cross_entropy(a, b, weight=w, label_smoothing=0.3, reduction=red), x, p),
        (lambda f, lib, a, b, w: f.binary_cross_entropy_with_logits(a, b, pos_weight=w, weight=w * 2, reduction=red),
         x * 30, u),
        (lambda f, lib, a, b, w: f.binary_cross_entropy(a, b, reduction=red), u, p),
    ]
    for fn, a, b in cases:
        ta, tb = a.clone().requires_grad_(True), b.clone().requires_grad_(True)
        ga, gb = _tg(a, True), _tg(b, True)
        to, go = fn(TF, torch, ta, tb, w), fn(F, tg, ga, gb, _tg(w))
        _eq(to, go)
        cot = np.linspace(0.5, 1.5, to.numel()).reshape(tuple(to.shape)).astype(np.float32)
        (to * torch.tensor(cot)).sum().backward()
        (go * tg.tensor(cot)).sum().backward()
        _eq(ta.grad, ga.grad, 1e-4)
        _eq(tb.grad, gb.grad, 1e-4)


def test_bce_target_gradient_at_saturated_inputs_matches_torch():
    tx, ty = torch.tensor([0.0, 1.0, 0.5, 1e-9]), torch.tensor([1.0, 0.0, 1.0, 0.0], requires_grad=True)
    gx, gy = _tg(tx), _tg(ty, True)
    TF.binary_cross_entropy(tx, ty, reduction="sum").backward()
    F.binary_cross_entropy(gx, gy, reduction="sum").backward()
    _eq(ty.grad, gy.grad, 1e-4)


def _fcheck(fn, *args, tol=1e-5):
    ta = [a.clone().requires_grad_(a.is_floating_point()) for a in args]
    ga = [_tg(a, a.is_floating_point()) for a in args]
    to, go = fn(TF, ta), fn(F, ga)
    _eq(to, go, tol)
    cot = np.linspace(-1, 1, to.numel()).reshape(tuple(to.shape)).astype(np.float32)
    (to * torch.tensor(cot)).sum().backward()
    (go * tg.tensor(cot)).sum().backward()
    for a, b in zip(ta, ga):
        if a.requires_grad:
            _eq(a.grad, b.grad, tol)


def test_sdpa_masked_rows_and_gqa_match_torch():
    g = torch.Generator().manual_seed(0)
    q, k, v = torch.randn(2, 4, 5, 3, generator=g), torch.randn(2, 2, 6, 3, generator=g), torch.randn(2, 2, 6, 4,
                                                                                                         generator=g)
    mask = torch.rand(5, 6, generator=g) > 0.5
    mask[1] = False
    _fcheck(lambda f, a: f.scaled_dot_product_attention(a[0], a[1], a[2], a[3].bool()), q[:, :2], k, v, mask.float())
    _fcheck(lambda f, a: f.scaled_dot_product_attention(a[0], a[1], a[2], enable_gqa=True), q, k, v)


def test_normalize_unfold_fold_match_torch():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(4, 5, generator=g)
    x[1] = 0
    _fcheck(lambda f, a: f.normalize(a[0], eps=1e-3), x)
    _fcheck(lambda f, a: f.normalize(a[0], p=3, dim=0), x)
    _fcheck(lambda f, a: f.unfold(a[0], (2, 3), padding=1, stride=(2, 1)), torch.randn(3, 5, 6, generator=g))
    _fcheck(lambda f, a: f.fold(a[0], (5, 6), 3), torch.randn(27, 12, generator=g))


@pytest.mark.parametrize("kw", [dict(size=(3, 4)), dict(size=(5, 20)), dict(scale_factor=0.3),
                                dict(size=(4, 5), align_corners=True), dict(scale_factor=(0.5, 1.7))])
def test_interpolate_antialias_matches_torch(kw):
    x = torch.randn(2, 3, 11, 13, generator=torch.Generator().manual_seed(0))
    _fcheck(lambda f, a: f.interpolate(a[0], mode="bilinear", antialias=True, **kw), x)


@pytest.mark.parametrize("call", [
    lambda f, lib: f.pad(lib.ones(2, 3, 7), (8, 1), mode="circular"),
    lambda f, lib: f.pad(lib.ones(2, 3, 7), (1, 1), mode="reflect", value=1.0),
    lambda f, lib: f.pad(lib.ones(2, 3, 4, 5), (1, 1), mode="replicate"),
    lambda f, lib: f.pad(lib.ones(3), (1, 1), mode="reflect"),
    lambda f, lib: f.interpolate(lib.ones(1, 1, 4, 5), size=(3, 3), recompute_scale_factor=True),
    lambda f, lib: f.interpolate(lib.ones(1, 1, 4, 5), scale_factor=(2, 3, 4)),
    lambda f, lib: f.unfold(lib.ones(1, 1, 2, 2), 3),
    lambda f, lib: f.fold(lib.ones(2, 27, 11), (5, 6), 3),
    lambda f, lib: f.one_hot(lib.tensor([], dtype=lib.int64)),
    lambda f, lib: f.linear(lib.ones(2, 3, dtype=lib.float64), lib.ones(4, 3), lib.ones(4)),
    lambda f, lib: f.linear(lib.ones(2, 3), lib.ones(4, 3, dtype=lib.float64), lib.ones(4)),
    lambda f, lib: f.linear(lib.ones(3), lib.ones(4, 3), lib.ones(5)),
    lambda f, lib: f.batch_norm(lib.ones(2, 4, 3), lib.zeros(3), lib.ones(3)),
    lambda f, lib: f.binary_cross_entropy(lib.tensor([1.5]), lib.tensor([1.0])),
    lambda f, lib: f.adaptive_avg_pool2d(lib.ones(2, 2), 2),
    lambda f, lib: f.adaptive_max_pool2d(lib.ones(3), (2, 2)),
    lambda f, lib: (tnn if lib is torch else nn).Unflatten(1, (4, -1))(lib.ones(2, 6)),
    lambda f, lib: (tnn if lib is torch else nn).GroupNorm(2, 6)(lib.ones(2, 4, 3)),
    lambda f, lib: (tnn if lib is torch else nn).Bilinear(2, 3, 4)(lib.ones(5, 2), lib.ones(4, 3)),
])
def test_error_messages_match_torch(call):
    errs = []
    for f, lib in ((TF, torch), (F, tg)):
        with pytest.raises(Exception) as ei:
            call(f, lib)
        errs.append((type(ei.value), str(ei.value)))
    assert errs[0] == errs[1]


def test_reprs_and_signatures_match_torch():
    import inspect
    specs = ["Hardswish(True)", "Hardsigmoid(inplace=True)", "ConstantPad2d((1, 2, 3, 4), 0.5)", "ReflectionPad2d(2)",
             "ZeroPad1d((1, 2))", "Hardtanh(-2.0, 2.0, True)"]
    for s in specs:
        assert repr(eval("nn." + s)) == repr(eval("tnn." + s))
    for name in ["ConstantPad1d", "ReflectionPad2d", "ReplicationPad3d", "CircularPad1d", "Hardtanh"]:
        a = [(p.name, p.default) for p in inspect.signature(getattr(nn, name)).parameters.values()]
        b = [(p.name, p.default) for p in inspect.signature(getattr(tnn, name)).parameters.values()]
        assert a == b, name


@pytest.mark.parametrize("norm_type", [2.0, 1, 0, math.inf, -math.inf, 3.5])
def test_clip_grad_norm_matches_torch(norm_type):
    vals = [[3.0, -4.0, 0.0], [[1.0, 2.0], [3.0, -4.0]], [[float("nan"), 1.0]]]
    for grads in (vals[:2], vals):
        res = []
        for lib, n in ((torch, tnn), (tg, nn)):
            ps = []
            for gv in grads:
                p = n.Parameter(lib.ones(*np.shape(gv)))
                p.grad = lib.tensor(gv)
                ps.append(p)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                total = (torch.nn.utils if lib is torch else nn.utils).clip_grad_norm_(ps, 1.0, norm_type=norm_type)
            res.append((float(total), [p.grad.numpy().copy() for p in ps]))
        np.testing.assert_allclose(res[0][0], res[1][0], rtol=1e-5)
        for a, b in zip(res[0][1], res[1][1]):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_fully_masked_rows_match_torch(need_weights):
    torch.manual_seed(0)
    tm = tnn.MultiheadAttention(4, 2)
    gm = nn.MultiheadAttention(4, 2)
    gm.load_state_dict({k: _tg(v) for k, v in tm.state_dict().items()})
    q = torch.randn(3, 2, 4, generator=torch.Generator().manual_seed(1))
    mask = torch.zeros(3, 3, dtype=torch.bool)
    mask[1] = True
    a = tm(q, q, q, attn_mask=mask, need_weights=need_weights)[0]
    b = gm(_tg(q), _tg(q), _tg(q), attn_mask=_tg(mask), need_weights=need_weights)[0]
    _eq(a, b)
