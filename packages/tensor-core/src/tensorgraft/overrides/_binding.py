"""Turning ``__torch_function__`` dispatch on: the public functions, Tensor methods, operators and
properties are replaced by thin wrappers that look for overriding arguments and modes first.

Why not always: every op would pay for the look (a thread-local read and a walk over its arguments,
about half a microsecond), and almost no program defines a Tensor subclass. So dispatch turns on,
once per process, the first time it can matter — a Tensor subclass that does not opt out is defined
(``Tensor.__init_subclass__``), any other class statement defines ``__torch_function__``
(``_C.watch_class_statements``), a ``TorchFunctionMode`` is entered, or
``overrides.get_overridable_functions()`` is asked for — and ops stay as fast as before until then.
A function imported by name before that moment (``from tensorgraft import add``) is rebound in the
importing module's globals to its wrapper then (``_rebind_imported_names``); a reference kept
elsewhere (a default argument, a closure) keeps the unwrapped version.
"""
from __future__ import annotations

import functools
import importlib
import sys
import threading
from types import FunctionType, MemberDescriptorType

from .. import _C
from .._C import special, state
from ..tensor import Tensor
from . import _dispatch

_lock = threading.Lock()
active = False

# tensorgraft.<name> functions that never dispatch: they take no tensor, or set process state
# (PyTorch calls neither a subclass's nor a mode's ``__torch_function__`` for these)
TOP_LEVEL_NOT_DISPATCHED = frozenset("""
    from_numpy frombuffer from_dlpack broadcast_shapes is_tensor is_storage manual_seed seed initial_seed
    get_rng_state set_rng_state get_default_dtype set_default_dtype get_default_device set_default_device
    set_default_tensor_type is_grad_enabled set_printoptions get_printoptions compile typename save load
    use_deterministic_algorithms are_deterministic_algorithms_enabled is_deterministic_algorithms_warn_only_enabled
    set_deterministic_debug_mode get_deterministic_debug_mode set_num_threads get_num_threads
    set_num_interop_threads get_num_interop_threads set_float32_matmul_precision get_float32_matmul_precision
    set_warn_always is_warn_always_enabled set_flush_denormal is_anomaly_enabled is_anomaly_check_nan_enabled
    set_anomaly_enabled is_inference_mode_enabled vmap cond get_device_module range
    is_autocast_enabled set_autocast_enabled get_autocast_dtype set_autocast_dtype get_autocast_gpu_dtype
    get_autocast_cpu_dtype is_autocast_cpu_enabled set_autocast_cpu_enabled set_autocast_gpu_dtype
    set_autocast_cpu_dtype is_autocast_cache_enabled set_autocast_cache_enabled clear_autocast_cache
    while_loop to_dlpack segment_reduce init_num_threads compiled_with_cxx11_abi
    sym_int sym_float sym_max sym_min sym_not sym_sqrt sym_sum sym_ite
""".split())  # (the sym_* functions dispatch on their own, as PyTorch's Python ones do)

# Tensor methods PyTorch lists in ``get_ignored_functions`` (or that Python itself needs unwrapped)
TENSOR_NOT_DISPATCHED = frozenset("""
    as_subclass new new_empty new_empty_strided new_full new_ones new_tensor new_zeros stride unflatten
    to_sparse_coo to_sparse_csr to_sparse_csc to_sparse_bsr to_sparse_bsc to_padded_tensor
""".split())

