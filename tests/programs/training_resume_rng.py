"""Resuming an interrupted training run exactly (the 'save a general checkpoint' recipe extended the
way training scripts do it): model, optimizer, scheduler, GradScaler (disabled on CPU), epoch, best
metric and the RNG states (torch.get_rng_state, a DataLoader Generator's get_state, Python's random, NumPy's)
go into one torch.save'd dict; a fresh process-like rebuild loads them and continues with the same
batches, dropout masks and losses as the uninterrupted run."""
# needs: nn optim
import io
import random

import numpy as np

import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
random.seed(0)
np.random.seed(0)
X = torch.randn(48, 5)
Y = (X.sum(dim=1) > 0).long()
dataset = TensorDataset(X, Y)


def build():
    model = nn.Sequential(nn.Linear(5, 12), nn.ReLU(), nn.Dropout(0.2), nn.Linear(12, 2))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.9, nesterov=True, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[2, 4], gamma=0.3)
    scaler = torch.amp.GradScaler("cpu", enabled=False)
    gen = torch.Generator()
    loader = DataLoader(dataset, batch_size=12, shuffle=True, generator=gen)
    return model, optimizer, scheduler, scaler, gen, loader


def train_epoch(model, optimizer, scaler, loader):
    model.train()
    losses = []
    for xb, yb in loader:
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(xb), yb)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        losses.append(loss.item())
    jitter = random.random() + float(np.random.rand())
    return sum(losses) / len(losses), jitter


torch.manual_seed(1)
model, optimizer, scheduler, scaler, gen, loader = build()
gen.manual_seed(123)
history = []
checkpoint_bytes = None
for epoch in range(6):
    loss, jitter = train_epoch(model, optimizer, scaler, loader)
    scheduler.step()
    history.append(f"{loss:.4f}")
    print(f"run A epoch {epoch} loss {loss:.4f} jitter {jitter:.4f} lr {scheduler.get_last_lr()[0]:.4f}")
    if epoch == 2:
        buf = io.BytesIO()
        torch.save({
            "epoch": epoch,
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "scaler": scaler.state_dict(),
            "best_loss": min(float(h) for h in history),
            "torch_rng": torch.get_rng_state(),
            "loader_rng": gen.get_state(),
            "python_rng": random.getstate()[1][0],
            "numpy_rng": np.random.get_state(),
        }, buf)
        checkpoint_bytes = buf.getvalue()
        python_state = random.getstate()
final_a = [p.detach().clone() for p in model.parameters()]

# Resume: rebuild everything, then load the checkpoint.
torch.manual_seed(999)
model, optimizer, scheduler, scaler, gen, loader = build()
# NumPy's RNG state is not a "weights only" object: the checkpoint needs weights_only=False
ckpt = torch.load(io.BytesIO(checkpoint_bytes), weights_only=False)
print(sorted(ckpt))
print(ckpt["epoch"], f"{ckpt['best_loss']:.4f}", ckpt["torch_rng"].dtype, ckpt["loader_rng"].dtype,
      ckpt["scaler"], ckpt["scheduler"]["milestones"], ckpt["scheduler"]["last_epoch"])
print(model.load_state_dict(ckpt["model"]))
optimizer.load_state_dict(ckpt["optimizer"])
scheduler.load_state_dict(ckpt["scheduler"])
scaler.load_state_dict(ckpt["scaler"])
torch.set_rng_state(ckpt["torch_rng"])
gen.set_state(ckpt["loader_rng"])
random.setstate(python_state)
np.random.set_state(ckpt["numpy_rng"])
print(ckpt["numpy_rng"][0], ckpt["numpy_rng"][1].dtype, ckpt["numpy_rng"][1].shape, ckpt["numpy_rng"][2])
print(optimizer.param_groups[0]["lr"], scheduler.get_last_lr(), len(optimizer.state))
for epoch in range(ckpt["epoch"] + 1, 6):
    loss, jitter = train_epoch(model, optimizer, scaler, loader)
    scheduler.step()
    same = f"{loss:.4f}" == history[epoch]
    print(f"run B epoch {epoch} loss {loss:.4f} jitter {jitter:.4f} lr {scheduler.get_last_lr()[0]:.4f} same {same}")
print("identical weights:", all(torch.equal(a, b) for a, b in zip(final_a, model.parameters())))

# The checkpoint restores the state even into an optimizer built with other hyper-parameters.
other = torch.optim.SGD(model.parameters(), lr=5.0)
other.load_state_dict(ckpt["optimizer"])
print({k: v for k, v in other.param_groups[0].items() if k != "params"})
print(sorted(other.state_dict()["state"][0]))

# Loading the optimizer state of a different model is refused.
small = nn.Linear(5, 2)
small_opt = torch.optim.SGD(small.parameters(), lr=0.1, momentum=0.9)
try:
    small_opt.load_state_dict(ckpt["optimizer"])
except Exception as e:
    print(type(e).__name__, e)
try:
    small.load_state_dict(ckpt["model"])
except Exception as e:
    print(type(e).__name__, str(e).splitlines()[0])
