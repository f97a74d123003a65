"""Hook-based weight normalisation (``torch.nn.utils.weight_norm``, deprecated there in favour of
``torch.nn.utils.parametrizations.weight_norm``).

The parameter ``<name>`` is split into a magnitude ``<name>_g`` (its norm over every dim but
``dim``; over the whole tensor for ``dim=None``/``-1``) and a direction ``<name>_v``; a forward
pre-hook rebuilds ``module.<name> = <name>_g * <name>_v / ||<name>_v||`` before every call.
"""
from __future__ import annotations

import warnings

from ..functional_ops.weight_norm import norm_except_dim, weight_norm as _weight_norm
from ..parameter import Parameter, is_lazy

__all__ = ["WeightNorm", "weight_norm", "remove_weight_norm"]


class WeightNorm:
    """The forward pre-hook of :func:`weight_norm` for one parameter."""

    def __init__(self, name, dim):
        self.name = name
        self.dim = -1 if dim is None else dim

    def __repr__(self):
        # printed (in ``module._forward_pre_hooks``) under PyTorch's module path, as there
        cls = type(self)
        module = "torch.nn.utils.weight_norm" if cls.__module__ == __name__ else cls.__module__
        return f"<{module}.{cls.__qualname__} object at {hex(id(self))}>"

    def _parts(self, module):
        return getattr(module, self.name + "_g"), getattr(module, self.name + "_v")

    def compute_weight(self, module):
        magnitude, direction = self._parts(module)
        return _weight_norm(direction, magnitude, self.dim)

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module))

    def remove(self, module):
        rebuilt = self.compute_weight(module)
        delattr(module, self.name)
        for suffix in ("_g", "_v"):
            del module._parameters[self.name + suffix]
        setattr(module, self.name, Parameter(rebuilt.data))

    @staticmethod
    def apply(module, name, dim):
        if any(isinstance(h, WeightNorm) and h.name == name for h in module._forward_pre_hooks.values()):
            raise RuntimeError(f"Cannot register two weight_norm hooks on the same parameter {name}")
        hook = WeightNorm(name, dim)
        weight = getattr(module, name)
        if is_lazy(weight):
            raise ValueError("The module passed to `WeightNorm` can't have uninitialized parameters. Make sure to "
                             "run the dummy forward before applying weight normalization")
        del module._parameters[name]
        magnitude = norm_except_dim(weight, 2, hook.dim)
        module.register_parameter(name + "_g", Parameter(magnitude.data))
        module.register_parameter(name + "_v", Parameter(weight.data))
        setattr(module, name, hook.compute_weight(module))
        module.register_forward_pre_hook(hook)
        return hook


def weight_norm(module, name="weight", dim=0):
    """Reparametrize ``module.<name>`` as magnitude ``<name>_g`` times direction ``<name>_v``;
    returns ``module``. Deprecated (a ``FutureWarning``), as in PyTorch."""
    warnings.warn("`torch.nn.utils.weight_norm` is deprecated in favor of "
                  "`torch.nn.utils.parametrizations.weight_norm`.", FutureWarning, stacklevel=2)
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module, name="weight"):
    """Fold ``<name>_g``/``<name>_v`` back into a single parameter ``<name>``; returns ``module``."""
    hooks = module._forward_pre_hooks
    for key, hook in list(hooks.items()):
        if isinstance(hook, WeightNorm) and hook.name == name:
            hook.remove(module)
            del hooks[key]
            module._forward_pre_hooks_with_kwargs.pop(key, None)
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")
