"""``repr``/``str`` of tensors, following PyTorch's printing rules: fixed or scientific notation
chosen from the range of the finite non-zero values, integer-valued floats printed as ``1.``,
summarisation past ``threshold`` elements, line wrapping at ``linewidth`` and the ``dtype=``/
``device=``/``size=``/``requires_grad=``/``grad_fn=`` suffixes.

Everything works on a host NumPy copy of the data; values are turned into Python numbers
(``tolist``) before formatting, so float32/float16 values print exactly as PyTorch prints them.
"""
from __future__ import annotations

import contextlib
import dataclasses
import math
import sys

import numpy as np

from . import dtypes as _dt
from .sparse.compressed_data import SparseCompressedData as _SparseCompressedData
from .sparse.coo_data import SparseCOOData as _SparseCOOData
from .tensor import Tensor as _Tensor

__all__ = ["set_printoptions", "get_printoptions", "printoptions", "tensor_repr", "PRINT_OPTS"]


@dataclasses.dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTS = _PrintOptions()

_PROFILES = {
    "default": (4, 1000, 3, 80),
    "short": (2, 1000, 2, 80),
    "full": (4, math.inf, 3, 80),
}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None,
                     sci_mode=None) -> None:
    """``tensorgraft.set_printoptions``: same options and profiles as PyTorch. ``sci_mode`` is
    reset to automatic (None) unless given, as in PyTorch."""
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"unknown print profile {profile!r}; expected one of 'default', 'short', 'full'")
        (PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems,
         PRINT_OPTS.linewidth) = _PROFILES[profile]
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict:
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs):
    """Temporarily change the print options (``with tensorgraft.printoptions(precision=2): ...``)."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


class _Formatter:
    """Decides notation and column width from the (summarised) values, then formats one value."""

    __slots__ = ("floating", "int_mode", "sci_mode", "max_width", "precision")

    def __init__(self, values: np.ndarray, e8m0: bool = False):
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        p = self.precision = PRINT_OPTS.precision
        flat = values.reshape(-1)
        if not self.floating:
            if flat.size:
                self.max_width = max(len(f"{v}") for v in flat.tolist())
            return
        if e8m0:
            # (PyTorch's isfinite is True all over an e8m0 tensor, and its ne(0) compares with 0 cast to
            # e8m0, 2**-127: a NaN joins the values, turning int and sci notation off, and the smallest
            # value prints as a zero)
            nz = flat[flat != np.float32(2.0 ** -127)]
        else:
            nz = flat[np.isfinite(flat) & (flat != 0)]
        if nz.size == 0:
            return  # only zeros / nan / inf: width 1, integer notation
        vals = nz.tolist()
        absv = np.abs(nz.astype(np.float64))
        vmin, vmax = float(absv.min()), float(absv.max())
        self.int_mode = bool(np.all(nz == np.ceil(nz)))
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = vmax / vmin > 1000.0 or vmax > 1.0e8 or vmin < 1.0e-4
        else:
            self.sci_mode = bool(PRINT_OPTS.sci_mode)
        if self.sci_mode:
            spec = f".{p}e"
            self.max_width = max(len(format(v, spec)) for v in vals)
        elif self.int_mode:
            self.max_width = max(len(f"{v:.0f}") for v in vals) + 1
        else:
            spec = f".{p}f"
            self.max_width = max(len(format(v, spec)) for v in vals)

    def width(self) -> int:
        return self.max_width

    def format(self, value) -> str:
        if self.floating:
            if self.sci_mode:
                ret = format(value, f"{self.max_width}.{self.precision}e")
            elif self.int_mode:
                ret = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    ret += "."
            else:
                ret = format(value, f".{self.precision}f")
        else:
            ret = f"{value}"
        return (self.max_width - len(ret)) * " " + ret


def _complex_str(v, fr: _Formatter, fi: _Formatter) -> str:
    real = fr.format(v.real)
    imag = (fi.format(v.imag) + "j").lstrip()
    if imag[0] == "+" or imag[0] == "-":
        return real + imag
    return real + "+" + imag


def _summarized(a: np.ndarray) -> np.ndarray:
    """The values that will be shown (edge items of every dimension)."""
    e = PRINT_OPTS.edgeitems
    if a.ndim == 0:
        return a
    if a.ndim == 1:
        if a.shape[0] > 2 * e:
            # ``a[-0:]`` is the whole vector, as in PyTorch when edgeitems == 0
            return np.concatenate((a[:e], a[-e:]))
        return a
    if not e:
        return np.empty((0,) * a.ndim, dtype=a.dtype)
    n = a.shape[0]
    rows = list(range(e)) + list(range(n - e, n)) if n > 2 * e else range(n)
    return np.stack([_summarized(a[i]) for i in rows])


def _vector_str(a, indent, summarize, fr, fi=None) -> str:
    element_length = fr.width() + 2
    if fi is not None:
        element_length += fi.width() + 1
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / element_length))
    if fi is not None:
        def one(v):
            return _complex_str(v, fr, fi)
    else:
        one = fr.format
    e = PRINT_OPTS.edgeitems
    if summarize and not e:
        data = ["..."]
    elif summarize and a.shape[0] > 2 * e:
        data = [one(v) for v in a[:e].tolist()] + [" ..."] + [one(v) for v in a[-e:].tolist()]
    else:
        data = [one(v) for v in a.tolist()]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _tensor_str_fmt(a, indent, summarize, fr, fi=None) -> str:
    if a.ndim == 0:
        v = a.item()
        return _complex_str(v, fr, fi) if fi is not None else fr.format(v)
    if a.ndim == 1:
        return _vector_str(a, indent, summarize, fr, fi)
    e = PRINT_OPTS.edgeitems
    n = a.shape[0]
    if summarize and n > 2 * e:
        slices = ([_tensor_str_fmt(a[i], indent + 1, summarize, fr, fi) for i in range(e)] + ["..."]
                  + [_tensor_str_fmt(a[i], indent + 1, summarize, fr, fi) for i in range(n - e, n)])
    else:
        slices = [_tensor_str_fmt(a[i], indent + 1, summarize, fr, fi) for i in range(n)]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def tensor_body(a: np.ndarray, indent: int) -> str:
    """The bracketed values of a host array, as ``_tensor_str`` in PyTorch."""
    if a.size == 0:
        return "[]"
    summarize = a.size > PRINT_OPTS.threshold
    e8m0 = False
    if a.dtype == np.float16 or a.dtype.kind == "V" or a.dtype.itemsize == 1 and a.dtype.kind == "f":
        e8m0 = a.dtype == _dt.float8_e8m0fnu.np
        a = a.astype(np.float32)  # (bfloat16, the 8-bit floats) exact; tolist() gives the same Python floats
    if a.dtype.kind == "c":
        re, im = a.real, a.imag
        fr = _Formatter(_summarized(re) if summarize else re)
        fi = _Formatter(_summarized(im) if summarize else im)
        return _tensor_str_fmt(a, indent, summarize, fr, fi)
    return _tensor_str_fmt(a, indent, summarize, _Formatter(_summarized(a) if summarize else a, e8m0))


def _prefix(t) -> str:
    cls = type(t)
    if cls.__name__ in ("Tensor", "Parameter"):
        return "tensor("
    return cls.__name__ + "("


def tensor_repr(t, tensor_contents=None) -> str:
    cls = t._data.__class__
    text = _sparse_repr(t) if cls is _SparseCOOData or cls is _SparseCompressedData else _dense_repr(t, tensor_contents)
    if t.__class__ is not _Tensor and _is_special_parameter(t):
        return f"Parameter({text})"  # a Parameter subclass, or a custom tensor made a Parameter (PyTorch's form)
    return text


def _is_special_parameter(t) -> bool:
    """``t`` is an ``nn.Parameter`` other than a plain one: an instance of a subclass of it, or a
    tensor of a custom Tensor subclass that ``nn.Parameter(...)`` marked."""
    parameter = sys.modules.get("tensorgraft.nn.parameter")
    return parameter is not None and t.__class__ is not parameter.Parameter and isinstance(t, parameter.Parameter)


def _dense_repr(t, tensor_contents) -> str:
    prefix = _prefix(t)
    indent = len(prefix)
    suffixes = []
    dev = t._device
    if dev.type != "cpu":
        suffixes.append(f"device='{dev}'")
    if dev.type == "meta":  # no values to show: the shape, and the dtype unless it is the default
        suffixes.append("size=" + str(tuple(t._data.shape)))
        if t.dtype is not _dt.get_default_dtype():
            suffixes.append(f"dtype={t.dtype}")
        return _add_suffixes(prefix + "...", suffixes + _autograd_suffixes(t), indent)
    a = t._host()
    d = _dt._BY_NUMPY[a.dtype]
    default = _dt.get_default_dtype()
    if a.size == 0:
        if a.ndim != 1:
            suffixes.append("size=" + str(tuple(a.shape)))
        if d is not default:
            suffixes.append(f"dtype={d}")
        body = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append("size=" + str(tuple(a.shape)))
        if d not in (default, _dt.default_complex_dtype(), _dt.int64, _dt.bool):
            suffixes.append(f"dtype={d}")
        body = tensor_body(a, indent) if tensor_contents is None else None
    if tensor_contents is not None:
        body = tensor_contents
    return _add_suffixes(prefix + body, suffixes + _autograd_suffixes(t), indent)


def _sparse_repr(t) -> str:
    """PyTorch's layout for a sparse tensor: its index and value arrays as nested tensors, then
    size, nnz, dtype and layout. A COO tensor's suffixes start on a line of their own; a compressed
    tensor's (CSR ...) follow its values where the line has room."""
    prefix = _prefix(t)
    indent = len(prefix)
    d = t._data
    suffixes = [f"device='{t._device}'"] if t._device.type != "cpu" else []
    suffixes += ["size=" + str(tuple(d.shape)), f"nnz={d.nnz}"]
    dt = _dt._BY_NUMPY[d.dtype]
    if dt not in (_dt.get_default_dtype(), _dt.default_complex_dtype(), _dt.int64, _dt.bool):
        suffixes.append(f"dtype={dt}")
    coo = d.__class__ is _SparseCOOData
    if coo:
        arrays = (("indices", d.indices), ("values", d.values))
    else:
        names = ("crow_indices", "col_indices") if d.row_major else ("ccol_indices", "row_indices")
        arrays = ((names[0], d.compressed), (names[1], d.plain), ("values", d.values))
    parts = []
    for name, a in arrays:
        inner = name + "=tensor("
        body = tensor_body(a, indent + len(inner)) if a.size else "[]"
        if a.size == 0:
            body += ", size=" + str(tuple(a.shape))
        parts.append(inner + body + ")")
    text = prefix + (",\n" + " " * indent).join(parts)
    suffixes += [f"layout=torch.{'sparse_coo' if coo else d.layout}"] + _autograd_suffixes(t)
    out = [text]
    last_line_len = len(text) - text.rfind("\n") + 1
    force_newline = coo
    for suffix in suffixes:
        if force_newline or last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            out.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
            force_newline = False
        else:
            out.append(", " + suffix)
            last_line_len += len(suffix) + 2
    return "".join(out) + ")"


def _autograd_suffixes(t) -> list:
    if t.grad_fn is not None:
        suffixes = [f"grad_fn=<{type(t.grad_fn).__name__}>"]
    else:
        suffixes = ["requires_grad=True"] if t._requires_grad else []
    # a dual tensor shows its forward-mode tangent (``autograd.forward_ad``), formatted as PyTorch
    # does (``f"{tangent}"``: a 0-dim one as its number)
    forward_ad = sys.modules.get("tensorgraft.autograd.forward_ad._tangents")
    if forward_ad is not None and forward_ad.current is not None:
        tangent = forward_ad.tangent_of(t)
        if tangent is not None:
            suffixes.append(f"tangent={tangent}")
    return suffixes


def _add_suffixes(s, suffixes, indent) -> str:
    parts = [s]
    last_line_len = len(s) - s.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)
