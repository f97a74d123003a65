"""Oracle twins of test_nn_pooling_more.py: LPPool, MaxUnpool and FractionalMaxPool in tensorgraft and
PyTorch (values, indices, input gradients, grad_fn names, module repr, error messages)."""
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


def backward_both(ya, yb, seed=9):
    w = seeded_normal(*yb.shape, seed=seed, dtype=yb.detach().numpy().dtype)
    (ya * tg.tensor(w)).nan_to_num().sum().backward()
    (yb * torch.tensor(w)).nan_to_num().sum().backward()


# ------------------------------------------------------------------ fractional max pool
FRACTIONAL = [(2, (2, 3, 7, 9), 2, (3, 4)), (2, (3, 8, 8), (2, 3), (5, 4)), (2, (2, 2, 10, 7), 3, (8, 5)),
              (2, (2, 2, 11, 13), 2, (10, 12)), (3, (2, 3, 6, 7, 8), (2, 3, 2), (3, 4, 5)),
              (3, (2, 5, 6, 5), 2, (3, 4, 3))]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rank, shape, k, out", FRACTIONAL)
def test_fractional_same_samples_same_result(rank, shape, k, out, dtype):
    x = seeded_normal(*shape, dtype=dtype)
    n = shape[0] if len(shape) == rank + 2 else 1
    s = np.random.default_rng(4).random((n, shape[-rank - 1], rank)).astype(dtype)
    a, b = as_both(x, requires_grad=True)
    fa = F.fractional_max_pool2d if rank == 2 else F.fractional_max_pool3d
    fb = TF.fractional_max_pool2d if rank == 2 else TF.fractional_max_pool3d
    ya, ia = fa(a, k, output_size=out, return_indices=True, _random_samples=tg.tensor(s))
    yb, ib = fb(b, k, output_size=out, return_indices=True, _random_samples=torch.tensor(s))
    close(ya, yb, 0)
    np.testing.assert_array_equal(ia.numpy(), ib.numpy())
    assert type(ya.grad_fn).__name__ == type(yb.grad_fn).__name__
    backward_both(ya, yb)
    close(a.grad, b.grad, 1e-6)


def test_fractional_ratio_with_indices_and_modules():
    x = seeded_normal(2, 3, 9, 11)
    s = np.random.default_rng(1).random((2, 3, 2))
    a, b = as_both(x)
    ya, ia = F.fractional_max_pool2d_with_indices(a, 2, output_ratio=(0.5, 0.3), _random_samples=tg.tensor(s))
    yb, ib = TF.fractional_max_pool2d_with_indices(b, 2, output_ratio=(0.5, 0.3), _random_samples=torch.tensor(s))
    close(ya, yb, 0)
    np.testing.assert_array_equal(ia.numpy(), ib.numpy())
    x3 = seeded_normal(3, 9, 11, 7)
    s3 = np.random.default_rng(2).random((1, 3, 3))
    ma = nn.FractionalMaxPool3d(2, output_ratio=0.5, _random_samples=tg.tensor(s3))
    mb = torch.nn.FractionalMaxPool3d(2, output_ratio=0.5, _random_samples=torch.tensor(s3))
    close(ma(tg.tensor(x3)), mb(torch.tensor(x3)), 0)
    assert repr(ma) == repr(mb) and list(ma.state_dict()) == list(mb.state_dict())
    assert repr(nn.FractionalMaxPool2d(3, output_size=(4, 5))) == repr(torch.nn.FractionalMaxPool2d(3, output_size=(4, 5)))


FRACTIONAL_ERRORS = [
    ("no size", lambda F, x, s: F.fractional_max_pool2d(x, 2)),
    ("float ratio", lambda F, x, s: F.fractional_max_pool2d(x, 2, output_ratio=0.5)),
    ("ratio of 3", lambda F, x, s: F.fractional_max_pool2d(x, 2, output_ratio=(0.5, 0.5, 0.5))),
    ("too large h", lambda F, x, s: F.fractional_max_pool2d(x, 2, output_size=7, _random_samples=s)),
    ("too large w", lambda F, x, s: F.fractional_max_pool2d(x, (2, 3), output_size=(6, 8), _random_samples=s)),
    ("kernel of 3", lambda F, x, s: F.fractional_max_pool2d(x, (2, 3, 4), output_size=3, _random_samples=s)),
    ("output of 3", lambda F, x, s: F.fractional_max_pool2d(x, 2, output_size=(3, 3, 3), _random_samples=s)),
    ("2-d input", lambda F, x, s: F.fractional_max_pool2d(x[0, 0], 2, output_size=3, _random_samples=s)),
    ("samples batch", lambda F, x, s: F.fractional_max_pool2d(x, 2, output_size=3, _random_samples=s[:1])),
    ("samples channels", lambda F, x, s: F.fractional_max_pool2d(x, 2, output_size=3, _random_samples=s[:, :1])),
    ("samples last", lambda F, x, s: F.fractional_max_pool2d(x, 2, output_size=3, _random_samples=s[..., :1])),
    ("samples 2-d", lambda F, x, s: F.fractional_max_pool2d(x, 2, output_size=3, _random_samples=s[0])),
    ("samples dtype", lambda F, x, s: F.fractional_max_pool2d(x, 2, output_size=3, _random_samples=s.double())),
    ("int input", lambda F, x, s: F.fractional_max_pool2d(x.int(), 2, output_size=3)),
    ("3-d too large", lambda F, x, s: F.fractional_max_pool3d(x.unsqueeze(0), 2, output_size=(1, 3, 8))),
    ("3-d kernel of 2", lambda F, x, s: F.fractional_max_pool3d(x.unsqueeze(0), (2, 2), output_size=1)),
    ("module no size", lambda F, x, s: F.FractionalMaxPool2d(2)),
    ("module both", lambda F, x, s: F.FractionalMaxPool2d(2, 3, 0.5)),
    ("module ratio", lambda F, x, s: F.FractionalMaxPool2d(2, output_ratio=1.5)),
    ("module kernel", lambda F, x, s: F.FractionalMaxPool3d(0, output_ratio=0.5)),
]


