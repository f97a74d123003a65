"""Oracle twins of test_nn_lazy_and_utils.py: the same lazy modules, orthogonal parametrizations,
functional calls and fusions in tensorgraft and PyTorch (values, gradients, repr, state_dict keys,
error messages)."""
import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn as nn
from tensorgraft.testing.oracle import as_both, assert_same_error, assert_values_close, seeded_normal

torch = pytest.importorskip("torch")


def close(ours, theirs, tol=1e-10):  # this file's tolerance (float64 unless a test passes one)
    assert_values_close(ours, theirs, rtol=tol, atol=tol, check_dtype=False)


LAZY = [("LazyLinear", (5,), (3, 7)), ("LazyConv1d", (4, 3), (2, 3, 8)),
        ("LazyConv2d", (4, 3), (1, 2, 5, 5)), ("LazyConv3d", (2, 2), (1, 3, 3, 3, 3)),
        ("LazyConvTranspose1d", (2, 3), (1, 4, 5)), ("LazyConvTranspose2d", (4, 3), (1, 6, 5, 5)),
        ("LazyConvTranspose3d", (2, 2), (1, 3, 2, 2, 2)), ("LazyBatchNorm1d", (), (4, 3)),
        ("LazyBatchNorm2d", (), (2, 3, 4, 4)), ("LazyBatchNorm3d", (), (2, 3, 2, 2, 2)),
        ("LazyInstanceNorm1d", (), (2, 3, 5)), ("LazyInstanceNorm2d", (), (2, 3, 4, 4)),
        ("LazyInstanceNorm3d", (), (2, 3, 2, 2, 2))]


