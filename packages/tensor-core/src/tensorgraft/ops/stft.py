"""Short-time Fourier transform: ``torch.stft`` and its inverse ``torch.istft``.

Both are composites, as in PyTorch: framing is a strided view (``unfold``), the spectra come from
``tensorgraft.fft`` and the inverse's overlap-add is one ``index_add`` over every (frame, sample)
position at once, so there is no Python loop per frame and gradients (to the signal and to the
window) come from the ops used. The last op is the one PyTorch ends with too (``squeeze_`` /
``transpose_`` / ``view_as_real`` for stft, ``squeeze`` or the envelope division for istft), so the
output's ``grad_fn`` name matches.

The argument errors quote PyTorch's messages, including the call summary PyTorch prefixes them with.
"""
from __future__ import annotations

import warnings

from ..tensor import Tensor
from . import _frontend as F
from ._define import defop
from tensorgraft.dtypes import np_kind as _np_kind

_PAD_MODES = ("constant", "reflect", "replicate", "circular")
# the smallest window overlap-add value istft still divides by (PyTorch's NOLA threshold)
_NOLA_EPS = 1e-11

_NO_WINDOW_STFT = ("A window was not provided. A rectangular window will be applied,which is known to cause spectral "
                   "leakage. Other windows such as torch.hann_window or torch.hamming_window are recommended to "
                   "reduce spectral leakage.To suppress this warning and use a rectangular window, explicitly set "
                   "`window=torch.ones(n_fft, device=<device>)`.")
_NO_WINDOW_ISTFT = ("A window was not provided. A rectangular window will be applied.Please provide the same window "
                    "used by stft to make the inversion lossless.To suppress this warning and use a rectangular "
                    "window, explicitly set `window=torch.ones(n_fft, device=<device>)`.")
_REAL_OUTPUT_DEPRECATED = ("stft with return_complex=False is deprecated. In a future pytorch release, stft will return "
                           "complex tensors for all inputs, and return_complex=False will raise an error.\nNote: you "
                           "can still call torch.view_as_real on the complex output to recover the old return format.")


def _tg():
    import tensorgraft
    return tensorgraft


def _flag(value):
    """How PyTorch's call summaries print an optional bool: None, 0 or 1."""
    return "None" if value is None else str(int(bool(value)))


def _type_string(x):
    """How PyTorch's call summaries name a tensor's type: the legacy name (``torch.FloatTensor``)
    for real dtypes, which have one, else the backend type (``CPUComplexFloatType``)."""
    if not x.is_complex():
        return x.type()
    prefix = "CPU" if x._device.type == "cpu" else x._device.type.upper()
    return f"{prefix}{F._type_name(x._data.dtype)}Type"


def _window_summary(window):
    if window is None:
        return "None"
    return f"{_type_string(window)}{{{list(window.shape)}}}"


# --------------------------------------------------------------------------- padding (no nn needed)
def _pad_signal(x, pad, mode):
    """Pad the last dim of ``x`` (B, L) by ``pad`` on both sides, as ``nn.functional.pad`` would
    for stft's centering; written with cat/flip so that core alone can run stft."""
    tg = _tg()
    length = x.shape[-1]
    if pad == 0:
        return x
    if mode == "constant":
        zeros = tg.zeros(tuple(x.shape[:-1]) + (pad,), dtype=x.dtype, device=x.device)
        return tg.cat([zeros, x, zeros], -1)
    if mode == "reflect":
        if pad >= length:
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input dimension, "
                               f"but got: padding ({pad}, {pad}) at dimension 2 of input [1, {x.shape[0]}, {length}]")
        left = x[..., 1:pad + 1].flip(-1)
        right = x[..., length - pad - 1:length - 1].flip(-1)
        return tg.cat([left, x, right], -1)
    if mode == "replicate":
        edge_shape = tuple(x.shape[:-1]) + (pad,)
        return tg.cat([x[..., :1].expand(*edge_shape), x, x[..., -1:].expand(*edge_shape)], -1)
    if pad > length:  # circular
        raise RuntimeError("Padding value causes wrapping around more than once.")
    return tg.cat([x[..., length - pad:], x, x[..., :pad]], -1)


