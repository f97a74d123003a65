"""``torch.nn.modules.utils``: the argument normalisers layer code imports (``_pair`` and friends) and
``consume_prefix_in_state_dict_if_present`` (for checkpoints saved from a ``DataParallel``-wrapped model)."""
from __future__ import annotations

import types
from collections.abc import Iterable

__all__ = ["consume_prefix_in_state_dict_if_present"]


def _ntuple(n, name="parse"):
    """A function turning a scalar into an ``n``-tuple of it; an iterable is returned as a tuple unchanged."""
    def parse(x):
        if isinstance(x, Iterable):
            return tuple(x)
        return (x,) * n

    parse.__name__ = name
    return parse


_single, _pair, _triple, _quadruple = (_ntuple(n, f"_{word}") for n, word in
                                       ((1, "single"), (2, "pair"), (3, "triple"), (4, "quadruple")))


def _reverse_repeat_tuple(t, n):
    """``t`` reversed with each element repeated ``n`` times: conv padding per dim -> ``F.pad``'s last-dim-first list."""
    repeated = []
    for item in t[::-1]:
        repeated += [item] * n
    return tuple(repeated)


def _list_with_default(out_size, defaults):
    """Adaptive-pool sizes: ``None`` entries take the input's size from the trailing ``defaults``."""
    if isinstance(out_size, int):
        return out_size
    if len(defaults) <= len(out_size):
        raise ValueError(f"Input dimension should be at least {len(out_size) + 1}")
    return [given if given is not None else fallback for given, fallback in zip(out_size, defaults[-len(out_size):])]


def _own_init(cls):
    """Give ``cls`` its own copy of the ``__init__`` it inherits, named ``<cls>.__init__``; returns ``cls``.

    Python words a wrong constructor call (a missing, surplus or unknown argument) with the
    ``__qualname__`` of the ``__init__`` that ran. Where PyTorch's layer defines its own ``__init__``
    and tensorgraft's shares one with its siblings in a private base, the copy makes the TypeError
    name the layer called (``Conv2d.__init__() missing 1 required positional argument: 'kernel_size'``,
    not ``_Conv.__init__()``). The copy keeps the original's code and closure, so its ``super()``
    still starts after the base that wrote it."""
    init = cls.__init__
    copy = types.FunctionType(init.__code__, init.__globals__, "__init__", init.__defaults__, init.__closure__)
    copy.__kwdefaults__ = init.__kwdefaults__
    copy.__dict__.update(init.__dict__)
    copy.__doc__, copy.__module__ = init.__doc__, init.__module__
    copy.__annotations__ = dict(init.__annotations__)
    copy.__qualname__ = f"{cls.__name__}.__init__"
    cls.__init__ = copy
    return cls


def consume_prefix_in_state_dict_if_present(state_dict, prefix: str) -> None:
    """Strip ``prefix`` from the keys (and the ``_metadata`` keys) of ``state_dict`` that start with it, in place."""
    for key in list(state_dict.keys()):
        if key.startswith(prefix):
            state_dict[key[len(prefix):]] = state_dict.pop(key)
    metadata = getattr(state_dict, "_metadata", None)
    if metadata is None:
        return
    for key in list(metadata.keys()):
        # the root module's metadata key is "" and a child's is its dotted path without a trailing dot
        if len(key) == 0:
            continue
        if key == prefix.replace(".", "") or key.startswith(prefix):
            metadata[key[len(prefix):]] = metadata.pop(key)
