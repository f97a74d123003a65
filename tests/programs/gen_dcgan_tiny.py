"""A tiny DCGAN as the PyTorch DCGAN tutorial writes it, shrunk to 8x8 images: a ConvTranspose2d /
BatchNorm2d / ReLU / Tanh generator, a Conv2d / LeakyReLU / BatchNorm2d discriminator, the
tutorial's weights_init through Module.apply, BCEWithLogitsLoss, two Adam optimizers with
betas=(0.5, 0.999), detach() for the discriminator step, train()/eval() switching and what it does
to BatchNorm's running statistics."""
# needs: nn optim
import warnings

import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F

torch.manual_seed(0)

nz, ngf, ndf, nc = 8, 8, 8, 1


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            # nz x 1 x 1 -> ngf*2 x 2 x 2
            nn.ConvTranspose2d(nz, ngf * 2, 2, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            # -> ngf x 4 x 4
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf),
            nn.ReLU(True),
            # -> nc x 8 x 8
            nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False),
            nn.Tanh(),
        )

    def forward(self, z):
        return self.main(z)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, 1, 2, 1, 0, bias=False),
        )

    def forward(self, x):
        return self.main(x).view(-1)


def weights_init(m):
    classname = m.__class__.__name__
    if classname.find("Conv") != -1:
        nn.init.normal_(m.weight.data, 0.0, 0.02)
    elif classname.find("BatchNorm") != -1:
        nn.init.normal_(m.weight.data, 1.0, 0.02)
        nn.init.constant_(m.bias.data, 0)


netG, netD = Generator(), Discriminator()
netG.apply(weights_init)
netD.apply(weights_init)
print(netG)
print(netD)
print(list(netG.state_dict().keys())[:6])
print(netG.main[1].running_mean.shape, netG.main[1].num_batches_tracked)
print(f"{netG.main[1].weight.mean().item():.4f} {netD.main[0].weight.std().item():.4f}")

criterion = nn.BCEWithLogitsLoss()
fixed_noise = torch.randn(4, nz, 1, 1)
real_label, fake_label = 1.0, 0.0
optD = torch.optim.Adam(netD.parameters(), lr=2e-3, betas=(0.5, 0.999))
optG = torch.optim.Adam(netG.parameters(), lr=2e-3, betas=(0.5, 0.999))
print(optD)

# "real" data: smooth diagonal stripes in [-1, 1]
grid = torch.arange(8.0)
stripes = torch.sin((grid.view(1, 8) + grid.view(8, 1)) * 0.8)
real_data = (stripes + 0.1 * torch.randn(16, 1, 8, 8)).clamp(-1, 1)
print(real_data.shape, f"{real_data.mean().item():.4f}")

batch = 8
for step in range(3):
    real = real_data[step * 4:step * 4 + batch]
    b = real.size(0)
    # (1) update D: maximize log(D(x)) + log(1 - D(G(z)))
    netD.zero_grad()
    label = torch.full((b,), real_label, dtype=torch.float)
    output = netD(real)
    errD_real = criterion(output, label)
    errD_real.backward()
    D_x = torch.sigmoid(output).mean().item()

    noise = torch.randn(b, nz, 1, 1)
    fake = netG(noise)
    label.fill_(fake_label)
    output = netD(fake.detach())
    errD_fake = criterion(output, label)
    errD_fake.backward()
    D_G_z1 = torch.sigmoid(output).mean().item()
    errD = errD_real + errD_fake
    optD.step()

    # (2) update G: maximize log(D(G(z)))
    netG.zero_grad()
    label.fill_(real_label)
    output = netD(fake)
    errG = criterion(output, label)
    errG.backward()
    D_G_z2 = torch.sigmoid(output).mean().item()
    optG.step()
    print(f"[{step}/3] Loss_D: {errD.item():.4f} Loss_G: {errG.item():.4f} "
          f"D(x): {D_x:.4f} D(G(z)): {D_G_z1:.4f} / {D_G_z2:.4f}")

print(fake.shape, fake.dtype, fake.grad_fn, fake.detach().grad_fn, fake.detach().requires_grad)
print(errD.grad_fn, errG.grad_fn, output.grad_fn)
print(netG.main[1].running_mean)
print(netG.main[1].running_var)
print(netG.main[1].num_batches_tracked, netD.main[3].num_batches_tracked)
print(optG.state_dict()["param_groups"][0]["betas"], len(optG.state_dict()["state"]))

# eval() makes BatchNorm use (and stop updating) its running statistics
netG.eval()
before = netG.main[4].running_mean.clone()
with torch.no_grad():
    sample_eval = netG(fixed_noise)
print(sample_eval.shape, torch.equal(before, netG.main[4].running_mean), netG.training, netG.main[4].training)
print(f"{sample_eval.min().item():.4f} {sample_eval.max().item():.4f}")
print(sample_eval[0, 0, :2])
netG.train()
with torch.no_grad():
    sample_train = netG(fixed_noise)
print(torch.allclose(sample_eval, sample_train), torch.equal(before, netG.main[4].running_mean))
print(netG.main[4].num_batches_tracked)

# requires_grad_(False) to freeze D while looking at G's gradients alone
for p in netD.parameters():
    p.requires_grad_(False)
netG.zero_grad(set_to_none=True)
errG = criterion(netD(netG(fixed_noise)), torch.ones(4))
errG.backward()
print(f"{errG.item():.4f}", netD.main[0].weight.grad is None, netG.main[0].weight.grad.shape)
print(sum(p.requires_grad for p in netD.parameters()), sum(p.requires_grad for p in netG.parameters()))

# the other generator design: nearest-neighbour upsampling then a convolution (no checkerboard
# artifacts), and the deprecated functional spelling of the upsampling
up_gen = nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(nz, 4, 3, padding=1),
                       nn.BatchNorm2d(4), nn.ReLU(), nn.Upsample(scale_factor=4, mode="bilinear"),
                       nn.Conv2d(4, nc, 3, padding=1), nn.Tanh())
print(up_gen)
out = up_gen(torch.randn(2, nz, 1, 1))
print(out.shape, out.grad_fn, up_gen[4](torch.arange(4.0).view(1, 1, 2, 2))[0, 0, 0])
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    nearest = F.upsample(torch.arange(4.0).view(1, 1, 2, 2), scale_factor=2)
    same = F.interpolate(torch.arange(4.0).view(1, 1, 2, 2), scale_factor=2)
print([f"{w.category.__name__}: {w.message}" for w in caught], torch.equal(nearest, same))

# the shapes of the transposed convolutions, and output_padding
up = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
print(up, up.weight.shape, up(torch.randn(1, 2, 4, 4)).shape)
up_pad = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1)
print(up_pad(torch.randn(1, 2, 4, 4)).shape)
print(up(torch.randn(1, 2, 4, 4), output_size=[8, 8]).shape)

for bad in [lambda: netD(torch.randn(2, 3, 8, 8)),
            lambda: nn.BatchNorm2d(4)(torch.randn(2, 3, 4, 4)),
            lambda: nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=2)(torch.randn(1, 2, 4, 4)),
            lambda: up(torch.randn(1, 2, 4, 4), output_size=[10, 10]),
            lambda: nn.BatchNorm2d(4)(torch.randn(1, 4, 1, 1)),
            lambda: torch.optim.Adam(netG.parameters(), betas=(1.5, 0.999))]:
    try:
        print(bad())
    except Exception as e:
        print(type(e).__name__, e)