# The operators PyTorch dispatches, and the function each hands to ``__torch_function__`` when it is
# not the operator itself (``x + 1`` arrives as ``Tensor.add``, ``1 + x`` as ``Tensor.add(x, 1)``)
OPERATOR_FUNCTIONS = {
    "__add__": "add", "__radd__": "add", "__iadd__": "add_", "__sub__": "sub", "__rsub__": None, "__isub__": "sub_",
    "__mul__": "mul", "__rmul__": "mul", "__imul__": "mul_", "__truediv__": "div", "__rtruediv__": None,
    "__itruediv__": "div_", "__floordiv__": None, "__rfloordiv__": None, "__ifloordiv__": "floor_divide_",
    "__mod__": "remainder", "__rmod__": None, "__imod__": "remainder_", "__pow__": "pow", "__rpow__": None,
    "__ipow__": "pow_", "__matmul__": "matmul", "__rmatmul__": None, "__and__": None, "__rand__": "bitwise_and",
    "__iand__": None, "__or__": None, "__ror__": "bitwise_or", "__ior__": None, "__xor__": None,
    "__rxor__": "bitwise_xor", "__ixor__": None, "__lshift__": None, "__rlshift__": None, "__ilshift__": None,
    "__rshift__": None, "__rrshift__": None, "__irshift__": None, "__eq__": None, "__ne__": "ne", "__lt__": "lt",
    "__le__": "le", "__gt__": "gt", "__ge__": "ge",
}
UNARY_DUNDERS = {"__neg__": "neg", "__pos__": "positive", "__abs__": "abs", "__invert__": None, "__len__": None,
                 "__bool__": None, "__float__": None, "__int__": None, "__index__": None, "__complex__": None,
                 "__format__": None, "__repr__": None, "__contains__": None, "__reversed__": None, "__array__": None,
                 "__getitem__": None, "__setitem__": None, "__deepcopy__": None, "__reduce_ex__": None}

# nn.functional helpers that are not tensor functions
FUNCTIONAL_NOT_DISPATCHED = frozenset({"handle_torch_function", "has_torch_function", "has_torch_function_unary",
                                       "has_torch_function_variadic", "boolean_dispatch", "assert_int_or_pair"})

_wrapper_of: dict = {}  # id(function) -> its wrapper (the function stays alive through it)

# what was wrapped, by namespace (``overrides.get_overridable_functions``) and what was left alone
overridable: dict = {}
ignored: set = set()


def _wants_dispatch() -> bool:
    return not state.all_disabled and (bool(state.modes) or not state.subclasses_disabled)


def _named(wrapper, impl, attr: str, owner: str):
    """The wrapper carries ``impl``'s docs, signature and the public name (``Tensor.__getitem__``, not
    the frontend's ``getitem``), as the function ``__torch_function__`` receives; its code object is
    renamed too, so tracebacks show ``Tensor.item`` for the wrapper's frame."""
    functools.update_wrapper(wrapper, impl)
    wrapper.__wrapped__ = getattr(impl, "__wrapped__", impl)  # (inspect.signature follows it)
    qualname = f"{owner}.{attr}" if owner else attr
    wrapper.__name__ = attr
    wrapper.__qualname__ = qualname
    code = wrapper.__code__
    if hasattr(code, "co_qualname"):  # Python 3.11+
        wrapper.__code__ = code.replace(co_name=attr, co_qualname=qualname)
    else:
        wrapper.__code__ = code.replace(co_name=attr)
    wrapper.__torch_function_wrapped__ = impl
    return wrapper


def unwrapped(f):
    """The function behind a dispatch wrapper (``f`` itself when dispatch has not wrapped it)."""
    return getattr(f, "__torch_function_wrapped__", f)


_kind_of_type = _dispatch.kind_of_type
_kind = _dispatch.type_kind
_one_hop = _dispatch.one_hop  # (redispatch_function's pending skip: read only on the slow paths)
_skip_one_hop = _dispatch.skip_one_hop


def _any_overrides(values) -> bool:
    """Whether one of ``values`` (or an item of a list/tuple among them) overrides: the common case,
    all plain tensors and numbers, costs one dict lookup per argument."""
    get = _kind_of_type.get
    for v in values:
        kind = get(type(v))
        if kind == 0:
            continue
        if kind is None:
            kind = _kind(type(v))
        if kind == 1:
            return True
        if kind == 2:
            for item in v:
                k = get(type(item))
                if k != 0 and (k == 1 or (k is None and _kind(type(item)) == 1)):
                    return True
    return False


