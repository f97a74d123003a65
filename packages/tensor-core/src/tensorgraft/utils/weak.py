"""Weak references and dictionaries keyed by object identity, for tensors (PyTorch's
``torch.utils.weak``).

``weakref.WeakKeyDictionary`` keys by ``hash``/``==``, which a tensor cannot serve: ``==`` is
elementwise and a tensor's hash is its id anyway. These key by identity instead — the way caches of
per-tensor state (optimizer wrappers, hooks, memory trackers) want — and drop an entry when its key
is collected.
"""
from __future__ import annotations

import weakref
from collections.abc import Mapping, MutableMapping

__all__ = ["WeakIdRef", "WeakIdKeyDictionary", "WeakTensorKeyDictionary", "TensorWeakRef"]

WeakRef = weakref.ref


class WeakIdRef(weakref.ref):
    """A weak reference that hashes and compares by the identity of its referent: two references to
    one live object are equal; once the object is gone, a reference equals only itself (its id may
    be reused by a new object, which must not find the old entry)."""

    __slots__ = ("_id",)

    def __init__(self, key, callback=None):
        self._id = id(key)
        super().__init__(key, callback)

    def __hash__(self):
        return self._id

    def __eq__(self, other):
        if not isinstance(other, WeakIdRef):
            return NotImplemented
        mine, theirs = self(), other()
        if mine is not None and theirs is not None:
            return mine is theirs
        return self is other

    def __ne__(self, other):
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal


class WeakIdKeyDictionary(MutableMapping):
    """A mapping whose keys are held weakly and matched by identity (``is``), not by ``==``; an entry
    goes when its key is garbage collected."""

    def __init__(self, dict=None, ref_type=WeakIdRef):  # noqa: A002 (PyTorch's argument name)
        self.data = {}
        self.ref_type = ref_type
        self_ref = weakref.ref(self)

        def remove(key_ref):
            owner = self_ref()
            if owner is not None:
                owner.data.pop(key_ref, None)
        self._remove = remove
        if dict is not None:
            self.update(dict)

    def _ref(self, key, with_callback=False):
        return self.ref_type(key, self._remove) if with_callback else self.ref_type(key)

    def __getitem__(self, key):
        return self.data[self._ref(key)]

    def __setitem__(self, key, value):
        self.data[self._ref(key, with_callback=True)] = value

    def __delitem__(self, key):
        del self.data[self._ref(key)]

    def __contains__(self, key):
        try:
            ref = self._ref(key)
        except TypeError:  # an object that cannot be weakly referenced is never a key
            return False
        return ref in self.data

    def __len__(self):
        return sum(1 for ref in list(self.data) if ref() is not None)

    def __iter__(self):
        # over a snapshot: a key collected (or an entry added) while iterating must not break it
        for ref in list(self.data):
            key = ref()
            if key is not None:
                yield key

    def items(self):
        for ref, value in list(self.data.items()):
            key = ref()
            if key is not None:
                yield key, value

    def values(self):
        for _, value in self.items():
            yield value

    def keyrefs(self):
        """The weak references to the keys."""
        return list(self.data)

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def copy(self):
        new = type(self)(ref_type=self.ref_type)
        new.update(self.items())
        return new

    __copy__ = copy

    def __deepcopy__(self, memo):
        from copy import deepcopy
        new = type(self)(ref_type=self.ref_type)
        for key, value in self.items():
            new[key] = deepcopy(value, memo)  # the keys stay the same objects: they are identities
        return new

    def update(self, other=None, **kwargs):
        if other is not None:
            pairs = other.items() if isinstance(other, Mapping) or hasattr(other, "items") else other
            for key, value in pairs:
                self[key] = value
        for key, value in kwargs.items():
            self[key] = value

    def __ior__(self, other):
        self.update(other)
        return self

    def __or__(self, other):
        if not isinstance(other, Mapping):
            return NotImplemented
        new = self.copy()
        new.update(other)
        return new

    def __ror__(self, other):
        if not isinstance(other, Mapping):
            return NotImplemented
        new = type(self)(ref_type=self.ref_type)
        new.update(other)
        new.update(self)
        return new

    def __eq__(self, other):
        if not isinstance(other, Mapping):
            return NotImplemented
        return {id(k): v for k, v in self.items()} == {id(k): v for k, v in other.items()}

    __hash__ = None

    def __repr__(self):
        return f"<{type(self).__name__} at {id(self):#x}>"


WeakTensorKeyDictionary = WeakIdKeyDictionary


class TensorWeakRef:
    """A weak reference to a tensor; calling it gives the tensor, or None once it is gone."""

    __slots__ = ("ref",)

    def __init__(self, tensor):
        from tensorgraft.tensor import Tensor
        if not isinstance(tensor, Tensor):
            raise TypeError(f"TensorWeakRef expects a Tensor, got {type(tensor).__name__}")
        self.ref = weakref.ref(tensor)

    def __call__(self):
        return self.ref()
