"""Complex ops and ``fft`` against PyTorch (oracle): values, dtypes, grad_fn names, gradients and
error messages."""
import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.testing.oracle import assert_same_error, grad_fn_name, to_numpy

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(11)
Z = RNG.standard_normal((3, 4)) + 1j * RNG.standard_normal((3, 4))
W = RNG.standard_normal((3, 4)) + 1j * RNG.standard_normal((3, 4))
X = RNG.standard_normal((3, 5))


CASES = [
    ("abs", lambda m, z, w, x: z.abs()),
    ("sgn", lambda m, z, w, x: z.sgn()),
    ("angle", lambda m, z, w, x: z.angle()),
    ("angle_real", lambda m, z, w, x: x.angle()),
    ("conj", lambda m, z, w, x: z.conj() * w),
    ("real_imag", lambda m, z, w, x: z.real * w.imag),
    ("view_as_real", lambda m, z, w, x: m.view_as_real(z * w)),
    ("complex", lambda m, z, w, x: m.complex(x, x * 2)),
    ("polar", lambda m, z, w, x: m.polar(x.abs(), x)),
    ("mul_div", lambda m, z, w, x: z * w / (z + 2)),
    ("sum", lambda m, z, w, x: (z * w).sum(1)),
    ("fft", lambda m, z, w, x: m.fft.fft(z, n=6)),
    ("fft_real", lambda m, z, w, x: m.fft.fft(x, norm="ortho")),
    ("ifft_real", lambda m, z, w, x: m.fft.ifft(x)),
    ("fft2", lambda m, z, w, x: m.fft.fft2(z, norm="forward")),
    ("rfft", lambda m, z, w, x: m.fft.rfft(x)),
    ("rfft_n", lambda m, z, w, x: m.fft.rfft(x, n=8, dim=0)),
    ("irfft", lambda m, z, w, x: m.fft.irfft(z)),
    ("irfft_n", lambda m, z, w, x: m.fft.irfft(z, n=5, norm="ortho")),
    ("rfftn", lambda m, z, w, x: m.fft.rfftn(x)),
    ("irfftn", lambda m, z, w, x: m.fft.irfftn(z, s=(3, 6))),
    ("hfft", lambda m, z, w, x: m.fft.hfft(z)),
    ("ihfft", lambda m, z, w, x: m.fft.ihfft(x)),
    ("fftshift", lambda m, z, w, x: m.fft.fftshift(z)),
]


@pytest.mark.parametrize("name, fn", CASES, ids=[c[0] for c in CASES])
def test_against_torch(name, fn):
    res = []
    for m in (tg, torch):
        z, w = m.tensor(Z, requires_grad=True), m.tensor(W, requires_grad=True)
        x = m.tensor(X, requires_grad=True)
        y = fn(m, z, w, x)
        wt = m.tensor(np.linspace(0.5, 1.5, y.numel()).reshape(tuple(y.shape)), dtype=m.float64)
        loss = (m.view_as_real(y.resolve_conj()) * wt[..., None]).sum() if y.is_complex() else (y * wt).sum()
        loss.backward()
        res.append((y, [None if t.grad is None else to_numpy(t.grad) for t in (z, w, x)]))
    (a, ga), (b, gb) = res
    assert str(a.dtype) == str(b.dtype) and tuple(a.shape) == tuple(b.shape)
    assert grad_fn_name(a) == grad_fn_name(b)
    np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=1e-10, atol=1e-12)
    for p, q in zip(ga, gb):
        assert (p is None) == (q is None)
        if p is not None:
            np.testing.assert_allclose(p, q, rtol=1e-9, atol=1e-12)


def test_float32_dtypes():
    for f in ("fft", "rfft", "ihfft"):
        assert str(getattr(tg.fft, f)(tg.ones(4)).dtype) == str(getattr(torch.fft, f)(torch.ones(4)).dtype)
    assert str(tg.fft.irfft(tg.ones(4, dtype=tg.complex64)).dtype) == str(torch.fft.irfft(
        torch.ones(4, dtype=torch.complex64)).dtype)


@pytest.mark.parametrize("fn", [
    lambda m: m.fft.fft(m.ones(4), norm="bad"),
    lambda m: m.fft.fft(m.ones(4), n=0),
    lambda m: m.fft.fftn(m.ones(4), s=(2, 3)),
    lambda m: m.fft.rfft(m.ones(4, dtype=m.complex128)),
    lambda m: m.fft.ihfft(m.ones(4, dtype=m.complex128)),
    lambda m: m.ones(3).imag,
    lambda m: m.view_as_real(m.ones(2)),
    lambda m: m.view_as_complex(m.ones(3, 3)),
    lambda m: m.view_as_complex(m.ones(3, 2, dtype=m.int64)),
    lambda m: m.complex(m.arange(2), m.arange(2)),
    lambda m: m.complex(m.ones(2), m.ones(2, dtype=m.float64)),
    lambda m: m.sign(m.ones(2, dtype=m.complex64)),
    lambda m: m.hann_window(3, dtype=m.int64),
    lambda m: m.bartlett_window(-1),
])
def test_errors_match(fn):
    assert_same_error(fn)


@pytest.mark.parametrize("name", ["hann_window", "hamming_window", "blackman_window", "bartlett_window",
                                  "kaiser_window"])
@pytest.mark.parametrize("periodic", [True, False])
def test_windows(name, periodic):
    for n in (0, 1, 2, 7, 10):
        a = getattr(tg, name)(n, periodic, dtype=tg.float64)
        b = getattr(torch, name)(n, periodic, dtype=torch.float64)
        np.testing.assert_allclose(to_numpy(a), b.numpy(), atol=1e-12)
    assert str(getattr(tg, name)(4).dtype) == str(getattr(torch, name)(4).dtype)


def test_fftfreq():
    np.testing.assert_allclose(to_numpy(tg.fft.fftfreq(7, 0.3)), torch.fft.fftfreq(7, 0.3).numpy(), rtol=1e-6)
    np.testing.assert_allclose(to_numpy(tg.fft.rfftfreq(8)), torch.fft.rfftfreq(8).numpy(), rtol=1e-6)
