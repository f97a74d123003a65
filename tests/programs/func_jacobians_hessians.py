"""The 'Jacobians, Hessians, hvp, vhp, and more: composing function transforms' torch.func tutorial:
a tanh(linear) predictor, its Jacobian built row by row from vjp and then with jacrev / jacfwd
(argnums, tuples of argnums), batched Jacobians with vmap(jacrev(...)) and the sum trick, hessian,
jacfwd(jacrev) and jacrev(jacrev), hvp as jvp of grad (and as vjp of grad), compared with
torch.autograd.functional.jacobian / hessian / vhp / hvp (vectorize=True too), and the errors
users hit (non-scalar grad, bad argnums, jvp tangents of the wrong shape)."""
import tensorgraft as torch
import tensorgraft.nn.functional as F
from tensorgraft.func import grad, hessian, jacfwd, jacrev, jvp, vjp, vmap

torch.manual_seed(0)
D = 4
weight = torch.randn(D, D)
bias = torch.randn(D)
x = torch.randn(D)


def predict(weight, bias, x):
    return F.linear(x, weight, bias).tanh()


print("predict:", predict(weight, bias, x))

# the Jacobian one row at a time, from vector-Jacobian products
xp = x.clone().requires_grad_()
unit_vectors = torch.eye(D)


def compute_jac(xp):
    jacobian_rows = [torch.autograd.grad(predict(weight, bias, xp), xp, vec)[0] for vec in unit_vectors.unbind()]
    return torch.stack(jacobian_rows)


jacobian = compute_jac(xp)
print("row-by-row jacobian:", jacobian.shape)
print(jacobian)

# the same rows from torch.func.vjp, then vmapped over the unit vectors
_, vjp_fn = vjp(lambda x_: predict(weight, bias, x_), x)
(ft_jacobian,) = vmap(vjp_fn)(unit_vectors)
print("vmap(vjp_fn) matches:", torch.allclose(ft_jacobian, jacobian))

ft_jacobian = jacrev(predict, argnums=2)(weight, bias, x)
print("jacrev matches:", torch.allclose(ft_jacobian, jacobian), ft_jacobian.grad_fn)
jac_fwd = jacfwd(predict, argnums=2)(weight, bias, x)
print("jacfwd matches:", torch.allclose(jac_fwd, jacobian))

ft_jac_weight, ft_jac_bias = jacrev(predict, argnums=(0, 1))(weight, bias, x)
print("argnums=(0, 1):", ft_jac_weight.shape, ft_jac_bias.shape)
print(ft_jac_bias)
fw_weight, fw_bias = jacfwd(predict, argnums=(0, 1))(weight, bias, x)
print("fwd vs rev:", torch.allclose(fw_weight, ft_jac_weight), torch.allclose(fw_bias, ft_jac_bias))

# batched Jacobians: vmap over the batch, or the jacobian of the batch-sum
batch_size = 3
xb = torch.randn(batch_size, D)
compute_batch_jacobian = vmap(jacrev(predict, argnums=2), in_dims=(None, None, 0))
batch_jacobian0 = compute_batch_jacobian(weight, bias, xb)
print("batch jacobian:", batch_jacobian0.shape)


def predict_with_output_summed(weight, bias, x):
    return predict(weight, bias, x).sum(0)


batch_jacobian1 = jacrev(predict_with_output_summed, argnums=2)(weight, bias, xb).movedim(1, 0)
print("sum trick:", batch_jacobian1.shape, torch.allclose(batch_jacobian0, batch_jacobian1))
batch_fwd = vmap(jacfwd(predict, argnums=2), in_dims=(None, None, 0))(weight, bias, xb)
print("vmap(jacfwd):", torch.allclose(batch_fwd, batch_jacobian0))
print(batch_jacobian0[1])

# Hessians
hess_api = hessian(predict, argnums=2)(weight, bias, x)
hess_fwdrev = jacfwd(jacrev(predict, argnums=2), argnums=2)(weight, bias, x)
hess_revrev = jacrev(jacrev(predict, argnums=2), argnums=2)(weight, bias, x)
print("hessian:", hess_api.shape, torch.allclose(hess_api, hess_fwdrev), torch.allclose(hess_api, hess_revrev))
print(hess_api[0])
batch_hess = vmap(hessian(predict, argnums=2), in_dims=(None, None, 0))(weight, bias, xb)
print("batch hessian:", batch_hess.shape)


def f(x):
    return x.sin().sum()


def hvp_fwdrev(f, primals, tangents):
    return jvp(grad(f), primals, tangents)[1]


def hvp_revrev(f, primals, tangents):
    _, vjp_fn = vjp(grad(f), *primals)
    return vjp_fn(*tangents)


y = torch.randn(5)
tangent = torch.randn(5)
print("hvp (jvp of grad):", hvp_fwdrev(f, (y,), (tangent,)))
print("hvp (vjp of grad):", hvp_revrev(f, (y,), (tangent,)))
print("explicit:", (-y.sin() * tangent))

# the torch.autograd.functional counterparts
AF = torch.autograd.functional
jac_af = AF.jacobian(lambda x_: predict(weight, bias, x_), x)
print("autograd.functional.jacobian:", torch.allclose(jac_af, jacobian), jac_af.requires_grad)
jac_vec = AF.jacobian(lambda x_: predict(weight, bias, x_), x, vectorize=True)
print("vectorize=True:", torch.allclose(jac_vec, jacobian))
jac_fm = AF.jacobian(lambda x_: predict(weight, bias, x_), x, vectorize=True, strategy="forward-mode")
print("forward-mode:", torch.allclose(jac_fm, jacobian))
jw, jb = AF.jacobian(lambda w, b: predict(w, b, x), (weight, bias))
print("tuple inputs:", type(jw).__name__, jw.shape, jb.shape)
h_af = AF.hessian(f, y)
print("autograd.functional.hessian:", h_af.shape, torch.allclose(h_af, torch.diag(-y.sin())))
h_vec = AF.hessian(f, y, vectorize=True, outer_jacobian_strategy="forward-mode")
print("hessian vectorize:", torch.allclose(h_vec, h_af))
out, vhp_res = AF.vhp(f, y, tangent)
print("vhp:", out, vhp_res)
out, hvp_res = AF.hvp(f, y, tangent)
print("hvp:", torch.allclose(hvp_res, hvp_fwdrev(f, (y,), (tangent,))))
out, jvp_res = AF.jvp(lambda x_: predict(weight, bias, x_), x, torch.ones(D))
print("jvp:", jvp_res)

# mistakes
for name, thunk in [
    ("grad of vector", lambda: grad(lambda t: t.sin())(y)),
    ("argnums out of range", lambda: jacrev(predict, argnums=3)(weight, bias, x)),
    ("argnums float", lambda: jacrev(predict, argnums=1.0)(weight, bias, x)),
    ("tangent shape", lambda: jvp(f, (y,), (torch.randn(4),))),
    ("primals not tuple", lambda: jvp(f, y, (tangent,))),
    ("jacfwd of integer input", lambda: jacfwd(lambda t: t * 2)(torch.arange(3))),
    ("jacrev of integer input", lambda: jacrev(lambda t: t * 2)(torch.arange(3))),
    ("forward-mode without vectorize", lambda: AF.jacobian(f, y, strategy="forward-mode")),
    ("vhp bad v", lambda: AF.vhp(f, y, torch.randn(3))),
    ("hessian of vector", lambda: AF.hessian(lambda t: t.sin(), y)),
]:
    try:
        thunk()
        print(name, "no error")
    except Exception as e:
        print(name, "->", type(e).__name__, e)
