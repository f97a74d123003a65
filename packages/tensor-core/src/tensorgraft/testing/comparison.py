"""``assert_close`` as PyTorch's ``torch.testing.assert_close``: the same pairing of inputs (nested
sequences and mappings, None, booleans, Python and NumPy numbers, tensors and tensor-likes), the same
checks in the same order, and the same failure messages word for word (PyTorch 2.13's
``torch/testing/_comparison.py`` is the reference) — test suites match on them.

Values are compared on the host with NumPy, in the compared dtype, following ATen's ``isclose``
(``|actual - expected| <= atol + |rtol * expected|``, exact when both tolerances are 0), so the
differences a message reports are the ones PyTorch computes (float32 arithmetic for float32 tensors,
float32 relative differences for integers)."""
from __future__ import annotations

import cmath
import collections.abc
import contextlib

import numpy as np

from .. import dtypes as _dt
from ..tensor import Tensor


class _Failure(Exception):
    """A mismatch (or bad input) found while pairing or comparing: the exception type and message
    to raise, and where in nested inputs it occurred (PyTorch's ``ErrorMeta``)."""

    def __init__(self, type_, msg, *, id=()):
        super().__init__(msg)
        self.type = type_
        self.msg = msg
        self.id = id

    def to_error(self, msg=None):
        if not isinstance(msg, str):
            generated = self.msg
            if self.id:
                generated += f"\n\nThe failure occurred for item {''.join(str([item]) for item in self.id)}"
            msg = msg(generated) if callable(msg) else generated
        return self.type(msg)


class _Unsupported(Exception):
    """This kind of pair cannot handle the inputs: try the next kind."""


# PyTorch's default tolerances (rtol, atol) by dtype; others (integers, bool, float8) compare exactly
_PRECISIONS = {
    _dt.float16: (0.001, 1e-5), _dt.bfloat16: (0.016, 1e-5), _dt.float32: (1.3e-6, 1e-5),
    _dt.float64: (1e-7, 1e-7), _dt.complex64: (1.3e-6, 1e-5), _dt.complex128: (1e-7, 1e-7),
}
_NUMBER_DTYPE = {int: _dt.int64, float: _dt.float64, complex: _dt.complex128}


def _tolerances(dtypes, rtol, atol, id):
    if (rtol is None) ^ (atol is None):
        # Both or neither: atol=0 alone would still let rtol pass values (PyTorch's reason too)
        raise _Failure(ValueError, "Both 'rtol' and 'atol' must be either specified or omitted, "
                                   f"but got no {'rtol' if rtol is None else 'atol'}.", id=id)
    if rtol is not None:
        return rtol, atol
    rtols, atols = zip(*[_PRECISIONS.get(d, (0.0, 0.0)) for d in dtypes])
    return max(rtols), max(atols)


# --------------------------------------------------------------------------- messages
def _mismatch_msg(identifier, default, extra, abs_diff, abs_idx, atol, rel_diff, rel_idx, rtol):
    equality = rtol == 0 and atol == 0

    def diff_line(kind, diff, idx, tol):
        line = f"{kind.title()} difference: {diff}" if idx is None else f"Greatest {kind} difference: {diff} at index {idx}"
        return line + ("" if equality else f" (up to {tol} allowed)") + "\n"

    if identifier is None:
        identifier = default
    elif callable(identifier):
        identifier = identifier(default)
    msg = f"{identifier} are not {'equal' if equality else 'close'}!\n\n"
    if extra:
        msg += f"{extra.strip()}\n"
    msg += diff_line("absolute", abs_diff, abs_idx, atol) + diff_line("relative", rel_diff, rel_idx, rtol)
    return msg.strip()


def _scalar_msg(actual, expected, *, rtol, atol, identifier=None):
    abs_diff = abs(actual - expected)
    rel_diff = float("inf") if expected == 0 else abs_diff / abs(expected)
    return _mismatch_msg(identifier, "Scalars", f"Expected {expected} but got {actual}.", abs_diff, None, atol,
                         rel_diff, None, rtol)


def _unravel(flat, shape):
    return tuple(int(i) for i in np.unravel_index(int(flat), shape)) if shape else ()


