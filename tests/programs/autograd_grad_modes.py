"""Gradient modes and tensor flags the way evaluation loops and fine-tuning code use them:
torch.no_grad / enable_grad / set_grad_enabled / inference_mode as context managers and
decorators, requires_grad_, detach / detach_, freezing parameters, leaf tensors and the in-place
and version-counter errors users hit ('a leaf Variable that requires grad...',
'one of the variables needed for gradient computation has been modified by an inplace operation')."""
# needs: nn
import tensorgraft as torch
import tensorgraft.nn as nn

torch.manual_seed(0)
x = torch.ones(2, 2, requires_grad=True)
print(x)
y = x + 2
print(y)
print(y.grad_fn)
z = y * y * 3
out = z.mean()
print(z, out)
a = torch.randn(2, 2)
a = ((a * 3) / (a - 1))
print(a.requires_grad)
a.requires_grad_(True)
print(a.requires_grad)
b = (a * a).sum()
print(b.grad_fn)
out.backward()
print(x.grad)

print(torch.is_grad_enabled())
with torch.no_grad():
    print(torch.is_grad_enabled(), (x * 2).requires_grad)
    with torch.enable_grad():
        print(torch.is_grad_enabled(), (x * 2).requires_grad)
print((x ** 2).requires_grad)
print(torch.no_grad.__name__, type(torch.no_grad()).__name__)


@torch.no_grad()
def evaluate(t):
    return t * 2


@torch.no_grad
def evaluate2(t):
    return t * 3


@torch.enable_grad()
def with_grad(t):
    return t * 2


print(evaluate(x).requires_grad, evaluate2(x).requires_grad)
with torch.no_grad():
    print(with_grad(x).requires_grad)
print(evaluate.__name__)

is_train = False
with torch.set_grad_enabled(is_train):
    print((x * 2).requires_grad)
torch.set_grad_enabled(False)
print((x * 2).requires_grad, torch.is_grad_enabled())
torch.set_grad_enabled(True)
print((x * 2).requires_grad, torch.is_grad_enabled())


@torch.set_grad_enabled(False)
def frozen(t):
    return t + 1


print(frozen(x).requires_grad, torch.is_grad_enabled())
print(torch.set_grad_enabled(True))
try:
    torch.set_grad_enabled(1)
except Exception as e:
    print(type(e).__name__, e)
with torch.autograd.set_multithreading_enabled(False):
    print(torch.autograd.is_multithreading_enabled())
print(torch.autograd.is_multithreading_enabled())


@torch.no_grad()
def batches(n):
    for i in range(n):
        yield i, (x * i).requires_grad, torch.is_grad_enabled()


print(list(batches(2)), torch.is_grad_enabled())

with torch.inference_mode():
    inf = x * 2
    print(inf.requires_grad, torch.is_inference_mode_enabled(), inf.is_inference())
print(inf.is_inference(), x.is_inference(), torch.is_inference_mode_enabled())
try:
    (inf * x).sum().backward()
except Exception as e:
    print(type(e).__name__, e)
try:
    inf.add_(1)
except Exception as e:
    print(type(e).__name__, e)
with torch.inference_mode(mode=False):
    print(torch.is_inference_mode_enabled(), (x * 2).requires_grad)


@torch.inference_mode()
def predict(t):
    return t @ t


print(predict(x).is_inference(), predict(x).requires_grad)

# detach / detach_
d = y.detach()
print(d.requires_grad, d.grad_fn, d.is_leaf)
d.zero_()
print(y)
y2 = x * 5
y2.detach_()
print(y2.requires_grad, y2.grad_fn, y2.is_leaf)
leaf = torch.ones(2, requires_grad=True)
leaf.detach_()
print(leaf.requires_grad, leaf.is_leaf)
try:
    view_of_leaf = x[0]
    view_of_leaf.detach_()
except Exception as e:
    print(type(e).__name__, e)

# requires_grad_ on non-leaf and on integer tensors
try:
    (x * 2).requires_grad_(False)
except Exception as e:
    print(type(e).__name__, e)
try:
    torch.tensor([1, 2, 3]).requires_grad_()
except Exception as e:
    print(type(e).__name__, e)
try:
    torch.tensor([1, 2], requires_grad=True)
except Exception as e:
    print(type(e).__name__, e)

# in-place on a leaf
w = torch.randn(3, requires_grad=True)
try:
    w.add_(1)
except Exception as e:
    print(type(e).__name__, e)
try:
    w[0] = 5.0
except Exception as e:
    print(type(e).__name__, e)
with torch.no_grad():
    w.add_(1)
    w[0] = 5.0
print(w.is_leaf, w.requires_grad, w.grad_fn)

# version counter
t = torch.randn(3, requires_grad=True)
s = t.sigmoid()
print(s._version)
s.mul_(2)
print(s._version)
try:
    s.sum().backward()
except Exception as e:
    print(type(e).__name__, e)
e1 = t * 2
e2 = e1 * 1
e1.add_(1)
e2.sum().backward()
print(t.grad is not None)
u = t * 1
v2 = u.pow(2)
u += 1
print(u._version, u.grad_fn.name())
try:
    v2.sum().backward()
except Exception as ex:
    print(type(ex).__name__, ex)
vw = t.clone()
view = vw[:2]
view.mul_(3)
print(vw.grad_fn.name(), view.grad_fn.name(), vw._version, view._version)
vw.sum().backward()
print(t.grad)

# freezing parameters in fine-tuning
model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
for p in model[0].parameters():
    p.requires_grad = False
print([(n, p.requires_grad) for n, p in model.named_parameters()])
out = model(torch.randn(5, 4)).sum()
out.backward()
print([n for n, p in model.named_parameters() if p.grad is not None])
print(model[0].weight.grad)
model.requires_grad_(False)
print(any(p.requires_grad for p in model.parameters()))
try:
    model(torch.randn(2, 4)).sum().backward()
except Exception as e:
    print(type(e).__name__, e)
try:
    x.requires_grad = False
    print(x.requires_grad)
    (x * 2).requires_grad = True
except Exception as e:
    print(type(e).__name__, e)
