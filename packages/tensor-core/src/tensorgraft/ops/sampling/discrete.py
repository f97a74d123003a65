"""``bernoulli`` and ``multinomial``: draws from probability tensors -- 0 or 1 with each element's
probability, category indices from rows of weights -- after PyTorch's checks of those
probabilities, in its order and words. ``_pytorch_bernoulli`` also draws for ``Tensor.bernoulli_``
and the dropout mask (``inplace_fill.py``)."""
from __future__ import annotations

import numpy as np
from tensorgraft.argument_errors import c_type_name

from ... import dtypes as _dt
from ... import memory_layout as _ml
from ...cpu.fill_order import fill_values, from_memory_order, memory_axes, to_memory_order
from ...device import get_backend
from ...tensor import Tensor
from .. import _frontend as F
from .._args import is_int, wrong_type
from ..creation import _KERNEL_TYPE_NAMES, _finish, _make, empty_like
from .streams import _P_IN_RANGE, _matches_pytorch, _stream, _write_sampled_out
from tensorgraft.dtypes import np_kind as _np_kind


def bernoulli(input, p=None, *, generator=None, out=None) -> Tensor:
    """Draws 0/1 with probability ``input`` (or ``p``); the result has ``input``'s dtype. As in
    PyTorch, a new contiguous tensor (or ``out``, resized to ``input``'s shape, of any dtype)
    filled by ``bernoulli_``, which makes the checks."""
    if not isinstance(input, Tensor):
        raise TypeError(f"bernoulli(): argument 'input' (position 1) must be Tensor, not {c_type_name(input)}")
    if out is not None:
        if p is not None:  # PyTorch's bernoulli(input, p) has no out=
            raise TypeError("bernoulli() received an invalid combination of arguments - got (Tensor, float, "
                            "out=Tensor), but expected one of:\n"
                            " * (Tensor input, *, torch.Generator generator = None, Tensor out = None)\n"
                            " * (Tensor input, float p, *, torch.Generator generator = None)\n")
        if not isinstance(out, Tensor):
            raise TypeError(f"bernoulli(): argument 'out' must be Tensor, not {c_type_name(out)}")
        F.check_out_grad("bernoulli", out, input)
        F.check_out_overlap(out, ())  # (an expanded out: refused; out=input is drawn in place)
        if tuple(out.shape) != tuple(input.shape):
            out.resize_(tuple(input.shape))
        return out.bernoulli_(input, generator=generator)
    res = empty_like(input, memory_format=_ml.contiguous_format)  # (made where input is: no host copy)
    res.bernoulli_(input if p is None else p, generator=generator)
    if p is None and F.needs_grad(input):
        # PyTorch's BernoulliBackward0: a zero gradient for the probabilities (zero_'s formula)
        from ...registry import registry
        Tensor._autograd.record(registry.ops["zero_"], res, (input,), None, node_name="BernoulliBackward0")
    return res


def _pytorch_bernoulli(g, like, p):
    """0/1 draws for an array laid out as ``like`` from the PyTorch-matching stream, with the
    number ``p`` (float64 uniforms) or the probabilities array ``p`` broadcast to its shape
    (uniforms of their own precision), in memory order. PyTorch checks each probability as it
    reaches it: a bad one raises after the draws for those before it."""
    axes = memory_axes(like)
    if isinstance(p, np.ndarray):
        if _np_kind(p.dtype) != "f":
            p = p.astype(np.float64)
        ordered = np.ascontiguousarray(to_memory_order(np.broadcast_to(p, like.shape), axes))
        bad = ~((ordered >= 0) & (ordered <= 1))  # NaN too
        if bad.any():
            g.bernoulli(ordered.reshape(-1)[:int(np.argmax(bad.reshape(-1)))])
            raise RuntimeError(_P_IN_RANGE)
        if not like.ndim:  # ascontiguousarray makes a 0-d array 1-d: the result keeps shape ()
            return g.bernoulli(ordered).reshape(())
        return from_memory_order(g.bernoulli(ordered), axes)
    return from_memory_order(g.bernoulli(p, tuple(like.shape[i] for i in axes)), axes)


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None) -> Tensor:
    """Indices drawn from the rows of ``input`` (unnormalised non-negative weights), int64."""
    if not isinstance(input, Tensor):
        raise TypeError(f"multinomial(): argument 'input' (position 1) must be Tensor, not {c_type_name(input)}")
    if out is not None:
        if not isinstance(out, Tensor):
            raise TypeError(f"multinomial(): argument 'out' must be Tensor, not {c_type_name(out)}")
        F.check_out_grad("multinomial", out, input)
    if input.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if input.dtype.category != 2:
        raise RuntimeError("multinomial only supports floating-point dtypes for input, got: "
                           f"{_KERNEL_TYPE_NAMES[input.dtype.name]}")
    if out is not None and out.dtype is not _dt.int64:
        raise RuntimeError(f"multinomial expects Long tensor out, got: {_KERNEL_TYPE_NAMES[out.dtype.name]}")
    if num_samples.__class__ is not int and not is_int(num_samples):  # (a float count must not be truncated)
        raise wrong_type("multinomial", "num_samples", "int", num_samples, 2)
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement and num_samples > input.shape[-1]:  # (before the categories and the values)
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if input.shape[-1] > 2 ** 24:  # (PyTorch's samplers index the categories in float: checked before the values)
        raise RuntimeError("number of categories cannot exceed 2^24")
    res = _multinomial(input, num_samples, replacement, generator)
    return res if out is None else _write_sampled_out(out, res._data, "multinomial")


def _multinomial(input, num_samples, replacement, generator):
    g, on_device = _stream(generator, input._device)
    if on_device:
        return _make(_multinomial_on_device(input, num_samples, replacement, g), input._device, False)
    probs = np.asarray(input._host(), dtype=np.float64)
    rows = probs[None] if probs.ndim == 1 else probs
    _check_multinomial(rows, num_samples, replacement, rows_too=False)
    if _matches_pytorch(g, on_device):
        if not np.all(rows.sum(axis=1) > 0):
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        if rows.shape[0] == 0:  # no rows: nothing drawn
            return _finish(np.empty((0, num_samples), np.int64), input._device, False)
        weights = input._host()
        if replacement and num_samples > 1:
            # PyTorch sums the weights in their own precision, half and bfloat16 in float
            if weights.dtype.itemsize == 2:
                weights = weights.astype(np.float32)
        elif weights.ndim == 2 and not weights.flags.c_contiguous:
            # the race's exponentials fill empty_like(input): in input's memory order
            return _finish(_pytorch_race(g, weights, num_samples), input._device, False)
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


def _pytorch_race(g, weights, num_samples):
    """Without replacement (or one sample), PyTorch's exponential race for a 2-d ``weights`` that is
    not C-contiguous: ``q = empty_like(weights).exponential_()`` (drawn in the weights' memory
    order, in their dtype), then the ``num_samples`` largest ``weights / q`` of each row."""
    q = fill_values(weights, lambda shape, dtype, serial: g.exponential(1.0, shape, dtype))
    race = (weights / q).astype(weights.dtype, copy=False)
    if num_samples == 1:
        return np.argmax(race, axis=1)[:, None].astype(np.int64)
    return np.argsort(-race, axis=1, kind="stable")[:, :num_samples].astype(np.int64)


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
