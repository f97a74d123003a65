"""Audio feature extraction as torchaudio-free tutorials write it: a synthetic waveform, torch.stft
with a Hann window and return_complex=True, magnitude and phase (abs/angle, torch.polar back),
power spectrogram, a mel filterbank built by hand from the HTK mel formula, log-mel in decibels,
MFCCs through a DCT-II matrix, spectral centroid / bandwidth / rolloff / flatness, zero-crossing
rate and RMS per frame, torch.fft.rfft/irfft and rfftfreq, and istft reconstruction."""
import math

import tensorgraft as torch

torch.manual_seed(0)
sr = 8000
n = 4000
t = torch.arange(n) / sr
wave = 0.6 * torch.sin(2 * math.pi * 440 * t) + 0.3 * torch.sin(2 * math.pi * 1200 * t)
wave = wave * torch.linspace(1.0, 0.2, n) + 0.01 * torch.randn(n)
print(wave.shape, wave.dtype, f"peak {wave.abs().max().item():.4f}")

n_fft, hop, win_length = 256, 128, 256
window = torch.hann_window(win_length)
spec = torch.stft(wave, n_fft, hop_length=hop, win_length=win_length, window=window,
                  center=True, pad_mode="reflect", return_complex=True)
print(spec.shape, spec.dtype)
mag, phase = spec.abs(), spec.angle()
print(mag.dtype, phase.dtype, mag[:3, 5], phase[10:13, 5])
rebuilt = torch.polar(mag, phase)
print(torch.allclose(rebuilt, spec, atol=1e-4))
power = mag ** 2
freqs = torch.fft.rfftfreq(n_fft, d=1 / sr)
print(freqs[:5], freqs.shape)
peak_bins = power.argmax(dim=0)
print("peak freq per frame", freqs[peak_bins[:6]])


def hz_to_mel(f):
    return 2595.0 * torch.log10(1.0 + f / 700.0)


def mel_to_hz(m):
    return 700.0 * (10 ** (m / 2595.0) - 1.0)


def mel_filterbank(n_mels, n_fft, sr, fmin=0.0, fmax=None):
    fmax = fmax or sr / 2
    mels = torch.linspace(hz_to_mel(torch.tensor(fmin)).item(), hz_to_mel(torch.tensor(fmax)).item(), n_mels + 2)
    hz = mel_to_hz(mels)
    fft_freqs = torch.linspace(0, sr / 2, n_fft // 2 + 1)
    lower, center, upper = hz[:-2].unsqueeze(1), hz[1:-1].unsqueeze(1), hz[2:].unsqueeze(1)
    up = (fft_freqs - lower) / (center - lower)
    down = (upper - fft_freqs) / (upper - center)
    return torch.clamp(torch.minimum(up, down), min=0.0)


fb = mel_filterbank(20, n_fft, sr)
print(fb.shape, fb.sum(1)[:5], (fb > 0).sum(1)[:8])
mel = fb @ power
log_mel = 10 * torch.log10(torch.clamp(mel, min=1e-10))
log_mel = torch.maximum(log_mel, log_mel.max() - 80.0)
print(mel.shape, f"{log_mel.min().item():.4f} {log_mel.max().item():.4f}")
print(log_mel[:4, :3])

n_mfcc = 8
k = torch.arange(20, dtype=torch.float32)
dct = torch.cos(math.pi / 20 * (k + 0.5) * torch.arange(n_mfcc, dtype=torch.float32).unsqueeze(1))
dct[0] *= 1 / math.sqrt(2)
dct *= math.sqrt(2 / 20)
mfcc = dct @ log_mel
print(mfcc.shape, mfcc[:3, :4])
print(torch.allclose(dct @ dct.T, torch.eye(n_mfcc), atol=1e-5))

# spectral features per frame
centroid = (freqs.unsqueeze(1) * mag).sum(0) / mag.sum(0)
bandwidth = torch.sqrt(((freqs.unsqueeze(1) - centroid) ** 2 * mag).sum(0) / mag.sum(0))
cum = torch.cumsum(power, dim=0)
rolloff = freqs[torch.searchsorted(cum.T.contiguous(), 0.85 * cum[-1:].T.contiguous()).squeeze(1)]
flatness = torch.exp(torch.log(power + 1e-10).mean(0)) / (power.mean(0) + 1e-10)
print("centroid", centroid[:4])
print("bandwidth", bandwidth[:4])
print("rolloff", rolloff[:6], "flatness", flatness[:3])
frames = wave.unfold(0, n_fft, hop)
zcr = (torch.sign(frames[:, 1:]) != torch.sign(frames[:, :-1])).float().mean(1)
rms = frames.pow(2).mean(1).sqrt()
print(frames.shape, zcr[:4], rms[:4])

# whole-signal spectrum with rfft / irfft
X = torch.fft.rfft(wave)
print(X.shape, X.dtype, torch.fft.rfftfreq(n, 1 / sr)[X.abs().topk(2).indices])
print(torch.allclose(torch.fft.irfft(X, n=n), wave, atol=1e-5))
lowpass = X.clone()
lowpass[torch.fft.rfftfreq(n, 1 / sr) > 800] = 0
filtered = torch.fft.irfft(lowpass, n=n)
print(filtered.shape, f"{filtered.pow(2).mean().item():.4f} {wave.pow(2).mean().item():.4f}")
print(torch.fft.rfft(wave[:8], norm="ortho"))
print(torch.fft.irfft(torch.fft.rfft(wave[:7]), n=7).sub(wave[:7]).abs().max() < 1e-6)

rec = torch.istft(spec, n_fft, hop_length=hop, win_length=win_length, window=window, length=n)
print(rec.shape, f"{(rec - wave).abs().max().item():.6f}")
spec2 = torch.stft(wave, n_fft, hop_length=64, window=torch.hamming_window(n_fft), center=False,
                   normalized=True, onesided=False, return_complex=True)
print(spec2.shape, spec2[0, :3])
batch = torch.stack([wave, wave.flip(0)])
print(torch.stft(batch, 128, hop_length=64, window=torch.hann_window(128), return_complex=True).shape)

for bad in [lambda: torch.stft(wave, n_fft, hop_length=hop, window=window),
            lambda: torch.stft(wave, n_fft, window=torch.hann_window(100), return_complex=True),
            lambda: torch.istft(mag, n_fft, hop_length=hop, window=window),
            lambda: torch.fft.irfft(wave[:8]),
            lambda: torch.fft.rfft(wave[n:]),                  # a crop past the end: nothing left
            lambda: torch.fft.fft(frames[:, :0], dim=1)]:
    try:
        r = bad()
        print("ok", r.shape, r.dtype)
    except Exception as e:
        print(type(e).__name__, e)
