"""Implicit-feedback matrix factorisation with BPR, as recommender tutorials write it: user/item
nn.Embedding tables with biases, uniform negative sampling with torch.randint (and popularity-based
with torch.multinomial), the BPR loss -logsigmoid(pos - neg), masking seen items, top-k with topk and
argsort, and HitRate@k / NDCG@k on a leave-one-out split."""
# needs: nn optim
import math
import random

import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F

torch.manual_seed(0)
random.seed(0)
n_users, n_items, dim = 6, 10, 8
# each user likes a contiguous block of items; the last liked item is held out for testing
interactions = {u: [(u + j) % n_items for j in range(4)] for u in range(n_users)}
train = torch.tensor([[u, i] for u, items in interactions.items() for i in items[:-1]])
test_items = torch.tensor([items[-1] for items in interactions.values()])
print("train pairs", train.shape, train.dtype, "test", test_items)
seen = torch.zeros(n_users, n_items, dtype=torch.bool)
seen[train[:, 0], train[:, 1]] = True
print(seen.int())
popularity = torch.bincount(train[:, 1], minlength=n_items).float()
print("popularity", popularity)


class MF(nn.Module):
    def __init__(self, n_users, n_items, dim):
        super().__init__()
        self.user = nn.Embedding(n_users, dim)
        self.item = nn.Embedding(n_items, dim)
        self.item_bias = nn.Embedding(n_items, 1)
        nn.init.normal_(self.user.weight, std=0.1)
        nn.init.normal_(self.item.weight, std=0.1)
        nn.init.zeros_(self.item_bias.weight)

    def forward(self, users, items):
        return (self.user(users) * self.item(items)).sum(-1) + self.item_bias(items).squeeze(-1)

    def full_scores(self):
        return self.user.weight @ self.item.weight.t() + self.item_bias.weight.t()


model = MF(n_users, n_items, dim)
print(model)
print(model.user.weight.shape, model.item_bias.weight.dtype, model.user.weight.requires_grad)
opt = torch.optim.Adam(model.parameters(), lr=0.05)

for epoch in range(40):
    perm = torch.randperm(train.size(0))
    users, pos = train[perm, 0], train[perm, 1]
    neg = torch.randint(0, n_items, (users.size(0),))
    # resample negatives that hit a seen item, as tutorials do with a small loop
    clash = seen[users, neg]
    while clash.any():
        neg[clash] = torch.randint(0, n_items, (int(clash.sum()),))
        clash = seen[users, neg]
    diff = model(users, pos) - model(users, neg)
    loss = -F.logsigmoid(diff).mean()
    reg = 1e-4 * (model.user(users).pow(2).sum() + model.item(pos).pow(2).sum())
    opt.zero_grad()
    (loss + reg).backward()
    opt.step()
    if epoch % 8 == 0 or epoch == 39:
        print(f"epoch {epoch:02d} bpr {loss.item():.4f} reg {reg.item():.6f}")

print(diff.grad_fn.name(), loss.grad_fn.name())
pop_negs = torch.multinomial(popularity + 1.0, 5, replacement=True)
print("popularity negatives", pop_negs, pop_negs.dtype)
print(torch.multinomial(torch.tensor([0.0, 1.0, 0.0, 3.0]), 2))

with torch.no_grad():
    scores = model.full_scores()
print("scores", scores.shape, scores.dtype)
scores = scores.masked_fill(seen, float("-inf"))
print(scores[0])
k = 3
top_vals, top_idx = torch.topk(scores, k, dim=1)
print(top_idx)
print(top_vals[:2])
order = scores.argsort(dim=1, descending=True)[:, :k]
print("argsort agrees", torch.equal(order, top_idx))
hits = (top_idx == test_items.unsqueeze(1))
print(hits.int())
hit_rate = hits.any(dim=1).float().mean()
print(f"HR@{k} {hit_rate.item():.4f}")
rank = hits.float().argmax(dim=1)
ndcg = torch.where(hits.any(1), 1.0 / torch.log2(rank.float() + 2.0), torch.zeros(n_users))
print(f"NDCG@{k} {ndcg.mean().item():.4f}", ndcg)
ranks = (scores > scores.gather(1, test_items.view(-1, 1))).sum(1) + 1
print("full ranks", ranks, "MRR", f"{(1.0 / ranks.float()).mean().item():.4f}")
print("dcg check", [round(1 / math.log2(r + 1), 4) for r in ranks.tolist()])
print(model.state_dict()["item_bias.weight"].view(-1)[:5])

for bad in [lambda: model.user(torch.tensor([n_users])),
            lambda: model.user(torch.tensor([0.0])),
            lambda: torch.topk(scores, n_items + 1),
            lambda: torch.multinomial(torch.tensor([0.0, 0.0]), 1),
            lambda: torch.multinomial(torch.tensor([1.0, 2.0]), 3),
            lambda: torch.randint(0, n_items, 5)]:
    try:
        print(bad())
    except Exception as e:
        print(type(e).__name__, e)
