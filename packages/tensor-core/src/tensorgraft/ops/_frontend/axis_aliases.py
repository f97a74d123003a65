"""NumPy's spellings ``axis=``/``keepdims=`` of PyTorch's ``dim=``/``keepdim=``, which PyTorch's
argument parser accepts for every op: a wrapper for bound ops and a helper for frontends that
take the NumPy names themselves. (Re-exported by the package ``__init__``, where op modules find them.)
"""
from __future__ import annotations

from inspect import Signature as _Signature  # (NumPy has imported inspect already)
from types import FunctionType as _FunctionType


# ops whose frontends read ``dim`` (and ``keepdim``) out of ``**kwargs`` with parsers of their own
# (they word PyTorch's overload errors), so their signatures do not show it
DIM_IN_KWARGS = frozenset("""
    argsort sort quantile nanquantile diff select_copy slice_copy split_copy split_with_sizes_copy squeeze_copy
    unsqueeze_copy unbind_copy
""".split())


def _parameter_names(fn) -> tuple | None:
    """The names of ``fn``'s parameters (None where they cannot be read)."""
    # read from the code object: inspect.signature on every op would cost import time (this runs
    # once per bound op while ``import tensorgraft`` runs)
    base = fn
    while getattr(base, "__signature__", None) is None and getattr(base, "__wrapped__", None) is not None:
        base = base.__wrapped__
    code = getattr(base, "__code__", None)
    declared = getattr(base, "__signature__", None)
    if base is fn and type(fn) is _FunctionType and (declared is None or type(declared) is _Signature):
        # what inspect.signature(fn) reads for a plain function: the signature it declares
        # (``with_out``'s wrappers), else its code, ``*args``/``**kwargs`` included
        if declared is not None:
            return tuple(declared.parameters)
        return code.co_varnames[:code.co_argcount + code.co_kwonlyargcount
                                + bool(code.co_flags & 0x04) + bool(code.co_flags & 0x08)]
    if declared is not None or code is None or code.co_flags & 0x0C:
        import inspect   # a wrapper with a declared signature, or *args/**kwargs: ask inspect (few ops)
        try:
            return tuple(inspect.signature(fn).parameters)
        except (TypeError, ValueError):
            return None
    return code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]


def takes_dim(fn) -> bool:
    """Whether ``fn`` has a ``dim`` or ``keepdim`` parameter (and not NumPy's names already)."""
    names = _parameter_names(fn)
    return names is not None and ("dim" in names or "keepdim" in names) and "axis" not in names


def with_axis_alias(fn, opname: str, dim_in_kwargs: bool = False):
    """``fn`` also taking NumPy's spellings ``axis=`` and ``keepdims=`` for its ``dim``/``keepdim``
    (PyTorch's argument parser accepts them for every C++-bound function). ``fn`` itself when it has
    neither, or takes the NumPy names itself (the hot reductions); ``dim_in_kwargs``: ``fn`` reads
    ``dim`` out of ``**kwargs`` (see :data:`DIM_IN_KWARGS`), so its signature does not tell."""
    if not (dim_in_kwargs or opname in DIM_IN_KWARGS or takes_dim(fn)):
        return fn

    def f(*args, **kwargs):
        if kwargs and ("axis" in kwargs or "keepdims" in kwargs):
            for numpy_name, name in (("axis", "dim"), ("keepdims", "keepdim")):
                if numpy_name in kwargs:
                    if name in kwargs:
                        raise TypeError(f"{opname}() got an unexpected keyword argument '{numpy_name}'")
                    kwargs[name] = kwargs.pop(numpy_name)
        return fn(*args, **kwargs)
    f.__name__ = f.__qualname__ = getattr(fn, "__name__", opname)
    f.__module__ = getattr(fn, "__module__", None)
    f.__doc__ = fn.__doc__
    f.__wrapped__ = fn  # inspect.signature(f) reports fn's own signature, computed only when asked
    return f


def numpy_spellings(opname: str, dim, keepdim, axis, keepdims):
    """``(dim, keepdim)`` for a frontend that takes ``axis=``/``keepdims=`` itself (so it skips the
    :func:`with_axis_alias` wrapper, a call layer per call): the NumPy names stand for PyTorch's,
    and giving both spellings of one argument is refused as PyTorch refuses it."""
    if axis is not None:
        if dim is not None:
            raise TypeError(f"{opname}() got an unexpected keyword argument 'axis'")
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    return dim, keepdim
