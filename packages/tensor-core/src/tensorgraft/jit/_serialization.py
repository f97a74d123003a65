"""``torch.jit.save`` and ``load`` for tensorgraft's scripted and traced modules.

``save`` writes a module as a tensorgraft checkpoint (safetensors + JSON, see tensorgraft/serialization.py):
each submodule's class by its import name, its parameters, buffers, training flag and plain attributes.
``load`` reads only such files: it imports the classes by name (they must be importable where the file
is loaded) and never unpickles code. A TorchScript archive written by PyTorch holds TorchScript code, which
tensorgraft cannot run; ``load`` says so.
"""
from __future__ import annotations

import collections
import inspect
import os

from ..tensor import Tensor
from ._modules import ScriptFunction, _derived_class, _is_module, _is_script_module, _nn

_FORMAT_KEY = "tensorgraft.jit"
_FORMAT_VERSION = 1
_CORE_STORES = ("training", "_parameters", "_buffers", "_non_persistent_buffers_set", "_modules")
_LEAVES = (type(None), bool, int, float, complex, str, bytes)


def save(m, f, _extra_files=None) -> None:
    """Writes the scripted or traced module ``m`` to ``f`` (a path or a binary file object) as a
    tensorgraft checkpoint that :func:`load` reads back; ``_extra_files`` maps names to str/bytes."""
    if isinstance(m, ScriptFunction):
        raise RuntimeError("tensorgraft.jit.save stores modules (their classes by import name, weights and "
                           "attributes); a scripted function is Python code, which tensorgraft does not save: import "
                           "the function where it is needed")
    if not _is_script_module(m):
        raise AttributeError(f"'{type(m).__name__}' object has no attribute 'save'")
    extra = {}
    for name, content in (_extra_files or {}).items():
        if not isinstance(name, str) or not isinstance(content, (str, bytes)):
            raise TypeError("save(): _extra_files must map str names to str or bytes contents, got "
                            f"{type(name).__name__} -> {type(content).__name__}")
        extra[name] = content.encode() if isinstance(content, str) else bytes(content)
    from ..serialization import save as save_checkpoint
    writer = _Writer()
    writer.module(m, "")
    save_checkpoint({_FORMAT_KEY: {"version": _FORMAT_VERSION, "modules": writer.records, "extra_files": extra}}, f)


# tensorgraft's ops are made by factories (their __module__ is where the factory lives): found by name here
_OP_NAMESPACES = ("tensorgraft", "tensorgraft.nn.functional", "tensorgraft.special", "tensorgraft.linalg",
                  "tensorgraft.fft")


def _import_name(obj):
    """A ``"module:qualname"`` that imports back to ``obj`` itself, or None."""
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(qualname, str):
        return None
    candidates = [f"{module}:{qualname}"]
    if module.startswith("tensorgraft") and "." not in qualname:
        candidates += [f"{ns}:{qualname}" for ns in _OP_NAMESPACES]
    for name in candidates:
        if "<" in name:
            continue
        try:
            if _resolve(name) is obj:
                return name
        except (ImportError, AttributeError):
            pass
    return None


def _resolve(name: str):
    import importlib
    module, _, qualname = name.partition(":")
    obj = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def _storable(v) -> bool:
    """What tensorgraft.save holds as it is (no modules, functions or other objects inside)."""
    import numpy as np

    from ..device import device
    from ..dtypes import dtype
    from ..tensor import Size
    if type(v) in _LEAVES or type(v) is Size or isinstance(v, (Tensor, dtype, device, np.ndarray, np.generic)):
        return True
    if type(v) in (list, tuple, set, frozenset):
        return all(_storable(x) for x in v)
    if type(v) in (dict, collections.OrderedDict):
        return all(_storable(k) and _storable(x) for k, x in v.items())
    return False


