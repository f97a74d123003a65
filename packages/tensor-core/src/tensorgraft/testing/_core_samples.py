"""Sample inputs (and NumPy references) for core's ops, used by the conformance kit.

Each entry is ``fn(dtype, device) -> list of Sample``; shapes are tiny on purpose (gradcheck
differentiates element by element).
"""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes as _dt


def _mk(shape, dtype, device, lo=-2.0, hi=2.0, seed=0):
    from . import make_tensor
    return make_tensor(shape, dtype=dtype, device=device, low=lo, high=hi, seed=seed)


def _int(shape, device, seed=0):
    from . import make_tensor
    return make_tensor(shape, dtype=_dt.int64, device=device, low=-5, high=6, seed=seed)


def _bool(shape, device, seed=0):
    from . import make_tensor
    return make_tensor(shape, dtype=_dt.bool, device=device, seed=seed)


_vec_erf = np.vectorize(math.erf, otypes=[np.float64])
_vec_erfc = np.vectorize(math.erfc, otypes=[np.float64])

# name: (low, high, reference or None)
_UNARY = {
    "neg": (-2, 2, np.negative), "negative": (-2, 2, np.negative), "abs": (-2, 2, np.abs),
    "absolute": (-2, 2, np.abs), "sign": (-2, 2, np.sign), "sgn": (-2, 2, np.sign), "exp": (-2, 2, np.exp),
    "exp2": (-2, 2, np.exp2), "expm1": (-2, 2, np.expm1), "log": (0.5, 3, np.log), "log2": (0.5, 3, np.log2),
    "log10": (0.5, 3, np.log10), "log1p": (-0.5, 2, np.log1p), "sqrt": (0.5, 3, np.sqrt),
    "rsqrt": (0.5, 3, lambda a: 1 / np.sqrt(a)), "reciprocal": (0.5, 2, np.reciprocal), "square": (-2, 2, np.square),
    "sin": (-2, 2, np.sin), "cos": (-2, 2, np.cos), "tan": (-1, 1, np.tan), "asin": (-0.9, 0.9, np.arcsin),
    "acos": (-0.9, 0.9, np.arccos), "atan": (-2, 2, np.arctan), "sinh": (-2, 2, np.sinh), "cosh": (-2, 2, np.cosh),
    "tanh": (-2, 2, np.tanh), "asinh": (-2, 2, np.arcsinh), "acosh": (1.2, 3, np.arccosh),
    "atanh": (-0.9, 0.9, np.arctanh), "sigmoid": (-3, 3, lambda a: 1 / (1 + np.exp(-a))),
    "relu": (-2, 2, lambda a: np.maximum(a, 0)), "erf": (-2, 2, _vec_erf), "erfc": (-2, 2, _vec_erfc),
    "erfinv": (-0.9, 0.9, None), "floor": (-3, 3, np.floor), "ceil": (-3, 3, np.ceil), "trunc": (-3, 3, np.trunc),
    "fix": (-3, 3, np.fix), "frac": (-3, 3, lambda a: a - np.trunc(a)), "round": (-3, 3, np.round),
    "positive": (-2, 2, np.positive),
}

_SPECIAL = np.array([1.5, np.inf, -np.inf, np.nan, 0.0, -0.0])
_PREDICATES = {"isnan": np.isnan, "isinf": np.isinf, "isfinite": np.isfinite, "isposinf": np.isposinf,
               "isneginf": np.isneginf, "signbit": np.signbit}

# name: (reference, y-low, y-high, scalar other allowed, extra flags)
_BINARY = {
    "add": (np.add, -2, 2, True), "sub": (np.subtract, -2, 2, True), "subtract": (np.subtract, -2, 2, True),
    "mul": (np.multiply, -2, 2, True), "multiply": (np.multiply, -2, 2, True), "div": (np.true_divide, 0.5, 2, True),
    "divide": (np.true_divide, 0.5, 2, True), "true_divide": (np.true_divide, 0.5, 2, True),
    "floor_divide": (np.floor_divide, 0.5, 2, True), "remainder": (np.remainder, 0.5, 2, True),
    "fmod": (np.fmod, 0.5, 2, True), "pow": (np.power, -1.5, 1.5, True), "float_power": (np.float_power, -1.5, 1.5, True),
    "atan2": (np.arctan2, -2, 2, False), "arctan2": (np.arctan2, -2, 2, False), "hypot": (np.hypot, -2, 2, False),
    "maximum": (np.maximum, -2, 2, False), "minimum": (np.minimum, -2, 2, False), "fmax": (np.fmax, -2, 2, False),
    "fmin": (np.fmin, -2, 2, False), "copysign": (np.copysign, 0.5, 2, True),
    "xlogy": (lambda a, b: a * np.log(b), 0.5, 2, True),
}
_X_DOMAIN = {"pow": (0.5, 2), "float_power": (0.5, 2)}
_NO_DTYPE_RULE = {"float_power"}  # always computes in float64, as PyTorch

