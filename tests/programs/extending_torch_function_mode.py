"""TorchFunctionMode, as in the 'Extending PyTorch' notes: a mode that logs the functions a block
calls (factories, operators, methods, properties), nested modes, a mode that changes results, a
mode meeting a Tensor subclass, and the switches that turn dispatch off."""
# needs: autograd
import tensorgraft as torch
from tensorgraft.overrides import TorchFunctionMode


class FunctionLog(TorchFunctionMode):
    def __init__(self, label):
        super().__init__()
        self.label = label

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        print(f"[{self.label}] {func.__name__} types={[t.__name__ for t in types]} nargs={len(args)} "
              f"kwargs={sorted(kwargs)}")
        return func(*args, **kwargs)


torch.manual_seed(0)
with FunctionLog("log"):
    a = torch.zeros(2, 3)
    b = torch.arange(6.0).reshape(2, 3)
    c = a + b * 2
    d = c.sum(dim=0, keepdim=True)
    e = torch.where(c > 3, c, torch.zeros_like(c))
    print(c.shape, c.dtype)
    torch.manual_seed(1)
print(d, e, sep="\n")

with FunctionLog("outer"):
    with FunctionLog("inner"):
        torch.ones(1)

print(torch.overrides._get_current_function_mode())


class Double(TorchFunctionMode):
    def __torch_function__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if func is torch.mul:
            return out * 2
        return out


with Double():
    print(torch.mul(torch.ones(2), 3))
    print(torch.ones(2) * 3)
    with torch._C.DisableTorchFunction():
        print(torch.mul(torch.ones(2), 3))


class Counter(TorchFunctionMode):
    def __init__(self):
        super().__init__()
        self.counts = {}

    def __torch_function__(self, func, types, args=(), kwargs=None):
        self.counts[func.__name__] = self.counts.get(func.__name__, 0) + 1
        return func(*args, **(kwargs or {}))


w = torch.randn(3, 2, requires_grad=True)
x = torch.randn(4, 3)
with Counter() as counter:
    for _ in range(3):
        loss = (x @ w).tanh().pow(2).mean()
print(sorted(counter.counts.items()))
loss.backward()
print(w.grad.shape)


class Sub(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        print("Sub handler", func.__name__)
        return super().__torch_function__(func, types, args, kwargs)


s = torch.ones(2).as_subclass(Sub)
with FunctionLog("mode-first"):
    r = s + 1
print(type(r).__name__)
with torch._C.DisableTorchFunctionSubclass():
    with FunctionLog("subclass-off"):
        r = s + 1
print(type(r).__name__)


class Refuse(TorchFunctionMode):
    def __torch_function__(self, func, types, args=(), kwargs=None):
        return NotImplemented


try:
    with Refuse():
        torch.ones(1)
except TypeError as err:
    print("TypeError:", str(err).splitlines()[0])
print(torch.overrides._get_current_function_mode())
