"""Containers: Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict.

The integer-indexed containers keep their children under the names ``"0"``, ``"1"``, ... and
renumber them after a deletion; the dict-like ones keep insertion order.
"""
from __future__ import annotations

import operator
from collections import OrderedDict
from collections import abc as container_abcs
from itertools import chain

from tensorgraft.tensor import Tensor

from ..parameter import Parameter
from .module import Module, _addindent

__all__ = ["Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"]


# ------------------------------------------------------------------ shared helpers
def _resolve_position(idx, length):
    """The non-negative position ``idx`` (an int-like, possibly negative) names in a sequence of
    ``length`` entries; IndexError when it names none."""
    pos = operator.index(idx)
    if pos >= length or pos < -length:
        raise IndexError(f"index {pos} is out of range")
    return pos + length if pos < 0 else pos


def _renumber(store):
    """Rename the entries of the ordered dict ``store`` to ``"0"``, ``"1"``, ... in place."""
    kept = list(store.values())
    store.clear()
    store.update((str(n), entry) for n, entry in enumerate(kept))


def _open_slot(store, pos, entry):
    """Shift the numbered entries from ``pos`` up by one and put ``entry`` at ``pos``."""
    names = [str(n) for n in range(pos, len(store) + 1)]
    shifted = [store[name] for name in names[:-1]]
    for name, moved in zip(names[1:], shifted):
        store[name] = moved
    store[str(pos)] = entry


def _pairs_for_update(arg, owner, sort_plain_dicts):
    """The (key, value) pairs ``owner.update(arg)`` adds, with PyTorch's checks and messages."""
    if not isinstance(arg, container_abcs.Iterable):
        label = "ParametersDict" if owner == "ParameterDict" else owner
        raise TypeError(f"{label}.update should be called with an iterable of key/value pairs, but got "
                        + type(arg).__name__)
    if isinstance(arg, (OrderedDict, ModuleDict, ParameterDict)):
        return list(arg.items())
    if isinstance(arg, container_abcs.Mapping):
        found = list(arg.items())
        return sorted(found, key=lambda kv: kv[0]) if sort_plain_dicts else found
    pairs = []
    for j, entry in enumerate(arg):
        if not isinstance(entry, container_abcs.Iterable):
            raise TypeError(f"{owner} update sequence element #{j} should be Iterable; is" + type(entry).__name__)
        entry = tuple(entry)
        if len(entry) != 2:
            raise ValueError(f"{owner} update sequence element #{j} has length {len(entry)}; 2 is required")
        pairs.append(entry)
    return pairs


def _describe_entry(value, type_string):
    """One line of a parameter container's repr body. ``type_string`` picks the tensor type
    spelling: ``Tensor.type()`` (``torch.FloatTensor``) or the dtype (``torch.float32``)."""
    if not isinstance(value, Tensor):
        return "Object of type: " + type(value).__name__
    dims = "x".join(map(str, value.size()))
    where = f" ({value.device})" if value.device.type == "cuda" else ""
    kind = value.type() if type_string else value.dtype
    lead = "Parameter" if isinstance(value, Parameter) else "Tensor"
    return f"{lead} containing: [{kind} of size {dims}{where}]"


# ------------------------------------------------------------------ Sequential
class Sequential(Module):
    """Modules applied one after another; built from modules (named ``"0"``, ``"1"``, ...) or from
    one ``OrderedDict`` of named modules."""

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            named = args[0].items()
        else:
            named = ((str(n), m) for n, m in enumerate(args))
        for key, mod in named:
            self.add_module(key, mod)

    def _key_at(self, idx):
        names = list(self._modules)
        return names[_resolve_position(idx, len(names))]

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(OrderedDict(list(self._modules.items())[idx]))
        return self._modules[self._key_at(idx)]

    def __setitem__(self, idx, module):
        setattr(self, self._key_at(idx), module)

    def __delitem__(self, idx):
        if isinstance(idx, slice):
            doomed = list(self._modules)[idx]
        else:
            doomed = [self._key_at(idx)]
        for key in doomed:
            delattr(self, key)
        _renumber(self._modules)

    def __len__(self):
        return len(self._modules)

    def _check_sequential_operand(self, other):
        if not isinstance(other, Sequential):
            raise ValueError(f"add operator supports only objects of Sequential class, but {type(other)} is given.")

    def __add__(self, other):
        self._check_sequential_operand(other)
        joined = Sequential()
        for mod in chain(self, other):
            joined.append(mod)
        return joined

    def __iadd__(self, other):
        self._check_sequential_operand(other)
        return self.extend(list(other))

    def _check_factor(self, factor):
        if not isinstance(factor, int):
            raise TypeError(f"unsupported operand type(s) for *: {type(self)} and {type(factor)}")
        if factor <= 0:
            raise ValueError(f"Non-positive multiplication factor {factor} for {type(self)}")

    def __mul__(self, factor):
        self._check_factor(factor)
        return Sequential(*(list(self) * factor))

    __rmul__ = __mul__

    def __imul__(self, factor):
        self._check_factor(factor)
        # copies the entries named "0", "1", ... (a Sequential built from an OrderedDict of other
        # names fails with KeyError, as in PyTorch)
        count = len(self)
        for copy in range(1, factor):
            offset = copy * count
            for i in range(count):
                self.add_module(str(i + offset), self._modules[str(i)])
        return self

    def __iter__(self):
        return iter(self._modules.values())

    def __dir__(self):
        return super().__dir__()

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def insert(self, index, module):
        if not isinstance(module, Module):
            raise AssertionError(f"module should be of type: {Module}")
        count = len(self._modules)
        if index > count or index < -count:
            raise IndexError(f"Index out of range: {index}")
        _open_slot(self._modules, index + count if index < 0 else index, module)
        return self

    def extend(self, sequential):
        for mod in sequential:  # (not a copy: ``s.extend(s)`` fails as PyTorch's does)
            self.append(mod)
        return self

    def pop(self, key):
        found = self[key]
        del self[key]
        return found

    def forward(self, input):
        out = input
        for stage in self._modules.values():
            out = stage(out)
        return out


