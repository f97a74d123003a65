"""``nn.Module``: parameters, buffers and submodules registered by attribute assignment, with
PyTorch's traversal order, naming, state_dict format, hooks and repr."""
from __future__ import annotations

import functools
import warnings
from collections import OrderedDict, namedtuple

from tensorgraft import dtypes as _dt
from tensorgraft.grad_mode import no_grad
from tensorgraft.tensor import Tensor
from tensorgraft.utils.hooks import RemovableHandle as _SharedHandle

from ..parameter import Buffer, Parameter, is_lazy
from . import _global_hooks as _g
from . import _state_dict_loading as _loading
from ._global_hooks import (  # noqa: F401  (PyTorch's home for them is this module)
    register_module_backward_hook, register_module_buffer_registration_hook, register_module_forward_hook,
    register_module_forward_pre_hook, register_module_full_backward_hook, register_module_full_backward_pre_hook,
    register_module_module_registration_hook, register_module_parameter_registration_hook)

__all__ = ["Module", "typename", *_g.__all__]


def typename(obj) -> str:
    """``torch.typename``."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(obj, "__module__", "") or ""
    qual = getattr(type(obj), "__qualname__", type(obj).__name__)
    if module in ("", "builtins") or not hasattr(obj, "__module__"):
        return qual
    return f"{module}.{qual}"


def _addindent(s, n):
    lines = s.split("\n")
    if len(lines) == 1:
        return s
    first = lines.pop(0)
    return first + "\n" + "\n".join(" " * n + line for line in lines)


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


class RemovableHandle:
    def __init__(self, *dicts):
        # ids come from the one sequence the handles of tensor and autograd-node hooks draw from,
        # as PyTorch counts every hook with its single RemovableHandle class (the ids are the keys
        # printed in module._forward_hooks, _forward_pre_hooks, ...)
        self.id = _SharedHandle.next_id
        _SharedHandle.next_id += 1
        self._dicts = dicts

    def remove(self):
        for d in self._dicts:
            d.pop(self.id, None)

    def __repr__(self):
        # printed as PyTorch's one handle class prints (tensor hooks' handles print so too)
        return f"<torch.utils.hooks.RemovableHandle object at {hex(id(self))}>"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class _PublicStateDictHook:
    """Marks a hook given to ``register_state_dict_post_hook``: unlike the private hooks, it may not
    replace the state dict by returning one."""
    _public_post_hook = True

    def __init__(self, hook):
        self.hook = hook

    def __call__(self, *args):
        return self.hook(*args)


def _forward_unimplemented(self, *input):
    raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')


class Module:
    """Base class of all layers (``torch.nn.Module``)."""

    dump_patches = False
    _version = 1
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
        d["_forward_hooks_with_kwargs"] = {}
        d["_forward_hooks_always_called"] = {}
        d["_forward_pre_hooks_with_kwargs"] = {}
        d["_backward_hooks"] = OrderedDict()
        d["_backward_pre_hooks"] = OrderedDict()
        d["_is_full_backward_hook"] = None  # which kind of backward hook was registered first
        d["_state_dict_hooks"] = OrderedDict()
        d["_state_dict_pre_hooks"] = OrderedDict()
        d["_load_state_dict_pre_hooks"] = OrderedDict()
        d["_load_state_dict_post_hooks"] = OrderedDict()

    forward = _forward_unimplemented

    # ------------------------------------------------------------------ registration
    def _check_new_entry_name(self, kind, table, name):
        """register_buffer's and register_parameter's checks of ``name`` for an entry of ``kind``
        ("buffer", "parameter") in ``self.<table>``, with PyTorch's messages."""
        if table not in self.__dict__:
            raise AttributeError(f"cannot assign {kind} before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {typename(name)}")
        if "." in name:
            raise KeyError(f'{kind} name can\'t contain "."')
        if name == "":
            raise KeyError(f'{kind} name can\'t be empty string ""')
        if hasattr(self, name) and name not in self.__dict__[table]:
            raise KeyError(f"attribute '{name}' already exists")

    def register_buffer(self, name, tensor, persistent=True):
        self._check_new_entry_name("buffer", "_buffers", name)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{typename(tensor)}' object to buffer '{name}' "
                            "(torch Tensor or None required)")
        if _g.buffer_registration_hooks:
            tensor = _g.apply_registration_hooks(_g.buffer_registration_hooks, self, name, tensor)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def register_parameter(self, name, param):
        self._check_new_entry_name("parameter", "_parameters", name)
        if param is None:
            self._parameters[name] = None
            return
        if not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{typename(param)}' object to parameter '{name}' "
                            "(torch.nn.Parameter or None required)")
        if param.grad_fn is not None:
            raise ValueError(f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must be created "
                             f"explicitly. To express '{name}' as a function of another Tensor, compute the value in "
                             "the forward() method.")
        if _g.parameter_registration_hooks:
            param = _g.apply_registration_hooks(_g.parameter_registration_hooks, self, name, param)
        self._parameters[name] = param

    def add_module(self, name, module):
        if not isinstance(module, Module) and module is not None:
            raise TypeError(f"{typename(module)} is not a Module subclass")
        if not isinstance(name, str):
            raise TypeError(f"module name should be a string. Got {typename(name)}")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        if "." in name:
            raise KeyError(f'module name can\'t contain ".", got: {name}')
        if name == "":
            raise KeyError('module name can\'t be empty string ""')
        if _g.module_registration_hooks:
            module = _g.apply_registration_hooks(_g.module_registration_hooks, self, name, module)
        self._modules[name] = module

    def register_module(self, name, module):
        self.add_module(name, module)

    def get_submodule(self, target):
        if target == "":
            return self
        mod = self
        for item in target.split("."):
            if not hasattr(mod, item):
                raise AttributeError(mod._get_name() + " has no attribute `" + item + "`")
            mod = getattr(mod, item)
            if not isinstance(mod, Module):
                raise AttributeError("`" + item + "` is not an nn.Module")
        return mod

    def set_submodule(self, target, module, strict=False):
        """Put ``module`` at the dotted path ``target`` (``"block.1.conv"``), replacing what is there.

        Every step before the last must already be a submodule. The last name may be new unless
        ``strict``; an existing attribute there that is not a module (a parameter, a buffer, a plain
        value) is never overwritten. All checks run before anything is assigned."""
        if target == "":
            raise ValueError("Cannot set the submodule without a target name!")
        if not isinstance(module, Module):
            raise ValueError("`module` is not an nn.Module, found " + str(type(module)))
        *path, name = target.split(".")
        parent = self
        for item in path:  # walked here, not by get_submodule, which takes "" to mean self
            if not hasattr(parent, item):
                raise AttributeError(parent._get_name() + " has no attribute `" + item + "`")
            parent = getattr(parent, item)
            if not isinstance(parent, Module):
                raise AttributeError("`" + item + "` is not an nn.Module")
        if hasattr(parent, name):
            if not isinstance(getattr(parent, name), Module):
                raise AttributeError("`" + name + "` is not an nn.Module")
        elif strict:
            raise AttributeError(parent._get_name() + " has no attribute `" + name + "`")
        setattr(parent, name, module)

    def get_parameter(self, target):
        mod_path, _, name = target.rpartition(".")
        mod = self.get_submodule(mod_path)
        if not hasattr(mod, name):
            raise AttributeError(mod._get_name() + " has no attribute `" + name + "`")
        p = getattr(mod, name)
        if not isinstance(p, Parameter):
            raise AttributeError("`" + name + "` is not an nn.Parameter")
        return p

    def get_buffer(self, target):
        mod_path, _, name = target.rpartition(".")
        mod = self.get_submodule(mod_path)
        if name not in mod._buffers:
            raise AttributeError("`" + name + "` is not a buffer")
        return mod._buffers[name]

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
                modules[name] = value
            else:
                buffers = d.get("_buffers")
                if isinstance(value, Buffer) or (buffers is not None and name in buffers):
                    if value is not None and not isinstance(value, Tensor):
                        raise TypeError(f"cannot assign '{typename(value)}' as buffer '{name}' "
                                        "(torch.Tensor or None expected)")
                    if isinstance(value, Buffer):
                        persistent = value.persistent
                        value = value.as_plain_tensor()
                    else:
                        persistent = name not in self._non_persistent_buffers_set
                    remove_from(d, self._parameters, self._modules)
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
        # modules pickled by an older tensorgraft lack the stores added since
        for name in ("_forward_hooks_always_called", "_forward_hooks_with_kwargs", "_forward_pre_hooks_with_kwargs"):
            self.__dict__.setdefault(name, {})
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
                        warnings.warn("forward hook with ``always_call=True`` raised an exception that was "
                                      f"silenced as another error was raised in forward: {e}", stacklevel=2)
            raise

    __call__ = _call_impl

    def _forward_hook_list(self):
        """(id, hook, with_kwargs, always_call) of the global forward hooks, then this module's; read
        after forward, so a hook registered while forward ran is called too."""
        return [(hid, hook, hid in _g.forward_hooks_with_kwargs, hid in _g.forward_hooks_always_called)
                for hid, hook in _g.forward_hooks.items()] + [
            (hid, hook, hid in self._forward_hooks_with_kwargs, hid in self._forward_hooks_always_called)
            for hid, hook in self._forward_hooks.items()]

    @staticmethod
    def _add_hook(hooks, hook, prepend, *flag_dicts):
        """Store ``hook`` in the ordered dict ``hooks`` (first if ``prepend``); the handle also
        forgets the id in each of ``flag_dicts`` (with_kwargs, always_call) on removal."""
        h = RemovableHandle(hooks, *flag_dicts)
        hooks[h.id] = hook
        if prepend:
            hooks.move_to_end(h.id, last=False)
        return h

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        h = self._add_hook(self._forward_pre_hooks, hook, prepend, self._forward_pre_hooks_with_kwargs)
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[h.id] = True
        return h

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False, always_call=False):
        h = self._add_hook(self._forward_hooks, hook, prepend, self._forward_hooks_with_kwargs,
                           self._forward_hooks_always_called)
        if with_kwargs:
            self._forward_hooks_with_kwargs[h.id] = True
        if always_call:
            self._forward_hooks_always_called[h.id] = True
        return h

    def _claim_backward_hook_kind(self, full):
        # a module takes one kind of backward hook for good (PyTorch keeps the choice after the
        # handle is removed)
        kind = self.__dict__.get("_is_full_backward_hook")
        if kind is not None and kind != full:
            raise RuntimeError("Cannot use both regular backward hooks and full backward hooks on a single Module. "
                               "Please use only one of them.")
        self.__dict__["_is_full_backward_hook"] = full

    def register_full_backward_hook(self, hook, prepend=False):
        self._claim_backward_hook_kind(True)
        return self._add_hook(self._backward_hooks, hook, prepend)

    def register_full_backward_pre_hook(self, hook, prepend=False):
        return self._add_hook(self._backward_pre_hooks, hook, prepend)

    def register_backward_hook(self, hook):
        # the deprecated form runs here with the full hooks' arguments (the gradients of the
        # module's inputs and outputs), not those of the module's last autograd node
        self._claim_backward_hook_kind(False)
        return self._add_hook(self._backward_hooks, hook, False)

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
    def _apply(self, fn, recurse=True):
        if recurse:
            for module in self.children():
                module._apply(fn)
        for key, param in list(self._parameters.items()):
            if param is None:
                continue
            with no_grad():
                new = fn(param)
            if new is not param and (new._device.type == "meta") != (param._device.type == "meta") \
                    and not is_lazy(param):
                # PyTorch cannot swap a parameter's storage between the meta device and a real one
                # in place: each registration gets a new Parameter (weights tied before are separate
                # afterwards, to be tied again; an optimizer still holds the old objects)
                replacement = Parameter(new, requires_grad=param.requires_grad)
                if param.grad is not None:
                    with no_grad():
                        replacement.grad = fn(param.grad)
                self._parameters[key] = replacement
                continue
            if new is not param:
                param._data = new._data
                param._device = new._device
            if param.grad is not None:
                with no_grad():
                    g = fn(param.grad)
                if g is not param.grad:
                    param._grad = g
        for key, buf in self._buffers.items():
            if buf is not None:
                self._buffers[key] = fn(buf)
        return self

    def apply(self, fn):
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def to(self, *args, **kwargs):
        device = kwargs.pop("device", None)
        dtype = kwargs.pop("dtype", None)
        kwargs.pop("non_blocking", None)
        kwargs.pop("memory_format", None)
        if kwargs:
            raise TypeError(f"to() received an invalid combination of arguments: unexpected {list(kwargs)}")
        for a in args:
            if isinstance(a, _dt.dtype):
                dtype = a
            elif isinstance(a, Tensor):
                device, dtype = a.device, a.dtype
            elif isinstance(a, bool):
                pass
            else:
                device = a
        if dtype is not None and not (dtype.is_floating_point or dtype.is_complex):
            raise TypeError(f"nn.Module.to only accepts floating point or complex dtypes, but got desired "
                            f"dtype={dtype}")

        def convert(t):
            # floating and complex tensors take the dtype (a complex parameter moved to a real
            # dtype keeps its real part, as in PyTorch); integer buffers keep theirs
            try:
                if dtype is not None and (t.is_floating_point() or t.is_complex()):
                    return t.to(device=device, dtype=dtype)
                return t.to(device=device) if device is not None else t
            except NotImplementedError as exc:
                if t.device.type == "meta" and str(exc) == "Cannot copy out of meta tensor; no data!":
                    # a module built on the meta device has no values to move: say what to do instead
                    raise NotImplementedError(
                        f"{exc} Please use torch.nn.Module.to_empty() instead of torch.nn.Module.to() when moving "
                        "module from meta to a different device.") from None
                raise
        return self._apply(convert)

    def cuda(self, device=None):
        dev = "cuda" if device is None else (f"cuda:{device}" if isinstance(device, int) else device)
        return self._apply(lambda t: t.to(dev))

    def cpu(self):
        return self._apply(lambda t: t.to("cpu"))

    def type(self, dst_type):
        # every tensor, integer buffers too (as PyTorch); dst_type may be a dtype, a name
        # ("torch.DoubleTensor") or a legacy tensor type (torch.DoubleTensor)
        return self._apply(lambda t: t.type(dst_type))

    def to_empty(self, *, device, recurse=True):
        """Give every parameter and buffer fresh storage on ``device`` (values not kept: tensorgraft's
        empty memory is zero-filled), keeping the Parameter objects."""
        from tensorgraft.ops.creation import empty_like
        return self._apply(lambda t: empty_like(t, device=device), recurse=recurse)

    def float(self):
        return self._apply(lambda t: t.float() if t.is_floating_point() else t)

    def double(self):
        return self._apply(lambda t: t.double() if t.is_floating_point() else t)

    def half(self):
        return self._apply(lambda t: t.half() if t.is_floating_point() else t)

    def compile(self, *args, **kwargs):
        """``module.compile(...)``: PyTorch compiles the module's forward in place and returns None.
        tensorgraft.compile checks the same options and runs the module as it is."""
        import tensorgraft
        tensorgraft.compile(self, *args, **kwargs)

    def share_memory(self):
        """Move every parameter, gradient and buffer into memory shared between processes
        (``Tensor.share_memory_``): Hogwild workers forked or spawned afterwards train this module."""
        return self._apply(lambda t: t.share_memory_())

    # ------------------------------------------------------------------ state dict
    def _save_to_state_dict(self, destination, prefix, keep_vars):
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if keep_vars else buf.detach()

    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        if args:
            destination = args[0] if len(args) > 0 else destination
            prefix = args[1] if len(args) > 1 else prefix
            keep_vars = args[2] if len(args) > 2 else keep_vars
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()
        for hook in self._state_dict_pre_hooks.values():
            hook(self, prefix, keep_vars)
        local_metadata = {"version": self._version}
        meta = getattr(destination, "_metadata", None)
        if meta is not None:
            meta[prefix[:-1]] = local_metadata
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars)
        for hook in self._state_dict_hooks.values():
            r = hook(self, destination, prefix, local_metadata)
            if r is not None:
                # only the private hooks may hand back a new dict (spectral_norm's does)
                if getattr(hook, "_public_post_hook", False):
                    raise RuntimeError("state_dict post-hook must return None")
                destination = r
        return destination

    def _local_state(self):
        out = {}
        for name, p in self._parameters.items():
            if p is not None:
                out[name] = p
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                out[name] = b
        return out

    def load_state_dict(self, state_dict, strict=True, assign=False):
        return _loading.load_state_dict(self, state_dict, strict, assign, _IncompatibleKeys)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        """Load this module's own parameters and buffers from ``state_dict`` (keys under ``prefix``).
        Override it, calling ``super()._load_from_state_dict(...)``, to adapt an older checkpoint
        (rename keys in ``state_dict`` by ``local_metadata["version"]``); ``load_state_dict`` calls it
        for every module, parents first."""
        _loading.plan_local_state(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                  error_msgs)

    def _optional_state_keys(self, version):
        """Local state entries an older checkpoint (``version`` from its metadata) may lack."""
        return ()

    def _register_state_dict_hook(self, hook):
        h = RemovableHandle(self._state_dict_hooks)
        self._state_dict_hooks[h.id] = hook
        return h

    def register_state_dict_pre_hook(self, hook):
        """``hook(module, prefix, keep_vars)``, called before this module's entries are saved."""
        return self._add_hook(self._state_dict_pre_hooks, hook, False)

    def register_state_dict_post_hook(self, hook):
        """``hook(module, state_dict, prefix, local_metadata)``, called once this module and its
        children are saved; it may edit ``state_dict`` in place and must return None."""
        return self._register_state_dict_hook(_PublicStateDictHook(hook))

    def _register_load_state_dict_pre_hook(self, hook, with_module=False):
        h = RemovableHandle(self._load_state_dict_pre_hooks)
        self._load_state_dict_pre_hooks[h.id] = functools.partial(hook, self) if with_module else hook
        return h

    def register_load_state_dict_pre_hook(self, hook):
        """``hook(module, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
        error_msgs)``, called before this module's entries are matched; it may rename keys."""
        return self._register_load_state_dict_pre_hook(hook, with_module=True)

    def register_load_state_dict_post_hook(self, hook):
        """``hook(module, incompatible_keys)``, called after loading; it may empty the key lists in place
        (forgiving them under ``strict``) and must return None."""
        return self._add_hook(self._load_state_dict_post_hooks, hook, False)

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
