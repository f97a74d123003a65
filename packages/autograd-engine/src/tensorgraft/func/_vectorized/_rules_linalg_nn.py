"""Products (matmul & co., einsum), and the nn functions with rules of their own: layer_norm,
embedding, conv/pool (the batch folded into the op's own batch dim), and the losses, computed
with ``reduction='none'`` over the whole batch and reduced per sample as the reduction says."""
from __future__ import annotations

from tensorgraft.tensor import Tensor

from .._vmap import _BN_NOT_BATCHED_MSG
from ._common import FUNCTIONAL, METHOD, TORCH, at, physical, register, wrap
from ._fallback import fallback
from ._shared_matmul import expanded_over_batch, shared_matmul


def _batched_matmul(a, b, level):
    """``a @ b`` on logical operands (at least one batched at ``level``): the physical product.
    (Where PyTorch's rule takes another route -- mv for a batched vector against an unbatched
    one, a transposed mm for an unbatched matrix against batched vectors -- the same route is
    taken, so that results record the nodes PyTorch's do.)"""
    import tensorgraft
    ra, rb = a._data.ndim, b._data.ndim
    if ra == 0 or rb == 0:
        return None
    if ra == 1 and rb == 1 and not (at(a, level) and at(b, level)):
        v, u = (a, b) if at(a, level) else (b, a)
        return tensorgraft.mv(v._physical, u)
    if ra == 2 and rb == 1 and at(b, level) and not at(a, level):
        return tensorgraft.mm(a, b._physical.permute(1, 0)).permute(1, 0)
    pa, pb = physical(a, level, 0), physical(b, level, 0)
    a1, b1 = ra == 1, rb == 1
    if a1:
        pa = pa.unsqueeze(-2)
    if b1:
        pb = pb.unsqueeze(-1)
    rank = max(ra, rb, 2)
    if at(a, level) and max(ra, 2) < rank:
        pa = pa[(slice(None),) + (None,) * (rank - max(ra, 2))]
    if at(b, level) and max(rb, 2) < rank:
        pb = pb[(slice(None),) + (None,) * (rank - max(rb, 2))]
    shared = pb.__class__ is Tensor and pa.__class__ is Tensor and pa.dim() >= 3 and pa.shape[0] == pb.shape[0] \
        and expanded_over_batch(pb)
    # (an unbatched weight expanded for per-sample gradients: one product with the weight itself)
    out = shared_matmul(pa, pb) if shared else tensorgraft.matmul(pa, pb)
    # squeezed in place as PyTorch's rule does (its node: SqueezeBackward5) where the result is a
    # plain tensor of its own; a custom Function's output view or an outer level's BatchedTensor
    # gets the out-of-place squeeze
    inplace = out.__class__ is Tensor and not shared
    if a1:
        out = out.squeeze_((-2,)) if inplace else out.squeeze((-2,))
    if b1:
        out = out.squeeze_((-1,)) if inplace else out.squeeze((-1,))
    return out


def _product(ranks):
    """matmul / mm / bmm / mv / dot: ``ranks`` the logical ranks the op accepts (None: any)."""
    def rule(func, level, size, args, kwargs):
        if len(args) != 2 or kwargs:
            return fallback(func, level, size, args, kwargs)
        a, b = args
        if func.__name__ == "__rmatmul__":
            a, b = b, a
        if not (isinstance(a, Tensor) and isinstance(b, Tensor)) or (
                ranks is not None and (a._data.ndim, b._data.ndim) != ranks):
            return fallback(func, level, size, args, kwargs)
        out = _batched_matmul(a, b, level)
        return fallback(func, level, size, args, kwargs) if out is None else wrap(out, level)
    return rule


def _outer(func, level, size, args, kwargs):
    a, b = args[0], args[1] if len(args) > 1 else kwargs.get("vec2")
    if a._data.ndim != 1 or b._data.ndim != 1:
        return fallback(func, level, size, args, kwargs)
    return wrap(physical(a, level, 0).unsqueeze(-1) * physical(b, level, 0).unsqueeze(-2), level)


