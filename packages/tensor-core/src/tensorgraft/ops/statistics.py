"""Statistics: quantile / nanquantile and bincount.

``quantile`` follows PyTorch's algorithm step for step (sort, ranks ``q * (n - 1)`` adjusted by
the interpolation mode, gather below/above, lerp), written with differentiable tensorgraft ops:
the gradient reaches the input through sort and gather and ``q`` through the lerp weight, exactly
where PyTorch's composite sends it, and double backward comes for free.
"""
from __future__ import annotations

import numbers
from tensorgraft.argument_errors import c_type_name

import numpy as np

from ..caller_warnings import warn_at_caller, warn_once_at_caller
from ..tensor import Tensor, wrap
from . import _frontend as F
from ._frontend import check_tensor
from ._args import NOT_GIVEN, invalid_combination, is_int, method_and_function, wrap_dim
from ._define import CORE_OPS, defop
from tensorgraft.dtypes import np_kind as _np_kind

_FIRST = len(CORE_OPS)

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


# =========================================================================== quantile / nanquantile
_QUANTILE_NAMES = ("q", "dim", "keepdim", "interpolation", "out")
_QUANTILE_SIG = ', int dim = None, bool keepdim = False, *, str interpolation = "linear"'


def _quantile_frontend(ignore_nan: bool, method: bool):
    """``quantile``/``nanquantile`` as PyTorch's parser takes them: two signatures (``Tensor q``
    and ``float q``), so any argument of a wrong type (or missing, or one too many) is refused
    with the "invalid combination" error, which names every argument given (positional ones by
    type, keywords as ``name=type``)."""
    name = "nanquantile" if ignore_nan else "quantile"
    first = "" if method else "Tensor input, "
    out_sig = "" if method else ", Tensor out = None"
    overloads = (f"{first}Tensor q{_QUANTILE_SIG}{out_sig}", f"{first}float q{_QUANTILE_SIG}{out_sig}")

    def refuse(input, args, kwargs):
        return invalid_combination(name, args if method else (input,) + args, kwargs, overloads)

    def quantile(input, *args, **kwargs):
        if not isinstance(input, Tensor) or len(args) > 3:
            raise refuse(input, args, kwargs)
        given = dict(zip(_QUANTILE_NAMES, args))
        for k, v in kwargs.items():
            # an unknown keyword, ``out`` on the method, or one already given positionally
            if k not in _QUANTILE_NAMES or k in given or (method and k == "out"):
                raise refuse(input, args, kwargs)
            given[k] = v
        q = given.get("q", NOT_GIVEN)
        dim, keepdim = given.get("dim"), given.get("keepdim", False)
        interpolation, out = given.get("interpolation", "linear"), given.get("out")
        q_ok = isinstance(q, Tensor) or isinstance(q, numbers.Real)
        if (not q_ok or not (dim is None or is_int(dim)) or keepdim.__class__ is not bool
                or not isinstance(interpolation, str) or not (out is None or isinstance(out, Tensor))):
            raise refuse(input, args, kwargs)
        if not isinstance(q, Tensor):
            q = float(q)
            if not 0 <= q <= 1:  # (C++ prints the double: 2, not 2.0)
                raise RuntimeError(f"quantile() q must be in the range [0, 1] but got {q:g}")
        if interpolation not in _INTERPOLATIONS:
            raise RuntimeError("quantile() interpolation must be one of linear, lower, higher, midpoint or nearest, "
                               f"but got {interpolation}")
        a = input._data
        if a.size == 0:
            raise RuntimeError("quantile() input tensor must be non-empty")
        if isinstance(q, Tensor) and q._data.ndim > 1:
            raise RuntimeError("quantile() q must be a scalar or 1D tensor")
        if a.dtype not in (np.float32, np.float64):
            raise RuntimeError("quantile() input tensor must be either float or double dtype")
        if isinstance(q, Tensor):
            if q._data.dtype != a.dtype:
                raise RuntimeError("quantile() q tensor must be same dtype as the input tensor")
            if q._device is not input._device:
                raise RuntimeError("quantile() q tensor must be on the same device as the input tensor")
            # PyTorch checks the values only for CPU tensors (elsewhere it would cost a device sync)
            if q._device.type == "cpu" and not bool(((q._data >= 0) & (q._data <= 1)).all()):
                raise RuntimeError("quantile() q values must be in the range [0, 1]")
        if out is not None:
            # quantile's out must hold the input's dtype exactly (no float into a double out)
            if out._data.dtype != a.dtype:
                raise RuntimeError("quantile() out tensor must be same dtype as the input tensor")
            if out._device is not input._device:
                raise RuntimeError("quantile() out tensor must be on the same device as the input tensor")
        res = _quantile(input, q, dim, keepdim, interpolation, ignore_nan)
        if out is not None:
            F.write_out(out, res._data, name)
            if res._requires_grad:
                # PyTorch's out= form is composite too: it copies the result in, so a result
                # needing gradients leaves ``out`` with a CopyBackwards node
                out.copy_(res)
            return out
        return res
    quantile.__name__ = quantile.__qualname__ = name
    return quantile


