"""Complex views/ops, ``tensorgraft.fft`` and the window functions against NumPy references."""
import math

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.testing.oracle import to_numpy

RNG = np.random.default_rng(3)
Z = (RNG.standard_normal((3, 4)) + 1j * RNG.standard_normal((3, 4))).astype(np.complex64)
X = RNG.standard_normal((3, 6)).astype(np.float32)


def test_real_imag_are_writable_views():
    z = tg.tensor(Z.copy())
    r, i = z.real, z.imag
    assert r.dtype is tg.float32 and i.dtype is tg.float32
    np.testing.assert_array_equal(to_numpy(r), Z.real)
    np.testing.assert_array_equal(to_numpy(i), Z.imag)
    r[0, 0] = 5.0
    z.imag = tg.zeros(3, 4)
    assert to_numpy(z)[0, 0] == 5.0 and np.all(to_numpy(z).imag == 0)
    z.real = 1.5
    assert np.all(to_numpy(z).real == 1.5)
    np.testing.assert_array_equal(to_numpy(tg.real(z)), to_numpy(z.real))


def test_real_of_real_tensor_is_itself_and_imag_raises():
    x = tg.tensor(X)
    assert x.real is x and tg.real(x) is x
    with pytest.raises(RuntimeError, match="imag is not implemented for tensors with non-complex dtypes."):
        x.imag  # noqa: B018


def test_view_as_real_complex_roundtrip_shares_memory():
    z = tg.tensor(Z.copy())
    v = tg.view_as_real(z)
    assert v.shape == (3, 4, 2) and v.dtype is tg.float32
    v[1, 2, 1] = 9.0
    assert to_numpy(z)[1, 2].imag == 9.0
    back = tg.view_as_complex(v)
    np.testing.assert_array_equal(to_numpy(back), to_numpy(z))
    np.testing.assert_array_equal(to_numpy(tg.view_as_real(tg.tensor(Z).t())), np.stack([Z.T.real, Z.T.imag], -1))


@pytest.mark.parametrize("fn, msg", [
    (lambda: tg.view_as_real(tg.ones(2)), "view_as_real is only supported for complex tensors"),
    (lambda: tg.view_as_complex(tg.ones(3, 3)), "Tensor must have a last dimension of size 2"),
    (lambda: tg.view_as_complex(tg.ones(3, 2).t()), "Tensor must have a last dimension of size 2"),
    (lambda: tg.view_as_complex(tg.ones(2, 3)[:, :2]), "Tensor must have a stride divisible by 2"),
    (lambda: tg.view_as_complex(tg.ones(3, 2, dtype=tg.int64)), "only supported for half, float and double"),
    (lambda: tg.complex(tg.arange(2), tg.arange(2)), "Expected both inputs to be Half, Float or Double"),
    (lambda: tg.sign(tg.tensor([1j])), "torch.sgn instead"),
])
def test_complex_errors(fn, msg):
    with pytest.raises((RuntimeError, NotImplementedError), match=msg):
        fn()


def test_conj_angle_sgn_complex_polar():
    z = tg.tensor(Z)
    np.testing.assert_array_equal(to_numpy(z.conj()), np.conj(Z))
    np.testing.assert_array_equal(to_numpy(tg.conj_physical(z)), np.conj(Z))
    assert not z.conj().is_conj() and z.resolve_conj() is z and z.resolve_neg() is z
    x = tg.tensor(X)
    assert x.conj() is x
    np.testing.assert_allclose(to_numpy(z.angle()), np.angle(Z), rtol=1e-6)
    np.testing.assert_array_equal(to_numpy(tg.angle(tg.tensor([-1, 0, 2]))), np.array([math.pi, 0, 0], np.float32))
    np.testing.assert_allclose(to_numpy(z.sgn()), Z / np.abs(Z), rtol=1e-6)
    assert to_numpy(tg.tensor([0j]).sgn())[0] == 0
    c = tg.complex(tg.tensor(X), tg.tensor(X * 2))
    assert c.dtype is tg.complex64
    np.testing.assert_array_equal(to_numpy(c), X + 2j * X)
    inf = tg.complex(tg.tensor([math.inf]), tg.tensor([1.0]))
    assert to_numpy(inf)[0].real == math.inf and to_numpy(inf)[0].imag == 1.0
    p = tg.polar(tg.tensor(np.abs(X), dtype=tg.float64), tg.tensor(X, dtype=tg.float64))
    np.testing.assert_allclose(to_numpy(p), np.abs(X) * np.exp(1j * X.astype(np.float64)))


