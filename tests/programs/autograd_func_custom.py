"""torch.func with custom autograd.Functions and models, following the 'Extending torch.func with
autograd.Function' docs and the 'Neural Tangent Kernels' / 'Jacobians, Hessians' tutorials:
setup_context-style Functions under grad/vmap (generate_vmap_rule, a custom vmap staticmethod),
jvp staticmethods, jacrev over a model with functional_call, vmap randomness and chunking,
torch.func.vjp/jvp/linearize, and the errors for Functions not written for transforms."""
# needs: nn
import tensorgraft as torch
import tensorgraft.nn as nn
from tensorgraft.func import functional_call, grad, jacfwd, jacrev, jvp, vjp, vmap

torch.manual_seed(0)


class MyCube(torch.autograd.Function):
    @staticmethod
    def forward(x):
        result = x ** 3
        dx = 3 * x ** 2
        return result, dx

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, = inputs
        result, dx = output
        ctx.save_for_backward(x, dx)

    @staticmethod
    def backward(ctx, grad_output, grad_dx):
        x, dx = ctx.saved_tensors
        result = grad_output * dx + grad_dx * 6 * x
        return result


def my_cube(x):
    result, _ = MyCube.apply(x)
    return result


x = torch.tensor([1.0, 2.0, 3.0])
print(grad(lambda t: my_cube(t).sum())(x))
print(grad(grad(lambda s: my_cube(s)))(torch.tensor(2.0)))


class NumpySort(torch.autograd.Function):
    generate_vmap_rule = True

    @staticmethod
    def forward(x, dim):
        ind = x.argsort(dim=dim)
        ind_inv = ind.argsort(dim=dim)
        return x.gather(dim, ind), ind, ind_inv

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, dim = inputs
        _, ind, ind_inv = output
        ctx.mark_non_differentiable(ind, ind_inv)
        ctx.save_for_backward(ind, ind_inv)
        ctx.dim = dim

    @staticmethod
    def backward(ctx, grad_output, _0, _1):
        ind, ind_inv = ctx.saved_tensors
        return grad_output.gather(ctx.dim, ind_inv), None


data = torch.randn(2, 4)
sorted_vals, ind, ind_inv = vmap(NumpySort.apply, in_dims=(0, None))(data, 0)
print(sorted_vals)
print(ind)
g = grad(lambda t: (NumpySort.apply(t, 0)[0] * torch.arange(4.0)).sum())(data[0])
print(g)


class Scale(torch.autograd.Function):
    @staticmethod
    def forward(x, factor):
        return x * factor

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.factor = inputs[1]

    @staticmethod
    def backward(ctx, g):
        return g * ctx.factor, None

    @staticmethod
    def jvp(ctx, x_t, factor_t):
        return x_t * ctx.factor

    @staticmethod
    def vmap(info, in_dims, x, factor):
        print("vmap rule:", info.batch_size, in_dims)
        return Scale.apply(x, factor), in_dims[0]


print(vmap(Scale.apply, in_dims=(0, None))(torch.ones(3, 2), 4.0))
print(jvp(lambda t: Scale.apply(t, 2.0), (torch.ones(2),), (torch.tensor([1.0, 3.0]),)))


class OldStyle(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.sin()

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x.cos()


print(OldStyle.apply(torch.tensor([0.0], requires_grad=True)))
try:
    grad(lambda t: OldStyle.apply(t).sum())(torch.ones(2))
except Exception as e:
    print(type(e).__name__, str(e).split(".")[0])
try:
    vmap(my_cube)(torch.ones(2, 2))
except Exception as e:
    print(type(e).__name__, str(e).split(".")[0])

# NTK-style: jacobians of a model w.r.t. its parameters via functional_call
net = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))
params = {k: v.detach() for k, v in net.named_parameters()}


def fnet_single(params, x):
    return functional_call(net, params, (x.unsqueeze(0),)).squeeze(0)


x1 = torch.randn(4, 3)
x2 = torch.randn(2, 3)
jac1 = vmap(jacrev(fnet_single), (None, 0))(params, x1)
jac2 = vmap(jacrev(fnet_single), (None, 0))(params, x2)
print({k: tuple(j.shape) for k, j in jac1.items()})
ntk = sum(torch.einsum("Naf,Mbf->NMab", j1.flatten(2), j2.flatten(2)) for j1, j2 in zip(jac1.values(), jac2.values()))
print(ntk.shape)
print(ntk[0, 0])
jf = jacfwd(fnet_single)(params, x1[0])
print(torch.allclose(jf["0.weight"], jac1["0.weight"][0], atol=1e-5))

# vjp / jvp / linearize
out, vjp_fn = vjp(torch.sin, torch.tensor([0.0, 1.0]))
print(out, vjp_fn(torch.ones(2)))
print(jvp(torch.exp, (torch.zeros(2),), (torch.tensor([1.0, 2.0]),)))
from tensorgraft.func import linearize  # noqa: E402

out, jvp_fn = linearize(torch.sin, torch.tensor([0.0, 1.0]))
print(out, jvp_fn(torch.tensor([1.0, 1.0])))

# vmap options
print(vmap(lambda t: t * 2, chunk_size=2)(torch.arange(5.0)))
try:
    vmap(lambda t: t + torch.rand(1))(torch.ones(3))
except Exception as e:
    print(type(e).__name__, str(e).split(".")[0])
same = vmap(lambda t: t + torch.rand(1), randomness="same")(torch.zeros(3))
print(same.shape, bool((same == same[0]).all()))
diff = vmap(lambda t: t + torch.rand(1), randomness="different")(torch.zeros(3))
print(diff.shape, bool((diff == diff[0]).all()))
print(vmap(vmap(torch.dot))(torch.ones(2, 3, 4), torch.ones(2, 3, 4)))
print(vmap(lambda d: d["a"] * d["b"])({"a": torch.ones(2, 2), "b": torch.arange(2.0).view(2, 1)}))
