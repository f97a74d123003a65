"""The 'Double Backward with Custom Functions' tutorial: custom autograd.Functions whose backward is
written with differentiable tensor ops (saving the input, saving the output, saving intermediate
results by returning them as extra outputs), checked with gradcheck / gradgradcheck, second
derivatives with create_graph=True and their grad_fn names, a backward computed outside autograd
(numpy) that gradgradcheck rejects, and the error raised when a once_differentiable backward is
differentiated again."""
import tensorgraft as torch
from tensorgraft.autograd.function import once_differentiable

torch.manual_seed(0)


class Square(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        # Because we are saving one of the inputs use `save_for_backward`
        # Save non-tensors and non-inputs/non-outputs directly on ctx
        ctx.save_for_backward(x)
        return x**2

    @staticmethod
    def backward(ctx, grad_out):
        # A function support double backward automatically if autograd
        # is able to record the computations performed in backward
        x, = ctx.saved_tensors
        return grad_out * 2 * x


x = torch.rand(3, 3, requires_grad=True, dtype=torch.double)
print("gradcheck Square:", torch.autograd.gradcheck(Square.apply, x))
print("gradgradcheck Square:", torch.autograd.gradgradcheck(Square.apply, x))
y = Square.apply(x)
print(type(y.grad_fn).__name__, y.grad_fn.next_functions)
(gx,) = torch.autograd.grad(y.sum(), x, create_graph=True)
print("first:", gx.grad_fn.name(), torch.allclose(gx, 2 * x))
(ggx,) = torch.autograd.grad(gx.sum(), x)
print("second:", ggx)


class Exp(torch.autograd.Function):
    # Simple case where everything goes well
    @staticmethod
    def forward(ctx, x):
        # This time we save the output
        result = torch.exp(x)
        # Note that we should use `save_for_backward` here when
        # the tensor saved is an output (or an input).
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad_out):
        result, = ctx.saved_tensors
        return result * grad_out


x = torch.tensor(1., requires_grad=True, dtype=torch.double).clone()
# Validate our gradients using gradcheck
print("gradcheck Exp:", torch.autograd.gradcheck(Exp.apply, x))
print("gradgradcheck Exp:", torch.autograd.gradgradcheck(Exp.apply, x))
out = Exp.apply(x)
(g,) = torch.autograd.grad(out, x, create_graph=True)
print("d exp:", g, g.grad_fn.name())
(gg,) = torch.autograd.grad(g, x, create_graph=True)
print("d2 exp:", gg, gg.grad_fn is not None)
(ggg,) = torch.autograd.grad(gg, x)
print("d3 exp:", ggg)