class _Writer:
    """One record per module object (shared submodules are written once and referenced by index)."""

    def __init__(self):
        self.records, self.index = [], {}
        self.internals = set(_nn().Module().__dict__)

    def module(self, mod, path: str) -> int:
        if id(mod) in self.index:
            return self.index[id(mod)]
        i = self.index[id(mod)] = len(self.records)
        self.records.append(None)
        cls = getattr(type(mod), "_tg_original_class", type(mod))
        class_name = _import_name(cls)
        where = path or "the module"
        if class_name is None:
            raise RuntimeError(f"tensorgraft.jit.save stores each module's class by its import name, and "
                               f"{cls.__module__}.{cls.__qualname__} ({where}) cannot be imported by that name: "
                               "define the class at the top level of a module")
        d = mod.__dict__
        for store in sorted(self.internals.difference(_CORE_STORES)):
            if d.get(store):
                raise RuntimeError(f"tensorgraft.jit.save cannot store the hooks registered on {where} ({store}): "
                                   "hooks are Python functions; remove them before saving")
        params = d["_parameters"]
        self.records[i] = {
            "class": class_name, "kind": getattr(type(mod), "_tg_kind", None), "training": bool(d["training"]),
            "parameters": dict(params), "buffers": dict(d["_buffers"]),
            "requires_grad": {k: p.requires_grad for k, p in params.items() if p is not None},
            "non_persistent": sorted(d["_non_persistent_buffers_set"]),
            "modules": {k: None if c is None else self.module(c, f"{path}.{k}" if path else k)
                        for k, c in d["_modules"].items()},
            "attributes": {k: self.value(v, f"{path}.{k}" if path else k) for k, v in d.items()
                           if k not in self.internals}}
        return i

    def value(self, v, path: str):
        if _storable(v):
            return ["=", v]
        kind = type(v).__name__
        if type(v) in (list, tuple, set, frozenset):
            return [kind, [self.value(x, f"{path}[{j}]") for j, x in enumerate(v)]]
        if type(v) in (dict, collections.OrderedDict):
            return [kind, [[self.value(k, path), self.value(x, f"{path}[{k!r}]")] for k, x in v.items()]]
        if _is_module(v):
            return ["module", self.module(v, path)]
        name = _import_name(v)
        if name is not None:
            return ["ref", name]
        raise RuntimeError(f"tensorgraft.jit.save cannot store attribute '{path}' of type {type(v).__module__}."
                           f"{type(v).__qualname__}: attributes may hold tensors, numbers, strings, dtypes, devices, "
                           "modules, containers of these, and classes or functions importable by name")


def load(f, map_location=None, _extra_files=None, _restore_shapes=False):
    """Reads a module written by :func:`save` (as a ``RecursiveScriptModule``); ``map_location`` as in
    ``tensorgraft.load``; the names in ``_extra_files`` that the file has get their bytes."""
    name = _file_name(f)
    if isinstance(f, (str, bytes, os.PathLike)):
        if not os.path.exists(name):
            raise ValueError(f"The provided filename {name} does not exist")
        if os.path.isdir(name):
            raise ValueError(f"The provided filename {name} is a directory")
    _refuse_pytorch_archive(f, name)
    from ..serialization import load as load_checkpoint
    data = load_checkpoint(f, map_location=map_location)
    doc = data.get(_FORMAT_KEY) if isinstance(data, dict) else None
    if not isinstance(doc, dict):
        raise RuntimeError(f"tensorgraft.jit.load: '{name}' was not written by tensorgraft.jit.save (it is a "
                           "checkpoint: read it with tensorgraft.load)")
    if doc.get("version") != _FORMAT_VERSION:
        raise RuntimeError(f"tensorgraft.jit.load: '{name}' has format version {doc.get('version')!r}; this "
                           f"tensorgraft reads version {_FORMAT_VERSION}")
    module = _build(doc["modules"], name)
    if _extra_files is not None:
        for key in _extra_files:
            if key in doc["extra_files"]:
                _extra_files[key] = doc["extra_files"][key]
    return module


def _file_name(f) -> str:
    if isinstance(f, (str, bytes, os.PathLike)):
        return os.fsdecode(f)
    return str(getattr(f, "name", f"<{type(f).__name__}>"))


