"""Nested-tensor handlers of products: ``matmul``/``bmm``, ``linear``, ``embedding`` and
``scaled_dot_product_attention`` (per component where the components differ), and the ops
PyTorch has no rule for on either layout."""
from __future__ import annotations

from ..memory_layout import jagged, strided
from ..tensor import Tensor
from .nested_tensor import (NestedTensor, components, from_components, is_contiguous_nested, like, like_jagged,
                            nested_dim)
from .handlers import (_arg, _layout, _long_tensor_text, _no_kernel, _raggedness_matches, _refuse, _register,
                       _require_contiguous_jagged, _shape_text, _size_text)


def _per_component_pairs(func, a, b, layout, like_nt=None):
    ca, cb = components(a), components(b)
    if len(ca) != len(cb):
        raise RuntimeError(f"The nested tensors have different numbers of components: {len(ca)} and {len(cb)}")
    return from_components([func(x, y) for x, y in zip(ca, cb)], layout, like_nt)


@_register("matmul", "bmm", "__matmul__")
def _matmul(func, short, args, kwargs):
    a, b = args[0], _arg(args, kwargs, 1, "other" if short != "bmm" else "mat2")
    na, nb = isinstance(a, NestedTensor), isinstance(b, NestedTensor)
    layout = _layout(a) if na else _layout(b)
    op = Tensor.matmul
    if layout is strided:
        if short == "bmm" and na and not nb and isinstance(b, Tensor) and b._data.ndim == 3 \
                and b._data.shape[0] == len(a.__dict__["_sizes"]):
            return from_components([op(c, b[i]) for i, c in enumerate(components(a))], strided)
        if not (na and nb):
            raise RuntimeError("Expected both to be nested, but got a nested self and non-nested other" if na else
                               "Expected both to be nested, but got a non-nested self and nested other")
        if short == "bmm" and (nested_dim(a) != 3 or nested_dim(b) != 3):
            raise RuntimeError("batch1 must be a 3D tensor")
        sa, sb = a.__dict__["_sizes"], b.__dict__["_sizes"]
        if len(sa) == len(sb) and any(x[-1] != y[-2] for x, y in zip(sa, sb)):
            if short == "bmm":
                i = next(k for k, (x, y) in enumerate(zip(sa, sb)) if x[-1] != y[-2])
                raise RuntimeError(f"{i}-th nested matrices in batch cannot be multiplied ({sa[i][-2]}x{sa[i][-1]} "
                                   f"and {sb[i][-2]}x{sb[i][-1]})")
            raise RuntimeError("matmul: Nested tensors cannot be matrix multiplied, last dimension of self has sizes"
                               + _long_tensor_text([x[-1] for x in sa]) + "second last dimension of mat2 has sizes"
                               + _long_tensor_text([y[-2] for y in sb]))
        return _per_component_pairs(op, a, b, strided)
    if not na:
        raise _refuse(f"torch.{short} of a dense tensor by a nested one")
    r = a.__dict__["_ragged_idx"]
    ndim = nested_dim(a)
    msg = f"matmul(): not supported between inputs of shapes {_size_text(a)} and {_shape_text(b)}"
    if nb:
        if _layout(b) is jagged and _raggedness_matches(a, b) and r < ndim - 2:
            return _per_component_pairs(op, a, b, jagged, a)
        raise RuntimeError(msg)
    if r == ndim - 1:
        raise RuntimeError(msg)
    if b._data.ndim == 2 or (b._data.ndim < ndim and short != "bmm"):
        return like(op(a, b), a)
    if b._data.ndim == ndim and b._data.shape[0] == len(a.__dict__["_sizes"]):
        comps = components(a)
        return from_components([op(c, b[i]) for i, c in enumerate(comps)], jagged, a)
    raise RuntimeError(msg)


