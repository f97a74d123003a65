"""A tabular classifier as people write one: categorical columns through embeddings (ModuleDict),
numeric columns standardised with NaN imputed, class imbalance handled by pos_weight and a
WeightedRandomSampler, metrics computed by hand (ROC-AUC from a sort and cumsums, a confusion matrix
from bincount, quantile thresholds), early stopping on a copied state_dict, ReduceLROnPlateau."""
# needs: nn optim
import copy

import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.utils.data import DataLoader, TensorDataset, WeightedRandomSampler

torch.manual_seed(7)
N = 240
num = torch.randn(N, 4) * torch.tensor([1.0, 5.0, 0.1, 2.0]) + torch.tensor([0.0, 10.0, -1.0, 3.0])
num[torch.rand(N, 4) < 0.05] = float("nan")
cat_a = torch.randint(0, 5, (N,))
cat_b = torch.randint(0, 3, (N,))
logit = 0.8 * torch.nan_to_num(num[:, 0]) - 0.3 * (cat_a == 2).float() + 0.5 * (cat_b == 1).float() - 1.2
y = (torch.rand(N) < torch.sigmoid(logit)).float()
print("missing per column:", torch.isnan(num).sum(0).tolist())
print("positives:", int(y.sum().item()), "of", N)
vals, counts = torch.unique(cat_a, return_counts=True)
print("cat_a counts:", dict(zip(vals.tolist(), counts.tolist())))

mean = torch.nanmean(num, dim=0)
filled = torch.where(torch.isnan(num), mean.expand_as(num), num)
std = filled.std(dim=0, correction=1)
x_num = (filled - mean) / std
print("means:", mean)
print("stds:", std)
buckets = torch.bucketize(x_num[:, 1], torch.tensor([-1.0, 0.0, 1.0]))
print("bucket histogram:", torch.bincount(buckets, minlength=4).tolist())
print("one-hot of first 3 buckets:\n", F.one_hot(buckets[:3], num_classes=4))

perm = torch.randperm(N)
train_idx, val_idx = perm[:180], perm[180:]


class TabularNet(nn.Module):
    def __init__(self, cards, n_num, hidden=16):
        super().__init__()
        # (no bias before BatchNorm: its gradient is zero up to rounding, which Adam would amplify)
        self.emb = nn.ModuleDict({name: nn.Embedding(card, min(4, (card + 1) // 2)) for name, card in cards.items()})
        width = sum(e.embedding_dim for e in self.emb.values()) + n_num
        self.body = nn.Sequential(nn.Linear(width, hidden, bias=False), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Dropout(0.1),
                                  nn.Linear(hidden, 1))

    def forward(self, cats, nums):
        parts = [self.emb[name](cats[:, i]) for i, name in enumerate(self.emb)]
        return self.body(torch.cat(parts + [nums], dim=1)).squeeze(-1)


cats = torch.stack([cat_a, cat_b], dim=1)
model = TabularNet({"a": 5, "b": 3}, 4)
print(model)
print("parameters:", sum(p.numel() for p in model.parameters()))

pos = y[train_idx].sum()
pos_weight = (len(train_idx) - pos) / pos
print("pos_weight:", round(pos_weight.item(), 4))
criterion = nn.BCEWithLogitsLoss(pos_weight=pos_weight)
opt = torch.optim.AdamW(model.parameters(), lr=0.03, weight_decay=1e-3)
sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="max", factor=0.5, patience=1)

weights = torch.where(y[train_idx] > 0, 1.0 / pos, 1.0 / (len(train_idx) - pos))
sampler = WeightedRandomSampler(weights.double(), num_samples=len(train_idx), replacement=True)
loader = DataLoader(TensorDataset(cats[train_idx], x_num[train_idx], y[train_idx]), batch_size=60, sampler=sampler)


def roc_auc(scores, labels):
    order = torch.argsort(scores, descending=True)
    hits = labels[order]
    tpr = torch.cumsum(hits, 0) / hits.sum()
    fpr = torch.cumsum(1 - hits, 0) / (1 - hits).sum()
    tpr = torch.cat([torch.zeros(1), tpr])
    fpr = torch.cat([torch.zeros(1), fpr])
    return torch.trapezoid(tpr, fpr)


best_auc, best_state, bad_epochs = -1.0, None, 0
for epoch in range(6):
    model.train()
    total = 0.0
    for cb, nb, yb in loader:
        opt.zero_grad()
        loss = criterion(model(cb, nb), yb)
        loss.backward()
        opt.step()
        total += loss.item() * len(yb)
    model.eval()
    with torch.no_grad():
        scores = torch.sigmoid(model(cats[val_idx], x_num[val_idx]))
    auc = roc_auc(scores, y[val_idx]).item()
    sched.step(auc)
    print(f"epoch {epoch}: loss {total / len(train_idx):.4f} val auc {auc:.4f} lr {opt.param_groups[0]['lr']:.4f}")
    if auc > best_auc:
        best_auc, best_state, bad_epochs = auc, copy.deepcopy(model.state_dict()), 0
    else:
        bad_epochs += 1
        if bad_epochs >= 2:
            print("early stop at epoch", epoch)
            break

model.load_state_dict(best_state)
model.eval()
with torch.no_grad():
    scores = torch.sigmoid(model(cats[val_idx], x_num[val_idx]))
thresholds = torch.quantile(scores, torch.tensor([0.25, 0.5, 0.75]))
print("score quantiles:", thresholds)
pred = (scores > 0.5).long()
labels = y[val_idx].long()
confusion = torch.bincount(labels * 2 + pred, minlength=4).reshape(2, 2)
print("confusion matrix:\n", confusion)
tp, fp, fn = confusion[1, 1], confusion[0, 1], confusion[1, 0]
precision = tp / (tp + fp).clamp(min=1)
recall = tp / (tp + fn).clamp(min=1)
print(f"precision {precision.item():.4f} recall {recall.item():.4f} best auc {best_auc:.4f}")
print("state_dict keys:", list(best_state.keys()))
print(best_state["body.1.running_mean"].dtype, best_state["body.1.num_batches_tracked"])
