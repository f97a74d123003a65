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


def _tensor_compare_samples(dtype, device):
    return _compare_samples(dtype, device)[:2]


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
        # (the logical ops take tensors only, as PyTorch declares them)
        samples = _tensor_compare_samples if name.startswith("logical_") else _compare_samples
        out[name] = {"samples": samples, "reference": ref, "elementwise": True}
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
    more_samples(out)
    return out


# =========================================================================== the rest of core's ops
def _long(values, device):
    from ..ops.creation import tensor
    return tensor(values, dtype=_dt.int64, device=device)


def _ft(values, dtype, device):
    from ..ops.creation import tensor
    return tensor(values, dtype=dtype, device=device)


def _spd(dtype, device, n=3, seed=0):
    """A well-conditioned symmetric positive definite matrix."""
    rng = np.random.default_rng(seed)
    a = rng.uniform(-1, 1, (n, n))
    return _ft(a @ a.T + n * np.eye(n), dtype, device)


def _sample_fn(build):
    """``build(X, dtype, device)`` with ``X(shape, seed, lo=-2, hi=2)`` a random tensor."""
    def samples(dtype, device):
        def X(shape, seed=0, lo=-2.0, hi=2.0):
            return _mk(shape, dtype, device, lo, hi, seed)
        return build(X, dtype, device)
    return samples


def _add(out, name, build, reference=None, **flags):
    out[name] = {"samples": _sample_fn(build), "reference": reference, **flags}


def _np_max(a, dim=None, keepdim=False):
    if dim is None:
        return np.max(a)
    return np.max(a, axis=dim, keepdims=keepdim), np.argmax(a, axis=dim) if not keepdim else \
        np.expand_dims(np.argmax(a, axis=dim), dim)


def _np_min(a, dim=None, keepdim=False):
    if dim is None:
        return np.min(a)
    return np.min(a, axis=dim, keepdims=keepdim), np.argmin(a, axis=dim) if not keepdim else \
        np.expand_dims(np.argmin(a, axis=dim), dim)


def _ddof(unbiased=None, correction=None):
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


