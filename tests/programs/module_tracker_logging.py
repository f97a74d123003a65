"""An activation-statistics logger built on torch.utils.module_tracker.ModuleTracker (which modules
are running, forward and backward) and torch.utils.weak.WeakTensorKeyDictionary (per-activation
records that disappear with the activations), as memory/FLOP debugging tools do."""
# needs: nn
import gc

import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.utils.module_tracker import ModuleTracker
from tensorgraft.utils.weak import WeakTensorKeyDictionary

torch.manual_seed(0)


class Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.act = nn.GELU()

    def forward(self, x):
        return x + self.act(self.fc(x))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.inp = nn.Linear(4, 6)
        self.blocks = nn.Sequential(Block(6), Block(6))
        self.head = nn.Linear(6, 2)

    def forward(self, x):
        return self.head(self.blocks(F.gelu(self.inp(x))))  # (gelu saves its input for backward)


model = Net()
x = torch.randn(5, 4, requires_grad=True)
stats = WeakTensorKeyDictionary()
log = []

with ModuleTracker() as tracker:
    print("outside:", sorted(tracker.parents), tracker.is_bw)

    def record(module, inputs, output):
        where = sorted(tracker.parents)
        stats[output] = (where[-1], f"{output.mean().item():.4f}", f"{output.std().item():.4f}")
        log.append((" > ".join(where), "bw" if tracker.is_bw else "fw"))

        def on_grad(grad, where=where):
            print("  grad", tuple(grad.shape), "in", sorted(tracker.parents), tracker.is_bw)
        output.register_hook(on_grad)

    handles = [m.register_forward_hook(record) for m in model.modules() if isinstance(m, nn.Linear)]
    out = model(x)
    print("after forward:", sorted(tracker.parents), tracker.is_bw)
    for line in log:
        print(" ", *line)
    print("activations tracked:", len(stats))
    for name, mean, std in sorted(stats.values()):
        print(f"  {name:24s} mean {mean} std {std}")
    print(out in stats, x in stats, stats.get(out)[0])
    print("backward:")
    out.pow(2).mean().backward()
    print("after backward:", sorted(tracker.parents), tracker.is_bw)
    for h in handles:
        h.remove()

print("after exit:", len(stats))
del out
gc.collect()
print("after del out:", len(stats))

# A weak dictionary keyed by tensors: identity, not value, is the key.
d = WeakTensorKeyDictionary()
a, b = torch.ones(2), torch.ones(2)
d[a] = "a"
d[b] = "b"
print(len(d), d[a], d[b], a in d, torch.ones(2) in d)
c = a.view(2)
print(c in d, d.get(c, "missing"))
del a
gc.collect()
print(len(d), list(d.values()))
d.setdefault(b, "other")
d.update({c: "view"})
print(sorted(d.values()), len(d))
del b, c
gc.collect()
print(len(d), dict(d) == {})

# ModuleTracker without a backward: the tracker only follows modules run inside it.
small = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
seen = []
with ModuleTracker() as mt:
    small.register_forward_pre_hook(lambda m, i: seen.append(sorted(mt.parents)))
    small[0].register_forward_pre_hook(lambda m, i: seen.append(sorted(mt.parents)))
    with torch.no_grad():
        small(torch.ones(1, 2))
for s in seen:
    print(s)
