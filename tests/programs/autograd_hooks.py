"""Tensor and Node hooks as used for gradient clipping, inspection and debugging: register_hook
that modifies or logs gradients, retain_grad on intermediate tensors, the non-leaf .grad warning,
grad_fn.next_functions graph walks, grad_fn.register_hook / register_prehook, hook handles'
remove(), post-accumulate-grad hooks, and module full backward hooks."""
# needs: nn
import warnings

import tensorgraft as torch
import tensorgraft.nn as nn

torch.manual_seed(0)
x = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
y = x * 2
z = y.exp()
out = z.sum()

log = []
h1 = y.register_hook(lambda g: log.append(("y", g.clone())))
h2 = x.register_hook(lambda g: g * 10)
y.retain_grad()
print(type(h1).__name__)
out.backward()
print(x.grad)
print(y.grad)
print(log)
print(x.is_leaf, y.is_leaf, z.is_leaf, y.retains_grad, z.retains_grad)

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    print(z.grad)
print(len(caught), caught[0].category.__name__ if caught else None)
print(str(caught[0].message).split(".")[0] if caught else None)

h2.remove()
h1.remove()
x.grad = None
(x * 2).exp().sum().backward()
print(x.grad)

# clipping gradients with a hook
w = torch.randn(4, requires_grad=True)
w.register_hook(lambda g: g.clamp(-0.5, 0.5))
(w * torch.tensor([2.0, -3.0, 0.1, 1.0])).sum().backward()
print(w.grad)

# hooks returning None do not change the gradient; several hooks run in registration order
order = []
v = torch.ones(2, requires_grad=True)
u = v * 3
u.register_hook(lambda g: order.append("first"))
u.register_hook(lambda g: order.append("second") or g + 1)
u.register_hook(lambda g: order.append(f"third {g.tolist()}"))
u.sum().backward()
print(order, v.grad)

# graph walk via next_functions
a = torch.randn(2, 3, requires_grad=True)
b = torch.randn(3, requires_grad=True)
c = (a * b).relu().mean()
print(c.grad_fn.name())


def walk(fn, depth=0):
    if fn is None:
        return
    print("  " * depth + fn.name())
    for nxt, _ in fn.next_functions:
        walk(nxt, depth + 1)


walk(c.grad_fn)
print(len(c.grad_fn.next_functions), c.grad_fn.next_functions[0][1])
acc = c.grad_fn.next_functions[0][0].next_functions[0][0].next_functions[0][0]
print(acc.name(), acc.variable is a, acc.variable.shape)
print(a.grad_fn, torch.tensor(1.0).grad_fn)

# node hooks
events = []
mul_node = c.grad_fn.next_functions[0][0].next_functions[0][0]
print(mul_node.name())
hpre = mul_node.register_prehook(lambda gout: events.append(("pre", [t.shape for t in gout])))
hpost = mul_node.register_hook(lambda gin, gout: events.append(("post", [None if t is None else t.shape for t in gin])))
c.backward(retain_graph=True)
print(events)
hpre.remove()
hpost.remove()
events.clear()
c.backward()
print(events)
print(b.grad)

# a node prehook that replaces the incoming gradient
p = torch.tensor([1.0, 2.0], requires_grad=True)
q = p.sin()
q.grad_fn.register_prehook(lambda gout: (gout[0] * 0,))
q.sum().backward()
print(p.grad)

# post-accumulate-grad hook (used for optimizer-in-backward)
param = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
seen = []


def step_hook(t):
    seen.append(t.grad.clone())
    with torch.no_grad():
        t.sub_(0.1 * t.grad)
    t.grad = None


handle = param.register_post_accumulate_grad_hook(step_hook)
for _ in range(2):
    (param ** 2).sum().backward()
print(param, seen, param.grad)
handle.remove()
try:
    (param * 2).register_post_accumulate_grad_hook(step_hook)
except Exception as e:
    print(type(e).__name__, e)
try:
    torch.ones(2).register_hook(lambda g: g)
except Exception as e:
    print(type(e).__name__, e)

# module full backward hooks and forward hooks
model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
records = []


def bw_hook(module, grad_input, grad_output):
    records.append((type(module).__name__, [None if g is None else tuple(g.shape) for g in grad_input],
                    [tuple(g.shape) for g in grad_output]))


def fw_hook(module, inp, outp):
    records.append(("fwd", type(module).__name__, tuple(outp.shape)))


hs = [m.register_full_backward_hook(bw_hook) for m in model]
fh = model[0].register_forward_hook(fw_hook)
inp = torch.randn(5, 3, requires_grad=True)
model(inp).pow(2).sum().backward()
for r in records:
    print(r)
for hh in hs:
    hh.remove()
fh.remove()
records.clear()
model(inp).sum().backward()
print(records, inp.grad.shape)

# retain_grad on a leaf is a no-op; on a non-requires-grad tensor it errors
leaf = torch.ones(2, requires_grad=True)
leaf.retain_grad()
print(leaf.retains_grad)
try:
    torch.ones(2).retain_grad()
except Exception as e:
    print(type(e).__name__, e)
