"""``tensorgraft.nn.utils.prune``: magnitude, random and mask-based pruning, as ``torch.nn.utils.prune``.

Pruning a parameter ``<name>`` of a module moves the trainable tensor to ``<name>_orig``, keeps a
0/1 ``<name>_mask`` buffer, and installs the pruning method itself as a forward pre-hook that sets
the plain attribute ``<name> = <name>_orig * <name>_mask`` before every call (so gradients reach
``<name>_orig`` through the product). Pruning the same parameter again chains the methods in a
``PruningContainer``: each new method only sees the entries (or channels) still alive.
"""
from __future__ import annotations

import numbers
from abc import ABC, abstractmethod
from collections.abc import Iterable

import tensorgraft as _tg

__all__ = [
    "BasePruningMethod", "PruningContainer", "Identity", "RandomUnstructured", "L1Unstructured",
    "RandomStructured", "LnStructured", "CustomFromMask", "identity", "random_unstructured", "l1_unstructured",
    "random_structured", "ln_structured", "global_unstructured", "custom_from_mask", "remove", "is_pruned",
]


# --------------------------------------------------------------------------- amount validation
def _check_amount_type_and_range(amount):
    """Checked when a method is built, before it sees any tensor."""
    # bool is an int subclass; PyTorch lets it through here too and fails later in topk
    if not isinstance(amount, numbers.Real):
        raise TypeError(f"Invalid type for amount: {amount}. Must be int or float.")
    is_count = isinstance(amount, numbers.Integral)
    if (is_count and amount < 0) or (not is_count and not 0.0 <= float(amount) <= 1.0):
        raise ValueError(f"amount={amount} should either be a float in the range [0, 1] or a non-negative integer")


def _units_to_prune(amount, available):
    """How many of ``available`` entries/channels ``amount`` asks for (a count, or a rounded fraction).
    A bool count stays a bool, as in PyTorch: ``topk``/``kthvalue`` then refuse ``True`` as their ``k``
    (after the random draws), while the Ln-structured method, which asks for ``available - amount``, takes it."""
    if isinstance(amount, numbers.Integral):
        if amount > available:
            raise ValueError(f"amount={amount} should be smaller than the number of parameters to prune={available}")
        return amount
    return round(amount * available)  # Python's round: halves go to the even neighbour, as PyTorch


def _require_multidim(t):
    if t.dim() <= 1:
        raise ValueError("Structured pruning can only be applied to multidimensional tensors. Found tensor of "
                         f"shape {t.shape} with {t.dim()} dims")


def _keep_channels(t, dim, channel_selector):
    """A 0/1 mask shaped like ``t`` that is one on the channels ``channel_selector`` picks along ``dim``."""
    where = [slice(None)] * t.dim()
    where[dim] = channel_selector
    mask = _tg.zeros_like(t)
    mask[tuple(where)] = 1
    return mask


# --------------------------------------------------------------------------- the base class
class BasePruningMethod(ABC):
    """A pruning method: ``compute_mask`` says what to keep; the class-level ``apply`` wires a module up.

    Subclasses set ``PRUNING_TYPE`` to ``"unstructured"`` (any entries), ``"structured"`` (whole slices
    along ``self.dim``) or ``"global"`` (the mask covers the whole tensor); a ``PruningContainer`` uses it
    to decide which part of the tensor a later method gets to look at.
    """

    def __repr__(self):
        # the pruning tutorial prints ``module._forward_pre_hooks``; programs ported from PyTorch
        # expect PyTorch's module path for the methods defined here (a user's own subclass keeps
        # its own module in the default repr, as in PyTorch)
        cls = type(self)
        module = "torch.nn.utils.prune" if cls.__module__ == __name__ else cls.__module__
        return f"<{module}.{cls.__qualname__} object at {hex(id(self))}>"

    @abstractmethod
    def compute_mask(self, t, default_mask):
        """The new mask for ``t``, given the mask already in force (``default_mask``)."""

    def apply_mask(self, module):
        """``<name>_orig`` times ``<name>_mask`` (the mask cast to the parameter's dtype)."""
        name = getattr(self, "_tensor_name", None)
        if name is None:
            raise AssertionError(f"Module {module} has to be pruned")
        original = getattr(module, f"{name}_orig")
        return getattr(module, f"{name}_mask").to(dtype=original.dtype) * original

    def __call__(self, module, inputs):
        # the forward pre-hook: refresh the pruned tensor from the (possibly updated) original and mask
        module.__setattr__(self._tensor_name, self.apply_mask(module))

    @classmethod
    def apply(cls, module, name, *args, importance_scores=None, **kwargs):
        """Prune ``module.<name>`` with ``cls(*args, **kwargs)``, chaining with a pruning already there."""
        return _attach(cls, module, name, importance_scores, args, kwargs)


    def prune(self, t, default_mask=None, importance_scores=None):
        """``t`` with this method's mask applied (no module involved)."""
        if importance_scores is not None and tuple(importance_scores.shape) != tuple(t.shape):
            raise AssertionError("importance_scores should have the same shape as tensor t")
        scores = importance_scores if importance_scores is not None else t
        start = default_mask if default_mask is not None else _tg.ones_like(t)
        return t * self.compute_mask(scores, default_mask=start)

    def remove(self, module):
        """Make the pruning permanent: ``<name>`` becomes a parameter again holding the masked values."""
        if getattr(self, "_tensor_name", None) is None:
            raise AssertionError(f"Module {module} has to be pruned before pruning can be removed")
        name = self._tensor_name
        pruned = self.apply_mask(module)
        if hasattr(module, name):
            delattr(module, name)
        original = module._parameters[name + "_orig"]
        original.data = pruned.data
        del module._parameters[name + "_orig"]
        del module._buffers[name + "_mask"]
        setattr(module, name, original)


