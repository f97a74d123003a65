"""``F.linear_cross_entropy``: the cross entropy of a linear projection's logits, with a chunked path.

``options=None`` is the reference: ``cross_entropy(linear(input, weight, bias), target, ...)``,
recorded as those ops (``NllLossBackward0`` <- ``LogSoftmaxBackward0`` <- ``ViewBackward0`` <-
``AddmmBackward0``), so everything autograd offers works on it.

With a ``LinearCrossEntropyOptions`` the batch goes through in chunks of rows, so that only one
chunk's ``(rows, C)`` logits exist at a time, in forward and in backward: with a vocabulary head
(C in the tens of thousands) the full logits dwarf the input and the weight. As PyTorch's op:

- ``"mean"``/``"sum"``: the forward sweep computes the loss and, for the inputs that need them,
  the gradients (a logits block's softmax is at hand then; recomputing it later would cost a second
  pass of matmuls). Backward only scales them by the incoming gradient, handing its buffers out, so
  a second backward is an error unless ``allow_retain_graph=True``.
- ``"none"``: the upstream gradient is a vector, unknown during the forward, so the forward keeps
  only its inputs and backward sweeps again, recomputing each chunk's logits.

The chunked path supports class-index targets (int64), class weights, ``ignore_index`` and a
``(C,)`` bias; other configurations warn and take the reference path.
"""
from __future__ import annotations

import math
import warnings

import tensorgraft as _tg
from tensorgraft.autograd.function import Function
from tensorgraft.device import get_backend
from tensorgraft.grad_mode import state as _gs
from tensorgraft.jit import is_tracing as _is_tracing
from tensorgraft.tensor import wrap

from tensorgraft.dtypes import CPP_TYPE_NAMES
from .linear_api import linear
from .loss_api import cross_entropy

__all__ = ["linear_cross_entropy"]

_CHUNKED_REDUCTIONS = ("mean", "sum", "none")
_TWICE = "linear_cross_entropy chunked backward called twice; retain_graph=True / double backward are not supported."


def linear_cross_entropy(input, linear_weight, target, *, linear_bias=None, weight=None, reduction="mean",
                         ignore_index=None, label_smoothing=0.0, options=None):
    """``cross_entropy(linear(input, linear_weight, linear_bias), target, ...)``.

    ``linear_weight`` is ``(C, in_features)``, or ``(C, d_1, ..., d_K, in_features)`` for a
    K-dimensional loss over batched input (the bias then ``(C, d_1, ..., d_K)``). ``ignore_index=None``
    means -100 for class-index targets; it must stay None for probability targets. ``options``
    (a ``LinearCrossEntropyOptions``) selects the chunked implementation.
    """
    if input.dim() < 1 or input.dim() > 2:
        raise RuntimeError(f"expected input with dimensionality 1 or 2, got {input.dim()}")
    if linear_weight.dim() < 2:
        raise RuntimeError(f"expected linear_weight with dimensionality at least 2, got {linear_weight.dim()}")
    in_features = input.shape[-1]
    if in_features != linear_weight.shape[-1]:
        raise RuntimeError("expected equal input and linear_weight last dimensions (in_features), "
                           f"got {input.shape[-1]} and {linear_weight.shape[-1]}, respectively")
    num_classes = linear_weight.shape[0]
    out_features = tuple(linear_weight.shape[1:-1])
    if linear_bias is not None and tuple(linear_bias.shape) != (num_classes, *out_features):
        raise RuntimeError(f"expected linear_bias shape {(num_classes, *out_features)}, got {tuple(linear_bias.shape)}")
    if out_features and input.dim() == 1:
        raise RuntimeError(f"K-dimensional loss defined by linear_weight shape {tuple(linear_weight.shape)} requires"
                           f" batched input, (N, {in_features}), got unbatched input with shape {tuple(input.shape)}")
    logits_shape = (*input.shape[:-1], num_classes, *out_features)
    # cross_entropy tells probability targets by their shape being the logits'
    if tuple(target.shape) == logits_shape and ignore_index is not None:
        raise RuntimeError("ignore_index cannot be specified when target contains probabilities")
    ignore_index = -100 if ignore_index is None else ignore_index

    if options is not None:
        tracing = _is_tracing()
        if (out_features or reduction not in _CHUNKED_REDUCTIONS or label_smoothing != 0.0
                or target.dtype != _tg.int64 or tracing):
            bias_shape = None if linear_bias is None else tuple(linear_bias.shape)
            warnings.warn(
                "linear_cross_entropy: ``options`` ignored; chunked path needs reduction in {'mean','sum','none'}, "
                "label_smoothing == 0, target.dtype == int64, out_features == (). Got "
                f"reduction={reduction!r}, label_smoothing={label_smoothing}, target.dtype={target.dtype}, "
                f"out_features={out_features}, tracing={tracing}, linear_bias.shape={bias_shape}.", stacklevel=2)
        else:
            return _chunked(input, linear_weight, target, linear_bias, weight, reduction, ignore_index, options)

    if out_features:
        # linear takes a matrix: the K output dims are flattened into the class dim and restored below
        flat = math.prod(out_features, start=num_classes)
        linear_weight = linear_weight.reshape((flat, in_features))
        if linear_bias is not None:
            linear_bias = linear_bias.reshape(flat)
    logits = linear(input, linear_weight, linear_bias).reshape(logits_shape)
    return cross_entropy(logits, target, weight=weight, reduction=reduction, ignore_index=ignore_index,
                         label_smoothing=label_smoothing)


