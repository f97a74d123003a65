"""PyTorch's 'Python custom operators' tutorial: wrapping NumPy code as operators with
torch.library.custom_op, giving them a fake implementation and a gradient, a mutating op, calling
them through torch.ops, and testing them with opcheck."""
# needs: autograd
from typing import Sequence

import numpy as np

import tensorgraft as torch
from tensorgraft import Tensor


@torch.library.custom_op("mylib::numpy_sin", mutates_args=())
def numpy_sin(x: Tensor) -> Tensor:
    x_np = x.cpu().numpy()
    y_np = np.sin(x_np)
    return torch.from_numpy(y_np).to(device=x.device)


@numpy_sin.register_fake
def _(x):
    return torch.empty_like(x)


def setup_context(ctx, inputs, output):
    (x,) = inputs
    ctx.save_for_backward(x)


def backward(ctx, grad):
    (x,) = ctx.saved_tensors
    return grad * x.cos()


numpy_sin.register_autograd(backward, setup_context=setup_context)

torch.manual_seed(0)
x = torch.randn(5, requires_grad=True)
y = numpy_sin(x)
print(y)
y.sum().backward()
print(x.grad)
print(torch.allclose(x.grad, x.detach().cos()))
print(torch.ops.mylib.numpy_sin(torch.tensor([0.0, 1.0])), repr(torch.ops.mylib.numpy_sin))
print(torch.ops.mylib.numpy_sin.default._schema)
print(numpy_sin(torch.empty(2, 3, device="meta")).shape)


@torch.library.custom_op("mylib::numpy_mul", mutates_args=())
def numpy_mul(x: Tensor, y: float) -> Tensor:
    return torch.from_numpy(x.cpu().numpy() * y)


@numpy_mul.register_fake
def _(x, y):
    return torch.empty_like(x)


def mul_setup(ctx, inputs, output):
    ctx.y = inputs[1]


numpy_mul.register_autograd(lambda ctx, grad: (grad * ctx.y, None), setup_context=mul_setup)
a = torch.tensor([1.0, 2.0], requires_grad=True)
numpy_mul(a, 3.0).sum().backward()
print(a.grad)


@torch.library.custom_op("mylib::numpy_sin_out", mutates_args={"out"})
def numpy_sin_out(x: Tensor, out: Tensor) -> None:
    np.sin(x.numpy(), out=out.numpy())


out = torch.empty(3)
version = out._version
numpy_sin_out(torch.tensor([0.0, 0.5, 1.0]), out)
print(out, out._version - version)


@torch.library.custom_op("mylib::weighted_sum", mutates_args=())
def weighted_sum(xs: Sequence[Tensor], w: Tensor) -> Tensor:
    return torch.stack([x * w for x in xs]).sum(0)


@weighted_sum.register_fake
def _(xs, w):
    return torch.empty_like(w)


def ws_setup(ctx, inputs, output):
    xs, w = inputs
    ctx.save_for_backward(w, *xs)


def ws_backward(ctx, grad):
    w, *xs = ctx.saved_tensors
    return [grad * w for _ in xs], sum(grad * x for x in xs)


weighted_sum.register_autograd(ws_backward, setup_context=ws_setup)
p, q = torch.ones(2, requires_grad=True), torch.tensor([2.0, 3.0], requires_grad=True)
w = torch.tensor([0.5, -1.0], requires_grad=True)
s = weighted_sum([p, q], w)
s.sum().backward()
print(s, s.grad_fn.name(), p.grad, q.grad, w.grad)

for op, args in ((numpy_sin, (torch.randn(3),)), (numpy_sin, (torch.randn(3, requires_grad=True),)),
                 (numpy_mul, (torch.randn(3), 3.14)), (numpy_sin_out, (torch.randn(3), torch.empty(3))),
                 (weighted_sum, ([torch.randn(2), torch.randn(2)], torch.randn(2)))):
    print(torch.library.opcheck(op, args))


def scaled_out(x: Tensor, out: Tensor, *, scale: float = 1.0) -> None:
    pass


print(torch.library.infer_schema(scaled_out, mutates_args={"out"}))
