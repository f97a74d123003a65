"""Parametrized tensors (``torch.nn.utils.parametrize``).

Registering a parametrization ``f`` on ``module.<name>`` moves the tensor into
``module.parametrizations[<name>]`` (a :class:`ParametrizationList`) as ``original`` (or
``original0``, ``original1``... when ``f.right_inverse`` splits it into several tensors) and turns
``<name>`` into a property of a per-module subclass ``Parametrized<Class>``: reading it evaluates
the chain of parametrizations on the originals, assigning to it runs their right inverses, last
first, and points the originals at the result (``set_``, as PyTorch: the original objects stay,
so an optimizer keeps them, while their old memory, and any snapshot sharing it, is left as it was).
"""
from __future__ import annotations

import collections.abc
import copy
from contextlib import contextmanager

from tensorgraft.grad_mode import no_grad
from tensorgraft.tensor import Tensor

from ..modules.container import ModuleDict, ModuleList
from ..parameter import Parameter

__all__ = ["cached", "ParametrizationList", "register_parametrization", "is_parametrized", "remove_parametrizations",
           "type_before_parametrizations", "transfer_parametrizations_and_params"]


class _ValueCache:
    """Parametrized values memoised while at least one ``cached()`` block is open."""

    def __init__(self):
        self.depth = 0
        self.values = {}

    def read(self, module, tensor_name):
        plist = module.parametrizations[tensor_name]
        if not self.depth:
            return plist()
        slot = (id(module), tensor_name)
        hit = self.values.get(slot)
        if hit is None:
            hit = self.values[slot] = plist()
        return hit


_CACHE = _ValueCache()


@contextmanager
def cached():
    """Within this block every parametrized tensor is computed at most once, on first access, and
    reused until the outermost ``cached()`` block exits (one evaluation per forward pass, e.g. for
    weights shared by several layers or read at every RNN step)."""
    _CACHE.depth += 1
    try:
        yield
    finally:
        _CACHE.depth -= 1
        if _CACHE.depth == 0:
            _CACHE.values.clear()


# ---------------------------------------------------------------------------------------- helpers
def _attach(owner, attr, tensor):
    """Put ``tensor`` on ``owner`` as a parameter when it is one, as a (persistent) buffer otherwise."""
    if isinstance(tensor, Parameter):
        owner.register_parameter(attr, tensor)
    else:
        owner.register_buffer(attr, tensor)


def _write_into(target, value):
    """Make ``target`` use ``value``'s memory (PyTorch's ``set_``), keeping the ``target`` object (an
    optimizer may hold it); its old memory is not written. ``set_`` refuses another dtype."""
    if value is target:
        return
    with no_grad():
        target.set_(value)


def _originals_of(plist):
    if plist.is_tensor:
        return ["original"]
    return [f"original{k}" for k in range(plist.ntensors)]


# PyTorch's messages for a parametrization (or a right inverse) whose result is not a tensor of the
# dtype and shape it started from, for ``_check_like``; ``{what}`` is "dtype" or "shape".
_NOT_A_TENSOR = "A parametrization must return a tensor. Got {type}."
_CHANGED_ON_REGISTRATION = ("Registering a parametrization may not change the {what} of the tensor, unless `unsafe` "
                            "flag is enabled.\nunparametrized {what}: {before}\nparametrized {what}: {after}")
_CHANGED_BY_EXTRA_STEP = ("Registering a parametrization may not change the {what} of the tensor, unless the "
                          "`unsafe` flag is enabled.\nmodule.{name}.{what}: {before}\n"
                          "parametrization(module.{name}).{what}: {after}")
_INVERSE_NOT_A_TENSOR = "parametrization.right_inverse must return a tensor. Got: {type}"
_CHANGED_BY_INVERSE = ("The tensor returned by parametrization.right_inverse must have the same {what} as "
                       "module.{name}, unless the `unsafe` flag is enabled.\nmodule.{name}.{what}: {before}\n"
                       "returned {what}: {after}")


