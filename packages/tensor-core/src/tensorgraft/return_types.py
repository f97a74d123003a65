"""``tensorgraft.return_types``: the named-tuple classes that ops return (``torch.return_types``).

The classes stay where the ops that build them live (``ops/reduction.py``'s ``return_type``
namespace for ``max``/``sort``/``topk``..., ``collections.namedtuple`` classes next to the linear
algebra ops); this module only collects them, so ``tensorgraft.return_types.<name>`` *is* the class
an op returns and ``isinstance(torch.max(x, 0), torch.return_types.max)`` holds.

Collected by scanning rather than listed by hand so that a result type added next to a new op shows
up here without a second edit (tests/test_core_return_types*.py pin the set and compare it with
PyTorch's). Differences from ``torch.return_types``:

* ``slogdet`` is the class ``tensorgraft.slogdet`` returns, which is ``linalg_slogdet`` (PyTorch has
  two classes with the same fields).
* There are no ``<name>_out`` classes: with ``out=`` an op returns its ordinary class.
"""
from . import linalg as _linalg  # noqa: F401  (its own result types: linalg_inv_ex, linalg_cholesky_ex)
from .ops import reduction as _reduction


def _is_result_class(value) -> bool:
    return isinstance(value, type) and issubclass(value, tuple) and hasattr(value, "_fields")


def _collect() -> dict:
    import sys
    found = {name: cls for name, cls in vars(_reduction.return_types).items()
             if not name.startswith("_") and _is_result_class(cls)}
    # every core ops module is imported by ``import tensorgraft``; plugins' ops (tensorgraft.ops.<ns>)
    # are skipped: their result types are theirs to name
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
# tensorgraft.slogdet returns linalg_slogdet's class (PyTorch has one of its own): that name reaches it too
_TYPES.setdefault("slogdet", _TYPES["linalg_slogdet"])
globals().update(_TYPES)

all_return_types = sorted(set(_TYPES.values()), key=lambda cls: cls.__name__)
__all__ = sorted(_TYPES) + ["all_return_types"]


def __getattr__(name):
    if name.endswith("_out") and name[:-4] in _TYPES:
        raise AttributeError(f"module 'tensorgraft.return_types' has no attribute '{name}': with out= an op returns "
                             f"return_types.{name[:-4]} here")
    raise AttributeError(f"module 'tensorgraft.return_types' has no attribute '{name}'")
