"""Message passing from scratch on an edge_index, as GNN tutorials write it without PyG: gather
source features with index_select, aggregate with index_add_/scatter_add_/scatter_reduce (sum, mean,
max), degree normalisation with bincount, a GraphSAGE mean layer, and a GAT layer with a segment
softmax (scatter_reduce amax for stability), trained on node masks; with its common errors."""
# needs: nn optim
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F

torch.manual_seed(1)
N, C = 8, 4
edge_index = torch.tensor([[0, 1, 1, 2, 3, 3, 4, 5, 6, 7, 2, 5],
                           [1, 0, 2, 1, 4, 2, 3, 6, 5, 6, 3, 7]])
src, dst = edge_index
x = torch.randn(N, C)

msgs = x.index_select(0, src)
print("messages", msgs.shape)
agg_sum = torch.zeros(N, C).index_add_(0, dst, msgs)
print(agg_sum)
agg_sum2 = torch.zeros(N, C).scatter_add_(0, dst.unsqueeze(-1).expand(-1, C), msgs)
print("index_add == scatter_add", torch.allclose(agg_sum, agg_sum2))
in_deg = torch.bincount(dst, minlength=N)
print("in-degree", in_deg, in_deg.dtype)
agg_mean = agg_sum / in_deg.clamp(min=1).unsqueeze(-1)
print(agg_mean[:3])
mean_sr = torch.zeros(N, C).scatter_reduce(0, dst.view(-1, 1).expand_as(msgs), msgs, reduce="mean",
                                            include_self=False)
print("scatter_reduce mean matches", torch.allclose(mean_sr, agg_mean))
agg_max = torch.full((N, C), float("-inf")).scatter_reduce(0, dst.view(-1, 1).expand_as(msgs), msgs,
                                                           reduce="amax", include_self=True)
print(agg_max[:4])
agg_max = torch.where(torch.isinf(agg_max), torch.zeros_like(agg_max), agg_max)
print(agg_max[0])

# symmetric GCN weights per edge: 1/sqrt(deg(u) deg(v)) with self loops
loops = torch.arange(N)
ei = torch.cat([edge_index, torch.stack([loops, loops])], dim=1)
deg = torch.bincount(ei[1], minlength=N).float()
norm = deg[ei[0]].rsqrt() * deg[ei[1]].rsqrt()
print("norm", norm[:6])
h = torch.zeros(N, C).index_add_(0, ei[1], x[ei[0]] * norm.unsqueeze(-1))
print(h[5])


class SAGEConv(nn.Module):
    def __init__(self, in_dim, out_dim):
        super().__init__()
        self.lin_self = nn.Linear(in_dim, out_dim)
        self.lin_neigh = nn.Linear(in_dim, out_dim, bias=False)

    def forward(self, x, edge_index):
        s, d = edge_index
        out = torch.zeros(x.size(0), x.size(1), dtype=x.dtype).index_add(0, d, x[s])
        cnt = torch.bincount(d, minlength=x.size(0)).clamp(min=1).to(x.dtype)
        return self.lin_self(x) + self.lin_neigh(out / cnt.unsqueeze(1))


class GATConv(nn.Module):
    def __init__(self, in_dim, out_dim):
        super().__init__()
        self.lin = nn.Linear(in_dim, out_dim, bias=False)
        self.att_src = nn.Parameter(torch.randn(out_dim) * 0.1)
        self.att_dst = nn.Parameter(torch.randn(out_dim) * 0.1)

    def forward(self, x, edge_index):
        s, d = edge_index
        h = self.lin(x)
        e = F.leaky_relu((h * self.att_src).sum(-1)[s] + (h * self.att_dst).sum(-1)[d], 0.2)
        e_max = torch.zeros(x.size(0)).scatter_reduce(0, d, e, reduce="amax", include_self=False)
        e = (e - e_max[d]).exp()
        denom = torch.zeros(x.size(0)).scatter_add(0, d, e)
        alpha = e / denom[d]
        self.alpha = alpha
        return torch.zeros_like(h).index_add_(0, d, h[s] * alpha.unsqueeze(-1))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.sage = SAGEConv(C, 8)
        self.gat = GATConv(8, 2)

    def forward(self, x, edge_index):
        return self.gat(F.elu(self.sage(x, edge_index)), edge_index)


net = Net()
print(net)
print({k: tuple(v.shape) for k, v in net.state_dict().items()})
y = torch.tensor([0, 0, 0, 1, 1, 1, 1, 0])
train_mask = torch.tensor([True, True, False, True, True, False, True, False])
opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
for step in range(30):
    opt.zero_grad()
    logits = net(x, ei)
    loss = F.cross_entropy(logits[train_mask], y[train_mask])
    loss.backward()
    opt.step()
    if step % 6 == 0:
        print(f"step {step} loss {loss.item():.4f}")
print("alpha sums", torch.zeros(N).index_add(0, ei[1], net.gat.alpha.detach()))
pred = logits.argmax(1)
print("pred", pred, "acc", (pred[~train_mask] == y[~train_mask]).float().mean().item())
print(logits.grad_fn.name(), net.gat.alpha.grad_fn.name())
print(net.gat.att_src.grad)

for bad in [lambda: torch.zeros(N, C).index_add_(0, dst.int().float(), msgs),
            lambda: torch.zeros(N, C).index_add_(0, dst, msgs[:, :2]),
            lambda: torch.zeros(N, C).scatter_add_(0, dst, msgs),
            lambda: torch.zeros(3, C).index_add_(0, dst, msgs),
            lambda: torch.zeros(N).scatter_reduce(0, dst, msgs[:, 0], reduce="max"),
            lambda: x.index_select(0, edge_index),
            lambda: x.index_select(0, torch.tensor([8]))]:
    try:
        print(bad())
    except Exception as e:
        print(type(e).__name__, e)