def _quantile(input, q, dim, keepdim, interpolation, ignore_nan):
    import tensorgraft as tg
    a = input._data
    shape = a.shape
    if dim is None:
        x = input.reshape(-1)
        lead = ()
        kept = (1,) * len(shape) if keepdim else ()
    else:
        d = wrap_dim(dim, a.ndim)
        if a.ndim == 0:
            x, lead, kept = input.reshape(1), (), ()
        else:
            # as PyTorch: the last dim is sorted in place, another is first moved last by
            # unsqueeze(-1).transpose(dim, -1) (so the graph reads those nodes)
            x = input if d == a.ndim - 1 else input.unsqueeze(-1).transpose(d, -1)
            lead = shape[:d] + shape[d + 1:]
            kept = shape[:d] + (1,) + shape[d + 1:] if keepdim else lead
    n = x._data.shape[-1]
    if n > 1 << 24:
        raise RuntimeError("quantile() input tensor is too large")
    # viewed as the kept shape plus the sorted dim (PyTorch's in_shape); NaNs sort last
    srt = x.sort(-1)[0].view(tuple(kept) + (n,))
    scalar_q = not isinstance(q, Tensor) or q._data.ndim == 0
    # a 0-d q broadcasts against the (..., 1) counts as PyTorch's does (no view of it in the graph)
    qv = q if isinstance(q, Tensor) else tg.tensor(q, dtype=input.dtype, device=input.device)
    if ignore_nan:
        # ranks from the non-NaN count; an all-NaN row gets rank 0, so its quantile is NaN
        valid = srt.isnan().logical_not().sum(-1, keepdim=True)
        ranks = qv * (valid - 1)
        ranks = ranks.masked_fill(ranks < 0, 0)
    else:
        # a row holding NaN gets the last rank, so its quantile is NaN; written as PyTorch's
        # ``masked_fill(broadcast(q * last_index, has_nan))``, ``q * last_index`` its Scalar overload
        from ..special import _as_tensor, _scalar_overload
        last = n - 1
        scaled, has_nan = tg.broadcast_tensors(_scalar_overload("mul", "MulBackward1", qv, _as_tensor(last, qv)),
                                               srt.isnan().any(-1, keepdim=True))
        ranks = scaled.masked_fill(has_nan, last)
    if interpolation == "lower":
        ranks = ranks.floor()
    elif interpolation == "higher":
        ranks = ranks.ceil()
    elif interpolation == "nearest":
        ranks = ranks.round()  # half to even, as PyTorch's round_
    below = ranks.to(tg.int64)
    res = srt.gather(-1, below)
    if interpolation in ("linear", "midpoint"):
        weights = tg.full_like(ranks, 0.5) if interpolation == "midpoint" else ranks - below
        above = srt.gather(-1, ranks.ceil().to(tg.int64))
        res = res.lerp(above, weights)
    # (*kept, nq) -> the quantiles first, with PyTorch's in-place steps (so the graph reads
    # UnsqueezeBackward1, TransposeBackward1, SqueezeBackward4 as its does)
    if not scalar_q:
        res.unsqueeze_(0).transpose_(0, -1)
    return res.squeeze_(-1)


