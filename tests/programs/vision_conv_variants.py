"""Convolution options as they show up in model code (MobileNet depthwise-separable blocks, dilated
'atrous' convs, 'same' padding ported from Keras, reflection padding in style-transfer nets):
groups, dilation, padding='same'/'valid', padding_mode reflect/replicate/circular, ConvTranspose with
groups/dilation, Conv1d/Conv3d, explicit padding modules, parameter shapes, grad_fn chains, and the
configuration mistakes users make (with their error messages)."""
# needs: nn optim
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F

torch.manual_seed(0)


class DepthwiseSeparable(nn.Module):
    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.depthwise = nn.Conv2d(cin, cin, 3, stride=stride, padding=1, groups=cin, bias=False)
        self.bn1 = nn.BatchNorm2d(cin)
        self.pointwise = nn.Conv2d(cin, cout, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)

    def forward(self, x):
        x = F.relu6(self.bn1(self.depthwise(x)))
        return F.relu6(self.bn2(self.pointwise(x)))


block = DepthwiseSeparable(4, 8, stride=2)
print(block)
print({k: tuple(v.shape) for k, v in block.state_dict().items()})
x = torch.randn(2, 4, 7, 6)
y = block(x)
print(y.shape, y.grad_fn, f"{y.mean().item():.4f}")

mods = [
    nn.Conv2d(4, 8, 3, padding='same'),
    nn.Conv2d(4, 8, 4, padding='same', dilation=2, bias=False),
    nn.Conv2d(4, 8, (3, 2), padding='same', padding_mode='reflect'),
    nn.Conv2d(4, 4, 3, groups=4, padding=1, padding_mode='circular'),
    nn.Conv2d(4, 8, 3, groups=2, padding=2, dilation=2, padding_mode='replicate'),
    nn.Conv2d(4, 8, 3, stride=2, padding='valid'),
    nn.Conv2d(4, 6, (1, 3), stride=(2, 1), padding=(0, 1)),
    nn.ConvTranspose2d(4, 6, 3, stride=2, groups=2, dilation=2),
    nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, bias=False),
]
for m in mods:
    out = m(x)
    print(m)
    print(" ", tuple(m.weight.shape), None if m.bias is None else tuple(m.bias.shape), "->", tuple(out.shape),
          out.grad_fn.name(), f"{out.sum().item():.4f}")
c = mods[2]
print(c.padding, c._reversed_padding_repeated_twice, c.padding_mode, c.kernel_size, c.dilation)
print(mods[1]._reversed_padding_repeated_twice, nn.Conv2d(4, 8, 3, padding=(1, 2))._reversed_padding_repeated_twice)

seq = torch.randn(3, 4, 10)
for m in [nn.Conv1d(4, 2, 3, padding='same', padding_mode='reflect'), nn.Conv1d(4, 4, 5, groups=4, dilation=2),
          nn.ConvTranspose1d(4, 2, 3, stride=3)]:
    print(m, tuple(m(seq).shape))
vol = torch.randn(1, 2, 4, 5, 6)
c3 = nn.Conv3d(2, 4, 3, padding='same', padding_mode='circular')
print(c3, tuple(c3(vol).shape))
t3 = nn.ConvTranspose3d(2, 3, (1, 2, 2), stride=(1, 2, 2))
print(t3, tuple(t3(vol).shape))

# the ops and gradients behind the padding modes
xr = x.clone().requires_grad_()
for mode in ["reflect", "replicate", "circular", "zeros"]:
    out = nn.Conv2d(4, 2, 3, padding=1, padding_mode=mode)(xr)
    first = out.grad_fn.next_functions[0][0]
    out.sum().backward()
    print(mode, out.grad_fn.name(), None if first is None else first.name(), f"{xr.grad.abs().sum().item():.4f}")
    xr.grad = None

img = torch.arange(9.).view(1, 1, 3, 3)
for pad in [nn.ReflectionPad2d((1, 0, 2, 0)), nn.ReplicationPad2d((1, 0, 2, 0)), nn.ZeroPad2d((1, 0, 2, 0)),
            nn.CircularPad2d(1), nn.ConstantPad2d(1, -1.0)]:
    print(pad)
    print(pad(img))
print(F.pad(img[0], (1, 1), mode='reflect'))
print(nn.ZeroPad2d(-1)(torch.arange(16.).view(1, 1, 4, 4)))

# a few training steps of a dilated conv net with reflect padding
net = nn.Sequential(
    nn.Conv2d(1, 4, 3, padding=2, dilation=2, padding_mode='reflect'), nn.ReLU(),
    nn.Conv2d(4, 4, 3, padding='same', groups=2), nn.ReLU(),
    nn.Conv2d(4, 1, 1))
opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
src = torch.rand(4, 1, 8, 8)
tgt = F.avg_pool2d(src, 3, stride=1, padding=1)
for step in range(5):
    opt.zero_grad()
    loss = F.mse_loss(net(src), tgt)
    loss.backward()
    opt.step()
    print(step, f"{loss.item():.5f}")
print(net[2].weight.grad.shape, net[2].weight.grad.abs().sum() > 0)

# configuration mistakes
for make in [
    lambda: nn.Conv2d(4, 8, 3, stride=2, padding='same'),
    lambda: nn.Conv2d(4, 8, 3, padding='full'),
    lambda: nn.Conv2d(4, 8, 3, padding_mode='wrap'),
    lambda: nn.Conv2d(4, 8, 3, groups=3),
    lambda: nn.Conv2d(4, 6, 3, groups=4),
    lambda: nn.ConvTranspose2d(4, 8, 3, padding_mode='reflect'),
    lambda: nn.ConvTranspose2d(4, 8, 3, padding='same')(x),
    lambda: nn.Conv2d(4, 8, 3)(torch.randn(1, 3, 5, 5)),
    lambda: nn.Conv2d(4, 8, 3)(torch.randn(5, 5)),
    lambda: nn.Conv2d(4, 8, 3)(torch.randn(1, 4, 2, 2)),
    lambda: nn.Conv2d(4, 8, 3)(torch.randn(1, 4, 5, 5).double()),
    lambda: nn.Conv2d(4, 8, 3)(torch.randint(0, 255, (1, 4, 5, 5))),
    lambda: nn.Conv2d(4, 8, 3, padding_mode='reflect', padding=3)(torch.randn(1, 4, 3, 3)),
    lambda: nn.Conv3d(4, 8, 3)(torch.randn(1, 4, 5, 5).double()),
    lambda: nn.ConvTranspose2d(4, 8, 3)(torch.randn(1, 4, 5, 5).double()),
    lambda: nn.ConvTranspose2d(4, 8, 3)(torch.randn(1, 3, 5, 5).double()),
    lambda: nn.ReflectionPad2d(3)(img),
    lambda: F.pad(img, (1, 1), mode='reflect'),
    lambda: F.conv2d(x, torch.randn(8, 4, 3, 3), padding='foo'),
    lambda: F.conv2d(x, torch.randn(8, 4, 3, 3), groups=2),
]:
    try:
        r = make()
        print("no error", r.shape if hasattr(r, "shape") else r)
    except Exception as e:
        print(type(e).__name__, e)
m = nn.ConvTranspose2d(4, 8, 3, padding='same')
print(m, m.padding)
torch.manual_seed(1)
z = nn.Conv2d(4, 8, 0)
print(z, z.bias, torch.rand(2))
