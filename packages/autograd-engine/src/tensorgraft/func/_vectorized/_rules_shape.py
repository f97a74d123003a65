"""Shape and view ops on the physical tensor (batch dim kept in front), and indexing: basic
indexing prepends ``slice(None)``; advanced indexing by batched index tensors, and advanced
indices that PyTorch would move to the front of the result, use the per-sample fallback."""
from __future__ import annotations

from tensorgraft.tensor import Size, Tensor

from .._vmap_guards import _BOOL_MASK_MSG
from ._common import METHOD, TORCH, aligned, at, normalize_dim, physical, register, wrap
from ._fallback import fallback, refuse_inplace_into_unbatched
from ._rules_dims import _REQUIRED, dim_rule


def _sizes(args, kwargs, *names):
    """The sizes of ``view(*sizes)`` / ``view(sizes)`` / ``reshape(input, shape)`` (None: not sizes)."""
    rest = args[1:]
    for n in names:
        if n in kwargs:
            rest = (kwargs[n],)
    if len(rest) == 1 and isinstance(rest[0], (tuple, list, Size)):
        rest = tuple(rest[0])
    if not all(hasattr(type(s), "__index__") and not isinstance(s, Tensor) for s in rest):
        return None
    return tuple(int(s) for s in rest)


def _only_self(args, kwargs, level):
    return not any(at(a, level) for a in args[1:]) and not any(at(v, level) for v in kwargs.values())


def _view(func, level, size, args, kwargs):
    t = args[0]
    sizes = _sizes(args, kwargs, "size", "shape")
    if not at(t, level) or sizes is None or size == 0:
        return fallback(func, level, size, args, kwargs)
    p = t._physical
    new = (size,) + sizes
    if func.__name__ == "view":
        try:
            return wrap(p.view(new), level)
        except RuntimeError:
            pass  # each sample is viewable, the batch as a whole is not: a copy, as PyTorch's rule makes
    return wrap(p.reshape(new), level)


def _view_as(func, level, size, args, kwargs):
    t, other = args[0], args[1] if len(args) > 1 else kwargs["other"]
    if not at(t, level) or size == 0:
        return fallback(func, level, size, args, kwargs)
    shape = (size,) + tuple(other._data.shape)
    p = t._physical
    if func.__name__ == "view_as":
        try:
            return wrap(p.view(shape), level)
        except RuntimeError:
            pass
    return wrap(p.reshape(shape), level)


def _expand(func, level, size, args, kwargs):
    t = args[0]
    if func.__name__ == "expand_as":
        other = args[1] if len(args) > 1 else kwargs["other"]
        sizes = tuple(other._data.shape)
    else:
        sizes = _sizes(args, {k: v for k, v in kwargs.items() if k != "implicit"}, "size", "shape")
    if not at(t, level) or sizes is None or len(sizes) < t._data.ndim:
        return fallback(func, level, size, args, kwargs)
    return wrap(aligned(t, level, len(sizes)).expand((size,) + sizes), level)


def _permute(func, level, size, args, kwargs):
    t = args[0]
    dims = _sizes(args, kwargs, "dims")
    if not at(t, level) or dims is None:
        return fallback(func, level, size, args, kwargs)
    r = t._data.ndim
    return wrap(t._physical.permute((0,) + tuple(normalize_dim(d, r) + 1 for d in dims)), level)


def _flip(func, level, size, args, kwargs):
    t = args[0]
    dims = _sizes(args, kwargs, "dims")
    if not at(t, level) or dims is None:
        return fallback(func, level, size, args, kwargs)
    r = t._data.ndim
    return wrap(t._physical.flip(tuple(normalize_dim(d, r) + 1 for d in dims)), level)


def _repeat(func, level, size, args, kwargs):
    t = args[0]
    sizes = _sizes(args, kwargs, "repeats")
    if not at(t, level) or sizes is None or len(sizes) < t._data.ndim:
        return fallback(func, level, size, args, kwargs)
    return wrap(aligned(t, level, len(sizes)).repeat((1,) + sizes), level)


def _t(func, level, size, args, kwargs):
    t = args[0]
    if not at(t, level):
        return fallback(func, level, size, args, kwargs)
    p = t._physical
    if t._data.ndim < 2:
        return fallback(func, level, size, args, kwargs)
    return wrap(p.transpose(1, 2), level)


def _T(func, level, size, args, kwargs):
    t = args[0]
    if not at(t, level):
        return fallback(func, level, size, args, kwargs)
    r = t._data.ndim
    return wrap(t._physical.permute((0,) + tuple(range(r, 0, -1))), level)


def _mT(func, level, size, args, kwargs):
    t = args[0]
    if not at(t, level) or t._data.ndim < 2:
        return fallback(func, level, size, args, kwargs)
    return wrap(t._physical.transpose(-2, -1), level)