# ------------------------------------------------------------------ ModuleList
class ModuleList(Module):
    """A list of submodules, registered as ``"0"``, ``"1"``, ...; it has no ``forward``."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _slot(self, idx):
        return str(_resolve_position(idx, len(self._modules)))

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(list(self._modules.values())[idx])
        return self._modules[self._slot(idx)]

    def __setitem__(self, idx, module):
        setattr(self, self._slot(idx), module)

    def __delitem__(self, idx):
        if isinstance(idx, slice):
            doomed = [str(n) for n in range(len(self._modules))[idx]]
        else:
            doomed = [self._slot(idx)]
        for key in doomed:
            delattr(self, key)
        _renumber(self._modules)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __iadd__(self, modules):
        return self.extend(modules)

    def __add__(self, other):
        joined = ModuleList()
        for n, mod in enumerate(chain(self, other)):
            joined.add_module(str(n), mod)
        return joined

    def __repr__(self):
        # runs of consecutive children with the same repr are shown once, as "(i-j): n x <repr>"
        runs = []
        for pos, child in enumerate(self._modules.values()):
            text = repr(child)
            if runs and runs[-1][2] == text:
                runs[-1][1] = pos
            else:
                runs.append([pos, pos, text])
        if not runs:
            return self._get_name() + "()"
        rows = []
        for first, last, text in runs:
            shown = _addindent(text, 2)
            if first == last:
                rows.append(f"({first}): {shown}")
            else:
                rows.append(f"({first}-{last}): {last - first + 1} x {shown}")
        return self._get_name() + "(\n  " + "\n  ".join(rows) + "\n)"

    def __dir__(self):
        return super().__dir__()

    def insert(self, index, module):
        # PyTorch's loop, kept as it is: it checks nothing, so a negative index shifts the entries
        # up and then fails with KeyError('-1'), and an index past the end adds that name
        for i in range(len(self._modules), index, -1):
            self._modules[str(i)] = self._modules[str(i - 1)]
        self._modules[str(index)] = module

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def pop(self, key):
        found = self[key]
        del self[key]
        return found

    def extend(self, modules):
        if not isinstance(modules, container_abcs.Iterable):
            raise TypeError("ModuleList.extend should be called with an iterable, but got " + type(modules).__name__)
        start = len(self)
        for n, mod in enumerate(modules, start):
            self.add_module(str(n), mod)
        return self


# ------------------------------------------------------------------ ModuleDict
class ModuleDict(Module):
    """An ordered mapping of names to submodules; it has no ``forward``."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        self.add_module(key, module)

    def __delitem__(self, key):
        del self._modules[key]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def clear(self):
        self._modules.clear()

    def pop(self, key):
        found = self[key]
        del self[key]
        return found

    def keys(self):
        return self._modules.keys()

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()

    def update(self, modules):
        for key, mod in _pairs_for_update(modules, "ModuleDict", sort_plain_dicts=False):
            self[key] = mod


