"""Debugging and memory tools from the autograd mechanics notes: detect_anomaly /
set_detect_anomaly catching NaN gradients, saved tensor hooks (saved_tensors_hooks, save_on_cpu,
grad_fn._saved_* attributes and their pack/unpack hooks), disable_saved_tensors_hooks, and
activation checkpointing with torch.utils.checkpoint (checkpoint, checkpoint_sequential)."""
# needs: nn
import tensorgraft as torch
import tensorgraft.nn as nn
from tensorgraft.utils.checkpoint import checkpoint, checkpoint_sequential

torch.manual_seed(0)

# anomaly detection
print(torch.is_anomaly_enabled())
x = torch.tensor([0.0, 1.0], requires_grad=True)
with torch.autograd.detect_anomaly():
    print(torch.is_anomaly_enabled(), torch.is_anomaly_check_nan_enabled())
    y = x.sqrt() * 0
    try:
        y.sum().backward()
    except Exception as e:
        print(type(e).__name__, e)
print(torch.is_anomaly_enabled())
y = (x.sqrt() * 0).sum()
y.backward()
print(x.grad)
with torch.autograd.set_detect_anomaly(True, check_nan=False):
    print(torch.is_anomaly_enabled(), torch.is_anomaly_check_nan_enabled())
    x.grad = None
    (x.sqrt() * 0).sum().backward()
    print(x.grad)


class BadBackward(torch.autograd.Function):
    @staticmethod
    def forward(ctx, inp):
        return inp.clone()

    @staticmethod
    def backward(ctx, g):
        return g * float("nan")


with torch.autograd.detect_anomaly():
    try:
        BadBackward.apply(torch.ones(3, requires_grad=True)).sum().backward()
    except Exception as e:
        print(type(e).__name__, e)

# saved tensor attributes
a = torch.randn(3, requires_grad=True)
b = torch.randn(3, requires_grad=True)
c = a * b
print(c.grad_fn._saved_self is a, c.grad_fn._saved_other is b)
e = a.exp()
print(e.grad_fn._saved_result.equal(e), e.grad_fn._saved_result is e)
s = a.sum(dim=0, keepdim=True)
print(s.grad_fn._saved_dim, s.grad_fn._saved_keepdim, s.grad_fn._saved_self_sym_sizes)
p = a.pow(3)
print(p.grad_fn._saved_exponent)
c.sum().backward()
try:
    print(c.grad_fn._saved_self)
except Exception as ex:
    print(type(ex).__name__, str(ex).split("\n")[0][:110])

# pack / unpack hooks
events = []


def pack_hook(t):
    events.append(("pack", tuple(t.shape)))
    return t.clone()


def unpack_hook(t):
    events.append(("unpack", tuple(t.shape)))
    return t


w = torch.randn(2, 3, requires_grad=True)
with torch.autograd.graph.saved_tensors_hooks(pack_hook, unpack_hook):
    z = (w * w).sin().sum()
print(events)
z.backward()
print(events)
print(w.grad.shape)

z2 = w.pow(2)
z2.grad_fn._raw_saved_self.register_hooks(lambda t: t * 2, lambda t: t)
z2.sum().backward()
print(torch.allclose(w.grad, 2 * w + 4 * w))

storage = {}


def pack_to_dict(t):
    key = len(storage)
    storage[key] = t.detach().clone()
    return key


with torch.autograd.graph.saved_tensors_hooks(pack_to_dict, lambda k: storage[k]):
    q = (w.tanh() * w).sum()
print(sorted(storage))
q.backward()

with torch.autograd.graph.save_on_cpu(pin_memory=False):
    r = (w @ w.t()).relu().sum()
r.backward()
print(w.grad.shape)

with torch.autograd.graph.disable_saved_tensors_hooks("saved tensor hooks are off here"):
    try:
        with torch.autograd.graph.saved_tensors_hooks(pack_hook, unpack_hook):
            pass
    except Exception as ex:
        print(type(ex).__name__, ex)

# activation checkpointing
net = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 2))
inp = torch.randn(4, 6, requires_grad=True)
calls = []
net[2].register_forward_hook(lambda m, i, o: calls.append("fwd"))
ref = net(inp).pow(2).sum()
ref.backward()
ref_grads = [p.grad.clone() for p in net.parameters()]
ref_inp = inp.grad.clone()
net.zero_grad()
inp.grad = None
calls.clear()


def segment(t):
    return net[2](net[1](net[0](t)))


h = checkpoint(segment, inp, use_reentrant=False)
print(h.shape, h.requires_grad, calls)
print(h.grad_fn.name())
out = net[4](net[3](h)).pow(2).sum()
print(f"{out.item():.4f} {ref.item():.4f}")
out.backward()
print(calls)
print(all(torch.allclose(p.grad, g, atol=1e-6) for p, g in zip(net.parameters(), ref_grads)),
      torch.allclose(inp.grad, ref_inp, atol=1e-6))

net.zero_grad()
calls.clear()
out2 = checkpoint_sequential(net, 2, inp, use_reentrant=False).pow(2).sum()
out2.backward()
print(f"{out2.item():.4f}", calls)
print(all(torch.allclose(p.grad, g, atol=1e-6) for p, g in zip(net.parameters(), ref_grads)))

net.zero_grad()
calls.clear()
hr = checkpoint(segment, inp, use_reentrant=True)
print(hr.grad_fn.name())
net[4](net[3](hr)).pow(2).sum().backward()
print(calls, all(torch.allclose(p.grad, g, atol=1e-6) for p, g in zip(net.parameters(), ref_grads)))

drop = nn.Sequential(nn.Linear(6, 6), nn.Dropout(0.5))
torch.manual_seed(1)
d1 = checkpoint(drop, inp, use_reentrant=False)
d1.sum().backward()
print(d1.shape, f"{d1.sum().item():.4f}", d1.grad_fn.name())
print(drop[0].weight.grad.abs().sum() > 0)

counter = [0]


def changes_shape(t):
    counter[0] += 1
    return (t * t).sin() if counter[0] == 1 else (t[:2] * t[:2]).sin()


bad = checkpoint(changes_shape, torch.randn(3, requires_grad=True), use_reentrant=False)
try:
    bad.sum().backward()
except Exception as ex:
    print(type(ex).__name__, str(ex).split("\n")[:3])
with torch.no_grad():
    print(checkpoint(segment, inp, use_reentrant=False).requires_grad)
