"""Checkpointing a model that carries non-tensor state, as the nn.Module docs describe for
get_extra_state/set_extra_state (a normalizer keeping its config and a vocabulary in the
state_dict), saved with torch.save and restored with torch.load; then the "load_state_dict with
assign=True" recipe for a model built on the meta device with some layers frozen (the module's
requires_grad wins over the checkpoint's), and feature extraction with forward hooks whose
handles are used as context managers."""
# needs: nn optim
import io

import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.utils.hooks import RemovableHandle

torch.manual_seed(0)


class Standardize(nn.Module):
    """Scales inputs with running statistics; its config and a label vocabulary are extra state."""

    def __init__(self, num_features, eps=1e-5):
        super().__init__()
        self.register_buffer("mean", torch.zeros(num_features))
        self.register_buffer("std", torch.ones(num_features))
        self.eps = eps
        self.vocab = ["cat", "dog", "bird"]

    def forward(self, x):
        return (x - self.mean) / (self.std + self.eps)

    def get_extra_state(self):
        return {"eps": self.eps, "vocab": list(self.vocab)}

    def set_extra_state(self, state):
        print("set_extra_state got", state)
        self.eps = state["eps"]
        self.vocab = list(state["vocab"])


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm = Standardize(4)
        self.body = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))

    def forward(self, x):
        return self.body(self.norm(x))


model = Classifier()
x = torch.randn(16, 4) * 3 + 1
y = torch.randint(0, 3, (16,))
with torch.no_grad():
    model.norm.mean.copy_(x.mean(0))
    model.norm.std.copy_(x.std(0))
model.norm.eps = 1e-3
model.norm.vocab = ["cat", "dog", "fox"]

opt = torch.optim.SGD(model.parameters(), lr=0.1)
for step in range(5):
    opt.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    print(f"step {step} loss {loss.item():.4f}")

sd = model.state_dict()
print(list(sd.keys()))
print(sd["norm._extra_state"])
print(list(sd._metadata.keys()))

buf = io.BytesIO()
torch.save({"model": sd, "epoch": 5}, buf)
buf.seek(0)
ckpt = torch.load(buf)
print(ckpt["epoch"], ckpt["model"]["norm._extra_state"])

fresh = Classifier()
print(fresh.norm.eps, fresh.norm.vocab)
print(fresh.load_state_dict(ckpt["model"]))
print(fresh.norm.eps, fresh.norm.vocab)
print(torch.allclose(fresh(x), model(x)))

# ---- missing and unexpected extra state
partial = {k: v for k, v in ckpt["model"].items() if k != "norm._extra_state"}
try:
    fresh.load_state_dict(partial)
except RuntimeError as e:
    print(type(e).__name__, e)
print(fresh.load_state_dict(partial, strict=False))

plain = nn.Linear(4, 8)
sd_plain = plain.state_dict()
sd_plain["_extra_state"] = {"note": "not expected"}
try:
    plain.load_state_dict(sd_plain)
except RuntimeError as e:
    print(type(e).__name__, e)
print(plain.load_state_dict(sd_plain, strict=False))

try:
    nn.Module().get_extra_state()
except RuntimeError as e:
    print(type(e).__name__, str(e)[:60])

# ---- assign=True into a meta-device model with a frozen body
with torch.device("meta"):
    meta_model = Classifier()
meta_model.body[0].requires_grad_(False)
print(meta_model.body[0].weight.device, meta_model.body[0].weight.requires_grad)
ckpt_sd = dict(ckpt["model"])
ckpt_sd["body.2.weight"] = nn.Parameter(ckpt_sd["body.2.weight"].clone(), requires_grad=False)
print(meta_model.load_state_dict(ckpt_sd, assign=True))
for name, p in meta_model.named_parameters():
    print(name, type(p).__name__, p.device, p.requires_grad, p.is_leaf)
print(meta_model.body[2].weight is ckpt_sd["body.2.weight"], ckpt_sd["body.2.weight"].requires_grad)
print(meta_model.norm.vocab, meta_model.norm.mean.device)
print(torch.allclose(meta_model(x), model(x)))

bad = {k[len("body."):]: v for k, v in ckpt_sd.items() if k.startswith("body.")}
bad["0.bias"] = torch.zeros(8, dtype=torch.int64)
meta_model.body[0].bias.requires_grad_(True)
try:
    meta_model.body.load_state_dict(bad, assign=True)
except RuntimeError as e:
    print(type(e).__name__, e)

# ---- feature extraction with hooks; handles are torch.utils.hooks.RemovableHandle
features = {}


def save_output(name):
    def hook(module, inputs, output):
        features[name] = output.detach()
    return hook


h1 = model.body[1].register_forward_hook(save_output("relu"))
h2 = model.norm.register_forward_pre_hook(lambda m, args: print("pre-hook input", tuple(args[0].shape)))
print(isinstance(h1, RemovableHandle), isinstance(h2, RemovableHandle), h2.id - h1.id)
out = model(x[:2])
print(features["relu"].shape, out.shape)
h2.remove()
with model.body[2].register_forward_hook(lambda m, i, o: o * 0) as h3:
    print(model(x[:2]))
    print(len(model.body[2]._forward_hooks), isinstance(h3, RemovableHandle))
print(len(model.body[2]._forward_hooks), len(model.norm._forward_pre_hooks))
h1.remove()
print(len(model.body[1]._forward_hooks))

with model.register_forward_hook(lambda m, a, kw, o: print("kwargs", kw), with_kwargs=True):
    model(x[:1])
print(len(model._forward_hooks_with_kwargs))


def post_hook(module, incompatible_keys):
    print("post hook", incompatible_keys.missing_keys)
    incompatible_keys.missing_keys.clear()


handle = fresh.register_load_state_dict_post_hook(post_hook)
print(type(handle).__name__, fresh.load_state_dict(partial))
handle.remove()
print(len(fresh._load_state_dict_post_hooks))

# ---- moving and casting the whole model
print(model.to(torch.float64).body[0].weight.dtype, model.norm.mean.dtype)
print(model.to("cpu", torch.float32).body[0].weight.dtype)
for bad_call in (lambda: model.to(torch.float32, "cpu"), lambda: model.to("cpu", copy=True),
                 lambda: model.to(torch.int64)):
    try:
        bad_call()
    except (TypeError, RuntimeError) as e:
        print(type(e).__name__, str(e).splitlines()[0])
print(model.bfloat16().body[2].bias.dtype, model.float().body[2].bias.dtype)
print(list(model.state_dict(keep_vars=True))[:3])
