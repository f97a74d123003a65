"""Graph utilities and graph classification the way GNN tutorials write them by hand: coalescing an
edge_index (to_undirected with cat + unique(dim=1), removing self loops with a mask), CSR row pointers
from bincount + cumsum, neighbour lookup with searchsorted, batching several graphs into one with a
batch vector and shifted edge indices, a GIN-style layer with index_add_, global mean/max/sum pooling
with scatter_reduce and index_add, and a small training loop over graph labels."""
# needs: nn optim
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F

torch.manual_seed(7)

edge_index = torch.tensor([[0, 1, 1, 2, 2, 3, 3], [1, 0, 2, 3, 2, 0, 1]])
print("self loops", (edge_index[0] == edge_index[1]).sum().item())
keep = edge_index[0] != edge_index[1]
ei = edge_index[:, keep]
ei = torch.cat([ei, ei.flip(0)], dim=1)
ei, counts = torch.unique(ei, dim=1, return_counts=True)
print(ei)
print("duplicates collapsed", counts)
order = torch.argsort(ei[0] * 10 + ei[1])
print("sorted", torch.equal(ei[:, order], ei))
deg = torch.bincount(ei[0], minlength=4)
rowptr = torch.cat([torch.zeros(1, dtype=torch.long), deg.cumsum(0)])
print("rowptr", rowptr, rowptr.dtype)
for node in range(4):
    print(node, "->", ei[1, rowptr[node]:rowptr[node + 1]].tolist())
print("searchsorted", torch.searchsorted(rowptr, torch.tensor([0, 3, 5]), right=True) - 1)
nodes, inverse = torch.unique(torch.tensor([5, 9, 5, 2, 9]), return_inverse=True)
print("relabel", nodes, inverse)
print(torch.unique_consecutive(torch.tensor([0, 0, 1, 1, 1, 2])), torch.isin(torch.arange(5), ei[0]))


def random_graph(n, label):
    # label 1: a ring, label 0: a star
    if label:
        src = torch.arange(n)
        dst = (src + 1) % n
    else:
        src = torch.zeros(n - 1, dtype=torch.long)
        dst = torch.arange(1, n)
    e = torch.stack([torch.cat([src, dst]), torch.cat([dst, src])])
    return torch.randn(n, 3) * 0.1 + torch.tensor([1.0, 0.0, 0.5]), e


graphs = [random_graph(n, lab) for n, lab in [(4, 1), (5, 0), (6, 1), (4, 0), (5, 1), (6, 0)]]
labels = torch.tensor([1, 0, 1, 0, 1, 0])
sizes = torch.tensor([g[0].size(0) for g in graphs])
x = torch.cat([g[0] for g in graphs])
shift = torch.cat([torch.zeros(1, dtype=torch.long), sizes.cumsum(0)[:-1]])
edge = torch.cat([g[1] + s for g, s in zip(graphs, shift.tolist())], dim=1)
batch = torch.repeat_interleave(torch.arange(len(graphs)), sizes)
print("x", x.shape, "edges", edge.shape, "batch", batch)
print("shift", shift, "num graphs", int(batch.max()) + 1)


def global_mean_pool(h, batch, size):
    s = torch.zeros(size, h.size(1)).index_add_(0, batch, h)
    return s / torch.bincount(batch, minlength=size).unsqueeze(1).float()


def global_max_pool(h, batch, size):
    idx = batch.unsqueeze(1).expand(-1, h.size(1))
    return torch.full((size, h.size(1)), -1e9).scatter_reduce(0, idx, h, reduce="amax", include_self=False)


print(global_mean_pool(x, batch, 6)[:2])
print(global_max_pool(x, batch, 6)[:2])
print(torch.zeros(6, 3).scatter_reduce(0, batch.view(-1, 1).expand(-1, 3), x, reduce="sum")[:2])


class GIN(nn.Module):
    def __init__(self, in_dim, hidden, classes):
        super().__init__()
        self.eps = nn.Parameter(torch.zeros(1))
        self.mlp = nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden))
        self.head = nn.Linear(2 * hidden, classes)

    def forward(self, x, edge, batch, size):
        agg = torch.zeros_like(x).index_add_(0, edge[1], x[edge[0]])
        h = F.relu(self.mlp((1 + self.eps) * x + agg))
        pooled = torch.cat([global_mean_pool(h, batch, size), global_max_pool(h, batch, size)], dim=1)
        return self.head(pooled)


model = GIN(3, 8, 2)
print(model)
print(sum(p.numel() for p in model.parameters()), [n for n, _ in model.named_parameters()][:3])
opt = torch.optim.Adam(model.parameters(), lr=0.02)
for epoch in range(40):
    opt.zero_grad()
    out = model(x, edge, batch, 6)
    loss = F.cross_entropy(out, labels)
    loss.backward()
    opt.step()
    if epoch % 8 == 0 or epoch == 39:
        acc = (out.argmax(1) == labels).float().mean().item()
        print(f"epoch {epoch:02d} loss {loss.item():.4f} acc {acc:.3f}")
print("eps", model.eps.data, model.eps.grad is not None)
print(out.grad_fn.name(), out.grad_fn.next_functions[0][0].name())

for bad in [lambda: torch.unique(edge_index, dim=2),
            lambda: torch.searchsorted(torch.tensor([[0, 1]]), torch.tensor([0])),
            lambda: global_mean_pool(x, batch, 5),
            lambda: torch.zeros(6, 3).scatter_reduce(0, batch, x, reduce="sum"),
            lambda: torch.isin(torch.arange(3).float(), torch.tensor([1]))]:
    try:
        print(bad())
    except Exception as e:
        print(type(e).__name__, e)
