"""Time-series forecasting as the LSTM/GRU tutorials write it: a noisy sine series cut into sliding
windows with unfold (and the same with torch.stack of slices), normalised with the training
mean/std, an LSTM forecaster with batch_first=True trained with Adam on one-step targets, a
multi-step (autoregressive) prediction loop under torch.no_grad, and a GRU encoder-decoder trained
with teacher forcing; plus the shape mistakes users make with batch_first and hidden states."""
# needs: nn optim
import math

import tensorgraft as torch
import tensorgraft.nn as nn
from tensorgraft.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
t = torch.arange(0, 120, dtype=torch.float32)
series = torch.sin(2 * math.pi * t / 24) + 0.1 * torch.randn(120)
print(series.shape, series.dtype, f"{series.mean().item():.4f} {series.std().item():.4f}")

train, test = series[:96], series[96:]
mean, std = train.mean(), train.std()
norm = (train - mean) / std
print(f"mean={mean.item():.4f} std={std.item():.4f}", norm[:4])

window = 12
windows = norm.unfold(0, window + 1, 1)
print("unfold:", windows.shape, windows.is_contiguous(), windows.stride())
stacked = torch.stack([norm[i:i + window + 1] for i in range(len(norm) - window)])
print("same as stack:", torch.equal(windows, stacked))
X, y = windows[:, :-1].unsqueeze(-1), windows[:, -1:]
print(X.shape, y.shape)


class Forecaster(nn.Module):
    def __init__(self, hidden=16, layers=1):
        super().__init__()
        self.lstm = nn.LSTM(input_size=1, hidden_size=hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x, state=None):
        out, state = self.lstm(x, state)
        return self.head(out[:, -1]), state


model = Forecaster()
print(model)
print([(k, tuple(v.shape)) for k, v in model.state_dict().items()])
out, (h, c) = model.lstm(X[:2])
print(out.shape, h.shape, c.shape, out.grad_fn is not None)
print(torch.allclose(out[:, -1], h[0]))

opt = torch.optim.Adam(model.parameters(), lr=0.01)
loader = DataLoader(TensorDataset(X, y), batch_size=16, shuffle=True)
loss_fn = nn.MSELoss()
for epoch in range(8):
    total = 0.0
    for xb, yb in loader:
        pred, _ = model(xb)
        loss = loss_fn(pred, yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item() * len(xb)
    if epoch % 2 == 1:
        print(f"epoch {epoch} train mse {total / len(X):.4f}")

# multi-step forecast: feed each prediction back in as the next input
model.eval()
with torch.no_grad():
    ctx = norm[-window:].reshape(1, window, 1)
    preds = []
    for _ in range(len(test)):
        p, _ = model(ctx)
        preds.append(p.item())
        ctx = torch.cat([ctx[:, 1:], p.reshape(1, 1, 1)], dim=1)
forecast = torch.tensor(preds) * std + mean
print("forecast", forecast[:6])
print(f"test mse {torch.mean((forecast - test) ** 2).item():.4f}")
print(forecast.requires_grad, ctx.shape)


class Seq2Seq(nn.Module):
    def __init__(self, hidden=12):
        super().__init__()
        self.enc = nn.GRU(1, hidden, batch_first=True)
        self.dec = nn.GRUCell(1, hidden)
        self.out = nn.Linear(hidden, 1)

    def forward(self, src, horizon, target=None, teacher_forcing=1.0):
        _, h = self.enc(src)
        h = h[0]
        inp = src[:, -1]
        outs = []
        for step in range(horizon):
            h = self.dec(inp, h)
            o = self.out(h)
            outs.append(o)
            inp = target[:, step] if target is not None and step < int(teacher_forcing * horizon) else o
        return torch.stack(outs, dim=1)


horizon = 4
w2 = norm.unfold(0, 8 + horizon, 2)
src, tgt = w2[:, :8].unsqueeze(-1), w2[:, 8:].unsqueeze(-1)
print("seq2seq data", src.shape, tgt.shape)
s2s = Seq2Seq()
print(s2s)
opt2 = torch.optim.SGD(s2s.parameters(), lr=0.1, momentum=0.9)
for it in range(30):
    pred = s2s(src, horizon, target=tgt, teacher_forcing=0.5)
    loss = nn.functional.mse_loss(pred, tgt)
    opt2.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(s2s.parameters(), 1.0)
    opt2.step()
    if it % 10 == 9:
        print(f"iter {it} loss {loss.item():.4f}", pred.grad_fn.name())
with torch.no_grad():
    free = s2s(src[:2], horizon)
print(free.shape, free.squeeze(-1))

for bad in [lambda: model.lstm(X[0]),
            lambda: model.lstm(X[:2, :, 0]),
            lambda: model.lstm(X[:2], (h[:, :1], c)),
            lambda: nn.LSTM(1, 4, batch_first=True)(X[:2].transpose(1, 2))]:
    try:
        r = bad()
        print("ok", r[0].shape)
    except Exception as e:
        print(type(e).__name__, e)
