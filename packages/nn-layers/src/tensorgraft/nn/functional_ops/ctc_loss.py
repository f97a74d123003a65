"""Connectionist temporal classification loss (``F.ctc_loss``).

The op ``nn.ctc_loss`` computes the per-sequence negative log likelihood (N,) with the alpha
recursion in log space and, in its formula, the beta recursion and PyTorch's gradient. Both
recursions are vectorised over the batch and the 2*S+1 positions of the extended label sequence
(blank, l1, blank, l2, ..., blank) and loop over time only. The reductions, ``zero_infinity`` and
the unbatched case are composed from tensor ops around it, as ATen's ``ctc_loss`` does, so the
``grad_fn`` names (CtcLossBackward0, WhereBackward0, MeanBackward0, ...) are PyTorch's.

Lengths are read on the host: the kernel's shapes (the longest target) and PyTorch's argument
checks depend on them (PyTorch copies them to the CPU too). Target labels are never read there:
a label outside [0, C) makes its sequence impossible (an infinite loss) instead of an error.
"""
from __future__ import annotations

import numpy as np
from tensorgraft.argument_errors import c_type_name

from tensorgraft.device import get_backend

from ._common import Tensor, check_tensor, formula, gs, nnop, record, wrap
from .margin_loss import refusing_derivative
from .linear import _scalar_name
from tensorgraft.dtypes import np_kind as _np_kind

_WHERE = " (while checking arguments for ctc_loss_allocate_outputs)"
_HOLDER = []


def _lse(xp, *arrs):
    """Elementwise log(sum(exp(a))) of a few arrays, -inf where all are -inf (no nan)."""
    m = arrs[0]
    for a in arrs[1:]:
        m = xp.maximum(m, a)
    ms = xp.where(m == -np.inf, 0, m)
    s = xp.exp(arrs[0] - ms)
    for a in arrs[1:]:
        s = s + xp.exp(a - ms)
    with np.errstate(divide="ignore"):
        return xp.log(s) + ms


def _extended(xp, lp, tgt, blank):
    """Extended labels (N, L), their log-probabilities (T, N, L) and where a label may skip the blank
    before it (N, L): l'(s) != l'(s-2) at odd s, as ATen has it (a target label equal to the blank
    is not special-cased)."""
    T, N, C = lp.shape
    S = tgt.shape[1]
    L = 2 * S + 1
    bad = (tgt < 0) | (tgt >= C)
    ext = xp.full((N, L), blank, dtype=np.int64)
    ext[:, 1::2] = xp.where(bad, blank, tgt)
    lpe = lp[:, xp.arange(N)[:, None], ext]
    lpe[:, :, 1::2] = xp.where(bad[None], -np.inf, lpe[:, :, 1::2])
    skip = xp.zeros((N, L), dtype=bool)
    if S > 1:
        skip[:, 3::2] = tgt[:, 1:] != tgt[:, :-1]
    return ext, lpe, skip


def _kernel(xp, lp, tgt, il, tl, blank):
    """-log p(target | log_probs) per sequence (N,), and the log-alphas (T, N, L) for the formula."""
    T, N, C = lp.shape
    ext, lpe, skip = _extended(xp, lp, tgt, blank)
    L = ext.shape[1]
    neg = lp.dtype.type(-np.inf)  # a NumPy scalar: CuPy takes it, not a 0-d array
    # two -inf columns in front: s-1 and s-2 are plain slices of the previous row
    la = xp.full((T, N, L + 2), neg, dtype=lp.dtype)
    if T:
        la[0, :, 2] = lpe[0, :, 0]
        if L > 1:
            la[0, :, 3] = lpe[0, :, 1]
    for t in range(1, T):
        prev = la[t - 1]
        la[t, :, 2:] = lpe[t] + _lse(xp, prev[:, 2:], prev[:, 1:-1], xp.where(skip, prev[:, :-2], neg))
    la = la[:, :, 2:]
    ar = xp.arange(N)
    te = xp.maximum(il - 1, 0)
    if T:
        last = la[te, ar, 2 * tl]
        before = xp.where(tl > 0, la[te, ar, xp.maximum(2 * tl - 1, 0)], neg)
        ll = _lse(xp, last, before)
    else:
        ll = xp.full((N,), neg, dtype=lp.dtype)
    ll = xp.where(il == 0, xp.where(tl == 0, 0, neg), ll).astype(lp.dtype, copy=False)
    return -ll, la


