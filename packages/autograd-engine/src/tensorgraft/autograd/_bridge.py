"""The object core calls into (``Tensor._autograd``): recording, in-place support, backward."""
from .engine import record, record_multi, rebase, register_post_accumulate_hook, snapshot  # noqa: F401
from .engine import register_tensor_hook as _register_tensor_hook


def register_tensor_hook(t, hook):
    return _register_tensor_hook(t, hook)


def backward(tensor, gradient, retain_graph, create_graph, inputs=None):
    from . import backward as _backward
    _backward(tensor, gradient, retain_graph, create_graph, inputs=inputs)


def retain_grad(t):
    from .engine import retain_grad as _rg
    _rg(t)
