"""Symbolic tracing (PyTorch's ``torch.fx._symbolic_trace``): ``Tracer``, ``symbolic_trace`` and
``wrap``.

Tracing runs the module's ``forward`` once on Proxies. While it runs, ``nn.Module.__call__`` and
``nn.Module.__getattr__`` are patched (on the class, restored afterwards) so that calling a leaf
submodule records one ``call_module`` node instead of running it, and reading a parameter or buffer
records a ``get_attr`` node; functions named with ``fx.wrap`` are patched in their module's globals
to record a ``call_function`` node.
"""
from __future__ import annotations

import builtins
import collections
import functools
import inspect
import math
from types import FunctionType
from typing import Any, Callable

import tensorgraft
from tensorgraft import nn

from .graph import Graph
from .node import Argument, map_aggregate
from .proxy import Proxy, TracerBase

__all__ = ["Tracer", "symbolic_trace", "wrap", "PH", "PHBase"]

_HAS_VARSTUFF = inspect.CO_VARARGS | inspect.CO_VARKEYWORDS

# (id(globals), name) -> the globals dict whose ``name`` tracing patches (``fx.wrap``)
_wrapped_fns_to_patch: dict[tuple[int, str], dict] = {}


class PHBase:
    """Marks a ``concrete_args`` entry that stays an input (a placeholder)."""

    def __repr__(self) -> str:
        return "PH"


PH = PHBase()


def _assert_is_none(value: object, msg: str) -> None:
    if value is not None:
        raise AssertionError(msg)


def _find_proxy(*objects_to_search: object) -> Proxy | None:
    proxy = None

    def find_proxy(x: object) -> None:
        nonlocal proxy
        if isinstance(x, Proxy):
            proxy = x
    map_aggregate(objects_to_search, find_proxy)
    return proxy


def _create_wrapped_func(orig_fn: Callable) -> Callable:
    @functools.wraps(orig_fn)
    def wrapped(*args, **kwargs):
        proxy = _find_proxy(args, kwargs)
        if proxy is not None:
            return_proxy = proxy.tracer.create_proxy("call_function", orig_fn, args, kwargs)
            return_proxy.node.meta["is_wrapped"] = True
            return return_proxy
        return orig_fn(*args, **kwargs)
    return wrapped


def wrap(fn_or_name: str | Callable) -> str | Callable:
    """Called at a module's top level: calls of that module's global function ``fn_or_name`` are
    recorded as ``call_function`` nodes (a "leaf function") instead of being traced through."""
    if not callable(fn_or_name) and not isinstance(fn_or_name, str):
        raise RuntimeError("Unsupported type for global function! Must be either a callable or string name")
    fn_name = fn_or_name.__name__ if callable(fn_or_name) else fn_or_name
    f = inspect.currentframe().f_back
    if f.f_code.co_name != "<module>":
        raise NotImplementedError("wrap must be called at the top level of a module")
    _wrapped_fns_to_patch[(id(f.f_globals), fn_name)] = f.f_globals
    return fn_or_name


class _Patcher:
    """Patches dict entries and class attributes, and undoes them in reverse order."""

    def __init__(self) -> None:
        self._undo: list[Callable[[], None]] = []

    def patch(self, frame_dict: dict, name: str, new_fn: Any) -> None:
        if name in frame_dict:
            orig = frame_dict[name]
            self._undo.append(lambda: frame_dict.__setitem__(name, orig))
        else:
            self._undo.append(lambda: frame_dict.pop(name, None))
        frame_dict[name] = new_fn

    def patch_method(self, cls: type, name: str, new_fn: Any) -> None:
        orig = cls.__dict__[name]
        self._undo.append(lambda: setattr(cls, name, orig))
        setattr(cls, name, new_fn)

    def __enter__(self) -> _Patcher:
        return self

    def __exit__(self, *exc) -> None:
        while self._undo:
            self._undo.pop()()


