"""A graph attention network (GAT) written without a graph library, the way PyG-free tutorials do it:
edges as a (2, E) index tensor with self-loops added, per-head attention logits from index_select on
the edge ends, a softmax over each node's incoming edges made stable by subtracting scatter_reduce
"amax" and normalised with scatter_add_, dropout on the attention coefficients (active in train,
off in eval), multi-head concat then a mean-of-heads output layer, node classification on a train
mask for four Adam steps, accuracy on the held-out nodes."""
# needs: nn optim
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F

torch.manual_seed(5)
N, FEATS, CLASSES = 10, 6, 3
src = torch.tensor([0, 1, 1, 2, 3, 4, 4, 5, 6, 7, 8, 8, 9, 2, 6])
dst = torch.tensor([1, 0, 2, 3, 4, 3, 5, 6, 7, 8, 9, 7, 0, 1, 5])
loops = torch.arange(N)
edge_index = torch.stack([torch.cat([src, loops]), torch.cat([dst, loops])])
print(edge_index.shape, "in-degrees:", torch.bincount(edge_index[1], minlength=N).tolist())
x = torch.randn(N, FEATS)
labels = torch.randint(0, CLASSES, (N,))
train_mask = torch.zeros(N, dtype=torch.bool)
train_mask[torch.randperm(N)[:6]] = True
print("labels:", labels.tolist(), "train:", train_mask.nonzero().flatten().tolist())


def neighbourhood_softmax(scores, index, num_nodes):
    """softmax of per-edge scores (E, H) over the edges that share a destination node."""
    heads = scores.size(1)
    expanded = index.unsqueeze(1).expand(-1, heads)
    peak = torch.full((num_nodes, heads), float("-inf")).scatter_reduce(0, expanded, scores, "amax",
                                                                         include_self=True)
    exp = (scores - peak.index_select(0, index)).exp()
    denom = torch.zeros(num_nodes, heads).scatter_add_(0, expanded, exp)
    return exp / denom.index_select(0, index)


class GATLayer(nn.Module):
    def __init__(self, fin, fout, heads, concat=True, dropout=0.5):
        super().__init__()
        self.heads, self.fout, self.concat = heads, fout, concat
        self.lin = nn.Linear(fin, heads * fout, bias=False)
        self.att_src = nn.Parameter(torch.empty(1, heads, fout))
        self.att_dst = nn.Parameter(torch.empty(1, heads, fout))
        self.bias = nn.Parameter(torch.zeros(heads * fout if concat else fout))
        self.dropout = nn.Dropout(dropout)
        nn.init.xavier_uniform_(self.lin.weight)
        nn.init.xavier_uniform_(self.att_src)
        nn.init.xavier_uniform_(self.att_dst)
        self.last_alpha = None

    def forward(self, x, edge_index):
        s, d = edge_index
        h = self.lin(x).view(-1, self.heads, self.fout)
        a_src = (h * self.att_src).sum(-1)
        a_dst = (h * self.att_dst).sum(-1)
        logits = F.leaky_relu(a_src.index_select(0, s) + a_dst.index_select(0, d), 0.2)
        alpha = neighbourhood_softmax(logits, d, x.size(0))
        self.last_alpha = alpha.detach()
        alpha = self.dropout(alpha)
        messages = h.index_select(0, s) * alpha.unsqueeze(-1)
        out = torch.zeros_like(h).index_add_(0, d, messages)
        out = out.reshape(-1, self.heads * self.fout) if self.concat else out.mean(1)
        return out + self.bias


class GAT(nn.Module):
    def __init__(self):
        super().__init__()
        self.gat1 = GATLayer(FEATS, 4, heads=3, concat=True, dropout=0.3)
        self.gat2 = GATLayer(12, CLASSES, heads=2, concat=False, dropout=0.3)

    def forward(self, x, edge_index):
        x = F.dropout(x, p=0.2, training=self.training)
        x = F.elu(self.gat1(x, edge_index))
        x = F.dropout(x, p=0.2, training=self.training)
        return self.gat2(x, edge_index)


model = GAT()
print(model)
opt = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)

model.eval()
with torch.no_grad():
    out = model(x, edge_index)
alpha = model.gat1.last_alpha
sums = torch.zeros(N, 3).index_add_(0, edge_index[1], alpha)
print("attention sums to 1:", torch.allclose(sums, torch.ones(N, 3)))
print("node 3 attention:", alpha[edge_index[1] == 3].round(decimals=4))
print("eval logits:", out[:3])

# the scatter-based softmax matches a dense masked softmax
dense = torch.full((N, N, 3), float("-inf"))
raw = torch.randn(edge_index.size(1), 3)
dense[edge_index[1], edge_index[0]] = raw
ref = dense.softmax(dim=1)[edge_index[1], edge_index[0]]
print("dense check:", torch.allclose(neighbourhood_softmax(raw, edge_index[1], N), ref, atol=1e-6))
peak = torch.zeros(N).scatter_reduce(0, edge_index[1], raw[:, 0], "amax", include_self=False)
print("amax:", peak)
print("mean:", torch.zeros(N).scatter_reduce(0, edge_index[1], raw[:, 0], "mean", include_self=False))

for step in range(4):
    model.train()
    opt.zero_grad()
    out = model(x, edge_index)
    loss = F.cross_entropy(out[train_mask], labels[train_mask])
    loss.backward()
    opt.step()
    with torch.no_grad():
        model.eval()
        pred = model(x, edge_index).argmax(1)
    acc = (pred[~train_mask] == labels[~train_mask]).float().mean().item()
    print(f"step {step}: loss {loss.item():.4f} val acc {acc:.2f} pred {pred.tolist()}")
print("att_src grad:", model.gat1.att_src.grad.round(decimals=4))
print("eval dropout is identity:", bool((model.gat2.dropout(torch.ones(4, 2)) == 1).all()))
model.train()
print("train dropout:", model.gat2.dropout(torch.ones(4, 2)).tolist())
model(x, edge_index)
print("train alpha (before dropout) still sums to 1:",
      torch.allclose(torch.zeros(N, 2).index_add_(0, edge_index[1], model.gat2.last_alpha), torch.ones(N, 2)))