_COMPARE = {"eq": np.equal, "ne": np.not_equal, "not_equal": np.not_equal, "lt": np.less, "less": np.less,
            "le": np.less_equal, "less_equal": np.less_equal, "gt": np.greater, "greater": np.greater,
            "ge": np.greater_equal, "greater_equal": np.greater_equal,
            "logical_and": np.logical_and, "logical_or": np.logical_or, "logical_xor": np.logical_xor}
_BITWISE = {"bitwise_and": np.bitwise_and, "bitwise_or": np.bitwise_or, "bitwise_xor": np.bitwise_xor}


def _unary_samples(lo, hi):
    def samples(dtype, device):
        return [((_mk((2, 3), dtype, device, lo, hi, 1),), {}), ((_mk((), dtype, device, lo, hi, 2),), {})]
    return samples


def _binary_samples(name, ylo, yhi, scalar_ok):
    xlo, xhi = _X_DOMAIN.get(name, (-2, 2))

    def samples(dtype, device):
        x = _mk((2, 3), dtype, device, xlo, xhi, 3)
        out = [((x, _mk((2, 3), dtype, device, ylo, yhi, 4)), {}),
               ((_mk((2, 1), dtype, device, xlo, xhi, 5), _mk((3,), dtype, device, ylo, yhi, 6)), {})]
        if scalar_ok:
            out.append(((x, 1.25), {}))
        return out
    return samples


def _compare_samples(dtype, device):
    x = _mk((2, 3), dtype, device, seed=7)
    return [((x, _mk((2, 3), dtype, device, seed=8)), {}), ((x, _mk((3,), dtype, device, seed=9)), {}),
            ((x, 0.5), {})]


def _bitwise_samples(dtype, device):
    return [((_int((2, 3), device, 1), _int((2, 3), device, 2)), {}), ((_int((2, 3), device, 3), _int((3,), device, 4)), {})]


def _predicate_samples(dtype, device):
    from ..ops.creation import tensor
    return [((tensor(_SPECIAL, dtype=dtype, device=device),), {}), ((_mk((2, 3), dtype, device, seed=10),), {})]


def _s(*args, **kwargs):
    return (args, kwargs)


