"""Two recipes. 'How to save memory by fusing the optimizer step into the backward pass':
Tensor.register_post_accumulate_grad_hook with one optimizer per parameter, each stepping and
zeroing its parameter's gradient as soon as it is accumulated, checked against the usual
loss.backward(); opt.step() loop. Then the 'Introduction to TorchScript' / torch.compile intro
run eagerly: torch.jit.trace of a small RNN-like cell with a data-dependent
gate, the module reprs PyTorch prints for them (original_name=...), calling them, tracing a
function, torch.jit.save/load through a buffer, and torch.compile of a function giving the same
numbers as the eager call."""
# needs: nn optim
import io

import tensorgraft as torch
import tensorgraft.nn as nn

torch.manual_seed(0)


def make_model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 8), nn.GELU(), nn.Linear(8, 8), nn.GELU(), nn.Linear(8, 3))


x = torch.randn(16, 6)
y = torch.randint(0, 3, (16,))
loss_fn = nn.CrossEntropyLoss()

# reference: the usual loop
model = make_model()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
ref_losses = []
for _ in range(5):
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    ref_losses.append(f"{loss.item():.4f}")
print("usual loop:", ref_losses)
ref_weight = model[0].weight.detach().clone()

# fused: one optimizer per parameter, stepping inside backward
model = make_model()
optimizer_dict = {p: torch.optim.Adam([p], lr=0.01) for p in model.parameters()}
seen = []


def optimizer_hook(parameter) -> None:
    seen.append(tuple(parameter.shape))
    optimizer_dict[parameter].step()
    optimizer_dict[parameter].zero_grad()


handles = []
for p in model.parameters():
    handles.append(p.register_post_accumulate_grad_hook(optimizer_hook))
print(len(handles), type(handles[0]).__name__)

fused_losses = []
for _ in range(5):
    loss = loss_fn(model(x), y)
    loss.backward()
    fused_losses.append(f"{loss.item():.4f}")
print("fused step:", fused_losses)
# (the order the hooks fire in differs from PyTorch: reported, so only what ran is printed)
print(len(seen), sorted(set(seen)))
print(all(p.grad is None for p in model.parameters()))
print(torch.allclose(model[0].weight, ref_weight, atol=1e-6))
print(len(optimizer_dict), [len(o.state) for o in list(optimizer_dict.values())[:2]])
print(list(optimizer_dict[model[4].bias].state_dict()["state"][0].keys()))
print(optimizer_dict[model[4].bias].state_dict()["state"][0]["step"])
for h in handles:
    h.remove()
loss = loss_fn(model(x), y)
loss.backward()
print("after remove:", model[4].bias.grad is not None, len(seen))

# the hook only exists on leaves
try:
    (model[0].weight * 2).register_post_accumulate_grad_hook(optimizer_hook)
except Exception as e:
    print(type(e).__name__, e)
t = torch.ones(2)
try:
    t.register_post_accumulate_grad_hook(optimizer_hook)
except Exception as e:
    print(type(e).__name__, e)


# ---- TorchScript / compile intro (runs eagerly here)
class MyDecisionGate(nn.Module):
    def forward(self, x):
        if x.sum() > 0:
            return x
        else:
            return -x


class MyCell(nn.Module):
    def __init__(self, dg):
        super().__init__()
        self.dg = dg
        self.linear = nn.Linear(4, 4)

    def forward(self, x, h):
        new_h = torch.tanh(self.dg(self.linear(x)) + h)
        return new_h, new_h


torch.manual_seed(0)
my_cell = MyCell(MyDecisionGate())
x, h = torch.rand(3, 4), torch.rand(3, 4)
print(my_cell)
new_h, _ = my_cell(x, h)
print(new_h)

traced_cell = torch.jit.trace(my_cell, (x, h))
print(traced_cell)
print(type(traced_cell).__name__, isinstance(traced_cell, nn.Module))
print(torch.allclose(traced_cell(x, h)[0], new_h))
print([n for n, _ in traced_cell.named_parameters()])
print(list(traced_cell.state_dict().keys()))

# (torch.jit.script needs the source file, which a program run with `python -c` has not: the
# scripted half of the tutorial is left out, tracing needs no source)
traced_gate = torch.jit.trace(MyDecisionGate(), (x,))
print(traced_gate)
print(traced_cell.original_name, traced_cell.dg.original_name, traced_cell.linear.original_name)
print(traced_cell.dg)
out, _ = traced_cell(x, h)
print(out.shape, out.grad_fn.name())
print(traced_cell.training, traced_cell.eval().training)


def add_relu(a, b):
    return torch.relu(a + b)


fn = torch.jit.trace(add_relu, (torch.tensor([-2.0, 1.0]), torch.tensor([1.0, 1.0])))
print(type(fn).__name__, fn(torch.tensor([-3.0, 1.0]), torch.tensor([1.0, 2.0])))
print(fn)

# freezing (eval mode first) and optimize_for_inference
frozen = torch.jit.freeze(torch.jit.trace(MyCell(MyDecisionGate()).eval(), (x, h)))
print(frozen)
print(type(frozen).__name__, frozen.original_name, list(frozen.state_dict().keys()))
print(frozen(x, h)[0].requires_grad)
try:
    torch.jit.freeze(torch.jit.trace(MyCell(MyDecisionGate()), (x, h)))
except Exception as e:
    print(type(e).__name__, e)
try:
    torch.jit.freeze(MyCell(MyDecisionGate()).eval())
except Exception as e:
    print(type(e).__name__, e)
fast = torch.jit.optimize_for_inference(torch.jit.trace(nn.Sequential(nn.Linear(4, 2), nn.ReLU()), (x,)))
print(fast)
print(fast(x).shape)

buf = io.BytesIO()
torch.jit.save(traced_cell, buf)
buf.seek(0)
loaded = torch.jit.load(buf)
print(type(loaded).__name__)
print(torch.allclose(loaded(x, h)[0], out))

compiled_fn = torch.compile(add_relu)
print(compiled_fn(torch.tensor([-2.0, 1.0]), torch.tensor([1.0, 1.0])))
for bad in [lambda: torch.compile(3), lambda: torch.compile(add_relu, mode="fastest")]:
    try:
        bad()
    except Exception as e:
        print(type(e).__name__, str(e).splitlines()[0])
