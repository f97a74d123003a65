"""SimCLR-style contrastive learning as tutorials write it: two augmented views, a projection head,
the NT-Xent loss built from F.normalize, a cosine similarity matrix, masked_fill of the diagonal and
cross_entropy over logits/temperature; plus the F.cosine_similarity / InfoNCE variants and common
mistakes (wrong dim, shape mismatch)."""
# needs: nn optim
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F

torch.manual_seed(0)


class Encoder(nn.Module):
    def __init__(self, in_dim=8, hidden=16, proj=4):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(in_dim, hidden), nn.BatchNorm1d(hidden), nn.ReLU())
        self.projector = nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, proj))

    def forward(self, x):
        return self.projector(self.backbone(x))


def nt_xent(z1, z2, temperature=0.5):
    n = z1.shape[0]
    z = F.normalize(torch.cat([z1, z2], dim=0), dim=1)
    sim = z @ z.T
    mask = torch.eye(2 * n, dtype=torch.bool)
    sim = sim.masked_fill(mask, float("-inf"))
    targets = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(sim / temperature, targets), sim


def augment(x):
    return x + 0.1 * torch.randn_like(x)


model = Encoder()
print(model)
x = torch.randn(6, 8)
z1, z2 = model(augment(x)), model(augment(x))
loss, sim = nt_xent(z1, z2)
print(sim.shape, sim.dtype)
print(sim[:3, :5])
print(f"loss {loss.item():.4f}", loss.grad_fn)
print(loss.grad_fn.next_functions[0][0], loss.grad_fn.next_functions[0][0].next_functions[0][0])
zn = F.normalize(z1, dim=1)
# (rounded: whether every norm is exactly 1., which changes how the tensor prints, depends on the
# BLAS's last bits in the Linear layers, in PyTorch as in tensorgraft)
print(zn.norm(dim=1).round(decimals=4), zn.norm(dim=1).grad_fn.name())
print(F.normalize(torch.tensor([[3.0, 4.0], [0.0, 0.0]]), p=2, dim=1))
print(F.normalize(torch.tensor([[3.0, 4.0], [1.0, -1.0]]), p=1, dim=0))

# pairwise cosine similarity via broadcasting, the other common way
cos = F.cosine_similarity(z1.unsqueeze(1), z2.unsqueeze(0), dim=-1)
print(cos.shape, torch.allclose(cos, F.normalize(z1, dim=1) @ F.normalize(z2, dim=1).T, atol=1e-6))
print(cos.diag())
print(F.cosine_similarity(torch.tensor([1.0, 0.0]), torch.tensor([0.0, 0.0]), dim=0))
cs = nn.CosineSimilarity(dim=1, eps=1e-6)
print(cs, cs(z1, z2).shape)

# InfoNCE with a learnable temperature (CLIP style logit_scale)
logit_scale = nn.Parameter(torch.ones([]) * 2.6592)
logits = logit_scale.exp() * F.normalize(z1, dim=-1) @ F.normalize(z2, dim=-1).t()
labels = torch.arange(logits.shape[0])
clip_loss = (F.cross_entropy(logits, labels) + F.cross_entropy(logits.t(), labels)) / 2
print(f"clip {clip_loss.item():.4f}", clip_loss.grad_fn)
clip_loss.backward()
print(f"logit_scale.grad {logit_scale.grad.item():.4f}")

opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
for step in range(6):
    v1, v2 = augment(x), augment(x)
    loss, _ = nt_xent(model(v1), model(v2), temperature=0.2)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, f"{loss.item():.4f}")

model.eval()
with torch.no_grad():
    emb = F.normalize(model.backbone(x), dim=1)
    top = (emb @ emb.T).fill_diagonal_(-1).topk(2, dim=1)
print(top.indices)
print(top.values.shape)

# label-smoothed cross entropy on the same logits
print(f"{F.cross_entropy(logits.detach(), labels, label_smoothing=0.1).item():.4f}")
print(F.cross_entropy(logits.detach(), labels, reduction="none"))

for bad in [lambda: F.normalize(z1, dim=2),
            lambda: F.cosine_similarity(z1, z2[:3]),
            lambda: F.cross_entropy(sim, torch.arange(6)),
            lambda: F.cross_entropy(logits, labels.float()),
            lambda: torch.eye(4, dtype=torch.bool).masked_fill(torch.eye(4), 1.0)]:
    try:
        print(bad())
    except Exception as e:
        print(type(e).__name__, e)
