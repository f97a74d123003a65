"""The Tensor: an array (NumPy or CuPy), its device, and the autograd bookkeeping.

Most methods (``add``, ``sum``, ``view``, ``__add__`` ...) are not written here: they are bound
from the op registry when ops are registered (``ops/_frontend/``), so an op is defined once and
appears both as ``tensorgraft.<name>`` and as ``Tensor.<name>``. This file holds the tensor object
itself: its slots, ``wrap`` (which every op calls), the basic properties and printing. The rest of
its own methods are grouped by concern next to it and set on the class at the end of this file:

- ``_tensor_memory.py``: strides, contiguity, storages, ``set_``/``resize_``, shared memory;
- ``_tensor_host.py``: ``item``/``tolist``/``numpy``, Python number conversions, ``__array__``, DLPack;
- ``_tensor_autograd.py``: ``requires_grad``, ``grad``, ``detach``, ``backward``, hooks;
- ``_tensor_conversions.py``: ``to``, ``cpu``/``cuda``, ``type``, ``float()``/``long()`` ...;
- ``_tensor_factories.py``: ``new_zeros``/``new_tensor`` ... and ``bernoulli``/``multinomial``.
"""
from __future__ import annotations

import numpy as np

import operator
import sys
import threading
from types import FunctionType

from . import _C
from .argument_errors import c_type_name
from . import dtypes as _dt
from .device import device as _device_cls
from .grad_mode import state as _gs

__all__ = ["Tensor", "Size", "wrap"]

_CPU = _device_cls("cpu")
_BY_NP = _dt._BY_NUMPY
_BF16 = _dt.BF16

_ndarray = np.ndarray
_default_torch_function = None  # overrides/_dispatch.py's, imported the first time a subclass needs it
_np_generic = np.generic


def _size_item(x, k: int) -> int:
    if x.__class__ is int:
        return x
    try:
        return operator.index(x)
    except TypeError:
        raise TypeError(f"torch.Size() takes an iterable of 'int' (item {k} is '{type(x).__name__}')") from None


class Size(tuple):
    """``tensorgraft.Size``: a tuple of dimension sizes, printed like PyTorch's."""

    __module__ = "tensorgraft"  # (as Tensor's)

    __slots__ = ()

    def __new__(cls, sizes=()):
        # each item made an int as PyTorch's does (NumPy integers, 0-d tensors, True -> 1), a float
        # refused; tensorgraft's own shapes come through ``_size`` without the check
        t = tuple.__new__(cls, sizes)
        for s in t:
            if s.__class__ is not int:
                return tuple.__new__(cls, [_size_item(x, k) for k, x in enumerate(t)])
        return t

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
        return Size(tuple.__add__(self, other))  # (checked: ``shape + (tensor(1),)`` holds ints)

    def __radd__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple.__add__(other, self))

    def __mul__(self, n):
        return Size(tuple.__mul__(self, n))

    __rmul__ = __mul__


def _size(shape: tuple) -> Size:
    """A Size of a shape tensorgraft made (Python ints already): without ``Size.__new__``'s check."""
    return tuple.__new__(Size, shape)


class _Hooks:
    """Rarely used per-tensor state kept out of the hot slots."""

    __slots__ = ("hooks", "post_accumulate_hooks", "retains_grad", "grad_accumulator", "name", "multi_view_nr",
                 "storage_root", "no_grad_view", "empty_layout", "grad_dtype")

    def __init__(self):
        self.hooks = None
        self.post_accumulate_hooks = None
        self.retains_grad = False
        self.grad_accumulator = None
        self.name = None
        # Set on a recorded output of unbind/split/chunk (its output number) and on views of it
        # (0): PyTorch refuses in-place writes to these (ops/_frontend.check_multi_view_inplace).
        self.multi_view_nr = None
        # The tensor whose memory start storage_offset() counts from, for tensors sharing memory without being
        # autograd views (``_base`` None): detach() of a view, set_() onto a tensor or storage (PyTorch's too)
        self.storage_root = None
        # A view made while grad mode was off of a tensor that requires grad (see ``wrap_view``)
        self.no_grad_view = False
        # ``(storage offset, strides)`` PyTorch gives an empty view, which NumPy drops (empty_views.py)
        self.empty_layout = None
        # a leaf's ``grad_dtype``: ``...`` its own (default), None any, else the dtype gradients are cast to
        self.grad_dtype = ...


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


