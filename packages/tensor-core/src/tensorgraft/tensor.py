"""The Tensor: an array (NumPy or CuPy), its device, and the autograd bookkeeping.

Most methods (``add``, ``sum``, ``view``, ``__add__`` ...) are not written here: they are bound
from the op registry when ops are registered (``ops/_frontend.py``), so an op is defined once and
appears both as ``tensorgraft.<name>`` and as ``Tensor.<name>``. This file holds what is about the
tensor object itself: properties, conversions, printing and the autograd entry points.
"""
from __future__ import annotations

import numpy as np

import sys
import threading

from . import dtypes as _dt
from .device import device as _device_cls, get_backend
from .grad_mode import state as _gs

__all__ = ["Tensor", "Size", "wrap"]

_CPU = _device_cls("cpu")
_BY_NP = _dt._BY_NUMPY
_BF16 = _dt.BF16


def _bfloat16_to_numpy():
    # PyTorch's words: NumPy (without ml_dtypes) has no bfloat16, so it refuses rather than
    # handing out an array of an extension type most NumPy code cannot use
    return TypeError("Got unsupported ScalarType BFloat16")
_ndarray = np.ndarray
_np_generic = np.generic


class Size(tuple):
    """``tensorgraft.Size``: a tuple of dimension sizes, printed like PyTorch's."""

    __module__ = "tensorgraft"  # (as Tensor's)

    __slots__ = ()

    def __repr__(self) -> str:
        return f"torch.Size({list(self)})"

    __str__ = __repr__

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, item):
        r = tuple.__getitem__(self, item)
        return Size(r) if isinstance(item, slice) else r

    def __add__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple.__add__(self, other))

    def __radd__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple.__add__(other, self))

    def __mul__(self, n):
        return Size(tuple.__mul__(self, n))

    __rmul__ = __mul__


class _Hooks:
    """Rarely used per-tensor state kept out of the hot slots."""

    __slots__ = ("hooks", "post_accumulate_hooks", "retains_grad", "grad_accumulator", "name", "multi_view_nr")

    def __init__(self):
        self.hooks = None
        self.post_accumulate_hooks = None
        self.retains_grad = False
        self.grad_accumulator = None
        self.name = None
        # Set on a recorded output of unbind/split/chunk (its output number) and on views of it
        # (0): PyTorch refuses in-place writes to these (ops/_frontend.check_multi_view_inplace).
        self.multi_view_nr = None


# PyTorch's wording, shared with the op frontends and the autograd engine.
INFERENCE_INPLACE = ("Inplace update to inference tensor outside InferenceMode is not allowed.You can make a clone "
                     "to get a normal tensor before doing inplace update.See https://github.com/pytorch/rfcs/pull/17 "
                     "for more details.")
INFERENCE_SAVED = ("Inference tensors cannot be saved for backward. Please do not use Tensors created in inference "
                   "mode in computation tracked by autograd. To work around this, you can make a clone to get a normal "
                   "tensor and use it in autograd, or use `torch.no_grad()` instead of `torch.inference_mode()`.")


class _InferenceVersion(list):
    """The version counter of an inference tensor — which is also what marks it as one: its class
    is the whole flag, so normal tensors carry no extra slot and no op pays for the check.

    PyTorch's inference tensors track no version; here the counter refuses to be bumped (an
    in-place write) outside inference mode. Op frontends check before writing; this is the
    backstop for code that bumps ``_vc`` directly."""

    __slots__ = ()

    def __setitem__(self, index, value):
        if not _gs.inference:
            raise RuntimeError(INFERENCE_INPLACE)
        list.__setitem__(self, index, value)


def check_not_inference(t) -> None:
    """Raise PyTorch's error for an in-place write to an inference tensor outside inference mode."""
    if t._vc.__class__ is _InferenceVersion and not _gs.inference:
        raise RuntimeError(INFERENCE_INPLACE)


_NUMPY_OF_GRAD = "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."


def _warn_scalar_of_grad() -> None:
    """PyTorch's warning when a tensor recording gradients is read as a Python number (``float(t)``,
    ``complex(t)``, ``tensor([t0, t1])``)."""
    from .caller_warnings import warn_once_at_caller  # (imported on use: warnings are rare)
    warn_once_at_caller("Converting a tensor with requires_grad=True to a scalar may lead to unexpected behavior.\n"
                        "Consider using tensor.detach() first.")


def _autograd_missing(what: str):
    raise RuntimeError(
        f"{what} needs the autograd engine, which is not installed. "
        "Install it with: pip install tensorgraft-autograd")


_TO_OVERLOADS = (
    " * (torch.device device = None, torch.dtype dtype = None, bool non_blocking = False, bool copy = False, *, "
    "torch.memory_format memory_format = None)\n"
    " * (torch.dtype dtype, bool non_blocking = False, bool copy = False, *, torch.memory_format memory_format = "
    "None)\n"
    " * (Tensor tensor, bool non_blocking = False, bool copy = False, *, torch.memory_format memory_format = None)\n")


