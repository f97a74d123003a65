"""Nested-tensor handlers of properties (``.grad``, ``.shape`` ...) and of the methods that read
the structure rather than compute (``size``, ``stride``, ``unbind``, indexing, ``backward``)."""
from __future__ import annotations

from .._C import DisableTorchFunctionSubclass
from ..memory_layout import jagged, strided
from ..tensor import Tensor
from .nested_tensor import (NO_SIZES, NestedTensor, components, is_contiguous_nested, like, nested_dim, nested_shape,
                            size_of, stride_of)
from .handlers import (_arg, _is_jagged, _layout, _no_kernel, _raggedness_matches, _refuse, _register, _replace_arg,
                       _shape_text)
from .shape_ops import _transpose


_SETTABLE = {"requires_grad", "grad", "retains_grad"}


_PASS_PROPERTIES = {"dtype", "device", "requires_grad", "grad_fn", "is_leaf", "itemsize", "output_nr", "_version",
                    "is_sparse", "is_quantized", "is_meta", "is_cpu", "is_cuda", "is_mkldnn", "is_sparse_csr",
                    "is_xpu", "is_mps", "is_ipu", "is_xla", "is_vulkan", "is_maia", "is_mtia", "retains_grad",
                    "_base", "name", "names", "is_inference", "nbytes"}


def _get_property(func, name, prop, nt):
    if not isinstance(nt, NestedTensor):
        return func(nt)
    if prop in _PASS_PROPERTIES:
        return func(nt)
    if prop == "shape":
        return size_of(nt)
    if prop == "ndim":
        return nested_dim(nt)
    if prop == "layout":
        return _layout(nt)
    if prop == "is_nested":
        return True
    if prop == "grad":
        return _nested_grad(nt)
    if prop == "data":
        return like(Tensor.detach(nt), nt)
    if prop == "T":
        if _layout(nt) is strided:
            raise _no_kernel("permute")
        raise ValueError("Permute is not supported on the batch dimension for jagged NT")
    if prop == "mT":
        return _transpose(None, "transpose", (nt, -2, -1), {})
    raise _refuse(name)


def _set_grad(setter, nt, value):
    """``nt.grad = value``: the engine keeps a nested leaf's gradient as a buffer, so a nested value
    is stored as its buffer (PyTorch's strided layout refuses any assignment, its jagged one a
    gradient of other offsets)."""
    if value is None:
        return setter(nt, None)
    if _layout(nt) is strided:
        raise RuntimeError(NO_SIZES)
    if not (_is_jagged(value) and _raggedness_matches(nt, value) and value._data.shape == nt._data.shape):
        shown = [repr(x) for x in (nested_shape(value) if isinstance(value, NestedTensor) else value._data.shape)]
        raise RuntimeError(f"attempting to assign a gradient of size '[{', '.join(shown)}]' to a tensor of size "
                           f"'[{', '.join(repr(x) for x in nested_shape(nt))}]'. Please ensure that the gradient and "
                           "the tensor are the same size")
    return setter(nt, Tensor.detach(value))


@_register("register_hook")
def _register_hook(func, short, args, kwargs):
    """The engine calls a hook with the buffer's gradient: the user's hook sees it with the nested
    tensor's structure, and a nested tensor it returns goes back as its buffer."""
    nt, hook = args[0], _arg(args, kwargs, 1, "hook")

    def on_buffer_grad(g):
        with DisableTorchFunctionSubclass():
            shown = like(g, nt)
        out = hook(shown)
        if isinstance(out, NestedTensor):
            from ..ops.tensor_extras import _alias
            with DisableTorchFunctionSubclass():
                return _alias.frontend(out)
        return out
    return func(nt, on_buffer_grad)


@_register("backward")
def _backward(func, short, args, kwargs):
    nt = args[0]
    gradient = _arg(args, kwargs, 1, "gradient")
    if gradient is None:
        raise RuntimeError("grad can be implicitly created only for scalar outputs")
    if not isinstance(gradient, NestedTensor) or _layout(gradient) is not _layout(nt) or (
            _layout(nt) is jagged and not _raggedness_matches(nt, gradient)) or (
            _layout(nt) is strided and nt.__dict__["_sizes"] != gradient.__dict__["_sizes"]):
        raise RuntimeError(f"Mismatch in shape: grad_output[0] has a shape of {_shape_text(gradient)} and output[0] "
                           f"has a shape of {_shape_text(nt)}.")
    # the buffer's backward with the gradient's buffer
    args, kwargs = _replace_arg(args, kwargs, 1, "gradient", Tensor.detach(gradient))
    return func(*args, **kwargs)


