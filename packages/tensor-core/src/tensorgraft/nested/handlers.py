"""The table ``dispatch`` (``ops.py``) looks handlers up in, by the op's short name, and the
helpers the handlers of every op family share (argument access, layout tests, PyTorch's refusals)."""
from __future__ import annotations

from ..memory_layout import jagged
from ..tensor import Size, _size, _wrap_dim
from .nested_tensor import NestedTensor, nested_dim, nested_shape


HANDLERS: dict = {}


def _register(*names):
    def deco(fn):
        for n in names:
            HANDLERS[n] = fn
        return fn
    return deco


def _refuse(name):
    return NotImplementedError(f"{name}: nested tensors do not support this op in tensorgraft")


def _no_kernel(aten: str):
    # PyTorch's dispatcher error for an op the strided layout has no kernel for (its list of the
    # backends that do have one is left out)
    return NotImplementedError(
        f"Could not run 'aten::{aten}' with arguments from the 'NestedTensorCPU' backend. This could be because the "
        "operator doesn't exist for this backend, or was omitted during the selective/custom build process (if "
        "using custom build). If you are a Facebook employee using PyTorch on mobile, please visit "
        "https://fburl.com/ptmfixes for possible resolutions.")


def _layout(nt):
    return nt.__dict__["_nlayout"]


def _is_jagged(x) -> bool:
    return isinstance(x, NestedTensor) and x.__dict__["_nlayout"] is jagged


def _size_text(nt) -> str:
    """A jagged tensor's ``_size`` as PyTorch's messages print it: ``(2, j1, 3)``."""
    shape = nested_shape(nt)
    return "(" + ", ".join(repr(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _shape_text(x) -> str:
    """``x.shape`` as PyTorch's messages print it: ``torch.Size([2, j1, 3])``."""
    if isinstance(x, NestedTensor):
        return repr(_size(nested_shape(x)))
    return repr(Size(x._data.shape))


def _arg(args, kwargs, pos, name, default=None):
    if len(args) > pos:
        return args[pos]
    return kwargs.get(name, default)


def _replace_arg(args, kwargs, pos, name, value):
    if len(args) > pos:
        args = list(args)
        args[pos] = value
        return tuple(args), kwargs
    kwargs = dict(kwargs)
    kwargs[name] = value
    return args, kwargs


def _norm_dim(d, ndim):
    import operator
    return _wrap_dim(operator.index(d), ndim)


def _raggedness_matches(a, b) -> bool:
    """PyTorch's ``raggedness_matches``: the same dims up to and including the ragged one (the same
    ``j`` symbol there), and the same number of dims."""
    if not _is_jagged(b) or a.__dict__["_ragged_idx"] != b.__dict__["_ragged_idx"] or nested_dim(a) != nested_dim(b):
        return False
    end = a.__dict__["_ragged_idx"] + 1
    return nested_shape(a)[:end] == nested_shape(b)[:end]


def _require_contiguous_jagged(nt, schema: str, arg: str = "self"):
    """PyTorch's schema check for its jagged ops declared on ``jt``: no holes, ragged dim 1."""
    if nt.__dict__["_lengths"] is not None or nt.__dict__["_ragged_idx"] != 1:
        raise ValueError(f"NestedTensor {schema}: expected {arg} to be a contiguous jagged layout NestedTensor")


def _long_tensor_text(values) -> str:
    """A 1-d int64 tensor as PyTorch's C++ prints it into its messages."""
    width = max(len(str(v)) for v in values)
    return "".join(f" {str(v).rjust(width)}\n" for v in values) + f"[ torch.LongTensor{{{len(values)}}} ]"


_DIM0 = ("{op}(): For nested tensors, {ing} dimension 0 is not supported at the moment if you need this feature, "
         "please open an issue on github describing your use case.")
