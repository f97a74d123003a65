"""Neural collaborative filtering / two-tower retrieval as recommender tutorials build it: an
interaction matrix from (user, item) pairs, user histories padded with pad_sequence and embedded with
a padding_idx Embedding (masked mean), an NCF-style MLP scorer trained with BCE on sampled negatives
from a TensorDataset/DataLoader, in-batch sampled softmax on L2-normalised towers, filtering seen items
with isin / masked_fill, candidate re-ranking with gather, and recall@k."""
# needs: nn optim
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.nn.utils.rnn import pad_sequence
from tensorgraft.utils.data import DataLoader, TensorDataset

torch.manual_seed(11)
n_users, n_items, dim = 5, 12, 6
pairs = torch.tensor([[0, 1], [0, 2], [0, 3], [1, 2], [1, 4], [2, 5], [2, 6], [2, 7], [2, 8],
                      [3, 1], [3, 9], [4, 10], [4, 11], [4, 3]])
R = torch.zeros(n_users, n_items).index_put_((pairs[:, 0], pairs[:, 1]), torch.tensor(1.0))
print(R.sum(1), R.sum(0).long())
histories = [pairs[pairs[:, 0] == u, 1] + 1 for u in range(n_users)]  # shift by one: 0 is padding
padded = pad_sequence(histories, batch_first=True, padding_value=0)
print(padded)
lengths = (padded != 0).sum(1)
print("lengths", lengths)

item_emb = nn.Embedding(n_items + 1, dim, padding_idx=0)
print(item_emb, item_emb.weight[0])
h = item_emb(padded)
mask = (padded != 0).unsqueeze(-1).float()
user_vec = (h * mask).sum(1) / lengths.unsqueeze(1)
print("user_vec", user_vec.shape, user_vec.grad_fn.name())


class NCF(nn.Module):
    def __init__(self):
        super().__init__()
        self.user = nn.Embedding(n_users, dim)
        self.item = nn.Embedding(n_items, dim)
        self.mlp = nn.Sequential(nn.Linear(2 * dim, 16), nn.ReLU(), nn.Linear(16, 1))

    def forward(self, u, i):
        gmf = (self.user(u) * self.item(i)).sum(-1, keepdim=True)
        return (self.mlp(torch.cat([self.user(u), self.item(i)], dim=-1)) + gmf).squeeze(-1)


negs = torch.randint(0, n_items, (pairs.size(0) * 2,))
neg_users = pairs[:, 0].repeat(2)
is_pos = R[neg_users, negs] > 0
print("sampled negatives that are positives", is_pos.sum().item())
users = torch.cat([pairs[:, 0], neg_users[~is_pos]])
items = torch.cat([pairs[:, 1], negs[~is_pos]])
targets = torch.cat([torch.ones(pairs.size(0)), torch.zeros(int((~is_pos).sum()))])
ds = TensorDataset(users, items, targets)
print(len(ds), ds[0])
loader = DataLoader(ds, batch_size=8, shuffle=True, generator=torch.Generator().manual_seed(0))
model = NCF()
opt = torch.optim.Adam(model.parameters(), lr=0.03)
for epoch in range(15):
    total = 0.0
    for u, i, t in loader:
        opt.zero_grad()
        loss = F.binary_cross_entropy_with_logits(model(u, i), t)
        loss.backward()
        opt.step()
        total += loss.item() * u.size(0)
    if epoch % 5 == 0 or epoch == 14:
        print(f"epoch {epoch:02d} loss {total / len(ds):.4f}")

with torch.no_grad():
    all_u = torch.arange(n_users).repeat_interleave(n_items)
    all_i = torch.arange(n_items).repeat(n_users)
    scores = model(all_u, all_i).view(n_users, n_items)
print(scores.shape, scores[0, :4])
train_seen = torch.isin(torch.arange(n_items), histories[0] - 1)
print("seen by user 0", train_seen)
masked = scores.masked_fill(R.bool(), -1e4)
top = masked.topk(3, dim=1).indices
print(top)
candidates = torch.tensor([[0, 5, 9], [1, 3, 8], [0, 6, 11], [2, 4, 7], [1, 5, 9]])
cand_scores = scores.gather(1, candidates)
print(candidates.gather(1, cand_scores.argsort(dim=1, descending=True)))
held_out = torch.tensor([4, 3, 9, 2, 0])
recall = (top == held_out.unsqueeze(1)).any(1).float().mean()
print(f"recall@3 {recall.item():.4f}")

# two-tower with in-batch negatives: logits = U I^T / tau, labels on the diagonal
u_tower, i_tower = nn.Embedding(n_users, dim), nn.Embedding(n_items, dim)
opt = torch.optim.SGD(list(u_tower.parameters()) + list(i_tower.parameters()), lr=0.5)
batch_u, batch_i = pairs[:5, 0], pairs[[0, 3, 5, 9, 11], 1]
batch_u = torch.tensor([0, 1, 2, 3, 4])
for step in range(10):
    uu = F.normalize(u_tower(batch_u), dim=-1)
    ii = F.normalize(i_tower(batch_i), dim=-1)
    logits = uu @ ii.t() / 0.1
    loss = F.cross_entropy(logits, torch.arange(5))
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 3 == 0:
        print(f"in-batch step {step} loss {loss.item():.4f}")
print(logits.argmax(1), u_tower.weight.grad.shape)

for bad in [lambda: item_emb(torch.tensor([n_items + 1])),
            lambda: pad_sequence([torch.tensor([1, 2]), torch.tensor([[3]])]),
            lambda: scores.gather(1, candidates[:, :2].float()),
            lambda: torch.isin(torch.arange(3), [1, 2]),
            lambda: masked.topk(20, dim=1)]:
    try:
        print(bad())
    except Exception as e:
        print(type(e).__name__, e)
