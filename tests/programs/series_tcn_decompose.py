"""A temporal convolutional network (TCN) the way the TCN papers' reference code and tutorials write
it: dilated causal Conv1d with padding (k-1)*d and the extra right-hand steps trimmed ("Chomp1d"),
residual blocks with a 1x1 downsample, receptive field arithmetic, trained on a toy series; then
classical seasonal decomposition by a moving average done with conv1d / avg_pool1d and replicate
padding, 1-D pooling (max with indices, adaptive, lp), and windows made with as_strided."""
# needs: nn optim
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F

torch.manual_seed(0)


class Chomp1d(nn.Module):
    def __init__(self, chomp):
        super().__init__()
        self.chomp = chomp

    def forward(self, x):
        return x[:, :, :-self.chomp].contiguous()


class TemporalBlock(nn.Module):
    def __init__(self, cin, cout, k, dilation):
        super().__init__()
        pad = (k - 1) * dilation
        self.net = nn.Sequential(
            nn.Conv1d(cin, cout, k, padding=pad, dilation=dilation), Chomp1d(pad), nn.ReLU(),
            nn.Conv1d(cout, cout, k, padding=pad, dilation=dilation), Chomp1d(pad), nn.ReLU())
        self.downsample = nn.Conv1d(cin, cout, 1) if cin != cout else None

    def forward(self, x):
        res = x if self.downsample is None else self.downsample(x)
        return F.relu(self.net(x) + res)


class TCN(nn.Module):
    def __init__(self, channels=(1, 8, 8), k=3):
        super().__init__()
        self.blocks = nn.Sequential(*[TemporalBlock(channels[i], channels[i + 1], k, 2 ** i)
                                      for i in range(len(channels) - 1)])
        self.head = nn.Conv1d(channels[-1], 1, 1)

    def forward(self, x):
        return self.head(self.blocks(x))


tcn = TCN()
print(tcn)
print(sum(p.numel() for p in tcn.parameters()), "parameters")
rf = 1 + sum(2 * (3 - 1) * 2 ** i for i in range(2))
print("receptive field", rf)

# causality: changing a future input must not change earlier outputs
x = torch.randn(1, 1, 20)
x2 = x.clone()
x2[0, 0, 15] += 10.0
with torch.no_grad():
    a, b = tcn(x), tcn(x2)
print(a.shape, torch.allclose(a[..., :15], b[..., :15]), torch.allclose(a[..., 15:], b[..., 15:]))

t = torch.arange(64, dtype=torch.float32)
series = torch.sin(t * 0.4) + 0.05 * torch.randn(64)
inp, target = series[:-1].view(1, 1, -1), series[1:].view(1, 1, -1)
opt = torch.optim.Adam(tcn.parameters(), lr=0.01)
for step in range(40):
    loss = F.mse_loss(tcn(inp), target)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 10 == 9:
        print(f"step {step + 1} loss {loss.item():.4f}")
print(loss.grad_fn, tcn.head.weight.grad.shape)

# seasonal decomposition: trend by a centred moving average, seasonal as the mean per phase
period = 8
y = 0.05 * t + torch.sin(2 * torch.pi * t / period) + 0.1 * torch.randn(64)
kernel = torch.ones(1, 1, period + 1) / (period + 1)
trend_conv = F.conv1d(y.view(1, 1, -1), kernel).flatten()
trend_pool = F.avg_pool1d(y.view(1, 1, -1), period + 1, stride=1).flatten()
print(trend_conv.shape, torch.allclose(trend_conv, trend_pool, atol=1e-6))
padded = F.pad(y.view(1, 1, -1), (period // 2, period // 2), mode="replicate")
trend = F.conv1d(padded, kernel).flatten()
print(trend.shape, trend[:4], trend[-3:])
detr = y - trend
seasonal = detr.view(-1, period).mean(0)
seasonal = seasonal - seasonal.mean()
print("seasonal", seasonal)
resid = y - trend - seasonal.repeat(64 // period)
print(f"resid std {resid.std().item():.4f}")
reflect = F.pad(y[:6].view(1, 1, -1), (2, 2), mode="reflect")
circ = F.pad(y[:6].view(1, 1, -1), (2, 1), mode="circular")
print(reflect, circ.shape)

# 1-D pooling
sig = torch.randn(2, 3, 10)
mx, idx = F.max_pool1d(sig, 3, stride=2, return_indices=True)
print(mx.shape, idx[0])
print(F.max_unpool1d(mx, idx, 3, stride=2).shape)
print(nn.AdaptiveAvgPool1d(4)(sig).shape, nn.AdaptiveMaxPool1d(1)(sig).squeeze(-1))
print(F.avg_pool1d(sig, 4, stride=3, padding=1, ceil_mode=True, count_include_pad=False)[0, 0])
print(F.lp_pool1d(sig.abs(), 2, 3)[0, 0], nn.MaxPool1d(2, dilation=2)(sig)[1, 2])

# sliding windows without copies
base = torch.arange(10.0)
win = base.as_strided((4, 4), (2, 1))
print(win, win.stride(), win.storage_offset())
print(base.unfold(0, 4, 2).equal(win))
print(F.unfold(base.view(1, 1, 1, 10), (1, 4), stride=(1, 2)).shape)

for bad in [lambda: nn.Conv1d(1, 4, 3)(torch.randn(4, 20)),
            lambda: nn.Conv1d(2, 4, 3)(torch.randn(1, 1, 20)),
            lambda: F.max_pool1d(torch.randn(1, 2, 5), 3, padding=2),
            lambda: F.pad(torch.randn(1, 1, 4), (5, 5), mode="reflect"),
            lambda: nn.Conv1d(1, 1, 3, padding="same", stride=2),
            lambda: F.avg_pool1d(y.view(1, 1, -1), period / 2),            # a float window from "/"
            lambda: F.max_pool1d(torch.arange(12).view(1, 1, 12), 3),     # pooling integer counts
            lambda: F.pad(y.view(1, 1, -1), (period / 2, period / 2), mode="replicate"),
            lambda: F.conv1d(y.view(1, 1, -1), torch.ones(1, 1, 3), groups=2)]:
    try:
        r = bad()
        print("ok", r.shape)
    except Exception as e:
        print(type(e).__name__, e)