def _attach(cls, module, name, importance_scores, args, kwargs):
    previous_key, previous = _find_pruning_hook(module, name)
    newest = cls(*args, **kwargs)
    newest._tensor_name = name
    if previous is None:
        hook = newest
    else:
        hook = previous if isinstance(previous, PruningContainer) else PruningContainer(previous)
        hook.add_pruning_method(newest)
    current = getattr(module, name)
    if importance_scores is not None and tuple(importance_scores.shape) != tuple(current.shape):
        raise AssertionError(f"importance_scores should have the same shape as parameter {name} of {module}, "
                             f"got {importance_scores.shape} vs {current.shape}")
    already = None if previous is None else getattr(module, f"{name}_mask").detach().clone()
    # every check happens inside compute_mask; running it before touching the module means a
    # rejected amount leaves the module exactly as it was
    with _tg.no_grad():
        mask = hook.compute_mask(current if importance_scores is None else importance_scores,
                                 default_mask=_tg.ones_like(current) if already is None else already)
    if previous is None:
        module.register_parameter(f"{name}_orig", current)
        module._parameters.pop(name)
    else:
        module._forward_pre_hooks.pop(previous_key)  # the container (new or grown) takes its place
    module.register_buffer(f"{name}_mask", mask)
    module.__setattr__(name, hook.apply_mask(module))
    module.register_forward_pre_hook(hook)
    return hook


def _find_pruning_hook(module, name):
    found = [(key, hook) for key, hook in module._forward_pre_hooks.items()
             if isinstance(hook, BasePruningMethod) and hook._tensor_name == name]
    if len(found) > 1:
        raise AssertionError(f"Avoid adding multiple pruning hooks to the same tensor {name} of module {module}. "
                             "Use a PruningContainer.")
    return found[0] if found else (None, None)


# --------------------------------------------------------------------------- iterative pruning
class PruningContainer(BasePruningMethod):
    """The methods applied, in order, to one parameter; only the last one computes a new mask, and it
    only looks at what the earlier ones left alive."""

    def __init__(self, *args):
        self._pruning_methods = ()
        if len(args) == 1 and not isinstance(args[0], BasePruningMethod) and isinstance(args[0], Iterable):
            args = tuple(args[0])
        for method in args:
            if not hasattr(self, "_tensor_name") and isinstance(method, BasePruningMethod):
                self._tensor_name = method._tensor_name
            self.add_pruning_method(method)

    def add_pruning_method(self, method):
        if method is not None and not isinstance(method, BasePruningMethod):
            raise TypeError(f"{type(method)} is not a BasePruningMethod subclass")
        if method is not None and self._tensor_name != method._tensor_name:
            raise ValueError(f"Can only add pruning methods acting on the parameter named '{self._tensor_name}' "
                             f"to PruningContainer {self}. Found '{method._tensor_name}'")
        self._pruning_methods += (method,)

    def __getitem__(self, position):
        return self._pruning_methods[position]

    def __iter__(self):
        yield from self._pruning_methods

    def __len__(self):
        return len(self._pruning_methods)

    def compute_mask(self, t, default_mask):
        newest = self._pruning_methods[-1]
        region = _still_prunable(newest, t, default_mask)
        combined = default_mask.to(dtype=t.dtype)
        combined[region] = newest.compute_mask(t[region], default_mask=default_mask[region]).to(dtype=combined.dtype)
        return combined


