"""``nn.Module`` methods that register and look up parameters, buffers and submodules by name.

The functions here are ``Module`` methods (``module.py`` puts them in the class body, named and
qualified as if defined there); they are kept apart only to keep ``module.py`` readable.
"""
from __future__ import annotations

from tensorgraft.global_switches import typename  # torch.typename: names tensorgraft's classes as torch's
from tensorgraft.tensor import Tensor

from ..parameter import Parameter
from . import _global_hooks as _g

# module.py imports this file before Module exists and binds the class here right after defining it
Module = None


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


def _walk(mod, names):
    """The submodule reached from ``mod`` through ``names``, each step checked to be a module."""
    for item in names:
        if not hasattr(mod, item):
            raise AttributeError(mod._get_name() + " has no attribute `" + item + "`")
        mod = getattr(mod, item)
        if not isinstance(mod, Module):
            raise AttributeError("`" + item + "` is not an nn.Module")
    return mod


def get_submodule(self, target):
    if target == "":
        return self
    return _walk(self, target.split("."))


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
    parent = _walk(self, path)  # (not get_submodule, which takes "" to mean self)
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
    if not hasattr(mod, name):
        raise AttributeError(mod._get_name() + " has no attribute `" + name + "`")
    if name not in mod._buffers:
        raise AttributeError("`" + name + "` is not a buffer")
    return mod._buffers[name]

