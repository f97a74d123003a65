"""Second-order fitting as a PyTorch user writes it: Gauss-Newton on an exponential-decay model with
torch.func.jacrev of the residuals (chunked and not), Newton's method with torch.func.hessian,
jacfwd/jacrev/autograd.functional agreeing, autograd.grad(is_grads_batched=True) for a batch of
vector-Jacobian products, and gradcheck with check_batched_grad."""
# needs: nn
import tensorgraft as torch
from tensorgraft.autograd.functional import hessian as f_hessian
from tensorgraft.autograd.functional import jacobian as f_jacobian
from tensorgraft.func import hessian, jacfwd, jacrev, vmap

torch.manual_seed(0)
t = torch.linspace(0, 2, 12, dtype=torch.float64)
true = torch.tensor([2.0, -1.3, 0.5], dtype=torch.float64)


def model(p, t):
    return p[0] * torch.exp(p[1] * t) + p[2]


y = model(true, t) + 0.01 * torch.randn(12, dtype=torch.float64)


def residuals(p):
    return model(p, t) - y


p = torch.tensor([1.5, -1.0, 0.2], dtype=torch.float64)
for it in range(6):
    r = residuals(p)
    J = jacrev(residuals)(p)
    step = torch.linalg.solve(J.T @ J, J.T @ r)
    p = p - step
    print(f"GN iter {it}: loss {0.5 * (r ** 2).sum().item():.6e} |step| {step.norm().item():.4e}")
print("fit", [round(v, 3) for v in p.tolist()])
J = jacrev(residuals)(p)
print("J", J.shape, J.dtype)

# chunked jacrev, jacfwd and autograd.functional all give the same Jacobian
Jc = jacrev(residuals, chunk_size=5)(p)
Jf = jacfwd(residuals)(p)
Ja = f_jacobian(residuals, p, vectorize=True)
Jl = f_jacobian(residuals, p)
print("chunked == full:", torch.allclose(Jc, J), "fwd:", torch.allclose(Jf, J),
      "functional vec:", torch.allclose(Ja, J), "loop:", torch.allclose(Jl, J))
print([round(v, 4) for v in J[3].tolist()])


# Newton's method on the sum of squares with the exact Hessian
def loss(p):
    return 0.5 * (residuals(p) ** 2).sum()


q = torch.tensor([1.8, -1.1, 0.4], dtype=torch.float64)
for it in range(4):
    g = jacrev(loss)(q)
    H = hessian(loss)(q)
    q = q - torch.linalg.solve(H, g)
    print(f"Newton iter {it}: loss {loss(q).item():.8e} |g| {g.norm().item():.3e}")
Hf = f_hessian(loss, q, vectorize=True)
Hl = f_hessian(loss, q)
print("H", H.shape, "symmetric:", torch.allclose(H, H.T), "functional:", torch.allclose(Hf, hessian(loss)(q)),
      torch.allclose(Hl, Hf))
eig = torch.linalg.eigvalsh(Hf)
print("H eigenvalues positive:", bool((eig > 0).all()))

# per-point Jacobians of the model w.r.t. its parameters with vmap(jacfwd) and vmap(jacrev)
per_point = vmap(jacfwd(model), in_dims=(None, 0))(p, t)
per_point_r = vmap(jacrev(model), in_dims=(None, 0))(p, t)
print("per-point", per_point.shape, torch.allclose(per_point, J), torch.allclose(per_point_r, J))

# a batch of vector-Jacobian products in one call
x = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
out = torch.tanh(x @ torch.arange(6.0, dtype=torch.float64).reshape(3, 2)).sin()
V = torch.eye(8, dtype=torch.float64).reshape(8, 4, 2)
(vjps,) = torch.autograd.grad(out, x, V, is_grads_batched=True, retain_graph=True)
print("batched vjps", vjps.shape)
rows = [torch.autograd.grad(out, x, V[i], retain_graph=True)[0] for i in range(8)]
print("== one by one:", torch.allclose(vjps, torch.stack(rows)))
(both,) = torch.autograd.grad(out.sum(), x, torch.tensor([1.0, 2.0], dtype=torch.float64),
                              is_grads_batched=True, retain_graph=True)
print(both.shape, torch.allclose(both[1], 2 * both[0]))

# gradcheck / gradgradcheck with batched-gradient checks
a = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
b = torch.randn(4, 2, dtype=torch.float64, requires_grad=True)
print("gradcheck", torch.autograd.gradcheck(lambda a, b: torch.sigmoid(a @ b).log1p(), (a, b),
                                            check_batched_grad=True))
print("gradgradcheck", torch.autograd.gradgradcheck(lambda a, b: (a @ b).tanh() * 2, (a, b),
                                                    check_batched_grad=True))
