"""stft/istft and tensorgraft.signal.windows without PyTorch: the defining sums written out in
NumPy, round trips, gradients against finite differences, and the argument errors."""
import math
import warnings

import numpy as np
import pytest

import tensorgraft as tg


def _frames_reference(x, n_fft, hop, window, center, pad_mode, onesided, normalized):
    """X[f, t] = sum_k w[k] x[t*hop + k] e^{-2 pi i f k / n_fft}, one frame at a time."""
    if center:
        np_mode = {"reflect": "reflect", "constant": "constant", "replicate": "edge", "circular": "wrap"}[pad_mode]
        x = np.pad(x, n_fft // 2, mode=np_mode)
    n_frames = 1 + (len(x) - n_fft) // hop
    k = np.arange(n_fft)
    freqs = np.arange(n_fft // 2 + 1 if onesided else n_fft)
    basis = np.exp(-2j * np.pi * np.outer(freqs, k) / n_fft)
    out = np.stack([basis @ (window * x[t * hop:t * hop + n_fft]) for t in range(n_frames)], axis=1)
    return out / math.sqrt(n_fft) if normalized else out


def _padded(window, n_fft):
    left = (n_fft - len(window)) // 2
    return np.concatenate([np.zeros(left), window, np.zeros(n_fft - len(window) - left)])


@pytest.mark.parametrize("pad_mode", ["reflect", "constant", "replicate", "circular"])
@pytest.mark.parametrize("kw", [{}, {"hop_length": 3, "win_length": 5}, {"center": False}, {"normalized": True},
                                {"onesided": False}])
def test_stft_matches_the_defining_sum(pad_mode, kw, tg_device):
    rng = np.random.default_rng(5)
    x = rng.standard_normal(23)
    n_fft = 8
    win = kw.get("win_length", n_fft)
    w = rng.random(win) + 0.5
    got = tg.stft(tg.tensor(x, device=tg_device), n_fft, window=tg.tensor(w, device=tg_device), pad_mode=pad_mode,
                  return_complex=True, **kw)
    want = _frames_reference(x, n_fft, kw.get("hop_length", n_fft // 4), _padded(w, n_fft), kw.get("center", True),
                             pad_mode, kw.get("onesided", True), kw.get("normalized", False))
    assert got.dtype == tg.complex128 and got.device.type == tg_device.split(":")[0]
    np.testing.assert_allclose(got.cpu().numpy(), want, atol=1e-10)


def test_stft_batched_complex_and_real_view():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((3, 30)) + 1j * rng.standard_normal((3, 30))
    got = tg.stft(tg.tensor(x), 8, window=tg.ones(8, dtype=tg.float64))  # complex: return_complex defaults to True
    assert tuple(got.shape) == (3, 8, 16)
    for b in range(3):
        np.testing.assert_allclose(got[b].numpy(), _frames_reference(x[b], 8, 2, np.ones(8), True, "reflect", False,
                                                                     False), atol=1e-10)
    with pytest.warns(UserWarning, match="return_complex=False is deprecated"):
        real = tg.stft(tg.tensor(x.real, dtype=tg.float32), 8, window=tg.ones(8), return_complex=False)
    assert tuple(real.shape) == (3, 5, 16, 2) and real.dtype == tg.float32
    np.testing.assert_allclose(real[1, :, :, 1].numpy(), _frames_reference(
        x[1].real, 8, 2, np.ones(8), True, "reflect", True, False).imag, atol=1e-4)


def test_stft_align_to_window_starts_frames_at_the_window():
    rng = np.random.default_rng(7)
    x = rng.standard_normal(20)
    w = rng.random(4) + 0.5
    got = tg.stft(tg.tensor(x), 8, hop_length=2, win_length=4, window=tg.tensor(w), center=False,
                  return_complex=True, align_to_window=True).numpy()
    # frame t holds x[t*hop : t*hop + win_length] under the window, placed at the window's offset
    assert got.shape == (5, 9)
    for t in range(9):
        frame = np.zeros(8)
        frame[2:6] = w * x[t * 2:t * 2 + 4]
        np.testing.assert_allclose(got[:, t], np.fft.rfft(frame), atol=1e-10)


@pytest.mark.parametrize("kw", [{}, {"hop_length": 1, "win_length": 6}, {"center": False, "hop_length": 2},
                                {"normalized": True, "onesided": False}])
def test_istft_inverts_stft(kw, tg_device):
    rng = np.random.default_rng(8)
    x = tg.tensor(rng.standard_normal((2, 40)), device=tg_device)
    w = tg.hann_window(kw.get("win_length", 8), dtype=tg.float64, device=tg_device)
    if not kw.get("center", True):
        w = w + 0.1  # hann's zero end would break NOLA at the uncovered first sample
    spec = tg.stft(x, 8, window=w, return_complex=True, **kw)
    back = tg.istft(spec, 8, window=w, length=40 if kw.get("center", True) else None,
                    **{k: v for k, v in kw.items() if k != "pad_mode"})
    n = back.shape[-1]
    np.testing.assert_allclose(back.cpu().numpy(), x.cpu().numpy()[:, :n], atol=1e-10)


def test_istft_length_and_complex_output():
    rng = np.random.default_rng(9)
    x = tg.tensor(rng.standard_normal(24) + 1j * rng.standard_normal(24))
    w = tg.hann_window(8, dtype=tg.float64)
    spec = tg.stft(x, 8, window=w)
    back = tg.istft(spec, 8, window=w, return_complex=True)
    assert back.dtype == tg.complex128
    np.testing.assert_allclose(back.numpy(), x.numpy(), atol=1e-10)
    with pytest.warns(UserWarning, match="shorter than the length parameter"):
        longer = tg.istft(tg.stft(x.real, 8, window=w, return_complex=True), 8, window=w, length=30)
    # 13 frames cover 28 samples past the centering pad; the last 2 of the 30 are the zero tail
    np.testing.assert_allclose(longer.numpy()[:24], x.real.numpy(), atol=1e-10)
    np.testing.assert_allclose(longer.numpy()[28:], 0)
    assert tg.istft(tg.stft(x.real, 8, window=w, return_complex=True), 8, window=w, length=10).shape == (10,)


def test_stft_istft_gradients_match_finite_differences():
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
    rng = np.random.default_rng(10)
    x = tg.tensor(rng.standard_normal((2, 18)), requires_grad=True)
    w = tg.tensor(rng.random(6) + 0.5, requires_grad=True)
    assert tg.autograd.gradcheck(lambda x, w: tg.view_as_real(tg.stft(x, 8, 3, 6, w, return_complex=True)), (x, w))
    with pytest.warns(UserWarning, match="return_complex=False is deprecated"):
        assert tg.autograd.gradgradcheck(lambda x, w: tg.stft(x, 8, window=w[:4].repeat(2), return_complex=False,
                                                              pad_mode="replicate"), (x, w))
    # the spectrum enters as its real view: finite differences perturb real numbers
    spec = tg.view_as_real(tg.stft(x, 8, 3, 6, w, return_complex=True)).detach().requires_grad_()
    assert tg.autograd.gradcheck(lambda s, w: tg.istft(tg.view_as_complex(s), 8, 3, 6, w, length=20), (spec, w))


def test_stft_istft_gradcheck_with_complex_inputs():
    """The same checks with the spectrum (and a complex signal) entering as complex tensors: gradcheck
    steps their real and imaginary parts separately and compares both halves of the gradient."""
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
    rng = np.random.default_rng(12)
    x = tg.tensor(rng.standard_normal(18), requires_grad=True)
    w = tg.tensor(rng.random(6) + 0.5, requires_grad=True)
    spec = tg.stft(x, 8, 3, 6, w, return_complex=True).detach().requires_grad_()
    assert spec.dtype == tg.complex128
    assert tg.autograd.gradcheck(lambda s, w: tg.istft(s, 8, 3, 6, w, length=20), (spec, w))
    assert tg.autograd.gradgradcheck(lambda s: tg.istft(s, 8, 3, 6, w.detach(), length=20), (spec,))
    # a complex signal: a two-sided spectrum, complex in and complex out
    z = tg.tensor(rng.standard_normal(14) + 1j * rng.standard_normal(14), requires_grad=True)
    assert tg.autograd.gradcheck(lambda z, w: tg.stft(z, 8, 3, 6, w, return_complex=True), (z, w))
    assert tg.autograd.gradcheck(lambda s: tg.istft(s, 8, 3, 6, w.detach(), onesided=False, return_complex=True),
                                 (tg.stft(z, 8, 3, 6, w, return_complex=True).detach().requires_grad_(),))


def test_grad_fn_names():
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
    x = tg.randn(20, requires_grad=True)
    w = tg.hann_window(8)
    assert type(tg.stft(x, 8, window=w, return_complex=True).grad_fn).__name__ == "SqueezeBackward4"
    assert type(tg.stft(x.reshape(2, 10), 4, window=w[:4], return_complex=True).grad_fn).__name__ == \
        "TransposeBackward1"
    spec = tg.stft(x, 8, window=w, return_complex=True)
    assert type(tg.istft(spec, 8, window=w).grad_fn).__name__ == "SqueezeBackward1"
    assert type(tg.istft(spec.unsqueeze(0), 8, window=w).grad_fn).__name__ == "DivBackward0"


def test_methods_and_no_window_warnings():
    x = tg.randn(16)
    with pytest.warns(UserWarning, match="A window was not provided"):
        spec = x.stft(8, return_complex=True)
    with pytest.warns(UserWarning, match="A window was not provided"):
        back = spec.istft(8)
    np.testing.assert_allclose(back.numpy(), x.numpy(), atol=1e-5)


def test_stft_errors():
    x = tg.randn(20)
    w = tg.ones(8)
    with pytest.raises(RuntimeError, match="stft requires the return_complex parameter be given for real inputs"):
        tg.stft(x, 8, window=w)
    with pytest.raises(RuntimeError, match=r"expected 0 < n_fft < 20, but got n_fft=30"):
        tg.stft(x, 30, window=tg.ones(30), center=False, return_complex=True)
    with pytest.raises(RuntimeError, match="expected hop_length > 0, but got hop_length=0"):
        tg.stft(x, 8, 0, window=w, return_complex=True)
    with pytest.raises(RuntimeError, match="expected 0 < win_length <= n_fft, but got win_length=9"), \
            pytest.warns(UserWarning, match="A window was not provided"):
        tg.stft(x, 8, win_length=9, return_complex=True)
    with pytest.raises(RuntimeError, match=r"expected a 1D window tensor of size equal to win_length=8, but got "
                                           r"window with size \[7\]"):
        tg.stft(x, 8, window=tg.ones(7), return_complex=True)
    with pytest.raises(NotImplementedError, match="Unrecognised padding mode foo"):
        tg.stft(x, 8, window=w, pad_mode="foo", return_complex=True)
    with pytest.raises(RuntimeError, match="expected a 1D or 2D tensor"):
        tg.stft(tg.randn(2, 2, 20), 8, window=w, return_complex=True)
    with pytest.raises(RuntimeError, match="Cannot have onesided output if window or input is complex"):
        tg.stft(x.to(tg.complex64), 8, window=w, onesided=True)
    with pytest.raises(RuntimeError, match="align_to_window should only be set when center = false"):
        tg.stft(x, 8, window=w, return_complex=True, align_to_window=True)
    with pytest.raises(RuntimeError, match="Padding size should be less than the corresponding input dimension"):
        tg.stft(tg.randn(3), 8, window=w, return_complex=True)
    with pytest.raises(RuntimeError, match="Padding value causes wrapping around more than once."):
        tg.stft(tg.randn(3), 8, window=w, return_complex=True, pad_mode="circular")


def test_istft_errors():
    w = tg.hann_window(8)
    spec = tg.stft(tg.randn(20), 8, window=w, return_complex=True)
    with pytest.raises(RuntimeError, match="istft requires a complex-valued input tensor"):
        tg.istft(spec.real, 8, window=w)
    with pytest.raises(RuntimeError, match="window overlap add min: 1"):
        tg.istft(spec, 8, window=w, center=False)
    with pytest.raises(RuntimeError, match="expected 0 < hop_length <= win_length"):
        tg.istft(spec, 8, hop_length=9, window=w)
    with pytest.raises(RuntimeError, match="match n_fft / 2 \\+ 1 when onesided=True, but got 5"):
        tg.istft(spec, 7, window=w[:7])
    with pytest.raises(RuntimeError, match="match n_fft when onesided=False, but got 5"):
        tg.istft(spec, 8, window=w, onesided=False)
    with pytest.raises(RuntimeError, match="Invalid window shape"):
        tg.istft(spec, 8, window=tg.ones(7))
    with pytest.raises(RuntimeError, match="Cannot have onesided output"):
        tg.istft(spec, 8, window=w, return_complex=True)
    with pytest.raises(RuntimeError, match="expected a tensor with 3 or 4 dimensions, but got 5"):
        tg.istft(spec[None, None], 8, window=w)


# --------------------------------------------------------------------------- windows
W = tg.signal.windows


def _cosine_sum(M, coeffs, sym):
    N = M if sym else M + 1
    n = np.arange(N)
    w = sum((-1) ** k * c * np.cos(2 * np.pi * k * n / (N - 1)) for k, c in enumerate(coeffs))
    return w[:M]


@pytest.mark.parametrize("sym", [True, False])
@pytest.mark.parametrize("M", [2, 5, 8])
def test_windows_follow_their_formulas(M, sym, tg_device):
    N = M if sym else M + 1
    n = np.arange(N)
    mid = (N - 1) / 2
    want = {
        "hann": _cosine_sum(M, (0.5, 0.5), sym),
        "hamming": _cosine_sum(M, (0.54, 0.46), sym),
        "blackman": _cosine_sum(M, (0.42, 0.5, 0.08), sym),
        "nuttall": _cosine_sum(M, (0.3635819, 0.4891775, 0.1365995, 0.0106411), sym),
        "bartlett": (1 - np.abs(2 * n / (N - 1) - 1))[:M],
        "cosine": np.sin(np.pi * (n + 0.5) / N)[:M],
        "gaussian": np.exp(-0.5 * ((n - mid) / 1.0) ** 2)[:M],
        "exponential": np.exp(-np.abs(n - mid))[:M],
        "kaiser": (np.i0(12.0 * np.sqrt(np.clip(1 - ((n - mid) / mid) ** 2, 0, None))) / np.i0(12.0))[:M],
    }
    for name, values in want.items():
        got = getattr(W, name)(M, sym=sym, dtype=tg.float64, device=tg_device)
        assert got.dtype == tg.float64 and got.shape == (M,)
        np.testing.assert_allclose(got.cpu().numpy(), values, atol=1e-12, err_msg=name)
    np.testing.assert_allclose(W.general_cosine(M, a=[0.3, 0.7], sym=sym).numpy(), _cosine_sum(M, (0.3, 0.7), sym),
                               atol=1e-6)
    np.testing.assert_allclose(W.general_hamming(M, alpha=0.6, sym=sym).numpy(), _cosine_sum(M, (0.6, 0.4), sym),
                               atol=1e-6)


def test_window_parameters_and_small_lengths():
    np.testing.assert_allclose(W.gaussian(7, std=2.0).numpy(), np.exp(-0.5 * ((np.arange(7) - 3) / 2) ** 2), atol=1e-6)
    np.testing.assert_allclose(W.exponential(6, center=1.0, tau=2.0, sym=False).numpy(),
                               np.exp(-np.abs(np.arange(6) - 1.0) / 2), atol=1e-6)
    np.testing.assert_allclose(W.kaiser(5, beta=0.0).numpy(), np.ones(5), atol=1e-6)
    for name in W.__all__:
        kw = {"a": [0.5, 0.5]} if name == "general_cosine" else {}
        assert getattr(W, name)(0, **kw).shape == (0,)
        np.testing.assert_allclose(getattr(W, name)(1, sym=False, **kw).numpy(), [1.0])
        assert getattr(W, name)(4, **kw).dtype == tg.get_default_dtype()


def test_window_requires_grad_records_the_computation():
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
    w = W.hann(5, requires_grad=True)
    assert w.requires_grad and type(w.grad_fn).__name__ == "SumBackward1"
    assert type(W.gaussian(5, requires_grad=True).grad_fn).__name__ == "ExpBackward0"
    assert type(W.bartlett(5, requires_grad=True).grad_fn).__name__ == "RsubBackward1"
    assert W.hann(1, requires_grad=True).grad_fn is None


def test_window_errors():
    with pytest.raises(ValueError, match="general_cosine requires non-negative window length, got M=-1"):
        W.hann(-1)
    with pytest.raises(ValueError, match="kaiser requires non-negative window length, got M=-1"):
        W.kaiser(-1)
    with pytest.raises(ValueError, match="bartlett expects float32 or float64 dtypes, got: torch.int64"):
        W.bartlett(5, dtype=tg.int64)
    with pytest.raises(ValueError, match="Standard deviation must be positive, got: 0 instead."):
        W.gaussian(5, std=0)
    with pytest.raises(ValueError, match="Tau must be positive, got: -1 instead."):
        W.exponential(5, tau=-1)
    with pytest.raises(ValueError, match="Center must be None for symmetric windows"):
        W.exponential(5, center=1.0)
    with pytest.raises(ValueError, match="beta must be non-negative, got: -1 instead."):
        W.kaiser(5, beta=-1)
    with pytest.raises(TypeError, match="Coefficients must be a list/tuple"):
        W.general_cosine(5, a=0.5)
    with pytest.raises(ValueError, match="Coefficients cannot be empty"):
        W.general_cosine(5, a=[])
    with pytest.raises(TypeError, match="missing 1 required keyword-only argument: 'a'"):
        W.general_cosine(5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert W.hann(4, layout=None).shape == (4,)
