"""Complex autograd (PyTorch's conjugate-Wirtinger convention) and the FFT gradients, checked by
finite differences: a function of complex tensors is checked as a real function of their
``view_as_real`` pairs (which is what PyTorch's gradcheck does for complex inputs)."""
import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(5)


def _c(*shape):
    return tg.tensor(RNG.standard_normal(shape + (2,)), dtype=tg.float64, requires_grad=True)


def _r(*shape):
    return tg.tensor(RNG.standard_normal(shape), dtype=tg.float64, requires_grad=True)


def _realify(fn):
    """inputs: real tensors; those with a trailing 2 marked complex become complex; outputs back to real."""
    def wrapped(*xs):
        out = fn(*[tg.view_as_complex(x) if x.ndim and x.shape[-1] == 2 else x for x in xs])
        return tg.view_as_real(out) if out.is_complex() else out
    return wrapped


CASES = [
    ("abs", lambda z: z.abs(), [_c(4)]),
    ("sgn", lambda z: z.sgn(), [_c(4)]),
    ("angle", lambda z: z.angle(), [_c(4)]),
    ("conj", lambda z: z.conj() * z.conj(), [_c(4)]),
    ("conj_physical", lambda z: z.conj_physical().exp(), [_c(3)]),
    ("real_imag", lambda z: z.real * z.imag ** 2, [_c(4)]),
    ("mul_div", lambda z, w: z * w / (w + 3), [_c(3), _c(3)]),
    ("holomorphic", lambda z: z.exp() + z.log() + z.sqrt() + z.sin() * z.cos() + z.tanh() + z ** 3, [_c(3)]),
    ("real_times_complex", lambda x, z: x * z + x / z, [_r(3, 1), _c(3)]),
    ("sum_mean", lambda z: z.sum(0) * z.mean(0), [_c(2, 3)]),
    ("complex", lambda a, b: tg.complex(a, b) ** 2, [_r(3), _r(3)]),
    ("polar", lambda a, b: tg.polar(a.abs() + 0.5, b) ** 2, [_r(3), _r(3)]),
    ("fft", lambda z: tg.fft.fft(z), [_c(5)]),
    ("fft_n_ortho", lambda z: tg.fft.fft(z, n=7, norm="ortho"), [_c(5)]),
    ("ifft_real", lambda x: tg.fft.ifft(x, norm="forward"), [_r(5)]),
    ("fft_real", lambda x: tg.fft.fft(x, n=4), [_r(5)]),
    ("fft2", lambda z: tg.fft.fft2(z), [_c(2, 3)]),
    ("ifftn", lambda z: tg.fft.ifftn(z, s=(3, 2)), [_c(2, 3)]),
    ("rfft_even", lambda x: tg.fft.rfft(x), [_r(6)]),
    ("rfft_odd", lambda x: tg.fft.rfft(x, norm="ortho"), [_r(5)]),
    ("rfft2", lambda x: tg.fft.rfft2(x, norm="forward"), [_r(3, 4)]),
    ("ihfft", lambda x: tg.fft.ihfft(x), [_r(5)]),
    ("fftshift", lambda z: tg.fft.fftshift(z) * tg.fft.ifftshift(z), [_c(5)]),
]


@pytest.mark.parametrize("name, fn, inputs", CASES, ids=[c[0] for c in CASES])
def test_gradcheck_complex(name, fn, inputs):
    assert gradcheck(_realify(fn), inputs)


@pytest.mark.parametrize("name", ["abs", "mul_div", "fft", "rfft_even", "real_imag"])
def test_gradgradcheck_complex(name):
    _, fn, inputs = next(c for c in CASES if c[0] == name)
    assert gradgradcheck(_realify(fn), inputs)


def _hermitian_half(n_out):
    """The half spectrum of a real signal: irfft/hfft are only differentiable on these (as in PyTorch)."""
    x = RNG.standard_normal(n_out)
    return tg.view_as_real(tg.fft.rfft(tg.tensor(x))).detach().requires_grad_(True)


@pytest.mark.parametrize("n", [6, 7])
def test_irfft_hfft_gradients_on_hermitian_input(n):
    # the Jacobian of c2r w.r.t. a Hermitian input's free parameters: compare gradients of
    # irfft(rfft(x)) == x in x, which routes through both one-sided gradients
    x = _r(n)
    assert gradcheck(lambda x: tg.fft.irfft(tg.fft.rfft(x), n=n) * 2, [x])
    assert gradcheck(lambda x: tg.fft.hfft(tg.fft.ihfft(x), n=n, norm="ortho"), [x])
    assert gradcheck(lambda x: tg.fft.irfftn(tg.fft.rfftn(x.reshape(2, -1) if n % 2 == 0 else x.reshape(1, -1))), [x])


def test_grad_fn_names():
    z = tg.view_as_complex(_c(4))
    x = _r(4)
    names = {
        "FftC2CBackward0": tg.fft.fft(z), "FftR2CBackward0": tg.fft.rfft(x), "FftC2RBackward0": tg.fft.irfft(z),
        "ViewAsRealBackward0": tg.view_as_real(z), "ConjBackward0": z.conj(), "AngleBackward0": z.angle(),
        "ConjPhysicalBackward0": z.conj_physical(), "SelectBackward0": z.real, "SgnBackward0": z.sgn(),
        "AbsBackward0": z.abs(), "ComplexBackward0": tg.complex(x, x), "PolarBackward0": tg.polar(x, x),
        "RollBackward0": tg.fft.fftshift(x),
    }
    for want, t in names.items():
        assert type(t.grad_fn).__name__ == want
    assert type(tg.fft.fft(x).grad_fn).__name__ == "FftR2CBackward0"
    assert type(tg.fft.ihfft(x).grad_fn).__name__ == "ConjBackward0"
    assert type(z.grad_fn).__name__ == "ViewAsComplexBackward0"


def test_real_input_gets_real_grad_without_warning(recwarn):
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    (x * (1 + 1j)).abs().sum().backward()
    assert x.grad.dtype is tg.float32
    np.testing.assert_allclose(np.asarray(x.grad), [2 ** 0.5] * 2, rtol=1e-6)
    assert not [w for w in recwarn if "discards the imaginary part" in str(w.message)]
