"""Extending torch.autograd: custom Functions as in the 'Extending PyTorch' notes and the
'Defining new autograd functions' tutorial (LegendrePolynomial3), with ctx.save_for_backward,
ctx.needs_input_grad, mark_non_differentiable, mark_dirty, set_materialize_grads and
once_differentiable, plus the setup_context style."""
import math

import tensorgraft as torch
from tensorgraft.autograd import Function
from tensorgraft.autograd.function import once_differentiable


class LegendrePolynomial3(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)


torch.manual_seed(0)
x = torch.linspace(-math.pi, math.pi, 200)
y = torch.sin(x)
a = torch.full((), 0.0, requires_grad=True)
b = torch.full((), -1.0, requires_grad=True)
c = torch.full((), 0.0, requires_grad=True)
d = torch.full((), 0.3, requires_grad=True)
P3 = LegendrePolynomial3.apply
lr = 5e-6
for t in range(300):
    y_pred = a + b * P3(c + d * x)
    loss = (y_pred - y).pow(2).sum()
    if t % 100 == 99:
        print(t, f"{loss.item():.4f}")
    loss.backward()
    with torch.no_grad():
        for p in (a, b, c, d):
            p -= lr * p.grad
            p.grad = None
print(f"y = {a.item():.4f} + {b.item():.4f} * P3({c.item():.4f} + {d.item():.4f} x)")
print(y_pred.grad_fn.name(), type(y_pred.grad_fn).__name__)
out = P3(d * x)
print(type(out.grad_fn).__name__)


VERBOSE = True


class LinearFunction(Function):
    @staticmethod
    def forward(ctx, input, weight, bias=None):
        ctx.save_for_backward(input, weight, bias)
        output = input.mm(weight.t())
        if bias is not None:
            output += bias.unsqueeze(0).expand_as(output)
        return output

    @staticmethod
    def backward(ctx, grad_output):
        input, weight, bias = ctx.saved_tensors
        grad_input = grad_weight = grad_bias = None
        if VERBOSE:
            print("needs_input_grad", ctx.needs_input_grad)
        if ctx.needs_input_grad[0]:
            grad_input = grad_output.mm(weight)
        if ctx.needs_input_grad[1]:
            grad_weight = grad_output.t().mm(input)
        if bias is not None and ctx.needs_input_grad[2]:
            grad_bias = grad_output.sum(0)
        return grad_input, grad_weight, grad_bias


inp = torch.randn(4, 3, dtype=torch.double, requires_grad=True)
w = torch.randn(2, 3, dtype=torch.double, requires_grad=True)
bias = torch.randn(2, dtype=torch.double)
res = LinearFunction.apply(inp, w, bias)
print(res.shape, res.dtype, res.requires_grad)
res.sum().backward()
print(inp.grad)
print(w.grad)
VERBOSE = False
print(torch.autograd.gradcheck(LinearFunction.apply, (inp, w, bias), eps=1e-6, atol=1e-4))
print(torch.autograd.gradgradcheck(lambda a, b: torch.tanh(a @ b.t()), (inp, w)))
print(torch.randn(2))
VERBOSE = True
res2 = LinearFunction.apply(inp.detach(), w)
res2.pow(2).sum().backward()
print(w.grad)


class MulConstant(Function):
    @staticmethod
    def forward(tensor, constant):
        return tensor * constant

    @staticmethod
    def setup_context(ctx, inputs, output):
        tensor, constant = inputs
        ctx.constant = constant

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * ctx.constant, None


z = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
m = MulConstant.apply(z, 2.5)
print(m)
m.backward(torch.tensor([1.0, 0.5, 0.25]))
print(z.grad)


class SortWithIndices(Function):
    @staticmethod
    def forward(ctx, x):
        values, idx = x.sort()
        ctx.mark_non_differentiable(idx)
        ctx.save_for_backward(idx)
        return values, idx

    @staticmethod
    def backward(ctx, g_values, g_idx):
        idx, = ctx.saved_tensors
        grad = torch.zeros_like(g_values)
        grad.scatter_(0, idx, g_values)
        return grad


