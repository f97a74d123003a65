"""Physics-informed neural networks as in the PINN tutorials: a small tanh MLP fit to the damped
harmonic oscillator u'' + 2*zeta*w0*u' + w0^2*u = 0 with torch.autograd.grad(create_graph=True) for
the first and second derivatives, a heat-equation residual u_t - k*u_xx with partial derivatives
from one grad call, then the classic Adam-then-LBFGS schedule with a closure, in float64."""
# needs: nn optim
import math

import tensorgraft as torch
import tensorgraft.nn as nn

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)


class FCN(nn.Module):
    def __init__(self, n_in, n_out, hidden, layers):
        super().__init__()
        self.fcs = nn.Sequential(nn.Linear(n_in, hidden), nn.Tanh())
        self.fch = nn.Sequential(*[nn.Sequential(nn.Linear(hidden, hidden), nn.Tanh()) for _ in range(layers - 1)])
        self.fce = nn.Linear(hidden, n_out)

    def forward(self, x):
        return self.fce(self.fch(self.fcs(x)))


zeta, w0 = 0.2, 3.0
model = FCN(1, 1, 16, 2)
print(model)
print(next(model.parameters()).dtype)

t0 = torch.zeros(1, 1, requires_grad=True)
t_phys = torch.linspace(0, 2, 25).view(-1, 1).requires_grad_(True)
print(t_phys.shape, t_phys.requires_grad, t_phys.is_leaf)

u = model(t_phys)
dudt = torch.autograd.grad(u, t_phys, torch.ones_like(u), create_graph=True)[0]
d2udt2 = torch.autograd.grad(dudt, t_phys, torch.ones_like(dudt), create_graph=True)[0]
print(dudt.shape, dudt.grad_fn is not None, d2udt2.requires_grad)
print(f"{dudt.abs().mean().item():.6f} {d2udt2.abs().mean().item():.6f}")


def losses():
    u0 = model(t0)
    du0 = torch.autograd.grad(u0, t0, torch.ones_like(u0), create_graph=True)[0]
    l_ic = (u0 - 1.0).pow(2).squeeze() + du0.pow(2).squeeze()
    u = model(t_phys)
    du = torch.autograd.grad(u, t_phys, torch.ones_like(u), create_graph=True)[0]
    ddu = torch.autograd.grad(du, t_phys, torch.ones_like(du), create_graph=True)[0]
    l_pde = torch.mean((ddu + 2 * zeta * w0 * du + w0 ** 2 * u) ** 2)
    return l_ic, l_pde


opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for i in range(60):
    opt.zero_grad()
    l_ic, l_pde = losses()
    loss = l_ic + 1e-2 * l_pde
    loss.backward()
    opt.step()
    if i % 15 == 0:
        print(f"adam {i:3d} ic {l_ic.item():.6f} pde {l_pde.item():.6f}")

lbfgs = torch.optim.LBFGS(model.parameters(), lr=1.0, max_iter=20, history_size=10,
                          line_search_fn="strong_wolfe")
print(sorted(lbfgs.defaults.items()))


def closure():
    lbfgs.zero_grad()
    l_ic, l_pde = losses()
    loss = l_ic + 1e-2 * l_pde
    loss.backward()
    return loss


for outer in range(3):
    loss = lbfgs.step(closure)
    print(f"lbfgs {outer} loss {loss.item():.6f}")
state = lbfgs.state[lbfgs._params[0]]
print(sorted(k for k in state.keys()))
print(state["func_evals"] > 0, state["n_iter"])

with torch.no_grad():
    t_test = torch.tensor([[0.0], [0.5], [1.0]])
    wd = w0 * math.sqrt(1 - zeta ** 2)
    exact = torch.exp(-zeta * w0 * t_test) * (torch.cos(wd * t_test) + zeta * w0 / wd * torch.sin(wd * t_test))
    print("exact", exact.flatten())
    print("pinn err < 0.5:", ((model(t_test) - exact).abs() < 0.5).flatten())

# heat equation residual u_t - k u_xx on a 2-input net: grad of the sum w.r.t. (x,t) at once
heat = FCN(2, 1, 8, 2)
xt = torch.rand(6, 2).requires_grad_()
out = heat(xt)
g = torch.autograd.grad(out.sum(), xt, create_graph=True)[0]
u_x, u_t = g[:, 0:1], g[:, 1:2]
u_xx = torch.autograd.grad(u_x.sum(), xt, create_graph=True)[0][:, 0:1]
res = u_t - 0.1 * u_xx
print(g.shape, u_xx.shape, res.grad_fn.name())
r_loss = res.pow(2).mean()
r_loss.backward()
print(f"heat residual {r_loss.item():.6f}")
print(heat.fce.weight.grad.shape, f"{heat.fce.weight.grad.norm().item():.6f}")
print(xt.grad is None)

# the analytic check: d/dx sin(x) twice, and a Hessian-vector product
x = torch.linspace(0, math.pi, 5, requires_grad=True)
y = torch.sin(x)
dy = torch.autograd.grad(y.sum(), x, create_graph=True)[0]
d2y = torch.autograd.grad(dy.sum(), x)[0]
print(dy, d2y)
v = torch.ones(5)
hvp = torch.autograd.functional.hvp(lambda z: (z ** 3).sum(), x.detach(), v)
print(hvp[1])

# the classic pitfall: a ReLU network is piecewise linear, so its u_xx is identically zero
relu_net = nn.Sequential(nn.Linear(1, 8), nn.ReLU(), nn.Linear(8, 1))
xs = torch.linspace(-1, 1, 5).view(-1, 1).requires_grad_(True)
u = relu_net(xs)
u_x = torch.autograd.grad(u, xs, torch.ones_like(u), create_graph=True)[0]
u_xx = torch.autograd.grad(u_x, xs, torch.ones_like(u_x), create_graph=True)[0]
print(u_x.flatten().detach(), u_x.grad_fn.name())
print(u_xx.flatten(), u_xx.abs().max().item())
sq = torch.square(xs)
s1 = torch.autograd.grad(sq.sum(), xs, create_graph=True)[0]
s2 = torch.autograd.grad(s1.sum(), xs, create_graph=True)[0]
s3 = torch.autograd.grad(s2.sum(), xs, create_graph=True)[0]
print(s1.grad_fn.name(), s2.flatten(), s3.flatten(), s3.requires_grad)

try:
    torch.autograd.grad(d2y.sum(), x)
except Exception as e:
    print(type(e).__name__, e)
try:
    torch.autograd.grad(model(t0), t0)
    torch.autograd.grad(model(t_phys), t_phys)
except Exception as e:
    print(type(e).__name__, e)
