"""Semantic segmentation as in U-Net / FCN tutorials, on synthetic 16x16 masks: an encoder-decoder with
skip connections (torch.cat on channels, ConvTranspose2d and bilinear-upsample decoders, center
cropping), per-pixel F.cross_entropy on (N, C, H, W) logits with ignore_index, class weights and
label smoothing, Dice loss from softmax + one_hot(...).permute, pixel accuracy and mean IoU via
bincount, and the shape/dtype mistakes of segmentation targets."""
# needs: nn optim
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
import tensorgraft.optim as optim

torch.manual_seed(3)
num_classes = 3
N, H, W = 6, 16, 16
# masks: background 0, a square of class 1, a disc of class 2, a border of 'unknown' (255)
yy, xx = torch.meshgrid(torch.arange(H), torch.arange(W), indexing="ij")
masks = torch.zeros(N, H, W, dtype=torch.long)
for i in range(N):
    r0, c0 = int(torch.randint(2, 7, (1,))), int(torch.randint(2, 7, (1,)))
    masks[i, r0:r0 + 5, c0:c0 + 5] = 1
    cy, cx = int(torch.randint(9, 13, (1,))), int(torch.randint(9, 13, (1,)))
    masks[i][((yy - cy) ** 2 + (xx - cx) ** 2) <= 6] = 2
masks[:, 0, :] = 255
images = F.one_hot(masks.clamp(max=2), num_classes).permute(0, 3, 1, 2).float()
images = images * torch.tensor([0.2, 0.6, 1.0]).view(1, 3, 1, 1) + 0.3 * torch.randn(N, 3, H, W)
print(images.shape, masks.shape, masks.dtype, torch.unique(masks), torch.bincount(masks.flatten().clamp(max=3)))


def double_conv(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class UNet(nn.Module):
    def __init__(self, n_channels, n_classes, bilinear=False):
        super().__init__()
        self.inc = double_conv(n_channels, 8)
        self.down1 = nn.Sequential(nn.MaxPool2d(2), double_conv(8, 16))
        self.down2 = nn.Sequential(nn.MaxPool2d(2), double_conv(16, 32))
        if bilinear:
            self.up1 = nn.Upsample(scale_factor=2, mode='bilinear', align_corners=True)
            self.up2 = nn.Upsample(scale_factor=2, mode='bilinear', align_corners=True)
            self.conv1 = double_conv(32 + 16, 16)
            self.conv2 = double_conv(16 + 8, 8)
        else:
            self.up1 = nn.ConvTranspose2d(32, 16, kernel_size=2, stride=2)
            self.up2 = nn.ConvTranspose2d(16, 8, kernel_size=2, stride=2)
            self.conv1 = double_conv(32, 16)
            self.conv2 = double_conv(16, 8)
        self.outc = nn.Conv2d(8, n_classes, kernel_size=1)

    @staticmethod
    def _cat(x1, x2):
        diffY = x2.size()[2] - x1.size()[2]
        diffX = x2.size()[3] - x1.size()[3]
        x1 = F.pad(x1, [diffX // 2, diffX - diffX // 2, diffY // 2, diffY - diffY // 2])
        return torch.cat([x2, x1], dim=1)

    def forward(self, x):
        x1 = self.inc(x)
        x2 = self.down1(x1)
        x3 = self.down2(x2)
        x = self.conv1(self._cat(self.up1(x3), x2))
        x = self.conv2(self._cat(self.up2(x), x1))
        return self.outc(x)


for bilinear in [False, True]:
    torch.manual_seed(0)
    model = UNet(3, num_classes, bilinear=bilinear)
    print(f"bilinear={bilinear}", sum(p.numel() for p in model.parameters() if p.requires_grad),
          model.up1, model.conv1[0])
    weights = torch.tensor([0.5, 1.0, 2.0])
    criterion = nn.CrossEntropyLoss(weight=weights, ignore_index=255)
    optimizer = optim.AdamW(model.parameters(), lr=1e-2)
    for epoch in range(3):
        model.train()
        optimizer.zero_grad()
        logits = model(images)
        loss = criterion(logits, masks)
        loss.backward()
        optimizer.step()
        print(f"  epoch {epoch} loss {loss.item():.4f}")
    print(" ", logits.shape, logits.grad_fn, loss.grad_fn)
    model.eval()
    with torch.no_grad():
        logits = model(images)
        pred = logits.argmax(dim=1)
        valid = masks != 255
        acc = (pred[valid] == masks[valid]).float().mean()
        conf = torch.bincount(masks[valid] * num_classes + pred[valid], minlength=num_classes ** 2)
        conf = conf.view(num_classes, num_classes)
        iou = conf.diag().float() / (conf.sum(0) + conf.sum(1) - conf.diag()).float().clamp(min=1)
    print(f"  pixel acc {acc.item():.4f} mIoU {iou.mean().item():.4f}")
    print(" ", conf)

# losses on segmentation logits
torch.manual_seed(1)
logits = torch.randn(2, 3, 4, 4, requires_grad=True)
target = torch.randint(0, 3, (2, 4, 4))
target[0, 0, 0] = 255
print(F.cross_entropy(logits, target, ignore_index=255))
print(F.cross_entropy(logits, target, ignore_index=255, reduction='none')[0, 0])
print(F.cross_entropy(logits, target.clamp(max=2), label_smoothing=0.1))
print(F.nll_loss(F.log_softmax(logits, 1), target.clamp(max=2), weight=torch.tensor([1., 2., 3.])))
soft = torch.softmax(torch.randn(2, 3, 4, 4), dim=1)
print(F.cross_entropy(logits, soft))


def dice_loss(logits, target, eps=1.0):
    probs = logits.softmax(dim=1)
    onehot = F.one_hot(target, num_classes=logits.shape[1]).permute(0, 3, 1, 2).float()
    inter = (probs * onehot).sum(dim=(0, 2, 3))
    union = probs.sum(dim=(0, 2, 3)) + onehot.sum(dim=(0, 2, 3))
    return 1 - ((2 * inter + eps) / (union + eps)).mean()


d = dice_loss(logits, target.clamp(max=2))
d.backward()
print(d, logits.grad.abs().sum())

for call in [
    lambda: F.cross_entropy(logits, target.unsqueeze(1)),
    lambda: F.cross_entropy(logits, target.float()),
    lambda: F.cross_entropy(logits, target),
    lambda: F.cross_entropy(logits, target[:, :3], ignore_index=255),
    lambda: F.cross_entropy(logits.permute(0, 2, 3, 1), target, ignore_index=255),
    lambda: F.one_hot(target, 3),
    lambda: F.cross_entropy(logits, target, weight=torch.ones(4), ignore_index=255),
]:
    try:
        r = call()
        print("no error", r.shape)
    except Exception as e:
        print(type(e).__name__, e)
