"""Nested-tensor handlers of shape ops: ``view``/``reshape`` (and ``view_as``), ``transpose``,
``unsqueeze``/``squeeze``, ``flatten``/``unflatten``, ``permute``, ``chunk``/``split``, ``cat``."""
from __future__ import annotations

from ..memory_layout import jagged, strided
from ..tensor import Size, Tensor
from .nested_tensor import (NO_SIZES, NestedTensor, components, from_components, like, like_jagged, nested_dim,
                            nested_shape)
from .handlers import (_DIM0, _arg, _layout, _long_tensor_text, _no_kernel, _norm_dim, _refuse, _register,
                       _require_contiguous_jagged, _size_text)


@_register("view_as", "reshape_as")
def _view_as(func, short, args, kwargs):
    nt, other = args[0], _arg(args, kwargs, 1, "other")
    if _layout(nt) is strided:
        if short == "view_as":
            raise RuntimeError(NO_SIZES)
        if isinstance(other, NestedTensor) and _layout(other) is strided \
                and len(other.__dict__["_sizes"]) == len(nt.__dict__["_sizes"]):
            return from_components([c.reshape(sz) for c, sz in zip(components(nt), other.__dict__["_sizes"])],
                                   strided)
        raise _refuse(f"torch.Tensor.{short} of a dense tensor's shape")
    shape = list(nested_shape(other)) if isinstance(other, NestedTensor) else list(other._data.shape)
    return _view(func, short[:-3], (nt, shape), {})


@_register("transpose", "swapaxes", "swapdims")
def _transpose(func, short, args, kwargs):
    nt = args[0]
    ndim = nested_dim(nt)
    d0 = _norm_dim(_arg(args, kwargs, 1, "dim0"), ndim)
    d1 = _norm_dim(_arg(args, kwargs, 2, "dim1"), ndim)
    if _layout(nt) is strided:
        if d0 == 0 or d1 == 0:
            raise RuntimeError("Nested tensor dimension 0 cannot be transposed")
        out = from_components([c.transpose(d0 - 1, d1 - 1) for c in components(nt)], strided)
        # PyTorch's result is a non-contiguous view; this one is a copy, flagged so that what
        # refuses a non-contiguous nested tensor there (linear, to_padded_tensor) refuses it here
        out.__dict__["_noncontig"] = d0 != d1
        return out
    if d0 == 0 or d1 == 0:
        raise ValueError("Transpose is not supported on the batch dimension for jagged NT")
    r = nt.__dict__["_ragged_idx"]
    new_r = d1 if r == d0 else d0 if r == d1 else r
    return like_jagged(Tensor.transpose(nt, d0 - 1, d1 - 1), nt, ragged_idx=new_r)


def _shape_args(args, kwargs):
    shape = args[1:] if len(args) > 1 else kwargs.get("shape", kwargs.get("size", ()))
    if len(shape) == 1 and isinstance(shape[0], (tuple, list, Size)):
        shape = shape[0]
    return list(shape)


@_register("view", "reshape")
def _view(func, short, args, kwargs):
    nt = args[0]
    shape = _shape_args(args, kwargs)
    B = len(nt.__dict__["_sizes"])
    if _layout(nt) is strided:
        if not shape or shape[0] != B:
            raise RuntimeError(f"{short}: For now nested {short} cannot change or infer the implicit batch dimension")
        outs = []
        for c in components(nt):
            target = [c.shape[k] if (s == -1 and k < c.dim()) else s for k, s in enumerate(shape[1:])]
            try:
                outs.append(getattr(c, short)(target))
            except RuntimeError:
                raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {c.numel()}") from None
        return from_components(outs, strided)
    d = nt.__dict__
    r = d["_ragged_idx"]
    from .nested_tensor import NestedInt
    ok = (len(shape) > r and shape[0] == B and (shape[r] == -1 or shape[r] == d["_jint"])
          and all(isinstance(s, int) for i, s in enumerate(shape) if i != r))
    if ok:
        # the values reshaped (their errors are PyTorch's too: it reshapes its values)
        target = list(shape[1:])
        target[r - 1] = nt._data.shape[r - 1]
        return like_jagged(getattr(Tensor, short)(nt, target), nt)
    shown = [repr(s) if isinstance(s, NestedInt) else s for s in shape]
    raise RuntimeError(f"view(): cannot view shape {_size_text(nt)} as [{', '.join(str(s) for s in shown)}]")


