"""Random ops inside a vectorized vmap, PyTorch's three modes: 'error' refuses them, 'different'
draws a batched value (one ``(B, *shape)`` draw, every sample its own numbers), 'same' draws once
for one sample and lets that value stand for every sample. Ops on batched tensors reach their
rule through BatchedTensor; factories that take no tensor (``randn(3)``) are seen by a
``TorchFunctionMode`` entered only in 'different' mode (in 'same' mode their one draw already is
the answer; in 'error' mode the generator is checked after the function ran, as the loop does)."""
from __future__ import annotations

from tensorgraft.overrides import TorchFunctionMode
from tensorgraft.tensor import Tensor

from .._vmap_guards import _SAME_RANDOMNESS_MSG
from ._batched import here
from ._common import FUNCTIONAL, METHOD, TORCH, at, physical, register, wrap
from ._fallback import fallback, refuse_inplace_into_unbatched

# (``_vmap.py`` raises it inline in ``_RandomnessGuard.after``: the same text)
RANDOM_ERROR_MSG = ("vmap: called random operation while in randomness error mode. Please either use the 'same' or "
                    "'different' randomness flags on vmap or perform the randomness operation out of vmap")
INPLACE_DIFFERENT_MSG = ("vmap: Cannot ask for different inplace randomness on an unbatched tensor. This will appear "
                         "like same randomness. If this is necessary for your usage, please file an issue with "
                         "functorch.")


def randomness_of(level):
    for lv, _, randomness in reversed(here.levels):
        if lv == level:
            return randomness
    return "error"


def _stand_in_zeros(t):
    import tensorgraft
    return tensorgraft.zeros(tuple(t._data.shape), dtype=t.dtype, device=t.device)


def _shaped_like_input(func, level, size, args, kwargs):
    """Random ops whose draw has the input's shape (rand_like, bernoulli_, uniform_...)."""
    t = args[0]
    mode = randomness_of(level)
    if mode == "error":
        raise RuntimeError(RANDOM_ERROR_MSG)
    if not at(t, level) or any(at(a, level) for a in args[1:]) or any(at(v, level) for v in kwargs.values()):
        if mode == "same":
            raise RuntimeError(_SAME_RANDOMNESS_MSG)
        return fallback(func, level, size, args, kwargs)
    inplace = func.__name__.endswith("_")
    if mode == "different":
        out = func(t._physical, *args[1:], **kwargs)
        return t if inplace else wrap(out, level)
    draw = func(_stand_in_zeros(t), *args[1:], **kwargs)  # 'same': one sample's draw, for every sample
    if inplace:
        t._physical.copy_(draw.expand_as(t._physical))
        return t
    return draw


def _from_tensor_parameters(func, level, size, args, kwargs):
    """bernoulli(p) / poisson(rates) / normal(means...) / multinomial(probs): draws from batched
    parameters; 'same' cannot give every sample the same draw from different parameters."""
    mode = randomness_of(level)
    if mode == "error":
        raise RuntimeError(RANDOM_ERROR_MSG)
    if mode == "same":
        raise RuntimeError(_SAME_RANDOMNESS_MSG)
    t = args[0] if args else None
    if func.__name__ in ("bernoulli", "poisson") and at(t, level) and len(args) == 1 and not kwargs:
        return wrap(func(t._physical), level)
    return fallback(func, level, size, args, kwargs)


def _dropout(func, level, size, args, kwargs):
    x = args[0]
    p = args[1] if len(args) > 1 else kwargs.get("p", 0.5)
    training = args[2] if len(args) > 2 else kwargs.get("training", True)
    inplace = args[3] if len(args) > 3 else kwargs.get("inplace", False)
    if not training or p == 0:
        return x if inplace else wrap(physical(x, level, size).clone(), level)
    mode = randomness_of(level)
    if mode == "error":
        raise RuntimeError(RANDOM_ERROR_MSG)
    if inplace and not at(x, level):
        refuse_inplace_into_unbatched("dropout_", x, args[1:], kwargs, level)
    if mode == "different":
        if func.__name__ in ("dropout", "alpha_dropout"):
            return wrap(func(physical(x, level, size, True).contiguous(), *args[1:], **kwargs), level)
        return fallback(func, level, size, args, kwargs)  # (feature dropouts: per channel of each sample)
    import tensorgraft
    ones = tensorgraft.ones(tuple(x._data.shape), dtype=x.dtype, device=x.device)
    mask = func(ones, p, True)  # 'same': one mask for every sample
    if func.__name__ == "alpha_dropout":
        return fallback(func, level, size, args, kwargs)
    if inplace:
        x.mul_(mask)
        return x
    return x * mask