def _betas(xp, lpe, skip, il, tl):
    """The log-betas (T, N, L): from the last frame of each sequence (t = il - 1) back to t = 0."""
    T, N, L = lpe.shape
    neg = lpe.dtype.type(-np.inf)
    pos = xp.arange(L)[None, :]
    ends = (pos == 2 * tl[:, None]) | ((pos == 2 * tl[:, None] - 1) & (tl[:, None] > 0))
    skip_next = xp.zeros_like(skip)
    skip_next[:, :-2] = skip[:, 2:]
    # one -inf row after the last frame and two -inf columns after the last position
    lb = xp.full((T + 1, N, L + 2), neg, dtype=lpe.dtype)
    for t in range(T - 1, -1, -1):
        nxt = lb[t + 1]
        rec = lpe[t] + _lse(xp, nxt[:, :L], nxt[:, 1:L + 1], xp.where(skip_next, nxt[:, 2:], neg))
        first = xp.where(ends, lpe[t], neg)
        lb[t, :, :L] = xp.where((il - 1 == t)[:, None], first, xp.where((t < il - 1)[:, None], rec, neg))
    return lb[:T, :, :L]


def _run(log_probs, tgt, il, tl, blank, zero_infinity):
    """The op: per-sequence losses (N,) of (T, N, C) ``log_probs``; the arrays are on its device."""
    op = _HOLDER[0]
    nll, la = op.table[log_probs._device.type](log_probs._data, tgt, il, tl, blank)
    out = wrap(nll, log_probs._device)
    if gs.enabled and log_probs._requires_grad:
        record(op, out, (log_probs,), {"la": la, "tgt": tgt, "il": il, "tl": tl, "blank": blank, "nll": nll,
                                        "zero_infinity": zero_infinity})
    return out


@formula("ctc_loss", saves=(0,))
def _ctc_grad(node, g):
    a = node.attrs
    lp = node.inputs[0]._data
    xp = get_backend(node.inputs[0]._device).xp
    T, N, C = lp.shape
    il, tl, nll = a["il"], a["tl"], a["nll"]
    ext, lpe, skip = _extended(xp, lp, a["tgt"], a["blank"])
    ab = a["la"] + _betas(xp, lpe, skip, il, tl)
    # ATen writes the last frame's two terms without adding them up, so where a target ends with the
    # blank label (a user error it accepts) the term of the final blank is dropped: so is it here
    ar = xp.arange(N)
    last = ext[ar, xp.maximum(2 * tl - 1, 0)]
    drop = (il > 0) & (tl > 0) & (last == a["blank"])
    ab[xp.maximum(il - 1, 0), ar, 2 * tl] = xp.where(drop, -np.inf, ab[xp.maximum(il - 1, 0), ar, 2 * tl])
    # log sum over the positions s with l'(s) = c of alpha * beta, per (t, n, c): one bincount
    mx = ab.max(axis=2, keepdims=True)
    mx = xp.where(mx == -np.inf, 0, mx)
    flat = (xp.arange(T * N).reshape(T, N, 1) * C + ext[None]).reshape(-1)
    acc = xp.bincount(flat, weights=xp.exp(ab - mx).reshape(-1), minlength=T * N * C)
    acc = acc.reshape(T, N, C).astype(lp.dtype, copy=False)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        lcab = xp.log(acc) + mx
        # PyTorch's gradient: the one w.r.t. the logits of a log_softmax (the exp(lp) term), which
        # log_softmax's own backward leaves unchanged; nan where the loss is infinite
        grad = (xp.exp(lp) - xp.exp(lcab + nll[None, :, None] - lp)) * g._data.astype(lp.dtype)[None, :, None]
    keep = xp.arange(T)[:, None] < il[None, :]
    if a["zero_infinity"]:
        keep = keep & (nll != np.inf)[None, :]
    grad = wrap(xp.where(keep[:, :, None], grad, 0).astype(lp.dtype, copy=False), g._device)
    return (refusing_derivative("_ctc_loss_backward", grad, g, node.inputs[0]),)


