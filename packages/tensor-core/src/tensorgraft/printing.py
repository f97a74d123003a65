"""``repr``/``str`` of tensors, following PyTorch's ``_tensor_str`` rules exactly: fixed or
scientific notation chosen from the range of the finite non-zero values, integer-valued floats
printed as ``1.``, summarisation past ``threshold`` elements, and the ``dtype=``/``device=``/
``requires_grad=``/``grad_fn=`` suffixes."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import dtypes as _dt


@dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTS = _PrintOptions()


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    if profile == "default":
        PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = 4, 1000, 3, 80
    elif profile == "short":
        PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = 2, 1000, 2, 80
    elif profile == "full":
        PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = 4, math.inf, 3, 80
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


class _Formatter:
    def __init__(self, values: np.ndarray):
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        p = PRINT_OPTS.precision
        flat = values.reshape(-1)
        if not self.floating:
            for v in flat.tolist():
                self.max_width = max(self.max_width, len(f"{v}"))
        else:
            finite = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
            if finite.size == 0:
                # no valid number: widths come from nan/inf only
                for v in flat.tolist():
                    self.max_width = max(self.max_width, len(self._fmt_plain(v)))
            else:
                absv = np.abs(finite)
                vmin, vmax = float(absv.min()), float(absv.max())
                vals = finite.tolist()
                self.int_mode = bool(np.all(finite == np.ceil(finite)))
                if self.int_mode:
                    if vmax / vmin > 1000.0 or vmax > 1.0e8:
                        self.sci_mode = True
                        for v in vals:
                            self.max_width = max(self.max_width, len(f"{v:.{p}e}"))
                    else:
                        for v in vals:
                            self.max_width = max(self.max_width, len(f"{v:.0f}") + 1)
                else:
                    if vmax / vmin > 1000.0 or vmax > 1.0e8 or vmin < 1.0e-4:
                        self.sci_mode = True
                        for v in vals:
                            self.max_width = max(self.max_width, len(f"{v:.{p}e}"))
                    else:
                        for v in vals:
                            self.max_width = max(self.max_width, len(f"{v:.{p}f}"))
                # nan/inf also take room
                for v in flat[~np.isfinite(flat)].tolist():
                    self.max_width = max(self.max_width, len(self._fmt_plain(v)))
        if PRINT_OPTS.sci_mode is not None:
            self.sci_mode = PRINT_OPTS.sci_mode

    @staticmethod
    def _fmt_plain(v):
        return "nan" if v != v else ("inf" if v > 0 else "-inf") if math.isinf(v) else f"{v}"

    def width(self):
        return self.max_width

    def format(self, value) -> str:
        p = PRINT_OPTS.precision
        if self.floating:
            if math.isnan(value) or math.isinf(value):
                ret = self._fmt_plain(value)
            elif self.sci_mode:
                ret = f"{value:{self.max_width}.{p}e}"
            elif self.int_mode:
                ret = f"{value:.0f}."
            else:
                ret = f"{value:.{p}f}"
        else:
            ret = f"{value}"
        return (self.max_width - len(ret)) * " " + ret


def _summarized(a: np.ndarray) -> np.ndarray:
    e = PRINT_OPTS.edgeitems
    if a.ndim == 0:
        return a
    if a.ndim == 1:
        return np.concatenate([a[:e], a[-e:]]) if a.shape[0] > 2 * e else a
    if a.shape[0] > 2 * e:
        parts = [_summarized(a[i]) for i in list(range(e)) + list(range(a.shape[0] - e, a.shape[0]))]
    else:
        parts = [_summarized(a[i]) for i in range(a.shape[0])]
    return np.stack(parts)


def _vector_str(a, indent, summarize, fmt, fmt_imag=None):
    element_length = fmt.width() + 2
    if fmt_imag is not None:
        element_length += fmt_imag.width() + 1
    per_line = max(1, int(math.floor((PRINT_OPTS.linewidth - indent) / element_length)))

    def one(v):
        if fmt_imag is not None:
            re = fmt.format(v.real)
            im = fmt_imag.format(v.imag).lstrip()
            sign = "+" if not im.startswith("-") else "-"
            return f"{re}{sign}{im.lstrip('-')}j"
        return fmt.format(v)

    e = PRINT_OPTS.edgeitems
    if summarize and a.shape[0] > 2 * e:
        data = [one(v) for v in a[:e].tolist()] + [" ..."] + [one(v) for v in a[-e:].tolist()]
    else:
        data = [one(v) for v in a.tolist()]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _tensor_str_fmt(a, indent, summarize, fmt, fmt_imag=None):
    if a.ndim == 0:
        v = a.item()
        if fmt_imag is not None:
            re = fmt.format(v.real)
            im = fmt_imag.format(v.imag).lstrip()
            return f"{re}{'+' if not im.startswith('-') else '-'}{im.lstrip('-')}j"
        return fmt.format(v)
    if a.ndim == 1:
        return _vector_str(a, indent, summarize, fmt, fmt_imag)
    e = PRINT_OPTS.edgeitems
    if summarize and a.shape[0] > 2 * e:
        slices = ([_tensor_str_fmt(a[i], indent + 1, summarize, fmt, fmt_imag) for i in range(e)] + ["..."]
                  + [_tensor_str_fmt(a[i], indent + 1, summarize, fmt, fmt_imag)
                     for i in range(a.shape[0] - e, a.shape[0])])
    else:
        slices = [_tensor_str_fmt(a[i], indent + 1, summarize, fmt, fmt_imag) for i in range(a.shape[0])]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def tensor_body(a: np.ndarray, indent: int) -> str:
    if a.size == 0:
        return "[]"
    summarize = a.size > PRINT_OPTS.threshold
    if a.dtype == np.float16:
        a = a.astype(np.float32)
    src = _summarized(a) if summarize else a
    if a.dtype.kind == "c":
        fr, fi = _Formatter(src.real), _Formatter(src.imag)
        return _tensor_str_fmt(a, indent, summarize, fr, fi)
    return _tensor_str_fmt(a, indent, summarize, _Formatter(src))


def tensor_repr(t) -> str:
    prefix = "tensor("
    indent = len(prefix)
    suffixes = []
    dev = t._device
    if dev.type != "cpu":
        suffixes.append(f"device='{dev}'")
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
        if d not in (default, _dt.default_complex_dtype(), _dt.int64, _dt.bool):
            suffixes.append(f"dtype={d}")
        body = tensor_body(a, indent)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{type(t.grad_fn).__name__}>")
    elif t._requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)


def _add_suffixes(s, suffixes, indent):
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
