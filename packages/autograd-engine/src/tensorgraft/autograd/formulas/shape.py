"""Gradients of ``tensorgraft/ops/shape.py``: views map the gradient back through the inverse
reshaping; ``expand`` needs nothing (the engine sums broadcast gradients to the input shape).
All formulas use tensorgraft ops, so they are differentiable again."""
from __future__ import annotations

import numpy as np

from tensorgraft.grad_mode import state as _gs
from tensorgraft.tensor import wrap

from ..saved_properties import NOT_SAVED, FromNode, as_int64_shown, from_attr
from . import batched_of, formula
from .indexing import VIEW_STEP_SAVED


@formula("view", "reshape", "squeeze", saves=())
def reshape_back(node, g):
    return (g.reshape(node.attrs["shape"]),)


# (the input's shape is shown as ``_saved_self_sym_sizes``; PyTorch's nodes keep nothing else)
reshape_back.saved_hidden = ("shape",)


def _swapped(i):
    """TransposeBackward0's ``_saved_dim0``/``_saved_dim1``: the two dims its permutation swaps."""
    def get(node):
        if type(node).__name__ != "TransposeBackward0":
            return NOT_SAVED
        swapped = [k for k, d in enumerate(node.attrs["dims"]) if d != k] or [0, 0]
        return swapped[i]
    return FromNode(get)


def _inverse_permutation(dims):
    inv = [0] * len(dims)
    for i, d in enumerate(dims):
        inv[d] = i
    return inv


@formula("transpose", "swapaxes", "swapdims", "t", "permute", saves=())
def permute_back(node, g):
    dims = node.attrs["dims"]
    if not dims:
        return (g,)
    inv = _inverse_permutation(dims)
    if not _gs.enabled:  # a first-order backward: the array's transpose, without an op's checks
        return (wrap(g._data.transpose(inv), g._device),)
    # under create_graph the gradient's own node is named as PyTorch's: t's backward is a t,
    # transpose's (swapaxes', mT's) a transpose, permute's (and .T's) a permute
    kind = type(node).__name__
    if kind == "TBackward0":
        return (g.t(),)
    if kind == "TransposeBackward0":
        swapped = [i for i, d in enumerate(dims) if d != i] or [0, 0]
        return (g.transpose(*swapped),)
    return (g.permute(*inv),)


permute_back.saved_defaults = {"dim0": _swapped(0), "dim1": _swapped(1)}


@formula("unsqueeze", saves=())
def unsqueeze(node, g):
    return (g.squeeze(node.attrs["dim"]),)


@formula("expand", "contiguous", "clone", saves=(), batched=True)
def identity(node, g):
    return (g,)


@formula("repeat", saves=())
def repeat(node, g):
    reps = node.attrs["reps"]
    shape = node.attrs["shape"]
    padded = (1,) * (len(reps) - len(shape)) + tuple(shape)
    split = []
    for r, s in zip(reps, padded):
        split.extend((r, s))
    g = g.reshape(split)
    g = g.sum(tuple(range(0, 2 * len(reps), 2)))
    return (g.reshape(shape),)


repeat.saved_defaults = {"repeats": from_attr("reps")}


@formula("cat", "concat", "concatenate", saves=())
def cat(node, g):
    d = node.attrs["dim"]
    out = []
    start = 0
    for need, size in zip(node.needs_input_grad, node.attrs["sizes"]):
        if size is None:  # a skipped legacy empty tensor
            out.append(None)
            continue
        out.append(g.narrow(d, start, size) if need else None)
        start += size
    return tuple(out)


@formula("stack", saves=())
def stack(node, g):
    d = node.attrs["dim"]
    return tuple(g.select(d, i) if need else None for i, need in enumerate(node.needs_input_grad))


# each tensor is an input, none shown (CatBackward0 and StackBackward0 show their dim only)
cat.input_names = stack.input_names = ()


@formula("_slice", saves=())
def slice_back(node, g):
    from .indexing import placed_back
    return (placed_back(node, g, node.attrs["shape"], (node.attrs["index"], None)),)


slice_back.saved_defaults = VIEW_STEP_SAVED


@formula("_pieces", saves=(), multi_output=True)
def pieces(node, grads):
    """unbind/split/chunk: the input's gradient is the pieces' gradients joined back along the
    split dim (zeros for pieces that got none), built in one allocation by stack/cat."""
    import tensorgraft as tg
    dim, sizes = node.attrs["dim"], node.attrs["sizes"]
    shape = node.in_meta[0][0]
    given = next(g for g in grads if g is not None)
    if sizes is None:  # unbind: each piece lost the dim
        piece = shape[:dim] + shape[dim + 1:]
        return (tg.stack([given.new_zeros(piece) if g is None else g for g in grads], dim),)
    parts = [given.new_zeros(shape[:dim] + (s,) + shape[dim + 1:]) if g is None else g for g, s in zip(grads, sizes)]
    return (parts[0] if len(parts) == 1 else tg.cat(parts, dim),)


# SplitBackward0 shows the size it split by (the first piece's), SplitWithSizesBackward0 the sizes
pieces.saved_hidden = ("sizes",)
pieces.saved_defaults = {
    "split_size": from_attr("sizes", ("SplitBackward0",), lambda sizes: sizes[0]),
    "split_sizes": from_attr("sizes", ("SplitWithSizesBackward0",), tuple)}


