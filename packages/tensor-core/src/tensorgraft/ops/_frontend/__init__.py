"""How an op becomes a callable: unwrap tensors, check devices and dtypes, run the device's
kernel, wrap the result and — only if grad mode is on and an input requires grad — ask the
autograd engine to record a node.

This is the per-op hot path. It does no keyword walks, no ``inspect`` and no hook calls: the
kernel comes from ``opdef.table`` (a dict filled at load time) and promotion results are cached.

This package's ``__init__`` holds the per-op path itself (argument checks, the unary, binary and
in-place frontends); ``writes.py`` how results go into existing tensors (in-place stores,
``out=``) and ``axis_aliases.py`` the ``axis=``/``keepdims=`` aliases. Op modules import all
of these names from here (``from .._frontend import write_out``, ``F.with_out``).
"""
from __future__ import annotations

import numpy as np

from ... import dtypes as _dt
from ...grad_mode import state as _gs
from ...argument_errors import c_type_name, not_a_tensor, wrong_type  # noqa: F401  (op modules use them from here)
from ...tensor import Tensor, check_not_inference, wrap

# Re-exported: op modules import every frontend helper from this one place (see the docstring).
from .axis_aliases import numpy_spellings, takes_dim, with_axis_alias  # noqa: F401
from .direct_inplace import DIRECT_INPLACE, NUMPY2, direct_operand, direct_target  # noqa: F401
from .kernel_dtypes import check_inplace_result
from .memory_overlap import (  # noqa: F401
    INPLACE_OVERLAP_CHECKED, INTERNAL_OVERLAP, PARTIAL_OVERLAP, check_operands_overlap, check_overlap, check_out_overlap,
    same_root)
from .writes import (  # noqa: F401
    _CATEGORY, _CONVERT_NAMES, _OVERLAP, _RESIZED, _TYPE_NAMES, _type_name, check_cast, check_out_grad,
    complex_into_real, factory_with_out, store_into, with_out, with_out_decorator, writable_alias, write_out,
    write_outs)

_SCALARS = (int, float, bool, complex, np.number, np.bool_)
# (NUMPY2, from direct_inplace: NumPy 1.x lets Python scalars upcast 0-d arrays, float32 0-d * 2.0 ->
# float64, so the fast paths below only apply to >0-d there)
_BY_NP = _dt._BY_NUMPY
_BF16, _F32, _F16 = _dt.BF16, np.dtype(np.float32), np.dtype(np.float16)
_DIM, _ZERO, _SCALAR = _dt.DIMENSIONED, _dt.ZERO_DIM, _dt.SCALAR
_FLOAT_KINDS = "fc"
# NumPy's float16/32/64 (by dtype char): a Python number meets them as NumPy's weak scalar does in
# PyTorch. Not ml_dtypes' float8_e5m2, whose kind is "f" too: PyTorch converts the number into an
# 8-bit float first, the c10 way (1000 saturates to 448 in e4m3fn), see _promote_pair
_FAST_FLOATS = "efd"


def device_mismatch(opname: str, a: Tensor, b: Tensor):
    return RuntimeError(
        f"Expected all tensors to be on the same device, but found at least two devices, {a.device} and "
        f"{b.device}! (when checking argument for {opname}). Move them with .to() first.")




def check_tensor(value, opname: str, argname: str = "input", pos: int = 1) -> None:
    """PyTorch's TypeError when an op's tensor argument is something else. One ``isinstance`` on
    the common path; frontends that must shave even the call inline that test instead."""
    if not isinstance(value, Tensor):
        raise not_a_tensor(opname, argname, pos, value)


def record(opdef, out, inputs, attrs):
    """Hand a finished forward to the autograd engine (only called when it is needed)."""
    Tensor._autograd.record(opdef, out, inputs, attrs)


def needs_grad(*tensors) -> bool:
    if not _gs.enabled:
        return False
    for t in tensors:
        if t.__class__ is not int and isinstance(t, Tensor) and t._requires_grad:
            return True
    return False


