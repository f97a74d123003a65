"""A small VAE the way the MNIST tutorials write it, on synthetic 8x8 "images": a Linear encoder
to mu/logvar (chunked), the reparameterization trick, a BCE-with-logits reconstruction term plus
the analytic KL term, Adam for a few steps, then sampling from the prior, reconstructions,
torch.distributions' KL as a cross-check, and the mistakes people make with the loss."""
# needs: nn optim
import io

import tensorgraft as torch
import tensorgraft.distributions as D
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)


class VAE(nn.Module):
    def __init__(self, in_dim=64, hidden=32, latent=4):
        super().__init__()
        self.latent = latent
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(in_dim, hidden), nn.ReLU())
        self.to_stats = nn.Linear(hidden, 2 * latent)
        self.decoder = nn.Sequential(
            nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, in_dim), nn.Unflatten(1, (1, 8, 8)))

    def encode(self, x):
        mu, logvar = self.to_stats(self.encoder(x)).chunk(2, dim=-1)
        return mu, logvar

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        return mu + eps * std

    def forward(self, x):
        mu, logvar = self.encode(x)
        z = self.reparameterize(mu, logvar)
        return self.decoder(z), mu, logvar


def vae_loss(logits, x, mu, logvar):
    recon = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return (recon + kld) / x.size(0), recon, kld


# blobs: each image is a bright square at one of four places, plus noise, squashed into [0, 1]
images = torch.zeros(32, 1, 8, 8)
corner = torch.randint(0, 4, (32,))
for i, c in enumerate(corner.tolist()):
    r, col = divmod(c, 2)
    images[i, 0, r * 4:r * 4 + 4, col * 4:col * 4 + 4] = 1.0
images = (images + 0.1 * torch.randn_like(images)).clamp(0, 1)
print(images.shape, images.dtype, f"{images.mean().item():.4f}", corner.bincount(minlength=4))

model = VAE()
print(model)
print([k for k in model.state_dict()])
print(sum(p.numel() for p in model.parameters()), "parameters")

loader = DataLoader(TensorDataset(images, corner), batch_size=16, shuffle=True)
opt = torch.optim.Adam(model.parameters(), lr=1e-2)

x0 = images[:4]
logits, mu, logvar = model(x0)
print(logits.shape, mu.shape, logvar.shape, logits.grad_fn, mu.grad_fn, logvar.grad_fn)
loss, recon, kld = vae_loss(logits, x0, mu, logvar)
print(f"loss {loss.item():.4f} recon {recon.item():.4f} kld {kld.item():.4f}", loss.grad_fn, kld.grad_fn)
print([type(f).__name__ for f, _ in mu.grad_fn.next_functions], [i for _, i in logvar.grad_fn.next_functions])
# the Bernoulli likelihood is the negative BCE-with-logits
log_lik = D.Bernoulli(logits=logits, validate_args=False).log_prob(x0).sum()
print(f"{log_lik.item():.4f}", torch.allclose(-log_lik, recon), log_lik.grad_fn)

step = 0
for epoch in range(3):
    for xb, yb in loader:
        if step == 5:
            break
        logits, mu, logvar = model(xb)
        loss, recon, kld = vae_loss(logits, xb, mu, logvar)
        opt.zero_grad()
        loss.backward()
        gnorm = torch.sqrt(sum((p.grad ** 2).sum() for p in model.parameters()))
        opt.step()
        print(f"step {step} epoch {epoch} loss {loss.item():.4f} recon {recon.item():.4f} "
              f"kld {kld.item():.4f} |g| {gnorm.item():.4f}", yb.shape)
        step += 1

print(opt.state_dict()["param_groups"][0]["betas"], opt.state_dict()["state"][0]["step"])
print(sorted(opt.state_dict()["state"][0].keys()))

