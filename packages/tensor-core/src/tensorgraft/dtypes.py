"""dtypes and PyTorch's type-promotion rules.

A ``dtype`` wraps a NumPy dtype (CuPy uses the same objects). Promotion follows
``torch.result_type``: operands are ranked dimensioned tensor > zero-dim tensor
> Python scalar, and a lower-ranked operand only changes the result when it is
of a higher *category* (bool < integer < floating < complex). NumPy's own rules
differ (``int64 + float16`` is ``float64`` there, ``float16`` in PyTorch), so we
compute the result ourselves and cache it per dtype combination.
"""
from __future__ import annotations

import ml_dtypes
import numpy as np

__all__ = [
    "dtype", "bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32",
    "float64", "complex64", "complex128", "uint16", "uint32", "uint64", "float8_e4m3fn", "float8_e4m3fnuz",
    "float8_e5m2", "float8_e5m2fnuz", "float8_e8m0fnu", "get_default_dtype", "set_default_dtype",
    "promote_types", "result_type", "can_cast", "finfo", "iinfo",
]

_BOOL, _INT, _FLOAT, _COMPLEX = 0, 1, 2, 3


class dtype:
    """A tensor element type. ``repr`` matches PyTorch (``torch.float32``) so that
    code written for PyTorch prints the same thing under ``import tensorgraft as torch``."""

    __module__ = "tensorgraft"  # printed <class 'tensorgraft.dtype'>, as PyTorch prints torch.dtype

    __slots__ = ("name", "np", "category", "itemsize", "is_floating_point", "is_complex",
                 "is_signed", "_torch_name", "scalar_type", "limited")

    def __init__(self, name: str, np_dtype, category: int, scalar_type: str, *, limited: bool = False,
                 signed: bool = True):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.category = category
        self.itemsize = self.np.itemsize
        self.is_floating_point = category == _FLOAT
        self.is_complex = category == _COMPLEX
        self.is_signed = signed and (self.np.kind in "ifc" or category == _FLOAT)  # bfloat16: kind V
        self._torch_name = name
        # PyTorch's C++ ScalarType name, which its messages print ("... for 'Float'")
        self.scalar_type = scalar_type
        # the dtypes PyTorch keeps out of type promotion (uint16/32/64: "shell" dtypes; the 8-bit
        # floats: storage formats): mixing them with another dtype is an error, not a promotion
        self.limited = limited

    def __repr__(self) -> str:
        return "torch." + self._torch_name

    __str__ = __repr__

    def __reduce__(self):
        return (_dtype_by_name, (self.name,))

    def to_real(self) -> "dtype":
        return {complex64: float32, complex128: float64}.get(self, self)

    def to_complex(self) -> "dtype":
        if self.limited and self.category == _FLOAT:
            raise RuntimeError(f"Unknown Complex ScalarType for {self.scalar_type}")
        return {float64: complex128, complex128: complex128}.get(self, complex64)