def _softmax(a, dim=None, dtype=None):
    e = np.exp(a - a.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def more_samples(out: dict) -> None:
    s = _s
    # ---------------------------------------------------------------- elementwise
    _add(out, "clamp_min", lambda X, d, dev: [s(X((2, 3), 1), -0.5), s(X((2, 3), 2), X((3,), 3))],
         lambda a, b: np.maximum(a, b))
    _add(out, "clamp_max", lambda X, d, dev: [s(X((2, 3), 1), 0.5), s(X((2, 3), 2), X((3,), 3))],
         lambda a, b: np.minimum(a, b))
    _add(out, "lerp", lambda X, d, dev: [s(X((2, 3), 4), X((2, 3), 5), 0.3), s(X((2, 3), 6), X((3,), 7), X((2, 3), 8, 0, 1))],
         lambda a, b, w: a + w * (b - a))  # like torch.lerp, no mixed-precision promotion
    _add(out, "nan_to_num", lambda X, d, dev: [
        s(X((2, 3), 9)), Sample_((_ft(_SPECIAL, d, dev),), {}, ()),
        Sample_((_ft(_SPECIAL, d, dev), 1.0, 2.0, -2.0), {}, ())],
        lambda a, nan=0.0, posinf=None, neginf=None: np.nan_to_num(a, nan=nan, posinf=posinf, neginf=neginf))
    _add(out, "logit", lambda X, d, dev: [s(X((2, 3), 10, 0.1, 0.9)), s(X((2, 3), 11, 0.1, 0.9), 0.2)],
         lambda a, eps=None: np.log(np.clip(a, eps, 1 - eps) / (1 - np.clip(a, eps, 1 - eps))) if eps is not None
         else np.log(a / (1 - a)))
    _add(out, "sinc", lambda X, d, dev: [s(X((2, 3), 12, 0.2, 2))], np.sinc)
    _add(out, "deg2rad", lambda X, d, dev: [s(X((2, 3), 13))], np.deg2rad)
    _add(out, "rad2deg", lambda X, d, dev: [s(X((2, 3), 14))], np.rad2deg)
    _add(out, "logaddexp", lambda X, d, dev: [s(X((2, 3), 15), X((2, 3), 16)), s(X((2, 1), 17), X((3,), 18))],
         np.logaddexp, elementwise=True)
    _add(out, "logaddexp2", lambda X, d, dev: [s(X((2, 3), 15), X((2, 3), 16)), s(X((2, 1), 17), X((3,), 18))],
         np.logaddexp2, elementwise=True)
    _add(out, "heaviside", lambda X, d, dev: [s(_ft([-1.0, 0.0, 2.0], d, dev), _ft([0.5, 0.5, 0.5], d, dev))],
         np.heaviside, elementwise=True)
    _add(out, "addcmul", lambda X, d, dev: [s(X((2, 3), 19), X((2, 3), 20), X((3,), 21)),
                                           s(X((2, 3), 22), X((2, 3), 23), X((2, 3), 24), value=0.5)],
         lambda a, b, c, value=1: a + value * b * c, elementwise=True)
    _add(out, "addcdiv", lambda X, d, dev: [s(X((2, 3), 19), X((2, 3), 20), X((3,), 21, 0.5, 2)),
                                           s(X((2, 3), 22), X((2, 3), 23), X((2, 3), 24, 0.5, 2), value=0.5)],
         lambda a, b, c, value=1: a + value * b / c, elementwise=True)
    _add(out, "isclose", lambda X, d, dev: [s(_ft([1.0, 1.0 + 1e-9, np.nan, 2.0], d, dev), _ft([1.0, 1.0, np.nan, 3.0], d, dev)),
                                           s(_ft([1.0, np.nan], d, dev), _ft([1.1, np.nan], d, dev), 0.2, 0.0, True)],
         lambda a, b, rtol=1e-5, atol=1e-8, equal_nan=False: np.isclose(a, b, rtol, atol, equal_nan))
    _add(out, "allclose", lambda X, d, dev: [s(_ft([1.0, 2.0], d, dev), _ft([1.0, 2.0 + 1e-9], d, dev)),
                                            s(_ft([1.0, 2.0], d, dev), _ft([1.0, 2.5], d, dev))],
         lambda a, b, rtol=1e-5, atol=1e-8, equal_nan=False: bool(np.allclose(a, b, rtol, atol, equal_nan)),
         non_tensor_output=True)
    _add(out, "equal", lambda X, d, dev: [s(X((2, 3), 1), X((2, 3), 1)), s(X((2, 3), 1), X((2, 3), 2))],
         lambda a, b: a.shape == b.shape and bool((a == b).all()), non_tensor_output=True)
    # ---------------------------------------------------------------- in-place-only ops and indexing
    _add(out, "fill_", lambda X, d, dev: [s(X((2, 3), 1), 1.5), s(X((2, 3), 2), _ft(0.25, d, dev))],
         lambda a, v: np.full_like(a, v), mutates=(0,), gradgrad=False)
    _add(out, "zero_", lambda X, d, dev: [s(X((2, 3), 1))], np.zeros_like, mutates=(0,), gradgrad=False)
    _add(out, "copy_", lambda X, d, dev: [s(X((2, 3), 1), X((2, 3), 2)), s(X((2, 3), 3), X((3,), 4))],
         lambda a, b: np.broadcast_to(b, a.shape).copy(), mutates=(0,), gradgrad=False)

    def setitem_ref(a, idx, v):
        a = a.copy()
        a[idx] = v
        return a
    _add(out, "__setitem__", lambda X, d, dev: [s(X((3, 4), 1), (slice(0, 2), 1), X((2,), 2)),
                                               s(X((3, 4), 3), 0, 0.5)], setitem_ref, mutates=(0,))

    def gather_ref(a, dim, idx, **kw):
        return np.take_along_axis(a, idx, dim)
    _add(out, "gather", lambda X, d, dev: [s(X((3, 4), 1), 1, _long([[0, 3], [1, 1], [2, 0]], dev)),
                                          s(X((3, 4), 2), 0, _long([[2, 0, 1, 1]], dev))], gather_ref)

    def scatter_ref(a, dim, idx, src=None, value=None, reduce=None):
        a = a.copy()
        src = np.broadcast_to(value if src is None else src, idx.shape) if np.ndim(src) == 0 else src
        for pos in np.ndindex(*idx.shape):
            tgt = list(pos)
            tgt[dim] = idx[pos]
            a[tuple(tgt)] = src[pos]
        return a

    def scatter_add_ref(a, dim, idx, src):
        a = a.copy()
        for pos in np.ndindex(*idx.shape):
            tgt = list(pos)
            tgt[dim] = idx[pos]
            a[tuple(tgt)] += src[pos]
        return a
    _add(out, "scatter", lambda X, d, dev: [s(X((3, 4), 1), 1, _long([[0, 3], [1, 2], [2, 0]], dev), X((3, 2), 2)),
                                           s(X((3, 4), 3), 0, _long([[2, 0, 1, 1]], dev), X((1, 4), 4))], scatter_ref)
    _add(out, "scatter_add", lambda X, d, dev: [s(X((3, 4), 1), 1, _long([[0, 0], [1, 2], [3, 3]], dev), X((3, 2), 2)),
                                               s(X((3, 4), 3), 0, _long([[2, 2, 1, 0]], dev), X((1, 4), 4))],
         scatter_add_ref)
    _add(out, "index_select", lambda X, d, dev: [s(X((3, 4), 1), 0, _long([2, 0, 2], dev)),
                                                s(X((3, 4), 2), 1, _long([1], dev))],
         lambda a, dim, idx: np.take(a, idx, axis=dim))

    def index_add_ref(a, dim, idx, src, alpha=1):
        a = np.moveaxis(a.copy(), dim, 0)
        np.add.at(a, idx, alpha * np.moveaxis(src, dim, 0))
        return np.moveaxis(a, 0, dim)

    def index_copy_ref(a, dim, idx, src):
        a = np.moveaxis(a.copy(), dim, 0)
        a[idx] = np.moveaxis(src, dim, 0)
        return np.moveaxis(a, 0, dim)

    def index_fill_ref(a, dim, idx, value):
        a = np.moveaxis(a.copy(), dim, 0)
        a[idx] = value
        return np.moveaxis(a, 0, dim)
    _add(out, "index_add", lambda X, d, dev: [s(X((3, 4), 1), 0, _long([2, 0, 2], dev), X((3, 4), 2)),
                                             s(X((3, 4), 3), 1, _long([1, 3], dev), X((3, 2), 4), alpha=2)],
         index_add_ref)
    _add(out, "index_copy", lambda X, d, dev: [s(X((3, 4), 1), 0, _long([2, 0], dev), X((2, 4), 2))], index_copy_ref)
    _add(out, "index_fill", lambda X, d, dev: [s(X((3, 4), 1), 1, _long([0, 2], dev), -1.5)], index_fill_ref)

    def masked_fill_ref(a, mask, value):
        return np.where(mask, value, a)

    def masked_scatter_ref(a, mask, src):
        a = a.copy()
        m = np.broadcast_to(mask, a.shape)
        a[m] = src.reshape(-1)[:int(m.sum())]
        return a

    def mask(dev):
        from ..ops.creation import tensor
        return tensor([[True, False, True], [False, False, True]], device=dev)
    _add(out, "masked_fill", lambda X, d, dev: [s(X((2, 3), 1), mask(dev), 0.5), s(X((2, 3), 2), mask(dev), _ft(-1.0, d, dev))],
         masked_fill_ref)
    _add(out, "masked_select", lambda X, d, dev: [s(X((2, 3), 1), mask(dev))], lambda a, m: a[np.broadcast_to(m, a.shape)])
    _add(out, "masked_scatter", lambda X, d, dev: [s(X((2, 3), 1), mask(dev), X((2, 3), 2))], masked_scatter_ref)
    _add(out, "take", lambda X, d, dev: [s(X((3, 4), 1), _long([[0, 5], [11, 2]], dev))], lambda a, i: np.take(a, i))
    _add(out, "take_along_dim", lambda X, d, dev: [s(X((3, 4), 1), _long([[0], [3], [1]], dev), 1)],
         lambda a, i, dim=None: np.take_along_axis(a, i, dim))
    _add(out, "nonzero", lambda X, d, dev: [s(_ft([[0.0, 1.0], [2.0, 0.0]], d, dev))],
         lambda a, as_tuple=False: np.argwhere(a))
    _add(out, "argwhere", lambda X, d, dev: [s(_ft([[0.0, 1.0], [2.0, 0.0]], d, dev))], np.argwhere)
    _add(out, "searchsorted", lambda X, d, dev: [s(_ft([1.0, 3.0, 5.0, 7.0], d, dev), _ft([0.0, 3.0, 6.0, 9.0], d, dev)),
                                                s(_ft([1.0, 3.0, 5.0, 7.0], d, dev), _ft([3.0, 7.0], d, dev), right=True)],
         lambda a, v, right=False: np.searchsorted(a, v, side="right" if right else "left"))
    _add(out, "bucketize", lambda X, d, dev: [s(_ft([0.0, 3.0, 6.0, 9.0], d, dev), _ft([1.0, 3.0, 5.0, 7.0], d, dev))],
         lambda v, b, right=False: np.searchsorted(b, v, side="right" if right else "left"))

    # ---------------------------------------------------------------- linear algebra
    _add(out, "bmm", lambda X, d, dev: [s(X((2, 2, 3), 1), X((2, 3, 2), 2))], np.matmul)
    _add(out, "mv", lambda X, d, dev: [s(X((2, 3), 1), X((3,), 2))], np.matmul)
    _add(out, "dot", lambda X, d, dev: [s(X((3,), 1), X((3,), 2))], np.dot)
    _add(out, "vdot", lambda X, d, dev: [s(X((3,), 1), X((3,), 2))], np.vdot)
    _add(out, "__rmatmul__", lambda X, d, dev: [s(X((3, 2), 1), X((2, 3), 2))], lambda a, b: b @ a)
    _add(out, "addmm", lambda X, d, dev: [s(X((2, 2), 1), X((2, 3), 2), X((3, 2), 3)),
                                         s(X((2,), 4), X((2, 3), 5), X((3, 2), 6), beta=0.5, alpha=2.0)],
         lambda c, a, b, beta=1, alpha=1: beta * c + alpha * (a @ b))
    _add(out, "addmv", lambda X, d, dev: [s(X((2,), 1), X((2, 3), 2), X((3,), 3), beta=0.5, alpha=2.0)],
         lambda c, a, b, beta=1, alpha=1: beta * c + alpha * (a @ b))
    _add(out, "baddbmm", lambda X, d, dev: [s(X((2, 2, 2), 1), X((2, 2, 3), 2), X((2, 3, 2), 3), beta=0.5)],
         lambda c, a, b, beta=1, alpha=1: beta * c + alpha * (a @ b))
    _add(out, "addbmm", lambda X, d, dev: [s(X((2, 2), 1), X((2, 2, 3), 2), X((2, 3, 2), 3), alpha=2.0)],
         lambda c, a, b, beta=1, alpha=1: beta * c + alpha * (a @ b).sum(0))
    _add(out, "einsum", lambda X, d, dev: [s("ij,jk->ik", X((2, 3), 1), X((3, 2), 2)), s("ii->i", X((3, 3), 3)),
                                          s("bij->j", X((2, 2, 3), 4))],
         lambda eq, *ops: np.einsum(eq, *ops))
    _add(out, "outer", lambda X, d, dev: [s(X((3,), 1), X((2,), 2))], np.outer)
    _add(out, "ger", lambda X, d, dev: [s(X((3,), 1), X((2,), 2))], np.outer)
    _add(out, "inner", lambda X, d, dev: [s(X((2, 3), 1), X((3,), 2)), s(X((3,), 3), X((3,), 4))], np.inner)
    _add(out, "tensordot", lambda X, d, dev: [s(X((2, 3), 1), X((3, 2), 2), 1), s(X((2, 3), 3), X((2, 3), 4))],
         lambda a, b, dims=2: np.tensordot(a, b, dims))
    _add(out, "kron", lambda X, d, dev: [s(X((2, 2), 1), X((2, 1), 2))], np.kron)
    _add(out, "linalg_multi_dot", lambda X, d, dev: [s([X((2, 3), 1), X((3, 2), 2), X((2, 2), 3)])],
         lambda ts: np.linalg.multi_dot(ts))
    _add(out, "cross", lambda X, d, dev: [s(X((2, 3), 1), X((2, 3), 2)), s(X((3, 2), 3), X((3, 2), 4), 0)],
         lambda a, b, dim=None: np.cross(a, b, axis=-1 if dim is None else dim))
    _add(out, "linalg_cross", lambda X, d, dev: [s(X((2, 3), 1), X((2, 3), 2))], lambda a, b, dim=-1: np.cross(a, b, axis=dim))
    _add(out, "trace", lambda X, d, dev: [s(X((3, 3), 1)), s(X((2, 3), 2))], np.trace)
    for name in ("linalg_inv", "inverse"):
        _add(out, name, lambda X, d, dev: [s(_spd(d, dev, 3, 1))], np.linalg.inv)
    for name in ("linalg_det", "det"):
        _add(out, name, lambda X, d, dev: [s(_spd(d, dev, 3, 2)), s(X((2, 2, 2), 3))], np.linalg.det)
    for name in ("linalg_slogdet", "slogdet"):
        _add(out, name, lambda X, d, dev: [s(_spd(d, dev, 3, 4))], lambda a: tuple(np.linalg.slogdet(a)))
    _add(out, "logdet", lambda X, d, dev: [s(_spd(d, dev, 3, 5))], lambda a: np.log(np.linalg.det(a)))
    _add(out, "linalg_solve", lambda X, d, dev: [s(_spd(d, dev, 3, 6), X((3, 2), 7)), s(_spd(d, dev, 3, 8), X((3,), 9))],
         lambda a, b, left=True: np.linalg.solve(a, b))
    _add(out, "linalg_cholesky", lambda X, d, dev: [s(_spd(d, dev, 3, 10))], lambda a, upper=False: np.linalg.cholesky(a))
    _add(out, "cholesky", lambda X, d, dev: [s(_spd(d, dev, 3, 11))], lambda a, upper=False: np.linalg.cholesky(a))

    def tri(d, dev, seed):
        rng = np.random.default_rng(seed)
        return _ft(np.triu(rng.uniform(-1, 1, (3, 3))) + 3 * np.eye(3), d, dev)
    _add(out, "linalg_solve_triangular", lambda X, d, dev: [s(tri(d, dev, 12), X((3, 2), 13), upper=True)],
         lambda a, b, upper, left=True, unitriangular=False: np.linalg.solve(a, b))
    _add(out, "matrix_power", lambda X, d, dev: [s(X((3, 3), 14, -1, 1), 3), s(_spd(d, dev, 3, 15), -1), s(X((2, 2), 16), 0)],
         np.linalg.matrix_power)
    # decompositions: sign/order conventions differ, so check reconstruction-free invariants only
    _add(out, "linalg_qr", lambda X, d, dev: [s(X((3, 2), 17))])
    _add(out, "linalg_eigh", lambda X, d, dev: [s(_spd(d, dev, 3, 18))],
         gradgrad=False)
    _add(out, "linalg_svd", lambda X, d, dev: [s(X((3, 2), 19), full_matrices=False)])
    _add(out, "linalg_svdvals", lambda X, d, dev: [s(X((3, 2), 20))], lambda a: np.linalg.svd(a, compute_uv=False))
    _add(out, "linalg_pinv", lambda X, d, dev: [s(X((3, 2), 21))], lambda a: np.linalg.pinv(a))
    _add(out, "pinverse", lambda X, d, dev: [s(X((3, 2), 22))], lambda a: np.linalg.pinv(a))

    # ---------------------------------------------------------------- reductions
    def red(X, d, dev):
        x = X((2, 3), 30)
        return [s(x), s(x, 1), s(x, 0, True)]
    _add(out, "nansum", lambda X, d, dev: red(X, d, dev) + [Sample_((_ft([[1.0, np.nan], [2.0, 3.0]], d, dev), 1), {}, ())],
         lambda a, dim=None, keepdim=False: np.nansum(a, axis=dim, keepdims=keepdim))
    _add(out, "nanmean", lambda X, d, dev: red(X, d, dev) + [Sample_((_ft([[1.0, np.nan], [2.0, 3.0]], d, dev), 1), {}, ())],
         lambda a, dim=None, keepdim=False: np.nanmean(a, axis=dim, keepdims=keepdim))
    _add(out, "prod", lambda X, d, dev: [s(X((2, 3), 31, 0.5, 2)), s(X((2, 3), 32, 0.5, 2), 1)],
         lambda a, dim=None, keepdim=False: np.prod(a, axis=dim, keepdims=keepdim))
    _add(out, "max", lambda X, d, dev: [s(X((2, 3), 33)), s(X((2, 3), 34), 1), s(X((2, 3), 35), 0, True)], _np_max)
    _add(out, "min", lambda X, d, dev: [s(X((2, 3), 33)), s(X((2, 3), 34), 1), s(X((2, 3), 35), 0, True)], _np_min)
    _add(out, "amax", lambda X, d, dev: [s(X((2, 3), 36)), s(X((2, 3), 37), 1), s(X((2, 3), 38), (0, 1), True)],
         lambda a, dim=(), keepdim=False: np.max(a, axis=None if dim == () else dim, keepdims=keepdim))
    _add(out, "amin", lambda X, d, dev: [s(X((2, 3), 36)), s(X((2, 3), 37), 1), s(X((2, 3), 38), (0, 1), True)],
         lambda a, dim=(), keepdim=False: np.min(a, axis=None if dim == () else dim, keepdims=keepdim))
    _add(out, "aminmax", lambda X, d, dev: [s(X((2, 3), 39)), s(X((2, 3), 40), dim=1)],
         lambda a, dim=None, keepdim=False: (np.min(a, axis=dim, keepdims=keepdim), np.max(a, axis=dim, keepdims=keepdim)))
    _add(out, "argmax", lambda X, d, dev: [s(X((2, 3), 41)), s(X((2, 3), 42), 1), s(X((2, 3), 43), 0, True)],
         lambda a, dim=None, keepdim=False: np.argmax(a, axis=dim, keepdims=keepdim))
    _add(out, "argmin", lambda X, d, dev: [s(X((2, 3), 41)), s(X((2, 3), 42), 1), s(X((2, 3), 43), 0, True)],
         lambda a, dim=None, keepdim=False: np.argmin(a, axis=dim, keepdims=keepdim))
    for name, fn in (("std", np.std), ("var", np.var)):
        _add(out, name, lambda X, d, dev: [s(X((2, 3), 44)), s(X((2, 3), 45), 1), s(X((2, 3), 46), 1, keepdim=True, correction=0)],
             lambda a, dim=None, unbiased=None, keepdim=False, correction=None, fn=fn:
             fn(a, axis=dim, ddof=_ddof(unbiased, correction), keepdims=keepdim))
    for name, fn in (("std_mean", np.std), ("var_mean", np.var)):
        _add(out, name, lambda X, d, dev: [s(X((2, 3), 47)), s(X((2, 3), 48), 1)],
             lambda a, dim=None, unbiased=None, keepdim=False, correction=None, fn=fn:
             (fn(a, axis=dim, ddof=_ddof(unbiased, correction), keepdims=keepdim), np.mean(a, axis=dim, keepdims=keepdim)))
    _add(out, "linalg_vector_norm", lambda X, d, dev: [s(X((2, 3), 49)), s(X((2, 3), 50), 1, 1), s(X((2, 3), 51), float("inf"), 1)],
         lambda a, ord=2, dim=None, keepdim=False: np.linalg.norm(a.reshape(-1) if dim is None else a, ord, dim, keepdim))
    _add(out, "norm", lambda X, d, dev: [s(X((2, 3), 52)), s(X((2, 3), 53), 1, 1)],
         lambda a, p="fro", dim=None, keepdim=False: np.linalg.norm(a.reshape(-1), 2) if dim is None
         else np.linalg.norm(a, p, dim, keepdim))
    _add(out, "logsumexp", lambda X, d, dev: [s(X((2, 3), 54), 1), s(X((2, 3), 55), (0, 1), True)],
         lambda a, dim, keepdim=False: np.log(np.sum(np.exp(a), axis=dim, keepdims=keepdim)))
    _add(out, "cumsum", lambda X, d, dev: [s(X((2, 3), 56), 1), s(X((2, 3), 57), 0)], lambda a, dim: np.cumsum(a, axis=dim))
    _add(out, "cumprod", lambda X, d, dev: [s(X((2, 3), 58, 0.5, 2), 1)], lambda a, dim: np.cumprod(a, axis=dim))
    bools = lambda X, d, dev: [s(_ft([[1.0, 0.0], [2.0, 3.0]], d, dev)), s(_ft([[1.0, 0.0], [2.0, 3.0]], d, dev), 1)]  # noqa: E731
    _add(out, "all", bools, lambda a, dim=None, keepdim=False: np.all(a, axis=dim, keepdims=keepdim))
    _add(out, "any", bools, lambda a, dim=None, keepdim=False: np.any(a, axis=dim, keepdims=keepdim))
    _add(out, "count_nonzero", bools, lambda a, dim=None: np.count_nonzero(a, axis=dim))

    def sort_ref(a, dim=-1, descending=False, stable=False):
        idx = np.argsort(-a if descending else a, axis=dim, kind="stable")
        return np.take_along_axis(a, idx, dim), idx
    _add(out, "sort", lambda X, d, dev: [s(X((2, 3), 59)), s(X((2, 3), 60), 0, True)], sort_ref)
    _add(out, "argsort", lambda X, d, dev: [s(X((2, 3), 61)), s(X((2, 3), 62), 0, True)],
         lambda a, dim=-1, descending=False, stable=False: sort_ref(a, dim, descending)[1])

    def topk_ref(a, k, dim=-1, largest=True, sorted=True):
        v, i = sort_ref(a, dim, largest)
        return np.take(v, range(k), axis=dim), np.take(i, range(k), axis=dim)
    _add(out, "topk", lambda X, d, dev: [s(X((2, 4), 63), 2), s(X((3, 2), 64), 2, 0, False)], topk_ref)

    def median_ref(a, dim=None, keepdim=False):
        if dim is None:
            return np.sort(a.reshape(-1))[(a.size - 1) // 2]
        srt = np.sort(a, axis=dim)
        v = np.take(srt, (a.shape[dim] - 1) // 2, axis=dim)
        i = np.argmax(a == np.expand_dims(v, dim), axis=dim)
        return (np.expand_dims(v, dim), np.expand_dims(i, dim)) if keepdim else (v, i)
    _add(out, "median", lambda X, d, dev: [s(X((2, 3), 65)), s(X((2, 4), 66), 1)], median_ref)
    _add(out, "unique", lambda X, d, dev: [s(_ft([3.0, 1.0, 3.0, 2.0], d, dev)),
                                          s(_ft([3.0, 1.0, 3.0, 2.0], d, dev), return_inverse=True, return_counts=True)],
         lambda a, sorted=True, return_inverse=False, return_counts=False, dim=None:
         np.unique(a, return_inverse=return_inverse, return_counts=return_counts))
    _add(out, "softmax", lambda X, d, dev: [s(X((2, 3), 67), 1), s(X((2, 3), 68), 0)], _softmax)
    _add(out, "log_softmax", lambda X, d, dev: [s(X((2, 3), 69), 1), s(X((2, 3), 70), 0)],
         lambda a, dim=None, dtype=None: np.log(_softmax(a, dim)))

    # ---------------------------------------------------------------- shapes, joins, splits
    _add(out, "view_as", lambda X, d, dev: [s(X((2, 3), 1), X((3, 2), 2))], lambda a, b: a.reshape(b.shape))
    _add(out, "reshape_as", lambda X, d, dev: [s(X((2, 3), 1), X((6,), 2))], lambda a, b: a.reshape(b.shape))
    _add(out, "unflatten", lambda X, d, dev: [s(X((2, 6), 1), 1, (2, 3)), s(X((6,), 2), 0, (-1, 2))],
         lambda a, dim, sizes: a.reshape(a.shape[:dim % a.ndim] + tuple(sizes) + a.shape[dim % a.ndim + 1:]))
    for name in ("movedim", "moveaxis"):
        _add(out, name, lambda X, d, dev: [s(X((2, 3, 4), 1), 0, 2), s(X((2, 3, 4), 2), (0, 1), (2, 0))], np.moveaxis)
    _add(out, "adjoint", lambda X, d, dev: [s(X((2, 3), 1))], lambda a: np.swapaxes(a, -1, -2))
    _add(out, "broadcast_to", lambda X, d, dev: [s(X((3,), 1), (2, 3))], np.broadcast_to)
    _add(out, "broadcast_tensors", lambda X, d, dev: [s(X((2, 1), 1), X((3,), 2))], lambda *a: np.broadcast_arrays(*a))
    _add(out, "repeat", lambda X, d, dev: [s(X((2, 3), 1), 2, 1), s(X((3,), 2), 2, 2)], lambda a, *r: np.tile(a, r))
    _add(out, "tile", lambda X, d, dev: [s(X((2, 3), 1), (2,)), s(X((3,), 2), (2, 2))], np.tile)
    _add(out, "repeat_interleave", lambda X, d, dev: [s(X((2, 3), 1), 2), s(X((2, 3), 2), 2, 1),
                                                     s(X((2, 3), 3), _long([1, 2], dev), 0)],
         lambda a, r=None, dim=None: np.repeat(a, r, axis=dim))
    for name in ("cat", "concat", "concatenate"):
        _add(out, name, lambda X, d, dev: [s([X((2, 3), 1), X((1, 3), 2)]), s([X((2, 3), 3), X((2, 1), 4)], 1)],
             lambda ts, dim=0: np.concatenate(ts, axis=dim))
    _add(out, "stack", lambda X, d, dev: [s([X((2, 3), 1), X((2, 3), 2)]), s([X((2,), 3), X((2,), 4)], 1)],
         lambda ts, dim=0: np.stack(ts, axis=dim))
    _add(out, "atleast_1d", lambda X, d, dev: [s(X((), 1)), s(X((2,), 2))], np.atleast_1d)
    _add(out, "atleast_2d", lambda X, d, dev: [s(X((2,), 1))], np.atleast_2d)
    _add(out, "atleast_3d", lambda X, d, dev: [s(X((2, 3), 1))], np.atleast_3d)
    for name, fn in (("hstack", np.hstack), ("vstack", np.vstack), ("row_stack", np.vstack), ("dstack", np.dstack),
                     ("column_stack", np.column_stack)):
        _add(out, name, lambda X, d, dev: [s([X((2, 3), 1), X((2, 3), 2)])], lambda ts, fn=fn: fn(ts))
    _add(out, "narrow", lambda X, d, dev: [s(X((3, 4), 1), 1, 1, 2), s(X((3, 4), 2), 0, -2, 2)],
         lambda a, dim, start, length: np.take(a, range(start % a.shape[dim], start % a.shape[dim] + length), axis=dim))
    _add(out, "select", lambda X, d, dev: [s(X((3, 4), 1), 1, 2), s(X((3, 4), 2), 0, -1)],
         lambda a, dim, i: np.take(a, i, axis=dim))
    _add(out, "split", lambda X, d, dev: [s(X((5, 2), 1), 2), s(X((2, 5), 2), [1, 4], 1)],
         lambda a, ss, dim=0: np.split(a, np.cumsum(ss)[:-1], axis=dim) if isinstance(ss, list)
         else np.split(a, range(ss, a.shape[dim], ss), axis=dim))
    _add(out, "split_with_sizes", lambda X, d, dev: [s(X((5, 2), 1), [2, 3])],
         lambda a, ss, dim=0: np.split(a, np.cumsum(ss)[:-1], axis=dim))
    _add(out, "chunk", lambda X, d, dev: [s(X((5, 2), 1), 2), s(X((2, 6), 2), 3, 1)],
         lambda a, c, dim=0: np.split(a, range(-(-a.shape[dim] // c), a.shape[dim], -(-a.shape[dim] // c)), axis=dim))
    _add(out, "tensor_split", lambda X, d, dev: [s(X((5, 2), 1), 3), s(X((5, 2), 2), [1, 3])],
         lambda a, ios, dim=0: np.array_split(a, ios, axis=dim))
    _add(out, "unbind", lambda X, d, dev: [s(X((2, 3), 1)), s(X((2, 3), 2), 1)],
         lambda a, dim=0: tuple(np.moveaxis(a, dim, 0)))
    _add(out, "hsplit", lambda X, d, dev: [s(X((2, 4), 1), 2)], np.hsplit)
    _add(out, "vsplit", lambda X, d, dev: [s(X((4, 2), 1), [1])], np.vsplit)
    _add(out, "flip", lambda X, d, dev: [s(X((2, 3), 1), 0), s(X((2, 3), 2), 0, 1)], lambda a, *dims: np.flip(a, dims))
    _add(out, "fliplr", lambda X, d, dev: [s(X((2, 3), 1))], np.fliplr)
    _add(out, "flipud", lambda X, d, dev: [s(X((2, 3), 1))], np.flipud)
    _add(out, "roll", lambda X, d, dev: [s(X((2, 3), 1), 1), s(X((2, 3), 2), (1, -1), (0, 1))],
         lambda a, shifts, dims=None: np.roll(a, shifts, dims))
    _add(out, "rot90", lambda X, d, dev: [s(X((2, 3), 1)), s(X((2, 3), 2), 2), s(X((2, 3), 3), -1, (0, 1))],
         lambda a, k=1, dims=(0, 1): np.rot90(a, k, dims))
    _add(out, "diagonal", lambda X, d, dev: [s(X((3, 3), 1)), s(X((3, 4), 2), 1), s(X((2, 3, 3), 3), 0, 1, 2)],
         lambda a, offset=0, dim1=0, dim2=1: np.diagonal(a, offset, dim1, dim2))
    _add(out, "diag_embed", lambda X, d, dev: [s(X((2, 3), 1)), s(X((3,), 2), 1)], None)
    _add(out, "diag", lambda X, d, dev: [s(X((3,), 1)), s(X((3, 3), 2)), s(X((3, 4), 3), 1)], np.diag)
    _add(out, "tril", lambda X, d, dev: [s(X((3, 3), 1)), s(X((3, 4), 2), -1)], lambda a, k=0: np.tril(a, k))
    _add(out, "triu", lambda X, d, dev: [s(X((3, 3), 1)), s(X((3, 4), 2), 1)], lambda a, k=0: np.triu(a, k))
    _add(out, "meshgrid", lambda X, d, dev: [s(X((2,), 1), X((3,), 2), indexing="ij"), s(X((2,), 3), X((3,), 4), indexing="xy")],
         lambda *a, indexing=None: np.meshgrid(*a, indexing=indexing))
    _add(out, "as_strided", lambda X, d, dev: [s(X((3, 3), 1), (2, 2), (3, 1)), s(X((3, 3), 2), (2,), (4,), 1)],
         lambda a, size, stride, off=0: np.lib.stride_tricks.as_strided(
             a.reshape(-1)[off or 0:], size, tuple(x * a.itemsize for x in stride)))


def Sample_(args, kwargs, grad):
    from .conformance import Sample
    return Sample(tuple(args), dict(kwargs), grad)
