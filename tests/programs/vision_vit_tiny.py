"""A tiny Vision Transformer written the way the timm-inspired tutorials write it: patches by a
strided Conv2d, a class token and position embeddings as nn.Parameter (trunc_normal_), pre-norm blocks
over nn.MultiheadAttention (its averaged attention weights printed), stochastic depth drawn with
bernoulli_, mixup with a Beta sample, label smoothing, warmup + cosine through SequentialLR, the
position embedding resized by bicubic interpolate for a larger input."""
# needs: nn optim
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.distributions import Beta

torch.manual_seed(11)
IMG, PATCH, DIM, CLASSES = 16, 4, 24, 5


class DropPath(nn.Module):
    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        keep = 1 - self.p
        mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep)
        return x * mask / keep

    def extra_repr(self):
        return f"p={self.p}"


class Block(nn.Module):
    def __init__(self, dim, heads, drop_path):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(approximate="tanh"), nn.Linear(2 * dim, dim))
        self.drop_path = DropPath(drop_path)

    def forward(self, x, keep_attn=False):
        h = self.norm1(x)
        a, w = self.attn(h, h, h, need_weights=keep_attn, average_attn_weights=True)
        x = x + self.drop_path(a)
        x = x + self.drop_path(self.mlp(self.norm2(x)))
        return x, w


class ViT(nn.Module):
    def __init__(self, depth=2):
        super().__init__()
        self.patch = nn.Conv2d(3, DIM, kernel_size=PATCH, stride=PATCH)
        n = (IMG // PATCH) ** 2
        self.cls_token = nn.Parameter(torch.zeros(1, 1, DIM))
        self.pos_embed = nn.Parameter(torch.zeros(1, n + 1, DIM))
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        nn.init.trunc_normal_(self.cls_token, std=0.02)
        rates = [x.item() for x in torch.linspace(0, 0.2, depth)]
        self.blocks = nn.ModuleList([Block(DIM, 3, r) for r in rates])
        self.norm = nn.LayerNorm(DIM, eps=1e-6)
        self.head = nn.Linear(DIM, CLASSES)

    def resized_pos_embed(self, grid):
        cls_pos, patch_pos = self.pos_embed[:, :1], self.pos_embed[:, 1:]
        old = int(patch_pos.shape[1] ** 0.5)
        patch_pos = patch_pos.reshape(1, old, old, DIM).permute(0, 3, 1, 2)
        patch_pos = F.interpolate(patch_pos, size=(grid, grid), mode="bicubic", align_corners=False)
        return torch.cat([cls_pos, patch_pos.permute(0, 2, 3, 1).flatten(1, 2)], dim=1)

    def forward(self, x, keep_attn=False):
        x = self.patch(x)
        grid = x.shape[-1]
        x = x.flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1)
        pos = self.pos_embed if grid == IMG // PATCH else self.resized_pos_embed(grid)
        x = x + pos
        attn = None
        for blk in self.blocks:
            x, attn = blk(x, keep_attn)
        return self.head(self.norm(x)[:, 0]), attn


model = ViT()
print(model.blocks[1].drop_path, model.patch)
print("parameters:", sum(p.numel() for p in model.parameters() if p.requires_grad))
print("pos_embed std:", round(model.pos_embed.std().item(), 4))

images = torch.randn(8, 3, IMG, IMG)
labels = torch.randint(0, CLASSES, (8,))
opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.05)
warm = torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.2, total_iters=2)
cos = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=4, eta_min=1e-4)
sched = torch.optim.lr_scheduler.SequentialLR(opt, [warm, cos], milestones=[2])
criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
beta = Beta(torch.tensor(0.4), torch.tensor(0.4))

for step in range(6):
    model.train()
    lam = beta.sample().item()
    perm = torch.randperm(images.shape[0])
    mixed = lam * images + (1 - lam) * images[perm]
    logits, _ = model(mixed)
    loss = lam * criterion(logits, labels) + (1 - lam) * criterion(logits, labels[perm])
    opt.zero_grad()
    loss.backward()
    opt.step()
    sched.step()
    print(f"step {step}: lam {lam:.4f} loss {loss.item():.4f} lr {opt.param_groups[0]['lr']:.6f}")

model.eval()
with torch.no_grad():
    logits, attn = model(images[:2], keep_attn=True)
    print("attention:", tuple(attn.shape), "rows sum to 1:", torch.allclose(attn.sum(-1), torch.ones(2, 17)))
    print("cls attends most to patch:", attn[:, 0, 1:].argmax(-1).tolist())
    print("predictions:", logits.argmax(-1).tolist(), "probs:", logits.softmax(-1).max(-1).values.round(decimals=4))
    big, _ = model(torch.randn(1, 3, 24, 24))
    print("24x24 input logits:", big.shape, model.resized_pos_embed(6).shape)
print(type(loss.grad_fn).__name__, model.cls_token.grad.abs().sum() > 0)
