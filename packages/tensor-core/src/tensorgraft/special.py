"""``torch.special``: PyTorch's names for special functions.

Most are the top-level ops under another name (``expit`` is ``sigmoid``, ``gammaln`` is
``lgamma``); the rest are core ops of ``ops/special_functions.py`` registered under ATen's names
(``special_erfcx``), whose graph nodes therefore read as PyTorch's (``SpecialErfcxBackward0``).
"""
from __future__ import annotations

import math as _math
from numbers import Number as _Number

from tensorgraft.argument_errors import c_type_name, not_a_tensor

import numpy as np

import tensorgraft as _tg
from .registry import registry as _registry
from .tensor import Tensor
from tensorgraft.dtypes import np_kind as _np_kind
from .ops._frontend.axis_aliases import with_axis_alias as _with_axis_alias

__all__ = [
    "airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "chebyshev_polynomial_t",
    "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w", "digamma", "entr", "erf", "erfc",
    "erfcx", "erfinv", "exp2", "expit", "expm1", "gammainc", "gammaincc", "gammaln", "hermite_polynomial_h",
    "hermite_polynomial_he", "i0", "i0e", "i1", "i1e", "laguerre_polynomial_l", "legendre_polynomial_p", "log1p",
    "log_ndtr", "log_softmax", "logit", "logsumexp", "modified_bessel_i0", "modified_bessel_i1", "modified_bessel_k0",
    "modified_bessel_k1", "multigammaln", "ndtr", "ndtri", "polygamma", "psi", "round", "scaled_modified_bessel_k0",
    "scaled_modified_bessel_k1", "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u",
    "shifted_chebyshev_polynomial_v", "shifted_chebyshev_polynomial_w", "sinc", "softmax", "spherical_bessel_j0",
    "xlog1py", "xlogy", "zeta",
]


def _out(result, out, name):
    """PyTorch's ``out=``: the result written into ``out`` (resized when it has another shape)."""
    if out is None:
        return result
    if not isinstance(out, Tensor):
        raise not_a_tensor(f"special_{name}", "out", None, out)
    from .ops import _frontend as F
    if tuple(out.shape) != tuple(result.shape) and out.numel() == 0:
        F.check_cast(result._data, out._data)  # an empty ``out`` takes the result's shape
        out._data = result._data.astype(out._data.dtype)
        out._vc[0] += 1
        return out
    F.store_into(out, result._data, name)
    return out


def _check(input, name, argname="input", pos=1):
    if not isinstance(input, Tensor):
        raise not_a_tensor(f"special_{name}", argname, pos, input)


def _unary(top_name, name):
    def fn(input, *, out=None):
        _check(input, name)
        return _out(getattr(_tg, top_name)(input), out, name)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"special.{name}(input, *, out=None) -> Tensor: ``torch.{top_name}``."
    return fn


# ATen names the argument of these ``x`` (the others' is ``input``), and so does its argument parser
_ARGUMENT_X = frozenset({"airy_ai", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "spherical_bessel_j0"})


def _core_unary(name):
    op_name = "special_" + name
    argname = "x" if name in _ARGUMENT_X else "input"

    def fn(input, *, out=None):
        _check(input, name, argname)
        return _out(_registry.ops[op_name].frontend(input), out, name)
    fn.__name__ = fn.__qualname__ = name
    return fn


def _as_tensor(x, like):
    # a number operand of a two-operand function becomes a 0-d tensor: it then promotes as a
    # PyTorch Scalar does (it never outranks a dimensioned tensor of the same category)
    if isinstance(x, Tensor):
        return x
    dtype = None
    if isinstance(like, Tensor) and _kind(x) == _np_kind(like._data.dtype).replace("u", "i"):
        dtype = like.dtype  # same category: the number takes the tensor's precision (no float32 rounding)
    return _tg.tensor(x, dtype=dtype, device=like.device if isinstance(like, Tensor) else None)


def _kind(number):
    if isinstance(number, bool):
        return "b"
    if isinstance(number, int):
        return "i"
    return "c" if isinstance(number, complex) else "f"


def _is_number(x):
    """A Python or NumPy scalar: what PyTorch's parser takes for a ``Number`` (a NumPy array or a
    list is none)."""
    return isinstance(x, (_Number, np.bool_))


def _overloads(argnames):
    """PyTorch's three overloads of a two-operand function, as its argument parser lists them:
    (Tensor, Tensor), a number first (named ``self`` where the first is ``input``) and a number second."""
    a, b = argnames
    return (f" * (Tensor {a}, Tensor {b}, *, Tensor out = None)\n"
            f" * (Number {'self' if a == 'input' else a}, Tensor {b}, *, Tensor out = None)\n"
            f" * (Tensor {a}, Number {b}, *, Tensor out = None)\n")