def _tensor_msg(a, e, matches, dtype, *, rtol, atol, identifier=None):
    """``a``, ``e``: host arrays of ``dtype`` (the equalized one); ``matches``: their isclose mask."""
    n = matches.size
    bad = n - int(matches.sum())
    extra = f"Mismatched elements: {bad} / {n} ({bad / n:.1%})"
    if dtype.is_floating_point and dtype.itemsize == 1:  # float8: compared bit for bit, no differences
        first = _unravel(np.flatnonzero(~matches)[0], matches.shape)
        ident = "Tensor-likes" if identifier is None else identifier("Tensor-likes") if callable(identifier) else identifier
        return f"{ident} are not 'equal'!\n\n{extra}\nThe first mismatched element is at index {first}."
    a, e, m = a.reshape(-1), e.reshape(-1), matches.reshape(-1)
    if not (dtype.is_floating_point or dtype.is_complex):
        a, e = a.astype(np.int64), e.astype(np.int64)  # (PyTorch's upcast: no overflow in the difference)
    with np.errstate(all="ignore"):
        abs_diff = np.abs(a - e)
        abs_diff[m] = 0
        abs_i = int(np.argmax(abs_diff))  # NaN first, as torch.max; ties: the first, as on CPU
        denom = np.abs(e)
        if abs_diff.dtype.kind in "iub":  # integer true division is done in the default float dtype
            abs_f, denom = abs_diff.astype(np.float32), denom.astype(np.float32)
        else:
            abs_f = abs_diff
        rel_diff = abs_f / denom
        rel_diff[m] = 0
        rel_i = int(np.argmax(rel_diff))
    return _mismatch_msg(identifier, "Tensor-likes", extra, abs_diff[abs_i].item(), _unravel(abs_i, matches.shape),
                         atol, rel_diff[rel_i].item(), _unravel(rel_i, matches.shape), rtol)


# --------------------------------------------------------------------------- value comparison
def _isclose(a, e, rtol, atol, equal_nan):
    """ATen's ``isclose`` on host arrays of one dtype."""
    with np.errstate(all="ignore"):
        close = np.asarray(a == e)
        if equal_nan and a.dtype.kind in "fcV":
            close = close | (np.isnan(a) & np.isnan(e))
        if rtol == 0 and atol == 0:
            return close
        if a.dtype.kind in "biu":  # integer tolerances are computed in the default float dtype
            a, e = a.astype(np.float32), e.astype(np.float32)
        allowed = atol + np.abs(rtol * e)
        err = np.abs(a - e)
        return close | (np.isfinite(err) & (err <= allowed))


def _host(t):
    return np.asarray(t.detach()._host())


def _compare_values(a_t, e_t, *, rtol, atol, equal_nan, identifier=None, id=()):
    a, e = _host(a_t), _host(e_t)
    matches = _isclose(a, e, rtol, atol, equal_nan)
    if matches.all():
        return
    if a_t.shape == ():
        msg = _scalar_msg(a.item(), e.item(), rtol=rtol, atol=atol, identifier=identifier)
    else:
        msg = _tensor_msg(a, e, matches, a_t.dtype, rtol=rtol, atol=atol, identifier=identifier)
    raise _Failure(AssertionError, msg, id=id)


# --------------------------------------------------------------------------- pairs
def _is_number(x):
    return isinstance(x, (int, float, complex, np.number))


def _compare_numbers(actual, expected, *, rtol, atol, equal_nan, check_dtype, id):
    actual, expected = (x.item() if isinstance(x, np.number) else x for x in (actual, expected))
    rtol, atol = _tolerances([_NUMBER_DTYPE.get(type(x), _dt.int64) for x in (actual, expected)], rtol, atol, id)

    def compare():
        if check_dtype and type(actual) is not type(expected):
            raise _Failure(AssertionError, f"The (d)types do not match: {type(actual)} != {type(expected)}.", id=id)
        if actual == expected:
            return
        if equal_nan and cmath.isnan(actual) and cmath.isnan(expected):
            return
        abs_diff = abs(actual - expected)
        if cmath.isfinite(abs_diff) and abs_diff <= atol + rtol * abs(expected):
            return
        raise _Failure(AssertionError, _scalar_msg(actual, expected, rtol=rtol, atol=atol), id=id)
    return compare


def _to_tensor(x):
    if isinstance(x, Tensor):
        return x
    from ..ops.conversion import as_tensor
    try:
        return as_tensor(x)
    except Exception:  # noqa: BLE001 - anything as_tensor refuses is not a tensor-like
        raise _Unsupported from None