FFT_CASES = [
    ("fft", lambda m, x: m.fft(x), lambda x: np.fft.fft(x)),
    ("fft_n_pad", lambda m, x: m.fft(x, n=8, dim=0), lambda x: np.fft.fft(x, n=8, axis=0)),
    ("fft_n_trim_ortho", lambda m, x: m.fft(x, n=3, norm="ortho"), lambda x: np.fft.fft(x, n=3, norm="ortho")),
    ("ifft_forward", lambda m, x: m.ifft(x, norm="forward"), lambda x: np.fft.ifft(x, norm="forward")),
    ("fft2", lambda m, x: m.fft2(x), lambda x: np.fft.fft2(x)),
    ("ifft2_s", lambda m, x: m.ifft2(x, s=(4, 5)), lambda x: np.fft.ifft2(x, s=(4, 5))),
    ("fftn", lambda m, x: m.fftn(x, dim=(0,)), lambda x: np.fft.fftn(x, axes=(0,))),
    ("ifftn", lambda m, x: m.ifftn(x), lambda x: np.fft.ifftn(x)),
    ("rfft", lambda m, x: m.rfft(x.real), lambda x: np.fft.rfft(x.real)),
    ("rfft_n", lambda m, x: m.rfft(x.real, n=5, dim=0), lambda x: np.fft.rfft(x.real, n=5, axis=0)),
    ("irfft", lambda m, x: m.irfft(x), lambda x: np.fft.irfft(x)),
    ("irfft_n_ortho", lambda m, x: m.irfft(x, n=7, norm="ortho"), lambda x: np.fft.irfft(x, n=7, norm="ortho")),
    ("rfft2", lambda m, x: m.rfft2(x.real), lambda x: np.fft.rfft2(x.real)),
    ("irfft2", lambda m, x: m.irfft2(x), lambda x: np.fft.irfft2(x)),
    ("rfftn", lambda m, x: m.rfftn(x.real, s=(2, 6)), lambda x: np.fft.rfftn(x.real, s=(2, 6), axes=(0, 1))),
    ("irfftn", lambda m, x: m.irfftn(x, s=(3, 5)), lambda x: np.fft.irfftn(x, s=(3, 5), axes=(0, 1))),
    ("hfft", lambda m, x: m.hfft(x), lambda x: np.fft.hfft(x)),
    ("hfft_n_forward", lambda m, x: m.hfft(x, n=5, norm="forward"), lambda x: np.fft.hfft(x, n=5, norm="forward")),
    ("ihfft", lambda m, x: m.ihfft(x.real), lambda x: np.fft.ihfft(x.real)),
    ("fftshift", lambda m, x: m.fftshift(x), lambda x: np.fft.fftshift(x)),
    ("ifftshift_dim", lambda m, x: m.ifftshift(x, dim=1), lambda x: np.fft.ifftshift(x, axes=1)),
]


@pytest.mark.parametrize("name, fn, ref", FFT_CASES, ids=[c[0] for c in FFT_CASES])
def test_fft_matches_numpy(name, fn, ref, tg_device):
    z = Z.astype(np.complex128)
    got = fn(tg.fft, tg.tensor(z, device=tg_device))
    assert got.device.type == tg.device(tg_device).type
    np.testing.assert_allclose(to_numpy(got), ref(z), rtol=1e-10, atol=1e-12)


def test_fft_dtypes():
    assert tg.fft.fft(tg.tensor(X)).dtype is tg.complex64
    assert tg.fft.fft(tg.arange(4)).dtype is tg.complex64
    assert tg.fft.rfft(tg.arange(4)).dtype is tg.complex64
    assert tg.fft.irfft(tg.arange(4)).dtype is tg.float32
    assert tg.fft.fft(tg.tensor(X, dtype=tg.float64)).dtype is tg.complex128
    assert tg.fft.irfft(tg.tensor(Z)).dtype is tg.float32
    assert tg.fft.ifft(tg.tensor(Z)).dtype is tg.complex64


@pytest.mark.parametrize("fn, exc, msg", [
    (lambda: tg.fft.fft(tg.ones(4), norm="bad"), RuntimeError, 'Invalid normalization mode: "bad"'),
    (lambda: tg.fft.fft(tg.ones(4), n=0), RuntimeError, r"Invalid number of data points \(0\) specified"),
    (lambda: tg.fft.fft(tg.ones(4), dim=3), IndexError, "Dimension out of range"),
    (lambda: tg.fft.fftn(tg.ones(4), s=(2, 3)), RuntimeError, "Got shape with 2 values but input tensor only has 1"),
    (lambda: tg.fft.rfft(tg.tensor(Z)), RuntimeError, "rfft expects a real input tensor, but got ComplexFloat"),
    (lambda: tg.fft.fft(tg.ones(4, dtype=tg.float16)), RuntimeError, "Unsupported dtype Half"),
])
def test_fft_errors(fn, exc, msg):
    with pytest.raises(exc, match=msg):
        fn()


def test_fftfreq(tg_device):
    f = tg.fft.fftfreq(5, device=tg_device)
    assert f.dtype is tg.float32 and f.device.type == tg.device(tg_device).type
    np.testing.assert_allclose(to_numpy(f), np.fft.fftfreq(5), rtol=1e-6)
    np.testing.assert_allclose(to_numpy(tg.fft.rfftfreq(6, d=0.5, dtype=tg.float64)), np.fft.rfftfreq(6, 0.5))


def _periodic(fn, n, periodic):
    return fn(n + 1)[:-1] if periodic else fn(n)


@pytest.mark.parametrize("periodic", [True, False])
def test_windows_match_numpy(periodic, tg_device):
    for n in (1, 2, 5, 8):
        kw = dict(periodic=periodic, dtype=tg.float64, device=tg_device)
        for name, ref in [("hann_window", np.hanning), ("hamming_window", np.hamming),
                          ("blackman_window", np.blackman), ("bartlett_window", np.bartlett),
                          ("kaiser_window", lambda m: np.kaiser(m, 12.0))]:
            w = getattr(tg, name)(n, **kw)
            assert w.device.type == tg.device(tg_device).type
            want = np.ones(1) if n == 1 else _periodic(ref, n, periodic)
            np.testing.assert_allclose(to_numpy(w), want, atol=1e-12, err_msg=name)
    assert tg.hann_window(0).shape == (0,) and tg.hann_window(4).dtype is tg.float32


def test_windows_follow_default_device_and_errors():
    with pytest.raises(RuntimeError, match="hann_window expects floating point dtypes, got: TensorOptions"):
        tg.hann_window(4, dtype=tg.int64)
    with pytest.raises(RuntimeError, match="requires non-negative window_length, got window_length=-1"):
        tg.kaiser_window(-1)
    tg.set_default_device("cpu")
    try:
        assert tg.hamming_window(3).device.type == "cpu"
    finally:
        tg.set_default_device(None)


def test_fft_is_lazy_attribute():
    import tensorgraft.fft as m
    assert tg.fft is m
