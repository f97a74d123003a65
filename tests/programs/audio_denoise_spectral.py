"""Waveform denoising as audio tutorials write it: a Conv1d / ConvTranspose1d autoencoder (with
weight-normalised convolutions) trained on noisy synthetic tones with a combined waveform L1 and
multi-resolution STFT magnitude loss (gradients through torch.stft), then spectral gating (a mask
on the STFT, back with istft), Griffin-Lim phase recovery from a magnitude spectrogram, and FFT
convolution (rfft * rfft -> irfft) checked against conv1d.

Tolerance 1e-3: this float32 training is sensitive to summation order (log magnitudes are floored
at 1e-2 and it runs only 10 Adam steps to keep that small); run in float64 it prints PyTorch's
digits exactly, but in float32 the output SNR after training differs by ~2e-4 from rounding alone."""
# tolerance: 1e-3
# needs: nn optim
import math

import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F

torch.manual_seed(0)
L = 256
t = torch.arange(L) / L


def tones(n):
    f = torch.randint(4, 20, (n, 1)).float()
    a = torch.rand(n, 1) * 0.5 + 0.5
    return (a * torch.sin(2 * math.pi * f * t)).unsqueeze(1)


clean = tones(16)
noisy = clean + 0.3 * torch.randn_like(clean)
print(clean.shape, f"input snr {10 * torch.log10(clean.pow(2).mean() / (noisy - clean).pow(2).mean()).item():.4f}")


class Denoiser(nn.Module):
    def __init__(self, ch=8):
        super().__init__()
        wn = nn.utils.parametrizations.weight_norm
        self.enc = nn.Sequential(wn(nn.Conv1d(1, ch, 7, stride=2, padding=3)), nn.Tanh(),
                                 wn(nn.Conv1d(ch, ch, 5, stride=2, padding=2)), nn.Tanh())
        self.dec = nn.Sequential(nn.ConvTranspose1d(ch, ch, 4, stride=2, padding=1), nn.Tanh(),
                                 nn.ConvTranspose1d(ch, 1, 4, stride=2, padding=1))

    def forward(self, x):
        return self.dec(self.enc(x))


model = Denoiser()
print(model)
print(sorted(k for k in model.state_dict() if k.startswith("enc.0")))
z = model.enc(noisy)
print(z.shape, model(noisy).shape, model(noisy).grad_fn)


def stft_mag(x, n_fft):
    win = torch.hann_window(n_fft)
    return torch.stft(x.squeeze(1), n_fft, hop_length=n_fft // 4, window=win, return_complex=True).abs()


def mr_stft_loss(pred, target):
    loss = 0.0
    for n_fft in (16, 32, 64):
        P, T = stft_mag(pred, n_fft), stft_mag(target, n_fft)
        sc = torch.linalg.norm(T - P) / torch.linalg.norm(T)
        mag = F.l1_loss(torch.log(P + 1e-2), torch.log(T + 1e-2))
        loss = loss + sc + mag
    return loss / 3


opt = torch.optim.Adam(model.parameters(), lr=5e-3)
for step in range(10):
    out = model(noisy)
    loss = F.l1_loss(out, clean) + 0.1 * mr_stft_loss(out, clean)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 5 == 4:
        print(f"step {step + 1} loss {loss.item():.4f}")
print(model.enc[0].parametrizations.weight.original0.grad.shape)
with torch.no_grad():
    den = model(noisy)
print(f"output snr {10 * torch.log10(clean.pow(2).mean() / (den - clean).pow(2).mean()).item():.4f}")

# spectral gating: keep bins above a threshold estimated from the noise
n_fft, hop = 64, 16
win = torch.hann_window(n_fft)
S = torch.stft(noisy[0, 0], n_fft, hop_length=hop, window=win, return_complex=True)
mag = S.abs()
thresh = mag.median(dim=1, keepdim=True).values * 2.0
mask = (mag > thresh).float()
print(S.shape, mask.mean().item() > 0, thresh.shape)
gated = torch.istft(S * mask, n_fft, hop_length=hop, window=win, length=L)
print(gated.shape, gated.dtype, f"{(gated - clean[0, 0]).pow(2).mean().item():.4f}")

# Griffin-Lim: iterate phases so the magnitude matches
target_mag = torch.stft(clean[0, 0], n_fft, hop_length=hop, window=win, return_complex=True).abs()
angles = torch.exp(2j * math.pi * torch.rand(target_mag.shape))
print(angles.dtype, angles.abs().mean().item() > 0.99)
for it in range(20):
    y = torch.istft(target_mag * angles, n_fft, hop_length=hop, window=win, length=L)
    rebuilt = torch.stft(y, n_fft, hop_length=hop, window=win, return_complex=True)
    angles = torch.exp(1j * rebuilt.angle())
    if it % 5 == 4:
        err = (rebuilt.abs() - target_mag).norm() / target_mag.norm()
        print(f"griffin-lim {it + 1} spectral error {err.item():.4f}")

# FFT convolution equals (flipped-kernel) conv1d
sig, ker = torch.randn(1, 1, 32), torch.randn(1, 1, 5)
n = 32 + 5 - 1
fftconv = torch.fft.irfft(torch.fft.rfft(sig, n=n) * torch.fft.rfft(ker, n=n), n=n)
direct = F.conv1d(F.pad(sig, (4, 4)), ker.flip(-1))
print(fftconv.shape, direct.shape, torch.allclose(fftconv, direct, atol=1e-5))
print(torch.fft.rfft(sig, n=n).shape, (torch.fft.rfft(sig, n=n) * torch.fft.rfft(ker, n=n)).dtype)