@_register("unsqueeze", "squeeze")
def _unsqueeze(func, short, args, kwargs):
    nt = args[0]
    dim = _arg(args, kwargs, 1, "dim")
    strided_nt = _layout(nt) is strided
    if dim is None:
        if strided_nt:
            raise RuntimeError("squeeze(): For nested tensors, squeeze without the dim argument is not supported at the "
                               "moment, however you can use squeeze(Tensor self, int dim) instead if you need this "
                               "feature, please open an issue on github describing your use case.")
        raise NotImplementedError("aten.squeeze.default")
    if isinstance(dim, (tuple, list)):
        raise _refuse(f"torch.{short} with several dims")
    ndim = nested_dim(nt) + (1 if short == "unsqueeze" else 0)
    d = _norm_dim(dim, ndim)
    if d == 0:
        if strided_nt:
            raise RuntimeError(_DIM0.format(op=short, ing="unsqueezing" if short == "unsqueeze" else "squeezing"))
        raise RuntimeError(f"{short}(): not supported for NestedTensor on dim=0")
    if strided_nt:
        return from_components([getattr(c, short)(d - 1) for c in components(nt)], strided)
    if short == "squeeze":
        _require_contiguous_jagged(nt, "squeeze_dim(self: jt, dim: any)")
    r = nt.__dict__["_ragged_idx"]
    if short == "squeeze" and d == r:
        raise RuntimeError("squeeze(): not supported for NestedTensor on ragged dim")
    out = getattr(Tensor, short)(nt, d - 1)
    if short == "unsqueeze":
        new_r = r + 1 if d <= r else r
    else:
        new_r = r - 1 if d < r and out._data.ndim < nt._data.ndim else r
    return like_jagged(out, nt, ragged_idx=new_r)


@_register("flatten")
def _flatten(func, short, args, kwargs):
    nt = args[0]
    if _layout(nt) is strided:
        raise RuntimeError(NO_SIZES)
    ndim = nested_dim(nt)
    start = _norm_dim(_arg(args, kwargs, 1, "start_dim", 0), ndim)
    end = _norm_dim(_arg(args, kwargs, 2, "end_dim", -1), ndim)
    r = nt.__dict__["_ragged_idx"]
    if start == 0:
        raise RuntimeError("flatten(): not supported for NestedTensor on dim=0")
    if start <= r <= end and start != end:
        raise RuntimeError("flatten(): not supported for NestedTensor on ragged dim")
    out = Tensor.flatten(nt, start - 1, end - 1)
    return like_jagged(out, nt, ragged_idx=r if r < start else r - (end - start))


@_register("unflatten")
def _unflatten(func, short, args, kwargs):
    return unflatten(args[0], _arg(args, kwargs, 1, "dim"), _arg(args, kwargs, 2, "sizes"))


def unflatten(nt, dim, sizes):
    """``Tensor.unflatten`` (which PyTorch's transformer tutorial uses to split heads): a dim that
    is neither the batch nor the ragged one, unflattened on the values."""
    if _layout(nt) is strided:
        raise RuntimeError(NO_SIZES)
    ndim = nested_dim(nt)
    d = _norm_dim(dim, ndim)
    r = nt.__dict__["_ragged_idx"]
    shape = list(nested_shape(nt))
    if d == r:
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {d} "
                           f"({shape[d]!r}) in the input tensor")
    if d == 0:  # PyTorch's unflatten is a view, refused by the jagged view
        shown = shape[:d] + list(sizes) + shape[d + 1:]
        raise RuntimeError(f"view(): cannot view shape {_size_text(nt)} as [{', '.join(repr(x) for x in shown)}]")
    out = Tensor.unflatten(nt, d - 1, sizes)
    return like_jagged(out, nt, ragged_idx=r if r < d else r + len(sizes) - 1)


