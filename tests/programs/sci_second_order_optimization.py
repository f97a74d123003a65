"""Second-order and functional-autograd tools on classic test problems, as numerical-optimization
tutorials use them: Newton's method on Rosenbrock with autograd.functional.hessian and linalg.solve,
Gauss-Newton on a curve fit with jacobian, hvp/vhp/jvp/vjp, torch.func's grad/jacrev/jacfwd/hessian
composed with vmap, LBFGS with strong Wolfe line search, and a trust-region step with eigh."""
# needs: autograd optim
import tensorgraft as torch
from tensorgraft.autograd.functional import hessian, hvp, jacobian, jvp, vhp, vjp
from tensorgraft.func import grad, hessian as fhessian, jacfwd, jacrev, vmap

torch.set_default_dtype(torch.float64)


def rosenbrock(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


x = torch.tensor([-1.2, 1.0])
for it in range(8):
    g = jacobian(rosenbrock, x)
    H = hessian(rosenbrock, x)
    step = torch.linalg.solve(H, g)
    x = x - step
    print(f"newton {it}: f={rosenbrock(x).item():.6e} |g|={g.norm().item():.4e}")
print("minimum:", x)
print("hessian at the minimum:\n", hessian(rosenbrock, x))
print("eigenvalues:", torch.linalg.eigvalsh(hessian(rosenbrock, x)))

v = torch.tensor([1.0, -2.0])
print("hvp:", hvp(rosenbrock, x, v))
print("vhp:", vhp(rosenbrock, x, v))
print("jvp:", jvp(lambda z: torch.stack([z.sin().sum(), (z ** 3).prod()]), x, v))
print("vjp:", vjp(lambda z: z.exp() * z, x, v))

# Gauss-Newton / Levenberg-Marquardt on y = a * exp(-b t) + c
torch.manual_seed(0)
t = torch.linspace(0, 4, 25)
y = 2.5 * torch.exp(-1.3 * t) + 0.5 + 0.02 * torch.randn(25)


def residuals(p):
    return p[0] * torch.exp(-p[1] * t) + p[2] - y


p = torch.tensor([1.0, 1.0, 0.0])
lam = 1e-2
for it in range(7):  # (past that the cost changes below rounding, and accept/reject is noise)
    r = residuals(p)
    J = jacobian(residuals, p)
    A = J.T @ J + lam * torch.diag(torch.diagonal(J.T @ J))
    delta = torch.linalg.solve(A, -J.T @ r)
    new = p + delta
    if residuals(new).pow(2).sum() < r.pow(2).sum():
        p, lam = new, lam / 3
    else:
        lam = lam * 3
    if it % 3 == 0:
        print(f"lm {it}: cost {0.5 * r.pow(2).sum().item():.6f} lambda {lam:.4g}")
print("fit:", p.round(decimals=4))
cov = torch.linalg.inv(J.T @ J) * residuals(p).pow(2).sum() / (25 - 3)
print("std errors:", cov.diagonal().sqrt().round(decimals=5))

# torch.func: per-sample gradients and Hessians
def loss(w, xi, yi):
    return (torch.tanh(xi @ w) - yi) ** 2


w = torch.tensor([0.3, -0.2, 0.1])
X = torch.randn(5, 3)
Y = torch.randn(5)
per_sample = vmap(grad(loss), in_dims=(None, 0, 0))(w, X, Y)
print("per-sample grads:\n", per_sample)
print("match loop:", torch.allclose(per_sample, torch.stack([grad(loss)(w, X[i], Y[i]) for i in range(5)])))
print("jacrev == jacfwd:", torch.allclose(jacrev(torch.sin)(w), jacfwd(torch.sin)(w)))
H = fhessian(lambda w: loss(w, X[0], Y[0]))(w)
print("func hessian symmetric:", torch.allclose(H, H.T), H.shape)

# LBFGS with strong Wolfe on an ill-conditioned quadratic
A = torch.diag(torch.tensor([1.0, 10.0, 100.0, 1000.0]))
b = torch.tensor([1.0, 1.0, 1.0, 1.0])
z = torch.zeros(4, requires_grad=True)
opt = torch.optim.LBFGS([z], lr=1, max_iter=50, history_size=5, line_search_fn="strong_wolfe",
                        tolerance_grad=1e-12, tolerance_change=1e-14)


def closure():
    opt.zero_grad()
    f = 0.5 * z @ A @ z - b @ z
    f.backward()
    return f


f0 = opt.step(closure)
print("lbfgs start f:", f0.item(), "solution:", z.detach(), "exact:", torch.linalg.solve(A, b))
state = opt.state[z]
print("lbfgs evals:", state["func_evals"], "iters:", state["n_iter"])

# one trust-region (dogleg-free, exact) step on Rosenbrock from the start point
x0 = torch.tensor([-1.2, 1.0])
g0, H0 = jacobian(rosenbrock, x0), hessian(rosenbrock, x0)
evals, evecs = torch.linalg.eigh(H0)
print("start hessian eigenvalues:", evals)
radius = 0.5
for shift in (0.0, 1.0, 10.0, 100.0, 1000.0):
    s = -torch.linalg.solve(H0 + shift * torch.eye(2), g0)
    if s.norm() <= radius:
        break
pred = -(g0 @ s + 0.5 * s @ H0 @ s)
actual = rosenbrock(x0) - rosenbrock(x0 + s)
print(f"shift {shift}: |s|={s.norm().item():.4f} rho={(actual / pred).item():.4f}")