bool = dtype("bool", np.bool_, _BOOL, "Bool")  # noqa: A001 - PyTorch's public name
uint8 = dtype("uint8", np.uint8, _INT, "Byte")
int8 = dtype("int8", np.int8, _INT, "Char")
int16 = dtype("int16", np.int16, _INT, "Short")
int32 = dtype("int32", np.int32, _INT, "Int")
int64 = dtype("int64", np.int64, _INT, "Long")
float16 = dtype("float16", np.float16, _FLOAT, "Half")
# NumPy has no bfloat16; ml_dtypes (the JAX/TensorFlow project's NumPy extension types) adds one
# that arrays store in 2 bytes. Its NumPy kind is 'V', not 'f', so code that asks "is this array
# floating?" asks ``np_kind`` (below). Kernels compute bfloat16 in float32 and round once, as
# PyTorch's CPU kernels do (see ``BF16`` users: ops/_bfloat16.py).
bfloat16 = dtype("bfloat16", ml_dtypes.bfloat16, _FLOAT, "BFloat16")
float32 = dtype("float32", np.float32, _FLOAT, "Float")
float64 = dtype("float64", np.float64, _FLOAT, "Double")
complex64 = dtype("complex64", np.complex64, _COMPLEX, "ComplexFloat")
complex128 = dtype("complex128", np.complex128, _COMPLEX, "ComplexDouble")
# The limited dtypes (docs/user-guide/tensors.md): tensors of them are made, converted, moved, viewed,
# indexed, saved and loaded; PyTorch 2.13 runs few ops on them and never promotes them with another
# dtype. The wider unsigned integers are NumPy's own; the 8-bit floats are ml_dtypes' (as bfloat16).
uint16 = dtype("uint16", np.uint16, _INT, "UInt16", limited=True)
uint32 = dtype("uint32", np.uint32, _INT, "UInt32", limited=True)
uint64 = dtype("uint64", np.uint64, _INT, "UInt64", limited=True)
float8_e4m3fn = dtype("float8_e4m3fn", ml_dtypes.float8_e4m3fn, _FLOAT, "Float8_e4m3fn", limited=True)
float8_e4m3fnuz = dtype("float8_e4m3fnuz", ml_dtypes.float8_e4m3fnuz, _FLOAT, "Float8_e4m3fnuz", limited=True)
float8_e5m2 = dtype("float8_e5m2", ml_dtypes.float8_e5m2, _FLOAT, "Float8_e5m2", limited=True)
float8_e5m2fnuz = dtype("float8_e5m2fnuz", ml_dtypes.float8_e5m2fnuz, _FLOAT, "Float8_e5m2fnuz", limited=True)
# (e8m0: an exponent only, no sign bit)
float8_e8m0fnu = dtype("float8_e8m0fnu", ml_dtypes.float8_e8m0fnu, _FLOAT, "Float8_e8m0fnu", limited=True,
                       signed=False)

# the dtypes every op computes with
FULL_DTYPES = (bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64, complex64, complex128)
UNSIGNED_WIDE = (uint16, uint32, uint64)
FLOAT8_DTYPES = (float8_e4m3fn, float8_e4m3fnuz, float8_e5m2, float8_e5m2fnuz, float8_e8m0fnu)
FLOAT8_NP = frozenset(d.np for d in FLOAT8_DTYPES)  # their NumPy (ml_dtypes) dtypes, for membership tests
LIMITED_DTYPES = UNSIGNED_WIDE + FLOAT8_DTYPES
ALL_DTYPES = FULL_DTYPES + LIMITED_DTYPES
# PyTorch's aliases: torch.float, torch.long, torch.half, ...
ALIASES = {
    "float": float32, "double": float64, "half": float16, "long": int64, "int": int32,
    "short": int16, "cfloat": complex64, "cdouble": complex128, "complex32": None,
}
# the C++ element types PyTorch's messages print (its TypeMeta names: "expected scalar type float"),
# by NumPy dtype name; one table for every message that spells them
CPP_TYPE_NAMES = {
    "float16": "c10::Half", "bfloat16": "c10::BFloat16", "float32": "float", "float64": "double",
    "int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
    "bool": "bool", "complex64": "c10::complex<float>", "complex128": "c10::complex<double>",
    "uint16": "short unsigned int", "uint32": "unsigned int", "uint64": "long unsigned int",
}
_BY_NUMPY = {d.np: d for d in ALL_DTYPES}
BF16 = bfloat16.np  # the NumPy dtype object (a singleton: ``a.dtype is BF16`` is the cheap test)
_KIND = {d.np: ("f" if d.category == _FLOAT else d.np.kind) for d in ALL_DTYPES}  # ml_dtypes' kinds: 'V' (or 'f')


def np_kind(np_dtype) -> str:
    """NumPy's dtype ``kind`` letter, except that bfloat16 and the 8-bit floats (kind 'V' in ml_dtypes) are 'f'."""
    k = _KIND.get(np_dtype)
    return k if k is not None else np.dtype(np_dtype).kind
_BY_NAME = {d.name: d for d in ALL_DTYPES}


def _dtype_by_name(name: str) -> dtype:
    return _BY_NAME[name]


def from_numpy_dtype(np_dtype) -> dtype:
    """The tensorgraft dtype for a NumPy dtype; PyTorch's TypeError (or ValueError, for a supported
    type stored in the other byte order) for the rest."""
    try:
        return _BY_NUMPY[np.dtype(np_dtype)]
    except (KeyError, TypeError):
        pass
    np_type = np.dtype(np_dtype)
    if not np_type.isnative and np_type.newbyteorder("=") in _BY_NUMPY:
        raise ValueError("given numpy array has byte order different from the native byte order. Conversion "
                         "between byte orders is currently not supported.")
    name = f"numpy.{np_type.type.__name__}"  # as PyTorch names it: numpy.str_, numpy.object_, ...
    raise TypeError(
        f"can't convert np.ndarray of type {name}. The only supported types are: float64, float32, float16, "
        "complex64, complex128, int64, int32, int16, int8, uint64, uint32, uint16, uint8, and bool.")


