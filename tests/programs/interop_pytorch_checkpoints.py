"""Bringing PyTorch's files over: a training checkpoint written by PyTorch's torch.save is loaded
with torch.load (weights_only, map_location, mmap), the model and optimizer resume training, the
same weights come through torch.hub.load_state_dict_from_url (a file:// URL into a fresh cache),
and a file holding NumPy values needs weights_only=False as in PyTorch 2.6+."""
# needs: nn optim
import contextlib
import io
import os
import pathlib
import pickle
import tempfile

import tensorgraft as torch
import tensorgraft.nn as nn

HERE = pathlib.Path.cwd()  # programs run from their own folder
CHECKPOINTS = HERE.parents[1] / "packages" / "tensor-core" / "tests" / "data" / "pytorch_checkpoints"

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

ckpt = torch.load(CHECKPOINTS / "training_checkpoint.pt", map_location="cpu")
print(sorted(ckpt))
print(ckpt["epoch"], ckpt["loss"], ckpt["tags"], ckpt["pair"], ckpt["dtype"], ckpt["size"], ckpt["device"])
print(type(ckpt["model"]).__name__, list(ckpt["model"]))
print(model.load_state_dict(ckpt["model"]))
optimizer.load_state_dict(ckpt["optimizer"])
print(optimizer)
print(optimizer.state_dict()["state"][1])

x = torch.linspace(-1, 1, 15).reshape(5, 3)
y = torch.stack([x.sum(1), x[:, 0] - x[:, 2]], 1)
for epoch in range(ckpt["epoch"], ckpt["epoch"] + 4):
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
    print(epoch, round(loss.item(), 5))
print(model[0].weight)

# the same weights, from a URL, through the hub cache
with tempfile.TemporaryDirectory() as cache:
    url = (CHECKPOINTS / "mlp_state_dict.pt").as_uri()
    said = io.StringIO()
    with contextlib.redirect_stdout(said):  # the line names this machine's paths
        state = torch.hub.load_state_dict_from_url(url, model_dir=cache, progress=False)
    print(said.getvalue().replace(url, "<url>").replace(cache, "<cache>").strip())
    print(sorted(os.listdir(cache)), list(state))
    fresh = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    fresh.load_state_dict(state)
    with torch.no_grad():
        print(fresh(x[:2]))

mapped = torch.load(str(CHECKPOINTS / "mlp_state_dict.pt"), mmap=True)
print(mapped["2.bias"], mapped["0.weight"].stride())

views = torch.load(CHECKPOINTS / "dtypes_and_views.pt")
views["base"][0, 1] = -1.0
print(views["transposed"][1], views["bfloat16"], views["complex64"][:2], views["parameter"])

try:
    torch.load(CHECKPOINTS / "plain_data.pt")
except pickle.UnpicklingError as e:
    print(type(e).__name__, str(e).splitlines()[-3].strip()[:80])
plain = torch.load(CHECKPOINTS / "plain_data.pt", weights_only=False)
print(plain["best_acc"], plain["order"], plain["args"], plain["frozen"])