def _native_wrapper(impl, name: str, *, public=None, binary_dunder: bool = False):
    """``impl`` behind a check for modes and overriding arguments (PyTorch's native functions).

    The common case — no mode or ``Disable*`` context anywhere (``special[0] == 0``) and arguments
    that are plain tensors and numbers — costs a dict lookup per positional argument."""
    kind_of = _kind_of_type.get

    def dispatching(*args, **kwargs):
        if not special[0]:
            for a in args:
                if kind_of(type(a)) != 0:
                    break
            else:
                if not kwargs:
                    return impl(*args)
                for a in kwargs.values():
                    if kind_of(type(a)) != 0:
                        break
                else:
                    return impl(*args, **kwargs)
            if _any_overrides(args) or (kwargs and _any_overrides(kwargs.values())):
                return _dispatch.call_native(public or dispatching, args, kwargs, binary_dunder)
            return impl(*args, **kwargs)
        if _one_hop.pending and _skip_one_hop():
            return impl(*args, **kwargs)
        st = state
        if st.modes:
            if not st.all_disabled:
                return _dispatch.call_native(public or dispatching, args, kwargs, binary_dunder)
        elif not (st.subclasses_disabled or st.all_disabled) and (
                _any_overrides(args) or (kwargs and _any_overrides(kwargs.values()))):
            return _dispatch.call_native(public or dispatching, args, kwargs, binary_dunder)
        return impl(*args, **kwargs)
    dispatching._torch_function_name = name
    return dispatching


def _python_wrapper(impl, name: str):
    """``impl`` dispatching as PyTorch's Python functions do (``nn.functional``): through
    ``handle_torch_function``, plain tensors listed too once something overrides. (The argument
    loop is written out again rather than shared with ``_native_wrapper``: a helper call would cost
    every wrapped call ~60 ns.)"""
    kind_of = _kind_of_type.get

    def dispatching(*args, **kwargs):
        if not special[0]:
            for a in args:
                if kind_of(type(a)) != 0:
                    break
            else:
                if not kwargs:
                    return impl(*args)
            if not (_any_overrides(args) or (kwargs and _any_overrides(kwargs.values()))):
                return impl(*args, **kwargs)
        else:
            if _one_hop.pending and _skip_one_hop():
                return impl(*args, **kwargs)
            st = state
            if not ((st.modes and not st.all_disabled) or (not (st.subclasses_disabled or st.all_disabled) and (
                    _any_overrides(args) or (kwargs and _any_overrides(kwargs.values()))))):
                return impl(*args, **kwargs)
        return _dispatch.handle_torch_function(dispatching, (*args, *kwargs.values()), *args, **kwargs)
    dispatching._torch_function_name = name
    return dispatching


def _property_wrapper(prop: property, name: str, *, dispatch_set: bool = True) -> property:
    """A Tensor property whose get and set reach ``__torch_function__`` as ``Tensor.<name>.__get__`` /
    ``__set__``; for a plain Tensor (or ``nn.Parameter``) with no mode entered, one type check more."""
    getter, setter = prop.fget, prop.fset

    def fget(self):
        if special[0] and _one_hop.pending and _skip_one_hop():
            return getter(self)
        kind = _kind_of_type.get(type(self))
        if (kind != 0 and (kind == 1 or _kind(type(self)) == 1) or (special[0] and state.modes)) \
                and _wants_dispatch():
            return _dispatch.call_native(wrapped.__get__, (self,), {}, plain_tensors_in_types=True)
        return getter(self)

    def fset(self, value):
        if special[0] and _one_hop.pending and _skip_one_hop():
            return setter(self, value)
        kind = _kind_of_type.get(type(self))
        if (kind != 0 and (kind == 1 or _kind(type(self)) == 1) or (special[0] and state.modes)) \
                and _wants_dispatch():
            _dispatch.call_native(wrapped.__set__, (self, value), {}, plain_tensors_in_types=True)
        else:
            setter(self, value)

    attr = name.rpartition(".")[2]
    _named(fget, getter, attr, "Tensor")
    if setter is not None and dispatch_set:
        _named(fset, setter, attr, "Tensor")
    else:
        fset = setter  # (``grad_fn``: tensorgraft's own bookkeeping writes it; a user cannot)
    wrapped = property(fget, fset, prop.fdel, prop.__doc__)
    _dispatch.property_names[id(wrapped)] = name
    return wrapped


