"""Saving and loading the entire model (the 'Saving and Loading Models' tutorial): torch.save(model),
torch.load(PATH, weights_only=False) and model.eval(); the default torch.load refusing a pickled
module; a general checkpoint holding the model and optimizer objects themselves plus the epoch,
and resuming training from it."""
# needs: nn optim
import io
import os
import tempfile

import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
import tensorgraft.optim as optim

torch.manual_seed(0)


class TheModelClass(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 8)
        self.drop = nn.Dropout(0.5)
        self.bn = nn.BatchNorm1d(8)
        self.fc2 = nn.Linear(8, 3)

    def forward(self, x):
        x = self.drop(F.relu(self.bn(self.fc1(x))))
        return self.fc2(x)


model = TheModelClass()
optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
x = torch.randn(16, 6)
y = torch.randint(0, 3, (16,))


def train_step(m, opt):
    m.train()
    opt.zero_grad()
    loss = F.cross_entropy(m(x), y)
    loss.backward()
    opt.step()
    return loss.item()


for epoch in range(3):
    print(f"epoch {epoch} loss {train_step(model, optimizer):.4f}")

with tempfile.TemporaryDirectory() as d:
    PATH = os.path.join(d, "entire_model.pt")
    # Save/Load Entire Model
    torch.save(model, PATH)

    # Since PyTorch 2.6 the default weights_only=True refuses a pickled module.
    try:
        torch.load(PATH)
    except Exception as e:
        print(type(e).__name__, str(e).splitlines()[0])
        print([line.strip() for line in str(e).splitlines() if "WeightsUnpickler" in line])

    loaded = torch.load(PATH, weights_only=False)
    loaded.eval()
    model.eval()
    print(type(loaded).__name__, loaded.training, loaded.bn.training, loaded.drop.training)
    print(loaded)
    print(torch.equal(loaded(x), model(x)))
    print(loaded.bn.num_batches_tracked, loaded.bn.running_mean[:3])
    print(type(loaded.fc1.weight).__name__, loaded.fc1.weight.requires_grad, loaded.fc1.weight.grad is None)
    print(loaded.fc1.weight is model.fc1.weight, loaded.fc1.weight.data_ptr() == model.fc1.weight.data_ptr())
    with torch.no_grad():
        print(loaded(x[:2]).argmax(dim=1))

    # A general checkpoint with the objects themselves, not their state_dicts.
    CKPT = os.path.join(d, "checkpoint.tar")
    torch.save({"epoch": 3, "model": model, "optimizer": optimizer, "loss": 0.5}, CKPT)
    try:
        torch.load(CKPT, weights_only=True)
    except Exception as e:
        print(type(e).__name__, str(e).splitlines()[0])
    checkpoint = torch.load(CKPT, weights_only=False)
    print(sorted(checkpoint), checkpoint["epoch"], checkpoint["loss"])
    model2, optimizer2 = checkpoint["model"], checkpoint["optimizer"]
    print(type(model2).__name__, type(optimizer2).__name__, model2.training)
    print(optimizer2.param_groups[0]["lr"], optimizer2.param_groups[0]["momentum"])
    # the optimizer was pickled together with the model: its params are the loaded model's
    print(all(p is q for p, q in zip(optimizer2.param_groups[0]["params"], model2.parameters())))
    buf = optimizer2.state[model2.fc2.bias]["momentum_buffer"]
    print(buf.shape, torch.allclose(buf, optimizer.state[model.fc2.bias]["momentum_buffer"]))

    # Resuming: both copies train on identically and the losses agree.
    torch.manual_seed(1)
    original = [train_step(model, optimizer) for _ in range(2)]
    torch.manual_seed(1)
    resumed = [train_step(model2, optimizer2) for _ in range(2)]
    for epoch, (a, b) in enumerate(zip(original, resumed), start=checkpoint["epoch"]):
        print(f"epoch {epoch} original {a:.4f} resumed {b:.4f}")
    print("same weights:", torch.equal(model.fc2.weight, model2.fc2.weight))

    # The whole model through a file object, and its state_dict afterwards.
    with open(os.path.join(d, "m.pt"), "wb") as f:
        torch.save(model.fc2, f)
    with open(os.path.join(d, "m.pt"), "rb") as f:
        fc2 = torch.load(f, weights_only=False)
    print(fc2, list(fc2.state_dict()), torch.equal(fc2.bias, model.fc2.bias))