def _chunked(input, linear_weight, target, linear_bias, weight, reduction, ignore_index, options):
    batched = input.dim() == 2
    if not batched:  # one sample is a batch of one
        input, target = input.unsqueeze(0), target.unsqueeze(0)
    num_batches, in_features = input.shape
    options = options._adjust(num_batches=num_batches, in_features=in_features, num_classes=linear_weight.shape[0],
                              dtype=input.dtype, device=input.device)
    chunk, policy, acc_dtype = options.batch_chunk_size, options.acc_policy, options.acc_dtype
    if reduction == "none":
        loss = _ChunkedPerRow.apply(input, linear_weight, target, linear_bias, weight, ignore_index, chunk, policy,
                                    acc_dtype)
    else:
        on = _gs.enabled
        loss = _ChunkedReduced.apply(
            input, linear_weight, target, linear_bias, weight, reduction, ignore_index, chunk, policy, acc_dtype,
            options.allow_retain_graph, on and input.requires_grad, on and linear_weight.requires_grad,
            on and linear_bias is not None and linear_bias.requires_grad)
    return loss if batched else loss.squeeze(0)


# ------------------------------------------------------------------ the chunked kernels (arrays, any xp)
def _checked_operands(x, W, t, b, w, ignore_index, chunk, acc_dtype):
    """The operands as arrays in the accumulation dtype, the targets with ignored rows pointing at
    class 0, the per-row weights (0 on ignored rows) and the live-row mask, after PyTorch's
    chunked op's checks (its messages come from the indexing ops it runs)."""
    xp = get_backend(x._device).xp
    dtype, acc = x.dtype, acc_dtype
    if dtype != acc and not (dtype in (_tg.float16, _tg.bfloat16) and acc == _tg.float32):
        raise RuntimeError(f"linear_cross_entropy supports float32 acc_dtype with float16/bfloat16 inputs, but got "
                           f"{acc} acc_dtype and {dtype} inputs.")
    if x.dtype != W.dtype:
        names = [CPP_TYPE_NAMES.get(a._data.dtype.name, a._data.dtype.name) for a in (x, W)]
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {names[0]} != {names[1]}")
    if t.dim() != 1:
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    n, rows = x.shape[0], t.shape[0]
    if rows < n:  # the chunk whose slice of the targets runs past their end
        start = rows // chunk * chunk
        raise RuntimeError(f"start ({start}) + length ({min(chunk, n - start)}) exceeds dimension size ({rows}).")
    t = t._data[:n]
    live = t != ignore_index
    tc = xp.where(live, t, 0)
    num_classes = W.shape[0]
    if w is not None:
        if tc.size and (int(tc.min()) < 0 or int(tc.max()) >= w.numel()):
            raise IndexError("index out of range in self")
        row_w = xp.where(live, w._data[tc], 0).astype(acc.np)
    else:
        row_w = live.astype(acc.np)
    bad = (tc < 0) | (tc >= num_classes)
    if bool(bad.any()):
        raise RuntimeError(f"index {int(tc[xp.argmax(bad)])} is out of bounds for dimension 1 with size {num_classes}")
    nd = acc.np
    x_acc, W_acc = x._data.astype(nd, copy=False), W._data.astype(nd, copy=False)
    b_acc = None if b is None else b._data.astype(nd, copy=False)
    return xp, x_acc, W_acc, b_acc, tc, row_w, live