@_register("linear")
def _linear(func, short, args, kwargs):
    nt = args[0]
    weight = _arg(args, kwargs, 1, "weight")
    bias = _arg(args, kwargs, 2, "bias")
    if not isinstance(nt, NestedTensor) or isinstance(weight, NestedTensor) or isinstance(bias, NestedTensor):
        raise _refuse("torch.nn.functional.linear with a nested weight or bias")
    if _layout(nt) is strided:
        if not is_contiguous_nested(nt):
            raise RuntimeError("for now linear only supports contiguous nested tensor")
        lasts = [sz[-1] for sz in nt.__dict__["_sizes"] if sz]
        if len(set(lasts)) > 1:
            raise RuntimeError("Expected all tensors in nested tensor to have the same trailing dimension, instead "
                               "last dimension equals: " + _long_tensor_text(lasts))
        last = lasts[0] if lasts else None
        if weight._data.ndim == 2 and last is not None and last != weight._data.shape[1]:
            raise RuntimeError(f"Shape mismatch for NestedTensor Linear: Expected input's (a nested tensor) 'last_dim' "
                               f"to equal 'weight.size(1), but got: last_dim = {last}, and weight.size(1) = "
                               f"{weight._data.shape[1]}")
        return from_components([func(c, weight, bias) for c in components(nt)], strided)
    _require_contiguous_jagged(nt, "linear_default(input: jt, weight: t, bias: t?)", "input")
    return like(func(nt, weight, bias), nt)


# ops PyTorch has no rule for on either layout, refused with its words
_MISSING_BOTH = {"pad": ("constant_pad_nd", "constant_pad_nd.default"),
                 "normalize": ("linalg_vector_norm", "norm.ScalarOpt_dim")}


@_register(*_MISSING_BOTH)
def _missing(func, short, args, kwargs):
    strided_name, jagged_name = _MISSING_BOTH[short]
    if _layout(args[0]) is strided:
        raise _no_kernel(strided_name)
    raise NotImplementedError(f"aten.{jagged_name}")


@_register("embedding")
def _embedding(func, short, args, kwargs):
    """``F.embedding`` of nested indices (``nn.Embedding`` on token ids of different lengths): the
    values looked up at once, the result nested like the indices with one more dim."""
    indices, weight = args[0], _arg(args, kwargs, 1, "weight")
    if not isinstance(indices, NestedTensor) or isinstance(weight, NestedTensor):
        raise _refuse("torch.nn.functional.embedding with a nested weight")
    if _layout(indices) is strided:
        return from_components([func(c, *args[1:], **kwargs) for c in components(indices)], strided)
    _require_contiguous_jagged(indices, "embedding_default(weight: t, indices: jt, padding_idx: any?, "
                                        "scale_grad_by_freq: any?, sparse: any?)", "indices")
    return like_jagged(func(*args, **kwargs), indices)


@_register("scaled_dot_product_attention")
def _sdpa(func, short, args, kwargs):
    q, k, v = args[0], _arg(args, kwargs, 1, "key"), _arg(args, kwargs, 2, "value")
    attn_mask = _arg(args, kwargs, 3, "attn_mask")
    dropout_p = _arg(args, kwargs, 4, "dropout_p", 0.0)
    is_causal = _arg(args, kwargs, 5, "is_causal", False)
    scale = _arg(args, kwargs, 6, "scale")
    first = next(x for x in (q, k, v) if isinstance(x, NestedTensor))
    if _layout(first) is jagged:
        # PyTorch's checks (torch/nested/_internal/sdpa.py), in its order
        if not all(isinstance(x, NestedTensor) for x in (q, k, v)):
            raise ValueError(f"Expected query, key, and value to be nested tensors, but got query.is_nested: "
                             f"{isinstance(q, NestedTensor)}, key.is_nested: {isinstance(k, NestedTensor)}, and "
                             f"value.is_nested: {isinstance(v, NestedTensor)} instead.")
        if attn_mask is not None:
            raise ValueError("Masks are not yet supported!")
        # its CPU math kernel takes 4-d (B, H, j, D) inputs and no causal mask
        if is_causal or any(nested_dim(x) != 4 for x in (q, k, v)):
            raise RuntimeError("No viable backend for scaled_dot_product_attention was found.")
    elif not all(isinstance(x, NestedTensor) and _layout(x) is strided for x in (q, k, v)) or attn_mask is not None:
        raise _refuse("torch.nn.functional.scaled_dot_product_attention with dense inputs or a mask")
    outs = [func(qc, kc, vc, dropout_p=dropout_p, is_causal=is_causal, scale=scale)
            for qc, kc, vc in zip(components(q), components(k), components(v))]
    return from_components(outs, _layout(q), q if _layout(q) is jagged else None)
