"""Segmentation and restoration losses and metrics as model zoos write them by hand: sigmoid focal
loss, soft Dice and Tversky, the Lovasz hinge (a sort of the errors with ties, cumsums of the
sorted labels), SSIM with a Gaussian window through grouped conv2d, PSNR, total variation and
Charbonnier losses; each one's value and gradient norm, and one optimisation step through all."""
# needs: nn optim
import math

import tensorgraft as torch
import tensorgraft.nn.functional as F

torch.manual_seed(4)
logits = torch.randn(2, 1, 8, 8, requires_grad=True)
target = (torch.rand(2, 1, 8, 8) > 0.6).float()


def focal_loss(inputs, targets, alpha=0.25, gamma=2.0):
    p = torch.sigmoid(inputs)
    ce = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce * ((1 - p_t) ** gamma)
    alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
    return (alpha_t * loss).mean()


def dice_loss(inputs, targets, eps=1.0):
    p = torch.sigmoid(inputs).flatten(1)
    t = targets.flatten(1)
    inter = (p * t).sum(1)
    return (1 - (2 * inter + eps) / (p.sum(1) + t.sum(1) + eps)).mean()


def tversky_loss(inputs, targets, a=0.7, b=0.3, eps=1e-6):
    p = torch.sigmoid(inputs).flatten(1)
    t = targets.flatten(1)
    tp = (p * t).sum(1)
    fp = (p * (1 - t)).sum(1)
    fn = ((1 - p) * t).sum(1)
    return (1 - (tp + eps) / (tp + a * fp + b * fn + eps)).mean()


def lovasz_grad(gt_sorted):
    gts = gt_sorted.sum()
    intersection = gts - gt_sorted.cumsum(0)
    union = gts + (1 - gt_sorted).cumsum(0)
    jaccard = 1.0 - intersection / union
    jaccard[1:] = jaccard[1:] - jaccard[:-1]
    return jaccard


def lovasz_hinge(inputs, targets):
    losses = []
    for x, y in zip(inputs.flatten(1), targets.flatten(1)):
        signs = 2.0 * y - 1.0
        errors = 1.0 - x * signs
        errors_sorted, perm = torch.sort(errors, dim=0, descending=True)
        grad = lovasz_grad(y[perm])
        losses.append(torch.dot(F.relu(errors_sorted), grad))
    return torch.stack(losses).mean()


def gaussian_window(size=5, sigma=1.5, channels=1):
    coords = torch.arange(size, dtype=torch.float32) - size // 2
    g = torch.exp(-(coords ** 2) / (2 * sigma ** 2))
    g = g / g.sum()
    window = (g[:, None] @ g[None, :]).expand(channels, 1, size, size).contiguous()
    return window


def ssim(img1, img2, window, c1=0.01 ** 2, c2=0.03 ** 2):
    ch = img1.shape[1]
    mu1 = F.conv2d(img1, window, padding=2, groups=ch)
    mu2 = F.conv2d(img2, window, padding=2, groups=ch)
    s11 = F.conv2d(img1 * img1, window, padding=2, groups=ch) - mu1 ** 2
    s22 = F.conv2d(img2 * img2, window, padding=2, groups=ch) - mu2 ** 2
    s12 = F.conv2d(img1 * img2, window, padding=2, groups=ch) - mu1 * mu2
    num = (2 * mu1 * mu2 + c1) * (2 * s12 + c2)
    den = (mu1 ** 2 + mu2 ** 2 + c1) * (s11 + s22 + c2)
    return (num / den).mean()


def psnr(img1, img2, max_val=1.0):
    mse = F.mse_loss(img1, img2)
    return 10 * torch.log10(max_val ** 2 / mse)


def tv_loss(img):
    dh = (img[:, :, 1:, :] - img[:, :, :-1, :]).abs().mean()
    dw = (img[:, :, :, 1:] - img[:, :, :, :-1]).abs().mean()
    return dh + dw


def charbonnier(x, y, eps=1e-3):
    return torch.sqrt((x - y) ** 2 + eps ** 2).mean()


for name, fn in [("focal", focal_loss), ("dice", dice_loss), ("tversky", tversky_loss), ("lovasz", lovasz_hinge)]:
    logits.grad = None
    value = fn(logits, target)
    value.backward()
    print(f"{name}: {value.item():.5f} grad norm {logits.grad.norm().item():.5f} {type(value.grad_fn).__name__}")

ties = torch.tensor([[1.0, -1.0, 1.0, 0.5, -1.0, 1.0]], requires_grad=True)
lab = torch.tensor([[1.0, 0.0, 0.0, 1.0, 1.0, 1.0]])
lv = lovasz_hinge(ties, lab)
lv.backward()
print("lovasz with ties:", round(lv.item(), 5), ties.grad)

clean = torch.rand(1, 3, 16, 16)
noisy = (clean + 0.1 * torch.randn(1, 3, 16, 16)).clamp(0, 1).requires_grad_()
window = gaussian_window(channels=3)
print("window sum per channel:", window.sum(dim=(1, 2, 3)))
s = ssim(noisy, clean, window)
p = psnr(noisy, clean)
print(f"ssim {s.item():.5f} psnr {p.item():.4f} tv {tv_loss(noisy).item():.5f} charb {charbonnier(noisy, clean).item():.5f}")

opt = torch.optim.Adam([noisy], lr=0.02)
for step in range(3):
    opt.zero_grad()
    loss = (1 - ssim(noisy, clean, window)) + 0.1 * tv_loss(noisy) + charbonnier(noisy, clean)
    loss.backward()
    opt.step()
    with torch.no_grad():
        noisy.clamp_(0, 1)
    print(f"restore {step}: loss {loss.item():.5f} psnr {psnr(noisy.detach(), clean).item():.4f}")
print("psnr of identical images:", psnr(clean, clean).item(), math.isinf(psnr(clean, clean).item()))
