"""The "optimizer step in the backward pass" pattern of PyTorch's tutorial on
``register_post_accumulate_grad_hook`` (each parameter gets its own optimizer, stepped from a hook
as soon as its gradient is accumulated, so the gradients can be freed right away), plus the hook
bookkeeping users print while debugging it: which parameter's hook fires when (a layer used twice
accumulates twice before its hook fires), tensor hooks and retain_grad on activations, Node pre- and
post-hooks on grad_fn, and the graph (grad_fn and next_functions) of an expression mixing tensors
and numbers (x.fmod(2), x.clamp(0, 1), 2 - x, 2 / x, float_power), as a user explores it."""
# needs: nn optim
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F

torch.manual_seed(0)


class TinyNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.inp = nn.Linear(4, 8)
        self.mid = nn.Linear(8, 8)   # applied twice in forward
        self.out = nn.Linear(8, 3)

    def forward(self, x):
        h = F.relu(self.inp(x))
        h = torch.tanh(self.mid(h))
        h = torch.tanh(self.mid(h)) + h   # shared layer and a skip connection
        return self.out(h)


model = TinyNet()
print(model)

order = []
optimizers = {p: torch.optim.SGD([p], lr=0.1, momentum=0.9) for p in model.parameters()}
names = {p: n for n, p in model.named_parameters()}


def step_in_backward(p):
    order.append(names[p])
    optimizers[p].step()
    optimizers[p].zero_grad()


for p in model.parameters():
    p.register_post_accumulate_grad_hook(step_in_backward)

x = torch.randn(6, 4)
target = torch.randint(0, 3, (6,))
for epoch in range(3):
    order.clear()
    loss = F.cross_entropy(model(x), target)
    loss.backward()
    print(f"epoch {epoch} loss {loss.item():.4f}")
    print("  hook order:", order)
print("grads freed:", all(p.grad is None for p in model.parameters()))

# tensor hooks on activations, retain_grad, and node hooks: in which order do they fire?
events = []
a = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
b = a * 3
c = b.exp()
b.register_hook(lambda g: events.append(f"b hook {[f'{v:.4f}' for v in g.tolist()]}") or g * 2)
b.retain_grad()
c.grad_fn.register_prehook(lambda go: events.append(f"{type(c.grad_fn).__name__} prehook"))
b.grad_fn.register_hook(lambda gi, go: events.append(f"{type(b.grad_fn).__name__} hook, {len(gi)} grad_inputs"))
a.register_hook(lambda g: events.append("a hook"))
a.register_post_accumulate_grad_hook(lambda t: events.append(f"a accumulated {t.grad}"))
c.sum().backward()
for e in events:
    print(e)
print("b.grad:", b.grad)

# several leaves reaching the loss together: their hooks fire in PyTorch's order
leaves = [torch.full((2,), float(i + 1), requires_grad=True) for i in range(7)]
fired = []
for i, t in enumerate(leaves):
    t.register_post_accumulate_grad_hook(lambda t, i=i: fired.append(i))
torch.stack(leaves).pow(2).sum().backward()
print("stacked leaves:", fired)
fired.clear()
(leaves[0] * leaves[1] + leaves[2].exp() + leaves[3] * leaves[0]).sum().backward()
print("mixed graph:", fired)


# the graph of expressions with numbers in them
def show(label, t):
    fn = t.grad_fn
    edges = [type(n).__name__ if n is not None else None for n, _ in fn.next_functions]
    print(f"{label:>22}: {type(fn).__name__} -> {edges}")


w = torch.tensor([0.25, 1.5, 3.0], requires_grad=True)
show("w.fmod(2)", w.fmod(2))
show("w % 2", w % 2)
show("w.clamp(0, 1)", w.clamp(0, 1))
show("w.clamp(min=0.5)", w.clamp(min=0.5))
show("w.clamp_max(1)", w.clamp_max(1))
show("w.lerp(w.detach(), 0.3)", w.lerp(w.detach(), 0.3))
show("torch.xlogy(w, 2)", torch.xlogy(w, 2))
show("2 - w", 2 - w)
show("w - 2", w - 2)
show("2 / w", 2 / w)
show("w / 2", w / 2)
show("w ** 2", w ** 2)
show("2 ** w", 2 ** w)
show("w.float_power(2)", w.float_power(2))
show("w.copysign(-1)", w.copysign(-1))
y = (2 - w) * (2 / w) + w.clamp(0, 1)
y.sum().backward()
print("w.grad:", w.grad)