# =========================================================================== bincount
def _bincount_kernel(xp, a, w, minlength, npdtype):
    r = xp.bincount(a, weights=w, minlength=minlength)
    return r.astype(npdtype, copy=False)


def _bincount_frontend(op):
    table = op.table

    def bincount(input, weights=None, minlength=0):
        check_tensor(input, "bincount")
        if weights is not None and not isinstance(weights, Tensor):
            raise F.not_a_tensor("bincount", "weights", 2, weights)
        if not isinstance(minlength, numbers.Integral) or isinstance(minlength, bool):
            raise TypeError(f"bincount(): argument 'minlength' must be int, not {c_type_name(minlength)}")
        a = input._data
        dev = input._device
        if _np_kind(a.dtype) not in "iu":
            raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{F._type_name(a.dtype)}'")
        if minlength < 0:
            raise RuntimeError("minlength should be >= 0")
        from ..device import get_backend
        xp = get_backend(dev).xp
        if a.ndim == 1 and a.size == 0:
            return wrap(xp.zeros((int(minlength),), np.int64), dev)  # int64 even with weights, as PyTorch
        if a.ndim != 1 or bool((a < 0).any()):
            raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
        w = None
        npd = np.dtype(np.int64)
        if weights is not None:
            if weights._device is not dev:
                raise F.device_mismatch("bincount", input, weights)
            w = weights._data
            if w.ndim != 1 or w.shape[0] != a.shape[0]:
                raise RuntimeError("weights should be 1-d and have the same length as input")
            # PyTorch: float32 weights count in float32, every other dtype (complex64 too) in float64
            npd = np.dtype(np.float32 if w.dtype == np.float32 else np.float64)
            if _np_kind(w.dtype) == "c":
                # PyTorch's cast warns once per process, at the user's line (conversion.py shares it)
                warn_once_at_caller("Casting complex values to real discards the imaginary part")
                w = w.real
            w = w.astype(np.float64, copy=False)
        return wrap(table[dev.type](a.astype(np.int64, copy=False), w, int(minlength), npd), dev)
    return bincount


# =========================================================================== declarations
def _mk(shape, dtype, device, seed, lo=-2.0, hi=2.0):
    from ..testing import make_tensor
    return make_tensor(shape, dtype=dtype, device=device, low=lo, high=hi, seed=seed)


def _quantile_samples(dtype, device):
    from .creation import tensor
    x = _mk((3, 5), dtype, device, 130)
    return [((x, 0.3), {}), ((x, 0.3, 1), {}),
            ((x, tensor([0.2, 0.6, 0.9], dtype=dtype, device=device), 0, True), {}),
            ((x, 0.6), {"dim": -1, "interpolation": "midpoint"}),
            ((x, tensor(0.45, dtype=dtype, device=device), 1), {"interpolation": "lower"}),
            ((x, tensor([0.3, 0.7], dtype=dtype, device=device)), {"dim": 0, "interpolation": "higher"}),
            ((x, 0.55), {"dim": 1, "keepdim": True, "interpolation": "nearest"})]


