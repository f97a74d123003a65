"""Training small models with each common loss, the way tutorials do: a multi-label classifier
with BCEWithLogitsLoss(pos_weight), a robust regressor with HuberLoss vs MSELoss, a knowledge-
distillation step with KLDivLoss(log_target=True) and temperature, a siamese embedding with
CosineEmbeddingLoss and TripletMarginLoss, and a tiny CTC sequence model; printing losses,
gradients and predictions."""
# needs: nn optim
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
import tensorgraft.optim as optim

torch.manual_seed(0)

# multi-label classification
X = torch.randn(16, 5)
Y = (torch.rand(16, 3) > 0.7).float()
print(Y.sum(0))
pos_weight = (Y.shape[0] - Y.sum(0)) / Y.sum(0).clamp(min=1)
print(pos_weight)
clf = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 3))
crit = nn.BCEWithLogitsLoss(pos_weight=pos_weight)
opt = optim.Adam(clf.parameters(), lr=0.05)
for epoch in range(20):
    opt.zero_grad()
    loss = crit(clf(X), Y)
    loss.backward()
    opt.step()
    if epoch % 5 == 0:
        print(f"multilabel epoch {epoch}: {loss.item():.4f}")
with torch.no_grad():
    probs = torch.sigmoid(clf(X[:4]))
print(probs, (probs > 0.5).int())

# robust regression: Huber vs MSE with an outlier
x = torch.linspace(-1, 1, 20).unsqueeze(1)
y = 3 * x + 0.5 + 0.1 * torch.randn(20, 1)
y[3] = 10.0
for name, fn in [("mse", nn.MSELoss()), ("huber", nn.HuberLoss(delta=1.0)), ("smoothl1", nn.SmoothL1Loss(beta=0.5)),
                 ("l1", nn.L1Loss())]:
    torch.manual_seed(1)
    reg = nn.Linear(1, 1)
    o = optim.SGD(reg.parameters(), lr=0.1)
    for _ in range(100):
        o.zero_grad()
        lv = fn(reg(x), y)
        lv.backward()
        o.step()
    print(f"{name}: loss={lv.item():.4f} w={reg.weight.item():.4f} b={reg.bias.item():.4f} {lv.grad_fn.name()}")

# knowledge distillation
teacher = nn.Linear(5, 4)
student = nn.Linear(5, 4)
T = 2.0
with torch.no_grad():
    t_logits = teacher(X)
s_logits = student(X)
kd = nn.KLDivLoss(reduction="batchmean", log_target=True)
soft = kd(F.log_softmax(s_logits / T, dim=1), F.log_softmax(t_logits / T, dim=1)) * T * T
hard = F.cross_entropy(s_logits, torch.randint(0, 4, (16,)), label_smoothing=0.1)
total = 0.7 * soft + 0.3 * hard
print(f"kd soft={soft.item():.4f} hard={hard.item():.4f} total={total.item():.4f}", total.grad_fn)
total.backward()
print(student.bias.grad)
kd_plain = nn.KLDivLoss(reduction="sum")(F.log_softmax(s_logits, 1), F.softmax(t_logits, 1))
print(f"{kd_plain.item():.4f}")

# siamese / metric learning
emb = nn.Sequential(nn.Linear(5, 6), nn.Tanh(), nn.Linear(6, 3))
a, p, n = X[:6], X[:6] + 0.05 * torch.randn(6, 5), X[6:12]
cos_loss = nn.CosineEmbeddingLoss(margin=0.1)
trip = nn.TripletMarginLoss(margin=0.5)
trip_cos = nn.TripletMarginWithDistanceLoss(distance_function=lambda u, v: 1 - F.cosine_similarity(u, v), margin=0.3)
print(trip_cos)
o = optim.SGD(emb.parameters(), lr=0.1, momentum=0.9)
for step in range(5):
    o.zero_grad()
    ea, ep, en = emb(a), emb(p), emb(n)
    l1 = cos_loss(torch.cat([ea, ea]), torch.cat([ep, en]), torch.cat([torch.ones(6), -torch.ones(6)]))
    l2 = trip(ea, ep, en)
    l3 = trip_cos(ea, ep, en)
    (l1 + l2 + l3).backward()
    o.step()
    print(f"siamese {step}: cos={l1.item():.4f} triplet={l2.item():.4f} tripcos={l3.item():.4f}")
print(F.pairwise_distance(ea[:2], ep[:2]), F.cosine_similarity(ea[:2], en[:2]))
print(nn.PairwiseDistance(p=1.0, keepdim=True)(ea[:2], ep[:2]), nn.CosineSimilarity(dim=1, eps=1e-6))

# a tiny CTC model
torch.manual_seed(2)
Tn, N, C = 10, 2, 5
rnn_in = torch.randn(Tn, N, 4)
proj = nn.Linear(4, C)
ctc = nn.CTCLoss(blank=0, zero_infinity=True)
o = optim.Adam(proj.parameters(), lr=0.1)
targets = torch.tensor([[1, 2, 2], [3, 4, 0]])
target_lengths = torch.tensor([3, 2])
input_lengths = torch.tensor([10, 8])
for step in range(10):
    o.zero_grad()
    log_probs = proj(rnn_in).log_softmax(2)
    lc = ctc(log_probs, targets, input_lengths, target_lengths)
    lc.backward()
    o.step()
    if step % 3 == 0:
        print(f"ctc {step}: {lc.item():.4f}")
best = log_probs.argmax(2).T
print(best)
flat = torch.tensor([1, 2, 2, 3, 4])
print(f"{F.ctc_loss(log_probs, flat, input_lengths, target_lengths, reduction='sum').item():.4f}")
