"""Optimizer usage from the torch.optim docs: per-parameter options (a different lr per group),
add_param_group for fine-tuning, printing the optimizer and optimizer.state_dict(), the
save/load_state_dict round trip, and the options weight_decay, nesterov, amsgrad, maximize,
zero_grad(set_to_none=...), with the errors users see on common mistakes."""
# needs: nn optim
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F

torch.manual_seed(0)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.base = nn.Linear(4, 6)
        self.head = nn.Linear(6, 2)

    def forward(self, x):
        return self.head(F.relu(self.base(x)))


model = Net()
x = torch.randn(8, 4)
y = torch.randint(0, 2, (8,))

opt = torch.optim.SGD([{"params": model.base.parameters()},
                       {"params": model.head.parameters(), "lr": 1e-3}], lr=1e-2, momentum=0.9)
print(opt)
print(len(opt.param_groups), [g["lr"] for g in opt.param_groups])
print(sorted(opt.param_groups[0].keys()))
print(opt.defaults)

for step in range(3):
    opt.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    print(f"step {step} loss {loss.item():.4f}")

sd = opt.state_dict()
print(sorted(sd.keys()))
print(sorted(sd["state"].keys()))
print(sorted(sd["state"][0].keys()), sd["state"][0]["momentum_buffer"].shape)
for g in sd["param_groups"]:
    print({k: v for k, v in sorted(g.items())})

# Round trip: a new optimizer on a copy of the model continues exactly the same way.
model2 = Net()
model2.load_state_dict(model.state_dict())
opt2 = torch.optim.SGD([{"params": model2.base.parameters()},
                        {"params": model2.head.parameters(), "lr": 5.0}], lr=1.0, momentum=0.0)
opt2.load_state_dict(sd)
print([g["lr"] for g in opt2.param_groups], [g["momentum"] for g in opt2.param_groups])
for m, o in [(model, opt), (model2, opt2)]:
    o.zero_grad()
    F.cross_entropy(m(x), y).backward()
    o.step()
print(torch.equal(model.head.weight, model2.head.weight), torch.allclose(model.base.bias, model2.base.bias))

# The state dict refers to tensors by index, and loading is checked.
bad = {"state": {}, "param_groups": sd["param_groups"][:1]}
try:
    opt2.load_state_dict(bad)
except Exception as e:
    print(type(e).__name__, e)
bad_sizes = {"state": {}, "param_groups": [dict(sd["param_groups"][0], params=[0]), sd["param_groups"][1]]}
try:
    opt2.load_state_dict(bad_sizes)
except Exception as e:
    print(type(e).__name__, e)

# add_param_group: unfreeze a new layer while fine-tuning.
extra = nn.Linear(2, 2)
opt.add_param_group({"params": extra.parameters(), "lr": 0.5})
print(len(opt.param_groups), opt.param_groups[2]["lr"], opt.param_groups[2]["momentum"],
      opt.param_groups[2]["nesterov"])
try:
    opt.add_param_group({"params": model.head.weight})
except Exception as e:
    print(type(e).__name__, e)
try:
    opt.add_param_group({"params": [torch.randn(2)]})
except Exception as e:
    print(type(e).__name__, e)
try:
    opt.add_param_group({"params": {nn.Parameter(torch.randn(2))}})
except Exception as e:
    print(type(e).__name__, e)

# zero_grad: None by default, zeros with set_to_none=False.
opt.zero_grad()
print(model.base.weight.grad)
F.cross_entropy(model(x), y).backward()
opt.zero_grad(set_to_none=False)
print(model.head.bias.grad)

# Each option on a tiny quadratic, printed after a few steps.
def fit(make, steps=5, maximize=False):
    torch.manual_seed(1)
    w = torch.randn(3, requires_grad=True)
    o = make([w])
    for _ in range(steps):
        o.zero_grad()
        loss = ((w - 1.0) ** 2).sum() + 0.1 * w.abs().sum()
        if maximize:
            loss = -loss
        loss.backward()
        o.step()
    return w.detach()


print("sgd wd", fit(lambda p: torch.optim.SGD(p, lr=0.1, weight_decay=0.1)))
print("sgd nesterov", fit(lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True)))
print("sgd dampening", fit(lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.5)))
print("sgd maximize", fit(lambda p: torch.optim.SGD(p, lr=0.1, maximize=True), maximize=True))
print("adam", fit(lambda p: torch.optim.Adam(p, lr=0.1)))
print("adam amsgrad wd", fit(lambda p: torch.optim.Adam(p, lr=0.1, amsgrad=True, weight_decay=0.01)))
print("adam maximize", fit(lambda p: torch.optim.Adam(p, lr=0.1, maximize=True), maximize=True))
print("adamw", fit(lambda p: torch.optim.AdamW(p, lr=0.1, weight_decay=0.1, amsgrad=True)))
print("rmsprop", fit(lambda p: torch.optim.RMSprop(p, lr=0.01, momentum=0.5, centered=True)))
print("adagrad", fit(lambda p: torch.optim.Adagrad(p, lr=0.5, lr_decay=0.01, weight_decay=0.01)))
print("nadam", fit(lambda p: torch.optim.NAdam(p, lr=0.1, decoupled_weight_decay=True, weight_decay=0.1)))
print("radam", fit(lambda p: torch.optim.RAdam(p, lr=0.1), steps=8))
print("adamax", fit(lambda p: torch.optim.Adamax(p, lr=0.1)))
print("adadelta", fit(lambda p: torch.optim.Adadelta(p, lr=1.0)))
print("rprop", fit(lambda p: torch.optim.Rprop(p, lr=0.05)))
print("asgd", fit(lambda p: torch.optim.ASGD(p, lr=0.1, t0=2)))

w = torch.randn(3, requires_grad=True)
adam = torch.optim.Adam([w], lr=0.1, amsgrad=True, betas=(0.8, 0.99))
(w ** 2).sum().backward()
adam.step()
st = adam.state_dict()
print(sorted(st["state"][0].keys()), st["state"][0]["step"])
print({k: v for k, v in sorted(st["param_groups"][0].items())})
print(adam)

# Common mistakes.
for bad in [lambda: torch.optim.SGD(model.parameters(), lr=-0.1),
            lambda: torch.optim.SGD(model.parameters(), lr=0.1, nesterov=True),
            lambda: torch.optim.SGD(model.parameters(), lr=0.1, momentum=-1),
            lambda: torch.optim.Adam(model.parameters(), betas=(1.0, 0.999)),
            lambda: torch.optim.Adam(model.parameters(), eps=-1e-8),
            lambda: torch.optim.Adam(model.parameters(), weight_decay=-1),
            lambda: torch.optim.SGD([], lr=0.1),
            lambda: torch.optim.SGD(model.base.weight, lr=0.1),
            lambda: torch.optim.Adam([{"params": model.base.parameters()}, {"params": model.base.parameters()}])]:
    try:
        bad()
        print("no error")
    except Exception as e:
        print(type(e).__name__, e)