# ------------------------------------------------------------------ the functional frontend
def _lengths(v, name):
    if isinstance(v, Tensor):
        if _np_kind(v._data.dtype) not in "iu":
            raise RuntimeError(f"{name} must be integral")
        return [int(x) for x in np.asarray(v.detach().cpu().numpy()).reshape(-1)]
    if isinstance(v, (tuple, list)) and all(isinstance(x, (int, np.integer)) and not isinstance(x, bool) for x in v):
        return [int(x) for x in v]
    raise TypeError(f"ctc_loss(): argument '{name}' must be a Tensor or a tuple of ints, not {c_type_name(v)}")


def _is_int_sequence(v):
    return isinstance(v, (tuple, list)) and all(isinstance(x, (int, np.integer)) and not isinstance(x, bool) for x in v)


def _describe(v):
    """How PyTorch's argument parser names a value it could not match."""
    if isinstance(v, Tensor):
        return "Tensor"
    if isinstance(v, list) and _is_int_sequence(v):
        return "list of [int]"
    if isinstance(v, tuple) and _is_int_sequence(v):
        return "tuple of (" + ", ".join("int" for _ in v) + ("," if len(v) == 1 else "") + ")"
    return type(v).__name__


_OVERLOADS = ("Tensor log_probs, Tensor targets, tuple of ints input_lengths, tuple of ints target_lengths, int blank "
              "= 0, int reduction = at::Reduction::Mean, bool zero_infinity = False",
              "Tensor log_probs, Tensor targets, Tensor input_lengths, Tensor target_lengths, int blank = 0, int "
              "reduction = at::Reduction::Mean, bool zero_infinity = False")


def _check_overloads(input_lengths, target_lengths):
    """PyTorch's ctc_loss has two signatures: both lengths Tensors, or both sequences of ints (a
    list or a tuple). Anything else (a bare int for an unbatched input, a Tensor with a tuple) is
    its parser's TypeError, listing each signature with the arguments it could not take marked."""
    if isinstance(input_lengths, Tensor) and isinstance(target_lengths, Tensor):
        return
    if _is_int_sequence(input_lengths) and _is_int_sequence(target_lengths):
        return
    lengths = (input_lengths, target_lengths)
    got = ["Tensor", "Tensor"] + [type(v).__name__ if not isinstance(v, Tensor) else "Tensor" for v in lengths]
    lines = []
    for overload, tensors in zip(_OVERLOADS, (False, True)):
        # the sequences' signature is marked from the first length on (whatever its type), the
        # Tensors' one from the first length that is not a Tensor
        first = 3 if tensors and isinstance(input_lengths, Tensor) else 2
        marks = ["Tensor", "Tensor"]
        for i, v in enumerate(lengths, 2):
            marks.append(f"!{_describe(v)}!" if i >= first else _describe(v))
        marks += ["!int!", "!int!", "!bool!"]
        lines.append(f" * ({overload})\n      didn't match because some of the arguments have invalid types: "
                     f"({', '.join(marks)})\n")
    raise TypeError(f"ctc_loss() received an invalid combination of arguments - got ({', '.join(got)}, int, int, "
                    f"bool), but expected one of:\n" + "".join(lines))


