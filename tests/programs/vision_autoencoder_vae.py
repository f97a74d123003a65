"""Convolutional autoencoder and the PyTorch-examples VAE on synthetic 1x16x16 'digits': Conv2d /
ConvTranspose2d encoder-decoder with Sigmoid output and MSE; a VAE with the reparameterization trick
(mu + eps * std), BCE(sum) + KL divergence, torch.no_grad sampling from the prior, reconstructions
compared with F.binary_cross_entropy, and latent interpolation. Small sizes and a fixed seed."""
# needs: nn optim
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
import tensorgraft.optim as optim
from tensorgraft.distributions import Normal, kl_divergence
from tensorgraft.utils.data import DataLoader, TensorDataset

torch.manual_seed(1)

# synthetic images: blurred random strokes in [0, 1]
raw = (torch.rand(48, 1, 16, 16) > 0.85).float()
images = F.avg_pool2d(F.pad(raw, (1, 1, 1, 1), mode='replicate'), 3, stride=1).clamp(0, 1)
print(images.shape, f"{images.mean().item():.4f} {images.max().item():.4f}")
loader = DataLoader(TensorDataset(images), batch_size=12, shuffle=True)


class ConvAutoencoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 8, 3, stride=2, padding=1),   # 8x8
            nn.ReLU(True),
            nn.Conv2d(8, 16, 3, stride=2, padding=1),  # 4x4
            nn.ReLU(True),
        )
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1),
            nn.ReLU(True),
            nn.ConvTranspose2d(8, 1, 3, stride=2, padding=1, output_padding=1),
            nn.Sigmoid(),
        )

    def forward(self, x):
        return self.decoder(self.encoder(x))


ae = ConvAutoencoder()
print(ae)
code = ae.encoder(images[:2])
print("code", code.shape, "recon", ae(images[:2]).shape)
opt = optim.Adam(ae.parameters(), lr=1e-2)
criterion = nn.MSELoss()
for epoch in range(3):
    total = 0.0
    for (batch,) in loader:
        opt.zero_grad()
        loss = criterion(ae(batch), batch)
        loss.backward()
        opt.step()
        total += loss.item() * batch.size(0)
    print(f"AE epoch {epoch} loss {total / len(loader.dataset):.5f}")
with torch.no_grad():
    recon = ae(images[:1])
print(recon[0, 0, 6:9, 6:9])


class VAE(nn.Module):
    def __init__(self, latent=4):
        super(VAE, self).__init__()
        self.fc1 = nn.Linear(256, 64)
        self.fc21 = nn.Linear(64, latent)
        self.fc22 = nn.Linear(64, latent)
        self.fc3 = nn.Linear(latent, 64)
        self.fc4 = nn.Linear(64, 256)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        return mu + eps * std

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, 256))
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


def loss_function(recon_x, x, mu, logvar):
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, 256), reduction='sum')
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return BCE + KLD, BCE, KLD


model = VAE()
print(model)
optimizer = optim.Adam(model.parameters(), lr=1e-3)
for epoch in range(1, 4):
    model.train()
    train_loss = 0
    for batch_idx, (data,) in enumerate(loader):
        optimizer.zero_grad()
        recon_batch, mu, logvar = model(data)
        loss, bce, kld = loss_function(recon_batch, data, mu, logvar)
        loss.backward()
        train_loss += loss.item()
        optimizer.step()
        if batch_idx == 0:
            print(f"Train Epoch: {epoch} [{batch_idx * len(data)}/{len(loader.dataset)}]\tLoss: "
                  f"{loss.item() / len(data):.6f} (BCE {bce.item():.3f}, KLD {kld.item():.3f})")
    print('====> Epoch: {} Average loss: {:.4f}'.format(epoch, train_loss / len(loader.dataset)))
print(loss.grad_fn, bce.grad_fn, kld.grad_fn, mu.grad_fn, recon_batch.grad_fn)

model.eval()
with torch.no_grad():
    recon_batch, mu, logvar = model(images[:4])
    test_loss = loss_function(recon_batch, images[:4], mu, logvar)[0].item()
    print(f"====> Test set loss: {test_loss / 4:.4f}")
    comparison = torch.cat([images[:2], recon_batch.view(4, 1, 16, 16)[:2]])
    print(comparison.shape, comparison.requires_grad)
    sample = torch.randn(3, 4)
    sample = model.decode(sample).view(3, 1, 16, 16)
    print(sample.shape, f"{sample.mean().item():.4f}")
    # latent interpolation between two images' means
    z0, z1 = mu[0], mu[1]
    steps = torch.linspace(0, 1, 5).unsqueeze(1)
    path = torch.lerp(z0.expand(5, -1), z1.expand(5, -1), steps)
    print(path)
    print(model.decode(path).view(5, 16, 16).mean(dim=(1, 2)))

print(mu.std(dim=0), logvar.exp().mean(dim=0))

# the KL term against torch.distributions
q = Normal(mu, torch.exp(0.5 * logvar))
p = Normal(torch.zeros_like(mu), torch.ones_like(mu))
print(f"{kl_divergence(q, p).sum().item():.4f} {(-0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())).item():.4f}")

# common mistakes with BCE targets / inputs
try:
    F.binary_cross_entropy(recon_batch, images[:4])
except Exception as e:
    print(type(e).__name__, e)
try:
    F.binary_cross_entropy(recon_batch * 2 - 0.5, images[:4].view(-1, 256))
except Exception as e:
    print(type(e).__name__, e)
try:
    F.binary_cross_entropy(recon_batch, images[:4].view(-1, 256).long())
except Exception as e:
    print(type(e).__name__, e)
try:
    model(images[:4].view(4, 16, 16).transpose(1, 2)).view(4, 256)
except Exception as e:
    print(type(e).__name__, e)