def _check_to_positionals(args) -> None:
    """``Tensor.to``'s positional forms, as PyTorch's parser takes them: ``(device, dtype, bools)``,
    ``(dtype, bools)`` or ``(tensor, bools)``; anything else (``to(torch.float64, "cpu")``) is
    refused with its list of overloads rather than read leniently."""
    kinds = []
    for a in args:
        if a.__class__ is _dt.dtype or isinstance(a, type) and a in _PY_TYPE_DTYPES:
            kinds.append("dtype")
        elif isinstance(a, Tensor):
            kinds.append("tensor")
        elif isinstance(a, bool):
            kinds.append("bool")
        elif isinstance(a, (str, _device_cls, int)):
            kinds.append("device")
        else:
            return  # an unknown type: to() reports it itself
    head = [k for k in kinds if k != "bool"]
    first_bool = kinds.index("bool") if "bool" in kinds else len(kinds)
    ok = head in ([], ["device"], ["dtype"], ["tensor"], ["device", "dtype"]) and \
        all(k == "bool" for k in kinds[first_bool:]) and len(kinds) - first_bool <= 2
    if not ok:
        def name(a):
            if a.__class__ is _dt.dtype:
                return "torch.dtype"
            if isinstance(a, _device_cls):
                return "torch.device"
            return "Tensor" if isinstance(a, Tensor) else type(a).__name__
        got = ", ".join(name(a) for a in args)
        raise TypeError(f"to() received an invalid combination of arguments - got ({got}), but expected one of:\n"
                        + _TO_OVERLOADS)