# the analytic KL equals torch.distributions' KL between the posterior and the standard normal
model.eval()
with torch.no_grad():
    mu, logvar = model.encode(images[:3])
    q = D.Normal(mu, torch.exp(0.5 * logvar))
    p = D.Normal(torch.zeros_like(mu), torch.ones_like(mu))
    kl_dist = D.kl_divergence(q, p).sum(-1)
    kl_formula = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(-1)
    print(torch.allclose(kl_dist, kl_formula, atol=1e-5), kl_dist.shape)
    print(kl_dist)
    posterior = D.Independent(q, 1)
    print(posterior.batch_shape, posterior.event_shape, posterior.rsample().shape)

    z = torch.randn(6, model.latent)
    samples = torch.sigmoid(model.decoder(z))
    print(samples.shape, samples.dtype, f"{samples.min().item():.4f} {samples.max().item():.4f}")
    print(samples[0, 0, :2])

    recon = torch.sigmoid(model(images[:2])[0])
    print(F.mse_loss(recon, images[:2]).item() < 1.0, recon.requires_grad)

    # interpolating between two latent codes
    a, b = model.encode(images[:1])[0], model.encode(images[1:2])[0]
    alphas = torch.linspace(0, 1, 5).unsqueeze(1)
    path = torch.lerp(a, b, alphas)
    print(path.shape, torch.allclose(path[0], a[0]), torch.allclose(path[-1], b[0]))
    print(model.decoder(path).flatten(1).shape)

# a Dirichlet latent (Dirichlet-VAEs, topic models): rsample is reparameterized, so the
# concentrations get gradients; a Beta and a Gamma latent the same way
model.train()
conc_head = nn.Sequential(nn.Linear(64, 3), nn.Softplus())
alpha = conc_head(images[:4].flatten(1)) + 0.5
theta = D.Dirichlet(alpha).rsample()
print(type(theta.grad_fn).__name__, theta.shape, torch.allclose(theta.sum(-1), torch.ones(4)))
kl_dir = D.kl_divergence(D.Dirichlet(alpha), D.Dirichlet(torch.ones(3)))
print(kl_dir, kl_dir.grad_fn)
(theta[:, 0].sum() + 0.1 * kl_dir.sum()).backward()
print(conc_head[0].bias.grad)
a = torch.tensor([0.8, 2.0, 6.0], requires_grad=True)
b = torch.tensor([1.5, 2.0, 4.0], requires_grad=True)
u = D.Beta(a, b).rsample((2,))
g = D.Gamma(a, b).rsample()
print(u, u.grad_fn)
print(g, g.grad_fn)
(u.sum() + g.sum()).backward()
print(a.grad, b.grad)
print(D.Beta(a, b).mean, D.Beta(a, b).rsample().requires_grad, D.Beta(a, b).sample().requires_grad)

# a save/load round trip through an in-memory buffer gives the same decoder
buffer = io.BytesIO()
torch.save(model.state_dict(), buffer)
buffer.seek(0)
clone = VAE()
print(clone.load_state_dict(torch.load(buffer)))
clone.eval()
with torch.no_grad():
    print(torch.equal(clone.decoder(z), model.decoder(z)), clone.training, clone.decoder[1].training)

# BCE on probabilities agrees with BCE-with-logits
logits = torch.randn(3, 5)
target = torch.rand(3, 5)
print(torch.allclose(F.binary_cross_entropy(torch.sigmoid(logits), target),
                     F.binary_cross_entropy_with_logits(logits, target), atol=1e-6))
print(F.binary_cross_entropy_with_logits(logits, target, reduction="none").sum(1))
print(nn.BCEWithLogitsLoss(pos_weight=torch.full((5,), 2.0))(logits, target))

for bad in [lambda: F.binary_cross_entropy(logits, target),
            lambda: F.binary_cross_entropy_with_logits(logits, target[:2]),
            lambda: model.decoder(torch.randn(2, 5)),
            lambda: torch.randn(2, 8).chunk(0)]:
    try:
        print(bad())
    except Exception as e:
        print(type(e).__name__, e)
