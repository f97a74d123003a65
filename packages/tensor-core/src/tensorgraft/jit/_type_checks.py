"""``torch.jit.isinstance``: an ``isinstance`` that also checks contained types (``List[int]``,
``Dict[str, Tensor]``), which TorchScript code uses to refine a value's type."""
from __future__ import annotations

import types
import typing

_BARE_GENERICS = {list: ("list", 1), tuple: ("tuple", 1), dict: ("dict", 2), typing.List: ("List", 1),
                  typing.Tuple: ("Tuple", 1), typing.Dict: ("Dict", 2), typing.Optional: ("Optional", 1)}


def _matches(obj, tp) -> bool:
    if tp in _BARE_GENERICS:
        name, n = _BARE_GENERICS[tp]
        if n == 1:
            raise RuntimeError(f"Attempted to use {name} without a contained type. Please add a contained type, "
                               f"e.g. {name}[int]")
        raise RuntimeError(f"Attempted to use {name} without contained types. Please add contained type, e.g. "
                           f"{name}[int, int]")
    if tp is typing.Any:
        return True
    if tp is None or tp is type(None):
        return obj is None
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is None:
        return isinstance(obj, tp)
    if origin is typing.Union or origin is types.UnionType:
        return any(_matches(obj, a) for a in args)
    if origin is list:
        return isinstance(obj, list) and all(_matches(v, args[0]) for v in obj)
    if origin is dict:
        return isinstance(obj, dict) and all(_matches(k, args[0]) and _matches(v, args[1]) for k, v in obj.items())
    if origin is tuple:
        if not isinstance(obj, tuple):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(_matches(v, args[0]) for v in obj)
        return len(obj) == len(args) and all(_matches(v, a) for v, a in zip(obj, args))
    return isinstance(obj, origin)


def jit_isinstance(obj, target_type) -> bool:
    """Whether ``obj`` matches a type with its contained types (``List[int]``, ``Dict[str, Tensor]``,
    ``Optional[...]``, ``Tuple[...]``), checked element by element."""
    return _matches(obj, target_type)


# PyTorch's name is ``torch.jit.isinstance``. Defined under another name so that the builtin
# ``isinstance`` keeps its meaning in this file; the package exports it under PyTorch's name.
jit_isinstance.__name__ = jit_isinstance.__qualname__ = "isinstance"
