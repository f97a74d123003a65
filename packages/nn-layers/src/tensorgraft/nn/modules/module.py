"""``nn.Module``: parameters, buffers and submodules registered by attribute assignment, with
PyTorch's traversal order, naming, state_dict format, hooks and repr.

Groups of methods are written in sibling files and put into the class body here (registration:
``_module_registration.py``; hook registration: ``_module_hooks.py``; conversion (``to``,
``_apply``, ...): ``_module_conversion.py``; saving a state_dict and its hooks:
``_module_state_dict.py``; loading one: ``_state_dict_loading.py``). They are named and
qualified as methods of this class (``Module.state_dict.__qualname__``), and the class keeps
``object`` as its only base, as in PyTorch.
"""
from __future__ import annotations

import types
import warnings
from collections import OrderedDict
from typing import Any, TypeVar

from tensorgraft.global_switches import typename
from tensorgraft.tensor import Tensor
from tensorgraft.utils.hooks import RemovableHandle  # noqa: F401  (PyTorch imports it here too)

from ..parameter import Buffer, Parameter
from . import _global_hooks as _g
from . import _module_conversion as _conv
from . import _module_hooks as _hooks
from . import _module_registration as _reg
from . import _module_state_dict as _sd
from . import _state_dict_loading as _loading
from ._global_hooks import (  # noqa: F401  (PyTorch's home for them is this module)
    register_module_backward_hook, register_module_buffer_registration_hook, register_module_forward_hook,
    register_module_forward_pre_hook, register_module_full_backward_hook, register_module_full_backward_pre_hook,
    register_module_module_registration_hook, register_module_parameter_registration_hook)
from ._state_dict_loading import _IncompatibleKeys

__all__ = ["Module", "typename", *_g.__all__]

# the global hook stores under PyTorch's names for them, which tools read
_global_forward_pre_hooks = _g.forward_pre_hooks
_global_forward_hooks = _g.forward_hooks
_global_forward_hooks_with_kwargs = _g.forward_hooks_with_kwargs
_global_forward_hooks_always_called = _g.forward_hooks_always_called
_global_backward_pre_hooks = _g.backward_pre_hooks
_global_backward_hooks = _g.backward_hooks
_global_buffer_registration_hooks = _g.buffer_registration_hooks
_global_module_registration_hooks = _g.module_registration_hooks
_global_parameter_registration_hooks = _g.parameter_registration_hooks


def _addindent(s, n):
    lines = s.split("\n")
    if len(lines) == 1:
        return s
    first = lines.pop(0)
    return first + "\n" + "\n".join(" " * n + line for line in lines)


def _forward_unimplemented(self, *input):
    raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')


