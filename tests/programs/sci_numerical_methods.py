"""Numerical methods written in torch, as in scientific-computing tutorials: Newton's method for a
root and for an optimum with autograd (grad, create_graph for the second derivative, jacobian and
hessian), gradient descent / Adam / LBFGS on the Rosenbrock function, Monte Carlo estimates of pi
and of an integral with seeded torch.rand, and explicit Euler / RK4 integration of ODEs."""
# needs: optim
import math

import tensorgraft as torch
from tensorgraft.autograd.functional import hessian, jacobian

torch.manual_seed(0)


# Newton's method for f(x) = x^3 - 2x - 5 (Wallis' example)
def f(x):
    return x ** 3 - 2 * x - 5


x = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
for it in range(6):
    y = f(x)
    (g,) = torch.autograd.grad(y, x)
    with torch.no_grad():
        x -= y / g
    print(it, f"{x.item():.12f}", f"{f(x).item():.3e}" if abs(f(x).item()) > 1e-15 else "converged")
print(x, x.grad_fn, x.requires_grad)

# Newton for a minimum: second derivative via create_graph
z = torch.tensor(0.5, requires_grad=True)
for it in range(5):
    h = torch.cos(z) + 0.1 * z ** 2
    (d1,) = torch.autograd.grad(h, z, create_graph=True)
    (d2,) = torch.autograd.grad(d1, z)
    with torch.no_grad():
        z -= d1 / d2
    print(it, f"{z.item():.6f}", d1.grad_fn)


# Newton's method for a system: the Jacobian from autograd.functional
def F(v):
    return torch.stack([v[0] ** 2 + v[1] ** 2 - 4, v[0] * v[1] - 1])


v = torch.tensor([2.0, 0.5], dtype=torch.float64)
for _ in range(5):
    J = jacobian(F, v)
    v = v - torch.linalg.solve(J, F(v))
print(v, F(v).abs().max() < 1e-10)
print(jacobian(F, v).shape)


def rosenbrock(p, a=1.0, b=100.0):
    return (a - p[0]) ** 2 + b * (p[1] - p[0] ** 2) ** 2


print(hessian(rosenbrock, torch.tensor([1.0, 1.0])))

# plain gradient descent on Rosenbrock
p = torch.tensor([-1.5, 2.0], requires_grad=True)
lr = 1e-3
for step in range(2001):
    loss = rosenbrock(p)
    loss.backward()
    with torch.no_grad():
        p -= lr * p.grad
    p.grad.zero_()
    if step % 500 == 0:
        print(step, f"{loss.item():.6f}", [f"{c:.4f}" for c in p.tolist()])

# Adam and LBFGS from the optimizer zoo
p = torch.tensor([-1.5, 2.0], requires_grad=True)
opt = torch.optim.Adam([p], lr=0.05)
for _ in range(300):
    opt.zero_grad()
    loss = rosenbrock(p)
    loss.backward()
    opt.step()
print("adam", f"{loss.item():.4f}", [f"{c:.3f}" for c in p.tolist()])
p = torch.tensor([-1.5, 2.0], dtype=torch.float64, requires_grad=True)
opt = torch.optim.LBFGS([p], lr=1, max_iter=50, line_search_fn="strong_wolfe")


def closure():
    opt.zero_grad()
    loss = rosenbrock(p)
    loss.backward()
    return loss


for _ in range(3):
    loss = opt.step(closure)
print("lbfgs", f"{rosenbrock(p).item():.2e}" if rosenbrock(p).item() > 1e-12 else "0", [f"{c:.6f}" for c in p.tolist()])
print(opt)

# Monte Carlo: pi from points in the unit square, and E[exp(U)] = e - 1
torch.manual_seed(42)
for n in (100, 1000, 10000):
    pts = torch.rand(n, 2)
    inside = (pts.pow(2).sum(dim=1) <= 1.0).float()
    est = 4 * inside.mean()
    print(n, f"{est.item():.4f}", f"stderr {(4 * inside.std() / math.sqrt(n)).item():.4f}")
u = torch.rand(5000, dtype=torch.float64)
print(f"{torch.exp(u).mean().item():.6f} vs {math.e - 1:.6f}")
g = torch.Generator().manual_seed(7)
print(torch.rand(3, generator=g), torch.randint(0, 6, (8,), generator=g) + 1)
walk = torch.randn(1000).sign().cumsum(0)
print(walk[-1], walk.abs().max())
normal_samples = torch.normal(mean=torch.zeros(4), std=torch.ones(4) * 2)
print(normal_samples, torch.randperm(6))


# ODE integration: dy/dt = -k y (exact: exp(-k t)) and the harmonic oscillator by RK4
def euler(fn, y0, t0, t1, steps):
    y, t = y0.clone(), t0
    h = (t1 - t0) / steps
    for _ in range(steps):
        y = y + h * fn(t, y)
        t += h
    return y


def rk4(fn, y0, t0, t1, steps):
    y, t = y0.clone(), t0
    h = (t1 - t0) / steps
    for _ in range(steps):
        k1 = fn(t, y)
        k2 = fn(t + h / 2, y + h / 2 * k1)
        k3 = fn(t + h / 2, y + h / 2 * k2)
        k4 = fn(t + h, y + h * k3)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        t += h
    return y


decay = lambda t, y: -0.5 * y  # noqa: E731
y0 = torch.tensor([1.0], dtype=torch.float64)
for steps in (10, 100, 1000):
    approx = euler(decay, y0, 0.0, 2.0, steps)
    print(steps, f"{approx.item():.6f}", f"err {abs(approx.item() - math.exp(-1.0)):.2e}")
osc = lambda t, s: torch.stack([s[1], -s[0]])  # noqa: E731
state = rk4(osc, torch.tensor([1.0, 0.0], dtype=torch.float64), 0.0, math.pi, 50)
print(state, f"{(state - torch.tensor([-1.0, 0.0], dtype=torch.float64)).abs().max().item():.2e}")
traj = torch.zeros(5, 2)
s = torch.tensor([1.0, 0.0])
for i in range(5):
    traj[i] = s
    s = s + 0.1 * torch.stack([s[1], -s[0]])
print(traj)
# sensitivity of the solution to k by backprop through the integrator
k = torch.tensor(0.5, requires_grad=True)
yT = euler(lambda t, y: -k * y, torch.tensor([1.0]), 0.0, 2.0, 50)
yT.sum().backward()
print(yT, f"{k.grad.item():.5f}", f"{-2 * math.exp(-1.0):.5f}")
