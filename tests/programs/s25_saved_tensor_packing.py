"""What autograd saves for backward, counted the way activation-memory tools (offloading,
checkpointing-by-hooks) count it: torch.autograd.graph.saved_tensors_hooks records each packed
tensor's shape and dtype for single ops (mm, addmm, matmul, div, gather, ...) and for a small
model's forward; then the packed tensors are offloaded to a side list and the backward still works."""
# needs: nn
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F

torch.manual_seed(0)
packed = []


def pack(t):
    packed.append((tuple(t.shape), str(t.dtype).replace("torch.", ""), t.requires_grad))
    return t


def unpack(t):
    return t


def saved_by(name, fn):
    packed.clear()
    with torch.autograd.graph.saved_tensors_hooks(pack, unpack):
        out = fn()
    print(f"{name:<26} {len(packed)} packed: {packed}")
    return out


a = torch.randn(3, 4, requires_grad=True)
b = torch.randn(4, 5, requires_grad=True)
c = torch.randn(4, 5)  # no grad
bias = torch.randn(5, requires_grad=True)
saved_by("mm both", lambda: a.mm(b))
saved_by("mm (b no grad)", lambda: a.mm(c))
saved_by("mm (a no grad)", lambda: a.detach().mm(b))
saved_by("addmm", lambda: torch.addmm(bias, a, b))
saved_by("addmm (mat2 no grad)", lambda: torch.addmm(bias, a, c))
saved_by("matmul 2d@1d", lambda: a @ b[:, 0])
saved_by("div tensor", lambda: a / (a.detach() + 3))
saved_by("div by grad tensor", lambda: a / (b[:3, :4] + 3))
saved_by("div scalar", lambda: a / 2)
idx = torch.tensor([[0, 1], [2, 3], [1, 1]])
saved_by("gather", lambda: a.gather(1, idx))
saved_by("exp", lambda: a.exp())
saved_by("tanh", lambda: a.tanh())
saved_by("sigmoid*2", lambda: a.sigmoid() * 2)
saved_by("relu", lambda: a.relu())
saved_by("linear", lambda: F.linear(a, b.T.contiguous(), bias))
saved_by("linear no bias", lambda: F.linear(a.detach(), b.T.contiguous()))
saved_by("sum", lambda: a.sum())
saved_by("mean dim", lambda: a.mean(1))
saved_by("pow 2", lambda: a.pow(2))

model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
# (an input that needs a gradient, as when the model's input gradients are used: both of the first
# layer's matrices are then kept)
x = torch.randn(6, 4, requires_grad=True)
y = torch.randn(6, 3)
loss = saved_by("mlp + mse", lambda: F.mse_loss(model(x), y))
total = sum(int(torch.tensor(s).prod().item()) if s else 1 for s, _, _ in packed)
print("elements saved", total)

# offload: pack returns an index into a side store, unpack fetches the tensor back
store = []


def offload(t):
    store.append(t.detach().clone())
    return len(store) - 1


def fetch(i):
    return store[i]


model.zero_grad()
with torch.autograd.graph.saved_tensors_hooks(offload, fetch):
    loss2 = F.mse_loss(model(x), y)
loss2.backward()
offloaded = [p.grad.clone() for p in model.parameters()]
model.zero_grad()
F.mse_loss(model(x), y).backward()
print("offloaded", len(store), "tensors; same grads:",
      all(torch.allclose(g, p.grad) for g, p in zip(offloaded, model.parameters())))
print("loss", round(loss2.item(), 5), type(loss2.grad_fn).__name__,
      type(loss2.grad_fn.next_functions[0][0]).__name__)

# what the graph exposes as saved attributes
z = torch.addmm(bias, a, b)
print("addmm saved:", z.grad_fn._saved_mat1.shape, z.grad_fn._saved_mat2.shape,
      z.grad_fn._saved_alpha, z.grad_fn._saved_beta)
d = a / (b[:3, :4] + 3)
print("div saved:", d.grad_fn._saved_self.shape, d.grad_fn._saved_other.shape)
g = a.gather(1, idx)
print("gather saved:", g.grad_fn._saved_dim, g.grad_fn._saved_index.tolist(), g.grad_fn._saved_sparse_grad)