def _nested_grad(nt):
    g = nt._grad
    if g is None or isinstance(g, NestedTensor):
        return g
    # the engine accumulates the buffer's gradient; it is shown with nt's structure (the same
    # object each time, sharing the stored gradient's memory, so ``nt.grad.zero_()`` works)
    cached = nt.__dict__.get("_grad_view")
    if cached is not None and cached[0] is g:
        return cached[1]
    view = like(g, nt)
    nt.__dict__["_grad_view"] = (g, view)
    return view


@_register("size")
def _size_method(func, short, args, kwargs):
    return size_of(args[0], _arg(args, kwargs, 1, "dim"))


@_register("dim", "ndimension")
def _dim(func, short, args, kwargs):
    return nested_dim(args[0])


@_register("stride")
def _stride(func, short, args, kwargs):
    return stride_of(args[0], _arg(args, kwargs, 1, "dim"))


@_register("is_contiguous")
def _is_contiguous(func, short, args, kwargs):
    return is_contiguous_nested(args[0])


@_register("numel", "nelement", "element_size", "is_floating_point", "is_complex", "get_device", "data_ptr",
           "requires_grad_", "retain_grad", "item", "is_signed", "untyped_storage", "storage_offset", "is_set_to",
           "__bool__", "__float__", "__int__", "__index__", "__complex__")
def _passthrough(func, short, args, kwargs):
    out = func(*args, **kwargs)
    return out


@_register("__len__")
def _len(func, short, args, kwargs):
    return NestedTensor.__len__(args[0])


@_register("__repr__", "__str__")
def _repr(func, short, args, kwargs):
    return NestedTensor.__repr__(args[0])


@_register("__format__")
def _format(func, short, args, kwargs):
    return format(NestedTensor.__repr__(args[0]), *args[1:])


@_register("tolist")
def _tolist(func, short, args, kwargs):
    if _layout(args[0]) is strided:
        from .nested_tensor import NO_STRIDES
        raise RuntimeError(NO_STRIDES)
    raise RuntimeError(".tolist() is not supported for tensor subclasses, got NestedTensor")


@_register("numpy")
def _numpy(func, short, args, kwargs):
    if _layout(args[0]) is strided:
        raise RuntimeError(NO_SIZES)
    raise RuntimeError(".numpy() is not supported for tensor subclasses.")


@_register("stack")
def _stack(func, short, args, kwargs):
    tensors = list(_arg(args, kwargs, 0, "tensors"))
    dim = _arg(args, kwargs, 1, "dim", 0)
    first = next(t for t in tensors if isinstance(t, NestedTensor))
    if _layout(first) is strided:
        raise _no_kernel("stack")
    if dim == 0:
        raise RuntimeError("stack(): not supported for NestedTensor on dim=0")
    raise _refuse("torch.stack")


@_register("values")
def _values(func, short, args, kwargs):
    from ..ops.tensor_extras import _alias
    return _alias.frontend(args[0])


@_register("offsets", "lengths")
def _offsets(func, short, args, kwargs):
    nt = args[0]
    if _layout(nt) is strided:
        raise AttributeError(f"'Tensor' object has no attribute '{short}'")
    return nt.__dict__["_offsets" if short == "offsets" else "_lengths"]


@_register("to_padded_tensor")
def _to_padded(func, short, args, kwargs):
    from .factories import to_padded_tensor
    return to_padded_tensor(*args, **kwargs)


@_register("unbind")
def _unbind(func, short, args, kwargs):
    nt = args[0]
    dim = _arg(args, kwargs, 1, "dim", 0)
    if dim != 0:
        if _layout(nt) is jagged:
            raise RuntimeError("unbind(): only supported for NestedTensor on dim=0")
        raise RuntimeError(f"NestedTensor can only be unbound along dimension 0 got dimension {dim} instead.")
    return tuple(components(nt))


@_register("__getitem__", "select")
def _getitem(func, short, args, kwargs):
    nt = args[0]
    if short == "select":
        dim, index = _arg(args, kwargs, 1, "dim"), _arg(args, kwargs, 2, "index")
        if dim != 0:
            raise _refuse("torch.Tensor.select (dim != 0)")
    else:
        index = args[1]
    first = index[0] if isinstance(index, tuple) and index else index
    if isinstance(first, slice):
        if _layout(nt) is strided:
            raise _no_kernel("slice.Tensor")
        raise RuntimeError("slice(): not supported for NestedTensor on dim=0")
    if isinstance(index, bool) or not isinstance(index, int):
        raise _refuse("torch.Tensor.__getitem__ (anything but an int index)")
    comps = components(nt)
    n = len(comps)
    if not -n <= index < n:
        if _layout(nt) is jagged:
            raise IndexError("tuple index out of range")
        raise IndexError(f"index {index} is out of bounds for dimension 0 with size {n}")
    return comps[index]