def _nanquantile_samples(dtype, device):
    from .creation import tensor
    nan = float("nan")
    x = tensor([[0.5, nan, -1.25, 2.0, 0.75], [nan, nan, 1.5, -0.5, 0.25], [1.0, -2.0, 0.125, 1.75, -0.75]],
               dtype=dtype, device=device)
    return [((x, 0.4, 1), {}), ((x, tensor([0.1, 0.8], dtype=dtype, device=device), 1, True), {}),
            ((x, 0.5), {"dim": 0, "interpolation": "nearest"}), ((_mk((2, 4), dtype, device, 131), 0.3), {})]


def _quantile_reference(ignore_nan):
    method = {"linear": "linear", "lower": "lower", "higher": "higher", "midpoint": "midpoint",
              "nearest": "nearest"}
    f = np.nanquantile if ignore_nan else np.quantile

    def ref(a, q, dim=None, keepdim=False, interpolation="linear"):
        q = np.asarray(q)
        return f(a, q, axis=dim, keepdims=keepdim, method=method[interpolation])
    return ref


def _bincount_samples(dtype, device):
    from .creation import tensor
    idx = tensor([1, 0, 3, 1, 5, 3, 3], device=device)
    w = _mk((7,), dtype, device, 132)
    return [((idx,), {}), ((idx, w), {}), ((idx,), {"minlength": 9}), ((idx, w, 2), {})]


def _bincount_reference(a, weights=None, minlength=0):
    return np.bincount(a, weights, minlength)


defop("quantile", frontend=lambda op: method_and_function(op, lambda m: _quantile_frontend(False, m)), composite=True,
      samples=_quantile_samples,
      reference=_quantile_reference(False))
defop("nanquantile", frontend=lambda op: method_and_function(op, lambda m: _quantile_frontend(True, m)),
      composite=True, samples=_nanquantile_samples,
      reference=_quantile_reference(True))
defop("bincount", kernel=_bincount_kernel, frontend=_bincount_frontend, differentiable=False,
      samples=_bincount_samples, reference=_bincount_reference)


# =========================================================================== cov / corrcoef
def _cov(input, *, correction=1, fweights=None, aweights=None):
    """PyTorch's ``at::cov`` step for step (weighted mean, centred ``mm``, ``true_divide`` by the
    degrees of freedom, ``squeeze``), so the gradient and ``grad_fn`` are those ops'. The weight
    checks read the weights on the host, as PyTorch's do."""
    import tensorgraft as tg
    check_tensor(input, "cov")
    if correction.__class__ is not int and not is_int(correction):  # (an int to PyTorch's parser)
        raise TypeError(f"cov(): argument 'correction' must be int, not {c_type_name(correction)}")
    correction = int(correction)
    a = input._data
    if a.ndim > 2:
        raise RuntimeError("cov(): expected input to have two or fewer dimensions but got an input with "
                           f"{a.ndim} dimensions")
    if _np_kind(a.dtype) == "b":
        raise RuntimeError("cov(): bool dtype is not supported for input")
    x = input.reshape(1, -1) if a.ndim < 2 else input
    n_obs = x._data.shape[1]
    w = None
    for name, wt in (("fweights", fweights), ("aweights", aweights)):
        if wt is None:
            continue
        if not isinstance(wt, Tensor):
            raise TypeError(f"cov(): argument '{name}' must be Tensor, not {c_type_name(wt)}")
        d = wt._data
        if d.ndim > 1:
            raise RuntimeError(f"cov(): expected {name} to have one or fewer dimensions but got {name} with "
                               f"{d.ndim} dimensions")
        if name == "fweights" and _np_kind(d.dtype) not in "iu":
            raise RuntimeError(f"cov(): expected fweights to have integral dtype but got fweights with "
                               f"{F._type_name(d.dtype)} dtype")
        if name == "aweights" and _np_kind(d.dtype) != "f":
            raise RuntimeError(f"cov(): expected aweights to have floating point dtype but got aweights with "
                               f"{F._type_name(d.dtype)} dtype")
        if d.size != n_obs:
            raise RuntimeError(f"cov(): expected {name} to have the same numel as there are observations in the "
                               f"input but got {d.size} != {n_obs}")
        if n_obs and not bool(d.min() >= 0):
            raise RuntimeError(f"cov(): {name} cannot be negative")
        w = wt if w is None else w * wt
    if w is not None:
        w_sum = w.sum()
        if not bool(w_sum._data != 0):
            raise RuntimeError("cov(): weights sum to zero, can't be normalized")
    else:
        w_sum = n_obs
    avg = (x * w if w is not None else x).sum(1) / w_sum
    if w is not None and correction != 0:
        if aweights is not None:
            # ``correction * (w * aweights).sum() / w_sum`` as PyTorch's C++ groups it: the
            # product first (its Scalar overload, MulBackward1), then the division
            from ..special import _as_tensor, _scalar_overload
            scaled = _scalar_overload("mul", "MulBackward1", (w * aweights).sum(), _as_tensor(correction, w))
            norm_factor = w_sum - scaled / w_sum
        else:
            norm_factor = w_sum - correction
    else:
        norm_factor = w_sum - correction
    if bool(norm_factor <= 0 if not isinstance(norm_factor, Tensor) else (norm_factor._data <= 0)):
        # from C++ in PyTorch: the user's line, through cov or corrcoef alike
        warn_at_caller("cov(): degrees of freedom is <= 0. Correction should be strictly less than the number of "
                       "observations.")
        # PyTorch's zero_(): +0 (times 0, a negative factor would be -0 and flip the result's signs)
        norm_factor = tg.zeros_like(norm_factor) if isinstance(norm_factor, Tensor) else 0
    x = x - avg.unsqueeze(1)
    xw = x * w if w is not None else x
    c = tg.mm(x, xw.t().conj() if xw.is_complex() else xw.t())
    return tg.true_divide(c, norm_factor).squeeze()