def core_samples() -> dict:
    """op name -> dict(samples=fn, reference=fn or None, plus per-op flags)."""
    out: dict = {}
    for name, (lo, hi, ref) in _UNARY.items():
        out[name] = {"samples": _unary_samples(lo, hi), "reference": ref, "elementwise": True}
    out["erfinv"]["requires"] = ("scipy",)
    for name, ref in _PREDICATES.items():
        out[name] = {"samples": _predicate_samples, "reference": ref, "elementwise": True}
    out["logical_not"] = {"samples": lambda dtype, device: _predicate_samples(dtype, device) + [_s(_bool((3,), device, 4))], "reference": np.logical_not, "elementwise": True}
    out["bitwise_not"] = {"samples": lambda dtype, device: [_s(_int((2, 3), device, 5)), _s(_bool((3,), device, 6))],
                          "reference": np.invert, "elementwise": True}
    for name, (ref, ylo, yhi, scalar_ok) in _BINARY.items():
        out[name] = {"samples": _binary_samples(name, ylo, yhi, scalar_ok), "reference": ref, "elementwise": True,
                     "dtype_rule": name not in _NO_DTYPE_RULE}
    out["add"]["samples_extra"] = lambda dtype, device: [
        _s(_mk((2, 3), dtype, device, seed=11), _mk((2, 3), dtype, device, seed=12), alpha=2)]
    out["add"]["reference"] = lambda a, b, alpha=1: a + alpha * b
    for name, ref in _COMPARE.items():
        out[name] = {"samples": _compare_samples, "reference": ref, "elementwise": True}
    for name, ref in _BITWISE.items():
        out[name] = {"samples": _bitwise_samples, "reference": ref, "elementwise": True}

    def clamp_samples(dtype, device):
        x = _mk((2, 3), dtype, device, seed=13)
        return [_s(x, -0.5, 0.5), _s(x, None, 0.3), _s(x, min=-1.0)]
    for name in ("clamp", "clip"):
        out[name] = {"samples": clamp_samples, "reference": lambda a, min=None, max=None: np.clip(a, min, max)}

    def where_samples(dtype, device):
        return [(( _bool((2, 3), device, 14), _mk((2, 3), dtype, device, seed=15), _mk((2, 3), dtype, device, seed=16)),
                 {}),
                ((_bool((2, 3), device, 17), _mk((2, 1), dtype, device, seed=18), _mk((3,), dtype, device, seed=19)), {})]
    out["where"] = {"samples": where_samples, "reference": np.where, "elementwise": True}

    def getitem_samples(dtype, device):
        x = _mk((3, 4), dtype, device, seed=20)
        return [_s(x, (slice(0, 2), 1)), _s(x, 1), _s(x, (Ellipsis, slice(None, None, 2)))]
    out["__getitem__"] = {"samples": getitem_samples, "reference": lambda a, idx: a[idx]}

    def mm_samples(dtype, device):
        return [_s(_mk((2, 3), dtype, device, seed=21), _mk((3, 2), dtype, device, seed=22))]

    def matmul_samples(dtype, device):
        return [_s(_mk((2, 3), dtype, device, seed=23), _mk((3, 2), dtype, device, seed=24)),
                _s(_mk((3,), dtype, device, seed=25), _mk((3, 2), dtype, device, seed=26)),
                _s(_mk((2, 2, 3), dtype, device, seed=27), _mk((3,), dtype, device, seed=28))]
    out["mm"] = {"samples": mm_samples, "reference": np.matmul}
    out["matmul"] = {"samples": matmul_samples, "reference": np.matmul}

    def reduce_samples(dtype, device):
        x = _mk((2, 3), dtype, device, seed=29)
        return [_s(x), _s(x, 1), _s(x, (0, 1), True), _s(x, dim=-1, keepdim=True)]
    out["sum"] = {"samples": reduce_samples,
                  "reference": lambda a, dim=None, keepdim=False: np.sum(a, axis=dim, keepdims=keepdim)}
    out["mean"] = {"samples": reduce_samples,
                   "reference": lambda a, dim=None, keepdim=False: np.mean(a, axis=dim, keepdims=keepdim)}

    def shape_samples(*calls):
        def samples(dtype, device):
            x = _mk((2, 3), dtype, device, seed=30)
            return [_s(x, *c) for c in calls]
        return samples
    out["view"] = {"samples": shape_samples((3, 2), (6,), (-1, 2)), "reference": lambda a, *s: a.reshape(*s)}
    out["reshape"] = {"samples": shape_samples((3, 2), (-1,)), "reference": lambda a, *s: a.reshape(*s)}
    out["flatten"] = {"samples": shape_samples((), (0, 1)),
                      "reference": lambda a, s=0, e=-1: a.reshape(-1) if a.ndim else a.reshape(1)}
    for name in ("transpose", "swapaxes", "swapdims"):
        out[name] = {"samples": shape_samples((0, 1), (-1, 0)), "reference": lambda a, d0, d1: np.swapaxes(a, d0, d1)}
    out["t"] = {"samples": shape_samples(()), "reference": np.transpose}
    out["permute"] = {"samples": shape_samples((1, 0), (0, 1)), "reference": lambda a, *d: np.transpose(a, d)}
    out["unsqueeze"] = {"samples": shape_samples((0,), (-1,)), "reference": np.expand_dims}

    def squeeze_samples(dtype, device):
        x = _mk((2, 1, 3), dtype, device, seed=31)
        return [_s(x), _s(x, 1), _s(x, 0)]
    out["squeeze"] = {"samples": squeeze_samples,
                      "reference": lambda a, dim=None: np.squeeze(a, dim) if dim is None or a.shape[dim] == 1 else a}

    def expand_samples(dtype, device):
        return [_s(_mk((2, 1), dtype, device, seed=32), 2, 3), _s(_mk((3,), dtype, device, seed=33), 2, 3)]
    out["expand"] = {"samples": expand_samples, "reference": lambda a, *s: np.broadcast_to(a, s)}

    def expand_as_samples(dtype, device):
        return [_s(_mk((2, 1), dtype, device, seed=34), _mk((2, 3), dtype, device, seed=35))]
    out["expand_as"] = {"samples": expand_as_samples, "reference": lambda a, b: np.broadcast_to(a, b.shape)}
    out["contiguous"] = {"samples": shape_samples(()), "reference": lambda a: a}
    out["clone"] = {"samples": shape_samples(()), "reference": lambda a: a.copy()}

    def to_copy_samples(dtype, device):
        return [_s(_mk((2, 3), dtype, device, seed=36), None, None, True)]
    out["_to_copy"] = {"samples": to_copy_samples, "reference": lambda a, d, dev, c: a.copy()}
    return out