def _is_wrapped(value) -> bool:
    if isinstance(value, property):
        value = value.fget
    return hasattr(value, "__torch_function_wrapped__")


def _wrap_module_functions(module, label: str, message_prefix: str, skip, *, python_flavour=False) -> None:
    wrapped = []
    for attr, value in list(vars(module).items()):
        if attr.startswith("_") or not isinstance(value, FunctionType):
            continue
        if _is_wrapped(value):
            wrapped.append(value)
            continue
        if not getattr(value, "__module__", "").startswith("tensorgraft") or attr in skip:
            ignored.add(value)
            continue
        w = _wrapper_of.get(id(value))  # one function under two names (``torch.conv2d``, ``F.conv2d``)
        if w is None:
            name = message_prefix + attr
            w = _python_wrapper(value, name) if python_flavour else _native_wrapper(value, name)
            _wrapper_of[id(value)] = _named(w, value, attr, "")
        setattr(module, attr, w)
        wrapped.append(w)
    overridable[label] = wrapped


def _tensor_wrapper(attr, value, make):
    """The wrapper of Tensor's ``attr`` (the same object again when a plugin load re-binds ``value``)."""
    key = (id(value), attr)
    w = _wrapper_of.get(key)
    if w is None:
        w = _wrapper_of[key] = make()
    return w


def _wrap_tensor() -> None:
    wrapped = []
    for attr, value in list(vars(Tensor).items()):
        if attr.startswith("_") and attr not in OPERATOR_FUNCTIONS and attr not in UNARY_DUNDERS:
            continue
        if attr in TENSOR_NOT_DISPATCHED:
            ignored.add(value)
            continue
        if attr in OPERATOR_FUNCTIONS or attr in UNARY_DUNDERS:
            continue  # after the named methods, which some of them hand on
        if _is_wrapped(value):
            wrapped.append(value.__get__ if isinstance(value, property) else value)
            continue
        slot = isinstance(value, MemberDescriptorType)
        if slot:  # ``grad_fn``, a slot: PyTorch dispatches reading it too
            value = property(value.__get__, value.__set__)
        if isinstance(value, property):
            w = _tensor_wrapper(attr, value, lambda: _property_wrapper(value, f"torch.Tensor.{attr}",
                                                                       dispatch_set=not slot))
            setattr(Tensor, attr, w)
            wrapped.append(w.__get__)
        elif isinstance(value, FunctionType):
            w = _tensor_wrapper(attr, value, lambda: _named(_native_wrapper(value, f"torch.Tensor.{attr}"), value,
                                                            attr, "Tensor"))
            setattr(Tensor, attr, w)
            wrapped.append(w)
    for table, binary in ((OPERATOR_FUNCTIONS, True), (UNARY_DUNDERS, False)):
        for attr, target in table.items():
            value = vars(Tensor).get(attr)
            public = vars(Tensor).get(target) if target else None
            if isinstance(value, FunctionType) and not _is_wrapped(value):
                value = _tensor_wrapper(attr, value, lambda: _named(_native_wrapper(
                    value, f"torch.Tensor.{target or attr}", public=public, binary_dunder=binary), value, attr, "Tensor"))
                setattr(Tensor, attr, value)
            if public is None and isinstance(value, FunctionType):
                wrapped.append(value)
    # ``str(x)`` reaches ``__torch_function__`` as ``Tensor.__repr__``, through ``type(x).__repr__`` so that
    # a subclass's own ``__repr__`` is the one ``str`` uses, as PyTorch's (object's) ``__str__`` does
    Tensor.__str__ = _str_through_repr
    overridable["Tensor"] = wrapped
    _dispatch.NOWRAP[:] = [vars(Tensor)[p].__get__ for p in ("grad", "_base") if isinstance(vars(Tensor).get(p), property)]