class Tracer(TracerBase):
    """Turns a module's ``forward`` (or a function) into a ``Graph`` by running it on Proxies.
    Subclass and override ``is_leaf_module``, ``call_module``, ``create_arg`` ... to change what is
    recorded."""

    def __init__(self, autowrap_modules: tuple = (math,), autowrap_functions: tuple = (),
                 param_shapes_constant: bool = False) -> None:
        super().__init__()
        self._autowrap_modules = list(autowrap_modules)
        self._autowrap_function_ids = {id(value) for m in autowrap_modules for name, value in m.__dict__.items()
                                       if not name.startswith("_") and callable(value)}
        self._autowrap_function_ids.update(id(f) for f in autowrap_functions)
        self.param_shapes_constant = param_shapes_constant
        self.proxy_buffer_attributes = True
        self.submodule_paths: dict | None = None
        self.root: nn.Module | None = None
        self.module_stack: collections.OrderedDict = collections.OrderedDict()
        self.tensor_attrs: dict = {}

    # ---------------------------------------------------------------- arguments
    def create_arg(self, a: Any) -> Argument:
        """As ``TracerBase.create_arg``, and: parameters, buffers and submodules of the root become
        ``get_attr`` nodes; other tensors are stored on the root as ``_tensor_constant<N>``."""
        if isinstance(a, nn.Parameter):
            for n, p in self.root.named_parameters():
                if a is p:
                    return self.create_node("get_attr", n, (), {})
            raise NameError("parameter is not a member of this module")
        if isinstance(a, tensorgraft.Tensor):
            for n_, p_ in self.root.named_buffers():
                if a is p_:
                    return self.create_node("get_attr", n_, (), {})
        elif isinstance(a, nn.Module):
            for n_, p_ in self.root.named_modules():
                if a is p_:
                    return self.create_node("get_attr", n_, (), {})
        if isinstance(a, tuple) and hasattr(a, "_fields"):
            args = tuple(self.create_arg(elem) for elem in a)
            return self.create_node("call_function", a.__class__, args, {})
        if isinstance(a, tensorgraft.Tensor):
            qualname = self.tensor_attrs.get(id(a))
            if not qualname:
                qualname = self.get_fresh_qualname("_tensor_constant")
                self.tensor_attrs[id(a)] = qualname
                setattr(self.root, qualname, a)
            return self.create_node("get_attr", qualname, (), {})
        return super().create_arg(a)

    def get_fresh_qualname(self, prefix: str) -> str:
        i = 0
        while hasattr(self.root, f"{prefix}{i}"):
            i += 1
        return f"{prefix}{i}"

    # ---------------------------------------------------------------- modules
    def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
        """tensorgraft's own layers (``nn.Linear``, ``nn.ReLU`` ...) are recorded as calls, except
        ``Sequential``, which is traced through; user modules are traced through."""
        return m.__module__.startswith("tensorgraft.nn") and not isinstance(m, nn.Sequential)

    def path_of_module(self, mod: nn.Module) -> str:
        """The qualified name of ``mod`` in the root (``"seq.0"``)."""
        if self.submodule_paths:
            path = self.submodule_paths.get(mod)
            if path is None:
                raise NameError("module is not installed as a submodule")
            return path
        for n, p in self.root.named_modules():
            if mod is p:
                return n
        raise NameError("module is not installed as a submodule")

    def call_module(self, m: nn.Module, forward: Callable, args: tuple, kwargs: dict) -> Any:
        """A call of submodule ``m``: one ``call_module`` node for a leaf, its ``forward`` traced
        through otherwise."""
        module_qualified_name = self.path_of_module(m)
        self.module_stack[module_qualified_name] = (module_qualified_name, type(m))
        try:
            if not self.is_leaf_module(m, module_qualified_name):
                return forward(*args, **kwargs)
            return self.create_proxy("call_module", module_qualified_name, args, kwargs)
        finally:
            self.module_stack.popitem(last=True)

    def getattr(self, attr: str, attr_val: Any, parameter_proxy_cache: dict[str, Any]) -> Any:
        """Reading a module attribute while tracing: parameters (and buffers) become ``get_attr``
        proxies, one per attribute."""
        def maybe_get_proxy_for_attr(attr_val, collection_to_search, cache):
            for n, p in collection_to_search:
                if attr_val is p:
                    if n not in cache:
                        cache[n] = self.create_proxy("get_attr", n, (), {})
                    return cache[n]
            return None
        if isinstance(attr_val, nn.Parameter):
            maybe = maybe_get_proxy_for_attr(attr_val, self.root.named_parameters(), parameter_proxy_cache)
            if maybe is not None:
                return maybe
        if self.proxy_buffer_attributes and isinstance(attr_val, tensorgraft.Tensor):
            maybe = maybe_get_proxy_for_attr(attr_val, self.root.named_buffers(), parameter_proxy_cache)
            if maybe is not None:
                return maybe
        return attr_val

    # ---------------------------------------------------------------- tracing
    def create_args_for_root(self, root_fn: Callable, is_module: bool, concrete_args=None):
        """The placeholders for ``root_fn``'s parameters (``*args``/``**kwargs`` too), and the
        function to run on them."""
        fn_for_analysis = inspect.unwrap(root_fn)
        co = fn_for_analysis.__code__
        total_args = co.co_argcount + co.co_kwonlyargcount
        names_iter = iter(co.co_varnames)
        args: list[Any] = []
        skip_arg_idx = 0
        if is_module:
            if total_args == 0:
                raise RuntimeError("``self`` argument cannot be part of *args expansion!")
            skip_arg_idx = 1
            next(names_iter)
            args.append(self.root)
        sig = inspect.signature(fn_for_analysis)
        arg_names = [next(names_iter) for _ in range(skip_arg_idx, total_args)]
        if isinstance(concrete_args, tuple):
            if len(arg_names) != len(concrete_args):
                raise RuntimeError(f"Tracing expected {len(arg_names)} arguments but got {len(concrete_args)} "
                                   "concrete arguments")
            concrete_args = dict(zip(arg_names, concrete_args))
        args.extend(self._proxy_placeholder(name, concrete_args, sig, fn_for_analysis) for name in arg_names)
        if co.co_kwonlyargcount > 0 or co.co_flags & _HAS_VARSTUFF:
            if co.co_flags & inspect.CO_VARARGS:
                args.append(self._proxy_placeholder("*" + next(names_iter), concrete_args, sig, fn_for_analysis))
            if co.co_flags & inspect.CO_VARKEYWORDS:
                args.append(self._proxy_placeholder("**" + next(names_iter), concrete_args, sig, fn_for_analysis))
            root_fn = _patch_function(root_fn, len(args))
        return root_fn, args

    def _proxy_placeholder(self, name: str, concrete_args, sig, fn_for_analysis):
        if concrete_args is not None and name in concrete_args:
            x = concrete_args[name]
            if isinstance(x, (list, tuple, dict)) and not isinstance(x, PHBase):
                raise TypeError(f"concrete_args['{name}'] is a {type(x).__name__}: tensorgraft.fx takes only single "
                                "values (a number, a bool, None, a string, PH) as concrete arguments; pass the "
                                "container's items as separate arguments")
            param = sig.parameters[name]
            default = () if param.default is inspect.Parameter.empty else (param.default,)
            out = self.create_proxy("placeholder", f"{name}_1", default, {})
            if isinstance(x, PHBase):
                return out
            if type(x) is bool or type(x) in (int, float, str, complex):
                # recorded, not run: PyTorch's ``torch._assert(out == x, ...)`` dispatches to the Proxy
                self.create_proxy("call_function", tensorgraft._assert,
                                  (out == x, f"{name} has been specialized to have value {x} but got another value"), {})
            elif x is None:
                self.create_proxy("call_function", _assert_is_none,
                                  (out, f"{name} has been specialized to have value None but got another value"), {})
            return x
        if name[0] == "*":
            default = ()
        else:
            param = sig.parameters[name]
            default = () if param.default is inspect.Parameter.empty else (param.default,)
        return self.create_proxy("placeholder", name, default, {},
                                 type_expr=fn_for_analysis.__annotations__.get(name, None))

    def trace(self, root: nn.Module | Callable, concrete_args: dict[str, Any] | None = None) -> Graph:
        """The graph of ``root``'s ``forward`` (or of the function ``root``); ``concrete_args``
        fixes some inputs to values (Python control flow on them is then traced for that value)."""
        if isinstance(root, nn.Module):
            self.root = root
            fn = type(root).forward
            self.submodule_paths = {mod: name for name, mod in root.named_modules()}
        else:
            self.root = nn.Module()
            fn = root
        tracer_cls = getattr(self, "__class__", None)
        self.graph = Graph(tracer_cls=tracer_cls)
        if hasattr(fn, "__code__"):
            code = fn.__code__
            self.graph._co_fields = {"co_name": code.co_name, "co_filename": code.co_filename,
                                     "co_firstlineno": code.co_firstlineno}
        # tensors held as plain attributes of the modules are read through their attribute
        self.tensor_attrs = {}

        def collect_tensor_attrs(m: nn.Module, prefix_atoms: list[str]) -> None:
            for k, v in m.__dict__.items():
                if isinstance(v, tensorgraft.Tensor):
                    self.tensor_attrs[id(v)] = ".".join(prefix_atoms + [k])
            for k, v in m.named_children():
                collect_tensor_attrs(v, prefix_atoms + [k])
        collect_tensor_attrs(self.root, [])

        fn_globals = fn.__globals__
        fn, args = self.create_args_for_root(fn, isinstance(root, nn.Module), concrete_args)
        parameter_proxy_cache: dict[str, Proxy] = {}
        orig_getattr = nn.Module.__getattr__
        orig_call = nn.Module.__call__

        @functools.wraps(orig_getattr)
        def module_getattr_wrapper(mod, attr):
            attr_val = orig_getattr(mod, attr)
            return self.getattr(attr, attr_val, parameter_proxy_cache)

        @functools.wraps(orig_call)
        def module_call_wrapper(mod, *args, **kwargs):
            def forward(*args, **kwargs):
                return orig_call(mod, *args, **kwargs)
            _autowrap_check(patcher, getattr(getattr(mod, "forward", mod), "__globals__", {}),
                            self._autowrap_function_ids)
            return self.call_module(mod, forward, args, kwargs)

        with _Patcher() as patcher:
            patcher.patch_method(nn.Module, "__getattr__", module_getattr_wrapper)
            patcher.patch_method(nn.Module, "__call__", module_call_wrapper)
            _patch_wrapped_functions(patcher)
            _autowrap_check(patcher, fn_globals, self._autowrap_function_ids)
            for module in self._autowrap_modules:  # ``math.sqrt(p)`` reads the function from the module
                _autowrap_check(patcher, module.__dict__, self._autowrap_function_ids)
            self.create_node("output", "output", (self.create_arg(fn(*args)),), {},
                             type_expr=fn.__annotations__.get("return", None))
        self.submodule_paths = None
        return self.graph