@formula("flip", saves=())
def flip(node, g):
    dims = node.attrs["dims"]
    return (g.flip(dims) if dims else g,)


@formula("roll", saves=())
def roll(node, g):
    shifts = tuple(-s for s in node.attrs["shifts"])
    dims = node.attrs["dims"]
    return (g.roll(shifts, dims) if dims is not None else g.roll(shifts[0]),)


roll.saved_defaults = {"shifts": from_attr("shifts", None, as_int64_shown),
                       "dims": FromNode(lambda node: as_int64_shown(tuple(node.attrs["dims"] or ())))}


@formula("diagonal", saves=())
def diagonal(node, g):
    from tensorgraft.ops.shape import diagonal_backward
    a = node.attrs
    return (diagonal_backward(g, a["shape"], a["offset"], a["dim1"], a["dim2"]),)


@formula("_diagonal_backward", "diag_embed", saves=())
def diagonal_of_grad(node, g):
    a = node.attrs
    return (g.diagonal(a["offset"], a["dim1"], a["dim2"]),)


@formula("tril", saves=())
def tril(node, g):
    return (g.tril(node.attrs["diagonal"]),)


@formula("triu", saves=())
def triu(node, g):
    return (g.triu(node.attrs["diagonal"]),)


@formula("as_strided", saves=())
def as_strided(node, g):
    """Scatter-add each output element into its storage slot, then read the input's slots back.
    The slot numbers come from the sizes and strides alone (host integers); the values stay on
    g's device, and the ops are differentiable, so a double backward through a view written in
    place (CopySlices, then AsStridedBackward0) has a graph."""
    import tensorgraft as tg
    a = node.attrs
    shape = node.in_meta[0][0]

    def slots(size, stride, offset):
        idx = np.full(tuple(size), offset, dtype=np.int64)
        for k, (s, st) in enumerate(zip(size, stride)):
            sh = [1] * len(size)
            sh[k] = s
            idx = idx + (np.arange(s) * st).reshape(sh)
        return idx

    out_slots = slots(a["size"], a["stride"], a["offset"])
    in_slots = slots(shape, a["in_stride"], a["in_offset"])
    n = int(max(out_slots.max(initial=0), in_slots.max(initial=0))) + 1
    # the slots are valid by construction: the internal scatter-add skips index_add's range check,
    # which would read two values back from a device
    from tensorgraft.ops.indexing import index_backward
    out_idx = tg.as_tensor(out_slots.reshape(-1), device=g.device)._data
    buf = index_backward(g.reshape(-1), (n,), (None, (out_idx,)))
    return (buf[tg.as_tensor(in_slots, device=g.device)],)


@formula("rot90", saves=())
def rot90(node, g):
    return (g.rot90(-node.attrs["k"], node.attrs["dims"]),)


# --------------------------------------------------------------------------- batched forms
# The same gradients over a leading batch dim (``autograd/batched_backward.py``): each dim the
# formula names moves one place right; a negative dim counts from the end and stays.
def _shifted(d):
    return d + 1 if d >= 0 else d


@batched_of(reshape_back)
def _reshape_back_batched(node, g):
    return (g.reshape((g.shape[0], *node.in_meta[0][0])),)


@batched_of(permute_back)
def _permute_back_batched(node, g):
    dims = node.attrs["dims"]
    if not dims:
        return (g,)
    return (g.permute(0, *(i + 1 for i in _inverse_permutation(dims))),)


@batched_of(unsqueeze)
def _unsqueeze_batched(node, g):
    return (g.squeeze(_shifted(node.attrs["dim"])),)


@batched_of(cat)
def _cat_batched(node, g):
    d = _shifted(node.attrs["dim"])
    out = []
    start = 0
    for need, size in zip(node.needs_input_grad, node.attrs["sizes"]):
        if size is None:
            out.append(None)
            continue
        out.append(g.narrow(d, start, size) if need else None)
        start += size
    return tuple(out)


@batched_of(stack)
def _stack_batched(node, g):
    d = _shifted(node.attrs["dim"])
    return tuple(g.select(d, i) if need else None for i, need in enumerate(node.needs_input_grad))


@batched_of(slice_back)
def _slice_back_batched(node, g):
    from .indexing import placed_back
    index = node.attrs["index"]
    index = (slice(None), *(index if isinstance(index, tuple) else (index,)))
    return (placed_back(node, g, (g.shape[0], *node.attrs["shape"]), (index, None)),)


@batched_of(pieces)
def _pieces_batched(node, grads):
    import tensorgraft as tg
    dim, sizes = node.attrs["dim"], node.attrs["sizes"]
    shape = node.in_meta[0][0]
    given = next(g for g in grads if g is not None)
    n = given.shape[0]
    if sizes is None:
        piece = (n, *shape[:dim], *shape[dim + 1:])
        return (tg.stack([given.new_zeros(piece) if g is None else g for g in grads], dim + 1),)
    parts = [given.new_zeros((n, *shape[:dim], s, *shape[dim + 1:])) if g is None else g
             for g, s in zip(grads, sizes)]
    return (parts[0] if len(parts) == 1 else tg.cat(parts, dim + 1),)