def _corrcoef(input):
    check_tensor(input, "corrcoef")
    if input._data.ndim > 2:
        raise RuntimeError("corrcoef(): expected input to have two or fewer dimensions but got an input with "
                           f"{input._data.ndim} dimensions")
    c = _cov(input)
    if c._data.ndim == 0:
        return c / c  # nan for a zero, inf or nan variance, 1 otherwise
    stddev = c.diagonal().sqrt()
    c = c / stddev.view(-1, 1)
    c = c / stddev.view(1, -1)
    if c.is_complex():
        # as PyTorch: the real and imaginary parts clipped apart (clamp takes no complex numbers)
        import tensorgraft as tg
        return tg.complex(c.real.clip(-1, 1), c.imag.clip(-1, 1))
    return c.clip(-1, 1)


def _cov_samples(dtype, device):
    from .creation import tensor
    x = _mk((3, 5), dtype, device, 133)
    fw = tensor([1, 2, 1, 3, 1], device=device)
    aw = tensor([0.5, 1.0, 2.0, 0.25, 1.5], dtype=dtype, device=device)
    return [((x,), {}), ((x,), {"correction": 0}), ((x[0],), {}), ((x,), {"fweights": fw}),
            ((x,), {"aweights": aw, "correction": 2}), ((x,), {"fweights": fw, "aweights": aw})]


def _cov_reference(a, correction=1, fweights=None, aweights=None):
    return np.cov(a, ddof=correction, fweights=fweights, aweights=aweights)


def _corrcoef_samples(dtype, device):
    return [((_mk((3, 5), dtype, device, 134),), {}), ((_mk((2, 4), dtype, device, 135),), {}),
            ((_mk((6,), dtype, device, 136),), {})]


defop("cov", frontend=lambda op: _cov, composite=True, samples=_cov_samples, reference=_cov_reference)
defop("corrcoef", frontend=lambda op: _corrcoef, composite=True, samples=_corrcoef_samples,
      reference=lambda a: np.clip(np.corrcoef(a), -1, 1))

STATISTICS_OPS = CORE_OPS[_FIRST:]
