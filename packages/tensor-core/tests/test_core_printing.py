"""repr/str of tensors: fixed expectations plus an oracle comparison with PyTorch's repr."""
import math

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.printing import get_printoptions, printoptions


@pytest.fixture(autouse=True)
def _restore_print_options():
    yield
    tg.set_printoptions(profile="default")
    try:
        import torch
        torch.set_printoptions(profile="default")
    except ImportError:
        pass


# --------------------------------------------------------------------------- fixed cases
def test_seed_cases():
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
    assert repr(tg.ones(2, 2, requires_grad=True)) == (
        "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)")
    assert repr(tg.tensor([51.2, 512.0, 0.0512])) == "tensor([5.1200e+01, 5.1200e+02, 5.1200e-02])"
    assert repr(tg.tensor(27.0)) == "tensor(27.)"
    assert repr(tg.tensor([0.1, 1.0, 0.0001])) == "tensor([1.0000e-01, 1.0000e+00, 1.0000e-04])"


def test_scalars_ints_bools():
    assert repr(tg.tensor(3)) == "tensor(3)"
    assert repr(tg.tensor(-2.5)) == "tensor(-2.5000)"
    assert repr(tg.tensor([True, False])) == "tensor([ True, False])"
    assert repr(tg.tensor([1, -20, 300])) == "tensor([  1, -20, 300])"
    assert repr(tg.tensor(3, dtype=tg.int32)) == "tensor(3, dtype=torch.int32)"
    assert str(tg.tensor([1.5])) == "tensor([1.5000])"


def test_nan_inf():
    nan, inf = math.nan, math.inf
    assert repr(tg.tensor([nan, inf])) == "tensor([nan, inf])"
    assert repr(tg.tensor([1.0, nan])) == "tensor([1., nan])"
    assert repr(tg.tensor([1.5, nan, -inf])) == "tensor([1.5000,    nan,   -inf])"


def test_empty_and_dtype_suffixes():
    assert repr(tg.zeros(0)) == "tensor([])"
    assert repr(tg.zeros(2, 0, 3)) == "tensor([], size=(2, 0, 3))"
    assert repr(tg.zeros(0, dtype=tg.int64)) == "tensor([], dtype=torch.int64)"
    assert repr(tg.ones(2, dtype=tg.float64)) == "tensor([1., 1.], dtype=torch.float64)"
    assert repr(tg.ones(2, dtype=tg.float16)) == "tensor([1., 1.], dtype=torch.float16)"
    assert repr(tg.tensor([1 + 2j])) == "tensor([1.+2.j])"


def test_printoptions():
    tg.set_printoptions(precision=2)
    assert repr(tg.tensor([1.12345])) == "tensor([1.12])"
    tg.set_printoptions(threshold=5)
    assert repr(tg.arange(10)) == "tensor([0, 1, 2,  ..., 7, 8, 9])"
    tg.set_printoptions(profile="default")
    assert repr(tg.tensor([1.12345])) == "tensor([1.1235])"
    tg.set_printoptions(sci_mode=True)
    assert repr(tg.tensor([1.0, 2.0])) == "tensor([1.0000e+00, 2.0000e+00])"
    with printoptions(precision=1):
        assert repr(tg.tensor([1.25, 2.0])) == "tensor([1.2, 2.0])"
    assert get_printoptions()["precision"] == 4


def test_printoptions_bad_profile():
    with pytest.raises(ValueError):
        tg.set_printoptions(profile="nope")


# --------------------------------------------------------------------------- oracle
def _cases():
    rng = np.random.default_rng(0)
    cases = []
    shapes = [(), (1,), (5,), (3, 4), (2, 3, 4), (7, 13), (30,), (2, 2, 2, 2), (1001,), (40, 30),
              (11, 10, 12), (3, 400), (2, 60), (100,), (5, 4, 30), (1, 1, 1), (0,), (3, 0)]
    scales = [1.0, 1e-5, 1e-3, 1e3, 1e5, 1e9, 123.456]
    for shape in shapes:
        for scale in scales:
            a = rng.standard_normal(shape) * scale
            cases.append(a.astype(np.float32))
        cases.append(rng.integers(-50, 50, shape).astype(np.float32))            # integer-valued floats
        cases.append(rng.integers(-1000, 100000, shape).astype(np.int64))
        cases.append(rng.integers(-5, 5, shape).astype(np.int32))
        cases.append(rng.random(shape) > 0.5)
        cases.append((rng.standard_normal(shape) * 10).astype(np.float64))
        cases.append((rng.standard_normal(shape)).astype(np.float16))
        cases.append((rng.standard_normal(shape) + 1j * rng.standard_normal(shape) * 100).astype(np.complex64))
        b = (rng.standard_normal(shape) * 3).astype(np.float32)
        if b.size:
            flat = b.reshape(-1)
            flat[::3] = np.nan
            flat[1::5] = np.inf
            flat[2::7] = -np.inf
            flat[4::6] = 0.0
        cases.append(b)
        cases.append(np.zeros(shape, np.float32))
    cases += [np.array([1e8, 1.0], np.float32), np.array([1e-4, 1.0], np.float32),
              np.array([999.0, 1.0], np.float32), np.array([1000.5, 1.0]), np.array([-0.0, 1.0], np.float32),
              np.array([np.nan, np.nan], np.float32), np.zeros((0, 3), np.int64), np.zeros((2, 0), np.float64),
              np.array(1e-7, np.float32), np.array(2 ** 40, np.int64), np.array([1e20, -3.0])]
    return cases