# PyTorch's message (its pieces joined without spaces) when ``set_`` refuses the parametrized value
# for a parameter, as for another dtype after an ``unsafe`` parametrization
_SET_FAILED_ON_SUBCLASS = ("Calling remove_parametrizations() with leave_parametrized=True for a parameter that is an "
                           "instance of a tensor subclass requires set_() to be implemented correctly for the tensor "
                           "subclass.Alternatively, one can opt into the swap_tensors pathEither set "
                           "leave_parametrized=False or provide a working implementationfor set_() in the tensor "
                           "subclass or set torch.__future__.set_swap_module_params_on_conversion(True).")


def _check_like(result, dtype, shape, not_a_tensor, changed, name=""):
    """ValueError unless ``result`` is a tensor of ``dtype`` and ``shape`` (dtype checked first): the
    message ``not_a_tensor`` or ``changed`` filled in (``name``: the parametrized tensor's)."""
    if not isinstance(result, Tensor):
        raise ValueError(not_a_tensor.format(type=type(result).__name__))
    for what, before in (("dtype", dtype), ("shape", shape)):
        after = getattr(result, what)
        if after != before:
            raise ValueError(changed.format(what=what, before=before, after=after, name=name))


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor, applied in order, and the unconstrained tensor(s) they
    start from: ``original``, or ``original0``... ``original<n-1>`` when the right inverse of the
    first parametrization returns a sequence. Calling the list evaluates the parametrized tensor;
    :meth:`right_inverse` stores a new value."""

    def __init__(self, modules, original, unsafe=False):
        if len(modules) == 0:
            raise ValueError("ParametrizationList requires one or more modules.")
        super().__init__(modules)
        self.unsafe = unsafe
        shape_before, dtype_before = original.shape, original.dtype

        # the starting point: ``original`` pulled back through every parametrization that can invert
        with no_grad():
            pulled = original
            for step in reversed(list(self)):
                inverse = getattr(step, "right_inverse", None)
                if inverse is None:
                    continue
                try:
                    pulled = inverse(pulled)
                except NotImplementedError:
                    pass

        if isinstance(pulled, Tensor):
            self.is_tensor, self.ntensors = True, 1
            if pulled.dtype != original.dtype:
                raise ValueError("When `right_inverse` outputs one tensor, it may not change the dtype.\n"
                                 f"original.dtype: {original.dtype}\nright_inverse(original).dtype: {pulled.dtype}")
            # keep the very object: the module's parameter becomes ``original``
            _write_into(original, pulled)
            _attach(self, "original", original)
        elif isinstance(pulled, collections.abc.Sequence):
            self.is_tensor, self.ntensors = False, len(pulled)
            for k, part in enumerate(pulled):
                if not isinstance(part, Tensor):
                    raise ValueError("'right_inverse' must return a Tensor or a Sequence of tensors (list, tuple...). "
                                     f"Got element {k} of the sequence with type {type(part).__name__}.")
                if isinstance(original, Parameter):
                    part = Parameter(part.detach(), original.requires_grad)
                else:
                    part = part.detach()
                    if original.requires_grad:
                        part.requires_grad_(True)
                _attach(self, f"original{k}", part)
        else:
            raise ValueError("'right_inverse' must return a Tensor or a Sequence of tensors (list, tuple...). "
                             f"Got {type(pulled).__name__}")

        if not self.unsafe:
            _check_like(self(), dtype_before, shape_before, _NOT_A_TENSOR, _CHANGED_ON_REGISTRATION)

    def right_inverse(self, value):
        """Store ``value`` as the parametrized tensor: run every right inverse, last parametrization
        first, and copy the outcome into the original tensor(s)."""
        with no_grad():
            for step in reversed(list(self)):
                if not hasattr(step, "right_inverse"):
                    raise RuntimeError(f"parametrization {type(step).__name__} does not implement right_inverse.")
                value = step.right_inverse(value)
            if self.is_tensor:
                self._store_single(value)
            else:
                self._store_many(value)

    def _store_single(self, value):
        if not isinstance(value, Tensor):
            raise ValueError(f"`right_inverse` should return a tensor. Got {type(value).__name__}")
        if value.dtype != self.original.dtype:
            raise ValueError(f"The tensor returned by `right_inverse` has dtype {value.dtype} while `original` "
                             f"has dtype {self.original.dtype}")
        _write_into(self.original, value)

    def _store_many(self, values):
        if not isinstance(values, collections.abc.Sequence):
            raise ValueError(f"'right_inverse' must return a sequence of tensors. Got {type(values).__name__}.")
        if len(values) != self.ntensors:
            raise ValueError(f"'right_inverse' must return a sequence of tensors of length {self.ntensors}. Got a "
                             f"sequence of length {len(values)}.")
        for k, part in enumerate(values):
            slot = getattr(self, f"original{k}")
            if not isinstance(part, Tensor):
                raise ValueError(f"`right_inverse` must return a sequence of tensors. Got element {k} of type "
                                 f"{type(part).__name__}")
            if slot.dtype != part.dtype:
                raise ValueError(f"Tensor {k} returned by `right_inverse` has dtype {part.dtype} while `original{k}` "
                                 f"has dtype {slot.dtype}")
            _write_into(slot, part)

    def forward(self):
        steps = list(self)
        if self.is_tensor:
            out = steps[0](self.original)
        else:
            out = steps[0](*(getattr(self, key) for key in _originals_of(self)))
        for step in steps[1:]:
            out = step(out)
        return out


# ------------------------------------------------------------------------- the injected subclass
def _copy_parametrized(self, memo):
    done = memo.get(id(self))
    if done is not None:
        return done
    cls = type(self)
    twin = cls.__new__(cls)
    memo[id(self)] = twin
    for key, value in self.__dict__.items():
        twin.__dict__[key] = copy.deepcopy(value, memo)
    return twin


def _forbid_pickle(self):
    raise RuntimeError("Serialization of parametrized modules is only supported through state_dict(). See:\n"
                       "https://pytorch.org/tutorials/beginner/saving_loading_models.html"
                       "#saving-loading-a-general-checkpoint-for-inference-and-or-resuming-training")


def _swap_in_parametrized_class(module):
    """Give ``module`` a class of its own, ``Parametrized<Class>``, to carry the properties."""
    plain = type(module)
    namespace = {"__getstate__": _forbid_pickle}
    if not hasattr(plain, "__deepcopy__"):
        namespace["__deepcopy__"] = _copy_parametrized
    module.__class__ = type(f"Parametrized{plain.__name__}", (plain,), namespace)


def _install_property(module, tensor_name):
    def fget(self):
        return _CACHE.read(self, tensor_name)

    def fset(self, value):
        self.parametrizations[tensor_name].right_inverse(value)

    setattr(type(module), tensor_name, property(fget, fset))


def _check_extra_step(module, tensor_name, parametrization):
    """A parametrization appended to an existing chain must keep the tensor's dtype and shape, and
    so must its right inverse, when it has one."""
    current = getattr(module, tensor_name)
    mapped = parametrization(current)
    _check_like(mapped, current.dtype, current.shape, _NOT_A_TENSOR, _CHANGED_BY_EXTRA_STEP, tensor_name)
    if not hasattr(parametrization, "right_inverse"):
        return
    try:
        back = parametrization.right_inverse(mapped)
    except NotImplementedError:
        return
    _check_like(back, current.dtype, current.shape, _INVERSE_NOT_A_TENSOR, _CHANGED_BY_INVERSE, tensor_name)


# ------------------------------------------------------------------------------------ public API
def register_parametrization(module, tensor_name, parametrization, *, unsafe=False):
    """Parametrize ``module.<tensor_name>`` (a parameter, a buffer, or an already parametrized
    tensor, to which ``parametrization`` is appended) by the module ``parametrization``; returns
    ``module``. Without ``unsafe`` the parametrization must keep the tensor's dtype and shape."""
    parametrization.train(module.training)
    if is_parametrized(module, tensor_name):
        if not unsafe:
            _check_extra_step(module, tensor_name, parametrization)
        chain = module.parametrizations[tensor_name]
        chain.append(parametrization)
        chain.unsafe = chain.unsafe or unsafe
        return module
    if tensor_name not in module._parameters and tensor_name not in module._buffers:
        raise ValueError(f"Module '{module}' does not have a parameter, a buffer, or a parametrized element with name "
                         f"'{tensor_name}'")
    chain = ParametrizationList([parametrization], getattr(module, tensor_name), unsafe=unsafe)
    delattr(module, tensor_name)
    if not is_parametrized(module):
        _swap_in_parametrized_class(module)
        module.parametrizations = ModuleDict()
    module.parametrizations[tensor_name] = chain
    _install_property(module, tensor_name)
    return module


