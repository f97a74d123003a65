"""DCGAN tutorial on tiny synthetic 16x16 images: Generator with ConvTranspose2d/BatchNorm2d/ReLU/Tanh,
Discriminator with Conv2d/LeakyReLU/Sigmoid, weights_init applied via Module.apply with classname
checks, BCELoss with real/fake labels, detach() for the D step, fixed noise, two Adam optimizers."""
# needs: nn optim
import random

import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.optim as optim

manualSeed = 999
random.seed(manualSeed)
torch.manual_seed(manualSeed)
torch.use_deterministic_algorithms(True)

nc, nz, ngf, ndf = 1, 8, 8, 8
batch_size = 8
real_images = torch.rand(32, nc, 16, 16) * 2 - 1


def weights_init(m):
    classname = m.__class__.__name__
    if classname.find('Conv') != -1:
        nn.init.normal_(m.weight.data, 0.0, 0.02)
    elif classname.find('BatchNorm') != -1:
        nn.init.normal_(m.weight.data, 1.0, 0.02)
        nn.init.constant_(m.bias.data, 0)


class Generator(nn.Module):
    def __init__(self, ngpu):
        super(Generator, self).__init__()
        self.ngpu = ngpu
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 4, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 4),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, nc, 4, 2, 1, bias=False),
            nn.Tanh()
        )

    def forward(self, input):
        return self.main(input)


class Discriminator(nn.Module):
    def __init__(self, ngpu):
        super(Discriminator, self).__init__()
        self.ngpu = ngpu
        self.main = nn.Sequential(
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, 1, 4, 1, 0, bias=False),
            nn.Sigmoid()
        )

    def forward(self, input):
        return self.main(input)


netG = Generator(0)
netG.apply(weights_init)
print(netG)
netD = Discriminator(0)
print(netD.apply(weights_init) is netD)
print(netD)
print(f"{netG.main[0].weight.std().item():.4f} {netG.main[1].weight.mean().item():.4f}")
print(netG.main[1].bias)

criterion = nn.BCELoss()
fixed_noise = torch.randn(4, nz, 1, 1)
real_label = 1.
fake_label = 0.
optimizerD = optim.Adam(netD.parameters(), lr=0.0002, betas=(0.5, 0.999))
optimizerG = optim.Adam(netG.parameters(), lr=0.0002, betas=(0.5, 0.999))
print(optimizerD)

with torch.no_grad():
    fake = netG(fixed_noise)
print(fake.shape, fake.dtype, fake.requires_grad)
print(f"{fake.min().item():.4f} {fake.max().item():.4f}")

G_losses = []
D_losses = []
iters = 0
for epoch in range(2):
    perm = torch.randperm(real_images.size(0))
    for i in range(0, real_images.size(0), batch_size):
        netD.zero_grad()
        real_cpu = real_images[perm[i:i + batch_size]]
        b_size = real_cpu.size(0)
        label = torch.full((b_size,), real_label, dtype=torch.float)
        output = netD(real_cpu).view(-1)
        errD_real = criterion(output, label)
        errD_real.backward()
        D_x = output.mean().item()

        noise = torch.randn(b_size, nz, 1, 1)
        fake = netG(noise)
        label.fill_(fake_label)
        output = netD(fake.detach()).view(-1)
        errD_fake = criterion(output, label)
        errD_fake.backward()
        D_G_z1 = output.mean().item()
        errD = errD_real + errD_fake
        optimizerD.step()

        netG.zero_grad()
        label.fill_(real_label)
        output = netD(fake).view(-1)
        errG = criterion(output, label)
        errG.backward()
        D_G_z2 = output.mean().item()
        optimizerG.step()
        if i % 16 == 0:
            print('[%d/%d][%d]\tLoss_D: %.4f\tLoss_G: %.4f\tD(x): %.4f\tD(G(z)): %.4f / %.4f'
                  % (epoch, 2, i, errD.item(), errG.item(), D_x, D_G_z1, D_G_z2))
        G_losses.append(errG.item())
        D_losses.append(errD.item())
        iters += 1
print(len(G_losses), iters)
print(errD.grad_fn, errG.grad_fn, output.grad_fn)
print(label)
print(fake.grad_fn.name())

with torch.no_grad():
    fake = netG(fixed_noise).detach()
print(fake[0, 0, :3, :3])
print(netD.main[3].running_var[:4], netD.main[3].num_batches_tracked)

# BCE with logits version and what happens with out-of-range inputs
logits = torch.tensor([0.3, -1.2, 2.0])
target = torch.tensor([1.0, 0.0, 1.0])
print(nn.BCEWithLogitsLoss()(logits, target), nn.BCELoss()(torch.sigmoid(logits), target))
print(nn.BCEWithLogitsLoss(pos_weight=torch.tensor([2.0]))(logits, target))
try:
    criterion(torch.tensor([1.5, 0.5]), torch.tensor([1.0, 0.0]))
except Exception as e:
    print(type(e).__name__, e)
try:
    criterion(torch.tensor([0.5, 0.5]), torch.tensor([1.0, 0.0, 1.0]))
except Exception as e:
    print(type(e).__name__, e)
try:
    nn.ConvTranspose2d(4, 2, 3)(torch.randn(1, 3, 5, 5))
except Exception as e:
    print(type(e).__name__, e)
ct = nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1)
print(ct, ct.weight.shape, ct(torch.randn(1, 4, 5, 5)).shape)
print(ct(torch.randn(1, 4, 5, 5), output_size=[9, 9]).shape)
try:
    ct(torch.randn(1, 4, 5, 5), output_size=[12, 12])
except Exception as e:
    print(type(e).__name__, e)
try:
    nn.ConvTranspose2d(4, 2, 3, stride=1, output_padding=1)(torch.randn(1, 4, 5, 5))
except Exception as e:
    print(type(e).__name__, e)
