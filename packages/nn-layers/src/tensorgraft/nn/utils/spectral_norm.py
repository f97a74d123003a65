"""Hook-based spectral normalisation (``torch.nn.utils.spectral_norm``).

``module.<name>`` is recomputed before every forward as ``<name>_orig / sigma``, where ``sigma``
estimates the largest singular value of ``<name>_orig`` seen as a matrix (``dim`` first, the other
dims flattened) by the bilinear form ``u . W v`` of two unit vectors, the buffers ``<name>_u`` and
``<name>_v``. In training mode each forward first refines them by ``n_power_iterations`` steps of
the power method, in place and outside autograd.
"""
from __future__ import annotations

import tensorgraft as _tg
from tensorgraft.grad_mode import no_grad

from .. import functional as F
from ..parameter import Parameter, is_lazy

__all__ = ["SpectralNorm", "spectral_norm", "remove_spectral_norm"]

_SUFFIXES = ("_orig", "_u", "_v")


def _unit(vec, eps):
    return F.normalize(vec, dim=0, eps=eps)


def _pytorch_repr(obj):
    """``<torch.nn.utils.spectral_norm.X object at 0x..>``: the hooks print (in ``module._forward_pre_hooks``
    and ``_state_dict_hooks``) under PyTorch's module path, as there; a user's subclass keeps its own."""
    cls = type(obj)
    module = "torch.nn.utils.spectral_norm" if cls.__module__ == __name__ else cls.__module__
    return f"<{module}.{cls.__qualname__} object at {hex(id(obj))}>"


class SpectralNorm:
    """The forward pre-hook of :func:`spectral_norm`; ``_version`` is recorded in state dicts."""

    _version = 1
    __repr__ = _pytorch_repr

    def __init__(self, name="weight", n_power_iterations=1, dim=0, eps=1e-12):
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.name = name
        self.dim = dim
        self.n_power_iterations = n_power_iterations
        self.eps = eps

    # -------------------------------------------------------------- pieces of the computation
    def _keys(self):
        return tuple(self.name + s for s in _SUFFIXES)

    def reshape_weight_to_matrix(self, weight):
        """``weight`` as a matrix: its ``dim`` becomes the rows, the rest is flattened into columns."""
        lead = weight if self.dim == 0 else weight.movedim(self.dim, 0)
        return lead.reshape(lead.shape[0], -1)

    def _refine(self, mat, u, v):
        # v <- W^T u / |.|, then u <- W v / |.|, written into the buffers
        flipped = mat.mT
        for _ in range(self.n_power_iterations):
            v.copy_(_unit(_tg.mv(flipped, u), self.eps))
            u.copy_(_unit(_tg.mv(mat, v), self.eps))

    def compute_weight(self, module, do_power_iteration):
        orig_key, u_key, v_key = self._keys()
        orig = getattr(module, orig_key)
        u, v = getattr(module, u_key), getattr(module, v_key)
        mat = self.reshape_weight_to_matrix(orig)
        if do_power_iteration:
            with no_grad():
                self._refine(mat.detach(), u, v)
            # the graph keeps copies: the next refinement overwrites the buffers
            u, v = u.clone(), v.clone()
        sigma = _tg.dot(u, _tg.mv(mat, v))
        return orig / sigma

    def _solve_v_and_rescale(self, weight_mat, u, target_sigma):
        """A ``v`` with ``W v`` as close as possible to ``u`` (least squares), scaled so that
        ``u . W v`` equals ``target_sigma``: rebuilds the ``v`` a version-0 checkpoint lacks."""
        v = _tg.mv(_tg.linalg.pinv(weight_mat), u)
        return v * (target_sigma / _tg.dot(u, _tg.mv(weight_mat, v)))

    # ------------------------------------------------------------------------ hook protocol
    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module, do_power_iteration=module.training))

    def remove(self, module):
        with no_grad():
            final = self.compute_weight(module, do_power_iteration=False)
        delattr(module, self.name)
        for key in self._keys():
            delattr(module, key)
        module.register_parameter(self.name, Parameter(final.detach()))

    @staticmethod
    def apply(module, name, n_power_iterations, dim, eps):
        if any(isinstance(h, SpectralNorm) and h.name == name for h in module._forward_pre_hooks.values()):
            raise RuntimeError(f"Cannot register two spectral_norm hooks on the same parameter {name}")
        hook = SpectralNorm(name, n_power_iterations, dim, eps)
        weight = module._parameters[name]
        if is_lazy(weight):
            raise ValueError("The module passed to `SpectralNorm` can't have uninitialized parameters. Make sure to "
                             "run the dummy forward before applying spectral normalization")
        with no_grad():
            rows, cols = hook.reshape_weight_to_matrix(weight).shape
            start_u = _unit(weight.new_empty(rows).normal_(0, 1), hook.eps)
            start_v = _unit(weight.new_empty(cols).normal_(0, 1), hook.eps)
        orig_key, u_key, v_key = hook._keys()
        del module._parameters[name]
        module.register_parameter(orig_key, weight)
        # until the first forward, ``module.<name>`` is the unnormalised weight, outside autograd
        setattr(module, name, weight.data)
        module.register_buffer(u_key, start_u)
        module.register_buffer(v_key, start_v)
        module.register_forward_pre_hook(hook)
        module._register_state_dict_hook(SpectralNormStateDictHook(hook))
        module._register_load_state_dict_pre_hook(SpectralNormLoadStateDictPreHook(hook))
        return hook


