"""The half types on the CPU: bfloat16 (an ``ml_dtypes.bfloat16`` array) and float16, computed in float32.

PyTorch's CPU kernels load bfloat16 and float16 values into float32 registers, compute there and
round the result once (reductions accumulate in float32 too). NumPy cannot do that by itself: each
*ufunc* has a half loop that does exactly this per element (NumPy's own for float16, ml_dtypes'
for bfloat16), but a kernel made of several NumPy calls would round after every step (``gelu``,
``softmax``, ``rsqrt`` one float16 step off PyTorch's), and ``add.reduce`` would accumulate in the
half type (100000 bfloat16 ones sum to 256). So every kernel that is more than one ufunc runs on
float32 copies of its half operands and its float32 result is rounded back (``float32_compute``);
the registry applies that wrapper when it binds a CPU kernel (``registry.OpDef.bind_kernel``), so
an op needs nothing of its own. Single-ufunc ops (``xp_attr``) and ops that declare
``bf16_native=True`` (conversions, the hot reductions with their own float32 accumulation) are
left unwrapped.
"""
from __future__ import annotations

import numpy as np

from ..dtypes import BF16
from .float16_casts import from_float16, to_float16

# Ops that only move or select values (no arithmetic): exact on bfloat16 arrays as they are, so the
# registry leaves their kernels unwrapped (no float32 copy, and nothing added to the hottest calls)
MOVES_VALUES_ONLY = frozenset({
    "t", "transpose", "permute", "view", "reshape", "__getitem__", "expand", "squeeze", "unsqueeze", "contiguous",
    "clone", "cat", "stack", "flip", "roll", "index_select", "gather", "take", "diagonal", "unfold", "tril", "triu",
    "repeat", "as_strided", "swapaxes", "swapdims", "concat", "concatenate", "rot90"})

F32 = np.dtype(np.float32)
F16 = np.dtype(np.float16)
_ndarray = np.ndarray


def widen(a):
    """``a`` as float32 if it is a bfloat16 array (exact), else ``a`` itself."""
    return a.astype(F32) if a.__class__ is _ndarray and a.dtype is BF16 else a


def widen_half(a):
    """``a`` as float32 if it is a NumPy array of either half type (exact), else ``a`` itself: for
    backward formulas that accumulate in float32 and round once, as ATen's (NumPy's own float16
    arithmetic also converts every element on every step, several times slower than float32's)."""
    if a.__class__ is not _ndarray:
        return a
    if a.dtype is F16:
        return from_float16(a)
    return a.astype(F32) if a.dtype is BF16 else a


def narrow(r, half=BF16):
    """A float32 result rounded to the half type ``half`` (round to nearest even, as PyTorch);
    other results (indices, masks, tuples of them) pass through."""
    if r.__class__ is _ndarray:
        if r.dtype != F32:
            return r
        return to_float16(r) if half is F16 else r.astype(half)
    if isinstance(r, tuple):
        return tuple(narrow(x, half) for x in r)
    if isinstance(r, list):
        return [narrow(x, half) for x in r]
    if isinstance(r, np.float32):
        return np.asarray(r, dtype=half)
    return r


def _widen_arg(a, half):
    if a.__class__ is _ndarray:
        if a.dtype is not half:
            return a
        return from_float16(a) if half is F16 else a.astype(F32)
    if a is half:
        return F32  # a dtype argument naming the computation dtype
    if a.__class__ is half.type:
        return np.float32(a)
    if isinstance(a, (tuple, list)) and a and any(x.__class__ is _ndarray and x.dtype is half for x in a):
        # cat/stack take a sequence of arrays
        return type(a)(x.astype(F32) if x.__class__ is _ndarray and x.dtype is half else x for x in a)
    return a


def _names_other_dtype(args, kwargs, half) -> bool:
    """Whether the call names a result dtype other than the half type (``sum(x, dtype=float32)``):
    then the float32 result is what was asked for and must not be rounded."""
    for a in (*args, *kwargs.values()):
        if isinstance(a, np.dtype) and a is not half:
            return True
    return False


def float32_compute(kernel):
    """``kernel`` made to compute half-type (bfloat16, float16) operands in float32 and round its
    result once. Other dtypes reach ``kernel`` directly, after one scan of the positional arguments."""
    def run(*args, **kwargs):
        # the common case (no half operand) costs this loop of class tests and one call
        for a in args:
            c = a.__class__
            if c is _ndarray:
                half = a.dtype
                if half is BF16 or half is F16:
                    break
            elif (c is tuple or c is list) and (half := _half_in(a)) is not None:
                break
        else:
            return kernel(*args, **kwargs)
        wide_args = tuple(_widen_arg(a, half) for a in args)
        wide_kwargs = {k: _widen_arg(v, half) for k, v in kwargs.items()}
        result = kernel(*wide_args, **wide_kwargs)
        if _views_a_copy(result, wide_args, args):
            # a view kernel (transpose, slicing, reshape, a no-op ``contiguous``) saw the float32 copy;
            # on the half array itself it is exact and keeps sharing the tensor's memory
            return kernel(*args, **kwargs)
        return result if _names_other_dtype(args, kwargs, half) else narrow(result, half)
    run.__wrapped__ = kernel
    run.__name__ = getattr(kernel, "__name__", "kernel")
    return run


def _views_a_copy(result, wide_args, args) -> bool:
    """Whether ``result`` (or an array in it) shares memory with a float32 copy made for the call."""
    copies = [w for w, a in zip(wide_args, args) if w is not a and w.__class__ is _ndarray]
    if not copies:
        return False
    # the op's result is the first array (a kernel may hand back its widened input as a saved
    # extra, cross_entropy's log-probabilities; a list of views is views throughout)
    outs = result[:1] if isinstance(result, (tuple, list)) else (result,)
    for r in outs:
        if r.__class__ is _ndarray and r.size:
            base = r.base if r.base is not None else r
            for w in copies:
                if base is w or r is w or np.may_share_memory(r, w):
                    return True
    return False


def _half_in(seq):
    """The half dtype of the first half array in ``seq``, or None."""
    for x in seq:
        if x.__class__ is _ndarray and (x.dtype is BF16 or x.dtype is F16):
            return x.dtype
    return None
