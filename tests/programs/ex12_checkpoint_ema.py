"""Training-loop plumbing from the "Saving and Loading a General Checkpoint" recipe and EMA /
SWA blog posts: gradient accumulation over micro-batches (checked against one big batch),
torch.save/torch.load of a checkpoint dict through an in-memory buffer, resuming model,
optimizer and scheduler state, an exponential moving average with swa_utils.AveragedModel,
SWALR and update_bn, and the load_state_dict mistakes users make."""
# needs: nn optim
import io

import tensorgraft as torch
import tensorgraft.nn as nn
from tensorgraft.optim import swa_utils

torch.manual_seed(0)
X = torch.randn(16, 4)
Y = X @ torch.tensor([[1.0], [-2.0], [0.5], [0.0]]) + 0.1 * torch.randn(16, 1)


def make():
    torch.manual_seed(1)
    # no bias before BatchNorm: it would be cancelled by the mean subtraction, and its gradient is
    # then pure rounding noise that Adam's normalisation blows up to full-size steps
    return nn.Sequential(nn.Linear(4, 8, bias=False), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 1))


# gradient accumulation: 4 micro-batches of 4, loss divided by the number of steps
model = make()
loss_fn = nn.MSELoss()
accum = 4
model.zero_grad()
for i, (xb, yb) in enumerate(zip(X.split(4), Y.split(4))):
    loss = loss_fn(model(xb), yb) / accum
    loss.backward()
    print(f"micro {i} loss {loss.item():.4f} grad norm {model[0].weight.grad.norm().item():.4f}")
acc_grad = model[3].weight.grad.clone()
model.eval()
model.zero_grad()
big = loss_fn(model(X), Y)
print("eval-mode full-batch loss", f"{big.item():.4f}")
print("accumulated grad", acc_grad.round(decimals=4))

# train, checkpoint, resume
model = make()
opt = torch.optim.AdamW(model.parameters(), lr=0.01, weight_decay=0.01)
sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
ema = swa_utils.AveragedModel(model, multi_avg_fn=swa_utils.get_ema_multi_avg_fn(0.9))
print(type(ema).__name__, ema.n_averaged, list(ema.state_dict())[:3])
for epoch in range(3):
    model.train()
    for xb, yb in zip(X.split(8), Y.split(8)):
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        ema.update_parameters(model)
    sched.step()
    print(f"epoch {epoch} loss {loss.item():.4f} lr {sched.get_last_lr()[0]:.4f} n_averaged {ema.n_averaged.item()}")

buf = io.BytesIO()
torch.save({"epoch": 3, "model": model.state_dict(), "optimizer": opt.state_dict(),
            "scheduler": sched.state_dict(), "ema": ema.state_dict(), "loss": loss.item()}, buf)
buf.seek(0)
ckpt = torch.load(buf)
print(sorted(ckpt), ckpt["epoch"], f"{ckpt['loss']:.4f}")
print(list(ckpt["model"])[:6])
print("optimizer state keys", sorted(ckpt["optimizer"]["state"][0]), ckpt["optimizer"]["state"][0]["step"])
print(ckpt["optimizer"]["param_groups"][0]["lr"], ckpt["scheduler"]["last_epoch"])

model2 = make()
opt2 = torch.optim.AdamW(model2.parameters(), lr=0.01, weight_decay=0.01)
sched2 = torch.optim.lr_scheduler.StepLR(opt2, step_size=2, gamma=0.5)
print(model2.load_state_dict(ckpt["model"]))
opt2.load_state_dict(ckpt["optimizer"])
sched2.load_state_dict(ckpt["scheduler"])
model2.eval()
model.eval()
print("same predictions:", torch.equal(model(X), model2(X)), "lr", opt2.param_groups[0]["lr"])
print("bn stats", model2[1].running_mean[:3].round(decimals=4), model2[1].num_batches_tracked)

# EMA weights and SWA utilities
ema.eval()
with torch.no_grad():
    print("ema loss", f"{loss_fn(ema(X), Y).item():.4f}", "model loss", f"{loss_fn(model(X), Y).item():.4f}")
swa_model = swa_utils.AveragedModel(model)
swa_sched = swa_utils.SWALR(opt, swa_lr=0.001, anneal_epochs=2, anneal_strategy="cos")
for epoch in range(3):
    opt.step()
    swa_sched.step()
    swa_model.update_parameters(model)
    print(f"swa epoch {epoch} lr {swa_sched.get_last_lr()[0]:.5f} n {swa_model.n_averaged.item()}")
swa_utils.update_bn([(xb,) for xb in X.split(4)], swa_model)
print("update_bn running_mean", swa_model.module[1].running_mean[:3].round(decimals=4))

sd = model.state_dict()
for bad in [lambda: model2.load_state_dict({k: v for k, v in sd.items() if "bias" not in k}),
            lambda: model2.load_state_dict({**sd, "4.weight": torch.ones(1)}),
            lambda: model2.load_state_dict({**sd, "0.weight": torch.ones(8, 5)}),
            lambda: opt2.load_state_dict({"state": {}, "param_groups": []}),
            lambda: swa_utils.SWALR(opt, swa_lr=0.1, anneal_strategy="exp")]:
    try:
        bad()
    except Exception as e:
        print(type(e).__name__, e)
print(model2.load_state_dict({k: v for k, v in sd.items() if "bias" not in k}, strict=False))