def _addmm(func, level, size, args, kwargs):
    """``beta * input + alpha * (m1 @ m2)``, composed of the batched ops."""
    input, m1, m2 = args[:3]
    beta, alpha = kwargs.get("beta", 1), kwargs.get("alpha", 1)
    if len(args) > 3 or not isinstance(m1, Tensor) or not isinstance(m2, Tensor):
        return fallback(func, level, size, args, kwargs)
    prod = m1 @ m2
    if alpha != 1:
        prod = prod * alpha
    if beta == 0:
        return prod
    return prod + (input if beta == 1 else input * beta)


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _einsum(func, level, size, args, kwargs):
    import tensorgraft
    if kwargs or not args or not isinstance(args[0], str):
        return fallback(func, level, size, args, kwargs)
    eq = args[0].replace(" ", "")
    operands = list(args[1]) if len(args) == 2 and isinstance(args[1], (list, tuple)) else list(args[1:])
    if "->" not in eq:
        return fallback(func, level, size, args, kwargs)
    lhs, rhs = eq.split("->")
    terms = lhs.split(",")
    free = next((c for c in _LETTERS if c not in eq), None)
    if free is None or len(terms) != len(operands):
        return fallback(func, level, size, args, kwargs)
    new_terms = [free + term if at(op, level) else term for term, op in zip(terms, operands)]
    phys = [physical(op, level, 0) for op in operands]
    return wrap(tensorgraft.einsum(",".join(new_terms) + "->" + free + rhs, *phys), level)


def _linear(func, level, size, args, kwargs):
    """``x @ weight.T (+ bias)`` from the batched ops (PyTorch's rule decomposes it the same way)."""
    x = args[0]
    w = args[1] if len(args) > 1 else kwargs["weight"]
    b = args[2] if len(args) > 2 else kwargs.get("bias")
    if not isinstance(w, Tensor) or w._data.ndim not in (1, 2):
        return fallback(func, level, size, args, kwargs)
    out = x @ (w.t() if w._data.ndim == 2 else w)
    return out if b is None else out + b


def _trailing(func, level, size, args, kwargs):
    """Ops that work on the trailing dims of their first input (layer_norm, tril...): the physical
    call is the batched one, when nothing else is batched."""
    t = args[0]
    if not at(t, level) or any(at(a, level) for a in args[1:]) or any(at(v, level) for v in kwargs.values()):
        return fallback(func, level, size, args, kwargs)
    if t._data.ndim == 0:
        return fallback(func, level, size, args, kwargs)
    return wrap(func(t._physical, *args[1:], **kwargs), level)


def _embedding(func, level, size, args, kwargs):
    idx, weight = args[0], args[1] if len(args) > 1 else kwargs.get("weight")
    if at(weight, level) or kwargs.get("max_norm") is not None or len(args) > 3:
        return fallback(func, level, size, args, kwargs)
    return wrap(func(idx._physical, *args[1:], **kwargs), level)


def _folded(spatial):
    """conv / pooling with ``spatial`` spatial dims: a batched input of rank spatial+2 folds the
    vmap batch into the op's own batch; of rank spatial+1 (no batch of its own) the vmap batch is
    the op's batch."""
    def rule(func, level, size, args, kwargs):
        x = args[0]
        if not at(x, level) or any(at(a, level) for a in args[1:]) or any(at(v, level) for v in kwargs.values()):
            return fallback(func, level, size, args, kwargs)
        r = x._data.ndim
        p = x._physical
        if r == spatial + 1:  # (PyTorch's rule ends in a squeeze of the dim it added: the same node)
            out = func(p, *args[1:], **kwargs)
            if isinstance(out, tuple):
                return wrap(out, level)
            return wrap(out.unsqueeze(1).squeeze((1,)), level)
        if r != spatial + 2 or size == 0:
            return fallback(func, level, size, args, kwargs)
        n = x._data.shape[0]
        out = func(p.reshape((size * n,) + tuple(p.shape[2:])), *args[1:], **kwargs)
        unfold = lambda o: o.reshape((size, n) + tuple(o.shape[1:]))  # noqa: E731
        return wrap(tuple(unfold(o) for o in out) if isinstance(out, tuple) else unfold(out), level)
    return rule


# --------------------------------------------------------------------------- losses
def _arg(args, kwargs, pos, name, default=None):
    if name in kwargs:
        return kwargs[name]
    return args[pos] if len(args) > pos else default


def _reduce_per_sample(loss, reduction, level):
    """``loss`` (B, ...) physical, reduced over each sample's elements."""
    if reduction == "none":
        return wrap(loss, level)
    flat = loss.reshape(loss.shape[0], -1)
    return wrap(flat.sum(1) if reduction == "sum" else flat.mean(1), level)


