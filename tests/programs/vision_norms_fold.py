"""Normalisation layers on image batches as detection/segmentation code uses them: GroupNorm (ResNet-GN),
LayerNorm over (C, H, W) and over channels-last (ConvNeXt style, permute), InstanceNorm2d with
affine and running stats (style transfer), BatchNorm2d with momentum=None (cumulative average) and
eval-mode freezing, SyncBatchNorm.convert_sync_batchnorm on a model, LocalResponseNorm, RMSNorm; then
Unfold/Fold (sliding-window patches, overlap counts, an im2col convolution checked against Conv2d)
and patch embeddings as in ViT; errors users hit with these layers."""
# needs: nn optim
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.nn.modules.batchnorm import SyncBatchNorm

torch.manual_seed(0)
x = torch.randn(2, 6, 4, 5)
layers = [nn.GroupNorm(3, 6), nn.GroupNorm(1, 6, affine=False), nn.GroupNorm(6, 6, eps=1e-3),
          nn.LayerNorm([6, 4, 5]), nn.LayerNorm(5, elementwise_affine=False), nn.LayerNorm([4, 5], bias=False),
          nn.InstanceNorm2d(6), nn.InstanceNorm2d(6, affine=True, track_running_stats=True),
          nn.BatchNorm2d(6, momentum=None), nn.BatchNorm2d(6, affine=False, track_running_stats=False),
          nn.LocalResponseNorm(3), nn.RMSNorm([5]), SyncBatchNorm(6)]
for m in layers:
    print(m)
    print(" ", [(n, tuple(p.shape)) for n, p in m.named_parameters()], [n for n, _ in m.named_buffers()])
    y = m(x)
    print(" ", y.shape, y.grad_fn.name() if y.grad_fn else None, f"{y.mean().item():.4f} {y.std().item():.4f}")
    print(" ", y[0, 0, 0])

# ConvNeXt-style channels-last LayerNorm
ln = nn.LayerNorm(6, eps=1e-6)
y = ln(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
print(y.shape, y.is_contiguous(), f"{y.mean(dim=1).abs().max().item():.6f}")

inn = nn.InstanceNorm2d(6, affine=True, track_running_stats=True)
for _ in range(3):
    inn(x)
print(inn.running_mean, inn.running_var, inn.num_batches_tracked)
inn.eval()
print(inn(x)[0, 0, 0])

bn = nn.BatchNorm2d(6, momentum=None)
for i in range(3):
    bn(x * (i + 1))
print(bn.running_mean, bn.running_var, bn.num_batches_tracked)
bn.eval()
print(bn(x)[1, 2, 3])
print(F.batch_norm(x, bn.running_mean, bn.running_var)[1, 2, 3])

# convert a model for multi-GPU training (runs in one process here as in PyTorch without a group)
net = nn.Sequential(nn.Conv2d(3, 6, 3), nn.BatchNorm2d(6), nn.ReLU(), nn.Sequential(nn.BatchNorm1d(4, affine=False)))
net[1].running_mean.fill_(0.5)
weight = net[1].weight
net = SyncBatchNorm.convert_sync_batchnorm(net)
print(net)
print(net[1].weight is weight, net[1].running_mean, list(net.state_dict().keys()))
out = net[:3](torch.randn(4, 3, 6, 6))
print(out.shape, net[1].running_mean, net[1].num_batches_tracked)

# gradients through the norms
xg = x.clone().requires_grad_()
for m in [nn.GroupNorm(3, 6), nn.InstanceNorm2d(6, affine=True), nn.LayerNorm([4, 5]), nn.BatchNorm2d(6)]:
    y = m(xg)
    (y * torch.arange(5.)).sum().backward()
    print(type(m).__name__, y.grad_fn.name(), f"{xg.grad.abs().sum().item():.4f}",
          [f"{p.grad.abs().sum().item():.4f}" for p in m.parameters()])
    xg.grad = None

# Unfold / Fold
u = nn.Unfold(kernel_size=(2, 3), dilation=1, padding=1, stride=2)
f = nn.Fold(output_size=(4, 5), kernel_size=(2, 3), padding=1, stride=2)
print(u, f)
cols = u(x)
print(cols.shape, cols.grad_fn)
print(f(cols).shape)
print((f(cols) / f(u(torch.ones_like(x))))[0, 0])
img = torch.arange(16.).view(1, 1, 4, 4)
patches = F.unfold(img, kernel_size=2, stride=2)
print(patches)
print(F.fold(patches, (4, 4), kernel_size=2, stride=2).equal(img))
print(F.fold(F.unfold(img, 3, padding=1), (4, 4), 3, padding=1))

# a convolution as unfold + matmul, against Conv2d
conv = nn.Conv2d(6, 3, 3, padding=1)
inp_unf = F.unfold(x, 3, padding=1)
out_unf = inp_unf.transpose(1, 2).matmul(conv.weight.view(conv.weight.size(0), -1).t()).transpose(1, 2)
out = out_unf.view(2, 3, 4, 5) + conv.bias.view(1, -1, 1, 1)
print(f"{(out - conv(x)).abs().max().item():.6f}", out.grad_fn.name())

# ViT patch embedding two ways
patch = 2
emb = nn.Conv2d(3, 8, kernel_size=patch, stride=patch)
pics = torch.randn(2, 3, 4, 6)
tokens = emb(pics).flatten(2).transpose(1, 2)
print(tokens.shape)
flat = pics.unfold(2, patch, patch).unfold(3, patch, patch)
print(flat.shape)
flat = flat.permute(0, 2, 3, 1, 4, 5).reshape(2, -1, 3 * patch * patch)
print(f"{(flat @ emb.weight.view(8, -1).t() + emb.bias - tokens).abs().max().item():.6f}")

pg = img.clone().requires_grad_()
c = F.unfold(pg, 3, padding=1)
c.sum().backward()
print(c.grad_fn, pg.grad)

for call in [
    lambda: nn.GroupNorm(4, 6),
    lambda: nn.GroupNorm(3, 6)(torch.randn(2, 4, 3)),
    lambda: nn.LayerNorm([6, 4])(x),
    lambda: nn.InstanceNorm2d(6)(torch.randn(2, 6, 1, 1)),
    lambda: nn.InstanceNorm2d(4, affine=True)(x),
    lambda: nn.InstanceNorm2d(6)(torch.randn(2, 6, 4)),
    lambda: nn.BatchNorm2d(6)(torch.randn(2, 6, 4)),
    lambda: nn.BatchNorm1d(6)(torch.randn(2, 6, 4, 4)),
    lambda: SyncBatchNorm(6)(torch.randn(6)),
    lambda: SyncBatchNorm(6)(torch.randn(1, 6)),
    lambda: F.group_norm(x, 4),
    lambda: F.fold(patches, (5, 5), kernel_size=2, stride=2),
    lambda: F.fold(patches, (4, 4), kernel_size=3),
    lambda: F.unfold(img, kernel_size=5),
    lambda: nn.Unfold(2)(torch.randn(1, 2, 3, 3, 3)),
]:
    try:
        r = call()
        print("no error", tuple(r.shape) if hasattr(r, "shape") else r)
    except Exception as e:
        print(type(e).__name__, e)
print(nn.InstanceNorm2d(4)(x).shape)
