"""Tensor's autograd-facing state: ``requires_grad``, ``grad`` (and its checks on assignment),
``is_leaf``, ``data``, ``detach``, ``backward``, tensor hooks, ``retain_grad``, ``_version``,
``as_subclass`` (which records an alias node) and ``_make_subclass`` (which makes a leaf).

The engine itself is a separate package (tensorgraft-autograd); these methods reach it through
``Tensor._autograd`` and say so when it is not installed. Set on ``Tensor`` by ``tensor.py`` (see
``adopt_methods`` there), not inherited: they stay in the class's own dict.
"""
from __future__ import annotations

from .dtypes import CPP_TYPE_NAMES as _CPP_TYPE_NAMES, np_kind
from .grad_mode import state as _gs
from .tensor import Tensor, _Hooks, _InferenceVersion, _new, wrap
from tensorgraft.argument_errors import c_type_name


def _autograd_missing(what: str):
    raise RuntimeError(
        f"{what} needs the autograd engine, which is not installed. "
        "Install it with: pip install tensorgraft-autograd")




# the C++ element types PyTorch's messages name (typeid names on Linux), unsigned ones included
_CPP_UNSIGNED = {"uint16": "short unsigned int", "uint32": "unsigned int", "uint64": "long unsigned int"}


def _cpp_type_name(np_dtype) -> str:
    name = np_dtype.name
    return _CPP_TYPE_NAMES.get(name) or _CPP_UNSIGNED.get(name, name)


def _leaf_only_message(requires_grad: bool) -> str:
    """PyTorch's refusal to change requires_grad on a non-leaf; turning it off gets a hint."""
    msg = "you can only change requires_grad flags of leaf variables."
    if not requires_grad:
        msg += (" If you want to use a computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach().")
    return msg


def _python_type_name(value) -> str:
    """A value's type as PyTorch's argument errors print it (its C ``tp_name``: ``numpy.bool``)."""
    cls = type(value)
    return f"numpy.{cls.__name__}" if cls.__module__ == "numpy" else cls.__name__


def alias_into(target: Tensor, source: Tensor) -> None:
    """Make ``target`` (a new, uninitialised instance) an alias of ``source``: its memory, version
    counter and place in the graph (an AliasBackward0 node), as ``as_subclass`` and the legacy
    constructor ``torch.Tensor(t)`` make them in PyTorch."""
    from .ops.tensor_extras import _alias
    from .tensor import _init
    out = _alias.frontend(source)
    _init(target, out._data, source._device)
    target._vc, target._base = out._vc, out._base
    target.grad_fn, target._requires_grad, target._output_nr = out.grad_fn, out._requires_grad, out._output_nr
    if out.grad_fn is None and source._requires_grad:
        target._requires_grad = True  # a leaf stays a leaf that requires grad (or no graph is recorded)