def _class_loss(target_pos):
    """cross_entropy / nll_loss: the samples' examples flattened into one batch of examples."""
    def rule(func, level, size, args, kwargs):
        x, target = args[0], _arg(args, kwargs, 1, "target")
        weight = _arg(args, kwargs, 2, "weight")
        legacy = _arg(args, kwargs, 3, "size_average") is not None or _arg(args, kwargs, 5, "reduce") is not None
        reduction = _arg(args, kwargs, 6, "reduction", "mean")
        if weight is not None or legacy or len(args) > 4 or size == 0 or x._data.ndim == 0 \
                or reduction not in ("none", "mean", "sum"):
            return fallback(func, level, size, args, kwargs)
        ignore_index = _arg(args, kwargs, 4, "ignore_index", -100)
        px, pt = physical(x, level, size, True), physical(target, level, size, True)
        probs = target._data.dtype.kind == "f"
        if x._data.ndim == 1:  # one example per sample: the vmap batch is the loss's batch
            ex, et, per = px, pt, 1
        else:
            per = x._data.shape[0]
            ex = px.reshape((size * per,) + tuple(px.shape[2:]))
            et = pt.reshape((size * per,) + tuple(pt.shape[2:]))
        extra = {k: v for k, v in kwargs.items() if k in ("label_smoothing",)}
        loss = func(ex, et, ignore_index=ignore_index, reduction="none", **extra)
        if reduction == "none":
            shape = () if x._data.ndim == 1 else (per,) + tuple(x._data.shape[2:])
            return wrap(loss.reshape((size,) + shape), level)
        loss = loss.reshape((size, -1))
        if reduction == "sum":
            return wrap(loss.sum(1), level)
        if probs:
            return wrap(loss.mean(1), level)
        kept = (pt.reshape((size, -1)) != ignore_index).sum(1).to(loss.dtype)
        return wrap(loss.sum(1) / kept, level)
    return rule


def _pointwise_loss(func, level, size, args, kwargs):
    x, target = args[0], _arg(args, kwargs, 1, "target")
    names = {"mse_loss": 4, "l1_loss": 4, "smooth_l1_loss": 4, "huber_loss": 2, "binary_cross_entropy": 5,
             "binary_cross_entropy_with_logits": 5}
    pos = names.get(func.__name__)
    if pos is None or len(args) > pos or kwargs.get("size_average") is not None or kwargs.get("reduce") is not None \
            or size == 0:
        return fallback(func, level, size, args, kwargs)
    reduction = kwargs.get("reduction", "mean")
    if reduction not in ("none", "mean", "sum"):
        return fallback(func, level, size, args, kwargs)
    if isinstance(target, Tensor) and tuple(target._data.shape) != tuple(x._data.shape):
        return fallback(func, level, size, args, kwargs)  # (PyTorch warns about the broadcast)
    if any(at(v, level) for k, v in kwargs.items() if k not in ("input", "target")):
        return fallback(func, level, size, args, kwargs)  # (a batched weight)
    # input and target have one logical shape: both physical, (B, *shape), as the loss checks it
    phys = [physical(a, level, size, True) if isinstance(a, Tensor) else a for a in args[:2]]
    loss = func(*phys, *args[2:], **dict(kwargs, reduction="none"))
    return _reduce_per_sample(loss, reduction, level)


def _batch_norm(func, level, size, args, kwargs):
    x = args[0]
    rm, rv = _arg(args, kwargs, 1, "running_mean"), _arg(args, kwargs, 2, "running_var")
    training = _arg(args, kwargs, 5, "training", False)
    if training and rm is not None and at(x, level) and not (at(rm, level) and at(rv, level)):
        raise RuntimeError(_BN_NOT_BATCHED_MSG)
    return fallback(func, level, size, args, kwargs)


register("matmul", _product(None))
register("__rmatmul__", _product(None), (METHOD,))
register("mm", _product((2, 2)))
register("bmm", _product((3, 3)))
register("mv", _product((2, 1)))
register("dot inner", _product((1, 1)))
register("outer ger", _outer)
register("addmm baddbmm addmv", _addmm)
register("einsum", _einsum, (TORCH,))
register("linear", _linear, (FUNCTIONAL,))
register("layer_norm rms_norm", _trailing, (FUNCTIONAL,))
register("tril triu inverse det logdet matrix_exp", _trailing)
register("embedding", _embedding, (FUNCTIONAL,))
for _n in (1, 2, 3):
    register(f"conv{_n}d max_pool{_n}d avg_pool{_n}d adaptive_avg_pool{_n}d adaptive_max_pool{_n}d", _folded(_n),
             (FUNCTIONAL,))
register("cross_entropy nll_loss", _class_loss(1), (FUNCTIONAL,))
register("mse_loss l1_loss smooth_l1_loss huber_loss binary_cross_entropy binary_cross_entropy_with_logits",
         _pointwise_loss, (FUNCTIONAL,))
register("batch_norm", _batch_norm, (FUNCTIONAL,))