def _centered_window(window, win_length, n_fft, dtype, device):
    """The window as a length-``n_fft`` tensor: ones when absent, zero-padded equally on both
    sides (the extra zero on the right) when shorter than ``n_fft``."""
    tg = _tg()
    if window is None:
        window = tg.ones(win_length, dtype=dtype, device=device)
    if win_length == n_fft:
        return window
    left = (n_fft - win_length) // 2
    right = n_fft - win_length - left
    return tg.cat([tg.zeros(left, dtype=window.dtype, device=window.device), window,
                   tg.zeros(right, dtype=window.dtype, device=window.device)])


def _real_dtype(x):
    tg = _tg()
    return {tg.complex64: tg.float32, tg.complex128: tg.float64}.get(x.dtype, x.dtype)


# --------------------------------------------------------------------------- stft
def stft(input, n_fft, hop_length=None, win_length=None, window=None, center=True, pad_mode="reflect",
         normalized=False, onesided=None, return_complex=None, align_to_window=None):
    """``torch.stft``: the spectra (``(B?, N, T)`` complex) of the windowed frames of ``input``."""
    if not isinstance(input, Tensor):
        raise F.not_a_tensor("stft", "input", 1, input)
    complex_input = input.is_complex() or (window is not None and window.is_complex())
    if return_complex is None:
        if not complex_input:
            raise RuntimeError("stft requires the return_complex parameter be given for real inputs, and will further "
                               "require that return_complex=True in a future PyTorch release.")
        return_complex = True
    elif not return_complex:
        warnings.warn(_REAL_OUTPUT_DEPRECATED, UserWarning, stacklevel=2)
    if window is None:
        warnings.warn(_NO_WINDOW_STFT, UserWarning, stacklevel=2)
    if center and align_to_window is not None:
        raise RuntimeError("stft align_to_window should only be set when center = false")
    x = input
    if center:
        if pad_mode not in _PAD_MODES:
            raise NotImplementedError(f"Unrecognised padding mode {pad_mode}")
        batch = x.reshape(1, -1) if x.ndim <= 1 else x
        padded = _pad_signal(batch, n_fft // 2, pad_mode)
        x = padded.reshape(-1) if x.ndim <= 1 else padded
    hop = n_fft // 4 if hop_length is None else hop_length
    win = n_fft if win_length is None else win_length

    def fail(msg):
        return RuntimeError(f"stft({_type_string(x)}{list(x.shape)}, n_fft={n_fft}, hop_length={hop}, win_length={win}, "
                            f"window={_window_summary(window)}, normalized={_flag(normalized)}, "
                            f"onesided={_flag(onesided)}, return_complex={_flag(return_complex)}, "
                            f"align_to_window={_flag(align_to_window)}) : {msg}")
    if x.ndim not in (1, 2):
        raise fail("expected a 1D or 2D tensor")
    if _np_kind(x.dtype.np) not in "fc":
        raise fail("expected a tensor of floating point or complex values")
    if x._data.dtype.name in ("float16", "bfloat16"):  # PyTorch's CPU FFT (MKL) takes no half types
        raise RuntimeError(f"MKL FFT doesn't support tensors of type: {F._type_name(x._data.dtype)}")
    length = x.shape[-1]
    if n_fft <= 0 or n_fft > length:
        raise fail(f"expected 0 < n_fft < {length}, but got n_fft={n_fft}")
    if hop <= 0:
        raise fail(f"expected hop_length > 0, but got hop_length={hop}")
    if win <= 0 or win > n_fft:
        raise fail(f"expected 0 < win_length <= n_fft, but got win_length={win}")
    if window is not None and (window.ndim != 1 or window.shape[0] != win):
        raise fail(f"expected a 1D window tensor of size equal to win_length={win}, but got window with size "
                   f"{list(window.shape)}")
    if onesided is None:
        onesided = not complex_input
    elif onesided and complex_input:
        raise RuntimeError("Cannot have onesided output if window or input is complex")

    tg = _tg()
    frames_src = x if x.ndim == 2 else x.unsqueeze(0)
    if align_to_window:
        # frames start where the (unpadded) window starts: shift the signal by the window's offset
        offset = (n_fft - win) // 2
        frames_src = _pad_signal(frames_src, offset, "constant")
    full_window = _centered_window(window, win, n_fft, x.dtype, x.device)
    frames = frames_src.unfold(-1, n_fft, hop) * full_window          # (B, T, n_fft)
    norm = "ortho" if normalized else "backward"
    spec = tg.fft.rfft(frames, dim=-1, norm=norm) if onesided else tg.fft.fft(frames, dim=-1, norm=norm)
    spec.transpose_(1, 2)                                               # (B, N, T)
    if x.ndim == 1:
        spec.squeeze_(0)
    return spec if return_complex else tg.view_as_real(spec)


# --------------------------------------------------------------------------- istft
def istft(input, n_fft, hop_length=None, win_length=None, window=None, center=True, normalized=False,
          onesided=None, length=None, return_complex=False):
    """``torch.istft``: the least-squares signal whose stft is ``input`` (windowed inverse FFTs,
    overlap-added and divided by the overlap-added squared window)."""
    if not isinstance(input, Tensor):
        raise F.not_a_tensor("istft", "input", 1, input)
    hop = n_fft // 4 if hop_length is None else hop_length
    win = n_fft if win_length is None else win_length
    onesided_arg = onesided  # the messages quote the argument, not the default worked out below
    if not input.is_complex():
        raise RuntimeError("istft requires a complex-valued input tensor matching the output from stft with "
                           "return_complex=True.")

    def fail(msg):
        return RuntimeError(f"istft({_type_string(input)}{list(input.shape)}, n_fft={n_fft}, hop_length={hop}, win_length={win}, "
                            f"window={_window_summary(window)}, center={_flag(center)}, "
                            f"normalized={_flag(normalized)}, onesided={_flag(onesided_arg)}, length={length}, "
                            f"return_complex={_flag(return_complex)}){msg}")
    if input.ndim < 2:  # PyTorch reads the frequency size (dim -3 of the real view) first
        raise IndexError(f"Dimension out of range (expected to be in range of [{-(input.ndim + 1)}, {input.ndim}], "
                         f"but got -3)")
    if input.ndim + 1 not in (3, 4):
        raise fail(f" : expected a tensor with 3 or 4 dimensions, but got {input.ndim + 1}")
    if window is None:
        warnings.warn(_NO_WINDOW_ISTFT, UserWarning, stacklevel=2)
    if hop <= 0 or hop > win:
        raise fail(" : expected 0 < hop_length <= win_length")
    if win <= 0 or win > n_fft:
        raise fail(" : expected 0 < win_length <= n_fft")
    if window is not None and (window.ndim != 1 or window.shape[0] != win):
        raise fail(" : Invalid window shape. window has to be 1D and length of `win_length`")
    n_freq, n_frames = input.shape[-2], input.shape[-1]
    if onesided is None:
        onesided = n_freq != n_fft
    if onesided:
        if n_fft // 2 + 1 != n_freq:
            raise fail(f" : expected the frequency dimension (3rd to the last) of the input tensor to match n_fft / 2 "
                       f"+ 1 when onesided=True, but got {n_freq}")
    elif n_fft != n_freq:
        raise fail(f" : expected the frequency dimension (3rd to the last) of the input tensor to match n_fft when "
                   f"onesided=False, but got {n_freq}")
    if return_complex and onesided:
        raise RuntimeError("Cannot have onesided output if window or input is complex")

    tg = _tg()
    spec = input if input.ndim == 3 else input.unsqueeze(0)
    spec = spec.transpose(1, 2)                                          # (B, T, N)
    norm = "ortho" if normalized else "backward"
    if return_complex:
        frames = tg.fft.ifft(spec, n=n_fft, dim=-1, norm=norm)
    else:
        if window is not None and window.is_complex():
            raise RuntimeError("Complex windows are incompatible with return_complex=False")
        # a real signal from a two-sided spectrum: PyTorch keeps only its first n_fft / 2 + 1 bins and
        # inverts them as a onesided one (assuming Hermitian symmetry), not the real part of the full ifft
        if not onesided:
            spec = spec[..., :n_fft // 2 + 1]
        frames = tg.fft.irfft(spec, n=n_fft, dim=-1, norm=norm)
    full_window = _centered_window(window, win, n_fft, _real_dtype(input), input.device)
    frames = frames * full_window

    # overlap-add: sample k of frame t lands at t * hop + k; one scatter for every frame at once
    total = n_fft + hop * (n_frames - 1)
    positions = (tg.arange(n_frames, device=input.device).unsqueeze(1) * hop
                 + tg.arange(n_fft, device=input.device)).reshape(-1)
    batch = frames.shape[0]
    signal = tg.zeros(batch, total, dtype=frames.dtype, device=input.device).index_add(
        -1, positions, frames.reshape(batch, -1))
    # PyTorch's envelope is window.pow(2), not |window|^2, for a complex window as for a real one
    squared = full_window * full_window
    envelope = tg.zeros(total, dtype=squared.dtype, device=input.device).index_add(
        0, positions, squared.expand(n_frames, n_fft).reshape(-1))

    start = n_fft // 2 if center else 0
    if length is not None:
        end = start + length
    elif center:
        end = total - n_fft // 2
    else:
        end = total
    end = min(end, total)
    signal = signal[:, start:end]
    envelope = envelope[start:end]
    if envelope.numel() and float(envelope.abs().min()) < _NOLA_EPS:
        raise fail(" window overlap add min: 1\n[ CPUBoolType{} ]")
    signal = signal / envelope
    if input.ndim == 2:
        signal = signal.squeeze(0)
    if length is not None and signal.shape[-1] < length:
        warnings.warn("The length of signal is shorter than the length parameter. Result is being padded with zeros "
                      "in the tail. Please check your center and hop_length settings.", UserWarning, stacklevel=2)
        tail = tg.zeros(tuple(signal.shape[:-1]) + (length - signal.shape[-1],), dtype=signal.dtype,
                        device=signal.device)
        signal = tg.cat([signal, tail], -1)
    return signal


# --------------------------------------------------------------------------- registration
def _stft_samples(dtype, device):
    from ..testing import make_tensor
    from .spectral import hann_window
    x = make_tensor((2, 20), dtype=dtype, device=device, seed=41)
    w = hann_window(6, dtype=dtype, device=device)
    return [((x[0].detach(), 8), {"return_complex": True, "window": hann_window(8, dtype=dtype, device=device)}),
            ((x, 8), {"hop_length": 3, "win_length": 6, "window": w, "return_complex": False,
                      "pad_mode": "constant", "normalized": True}),
            ((x, 8), {"center": False, "window": w, "win_length": 6, "onesided": False, "return_complex": True})]


def _istft_samples(dtype, device):
    from ..testing import make_tensor
    from .spectral import hann_window
    from .complex import view_as_complex
    spec = view_as_complex(make_tensor((2, 5, 9, 2), dtype=dtype, device=device, seed=42))
    w = hann_window(8, dtype=dtype, device=device)
    return [((spec[0].detach(), 8), {"window": w}),
            ((spec, 8), {"window": w, "length": 18, "normalized": True})]


defop("stft", frontend=lambda op: stft, composite=True, samples=_stft_samples,
      conformance_skip={"dtype": "the output is complex"})
defop("istft", frontend=lambda op: istft, composite=True, samples=_istft_samples)
