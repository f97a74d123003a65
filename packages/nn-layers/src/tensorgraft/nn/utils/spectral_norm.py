"""Spectral normalisation, the hook-based API (``torch.nn.utils.spectral_norm``).

The parameter ``name`` becomes ``name_orig``; buffers ``name_u`` and ``name_v`` hold estimates of
the first left and right singular vectors of the weight seen as a matrix (``dim`` first, the other
dims flattened). A forward pre-hook sets ``name = name_orig / sigma`` with
``sigma = u . (W v)``; in training mode it first refines ``u`` and ``v`` by ``n_power_iterations``
steps of the power method, in place and without recording gradients. ``u`` and ``v`` start as
random unit vectors drawn on the weight's device.
"""
from __future__ import annotations

import tensorgraft as _tg

from .. import functional as F
from ..parameter import Parameter

__all__ = ["SpectralNorm", "spectral_norm", "remove_spectral_norm"]


class SpectralNorm:
    # version of the state_dict layout (1: name_orig, name_u and name_v all stored)
    _version = 1

    def __init__(self, name="weight", n_power_iterations=1, dim=0, eps=1e-12):
        self.name = name
        self.dim = dim
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.n_power_iterations = n_power_iterations
        self.eps = eps

    def reshape_weight_to_matrix(self, weight):
        mat = weight
        if self.dim != 0:
            mat = mat.permute(self.dim, *[d for d in range(mat.dim()) if d != self.dim])
        return mat.reshape(mat.size(0), -1)

    def compute_weight(self, module, do_power_iteration):
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        weight_mat = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            with _tg.no_grad():
                for _ in range(self.n_power_iterations):
                    # written into the buffers, so the estimates carry over to the next call
                    v = F.normalize(_tg.mv(weight_mat.t(), u), dim=0, eps=self.eps, out=v)
                    u = F.normalize(_tg.mv(weight_mat, v), dim=0, eps=self.eps, out=u)
                # the graph below keeps u and v: clones, so the next update in place cannot change them
                u = u.clone()
                v = v.clone()
        sigma = _tg.dot(u, _tg.mv(weight_mat, v))
        return weight / sigma

    def remove(self, module):
        with _tg.no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        delattr(module, self.name)
        delattr(module, self.name + "_u")
        delattr(module, self.name + "_v")
        delattr(module, self.name + "_orig")
        module.register_parameter(self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module, do_power_iteration=module.training))

    @staticmethod
    def apply(module, name, n_power_iterations, dim, eps):
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, SpectralNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two spectral_norm hooks on the same parameter {name}")
        fn = SpectralNorm(name, n_power_iterations, dim, eps)
        weight = module._parameters[name]
        with _tg.no_grad():
            weight_mat = fn.reshape_weight_to_matrix(weight)
            h, w = weight_mat.shape
            u = F.normalize(weight.new_empty(h).normal_(0, 1), dim=0, eps=fn.eps)
            v = F.normalize(weight.new_empty(w).normal_(0, 1), dim=0, eps=fn.eps)
        delattr(module, fn.name)
        module.register_parameter(fn.name + "_orig", weight)
        # until the first forward, ``name`` is the weight itself (as PyTorch's)
        setattr(module, fn.name, weight.detach())
        module.register_buffer(fn.name + "_u", u)
        module.register_buffer(fn.name + "_v", v)
        module.register_forward_pre_hook(fn)
        module._register_state_dict_hook(SpectralNormStateDictHook(fn))
        return fn


class SpectralNormStateDictHook:
    """Records the layout version under ``spectral_norm`` in the state_dict's metadata."""

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, module, state_dict, prefix, local_metadata):
        meta = getattr(state_dict, "_metadata", None)
        local = meta.get(prefix[:-1]) if meta is not None else None
        if local is None:
            local = local_metadata
        sn = local.setdefault("spectral_norm", {})
        key = self.fn.name + ".version"
        if key in sn:
            raise RuntimeError(f"Unexpected key in metadata['spectral_norm']: {key}")
        sn[key] = self.fn._version


def _transposed_convs():
    from ..modules import conv
    return tuple(getattr(conv, n) for n in ("ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d") if hasattr(conv, n))


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Reparametrise ``module.<name>`` as ``<name>_orig / sigma`` (sigma: its largest singular
    value, estimated by power iteration); returns the module. ``dim`` defaults to 1 for the
    transposed convolutions (their output channels) and 0 otherwise."""
    if dim is None:
        dim = 1 if isinstance(module, _transposed_convs()) else 0
    SpectralNorm.apply(module, name, n_power_iterations, dim, eps)
    return module


def remove_spectral_norm(module, name="weight"):
    """Fold the normalised weight back into a parameter ``<name>``; returns the module."""
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, SpectralNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            break
    else:
        raise ValueError(f"spectral_norm of '{name}' not found in {module}")
    for k, hook in module._state_dict_hooks.items():
        if isinstance(hook, SpectralNormStateDictHook) and hook.fn.name == name:
            del module._state_dict_hooks[k]
            break
    return module