def _check(lp, targets, il, tl, blank):
    """ATen's ctc_loss_allocate_outputs checks, in its order; returns the longest target length."""
    if lp.ndim != 3:
        raise RuntimeError(f"Expected 3-dimensional tensor, but got {lp.ndim}-dimensional tensor for argument #1 "
                           f"'log_probs'{_WHERE}")
    if not 1 <= targets.ndim <= 2:
        raise RuntimeError(f"Expected 1 to 2 dimensions, but got {targets.ndim}-dimensional tensor for argument #2 "
                           f"'targets'{_WHERE}")
    T, N, C = lp.shape
    if not 0 <= blank < C:
        raise RuntimeError("blank must be in label range")
    if len(il) != N:
        raise RuntimeError("input_lengths must be of size batch_size")
    if len(tl) != N:
        raise RuntimeError("target_lengths must be of size batch_size")
    for n in tl:
        if n < 0:
            raise RuntimeError(f"Expected target_lengths to have value at least 0, but got value {n}{_WHERE}")
    smax = max(tl, default=0)
    want = sum(tl) if targets.ndim == 1 else N
    if targets.shape[0] != want:
        raise RuntimeError(f"Expected tensor to have size {want} at dimension 0, but got size {targets.shape[0]} "
                           f"for argument #2 'targets'{_WHERE}")
    if targets.ndim == 2 and targets.shape[1] < smax:
        raise RuntimeError(f"Expected tensor to have size at least {smax} at dimension 1, but got size "
                           f"{targets.shape[1]} for argument #2 'targets'{_WHERE}")
    for n in il:
        if n < 0:
            raise RuntimeError(f"Expected input_lengths to have value at least 0, but got value {n}{_WHERE}")
        if n > T:
            raise RuntimeError(f"Expected input_lengths to have value at most {T}, but got value {n}{_WHERE}")
    return smax


def _padded_targets(xp, t, tl, smax):
    """(N, smax) int64 targets on the device from padded (N, S>=smax) or concatenated (sum(tl),) ones."""
    if t.ndim == 2:
        return t[:, :smax].astype(np.int64, copy=False)
    starts = np.concatenate([[0], np.cumsum(tl)[:-1]]).astype(np.int64)
    idx = np.minimum(starts[:, None] + np.arange(smax)[None, :], max(t.shape[0] - 1, 0))
    if t.shape[0] == 0:
        return xp.zeros((len(tl), smax), dtype=np.int64)
    return t.astype(np.int64, copy=False)[xp.asarray(idx)]


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    import tensorgraft as tg
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    check_tensor(log_probs, "ctc_loss", "log_probs")
    check_tensor(targets, "ctc_loss", "targets", 2)
    _check_overloads(input_lengths, target_lengths)
    if log_probs.numel() == 0:
        raise RuntimeError("log_probs tensor must not be empty")
    il, tl = _lengths(input_lengths, "input_lengths"), _lengths(target_lengths, "target_lengths")
    batched = log_probs.ndim == 3
    lp = log_probs if batched else log_probs.unsqueeze(1)
    smax = _check(lp, targets, il, tl, int(blank))
    dt = lp._data.dtype
    if dt not in (np.float32, np.float64):
        raise NotImplementedError(f'"ctc_loss_cpu" not implemented for \'{_scalar_name(dt)}\'')
    dev = lp._device
    xp = get_backend(dev).xp
    t = targets if targets._device is dev else targets.to(lp.device)
    tgt = _padded_targets(xp, t._data, tl, smax)
    res = _run(lp, tgt, xp.asarray(np.array(il, dtype=np.int64)), xp.asarray(np.array(tl, dtype=np.int64)),
               int(blank), bool(zero_infinity))
    if zero_infinity:
        res = tg.where(res == float("inf"), tg.zeros((), dtype=res.dtype, device=res.device), res)
    if reduction == "mean":
        return (res / tg.tensor(tl, dtype=res.dtype, device=res.device).clamp_min(1)).mean()
    if reduction == "sum":
        return res.sum()
    return res if batched else res.squeeze(0)


_HOLDER.append(nnop("ctc_loss", _kernel, ctc_loss))
