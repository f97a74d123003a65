"""WGAN-GP on a 2-D Gaussian: a LeakyReLU critic is trained with the Wasserstein loss plus the
gradient penalty ((|d critic / d x| - 1) ** 2).mean() at points between real and fake samples, taken
with autograd.grad(create_graph=True) so that the penalty reaches the critic's weights through the
activations' backward; the generator follows with Adam. Prints the losses, the penalty, the nodes
the penalty's gradient hangs on and how much of the critic's gradient comes from the penalty."""
# needs: nn optim
import tensorgraft as torch
import tensorgraft.nn as nn

torch.manual_seed(0)

G = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))
D = nn.Sequential(nn.Linear(2, 16), nn.LeakyReLU(0.2), nn.Linear(16, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1))
opt_g = torch.optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.9))
opt_d = torch.optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.9))
lambda_gp = 10.0
center = torch.tensor([2.0, -1.0])


def gradient_penalty(critic, real, fake):
    eps = torch.rand(real.size(0), 1)
    x = (eps * real + (1 - eps) * fake).requires_grad_(True)
    grad, = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
    return ((grad.norm(2, dim=1) - 1) ** 2).mean(), grad


def names(node, depth):
    if node is None or depth == 0:
        return []
    out = [type(node).__name__]
    for child, _ in node.next_functions:
        out += names(child, depth - 1)
    return out


for step in range(4):
    for _ in range(2):  # critic steps per generator step
        real = torch.randn(32, 2) * 0.5 + center
        fake = G(torch.randn(32, 4)).detach()
        opt_d.zero_grad()
        wasserstein = D(fake).mean() - D(real).mean()
        gp, grad = gradient_penalty(D, real, fake)
        (lambda_gp * gp).backward(retain_graph=True)
        from_penalty = D[0].weight.grad.norm().item()
        wasserstein.backward()
        opt_d.step()
    print(f"step {step}: critic {wasserstein.item():.4f} penalty {gp.item():.4f} "
          f"first-layer grad from penalty {from_penalty:.4f}")
    if step == 0:
        print("penalty gradient:", grad.requires_grad, type(grad.grad_fn).__name__)
        print("its graph:", names(grad.grad_fn, 4))
        print("penalty:", type(gp.grad_fn).__name__)
    opt_g.zero_grad()
    g_loss = -D(G(torch.randn(32, 4))).mean()
    g_loss.backward()
    opt_g.step()
    print(f"step {step}: generator {g_loss.item():.4f}")

with torch.no_grad():
    samples = G(torch.randn(256, 4))
print("sample mean", [round(v, 4) for v in samples.mean(0).tolist()])