def _str_through_repr(self):
    return type(self).__repr__(self)


def _wrap_plugin_ops() -> None:
    """Ops plugins registered under ``tensorgraft.ops.<namespace>`` dispatch as core's do."""
    from ..registry import registry
    for label in [label for label in overridable if label.startswith("ops.")]:
        del overridable[label]  # (a plugin unloaded since: its namespace is gone)
    for ns in sorted({name.rpartition(".")[0] for name in registry.ops if "." in name}):
        module = sys.modules.get(f"tensorgraft.ops.{ns}")
        if module is not None:
            _wrap_module_functions(module, f"ops.{ns}", f"torch.ops.{ns}.", frozenset())


def _wrap_everything() -> None:
    """Wrap what is not wrapped yet (all of it the first time; afterwards what a plugin load bound)."""
    tg = sys.modules["tensorgraft"]
    for alias_module in ("nn_function_aliases", "nn_kernel_aliases"):
        try:
            aliases = importlib.import_module(f"tensorgraft.{alias_module}")
            for name in sorted(aliases.ALIASES):  # the lazily resolved ``torch.conv2d``, ``torch.conv_tbc`` & co.
                try:
                    getattr(tg, name)
                except ModuleNotFoundError:
                    break  # tensorgraft-nn is not installed
        except ModuleNotFoundError:
            pass
    for name in sorted(tg._FROM_MODULES):  # (``torch.native_norm`` & co., loaded on first use)
        getattr(tg, name)
    _wrap_module_functions(tg, "torch", "torch.", TOP_LEVEL_NOT_DISPATCHED)
    _wrap_tensor()
    for modname, prefix in (("linalg", "torch.linalg.linalg_"), ("fft", "torch.fft.fft_"),
                            ("special", "torch.special.special_")):
        _wrap_module_functions(importlib.import_module(f"tensorgraft.{modname}"), modname, prefix,
                               frozenset({"fftfreq", "rfftfreq"}))
    _wrap_plugin_ops()
    try:
        functional = importlib.import_module("tensorgraft.nn.functional")
    except ModuleNotFoundError:
        functional = None  # tensorgraft-nn is not installed
    if functional is not None:
        _wrap_module_functions(functional, "nn.functional", "torch.nn.functional.", FUNCTIONAL_NOT_DISPATCHED,
                               python_flavour=True)


def activate() -> None:
    """Wrap every overridable function once; later calls return at once."""
    global active
    if active:
        return
    with _lock:
        if active:
            return
        _wrap_everything()
        _rebind_imported_names()
        from . import _warnings
        _warnings.install()
        active = True
        _C.stop_watching_class_statements()


def _rebind_imported_names() -> None:
    """A program that imported a function by name before dispatch turned on (``from torch import
    sin``, ``from torch.nn.functional import relu`` at its top) holds the unwrapped function in its
    module's globals, and its calls would silently skip modes, subclasses and forward AD's tangents.
    Once, at activation, such globals of every loaded module are pointed at the wrappers, so those
    calls dispatch as PyTorch's always do. tensorgraft's own modules keep their references (their
    calls are inside ops); PyTorch's hold none of these functions. Names bound in other ways (a
    default argument, a closure, an attribute of an object) keep the unwrapped function."""
    wrappers = {key: w for key, w in _wrapper_of.items() if type(key) is int}
    for module in list(sys.modules.values()):
        name = getattr(module, "__name__", None)
        if not isinstance(name, str) or name.startswith(("tensorgraft", "torch")):
            continue
        namespace = getattr(module, "__dict__", None)
        if type(namespace) is not dict:
            continue
        for attr, value in list(namespace.items()):
            if type(value) is FunctionType:
                w = wrappers.get(id(value))
                if w is not None and w.__torch_function_wrapped__ is value:
                    namespace[attr] = w


def refresh() -> None:
    """After a plugin load bound ops again (``plugins.manager``): wrap what it rebound, if dispatch
    is on (the same wrapper objects as before, so ``func is torch.add`` keeps holding)."""
    if active:
        with _lock:
            _wrap_everything()