def _still_prunable(method, t, mask):
    """The index into ``t`` that the newest method of a container may prune."""
    kind = method.PRUNING_TYPE
    if kind == "unstructured":
        return mask == 1                       # the surviving entries, flattened
    if kind == "structured":
        if not hasattr(method, "dim"):
            raise AttributeError("Pruning methods of PRUNING_TYPE 'structured' need to have the attribute `dim` "
                                 "defined.")
        ndim = t.dim()
        dim = method.dim + ndim if method.dim < 0 else method.dim
        if dim < 0:
            raise IndexError(f"Index is out of bounds for tensor with dimensions {ndim}")
        other_dims = [d for d in range(ndim) if d != dim]
        alive = mask.sum(dim=other_dims) != 0  # channels with anything left
        where = [slice(None)] * ndim
        where[dim] = alive
        return tuple(where)
    if kind == "global":
        return tuple([slice(None)] * t.dim())
    raise ValueError(f"Unrecognized PRUNING_TYPE {kind}")


# --------------------------------------------------------------------------- the methods
class Identity(BasePruningMethod):
    """Prunes nothing; useful to get the ``_orig``/``_mask`` layout without changing values."""

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t, default_mask):
        return default_mask

    @classmethod
    def apply(cls, module, name):
        return _attach(cls, module, name, None, (), {})


