"""``Optimizer``: parameter groups, per-parameter state, hooks and ``state_dict`` as in ``torch.optim``.

Parameters are core ``Tensor`` objects; they need not require grad (a tensor whose ``.grad`` was set by
hand is optimized too), so optimizers work with core alone. Nothing here imports the autograd engine.
"""
from __future__ import annotations

import copy
import functools
import itertools
import sys
from collections import OrderedDict, defaultdict
from typing import Any, Dict, Iterable, Tuple, Union

from tensorgraft.tensor import Tensor
from tensorgraft.utils.hooks import RemovableHandle  # one handle class for every hook, as in PyTorch

__all__ = ["Optimizer", "required", "RemovableHandle", "register_optimizer_step_pre_hook",
           "register_optimizer_step_post_hook"]


class _RequiredParameter:
    """Singleton marking a hyper-parameter every group must give (``torch.optim.optimizer.required``)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


_global_pre_hooks: OrderedDict = OrderedDict()
_global_post_hooks: OrderedDict = OrderedDict()


def register_optimizer_step_pre_hook(hook) -> RemovableHandle:
    """A pre-hook run before every optimizer's ``step``: ``hook(optimizer, args, kwargs)``."""
    h = RemovableHandle(_global_pre_hooks)
    _global_pre_hooks[h.id] = hook
    return h


def register_optimizer_step_post_hook(hook) -> RemovableHandle:
    h = RemovableHandle(_global_post_hooks)
    _global_post_hooks[h.id] = hook
    return h


def _typename(obj) -> str:
    if isinstance(obj, Tensor):
        return obj.type()  # PyTorch's legacy type name: torch.DoubleTensor, torch.cuda.FloatTensor, ...
    t = type(obj)
    mod = t.__module__
    return t.__qualname__ if mod in ("builtins", "__builtin__", None) else f"{mod}.{t.__qualname__}"


def _scalar_tensor(value) -> Tensor:
    """A 0-d float32 CPU tensor, as torch keeps ``step`` counters."""
    import numpy as np

    from tensorgraft.device import device
    from tensorgraft.tensor import wrap
    return wrap(np.array(float(value), dtype=np.float32), device("cpu"))


def _is_foreign_array(value) -> bool:
    """An array of another library (``numpy.ndarray``, ``torch.Tensor``...): not a Python scalar."""
    if isinstance(value, (bool, int, float, complex, str, bytes)) or value is None:
        return False
    return hasattr(value, "__array__") and hasattr(value, "shape") and hasattr(value, "dtype")


def _from_foreign(value) -> Tensor:
    import numpy as np

    from tensorgraft import as_tensor
    if not isinstance(value, np.ndarray):
        for name in ("detach", "cpu", "numpy"):      # torch: requires-grad and device tensors refuse __array__
            method = getattr(value, name, None)
            if callable(method):
                value = method()
        value = np.asarray(value)
    return as_tensor(value.copy(), device="cpu")  # moved to the parameter's device where it is used


def evaluate_closure(closure):
    """``step(closure)``'s first act in every optimizer: re-evaluate the loss with gradients on
    (``step`` itself may run under ``no_grad``); None without a closure."""
    if closure is None:
        return None
    from tensorgraft.grad_mode import enable_grad
    with enable_grad():
        return closure()


# The type aliases and helpers that optimizers written outside torch.optim import from
# torch.optim.optimizer (``params: ParamsT``, ``@_use_grad_for_differentiable def step``), often in
# code copied from PyTorch's own optimizers.
ParamsT = Union[Iterable[Tensor], Iterable[Dict[str, Any]], Iterable[Tuple[str, Tensor]]]
StateDict = Dict[str, Any]


def _use_grad_for_differentiable(func):
    """Runs ``step`` with grad mode on only when the optimizer was built ``differentiable=True``."""
    from tensorgraft.grad_mode import is_grad_enabled, set_grad_enabled

    @functools.wraps(func)
    def _use_grad(*args, **kwargs):
        self = args[0]
        previous = is_grad_enabled()
        try:
            set_grad_enabled(self.defaults["differentiable"])
            return func(*args, **kwargs)
        finally:
            set_grad_enabled(previous)
    return _use_grad


def _get_value(x):
    return x.item() if isinstance(x, Tensor) else x


def _to_scalar(x):
    """A one-element hyper-parameter tensor as a 0-d tensor; anything else unchanged."""
    return x.squeeze() if isinstance(x, Tensor) and x.dim() != 0 else x


def _get_scalar_dtype(is_fused=None):
    import tensorgraft
    if not is_fused and tensorgraft.get_default_dtype() == tensorgraft.float64:
        return tensorgraft.float64
    return tensorgraft.float32


