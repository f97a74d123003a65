"""What the reduction families share: the input and accumulation dtypes of sum-like ops, the
"every dim" test, PyTorch's refusal of complex inputs to ordering ops, recording a result's graph
node, and the (values, indices) named-tuple types -- made here, up front, so
``tensorgraft.return_types`` lists them before any op has run. Declares no ops."""
from __future__ import annotations

import numpy as np

from ... import dtypes as _dt
from ...grad_mode import state as _gs
from ...tensor import Tensor
from .. import _frontend as F
from .._return_types import return_type
from tensorgraft.dtypes import np_kind as _np_kind


# =========================================================================== helpers
def _float_in(a):
    """Integer/bool arrays become the default float dtype (ops that always produce floats)."""
    return a if _np_kind(a.dtype) in "fc" else a.astype(_dt.get_default_dtype().np)


def _int64_acc(a, dtype):
    """Accumulation dtype of sum-like ops: ``dtype=`` if given, int64 for integers and bools."""
    if dtype is not None:
        return dtype.np
    return np.dtype(np.int64) if _np_kind(a.dtype) in "biu" else None


def _half_input(a, dtype):
    """``a`` cast to ``dtype=`` where that names a half type (float16, bfloat16): PyTorch casts the
    input first and accumulates the cast values in float32 (the half kernels' float32 computation
    does the rest), where an accumulator of the half type itself would round at every step."""
    if dtype is not None and dtype.np.char in "eE" and a.dtype != dtype.np:
        return a.astype(dtype.np)
    return a


def _all_dims(dim):
    return dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0)


def _type_name(npdtype):
    return F._type_name(npdtype)


# --------------------------------------------------------------------------- named-tuple results
# made up front, so tensorgraft.return_types lists them whether or not an op has run yet
for _n in ("max", "min", "sort", "topk", "median", "nanmedian", "mode", "kthvalue", "cummax", "cummin"):
    return_type(_n)  # (values, indices)
return_type("aminmax", ("min", "max"))


def _zero_dim_pair(dev, a):
    """(value, index 0) of a reduction along the only "dim" of a 0-d array, on its device."""
    from ...device import get_backend
    return a.copy(), get_backend(dev).xp.zeros((), np.int64)


def _record_values(op, out, input, attrs, node_name=None):
    if input._requires_grad and _gs.enabled:
        if _np_kind(out._data.dtype) in "biu":  # sum(x, dtype=torch.int64) of a tensor requiring grad
            raise RuntimeError(f"Autograd not support dtype: {_type_name(out._data.dtype)}")
        Tensor._autograd.record(op, out, (input,), attrs, node_name=node_name)


def _refuse_complex(a, kernel=None, message=None):
    """PyTorch has no complex kernel for ordering ops (max, sort, median...): NumPy orders complex
    numbers lexicographically, PyTorch refuses them, naming its kernel or in its own words."""
    if _np_kind(a.dtype) == "c":
        if message is not None:
            raise RuntimeError(message)
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_type_name(a.dtype)}'")


# --------------------------------------------------------------------------- keepdim
# PyTorch's parser takes only a Python bool for ``keepdim`` (no ``keepdim=1``, None or NumPy bool).
# Ops of one signature word it as an argument error; ops of several signatures refuse the call as
# a whole, listing them as the method (``x.var(1, keepdim=1)``, how it is usually written) lists
# them: (signature, the parser's note under it or None).
VAR_OVERLOADS = (("tuple of ints dim, bool unbiased = True, bool keepdim = False", None),
                 ("tuple of ints dim = None, *, Number correction = None, bool keepdim = False", None),
                 ("bool unbiased = True", None))
_KEYWORD_NOTE = "didn't match because some of the keywords were incorrect: keepdim"
LOGICAL_OVERLOADS = (("", None), ("tuple of ints dim = None, bool keepdim = False", _KEYWORD_NOTE),
                     ("int dim, bool keepdim = False", _KEYWORD_NOTE))
# without a dim, the parser's note falls on the signature that has no keepdim
VAR_NO_DIM_OVERLOADS = VAR_OVERLOADS[:2] + (("bool unbiased = True", _KEYWORD_NOTE),)
LOGICAL_NO_DIM_OVERLOADS = (("", _KEYWORD_NOTE),) + tuple((sig, None) for sig, _ in LOGICAL_OVERLOADS[1:])
# var_mean/std_mean are functions only: their listing starts with the tensor
VAR_MEAN_OVERLOADS = tuple((f"Tensor input, {sig}", note) for sig, note in VAR_OVERLOADS)
VAR_MEAN_NO_DIM_OVERLOADS = tuple((f"Tensor input, {sig}", note) for sig, note in VAR_NO_DIM_OVERLOADS)


def check_keepdim(fname: str, keepdim, dim=None, overloads=None, input=None) -> None:
    """Refuse a ``keepdim`` that is not a bool with PyTorch's TypeError, before anything is computed.
    ``overloads``: the op's signatures where it has several (see above); ``dim``: as given (None:
    not given), named in the "got (...)" part of that message; ``input``: the tensor, where the call
    is ``torch.<fname>(x, ...)`` and the parser lists it too."""
    if keepdim.__class__ is bool:
        return
    from .._args import invalid_combination, wrong_type
    if overloads is None:
        raise wrong_type(fname, "keepdim", "bool", keepdim)
    given = ([] if input is None else [input]) + ([] if dim is None else [dim])
    raise invalid_combination(fname, given, {"keepdim": keepdim}, overloads)


def _no_grad():
    from ...grad_mode import no_grad
    return no_grad()