def scalar_dtype(value) -> _dt.dtype:
    return _dt._scalar_dtype(value)


def check_multi_view_inplace(t: Tensor, via: str = None) -> None:
    """PyTorch refuses in-place writes to the outputs of unbind/split/chunk (and views of them)
    taken from a tensor that records gradients: one write would have to rewrite the history of
    the sibling outputs too. ``via``: the view op a ``t[index] = ...`` write goes through
    (``Select``, ``Slice``), which PyTorch's message names instead of ``t``'s own op."""
    extra = t._extra
    if extra is None or extra.multi_view_nr is None or t.grad_fn is None:
        return
    import re
    nr, fn = (0, via) if via else (extra.multi_view_nr, re.sub(r"Backward\d*$", "", type(t.grad_fn).__name__))
    raise RuntimeError(f"Output {nr} of {fn} is a view and is being modified inplace. This view is the output of a "
                       "function that returns multiple views. Such functions do not allow the output views to be "
                       "modified inplace. You should replace the inplace operation by an out-of-place one.")


def check_custom_function_view_inplace(t: Tensor, via: str = None) -> None:
    """PyTorch refuses in-place writes to a view that a custom ``autograd.Function`` returned
    (including an input returned as-is): rebasing the view's history onto the write would bypass
    the Function's own backward. Its ``grad_fn`` is then the Function's context, which alone among
    nodes knows its Function (``_fn``)."""
    fn = t.grad_fn
    function = getattr(fn, "_fn", None) if fn is not None else None
    if function is None:
        return
    # ``t[i] = v`` writes through a Select/Slice view of the output, which PyTorch's message names
    raise RuntimeError(f"Output {t._output_nr} of {via or function.__name__} is a view and is being modified inplace. This "
                       "view was created inside a custom Function (or because an input was returned as-is) and the "
                       "autograd logic to handle view+inplace would override the custom backward associated with the "
                       "custom Function, leading to incorrect gradients. This behavior is forbidden. You can fix this "
                       "by cloning the output of the custom Function.")


NO_GRAD_VIEW_INPLACE = (
    "A view was created in no_grad mode and is being modified inplace with grad mode enabled. Given that this use "
    "case is ambiguous and error-prone, it is forbidden. You can clarify your code by moving both the view and the "
    "inplace either both inside the no_grad block (if you don't want the inplace to be tracked) or both outside (if "
    "you want the inplace to be tracked).")


def check_inplace_allowed(t: Tensor, opname: str) -> None:
    """PyTorch refuses in-place ops on a leaf that requires grad while grad mode is on."""
    if t._extra is not None:
        check_multi_view_inplace(t)
        if t._extra.no_grad_view and _gs.enabled and t.grad_fn is None:  # (a custom Function's output has one)
            raise RuntimeError(NO_GRAD_VIEW_INPLACE)
    if t._base is not None and _gs.enabled:
        check_custom_function_view_inplace(t)
    if t._requires_grad and t.grad_fn is None and _gs.enabled:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")


def bump_version(t: Tensor) -> None:
    t._vc[0] += 1


# --------------------------------------------------------------------------- unary elementwise
def make_unary(opdef, *, to_float: bool = False, keep_int: bool = True):
    """``f(input)`` for elementwise ops. ``to_float``: integer inputs produce the default float
    dtype (exp, sqrt, sigmoid...), as PyTorch does."""
    table = opdef.table
    name = opdef.name
    differentiable = opdef.differentiable

    def unary(input):
        if not isinstance(input, Tensor):
            raise not_a_tensor(name, "input", 1, input)
        a = input._data
        if to_float and a.dtype.kind not in _FLOAT_KINDS and a.dtype is not _BF16:
            a = a.astype(_dt.get_default_dtype().np)
        r = table[input._device.type](a)
        if not NUMPY2 and r.dtype != a.dtype and r.dtype.kind == a.dtype.kind == "f":
            r = r.astype(a.dtype)  # NumPy 1.x upcasts 0-d arrays mixed with Python floats
        out = wrap(r, input._device)
        if differentiable and input._requires_grad and _gs.enabled:
            Tensor._autograd.record(opdef, out, (input,), None)
        return out

    unary.__name__ = unary.__qualname__ = name
    return unary