class Module:
    """Base class of all layers (``torch.nn.Module``)."""

    dump_patches = False
    _version = 1
    # the type variable PyTorch annotates state_dict's ``destination`` with
    T_destination = TypeVar("T_destination", bound=dict[str, Any])
    training: bool
    call_super_init = False

    def __init__(self, *args, **kwargs):
        if args or kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got an unexpected keyword argument "
                            f"'{next(iter(kwargs))}'" if kwargs else
                            f"{type(self).__name__}.__init__() takes 1 positional argument but {len(args) + 1} "
                            "were given")
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = {}
        d["_buffers"] = {}
        d["_non_persistent_buffers_set"] = set()
        d["_modules"] = {}
        d["_forward_pre_hooks"] = OrderedDict()
        d["_forward_hooks"] = OrderedDict()
        # the flag stores are OrderedDicts too: hook handles hold them by weak reference
        d["_forward_hooks_with_kwargs"] = OrderedDict()
        d["_forward_hooks_always_called"] = OrderedDict()
        d["_forward_pre_hooks_with_kwargs"] = OrderedDict()
        d["_backward_hooks"] = OrderedDict()
        d["_backward_pre_hooks"] = OrderedDict()
        d["_is_full_backward_hook"] = None  # which kind of backward hook was registered first
        d["_state_dict_hooks"] = OrderedDict()
        d["_state_dict_pre_hooks"] = OrderedDict()
        d["_load_state_dict_pre_hooks"] = OrderedDict()
        d["_load_state_dict_post_hooks"] = OrderedDict()

    forward = _forward_unimplemented

    # ------------------------------------------------------------------ registration
    _check_new_entry_name = _reg._check_new_entry_name
    register_buffer = _reg.register_buffer
    register_parameter = _reg.register_parameter
    add_module = _reg.add_module
    register_module = _reg.register_module
    get_submodule = _reg.get_submodule
    set_submodule = _reg.set_submodule
    get_parameter = _reg.get_parameter
    get_buffer = _reg.get_buffer

    # ------------------------------------------------------------------ attribute protocol
    def __getattr__(self, name):
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            s = d.get(store)
            if s is not None and name in s:
                return s[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __setattr__(self, name, value):
        d = self.__dict__

        def remove_from(*dicts_or_sets):
            for dd in dicts_or_sets:
                if name in dd:
                    if isinstance(dd, dict):
                        del dd[name]
                    else:
                        dd.discard(name)

        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            remove_from(d, self._buffers, self._modules, self._non_persistent_buffers_set)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{typename(value)}' as parameter '{name}' "
                                "(torch.nn.Parameter or None expected)")
            self.register_parameter(name, value)
        else:
            modules = d.get("_modules")
            if isinstance(value, Module):
                if modules is None:
                    raise AttributeError("cannot assign module before Module.__init__() call")
                remove_from(d, self._parameters, self._buffers, self._non_persistent_buffers_set)
                if _g.module_registration_hooks:
                    value = _g.apply_registration_hooks(_g.module_registration_hooks, self, name, value)
                modules[name] = value
            elif modules is not None and name in modules:
                if value is not None:
                    raise TypeError(f"cannot assign '{typename(value)}' as child module '{name}' "
                                    "(torch.nn.Module or None expected)")
                if _g.module_registration_hooks:  # (PyTorch calls them for a None too)
                    value = _g.apply_registration_hooks(_g.module_registration_hooks, self, name, value)
                modules[name] = value
            else:
                buffers = d.get("_buffers")
                if isinstance(value, Buffer) or (buffers is not None and name in buffers):
                    if value is not None and not isinstance(value, Tensor):
                        raise TypeError(f"cannot assign '{typename(value)}' as buffer '{name}' "
                                        "(torch.nn.Buffer, torch.Tensor or None expected)")
                    if isinstance(value, Buffer):
                        persistent = value.persistent
                        value = value.as_plain_tensor()
                    else:
                        persistent = name not in self._non_persistent_buffers_set
                    # (nothing is removed first: a name taken by a plain attribute is refused by
                    # register_buffer, as in PyTorch; parameters and modules were handled above)
                    self.register_buffer(name, value, persistent)
                else:
                    object.__setattr__(self, name, value)

    def __delattr__(self, name):
        if name in self._parameters:
            del self._parameters[name]
        elif name in self._buffers:
            del self._buffers[name]
            self._non_persistent_buffers_set.discard(name)
        elif name in self._modules:
            del self._modules[name]
        else:
            object.__delattr__(self, name)

    def __dir__(self):
        keys = list(object.__dir__(self))
        keys += list(self._parameters) + list(self._buffers) + list(self._modules)
        return sorted(k for k in set(keys) if not k[0].isdigit())

    def __setstate__(self, state):
        self.__dict__.update(state)
        # modules pickled by an older tensorgraft lack the stores added since, or kept the flag
        # stores in plain dicts, which the hooks' handles cannot hold weakly
        for name in ("_forward_hooks_always_called", "_forward_hooks_with_kwargs", "_forward_pre_hooks_with_kwargs"):
            flags = self.__dict__.get(name)
            if type(flags) is not OrderedDict:
                self.__dict__[name] = OrderedDict(flags or ())
        for name in ("_backward_pre_hooks", "_state_dict_pre_hooks", "_load_state_dict_post_hooks"):
            self.__dict__.setdefault(name, OrderedDict())

    # ------------------------------------------------------------------ calling
    def _call_impl(self, *args, **kwargs):
        if not (self._forward_pre_hooks or self._forward_hooks or self._backward_hooks
                or self._backward_pre_hooks or _g.any_call_hooks()):
            return self.forward(*args, **kwargs)
        # the hooks registered for every module run before this module's own, in each kind
        pre_hooks = [(hook, False) for hook in _g.forward_pre_hooks.values()] + [
            (hook, hid in self._forward_pre_hooks_with_kwargs) for hid, hook in self._forward_pre_hooks.items()]
        called_always = set()
        try:
            for hook, with_kwargs in pre_hooks:
                if with_kwargs:
                    r = hook(self, args, kwargs)
                    if r is not None:
                        if not (isinstance(r, tuple) and len(r) == 2):
                            raise RuntimeError("forward pre-hook must return None or a tuple of (new_args, "
                                               f"new_kwargs), but got {r}.")
                        args, kwargs = r
                else:
                    r = hook(self, args)
                    if r is not None:
                        args = r if isinstance(r, tuple) else (r,)
            bw = None
            if self._backward_hooks or self._backward_pre_hooks or _g.backward_hooks or _g.backward_pre_hooks:
                from ._backward_hook import BackwardHook
                bw = BackwardHook(self, [*_g.backward_hooks.values(), *self._backward_hooks.values()],
                                  [*_g.backward_pre_hooks.values(), *self._backward_pre_hooks.values()])
                args = bw.setup_input_hook(args)
            result = self.forward(*args, **kwargs)
            for hid, hook, with_kwargs, always in self._forward_hook_list():
                if always:
                    called_always.add(hid)
                if with_kwargs:
                    r = hook(self, args, kwargs, result)
                else:
                    r = hook(self, args, result)
                if r is not None:
                    result = r
            if bw is not None:
                if not isinstance(result, (Tensor, tuple)):
                    warnings.warn("For backward hooks to be called, module output should be a Tensor or a tuple of "
                                  f"Tensors but received {type(result)}", stacklevel=2)
                result = bw.setup_output_hook(result)
            return result
        except Exception:
            # hooks registered with always_call=True run even when forward (or another hook) raised
            for hid, hook, with_kwargs, always in self._forward_hook_list():
                if always and hid not in called_always:
                    try:
                        if with_kwargs:
                            hook(self, args, kwargs, None)
                        else:
                            hook(self, args, None)
                    except Exception as e:
                        kind = "global module" if hid in _g.forward_hooks else "module"
                        warnings.warn(f"{kind} forward hook with ``always_call=True`` raised an exception that was "
                                      f"silenced as another error was raised in forward: {e}", stacklevel=2)
            raise

    __call__ = _call_impl

    # ------------------------------------------------------------------ hooks
    _forward_hook_list = _hooks._forward_hook_list
    _add_hook = staticmethod(_hooks._add_hook)
    register_forward_pre_hook = _hooks.register_forward_pre_hook
    register_forward_hook = _hooks.register_forward_hook
    _claim_backward_hook_kind = _hooks._claim_backward_hook_kind
    register_full_backward_hook = _hooks.register_full_backward_hook
    register_full_backward_pre_hook = _hooks.register_full_backward_pre_hook
    register_backward_hook = _hooks.register_backward_hook

    # ------------------------------------------------------------------ traversal
    def _named_members(self, get_members_fn, prefix="", recurse=True, remove_duplicate=True):
        memo = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for k, v in get_members_fn(module):
                if v is None or v in memo:
                    continue
                if remove_duplicate:
                    memo.add(v)
                yield module_prefix + ("." if module_prefix else "") + k, v

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        yield from self._named_members(lambda m: m._parameters.items(), prefix=prefix, recurse=recurse,
                                       remove_duplicate=remove_duplicate)

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        yield from self._named_members(lambda m: m._buffers.items(), prefix=prefix, recurse=recurse,
                                       remove_duplicate=remove_duplicate)

    def children(self):
        for _, m in self.named_children():
            yield m

    def named_children(self):
        memo = set()
        for name, module in self._modules.items():
            if module is not None and module not in memo:
                memo.add(module)
                yield name, module

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        if memo is None:
            memo = set()
        if self not in memo:
            if remove_duplicate:
                memo.add(self)
            yield prefix, self
            for name, module in self._modules.items():
                if module is None:
                    continue
                submodule_prefix = prefix + ("." if prefix else "") + name
                yield from module.named_modules(memo, submodule_prefix, remove_duplicate)

    __hash__ = object.__hash__

    # ------------------------------------------------------------------ modes and grads
    def train(self, mode=True):
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        for p in self.parameters():
            if p.grad is not None:
                if set_to_none:
                    p.grad = None
                else:
                    g = p.grad
                    if g.grad_fn is not None:
                        g = g.detach()
                        p.grad = g
                    g._data[...] = 0
                    g._vc[0] += 1

    # ------------------------------------------------------------------ conversion
    _apply = _conv._apply
    to = _conv.to
    cuda = _conv.cuda
    cpu = _conv.cpu
    xpu = _conv.xpu
    ipu = _conv.ipu
    mtia = _conv.mtia
    type = _conv.type_
    to_empty = _conv.to_empty
    float = _conv.float_
    double = _conv.double
    half = _conv.half
    bfloat16 = _conv.bfloat16
    share_memory = _conv.share_memory

    def apply(self, fn):
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def compile(self, *args, **kwargs):
        """``module.compile(...)``: PyTorch compiles the module's forward in place and returns None.
        tensorgraft.compile checks the same options and runs the module as it is."""
        import tensorgraft
        tensorgraft.compile(self, *args, **kwargs)

    # ------------------------------------------------------------------ state dict
    get_extra_state = _sd.get_extra_state
    set_extra_state = _sd.set_extra_state
    _save_to_state_dict = _sd._save_to_state_dict
    state_dict = _sd.state_dict
    _local_state = _sd._local_state
    _optional_state_keys = _sd._optional_state_keys
    load_state_dict = _loading.load_state_dict
    _load_from_state_dict = _loading._load_from_state_dict
    _register_state_dict_hook = _sd._register_state_dict_hook
    register_state_dict_pre_hook = _sd.register_state_dict_pre_hook
    register_state_dict_post_hook = _sd.register_state_dict_post_hook
    _register_load_state_dict_pre_hook = _sd._register_load_state_dict_pre_hook
    register_load_state_dict_pre_hook = _sd.register_load_state_dict_pre_hook
    register_load_state_dict_post_hook = _sd.register_load_state_dict_post_hook

    # ------------------------------------------------------------------ repr
    def extra_repr(self):
        return ""

    def _get_name(self):
        return type(self).__name__

    def __repr__(self):
        extra_lines = []
        extra = self.extra_repr()
        if extra:
            extra_lines = extra.split("\n")
        child_lines = []
        for key, module in self._modules.items():
            mod_str = _addindent(repr(module), 2)
            child_lines.append("(" + key + "): " + mod_str)
        lines = extra_lines + child_lines
        main_str = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                main_str += extra_lines[0]
            else:
                main_str += "\n  " + "\n  ".join(lines) + "\n"
        main_str += ")"
        return main_str


def _adopt_methods(cls, homes):
    """Name the methods (and helpers) written in ``homes`` as if defined in this file, so that
    ``__qualname__``, ``__module__``, pickling by reference and tracebacks' names read as PyTorch's."""
    home_names = {m.__name__ for m in homes}
    for name, attr in vars(cls).items():
        fn = attr.__func__ if isinstance(attr, staticmethod) else attr
        if isinstance(fn, types.FunctionType) and fn.__module__ in home_names:
            fn.__module__ = __name__
            fn.__name__ = name
            fn.__qualname__ = f"{cls.__name__}.{name}"
            # the code object too, which tracebacks and profilers read (``type_`` is Module.type)
            code = fn.__code__.replace(co_name=name)
            if hasattr(code, "co_qualname"):  # Python 3.11+
                code = code.replace(co_qualname=fn.__qualname__)
            fn.__code__ = code
    _IncompatibleKeys.__module__ = __name__


_reg.Module = Module
_adopt_methods(Module, (_reg, _hooks, _sd, _loading, _conv))