v = torch.tensor([3.0, 1.0, 2.0], requires_grad=True)
vals, idx = SortWithIndices.apply(v)
print(vals, idx)
print(vals.requires_grad, idx.requires_grad)
(vals * torch.tensor([1.0, 10.0, 100.0])).sum().backward()
print(v.grad)


class AddOneInplace(Function):
    @staticmethod
    def forward(ctx, x):
        x.add_(1)
        ctx.mark_dirty(x)
        return x

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output


base = torch.tensor([1.0, 2.0], requires_grad=True)
t = base.clone()
r = AddOneInplace.apply(t)
print(r, r is t, t.grad_fn.name())
(r * r).sum().backward()
print(base.grad)
try:
    AddOneInplace.apply(base)
except Exception as e:
    print(type(e).__name__, e)


class NoMaterialize(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.set_materialize_grads(False)
        return x.clone(), x.clone()

    @staticmethod
    def backward(ctx, g1, g2):
        print("g1 is None:", g1 is None, "g2 is None:", g2 is None)
        grad = torch.zeros(3)
        if g1 is not None:
            grad = grad + g1
        if g2 is not None:
            grad = grad + 2 * g2
        return grad


class Materialize(Function):
    @staticmethod
    def forward(ctx, x):
        return x.clone(), x.clone()

    @staticmethod
    def backward(ctx, g1, g2):
        print("g2:", g2)
        return g1 + g2


q = torch.ones(3, requires_grad=True)
o1, o2 = NoMaterialize.apply(q)
o1.sum().backward()
print(q.grad)
q.grad = None
o1, o2 = Materialize.apply(q)
o1.sum().backward()
print(q.grad)


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    @once_differentiable
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * 3 * x ** 2


s = torch.tensor(2.0, requires_grad=True)
out = Cube.apply(s)
(gx,) = torch.autograd.grad(out, s, create_graph=True)
print(gx, gx.requires_grad, gx.grad_fn)
try:
    gx.backward()
except Exception as e:
    print(type(e).__name__, e)


class Square(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return 2 * x * g


s2 = torch.tensor(3.0, requires_grad=True)
(g1,) = torch.autograd.grad(Square.apply(s2), s2, create_graph=True)
(g2,) = torch.autograd.grad(g1, s2)
print(g1, g2)


class WrongCount(Function):
    @staticmethod
    def forward(ctx, x, y):
        return x + y

    @staticmethod
    def backward(ctx, g):
        return g


try:
    WrongCount.apply(torch.ones(2, requires_grad=True), torch.ones(2)).sum().backward()
except Exception as e:
    print(type(e).__name__, e)


class WrongShape(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return torch.ones(5)


try:
    WrongShape.apply(torch.ones(2, requires_grad=True)).sum().backward()
except Exception as e:
    print(type(e).__name__, e)

class NotReentrant(Function):
    calls = 0

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.exp()

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        NotReentrant.calls += 1
        return g * x.exp() * (1 + 1e-10 * NotReentrant.calls)


class IgnoresGradOutput(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.sum()

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return torch.ones_like(x)


xd = torch.randn(3, dtype=torch.double, requires_grad=True)
for fn in (NotReentrant.apply, IgnoresGradOutput.apply, torch.sinh):
    try:
        print(torch.autograd.gradcheck(fn, (xd,)))
    except Exception as e:
        print(type(e).__name__, str(e).split("\n")[0])
print(torch.autograd.gradcheck(NotReentrant.apply, (xd,), nondet_tol=1e-6))
print(torch.autograd.gradcheck(IgnoresGradOutput.apply, (xd,), raise_exception=False))
try:
    torch.autograd.gradcheck(lambda t: t * 2, (xd.detach(),))
except Exception as e:
    print(type(e).__name__, e)
try:
    LegendrePolynomial3()(torch.ones(2))
except Exception as e:
    print(type(e).__name__, e)
with torch.no_grad():
    nog = Square.apply(s2)
print(nog, nog.requires_grad, nog.grad_fn)