# --------------------------------------------------------------------------- gradient scatters
def make_gradient_scatter(opdef, attr_names):
    """``f(grad, *args)`` for the private ops backward formulas call to place a gradient into a
    tensor of the input's shape (``_index_backward``, ``_diagonal_backward``, ``_unfold_backward``,
    declared with ``_define.gradient_scatter``): the kernel gets ``grad``'s array and ``args``; the node it records (so that higher orders work)
    keeps ``args`` under ``attr_names`` (None: one the formula does not read)."""
    table = opdef.table

    def scatter(grad, *args):
        out = wrap(table[grad._device.type](grad._data, *args), grad._device)
        if grad._requires_grad and _gs.enabled:
            Tensor._autograd.record(opdef, out, (grad,), {k: v for k, v in zip(attr_names, args) if k is not None})
        return out

    scatter.__name__ = scatter.__qualname__ = opdef.name.lstrip("_")
    return scatter


# --------------------------------------------------------------------------- binary elementwise
def _promote_pair(name, a, ra, b, rb, mode, opmath=False):
    """Slow path of binary ops: operands of different dtypes, 0-d tensors or scalars.
    Returns the operands cast to the computation dtype and the result dtype.

    ``opmath``: arithmetic on a bfloat16 or float16 tensor and a Python number computes in float32
    with the number unrounded, as PyTorch's kernels do (``x * 1.006`` multiplies by 1.006, not by its
    bfloat16 neighbour 1.0078); the operands come back as float32 and the caller rounds the
    result to the returned (half) dtype."""
    da = _BY_NP[a.dtype] if ra != _SCALAR else _dt._scalar_dtype(a)
    db = _BY_NP[b.dtype] if rb != _SCALAR else _dt._scalar_dtype(b)
    common = _dt.binary_result_dtype(da, ra, db, rb)
    if mode == "float":
        common = _dt.to_float(common)
    elif mode == "double":  # (float_power: every operand converted to double precision first)
        common = _dt.complex128 if common.is_complex else _dt.float64
    npd = common.np
    if opmath and (npd is _BF16 or npd is _F16) and (ra == _SCALAR) != (rb == _SCALAR):
        npd = _F32
    if npd in _dt.FLOAT8_NP:
        # into an 8-bit float as c10 converts (through float32, e4m3fn saturating): ``x == 1000`` and
        # ``x == tensor(1000)`` compare with the number PyTorch stores, not the number itself
        from ..conversion import float8_cast
        if ra != _SCALAR and a.dtype != npd:
            a = float8_cast(a, npd)
        if rb != _SCALAR and b.dtype != npd:
            b = float8_cast(b, npd)
    if ra != _SCALAR and a.dtype != npd:
        a = a.astype(npd)
    if rb != _SCALAR and b.dtype != npd:
        b = b.astype(npd)
    # Python scalars stay weak; NumPy casts them to the array's dtype. A scalar of a
    # higher category than the tensor already promoted ``common`` above.
    if ra == _SCALAR and rb == _SCALAR:
        a = np.asarray(a, dtype=npd)
    elif ra == _SCALAR:
        a = _weak_scalar(a, npd)
    elif rb == _SCALAR:
        b = _weak_scalar(b, npd)
    return a, b, common


# A Python int becomes a 64-bit scalar as PyTorch converts it: int64 where it fits, else uint64
# (then cast the C way, so 2**63 wraps); beyond both it is refused, not wrapped
_INT_MIN, _UINT_END = -(1 << 63), 1 << 64


def _check_int_range(value) -> None:
    if value.__class__ is int and not _INT_MIN <= value < _UINT_END:
        raise OverflowError("int too big to convert" if value > 0 else "can't convert negative int to unsigned")


