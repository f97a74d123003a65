"""``nn.Parameter``: a Tensor that a Module registers as a learnable weight."""
from __future__ import annotations

from tensorgraft.tensor import Tensor, wrap


class Parameter(Tensor):
    """A leaf tensor that requires grad by default and shares memory with ``data``."""

    __slots__ = ()

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            from tensorgraft.ops.creation import empty
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter(): argument 'data' must be Tensor, not {type(data).__name__}")
        p = wrap(data._data, data._device, cls=cls)
        p._vc = data._vc
        if requires_grad:
            p.requires_grad_(True)
        return p

    def __init__(self, data=None, requires_grad=True):
        pass

    def __repr__(self):
        return "Parameter containing:\n" + Tensor.__repr__(self)

    __str__ = __repr__

    def __reduce_ex__(self, proto):
        return (_rebuild_parameter, (self.detach().clone(), self._requires_grad))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        from tensorgraft.grad_mode import no_grad
        with no_grad():
            p = Parameter(wrap(self._data.copy(), self._device), self._requires_grad)
        memo[id(self)] = p
        return p


def _rebuild_parameter(data, requires_grad):
    return Parameter(data, requires_grad)


class Buffer:
    """``nn.Buffer(tensor, persistent=True)``: marks a tensor to register as a buffer on assignment."""

    def __init__(self, data, *, persistent=True):
        self.data = data
        self.persistent = persistent


def is_lazy(p):
    return False