@_register("permute")
def _permute(func, short, args, kwargs):
    nt = args[0]
    dims = _shape_args(args, kwargs) if "dims" not in kwargs else list(kwargs["dims"])
    if _layout(nt) is strided:
        raise _no_kernel("permute")
    ndim = nested_dim(nt)
    dims = [_norm_dim(d, ndim) for d in dims]
    if len(dims) != ndim or sorted(dims) != list(range(ndim)):
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match the length "
                           f"of the desired ordering of dimensions i.e. input.dim() = {ndim} is not equal to "
                           f"len(dims) = {len(dims)}")
    if dims[0] != 0:
        raise ValueError("Permute is not supported on the batch dimension for jagged NT")
    r = nt.__dict__["_ragged_idx"]
    out = Tensor.permute(nt, [d - 1 for d in dims[1:]])
    return like_jagged(out, nt, ragged_idx=dims.index(r))


@_register("chunk", "split", "split_with_sizes")
def _chunk(func, short, args, kwargs):
    nt = args[0]
    how = _arg(args, kwargs, 1, "chunks" if short == "chunk" else "split_size_or_sections")
    if short == "split_with_sizes":
        how = _arg(args, kwargs, 1, "split_sizes")
    dim = _arg(args, kwargs, 2, "dim", 0)
    ndim = nested_dim(nt)
    d = _norm_dim(dim, ndim)
    op = getattr(Tensor, short)
    if _layout(nt) is strided:
        if short == "split" and isinstance(how, int):
            raise _no_kernel("split.Tensor")
        if short == "chunk" and d != ndim - 1:
            raise RuntimeError("Chunk for nested tensors is currently only supported for the last dimension.")
        lasts = [sz[-1] for sz in nt.__dict__["_sizes"] if sz]
        if short == "chunk" and len(set(lasts)) > 1:
            raise RuntimeError("Expected all tensors in nested tensor to have the same trailing dimension, instead "
                               "last dimension equals: " + _long_tensor_text(lasts))
        if d == 0:
            raise _refuse(f"torch.{short} on dim 0 of a strided nested tensor")
        pieces = [op(c, how, d - 1) for c in components(nt)]
        if len({len(p) for p in pieces}) != 1:
            raise _refuse(f"torch.{short} giving different numbers of pieces per component")
        return tuple(from_components([p[i] for p in pieces], strided) for i in range(len(pieces[0])))
    schema = {"chunk": "chunk_default(self: jt, chunks: any, dim: any?)",
              "split": ("split_with_sizes_default(self: jt, split_sizes: any, dim: any?)"
                        if isinstance(how, (list, tuple)) else "split_tensor(self: jt, split_size: any, dim: any?)"),
              "split_with_sizes": "split_with_sizes_default(self: jt, split_sizes: any, dim: any?)"}[short]
    _require_contiguous_jagged(nt, schema)
    r = nt.__dict__["_ragged_idx"]
    if d == 0:
        if short != "chunk":
            raise RuntimeError(f"{short}(): not supported for NestedTensor on dim=0")
        comps = components(nt)
        size = -(-len(comps) // how)
        return tuple(from_components(comps[i:i + size], jagged) for i in range(0, len(comps), size))
    if d == r:
        raise RuntimeError(f"{short}(): not supported for NestedTensor on ragged dim")
    return tuple(like(p, nt) for p in op(nt, how, d - 1))


@_register("cat", "concat", "concatenate")
def _cat(func, short, args, kwargs):
    tensors = list(_arg(args, kwargs, 0, "tensors"))
    dim = _arg(args, kwargs, 1, "dim", 0)
    first = next(t for t in tensors if isinstance(t, NestedTensor))
    if not all(isinstance(t, NestedTensor) and _layout(t) is _layout(first) for t in tensors):
        raise _refuse("torch.cat of nested and dense tensors")
    d = _norm_dim(dim, nested_dim(first))
    from .. import cat
    if _layout(first) is strided:
        if d == 0:
            return from_components([c for t in tensors for c in components(t)], strided)
        groups = [components(t) for t in tensors]
        if len({len(g) for g in groups}) != 1:
            raise _refuse("torch.cat of nested tensors with different numbers of components")
        return from_components([cat(list(cs), d - 1) for cs in zip(*groups)], strided)
    if d == 0:
        raise RuntimeError("cat(): not supported for NestedTensor on dim=0")
    r = first.__dict__["_ragged_idx"]
    if d == r or any(t.__dict__["_off"] != first.__dict__["_off"] or t.__dict__["_ragged_idx"] != r
                     or t.__dict__["_lengths"] is not None for t in tensors):
        raise _refuse("torch.cat of jagged tensors along the ragged dim or with different offsets")
    return like(cat(tensors, d - 1), first)
