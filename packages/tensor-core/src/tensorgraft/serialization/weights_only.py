"""``weights_only``: refusing, with PyTorch's messages, what PyTorch's restricted unpickler refuses,
and the ``add_safe_globals`` allow-list (``torch.serialization.safe_globals`` & co.) that lifts
those refusals.

Separate because nothing here concerns the file format: for tensorgraft's safetensors files, which
never hold code, these rules only keep programs written for PyTorch behaving as they do there; for
pickled files (PyTorch's, and whole objects tensorgraft pickled) they are what keeps
``weights_only=True`` from running the file's code.
"""
from __future__ import annotations

import collections

from .values import _DEFAULTDICT_FACTORIES, _argparse_namespace, _global_name, _path_classes, _time_classes

_WO_HEAD = ("Weights only load failed. This file can still be loaded, to do so you have two options, \x1b[1mdo those "
            "steps only if you trust the source of the checkpoint\x1b[0m. \n\t(1) ")
_WO_DEFAULT_CHANGED = ("In PyTorch 2.6, we changed the default value of the `weights_only` argument in `torch.load` "
                       "from `False` to `True`. Re-running `torch.load` with `weights_only` set to `False` will likely "
                       "succeed, but it can result in arbitrary code execution. Do it only if you got the file from a "
                       "trusted source.")
_WO_DOCS = ("\n\nCheck the documentation of torch.load to learn more about types accepted by default with "
            "weights_only https://pytorch.org/docs/stable/generated/torch.load.html.")


def _unsupported_global(name: str):
    import pickle
    return pickle.UnpicklingError(
        f"{_WO_HEAD}{_WO_DEFAULT_CHANGED}\n\t(2) Alternatively, to load with `weights_only=True` please check the "
        "recommended steps in the following error message.\n\tWeightsUnpickler error: Unsupported global: GLOBAL "
        f"{name} was not an allowed global by default. Please use `torch.serialization.add_safe_globals([{name}])` "
        f"or the `torch.serialization.safe_globals([{name}])` context manager to allowlist this global if you trust "
        f"this class/function.{_WO_DOCS}")


# modules PyTorch's weights_only unpickler never loads a global of, even one allow-listed
_BLOCKED_MODULES = ("sys", "os", "posix", "nt")


def _blocked_global(module: str, name: str):
    import pickle
    return pickle.UnpicklingError(
        f"Weights only load failed. {_WO_DEFAULT_CHANGED}\n\n\nTrying to load unsupported GLOBAL {module}.{name} whose "
        f"module {module} is blocked.{_WO_DOCS}")


class ClassName:
    """A class a checkpoint names (``module``, ``qualname``) without importing it: equal to the
    allow-listed class of that name."""

    def __init__(self, module: str, qualname: str):
        self.__module__, self.__qualname__ = module, qualname

    def __eq__(self, other):
        return isinstance(other, type) and (other.__module__, other.__qualname__) == (self.__module__,
                                                                                      self.__qualname__)

    __hash__ = None


def allowed_classes() -> dict:
    """``(module, qualname) -> class`` of the allow-listed classes (``add_safe_globals``)."""
    return {(g.__module__, g.__qualname__): g for g in _safe_globals if isinstance(g, type)}


def restricted_globals(node):
    """The globals PyTorch's pickle of a checkpoint's document ``node`` would name that its
    restricted unpickler restricts, in the order it meets them: ``(class or factory, node)`` for
    each ``argparse.Namespace``, ``pathlib`` path, ``datetime`` value and ``defaultdict`` (its class,
    then its factory). Plain containers are walked; nothing else is restricted."""
    if not isinstance(node, list) or not node:
        return
    tag = node[0]
    if tag == "ns":
        yield _argparse_namespace(), node
        for _, v in node[1]:
            yield from restricted_globals(v)
    elif tag in ("path", "time"):
        yield {c.__name__: c for c in (_path_classes() if tag == "path" else _time_classes())}[node[1]], node
    elif tag == "dd":
        yield collections.defaultdict, node
        if node[1] is not None:
            yield _DEFAULTDICT_FACTORIES[node[1]], node
    elif tag in ("l", "t", "s", "fs"):
        for v in node[1]:
            yield from restricted_globals(v)
    elif tag == "Ta":  # attributes on a tensor
        yield from restricted_globals(node[1])
        for _, v in node[2]:
            yield from restricted_globals(v)
    elif tag == "Tc":  # a Tensor subclass, by name (not imported: the allow-list is matched by name)
        yield ClassName(node[2], node[3]), node
    elif tag in ("d", "od", "ctr"):
        for k, v in node[1]:
            yield from restricted_globals(k)
            yield from restricted_globals(v)


def _refuse_what_weights_only_refuses(node) -> None:
    """With ``weights_only`` (PyTorch's default), refuse what PyTorch's restricted unpickler refuses,
    in the order it meets them: an ``argparse.Namespace``, a ``pathlib`` path or a ``datetime`` value
    whose class is not allow-listed (``add_safe_globals``); a ``defaultdict`` unless its class and its
    factory are, and even then only an empty one. Nothing is executed either way; the refusal keeps
    programs written for PyTorch behaving as there."""
    for cls, owner in restricted_globals(node):
        if cls not in _safe_globals:
            raise _unsupported_global(_global_name(cls))
        if owner[0] == "dd" and owner[2] and (owner[1] is None or cls is not collections.defaultdict):
            import pickle
            raise pickle.UnpicklingError(
                f"Weights only load failed. {_WO_DEFAULT_CHANGED}\nPlease file an issue with the following so that "
                "we can make `weights_only=True` compatible with your use case: WeightsUnpickler error: \n\nCan "
                "only SETITEM for dict, collections.OrderedDict, collections.Counter, but got <class "
                f"'collections.defaultdict'>{_WO_DOCS}")


# ============================================================================ torch.serialization shims
# PyTorch's weights_only unpickler has an allow-list of globals. The same list lifts the refusals
# above for tensorgraft's own checkpoints, and lets the restricted unpickler of ``pytorch_files``
# rebuild those globals from a file PyTorch wrote.
_safe_globals: list = []


def _extend(entries) -> None:
    # PyTorch keeps a set: a global allow-listed twice is listed once by get_safe_globals()
    for entry in entries:
        if entry not in _safe_globals:
            _safe_globals.append(entry)


def add_safe_globals(safe_globals) -> None:
    _extend(list(safe_globals))


def get_safe_globals() -> list:
    return list(_safe_globals)


def clear_safe_globals() -> None:
    _safe_globals.clear()


class safe_globals:  # noqa: N801 - PyTorch's name
    """``with tensorgraft.serialization.safe_globals([...]):`` allow-lists the globals inside the block."""

    def __init__(self, safe_globals):
        self.safe_globals = list(safe_globals)

    def __enter__(self):
        self._n = len(_safe_globals)
        _extend(self.safe_globals)  # (only those not allow-listed already: __exit__ removes what it added)
        return self

    def __exit__(self, *exc):
        del _safe_globals[self._n:]
        return False
