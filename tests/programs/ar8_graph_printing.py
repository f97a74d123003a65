"""Walking the autograd graph, as the "A Gentle Introduction to torch.autograd" tutorial and
debugging posts do: print each grad_fn, its next_functions and what it saved (``dir(grad_fn)``
filtered on ``_saved_``), for a small residual computation written with ``add(..., alpha=)``,
``sub(..., alpha=)``, powers with a number base, and floor division / remainder, whose backward
PyTorch does not implement (the error users hit)."""
import tensorgraft as torch

torch.manual_seed(0)


def describe(fn, depth=0, seen=None):
    """Print the graph under ``fn``, one node a line, with its saved attribute names."""
    seen = set() if seen is None else seen
    if fn is None:
        print("  " * depth + "None")
        return
    saved = [n for n in dir(fn) if n.startswith("_saved_")]
    print("  " * depth + f"{type(fn).__name__} {fn.name()} saved={saved}")
    if id(fn) in seen:
        return
    seen.add(id(fn))
    for child, _nr in fn.next_functions:
        describe(child, depth + 1, seen)


x = torch.randn(4, requires_grad=True)
w = torch.randn(4, requires_grad=True)

# a residual update h = x + 0.5 * (w * x), and a step written as sub with alpha
h = torch.add(x, w * x, alpha=0.5)
step = h.sub(w, alpha=2)
print(h)
print(step)
print(h.grad_fn.name(), h.grad_fn._saved_alpha)
print(step.grad_fn._saved_alpha, len(step.grad_fn.next_functions))
describe(step.grad_fn)

loss = step.pow(2).mean()
print(f"loss {loss.item():.4f}")
loss.backward()
print(x.grad)
print(w.grad)

# powers with a number base save the result as well as the exponent
x.grad = None
e = 2 ** x
print(e)
print(e.grad_fn.name(), [n for n in dir(e.grad_fn) if n.startswith("_saved_")])
print(e.grad_fn._saved_self, e.grad_fn._saved_exponent)
print(e.grad_fn._saved_result)
print(torch.equal(e.grad_fn._saved_result, e))
p = x ** w
print(p.grad_fn.name(), [n for n in dir(p.grad_fn) if n.startswith("_saved_")])
print(x.pow(3).grad_fn._saved_exponent, hasattr(x.pow(3).grad_fn, "_saved_result"))
(e.sum() + p.nan_to_num().sum()).backward()
print(x.grad)

# double backward through the alpha: d/dw of the gradient
g, = torch.autograd.grad(torch.sub(x * w, w * w, alpha=3).sum(), w, create_graph=True)
print(g)
gg, = torch.autograd.grad(g.sum(), w)
print(gg)

# floor division and remainder by a tensor: no derivative in PyTorch
x.grad = None
buckets = x // 0.5
print(buckets, buckets.grad_fn.name())
print(buckets.grad_fn.next_functions[0][0].__class__.__name__, len(buckets.grad_fn.next_functions))
wrapped = 3 % (x.abs() + 1)
print(wrapped)
print(type(wrapped.grad_fn).__name__, [n for n in dir(wrapped.grad_fn) if n.startswith("_saved_")])
describe(wrapped.grad_fn)
for name, out in [("floor_divide", buckets), ("remainder", wrapped)]:
    try:
        (out * x).sum().backward()
    except Exception as e:
        print(name, type(e).__name__, e)
print(x.grad)

# the usual fix: keep the division out of the graph, or use a differentiable overload
smooth = (x / 0.5 - (x / 0.5).detach().floor()) + (x // 0.5).detach()
smooth.sum().backward()
print(smooth.grad_fn.name(), x.grad)
r = torch.remainder(x, 1.5)
print(r.grad_fn.name(), r.grad_fn.next_functions[0][0].__class__.__name__)
f = torch.fmod(x, w)
print(f.grad_fn.name(), [n for n in dir(f.grad_fn) if n.startswith("_saved_")])