def _weak_scalar(value, npd):
    _check_int_range(value)
    if npd in _dt.FLOAT8_NP:
        from ..conversion import float8_from_number
        return float8_from_number(value, npd)
    try:
        return npd.type(value)
    except OverflowError:
        if npd.kind not in "iu" or not isinstance(value, (int, np.integer)):
            raise
        # PyTorch casts an out-of-range Python int the C way: modulo 2**bits
        # (uint8 tensor + -1 -> x + 255, wrapping around)
        bits = npd.itemsize * 8
        v = int(value) % (1 << bits)
        if npd.kind == "i" and v >= 1 << (bits - 1):
            v -= 1 << bits
        return npd.type(v)


def join_cpu_scalars(name: str, *operands):
    """Operands on more than one device (callers test for that first: never the hot path).

    As PyTorch's TensorIterator, the op runs on the first device among the operands that is not
    the CPU, and a 0-d CPU tensor may join it (it acts as a scalar): it is copied over —
    differentiably, so its gradient comes back to the CPU. Any other tensor elsewhere is the usual
    device-mismatch error, naming that device first. Non-tensor operands (numbers, ``None``) pass
    through. Returns all operands, moved where needed.

    In-place ops get no special case here: a 0-d CPU ``self`` joins like any operand, and
    ``make_inplace`` then refuses to write the result computed elsewhere back into it."""
    tensors = [t for t in operands if isinstance(t, Tensor)]
    ref = next((t for t in tensors if t._device.type != "cpu"), tensors[0])
    dev = ref._device
    moved = []
    for t in operands:
        if isinstance(t, Tensor) and t._device is not dev:
            if t._data.ndim or t._device.type != "cpu":
                raise device_mismatch(name, ref, t)
            t = t.to(dev)
        moved.append(t)
    return tuple(moved)


# Two-operand functions PyTorch declares for tensors only (no Number overload): a number in either
# place is its "must be Tensor, not float" TypeError
TENSOR_ONLY = frozenset({"atan2", "arctan2", "fmax", "fmin", "gcd", "lcm", "hypot", "igamma", "igammac", "ldexp",
                         "logaddexp", "logaddexp2", "logical_and", "logical_or", "logical_xor", "maximum", "minimum",
                         "nextafter"})
# ... and those with a Number overload for ``other`` but none for ``input`` (``torch.eq(2.0, t)``)
_NO_NUMBER_FIRST = frozenset({"copysign", "eq", "fmod", "ge", "greater", "greater_equal", "gt", "le", "less",
                              "less_equal", "lt", "ne", "not_equal"})


def _number_first_error(name, number):
    return TypeError(f"{name}() received an invalid combination of arguments - got ({c_type_name(number)}, Tensor), "
                     "but expected one of:\n * (Tensor input, Tensor other, *, Tensor out = None)\n"
                     " * (Tensor input, Number other, *, Tensor out = None)\n")