def _joining(new_dim):
    def rule(func, level, size, args, kwargs):
        import tensorgraft
        tensors = args[0] if args else kwargs.get("tensors")
        dim = args[1] if len(args) > 1 else kwargs.get("dim", 0)
        if not isinstance(tensors, (list, tuple)) or not tensors or dim.__class__ is not int or "out" in kwargs:
            return fallback(func, level, size, args, kwargs)
        first = next((x for x in tensors if at(x, level)), None)
        if first is None:
            return fallback(func, level, size, args, kwargs)
        rank = first._data.ndim + new_dim
        if rank == 0:
            return fallback(func, level, size, args, kwargs)
        phys = [physical(x, level, size, expand=True) for x in tensors]
        d = normalize_dim(dim, rank) + 1
        return wrap((tensorgraft.stack if new_dim else tensorgraft.cat)(phys, d), level)
    return rule


def _gather(func, level, size, args, kwargs):
    t = args[0]
    dim = args[1] if len(args) > 1 else kwargs.get("dim")
    index = args[2] if len(args) > 2 else kwargs.get("index")
    if dim.__class__ is not int or not isinstance(index, Tensor) or t._data.ndim == 0:
        return fallback(func, level, size, args, kwargs)
    import tensorgraft
    extra = {k: v for k, v in kwargs.items() if k not in ("dim", "index")}
    return wrap(tensorgraft.gather(physical(t, level, size, True), normalize_dim(dim, t._data.ndim) + 1,
                                   physical(index, level, size, True), **extra), level)


# --------------------------------------------------------------------------- indexing
def _advanced(i) -> bool:
    return isinstance(i, (Tensor, list)) or (hasattr(i, "__array__") and not isinstance(i, (int, float, bool)))


def _batched_index(index, level):
    """The physical index (``slice(None)`` in front), or None when the fallback must index."""
    items = index if isinstance(index, tuple) else (index,)
    positions = []
    for k, i in enumerate(items):
        if at(i, level):
            if i._data.dtype.kind == "b":
                raise RuntimeError(_BOOL_MASK_MSG)
            return None
        if _advanced(i):
            positions.append(k)
    if positions and positions[-1] - positions[0] != len(positions) - 1:
        return None  # separated advanced indices: PyTorch moves their dims to the front
    return (slice(None),) + items


def _getitem(func, level, size, args, kwargs):
    t, index = args[0], args[1]
    if not at(t, level):
        _batched_index(index, level)  # (a batched boolean mask is refused whatever is indexed)
        return fallback(func, level, size, args, kwargs)
    idx = _batched_index(index, level)
    if idx is None:
        return fallback(func, level, size, args, kwargs)
    return wrap(t._physical[idx], level)


def _setitem(func, level, size, args, kwargs):
    t, index, value = args[0], args[1], args[2]
    if not at(t, level):
        refuse_inplace_into_unbatched("__setitem__", t, args[1:], kwargs, level)
    idx = _batched_index(index, level)
    if idx is None:
        return fallback(func, level, size, args, kwargs)
    if at(value, level):
        region_rank = t[index]._data.ndim  # (the logical region the value is written to)
        value = aligned(value, level, region_rank)
    t._physical[idx] = value
    return None


def _as_strided(func, level, size, args, kwargs):
    """``as_strided(input, size, stride, storage_offset)`` of a sample: as PyTorch's batching rule,
    the offset counts from the sample's own place in memory (None: the sample's start), so each
    sample gets its own window; one physical call with the batch dim's stride in front."""
    given = dict(zip(("input", "size", "stride", "storage_offset"), args), **kwargs)
    t = given["input"]
    sizes, strides = given.get("size"), given.get("stride")
    if not at(t, level) or sizes is None or strides is None or not _only_self(args, kwargs, level):
        return fallback(func, level, size, args, kwargs)
    p = t._physical
    offset = p.storage_offset() + (given.get("storage_offset") or 0)
    return wrap(func(p, (size, *sizes), (p.stride(0), *strides), offset), level)


register("as_strided as_strided_copy", _as_strided)
register("view reshape", _view)
register("view_as reshape_as", _view_as, (METHOD,))
register("expand expand_as broadcast_to", _expand)
register("permute", _permute)
register("flip", _flip)
register("repeat", _repeat, (METHOD,))
register("t", _t)
register("T.__get__", _T, (METHOD,))
register("mT.__get__", _mT, (METHOD,))
register("cat concat concatenate", _joining(0), (TORCH,))
register("stack", _joining(1), (TORCH,))
register("gather", _gather)
register("movedim moveaxis", dim_rule((("source", 1, _REQUIRED), ("destination", 2, _REQUIRED))))
register("__getitem__", _getitem, (METHOD,))
register("__setitem__", _setitem, (METHOD,))
