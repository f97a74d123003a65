"""The named-tuple results of ops (tensorgraft.return_types.*): every class comes from the one factory
and behaves as PyTorch's struct sequences do: printed ``torch.return_types.<name>(\\n<field>=...)``,
pickled and copied by its public name, indexed and sliced as a tuple."""
from __future__ import annotations

import copy
import pickle
import subprocess
import sys

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft import return_types as rt
from tensorgraft.ops._return_types import RESULT_TYPES, ResultTuple, return_type

def _names():
    return sorted(set(rt.__all__) - {"all_return_types"})


def _filled(cls, seed):
    """An instance of ``cls`` holding small tensors of different dtypes (one a 0-d tensor)."""
    rng = np.random.default_rng(seed)
    values = [tg.tensor(rng.integers(-5, 5, size=(2,)).astype(np.float32)), tg.tensor(rng.integers(0, 9, size=(2, 2))),
              tg.tensor(float(rng.integers(1, 4))), tg.tensor([True, False])]
    return cls(tuple(values[i % len(values)] for i in range(len(cls._fields))))


def _same(a, b):
    assert type(a) is type(b) and len(a) == len(b)
    for x, y in zip(a, b):
        assert tg.equal(x, y) and x.dtype == y.dtype


@pytest.mark.parametrize("name", _names())
def test_every_class_comes_from_the_factory(name):
    cls = getattr(rt, name)
    assert issubclass(cls, ResultTuple) and RESULT_TYPES[name] is cls
    assert (cls.__name__, cls.__qualname__, cls.__module__) == (name, name, "tensorgraft.return_types")
    assert cls.__mro__[-2:] == (tuple, object)
    assert cls.n_fields == cls.n_sequence_fields == len(cls._fields) and cls.n_unnamed_fields == 0
    assert cls.__match_args__ == cls._fields


@pytest.mark.parametrize("name", _names())
def test_repr_names_every_field_on_its_own_line(name):
    cls = getattr(rt, name)
    r = _filled(cls, 1)
    lines = [f"{field}={value!r}," for field, value in zip(cls._fields, r)]
    assert repr(r) == f"torch.return_types.{name}(\n" + "\n".join(lines)[:-1] + ")"
    assert str(r) == repr(r)


@pytest.mark.parametrize("name", _names())
def test_pickle_and_copies_keep_the_class(name):
    r = _filled(getattr(rt, name), 2)
    _same(pickle.loads(pickle.dumps(r)), r)
    _same(pickle.loads(pickle.dumps(r, protocol=2)), r)
    deep = copy.deepcopy(r)
    _same(deep, r)
    assert all(d is not v for d, v in zip(deep, r))
    shallow = copy.copy(r)
    _same(shallow, r)
    assert all(s is v for s, v in zip(shallow, r))


@pytest.mark.parametrize("name", _names())
def test_fields_indexing_and_slices(name):
    cls = getattr(rt, name)
    r = _filled(cls, 3)
    assert isinstance(r, cls) and isinstance(r, tuple)
    for i, field in enumerate(cls._fields):
        assert getattr(r, field) is r[i] is r[i - len(r)]
        with pytest.raises(AttributeError):
            setattr(r, field, None)
    assert type(r[:1]) is tuple and type(r + ()) is tuple and r == tuple(r)
    first, *rest = r
    assert first is r[0] and len(rest) == len(r) - 1


def test_constructor_takes_values_or_one_sequence():
    values, indices = tg.tensor([1.0]), tg.tensor([0])
    for r in (rt.max(values, indices), rt.max((values, indices)), rt.max([values, indices]),
              rt.max(iter((values, indices)))):
        assert type(r) is rt.max and r.values is values and r.indices is indices
    with pytest.raises(TypeError, match=r"^torch\.return_types\.max\(\) takes a 2-sequence \(3-sequence given\)$"):
        rt.max((values, indices, values))
    with pytest.raises(TypeError, match=r"^torch\.return_types\.svd\(\) takes a 3-sequence \(2-sequence given\)$"):
        rt.svd(values, indices)
    with pytest.raises(TypeError, match="^constructor requires a sequence$"):
        rt.max(5)


def test_results_of_linalg_ops_pickle():
    # these were collections.namedtuple classes named after the op, which pickle could not find
    rng = np.random.default_rng(4)
    a = tg.tensor(rng.standard_normal((3, 3)))
    for r in (tg.linalg.slogdet(a), tg.slogdet(a), tg.linalg.qr(a), tg.svd(a), tg.linalg.lu_factor(a),
              tg.geqrf(a), tg.linalg.eigh(a @ a.mT)):
        _same(pickle.loads(pickle.dumps(r)), r)


def test_a_fresh_process_unpickles_a_result():
    # unpickling imports tensorgraft.return_types by the class's module name, as nothing else has yet
    data = pickle.dumps(tg.linalg.qr(tg.tensor([[2.0, 0.0], [0.0, 3.0]])))
    code = ("import pickle, sys; r = pickle.loads(sys.stdin.buffer.read()); "
            "print(type(r).__module__, type(r).__name__, r.R.diagonal().tolist())")
    out = subprocess.run([sys.executable, "-c", code], input=data, capture_output=True, timeout=120, check=True)
    assert out.stdout.decode().split() == ["tensorgraft.return_types", "linalg_qr", "[2.0,", "3.0]"]


def test_slogdet_has_a_class_of_its_own():
    a = tg.tensor(np.random.default_rng(5).standard_normal((2, 2)))
    assert type(tg.slogdet(a)) is type(a.slogdet()) is rt.slogdet
    assert type(tg.linalg.slogdet(a)) is rt.linalg_slogdet
    _same(rt.linalg_slogdet(tuple(tg.slogdet(a))), tg.linalg.slogdet(a))


def test_the_factory_makes_each_class_once():
    assert return_type("max") is rt.max
    assert return_type("linalg_qr", ("Q", "R")) is rt.linalg_qr
    with pytest.raises(RuntimeError, match="already defined with fields"):
        return_type("linalg_qr", ("Q", "R", "tau"))