def _patch_function(fn: FunctionType, nargs: int) -> FunctionType:
    """``fn`` with ``*args``/``**kwargs`` turned into plain parameters, so that one placeholder
    each can be passed for them."""
    co = fn.__code__
    new_code = co.replace(co_flags=co.co_flags & ~_HAS_VARSTUFF, co_argcount=nargs, co_kwonlyargcount=0)
    return FunctionType(new_code, fn.__globals__, fn.__name__, fn.__defaults__, fn.__closure__)


def _patch_wrapped_functions(patcher: _Patcher) -> None:
    for (_, name), frame_dict in _wrapped_fns_to_patch.copy().items():
        if name not in frame_dict and hasattr(builtins, name):
            orig_fn = getattr(builtins, name)
        else:
            orig_fn = frame_dict[name]
        patcher.patch(frame_dict, name, _create_wrapped_func(orig_fn))


def _autowrap_check(patcher: _Patcher, frame_dict: dict, function_ids: set[int]) -> None:
    """Functions of the autowrap modules (``math``) found among the globals of traced code."""
    if function_ids:
        for name, value in list(frame_dict.items()):
            if not name.startswith("_") and callable(value) and id(value) in function_ids:
                patcher.patch(frame_dict, name, _create_wrapped_func(value))


def symbolic_trace(root: nn.Module | Callable, concrete_args: dict[str, Any] | None = None):
    """Trace ``root`` (a module or a function) into a ``GraphModule``."""
    from .graph_module import GraphModule
    tracer = Tracer()
    graph = tracer.trace(root, concrete_args)
    name = root.__class__.__name__ if isinstance(root, nn.Module) else root.__name__
    return GraphModule(tracer.root, graph, name)
