"""torch.utils.hooks in user code: the RemovableHandle every register_*hook returns (remove(), the
`with handle:` form, ids, the extra dicts it cleans up, pickling), a user's own hook registry built
on RemovableHandle as PyTorch's modules build theirs, unserializable_hook and warn_if_has_hooks,
and tensor / grad_fn hooks removed through their handles."""
# needs: nn
import collections
import pickle
import re
import warnings

import tensorgraft as torch
import tensorgraft.nn as nn
from tensorgraft.utils.hooks import RemovableHandle, unserializable_hook, warn_if_has_hooks

torch.manual_seed(0)


class Trainer:
    """A training loop object with its own callback hooks, the way nn.Module keeps its hooks."""

    def __init__(self):
        self._callbacks = collections.OrderedDict()
        self._with_state = collections.OrderedDict()

    def register_callback(self, fn, *, with_state=False):
        handle = RemovableHandle(self._callbacks, extra_dict=self._with_state)
        self._callbacks[handle.id] = fn
        if with_state:
            self._with_state[handle.id] = True
        return handle

    def step(self, loss):
        for hid, fn in list(self._callbacks.items()):
            fn(loss, {"hook": "state"}) if hid in self._with_state else fn(loss)


trainer = Trainer()
h1 = trainer.register_callback(lambda loss: print(f"  callback 1: loss={loss:.4f}"))
h2 = trainer.register_callback(lambda loss, state: print(f"  callback 2: loss={loss:.4f} {state}"), with_state=True)
print(h1)
print("ids consecutive:", h2.id == h1.id + 1, "| extra dicts:", len(h2.extra_dict_ref))
trainer.step(0.5)
h2.remove()
print("after remove:", len(trainer._callbacks), len(trainer._with_state))
trainer.step(0.25)
h2.remove()  # removing twice is harmless
with trainer.register_callback(lambda loss: print(f"  temporary: loss={loss:.4f}")):
    trainer.step(0.125)
trainer.step(0.0625)

state = h1.__getstate__()
print("state:", type(state).__name__, len(state), state[1] == h1.id, state[2])
registry = collections.OrderedDict()
named = RemovableHandle(registry)
registry[named.id] = "log_loss"  # hooks saved by name can be pickled with their handle
restored = pickle.loads(pickle.dumps(named))
print("unpickled id:", restored.id == named.id, "| its dict:", restored.hooks_dict_ref())
fresh = RemovableHandle(registry)
print("next id after unpickling:", fresh.id == named.id + 1)

try:
    RemovableHandle({})
except Exception as e:
    print(type(e).__name__, e)
try:
    RemovableHandle(trainer._callbacks, trainer._with_state)
except Exception as e:
    print(type(e).__name__, e)

# tensor and grad_fn hooks
x = torch.randn(3, requires_grad=True)
y = (x * 2).sum()
seen = []
th = x.register_hook(lambda g: seen.append(("x", g.clone())))
nh = y.grad_fn.register_hook(lambda grad_inputs, grad_outputs: seen.append(("node", len(grad_inputs))))
ph = y.grad_fn.register_prehook(lambda grad_outputs: seen.append(("pre", grad_outputs[0].item())))
print(type(th).__name__, type(th) is RemovableHandle, type(nh) is RemovableHandle, type(ph) is RemovableHandle)
print("one counter:", nh.id == th.id + 1, ph.id == th.id + 2)
y.backward(retain_graph=True)
print(seen)
for h in (th, nh, ph):
    h.remove()
seen.clear()
x.grad = None
y.backward()
print("after removal:", seen, x.grad)

with x.register_hook(lambda g: g * 10):
    (x * 1).sum().backward()
print("inside with:", x.grad)
x.grad = None
(x * 1).sum().backward()
print("after with:", x.grad)


def log_grad(grad):
    return grad


@unserializable_hook
def clip_grad(grad):
    return grad.clamp(-1, 1)


print("marked:", clip_grad.__torch_unserializable__, hasattr(log_grad, "__torch_unserializable__"))
w = torch.randn(2, requires_grad=True)
w.register_hook(log_grad)
w.register_hook(clip_grad)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    warn_if_has_hooks(w)
    warn_if_has_hooks(torch.ones(2))
for warning in caught:
    print(warning.category.__name__, re.sub(r" at 0x[0-9a-f]+", "", str(warning.message)))

# module hooks: removal through the handle
model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 1))
shapes = []
handles = [m.register_forward_hook(lambda mod, inp, out: shapes.append((type(mod).__name__, tuple(out.shape))))
           for m in model]
out = model(torch.randn(2, 4))
print(shapes)
for h in handles:
    h.remove()
shapes.clear()
model(torch.randn(2, 4))
print("after removal:", shapes)