# --- default dtype -----------------------------------------------------------------------------
_default = [float32]
_result_cache: dict = {}


def get_default_dtype() -> dtype:
    return _default[0]


def set_default_dtype(d: dtype) -> None:
    if not isinstance(d, dtype) or d.category != _FLOAT:
        raise TypeError("only floating-point types are supported as the default type")
    _default[0] = d
    _result_cache.clear()  # Python-float scalars now promote differently


def default_complex_dtype() -> dtype:
    return complex128 if _default[0] is float64 else complex64


def promote_types(a: dtype, b: dtype) -> dtype:
    """``torch.promote_types``: the higher category wins outright; within a category the
    wider type (NumPy's rule, which agrees with PyTorch there)."""
    if a is b:
        return a
    if a.limited or b.limited:
        return _promote_limited(a, b)
    if a.category != b.category:
        hi, lo = (a, b) if a.category > b.category else (b, a)
        if hi.category == _COMPLEX and lo.category == _FLOAT and lo is float64:
            return complex128
        return hi
    if a is bfloat16 or b is bfloat16:
        # PyTorch: bfloat16 with float16 meets in float32; a wider float wins; complex is handled above
        other = b if a is bfloat16 else a
        return float32 if other is float16 else other
    return _BY_NUMPY[np.promote_types(a.np, b.np)]


def _promote_limited(a: dtype, b: dtype) -> dtype:
    """PyTorch's rule for two different dtypes one of which is limited: an 8-bit float promotes with
    nothing; uint16/32/64 only with a (full) floating type, which wins."""
    if a.limited and a.category == _FLOAT or b.limited and b.category == _FLOAT:
        raise RuntimeError(f"Promotion for Float8 Types is not supported, attempted to promote {a.scalar_type} and "
                           f"{b.scalar_type}")
    other = b if a.limited else a
    if other.category == _FLOAT and not other.limited:
        return other
    raise RuntimeError("Promotion for uint16, uint32, uint64 types is not supported, attempted to promote "
                       f"{a.scalar_type} and {b.scalar_type}")


# Operand ranks for result_type.
DIMENSIONED, ZERO_DIM, SCALAR = 0, 1, 2


def _scalar_dtype(value) -> dtype:
    if isinstance(value, _pybool):
        return bool
    if isinstance(value, np.bool_):
        # PyTorch reads a NumPy bool scalar as a number through ``__float__``: a float operand
        # (``int_t * np.bool_(True)`` is float32), unlike Python's bool
        return get_default_dtype()
    if isinstance(value, (int, np.integer)):
        return int64
    if isinstance(value, (float, np.floating)):
        return get_default_dtype()
    if isinstance(value, (complex, np.complexfloating)):
        return default_complex_dtype()
    raise TypeError(f"unsupported scalar type {type(value).__name__}")


_pybool = type(True)


def result_type_ranked(operands) -> dtype:
    """``operands`` is a sequence of (dtype, rank). Implements torch.result_type."""
    groups: list = [None, None, None]
    for d, rank in operands:
        g = groups[rank]
        groups[rank] = d if g is None else promote_types(g, d)
    result = None
    for rank in (DIMENSIONED, ZERO_DIM, SCALAR):
        d = groups[rank]
        if d is None:
            continue
        if result is None:
            result = d
        elif d.category > result.category:
            if rank == SCALAR:
                # A Python scalar only contributes its category; the precision comes
                # from the tensor (float64 tensor * 1j -> complex128) or the default.
                if d.category == _COMPLEX and result.category == _FLOAT:
                    result = result.to_complex()
                elif d.category == _COMPLEX:
                    result = default_complex_dtype()
                elif d.category == _FLOAT:
                    result = get_default_dtype()
                else:
                    result = int64
            elif d.category == _COMPLEX and result.category == _FLOAT:
                # a 0-d complex tensor keeps the dimensioned float's precision, as PyTorch
                # (float32 tensor + 0-d complex128 -> complex64; float16 -> complex64 here,
                # complex32 in PyTorch, which NumPy cannot represent)
                result = result.to_complex()
            else:
                result = d
    return result