def _tensor_pair(actual, expected, *, allow_subclasses, rtol, atol, equal_nan, check_device, check_dtype,
                 check_layout, check_stride, id):
    related = isinstance(actual, type(expected)) or isinstance(expected, type(actual))
    # tensorgraft's own leniency: a Tensor against a NumPy array (PyTorch raises "No comparison pair
    # was able to handle ..."): the conformance kit checks results against NumPy references so
    ndarray_vs_tensor = (isinstance(actual, np.ndarray) and isinstance(expected, Tensor)) or (
        isinstance(expected, np.ndarray) and isinstance(actual, Tensor))
    if not (related or ndarray_vs_tensor):
        raise _Unsupported
    if not allow_subclasses and type(actual) is not type(expected):
        raise _Unsupported
    actual, expected = _to_tensor(actual), _to_tensor(expected)
    rtol, atol = _tolerances([actual.dtype, expected.dtype], rtol, atol, id)
    options = dict(rtol=rtol, atol=atol, equal_nan=equal_nan, check_device=check_device, check_dtype=check_dtype,
                   check_layout=check_layout, check_stride=check_stride)
    return lambda: _compare_tensors(actual, expected, id=id, **options)


def _compare_tensors(actual, expected, *, rtol, atol, equal_nan, check_device, check_dtype, check_layout,
                     check_stride, id):
    def mismatch(name, a, e):
        raise _Failure(AssertionError, f"The values for attribute '{name}' do not match: {a} != {e}.", id=id)

    if actual.shape != expected.shape:
        mismatch("shape", actual.shape, expected.shape)
    strided = _strided()
    if actual.layout != expected.layout:
        if check_layout:
            mismatch("layout", actual.layout, expected.layout)
    elif actual.layout == strided and check_stride and actual.stride() != expected.stride():
        mismatch("stride()", actual.stride(), expected.stride())
    if check_device and actual.device != expected.device:
        mismatch("device", actual.device, expected.device)
    if check_dtype and actual.dtype != expected.dtype:
        mismatch("dtype", actual.dtype, expected.dtype)
    if "meta" in (actual.device.type, expected.device.type):
        return  # no values to compare
    # equalize: one device (the CPU), one dtype (promoted; wide unsigned ones as int64), one layout
    if actual.device != expected.device:
        actual, expected = actual.cpu(), expected.cpu()
    if actual.dtype != expected.dtype:
        wide = tuple(getattr(_dt, name) for name in ("uint16", "uint32", "uint64") if hasattr(_dt, name))
        ad = _dt.int64 if actual.dtype in wide else actual.dtype
        ed = _dt.int64 if expected.dtype in wide else expected.dtype
        dtype = _dt.promote_types(ad, ed)
        actual, expected = actual.to(dtype), expected.to(dtype)
    if actual.layout != expected.layout:
        actual = actual if actual.layout == strided else actual.to_dense()
        expected = expected if expected.layout == strided else expected.to_dense()
    close = dict(rtol=rtol, atol=atol, equal_nan=equal_nan, id=id)
    layout = str(actual.layout).rpartition(".")[2]
    if layout == "sparse_coo":
        _compare_sparse_coo(actual, expected, **close)
    elif layout in ("sparse_csr", "sparse_csc", "sparse_bsr", "sparse_bsc"):
        _compare_sparse_compressed(actual, expected, layout[-3:].upper(), **close)
    elif layout == "jagged":
        _compare_values(actual.values(), expected.values(), **close)
    else:
        if actual.dtype.is_floating_point and actual.dtype.itemsize == 1 and (rtol != 0.0 or atol != 0.0):
            raise _Failure(AssertionError, f"Rtol={rtol} and atol={atol} are not supported for bitwise comparison "
                                           "of low dimensional floats. Please use rtol=0.0 and atol=0.0.")
        _compare_values(actual, expected, **close)


def _strided():
    from .. import strided
    return strided


def _compare_sparse_coo(actual, expected, *, rtol, atol, equal_nan, id):
    if actual.sparse_dim() != expected.sparse_dim():
        raise _Failure(AssertionError, "The number of sparse dimensions in sparse COO tensors does not match: "
                                       f"{actual.sparse_dim()} != {expected.sparse_dim()}", id=id)
    if actual._nnz() != expected._nnz():
        raise _Failure(AssertionError, "The number of specified values in sparse COO tensors does not match: "
                                       f"{actual._nnz()} != {expected._nnz()}", id=id)
    _compare_values(actual._indices(), expected._indices(), rtol=0, atol=0, equal_nan=False,
                    identifier="Sparse COO indices", id=id)
    _compare_values(actual._values(), expected._values(), rtol=rtol, atol=atol, equal_nan=equal_nan,
                    identifier="Sparse COO values", id=id)