class AutogradMethods:
    """Copied onto ``Tensor`` by ``tensor.adopt_methods``; never instantiated or inherited."""

    def as_subclass(self, cls) -> "Tensor":
        """This tensor's data as an instance of ``cls`` (a Tensor subclass), in the same graph
        (PyTorch records an alias node)."""
        if not (isinstance(cls, type) and issubclass(cls, Tensor)):
            raise TypeError("Creating a Tensor subclass from a class that does not inherit from Tensor is not "
                            "possible. Make sure your class inherits from Tensor.")
        sub = _new(cls)
        alias_into(sub, self)
        return sub

    @staticmethod
    def _make_subclass(cls, data, require_grad=False, dispatch_strides=False, dispatch_device=False,
                       dispatch_layout=False, _extra_dispatch_keys=None, storage_size=None):
        """A new leaf of type ``cls`` sharing ``data``'s memory and version counter, outside its
        graph (how subclass constructors and ``nn.Parameter`` are written in PyTorch). The
        ``dispatch_*`` flags concern PyTorch's C++ dispatcher and change nothing here."""
        if not (isinstance(cls, type) and issubclass(cls, Tensor)):
            raise TypeError(f"cls must be a type (got {type(cls).__name__})" if not isinstance(cls, type) else
                            "Creating a Tensor subclass from a class that does not inherit from Tensor is not "
                            "possible. Make sure your class inherits from Tensor.")
        if not isinstance(data, Tensor):
            raise TypeError(f"_make_subclass(): argument 'data' (position 2) must be Tensor, not {c_type_name(data)}")
        sub = wrap(data._data, data._device, cls)
        sub._vc = data._vc
        if require_grad:
            from ._C import DisableTorchFunctionSubclass
            with DisableTorchFunctionSubclass():  # the subclass is not finished being made
                sub.requires_grad_(True)
        return sub

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value) -> None:
        # PyTorch's attribute takes only a bool, and on a leaf only (either value); its checks word
        # things differently from requires_grad_()'s
        if value.__class__ is not bool:
            raise RuntimeError("requires_grad must be a bool")
        if self.grad_fn is not None:
            raise RuntimeError(_leaf_only_message(value))
        if value and self._data.dtype.kind not in "fc" and np_kind(self._data.dtype) != "f" \
                and Tensor._autograd is not None:
            raise RuntimeError("only Tensors of floating point and complex dtype can require gradients")
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        if requires_grad.__class__ is not bool:  # (PyTorch's parser refuses 1, None, numpy bools ...)
            raise TypeError("requires_grad_(): argument 'requires_grad' (position 1) must be bool, not "
                            f"{_python_type_name(requires_grad)}")
        if requires_grad:
            if Tensor._autograd is None:
                _autograd_missing("requires_grad=True")
            if self._data.dtype.kind not in "fc" and np_kind(self._data.dtype) != "f":  # (ml_dtypes' floats: kind V)
                raise RuntimeError("only Tensors of floating point dtype can require gradients")
            if self._vc.__class__ is _InferenceVersion and not _gs.inference:
                raise RuntimeError("Setting requires_grad=True on inference tensor outside InferenceMode is not allowed.")
        elif self.grad_fn is not None:
            raise RuntimeError(_leaf_only_message(False))
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
                "by mistake, make sure you access the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 for "
                "more information.", UserWarning, stacklevel=2)
        return g

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type {type(value).__name__}")
            allowed = ... if self._extra is None else self._extra.grad_dtype  # (see grad_dtype below)
            allowed = self._data.dtype if allowed is ... else allowed if allowed is None else allowed.np
            if allowed is not None and value._data.dtype != allowed:
                # PyTorch names the gradient's C++ element type and the grad_dtype's ScalarType
                from .ops._frontend import _type_name
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{_cpp_type_name(value._data.dtype)}' to a "
                    f"tensor with grad_dtype '{_type_name(allowed)}'. The gradient must match the tensor's "
                    "grad_dtype (defaults to the tensor's dtype). You can set the tensor's grad_dtype attribute with a "
                    "specific dtype, or None to allow any dtype. Set grad_dtype with caution. Diverging the dtypes of "
                    "a tensor and its gradient may break downstream systems that assume they match.")
            if value._data.shape != self._data.shape:
                raise RuntimeError(f"attempting to assign a gradient of size '{list(value._data.shape)}' to a tensor of "
                                   f"size '{list(self._data.shape)}'. Please ensure that the gradient and the tensor "
                                   "are the same size")
            if value._device.type != self._device.type:
                raise RuntimeError(f"attempting to assign a gradient with device type '{value._device.type}' to a "
                                   f"tensor with device type '{self._device.type}'. Please ensure that the gradient "
                                   "and the tensor are on the same device")
            if value._device != self._device:  # (the same type, another index: cuda:1 for cuda:0)
                raise RuntimeError(f"assigned grad has data located on a different device: got {value.device}, "
                                   f"expected {self.device}")
        self._grad = value

    @grad.deleter
    def grad(self) -> None:
        self._grad = None

    @property
    def grad_dtype(self):
        """The dtype of ``grad`` this leaf allows: its own dtype by default, None for any; when set,
        the autograd engine casts incoming gradients to it. Leaves only."""
        if self.grad_fn is not None:
            raise RuntimeError("grad_dtype can only be accessed on leaf tensors.")
        chosen = ... if self._extra is None else self._extra.grad_dtype
        return self.dtype if chosen is ... else chosen

    @grad_dtype.setter
    def grad_dtype(self, value) -> None:
        from .dtypes import dtype as _dtype
        if self.grad_fn is not None:
            raise RuntimeError("grad_dtype can only be set on leaf tensors.")
        if value is not None and not isinstance(value, _dtype):
            raise RuntimeError(f"grad_dtype must be a torch.dtype or None, but got {type(value).__name__}")
        g = self._grad
        if value is not None and g is not None and g._data.dtype != value.np:
            # a gradient already stored keeps its dtype: PyTorch asks for it to be cleared first
            from .ops._frontend import _type_name
            raise RuntimeError(
                f"Cannot set grad_dtype to '{_type_name(value.np)}' because there is already a gradient with dtype "
                f"'{_cpp_type_name(g._data.dtype)}'. Please clear the gradient (.grad = None) before changing "
                "grad_dtype, or ensure the new grad_dtype matches the existing gradient's dtype.")
        self._hooks().grad_dtype = value

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
        # PyTorch's ``set_data``: any shape and dtype, but the same kind of tensor (device type and
        # layout), and a tensor that requires grad keeps a dtype that can
        if not isinstance(value, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(value).__name__}")
        if value._device.type != self._device.type or value.is_sparse != self.is_sparse:
            raise RuntimeError("Attempted to call `variable.set_data(tensor)`, but `variable` and `tensor` have "
                               "incompatible tensor type.")
        if self._requires_grad and value._data.dtype.kind not in "fc" and np_kind(value._data.dtype) != "f":
            raise RuntimeError("data set to a tensor that requires gradients must be floating point or complex dtype")
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
        if self._base is not None or self._extra is not None:
            from .storage import storage_base
            root = storage_base(self)
            if root is not self:  # not a view for autograd, but the same place in memory (storage_offset())
                t._hooks().storage_root = root
            if self._extra is not None and self._extra.empty_layout is not None:
                t._hooks().empty_layout = self._extra.empty_layout  # (an empty view's place: empty_views.py)
        return t

    def detach_(self) -> "Tensor":
        if _gs.inference:
            # PyTorch's detach_ is an autograd kernel, which inference mode skips: nothing changes
            return self
        # any view, whatever its base requires (PyTorch refuses ``torch.arange(3)[1:].detach_()``)
        if self._base is not None:
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