@pytest.mark.parametrize("name,args,shape", LAZY, ids=[c[0] for c in LAZY])
def test_lazy_modules_match_pytorch(name, args, shape):
    ours = getattr(nn, name)(*args, dtype=tg.float64)
    theirs = getattr(torch.nn, name)(*args, dtype=torch.float64)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [repr(v) for v in ours.state_dict().values()] == [repr(v) for v in theirs.state_dict().values()]
    a = seeded_normal(*shape)
    x, tx = as_both(a, requires_grad=True)
    theirs(tx)
    ours(x)                                     # materialize, then take PyTorch's initial values
    assert type(ours).__name__ == type(theirs).__name__ and repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: tg.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    y, ty = ours(x), theirs(tx)
    close(y, ty)
    w = seeded_normal(*ty.shape, seed=1)
    (y * tg.tensor(w)).sum().backward()
    (ty * torch.tensor(w)).sum().backward()
    close(x.grad, tx.grad, 1e-9)
    for (_k, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        close(p.grad, tp.grad, 1e-9)


def test_lazy_linear_loading_and_errors_match_pytorch():
    ours, theirs = nn.LazyLinear(4), torch.nn.LazyLinear(4)
    ref = torch.nn.Linear(3, 4)
    ours.load_state_dict({k: tg.tensor(v.numpy()) for k, v in ref.state_dict().items()})
    theirs.load_state_dict(ref.state_dict())
    assert repr(ours) == repr(theirs) and type(ours).__name__ == "LazyLinear"
    a = seeded_normal(2, 3).astype(np.float32)
    close(ours(tg.tensor(a)), theirs(torch.tensor(a)), 1e-6)
    assert repr(ours) == repr(theirs)
    assert_same_error(lambda: nn.Linear(3, 4).load_state_dict(nn.LazyLinear(4).state_dict()),
                      lambda: torch.nn.Linear(3, 4).load_state_dict(torch.nn.LazyLinear(4).state_dict()))
    assert_same_error(lambda: next(nn.LazyLinear(4).parameters()).numel(),
                      lambda: next(torch.nn.LazyLinear(4).parameters()).numel())
    assert_same_error(lambda: next(nn.LazyLinear(4).parameters()).shape,
                      lambda: next(torch.nn.LazyLinear(4).parameters()).shape)
    assert_same_error(lambda: nn.LazyConv2d(4, 3, groups=2)(tg.randn(1, 3, 5, 5)),
                      lambda: torch.nn.LazyConv2d(4, 3, groups=2)(torch.randn(1, 3, 5, 5)))
    assert_same_error(lambda: nn.LazyConv2d(4, 3)(tg.randn(5, 5)), lambda: torch.nn.LazyConv2d(4, 3)(torch.randn(5, 5)))
    assert repr(nn.UninitializedBuffer()) == repr(torch.nn.UninitializedBuffer())


# ====================================================================== orthogonal
@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5), (2, 3, 3)])
@pytest.mark.parametrize("omap", [None, "matrix_exp", "cayley", "householder"])
@pytest.mark.parametrize("triv", [True, False])
def test_orthogonal_matches_pytorch(shape, omap, triv):
    a = seeded_normal(*shape)
    ours, theirs = nn.Module(), torch.nn.Module()
    ours.weight = nn.Parameter(tg.tensor(a))
    theirs.weight = torch.nn.Parameter(torch.tensor(a))
    nn.utils.parametrizations.orthogonal(ours, orthogonal_map=omap, use_trivialization=triv)
    torch.nn.utils.parametrizations.orthogonal(theirs, orthogonal_map=omap, use_trivialization=triv)
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    # the same starting point (base and original), then a non-trivial original
    ours.load_state_dict({k: tg.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    close(ours.weight, theirs.weight, 1e-9)
    b = seeded_normal(*shape, seed=2) * 0.3
    with torch.no_grad():
        theirs.parametrizations.weight.original.copy_(torch.tensor(b))
    with tg.no_grad():
        ours.parametrizations.weight.original.copy_(tg.tensor(b))
    close(ours.weight, theirs.weight, 1e-9)
    w = seeded_normal(*shape, seed=3)
    (ours.weight * tg.tensor(w)).sum().backward()
    (theirs.weight * torch.tensor(w)).sum().backward()
    close(ours.parametrizations.weight.original.grad, theirs.parametrizations.weight.original.grad, 1e-8)


@pytest.mark.parametrize("shape", [(4, 4), (5, 3)])
@pytest.mark.parametrize("triv", [True, False])
def test_orthogonal_assignment_matches_pytorch(shape, triv):
    ours, theirs = nn.Module(), torch.nn.Module()
    ours.weight = nn.Parameter(tg.tensor(seeded_normal(*shape)))
    theirs.weight = torch.nn.Parameter(torch.tensor(seeded_normal(*shape)))
    nn.utils.parametrizations.orthogonal(ours, orthogonal_map="householder", use_trivialization=triv)
    torch.nn.utils.parametrizations.orthogonal(theirs, orthogonal_map="householder", use_trivialization=triv)
    q = np.linalg.qr(seeded_normal(*shape, seed=5))[0]
    ours.weight = tg.tensor(q)
    theirs.weight = torch.tensor(q)
    close(ours.weight, theirs.weight, 1e-9)
    close(ours.parametrizations.weight.original, theirs.parametrizations.weight.original, 1e-9)


def test_orthogonal_errors_match_pytorch():
    for kw in ({"orthogonal_map": "foo"}, {"name": "bias"}, {"name": "nope"}):
        assert_same_error(lambda: nn.utils.parametrizations.orthogonal(nn.Linear(3, 3), **kw),
                          lambda: torch.nn.utils.parametrizations.orthogonal(torch.nn.Linear(3, 3), **kw))
    ours = nn.utils.parametrizations.orthogonal(nn.Linear(3, 3), orthogonal_map="cayley", use_trivialization=False)
    theirs = torch.nn.utils.parametrizations.orthogonal(torch.nn.Linear(3, 3), orthogonal_map="cayley",
                                                        use_trivialization=False)
    assert_same_error(lambda: setattr(ours, "weight", tg.eye(3)), lambda: setattr(theirs, "weight", torch.eye(3)))
    assert_same_error(lambda: setattr(ours, "weight", tg.eye(2)), lambda: setattr(theirs, "weight", torch.eye(2)))
    assert repr(ours) == repr(theirs)


# ====================================================================== functional_call
def test_functional_call_matches_pytorch():
    import torch.func
    ours = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2)).double()
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 2)).double()
    ours.load_state_dict({k: tg.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    given = {"0.weight": seeded_normal(4, 3, seed=1), "2.bias": seeded_normal(2, seed=2),
             "1.running_mean": seeded_normal(4, seed=3)}
    ogiven = {k: tg.tensor(v, requires_grad=k != "1.running_mean") for k, v in given.items()}
    tgiven = {k: torch.tensor(v, requires_grad=k != "1.running_mean") for k, v in given.items()}
    x, tx = as_both(seeded_normal(5, 3, seed=4))
    for mode in ("train", "eval"):
        getattr(ours, mode)()
        getattr(theirs, mode)()
        y = nn.utils.stateless._func_functional_call(ours, ogiven, (x,))
        ty = torch.func.functional_call(theirs, tgiven, (tx,))
        close(y, ty)
    y.sum().backward()
    ty.sum().backward()
    close(ogiven["0.weight"].grad, tgiven["0.weight"].grad)
    close(ogiven["1.running_mean"], tgiven["1.running_mean"])     # updated in train mode, as PyTorch
    for (_k, v), (_, tv) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        close(v, tv)                                               # the module's own are untouched
    assert_same_error(lambda: nn.utils.stateless._func_functional_call(ours, {"zz": x}, (x,), strict=True),
                      lambda: torch.func.functional_call(theirs, {"zz": tx}, (tx,), strict=True))
    with pytest.warns(FutureWarning) as ours_w:
        nn.utils.stateless.functional_call(ours, {}, x)
    with pytest.warns(FutureWarning) as theirs_w:
        torch.nn.utils.stateless.functional_call(theirs, {}, tx)
    assert str(ours_w[0].message) == str(theirs_w[0].message)


# ====================================================================== fusion
def test_fusion_matches_pytorch():
    tconv, tbn = torch.nn.Conv2d(2, 3, 3).double(), torch.nn.BatchNorm2d(3).double()
    tbn(tconv(torch.randn(4, 2, 5, 5, dtype=torch.float64)))
    with torch.no_grad():
        tbn.weight.uniform_(0.5, 2)
        tbn.bias.uniform_(-1, 1)
    conv, bn = nn.Conv2d(2, 3, 3).double(), nn.BatchNorm2d(3).double()
    conv.load_state_dict({k: tg.tensor(v.numpy()) for k, v in tconv.state_dict().items()})
    bn.load_state_dict({k: tg.tensor(v.numpy()) for k, v in tbn.state_dict().items()})
    conv.eval(), bn.eval(), tconv.eval(), tbn.eval()
    f, tf = nn.utils.fusion.fuse_conv_bn_eval(conv, bn), torch.nn.utils.fusion.fuse_conv_bn_eval(tconv, tbn)
    close(f.weight, tf.weight)
    close(f.bias, tf.bias)
    assert repr(f) == repr(tf)
    lin, tlin = nn.Linear(3, 3).double(), torch.nn.Linear(3, 3).double()
    lin.load_state_dict({k: tg.tensor(v.numpy()) for k, v in tlin.state_dict().items()})
    bn1, tbn1 = nn.BatchNorm1d(3).double().eval(), torch.nn.BatchNorm1d(3).double().eval()
    f, tf = nn.utils.fusion.fuse_linear_bn_eval(lin.eval(), bn1), torch.nn.utils.fusion.fuse_linear_bn_eval(
        tlin.eval(), tbn1)
    close(f.weight, tf.weight)
    close(f.bias, tf.bias)
    assert_same_error(lambda: nn.utils.fusion.fuse_linear_bn_eval(lin.train(), bn1),
                      lambda: torch.nn.utils.fusion.fuse_linear_bn_eval(tlin.train(), tbn1))
    assert_same_error(lambda: nn.utils.fusion.fuse_linear_bn_eval(lin.eval(), nn.BatchNorm1d(2).eval()),
                      lambda: torch.nn.utils.fusion.fuse_linear_bn_eval(tlin.eval(), torch.nn.BatchNorm1d(2).eval()))


@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5), (2, 3, 3)])
@pytest.mark.parametrize("triv", [True, False])
def test_orthogonal_householder_integer_diagonal_matches_pytorch(shape, triv):
    a = seeded_normal(*shape, seed=9)
    ours, theirs = nn.Module(), torch.nn.Module()
    ours.weight = nn.Parameter(tg.tensor(a))
    theirs.weight = torch.nn.Parameter(torch.tensor(a))
    nn.utils.parametrizations.orthogonal(ours, orthogonal_map="householder", use_trivialization=triv)
    torch.nn.utils.parametrizations.orthogonal(theirs, orthogonal_map="householder", use_trivialization=triv)
    close(ours.weight, theirs.weight, 1e-9)
    close(ours.parametrizations.weight.original, theirs.parametrizations.weight.original, 1e-9)
    if triv and shape[-2] == shape[-1]:     # a square base has no random completion
        close(ours.parametrizations.weight[0].base, theirs.parametrizations.weight[0].base, 1e-9)
    big = seeded_normal(*shape, seed=3) * 3  # diagonal entries beyond +-1 scale the columns by their integer part
    with torch.no_grad():
        theirs.parametrizations.weight.original.copy_(torch.tensor(big))
    with tg.no_grad():
        ours.load_state_dict({k: tg.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    close(ours.weight, theirs.weight, 1e-9)


def test_fusion_weights_dtypes_and_flags_match_pytorch():
    w, b = seeded_normal(4, 3, seed=1), seeded_normal(4, seed=2)
    stats = [seeded_normal(4, seed=s) for s in (3, 4, 5, 6)]
    stats[1] = np.abs(stats[1]) + 0.5
    for name in ("fuse_conv_bn_weights", "fuse_linear_bn_weights"):
        for bias in (None, b):
            for wdt, bdt in (("float32", "float64"), ("float64", "float32")):
                def run(lib, mod):
                    rm, rv, bw, bb = (lib.tensor(s) for s in stats)
                    cb = None if bias is None else lib.tensor(bias.astype(bdt))
                    return getattr(mod, name)(lib.tensor(w.astype(wdt), requires_grad=True), cb, rm, rv, 1e-3, bw, bb)
                ours, theirs = run(tg, nn.utils.fusion), run(torch, torch.nn.utils.fusion)
                for o, t in zip(ours, theirs):
                    assert (str(o.dtype), o.requires_grad, type(o).__name__) == \
                        (str(t.dtype), t.requires_grad, type(t).__name__)
                    close(o, t, 1e-6)
    assert_same_error(
        lambda: nn.utils.fusion.fuse_linear_bn_eval(nn.Linear(3, 3).eval(),
                                                    nn.BatchNorm1d(2, track_running_stats=False).eval()),
        lambda: torch.nn.utils.fusion.fuse_linear_bn_eval(torch.nn.Linear(3, 3).eval(),
                                                          torch.nn.BatchNorm1d(2, track_running_stats=False).eval()))
    assert nn.utils.fusion.fuse_linear_bn_eval(nn.Linear(3, 3, bias=False).eval(), nn.BatchNorm1d(1).eval()).bias.shape \
        == torch.nn.utils.fusion.fuse_linear_bn_eval(torch.nn.Linear(3, 3, bias=False).eval(),
                                                     torch.nn.BatchNorm1d(1).eval()).bias.shape
