"""``bernoulli`` and ``multinomial``: draws from probability tensors -- 0 or 1 with each element's
probability, category indices from rows of weights -- after PyTorch's checks of those
probabilities, in its order and words. ``_pytorch_bernoulli`` also draws for ``Tensor.bernoulli_``
and the dropout mask (``inplace_fill.py``)."""
from __future__ import annotations

import numpy as np

from ...cpu.fill_order import from_memory_order, memory_axes, to_memory_order
from ...device import get_backend
from ...tensor import Tensor
from .. import _frontend as F
from .._args import is_int, wrong_type
from ..creation import _KERNEL_TYPE_NAMES, _cnum, _finish, _make, _not_implemented
from .streams import _P_IN_RANGE, _any, _draw_dtype, _matches_pytorch, _stream
from tensorgraft.dtypes import np_kind as _np_kind


@F.with_out_decorator("bernoulli")
def bernoulli(input, p=None, *, generator=None, out=None) -> Tensor:
    """Draws 0/1 with probability ``input`` (or ``p``); the result has ``input``'s dtype."""
    if not isinstance(input, Tensor):
        raise TypeError(f"bernoulli(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    category = input.dtype.category
    if category == 3:
        raise _not_implemented("bernoulli_tensor_cpu_self_" if p is None else "bernoulli_scalar_cpu_", input.dtype)
    if p is None and category < 2:  # the probabilities themselves must be floats
        raise _not_implemented("bernoulli_tensor_cpu_p_", input.dtype)
    if p is not None and not 0 <= float(p) <= 1:  # a number p is checked as bernoulli_ checks it
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_cnum(float(p))}")
    dev = input._device
    g, on_device = _stream(generator, dev)
    if on_device:
        probs = input._data if p is None else float(p)
        if _any((probs < 0) | (probs > 1) | (probs != probs)) if p is None else not 0 <= probs <= 1:
            raise RuntimeError(_P_IN_RANGE)
        u = g.random(input._data.shape, dtype=_draw_dtype(input._data.dtype))
        return _make((u < probs).astype(input._data.dtype), dev, False)
    probs = input._host() if p is None else np.full(input.shape, float(p))
    if np.any((probs < 0) | (probs > 1)) or np.any(np.isnan(probs)):
        raise RuntimeError(_P_IN_RANGE)
    if _matches_pytorch(g, on_device):
        # the result is a new contiguous tensor, drawn in its (logical) order whatever the input's layout
        layout = np.empty(input._data.shape, input._data.dtype)
        keep = _pytorch_bernoulli(g, layout, input._host() if p is None else float(p))
        return _finish(keep.astype(input._data.dtype), dev, False)
    data = (g.random(probs.shape) < probs).astype(input._data.dtype)
    return _finish(data, dev, False)


def _pytorch_bernoulli(g, like, p):
    """0/1 draws for an array laid out as ``like`` from the PyTorch-matching stream, with the
    number ``p`` (float64 uniforms) or the probabilities array ``p`` broadcast to its shape
    (uniforms of their own precision), in memory order."""
    axes = memory_axes(like)
    if isinstance(p, np.ndarray):
        if _np_kind(p.dtype) != "f":
            p = p.astype(np.float64)
        ordered = np.ascontiguousarray(to_memory_order(np.broadcast_to(p, like.shape), axes))
        if not like.ndim:  # ascontiguousarray makes a 0-d array 1-d: the result keeps shape ()
            return g.bernoulli(ordered).reshape(())
        return from_memory_order(g.bernoulli(ordered), axes)
    return from_memory_order(g.bernoulli(p, tuple(like.shape[i] for i in axes)), axes)


