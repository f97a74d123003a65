"""Ops that take dims (reductions, softmax, cumsum, sort, select, split...): each dim is
normalized against the *logical* rank and shifted by one past the batch dim. ``dim=None`` on a
reduction means every logical dim: the samples are flattened and reduced over dim 1 (argmax and
argmin then index the flattened sample, as they should). Logical 0-d inputs, dims given as bools
and other corner cases go to the per-sample fallback."""
from __future__ import annotations

from tensorgraft.tensor import Tensor

from ._batched import BatchedTensor
from ._common import FUNCTIONAL, METHOD, at, normalize_dim, register, wrap
from ._fallback import fallback
from ._rules_pointwise import pointwise

_REQUIRED = object()


def _shifted(v, rank):
    if v.__class__ is int:
        return normalize_dim(v, rank) + 1
    if isinstance(v, (tuple, list)) and all(d.__class__ is int for d in v):
        return type(v)(normalize_dim(d, rank) + 1 for d in v)
    return None


def _only_first_batched(args, kwargs, level):
    for a in args[1:]:
        if at(a, level) or (isinstance(a, (list, tuple)) and any(at(x, level) for x in a)):
            return False
    return not any(at(v, level) for v in kwargs.values())


def dim_rule(params, full=False, new_dims=0):
    """The rule of an op whose ``params`` ((name, position, default), ...) are dims;
    ``full``: a reduction, for which None means every dim; ``new_dims``: dims the op adds
    (unsqueeze: a dim may name the new one)."""
    def rule(func, level, size, args, kwargs):
        t = args[0] if args else None
        if not at(t, level) or not _only_first_batched(args, kwargs, level):
            return fallback(func, level, size, args, kwargs)
        rank = t._data.ndim
        if rank == 0 and not new_dims:
            return fallback(func, level, size, args, kwargs)
        args = list(args)
        kwargs = dict(kwargs)
        for name, pos, default in params:
            if name in kwargs:
                v, where = kwargs[name], "kw"
            elif pos < len(args):
                v, where = args[pos], "pos"
            else:
                v, where = default, "default"
            if v is _REQUIRED:
                return fallback(func, level, size, tuple(args), kwargs)  # (the op raises its own error)
            if v is None:
                if full:
                    return _reduce_all(func, level, size, t, args, kwargs, pos, name)
                if where == "default":
                    continue
                return fallback(func, level, size, tuple(args), kwargs)
            nv = _shifted(v, rank + new_dims)
            if nv is None:
                return fallback(func, level, size, tuple(args), kwargs)
            if where == "pos":
                args[pos] = nv
            else:
                kwargs[name] = nv
        args[0] = t._physical
        return wrap(func(*args, **kwargs), level)
    return rule


def _reduce_all(func, level, size, t, args, kwargs, pos, name):
    import tensorgraft
    keepdim = kwargs.get("keepdim", args[pos + 1] if len(args) > pos + 1 and args[pos + 1].__class__ is bool else False)
    if keepdim or size == 0:
        return fallback(func, level, size, tuple(args), kwargs)
    flat = t._physical.reshape(size, -1)
    op = func.__name__
    if op in ("max", "min"):  # (the values of max(dim): PyTorch's rule, and its node)
        return wrap((tensorgraft.max if op == "max" else tensorgraft.min)(flat, 1)[0], level)
    kwargs.pop(name, None)
    args = [flat] + list(args[1:])
    if pos < len(args):
        args[pos] = 1
    else:
        kwargs[name] = 1
    out = func(*args, **kwargs)
    if op in ("median", "nanmedian", "mode"):
        out = out[0]
    return wrap(out, level)


def _max_min(reduce):
    def rule(func, level, size, args, kwargs):
        other = args[1] if len(args) > 1 else kwargs.get("other")
        if isinstance(other, Tensor):
            return pointwise(func, level, size, args, kwargs)
        return reduce(func, level, size, args, kwargs)
    return rule


D1 = (("dim", 1, None),)
for _names in ("sum mean nansum nanmean prod amax amin all any count_nonzero logsumexp argmax argmin std var "
               "std_mean var_mean median nanmedian",):
    register(_names, dim_rule(D1, full=True))
register("max min", _max_min(dim_rule(D1, full=True)))
_norm_over_dims = dim_rule((("dim", 2, None),), full=True)


