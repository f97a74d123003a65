"""Stochastic Weight Averaging and EMA from the torch.optim.swa_utils docs: AveragedModel with the
default running mean, SWALR annealing after swa_start, update_bn over a DataLoader, and an EMA
model built with multi_avg_fn=get_ema_multi_avg_fn (and avg_fn=get_ema_avg_fn, use_buffers=True)."""
# needs: nn optim
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.optim.swa_utils import (SWALR, AveragedModel, get_ema_avg_fn, get_ema_multi_avg_fn,
                                         update_bn)
from tensorgraft.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
X = torch.randn(32, 4)
Y = (X[:, :1] * 2.0 - X[:, 1:2] + 0.1 * torch.randn(32, 1))
loader = DataLoader(TensorDataset(X, Y), batch_size=8, shuffle=True, generator=torch.Generator().manual_seed(1))

model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
swa_model = AveragedModel(model)
print(swa_model)
print(sorted(swa_model.state_dict().keys()))
print(swa_model.n_averaged)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=10)
swa_start = 3
swa_scheduler = SWALR(optimizer, swa_lr=0.05, anneal_epochs=2, anneal_strategy="linear")
print("SWALR initial", swa_scheduler.get_last_lr(), optimizer.param_groups[0]["swa_lr"])

for epoch in range(6):
    total = 0.0
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = F.mse_loss(model(xb), yb)
        loss.backward()
        optimizer.step()
        total += loss.item()
    if epoch > swa_start:
        swa_model.update_parameters(model)
        swa_scheduler.step()
        print(f"epoch {epoch} swa lr {swa_scheduler.get_last_lr()[0]:.4f} n_averaged {swa_model.n_averaged}")
    else:
        scheduler.step()
        print(f"epoch {epoch} lr {scheduler.get_last_lr()[0]:.4f}")
    print(f"  loss {total / len(loader):.4f}")

print(swa_model.module[1].running_mean)
update_bn(loader, swa_model)
print(swa_model.module[1].running_mean)
print(swa_model.module[1].num_batches_tracked, swa_model.module[1].momentum)
swa_model.eval()
with torch.no_grad():
    print(f"swa loss {F.mse_loss(swa_model(X), Y).item():.4f}")
print(swa_model.n_averaged.dtype, swa_model.n_averaged)
print(sorted(swa_model.state_dict().keys())[:3])

# An exponential moving average of the weights, the way timm/torchvision keep one.
torch.manual_seed(0)
net = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 1))
ema = AveragedModel(net, multi_avg_fn=get_ema_multi_avg_fn(0.9))
ema_single = AveragedModel(net, avg_fn=get_ema_avg_fn(0.9), use_buffers=True)
opt = torch.optim.Adam(net.parameters(), lr=0.05)
for step in range(5):
    opt.zero_grad()
    loss = F.mse_loss(net(X), Y)
    loss.backward()
    opt.step()
    ema.update_parameters(net)
    ema_single.update_parameters(net)
    print(f"step {step} loss {loss.item():.4f} ema n {ema.n_averaged.item()}")
print(net[0].bias)
print(ema.module[0].bias)
print(ema_single.module[0].bias)
print(torch.allclose(ema.module[2].weight, ema_single.module[2].weight))
with torch.no_grad():
    print(f"ema loss {F.mse_loss(ema(X), Y).item():.4f}")
print(ema.module[0].weight.requires_grad, ema.module[0].weight.grad)

# SWALR with cosine annealing over several param groups, and its state_dict.
opt = torch.optim.SGD([{"params": net[0].parameters(), "lr": 0.5}, {"params": net[2].parameters()}], lr=0.1)
sw = SWALR(opt, swa_lr=[0.01, 0.02], anneal_epochs=3)
for _ in range(4):
    opt.step()
    sw.step()
    print([f"{lr:.5f}" for lr in sw.get_last_lr()])
print(sorted(sw.state_dict().keys()))

for bad in [lambda: SWALR(opt, swa_lr=0.1, anneal_strategy="exp"),
            lambda: SWALR(opt, swa_lr=0.1, anneal_epochs=-1),
            lambda: SWALR(opt, swa_lr=[0.1, 0.2, 0.3])]:
    try:
        bad()
    except Exception as e:
        print(type(e).__name__, e)
