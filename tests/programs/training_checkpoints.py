"""Saving and loading models (the 'Saving and Loading Models' tutorial): torch.save/torch.load of a
state_dict, a whole checkpoint dict with the optimizer and scheduler, through io.BytesIO, with
weights_only, map_location, load_state_dict(strict=False) and its missing/unexpected keys, and the
errors users get from shape mismatches."""
# needs: nn optim
import argparse
import io
import os
import tempfile
from collections import OrderedDict, defaultdict

import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F

torch.manual_seed(0)


class TheModelClass(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 2, 3)
        self.bn = nn.BatchNorm2d(2)
        self.fc1 = nn.Linear(2 * 2 * 2, 5)
        self.fc2 = nn.Linear(5, 3)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn(self.conv1(x))), 2)
        x = torch.flatten(x, 1)
        return self.fc2(F.relu(self.fc1(x)))


model = TheModelClass()
optimizer = torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)

print("Model's state_dict:")
for param_tensor in model.state_dict():
    print(param_tensor, "\t", model.state_dict()[param_tensor].size())
print("Optimizer's state_dict:")
for var_name in optimizer.state_dict():
    print(var_name, "\t", optimizer.state_dict()[var_name])

x = torch.randn(4, 1, 6, 6)
target = torch.tensor([0, 1, 2, 1])
for epoch in range(2):
    optimizer.zero_grad()
    loss = F.cross_entropy(model(x), target)
    loss.backward()
    optimizer.step()
    scheduler.step()
    print(f"epoch {epoch} loss {loss.item():.4f} lr {scheduler.get_last_lr()[0]}")

# A state_dict through a buffer, loaded with weights_only=True.
buffer = io.BytesIO()
torch.save(model.state_dict(), buffer)
buffer_bytes = buffer.getvalue()
buffer.seek(0)
state = torch.load(buffer, weights_only=True)
print(type(state).__name__, list(state.keys())[:4], state["bn.num_batches_tracked"])
print(state["fc2.bias"])
print(state["fc2.bias"].requires_grad, state["conv1.weight"].dtype)
print(state._metadata["bn"], state._metadata["fc2"])
model_b = TheModelClass()
result = model_b.load_state_dict(state)
print(result)
model_b.eval()
model.eval()
print(torch.allclose(model(x), model_b(x)))

# A general checkpoint.
buffer = io.BytesIO()
torch.save({
    "epoch": 2,
    "model_state_dict": model.state_dict(),
    "optimizer_state_dict": optimizer.state_dict(),
    "scheduler_state_dict": scheduler.state_dict(),
    "loss": loss.item(),
    "history": [1.5, 1.2],
    "name": "ckpt",
    "shape": (2, 3),
}, buffer)
buffer.seek(0)
checkpoint = torch.load(buffer, weights_only=True, map_location="cpu")
print(sorted(checkpoint.keys()))
print(checkpoint["epoch"], f"{checkpoint['loss']:.4f}", checkpoint["history"], checkpoint["name"],
      checkpoint["shape"])
print(checkpoint["scheduler_state_dict"])
print(checkpoint["optimizer_state_dict"]["param_groups"])
print(sorted(checkpoint["optimizer_state_dict"]["state"].keys()))
model_c = TheModelClass()
optimizer_c = torch.optim.SGD(model_c.parameters(), lr=0.1, momentum=0.9)
scheduler_c = torch.optim.lr_scheduler.StepLR(optimizer_c, step_size=1, gamma=0.5)
model_c.load_state_dict(checkpoint["model_state_dict"])
optimizer_c.load_state_dict(checkpoint["optimizer_state_dict"])
scheduler_c.load_state_dict(checkpoint["scheduler_state_dict"])
print(optimizer_c.param_groups[0]["lr"], scheduler_c.last_epoch, scheduler_c.get_last_lr())
model_c.train()
model.train()
for m, o in [(model, optimizer), (model_c, optimizer_c)]:
    o.zero_grad()
    F.cross_entropy(m(x), target).backward()
    o.step()
print("resumed identical:", torch.allclose(model.fc2.weight, model_c.fc2.weight, atol=1e-6))

# Views keep their shape and values, dtypes and Parameters round-trip.
base = torch.arange(6.0)
buffer = io.BytesIO()
torch.save({"base": base, "view": base[2:5], "int": torch.tensor([1, 2], dtype=torch.int16),
            "bool": torch.tensor([True, False]), "half": torch.ones(2, dtype=torch.float16),
            "param": nn.Parameter(torch.ones(2)),
            "long": torch.tensor(7), "od": OrderedDict(a=torch.zeros(1))}, buffer)
buffer.seek(0)
loaded = torch.load(buffer)
print(loaded["base"], loaded["view"])
print(loaded["int"], loaded["bool"], loaded["half"])
print(loaded["param"], type(loaded["param"]).__name__)
print(loaded["long"], type(loaded["od"]).__name__, loaded["od"])

# Partial loading (transfer learning): strict=False reports what did not match.
class Bigger(TheModelClass):
    def __init__(self):
        super().__init__()
        self.fc3 = nn.Linear(3, 1)


big = Bigger()
print(big.load_state_dict(model.state_dict(), strict=False))
try:
    big.load_state_dict(model.state_dict())
except Exception as e:
    print(type(e).__name__, e)
extra = dict(model.state_dict())
extra["unused.weight"] = torch.zeros(1)
print(model_b.load_state_dict(extra, strict=False))
old_bn = torch.load(io.BytesIO(buffer_bytes), weights_only=True)
del old_bn["bn.num_batches_tracked"]
try:
    model_b.load_state_dict(old_bn)
except Exception as e:
    print(type(e).__name__, e)
bad = dict(model.state_dict())
bad["fc2.weight"] = torch.zeros(3, 4)
try:
    model_b.load_state_dict(bad)
except Exception as e:
    print(type(e).__name__, e)

# Training history kept in a defaultdict: since PyTorch 2.6 loading it needs weights_only=False.
history = defaultdict(list)
for epoch in range(3):
    history["loss"].append(round(1.0 / (epoch + 1), 4))
buffer = io.BytesIO()
torch.save({"history": history, "model": model.fc2.state_dict()}, buffer)
buffer.seek(0)
try:
    torch.load(buffer)
except Exception as e:
    print(type(e).__name__, str(e).splitlines()[-3])
buffer.seek(0)
restored = torch.load(buffer, weights_only=False)
print(restored["history"], restored["history"]["acc"], list(restored["model"]))

# The script's argparse arguments saved with the weights: allow-list the class to keep weights_only.
args = argparse.Namespace(lr=0.001, momentum=0.9, epochs=2, arch="TheModelClass")
buffer = io.BytesIO()
torch.save({"args": args, "model": model.fc1.state_dict()}, buffer)
buffer.seek(0)
try:
    torch.load(buffer, weights_only=True)
except Exception as e:
    print(type(e).__name__, str(e).splitlines()[-3])
buffer.seek(0)
with torch.serialization.safe_globals([argparse.Namespace]):
    loaded_args = torch.load(buffer)["args"]
print(loaded_args, loaded_args.lr * 10)

# A file on disk.
with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "model.pt")
    torch.save(model.state_dict(), path)
    sd = torch.load(path, weights_only=True)
    print(len(sd), torch.equal(sd["fc1.weight"], model.fc1.weight))
    try:
        torch.load(os.path.join(d, "missing.pt"))
    except Exception as e:
        print(type(e).__name__)