def make_binary(opdef, *, mode: str = "same", argname: str = "other", dunder: bool = False,
                reflected: bool = False, method: bool = False):
    """``f(input, other)``. ``mode``: "same" (result in the promoted dtype), "float" (integer
    inputs promote to the default float: true division), "bool" (comparisons: computed in the
    promoted dtype, result bool).

    ``dunder=True`` builds the operator method (``Tensor.__add__``): foreign operand types give
    ``NotImplemented`` so Python can try the other side; ``reflected=True`` swaps the operands
    (``__radd__``). Both are generated here rather than wrapped, to keep ``a + b`` one call deep.
    A NumPy array operand takes PyTorch's route (``_ndarray_operand``).
    """
    table = opdef.table
    name = opdef.name
    differentiable = opdef.differentiable and mode != "bool"
    float_mode = mode == "float"
    py_scalars = (int, float)
    # the node PyTorch records for ``number op tensor`` where it is another op's (``2 / x``: MulBackward0);
    # None: the op's own. Operators only: the functions wrap the number (``torch.div(2., x)``: DivBackward0)
    scalar_first_node = opdef.extra.get("scalar_first_node") if dunder else None
    # ``tensor op number`` may record a node of its own op (``x.fmod(1.5)``: one that saves nothing)
    scalar_other_op = opdef.extra.get("scalar_other_op") or opdef
    # a refusal that depends on the operands' own dtypes, which promotion erases (``sub`` with one
    # bool operand); called on the promotion paths only, where operand dtypes differ or a scalar
    # joins, so same-dtype tensors and float-tensor/number pairs never pay for it
    operand_check = opdef.extra.get("operand_check")
    # ... or on every call (kernel_dtypes: the dtypes the kernel takes, one dtype or two)
    check_same_dtype = getattr(operand_check, "every_call", False)
    reciprocal_first = dunder and reflected and name == "div"
    # the function and method forms refuse numbers where PyTorch has no overload for them (the
    # operators take them: ``torch.maximum(x, 0.)`` fails in PyTorch, ``x > 0.`` works);
    # ``method``: the Tensor method, whose messages count ``other`` as position 1
    refuse_numbers = not dunder and name in TENSOR_ONLY
    refuse_number_first = not dunder and name in _NO_NUMBER_FIRST
    other_pos = 1 if method else 2
    # PyTorch multiplies and divides a bfloat16 or float16 tensor by a number kept in float32; its
    # other ops (add, sub, pow, fmod ...) round the number to the half type first (see _promote_pair)
    opmath = name in ("mul", "div", "true_divide", "divide", "multiply")
    opmath_f16 = _F16 if opmath else None  # (float16 then leaves the fast path below: NumPy would round the number)
    # the reflected operators of commutative ops (``2 * x``, ``1 + x``): PyTorch swaps the
    # operands; the functions (``torch.mul(2, x)``) keep them
    swap_reflected = dunder and reflected and name in ("add", "mul")
    # PyTorch's __radd__/__rmul__/__rand__/__ror__/__rxor__ are the ops themselves (``self.add(other)``):
    # with a tensor ``other`` the operands stay in order (its promotion error names ``self`` first)
    keep_tensor_order = dunder and reflected and name in ("add", "mul", "bitwise_and", "bitwise_or", "bitwise_xor")

    def binary(input, other):
        if reflected:
            if reciprocal_first and isinstance(other, Tensor):
                # ``t.__rtruediv__(u)`` is PyTorch's ``t.reciprocal() * u`` whatever ``u`` is, so a uint16
                # ``t`` with an int64 ``u`` meets as float32 (no uint promotion refusal) and rounds twice
                return input.reciprocal() * other
            if not (keep_tensor_order and isinstance(other, Tensor)):
                input, other = other, input
        try:
            if isinstance(input, Tensor):
                dev = input._device
                a = input._data
                if isinstance(other, Tensor):
                    if other._device is not dev:
                        input, other = join_cpu_scalars(name, input, other)
                        dev, a = input._device, input._data
                    b = other._data
                    if a.dtype is not b.dtype or (float_mode and a.dtype.kind not in _FLOAT_KINDS):
                        if operand_check is not None:
                            operand_check(a, b)
                        a, b, _ = _promote_pair(name, a, _ZERO if a.ndim == 0 else _DIM,
                                                b, _ZERO if b.ndim == 0 else _DIM, mode)
                    elif check_same_dtype:
                        operand_check(a, b)
                    out = wrap(table[dev.type](a, b), dev)
                    if differentiable and _gs.enabled and (input._requires_grad or other._requires_grad):
                        Tensor._autograd.record(opdef, out, (input, other), None)
                    return out
                if refuse_numbers:
                    raise not_a_tensor(name, argname, other_pos, other)
                if other.__class__ in py_scalars and a.dtype.char in _FAST_FLOATS and (NUMPY2 or a.ndim) and (
                        other.__class__ is float or _INT_MIN <= other < _UINT_END) and a.dtype is not opmath_f16:
                    # Fast path: a Python int/float never changes a floating tensor's dtype, and NumPy treats
                    # it as a weak scalar the same way.
                    out = wrap(table[dev.type](a, other), dev)
                elif isinstance(other, _SCALARS):
                    if operand_check is not None:
                        operand_check(a, other)
                    a, b, common = _promote_pair(name, a, _ZERO if a.ndim == 0 else _DIM, other, _SCALAR, mode, opmath)
                    r = table[dev.type](a, b)
                    if r.dtype == _F32 and (common is _dt.bfloat16 or common is _dt.float16):
                        r = r.astype(common.np)  # computed in float32 (opmath): rounded once
                    out = wrap(r, dev)
                elif dunder and isinstance(other, np.ndarray):
                    return _ndarray_operand(binary, name, input, other)
                else:
                    return _bad_other(name, argname, other, dunder, other_pos)
                if differentiable and input._requires_grad and _gs.enabled:
                    Tensor._autograd.record(scalar_other_op, out, (input, other), None)
                return out
            if isinstance(other, Tensor) and isinstance(input, _SCALARS):
                if refuse_numbers:
                    raise not_a_tensor(name, "input", 1, input)
                if refuse_number_first:
                    raise _number_first_error(name, input)
                dev = other._device
                b = other._data
                fast = input.__class__ in py_scalars and b.dtype.char in _FAST_FLOATS and (NUMPY2 or b.ndim) and (
                    input.__class__ is float or _INT_MIN <= input < _UINT_END) and b.dtype is not opmath_f16
                if reciprocal_first:
                    # ``2 / t`` is PyTorch's ``t.reciprocal() * 2``: two roundings, where 2 / t has one
                    out = wrap(table[dev.type](1, b) * input, dev) if fast else other.detach().reciprocal() * input
                elif fast:
                    out = wrap(table[dev.type](input, b), dev)
                else:
                    if operand_check is not None:
                        operand_check(input, b)
                    a, b, common = _promote_pair(name, input, _SCALAR, b, _ZERO if b.ndim == 0 else _DIM, mode, opmath)
                    r = table[dev.type](a, b)
                    if r.dtype == _F32 and (common is _dt.bfloat16 or common is _dt.float16):
                        r = r.astype(common.np)  # computed in float32 (opmath): rounded once
                    out = wrap(r, dev)
                if differentiable and other._requires_grad and _gs.enabled:
                    if swap_reflected:  # ``2 * x`` records x * 2 (edges [x, None]), as PyTorch's operator
                        Tensor._autograd.record(scalar_other_op, out, (other, input), None)
                    else:
                        Tensor._autograd.record(opdef, out, (input, other), None, node_name=scalar_first_node)
                return out
            if isinstance(input, Tensor) or isinstance(other, Tensor):
                if reciprocal_first and isinstance(input, np.ndarray):
                    # ``array / t``: PyTorch's __rtruediv__ is ``t.reciprocal() * array``, which
                    # NumPy then computes (so ``array - t`` fails while ``array / t`` works)
                    return other.reciprocal() * input
                if not dunder and not isinstance(input, Tensor):
                    raise not_a_tensor(name, "input", 1, input)
                return _bad_other(name, argname, other if isinstance(input, Tensor) else input, dunder)
            raise not_a_tensor(name, "input", 1, input)
        except ValueError as e:
            # NumPy's broadcasting error: PyTorch names the first mismatching dim from the right
            raise _binary_value_error(e, input, other) from None
        except TypeError as e:
            # NumPy's "ufunc 'bitwise_and' not supported for the input types": PyTorch names its kernel
            if name not in _INTEGER_ONLY_KERNELS or not str(e).startswith("ufunc "):
                raise
            raise _integer_only_error(name, input, other, mode) from None

    binary.__name__ = binary.__qualname__ = name
    return binary