class _UnstructuredByScore(BasePruningMethod):
    """Zeroes the ``amount`` entries that ``_pick`` chooses from the flattened tensor."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount):
        _check_amount_type_and_range(amount)
        self.amount = amount

    def compute_mask(self, t, default_mask):
        count = _units_to_prune(self.amount, t.numel())
        mask = default_mask.clone()
        if count:
            mask.view(-1)[self._pick(t, count)] = 0
        return mask


class RandomUnstructured(_UnstructuredByScore):
    """Zeroes ``amount`` entries chosen uniformly at random."""

    @staticmethod
    def _pick(t, count):
        return _tg.topk(_tg.rand_like(t).reshape(-1), k=count).indices

    @classmethod
    def apply(cls, module, name, amount):
        return _attach(cls, module, name, None, (amount,), {})


class L1Unstructured(_UnstructuredByScore):
    """Zeroes the ``amount`` entries of smallest absolute value."""

    @staticmethod
    def _pick(t, count):
        return _tg.topk(t.abs().reshape(-1), k=count, largest=False).indices

    @classmethod
    def apply(cls, module, name, amount, importance_scores=None):
        return _attach(cls, module, name, importance_scores, (amount,), {})


class _StructuredByChannel(BasePruningMethod):
    """Zeroes the ``amount`` channels along ``dim`` that ``_kept_channels`` leaves out."""

    PRUNING_TYPE = "structured"

    def compute_mask(self, t, default_mask):
        _require_multidim(t)
        # PyTorch checks a too-large dim against the tensor (even when nothing is to be pruned) and
        # names it; a too-negative one just fails its shape lookup with "tuple index out of range"
        if self.dim >= t.dim():
            raise IndexError(f"Invalid index {self.dim} for tensor of size {t.shape}")
        channels = t.shape[self.dim]
        count = _units_to_prune(self.amount, channels)
        scores = self._channel_scores(t)  # even when nothing is pruned, as PyTorch: a bad norm order fails
        if count == 0:
            return default_mask
        mask = _keep_channels(t, *self._kept_channels(t, scores, channels, count))
        return mask * default_mask.to(dtype=mask.dtype)


class RandomStructured(_StructuredByChannel):
    """Zeroes ``amount`` whole channels along ``dim``, chosen at random."""

    def __init__(self, amount, dim=-1):
        _check_amount_type_and_range(amount)
        self.amount = amount
        self.dim = dim

    def _channel_scores(self, t):
        return None

    def _kept_channels(self, t, scores, channels, count):
        """(dim, selector of the kept channels) for ``_keep_channels``."""
        draws = _tg.rand(channels, device=t.device)
        cutoff = _tg.kthvalue(draws, k=count).values
        return self.dim, draws > cutoff

    @classmethod
    def apply(cls, module, name, amount, dim=-1):
        return _attach(cls, module, name, None, (amount, dim), {})


class LnStructured(_StructuredByChannel):
    """Zeroes the ``amount`` channels along ``dim`` of smallest L``n`` norm (``n`` as in ``torch.norm``'s ``p``)."""

    def __init__(self, amount, n, dim=-1):
        _check_amount_type_and_range(amount)
        self.amount = amount
        self.n = n
        self.dim = dim

    def _channel_scores(self, t):
        """The L``n`` norm of each channel along ``dim``."""
        dim = self.dim % t.dim()
        return _tg.norm(t, p=self.n, dim=[d for d in range(t.dim()) if d != dim])

    def _kept_channels(self, t, scores, channels, count):
        """(dim, indices of the kept channels) for ``_keep_channels``."""
        return self.dim % t.dim(), _tg.topk(scores, k=channels - count, largest=True).indices

    @classmethod
    def apply(cls, module, name, amount, n, dim, importance_scores=None):
        return _attach(cls, module, name, importance_scores, (amount, n, dim), {})


class CustomFromMask(BasePruningMethod):
    """Applies a mask given by the caller (combined with any mask already in force)."""

    PRUNING_TYPE = "global"

    def __init__(self, mask):
        self.mask = mask

    def compute_mask(self, t, default_mask):
        if tuple(default_mask.shape) != tuple(self.mask.shape):
            raise AssertionError(f"default_mask shape {default_mask.shape} must match self.mask shape "
                                 f"{self.mask.shape}")
        return default_mask * self.mask.to(dtype=default_mask.dtype)

    @classmethod
    def apply(cls, module, name, mask):
        return _attach(cls, module, name, None, (mask,), {})


# --------------------------------------------------------------------------- functional entry points
# each prunes ``module.<name>`` in place and hands the module back, for chaining
def identity(module, name):
    _attach(Identity, module, name, None, (), {})
    return module


def random_unstructured(module, name, amount):
    _attach(RandomUnstructured, module, name, None, (amount,), {})
    return module


def l1_unstructured(module, name, amount, importance_scores=None):
    _attach(L1Unstructured, module, name, importance_scores, (amount,), {})
    return module


def random_structured(module, name, amount, dim):
    _attach(RandomStructured, module, name, None, (amount, dim), {})
    return module


def ln_structured(module, name, amount, n, dim, importance_scores=None):
    _attach(LnStructured, module, name, importance_scores, (amount, n, dim), {})
    return module


def custom_from_mask(module, name, mask):
    _attach(CustomFromMask, module, name, None, (mask,), {})
    return module


def global_unstructured(parameters, pruning_method, importance_scores=None, **kwargs) -> None:
    """Prune several ``(module, name)`` pairs as one pool: ``amount`` counts across all of them."""
    if not isinstance(parameters, Iterable):
        raise TypeError("global_unstructured(): parameters is not an Iterable")
    parameters = list(parameters)
    importance_scores = importance_scores if importance_scores is not None else {}
    if not isinstance(importance_scores, dict):
        raise TypeError("global_unstructured(): importance_scores must be of type dict")
    method = pruning_method(**kwargs)
    method._tensor_name = "temp"
    if method.PRUNING_TYPE != "unstructured":
        raise TypeError('Only "unstructured" PRUNING_TYPE supported for the `pruning_method`. Found method '
                        f"{pruning_method} of type {method.PRUNING_TYPE}")
    scores, masks_so_far = [], []
    for module, name in parameters:
        current = getattr(module, name)
        scores.append(importance_scores.get((module, name), current).reshape(-1))
        existing = getattr(module, name + "_mask", None)
        masks_so_far.append((existing if existing is not None else _tg.ones_like(current)).reshape(-1))
    # one container over the concatenation, so already-pruned entries are skipped like in iterative pruning
    pool = PruningContainer()
    pool._tensor_name = "temp"
    pool.add_pruning_method(method)
    with _tg.no_grad():
        pooled_mask = pool.compute_mask(_tg.cat(scores), _tg.cat(masks_so_far))
    start = 0
    for module, name in parameters:
        current = getattr(module, name)
        stop = start + current.numel()
        custom_from_mask(module, name, mask=pooled_mask[start:stop].reshape(tuple(current.shape)))
        start = stop


def remove(module, name):
    """Make the pruning of ``module.<name>`` permanent and drop ``<name>_orig``, ``<name>_mask`` and the hook."""
    key, hook = _find_pruning_hook(module, name)
    if hook is not None:
        hook.remove(module)
        module._forward_pre_hooks.pop(key)
        return module
    raise ValueError(f"Parameter '{name}' of module {module} has to be pruned before pruning can be removed")


def is_pruned(module) -> bool:
    """Whether ``module`` or any submodule carries a pruning hook."""
    return any(isinstance(hook, BasePruningMethod)
               for _, sub in module.named_modules() for hook in sub._forward_pre_hooks.values())