def test_oracle_repr_matches_torch():
    torch = pytest.importorskip("torch")
    mismatches = []
    for a in _cases():
        a = np.array(a)
        want = repr(torch.from_numpy(np.array(a)))
        got = repr(tg.tensor(a))
        if want != got:
            mismatches.append((a.dtype, a.shape, want, got))
    assert not mismatches, mismatches[:3]


@pytest.mark.parametrize("opts", [
    dict(precision=2), dict(precision=8), dict(sci_mode=False), dict(sci_mode=True), dict(threshold=10),
    dict(edgeitems=1, threshold=20), dict(linewidth=40), dict(linewidth=200), dict(profile="short"),
    dict(profile="full"), dict(edgeitems=0),
])
def test_oracle_printoptions(opts):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal((6, 9)).astype(np.float32) * 50, rng.standard_normal(30) * 1e-6,
              rng.integers(-9, 9, (4, 5, 6)), (rng.standard_normal((40, 40)) * 3).astype(np.float32),
              np.arange(1200, dtype=np.float32)]
    torch.set_printoptions(**opts)
    tg.set_printoptions(**opts)
    for a in arrays:
        assert repr(tg.tensor(a)) == repr(torch.from_numpy(np.array(a)))


def test_oracle_suffixes_and_requires_grad():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    for shape in [(3,), (2, 30), (50, 50), ()]:
        a = rng.standard_normal(shape).astype(np.float32)
        for dt_t, dt_g in [(torch.float32, tg.float32), (torch.float64, tg.float64)]:
            want = repr(torch.tensor(a, dtype=dt_t, requires_grad=True))
            got = repr(tg.tensor(a, dtype=dt_g, requires_grad=True))
            assert got == want


def test_oracle_default_dtype_float64():
    torch = pytest.importorskip("torch")
    old_t, old_g = torch.get_default_dtype(), tg.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    tg.set_default_dtype(tg.float64)
    try:
        for vals in ([1.5, 2.0], [1, 2], [1 + 1j]):
            assert repr(tg.tensor(vals)) == repr(torch.tensor(vals))
        assert repr(tg.tensor([1.5], dtype=tg.float32)) == repr(torch.tensor([1.5], dtype=torch.float32))
        assert repr(tg.zeros(0)) == repr(torch.zeros(0))
    finally:
        torch.set_default_dtype(old_t)
        tg.set_default_dtype(old_g)


def test_oracle_wide_and_large_ints():
    torch = pytest.importorskip("torch")
    arrays = [np.arange(-50, 50, dtype=np.int64) * 10 ** 12, np.array([2 ** 62, -3], dtype=np.int64),
              np.arange(200, dtype=np.int16).reshape(4, 50), np.linspace(-1e9, 1e9, 90).astype(np.float32),
              np.full((3, 3), -0.0), np.array([[1e-30, 1e30]]), np.arange(2 * 3 * 200, dtype=np.uint8).reshape(2, 3, 200)]
    for a in arrays:
        assert repr(tg.tensor(a)) == repr(torch.from_numpy(a.copy()))


def test_str_is_repr_and_tensor_contents():
    x = tg.tensor([1.0, 2.0])
    assert str(x) == repr(x)
    assert x.__repr__(tensor_contents="[...]") == "tensor([...])"


def test_oracle_random_fuzz_with_options():
    """Random shapes, dtypes, magnitudes, specials and print options: repr must equal PyTorch's."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    dts = [np.float32, np.float64, np.float16, np.int64, np.int32, np.int8, np.uint8, np.bool_, np.complex64,
           np.complex128, np.int16]
    mismatches = []
    for _ in range(400):
        nd = int(rng.integers(0, 4))
        shape = tuple(int(x) for x in rng.integers(0, 9 if nd < 3 else 5, nd))
        if rng.random() < 0.1:
            shape = (int(rng.integers(900, 1300)),)
        dt = dts[int(rng.integers(len(dts)))]
        a = rng.standard_normal(shape) * 10.0 ** rng.integers(-8, 12)
        if rng.random() < 0.3:
            a = np.round(a)
        if dt in (np.complex64, np.complex128):
            a = a + 1j * rng.standard_normal(shape) * 10.0 ** rng.integers(-6, 6)
        if rng.random() < 0.2 and a.size:
            a.reshape(-1)[rng.integers(0, a.size)] = rng.choice([np.nan, np.inf, -np.inf, 0.0])
        with np.errstate(all="ignore"):
            if np.dtype(dt).kind in "iu":
                info = np.iinfo(dt)
                a = np.clip(np.nan_to_num(a), info.min, info.max)
            a = np.array(a).astype(dt)
        opts = None
        if rng.random() < 0.4:
            opts = dict(precision=int(rng.integers(1, 9)), linewidth=int(rng.integers(30, 150)),
                        sci_mode=[None, True, False][int(rng.integers(3))],
                        threshold=int(rng.choice([1000, 20, 100])), edgeitems=int(rng.integers(1, 4)))
            torch.set_printoptions(**opts)
            tg.set_printoptions(**opts)
        rg = dt in (np.float32, np.float64) and rng.random() < 0.3
        want, got = repr(torch.tensor(a, requires_grad=rg)), repr(tg.tensor(a, requires_grad=rg))
        if want != got:
            mismatches.append((a.dtype, a.shape, opts, want, got))
        if opts:
            torch.set_printoptions(profile="default")
            tg.set_printoptions(profile="default")
    assert not mismatches, mismatches[:2]
