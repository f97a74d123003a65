"""In-place operations and views under autograd, as discussed in the 'Autograd mechanics' notes
and common forum questions: in-place on views of non-leaves (CopySlices), .data versus
.detach(), multi-output views modified in place, in-place activations (ReLU(inplace=True)),
masked assignment in forward code, and the errors autograd raises for unsafe cases."""
# needs: nn
import tensorgraft as torch
import tensorgraft.nn as nn

torch.manual_seed(0)
x = torch.randn(4, requires_grad=True)
y = x.clone()
y[1:3] = 0
print(y, y.grad_fn.name())
y.sum().backward()
print(x.grad)

x.grad = None
y = x * 2
y[y < 0] = 0
print(y.grad_fn.name())
y.sum().backward()
print(x.grad)

# in-place through a view updates the base's history
x.grad = None
base = x.clone()
view = base.view(2, 2)
view.mul_(3)
print(view.grad_fn.name(), base.grad_fn.name(), view._base is base, view.is_leaf)
base.sum().backward()
print(x.grad)

x.grad = None
base = x.exp()
row = base[:2]
row.add_(1)
print(base.grad_fn.name(), row.grad_fn.name())
try:
    base.sum().backward()
except Exception as e:
    print(type(e).__name__, str(e)[:150])
x.grad = None
base = x * 1
row = base[:2]
row.add_(1)
base.sum().backward()
print(x.grad)

# multi-output views may not be modified in place
parts = x.clone().unbind(0)
try:
    parts[0].mul_(2)
except Exception as e:
    print(type(e).__name__, str(e).split(".")[0])
pieces = x.clone().split(2)
try:
    pieces[0].add_(1)
except Exception as e:
    print(type(e).__name__, str(e).split(".")[0])
chunked = x.clone().chunk(2)
try:
    chunked[1].zero_()
except Exception as e:
    print(type(e).__name__, str(e).split(".")[0])

# views of leaves
leaf = torch.zeros(3, requires_grad=True)
try:
    leaf[0].fill_(1)
except Exception as e:
    print(type(e).__name__, e)
with torch.no_grad():
    leaf[0] = 1
print(leaf, leaf.grad_fn)
v = leaf[1:]
with torch.no_grad():
    v.mul_(2)
print(v.requires_grad, v._version)

# .data versus .detach()
t = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
out = t.sigmoid()
c = out.data
c.zero_()
print(out, out._version)
out.sum().backward()
print(t.grad)
t.grad = None
out = t.sigmoid()
d = out.detach()
d.zero_()
print(out._version, d._version)
try:
    out.sum().backward()
except Exception as e:
    print(type(e).__name__, str(e)[:100])
print(t.data, t.data.requires_grad, type(t.data).__name__)
t.data = torch.tensor([5.0, 6.0, 7.0])
print(t, t.is_leaf)

# in-place activations
net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(inplace=True), nn.Linear(4, 1))
print(net)
inp = torch.randn(2, 3)
h = net[0](inp)
h2 = net[1](h)
print(h2 is h, h.grad_fn.name())
net(inp).sum().backward()
print(net[0].weight.grad.shape)
sig = nn.Sigmoid()
s = sig(torch.randn(3, requires_grad=True) * 1)
try:
    s.mul_(2).sum().backward()
except Exception as e:
    print(type(e).__name__, str(e)[:120])

# version counter on views shares with the base
z = torch.ones(4, requires_grad=True).clone()
zv = z[:2]
print(z._version, zv._version)
zv.add_(1)
print(z._version, zv._version)
z.mul_(2)
print(z._version, zv._version)
q = torch.ones(2, requires_grad=True)
w = q.tanh()
wv = w.view(2)
wv.add_(1)
try:
    w.sum().backward()
except Exception as e:
    print(type(e).__name__, str(e)[:150])

# in-place on a tensor needed for a later backward via exp (saves its result)
e = torch.tensor([0.5, 1.5], requires_grad=True)
r = e.exp()
r2 = r * 2
r.add_(1)
try:
    r2.sum().backward()
except Exception as ex:
    print(type(ex).__name__, str(ex)[:150])
print(e.grad)
try:
    e2 = torch.tensor([0.5], requires_grad=True)
    r = e2.exp()
    r.add_(1)
    r.backward()
except Exception as ex:
    print(type(ex).__name__, str(ex)[:150])
