"""Data augmentation without torchvision, as in CIFAR training scripts: random crop with reflect
padding, horizontal flips with torch.flip and a random mask, rot90, per-channel normalisation with
mean/std computed over the dataset, Cutout, MixUp (lambda from distributions.Beta) and CutMix (rand_bbox)
with soft-label cross-entropy, label smoothing, a small ResNet-style block with a shortcut,
OneCycleLR, and top-k accuracy."""
# needs: nn optim
import random

import numpy as np

import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
import tensorgraft.optim as optim
from tensorgraft.distributions import Beta

torch.manual_seed(0)
random.seed(0)
np.random.seed(0)

N, C, H, W = 16, 3, 12, 12
images = torch.rand(N, C, H, W)
labels = torch.randint(0, 4, (N,))
mean = images.mean(dim=(0, 2, 3))
std = images.std(dim=(0, 2, 3))
print(mean, std)
normalized = (images - mean[None, :, None, None]) / std.view(1, -1, 1, 1)
print(f"{normalized.mean().item():.6f} {normalized.std().item():.4f}")


def random_crop(batch, size, padding):
    padded = F.pad(batch, (padding,) * 4, mode='reflect')
    out = torch.empty_like(batch)
    for i in range(batch.size(0)):
        top = random.randint(0, 2 * padding)
        left = random.randint(0, 2 * padding)
        out[i] = padded[i, :, top:top + size, left:left + size]
    return out


def random_flip(batch, p=0.5):
    flip = torch.rand(batch.size(0)) < p
    out = batch.clone()
    out[flip] = torch.flip(batch[flip], dims=[3])
    return out, flip


def cutout(batch, length):
    h, w = batch.shape[-2:]
    mask = torch.ones(batch.size(0), 1, h, w)
    for i in range(batch.size(0)):
        y, x = np.random.randint(h), np.random.randint(w)
        y1, y2 = np.clip(y - length // 2, 0, h), np.clip(y + length // 2, 0, h)
        x1, x2 = np.clip(x - length // 2, 0, w), np.clip(x + length // 2, 0, w)
        mask[i, :, y1:y2, x1:x2] = 0.
    return batch * mask, mask


crops = random_crop(normalized, 12, 2)
print(crops.shape, f"{crops.sum().item():.4f}")
flipped, which = random_flip(crops)
print(which, torch.equal(flipped[which], crops[which].flip(-1)))
rot = torch.rot90(images[:2], k=1, dims=(2, 3))
print(rot.shape, torch.equal(torch.rot90(rot, k=-1, dims=(2, 3)), images[:2]))
cut, mask = cutout(flipped, 4)
print(mask.sum(dim=(1, 2, 3)))
print(torch.roll(torch.arange(6).view(2, 3), shifts=1, dims=1))


def rand_bbox(size, lam):
    W, H = size[2], size[3]
    cut_rat = np.sqrt(1. - lam)
    cut_w = int(W * cut_rat)
    cut_h = int(H * cut_rat)
    cx = np.random.randint(W)
    cy = np.random.randint(H)
    bbx1 = np.clip(cx - cut_w // 2, 0, W)
    bby1 = np.clip(cy - cut_h // 2, 0, H)
    bbx2 = np.clip(cx + cut_w // 2, 0, W)
    bby2 = np.clip(cy + cut_h // 2, 0, H)
    return bbx1, bby1, bbx2, bby2


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes, planes, stride=1):
        super(BasicBlock, self).__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != self.expansion * planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, self.expansion * planes, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(self.expansion * planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.shortcut(x)
        out = F.relu(out)
        return out


model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
                      BasicBlock(8, 8), BasicBlock(8, 16, stride=2), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                      nn.Linear(16, 4))
print(model[4])
print(len(list(model.parameters())), len(list(model.buffers())))
optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)
scheduler = optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=6)
criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
beta = Beta(torch.tensor([1.0]), torch.tensor([1.0]))
for step in range(6):
    x, _ = random_flip(random_crop(normalized, 12, 2))
    y = labels
    if step % 2 == 0:  # mixup
        lam = beta.sample().item()
        index = torch.randperm(x.size(0))
        mixed = lam * x + (1 - lam) * x[index, :]
        out = model(mixed)
        loss = lam * criterion(out, y) + (1 - lam) * criterion(out, y[index])
        kind = "mixup"
    else:  # cutmix with soft targets
        lam = np.random.beta(1.0, 1.0)
        index = torch.randperm(x.size(0))
        bbx1, bby1, bbx2, bby2 = rand_bbox(x.size(), lam)
        x[:, :, bbx1:bbx2, bby1:bby2] = x[index, :, bbx1:bbx2, bby1:bby2]
        lam = 1 - ((bbx2 - bbx1) * (bby2 - bby1) / (x.size()[-1] * x.size()[-2]))
        soft = lam * F.one_hot(y, 4).float() + (1 - lam) * F.one_hot(y[index], 4).float()
        out = model(x)
        loss = F.cross_entropy(out, soft)
        kind = "cutmix"
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    scheduler.step()
    print(step, kind, f"lam={lam:.4f} loss={loss.item():.4f} lr={scheduler.get_last_lr()[0]:.5f}")

model.eval()
with torch.no_grad():
    logits = model(normalized)
    maxk = 2
    _, pred = logits.topk(maxk, 1, True, True)
    pred = pred.t()
    correct = pred.eq(labels.view(1, -1).expand_as(pred))
    for k in (1, 2):
        correct_k = correct[:k].reshape(-1).float().sum(0, keepdim=True)
        print(f"top{k}", correct_k.mul_(100.0 / N))
print(logits.softmax(-1)[:2])
try:
    beta.sample().item() + model(images[0])
except Exception as e:
    print(type(e).__name__, e)
try:
    out[which] = torch.flip(images, dims=[3])
except Exception as e:
    print(type(e).__name__, e)