class Sinh(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        expx = torch.exp(x)
        expnegx = torch.exp(-x)
        ctx.save_for_backward(expx, expnegx)
        # In order to be able to save the intermediate results, a trick is to
        # include them as our outputs, so that the backward graph is constructed
        return (expx - expnegx) / 2, expx, expnegx

    @staticmethod
    def backward(ctx, grad_out, _grad_out_exp, _grad_out_negexp):
        expx, expnegx = ctx.saved_tensors
        grad_input = grad_out * (expx + expnegx) / 2
        # We cannot skip accumulating these even though we won't use the outputs
        # directly. They will be used later in the second backward.
        grad_input += _grad_out_exp * expx
        grad_input -= _grad_out_negexp * expnegx
        return grad_input


def sinh(x):
    # Create a wrapper that only returns the first output
    return Sinh.apply(x)[0]


x = torch.rand(3, 3, requires_grad=True, dtype=torch.double)
print("gradcheck Sinh:", torch.autograd.gradcheck(sinh, x))
print("gradgradcheck Sinh:", torch.autograd.gradgradcheck(sinh, x))
s, e1, e2 = Sinh.apply(x)
print([t.grad_fn.name() for t in (s, e1, e2)], s.grad_fn is e1.grad_fn)
(gs,) = torch.autograd.grad(s.sum(), x, create_graph=True)
print("cosh:", torch.allclose(gs, torch.cosh(x)))
(g2,) = torch.autograd.grad(gs.sum(), x)
print("sinh again:", torch.allclose(g2, torch.sinh(x)))


def cube_forward(x):
    return x**3


def cube_backward(grad_out, x):
    return grad_out * 3 * x**2


def cube_backward_backward(grad_out, sav_grad_out, x):
    return grad_out * sav_grad_out * 6 * x


def cube_backward_backward_grad_out(grad_out, x):
    return grad_out * 3 * x**2


class Cube(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return cube_forward(x)

    @staticmethod
    def backward(ctx, grad_out):
        x, = ctx.saved_tensors
        return CubeBackward.apply(grad_out, x)


class CubeBackward(torch.autograd.Function):
    @staticmethod
    def forward(ctx, grad_out, x):
        ctx.save_for_backward(x, grad_out)
        return cube_backward(grad_out, x)

    @staticmethod
    def backward(ctx, grad_out):
        x, sav_grad_out = ctx.saved_tensors
        dx = cube_backward_backward(grad_out, sav_grad_out, x)
        dgrad_out = cube_backward_backward_grad_out(grad_out, x)
        return dgrad_out, dx


x = torch.tensor(2., requires_grad=True, dtype=torch.double)
print("gradcheck Cube:", torch.autograd.gradcheck(Cube.apply, x))
print("gradgradcheck Cube:", torch.autograd.gradgradcheck(Cube.apply, x))
(gc,) = torch.autograd.grad(Cube.apply(x), x, create_graph=True)
print("cube':", gc, gc.grad_fn.name())
(gcc,) = torch.autograd.grad(gc, x)
print("cube'':", gcc)


class ExpNumpy(torch.autograd.Function):
    # The backward leaves autograd: it works once, but is not differentiable
    @staticmethod
    def forward(ctx, x):
        result = torch.exp(x)
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad_out):
        result, = ctx.saved_tensors
        return torch.from_numpy(result.detach().numpy() * grad_out.detach().numpy())


x = torch.rand(4, requires_grad=True, dtype=torch.double)
print("gradcheck ExpNumpy:", torch.autograd.gradcheck(ExpNumpy.apply, x))
print("gradgradcheck ExpNumpy (no raise):", torch.autograd.gradgradcheck(ExpNumpy.apply, x, raise_exception=False))
(g,) = torch.autograd.grad(ExpNumpy.apply(x).sum(), x, create_graph=True)
print("grad requires_grad:", g.requires_grad, g.grad_fn)


class ExpOnce(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        result = torch.exp(x)
        ctx.save_for_backward(result)
        return result

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out):
        result, = ctx.saved_tensors
        return result * grad_out


x = torch.rand(4, requires_grad=True, dtype=torch.double)
print("gradcheck ExpOnce:", torch.autograd.gradcheck(ExpOnce.apply, x))
(g,) = torch.autograd.grad(ExpOnce.apply(x).sum(), x, create_graph=True)
print("once grad:", g.requires_grad, g.grad_fn)
try:
    torch.autograd.grad(g.sum(), x)
except Exception as e:
    print(type(e).__name__, e)
try:
    torch.autograd.gradgradcheck(ExpOnce.apply, x)
except Exception as e:
    print(type(e).__name__, e)
# with a grad_out that requires grad the backward's result gets an error node instead
v = torch.ones(4, dtype=torch.double, requires_grad=True)
(g,) = torch.autograd.grad(ExpOnce.apply(x), x, v, create_graph=True)
print("once grad with v:", g.requires_grad, g.grad_fn.name())
try:
    g.sum().backward()
except Exception as e:
    print(type(e).__name__, e)
print("no create_graph:", torch.autograd.grad(ExpOnce.apply(x).sum(), x)[0].requires_grad)

# a float32 input is refused by gradcheck's precision check (it only warns) and a
# mistake in backward is caught
x32 = torch.rand(3, requires_grad=True)


class BadSquare(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**2

    @staticmethod
    def backward(ctx, grad_out):
        x, = ctx.saved_tensors
        return grad_out * x  # forgot the factor 2


xd = torch.tensor([0.5, 1.0], dtype=torch.double, requires_grad=True)
print("bad gradcheck (no raise):", torch.autograd.gradcheck(BadSquare.apply, xd, raise_exception=False))
try:
    torch.autograd.gradcheck(BadSquare.apply, xd)
except Exception as e:
    print(type(e).__name__, str(e).splitlines()[0])

# float32 inputs: gradcheck warns, and the mismatch shows float32 Jacobians (no dtype printed);
# a product is rounded alike everywhere, so its float32 finite differences are the same numbers
try:
    torch.autograd.gradcheck(lambda t: t * t, torch.tensor([0.5, 1.5], requires_grad=True))
except Exception as e:
    print(type(e).__name__, e)


# forward mode: a Function that saves state for its jvp, checked with check_forward_ad
class Cosh(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        ctx.save_for_forward(x)
        return torch.cosh(x)

    @staticmethod
    def backward(ctx, grad_out):
        x, = ctx.saved_tensors
        return grad_out * torch.sinh(x)

    @staticmethod
    def jvp(ctx, x_t):
        x, = ctx.saved_tensors
        return x_t * torch.sinh(x)


x = torch.rand(3, requires_grad=True, dtype=torch.double)
print("forward ad:", torch.autograd.gradcheck(Cosh.apply, x, check_forward_ad=True))
print("forward only:", torch.autograd.gradcheck(Cosh.apply, x, check_forward_ad=True, check_backward_ad=False))
print("fwd over rev:", torch.autograd.gradgradcheck(Cosh.apply, x, check_fwd_over_rev=True))
for name, thunk in [
    ("no jvp", lambda: torch.autograd.gradcheck(Square.apply, x, check_forward_ad=True)),
    ("neither", lambda: torch.autograd.gradcheck(Cosh.apply, x, check_backward_ad=False)),
    ("fwd-only undefined", lambda: torch.autograd.gradgradcheck(Cosh.apply, x, check_fwd_over_rev=True,
                                                                 check_rev_over_rev=False)),
    ("neither order", lambda: torch.autograd.gradgradcheck(Cosh.apply, x, check_rev_over_rev=False)),
    ("save_for_forward int", lambda: type("Bad", (torch.autograd.Function,), {
        "forward": staticmethod(lambda ctx, t: (ctx.save_for_forward(t, 2), t * 2)[1]),
        "backward": staticmethod(lambda ctx, g: g * 2)}).apply(x)),
    ("forward mismatch", lambda: torch.autograd.gradcheck(lambda t: t.detach() * t, x, check_forward_ad=True,
                                                          check_backward_ad=False)),
]:
    try:
        print(name, thunk())
    except Exception as e:
        print(name, "->", type(e).__name__, e)
