"""A 1-D CNN that classifies synthetic waveforms (sine, square, sawtooth, noise), written the way
audio-classification tutorials do: a Dataset that synthesises clips with random frequency and
phase, waveform augmentation (random roll, time flip, additive noise at a given SNR, gain, time
masking, resampling by F.interpolate), Conv1d/BatchNorm1d/MaxPool1d/AdaptiveAvgPool1d blocks with
a strided first layer, circular and grouped convolutions, training with CrossEntropyLoss, accuracy
and a confusion matrix via bincount."""
# needs: nn optim
import math
import random

import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.utils.data import DataLoader, Dataset

torch.manual_seed(0)
random.seed(0)
CLASSES = ["sine", "square", "saw", "noise"]
LENGTH = 256


def synth(kind, freq, phase):
    t = torch.arange(LENGTH) / LENGTH
    x = 2 * math.pi * freq * t + phase
    if kind == 0:
        return torch.sin(x)
    if kind == 1:
        return torch.sign(torch.sin(x))
    if kind == 2:
        return 2 * torch.remainder(x / (2 * math.pi), 1.0) - 1
    return torch.randn(LENGTH).clamp(-1, 1)


def add_noise(x, snr_db):
    noise = torch.randn_like(x)
    scale = torch.sqrt(x.pow(2).mean() / (noise.pow(2).mean() * 10 ** (snr_db / 10)))
    return x + scale * noise


def augment(x):
    x = torch.roll(x, shifts=random.randint(0, LENGTH - 1), dims=-1)
    if random.random() < 0.5:
        x = torch.flip(x, dims=[-1])
    x = x * random.uniform(0.5, 1.5)
    start = random.randint(0, LENGTH - 16)
    x[..., start:start + 16] = 0
    return add_noise(x, 20.0)


class Waves(Dataset):
    def __init__(self, n, train=True):
        self.items = [(i % 4, random.uniform(3, 12), random.uniform(0, 2 * math.pi)) for i in range(n)]
        self.train = train

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        kind, f, p = self.items[i]
        x = synth(kind, f, p).unsqueeze(0)
        return (augment(x) if self.train else x), kind


train_ds, test_ds = Waves(96), Waves(32, train=False)
x0, y0 = train_ds[1]
print(len(train_ds), x0.shape, x0.dtype, y0, CLASSES[y0])
print(torch.roll(torch.arange(6), 2), torch.roll(torch.arange(6).view(2, 3), 1, dims=1))
print(torch.flip(torch.arange(6).view(2, 3), [0, 1]))
clip = synth(0, 5, 0.0)
print(f"snr check {10 * torch.log10(clip.pow(2).mean() / (add_noise(clip, 10.0) - clip).pow(2).mean()).item():.4f}")
up = F.interpolate(clip.view(1, 1, -1), scale_factor=1.5, mode="linear", align_corners=False)
down = F.interpolate(clip.view(1, 1, -1), size=100, mode="nearest")
print(up.shape, down.shape, up[0, 0, :4])


class AudioCNN(nn.Module):
    def __init__(self, n_classes=4):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv1d(1, 8, kernel_size=9, stride=2, padding=4), nn.BatchNorm1d(8), nn.ReLU(), nn.MaxPool1d(2),
            nn.Conv1d(8, 16, kernel_size=5, padding=2, padding_mode="circular"), nn.BatchNorm1d(16), nn.ReLU(),
            nn.MaxPool1d(2),
            nn.Conv1d(16, 16, kernel_size=3, padding="same", groups=4), nn.ReLU(),
            nn.AdaptiveAvgPool1d(1))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(0.2), nn.Linear(16, n_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


model = AudioCNN()
print(model)
print(model.features[4].weight.shape, model.features[8].weight.shape, model.features[4].padding_mode)
h = torch.randn(2, 1, LENGTH)
for layer in model.features:
    h = layer(h)
    print(type(layer).__name__, tuple(h.shape))

loader = DataLoader(train_ds, batch_size=16, shuffle=True)
xb, yb = next(iter(loader))
print(xb.shape, yb, yb.dtype)
opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-2)
criterion = nn.CrossEntropyLoss(label_smoothing=0.05)
for epoch in range(6):
    model.train()
    total, correct = 0.0, 0
    for xb, yb in loader:
        logits = model(xb)
        loss = criterion(logits, yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item() * len(yb)
        correct += (logits.argmax(1) == yb).sum().item()
    print(f"epoch {epoch} loss {total / len(train_ds):.4f} acc {correct / len(train_ds):.3f}")

model.eval()
with torch.no_grad():
    xs = torch.stack([test_ds[i][0] for i in range(len(test_ds))])
    ys = torch.tensor([test_ds[i][1] for i in range(len(test_ds))])
    pred = model(xs).argmax(1)
conf = torch.bincount(ys * 4 + pred, minlength=16).view(4, 4)
print(conf)
print(f"test acc {(pred == ys).float().mean().item():.4f}")
# running_var, not running_mean: the conv bias before a BatchNorm gets only rounding-noise gradients,
# which Adam scales up to full steps, so that bias (and the running mean) follows the summation order
print(model.features[1].running_var[:4], model.features[1].num_batches_tracked)
probs = F.softmax(model(xs[:3]), dim=1)
print(torch.allclose(probs.sum(1), torch.ones(3)), probs.grad_fn)

for bad in [lambda: model(torch.randn(2, LENGTH)),
            lambda: nn.Conv1d(1, 4, 3, groups=2),
            lambda: nn.Conv1d(4, 4, 3, padding_mode="zeros2"),
            lambda: nn.BatchNorm1d(8)(torch.randn(1, 8)),
            lambda: F.interpolate(clip.view(1, 1, -1), scale_factor=2, mode="bilinear"),
            lambda: criterion(torch.randn(2, 4), torch.tensor([1.0, 2.0]))]:
    try:
        r = bad()
        print("ok", r.shape)
    except Exception as e:
        print(type(e).__name__, e)