class Tensor:
    # shown as PyTorch shows its class (<class 'torch.Tensor'>), by the name users import it under;
    # pickles then refer to ``tensorgraft.Tensor``, the same object
    __module__ = "tensorgraft"
    # ``__dict__``: Python attributes set on a tensor (``p.no_weight_decay = True``), as PyTorch
    # tensors take them; allocated only when one is set, so it costs a pointer per tensor
    __slots__ = ("_data", "_device", "_requires_grad", "grad_fn", "_grad", "_vc", "_output_nr",
                 "_extra", "_base", "__weakref__", "__dict__")

    # Set by the autograd engine when it loads; None means "not installed".
    _autograd = None

    def __init__(self, *args, **kwargs):
        # ``Tensor(2, 3)``, ``Tensor([1., 2.])``, ``Tensor(t)``: PyTorch's legacy constructor
        from .ops.creation.legacy import construct_into
        construct_into(self, args, kwargs)

    # ------------------------------------------------------------------ basic properties
    @property
    def shape(self) -> Size:
        return _size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        if dim.__class__ is not int:
            dim = _dim_argument(dim, "size")
        return self._data.shape[_wrap_dim(dim, self._data.ndim, "size")]


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

    # Layouts and devices tensorgraft never makes: PyTorch's flags, always False here
    # (``is_sparse`` and ``layout``, for sparse COO tensors, are set by ops/sparse_coo.py).
    is_sparse_csr = is_quantized = is_nested = is_mkldnn = property(lambda self: False)
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
        _check_part_value(real(self), value)
        set_part(real, self, value)

    @property
    def imag(self) -> "Tensor":
        """The imaginary parts as a writable view; complex tensors only, as PyTorch."""
        from .ops.complex import imag
        return imag(self)

    @imag.setter
    def imag(self, value) -> None:
        from .ops.complex import imag, set_part
        _check_part_value(imag(self), value)
        set_part(imag, self, value)


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


    @property
    def output_nr(self) -> int:
        """Which output of its graph node this tensor is (0 for leaves and single outputs)."""
        return self._output_nr


    def is_floating_point(self) -> bool:
        d = self._data.dtype
        return d.kind == "f" or d is _BF16 or _dt.np_kind(d) == "f"  # (ml_dtypes' bfloat16 and 8-bit floats)

    def is_complex(self) -> bool:
        return self._data.dtype.kind == "c"


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

    def __reduce_ex__(self, protocol):
        # As PyTorch: pickle and ``copy.copy`` make a new leaf with the values, requires_grad and
        # Python attributes (``__dict__`` and a subclass's slots); grad, graph node and hooks stay
        # behind. (The default protocol would take every slot: a non-leaf's node, which cannot be
        # pickled, a copied grad.) ``copy.copy`` shares the memory, as there. A view (``x[1:]``,
        # ``x[::2]``) is pickled as PyTorch pickles it: its whole storage, its offset and strides.
        if self._device.type == "cpu":
            from .storage import rebuild_view, view_in_storage
            view = view_in_storage(self)
            if view is not None:
                return (rebuild_view, (type(self), *view, self._device, self._requires_grad),
                        _object_state(self))
        # (a fresh view of a NumPy array: two tensor objects over one array pickle as two arrays, as
        # PyTorch's two storage wrappers do; pickle's memo still makes one tensor saved twice one tensor.
        # Sparse layouts' data objects pickle as they are.)
        data = self._data
        if data.__class__ is np.ndarray:
            data = data.view()
        return _rebuild_leaf, (type(self), data, self._device, self._requires_grad), _object_state(self)

    def __deepcopy__(self, memo):
        # as PyTorch: a tensor computed by a recorded op is refused (its copy would share the graph);
        # a leaf is copied with its grad and Python attributes
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                               "protocol at the moment.  If you were attempting to deepcopy a module, this may be "
                               "because of a torch.nn.utils.weight_norm usage, see "
                               "https://github.com/pytorch/pytorch/pull/103001")
        import copy
        from ._tensor_memory import deepcopy_memory
        data, root = deepcopy_memory(self, memo)
        new = _rebuild_leaf(type(self), data, self._device, self._requires_grad)
        if root is not None:  # a view: it stays one into the copied memory (storage_offset() as before)
            new._hooks().storage_root = root
        memo[id(self)] = new
        if self._grad is not None:
            new._grad = copy.deepcopy(self._grad, memo)
        state = _object_state(self)
        if state is not None:
            _set_object_state(new, copy.deepcopy(state, memo))
        return new

    def __invert__(self):
        # ``~t`` refuses a float or complex tensor in the words of Python's operator, as PyTorch's
        # does; ``t.bitwise_not()`` names its kernel instead
        if self._data.dtype.kind not in "biu":
            raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
        return self.bitwise_not()


    # ------------------------------------------------------------------ autograd-facing state

    # ------------------------------------------------------------------ dtype / device moves

    # ------------------------------------------------------------------ new_* factories


    def __init_subclass__(cls, **kwargs):
        # multiprocessing's pickler finds reducers by exact class: a subclass (nn.Parameter) defined
        # after ``tensorgraft.multiprocessing`` was imported gets the shared-memory reducer too
        super().__init_subclass__(**kwargs)
        reductions = sys.modules.get("tensorgraft.multiprocessing.reductions")
        if reductions is not None:
            reductions.register(cls)
        # a subclass whose ops must return the subclass (or reach its own __torch_function__) turns
        # on dispatch for the process; one that opts out (nn.Parameter) leaves ops unwrapped
        if getattr(cls, "__torch_function__", None) is not _C._disabled_torch_function_impl:
            _C.activate_dispatch()

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        """What a subclass inherits: ``func`` runs as on plain tensors and its tensor results come
        back as ``cls`` (NotImplemented when another overriding argument's type is not a base of
        ``cls``). Overriding it is how a subclass changes what ops do (``tensorgraft.overrides``)."""
        global _default_torch_function
        if _default_torch_function is None:
            from .overrides._dispatch import default_torch_function as _default_torch_function
        return _default_torch_function(cls, func, types, args, kwargs)

    # ------------------------------------------------------------------ printing
    def __repr__(self, *, tensor_contents=None) -> str:
        from .printing import tensor_repr
        return tensor_repr(self, tensor_contents)

    __str__ = __repr__

    # Arrays must not try to broadcast a tensor element-wise: ``np_array + tensor`` defers to us.
    __array_priority__ = 1000