def is_parametrized(module, tensor_name=None):
    """Whether ``module`` has any parametrization, or one on ``tensor_name`` when given."""
    table = module.__dict__.get("_modules", {}).get("parametrizations")
    if not isinstance(table, ModuleDict):
        return False
    return len(table) > 0 if tensor_name is None else tensor_name in table


def remove_parametrizations(module, tensor_name, leave_parametrized=True):
    """Undo the parametrizations of ``module.<tensor_name>``: it becomes a plain parameter (or
    buffer) again, holding the parametrized value (``leave_parametrized``) or the original one.
    The last removal gives the module its original class back; returns ``module``."""
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"Module {module} does not have a parametrization on {tensor_name}")
    chain = module.parametrizations[tensor_name]
    if chain.is_tensor:
        restored = chain.original
        if leave_parametrized:
            with no_grad():
                value = getattr(module, tensor_name)
            if type(restored) is Tensor:
                _write_into(restored, value)
            else:
                try:
                    _write_into(restored, value)
                except RuntimeError as e:  # as PyTorch, for a Parameter (a Tensor subclass) too
                    raise RuntimeError(_SET_FAILED_ON_SUBCLASS) from e
    else:
        if not leave_parametrized:
            raise ValueError("Cannot leave unparametrized (`leave_parametrized=False`) a tensor that is parametrized in "
                             "terms of a sequence of tensors.")
        with no_grad():
            value = getattr(module, tensor_name).detach()
        needs_grad = any(getattr(chain, key).requires_grad for key in _originals_of(chain))
        restored = Parameter(value, True) if needs_grad else value
    plain = type_before_parametrizations(module)
    delattr(type(module), tensor_name)
    del module.parametrizations[tensor_name]
    _attach(module, tensor_name, restored)
    if not is_parametrized(module):
        delattr(module, "parametrizations")
        module.__class__ = plain
    return module


def type_before_parametrizations(module):
    """The class ``module`` had before its first parametrization (its class if it has none)."""
    return type(module).__bases__[0] if is_parametrized(module) else type(module)


def transfer_parametrizations_and_params(from_module, to_module, tensor_name=None):
    """Register ``from_module``'s parametrizations (all, or those of ``tensor_name``) on
    ``to_module`` too, sharing the original tensors; a tensor ``to_module`` lacks is created from
    the parametrized value. Returns ``to_module``."""
    if not is_parametrized(from_module):
        return to_module
    names = list(from_module.parametrizations) if tensor_name is None else [tensor_name]
    for name in names:
        source = from_module.parametrizations[name]
        if not hasattr(to_module, name):
            setattr(to_module, name, Parameter(getattr(from_module, name).detach()))
        for step in source:
            register_parametrization(to_module, name, step)
        target = to_module.parametrizations[name]
        with no_grad():
            for key in _originals_of(source):
                setattr(target, key, getattr(source, key))
    return to_module