# Ops PyTorch implements for integer and bool dtypes only, with the kernel its error names.
_INTEGER_ONLY_KERNELS = {"bitwise_and": "bitwise_and", "bitwise_or": "bitwise_or", "bitwise_xor": "bitwise_xor",
                         "bitwise_left_shift": "lshift", "bitwise_right_shift": "rshift"}


def _integer_only_error(name, input, other, mode):
    """PyTorch's error for a bitwise op on floating or complex operands, naming the promoted dtype."""
    ref = input if isinstance(input, Tensor) else other
    ranks = [(x._data, _ZERO if x._data.ndim == 0 else _DIM) if isinstance(x, Tensor) else (x, _SCALAR)
             for x in (input, other)]
    common = _promote_pair(name, *ranks[0], *ranks[1], mode)[2]
    return NotImplementedError(f"\"{_INTEGER_ONLY_KERNELS[name]}_{ref._device.type}\" not implemented for "
                               f"'{_type_name(common.np)}'")


def broadcast_mismatch(*shapes):
    """PyTorch's error for shapes that do not broadcast (``infer_size``: operands folded left to
    right, dims compared from the last one), or None when they do."""
    acc = ()
    for shp in shapes:
        shp = tuple(shp)
        n = max(len(acc), len(shp))
        a = (1,) * (n - len(acc)) + acc
        b = (1,) * (n - len(shp)) + shp
        for i in range(n - 1, -1, -1):
            if a[i] != b[i] and a[i] != 1 and b[i] != 1:
                return RuntimeError(f"The size of tensor a ({a[i]}) must match the size of tensor b ({b[i]}) at "
                                    f"non-singleton dimension {i}")
        acc = tuple(y if x == 1 else x for x, y in zip(a, b))
    return None


