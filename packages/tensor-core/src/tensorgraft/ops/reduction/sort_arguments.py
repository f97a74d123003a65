"""The argument side of the sorting ops (``sorting.py``): PyTorch's ``out=`` rules for sort, argsort,
topk, kthvalue, median, nanmedian and mode (and max/min with a dim, msort, which share them) (dtype refusals in each op's own words, resizing with
PyTorch's warning, the out tensors returned), and the parsing of ``sort``/``argsort``'s two
signatures with PyTorch's messages. Apart so that ``sorting.py`` keeps the kernels and frontends."""
from __future__ import annotations

import numpy as np
from tensorgraft.argument_errors import c_type_name, not_a_tensor_in_list

from .._args import (invalid_combination, is_int,
                     missing_args, wrong_type)
from .._return_types import out_variant, return_type
from ._shared import _type_name
from .. import _frontend as F
from ...caller_warnings import warn_at_caller
from ...tensor import Tensor
from ...dtypes import CPP_TYPE_NAMES

# =========================================================================== out= tensors
# The frontends take ``out=`` themselves: PyTorch's rules differ per op (the generic ``with_out``
# lets the dtype go up a category; these kernels want the result's own dtype, each saying so in
# its own words). The result holds the out tensors themselves, in PyTorch's ``return_types.<op>_out``.
# PyTorch's structured kernels (sort, topk) name dtypes in C++ words (the one table of dtypes.py):
_CPP_NAMES = CPP_TYPE_NAMES
_OUT_RESULTS = {n: out_variant(return_type(n)) for n in ("sort", "topk", "kthvalue", "median", "nanmedian", "mode", "max",
                                                          "min")}
_INT64 = np.dtype(np.int64)
# an out tensor overlapping the input (PyTorch's assert_no_partial_overlap / assert_no_overlap)
ALIAS_MESSAGE = F.PARTIAL_OVERLAP  # (an out= sharing memory with the input; memory_overlap.py words it)


def _cpp_name(dtype) -> str:
    return _CPP_NAMES.get(str(dtype), f"c10::{_type_name(dtype)}")


def _legacy_name(dtype) -> str:
    """median's words for a dtype: its legacy tensor type, for those that have one."""
    name = _type_name(dtype)
    return f"torch.{name}Tensor" if name in _LEGACY else f"CPU{name}Type"


_LEGACY = frozenset({"Float", "Double", "Half", "Long", "Int", "Short", "Char", "Byte"})


def _out_pair(name, method, out, position, input):
    """PyTorch's parser's checks of ``out=(values, indices)`` (``out`` is argument ``position`` of
    the signature; methods take no ``out``), then its refusal of ``out=`` while recording gradients."""
    if method:
        raise TypeError(f"{name}() got an unexpected keyword argument 'out'")
    if not isinstance(out, (tuple, list)):
        raise TypeError(f"{name}(): argument 'out' must be tuple of Tensors, not {c_type_name(out)}")
    if len(out) != 2:
        raise TypeError(f"expected tuple of 2 elements but got {len(out)}")
    for k, t in enumerate(out):
        if not isinstance(t, Tensor):
            raise not_a_tensor_in_list(k, t, position)
    F.check_out_grad(name, out[0], out[1], input)


def _resize_out(t, shape, shown=None):
    """``t`` resized to ``shape``, with PyTorch's deprecation warning if it held elements; ``shown``:
    the (old, new) shapes the warning names where PyTorch resizes a reshaped view of ``t``."""
    old, new = shown or (list(t.shape), list(shape))
    if old != new and t._data.size:
        warn_at_caller(F._RESIZED.format(old=old, new=new), UserWarning)
    if tuple(t.shape) != tuple(shape):
        t.resize_(tuple(shape))


def _structured_out(t, dtype, shape):
    """A structured kernel's out tensor (sort, topk, argsort): the result's own dtype, then resized."""
    if t._data.dtype != dtype:
        raise RuntimeError(f"Expected out tensor to have dtype {_cpp_name(dtype)}, but got {_cpp_name(t._data.dtype)} "
                           "instead")
    _resize_out(t, shape)


def _reduced_out(t, in_shape, d, keepdim, mode=False):
    """kthvalue's and mode's out tensor (PyTorch's ``_reduction_with_indices_allocate_or_resize_output``):
    resized to the kept-dim shape, one with a dim fewer than the input (for mode: any one that can
    take it) first given that dim back (so the warning names those shapes), then squeezed again
    without ``keepdim``."""
    keep = list(in_shape)
    if keep:
        keep[d] = 1
    old = list(t.shape)
    if not keepdim and (d <= len(old) if mode else len(old) == len(keep) - 1):
        old.insert(d, 1)
    _resize_out(t, _reduced_shape(in_shape, d, keepdim), (old, keep))


def _reduced_shape(shape, d, keepdim):
    if not shape:
        return ()
    return tuple(1 if i == d else s for i, s in enumerate(shape)) if keepdim else shape[:d] + shape[d + 1:]


def _stored(name, out, v, i):
    """The results written into the out tensors (already of their dtype and shape), returned."""
    F.store_into(out[0], v, name)
    F.store_into(out[1], i, name)
    return _OUT_RESULTS[name](out[0], out[1])


