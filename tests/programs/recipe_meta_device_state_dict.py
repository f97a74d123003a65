"""Module-construction and state_dict recipes: 'Skipping Module Parameter Initialization'
(torch.nn.utils.skip_init, building on device='meta', to_empty(device='cpu') then
reset_parameters), 'Changing default device' (torch.set_default_device, ``with torch.device``
blocks, get_default_device), and the state_dict tips: load_state_dict(assign=True) into a
meta-device model, torch.load(mmap=True) on an in-memory buffer, and the state_dict /
load_state_dict hooks (register_load_state_dict_post_hook, _register_state_dict_hook,
register_state_dict_pre_hook)."""
# needs: nn
import io

import tensorgraft as torch
import tensorgraft.nn as nn

torch.manual_seed(0)

# ---- skip_init: the parameters are allocated but never initialised
m = torch.nn.utils.skip_init(nn.Linear, 5, 1)
print(m)
print(m.weight.shape, m.weight.dtype, m.weight.device, m.bias.shape)
m2 = torch.nn.utils.skip_init(nn.Linear, in_features=6, out_features=3, bias=False, dtype=torch.float64)
print(m2, m2.weight.dtype, m2.bias)
# nothing was drawn from the random generator to initialise them
print(torch.randn(3))
with torch.no_grad():
    m.weight.fill_(0.5)
    m.bias.zero_()
print(m(torch.ones(2, 5)))


class MyModule(nn.Module):
    def __init__(self, foo, bar, device=None):
        super().__init__()
        self.conv = nn.Conv2d(2, foo, 3, device=device)
        self.fc = nn.Linear(bar, 4, device=device)

    def forward(self, x):
        return self.fc(self.conv(x).flatten(1))


class NoDevice(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 3)


for bad in [lambda: torch.nn.utils.skip_init(NoDevice),
            lambda: torch.nn.utils.skip_init(nn.ReLU),
            lambda: torch.nn.utils.skip_init(nn.Linear(2, 2))]:
    try:
        bad()
        print("no error")
    except Exception as e:
        print(type(e).__name__, e)
s = torch.nn.utils.skip_init(MyModule, 3, 48)
print(s)
print([(n, tuple(p.shape), p.device.type) for n, p in s.named_parameters()])
s.set_submodule("fc", nn.Linear(48, 2))
print(s.fc, s(torch.ones(1, 2, 6, 6)).shape)

# ---- the meta device: shapes without storage
big = nn.Linear(1000, 2000, device="meta")
print(big)
print(big.weight)
print(big.weight.device, big.weight.is_meta, big.weight.shape, big.weight.requires_grad)
t = torch.empty(3, 4, device="meta")
print(t, (t + 1).device, (t @ torch.empty(4, 2, device="meta")).shape)
try:
    t.item()
except Exception as e:
    print(type(e).__name__, e)
try:
    t.tolist()
except Exception as e:
    print(type(e).__name__, e)

with torch.device("meta"):
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
print(model)
print({n: p.device.type for n, p in model.named_parameters()})
print(model(torch.empty(3, 4, device="meta")).shape)
model.to_empty(device="cpu")
print({n: p.device.type for n, p in model.named_parameters()})
torch.manual_seed(1)
for layer in model:
    if hasattr(layer, "reset_parameters"):
        layer.reset_parameters()
print(model[0].bias)
print(model(torch.ones(1, 4)))

# tied weights (an embedding shared with the output layer) must be tied again after to_empty
with torch.device("meta"):
    lm = nn.Sequential(nn.Embedding(10, 4), nn.Linear(4, 10, bias=False))
lm[1].weight = lm[0].weight
print([n for n, _ in lm.named_parameters()])
lm.to_empty(device="cpu")
print([n for n, _ in lm.named_parameters()], lm[0].weight is lm[1].weight)
lm[1].weight = lm[0].weight
print([n for n, _ in lm.named_parameters()], lm[1].weight.device)
try:
    nn.Linear(2, 2, device="meta").to("cpu")
except Exception as e:
    print(type(e).__name__, str(e).splitlines()[0])

