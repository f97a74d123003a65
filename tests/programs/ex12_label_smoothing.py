"""Classification-loss details from the "label smoothing" and "knowledge distillation" blog
posts: CrossEntropyLoss with label_smoothing, ignore_index, class weights, probability targets
and K-dimensional (per-pixel) inputs, a hand-written smoothed loss checked against it, KLDivLoss
with batchmean and log_target, BCEWithLogitsLoss pos_weight for imbalance, a short training run,
and the mistakes users make with target shapes and dtypes."""
# needs: nn optim
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F

torch.manual_seed(0)
logits = torch.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0], [1.0, 1.0, 1.0]])
target = torch.tensor([0, 2, 1])

for eps in [0.0, 0.1, 0.3]:
    crit = nn.CrossEntropyLoss(label_smoothing=eps)
    print(crit, f"{crit(logits, target).item():.4f}")
print("none", F.cross_entropy(logits, target, label_smoothing=0.2, reduction="none"))


def smoothed_ce(logits, target, eps):
    n = logits.size(-1)
    logp = logits.log_softmax(-1)
    soft = torch.full_like(logp, eps / n).scatter_(1, target[:, None], 1 - eps + eps / n)
    return -(soft * logp).sum(-1).mean()


print("manual matches:", torch.allclose(smoothed_ce(logits, target, 0.1), F.cross_entropy(logits, target, label_smoothing=0.1)))

t_ign = torch.tensor([0, -100, 1])
print("ignore_index", f"{F.cross_entropy(logits, t_ign, label_smoothing=0.1).item():.4f}",
      f"{F.cross_entropy(logits, t_ign, label_smoothing=0.1, reduction='sum').item():.4f}")
w = torch.tensor([1.0, 2.0, 0.5])
print("weighted", f"{F.cross_entropy(logits, target, weight=w, label_smoothing=0.3).item():.4f}",
      F.cross_entropy(logits, target, weight=w, label_smoothing=0.3, reduction="none"))
probs = torch.tensor([[0.7, 0.2, 0.1], [0.0, 0.0, 1.0], [0.3, 0.3, 0.4]])
print("soft targets", f"{F.cross_entropy(logits, probs).item():.4f}",
      f"{F.cross_entropy(logits, probs, label_smoothing=0.1).item():.4f}",
      f"{F.cross_entropy(logits, probs, weight=w).item():.4f}")

# segmentation-style input (N, C, H, W) with per-pixel targets
seg = torch.randn(2, 3, 2, 2, requires_grad=True)
seg_t = torch.tensor([[[0, 1], [2, 0]], [[1, 1], [-100, 2]]])
loss = F.cross_entropy(seg, seg_t, label_smoothing=0.05)
loss.backward()
print("segmentation", f"{loss.item():.4f}", seg.grad[1, :, 1, 0], seg.grad.shape)

# distillation: KL between softened teacher and student distributions
T = 2.0
student = torch.tensor([[1.0, 2.0, 0.5], [0.3, 0.1, 0.2]])
teacher = torch.tensor([[0.5, 2.5, 0.0], [1.0, 0.0, 0.0]])
kd = nn.KLDivLoss(reduction="batchmean")(F.log_softmax(student / T, -1), F.softmax(teacher / T, -1)) * T * T
kd_log = F.kl_div(F.log_softmax(student / T, -1), F.log_softmax(teacher / T, -1), reduction="batchmean",
                  log_target=True) * T * T
print(nn.KLDivLoss(reduction="batchmean", log_target=True), f"{kd.item():.4f}", f"{kd_log.item():.4f}")
print("kl none", F.kl_div(F.log_softmax(student, -1), F.softmax(teacher, -1), reduction="none"))

# imbalance: pos_weight = negatives / positives
y = torch.tensor([[1.0, 0.0], [0.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
pos_weight = (y.shape[0] - y.sum(0)) / y.sum(0)
bce = nn.BCEWithLogitsLoss(pos_weight=pos_weight)
print(bce, pos_weight, f"{bce(torch.zeros(4, 2), y).item():.4f}")

model = nn.Linear(4, 3)
opt = torch.optim.SGD(model.parameters(), lr=0.5)
X = torch.randn(12, 4)
Y = torch.randint(0, 3, (12,))
crit = nn.CrossEntropyLoss(label_smoothing=0.1)
for step in range(5):
    opt.zero_grad()
    out = model(X)
    loss = crit(out, Y)
    loss.backward()
    opt.step()
    acc = (out.argmax(1) == Y).float().mean()
    print(f"step {step} loss {loss.item():.4f} acc {acc.item():.3f} max prob {out.softmax(1).max().item():.4f}")

for bad in [lambda: F.cross_entropy(logits, target, label_smoothing=1.5),
            lambda: F.cross_entropy(logits, torch.tensor([0, 3, 1])),
            lambda: F.cross_entropy(logits, target.float()),
            lambda: F.cross_entropy(logits, target[None]),
            lambda: F.cross_entropy(logits, target[:2]),
            lambda: F.nll_loss(logits, target.float()),
            lambda: F.binary_cross_entropy(torch.tensor([1.5]), torch.tensor([1.0])),
            lambda: F.binary_cross_entropy_with_logits(torch.tensor([1.5, 2.0]), torch.tensor([1.0]))]:
    try:
        bad()
    except Exception as e:
        print(type(e).__name__, e)
