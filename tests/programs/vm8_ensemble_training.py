"""The torch.func "Model ensembling" tutorial carried on to training: five small MLPs combined with
stack_module_state and run as one with vmap over functional_call of a 'meta' copy — every model on
the same minibatch (in_dims=(0, 0, None)) and each on its own (in_dims=(0, 0, 0)) — then the
ensemble's predictions (per-model argmax, agreement with .all(), majority vote by counting with
one_hot, top-2 confidence), per-model losses and gradients with vmap(grad(...)), a few SGD steps on
the stacked parameters written by hand, a model with dropout needing randomness='different' or
'same', and the common mistakes (a parameter dict with mismatched ensemble sizes, forgetting the
in_dims of the shared batch, reading .item() of a per-model loss inside vmap)."""
# needs: nn
import copy

import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.func import functional_call, grad, grad_and_value, stack_module_state, vmap

torch.manual_seed(0)


class MLP(nn.Module):
    def __init__(self, p=0.0):
        super().__init__()
        self.fc1 = nn.Linear(6, 16)
        self.fc2 = nn.Linear(16, 3)
        self.drop = nn.Dropout(p)

    def forward(self, x):
        return self.fc2(self.drop(F.relu(self.fc1(x))))


num_models = 5
models = [MLP() for _ in range(num_models)]
params, buffers = stack_module_state(models)
print({k: tuple(v.shape) for k, v in params.items()})
print("stacked params require grad:", all(v.requires_grad for v in params.values()), "buffers:", buffers)
base = copy.deepcopy(models[0]).to("meta")
print(base)


def fmodel(p, b, x):
    return functional_call(base, (p, b), (x,))


x = torch.randn(8, 6)
y = torch.randint(0, 3, (8,))
same_batch = vmap(fmodel, in_dims=(0, 0, None))(params, buffers, x)
print("same minibatch:", same_batch.shape, same_batch.grad_fn is not None)
loop = torch.stack([m(x) for m in models])
print("matches a loop:", torch.allclose(same_batch, loop, atol=1e-6))
own = torch.randn(num_models, 8, 6)
own_batch = vmap(fmodel)(params, buffers, own)
print("own minibatches:", own_batch.shape, torch.allclose(own_batch[2], models[2](own[2]), atol=1e-6))

print("--- the ensemble's predictions")
with torch.no_grad():
    logits = vmap(fmodel, in_dims=(0, 0, None))(params, buffers, x)
preds = vmap(lambda lg: lg.argmax(dim=1))(logits)
print("per-model predictions:\n", preds)
agree = vmap(lambda col: (col == col[0]).all(), in_dims=1)(preds)
print("all models agree:", agree)
votes = vmap(lambda col: F.one_hot(col, 3).sum(0), in_dims=1)(preds)
print("votes:\n", votes)
print("majority:", vmap(torch.argmax)(votes))
probs = logits.softmax(-1).mean(0)
conf, cls = vmap(lambda p: p.topk(2))(probs)
print("top-2 mean probability:\n", conf, "\n", cls)
print("confident (>0.5):", vmap(lambda c: torch.where(c[0] > 0.5, c[0], torch.zeros(())))(conf))

print("--- per-model losses and gradients")


def loss_fn(p, b, x, y):
    return F.cross_entropy(fmodel(p, b, x), y)


losses = vmap(loss_fn, in_dims=(0, 0, None, None))(params, buffers, x, y)
print("losses:", [f"{v:.4f}" for v in losses.tolist()])
grads = vmap(grad(loss_fn), in_dims=(0, 0, None, None))(params, buffers, x, y)
print({k: tuple(v.shape) for k, v in grads.items()})
ref = torch.autograd.grad(F.cross_entropy(models[3](x), y), list(models[3].parameters()))
print("model 3 gradient matches autograd:", all(torch.allclose(g, r, atol=1e-6) for g, r in zip(
    [grads[k][3] for k in params], ref)))

print("--- training the stacked parameters")
weights = {k: v.detach().clone() for k, v in params.items()}
step = vmap(grad_and_value(loss_fn), in_dims=(0, 0, None, None))
for it in range(6):
    g, loss = step(weights, buffers, x, y)
    weights = {k: w - 0.5 * g[k] for k, w in weights.items()}
    if it % 2 == 0 or it == 5:
        print(f"step {it}: mean {loss.mean().item():.4f} best {loss.min().item():.4f} worst {loss.max().item():.4f}")
final = vmap(fmodel, in_dims=(0, 0, None))(weights, buffers, x)
acc = vmap(lambda lg: (lg.argmax(1) == y).float().mean())(final)
print("accuracy per model:", acc)
print("best model:", acc.argmax().item())

print("--- dropout inside the ensemble")
dmodels = [MLP(p=0.5) for _ in range(3)]
dparams, dbuffers = stack_module_state(dmodels)
dbase = copy.deepcopy(dmodels[0]).to("meta")


def dmodel(p, b, x):
    return functional_call(dbase, (p, b), (x,))


try:
    vmap(dmodel, in_dims=(0, 0, None))(dparams, dbuffers, x)
except Exception as e:
    print(type(e).__name__, e)
torch.manual_seed(3)
out = vmap(dmodel, in_dims=(0, 0, None), randomness="different")(dparams, dbuffers, x)
print("different:", out.shape)
torch.manual_seed(3)
out = vmap(dmodel, in_dims=(0, 0, None), randomness="same")(dparams, dbuffers, x)
print("same:", out.shape)
dbase.eval()
print("eval ignores randomness:", torch.allclose(vmap(dmodel, in_dims=(0, 0, None))(dparams, dbuffers, x)[1],
                                                   dmodels[1].eval()(x), atol=1e-6))

print("--- mistakes")
bad = dict(params)
bad["fc2.bias"] = bad["fc2.bias"][:4]
for label, call in [
    ("mismatched ensemble sizes", lambda: vmap(fmodel, in_dims=(0, 0, None))(bad, buffers, x)),
    ("shared batch mapped too", lambda: vmap(fmodel)(params, buffers, x)),
    (".item() of a loss", lambda: vmap(lambda p, b: loss_fn(p, b, x, y).item(), in_dims=(0, 0))(params, buffers)),
    ("if on a loss", lambda: vmap(lambda p, b: loss_fn(p, b, x, y) if loss_fn(p, b, x, y) > 1 else 0,
                                  in_dims=(0, 0))(params, buffers)),
    ("out_dims=None", lambda: vmap(lambda p, b: fmodel(p, b, x).argmax(1), in_dims=(0, 0),
                                   out_dims=None)(params, buffers)),
]:
    try:
        call()
    except Exception as e:
        print(label, "->", type(e).__name__, e)