def _sweep(xp, x, W, b, tc, chunk, row_scale=None, want=(False, False, False)):
    """One pass over the rows, ``chunk`` at a time: each row's negative log-likelihood and, when
    ``row_scale`` is given, the gradients (``want``: input, weight, bias) of ``sum(row_scale * nll)``."""
    n = x.shape[0]
    nll = xp.empty(n, dtype=x.dtype)
    gx = xp.empty_like(x) if want[0] else None
    gW = xp.zeros_like(W) if want[1] else None
    gb = xp.zeros(W.shape[0], dtype=x.dtype) if want[2] else None
    # one (C, in) buffer for every chunk's weight gradient rather than a fresh one per chunk
    scratch = xp.empty_like(W) if want[1] else None
    # NumPy's dot takes an out= of its own float dtypes only (not ml_dtypes' bfloat16, the
    # accumulation dtype for bfloat16 inputs)
    native = x.dtype.kind == "f"
    for s in range(0, n, chunk):
        xc, tcc = x[s:s + chunk], tc[s:s + chunk]
        rows = xp.arange(xc.shape[0])
        z = xc @ W.T
        if b is not None:
            z += b
        picked = z[rows, tcc]
        top = z.max(axis=1)
        z -= top[:, None]
        xp.exp(z, out=z)
        total = z.sum(axis=1)
        nll[s:s + chunk] = xp.log(total) + top - picked
        if row_scale is None:
            continue
        # z becomes d loss / d logits: the softmax minus the one-hot target, times the row's scale
        scale = row_scale[s:s + chunk]
        z *= (scale / total)[:, None]
        z[rows, tcc] -= scale
        if gx is not None and native:
            # dot, not matmul: for a few rows against a (C, in) weight NumPy's matmul is several times slower
            xp.dot(z, W, out=gx[s:s + chunk])
        elif gx is not None:
            gx[s:s + chunk] = z @ W
        if gW is not None:
            xp.matmul(z.T, xc, out=scratch)
            gW += scratch
        if gb is not None:
            gb += z.sum(axis=0)
    return nll, gx, gW, gb


def _as_input_dtype(a, dtype):
    return None if a is None else a.astype(dtype.np, copy=False)


