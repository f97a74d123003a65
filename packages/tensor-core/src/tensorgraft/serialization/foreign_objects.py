"""Placeholders for objects of classes a PyTorch checkpoint names but tensorgraft cannot rebuild.

A training checkpoint often holds, next to its tensors, objects of the training program's
libraries: PyTorch Lightning's ``AttributeDict`` of hyper-parameters, a Hugging Face
``TrainingArguments``, a dataclass of the program's config. Rebuilding them would mean importing
and running their classes' code, which tensorgraft never does for a file. With
``weights_only=False`` such an object loads as a ``ForeignObject``: an inert record of the class's
name and of what the pickle gave it (constructor arguments, state, dict items, list items), so the
tensors and plain data around it load and its saved fields stay readable
(``ckpt["hyper_parameters"]["lr"]``, ``ckpt["args"].learning_rate``). A warning names the classes.
"""
from __future__ import annotations

_CLASSES: dict = {}


class ForeignObject:
    """An object of the class ``foreign_name`` as a checkpoint saved it, not rebuilt: its
    constructor ``args``, its ``state`` (what ``__setstate__`` would have received), and the items
    a dict or list subclass held. Its fields read as attributes and items."""

    foreign_name = "?"

    def __new__(cls, *args, **kwargs):
        obj = object.__new__(cls)
        obj.__dict__.update(_foreign_args=args, _foreign_kwargs=kwargs)
        return obj

    def __init__(self, *args, **kwargs):
        pass  # a REDUCE calls the class: its arguments were kept by __new__

    def __setstate__(self, state):
        self.__dict__["_foreign_state"] = state

    # what a dict or list subclass's pickle fills in (SETITEM(S), APPEND(S))
    def __setitem__(self, key, value):
        self.__dict__.setdefault("_foreign_items", {})[key] = value

    def append(self, value):
        self.__dict__.setdefault("_foreign_list", []).append(value)

    def extend(self, values):
        self.__dict__.setdefault("_foreign_list", []).extend(values)

    @property
    def args(self) -> tuple:
        return self.__dict__.get("_foreign_args", ())

    @property
    def state(self):
        return self.__dict__.get("_foreign_state")

    def _fields(self) -> dict:
        state = self.state
        if isinstance(state, tuple) and len(state) == 2:  # (dict state, slots state)
            merged = dict(state[0] or {})
            merged.update(state[1] or {})
            return merged
        return state if isinstance(state, dict) else {}

    def __getitem__(self, key):
        items = self.__dict__.get("_foreign_items")
        if items is not None and key in items:
            return items[key]
        seq = self.__dict__.get("_foreign_list")
        if seq is not None and isinstance(key, (int, slice)):
            return seq[key]
        raise KeyError(key)

    def __getattr__(self, name):  # only for names that are not attributes of the placeholder itself
        if name.startswith("__"):
            raise AttributeError(name)
        fields = self._fields()
        if name in fields:
            return fields[name]
        items = self.__dict__.get("_foreign_items") or {}
        if name in items:
            return items[name]
        raise AttributeError(f"the saved {self.foreign_name} object has no field '{name}' (it is a placeholder; "
                             "tensorgraft does not rebuild objects of this class)")

    def keys(self):
        return (self.__dict__.get("_foreign_items") or self._fields()).keys()

    def __iter__(self):
        items = self.__dict__.get("_foreign_items")
        return iter(items if items is not None else self.__dict__.get("_foreign_list", []))

    def __len__(self):
        items = self.__dict__.get("_foreign_items")
        return len(items) if items is not None else len(self.__dict__.get("_foreign_list", []))

    def __repr__(self):
        parts = []
        if self.args:
            parts.append(f"args={self.args!r}")
        if self.__dict__.get("_foreign_items"):
            parts.append(f"items={self.__dict__['_foreign_items']!r}")
        if self.__dict__.get("_foreign_list"):
            parts.append(f"list={self.__dict__['_foreign_list']!r}")
        if self.state is not None:
            parts.append(f"state={self.state!r}")
        return f"ForeignObject({self.foreign_name}{', ' if parts else ''}{', '.join(parts)})"


def foreign_class(full_name: str) -> type:
    """The placeholder class standing for ``full_name`` (one per name, so identity checks hold)."""
    cls = _CLASSES.get(full_name)
    if cls is None:
        short = full_name.rpartition(".")[2] or "Foreign"
        cls = type(short, (ForeignObject,), {"foreign_name": full_name, "__module__": __name__})
        _CLASSES[full_name] = cls
    return cls
