"""``Tensor.unfold``: sliding windows along one dim, as a strided view of the tensor's memory.

The windows overlap when ``step < size``, so the gradient (PyTorch's ``UnfoldBackward0``) adds
every window's gradient back into the positions it covers; that scatter is an op of its own
(``_unfold_backward``) whose gradient is ``unfold`` again, so higher orders work.
"""
from __future__ import annotations

from ..grad_mode import state as _gs
from ..memory_layout import strided_view
from ..tensor import Tensor, wrap_view
from . import _frontend as F
from ._args import wrap_dim
from ._define import defop, gradient_scatter
from .shape import _int_arg


def _unfold_kernel(xp, a, d, size, step):
    if a.ndim == 0:
        return a.reshape(1)
    count = (a.shape[d] - size) // step + 1
    shape = a.shape[:d] + (count,) + a.shape[d + 1:] + (size,)
    strides = a.strides[:d] + (a.strides[d] * step,) + a.strides[d + 1:] + (a.strides[d],)
    return strided_view(xp, a, shape, strides)


def _unfold_frontend(op):
    table = op.table

    def unfold(input, dimension, size, step):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("unfold", "input", 1, input)
        a = input._data
        d = wrap_dim(dimension, a.ndim)
        size = _int_arg(size, "unfold", "size")
        step = _int_arg(step, "unfold", "step")
        n = a.shape[d] if a.ndim else 1
        if size > n:
            raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
        if size < 0:
            raise RuntimeError(f"size is {size} but must be >= 0")
        if step <= 0:
            raise RuntimeError(f"step is {step} but must be > 0")
        out = wrap_view(table[input._device.type](a, d, size, step), input)
        if input._requires_grad and _gs.enabled:
            Tensor._autograd.record(op, out, (input,), {"dim": d, "size": size, "step": step, "shape": a.shape})
        return out
    return unfold


def _unfold_backward_kernel(xp, g, shape, d, size, step):
    if not shape:
        return g.reshape(())
    out = xp.zeros(shape, dtype=g.dtype)
    count = g.shape[d]
    lead = (slice(None),) * d
    for j in range(size):  # windows' j-th elements never collide with each other (step >= 1)
        out[lead + (slice(j, j + step * (count - 1) + 1, step),)] += g[..., j]
    return out


# unfold_backward(grad, shape, dim, size, step)
unfold_backward = gradient_scatter("_unfold_backward", _unfold_backward_kernel, (None, "dim", "size", "step"))


def _unfold_samples(dtype, device):
    from ..testing import make_tensor
    x = make_tensor((3, 5), dtype=dtype, device=device, seed=120)
    return [((x, 1, 2, 1), {}), ((x, 1, 2, 2), {}), ((x, 0, 3, 1), {}), ((x, -1, 5, 3), {})]


def _np_unfold(a, d, size, step):
    import numpy as np
    d %= max(a.ndim, 1)
    w = np.lib.stride_tricks.sliding_window_view(a, size, axis=d)
    return np.take(w, range(0, w.shape[d], step), axis=d)


# ``method`` only: ``torch.unfold`` does not exist (``nn.functional.unfold`` is im2col)
defop("unfold", kernel=_unfold_kernel, frontend=_unfold_frontend, public=False, samples=_unfold_samples,
      reference=_np_unfold)
