"""Saving and loading model weights (the 'Save and Load the Model' tutorial and the state_dict
recipe): state_dict keys and shapes, register_buffer with persistent=False, load_state_dict with
strict=False and the printed missing/unexpected keys, strict errors, size mismatches."""
# needs: nn
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F

torch.manual_seed(0)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4 * 2 * 2, 3)
        self.register_buffer("running_count", torch.zeros(1))
        self.register_buffer("scratch", torch.ones(2), persistent=False)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn(self.conv1(x))), 2)
        self.running_count += 1
        return self.fc(torch.flatten(x, 1))


net = Net()
print(net)
sd = net.state_dict()
for k, v in sd.items():
    print(f"{k:24s} {str(tuple(v.shape)):14s} {v.dtype}")
print([name for name, _ in net.named_buffers()])
print("scratch" in sd, "running_count" in sd)
out = net(torch.randn(2, 1, 6, 6))
print(out.shape, net.running_count, net.bn.num_batches_tracked)
print(net.bn.running_mean)

net2 = Net()
result = net2.load_state_dict(net.state_dict())
print(result)
print(torch.equal(net2.fc.weight, net.fc.weight))

partial = {k: v for k, v in net.state_dict().items() if not k.startswith("fc.")}
partial["extra.weight"] = torch.zeros(3)
result = net2.load_state_dict(partial, strict=False)
print(result)
print(result.missing_keys, result.unexpected_keys)
missing, unexpected = result
print(missing, unexpected)

try:
    net2.load_state_dict(partial)
except Exception as e:
    print(type(e).__name__, e)

bad = dict(net.state_dict())
bad["fc.weight"] = torch.zeros(5, 16)
try:
    net2.load_state_dict(bad)
except Exception as e:
    print(type(e).__name__, e)

try:
    net2.register_buffer("fc", torch.zeros(1))
except Exception as e:
    print(type(e).__name__, e)
try:
    net2.register_buffer("a.b", torch.zeros(1))
except Exception as e:
    print(type(e).__name__, e)
try:
    net2.register_buffer("w", [1, 2])
except Exception as e:
    print(type(e).__name__, e)
net2.register_buffer("empty", None)
print("empty" in net2.state_dict(), net2.empty)

# a whole sub-module's state dict and prefixes
print(list(net.fc.state_dict().keys()))
print(list(net.state_dict(prefix="model.").keys())[:3])
seq = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
print(list(seq.state_dict().keys()))
wrapped = nn.ModuleDict({"backbone": seq})
print(list(wrapped.state_dict().keys()))
keep = seq.state_dict(keep_vars=True)
print(type(keep["0.weight"]).__name__, keep["0.weight"].requires_grad, seq.state_dict()["0.weight"].requires_grad)

# optimizer state is a separate state dict; modules copy values in place
before = seq[0].weight.data_ptr()
seq.load_state_dict({k: v * 0 + 1 for k, v in seq.state_dict().items()})
print(seq[0].weight, seq[0].weight.data_ptr() == before)
print(seq(torch.ones(1, 2)))
print(seq.load_state_dict(seq.state_dict(), strict=True))
