"""``tensorgraft.utils.weak``: identity-keyed weak dictionaries (results checked against PyTorch 2.13's
``torch.utils.weak`` on the same script)."""
import copy
import gc

import pytest

import tensorgraft as torch
from tensorgraft.utils.weak import TensorWeakRef, WeakIdKeyDictionary, WeakIdRef, WeakTensorKeyDictionary


def test_keys_by_identity_not_equality():
    a, b = torch.ones(2), torch.ones(2)
    d = WeakTensorKeyDictionary()
    d[a], d[b] = 1, 2
    assert (len(d), d[a], d[b]) == (2, 1, 2)
    assert a in d and torch.ones(2) not in d and 3 not in d
    with pytest.raises(KeyError):
        d[torch.ones(1)]
    assert d.get(torch.zeros(1), "none") == "none"
    assert d.pop(a) == 1 and len(d) == 1


def test_entries_go_with_their_keys():
    a, b = torch.ones(2), torch.ones(2)
    d = WeakIdKeyDictionary({a: 1, b: 2})
    del b
    gc.collect()
    assert len(d) == 1 and list(d.values()) == [1] and list(d) == [a]
    for key in d:  # deleting a key while iterating over the dictionary does not break the loop
        del a, key
        gc.collect()
    assert len(d) == 0 and list(d.items()) == []


def test_references_compare_by_identity():
    a = torch.ones(2)
    r1, r2 = WeakIdRef(a), WeakIdRef(a)
    assert r1 == r2 and hash(r1) == id(a) and r1() is a
    other = torch.ones(2)
    assert not WeakIdRef(other) == r1  # (PyTorch has no __ne__: != compares the tensors elementwise)
    ref = TensorWeakRef(a)
    assert ref() is a
    del a, r1, r2
    gc.collect()
    assert ref() is None
    with pytest.raises(TypeError, match="TensorWeakRef expects a Tensor, got int"):
        TensorWeakRef(3)


def test_copies_and_merges():
    a, b = torch.ones(2), torch.zeros(2)
    d = WeakIdKeyDictionary({a: [5]})
    deep = copy.deepcopy(d)
    assert next(iter(deep)) is a and deep[a] == [5] and deep[a] is not d[a]  # same keys, copied values
    shallow = d.copy()
    assert shallow[a] is d[a]
    merged = d | {b: 7}
    assert type(merged) is WeakIdKeyDictionary and merged[b] == 7 and b not in d
    d |= {b: 8}
    assert d[b] == 8 and len(d.keyrefs()) == 2 and d == {a: [5], b: 8}