@pytest.mark.parametrize("name", [c[0] for c in FRACTIONAL_ERRORS])
def test_fractional_errors(name):
    call = dict(FRACTIONAL_ERRORS)[name]
    x = seeded_normal(2, 3, 7, 9, dtype=np.float32)
    s = np.random.default_rng(0).random((2, 3, 2)).astype(np.float32)

    class _TG:  # F and the module classes in one namespace, as the lambdas want
        def __getattr__(self, n):
            return getattr(nn if n[0].isupper() else F, n)

    class _TORCH:
        def __getattr__(self, n):
            return getattr(torch.nn if n[0].isupper() else TF, n)
    assert_same_error(lambda: call(_TG(), tg.tensor(x), tg.tensor(s)),
                      lambda: call(_TORCH(), torch.tensor(x), torch.tensor(s)))


# ------------------------------------------------------------------ max unpool
UNPOOL = [(1, (2, 3, 9), dict(kernel_size=3, stride=2, padding=1), None),
          (1, (3, 8), dict(kernel_size=2), [9]),
          (2, (2, 3, 6, 7), dict(kernel_size=2), (6, 7)),
          (2, (3, 7, 7), dict(kernel_size=3, stride=2, padding=1), None),
          (2, (1, 2, 5, 5), dict(kernel_size=3, stride=1), [1, 2, 5, 5]),
          (3, (2, 2, 4, 6, 6), dict(kernel_size=2), None),
          (3, (2, 5, 5, 5), dict(kernel_size=(2, 3, 2), stride=(2, 1, 2)), (5, 5, 5))]


@pytest.mark.parametrize("rank, shape, kw, out", UNPOOL)
def test_max_unpool(rank, shape, kw, out):
    x = seeded_normal(*shape)
    yb, ib = getattr(TF, f"max_pool{rank}d")(torch.tensor(x), return_indices=True, **kw)
    ya, ia = getattr(F, f"max_pool{rank}d")(tg.tensor(x), return_indices=True, **kw)
    np.testing.assert_array_equal(ia.numpy(), ib.numpy())
    a, b = as_both(yb.numpy(), requires_grad=True)
    ua = getattr(F, f"max_unpool{rank}d")(a, ia, output_size=out, **kw)
    ub = getattr(TF, f"max_unpool{rank}d")(b, ib, output_size=out, **kw)
    close(ua, ub, 0)
    assert type(ua.grad_fn).__name__ == type(ub.grad_fn).__name__
    backward_both(ua, ub)
    close(a.grad, b.grad, 0)
    ma, mb = getattr(nn, f"MaxUnpool{rank}d")(**kw), getattr(torch.nn, f"MaxUnpool{rank}d")(**kw)
    assert repr(ma) == repr(mb)
    close(ma(a, ia, out), mb(b, ib, out), 0)


UNPOOL_ERRORS = [
    ("size out of range", lambda F, y, i: F.max_unpool2d(y, i, 2, output_size=(9, 9))),
    ("size of 1", lambda F, y, i: F.max_unpool2d(y, i, 2, output_size=(4,))),
    # one invalid index: with several, which one PyTorch reports depends on its threads
    ("index out of range", lambda F, y, i: F.max_unpool2d(y, one_bad(i % 9, 14), 2, output_size=(3, 3))),
    ("negative index", lambda F, y, i: F.max_unpool2d(y, one_bad(i, -3), 2)),
    ("int32 indices", lambda F, y, i: F.max_unpool2d(y, i.int(), 2)),
    ("float indices", lambda F, y, i: F.max_unpool2d(y, i.float(), 2)),
    ("indices shape", lambda F, y, i: F.max_unpool2d(y, i[..., :1], 2)),
    ("2-d input", lambda F, y, i: F.max_unpool2d(y[0, 0], i[0, 0], 2)),
    ("int input", lambda F, y, i: F.max_unpool2d(y.int(), i, 2)),
    ("negative size", lambda F, y, i: F.max_unpool2d(y, i, 2, padding=5)),
    ("1-d of 4-d", lambda F, y, i: F.max_unpool1d(y, i, 2)),
    ("1-d index", lambda F, y, i: F.max_unpool1d(y[0], one_bad(i[0] % 4, 7), 2)),
    ("3-d of 4-d", lambda F, y, i: F.max_unpool3d(y[0, 0], i[0, 0], 2)),
    ("3-d int32", lambda F, y, i: F.max_unpool3d(y, i.int(), 2)),
    ("3-d stride 0", lambda F, y, i: F.max_unpool3d(y, i, 2, stride=0)),
    ("3-d kernel of 2", lambda F, y, i: F.max_unpool3d(y, i, (2, 2))),
    ("3-d index", lambda F, y, i: F.max_unpool3d(y, one_bad(i % 2, 70), 2)),
    ("empty channel", lambda F, y, i: F.max_unpool2d(y[:, :0], i[:, :0], 2)),
]