def _default_to_fused_or_foreach(params, differentiable, use_fused=False):
    """``(fused, foreach)`` defaults: fused kernels where asked for and every parameter is a float
    tensor on a device that has them (CPU and CUDA), else foreach for CUDA parameters only."""
    if differentiable:
        return False, False
    kinds = (Tensor, _parameter_type())
    fused = use_fused and all(p is None or (type(p) in kinds and p.device.type in ("cpu", "cuda")
                                            and p.is_floating_point()) for p in params)
    foreach = not fused and all(p is None or (type(p) in kinds and p.device.type == "cuda") for p in params)
    return fused, foreach


def _parameter_type():
    # a Parameter exists only once tensorgraft.nn is loaded; optimizers work without it
    module = sys.modules.get("tensorgraft.nn.parameter")
    return Tensor if module is None else module.Parameter


def _wrap_step(func):
    """Runs the step hooks around a subclass's ``step`` (an LR scheduler adds its own tracking wrapper)."""

    @functools.wraps(func)
    def step(self, *args, **kwargs):
        if self.__dict__.get("_tg_in_step"):
            return func(self, *args, **kwargs)  # a subclass's step calling super().step()
        self._tg_in_step = True
        try:
            return _run(self, args, kwargs)
        finally:
            self._tg_in_step = False

    def _run(self, args, kwargs):
        # As in torch, the hooks see ``args`` with the optimizer first, and a pre-hook's new args include it.
        args = (self, *args)
        for hook in itertools.chain(_global_pre_hooks.values(), self._optimizer_step_pre_hooks.values()):
            result = hook(self, args, kwargs)
            if result is not None:
                if isinstance(result, tuple) and len(result) == 2:
                    args, kwargs = result
                else:
                    raise RuntimeError(f"<function {type(self).__name__}.step at {hex(id(func))}> must return None "
                                       f"or a tuple of (new_args, new_kwargs), but got {result}.")
        out = func(*args, **kwargs)
        for hook in itertools.chain(self._optimizer_step_post_hooks.values(), _global_post_hooks.values()):
            hook(self, args, kwargs)
        return out

    step._tg_hooked = True
    return step