@F.with_out_decorator("multinomial")
def multinomial(input, num_samples, replacement=False, *, generator=None, out=None) -> Tensor:
    """Indices drawn from the rows of ``input`` (unnormalised non-negative weights), int64."""
    if not isinstance(input, Tensor):
        raise TypeError(f"multinomial(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if input.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if input.dtype.category != 2:
        raise RuntimeError("multinomial only supports floating-point dtypes for input, got: "
                           f"{_KERNEL_TYPE_NAMES[input.dtype.name]}")
    if num_samples.__class__ is not int and not is_int(num_samples):  # (a float count must not be truncated)
        raise wrong_type("multinomial", "num_samples", "int", num_samples, 2)
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    g, on_device = _stream(generator, input._device)
    if on_device:
        return _make(_multinomial_on_device(input, num_samples, replacement, g), input._device, False)
    probs = np.asarray(input._host(), dtype=np.float64)
    rows = probs[None] if probs.ndim == 1 else probs
    _check_multinomial(rows, num_samples, replacement, rows_too=False)
    if _matches_pytorch(g, on_device):
        if not np.all(rows.sum(axis=1) > 0):
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        weights = input._host()  # PyTorch sums the weights in their own precision (half in float)
        weights = weights.astype(np.float32) if weights.dtype == np.float16 else weights
        data = g.multinomial_indices(weights[None] if weights.ndim == 1 else weights, num_samples, replacement)
        return _finish(data[0] if probs.ndim == 1 else data, input._device, False)
    res = []
    for row in rows:
        s = row.sum()
        if s <= 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        res.append(_draw_row(g, row, s, num_samples, replacement))
    data = np.asarray(res, dtype=np.int64)
    return _finish(data[0] if probs.ndim == 1 else data, input._device, False)


def _draw_row(g, row, total, num_samples, replacement):
    """``num_samples`` indices of one row of weights. Without replacement, once the categories of
    positive weight are used up PyTorch goes on with the zero-weight ones, in random order."""
    positive = np.count_nonzero(row)
    if replacement or positive >= num_samples:
        return g.choice(row.shape[0], size=num_samples, replace=replacement, p=row / total)
    first = g.choice(row.shape[0], size=positive, replace=False, p=row / total)
    rest = g.permutation(np.flatnonzero(row == 0))[:num_samples - positive]
    return np.concatenate([first, rest])


def _check_multinomial(rows, num_samples, replacement, rows_too=True) -> None:
    """PyTorch's checks of a (host, float64) 2-d ``rows`` for ``multinomial``, in its order."""
    if replacement and num_samples > 1:
        _check_rows_with_replacement(rows)
    elif np.any(rows < 0) or not np.all(np.isfinite(rows)):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if not replacement and num_samples > rows.shape[1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if rows_too:  # the CPU sampler checks each row as it reaches it
        for row in rows:
            if row.sum() <= 0:
                raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")


def _multinomial_on_device(input, num_samples, replacement, g):
    """Draw with a device stream: with replacement by inverting each row's CDF, without by the
    exponential race (the ``num_samples`` smallest ``Exp(1) / p``, as PyTorch's kernel). One check
    on the device; the host sees the probabilities only to word an error."""
    xp = get_backend(input._device).xp
    rows = input._data.astype(np.float64)
    if rows.ndim == 1:
        rows = rows[None]
    r, n = rows.shape
    bad = not bool(((rows >= 0) & xp.isfinite(rows)).all()) or not bool((rows.sum(1) > 0).all())
    if not replacement:
        bad = bad or num_samples > n
    if bad:
        host = np.asarray(input._host(), dtype=np.float64)
        _check_multinomial(host[None] if host.ndim == 1 else host, num_samples, replacement)
    if replacement:
        cdf = xp.cumsum(rows, axis=1)
        cdf = cdf / cdf[:, -1:]
        # one sorted array for all rows: row i's CDF shifted into [i, i + 1]
        shift = xp.arange(r, dtype=np.float64)[:, None]
        u = g.random((r, num_samples), dtype=np.float64)
        flat = xp.searchsorted((cdf + shift).ravel(), (u + shift).ravel(), side="right")
        idx = xp.minimum(flat.reshape(r, num_samples) - xp.arange(r, dtype=np.int64)[:, None] * n, n - 1)
    else:
        positive = rows > 0
        race = -xp.log(g.random((r, n), dtype=np.float64)) / xp.where(positive, rows, 1.0)
        # zero weights rank after every positive one (PyTorch goes on with them once those run out)
        idx = xp.argsort(xp.where(positive, race, xp.inf), axis=1)[:, :num_samples]
    idx = idx.astype(np.int64)
    return idx[0] if input.ndim == 1 else idx


def _check_rows_with_replacement(rows) -> None:
    """PyTorch's CPU kernel for sampling more than one index with replacement checks each row's
    entries in order (NaN fails the ``< 0`` test first), then the row's sum, with its own messages."""
    for row in rows:
        bad = np.flatnonzero(~((row >= 0) & np.isfinite(row)))
        if bad.size:
            if not row[bad[0]] >= 0:
                raise RuntimeError("invalid multinomial distribution (encountering probability entry < 0)")
            raise RuntimeError("invalid multinomial distribution (encountering probability entry = infinity or NaN)")
        if row.sum() <= 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