def _refuse_pytorch_archive(f, name: str) -> None:
    """A zip file is PyTorch's (a TorchScript archive or a torch.save checkpoint): say what cannot be done."""
    import zipfile
    stream = not isinstance(f, (str, bytes, os.PathLike))
    if stream:
        if not (hasattr(f, "seekable") and f.seekable()):
            return
        pos = f.tell()
        is_zip = f.read(4) == b"PK\x03\x04"
        f.seek(pos)
    else:
        with open(name, "rb") as fh:
            is_zip = fh.read(4) == b"PK\x03\x04"
    if not is_zip:
        return
    try:
        entries = zipfile.ZipFile(f if stream else name).namelist()
    except zipfile.BadZipFile:
        entries = []
    finally:
        if stream:
            f.seek(pos)
    script = any(e.endswith("constants.pkl") or "/code/" in e for e in entries)
    what = "a TorchScript archive written by PyTorch" if script else "a zip archive (e.g. a PyTorch torch.save file)"
    if script:
        advice = ("To bring the model over, save its weights in PyTorch with torch.save(model.state_dict(), path), "
                  "build the model from its Python class and call model.load_state_dict(tensorgraft.load(path)).")
    else:
        advice = ("A torch.save checkpoint loads with tensorgraft.load(path); for a state_dict, build the model from "
                  "its Python class and call model.load_state_dict(tensorgraft.load(path)).")
    raise RuntimeError(f"tensorgraft.jit.load: '{name}' is {what}. tensorgraft runs no TorchScript, so jit.load "
                       f"reads only files written by tensorgraft.jit.save. {advice}")


def _build(records, name: str):
    """The module tree of ``records``: every object is made first (records refer to each other by index),
    then filled. Classes are imported by name and must be nn.Module subclasses."""
    nn = _nn()
    objs = []
    for rec in records:
        try:
            cls = _resolve(rec["class"])
        except (ImportError, AttributeError) as exc:
            raise RuntimeError(f"tensorgraft.jit.load: '{name}' needs the class {rec['class']}, which cannot be "
                               f"imported here ({exc}); the classes of a saved module must be importable where it is "
                               "loaded") from None
        if not (inspect.isclass(cls) and issubclass(cls, nn.Module)):
            raise RuntimeError(f"tensorgraft.jit.load: '{name}' names {rec['class']} as a module class, and it is "
                               "not an nn.Module subclass")
        kind = rec["kind"]
        obj = object.__new__(cls if kind is None else _derived_class(cls, "frozen" if kind == "frozen" else "script"))
        nn.Module.__init__(obj)
        objs.append(obj)
    params = {}
    for obj, rec in zip(objs, records):
        d = obj.__dict__
        d["training"] = rec["training"]
        for k, t in rec["parameters"].items():
            if t is not None and id(t) not in params:  # tied weights: one Parameter
                params[id(t)] = nn.Parameter(t, requires_grad=rec["requires_grad"][k])
            d["_parameters"][k] = None if t is None else params[id(t)]
        d["_buffers"].update(rec["buffers"])
        d["_non_persistent_buffers_set"].update(rec["non_persistent"])
        d["_modules"].update({k: None if i is None else objs[i] for k, i in rec["modules"].items()})
        for k, v in rec["attributes"].items():
            d[k] = _decode_value(v, objs, params)
    return objs[0]


def _decode_value(v, objs, params):
    tag, body = v
    if tag == "=":  # a plain attribute that is one of the parameters stays that very Parameter
        return params.get(id(body), body) if isinstance(body, Tensor) else body
    if tag == "module":
        return objs[body]
    if tag == "ref":
        return _resolve(body)
    if tag in ("dict", "OrderedDict"):
        pairs = [(_decode_value(k, objs, params), _decode_value(x, objs, params)) for k, x in body]
        return dict(pairs) if tag == "dict" else collections.OrderedDict(pairs)
    items = [_decode_value(x, objs, params) for x in body]
    return {"list": list, "tuple": tuple, "set": set, "frozenset": frozenset}[tag](items)