def _check_pair(name, input, other, overloads):
    """Both operands Tensors, or a Tensor and a number: else PyTorch's "invalid combination" TypeError
    (a NumPy array or a list in either place, or two numbers)."""
    if isinstance(input, Tensor):
        if isinstance(other, Tensor) or _is_number(other):
            return
    elif isinstance(other, Tensor) and _is_number(input):
        return
    raise TypeError(f"special_{name}() received an invalid combination of arguments - got "
                    f"({c_type_name(input)}, {c_type_name(other)}), but expected one of:\n{overloads}")


def _binary(op_name, name, argnames=("input", "other"), scalar_node=None):
    overloads = _overloads(argnames)

    def fn(input, other, *, out=None):
        if not (isinstance(input, Tensor) and isinstance(other, Tensor)):
            _check_pair(name, input, other, overloads)
        if scalar_node is not None and not (isinstance(input, Tensor) and isinstance(other, Tensor)):
            # PyTorch's ``.self_scalar`` / ``.other_scalar`` overloads: nodes ``...Backward1`` / ``...Backward2``
            node = scalar_node + ("Backward2" if isinstance(input, Tensor) else "Backward1")
            return _out(_scalar_overload(op_name, node, _as_tensor(input, other), _as_tensor(other, input)), out, name)
        if not isinstance(input, Tensor):
            input = _as_tensor(input, other)
        return _out(_registry.ops[op_name].frontend(input, other), out, name)
    fn.__name__ = fn.__qualname__ = name
    return fn


def _scalar_overload(op_name, node_name, input, other):
    """``op(input, other)`` (one of them a number made a 0-d tensor) recorded as the node ``node_name``:
    the name PyTorch's graph shows for the op's overload taking a Scalar."""
    from .grad_mode import no_grad, state
    with no_grad():
        result = _registry.ops[op_name].frontend(input, other)
    if (input._requires_grad or other._requires_grad) and state.enabled:
        Tensor._autograd.record(_registry.ops[op_name], result, (input, other), None, node_name=node_name)
    return result


# --------------------------------------------------------------------------- the top-level ops' aliases
erf = _unary("erf", "erf")
erfc = _unary("erfc", "erfc")
erfinv = _unary("erfinv", "erfinv")
expit = _unary("sigmoid", "expit")
exp2 = _unary("exp2", "exp2")
expm1 = _unary("expm1", "expm1")
log1p = _unary("log1p", "log1p")
gammaln = _unary("lgamma", "gammaln")
digamma = _unary("digamma", "digamma")
psi = _unary("digamma", "psi")
i0 = _unary("i0", "i0")
sinc = _unary("sinc", "sinc")


def i1(input, *, out=None):
    """Modified Bessel function of the first kind, order 1 (SciPy's ``i1``)."""
    _check(input, "i1")
    return _out(_registry.ops["_i1"].frontend(input), out, "i1")


def logit(input, eps=None, *, out=None):
    _check(input, "logit")
    return _out(_tg.logit(input, eps), out, "logit")


def xlogy(input, other, *, out=None):
    if not (isinstance(input, Tensor) and isinstance(other, Tensor)):
        _check_pair("xlogy", input, other, _overloads(("input", "other")))
    return _out(_tg.xlogy(input, other), out, "xlogy")


def polygamma(n, input, *, out=None):
    # the order is an int (PyTorch's parser turns away floats and bools before anything else)
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"special_polygamma(): argument 'n' (position 1) must be int, not {c_type_name(n)}")
    _check(input, "polygamma", pos=2)
    return _out(_tg.polygamma(n, input), out, "polygamma")


def multigammaln(input, p, *, out=None):
    _check(input, "multigammaln")
    return _out(_tg.mvlgamma(input, p), out, "multigammaln")


def round(input, *, decimals=0, out=None):  # noqa: A001 - PyTorch's name
    """``torch.round`` through its ``decimals`` overload, whose node is ``RoundBackward1``."""
    _check(input, "round")
    if _np_kind(input._data.dtype) != "f":
        # the ``decimals`` overload has no integer or complex kernel in PyTorch, even for decimals=0
        from .ops import _frontend as F
        raise NotImplementedError(f"\"round_vml_cpu\" not implemented for '{F._type_name(input._data.dtype)}'")
    from .grad_mode import no_grad, state
    with no_grad():
        result = _tg.round(input, decimals=decimals)
    if input._requires_grad and state.enabled and _np_kind(result._data.dtype) in "fc":
        Tensor._autograd.record(_registry.ops["round"], result, (input,), None, node_name="RoundBackward1")
    return _out(result, out, "round")