register("rand_like randn_like randint_like", _shaped_like_input, (TORCH,))
register("uniform_ normal_ bernoulli_ random_ exponential_ geometric_ cauchy_ log_normal_", _shaped_like_input,
         (METHOD,))
register("bernoulli poisson multinomial normal binomial", _from_tensor_parameters)
register("dropout alpha_dropout dropout1d dropout2d dropout3d feature_alpha_dropout", _dropout, (FUNCTIONAL,))
register("dropout alpha_dropout feature_dropout", _dropout, (TORCH,))


# --------------------------------------------------------------------------- 'different': factories
_FACTORIES = {"rand", "randn", "randint", "normal", "randperm", "rand_like", "randn_like", "randint_like",
              "bernoulli", "poisson", "multinomial"}
_DROPOUTS = {"dropout", "alpha_dropout"}
_INPLACE_RANDOM = {"uniform_", "normal_", "bernoulli_", "random_", "exponential_", "geometric_", "cauchy_",
                   "log_normal_"}


def _any_batched(values) -> bool:
    from ._batched import BatchedTensor
    for v in values:
        if v.__class__ is BatchedTensor or (isinstance(v, (list, tuple)) and any(
                x.__class__ is BatchedTensor for x in v)):
            return True
    return False


def _size_args(args, kwargs, first):
    """(positional args before the size, the size) of a factory call, or None."""
    if "size" in kwargs:
        size = kwargs["size"]
        return args, tuple(size) if isinstance(size, (tuple, list)) else (size,), "kw"
    rest = args[first:]
    if len(rest) == 1 and isinstance(rest[0], (tuple, list)):
        return args[:first], tuple(rest[0]), "tuple"
    if rest and all(isinstance(s, int) for s in rest):
        return args[:first], tuple(rest), "varargs"
    return None


class DifferentRandomness(TorchFunctionMode):
    """Entered while a vmap with randomness='different' runs its function: random factories
    that take no batched tensor draw for every sample at once."""

    def __init__(self, level, size):
        super().__init__()
        self.level, self.size = level, size

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "")
        if name in _DROPOUTS and args and isinstance(args[0], Tensor) and not _any_batched(args) \
                and not _any_batched(kwargs.values()):
            # an unbatched input, different masks: the input expanded to the batch, one draw
            x = args[0]
            # (contiguous: a dropout draws its mask by the memory it is given)
            expanded = x.unsqueeze(0).expand((self.size,) + tuple(x.shape)).contiguous()
            inplace = args[3] if len(args) > 3 else kwargs.get("inplace", False)
            if inplace:
                raise RuntimeError(INPLACE_DIFFERENT_MSG)
            return wrap(func(expanded, *args[1:], **kwargs), self.level)
        if name in _INPLACE_RANDOM and args and isinstance(args[0], Tensor) and not _any_batched(args[:1]):
            raise RuntimeError(INPLACE_DIFFERENT_MSG)
        if name not in _FACTORIES or _any_batched(args) or _any_batched(kwargs.values()) or \
                not any(self.level == lv for lv, _, _ in here.levels):
            return func(*args, **kwargs)
        b = self.size
        if name in ("rand_like", "randn_like", "randint_like", "bernoulli", "poisson", "multinomial", "randperm") \
                or (name == "normal" and any(isinstance(a, Tensor) for a in (*args, *kwargs.values()))):
            if b == 0:
                return func(*args, **kwargs)
            import tensorgraft
            return wrap(tensorgraft.stack([func(*args, **kwargs) for _ in range(b)]), self.level)
        first = {"randint": 1 if len(args) < 3 or isinstance(args[1], (tuple, list)) else 2, "normal": 2}.get(name, 0)
        if name == "randint" and len(args) >= 2 and not isinstance(args[1], (tuple, list)):
            first = 2
        parsed = _size_args(args, kwargs, first)
        if parsed is None:
            return func(*args, **kwargs)
        before, shape, how = parsed
        new_shape = (b,) + shape
        if how == "kw":
            return wrap(func(*before, **dict(kwargs, size=new_shape)), self.level)
        return wrap(func(*before, new_shape, **kwargs), self.level)