_new = object.__new__


def _rebuild_leaf(cls, data, device, requires_grad) -> Tensor:
    """A leaf of type ``cls`` over ``data`` (what ``Tensor.__reduce_ex__`` rebuilds from)."""
    t = wrap(data, device, cls)
    t._requires_grad = bool(requires_grad)  # (set directly: it required grad where it was pickled)
    return t


_TENSOR_SLOTS = frozenset(Tensor.__slots__)


def _object_state(t):
    """A tensor's Python attributes as pickle's state: its ``__dict__``, and with it the slots a
    subclass declares (``(dict, slots)``, the form pickle and copy set back); None if none."""
    d = t.__dict__ or None
    if type(t) is Tensor:
        return d
    import copyreg
    slots = {}
    for name in copyreg._slotnames(type(t)):
        if name not in _TENSOR_SLOTS and not name.startswith("__"):
            try:
                slots[name] = getattr(t, name)
            except AttributeError:  # (a slot never set)
                pass
    return (d, slots) if slots else d


def _set_object_state(t, state) -> None:
    d, slots = state if isinstance(state, tuple) else (state, None)
    if d:
        t.__dict__.update(d)
    for name, value in (slots or {}).items():
        setattr(t, name, value)


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
    if base._extra is not None:
        if base._extra.multi_view_nr is not None:
            t._hooks().multi_view_nr = 0  # a view of a multi-output view inherits its restriction
        if base._extra.empty_layout is not None and not data.size:
            # (a view of an empty view starts where it does; an op that moves the start records its own)
            t._hooks().empty_layout = (base._extra.empty_layout[0], None)
    if base._requires_grad and not _gs.enabled:
        # PyTorch: a view made while nothing records still requires grad, as its base does: a leaf
        # whose gradient reaches nothing (ops on it record nodes without an edge to it), and which may
        # not be written in place once recording is on again (ops/_frontend.check_inplace_allowed)
        t._requires_grad = True
        t._hooks().no_grad_view = True
    return t