def _norm(func, level, size, args, kwargs):
    """``norm``: as the other reductions, except that a matrix norm ('nuc') over every dim must keep
    the sample's two dims apart, not flatten them into one."""
    p = args[1] if len(args) > 1 else kwargs.get("p", "fro")
    dim = args[2] if len(args) > 2 else kwargs.get("dim")
    if isinstance(p, str) and p != "fro" and dim is None and at(args[0], level):
        dims = tuple(range(args[0].dim()))  # (the sample's own dims: the rule shifts them past the batch)
        args, kwargs = list(args), dict(kwargs)
        if len(args) > 2:
            args[2] = dims
        else:
            kwargs["dim"] = dims
        args = tuple(args)
    return _norm_over_dims(func, level, size, args, kwargs)


register("norm", _norm)
register("softmax log_softmax cumsum cumprod cummax cummin logcumsumexp", dim_rule((("dim", 1, _REQUIRED),)))
register("softmax log_softmax softmin", dim_rule((("dim", 1, _REQUIRED),)), (FUNCTIONAL,))
register("sort argsort mode", dim_rule((("dim", 1, -1),)))
register("topk kthvalue", dim_rule((("dim", 2, -1),)))
register("select narrow unbind", dim_rule((("dim", 1, 0),)))
register("split chunk tensor_split", dim_rule((("dim", 2, 0),)))
_squeeze_dims = dim_rule((("dim", 1, _REQUIRED),))


def _squeeze(func, level, size, args, kwargs):
    t = args[0]
    if len(args) > 1 or "dim" in kwargs or not at(t, level):
        dim = args[1] if len(args) > 1 else kwargs.get("dim")
        if dim.__class__ is int and len(args) == 2 and not kwargs:  # (as a tuple: PyTorch's rule's node)
            args = (args[0], (dim,))
        return _squeeze_dims(func, level, size, args, kwargs)
    # every size-1 logical dim, never the batch dim (which may have size 1 too)
    dims = tuple(i + 1 for i, s in enumerate(t._data.shape) if s == 1)
    p = t._physical
    return wrap(p.squeeze(dims) if dims else p.view(tuple(p.shape)), level)


register("squeeze", _squeeze)
register("unsqueeze", dim_rule((("dim", 1, _REQUIRED),), new_dims=1))
register("transpose swapaxes swapdims", dim_rule((("dim0", 1, _REQUIRED), ("dim1", 2, _REQUIRED))))
register("diagonal", dim_rule((("dim1", 2, 0), ("dim2", 3, 1))))
register("flatten", dim_rule((("start_dim", 1, 0), ("end_dim", 2, -1))))
register("unflatten", dim_rule((("dim", 1, _REQUIRED),)))
_diff_along_dim = dim_rule((("dim", 2, -1),))


def _diff(func, level, size, args, kwargs):
    """``diff``; with ``prepend``/``append`` (which must have the input's dims, an unbatched one
    fewer than the physical input) each sample runs on its own."""
    if len(args) > 3 or kwargs.get("prepend") is not None or kwargs.get("append") is not None:
        return fallback(func, level, size, args, kwargs)
    return _diff_along_dim(func, level, size, args, kwargs)


register("diff", _diff)
register("normalize", dim_rule((("dim", 2, 1),)), (FUNCTIONAL,))
register("glu", dim_rule((("dim", 1, -1),)), (FUNCTIONAL,))
register("index_select", dim_rule((("dim", 1, _REQUIRED),)))
register("roll", dim_rule((("dims", 2, _REQUIRED),)))


def _in_place_shape(rule):
    """squeeze_ / unsqueeze_ / transpose_ ...: the physical tensor changes shape in place (the
    rule calls the in-place method on it); the BatchedTensor then shows the new logical shape."""
    def in_place(func, level, size, args, kwargs):
        self = args[0]
        if not at(self, level):
            return fallback(func, level, size, args, kwargs)
        fresh = rule(func, level, size, args, kwargs)
        if fresh.__class__ is BatchedTensor and fresh._physical is self._physical:
            self._data = fresh._data
            return self
        return fresh
    return in_place


register("squeeze_", _in_place_shape(_squeeze), (METHOD,))
register("unsqueeze_", _in_place_shape(dim_rule((("dim", 1, _REQUIRED),), new_dims=1)), (METHOD,))
register("transpose_ swapaxes_ swapdims_", _in_place_shape(dim_rule((("dim0", 1, _REQUIRED),
                                                                      ("dim1", 2, _REQUIRED)))), (METHOD,))
