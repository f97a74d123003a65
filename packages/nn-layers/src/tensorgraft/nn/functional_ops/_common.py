"""Shared plumbing of nn's fused ops: declaration helpers and the registries the plugin hands over.

Each op is a module-level function (the frontend) that unwraps tensors, runs the op's kernel for
the tensor's device (``OP.table[device.type]``), wraps the result and records a node only when grad
mode is on and an input requires grad. Its formula lives next to it.
"""
from __future__ import annotations

from tensorgraft.grad_mode import state as gs  # noqa: F401
from tensorgraft.registry import OpDef
from tensorgraft.tensor import Tensor, wrap  # noqa: F401
from tensorgraft.argument_errors import not_a_tensor
from tensorgraft.ops._args import check_tensor_args  # noqa: F401  (the functional modules use it from here)

NN_OPS: list = []
NN_FORMULAS: dict = {}


def nnop(name, kernel, frontend, *, node=None, differentiable=True, **extra) -> OpDef:
    """Declare ``nn.<name>``; ``frontend`` is the ready function (the factory just returns it).
    ``extra`` as for core ops (``ops/_define.defop``): ``nondiff_inputs`` names the recorded inputs
    PyTorch gives no edge (targets, indices)."""
    if node:
        extra["node"] = node
    op = OpDef(name="nn." + name, kernel=kernel, make_frontend=lambda op, f=frontend: f, method=None,
               differentiable=differentiable, public=True, extra=extra)
    NN_OPS.append(op)
    return op


def formula(name, saves=None, saves_output=False, batched=None):
    """Declare the backward of ``nn.<name>``. ``batched`` as core's ``formulas.formula``: True where
    the formula already works on gradients with a leading batch dimension (``grad(...,
    is_grads_batched=True)``, jacrev/jacfwd: ``autograd/batched_backward.py``), else a batched
    formula of its own can be declared with ``batched_of``; undeclared, the node runs once per
    batch entry (slower, always right)."""
    def deco(fn):
        fn.saves = saves
        fn.saves_output = saves_output
        if batched is not None:
            fn.batched = batched
        NN_FORMULAS["nn." + name] = fn
        return fn
    return deco


def batched_of(fn):
    """Declare the decorated function the batched form of the formula ``fn``: called as
    ``batched(node, g)`` with ``g`` of shape (batch, *output shape), it returns gradients of shape
    (batch, *broadcast input shape) (the engine sums broadcast dims after the batch dim away), or
    None to have this node run once per batch entry (what it should do whenever in doubt)."""
    def deco(batched):
        fn.batched = batched
        return batched
    return deco


def record(op, out, inputs, attrs, node_name=None):
    Tensor._autograd.record(op, out, inputs, attrs, node_name=node_name)


def needs(*ts) -> bool:
    if not gs.enabled:
        return False
    for t in ts:
        if t is not None and t._requires_grad:
            return True
    return False


# Unbatched inputs ((C, *spatial)) go through the pooling kernels with a batch of one added to the
# arrays, not to the tensors: the nodes then sit right on the input, as PyTorch's do.
def batched(a, spatial: int):
    return a[None] if a.ndim == spatial + 1 else a


def unbatched(a, ndim: int, spatial: int):
    """Undo ``batched`` for an input that had ``ndim`` dimensions."""
    return a[0] if ndim == spatial + 1 else a


def batched_shape(shape, spatial: int):
    return (1,) + tuple(shape) if len(shape) == spatial + 1 else tuple(shape)


def check_tensor(x, fname, argname="input", pos=1):
    if not isinstance(x, Tensor):
        raise not_a_tensor(fname, argname, pos, x)


def xp_of(t):
    from tensorgraft.device import get_backend
    return get_backend(t._device).xp


def same_device(fname, *ts):
    dev = None
    first = None
    for t in ts:
        if t is None:
            continue
        if dev is None:
            dev, first = t._device, t
        elif t._device is not dev:
            raise RuntimeError(
                f"Expected all tensors to be on the same device, but found at least two devices, {first.device} "
                f"and {t.device}! (when checking argument for {fname})")
    return dev


def refuse_grad(fname, argname, t):
    """PyTorch's kernels of some losses have no derivative for a weight: a weight that requires grad
    (with grad mode on) is refused up front rather than silently getting no gradient."""
    if t is not None and gs.enabled and t._requires_grad:
        raise RuntimeError(f"The function '{fname}' is not differentiable with respect to argument '{argname}'. "
                           "This input cannot have requires_grad True.")


def conj_factor(t):
    """The conjugate of a complex factor of a product (each gradient of a bilinear op takes the
    other factor's conjugate, PyTorch's convention); a real one, tensor or array, as it is."""
    if isinstance(t, Tensor):
        return t.conj() if t.is_complex() else t
    return t.conj() if t.dtype.kind == "c" else t
