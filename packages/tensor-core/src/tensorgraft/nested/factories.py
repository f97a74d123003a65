"""The public constructors of ``tensorgraft.nested`` and the conversions back to dense tensors.

Each follows the Python of PyTorch's ``torch/nested/__init__.py`` (and, for the jagged layout,
``torch/nested/_internal/nested_tensor.py``) step by step, so that the checks come in PyTorch's
order with PyTorch's messages. What PyTorch does in C++ for the strided layout (its
``_nested_tensor_from_tensor_list``, ``to_padded_tensor``) is written here with the ordinary ops
(``cat``, ``stack``, ``narrow``), which is what makes gradients flow through them.
"""
from __future__ import annotations

import warnings
from tensorgraft.argument_errors import c_type_name

from .. import _C
from ..memory_layout import jagged, strided
from ..tensor import Tensor
from .nested_tensor import (NestedTensor, components, from_components, make_jagged, make_strided, offsets_of)

__all__ = ["nested_tensor", "as_nested_tensor", "nested_tensor_from_jagged", "narrow", "to_padded_tensor",
           "masked_select"]

_PROTOTYPE_WARNED = [False]
_PROTOTYPE = ("The PyTorch API of nested tensors is in prototype stage and will change in the near future. We "
              "recommend specifying layout=torch.jagged when constructing a nested tensor, as this layout receives "
              "active development, has better operator coverage, and works with torch.compile.")


def _warn_prototype() -> None:
    # PyTorch's TORCH_WARN_ONCE in NestedTensorImpl: once per process, at the first strided one
    if not _PROTOTYPE_WARNED[0]:
        _PROTOTYPE_WARNED[0] = True
        warnings.warn(_PROTOTYPE, UserWarning, stacklevel=3)


def _unsupported_layout(layout):
    return RuntimeError(f"Specified layout is unsupported for nested tensors: {layout}")


def _as_tensor(x):
    from .. import as_tensor
    return x if isinstance(x, Tensor) else as_tensor(x)


# --------------------------------------------------------------------------- strided layout
def _check_same_dim(ts) -> None:
    for i, t in enumerate(ts):
        if t.dim() != ts[0].dim():
            raise RuntimeError(f"All Tensors given to nested_tensor must have the same dimension. Found dimension "
                               f"{t.dim()} for Tensor at index {i} and dimension {ts[0].dim()} for Tensor at index 0.")


def _strided_from_list(ts, dtype, device):
    """PyTorch's ``_nested_tensor_from_tensor_list``: every component converted to the dtype (the
    first one's unless given) and packed into one flat buffer (a copy, which autograd sees as
    ``cat``)."""
    from .. import cat, empty
    _check_same_dim(ts)
    if not ts:
        flat = empty(0, dtype=dtype, device=device)
        return make_strided(flat, [])
    dtype = dtype if dtype is not None else ts[0].dtype
    device = device if device is not None else ts[0].device
    flat = cat([t.to(device=device, dtype=dtype).reshape(-1) for t in ts])
    return make_strided(flat, [tuple(t.shape) for t in ts])


# --------------------------------------------------------------------------- jagged layout
def _jagged_from_list(ts, dtype=None, device=None):
    """PyTorch's ``jagged_from_list``: one ragged dim (found among the components' dims), the
    components concatenated along it."""
    from .. import cat
    if len(ts) == 0:
        raise RuntimeError("Cannot construct a nested tensor from an empty tensor list")
    if len({t.dtype for t in ts}) != 1:
        raise RuntimeError("When constructing a nested tensor, all tensors in list must have the same dtype")
    if len({str(t.device) for t in ts}) != 1:
        raise RuntimeError("When constructing a nested tensor, all tensors in list must be on the same device")
    if len({t.dim() for t in ts}) != 1:
        raise RuntimeError("When constructing a nested tensor, all tensors in list must have the same dim")
    component_dim = ts[0].dim()
    if component_dim == 0:
        raise RuntimeError("Cannot construct a nested tensor from a list of zero-dim tensors")
    sizes = [tuple(t.shape) for t in ts]
    ragged_idx = None
    for d in range(component_dim):
        if any(s[d] != sizes[0][d] for s in sizes):
            if ragged_idx is not None:
                raise RuntimeError(
                    "Cannot represent given tensor list as a nested tensor with the jagged layout. Note that the "
                    "jagged layout only allows for a single ragged dimension. For example: (B, *, D_0, D_1, ..., "
                    "D_N), with ragged * dim.")
            ragged_idx = d + 1
    if ragged_idx is None:
        ragged_idx = 1
    values = cat(list(ts), ragged_idx - 1)
    kwargs = {}
    if device is not None:
        kwargs["device"] = device
    if dtype is not None:
        kwargs["dtype"] = dtype
    if kwargs:
        values = values.to(**kwargs)
    lengths = [s[ragged_idx - 1] for s in sizes]
    return make_jagged(values, offsets_of(lengths), ragged_idx=ragged_idx, min_seqlen=min(lengths),
                       max_seqlen=max(lengths))


