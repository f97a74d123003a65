"""Neural-ODE and Hamiltonian-network tutorials with hand-written solvers: explicit Euler and
classic RK4 steps over torch.linspace time grids, backpropagation through the whole unrolled
solver, a Hamiltonian net whose vector field comes from autograd.grad(create_graph=True) of a
learned energy, and the exact solution of a small linear ODE system with torch.linalg
(eig/matrix_exp/solve) to compare against."""
# needs: nn optim
import tensorgraft as torch
import tensorgraft.nn as nn


def euler(f, y0, t):
    ys = [y0]
    for i in range(len(t) - 1):
        ys.append(ys[-1] + (t[i + 1] - t[i]) * f(t[i], ys[-1]))
    return torch.stack(ys)


def rk4(f, y0, t):
    ys = [y0]
    y = y0
    for t0, t1 in zip(t[:-1], t[1:]):
        h = t1 - t0
        k1 = f(t0, y)
        k2 = f(t0 + h / 2, y + h * k1 / 2)
        k3 = f(t0 + h / 2, y + h * k2 / 2)
        k4 = f(t1, y + h * k3)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        ys.append(y)
    return torch.stack(ys)


torch.manual_seed(0)
A = torch.tensor([[-0.1, 2.0], [-2.0, -0.1]])
y0 = torch.tensor([2.0, 0.0])
t = torch.linspace(0.0, 1.5, 16)
true_f = lambda t, y: y @ A.T  # noqa: E731
ys_euler = euler(true_f, y0, t)
ys_rk4 = rk4(true_f, y0, t)
exact = torch.stack([torch.linalg.matrix_exp(A * ti) @ y0 for ti in t])
print(ys_rk4.shape, t.dtype)
print(ys_rk4[-1], exact[-1])
print(f"euler err {(ys_euler - exact).abs().max().item():.5f} rk4 err {(ys_rk4 - exact).abs().max().item():.7f}")
evals, evecs = torch.linalg.eig(A)
print(evals.real, evals.imag.abs().round(decimals=3))
print(evecs.dtype, evecs.abs())
print(torch.linalg.solve(A, y0), torch.linalg.det(A), torch.linalg.inv(A))
print(torch.linalg.norm(A), torch.linalg.matrix_norm(A, ord=2), torch.linalg.cond(A))


class ODEFunc(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 2))
        for m in self.net.modules():
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, mean=0, std=0.1)
                nn.init.constant_(m.bias, val=0)

    def forward(self, t, y):
        return self.net(y ** 3)


func = ODEFunc()
print(func)
optimizer = torch.optim.RMSprop(func.parameters(), lr=1e-2)
true_y = rk4(lambda t, y: (y ** 3) @ A.T, y0.unsqueeze(0), t)
print(true_y.shape)
for itr in range(1, 9):
    optimizer.zero_grad()
    pred_y = rk4(func, y0.unsqueeze(0), t)
    loss = torch.mean(torch.abs(pred_y - true_y))
    loss.backward()
    optimizer.step()
    if itr % 2 == 0:
        print(f"Iter {itr:04d} | Total Loss {loss.item():.6f}")
print(pred_y.grad_fn.name(), func.net[0].weight.grad.abs().sum() > 0)

# gradient of the final state w.r.t. the initial condition, through the solver
y_init = torch.tensor([1.0, 0.5], requires_grad=True)
y_end = rk4(true_f, y_init, t)[-1]
jac = torch.stack([torch.autograd.grad(y_end[i], y_init, retain_graph=True)[0] for i in range(2)])
print(jac)
print(torch.linalg.matrix_exp(A * 1.5))
print(torch.autograd.functional.jacobian(lambda y: rk4(true_f, y, t)[-1], y_init.detach()))


class HNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.H = nn.Sequential(nn.Linear(2, 16), nn.Softplus(), nn.Linear(16, 1))

    def forward(self, t, x):
        with torch.enable_grad():
            x = x if x.requires_grad else x.requires_grad_(True)
            H = self.H(x).sum()
            dH = torch.autograd.grad(H, x, create_graph=True)[0]
        dq, dp = dH.chunk(2, dim=-1)
        return torch.cat([dp, -dq], dim=-1)


# training data: the spring H = (q^2 + p^2)/2
q = torch.rand(32, 1) * 2 - 1
p = torch.rand(32, 1) * 2 - 1
x = torch.cat([q, p], dim=1)
dx_true = torch.cat([p, -q], dim=1)
hnn = HNN()
opt = torch.optim.Adam(hnn.parameters(), lr=1e-2)
for step in range(30):
    opt.zero_grad()
    loss = nn.functional.mse_loss(hnn(0.0, x.clone()), dx_true)
    loss.backward()
    opt.step()
    if step % 10 == 0:
        print(f"hnn step {step} loss {loss.item():.6f}")
traj = rk4(hnn, torch.tensor([[1.0, 0.0]]), torch.linspace(0, 1, 5))
energy = hnn.H(traj.squeeze(1)).squeeze(-1).detach()
print(traj.squeeze(1).detach())
print(energy, (energy - energy[0]).abs().max() < 1e-3)

try:
    torch.linalg.solve(A, torch.ones(3))
except Exception as e:
    print(type(e).__name__, e)
try:
    torch.linalg.inv(torch.zeros(2, 2))
except Exception as e:
    print(type(e).__name__, e)
try:
    torch.linalg.matrix_exp(torch.ones(2, 3))
except Exception as e:
    print(type(e).__name__, e)