def softmax(input, dim, *, dtype=None):
    _check(input, "softmax")
    return _tg.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None):
    _check(input, "log_softmax")
    return _tg.log_softmax(input, dim, dtype=dtype)


def logsumexp(input, dim, keepdim=False, *, out=None):
    _check(input, "logsumexp")
    return _out(_tg.logsumexp(input, dim, keepdim), out, "logsumexp")


def ndtr(input, *, out=None):
    """The standard normal CDF, composed as PyTorch composes it: ``(1 + erf(x / sqrt 2)) / 2``."""
    _check(input, "ndtr")
    # PyTorch composes it in C++ from the Scalar overloads, so its graph reads MulBackward1/AddBackward1
    scaled = _scalar_overload("mul", "MulBackward1", input, _as_tensor(_math.sqrt(0.5), input))
    shifted = _scalar_overload("add", "AddBackward1", _tg.erf(scaled), _as_tensor(1.0, input))
    return _out(_scalar_overload("mul", "MulBackward1", shifted, _as_tensor(0.5, input)), out, "ndtr")


# --------------------------------------------------------------------------- ops of ops/special_functions.py
erfcx = _core_unary("erfcx")
i0e = _core_unary("i0e")
i1e = _core_unary("i1e")
ndtri = _core_unary("ndtri")
log_ndtr = _core_unary("log_ndtr")
entr = _core_unary("entr")
airy_ai = _core_unary("airy_ai")
bessel_j0 = _core_unary("bessel_j0")
bessel_j1 = _core_unary("bessel_j1")
bessel_y0 = _core_unary("bessel_y0")
bessel_y1 = _core_unary("bessel_y1")
modified_bessel_i0 = _core_unary("modified_bessel_i0")
modified_bessel_i1 = _core_unary("modified_bessel_i1")
modified_bessel_k0 = _core_unary("modified_bessel_k0")
modified_bessel_k1 = _core_unary("modified_bessel_k1")
scaled_modified_bessel_k0 = _core_unary("scaled_modified_bessel_k0")
scaled_modified_bessel_k1 = _core_unary("scaled_modified_bessel_k1")
spherical_bessel_j0 = _core_unary("spherical_bessel_j0")

xlog1py = _binary("special_xlog1py", "xlog1py", scalar_node="SpecialXlog1Py")
zeta = _binary("special_zeta", "zeta", scalar_node="SpecialZeta")


def _tensor_pair(name):
    # PyTorch's gammainc/gammaincc have only the (Tensor, Tensor) overload
    binary = _binary("igamma" if name == "gammainc" else "igammac", name)

    def fn(input, other, *, out=None):
        _check(input, name)
        _check(other, name, "other", 2)
        return binary(input, other, out=out)
    fn.__name__ = fn.__qualname__ = name
    return fn


gammainc = _tensor_pair("gammainc")
gammaincc = _tensor_pair("gammaincc")

chebyshev_polynomial_t = _binary("special_chebyshev_polynomial_t", "chebyshev_polynomial_t", ("x", "n"))
chebyshev_polynomial_u = _binary("special_chebyshev_polynomial_u", "chebyshev_polynomial_u", ("x", "n"))
chebyshev_polynomial_v = _binary("special_chebyshev_polynomial_v", "chebyshev_polynomial_v", ("x", "n"))
chebyshev_polynomial_w = _binary("special_chebyshev_polynomial_w", "chebyshev_polynomial_w", ("x", "n"))
shifted_chebyshev_polynomial_t = _binary("special_shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_t",
                                         ("x", "n"))
shifted_chebyshev_polynomial_u = _binary("special_shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_u",
                                         ("x", "n"))
shifted_chebyshev_polynomial_v = _binary("special_shifted_chebyshev_polynomial_v", "shifted_chebyshev_polynomial_v",
                                         ("x", "n"))
shifted_chebyshev_polynomial_w = _binary("special_shifted_chebyshev_polynomial_w", "shifted_chebyshev_polynomial_w",
                                         ("x", "n"))
hermite_polynomial_h = _binary("special_hermite_polynomial_h", "hermite_polynomial_h", ("x", "n"))
hermite_polynomial_he = _binary("special_hermite_polynomial_he", "hermite_polynomial_he", ("x", "n"))
laguerre_polynomial_l = _binary("special_laguerre_polynomial_l", "laguerre_polynomial_l", ("x", "n"))
legendre_polynomial_p = _binary("special_legendre_polynomial_p", "legendre_polynomial_p", ("x", "n"))


# PyTorch's special functions are C++-bound: its argument parser takes axis=/keepdims= for dim=/keepdim=
for _name in __all__:
    globals()[_name] = _with_axis_alias(globals()[_name], _name)
del _name
