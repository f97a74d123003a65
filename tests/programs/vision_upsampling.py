"""Upsampling in segmentation/super-resolution code: F.interpolate in every mode (nearest,
nearest-exact, bilinear, bicubic, area, with align_corners / scale_factor / recompute_scale_factor /
antialias), nn.Upsample / UpsamplingNearest2d / UpsamplingBilinear2d modules, PixelShuffle and
PixelUnshuffle (ESPCN sub-pixel conv), gradients through them, and the argument mistakes users make."""
# needs: nn optim
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F

torch.manual_seed(0)
x = torch.arange(16, dtype=torch.float32).view(1, 1, 4, 4)
print(x)
for mode in ["nearest", "nearest-exact", "bilinear", "bicubic", "area"]:
    y = F.interpolate(x, scale_factor=1.5, mode=mode)
    print(mode, tuple(y.shape))
    print(y)
print(F.interpolate(x, size=(3, 5), mode="bilinear", align_corners=True))
print(F.interpolate(x, size=(6, 6), mode="bicubic", align_corners=True))
print(F.interpolate(x, size=(2, 2), mode="bilinear", antialias=True))
print(F.interpolate(x, size=(3, 3), mode="bicubic", antialias=True))
print(F.interpolate(x, scale_factor=0.6, mode="bilinear", recompute_scale_factor=True))
print(F.interpolate(x, scale_factor=0.6, mode="bilinear"))
print(F.interpolate(x, size=3, mode="nearest"))
print(F.interpolate(x, size=3, mode="area"))

seq = torch.tensor([[[1.0, 2.0, 4.0]]])
print(F.interpolate(seq, scale_factor=2, mode="linear"))
print(F.interpolate(seq, size=5, mode="linear", align_corners=True))
vol = torch.arange(8, dtype=torch.float32).view(1, 1, 2, 2, 2)
print(F.interpolate(vol, scale_factor=2, mode="trilinear").shape)
print(F.interpolate(vol, scale_factor=(1, 2, 1), mode="nearest")[0, 0, 1])

up = nn.Upsample(scale_factor=2, mode='nearest')
print(up, up(x).shape)
up2 = nn.Upsample(size=(5, 7), mode='bilinear', align_corners=False)
print(up2)
print(up2(x)[0, 0, 0])
print(nn.UpsamplingNearest2d(scale_factor=2))
print(nn.UpsamplingBilinear2d(size=(3, 3)))
print(nn.UpsamplingBilinear2d(size=(3, 3))(x))
print(nn.Upsample(scale_factor=(2.0, 1.0), mode='bicubic', align_corners=True))

# gradient through upsampling
xg = torch.randn(1, 2, 3, 3, requires_grad=True)
for mode, kw in [("nearest", {}), ("bilinear", {"align_corners": False}), ("bicubic", {"align_corners": True}),
                 ("area", {})]:
    out = F.interpolate(xg, size=(5, 4), mode=mode, **kw)
    out.pow(2).sum().backward()
    print(mode, out.grad_fn.name(), f"{xg.grad.sum().item():.4f}")
    print(xg.grad[0, 0])
    xg.grad = None


# ESPCN-style sub-pixel upscaling
class SuperResolutionNet(nn.Module):
    def __init__(self, upscale_factor):
        super(SuperResolutionNet, self).__init__()
        self.relu = nn.ReLU()
        self.conv1 = nn.Conv2d(1, 8, (5, 5), (1, 1), (2, 2))
        self.conv2 = nn.Conv2d(8, 8, (3, 3), (1, 1), (1, 1))
        self.conv3 = nn.Conv2d(8, upscale_factor ** 2, (3, 3), (1, 1), (1, 1))
        self.pixel_shuffle = nn.PixelShuffle(upscale_factor)

    def forward(self, x):
        x = self.relu(self.conv1(x))
        x = self.relu(self.conv2(x))
        x = self.pixel_shuffle(self.conv3(x))
        return x


sr = SuperResolutionNet(upscale_factor=3)
print(sr)
lowres = torch.rand(2, 1, 6, 6)
hr = sr(lowres)
print(hr.shape, hr.grad_fn)
target = F.interpolate(lowres, scale_factor=3, mode="bicubic", align_corners=False)
opt = torch.optim.Adam(sr.parameters(), lr=1e-2)
for step in range(5):
    opt.zero_grad()
    loss = F.mse_loss(sr(lowres), target)
    loss.backward()
    opt.step()
    print(step, f"{loss.item():.5f}")

ps = nn.PixelShuffle(2)
pu = nn.PixelUnshuffle(2)
t = torch.arange(32.).view(1, 8, 2, 2)
print(ps(t))
print(pu(ps(t)).equal(t), pu, ps)
print(F.pixel_unshuffle(torch.arange(16.).view(1, 1, 4, 4), 2)[0, :, 0, 0])

# common mistakes
for call in [
    lambda: F.interpolate(x, size=(3, 3), scale_factor=2),
    lambda: F.interpolate(x),
    lambda: F.interpolate(x, size=(3, 3, 3)),
    lambda: F.interpolate(x, scale_factor=2, mode="linear"),
    lambda: F.interpolate(x, scale_factor=2, mode="nearest", align_corners=True),
    lambda: F.interpolate(x, scale_factor=2, mode="bilinar"),
    lambda: F.interpolate(seq, scale_factor=2, mode="bilinear"),
    lambda: ps(torch.randn(1, 3, 2, 2)),
    lambda: pu(torch.randn(1, 1, 3, 3)),
    lambda: nn.Upsample(scale_factor=2, mode="bilinear")(torch.randn(4, 4)),
]:
    try:
        call()
        print("no error")
    except Exception as e:
        print(type(e).__name__, e)
