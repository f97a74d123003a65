"""Two-operand ops over every pair of dtypes (and Python numbers), against PyTorch: the same result
dtype and values, or the same error. PyTorch dispatches a kernel on the operands' common dtype and
refuses one it has no loop for (``"hypot_cpu" not implemented for 'Long'``, ``"gcd_cpu" not
implemented for 'Float'``, ``"fmod_cpu" not implemented for 'Bool'``), where NumPy would compute
in a dtype of its own choosing or fail in its own words; the in-place forms refuse a result their
tensor can't hold first. Cases where PyTorch's outcome is a complex32 (ComplexHalf) tensor or names
that dtype are left out: tensorgraft has no complex32 (docs/user-guide/differences.md)."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import tensorgraft as tg  # noqa: E402

DTYPES = ["float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool",
          "complex64", "complex128"]
NUMBERS = {"2": 2, "2.5": 2.5, "True": True, "1j": 1j}
OTHERS = DTYPES + list(NUMBERS)


def _get(lib, dotted):
    obj = lib
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def _tensor(lib, dtype, values=(1, 2, 3)):
    t = lib.tensor(np.array(values))
    return t > 0 if dtype == "bool" else t.to(getattr(lib, dtype))


def _outcome(lib, call):
    try:
        r = call(lib)
    except Exception as e:  # noqa: BLE001 - the outcome compared is the error itself
        return ("error", type(e).__name__, str(e).split("\n")[0])
    wide = r.to(lib.complex128 if r.is_complex() else lib.float64) if r.dtype != lib.bool else r
    return ("value", str(r.dtype).split(".")[-1], np.asarray(wide.tolist()))


def _assert_same(call, case):
    theirs, ours = _outcome(torch, call), _outcome(tg, call)
    if "ComplexHalf" in str(theirs[2]) or theirs[1] == "complex32":
        return  # (no complex32 here: a documented difference)
    assert ours[:2] == theirs[:2], f"{case}: tensorgraft {ours}, PyTorch {theirs}"
    if theirs[0] == "error":
        assert ours[2] == theirs[2], f"{case}: tensorgraft says {ours[2]!r}, PyTorch {theirs[2]!r}"
    else:
        np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-2, atol=1e-3, equal_nan=True, err_msg=case)


def _operand(lib, other):
    return NUMBERS[other] if other in NUMBERS else _tensor(lib, other)


FUNCTIONS = ["fmod", "remainder", "floor_divide", "pow", "hypot", "copysign", "xlogy", "nextafter", "gcd", "lcm",
             "bitwise_left_shift", "bitwise_right_shift", "logaddexp", "logaddexp2", "special.xlogy",
             "special.xlog1py", "special.zeta", "special.chebyshev_polynomial_t", "special.hermite_polynomial_h",
             "special.legendre_polynomial_p", "clamp_min", "clamp_max", "clamp", "dot", "vdot", "dist", "ldexp",
             "polar", "complex", "atan2", "fmax", "add", "mul"]


@pytest.mark.parametrize("first", DTYPES)
@pytest.mark.parametrize("name", FUNCTIONS)
def test_function_over_dtype_pairs(name, first):
    for other in OTHERS:
        _assert_same(lambda lib: _get(lib, name)(_tensor(lib, first), _operand(lib, other)),
                     f"{name}({first}, {other})")


def test_clamp_with_both_bounds_over_dtypes():
    for first in DTYPES:
        for other in OTHERS:
            _assert_same(lambda lib: lib.clamp(_tensor(lib, first), _operand(lib, other), _operand(lib, other)),
                         f"clamp({first}, {other}, {other})")
            _assert_same(lambda lib: lib.clamp(_tensor(lib, first), max=_operand(lib, other)),
                         f"clamp({first}, max={other})")


IN_PLACE = ["fmod_", "remainder_", "floor_divide_", "pow_", "hypot_", "copysign_", "xlogy_", "nextafter_", "gcd_",
            "lcm_", "bitwise_left_shift_", "bitwise_right_shift_", "clamp_min_", "clamp_max_", "clamp_",
            "__imod__", "__ifloordiv__", "__ilshift__", "__ipow__"]


@pytest.mark.parametrize("first", DTYPES)
@pytest.mark.parametrize("name", IN_PLACE)
def test_in_place_over_dtype_pairs(name, first):
    def call(lib):
        t = _tensor(lib, first)
        r = getattr(t, name)(_operand(lib, other))
        assert r is t or r is NotImplemented
        return t
    for other in OTHERS:
        _assert_same(call, f"{first}.{name}({other})")


def test_pow_of_bools_follows_the_scalar_overload():
    # no bool kernel, but exponents True/False of a bool tensor are a copy / ones (bool)
    for call in (lambda lib: _tensor(lib, "bool", (1, 0)) ** True, lambda lib: _tensor(lib, "bool", (1, 0)) ** False,
                 lambda lib: True ** _tensor(lib, "bool", (1, 0)), lambda lib: lib.tensor(True) ** lib.tensor(False),
                 lambda lib: _tensor(lib, "bool", (1, 0)) ** lib.tensor(True),
                 lambda lib: _tensor(lib, "bool", (1, 0)).pow_(True), lambda lib: lib.tensor(True) ** True):
        _assert_same(call, "bool pow")


ONE_OPERAND = {
    "bitwise_not": lambda lib, x: lib.bitwise_not(x), "invert": lambda lib, x: ~x,
    "isposinf": lambda lib, x: lib.isposinf(x), "isneginf": lambda lib, x: lib.isneginf(x),
    "histc": lambda lib, x: lib.histc(x), "histc_range": lambda lib, x: lib.histc(x, 4, 0, 3),
    "cross": lambda lib, x: lib.cross(x, x, dim=0), "linalg.cross": lambda lib, x: lib.linalg.cross(x, x),
    "abs": lambda lib, x: lib.abs(x), "sign": lambda lib, x: lib.sign(x), "sqrt": lambda lib, x: lib.sqrt(x),
    "cumsum": lambda lib, x: lib.cumsum(x, 0), "logsumexp": lambda lib, x: lib.logsumexp(x, 0),
    "erfinv": lambda lib, x: lib.erfinv(x), "frac": lambda lib, x: lib.frac(x), "signbit": lambda lib, x: lib.signbit(x),
}


@pytest.mark.parametrize("name", sorted(ONE_OPERAND))
def test_one_operand_ops_over_dtypes(name):
    for dtype in DTYPES:
        _assert_same(lambda lib: ONE_OPERAND[name](lib, _tensor(lib, dtype)), f"{name}({dtype})")


FLIP_CALLS = [lambda lib, x: lib.flip(x, 0), lambda lib, x: lib.flip(x, dims=0), lambda lib, x: lib.flip(x, (0,)),
              lambda lib, x: lib.flip(x, [0, 1]), lambda lib, x: x.flip(0), lambda lib, x: x.flip(0, 1),
              lambda lib, x: x.flip(dims=0), lambda lib, x: x.flip((0,)), lambda lib, x: lib.flip(x, 0, 1),
              lambda lib, x: lib.flip(x), lambda lib, x: x.flip(), lambda lib, x: x.flip([1]),
              lambda lib, x: lib.flip(x, 0.5), lambda lib, x: x.flip(0.5), lambda lib, x: lib.flip(x, ())]


@pytest.mark.parametrize("k", range(len(FLIP_CALLS)))
def test_flip_takes_its_dims_as_pytorch_parses_them(k):
    # the function takes a sequence of dims; the method also takes them spread out
    _assert_same(lambda lib: FLIP_CALLS[k](lib, lib.arange(6).reshape(2, 3)), f"flip call {k}")