# ------------------------------------------------------------------ ParameterList
class ParameterList(Module):
    """A list of parameters (tensors are wrapped in ``Parameter``; other objects are kept as they
    are), registered as ``"0"``, ``"1"``, ..."""

    def __init__(self, values=None):
        super().__init__()
        self._size = 0
        if values is not None:
            self.extend(values)

    def _slot(self, idx):
        return str(_resolve_position(idx, len(self)))

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            picked = type(self)()
            for pos in range(len(self))[idx]:
                picked.append(self[pos])
            return picked
        return getattr(self, self._slot(idx))

    def __setitem__(self, idx, param):
        slot = self._slot(idx)
        if isinstance(param, Tensor) and not isinstance(param, Parameter):
            param = Parameter(param)
        setattr(self, slot, param)

    def __len__(self):
        return self._size

    def __iter__(self):
        return (self[pos] for pos in range(len(self)))

    def __iadd__(self, parameters):
        return self.extend(parameters)

    def __setstate__(self, state):
        if "_length" in state and "_size" not in state:            # pickled by an older tensorgraft
            state["_size"] = state.pop("_length")
        super().__setstate__(state)

    def append(self, value):
        self._size += 1
        self[self._size - 1] = value
        return self

    def extend(self, values):
        if isinstance(values, Tensor) or not isinstance(values, container_abcs.Iterable):
            raise TypeError("ParameterList.extend should be called with an iterable, but got " + type(values).__name__)
        for value in values:
            self.append(value)
        return self

    def extra_repr(self):
        return "\n".join(f"  ({pos}): " + _describe_entry(value, type_string=False) for pos, value in enumerate(self))

    def __call__(self, *args, **kwargs):
        raise RuntimeError("ParameterList should not be called.")


# ------------------------------------------------------------------ ParameterDict
class ParameterDict(Module):
    """An ordered mapping of string keys to parameters (tensors are wrapped in ``Parameter``; other
    objects are kept as they are). A plain ``dict`` argument is added in sorted key order."""

    def __init__(self, parameters=None):
        super().__init__()
        self._keys = {}
        if parameters is not None:
            self.update(parameters)

    @staticmethod
    def _checked_key(key):
        if not isinstance(key, str):
            raise TypeError("Index given to ParameterDict cannot be used as a key as it is not a string "
                            f"(type is '{type(key).__name__}'). Open an issue on github if you need non-string keys.")
        return key

    def __getitem__(self, key):
        return getattr(self, self._checked_key(key))

    def __setitem__(self, key, value):
        # recorded before the key is checked, as PyTorch does: a refused non-string key stays
        # listed, and later reads (repr, items, ...) fail on it as PyTorch's do
        self._keys[key] = None
        self._checked_key(key)
        if isinstance(value, Tensor) and not isinstance(value, Parameter):
            value = Parameter(value)
        setattr(self, key, value)

    def __delitem__(self, key):
        del self._keys[key]
        delattr(self, self._checked_key(key))

    def __setstate__(self, state):
        if "_ordered_names" in state and "_keys" not in state:     # pickled by an older tensorgraft
            state["_keys"] = state.pop("_ordered_names")
        super().__setstate__(state)

    def __len__(self):
        return len(self._keys)

    def __iter__(self):
        return iter(self._keys)

    def __reversed__(self):
        return reversed(list(self._keys))

    def __contains__(self, key):
        return key in self._keys

    def keys(self):
        return self._keys.keys()

    def items(self):
        return ((name, self[name]) for name in self._keys)

    def values(self):
        return (self[name] for name in self._keys)

    def get(self, key, default=None):
        return self[key] if key in self else default

    def pop(self, key):
        found = self[key]
        del self[key]
        return found

    def clear(self):
        for name in self._keys.copy():
            del self[name]

    def update(self, parameters):
        for key, value in _pairs_for_update(parameters, "ParameterDict", sort_plain_dicts=True):
            self[key] = value

    # the rest of the dict protocol, as PyTorch's ParameterDict has it; the Parameters themselves
    # are shared, not copied
    def setdefault(self, key, default=None):
        if key not in self:
            self[key] = default
        return self[key]

    def popitem(self):
        key, _ = self._keys.popitem()  # the last inserted (KeyError when empty, dict's)
        self._keys[key] = None
        return key, self.pop(key)

    def copy(self):
        return ParameterDict(OrderedDict((key, self[key]) for key in self._keys))  # (kept in order)

    def fromkeys(self, keys, default=None):
        return ParameterDict((key, default) for key in keys)

    def __or__(self, other):
        merged = self.copy()
        merged.update(other)
        return merged

    def __ror__(self, other):
        # ``a_dict | parameter_dict`` stays a dict (PyTorch's result), in the dict's key order
        merged = dict(other)
        merged.update(self.items())
        return merged

    def __ior__(self, other):
        self.update(other)
        return self

    def extra_repr(self):
        return "\n".join(f"  ({name}): " + _describe_entry(value, type_string=True) for name, value in self.items())

    def __call__(self, input):
        raise RuntimeError("ParameterDict should not be called.")


def __getattr__(name):
    """PyTorch's import path for ``Container``, which lives in legacy.py (imported on first use: legacy.py
    imports this module)."""
    if name == "Container":
        from .legacy import Container
        return Container
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