def shape_error(e, *operands):
    """``e`` (NumPy's ValueError) as PyTorch's broadcast message when the operands' shapes are the
    cause; ``e`` itself otherwise."""
    err = broadcast_mismatch(*(x._data.shape if isinstance(x, Tensor) else getattr(x, "shape", ())
                               for x in operands))
    return err if err is not None else e


def _binary_value_error(e, input, other):
    shapes = [x._data.shape for x in (input, other) if isinstance(x, Tensor)]
    err = broadcast_mismatch(*shapes) if len(shapes) == 2 else None
    return err if err is not None else e


def _bad_other(name, argname, value, dunder, pos=2):
    if dunder:
        return NotImplemented
    raise not_a_tensor(name, argname, pos, value)


def _ndarray_operand(binary, name, input, array):
    """``t <op> array`` as PyTorch does it. Only ``==`` reads the array as a tensor (with tensor
    promotion: ``t == array`` compares in the tensor's dtype when the array is 0-d). Every other
    operator answers ``NotImplemented``: Python then hands the operation to the array, NumPy
    computes it on ``t.__array__()`` with its own promotion (``float32 * array(2.0)`` is float64)
    and ``Tensor.__array_wrap__`` turns the result back into a tensor - or refuses a tensor that
    requires grad. The ordering comparisons and ``!=`` end in NumPy deferring back, so Python's
    own TypeError (``'>' not supported``) or identity fallback (``t != array`` is True) follows."""
    if name != "eq":
        return NotImplemented
    from ..creation import tensor_from_data
    try:
        other = tensor_from_data(array, device=input._device)
    except TypeError:  # an array of str or objects: Python's fallback (``False``)
        return NotImplemented
    return binary(input, other)


# --------------------------------------------------------------------------- in-place variants
# in-place name -> check(self, *args, **kwargs) run first: for refusals PyTorch's in-place overload
# words differently from the generic cast check (``int_t.clamp_(0.5)``)
INPLACE_PRECHECKS: dict = {}