# A richer model: containers, buffers (one not persistent), plain attributes, a forward hook; saved
# with its Adam optimizer and the scheduler that points at that optimizer.


def log_shapes(module, inputs, output):
    pass


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(3, 3) for _ in range(2)])
        self.heads = nn.ModuleDict({"a": nn.Linear(3, 1), "b": nn.Linear(3, 2)})
        self.register_buffer("scale", torch.tensor([2.0, 3.0, 4.0]))
        self.register_buffer("cache", torch.zeros(1), persistent=False)
        self.config = {"hidden": 3, "act": "relu", "dropout": (0.1, 0.2)}
        self.alpha = nn.Parameter(torch.tensor(0.5))

    def forward(self, x):
        for layer in self.layers:
            x = F.relu(layer(x)) * self.scale
        return {k: h(x) * self.alpha for k, h in self.heads.items()}


enc = Encoder()
enc.register_forward_hook(log_shapes)
adam = optim.Adam(enc.parameters(), lr=1e-3)
sched = optim.lr_scheduler.StepLR(adam, step_size=2, gamma=0.1)
xe = torch.randn(2, 3)
enc(xe)["a"].sum().backward()
adam.step()
sched.step()
with tempfile.TemporaryDirectory() as d:
    torch.save({"model": enc, "optimizer": adam, "scheduler": sched}, os.path.join(d, "enc.pt"))
    ck = torch.load(os.path.join(d, "enc.pt"), weights_only=False, map_location="cpu")
m2, o2, s2 = ck["model"], ck["optimizer"], ck["scheduler"]
print(type(m2).__name__, m2.training, m2.config, m2.cache)
print(list(m2.state_dict()))
print(len(m2._forward_hooks), [f.__name__ for f in m2._forward_hooks.values()])
print(s2.optimizer is o2, s2.get_last_lr(), s2.last_epoch, o2.param_groups[0]["params"][0] is m2.alpha)
print(o2.state_dict()["state"][0]["step"], sorted(o2.state_dict()["state"][0]))
print({k: torch.equal(v, m2(xe)[k]) for k, v in enc(xe).items()}, m2.alpha)
print(m2)

# What cannot be pickled: a lambda attribute, a class defined inside a function, and a class the
# loading program no longer has.
enc.post = lambda t: t
try:
    torch.save(enc, os.path.join(tempfile.gettempdir(), "never-written.pt"))
except Exception as e:
    print(type(e).__name__, str(e).split(": ", 1)[1])
del enc.post


def build():
    class Local(nn.Module):
        def forward(self, x):
            return x
    return Local()


try:
    torch.save(build(), os.path.join(tempfile.gettempdir(), "never-written.pt"))
except Exception as e:
    print(type(e).__name__, e)
buffer = io.BytesIO()
torch.save(enc, buffer)
Renamed = Encoder
del Encoder
buffer.seek(0)
try:
    torch.load(buffer, weights_only=False)
except Exception as e:
    print(type(e).__name__, str(e).split(" on ")[0])

# Parametrized modules are refused (save their state_dict instead); a LambdaLR with a lambda cannot
# be pickled whole, one with a named function can.
wn = nn.utils.parametrizations.weight_norm(nn.Linear(3, 2))
try:
    torch.save(wn, io.BytesIO())
except Exception as e:
    print(type(e).__name__, str(e).splitlines()[0])
print(list(wn.state_dict()))
opt = optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1)
try:
    torch.save({"scheduler": optim.lr_scheduler.LambdaLR(opt, lambda e: 0.9 ** e)}, io.BytesIO())
except Exception as e:
    print(type(e).__name__, str(e).split(": ", 1)[1])


def warmup(epoch):
    return min(1.0, (epoch + 1) / 3)


buffer = io.BytesIO()
torch.save({"scheduler": optim.lr_scheduler.LambdaLR(opt, warmup)}, buffer)
buffer.seek(0)
restored = torch.load(buffer, weights_only=False)["scheduler"]
print(restored.lr_lambdas[0].__name__, restored.get_last_lr(), restored.optimizer.param_groups[0]["initial_lr"])
