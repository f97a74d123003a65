"""Every loss in common use, as users call them in training scripts: reprs, values with each
reduction, class weights, ignore_index, label smoothing, probability targets, pos_weight,
log-target KL divergence, ranking/embedding losses and CTC, plus their gradients' grad_fn."""
# needs: nn
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F

torch.manual_seed(0)
logits = torch.randn(4, 3, requires_grad=True)
target = torch.tensor([0, 2, 1, 2])

ce = nn.CrossEntropyLoss()
print(ce)
loss = ce(logits, target)
print(loss, f"{loss.item():.4f}")
loss.backward()
print(logits.grad)

for kwargs in [dict(weight=torch.tensor([1.0, 2.0, 0.5])), dict(ignore_index=2), dict(label_smoothing=0.1),
               dict(reduction="none"), dict(reduction="sum", label_smoothing=0.2),
               dict(weight=torch.tensor([1.0, 2.0, 0.5]), label_smoothing=0.3, ignore_index=1)]:
    fn = nn.CrossEntropyLoss(**kwargs)
    print(fn, fn.reduction, fn.ignore_index, fn.label_smoothing)
    print(" ", fn(logits, target))

probs = torch.softmax(torch.randn(4, 3), dim=1)
print("prob targets", nn.CrossEntropyLoss()(logits, probs))
print("prob targets smoothed", nn.CrossEntropyLoss(label_smoothing=0.1)(logits, probs))
img_logits = torch.randn(2, 3, 2, 2)
img_target = torch.randint(0, 3, (2, 2, 2))
print("spatial", nn.CrossEntropyLoss()(img_logits, img_target))
print("unbatched", F.cross_entropy(torch.randn(3), torch.tensor(1)))

nll = nn.NLLLoss(weight=torch.tensor([0.2, 0.3, 0.5]))
print(nll, nll(F.log_softmax(logits, dim=1), target))

p = torch.sigmoid(torch.randn(5, requires_grad=True))
y = torch.tensor([1.0, 0.0, 1.0, 1.0, 0.0])
bce = nn.BCELoss()
print(bce, bce(p, y))
bce_w = nn.BCELoss(weight=torch.tensor([1.0, 2.0, 1.0, 2.0, 1.0]), reduction="sum")
print(bce_w(p, y))
raw = torch.randn(5, requires_grad=True)
bcel = nn.BCEWithLogitsLoss(pos_weight=torch.tensor(3.0))
print(bcel, bcel(raw, y))
multi = nn.BCEWithLogitsLoss(pos_weight=torch.tensor([1.0, 2.0, 3.0]))
print(multi(torch.randn(2, 3), torch.tensor([[0.0, 1.0, 1.0], [1.0, 0.0, 1.0]])))
out = bcel(raw, y)
out.backward()
print(out.grad_fn, raw.grad)

a = torch.randn(3, 4, requires_grad=True)
b = torch.randn(3, 4)
for fn in [nn.MSELoss(), nn.MSELoss(reduction="sum"), nn.L1Loss(), nn.SmoothL1Loss(), nn.SmoothL1Loss(beta=0.5),
           nn.HuberLoss(), nn.HuberLoss(delta=0.3, reduction="none")]:
    v = fn(a, b)
    print(fn, v.grad_fn, v if v.dim() == 0 else v[0])

kl = nn.KLDivLoss(reduction="batchmean")
print(kl)
inp = F.log_softmax(torch.randn(3, 5), dim=1)
tgt = F.softmax(torch.rand(3, 5), dim=1)
print(kl(inp, tgt))
kl_log = nn.KLDivLoss(reduction="batchmean", log_target=True)
print(kl_log, kl_log(inp, tgt.log()))
print(nn.KLDivLoss(reduction="sum")(inp, tgt), F.kl_div(inp, tgt, reduction="none")[0])

x1, x2 = torch.randn(4, 6), torch.randn(4, 6)
lbl = torch.tensor([1, -1, 1, -1])
cos = nn.CosineEmbeddingLoss(margin=0.2)
print(cos, cos(x1, x2, lbl))
mr = nn.MarginRankingLoss(margin=0.5)
print(mr, mr(torch.randn(4), torch.randn(4), lbl.float()))
trip = nn.TripletMarginLoss(margin=1.0, p=2)
anchor, pos, neg = torch.randn(5, 8, requires_grad=True), torch.randn(5, 8), torch.randn(5, 8)
tl = trip(anchor, pos, neg)
print(trip, tl, tl.grad_fn)
print(nn.TripletMarginLoss(margin=0.5, swap=True, reduction="none")(anchor, pos, neg))
print(nn.HingeEmbeddingLoss(), nn.HingeEmbeddingLoss()(torch.randn(4), lbl.float()))
print(nn.SoftMarginLoss()(torch.randn(4), lbl.float()))
print(nn.MultiLabelSoftMarginLoss()(torch.randn(2, 3), torch.tensor([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]])))
print(nn.MultiMarginLoss()(torch.randn(4, 3), target))
print(nn.PoissonNLLLoss(), nn.PoissonNLLLoss()(torch.randn(4), torch.tensor([1.0, 0.0, 2.0, 3.0])))
print(nn.GaussianNLLLoss(), nn.GaussianNLLLoss()(torch.randn(4, 2), torch.randn(4, 2), torch.ones(4, 1)))

ctc = nn.CTCLoss(blank=0)
print(ctc)
T, N, C, S = 12, 2, 5, 4
log_probs = torch.randn(T, N, C).log_softmax(2).detach().requires_grad_()
targets = torch.randint(1, C, (N, S), dtype=torch.long)
input_lengths = torch.full((N,), T, dtype=torch.long)
target_lengths = torch.tensor([4, 3])
lc = ctc(log_probs, targets, input_lengths, target_lengths)
print(lc, lc.grad_fn)
lc.backward()
print(log_probs.grad[0])
print(nn.CTCLoss(reduction="sum", zero_infinity=True)(log_probs, targets, input_lengths, target_lengths))
print(nn.CTCLoss(reduction="none")(log_probs, targets, input_lengths, target_lengths))

# common mistakes
try:
    ce(logits, torch.tensor([0.0, 1.0, 1.0, 0.0]))
except Exception as e:
    print(type(e).__name__, e)
try:
    ce(logits, torch.rand(4, 2))
except Exception as e:
    print(type(e).__name__, e)
try:
    ce(logits, torch.tensor([0, 3, 1, 2]))
except Exception as e:
    print(type(e).__name__, e)
try:
    nn.MSELoss()(torch.randn(3), torch.randn(3, 1))
except Exception as e:
    print(type(e).__name__, e)
try:
    bce(torch.tensor([1.5, 0.2]), torch.tensor([1.0, 0.0]))
except Exception as e:
    print(type(e).__name__, e)
try:
    nn.BCEWithLogitsLoss()(torch.randn(3), torch.tensor([1, 0, 1]))
except Exception as e:
    print(type(e).__name__, e)
try:
    nn.NLLLoss()(torch.randn(4, 3), torch.tensor([1, 2]))
except Exception as e:
    print(type(e).__name__, e)
try:
    nn.CrossEntropyLoss(reduction="avg")
except Exception as e:
    print(type(e).__name__, e)
