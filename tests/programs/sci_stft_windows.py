"""Short-time Fourier analysis as in audio tutorials: window functions (hann, hamming, blackman,
kaiser, bartlett and torch.signal.windows), a chirp's STFT magnitude with return_complex=True,
the frame count and frequency bins, the dominant frequency per frame, istft round trip, and a
mel-free spectrogram in decibels; plus the errors users hit (return_complex missing)."""
import math

import tensorgraft as torch

torch.manual_seed(0)
print(torch.hann_window(8))
print(torch.hann_window(8, periodic=False))
print(torch.hamming_window(6), torch.blackman_window(5))
print(torch.bartlett_window(5), torch.kaiser_window(6, False, 8.0))
try:
    torch.kaiser_window(6, beta=8.0)
except TypeError as e:
    print(type(e).__name__, e)
print(torch.signal.windows.gaussian(7, std=1.5))
print(torch.signal.windows.cosine(5), torch.signal.windows.exponential(5, tau=2.0))
print(torch.signal.windows.hann(5, sym=True), torch.signal.windows.nuttall(5))
print(torch.hann_window(4, dtype=torch.float64).dtype)

sr = 256
t = torch.arange(2 * sr) / sr
chirp = torch.sin(2 * math.pi * (10 * t + 15 * t ** 2))
n_fft, hop = 64, 32
win = torch.hann_window(n_fft)
S = torch.stft(chirp, n_fft=n_fft, hop_length=hop, window=win, return_complex=True)
print(S.shape, S.dtype)
mag = S.abs()
freqs = torch.fft.rfftfreq(n_fft, d=1 / sr)
peak = freqs[mag.argmax(dim=0)]
print(peak)
db = 20 * torch.log10(mag.clamp_min(1e-5))
print(db.shape, f"{db.max().item():.3f}", f"{db.mean().item():.3f}")
print(S[:3, 4])
recon = torch.istft(S, n_fft=n_fft, hop_length=hop, window=win, length=chirp.numel())
print(recon.shape, torch.allclose(recon, chirp, atol=1e-5))
S2 = torch.stft(chirp, n_fft=n_fft, hop_length=hop, window=win, return_complex=True, center=False)
print(S2.shape)
S3 = torch.stft(chirp, n_fft=n_fft, return_complex=True, onesided=False)
print(S3.shape)
S4 = torch.stft(chirp, n_fft=n_fft, hop_length=hop, window=win, return_complex=True, normalized=True)
print(f"{S4.abs().max().item():.4f}", f"{S.abs().max().item():.4f}")
batch = torch.stack([chirp, chirp.flip(0)])
SB = torch.stft(batch, n_fft=n_fft, hop_length=hop, window=win, return_complex=True)
print(SB.shape, torch.view_as_real(SB).shape)
print(torch.stft(chirp[:16], n_fft=8, return_complex=True, window=torch.hann_window(8)).abs().round(decimals=3))

for bad in (lambda: torch.stft(chirp, n_fft=n_fft),
            lambda: torch.stft(chirp, n_fft=1024, return_complex=True, center=False),
            lambda: torch.istft(S, n_fft=n_fft, hop_length=hop),
            lambda: torch.hann_window(-1)):
    try:
        bad()
        print("ok")
    except Exception as e:
        print(type(e).__name__, e)
