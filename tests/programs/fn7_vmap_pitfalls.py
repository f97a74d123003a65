"""The torch.func "UX limitations" page as a user meets it: a per-example function written with
Python control flow, .item() and a BatchNorm model, run under vmap; each mistake's error, then the
rewrite the docs recommend (torch.where instead of `if`, out_dims=None for a constant, randomness=
for dropout, replace_all_batch_norm_modules_ / track_running_stats=False for batch norm), in_dims
tuples with None, out_dims, chunk_size and nested vmap, and the grad_fn a vmap result carries
(checked against a loop with torch.autograd.grad)."""
# needs: nn
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.func import grad, jacrev, replace_all_batch_norm_modules_, vmap

torch.manual_seed(0)
x = torch.randn(4, 3)
w = torch.randn(3, 2, requires_grad=True)


def attempt(label, fn):
    try:
        out = fn()
        print(label, "->", out)
    except Exception as e:
        print(label, "->", type(e).__name__, e)


print("--- reading values inside vmap")


def clipped_score(row):
    score = row.sum()
    if score > 0:  # data-dependent Python control flow
        return score
    return -score


attempt("if score > 0", lambda: vmap(clipped_score)(x))
attempt(".item()", lambda: vmap(lambda row: row * row.max().item())(x))
attempt("float()", lambda: vmap(lambda row: row / float(row.norm()))(x))
attempt(".tolist()", lambda: vmap(lambda row: torch.tensor(row.tolist()))(x))
attempt("inside grad", lambda: vmap(grad(lambda r: r.sum() * r.sum().item()))(x))
# the rewrites
print("torch.where", vmap(lambda row: torch.where(row.sum() > 0, row.sum(), -row.sum()))(x))
print("no item", vmap(lambda row: row * row.max())(x))
print("constant item ok", vmap(lambda row: row * torch.tensor(0.5).item())(x)[0])

print("--- in_dims / out_dims / chunk_size")
bias = torch.tensor([1.0, -1.0, 0.5])
print(vmap(lambda r, b: r + b, in_dims=(0, None))(x, bias))
print(vmap(lambda r, b: r + b, in_dims=(1, None))(x[:, :3].t(), bias).shape)
print(vmap(lambda r: (r * 2, r.sum()), out_dims=(1, 0))(x)[0].shape)
print(vmap(lambda r: r.exp(), chunk_size=2)(x).sum().item() > 0)
attempt("out_dims=None on a batched result", lambda: vmap(lambda r: r * 2, out_dims=None)(x))
const, batched = vmap(lambda r: (bias * 2, r + 1), out_dims=(None, 0))(x)
print("out_dims=None constant", const, batched.shape)
attempt("out_dims out of range", lambda: vmap(lambda r: r, out_dims=2)(x))
attempt("in_dims wrong length", lambda: vmap(lambda a, b: a * b, in_dims=(0,))(x, bias))
attempt("mapped sizes differ", lambda: vmap(lambda a, b: a * b)(x, torch.ones(3, 3)))
outer = vmap(vmap(lambda a, b: a * b, in_dims=(0, None)), in_dims=(None, 0))(torch.arange(3.), torch.arange(1., 3.))
print("nested outer product", outer)

print("--- randomness")
attempt("dropout (error mode)", lambda: vmap(lambda r: F.dropout(r, 0.5))(x))
torch.manual_seed(1)
print("different", vmap(lambda r: F.dropout(torch.ones(3), 0.5), randomness="different")(x))
torch.manual_seed(1)
print("same", vmap(lambda r: F.dropout(torch.ones(3), 0.5), randomness="same")(x))
attempt("bad flag", lambda: vmap(lambda r: r, randomness="fixed"))
attempt("jacfwd with rand", lambda: torch.func.jacfwd(lambda a: a + torch.rand(3))(bias))

print("--- batch norm under vmap")
model = nn.Sequential(nn.Linear(3, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 2))
batches = torch.randn(2, 6, 3)  # two independent mini-batches of 6
attempt("training BatchNorm", lambda: vmap(model)(batches))
print("running_mean untouched", model[1].running_mean)
model.eval()
print("eval mode", vmap(model)(batches).shape)
model.train()
replace_all_batch_norm_modules_(model)
print(model)
print(list(model.state_dict()))
out = vmap(model)(batches)
print("patched", out.shape, out.grad_fn)

print("--- what a vmap result records")
xr = x.clone().requires_grad_()
for name, f in [("x * 2", lambda r: r * 2), ("sin", torch.sin), ("x @ w", lambda r: r @ w), ("sum", torch.sum),
                ("mean", lambda r: r.mean()), ("relu", F.relu), ("identity", lambda r: r)]:
    y = vmap(f)(xr)
    print(f"{name:9s}", y.grad_fn, tuple(y.shape), y is xr)
y = vmap(lambda r: (r.sin() * 2) @ w)(xr)
gx, gw = torch.autograd.grad(y.pow(2).sum(), (xr, w))
loop = torch.stack([(r.sin() * 2) @ w for r in xr])
lx, lw = torch.autograd.grad(loop.pow(2).sum(), (xr, w))
print("grads match a loop:", torch.allclose(gx, lx), torch.allclose(gw, lw))
print(gw)
jac = vmap(jacrev(lambda r: (r.sin() * 2) @ w))(x)
print("per-row jacobians", jac.shape, jac.grad_fn is not None)
