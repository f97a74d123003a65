"""Module hooks as people use them to inspect and debug models: forward hooks collecting
activations (the feature-extraction recipe), forward pre-hooks that rewrite inputs, hooks with
kwargs and always_call, full backward hooks and backward pre-hooks printing gradient shapes,
tensor hooks on parameters, removing handles, and global module hooks."""
# needs: nn
import tensorgraft as torch
import tensorgraft.nn as nn

torch.manual_seed(0)

model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 2))
activations = {}


def save_activation(name):
    def hook(module, inputs, output):
        activations[name] = output.detach()
        print(f"forward {name}: {type(module).__name__} in={tuple(inputs[0].shape)} out={tuple(output.shape)} "
              f"grad_fn={type(output.grad_fn).__name__ if output.grad_fn else None}")
    return hook


handles = [m.register_forward_hook(save_activation(n)) for n, m in model.named_children()]
print(type(handles[0]).__name__)
x = torch.randn(3, 4)
y = model(x)
print(sorted(activations), activations["1"].min() >= 0, activations["2"].shape)


def pre_hook(module, args):
    print("pre", type(module).__name__, len(args), tuple(args[0].shape))
    return (args[0] * 2,)


h_pre = model[0].register_forward_pre_hook(pre_hook)
y2 = model(x)
h_pre.remove()
for h in handles:
    h.remove()
print(torch.allclose(model(x * 2), y2), torch.allclose(model(x), y))


def replace_output(module, inputs, output):
    return output * 0


h = model[2].register_forward_hook(replace_output)
print(model(x))
h.remove()


class WithKwargs(nn.Module):
    def forward(self, x, scale=1.0):
        return x * scale


wk = WithKwargs()


def kw_pre(module, args, kwargs):
    print("kw_pre", len(args), sorted(kwargs))
    kwargs["scale"] = 3.0
    return args, kwargs


def kw_post(module, args, kwargs, output):
    print("kw_post", kwargs, output)


wk.register_forward_pre_hook(kw_pre, with_kwargs=True)
wk.register_forward_hook(kw_post, with_kwargs=True)
print(wk(torch.ones(2), scale=5.0))


def backward_hook(module, grad_input, grad_output):
    print(f"backward {type(module).__name__}: grad_input={[None if g is None else tuple(g.shape) for g in grad_input]} "
          f"grad_output={[tuple(g.shape) for g in grad_output]}")


def backward_pre_hook(module, grad_output):
    print(f"backward_pre {type(module).__name__}: {grad_output[0].shape}")


bh = [m.register_full_backward_hook(backward_hook) for m in model]
bp = model[2].register_full_backward_pre_hook(backward_pre_hook)
xr = torch.randn(3, 4, requires_grad=True)
out = model(xr)
print(type(out.grad_fn).__name__, out.grad_fn.next_functions[0][0])
out.sum().backward()
print(xr.grad.shape, model[0].weight.grad.shape)
for h in bh:
    h.remove()
bp.remove()


def scale_grad(module, grad_input, grad_output):
    return (grad_input[0] * 0,)


model.zero_grad()
xr.grad = None
hz = model[1].register_full_backward_hook(scale_grad)
model(xr).sum().backward()
print(xr.grad.abs().sum(), model[0].weight.grad.abs().sum(), model[2].bias.grad)
hz.remove()

grads = []
hp = model[0].weight.register_hook(lambda g: grads.append(g.norm().item()))
model(xr).sum().backward()
print(len(grads), f"{grads[0]:.4f}")
hp.remove()

calls = []
g1 = nn.modules.module.register_module_forward_hook(lambda m, i, o: calls.append(type(m).__name__))
model(x)
g1.remove()
model(x)
print(calls)


class Fails(nn.Module):
    def forward(self, x):
        raise ValueError("bad input")


f = Fails()
f.register_forward_hook(lambda m, i, o: print("never"))
f.register_forward_hook(lambda m, i, o: print("always_call hook ran"), always_call=True)
try:
    f(torch.ones(1))
except Exception as e:
    print(type(e).__name__, e)

print(len(model[0]._forward_hooks), len(model[0]._forward_pre_hooks), len(model[0]._backward_hooks))
h = model[0].register_forward_hook(lambda m, i, o: None, prepend=True)
print(len(model[0]._forward_hooks))
h.remove()
print(len(model[0]._forward_hooks))
with h:
    pass
print(model)
