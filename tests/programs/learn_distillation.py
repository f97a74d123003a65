"""Knowledge distillation as the PyTorch 'Knowledge Distillation' tutorial and blog posts write it:
a teacher and a smaller student, the soft-target loss nn.KLDivLoss(reduction='batchmean') between
log_softmax(student / T) and softmax(teacher / T) scaled by T**2, mixed with a label-smoothed
nn.CrossEntropyLoss; AdamW with the usual no-weight-decay parameter groups for biases and norms;
plus the KL reductions, log_target, and the warnings/errors people hit."""
# needs: nn optim
import warnings

import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F

torch.manual_seed(0)


def mlp(hidden):
    return nn.Sequential(nn.Linear(10, hidden), nn.LayerNorm(hidden), nn.GELU(), nn.Dropout(0.1),
                         nn.Linear(hidden, 4))


teacher, student = mlp(32), mlp(8)
print(student)
print(sum(p.numel() for p in teacher.parameters()), sum(p.numel() for p in student.parameters()))

x = torch.randn(16, 10)
y = torch.randint(0, 4, (16,))
T = 2.0
kl = nn.KLDivLoss(reduction="batchmean")
ce = nn.CrossEntropyLoss(label_smoothing=0.1)
print(kl, ce)
print(ce.label_smoothing, ce.ignore_index, ce.reduction)

teacher.eval()
with torch.no_grad():
    t_logits = teacher(x)
s_logits = student(x)
soft = kl(F.log_softmax(s_logits / T, dim=-1), F.softmax(t_logits / T, dim=-1)) * T * T
hard = ce(s_logits, y)
print(f"soft {soft.item():.4f} hard {hard.item():.4f}", soft.grad_fn, hard.grad_fn)
for red in ["sum", "mean", "none"]:
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        out = F.kl_div(F.log_softmax(s_logits, -1), F.softmax(t_logits, -1), reduction=red)
    print(red, tuple(out.shape), f"{out.sum().item():.4f}", [str(m.message)[:60] for m in w])
lt = F.kl_div(F.log_softmax(s_logits, -1), F.log_softmax(t_logits, -1), reduction="batchmean", log_target=True)
print(f"log_target {lt.item():.4f}")
print(f"{F.kl_div(torch.tensor([-1.0, -2.0]), torch.tensor([0.0, 0.5]), reduction='sum').item():.4f}")

decay, no_decay = [], []
for name, p in student.named_parameters():
    (no_decay if p.ndim == 1 or name.endswith(".bias") else decay).append(p)
groups = [{"params": decay, "weight_decay": 0.05}, {"params": no_decay, "weight_decay": 0.0}]
opt = torch.optim.AdamW(groups, lr=1e-2)
print([len(g["params"]) for g in opt.param_groups], [g["weight_decay"] for g in opt.param_groups])
print(sorted(opt.param_groups[0].keys()))
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=8)

alpha = 0.7
student.train()
for epoch in range(8):
    s_logits = student(x)
    loss_soft = F.kl_div(F.log_softmax(s_logits / T, dim=1), F.softmax(t_logits / T, dim=1),
                         reduction="batchmean") * (T ** 2)
    loss = alpha * loss_soft + (1 - alpha) * ce(s_logits, y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    sched.step()
    print(epoch, f"{loss.item():.4f}", f"{loss_soft.item():.4f}", f"{sched.get_last_lr()[0]:.6f}")

student.eval()
with torch.no_grad():
    s_pred, t_pred = student(x).argmax(1), teacher(x).argmax(1)
print("agreement", (s_pred == t_pred).float().mean().item())
print(s_pred)
print(F.softmax(student(x[:2]) / T, dim=-1))

# a gradient penalty through the distillation loss: the teacher-side gradient depends on the student
s_in = student(x).detach().requires_grad_()
t_in = t_logits.clone().requires_grad_()
kd = F.kl_div(F.log_softmax(s_in / T, -1), F.softmax(t_in / T, -1), reduction="batchmean")
g_t, = torch.autograd.grad(kd, t_in, create_graph=True)
penalty = g_t.pow(2).sum()
penalty.backward()
print(f"{penalty.item():.6f}", f"{s_in.grad.abs().sum().item():.6f}", s_in.grad[0])

# label smoothing by hand equals the built-in
logits = torch.randn(5, 4)
tgt = torch.tensor([0, 3, 1, 1, 2])
eps = 0.2
smooth = torch.full((5, 4), eps / 4).scatter_(1, tgt.unsqueeze(1), 1 - eps + eps / 4)
manual = -(smooth * F.log_softmax(logits, -1)).sum(-1).mean()
print(f"{manual.item():.4f} {F.cross_entropy(logits, tgt, label_smoothing=eps).item():.4f}")
print(f"{F.cross_entropy(logits, smooth).item():.4f}")
print(F.cross_entropy(logits, tgt, label_smoothing=eps, reduction="none"))
w = torch.tensor([1.0, 2.0, 0.5, 1.0])
print(f"{F.cross_entropy(logits, tgt, weight=w, label_smoothing=eps).item():.4f}")
print(f"{F.cross_entropy(logits, torch.tensor([0, -100, 1, 1, 2]), label_smoothing=eps).item():.4f}")
print(f"{F.cross_entropy(logits, tgt, label_smoothing=-0.1).item():.4f}")  # negative: no smoothing

for bad in [lambda: F.cross_entropy(logits, tgt, label_smoothing=1.5),
            lambda: F.kl_div(logits, F.softmax(logits, -1), reduction="batchsum"),
            lambda: nn.KLDivLoss(reduction="batchmean")(logits, logits[:2]),
            lambda: torch.optim.AdamW([{"params": decay}, {"params": decay[:1]}]),
            lambda: torch.optim.AdamW(student.parameters(), lr=-1.0),
            lambda: torch.optim.AdamW(student.parameters(), weight_decay=-0.1)]:
    try:
        print(bad())
    except Exception as e:
        print(type(e).__name__, e)