class Optimizer:
    """Base class of every optimizer (built-in or from a plugin).

    Subclasses call ``super().__init__(params, defaults)`` and implement ``step(closure=None)``.
    ``self.state`` maps each parameter tensor to a dict of its state; ``self.param_groups`` is a list
    of dicts holding ``'params'`` and the group's hyper-parameters (the ``defaults`` fill the rest).
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_tg_hooked", False):
            cls.step = _wrap_step(step)

    def __init__(self, params, defaults: dict):
        self.defaults = defaults
        self._optimizer_step_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_step_post_hooks: OrderedDict = OrderedDict()
        self._optimizer_state_dict_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_state_dict_post_hooks: OrderedDict = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_load_state_dict_post_hooks: OrderedDict = OrderedDict()
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            f"but got {_typename(params)}")
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    # ------------------------------------------------------------------ pickling / printing
    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    # Filled in by ``__setstate__`` (so also by ``load_state_dict``) where a loaded group lacks them, in
    # torch's order: state_dicts from older versions (or hand-written ones) then still step.
    _group_setdefaults: tuple = ()
    # Per-parameter state entries torch keeps as 0-d float32 tensors; plain numbers are converted.
    _scalar_state_keys: tuple = ()

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks", "_optimizer_state_dict_pre_hooks",
                     "_optimizer_state_dict_post_hooks", "_optimizer_load_state_dict_pre_hooks",
                     "_optimizer_load_state_dict_post_hooks"):
            if name not in self.__dict__:
                setattr(self, name, OrderedDict())
        self.defaults.setdefault("differentiable", False)
        for group in self.param_groups:
            for key, value in self._group_setdefaults:
                group.setdefault(key, value)
            for p in group["params"]:
                p_state = self.state.get(p)
                for key in self._scalar_state_keys if p_state else ():
                    v = p_state.get(key)
                    if v is not None and not isinstance(v, Tensor):
                        p_state[key] = _scalar_tensor(v)
        self._invalidate()

    def __repr__(self) -> str:
        blocks = []
        for i, group in enumerate(self.param_groups):
            lines = [f"Parameter Group {i}"] + [f"    {key}: {group[key]}" for key in sorted(group) if key != "params"]
            blocks.append("\n".join(lines))
        # a blank line between groups, as PyTorch prints them
        return f"{self.__class__.__name__} (\n" + "\n\n".join(blocks) + "\n)"

    def _invalidate(self) -> None:
        """Drop cached per-group flat buffers (subclasses that keep any override this)."""

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group: dict) -> None:
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering "
                            "of tensors in sets will change between runs. Please use a list instead.")
        else:
            param_group["params"] = list(params)
        tensors, names = [], []
        for p in param_group["params"]:
            if isinstance(p, tuple):
                names.append(p[0])
                tensors.append(p[1])
            else:
                tensors.append(p)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            param_group["param_names"] = names
        for p in tensors:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is " + _typename(p))
            if not self.defaults.get("differentiable", None) and not (p.grad_fn is None or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)
        if len({id(p) for p in tensors}) != len(tensors):
            import warnings
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this will "
                          "cause an error; see github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        seen = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                txt = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {txt} to the optimizer")
        if any(id(p) in seen for p in tensors):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)
        self._invalidate()

    # ------------------------------------------------------------------ gradients
    def zero_grad(self, set_to_none: bool = True) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                if set_to_none:
                    p._grad = None
                else:
                    if g.grad_fn is not None:
                        g.detach_()
                    else:
                        g._requires_grad = False
                    g._data[...] = 0
                    g._vc[0] += 1

    def step(self, closure=None):
        raise NotImplementedError

    # ------------------------------------------------------------------ hooks
    def register_step_pre_hook(self, hook) -> RemovableHandle:
        """``hook(optimizer, args, kwargs) -> None or (new_args, new_kwargs)``, run before ``step``; ``args``
        starts with the optimizer itself (as in torch), and so must ``new_args``."""
        h = RemovableHandle(self._optimizer_step_pre_hooks)
        self._optimizer_step_pre_hooks[h.id] = hook
        return h

    def register_step_post_hook(self, hook) -> RemovableHandle:
        """``hook(optimizer, args, kwargs) -> None``, run after ``step``."""
        h = RemovableHandle(self._optimizer_step_post_hooks)
        self._optimizer_step_post_hooks[h.id] = hook
        return h

    def _add_hook(self, table, hook, prepend):
        h = RemovableHandle(table)
        table[h.id] = hook
        if prepend:
            table.move_to_end(h.id, last=False)
        return h

    def register_state_dict_pre_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        return self._add_hook(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        return self._add_hook(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        return self._add_hook(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        return self._add_hook(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # ------------------------------------------------------------------ state dict
    def _sync_state(self) -> None:
        """Make ``self.state`` current (subclasses keeping state elsewhere override this)."""

    def state_dict(self) -> dict:
        """``{'state': {0: {...}, ...}, 'param_groups': [{..., 'params': [0, 1]}]}`` with integer ids
        numbering the parameters in order of appearance, as ``torch.optim.Optimizer.state_dict``."""
        for hook in self._optimizer_state_dict_pre_hooks.values():
            hook(self)
        self._sync_state()
        mapping: dict = {}
        start = 0
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                mapping.setdefault(id(p), i)
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            groups.append(packed)
        packed_state = {(mapping[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        sd = {"state": packed_state, "param_groups": groups}
        for hook in self._optimizer_state_dict_post_hooks.values():
            r = hook(self, sd)
            if r is not None:
                sd = r
        return sd

    @staticmethod
    def _cast_state_value(param, value, key):
        if key == "step":
            return value
        if param.is_floating_point():
            return value.to(dtype=param.dtype, device=param.device)
        return value.to(device=param.device)

    def load_state_dict(self, state_dict: dict) -> None:
        state_dict = dict(state_dict)
        for hook in self._optimizer_load_state_dict_pre_hooks.values():
            r = hook(self, state_dict)
            if r is not None:
                state_dict = r
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                             "optimizer's group")
        id_map = dict(zip(itertools.chain.from_iterable(g["params"] for g in saved_groups),
                          itertools.chain.from_iterable(g["params"] for g in groups)))

        def cast(param, value, key=None):
            if not isinstance(value, Tensor) and _is_foreign_array(value):
                value = _from_foreign(value)     # e.g. a torch.Tensor or numpy array from a torch state_dict
            if isinstance(value, Tensor):
                return self._cast_state_value(param, value, key)
            if isinstance(value, dict):
                return {k: cast(param, v, k) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return type(value)(cast(param, v) for v in value)
            return value

        state: defaultdict = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = cast(param, v)
            else:
                state[k] = v

        new_groups = []
        for g, ng in zip(groups, saved_groups):
            ng["params"] = g["params"]
            if "param_names" in g and "param_names" not in ng:
                ng["param_names"] = g["param_names"]
            new_groups.append(ng)
        self.__setstate__({"state": state, "param_groups": new_groups})
        for hook in self._optimizer_load_state_dict_post_hooks.values():
            hook(self)
