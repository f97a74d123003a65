"""A physics-informed network (PINN tutorial pattern) for u'' = -pi^2 sin(pi x) on [0, 1] with
u(0) = u(1) = 0: a Tanh MLP, derivatives u_x and u_xx from torch.autograd.grad(create_graph=True),
the residual loss trained with Adam, then a Sigmoid-gated variant and a WGAN-GP style gradient
penalty through an in-place LeakyReLU/ELU critic. Prints the losses, the nodes the derivatives hang
on (TanhBackwardBackward0, SigmoidBackwardBackward0 ...) and the third derivative at a few points."""
# needs: nn optim
import math

import tensorgraft as torch
import tensorgraft.nn as nn

torch.manual_seed(0)


def names(node, depth=2):
    if node is None:
        return None
    if depth == 1:
        return type(node).__name__
    return (type(node).__name__, [names(n, depth - 1) for n, _ in node.next_functions])


class PINN(nn.Module):
    def __init__(self, act):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(1, 16), act, nn.Linear(16, 16), act, nn.Linear(16, 1))

    def forward(self, x):
        return self.net(x)


def derivatives(model, x):
    u = model(x)
    u_x, = torch.autograd.grad(u.sum(), x, create_graph=True)
    u_xx, = torch.autograd.grad(u_x.sum(), x, create_graph=True)
    return u, u_x, u_xx


for act in (nn.Tanh(), nn.Sigmoid()):
    torch.manual_seed(1)
    model = PINN(act)
    print(model)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    x = torch.linspace(0, 1, 17).unsqueeze(1).requires_grad_(True)
    ends = torch.tensor([[0.0], [1.0]])
    for step in range(30):
        opt.zero_grad()
        u, u_x, u_xx = derivatives(model, x)
        residual = u_xx + math.pi ** 2 * torch.sin(math.pi * x)
        loss = residual.pow(2).mean() + model(ends).pow(2).mean()
        loss.backward()
        opt.step()
        if step % 10 == 0 or step == 29:
            print(f"step {step:2d} loss {loss.item():.4f}")
    u, u_x, u_xx = derivatives(model, x)
    print("u_x  grad_fn:", names(u_x.grad_fn, 3))
    print("u_xx grad_fn:", names(u_xx.grad_fn, 2))
    u_xxx, = torch.autograd.grad(u_xx.sum(), x)
    print("u_xxx at 0, 0.5, 1:", [f"{v:.4f}" for v in u_xxx[[0, 8, 16], 0].tolist()])
    print("u at 0.5:", f"{u[8].item():.4f}", "exact", f"{math.sin(math.pi * 0.5):.4f}")

# gradient penalty through in-place activations (WGAN-GP critic)
torch.manual_seed(2)
critic = nn.Sequential(nn.Linear(2, 8), nn.LeakyReLU(0.2, inplace=True), nn.Linear(8, 8), nn.ELU(inplace=True),
                       nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 1))
opt = torch.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.5, 0.9))
for step in range(3):
    real = torch.randn(16, 2) + 1.0
    fake = torch.randn(16, 2)
    eps = torch.rand(16, 1)
    mix = (eps * real + (1 - eps) * fake).requires_grad_(True)
    grad, = torch.autograd.grad(critic(mix).sum(), mix, create_graph=True)
    penalty = ((grad.norm(2, dim=1) - 1) ** 2).mean()
    loss = critic(fake).mean() - critic(real).mean() + 10 * penalty
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(f"critic step {step} loss {loss.item():.4f} penalty {penalty.item():.4f} "
          f"first-layer grad norm {critic[0].weight.grad.norm().item():.4f}")
print("penalty gradient:", names(grad.grad_fn, 2))
