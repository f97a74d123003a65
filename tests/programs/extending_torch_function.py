"""Extending torch with __torch_function__, as the 'Extending PyTorch' notes do: a tensor-like
ScalarTensor that handles torch.mean/torch.add, a Tensor subclass that logs the functions it
meets and keeps its type through ops and autograd, a subclass carrying metadata, subclass
precedence, NotImplemented errors, and the torch.overrides helpers."""
# needs: autograd
import functools

import tensorgraft as torch
from tensorgraft.overrides import has_torch_function, handle_torch_function

HANDLED_FUNCTIONS = {}


class ScalarTensor(object):
    def __init__(self, N, value):
        self._N = N
        self._value = value

    def __repr__(self):
        return "ScalarTensor(N={}, value={})".format(self._N, self._value)

    def tensor(self):
        return self._value * torch.eye(self._N)

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if kwargs is None:
            kwargs = {}
        if func not in HANDLED_FUNCTIONS or not all(issubclass(t, (torch.Tensor, ScalarTensor)) for t in types):
            return NotImplemented
        return HANDLED_FUNCTIONS[func](*args, **kwargs)


def implements(torch_function):
    """Register a torch function override for ScalarTensor"""
    def decorator(func):
        functools.update_wrapper(func, torch_function)
        HANDLED_FUNCTIONS[torch_function] = func
        return func
    return decorator


@implements(torch.mean)
def mean(input):
    return float(input._value) / input._N


@implements(torch.add)
def add(input, other):
    try:
        if input._N == other._N:
            return ScalarTensor(input._N, input._value + other._value)
        else:
            raise ValueError("Shape mismatch!")
    except AttributeError:
        return torch.add(input.tensor(), other)


d = ScalarTensor(5, 2)
print(d)
print(torch.mean(d))
s = ScalarTensor(2, 2)
print(torch.add(s, s))
t = torch.tensor([[1, 1, ], [1, 1]])
print(torch.add(s, t))
try:
    torch.mul(s, 3)
except TypeError as e:
    print("TypeError:", str(e).splitlines()[0])


class LoggingTensor(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if func is not torch.Tensor.__repr__:
            print(f"func: {func.__name__}, args: {[type(a).__name__ for a in args]}")
        if kwargs is None:
            kwargs = {}
        return super().__torch_function__(func, types, args, kwargs)


torch.manual_seed(0)
x = torch.randn(2, 3).as_subclass(LoggingTensor)
y = x * 2 + 1
print(type(y).__name__)
z = torch.relu(y).sum(dim=1)
print(z)
print(x.shape, x.dtype)
v, i = torch.max(x, dim=1)
print(type(v).__name__, type(i).__name__)
parts = torch.split(x, 1)
print([type(p).__name__ for p in parts])
print(torch.cat([x, torch.ones(1, 3)]).shape)

w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
lw = w.as_subclass(LoggingTensor)
loss = (lw * lw).sum()
print(loss.grad_fn)
loss.backward()
print(w.grad)


class TaggedTensor(torch.Tensor):
    """A subclass that carries a tag through every op."""

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        tags = [a.tag for a in args if isinstance(a, TaggedTensor) and hasattr(a, "tag")]
        out = super().__torch_function__(func, types, args, kwargs)
        if isinstance(out, TaggedTensor) and tags:
            out.tag = "+".join(tags)
        return out


a = torch.ones(2).as_subclass(TaggedTensor)
a.tag = "a"
b = torch.full((2,), 2.0).as_subclass(TaggedTensor)
b.tag = "b"
c = a + b
print(type(c).__name__, c.tag, c)
print((c * 3).tag, torch.exp(a).tag)


class Base(torch.Tensor):
    pass


class Derived(Base):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        print("Derived sees", [t.__name__ for t in types])
        return super().__torch_function__(func, types, args, kwargs)


r = torch.add(torch.ones(1).as_subclass(Base), torch.ones(1).as_subclass(Derived))
print(type(r).__name__)


class Refuse(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        return NotImplemented


q = torch.ones(2).as_subclass(Refuse)
for fn in (lambda: torch.add(q, 1), lambda: q.sum(), lambda: q + 1):
    try:
        fn()
    except TypeError as e:
        print("TypeError:", str(e).splitlines()[0])

with torch._C.DisableTorchFunctionSubclass():
    print(type(q + 1).__name__, (q + 1))


def my_func(t, scale=2.0):
    if has_torch_function((t,)):
        return handle_torch_function(my_func, (t,), t, scale=scale)
    return t * scale


class Handles(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if func is my_func:
            return "handled my_func with scale " + str(kwargs["scale"])
        return super().__torch_function__(func, types, args, kwargs)


print(my_func(torch.ones(2)))
print(my_func(torch.ones(2).as_subclass(Handles), scale=3.0))
print(torch.overrides.is_tensor_like(d), torch.overrides.is_tensor_like(x), torch.overrides.is_tensor_like(1))
print(has_torch_function((torch.ones(1),)), has_torch_function((x,)))
