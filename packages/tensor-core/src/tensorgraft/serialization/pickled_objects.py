"""Whole objects saved and loaded by pickling, as ``torch.save(model)`` / ``torch.load(path,
weights_only=False)`` do: a module, an optimizer, an instance of the program's own classes, or any
container holding one.

Saving. What tensorgraft's safetensors format holds (tensors, state_dicts, plain data) is still
written in that format; ``save`` comes here only for an object that format cannot hold. It is written
as PyTorch writes every object: its zip format, the object pickled into ``data.pkl`` with each tensor
as PyTorch's rebuild call over a storage record (``pytorch_writer``'s pickler). Classes are written
under their own import names (``tensorgraft.nn.modules.linear.Linear``, ``__main__.Net``), so that
``add_safe_globals([nn.Linear])`` names what the file names, as in PyTorch.

Loading. ``weights_only=True`` (the default) keeps the restricted unpickler of ``pytorch_files``, which
refuses such a file with PyTorch's "Weights only load failed" message naming the class.
``weights_only=False`` is the user's explicit opt-in to unpickling, exactly as in PyTorch: the pickle's
globals are imported and run (:func:`find_global`). PyTorch's names map to tensorgraft's
(``torch.nn.modules.batchnorm.BatchNorm2d`` to ``tensorgraft.nn.BatchNorm2d``, ``torch.optim.sgd.SGD``
to ``tensorgraft.optim.SGD``), so a whole model PyTorch saved loads into tensorgraft modules: their
pickled ``__dict__`` (``_parameters``, ``_buffers``, ``_modules``, the hook dicts, ``training``...) has
the layout tensorgraft's ``Module`` keeps, and ``Module.__setstate__`` fills in what an older pickle
lacks. The program's own classes (``__main__.Net``, which under ``import tensorgraft as torch``
subclasses ``tensorgraft.nn.Module``) are imported by module and name, as pickle does.
"""
from __future__ import annotations

import importlib
import io
import pickle
import types

from ..device import device as _device_cls
from ..memory_layout import layout as _layout
from ..tensor import Size, Tensor
from .pytorch_writer import _Pickler, write_archive_to

# PyTorch modules whose functions tensorgraft keeps elsewhere: a pickle names a function by the
# module it is defined in (``F.gelu`` is ``torch._C._nn.gelu``, ``torch.relu`` is
# ``torch._C._VariableFunctions.relu``)
_MODULE_ALIASES = {
    "torch._C._nn": "tensorgraft.nn.functional",
    "torch._C._VariableFunctions": "tensorgraft",
    "torch._C._linalg": "tensorgraft.linalg",
    "torch._C._fft": "tensorgraft.fft",
    "torch._C._special": "tensorgraft.special",
    "torch._tensor": "tensorgraft.tensor",
    "torch.functional": "tensorgraft",
}


class _ObjectPickler(_Pickler):
    """``pytorch_writer``'s pickler (tensors as PyTorch's rebuild calls over storage records, dtypes
    and devices by PyTorch's names) that pickles every other object the ordinary way."""

    def reducer_override(self, obj):
        if isinstance(obj, (Tensor, Size, _device_cls, _layout)):
            return super().reducer_override(obj)
        return NotImplemented

    def save_global(self, obj, name=None):
        # the C pickler torch.save uses says this (an AttributeError) for a class or function defined
        # inside a function; the pure-Python one this pickler builds on raises a PicklingError
        qualname = name or getattr(obj, "__qualname__", None)
        if isinstance(qualname, str) and "<locals>" in qualname:
            raise AttributeError(f"Can't pickle local object {qualname!r}")
        try:
            super().save_global(obj, name)
        except pickle.PicklingError:
            if name is not None:
                raise
            # a global pickle cannot find again (a lambda: "attribute lookup <lambda> on __main__
            # failed"): the C pickler's words, which torch.save shows, not the pure-Python one's
            try:
                pickle.dumps(obj, protocol=2)
            except pickle.PicklingError as exc:
                raise pickle.PicklingError(str(exc)) from None
            raise

    dispatch = _Pickler.dispatch.copy()
    dispatch[types.FunctionType] = save_global  # (the base table holds the base class's function)


def pickle_object(obj):
    """(the ``data.pkl`` bytes, the storages they name) of ``obj``; raises, as pickle does, for
    what cannot be pickled (a lambda, a local class), before anything is written."""
    buf = io.BytesIO()
    pickler = _ObjectPickler(buf)
    pickler.dump(obj)
    return buf.getvalue(), pickler.storages


def save_pickled(obj, f) -> None:
    """Write ``obj`` to ``f`` (a path, atomically, or a binary file object) as ``torch.save`` writes
    it: PyTorch's zip format with the object pickled."""
    data_pkl, storages = pickle_object(obj)
    write_archive_to(f, data_pkl, storages)


def _lookup(module_name: str, qualname: str):
    """``module.qualname`` as pickle finds it (a dotted qualname walks attributes)."""
    obj = importlib.import_module(module_name)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def _tensorgraft_counterpart(module: str, name: str):
    """tensorgraft's object for PyTorch's ``module.name``: the same module path under ``tensorgraft``
    (``torch.nn.modules.linear`` -> ``tensorgraft.nn.modules.linear``), else the nearest package
    above it that exports the name (``torch.nn.modules.batchnorm.BatchNorm2d`` is
    ``tensorgraft.nn.BatchNorm2d``), down to the subpackage (``tensorgraft.nn``, ``tensorgraft.optim``)."""
    alias = _MODULE_ALIASES.get(module)
    candidates = [alias] if alias else []
    parts = ("tensorgraft" + module[len("torch"):]).split(".")
    floor = min(2, len(parts))  # never above tensorgraft.<subpackage> (torch.nn.X is not tensorgraft.X)
    for n in range(len(parts), floor - 1, -1):
        candidates.append(".".join(parts[:n]))
    for candidate in candidates:
        try:
            return _lookup(candidate, name)
        except (ImportError, AttributeError):
            continue
    from .._parts import PARTS
    part = ".".join(parts[:2])
    if part in PARTS:
        # torch.optim.sgd.SGD where tensorgraft-optim is not installed: the part's own error names the
        # distribution to install (importing an installed part raises nothing)
        importlib.import_module(part)
    raise pickle.UnpicklingError(
        f"this checkpoint holds {module}.{name}, which tensorgraft has no counterpart of, so the object cannot be "
        "rebuilt here. In PyTorch, save the model's state_dict() (torch.save(model.state_dict(), path)) and load it "
        "into the tensorgraft model with model.load_state_dict(tensorgraft.load(path))")


_MISSING = object()


def find_global(module: str, name: str):
    """A pickle global with ``weights_only=False``: PyTorch's names mapped to tensorgraft's, any other
    imported as pickle imports it. Returns ``_MISSING`` when the global's module is not installed (a
    library of the saving program: the caller stands an inert placeholder in for it); a name missing
    from a module that is there raises pickle's AttributeError."""
    if module == "torch" or module.startswith("torch."):
        return _tensorgraft_counterpart(module, name)
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (module == exc.name or module.startswith(exc.name + ".")):
            return _MISSING
        raise
    obj = mod
    try:
        for part in name.split("."):
            obj = getattr(obj, part)
    except AttributeError:
        raise AttributeError(f"Can't get attribute '{name}' on {mod!r}") from None
    return obj