def _sort_overloads(name, method):
    """The two signatures PyTorch's parser lists for ``sort``/``argsort`` (the Dimname ones hidden)."""
    if method:
        return ("*, bool stable, int dim = -1, bool descending = False", "int dim = -1, bool descending = False")
    out = "tuple of Tensors out = None" if name == "sort" else "Tensor out = None"
    return (f"Tensor input, *, bool stable, int dim = -1, bool descending = False, {out}",
            "Tensor input, int dim = -1, bool descending = False" + (f", *, {out}" if name == "sort" else ""))


def _keyword_notes(overloads, npos, kwargs):
    """The signatures with the note PyTorch's parser prints under one that takes as many arguments
    as were given (``npos`` positionally, ``kwargs``) when some keywords do not fit it. Its rule: a
    signature's entries (``*`` counted; a missing ``out`` not) against the count given; only the
    last ``len(kwargs)`` entries without a default can match a keyword (the parser reads a
    defaulted one's name with its default); keywords listed latest first."""
    listed = []
    for sig in overloads:
        params = sig.split(", ")
        expected = len(params) - (params[-1].endswith("out = None") and "out" not in kwargs)
        note = None
        if kwargs and npos + len(kwargs) == expected:
            names = {p.split()[-1] for p in params[max(expected - len(kwargs), 0):] if " = " not in p}
            bad = [k for k in reversed(kwargs) if k not in names]
            if bad:
                note = "didn't match because some of the keywords were incorrect: " + ", ".join(bad)
        listed.append((sig, note))
    return listed


def _parse_sort_args(name, method, input, args, kwargs, out=None):
    """``(dim, descending, stable)`` of ``sort``/``argsort`` as PyTorch's parser takes them. Two
    signatures: ``(input, int dim=-1, bool descending=False)`` and the ``stable`` one, whose dim and
    descending are keyword-only; an int for a bool (or a float dim) fits neither, and the error is
    the "invalid combination" one, unless the count of arguments leaves only the ``stable`` signature
    plausible: then it is that signature's own error. ``out`` (methods take none): a tuple for
    ``sort``, a tensor for ``argsort``'s ``stable`` signature only."""
    shown = dict(kwargs, **({"out": out} if out is not None else {}))
    npos = len(args) + (not method)

    def refuse():
        return invalid_combination(name, args if method else (input,) + args, shown,
                                   _keyword_notes(_sort_overloads(name, method), npos, shown))
    # the most arguments each signature takes: (stable, dim, descending, [out]) and (dim, descending, [out])
    has_out = not method and name == "sort"
    given = npos + len(shown)
    stable_max = 3 + (not method) + (not method)
    plain_max = 2 + (not method) + has_out
    only_stable = plain_max < given <= stable_max  # (the only signature PyTorch then finds plausible)
    if only_stable:
        _parse_stable_only(name, method, args, shown)
    elif len(args) > 2:
        raise refuse()
    elif out is not None:
        if method or (name == "sort" and not isinstance(out, (tuple, list))) \
                or (name == "argsort" and (not isinstance(out, Tensor) or "stable" not in kwargs)):
            raise refuse()
    allowed = ("dim", "descending", "stable")
    if any(k not in allowed for k in kwargs) or any(k in kwargs for k in ("dim", "descending")[:len(args)]):
        raise refuse()
    values = dict(zip(("dim", "descending"), args), **kwargs)
    dim, descending = values.get("dim", -1), values.get("descending", False)
    if "stable" in kwargs:
        stable = kwargs["stable"]
        # sort's stable is ``bool?`` (None allowed), argsort's a bool; dim and descending keyword-only
        if args or not (stable.__class__ is bool or (stable is None and name == "sort")):
            raise refuse()
    else:
        stable = None
    if (dim.__class__ is not int and not is_int(dim)) or descending.__class__ is not bool:
        raise refuse()
    return int(dim), descending, stable


def _parse_stable_only(name, method, args, shown):
    """The errors of the ``stable`` signature, when the count of arguments leaves it the only one
    PyTorch's parser finds plausible: too many positional ones, then each parameter in order (a
    missing ``stable``, a wrong type), then a keyword it does not take."""
    if args:
        raise TypeError(f"{name}() takes from {1 + (not method)} to {0 + (not method)} positional arguments but "
                        f"{len(args) + (not method)} were given")
    out_ok = (lambda v: isinstance(v, (tuple, list))) if name == "sort" else (lambda v: isinstance(v, Tensor))
    checks = (("stable", "bool", lambda v: v.__class__ is bool or (v is None and name == "sort")),
              ("dim", "int", lambda v: v.__class__ is int or is_int(v)), ("descending", "bool", lambda v: v.__class__ is bool))
    if not method:
        checks += (("out", "tuple of Tensors" if name == "sort" else "Tensor", out_ok),)
    for param, expected, ok in checks:
        if param not in shown:
            if param == "stable":
                raise missing_args(name, "stable")
        elif not ok(shown[param]):
            raise wrong_type(name, param, expected, shown[param])
    for k in shown:
        if k not in ("stable", "dim", "descending") + (() if method else ("out",)):
            raise TypeError(f"{name}() got an unexpected keyword argument '{k}'")