class Tensor:
    # shown as PyTorch shows its class (<class 'torch.Tensor'>), by the name users import it under;
    # pickles then refer to ``tensorgraft.Tensor``, the same object
    __module__ = "tensorgraft"
    __slots__ = ("_data", "_device", "_requires_grad", "grad_fn", "_grad", "_vc", "_output_nr",
                 "_extra", "_base", "__weakref__")

    # Set by the autograd engine when it loads; None means "not installed".
    _autograd = None

    def __init__(self, *args, **kwargs):
        # ``Tensor(2, 3)`` / ``Tensor([1., 2.])`` as in PyTorch's legacy constructor.
        from .ops.creation import _legacy_construct
        data = _legacy_construct(_dt.get_default_dtype(), args, kwargs)
        _init(self, data._data, _CPU)

    # ------------------------------------------------------------------ basic properties
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        if dim.__class__ is not int:
            dim = _dim_argument(dim, "size")
        return self._data.shape[_wrap_dim(dim, self._data.ndim, "size")]

    def storage_offset(self) -> int:
        """Offset (in elements) of this view's first element within its base tensor's memory."""
        base = self._base
        if base is None or self._data.size == 0:
            return 0
        try:
            off = self.data_ptr() - base.data_ptr()
        except (AttributeError, TypeError):
            return 0
        return max(0, off // self._data.itemsize)

    @property
    def dtype(self) -> _dt.dtype:
        return _BY_NP[self._data.dtype]

    @property
    def device(self) -> _device_cls:
        return self._device

    @property
    def is_cuda(self) -> bool:
        return self._device.type == "cuda"

    @property
    def is_cpu(self) -> bool:
        return self._device.type == "cpu"

    @property
    def is_meta(self) -> bool:
        return self._device.type == "meta"

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return self._data.size * self._data.itemsize

    # Layouts and devices tensorgraft never makes: PyTorch's flags, always False here.
    is_sparse = is_sparse_csr = is_quantized = is_nested = is_mkldnn = property(lambda self: False)
    is_xpu = is_mps = is_ipu = is_xla = is_vulkan = is_maia = is_mtia = property(lambda self: False)

    def is_conj(self) -> bool:
        return False  # conj() materialises here: no lazy conjugate bit

    def is_neg(self) -> bool:
        return False

    def resolve_conj(self) -> "Tensor":
        return self  # nothing is lazily conjugated (see is_conj)

    def resolve_neg(self) -> "Tensor":
        return self

    @property
    def real(self) -> "Tensor":
        """The real parts as a writable view (``self`` for a real tensor), as PyTorch."""
        from .ops.complex import real
        return real(self)

    @real.setter
    def real(self, value) -> None:
        from .ops.complex import real, set_part
        set_part(real, self, value)

    @property
    def imag(self) -> "Tensor":
        """The imaginary parts as a writable view; complex tensors only, as PyTorch."""
        from .ops.complex import imag
        return imag(self)

    @imag.setter
    def imag(self, value) -> None:
        from .ops.complex import imag, set_part
        set_part(imag, self, value)

    def is_shared(self) -> bool:
        """Whether the memory is shared between processes (``share_memory_()``, multiprocessing/)."""
        if self._device.type != "cpu":
            return False
        from .multiprocessing.shared_memory import is_shared
        return is_shared(self._data)

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    def stride(self, dim=None):
        a = self._data
        if a.size == 0 and a.ndim and not any(a.strides):
            # NumPy 2 gives an empty array zero strides; PyTorch keeps the strides of its layout,
            # C order with each size-0 dim counted as 1 (a permuted empty tensor's order is lost here)
            st, step = [], 1
            for n in reversed(a.shape):
                st.append(step)
                step *= max(n, 1)
            st = tuple(reversed(st))
        else:
            st = tuple(s // a.itemsize for s in a.strides)
        if dim is None:
            return st
        if dim.__class__ is not int:
            dim = _dim_argument(dim, "stride")
        return st[_wrap_dim(dim, self._data.ndim, "stride")]

    def dim_order(self, *, ambiguity_check=False) -> tuple:
        """The dims from outermost to innermost in memory: by decreasing stride, ties in dim order.
        With ``ambiguity_check`` (True, or a list of memory formats) a size-1 or broadcast dim,
        which could sit anywhere in the order, is refused - unless the list names the one format
        the tensor's layout can be read as."""
        from . import memory_layout as ml
        if ambiguity_check is not True and ambiguity_check is not False and (
                not isinstance(ambiguity_check, (list, tuple))
                or not all(f.__class__ is ml.memory_format for f in ambiguity_check)):
            raise TypeError("The ambiguity_check argument must be a bool or a list of memory formats.")
        st = self.stride()
        order = tuple(sorted(range(len(st)), key=lambda d: -st[d]))
        if ambiguity_check is False:
            return order
        unique = "The tensor does not have unique dim order."
        if 0 in st and self._data.size:
            raise RuntimeError(unique)
        if all(n != 1 for n in self._data.shape):
            return order
        if ambiguity_check is not True:
            readable = [f for f in (ml.contiguous_format, ml.channels_last, ml.channels_last_3d)
                        if ml._RANK.get(f, len(st)) == len(st) and self.is_contiguous(memory_format=f)]
            named = [f for f in ambiguity_check if f in readable]
            if len(named) == 1:
                if len(readable) == 1:
                    return ml.dim_order(len(st), named[0])
                raise RuntimeError(unique)
        raise RuntimeError(unique[:-1] + ", or cannot map to exact one of the given memory formats.")

    def is_contiguous(self, memory_format=None) -> bool:
        if memory_format is None:
            return bool(self._data.flags.c_contiguous)
        from .memory_layout import is_contiguous_as
        return is_contiguous_as(self._data, memory_format)

    @property
    def layout(self):
        from .memory_layout import strided
        return strided

    @property
    def output_nr(self) -> int:
        """Which output of its graph node this tensor is (0 for leaves and single outputs)."""
        return self._output_nr

    def const_data_ptr(self) -> int:
        return self.data_ptr()

    def untyped_storage(self):
        from .storage import untyped_storage
        return untyped_storage(self)

    def storage(self):
        from .storage import typed_storage
        return typed_storage(self)

    def is_set_to(self, tensor) -> bool:
        """Same memory, offset, shape and strides (the state ``set_(tensor)`` leaves)."""
        a, b = self._data, tensor._data
        return (self._device == tensor._device and a.shape == b.shape and a.strides == b.strides
                and a.dtype == b.dtype and (a.size == 0 or self.data_ptr() == tensor.data_ptr()))

    def set_(self, source=None, storage_offset=0, size=None, stride=None) -> "Tensor":
        from .storage import set_
        return set_(self, source, storage_offset, size, stride)

    def resize_(self, *sizes, memory_format=None) -> "Tensor":
        from .storage import resize_
        from .ops._args import shape_arg
        resize_(self, shape_arg(sizes, "resize_"))
        if memory_format is not None:
            self._restride(memory_format)
        return self

    def resize_as_(self, the_template, *, memory_format=None) -> "Tensor":
        from .storage import resize_
        resize_(self, the_template._data.shape)
        if memory_format is not None:
            self._restride(memory_format)
        return self

    def _restride(self, memory_format) -> None:
        """After ``resize_``: the same memory seen in ``memory_format``'s order (values are not
        kept in logical order, as in PyTorch, where resize leaves them unspecified)."""
        from . import memory_layout as ml
        a = self._data
        ml.check_format_rank(a.ndim, memory_format)
        order = ml.dim_order(a.ndim, memory_format)
        if order != tuple(range(a.ndim)):
            self._data = a.reshape(tuple(a.shape[d] for d in order)).transpose(
                tuple(order.index(d) for d in range(a.ndim)))

    def apply_(self, callable) -> "Tensor":
        from .storage import apply_
        return apply_(self, callable)

    def map_(self, tensor, callable) -> "Tensor":
        from .storage import map_
        return map_(self, tensor, callable)

    def map2_(self, x, y, callable) -> "Tensor":
        from .storage import map2_
        return map2_(self, x, y, callable)

    def as_subclass(self, cls) -> "Tensor":
        """This tensor's data as an instance of ``cls`` (a Tensor subclass), in the same graph
        (PyTorch records an alias node)."""
        if not (isinstance(cls, type) and issubclass(cls, Tensor)):
            raise TypeError("Creating a Tensor subclass from a class that does not inherit from Tensor is not "
                            "possible. Make sure your class inherits from Tensor.")
        from .ops.tensor_extras import _alias
        out = _alias.frontend(self)
        sub = wrap(out._data, self._device, cls)
        sub._vc, sub._base = out._vc, out._base
        sub.grad_fn, sub._requires_grad, sub._output_nr = out.grad_fn, out._requires_grad, out._output_nr
        if out.grad_fn is None and self._requires_grad:
            sub._requires_grad = True  # a leaf stays a leaf that requires grad
        return sub

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f" or self._data.dtype is _BF16

    def is_complex(self) -> bool:
        return self._data.dtype.kind == "c"

    def data_ptr(self) -> int:
        iface = getattr(self._data, "__array_interface__", None) or self._data.__cuda_array_interface__
        return iface["data"][0]

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __hash__(self):
        return id(self)

    def __invert__(self):
        # ``~t`` refuses a float or complex tensor in the words of Python's operator, as PyTorch's
        # does; ``t.bitwise_not()`` names its kernel instead
        if self._data.dtype.kind not in "biu":
            raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
        return self.bitwise_not()

    def __bool__(self) -> bool:
        n = self._data.size
        if n != 1:
            if n == 0:
                raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._scalar_host())

    def _scalar(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self._scalar_host().item()

    def _scalar_host(self) -> np.ndarray:
        """The one value as a 0-d host array (item(), bool(), float(), int(), format)."""
        if self._device.type == "meta":  # PyTorch's wording for every scalar read of a meta tensor
            raise RuntimeError("Tensor.item() cannot be called on meta tensors")
        return self._host().reshape(())

    def __float__(self):
        if self._requires_grad and _gs.enabled:
            _warn_scalar_of_grad()
        return float(self._scalar())

    def __int__(self):
        return int(self._scalar())  # (PyTorch warns for float() and complex() only)

    def __complex__(self):
        if self._requires_grad and _gs.enabled:
            _warn_scalar_of_grad()
        return complex(self._scalar())

    def __index__(self):
        if self._data.dtype.kind not in "biu" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __format__(self, spec):
        if self._data.ndim == 0 and self._device.type != "meta":  # a meta value has none to format
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    # ------------------------------------------------------------------ host conversion
    def _host(self) -> np.ndarray:
        if self._device is _CPU:
            return self._data
        return get_backend(self._device).to_host(self._data)

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._scalar_host().item()

    def tolist(self):
        return self._host().tolist()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        if self._device is not _CPU:
            if not force:
                where = "meta" if self._device.type == "meta" else f"{self._device.type}:{self._device.index or 0}"
                raise TypeError(f"can't convert {where} device type tensor to numpy. Use Tensor.cpu() to copy the "
                                "tensor to host memory first.")
            return self._host()
        if self._requires_grad and not force:
            raise RuntimeError(_NUMPY_OF_GRAD)
        if self._data.dtype is _BF16:
            raise _bfloat16_to_numpy()
        return self._data

    def __array__(self, dtype=None, copy=None):
        """``np.asarray(t)``: the tensor's own memory on CPU (no copy) unless a dtype change or
        ``copy=True`` asks for one; ``copy=False`` refuses to copy, as NumPy 2 specifies. A tensor
        that requires grad is refused, as ``numpy()`` refuses it (PyTorch's ``__array__`` calls it),
        also when NumPy reads it as an operand (``t + array``, ``np.sin(t)``)."""
        if self._requires_grad:
            raise RuntimeError(_NUMPY_OF_GRAD)
        if self._data.dtype is _BF16:
            raise _bfloat16_to_numpy()
        a = self._host()
        if dtype is not None and a.dtype != np.dtype(dtype):
            if copy is False:
                raise ValueError("Unable to avoid copy while creating an array as requested.")
            return a.astype(dtype)
        if copy:
            return a.copy()
        if copy is False and a is not self._data:
            raise ValueError("Unable to avoid copy while creating an array as requested.")
        return a

    def __array_wrap__(self, array, context=None, return_scalar=False):
        """A NumPy function's result computed from this tensor (``np.sin(t)``, ``t * array``) made a
        tensor again, as PyTorch does - 0-d results too. PyTorch turns a bool result into uint8
        on the way (``np.greater(t, 0)`` is a uint8 tensor)."""
        from .ops.conversion import from_numpy
        if array.dtype == np.bool_:
            array = array.astype(np.uint8)
        return from_numpy(np.asarray(array))

    def __dlpack__(self, *args, **kwargs):
        return self._data.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    @property
    def __cuda_array_interface__(self):
        return self._data.__cuda_array_interface__

    # ------------------------------------------------------------------ autograd-facing state
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value) -> None:
        if value and self._data.dtype.kind not in "fc" and self._data.dtype is not _BF16 \
                and Tensor._autograd is not None:
            # the attribute's check words it differently from requires_grad_()'s
            raise RuntimeError("only Tensors of floating point and complex dtype can require gradients")
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        requires_grad = bool(requires_grad)
        if requires_grad:
            if Tensor._autograd is None:
                _autograd_missing("requires_grad=True")
            if self._data.dtype.kind not in "fc" and self._data.dtype is not _BF16:
                raise RuntimeError("only Tensors of floating point dtype can require gradients")
            if self._vc.__class__ is _InferenceVersion and not _gs.inference:
                raise RuntimeError("Setting requires_grad=True on inference tensor outside InferenceMode is not allowed.")
        elif self.grad_fn is not None:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a computed "
                "variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().")
        self._requires_grad = requires_grad
        return self

    def is_inference(self) -> bool:
        """Whether this tensor was made in inference mode (or views one)."""
        return self._vc.__class__ is _InferenceVersion

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def grad(self):
        g = self._grad
        if g is None and self.grad_fn is not None and not self.retains_grad:
            import warnings
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute "
                "won't be populated during autograd.backward(). If you indeed want the .grad field to be populated "
                "for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor "
                "by mistake, make sure you access the leaf Tensor instead.", UserWarning, stacklevel=2)
        return g

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type {type(value).__name__}")
            if value._data.dtype != self._data.dtype:
                # PyTorch names the gradient's C++ element type and the tensor's ScalarType
                from .ops._frontend import _type_name
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{_CPP_TYPE_NAMES.get(value._data.dtype.name)}' to a "
                    f"tensor with grad_dtype '{_type_name(self._data.dtype)}'. The gradient must match the tensor's "
                    "grad_dtype (defaults to the tensor's dtype). You can set the tensor's grad_dtype attribute with a "
                    "specific dtype, or None to allow any dtype. Set grad_dtype with caution. Diverging the dtypes of "
                    "a tensor and its gradient may break downstream systems that assume they match.")
            if value._data.shape != self._data.shape:
                raise RuntimeError(f"attempting to assign a gradient of size '{list(value._data.shape)}' to a tensor of "
                                   f"size '{list(self._data.shape)}'. Please ensure that the gradient and the tensor "
                                   "are the same size")
            if value._device is not self._device:
                raise RuntimeError(f"assigned grad has data located on a different device: got {value.device}, "
                                   f"expected {self.device}")
        self._grad = value

    @grad.deleter
    def grad(self) -> None:
        self._grad = None

    @property
    def _version(self) -> int:
        if self._vc.__class__ is _InferenceVersion:
            raise RuntimeError("Inference tensors do not track version counter.")
        return self._vc[0]

    @property
    def data(self) -> "Tensor":
        """The same data, detached from the graph. Shares memory but not the version counter: as in
        PyTorch, in-place changes through ``.data`` are invisible to autograd. It stays an
        inference tensor if this is one."""
        t = wrap(self._data, self._device)
        if self._vc.__class__ is _InferenceVersion:
            t._vc = _InferenceVersion((0,))
        return t

    @data.setter
    def data(self, value: "Tensor") -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, not {type(value).__name__}")
        self._data = value._data
        self._device = value._device

    @property
    def retains_grad(self) -> bool:
        return self._extra is not None and self._extra.retains_grad

    @property
    def name(self):
        return None if self._extra is None else self._extra.name

    def _hooks(self) -> _Hooks:
        if self._extra is None:
            self._extra = _Hooks()
        return self._extra

    def detach(self) -> "Tensor":
        """A new leaf sharing memory and the version counter (in-place changes to it are seen by
        the graph that saved the original)."""
        t = wrap(self._data, self._device)
        t._vc = self._vc
        return t

    def detach_(self) -> "Tensor":
        if self._base is not None and self._base._requires_grad:
            raise RuntimeError("Can't detach views in-place. Use detach() instead. If you are using DistributedDataParallel "
                               "(DDP) for training, and gradient_as_bucket_view is set as True, gradients are views of "
                               "DDP buckets, and hence detach_() cannot be called on these gradients. To fix this error, "
                               "please refer to the Optimizer.zero_grad() function in torch/optim/optimizer.py as the "
                               "solution.")
        self.grad_fn = None
        self._requires_grad = False
        self._output_nr = 0
        return self

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        ag = Tensor._autograd
        if ag is None:
            _autograd_missing("backward()")
        ag.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def register_hook(self, hook):
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        return Tensor._autograd.register_tensor_hook(self, hook)

    def register_post_accumulate_grad_hook(self, hook):
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        return Tensor._autograd.register_post_accumulate_hook(self, hook)

    def retain_grad(self) -> None:
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is not None:
            Tensor._autograd.retain_grad(self)

    # ------------------------------------------------------------------ dtype / device moves
    def to(self, *args, **kwargs) -> "Tensor":
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)``; ``non_blocking`` and
        ``copy`` accepted."""
        if not kwargs and len(args) == 1:
            a = args[0]
            if a.__class__ is _dt.dtype and a.np == self._data.dtype:
                return self  # already that dtype: PyTorch returns the same tensor
        dev = kwargs.pop("device", None)
        dt = kwargs.pop("dtype", None)
        copy = kwargs.pop("copy", False)
        kwargs.pop("non_blocking", None)
        fmt = kwargs.pop("memory_format", None)
        if kwargs:
            raise TypeError(f"to() got an unexpected keyword argument '{next(iter(kwargs))}'")
        _check_to_positionals(args)
        for a in args:
            if a.__class__ is _dt.dtype:
                dt = a
            elif isinstance(a, Tensor):
                dev, dt = a._device, a.dtype
            elif isinstance(a, bool):
                pass  # non_blocking / copy positional
            elif isinstance(a, (str, _device_cls, int)):
                dev = a
            elif isinstance(a, type) and a in _PY_TYPE_DTYPES:
                dt = _PY_TYPE_DTYPES[a]
            else:
                raise TypeError(f"to() received an invalid argument of type {type(a).__name__}")
        if dt is not None and dt.__class__ is not _dt.dtype:
            if isinstance(dt, type) and dt in _PY_TYPE_DTYPES:
                dt = _PY_TYPE_DTYPES[dt]
            else:
                raise TypeError(f"to(): argument 'dtype' must be torch.dtype, not {type(dt).__name__}")
        from .ops.conversion import convert
        if fmt is not None:
            return _to_with_format(self, dt, dev, copy, fmt)
        return convert(self, dtype=dt, device=dev, copy=copy)

    def cpu(self, memory_format=None) -> "Tensor":
        return self.to("cpu") if memory_format is None else self.to("cpu", memory_format=memory_format)

    def cuda(self, device=None, non_blocking=False, memory_format=None) -> "Tensor":
        if device is None:
            device = "cuda"
        elif isinstance(device, int):
            device = f"cuda:{device}"
        return self.to(device) if memory_format is None else self.to(device, memory_format=memory_format)

    def type(self, dtype=None, non_blocking=False, **kwargs):
        """``t.type()`` -> ``'torch.FloatTensor'``; ``t.type(tg.int32)`` / ``t.type('torch.IntTensor')``
        convert."""
        if dtype is None:
            name = _LEGACY_TYPE_NAMES.get(self.dtype, "torch.Tensor")
            if self._device.type != "cpu":
                name = name.replace("torch.", f"torch.{self._device.type}.")
            return name
        if isinstance(dtype, str):
            inv = {v: k for k, v in _LEGACY_TYPE_NAMES.items()}
            dev = None
            key = dtype
            if dtype.startswith("torch.cuda."):
                key, dev = "torch." + dtype[len("torch.cuda."):], "cuda"
            if key not in inv:
                raise ValueError(f"invalid type: '{dtype}'")
            return self.to(device=dev, dtype=inv[key])
        if isinstance(dtype, type) and hasattr(dtype, "_dtype"):  # tg.FloatTensor, tg.cuda.FloatTensor etc.
            # a legacy type names a device too: tg.FloatTensor the CPU, tg.cuda.FloatTensor the GPU
            return self.to(device="cuda" if getattr(dtype, "is_cuda", False) else "cpu", dtype=dtype._dtype)
        return self.to(dtype)

    def type_as(self, other: "Tensor") -> "Tensor":
        return self.to(other.dtype)

    # ------------------------------------------------------------------ new_* factories
    def new_tensor(self, data, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
        """A copy of ``data`` with this tensor's dtype and device unless given."""
        from .ops.creation import copy_construct_warning, tensor_from_data
        if isinstance(data, Tensor):
            copy_construct_warning("tensor.new_tensor")
        return tensor_from_data(data, dtype=dtype or self.dtype, device=self._device if device is None else device,
                                requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
        from .ops.creation import _size, full
        return full(_size(size, "new_zeros"), 0, dtype=dtype or self.dtype,
                    device=self._device if device is None else device, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
        from .ops.creation import _size, ones
        # sizes checked under this method's own name, which PyTorch's messages use
        return ones(_size(size, "new_ones"), dtype=dtype or self.dtype,
                    device=self._device if device is None else device, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
        from .ops.creation import _size, empty
        return empty(_size(size, "new_empty"), dtype=dtype or self.dtype,
                     device=self._device if device is None else device, requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False, layout=None,
                 pin_memory=False):
        from .ops.creation import full
        return full(size, fill_value, dtype=dtype or self.dtype, device=self._device if device is None else device,
                    requires_grad=requires_grad)

    def new(self, *args, **kwargs):
        """Legacy ``t.new(2, 3)`` / ``t.new([1, 2])`` / ``t.new()``: this tensor's dtype and device."""
        from .ops.creation import _legacy_construct
        kwargs.setdefault("device", self._device)
        if len(args) == 1 and isinstance(args[0], Tensor):
            if args[0]._data.dtype != self._data.dtype or args[0]._device is not kwargs["device"]:
                raise TypeError(f"expected {self.dtype} on {self._device} (got {args[0].dtype} on {args[0].device})")
            return args[0].detach()
        return _legacy_construct(self.dtype, args, kwargs)

    def bernoulli(self, p=None, *, generator=None):
        from .ops.sampling import bernoulli
        return bernoulli(self, p, generator=generator)

    def multinomial(self, num_samples, replacement=False, *, generator=None):
        from .ops.sampling import multinomial
        return multinomial(self, num_samples, replacement, generator=generator)

    def new_empty_strided(self, size, stride, dtype=None, device=None, requires_grad=False, layout=None,
                          pin_memory=False):
        from .ops.creation import empty_strided
        return empty_strided(size, stride, dtype=dtype or self.dtype, device=self._device if device is None else device,
                             requires_grad=requires_grad)

    def float(self, *, memory_format=None):
        return self.to(_dt.float32) if memory_format is None else self.to(_dt.float32, memory_format=memory_format)

    def double(self, *, memory_format=None):
        return self.to(_dt.float64) if memory_format is None else self.to(_dt.float64, memory_format=memory_format)

    def half(self, *, memory_format=None):
        return self.to(_dt.float16) if memory_format is None else self.to(_dt.float16, memory_format=memory_format)

    def bfloat16(self, *, memory_format=None):
        return self.to(_dt.bfloat16) if memory_format is None else self.to(_dt.bfloat16, memory_format=memory_format)

    def long(self, *, memory_format=None):
        return self.to(_dt.int64) if memory_format is None else self.to(_dt.int64, memory_format=memory_format)

    def int(self, *, memory_format=None):
        return self.to(_dt.int32) if memory_format is None else self.to(_dt.int32, memory_format=memory_format)

    def short(self, *, memory_format=None):
        return self.to(_dt.int16) if memory_format is None else self.to(_dt.int16, memory_format=memory_format)

    def char(self, *, memory_format=None):
        return self.to(_dt.int8) if memory_format is None else self.to(_dt.int8, memory_format=memory_format)

    def byte(self, *, memory_format=None):
        return self.to(_dt.uint8) if memory_format is None else self.to(_dt.uint8, memory_format=memory_format)

    def bool(self, *, memory_format=None):
        return self.to(_dt.bool) if memory_format is None else self.to(_dt.bool, memory_format=memory_format)

    def cfloat(self):
        return self.to(_dt.complex64)

    def cdouble(self):
        return self.to(_dt.complex128)

    def pin_memory(self, device=None):
        return self

    def is_pinned(self, device=None) -> bool:
        return False

    def share_memory_(self):
        """Move the memory into memory shared between processes (see multiprocessing/shared_memory.py);
        a forked child, or a process the tensor is sent to, then reads and writes the same memory."""
        from .multiprocessing.shared_memory import share_tensor_
        return share_tensor_(self)

    def __init_subclass__(cls, **kwargs):
        # multiprocessing's pickler finds reducers by exact class: a subclass (nn.Parameter) defined
        # after ``tensorgraft.multiprocessing`` was imported gets the shared-memory reducer too
        super().__init_subclass__(**kwargs)
        reductions = sys.modules.get("tensorgraft.multiprocessing.reductions")
        if reductions is not None:
            reductions.register(cls)

    # ------------------------------------------------------------------ printing
    def __repr__(self, *, tensor_contents=None) -> str:
        from .printing import tensor_repr
        return tensor_repr(self, tensor_contents)

    __str__ = __repr__

    # Arrays must not try to broadcast a tensor element-wise: ``np_array + tensor`` defers to us.
    __array_priority__ = 1000


def _to_with_format(t, dtype, device, copy, fmt):
    """``to(..., memory_format=)``: PyTorch checks the format before anything changes, copies
    only when the layout (or dtype/device/copy) asks for it, and records ToCopyBackward0."""
    from .memory_layout import check_format_rank, has_format_strides, preserve_format
    from .ops.conversion import convert
    from .ops.tensor_extras import to_memory_format
    check_format_rank(t._data.ndim, fmt)
    if fmt is preserve_format:
        return convert(t, dtype=dtype, device=device, copy=copy)
    moved = convert(t, dtype=dtype, device=device, copy=copy)
    if has_format_strides(moved._data, fmt):
        return moved
    if moved is t:
        return to_memory_format(t, fmt, "ToCopyBackward0")
    # the dtype/device step already recorded ToCopyBackward0; relayout its result in place
    from .device import get_backend
    from .memory_layout import copy_in_format
    moved._data = copy_in_format(get_backend(moved._device).xp, moved._data, fmt)
    return moved


_LEGACY_TYPE_NAMES = {
    _dt.float32: "torch.FloatTensor", _dt.float64: "torch.DoubleTensor", _dt.float16: "torch.HalfTensor",
    _dt.bfloat16: "torch.BFloat16Tensor",
    _dt.int64: "torch.LongTensor", _dt.int32: "torch.IntTensor", _dt.int16: "torch.ShortTensor",
    _dt.int8: "torch.CharTensor", _dt.uint8: "torch.ByteTensor", _dt.bool: "torch.BoolTensor",
    _dt.complex64: "torch.ComplexFloatTensor", _dt.complex128: "torch.ComplexDoubleTensor",
}


_CPP_TYPE_NAMES = {  # numpy name -> the C++ element type PyTorch's messages print
    "float16": "c10::Half", "bfloat16": "c10::BFloat16", "float32": "float", "float64": "double", "int64": "long int", "int32": "int",
    "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool",
    "complex64": "c10::complex<float>", "complex128": "c10::complex<double>",
}

_PY_TYPE_DTYPES = {float: _dt.float64, int: _dt.int64, bool: _dt.bool, complex: _dt.complex128}

_new = object.__new__


def _init(t, data, device):
    t._data = data
    t._device = device
    t._requires_grad = False
    t.grad_fn = None
    t._grad = None
    t._vc = _InferenceVersion((0,)) if _gs.inference else [0]
    t._output_nr = 0
    t._extra = None
    t._base = None


def wrap(data, device=_CPU, cls=Tensor) -> Tensor:
    """Wrap a backend array as a Tensor without copying. The per-op path calls this."""
    if data.__class__ is not _ndarray and isinstance(data, _np_generic):
        data = data[...]  # NumPy hands back scalars from 0-d computations; [...] is the cheapest 0-d view
    t = _new(cls)
    t._data = data
    t._device = device
    t._requires_grad = False
    t.grad_fn = None
    t._grad = None
    t._vc = [0]
    t._output_nr = 0
    t._extra = None
    t._base = None
    return t


def _wrap_in_inference_mode(data, device=_CPU, cls=Tensor) -> Tensor:
    """``wrap`` while some thread is in inference mode (see ``inference_mode_entered``): the same,
    except that tensors made by a thread in inference mode are inference tensors (``_init``
    checks the flag; ``wrap`` inlines the plain case for speed)."""
    if data.__class__ is not _ndarray and isinstance(data, _np_generic):
        data = data[...]
    t = _new(cls)
    _init(t, data, device)
    return t


# Every op calls ``wrap``; a check of the inference flag there would cost every op outside inference
# mode (almost all of them) a few percent on small tensors. Instead, while at least one inference
# mode block is open in any thread, ``wrap`` runs the code of ``_wrap_in_inference_mode`` (swapping
# the code object keeps every module's ``from .tensor import wrap`` binding valid), and the plain
# code again once the last one closes. The thread-local flag inside keeps other threads' tensors
# normal meanwhile.
_PLAIN_WRAP = wrap.__code__
_inference_blocks = 0
_inference_lock = threading.Lock()


def inference_mode_entered() -> None:
    global _inference_blocks
    with _inference_lock:
        _inference_blocks += 1
        if _inference_blocks == 1:
            wrap.__code__ = _wrap_in_inference_mode.__code__


def inference_mode_exited() -> None:
    global _inference_blocks
    with _inference_lock:
        _inference_blocks -= 1
        if _inference_blocks == 0:
            wrap.__code__ = _PLAIN_WRAP


def wrap_view(data, base: Tensor) -> Tensor:
    """A tensor viewing ``base``'s memory: shares its version counter, so an in-place change
    through either is seen by the autograd engine's saved-tensor checks."""
    t = wrap(data, base._device)
    t._vc = base._vc
    t._base = base._base if base._base is not None else base
    if base._extra is not None and base._extra.multi_view_nr is not None:
        t._hooks().multi_view_nr = 0  # a view of a multi-output view inherits its restriction
    return t


def _dim_argument(dim, what):
    """``size(dim)``/``stride(dim)``'s dim as an int (a NumPy or one-element integer tensor is one);
    anything else is PyTorch's TypeError."""
    import operator
    try:
        return operator.index(dim)
    except TypeError:
        raise TypeError(f"{what}(): argument 'dim' (position 1) must be int, not {type(dim).__name__}") from None


def _wrap_dim(dim, ndim: int, what: str = "dim") -> int:
    if ndim == 0 and what in ("size", "stride"):
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim + n if dim < 0 else dim
