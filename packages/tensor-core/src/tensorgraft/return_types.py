"""``tensorgraft.return_types``: the named-tuple classes that ops return (``torch.return_types``).

Every one is made by one factory, ``tensorgraft.ops._return_types.return_type``, next to the ops
that return it; this module only publishes them, so ``tensorgraft.return_types.<name>`` *is* the
class an op returns and ``isinstance(torch.max(x, 0), torch.return_types.max)`` holds. The classes
name this module as theirs, which is where pickle looks a result's class up.

Collected rather than listed by hand so that a result type added next to a new op shows up here
without a second edit (tests/test_core_return_types*.py pin the set and compare it with PyTorch's).
With ``out=`` an op returns PyTorch's ``<name>_out`` class (``sort_out``: the same fields, printed
under that name), made together with the ordinary one (``ops/_return_types.OUT_VARIANTS``).
"""
from . import linalg as _linalg  # noqa: F401  (imports every ops module, hence every result type)
from .ops._return_types import RESULT_TYPES as _RESULT_TYPES


def _is_result_class(value) -> bool:
    # the factory's base class has no fields of its own
    return isinstance(value, type) and issubclass(value, tuple) and bool(getattr(value, "_fields", ()))


def _collect() -> dict:
    import sys
    found = dict(_RESULT_TYPES)
    # a named tuple a core module defines without the factory (collections.namedtuple) is still the
    # class its op returns, so it is listed too (tests flag it: it neither prints nor pickles as
    # PyTorch's). Plugins' ops (tensorgraft.ops.<ns>) are skipped: their result types are theirs to name.
    core = {f"tensorgraft.ops.{m}" for m in _core_ops_modules()} | {"tensorgraft.linalg"}
    for module_name in sorted(core):
        module = sys.modules.get(module_name)
        for value in vars(module).values() if module is not None else ():
            # only classes the module defines itself (tensorgraft.linalg re-exports the ops' classes)
            if _is_result_class(value) and value.__module__ == module_name and not value.__name__.startswith("_"):
                known = found.setdefault(value.__name__, value)
                if known is not value:
                    raise RuntimeError(f"two result types are named {value.__name__!r}: {known.__module__} and "
                                       f"{value.__module__}")
    return found


def _core_ops_modules():
    from .ops._bind import RESERVED_NAMESPACES
    return RESERVED_NAMESPACES


_TYPES = _collect()
globals().update(_TYPES)

all_return_types = sorted(set(_TYPES.values()), key=lambda cls: cls.__name__)
__all__ = sorted(_TYPES) + ["all_return_types"]


def __getattr__(name):
    # a class the factory made after this module was imported (an op module imported later)
    cls = _RESULT_TYPES.get(name)
    if cls is not None:
        return cls
    raise AttributeError(f"module 'tensorgraft.return_types' has no attribute '{name}'")