def binary_result_dtype(da: dtype, ra: int, db: dtype, rb: int) -> dtype:
    """Cached two-operand promotion; the per-op path calls this one."""
    key = (da, ra, db, rb)
    r = _result_cache.get(key)
    if r is None:
        r = _result_cache[key] = result_type_ranked(((da, ra), (db, rb)))
    return r


def result_type(a, b) -> dtype:
    """``torch.result_type(tensor_or_scalar, tensor_or_scalar)``."""
    from .tensor import Tensor

    def ranked(x):
        if isinstance(x, Tensor):
            return x.dtype, (ZERO_DIM if x.ndim == 0 else DIMENSIONED)
        return _scalar_dtype(x), SCALAR

    return result_type_ranked((ranked(a), ranked(b)))


def can_cast(from_: dtype, to: dtype) -> _pybool:
    """``torch.can_cast``: casting may not lower the category (float -> int, complex -> float)."""
    if from_.category > to.category:
        return False
    return True


def to_float(d: dtype) -> dtype:
    """Result dtype of ops that always produce floating values (sqrt, exp, true division)."""
    return d if d.category >= _FLOAT else get_default_dtype()


# --- finfo / iinfo --------------------------------------------------------------------------------
def _g(v) -> str:
    return f"{v:g}"


class finfo:
    """``tensorgraft.finfo(dtype)``: machine limits of a floating (or complex: of its real part)
    dtype. ``finfo()`` describes the default dtype."""

    __slots__ = ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype")

    def __init__(self, type: dtype | None = None):  # noqa: A002 - PyTorch's parameter name
        if type is None:
            type = get_default_dtype()
        if not isinstance(type, dtype):
            raise TypeError(f"finfo(): argument 'type' must be torch.dtype, not {_type(type).__name__}")
        if type.category < _FLOAT:
            raise TypeError("torch.finfo() requires a floating point input type. Use torch.iinfo to handle "
                            "'torch.finfo'")
        real = type.to_real()
        info = ml_dtypes.finfo(real.np) if real.np.kind != "f" or real.limited else np.finfo(real.np)
        self.bits = int(info.bits)
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = float(info.tiny)
        self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0 ** -int(info.precision)
        if real.limited:
            # PyTorch's numbers for the 8-bit floats (its numeric_limits: no decimal digit is exact,
            # and e5m2fnuz's epsilon is taken from its 3-bit-mantissa sibling)
            self.resolution = 1.0
            if real is float8_e5m2fnuz:
                self.eps = 0.125
        self.dtype = real.name

    def __repr__(self) -> str:
        return (f"finfo(resolution={_g(self.resolution)}, min={_g(self.min)}, max={_g(self.max)}, "
                f"eps={_g(self.eps)}, smallest_normal={_g(self.smallest_normal)}, tiny={_g(self.tiny)}, "
                f"dtype={self.dtype})")

    __str__ = __repr__

    def __eq__(self, other):
        return isinstance(other, finfo) and self.dtype == other.dtype

    def __hash__(self):
        return hash(("finfo", self.dtype))


class iinfo:
    """``tensorgraft.iinfo(dtype)``: limits of an integer dtype (``bits``, ``min``, ``max``)."""

    __slots__ = ("bits", "max", "min", "dtype")

    def __init__(self, type: dtype):  # noqa: A002
        if not isinstance(type, dtype):
            raise TypeError(f"iinfo(): argument 'type' must be torch.dtype, not {_type(type).__name__}")
        if type is bool:
            raise TypeError("torch.bool is not supported by torch.iinfo")
        if type.category != _INT:
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to handle "
                            "'torch.iinfo'")
        info = np.iinfo(type.np)
        self.bits = int(info.bits)
        self.max = int(info.max)
        self.min = int(info.min)
        self.dtype = type.name

    def __repr__(self) -> str:
        return f"iinfo(min={_g(float(self.min))}, max={_g(float(self.max))}, dtype={self.dtype})"

    __str__ = __repr__

    def __eq__(self, other):
        return isinstance(other, iinfo) and self.dtype == other.dtype

    def __hash__(self):
        return hash(("iinfo", self.dtype))


_type = type