class SpectralNormStateDictHook:
    """Records ``{"<name>.version": 1}`` under ``"spectral_norm"`` in the module's state-dict metadata."""

    __repr__ = _pytorch_repr

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, module, state_dict, prefix, local_metadata):
        table = getattr(state_dict, "_metadata", None)
        entry = table.get(prefix[:-1]) if table is not None else None
        if entry is None:
            entry = local_metadata
        versions = entry.setdefault("spectral_norm", {})
        tag = self.fn.name + ".version"
        if tag in versions:
            raise RuntimeError(f"Unexpected key in metadata['spectral_norm']: {tag}")
        versions[tag] = self.fn._version


class SpectralNormLoadStateDictPreHook:
    """Upgrades a version-0 checkpoint (it stored ``<name>`` and no ``<name>_v``) while loading."""

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs):
        recorded = (local_metadata or {}).get("spectral_norm", {}).get(self.fn.name + ".version")
        if recorded is not None and recorded >= 1:
            return
        plain_key = prefix + self.fn.name
        orig_key, u_key, v_key = (prefix + k for k in self.fn._keys())
        if plain_key not in state_dict or orig_key not in state_dict or u_key not in state_dict:
            return      # the current layout (or nothing of this hook's)
        with no_grad():
            orig = state_dict[orig_key]
            normalised = state_dict.pop(plain_key)
            sigma = (orig / normalised).mean()
            mat = self.fn.reshape_weight_to_matrix(orig)
            state_dict[v_key] = self.fn._solve_v_and_rescale(mat, state_dict[u_key], sigma)


def _transposed_convs():
    from ..modules.conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
    return ConvTranspose1d, ConvTranspose2d, ConvTranspose3d


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Normalise ``module.<name>`` by its (power-iteration estimate of the) largest singular value
    before every forward; returns ``module``. ``dim`` (the output-channel dim) defaults to 1 for
    the transposed convolutions and 0 otherwise."""
    if dim is None:
        dim = 1 if isinstance(module, _transposed_convs()) else 0
    SpectralNorm.apply(module, name, n_power_iterations, dim, eps)
    return module


def remove_spectral_norm(module, name="weight"):
    """Drop the spectral normalisation of ``module.<name>``: it becomes a parameter again, holding
    the last normalised value. Returns ``module``."""
    hooks = module._forward_pre_hooks
    found = next((k for k, h in hooks.items() if isinstance(h, SpectralNorm) and h.name == name), None)
    if found is None:
        raise ValueError(f"spectral_norm of '{name}' not found in {module}")
    fn = hooks.pop(found)
    module._forward_pre_hooks_with_kwargs.pop(found, None)
    fn.remove(module)
    for store, kind in ((module._state_dict_hooks, SpectralNormStateDictHook),
                        (module._load_state_dict_pre_hooks, SpectralNormLoadStateDictPreHook)):
        for key in [k for k, h in store.items() if isinstance(h, kind) and h.fn.name == name]:
            del store[key]
    return module