def one_bad(i, value):
    j = i.clone()
    j[(0,) * (j.ndim - 1) + (1,)] = value
    return j


@pytest.mark.parametrize("name", [c[0] for c in UNPOOL_ERRORS])
def test_max_unpool_errors(name):
    call = dict(UNPOOL_ERRORS)[name]
    x = seeded_normal(1, 2, 4, 4, dtype=np.float32)
    yb, ib = TF.max_pool2d(torch.tensor(x), 2, return_indices=True)
    ya, ia = tg.tensor(yb.numpy()), tg.tensor(ib.numpy())
    assert_same_error(lambda: call(F, ya, ia), lambda: call(TF, yb, ib))


# ------------------------------------------------------------------ LP pool
LP = [(1, (2, 3, 8), 2, 3, None, False), (1, (3, 9), 3.0, 2, 1, True), (1, (2, 3, 8), 1.5, 3, 2, True),
      (2, (2, 3, 7, 7), 2, 3, 2, True), (2, (2, 3, 6, 7), 1.5, (2, 3), (1, 2), False),
      (2, (3, 6, 6), 3, 2, None, False), (2, (2, 3, 6, 6), math.inf, 2, None, False),
      (2, (2, 3, 6, 6), -math.inf, 3, 2, True), (3, (1, 2, 5, 6, 5), 2, 2, None, True),
      (3, (2, 5, 6, 5), 3, (2, 1, 2), 1, False), (3, (1, 2, 4, 4, 4), math.inf, 2, None, False)]


@pytest.mark.parametrize("rank, shape, p, k, s, ceil", LP)
def test_lp_pool(rank, shape, p, k, s, ceil):
    x = seeded_normal(*shape, seed=rank)  # mixed signs: negative sums (NaN under odd / fractional p) included
    a, b = as_both(x, requires_grad=True)
    ya = getattr(F, f"lp_pool{rank}d")(a, p, k, s, ceil)
    yb = getattr(TF, f"lp_pool{rank}d")(b, p, k, s, ceil)
    close(ya, yb)
    assert type(ya.grad_fn).__name__ == type(yb.grad_fn).__name__
    backward_both(ya, yb)
    close(a.grad, b.grad, 1e-8)
    ma, mb = getattr(nn, f"LPPool{rank}d")(p, k, s, ceil), getattr(torch.nn, f"LPPool{rank}d")(p, k, s, ceil)
    assert repr(ma) == repr(mb)
    close(ma(tg.tensor(x)), mb(torch.tensor(x)))


def test_lp_pool_zero_windows_have_zero_gradient():
    x = seeded_normal(1, 2, 6, 6)
    x[..., :2, :2] = 0.0
    for p in (2, 1.5, 3):
        a, b = as_both(x, requires_grad=True)
        ya, yb = F.lp_pool2d(a, p, 2), TF.lp_pool2d(b, p, 2)
        backward_both(ya, yb)
        close(a.grad, b.grad, 1e-8)
        assert not np.isnan(a.grad.numpy()).any() or np.isnan(b.grad.numpy()).any()


LP_ERRORS = [
    ("tuple kernel 1-d", lambda F, x: F.lp_pool1d(x[0], 2, (2,))),
    ("norm 0", lambda F, x: F.lp_pool2d(x, 0, 2)),
    # (the 3-D pools: the 2-D and 1-D average pools do not check these yet)
    ("kernel too large", lambda F, x: F.lp_pool3d(x, 2, 6)),
    ("stride 0", lambda F, x: F.lp_pool3d(x, 2, 2, 0)),
    ("int input", lambda F, x: F.lp_pool3d(x.int(), 2, 2)),
]


@pytest.mark.parametrize("name", [c[0] for c in LP_ERRORS])
def test_lp_pool_errors(name):
    call = dict(LP_ERRORS)[name]
    x = seeded_normal(1, 2, 5, 5, dtype=np.float32)
    assert_same_error(lambda: call(F, tg.tensor(x)), lambda: call(TF, torch.tensor(x)))
