"""The errors people hit wiring up a training loop (forum FAQ style): optimizers given the wrong
thing or bad hyper-parameters, parameters in two groups, non-leaf parameters, loading optimizer and
model state that does not fit, in-place edits autograd refuses, DataLoader options that exclude each
other and batches that cannot be collated, LBFGS without a closure, non-finite gradient norms."""
# needs: nn optim
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.utils.data import DataLoader, Dataset, RandomSampler, TensorDataset

torch.manual_seed(0)


def attempt(label, fn):
    try:
        out = fn()
        print(label, "->", out if not isinstance(out, torch.Tensor) else tuple(out.shape))
    except Exception as e:
        print(label, "->", type(e).__name__, e)


model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
w = model[0].weight
attempt("empty params", lambda: torch.optim.SGD([], lr=0.1))
attempt("one tensor", lambda: torch.optim.SGD(w, lr=0.1))
attempt("generator used twice", lambda: (lambda g: (torch.optim.SGD(g, lr=0.1), torch.optim.Adam(g)))(model.parameters()))
attempt("non-leaf", lambda: torch.optim.SGD([w * 2], lr=0.1))
attempt("negative lr", lambda: torch.optim.SGD(model.parameters(), lr=-0.1))
attempt("bad momentum", lambda: torch.optim.SGD(model.parameters(), lr=0.1, momentum=-1))
attempt("nesterov no momentum", lambda: torch.optim.SGD(model.parameters(), lr=0.1, nesterov=True))
attempt("bad beta", lambda: torch.optim.Adam(model.parameters(), betas=(1.5, 0.999)))
attempt("bad eps", lambda: torch.optim.Adam(model.parameters(), eps=-1e-8))
attempt("bad weight decay", lambda: torch.optim.AdamW(model.parameters(), weight_decay=-0.01))
attempt("two groups share", lambda: torch.optim.SGD([{"params": model.parameters()}, {"params": [w]}], lr=0.1))
attempt("group without params", lambda: torch.optim.SGD([{"lr": 0.1}], lr=0.1))
attempt("lr as string", lambda: torch.optim.SGD(model.parameters(), lr="0.1"))

opt = torch.optim.Adam(model.parameters(), lr=1e-3)
other = torch.optim.Adam(model[0].parameters(), lr=1e-3)
attempt("load state of other shape", lambda: opt.load_state_dict(other.state_dict()))
attempt("add group again", lambda: opt.add_param_group({"params": [w]}))
print("groups:", len(opt.param_groups), sorted(opt.param_groups[0].keys()))

loss = model(torch.randn(5, 3)).pow(2).mean()
loss.backward()
opt.step()
opt.zero_grad()
print("grad after zero_grad:", w.grad)
opt.zero_grad(set_to_none=False)
print("grad kept as zeros:", w.grad is None)

state = model.state_dict()
small = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 2))
attempt("size mismatch", lambda: small.load_state_dict(state))
renamed = {("layer." + k): v for k, v in state.items()}
attempt("wrong prefix", lambda: model.load_state_dict(renamed))
result = model.load_state_dict({k: v for k, v in state.items() if "bias" not in k}, strict=False)
print("non-strict:", result)
print(result.missing_keys, result.unexpected_keys)

attempt("in-place on leaf", lambda: w.add_(1.0))
with torch.no_grad():
    w.add_(0.0)
print("no_grad in-place ok, version:", w._version)


def modified_saved():
    x = torch.randn(4, 3, requires_grad=True)
    s = torch.sigmoid(x)
    y = s.sum()
    s.mul_(2)
    y.backward()


attempt("saved tensor modified", modified_saved)


def relu_inplace_after_view():
    x = torch.randn(4, requires_grad=True)
    v = x[:2]
    return v.relu_()


attempt("in-place on leaf view", relu_inplace_after_view)

data = TensorDataset(torch.randn(10, 3), torch.randint(0, 2, (10,)))
attempt("sampler and shuffle", lambda: DataLoader(data, sampler=RandomSampler(data), shuffle=True))
attempt("batch size zero", lambda: DataLoader(data, batch_size=0))
attempt("batch_sampler and batch_size", lambda: DataLoader(data, batch_sampler=[[0, 1]], batch_size=2))
attempt("dataset lengths", lambda: TensorDataset(torch.randn(10, 3), torch.randn(9)))


class Ragged(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        return torch.arange(i + 1)


attempt("ragged batch", lambda: next(iter(DataLoader(Ragged(), batch_size=2))))


class NoLen(Dataset):
    def __getitem__(self, i):
        return i


attempt("len of sized-less loader", lambda: len(DataLoader(NoLen(), batch_size=2)))

lbfgs = torch.optim.LBFGS(model.parameters())
attempt("lbfgs without closure", lambda: lbfgs.step())
model(torch.randn(2, 3)).sum().backward()
model[0].weight.grad[0, 0] = float("nan")
attempt("non-finite norm", lambda: nn.utils.clip_grad_norm_(model.parameters(), 1.0, error_if_nonfinite=True))
print("norm without the check:", nn.utils.clip_grad_norm_(model.parameters(), 1.0))
sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1)
attempt("scheduler wrong optimizer", lambda: torch.optim.lr_scheduler.StepLR(model, step_size=1))
attempt("ce on probabilities shape", lambda: F.cross_entropy(torch.randn(3, 4), torch.randn(3, 5)))
