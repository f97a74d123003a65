"""``tensorgraft.autograd.Variable``: the pre-0.4 PyTorch wrapper, kept (as PyTorch keeps it) so
old code runs. ``Variable(t)`` returns a Tensor and every Tensor is an instance of ``Variable``."""
from __future__ import annotations

from tensorgraft.tensor import Tensor

__all__ = ["VariableMeta", "Variable"]


class VariableMeta(type):
    def __instancecheck__(cls, other):
        return isinstance(other, Tensor)


class Variable(metaclass=VariableMeta):
    """``Variable(data, requires_grad=False, volatile=False)``: a new Tensor sharing ``data``'s
    storage, detached from its history (PyTorch's legacy constructor); ``Variable()`` is empty."""

    def __new__(cls, data=None, requires_grad=False, volatile=False):
        if data is None:
            from tensorgraft.ops.creation import empty
            return empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        if volatile:
            import warnings
            warnings.warn("volatile was removed and now has no effect. Use `with torch.no_grad():` instead.",
                          UserWarning, stacklevel=2)
        out = data.detach()
        if requires_grad:
            out.requires_grad_(True)
        return out


class _ExecutionEngine:
    """``Variable._execution_engine``: the handle PyTorch code reaches the engine through;
    ``queue_callback(fn)`` runs ``fn`` once the running backward pass has finished."""

    @staticmethod
    def queue_callback(callback) -> None:
        from .engine import queue_callback
        queue_callback(callback)


Variable._execution_engine = _ExecutionEngine()