# Both Functions take PyTorch's op arguments, ``policy`` included: every policy computes alike here
# (the operands are promoted to ``acc_dtype`` up front), the policies differ in GPU buffer layouts.
class _ChunkedReduced(Function):
    """``"mean"``/``"sum"``: loss and gradients in one forward sweep; backward scales them."""

    @staticmethod
    def forward(ctx, input, linear_weight, target, linear_bias, weight, reduction, ignore_index, chunk, policy,
                acc_dtype, allow_retain_graph, want_input, want_weight, want_bias):
        xp, x, W, b, tc, row_w, live = _checked_operands(input, linear_weight, target, linear_bias, weight,
                                                         ignore_index, chunk, acc_dtype)
        want = (want_input, want_weight, want_bias)
        if reduction == "mean":
            denom = float(row_w.sum())
            # no counted row (all ignored, zero weights or an empty batch): the mean is 0/0
            row_scale = row_w / denom if denom != 0 else xp.full_like(row_w, math.nan)
        else:
            denom, row_scale = 1.0, row_w
        nll, gx, gW, gb = _sweep(xp, x, W, b, tc, chunk, row_scale if any(want) else None, want)
        total = xp.where(live, row_w * nll, nll.dtype.type(0)).sum()  # (a zero of bfloat16 too: NumPy 1.26)
        loss = total / denom if denom != 0 else xp.full((), math.nan, dtype=total.dtype)
        ctx.allow_retain_graph = allow_retain_graph
        ctx.grads = tuple(_as_input_dtype(g, input.dtype) for g in (gx, gW, gb))
        ctx.device = input._device
        return wrap(xp.asarray(loss, dtype=input.dtype.np), input._device)

    @staticmethod
    def backward(ctx, grad_output):
        g = grad_output._data
        if ctx.allow_retain_graph and grad_output.requires_grad and _gs.enabled:
            # create_graph: as PyTorch's, each gradient is its saved buffer (a constant) times the
            # incoming gradient, so a second derivative reaches the incoming gradient only
            gx, gW, gb = (None if a is None else wrap(a, ctx.device) * grad_output for a in ctx.grads)
            return (gx, gW, None, gb) + (None,) * 10
        if ctx.allow_retain_graph:
            grads = tuple(None if a is None else a * g for a in ctx.grads)
        else:
            # handed out once: each buffer, scaled in place, becomes the gradient
            grads, ctx.grads = ctx.grads, None
            if grads is None:
                raise RuntimeError(_TWICE)
            for a in grads:
                if a is not None:
                    a *= g
        gx, gW, gb = (None if a is None else wrap(a, ctx.device) for a in grads)
        return (gx, gW, None, gb) + (None,) * 10


class _ChunkedPerRow(Function):
    """``"none"``: the forward keeps its inputs; backward sweeps again with the upstream gradient."""

    @staticmethod
    def forward(ctx, input, linear_weight, target, linear_bias, weight, ignore_index, chunk, policy, acc_dtype):
        xp, x, W, b, tc, row_w, live = _checked_operands(input, linear_weight, target, linear_bias, weight,
                                                         ignore_index, chunk, acc_dtype)
        nll = _sweep(xp, x, W, b, tc, chunk)[0]
        ctx.save_for_backward(input, linear_weight, target, linear_bias, weight)
        ctx.config = (ignore_index, chunk, acc_dtype)
        return wrap(xp.where(live, row_w * nll, nll.dtype.type(0)).astype(input.dtype.np), input._device)

    @staticmethod
    def backward(ctx, grad_output):
        input, linear_weight, target, linear_bias, weight = ctx.saved_tensors
        ignore_index, chunk, acc_dtype = ctx.config
        xp, x, W, b, tc, row_w, live = _checked_operands(input, linear_weight, target, linear_bias, weight,
                                                         ignore_index, chunk, acc_dtype)
        need = ctx.needs_input_grad
        want = (need[0], need[1], linear_bias is not None and need[3])
        row_scale = xp.where(live, row_w * grad_output._data.astype(row_w.dtype, copy=False), row_w.dtype.type(0))
        _, gx, gW, gb = _sweep(xp, x, W, b, tc, chunk, row_scale, want)
        gx, gW, gb = (None if a is None else wrap(_as_input_dtype(a, input.dtype), input._device) for a in (gx, gW, gb))
        return (gx, gW, None, gb) + (None,) * 5


# PyTorch's chunked ops are custom ops, whose nodes carry the op's qualified name
_ChunkedReduced._backward_cls.__name__ = _ChunkedReduced._backward_cls.__qualname__ = (
    "GeneratedBackwardFor_torch_nn__linear_cross_entropy_batch_chunked_defaultBackward")
_ChunkedPerRow._backward_cls.__name__ = _ChunkedPerRow._backward_cls.__qualname__ = (
    "GeneratedBackwardFor_torch_nn__linear_cross_entropy_batch_chunked_no_reduction_defaultBackward")

# the public name (as F.cross_entropy's): what pickle and saved scripts store
linear_cross_entropy.__module__ = "tensorgraft.nn.functional"