# ---- changing the default device
print(torch.get_default_device())
torch.set_default_device("meta")
print(torch.get_default_device(), torch.randn(2).device, nn.Linear(2, 2).weight.device)
print(torch.ones(2, device="cpu").device)
torch.set_default_device(None)
print(torch.get_default_device(), torch.randn(2).device)
with torch.device("meta"):
    print(torch.zeros(3).device, torch.tensor([1, 2]).device, torch.arange(4).device)
print(torch.zeros(3).device)
with torch.device("cpu"):
    print(torch.get_default_device(), torch.eye(2).device)
d = torch.device("cpu")
print(d, repr(d), d.type, d.index, torch.device("cpu", 0), torch.device("meta") == torch.device("meta"))
try:
    torch.device("cpux")
except Exception as e:
    print(type(e).__name__, e)

# ---- state_dict tips: load_state_dict(assign=True)
torch.manual_seed(0)
src = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
sd = src.state_dict()
with torch.device("meta"):
    meta_model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
print(meta_model.load_state_dict(sd, assign=True))
print(meta_model[0].weight.device, meta_model[0].weight.requires_grad, type(meta_model[0].weight).__name__)
print(meta_model[0].weight is not sd["0.weight"], meta_model[1].running_var.device)
print(torch.equal(meta_model[0].weight, src[0].weight))
with torch.device("meta"):
    meta2 = nn.Linear(4, 3)
print(meta2.load_state_dict({"weight": torch.ones(3, 4), "bias": torch.zeros(3)}, strict=True))
print(meta2.weight.device)
try:
    meta2 = nn.Linear(4, 3, device="meta")
    meta2.load_state_dict({"weight": torch.ones(3, 4), "bias": torch.zeros(3)}, assign=True, strict=False)
    print(meta2.weight.device, meta2.weight.requires_grad)
    meta2.load_state_dict({"weight": torch.ones(2, 4), "bias": torch.zeros(3)}, assign=True)
except Exception as e:
    print(type(e).__name__, e)

# ---- torch.save / torch.load round trip in memory, and mmap=True
buf = io.BytesIO()
torch.save(src.state_dict(), buf)
buf.seek(0)
loaded = torch.load(buf, weights_only=True)
print(list(loaded.keys()), torch.equal(loaded["0.weight"], src[0].weight))
buf.seek(0)
try:
    torch.load(buf, mmap=True)
except Exception as e:
    print(type(e).__name__, e)


# ---- state_dict hooks
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)


net = Net()


def post_hook(module, incompatible_keys):
    print("post hook:", type(module).__name__, incompatible_keys.missing_keys, incompatible_keys.unexpected_keys)
    # clearing the lists makes a strict load accept what was missing
    incompatible_keys.missing_keys.clear()


handle = net.register_load_state_dict_post_hook(post_hook)
print(handle)
print(net.load_state_dict({"fc.weight": torch.zeros(2, 2)}))
print(net.fc.weight)
handle.remove()
try:
    net.load_state_dict({"fc.weight": torch.zeros(2, 2)})
except Exception as e:
    print(type(e).__name__, e)


def sd_hook(module, state_dict, prefix, local_metadata):
    print("state_dict hook:", type(module).__name__, repr(prefix), list(state_dict.keys()))
    state_dict[prefix + "extra"] = torch.tensor(7)
    return state_dict


def sd_pre_hook(module, prefix, keep_vars):
    print("state_dict pre hook:", type(module).__name__, repr(prefix), keep_vars)


h1 = net.fc._register_state_dict_hook(sd_hook)
h2 = net.register_state_dict_pre_hook(sd_pre_hook)
out = net.state_dict()
print(list(out.keys()), out["fc.extra"])
h1.remove()
h2.remove()
print(list(net.state_dict().keys()))


def pre_load_hook(module, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs):
    print("load pre hook:", repr(prefix), sorted(state_dict.keys()), strict)
    # rename an old checkpoint key
    if prefix + "w" in state_dict:
        state_dict[prefix + "weight"] = state_dict.pop(prefix + "w")


net.fc._register_load_state_dict_pre_hook(pre_load_hook, with_module=True)
print(net.load_state_dict({"fc.w": torch.ones(2, 2), "fc.bias": torch.ones(2)}))
print(net.fc.weight)
