"""Signal processing with torch.fft as in audio / spectral-analysis tutorials: a sampled sum of
sines, its spectrum magnitude via rfft and rfftfreq, peak picking, fftshift'ed full spectra,
round trips with irfft/ifft, low-pass filtering in the frequency domain, 2-D FFTs of an image,
convolution by the convolution theorem, and the errors of common mistakes."""
import math

import tensorgraft as torch

torch.manual_seed(0)
fs = 64.0
n = 64
t = torch.arange(n) / fs
signal = torch.sin(2 * math.pi * 5 * t) + 0.5 * torch.sin(2 * math.pi * 12 * t) + 0.1 * torch.randn(n)
print(signal.shape, signal.dtype)

spec = torch.fft.rfft(signal)
print(spec.shape, spec.dtype)
freqs = torch.fft.rfftfreq(n, d=1 / fs)
print(freqs[:8])
mag = spec.abs() / n * 2
top = torch.topk(mag, 2)
print("peaks at", freqs[top.indices].tolist(), [f"{v:.3f}" for v in top.values.tolist()])
print(spec[:6])
print(torch.angle(spec[5]).item() > -4)
power = spec.real ** 2 + spec.imag ** 2
print(f"parseval {signal.pow(2).sum().item():.4f} {(power[0] + 2 * power[1:-1].sum() + power[-1]).item() / n:.4f}")

full = torch.fft.fft(signal)
print(full.shape, torch.allclose(full[: n // 2 + 1], spec, atol=1e-4))
print(torch.fft.fftfreq(8))
print(torch.fft.fftfreq(8, d=0.5))
print(torch.fft.fftshift(torch.fft.fftfreq(8)))
print(torch.fft.ifftshift(torch.fft.fftshift(torch.arange(6))))
back = torch.fft.irfft(spec, n=n)
print(back.dtype, f"{(back - signal).abs().max().item():.2e}" if False else torch.allclose(back, signal, atol=1e-5))
print(torch.fft.ifft(full).real[:4], torch.fft.ifft(full).dtype)

# a low-pass filter: zero everything above 8 Hz
filtered_spec = spec.clone()
filtered_spec[freqs > 8] = 0
low = torch.fft.irfft(filtered_spec, n=n)
print(low[:6])
print(f"energy kept {low.pow(2).sum().item() / signal.pow(2).sum().item():.4f}")

# normalisation modes
x = torch.tensor([1.0, 2.0, 3.0, 4.0])
print(torch.fft.fft(x))
print(torch.fft.fft(x, norm="ortho"))
print(torch.fft.fft(x, norm="forward"))
print(torch.fft.fft(x, n=6))
print(torch.fft.rfft(x, n=3))
print(torch.fft.hfft(torch.tensor([1.0, 2.0, 3.0])))
print(torch.fft.fft(torch.tensor([1, 2, 3])))
print(torch.fft.fft(x.double()).dtype)

# 2-D: an image and its centred spectrum
img = torch.zeros(8, 8)
img[2:6, 3:5] = 1.0
F2 = torch.fft.fft2(img)
print(F2.shape, F2[0, 0], F2.abs().max())
centred = torch.fft.fftshift(F2.abs())
print(centred[4])
print(torch.fft.ifft2(F2).real.round().sum())
print(torch.fft.rfft2(img).shape, torch.fft.rfftn(img, dim=(0, 1)).shape, torch.fft.irfft2(torch.fft.rfft2(img)).shape)
print(torch.fft.fftn(torch.ones(2, 3, 4), dim=(1, 2)).shape)

# convolution theorem: circular convolution by FFT equals the direct sum
a = torch.tensor([1.0, 2.0, 0.0, -1.0])
b = torch.tensor([0.5, 0.25, 0.0, 0.0])
conv = torch.fft.irfft(torch.fft.rfft(a) * torch.fft.rfft(b), n=4)
direct = torch.stack([sum(a[j] * b[(i - j) % 4] for j in range(4)) for i in range(4)])
print(conv, direct, torch.allclose(conv, direct))

# gradients flow through the FFT
w = torch.randn(16, requires_grad=True)
loss = torch.fft.rfft(w).abs().pow(2).sum()
loss.backward()
print(loss.grad_fn, f"{loss.item():.4f}", w.grad[:4])
z = torch.fft.fft(w)
print(z.grad_fn, z.requires_grad)

for bad in (lambda: torch.fft.fft(x, dim=2), lambda: torch.fft.fft(x, norm="bad"),
            lambda: torch.fft.rfft(torch.randn(4, dtype=torch.complex64)), lambda: torch.fft.fft(x, n=0)):
    try:
        bad()
    except Exception as e:
        print(type(e).__name__, e)
