"""``nn.Parameter``: a Tensor that a Module registers as a learnable weight; ``UninitializedParameter``
and ``UninitializedBuffer``, the shapeless placeholders of lazy modules."""
from __future__ import annotations

import weakref
from tensorgraft.argument_errors import c_type_name

from tensorgraft import _C
from tensorgraft.tensor import Tensor, wrap
from tensorgraft.dtypes import np_kind as _np_kind


class _ParameterMeta(type):
    """``isinstance(t, nn.Parameter)`` is also True for a tensor of a custom Tensor subclass that
    ``nn.Parameter(...)`` marked (``_is_param``), as in PyTorch: Modules register it as a parameter."""

    def __instancecheck__(cls, instance):
        if cls is Parameter and isinstance(instance, Tensor) and instance.__dict__.get("_is_param", False):
            return True
        return super().__instancecheck__(instance)


class Parameter(Tensor, metaclass=_ParameterMeta):
    """A leaf tensor that requires grad by default and shares memory with ``data``."""

    __slots__ = ()
    # ops on a Parameter return plain tensors and need no dispatch (PyTorch's choice too)
    __torch_function__ = _C._disabled_torch_function_impl

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            from tensorgraft.ops.creation import empty
            data = empty(0)
        if not isinstance(data, Tensor):
            # PyTorch detaches ``data`` first: anything but a tensor fails on that
            raise AttributeError(f"'{type(data).__name__}' object has no attribute 'detach'")
        if type(data) is not Tensor and not issubclass(type(data), Parameter):
            # a custom Tensor subclass keeps its class (its ``__torch_function__`` goes on working),
            # marked as a parameter, as PyTorch does: a detached leaf of the same memory
            t = data.detach().requires_grad_(requires_grad)
            t._is_param = True
            return t
        if requires_grad and _np_kind(data._data.dtype) not in "fc":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        p = wrap(data._data, data._device, cls=cls)
        p._vc = data._vc
        from tensorgraft.storage import storage_base
        root = storage_base(data)
        if root is not data:  # (a leaf of the same memory: storage_offset() as the data's)
            p._hooks().storage_root = root
        if requires_grad:
            p.requires_grad_(True)
        return p

    def __init__(self, data=None, requires_grad=True):
        pass

    def __repr__(self):
        return "Parameter containing:\n" + Tensor.__repr__(self)

    __str__ = __repr__

    def __reduce_ex__(self, proto):
        # the Python attributes set on the parameter travel too, as PyTorch's do
        # (the detached tensor pickles as Tensor does: a view keeps its whole storage and offset)
        return (_rebuild_parameter, (self.detach(), self._requires_grad), self.__dict__ or None)

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        from tensorgraft.grad_mode import no_grad
        with no_grad():
            p = Parameter(wrap(self._data.copy(), self._device), self._requires_grad)
        memo[id(self)] = p
        if self.__dict__:
            import copy
            p.__dict__.update(copy.deepcopy(self.__dict__, memo))
        return p


def _rebuild_parameter(data, requires_grad):
    p = Parameter(data, requires_grad)
    root = data._extra.storage_root if data._extra is not None else None
    if root is not None and (p._extra is None or p._extra.storage_root is None):
        p._hooks().storage_root = root  # a parameter that viewed part of its storage keeps its offset
    return p


class Buffer(Tensor):
    """``nn.Buffer(tensor, persistent=True)``: a tensor marked to register as a buffer when assigned
    to a Module attribute. It prints and computes as the tensor it wraps (sharing its memory and
    version counter); the Module stores a plain Tensor view of the same memory."""

    __torch_function__ = _C._disabled_torch_function_impl

    __slots__ = ("persistent",)

    def __new__(cls, data, *, persistent=True):
        if not isinstance(data, Tensor):
            raise TypeError(f"Buffer(): argument 'data' must be Tensor, not {c_type_name(data)}")
        b = wrap(data._data, data._device, cls=cls)
        b._vc = data._vc
        if data._requires_grad:
            b.requires_grad_(True)
        b.persistent = persistent
        return b

    def __init__(self, data, *, persistent=True):
        pass

    def __repr__(self):  # PyTorch's Buffer is a plain Tensor, and prints as one
        return repr(self.as_plain_tensor())

    __str__ = __repr__

    def as_plain_tensor(self) -> Tensor:
        """The registered form: a plain Tensor over the same memory and version counter."""
        t = wrap(self._data, self._device)
        t._vc = self._vc
        if self._requires_grad:
            t.requires_grad_(True)
        return t


# PyTorch lets these through its ``__torch_function__`` on an uninitialized tensor (dtype and
# device moves, the predicates the Module machinery asks); every other method raises.
_ALLOWED_METHODS = frozenset({
    "size", "copy_", "is_complex", "is_floating_point", "half", "float", "double", "char", "short", "int", "long",
    "cuda", "cpu", "to", "get_device", "materialize", "share_memory_",
})
# operators bypass ``__getattribute__``; PyTorch names the method they dispatch to
_OPERATORS = {"__add__": "add", "__radd__": "add", "__sub__": "sub", "__rsub__": "rsub", "__mul__": "mul",
              "__rmul__": "mul", "__truediv__": "div", "__rtruediv__": "div", "__matmul__": "matmul",
              "__rmatmul__": "matmul", "__neg__": "neg", "__pow__": "pow", "__getitem__": "__getitem__"}