def _compare_sparse_compressed(actual, expected, fmt, *, rtol, atol, equal_nan, id):
    compressed, plain = ("crow_indices", "col_indices") if fmt in ("CSR", "BSR") else ("ccol_indices", "row_indices")
    if actual._nnz() != expected._nnz():
        raise _Failure(AssertionError, f"The number of specified values in sparse {fmt} tensors does not match: "
                                       f"{actual._nnz()} != {expected._nnz()}", id=id)
    ac, ec = getattr(actual, compressed)(), getattr(expected, compressed)()
    dtype = _dt.promote_types(ac.dtype, ec.dtype)  # int32 and int64 indices may meet
    _compare_values(ac.to(dtype), ec.to(dtype), rtol=0, atol=0, equal_nan=False,
                    identifier=f"Sparse {fmt} {compressed}", id=id)
    _compare_values(getattr(actual, plain)().to(dtype), getattr(expected, plain)().to(dtype), rtol=0, atol=0,
                    equal_nan=False, identifier=f"Sparse {fmt} {plain}", id=id)
    _compare_values(actual.values(), expected.values(), rtol=rtol, atol=atol, equal_nan=equal_nan,
                    identifier=f"Sparse {fmt} values", id=id)


def _pair(actual, expected, *, id, allow_subclasses, rtol, atol, equal_nan, check_device, check_dtype, check_layout,
          check_stride):
    """The comparison of two leaves, as a function to call later (PyTorch pairs everything first, so
    a structural problem anywhere is reported before any value mismatch)."""
    if actual is None or expected is None:
        def none():
            if not (actual is None and expected is None):
                raise _Failure(AssertionError, f"None mismatch: {actual} is not {expected}", id=id)
        return none
    bools = (bool, np.bool_)
    if isinstance(actual, bools) and isinstance(expected, bools):
        a, e = bool(actual), bool(expected)

        def booleans():
            if a is not e:
                raise _Failure(AssertionError, f"Booleans mismatch: {a} is not {e}", id=id)
        return booleans
    if _is_number(actual) and _is_number(expected):
        return _compare_numbers(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan,
                                check_dtype=check_dtype, id=id)
    with contextlib.suppress(_Unsupported):
        return _tensor_pair(actual, expected, allow_subclasses=allow_subclasses, rtol=rtol, atol=atol,
                            equal_nan=equal_nan, check_device=check_device, check_dtype=check_dtype,
                            check_layout=check_layout, check_stride=check_stride, id=id)
    raise _Failure(TypeError, f"No comparison pair was able to handle inputs of type {type(actual)} and "
                              f"{type(expected)}.", id=id)


def _originate(actual, expected, id, options, out):
    seq, mapping = collections.abc.Sequence, collections.abc.Mapping
    if isinstance(actual, seq) and not isinstance(actual, str) and isinstance(expected, seq) \
            and not isinstance(expected, str):
        if len(actual) != len(expected):
            raise _Failure(AssertionError, f"The length of the sequences mismatch: {len(actual)} != {len(expected)}",
                           id=id)
        for i in range(len(actual)):
            _originate(actual[i], expected[i], (*id, i), options, out)
    elif isinstance(actual, mapping) and isinstance(expected, mapping):
        a_keys, e_keys = set(actual.keys()), set(expected.keys())
        if a_keys != e_keys:
            raise _Failure(AssertionError, "The keys of the mappings do not match:\n"
                                           f"Missing keys in the actual mapping: {sorted(e_keys - a_keys)}\n"
                                           f"Additional keys in the actual mapping: {sorted(a_keys - e_keys)}", id=id)
        keys = a_keys
        with contextlib.suppress(Exception):  # sorted when the keys allow it, for a deterministic first failure
            keys = sorted(keys)
        for key in keys:
            _originate(actual[key], expected[key], (*id, key), options, out)
    else:
        out.append(_pair(actual, expected, id=id, **options))


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None, equal_nan=False,
                 check_device=True, check_dtype=True, check_layout=True, check_stride=False, msg=None):
    """Raise ``AssertionError`` unless ``actual`` and ``expected`` are close, as
    ``torch.testing.assert_close``: tensors (and tensor-likes), Python and NumPy numbers, booleans
    and None, possibly nested in sequences and mappings. ``msg`` (a string, or a callable given the
    generated message) replaces the message of a value mismatch."""
    __tracebackhide__ = True
    options = dict(allow_subclasses=allow_subclasses, rtol=rtol, atol=atol, equal_nan=equal_nan,
                   check_device=check_device, check_dtype=check_dtype, check_layout=check_layout,
                   check_stride=check_stride)
    comparisons = []
    try:
        _originate(actual, expected, (), options, comparisons)
    except _Failure as failure:
        raise failure.to_error() from None  # (structural problems: PyTorch ignores msg for them too)
    for compare in comparisons:
        try:
            compare()
        except _Failure as failure:
            raise failure.to_error(msg) from None
