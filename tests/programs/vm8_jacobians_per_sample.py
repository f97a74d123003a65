"""The torch.func "Jacobians, Hessians, hvp, vhp, and more" tutorial on a small two-layer network,
then the per-sample uses: jacrev/jacfwd of the network's output with respect to its input (and to
the weight, argnums=(0, 1)), has_aux, vmap(jacrev(f)) for one Jacobian per example against a loop of
torch.autograd.functional.jacobian, jacrev's chunk_size, the Hessian of a scalar loss with hessian,
jacfwd(jacrev) and a Hessian-vector product by vjp of grad, then per-sample gradient norms of a
tiny regression (the DP-SGD pattern: norms, clipping factors with torch.where/clamp, the clipped
mean) and the per-sample input-gradient saliency argmax. Mistakes: a jacrev of a function returning
a non-tensor, argnums out of range, a data-dependent branch inside vmap(grad)."""
# needs: nn
import tensorgraft as torch
import tensorgraft.nn.functional as F
from tensorgraft.func import functional_call, grad, hessian, jacfwd, jacrev, vjp, vmap

torch.manual_seed(0)
D, H = 4, 3
weight = torch.randn(H, D)
bias = torch.randn(H)
w2 = torch.randn(1, H)


def predict(weight, bias, x):
    return F.linear(torch.tanh(F.linear(x, weight, bias)), w2).squeeze(-1)


x = torch.randn(D)
print("prediction:", predict(weight, bias, x))
jac_x = jacrev(predict, argnums=2)(weight, bias, x)
print("d out / d x:", jac_x)
print("jacfwd agrees:", torch.allclose(jacfwd(predict, argnums=2)(weight, bias, x), jac_x, atol=1e-6))
jw, jb = jacrev(predict, argnums=(0, 1))(weight, bias, x)
print("d out / d weight:", jw.shape, "d out / d bias:", jb)


def with_aux(x):
    out = torch.tanh(F.linear(x, weight, bias))
    return out, out.abs().argmax()


jac, aux = jacrev(with_aux, has_aux=True)(x)
print("vector output jacobian:", jac.shape, "aux:", aux)
print(jac)

print("--- one Jacobian per example")
xs = torch.randn(5, D)
per_sample = vmap(jacrev(predict, argnums=2), in_dims=(None, None, 0))(weight, bias, xs)
print(per_sample.shape)
print(per_sample)
loop = torch.stack([torch.autograd.functional.jacobian(lambda v: predict(weight, bias, v), xs[i]) for i in range(5)])
print("matches a loop:", torch.allclose(per_sample, loop, atol=1e-6))
print("chunk_size=1 same:", torch.allclose(jacrev(lambda v: torch.tanh(F.linear(v, weight, bias)), chunk_size=1)(x),
                                           jac, atol=1e-6))
layer_jacs = vmap(jacrev(lambda v: torch.tanh(F.linear(v, weight, bias))))(xs)
print("per-example layer jacobians:", layer_jacs.shape)
print("most sensitive input per example:", vmap(lambda j: j.abs().sum(0).argmax())(layer_jacs))
print("saturated units per example:", vmap(lambda j: (j.abs().sum(1) < 0.5).any())(layer_jacs))

print("--- Hessians")


def loss(x):
    return (predict(weight, bias, x) - 1.0).pow(2)


hess = hessian(loss)(x)
print(hess)
print("symmetric:", torch.allclose(hess, hess.t(), atol=1e-6))
print("jacfwd(jacrev) agrees:", torch.allclose(jacfwd(jacrev(loss))(x), hess, atol=1e-5))
v = torch.randn(D)
_, vjp_fn = vjp(grad(loss), x)
(hvp,) = vjp_fn(v)
print("hvp:", hvp)
print("hvp matches hess @ v:", torch.allclose(hvp, hess @ v, atol=1e-5))
batch_hess = vmap(hessian(loss))(xs)
print("per-example Hessian traces:", vmap(torch.trace)(batch_hess))

print("--- per-sample gradients of a regression (DP-SGD style)")
model_w = {"weight": torch.randn(1, D), "bias": torch.zeros(1)}
lin = torch.nn.Linear(D, 1)
targets = torch.randn(5)


def sample_loss(params, xi, yi):
    pred = functional_call(lin, params, (xi.unsqueeze(0),)).squeeze()
    return F.mse_loss(pred, yi)


grads = vmap(grad(sample_loss), in_dims=(None, 0, 0))(model_w, xs, targets)
print({k: tuple(g.shape) for k, g in grads.items()})
norms = vmap(lambda gw, gb: torch.cat([gw.flatten(), gb]).norm())(grads["weight"], grads["bias"])
print("per-sample norms:", norms)
max_norm = 1.0
factor = vmap(lambda n: torch.where(n > max_norm, max_norm / n, torch.ones(())))(norms)
print("clip factors:", factor)
print("same with clamp:", torch.allclose(factor, (max_norm / (norms + 1e-12)).clamp(max=1.0), atol=1e-6))
clipped = vmap(lambda g, f: g * f)(grads["weight"], factor)
print("clipped norms:", vmap(lambda g, b, f: torch.cat([g.flatten(), b * f]).norm())(clipped, grads["bias"], factor))
print("clipped mean gradient:", clipped.mean(0))
saliency = vmap(grad(lambda xi, yi: sample_loss(model_w, xi, yi)))(xs, targets)
print("saliency argmax:", vmap(lambda s: s.abs().argmax())(saliency))

print("--- mistakes")
for label, call in [
    ("jacrev of a float", lambda: jacrev(lambda v: float(v.sum()))(x)),
    ("argnums out of range", lambda: jacrev(predict, argnums=3)(weight, bias, x)),
    ("branch inside vmap(grad)", lambda: vmap(grad(lambda v: v.sum() if v.sum() > 0 else -v.sum()))(xs)),
    ("nonzero inside vmap(jacrev)", lambda: vmap(jacrev(lambda v: v[torch.nonzero(v > 0)].sum()))(xs)),
]:
    try:
        call()
    except Exception as e:
        print(label, "->", type(e).__name__, e)
print("rewritten with where:", vmap(grad(lambda v: torch.where(v.sum() > 0, v.sum(), -v.sum())))(xs))