def _uninitialized_error(cls, name):
    return ValueError(
        f"Attempted to use an uninitialized parameter in <method '{name}' of 'torch._C.TensorBase' objects>. "
        "This error happens when you are using a `LazyModule` or explicitly manipulating "
        f"`torch.nn.parameter.{cls.__name__}` objects. When using LazyModules Call `forward` with a dummy batch "
        "to initialize the parameters before calling torch functions")


def _make_operator(dunder, name):
    def op(self, *args, **kwargs):
        raise _uninitialized_error(type(self), name)
    op.__name__ = dunder
    return op


class UninitializedTensorMixin:
    """A tensor whose shape is not known yet (a lazy module's weight before its first forward).
    It holds an empty array that only records the device and dtype to create it with;
    ``materialize(shape)`` gives it memory and turns it into ``cls_to_become`` in place, so every
    reference to it (a module's, an optimizer's) sees the real tensor afterwards."""

    __slots__ = ()
    cls_to_become = Tensor
    # its refusals come from __getattribute__ below, not from __torch_function__ dispatch
    __torch_function__ = _C._disabled_torch_function_impl

    def __getattribute__(self, name):
        # only the uninitialized classes pay for this: materialize() swaps the class away
        if name[0] != "_" and name not in _ALLOWED_METHODS:
            attr = getattr(type(self), name, None)
            if attr is not None and callable(attr) and not isinstance(attr, type):
                raise _uninitialized_error(type(self), name)
        return object.__getattribute__(self, name)

    for _dunder, _name in _OPERATORS.items():
        locals()[_dunder] = _make_operator(_dunder, _name)
    del _dunder, _name

    def materialize(self, shape, device=None, dtype=None):
        """Give the tensor ``shape`` (uninitialized memory, on its device and dtype unless
        ``device``/``dtype`` are given) and make it a regular ``cls_to_become``."""
        from tensorgraft.ops.creation import empty
        if device is None:
            device = self._device
        if dtype is None:
            dtype = self.dtype
        new = empty(shape, device=device, dtype=dtype)
        self._data = new._data
        self._device = new._device
        self._vc[0] += 1
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(
            "Can't access the shape of an uninitialized parameter or buffer. This error usually happens in "
            "`load_state_dict` when trying to load an uninitialized parameter into an initialized one. Call "
            "`forward` to initialize the parameters before accessing their attributes.")

    def share_memory_(self):
        raise RuntimeError("Can't share memory on an uninitialized parameter or buffer. Call `forward` to "
                           "initialize the parameters before calling `module.share_memory()`.")

    def to(self, *args, **kwargs):
        # a dtype/device move stays uninitialized (Module.to on a lazy module is remembered)
        moved = Tensor.to(self, *args, **kwargs)
        if moved is self:
            return self
        return self._like(moved)

    def __repr__(self):
        return f"<{type(self).__name__}>"

    __str__ = __repr__

    def __reduce_ex__(self, proto):
        return (type(self), (self._requires_grad,))

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = self._like(self)
        return memo[id(self)]


def is_lazy(param):
    """Whether ``param`` is an ``UninitializedParameter`` or ``UninitializedBuffer``."""
    return isinstance(param, UninitializedTensorMixin)


def _empty_like_spec(device, dtype):
    from tensorgraft.ops.creation import empty
    return empty(0, device=device, dtype=dtype)


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A ``Parameter`` of unknown shape; ``device``/``dtype`` are those it will be materialized with."""

    __slots__ = ()
    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        data = _empty_like_spec(device, dtype)
        p = wrap(data._data, data._device, cls=cls)
        if requires_grad:
            Tensor.requires_grad_(p, True)   # the bound method is refused on an uninitialized tensor
        return p

    def __init__(self, requires_grad=True, device=None, dtype=None):
        pass

    def _like(self, t):
        return UninitializedParameter(self._requires_grad, t._device, t.dtype)


# the ``persistent`` flag of each UninitializedBuffer, by id (tensors have fixed slots and no
# __dict__; a WeakKeyDictionary would compare tensors with their elementwise ``==``)
_persistent = {}


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer of unknown shape; ``device``/``dtype`` are those it will be materialized with."""

    __slots__ = ()
    cls_to_become = Tensor

    def __new__(cls, requires_grad=False, device=None, dtype=None, persistent=True):
        data = _empty_like_spec(device, dtype)
        b = wrap(data._data, data._device, cls=cls)
        if requires_grad:
            Tensor.requires_grad_(b, True)
        _persistent[id(b)] = persistent
        weakref.finalize(b, _persistent.pop, id(b), None)
        return b

    def __init__(self, requires_grad=False, device=None, dtype=None, persistent=True):
        pass

    @property
    def persistent(self):
        return _persistent.get(id(self), True)

    def _like(self, t):
        return UninitializedBuffer(self._requires_grad, t._device, t.dtype, self.persistent)
