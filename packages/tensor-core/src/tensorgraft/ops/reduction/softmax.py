"""``softmax`` and ``log_softmax`` as ``tensorgraft.softmax`` and ``Tensor.softmax`` (``nn.functional``
declares its own ops): exponentials normalised along a dim, shifted by the maximum first."""
from __future__ import annotations

from ...grad_mode import state as _gs
from ...sparse.coo_data import SparseCOOData, dense_softmax_refusal
from ...tensor import Tensor, wrap
from .._frontend import check_tensor
from ...dtypes import dtype as _dtype
from .._args import (NOT_GIVEN, REQUIRED, arg_position, is_int, method_and_function, missing_args, spread,
                     wrap_dim, wrong_type)
from .._define import defop
from ._shared import _type_name
from tensorgraft.dtypes import np_kind as _np_kind


# =========================================================================== softmax / log_softmax
def _softmax_kernel(xp, a, axis, log):
    m = xp.amax(a, axis=axis, keepdims=True) if a.size else a
    # a row of -inf keeps its shift at 0 (its softmax is then 0/0, NaN, as PyTorch's); a +inf or NaN
    # maximum stays, so the whole row is NaN as in PyTorch
    m = xp.where(m == -xp.inf, xp.zeros((), a.dtype), m)
    z = a - m
    if a.ndim == 0:  # (a 0-d input's exp and sum are NumPy scalars: no in-place ops)
        e = xp.exp(z)
        s = xp.sum(e, axis=axis, keepdims=True)
        return z - xp.log(s) if log else e * xp.reciprocal(s)
    # written in place where the out-of-place spelling made a new array a step: the same
    # operations in the same order, so the same values, with fewer large temporaries
    if log:
        z -= xp.log(xp.sum(xp.exp(z), axis=axis, keepdims=True))
        return z
    e = xp.exp(z, out=z)
    s = xp.sum(e, axis=axis, keepdims=True)
    if axis is None or axis == a.ndim - 1:
        # PyTorch's last-dim kernel scales by the sum's reciprocal, its other-dim kernel divides
        # (seen from its results): doing the same keeps more results bit-equal to PyTorch's
        e *= xp.reciprocal(s)
    else:
        e /= s
    return e


def _softmax_frontend(op, log):
    table = op.table
    name = "log_softmax" if log else "softmax"

    def build(method):
        def softmax(input, *args, dim=REQUIRED, dtype=NOT_GIVEN, _stacklevel=3):
            check_tensor(input, name)  # (the tensor is the parser's first argument)
            if args:
                dim, dtype = spread(name, args, ("dim", "dtype"), [NOT_GIVEN if dim is REQUIRED else dim, dtype])
                if dim is NOT_GIVEN:
                    dim = REQUIRED
            if dtype is NOT_GIVEN:
                dtype = None
            elif dtype is not None and not isinstance(dtype, _dtype):
                # positions as PyTorch's parser counts them (the method's without self)
                raise wrong_type(name, "dtype", "torch.dtype", dtype, arg_position(1, len(args), method))
            check_tensor(input, name)
            if dim is REQUIRED:
                raise missing_args(name, "dim")
            if dim.__class__ is not int and not is_int(dim):  # (a 0-d input's dim too)
                raise wrong_type(name, "dim", "int", dim, arg_position(0, len(args), method))
            return _softmax(input, dim, dtype)
        softmax.__name__ = softmax.__qualname__ = name
        return softmax

    def _softmax(input, dim, dtype):
        src = input if dtype is None else input.to(dtype)
        a = src._data
        axis = wrap_dim(dim, a.ndim) if a.ndim else None
        if a.__class__ is SparseCOOData:
            raise dense_softmax_refusal(log)
        if _np_kind(a.dtype) != "f":
            if a.size == 0:  # (PyTorch returns an empty input before choosing a kernel)
                return wrap(a.copy(), input._device)
            # PyTorch has a kernel for the last dim and one for any other; neither for integers
            # nor for complex numbers
            kernel = "lastdim_kernel_impl" if axis is None or axis == a.ndim - 1 else "kernel_impl"
            raise NotImplementedError(f"\"{name}_{kernel}\" not implemented for '{_type_name(a.dtype)}'")
        if not a.flags.c_contiguous:  # ATen's kernel reads input.contiguous(): a row-major result
            a = a.copy()
        out = wrap(table[input._device.type](a, axis, log), input._device)
        if src._requires_grad and _gs.enabled:
            Tensor._autograd.record(op, out, (src,), {"dim": axis})
        return out
    return method_and_function(op, build)


defop("softmax", kernel=lambda xp, a, axis, log: _softmax_kernel(xp, a, axis, log),
      frontend=lambda op: _softmax_frontend(op, False))
defop("log_softmax", kernel=lambda xp, a, axis, log: _softmax_kernel(xp, a, axis, log),
      frontend=lambda op: _softmax_frontend(op, True), node="LogSoftmaxBackward0")