def _check_part_value(part, value) -> None:
    """``t.real = value`` / ``t.imag = value`` take a tensor or a Python number (a NumPy integer
    too); anything else is PyTorch's TypeError naming the part's legacy type."""
    if isinstance(value, (Tensor, int, float, complex)) or isinstance(value, np.integer):
        return
    cls = type(value)
    name = f"numpy.{cls.__name__}" if cls.__module__ == "numpy" else cls.__name__  # (its C tp_name)
    raise TypeError(f"can't assign a {name} to a {_LEGACY_TYPE_NAMES.get(part.dtype, 'torch.Tensor')}")


def _dim_argument(dim, what):
    """``size(dim)``/``stride(dim)``'s dim as an int (a NumPy or one-element integer tensor is one);
    anything else is PyTorch's TypeError."""
    import operator
    if dim.__class__ is bool:  # PyTorch's parser takes no bool for an int argument
        raise TypeError(f"{what}(): argument 'dim' (position 1) must be int, not bool")
    try:
        return operator.index(dim)
    except TypeError:
        raise TypeError(f"{what}(): argument 'dim' (position 1) must be int, not {c_type_name(dim)}") from None


def _wrap_dim(dim, ndim: int, what: str = "dim") -> int:
    if ndim == 0 and what in ("size", "stride"):
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim + n if dim < 0 else dim


# --------------------------------------------------------------------------- the rest of Tensor's methods
def adopt_methods(namespace: type) -> None:
    """Copy the methods and properties written in ``namespace``'s class body onto ``Tensor``.

    They are written in a class body (``_tensor_*.py``), as they were in Tensor's own, so that
    methods named ``float``, ``int``, ``bool`` and ``type`` do not hide the builtins from the code
    around them.

    Not mixin base classes: a method in Tensor's own dict is found at the first step of every
    attribute lookup (``t.dim()``, ``t.dtype`` run per op), the MRO that subclasses and
    ``isinstance`` see stays ``(Tensor, object)``, and the op registry's ``name in
    Tensor.__dict__`` checks see them as before. Each function is renamed ``Tensor.<name>`` (and
    reports ``tensorgraft.tensor`` as its module) as when it was written in Tensor's body:
    Python words argument errors with that name (``Tensor.new_full() missing 1 required
    positional argument``)."""
    for name, attr in vars(namespace).items():
        if isinstance(attr, property):
            parts = (attr.fget, attr.fset, attr.fdel)
        elif isinstance(attr, FunctionType):
            parts = (attr,)
        elif isinstance(attr, staticmethod):  # ``Tensor._make_subclass``
            parts = (attr.__func__,)
        else:
            continue  # the class's own bookkeeping (__module__, __doc__, __dict__ ...)
        for f in parts:
            if f is None:
                continue
            qualname = f"Tensor.{f.__name__}"
            if hasattr(f.__code__, "co_qualname"):  # Python 3.11+ (3.10 reads the function's __qualname__)
                f.__code__ = f.__code__.replace(co_qualname=qualname)
            f.__qualname__ = qualname
            f.__module__ = __name__
        setattr(Tensor, name, attr)


# Imported last: these modules import Tensor, wrap and the helpers above from this one.
from . import _tensor_autograd, _tensor_conversions, _tensor_factories, _tensor_host, _tensor_memory  # noqa: E402

for _namespace in (_tensor_memory.MemoryMethods, _tensor_host.HostMethods, _tensor_autograd.AutogradMethods,
                   _tensor_conversions.ConversionMethods, _tensor_factories.FactoryMethods):
    adopt_methods(_namespace)
del _namespace

# Names other modules import from here (storage.py, ops/, the autograd engine ...), defined with
# the methods that use them.
from ._tensor_autograd import _CPP_TYPE_NAMES, _autograd_missing  # noqa: E402, F401
from ._tensor_conversions import (  # noqa: E402, F401
    _LEGACY_TYPE_NAMES, _PY_TYPE_DTYPES, _TO_OVERLOADS, _check_to_positionals, _to_with_format)
from ._tensor_host import _NUMPY_OF_GRAD, _bfloat16_to_numpy, _warn_scalar_of_grad  # noqa: E402, F401