def make_inplace(opdef, out_of_place, dunder: bool = False):
    """``x.add_(y)``: compute out of place, then write into ``x``'s memory.

    Without autograd this is just a store. With autograd recording, the result's node is
    re-pointed at ``x`` (x's history now ends in this op), as PyTorch rebases history.

    ``dunder=True`` builds the operator method (``__iadd__``): a NumPy array operand gives
    ``NotImplemented``, so that ``t += array`` falls back to ``t = t + array`` (a new tensor, of
    NumPy's result dtype), as in PyTorch.
    """
    name = opdef.inplace
    op_name = getattr(opdef, "name", None)
    tensor_only = op_name in TENSOR_ONLY  # (``x.maximum_(0.)`` is refused as its function is)
    # the CPU kernel as bound now: vmap and the profiler wrap table entries while they run, and
    # the direct path below is taken only while nobody has
    table = getattr(opdef, "table", None)
    plain_cpu = table.get("cpu") if table is not None else None
    # two-operand elementwise ops refuse an operand that is part of ``self`` (``x[1:].add_(x[:-1])``):
    # PyTorch's elementwise kernels would read elements they had written. The ops of
    # INPLACE_OVERLAP_CHECKED check every tensor operand (positional or keyword) the same way, or
    # refuse any overlap ("any": index_add_ reads rows of its source as it writes rows of self).
    elementwise = bool(getattr(opdef, "extra", {}).get("binary_mode"))
    every_operand = INPLACE_OVERLAP_CHECKED.get(name)
    # ops declaring their kernel's dtypes (kernel_dtypes) refuse a result x can't hold first
    kernel_check = getattr(opdef, "extra", {}).get("operand_check")
    cast_first = getattr(kernel_check, "every_call", False)
    to_float = cast_first and kernel_check.takes_integers and opdef.extra.get("binary_mode") == "float"

    def inplace(self, *args, **kwargs):
        if dunder and isinstance(args[0], np.ndarray):
            return NotImplemented
        if (tensor_only or elementwise) and args and not isinstance(args[0], Tensor) and (
                tensor_only or args[0].__class__ is np.ndarray):  # (``x.add_(a)``: in add_'s own words)
            raise not_a_tensor(name, "other", 1, args[0])
        if elementwise and args and isinstance(args[0], Tensor) and args[0] is not self and same_root(self, args[0]):
            check_overlap(self._data, args[0]._data)
        elif every_operand is not None:
            check_operands_overlap(self, args, every_operand == "partial")
            if kwargs:
                check_operands_overlap(self, kwargs.values(), every_operand == "partial")
        if self._vc.__class__ is not list:  # inference tensor (normal ones pay only this class test)
            check_not_inference(self)
        if cast_first and args and isinstance(args[0], (Tensor, bool, int, float, complex)):
            check_inplace_result(self._data, args[0]._data if isinstance(args[0], Tensor) else args[0], to_float)
        precheck = INPLACE_PRECHECKS.get(name)
        record = _gs.enabled and (self._requires_grad or any(  # (kwargs too: clamp_(min=t))
            isinstance(a, Tensor) and a._requires_grad for a in (*args, *kwargs.values())))
        if record:
            # PyTorch refuses a write into a leaf that requires grad before it looks at the
            # other arguments' shapes or values (the prechecks)
            check_inplace_allowed(self, name)
            if precheck is not None:
                precheck(self, *args, **kwargs)
            result = out_of_place(Tensor._autograd.snapshot(self), *args, **kwargs)
            if self._base is not None:
                # a view: the base's history gets the write (CopySlices), as PyTorch records it -
                # also when only the other operand requires grad (the base then starts to)
                check_cast(result._data, self._data)
                from ..indexing import assign_into_view
                return assign_into_view(self, result)
        else:
            if precheck is not None:
                precheck(self, *args, **kwargs)
            if plain_cpu is not None and table.get("cpu") is plain_cpu:
                direct = DIRECT_INPLACE.get(op_name)
                if direct is not None and direct(self, args, kwargs):
                    self._vc[0] += 1
                    return self
            result = out_of_place(self, *args, **kwargs)
        if result._device is not self._device:  # a 0-d CPU tensor may join an op, not receive its result
            raise device_mismatch(name, result, self)  # PyTorch names the device the op ran on first
        store_into(self, result._data, name)
        if record:
            Tensor._autograd.rebase(self, result)
        return self

    inplace.__name__ = inplace.__qualname__ = name
    return inplace
