"""The torch.autograd.graph API used by debugging and distributed-training code: Node objects
(name, next_functions, metadata, register_hook / register_prehook), register_multi_grad_hook
('all' and 'any' modes), get_gradient_edge with autograd.grad, increment_version,
allow_mutation_on_saved_tensors, plus Variable and legacy entry points that old tutorials use."""
import tensorgraft as torch
from tensorgraft.autograd.graph import Node

torch.manual_seed(0)
a = torch.randn(3, requires_grad=True)
b = torch.randn(3, requires_grad=True)
c = (a * b).sum()
print(isinstance(c.grad_fn, Node), isinstance(c.grad_fn, torch.autograd.graph.Node))
print(issubclass(type(c.grad_fn), Node), isinstance(a, Node))
c.grad_fn.metadata["tag"] = "loss"
print(c.grad_fn.metadata)

# multi grad hooks
seen = []


def all_hook(grads):
    seen.append(("all", [None if g is None else tuple(g.shape) for g in grads]))


handle = torch.autograd.graph.register_multi_grad_hook((a, b), all_hook)
(a * 2).sum().backward()
print(seen)
seen.clear()
c.backward(retain_graph=True)
print(seen)
handle.remove()
seen.clear()
c.backward(retain_graph=True)
print(seen)


def any_hook(grad):
    seen.append(("any", tuple(grad.shape)))


h2 = torch.autograd.graph.register_multi_grad_hook((a, b), any_hook, mode="any")
c.backward(retain_graph=True)
print(seen)
h2.remove()
try:
    torch.autograd.graph.register_multi_grad_hook((a, b), any_hook, mode="some")
except Exception as e:
    print(type(e).__name__, e)

# gradient edges
x = torch.randn(2, 2, requires_grad=True)
h = x.tanh()
out = (h * 3).sum()
edge = torch.autograd.graph.get_gradient_edge(h)
print(type(edge).__name__, edge.node.name(), edge.output_nr)
(gh,) = torch.autograd.grad(out, edge, retain_graph=True)
print(gh)
(gx,) = torch.autograd.grad(out, torch.autograd.graph.get_gradient_edge(x))
print(gx.shape)

# increment_version: make autograd notice an out-of-band modification
w = torch.randn(3, requires_grad=True)
s = w.sigmoid()
print(s._version)
torch.autograd.graph.increment_version(s)
print(s._version)
try:
    s.sum().backward()
except Exception as e:
    print(type(e).__name__, str(e)[:100])

# allow_mutation_on_saved_tensors
with torch.autograd.graph.allow_mutation_on_saved_tensors():
    v = torch.randn(3, requires_grad=True)
    t = v.clone()
    y = t * t
    t.mul_(2)
    y.sum().backward()
print(torch.allclose(v.grad, 2 * v))

# Variable is just Tensor now
var = torch.autograd.Variable(torch.ones(2), requires_grad=True)
print(var, type(var).__name__, isinstance(var, torch.Tensor))
(var * 3).sum().backward()
print(var.grad)

# Node hooks on AccumulateGrad and their order relative to tensor hooks
order = []
leaf = torch.ones(2, requires_grad=True)
tmp = leaf * 2
acc = tmp.grad_fn.next_functions[0][0]
print(acc.name())
leaf.register_hook(lambda g: order.append("tensor hook"))
acc.register_prehook(lambda gs: order.append("node prehook"))
acc.register_hook(lambda gi, go: order.append("node hook"))
leaf.register_post_accumulate_grad_hook(lambda t: order.append("post accumulate"))
tmp.sum().backward()
print(order)

# a hook on the grad_fn of an output that also has tensor hooks
order.clear()
z = leaf * 5
z.register_hook(lambda g: order.append("z tensor hook") or g * 2)
z.grad_fn.register_prehook(lambda gs: order.append(f"prehook {gs[0].tolist()}"))
z.grad_fn.register_hook(lambda gi, go: order.append(f"hook {gi[0].tolist()} {go[0].tolist()}"))
z.sum().backward()
print(order)
try:
    z.grad_fn.register_hook(lambda gi, go: 1)
    (leaf * 5).sum().backward()
except Exception as e:
    print(type(e).__name__, e)
bad = leaf * 7
bad.grad_fn.register_prehook(lambda gs: 5)
try:
    bad.sum().backward()
except Exception as e:
    print(type(e).__name__, e)