# --------------------------------------------------------------------------- public API
def nested_tensor(tensor_list, *, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """``torch.nested.nested_tensor``: a nested tensor (a leaf, with no history) copied from a list
    of tensors or of nested lists of numbers."""
    from ..grad_mode import no_grad
    if layout is None:
        layout = strided
    if layout is strided:
        if not isinstance(tensor_list, list):
            raise TypeError("Only lists (List[Tensor] and List[List...[Scalar]]) are accepted in nested_tensor")
        with _C.DisableTorchFunctionSubclass(), no_grad():
            ts = [_as_tensor(t).detach() for t in tensor_list]
            nt = _strided_from_list(ts, dtype, device)
            nt = _fresh_leaf(nt)
        _warn_prototype()
        if requires_grad:
            if not (nt.is_floating_point() or nt.is_complex()):
                raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
            with _C.DisableTorchFunctionSubclass():
                Tensor.requires_grad_(nt, True)
        return nt
    if layout is jagged:
        with _C.DisableTorchFunctionSubclass(), no_grad():
            ts = [_as_tensor(t) for t in tensor_list]
            nt = _fresh_leaf(_jagged_from_list(ts, dtype, device))
        if requires_grad:
            if not (nt.is_floating_point() or nt.is_complex()):
                raise RuntimeError("only Tensors of floating point dtype can require gradients")
            with _C.DisableTorchFunctionSubclass():
                Tensor.requires_grad_(nt, True)
        return nt
    raise _unsupported_layout(layout)


def _fresh_leaf(nt):
    """``nested_tensor`` copies: a new leaf owning its buffer (``cat`` of one component, or a
    ``to`` that changed nothing, could still share an input's memory)."""
    from ..tensor import wrap
    leaf = wrap(nt._data.copy(), nt._device, NestedTensor)
    leaf.__dict__.update(nt.__dict__)
    return leaf


def as_nested_tensor(ts, dtype=None, device=None, layout=None):
    """``torch.nested.as_nested_tensor``: like ``nested_tensor`` but keeping the autograd history
    to the components (or viewing a dense tensor's memory, as PyTorch's)."""
    is_tensor_list = isinstance(ts, (list, tuple)) and all(isinstance(t, Tensor) for t in ts)
    if not isinstance(ts, Tensor) and not is_tensor_list:
        raise TypeError("as_nested_tensor(): Expected first argument to be a tensor or a list / tuple of tensors ")
    if is_tensor_list and not isinstance(ts, list):
        ts = list(ts)
    with _C.DisableTorchFunctionSubclass():
        if isinstance(ts, Tensor) and ts.dim() < 2 and not isinstance(ts, NestedTensor):
            raise RuntimeError("as_nested_tensor(): Expected tensor argument to have dim() > 1")
        if isinstance(ts, NestedTensor):
            if layout is ts.__dict__["_nlayout"]:
                from .ops import convert
                return convert(ts, device=device, dtype=dtype)
            raise RuntimeError("as_nested_tensor(): Converting between nested tensor layouts is not supported")
        if layout is None:
            layout = strided
        if layout is strided:
            if isinstance(ts, Tensor):
                buffer = ts.reshape(-1).to(device=device, dtype=dtype)
                nt = make_strided(buffer, [tuple(ts.shape[1:])] * ts.shape[0])
            else:
                nt = _strided_from_list(ts, dtype, device)
            _warn_prototype()
            return nt
        if layout is jagged:
            if isinstance(ts, Tensor):
                from .. import arange, int64
                device = ts.device if device is None else device
                values = ts.contiguous().flatten(0, 1).to(device=device, dtype=dtype)
                batch, seq = ts.shape[0], ts.shape[1]
                offsets = arange(0, batch * seq + 1, seq, device=device, dtype=int64)
                return make_jagged(values, offsets, min_seqlen=seq, max_seqlen=seq)
            return _jagged_from_list(ts, dtype, device)
    raise _unsupported_layout(layout)


def nested_tensor_from_jagged(values, offsets=None, lengths=None, jagged_dim=None, min_seqlen=None, max_seqlen=None):
    """``torch.nested.nested_tensor_from_jagged``: a jagged view of ``values`` (gradients reach it)."""
    with _C.DisableTorchFunctionSubclass():
        if offsets is None:
            if lengths is None:
                raise RuntimeError("nested_tensor_from_jagged(): At least one of offsets or lengths is required.")
            from .. import cat, zeros
            cum = lengths.cumsum(0)
            offsets = cat([zeros(1, dtype=cum.dtype, device=cum.device), cum])
            lengths = None
        if jagged_dim is None:
            jagged_dim = 1
        elif jagged_dim < 1:
            raise ValueError(f"Expected jagged_dim >=1, but got {jagged_dim}.")
        if jagged_dim - 1 >= values.dim():
            raise IndexError("tuple index out of range")  # (PyTorch's, from indexing the values' shape)
        return make_jagged(values, offsets, lengths, ragged_idx=jagged_dim, min_seqlen=min_seqlen,
                           max_seqlen=max_seqlen)


def narrow(tensor, dim, start, length, layout=strided):
    """``torch.nested.narrow``: per-batch-entry windows of a dense tensor's dim 1 (jagged: a view
    with holes, sharing ``tensor``'s memory)."""
    if not isinstance(start, (int, Tensor)):
        raise RuntimeError("start must be an integer or a tensor")
    if not isinstance(length, (int, Tensor)):
        raise RuntimeError("length must be an integer or a tensor")
    with _C.DisableTorchFunctionSubclass():
        if layout is strided:
            if isinstance(start, Tensor) or isinstance(length, Tensor):
                raise RuntimeError("start and length must be integers for the strided layout NT impl")
            if dim != 0:
                raise RuntimeError(f"narrow(): only dim=0 supported for nested tensors, but got: {dim}")
            nt = as_nested_tensor(list(tensor.unbind()), layout=strided)
            return from_components(components(nt)[start:start + length], strided)
        if layout is not jagged:
            raise RuntimeError(f"Specified layout is unsupported for nested narrow: {layout}")
        if dim != 1:
            raise RuntimeError("jagged layout only supports dim=1")
        from .. import arange, cat, int64
        from .. import tensor as make_tensor
        if isinstance(start, int):
            start = make_tensor([start], dtype=int64, device=tensor.device)
        if isinstance(length, int):
            length = make_tensor([length], dtype=int64, device=tensor.device)
        batch = tensor.shape[0]
        try:
            starts, lengths = start.expand(batch), length.expand(batch)
        except RuntimeError:
            raise RuntimeError("When constructing a jagged nested tensor using narrow(), your start and length must "
                               "be Tensors that broadcast to input.shape[0]") from None
        if tensor.dim() < 2:
            raise AssertionError("tensor must at least be 2D for the nested narrow op to work")
        seq = tensor.shape[1]
        base = arange(0, batch, dtype=int64, device=tensor.device) * seq
        offsets = cat([starts + base, (starts[-1] + base[-1] + lengths[-1]).unsqueeze(0)])
        values = tensor.view(-1, *tensor.shape[2:]) if tensor.dim() > 2 else tensor.view(-1)
        off = [int(v) for v in offsets._data.tolist()]
        lens = [int(v) for v in lengths._data.tolist()]
        contiguous = all(n == seq for n in lens[1:-1]) and all(off[i + 1] - off[i] == seq for i in range(1, len(off) - 2)) \
            and off[0] + lens[0] == seq
        if contiguous:
            return make_jagged(values[off[0]:off[-1]], offsets - off[0], min_seqlen=min(lens), max_seqlen=max(lens))
        return make_jagged(values, offsets, lengths.clone(), min_seqlen=min(lens), max_seqlen=max(lens))


def _full_like_shape(c, shape, padding):
    from .. import full
    return full(shape, padding, dtype=c.dtype, device=c.device)


def _pad_to(c, target, padding):
    """``c`` cut or padded with ``padding`` to ``target`` along every dim (cat/narrow: with autograd)."""
    from .. import cat
    for k, want in enumerate(target):
        have = c.shape[k]
        if have > want:
            c = c.narrow(k, 0, want)
        elif have < want:
            shape = list(c.shape)
            shape[k] = want - have
            c = cat([c, _full_like_shape(c, shape, padding)], k)
    return c


def to_padded_tensor(input, padding, output_size=None):
    """``torch.nested.to_padded_tensor`` (and ``Tensor.to_padded_tensor``): a dense tensor holding
    each component padded with ``padding`` (jagged: along the ragged dim only)."""
    from .. import stack, empty
    if isinstance(padding, bool) or not isinstance(padding, (int, float)) and not (
            isinstance(padding, Tensor) and padding.dim() == 0):
        raise TypeError(f"to_padded_tensor(): argument 'padding' (position 1) must be float, not "
                        f"{c_type_name(padding)}")
    padding = float(padding)
    if not isinstance(input, NestedTensor):
        raise NotImplementedError(
            "Could not run 'aten::to_padded_tensor' with arguments from the 'CPU' backend. This could be because the "
            "operator doesn't exist for this backend, or was omitted during the selective/custom build process (if "
            "using custom build). If you are a Facebook employee using PyTorch on mobile, please visit "
            "https://fburl.com/ptmfixes for possible resolutions.")
    with _C.DisableTorchFunctionSubclass():
        d = input.__dict__
        comps = components(input)
        if d["_nlayout"] is jagged:
            if d["_lengths"] is not None:
                raise RuntimeError("to_padded_tensor(): not supported for nested tensors with holes")
            r = d["_ragged_idx"] - 1
            seq = max(s[r] for s in d["_sizes"]) if output_size is None else list(output_size)[d["_ragged_idx"]]
            target = list(comps[0].shape)
            target[r] = seq
            return stack([_pad_to(c, target, padding) for c in comps])
        sizes = d["_sizes"]
        if d.get("_noncontig"):
            raise RuntimeError("for now to_padded_tensor only supports contiguous nested tensor")
        if not sizes:
            return empty(0, dtype=input.dtype, device=input.device)
        if not sizes[0]:
            raise RuntimeError("to_padded_tensor(): a nested tensor of 0-dim components cannot be padded")
        padded = [max(s[k] for s in sizes) for k in range(len(sizes[0]))]
        if output_size is not None:
            output_size = list(output_size)
            if len(output_size) != len(padded) + 1:
                raise RuntimeError("Length of output_size does not match NestedTensor dims. Broadcasting is not "
                                   "supported.")
            if output_size[0] < len(sizes) or any(o < p for o, p in zip(output_size[1:], padded)):
                raise RuntimeError("Value in output_size is less than NestedTensor padded size. Truncation is not "
                                   "supported.")
            padded = output_size[1:]
        out = stack([_pad_to(c, padded, padding) for c in comps])
        if output_size is not None and output_size[0] > len(sizes):
            out = _pad_to(out, [output_size[0], *padded], padding)
        return out


def masked_select(tensor, mask):
    """``torch.nested.masked_select``: the selected elements of each row (over the last dim) of a
    dense tensor, as a jagged tensor."""
    if isinstance(tensor, NestedTensor):
        raise RuntimeError(f"torch.nested.masked_select requires a strided tensor, given {tensor.__dict__['_nlayout']}")
    if isinstance(mask, NestedTensor):
        raise RuntimeError(f"torch.nested.masked_select requires a strided mask, given: {mask.__dict__['_nlayout']}")
    from .. import cat, zeros
    with _C.DisableTorchFunctionSubclass():
        values = tensor.masked_select(mask)
        expanded = mask.expand(tensor.shape)
        lengths = expanded.sum(dim=tensor.ndim - 1).view(-1)
        cum = lengths.cumsum(dim=0)
        offsets = cat([zeros(1, dtype=cum.dtype, device=cum.device), cum])
        return make_jagged(values, offsets)
