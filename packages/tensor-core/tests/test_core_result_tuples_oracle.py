"""The named-tuple results of ops against PyTorch's: for every class in torch.return_types (but the
``*_out`` ones), the class an op returns has PyTorch's name, fields and field counts, and prints the
very text PyTorch prints for the same values; the constructor's errors read the same."""
from __future__ import annotations

import copy
import pickle
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import tensorgraft as tg  # noqa: E402
from tensorgraft import return_types as rt  # noqa: E402

def _torch_twin(value):
    """The torch value holding what a tensorgraft one holds (tensors by their data and dtype)."""
    if isinstance(value, (tuple, list)):
        return type(value)(_torch_twin(v) for v in value)
    return torch.from_numpy(np.array(value.numpy()))


def _as_torch(result):
    """``result``'s values in PyTorch's class of the same name: what PyTorch prints for them."""
    return getattr(torch.return_types, type(result).__name__)(tuple(_torch_twin(v) for v in result))


@pytest.mark.parametrize("name", sorted(set(rt.__all__) - {"all_return_types"}))
def test_class_against_pytorch(name):
    ours, theirs = getattr(rt, name), getattr(torch.return_types, name)
    assert ours.__name__ == theirs.__name__ == ours.__qualname__
    assert ours.__module__ == theirs.__module__.replace("torch", "tensorgraft", 1)
    for attr in ("__match_args__", "n_fields", "n_sequence_fields", "n_unnamed_fields"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    rng = np.random.default_rng(21)
    values = tuple(tg.tensor(rng.standard_normal((2,)).astype(np.float32)) for _ in ours._fields)
    r = ours(values)
    assert repr(r) == str(r) == repr(_as_torch(r))
    back = pickle.loads(pickle.dumps(r))
    assert type(back) is ours and repr(back) == repr(r)
    assert type(copy.deepcopy(r)) is ours


def _calls(lib):
    """name -> a call returning that result class; each spelling PyTorch has (function, method)."""
    rng = np.random.default_rng(22)
    x = lib.tensor(rng.standard_normal((3, 3)))
    s = x @ x.mT + 3 * lib.eye(3, dtype=x.dtype)
    v = lib.tensor(rng.standard_normal((5,)).astype(np.float32))
    # the ops taking (input, dim): as a function along dim 0, as a method along dim 1
    along_a_dim = {n: [lambda n=n: getattr(lib, n)(x, 0), lambda n=n: getattr(x, n)(1)]
                   for n in ("max", "min", "sort", "median", "nanmedian", "cummax", "cummin")}
    # torch.linalg functions with one spelling, on a positive-definite matrix or a general one
    linalg = {f"linalg_{n}": [lambda n=n, args=args: getattr(lib.linalg, n)(*args)] for n, args in (
        ("cholesky_ex", (s,)), ("eig", (s,)), ("eigh", (s,)), ("inv_ex", (s,)), ("ldl_factor", (s,)),
        ("ldl_factor_ex", (s,)), ("lstsq", (s, x)), ("lu", (x,)), ("lu_factor", (x,)), ("lu_factor_ex", (x,)),
        ("qr", (x,)), ("slogdet", (x,)), ("solve_ex", (s, x)), ("svd", (x,)))}
    return along_a_dim | linalg | {
        "topk": [lambda: lib.topk(v, 2), lambda: x.topk(2, largest=False)],
        "mode": [lambda: lib.mode(x.round(), 0), lambda: x.round().mode()],
        "kthvalue": [lambda: lib.kthvalue(x, 2), lambda: x.kthvalue(1, 0)],
        "aminmax": [lambda: lib.aminmax(x), lambda: x.aminmax(dim=0)],
        "frexp": [lambda: lib.frexp(v), lambda: v.frexp()],
        "histogram": [lambda: lib.histogram(v, 4), lambda: v.histogram(3)],
        "histogramdd": [lambda: lib.histogramdd(x.float(), bins=2)],
        "geqrf": [lambda: lib.geqrf(x), lambda: x.geqrf()],
        "lu_unpack": [lambda: lib.lu_unpack(*lib.linalg.lu_factor(x))],
        "qr": [lambda: lib.qr(x), lambda: x.qr(some=False)],
        "slogdet": [lambda: lib.slogdet(x), lambda: x.slogdet()],
        "svd": [lambda: lib.svd(x), lambda: x.svd(some=False)],
        "triangular_solve": [lambda: lib.triangular_solve(x, s), lambda: x.triangular_solve(s, upper=False)],
    }


def _spellings():
    names = sorted(_calls(tg))
    # every result class has a call here (the *_out ones: test_out_calls_return_pytorchs_out_class)
    assert set(names) == {n for n in rt.__all__ if not n.endswith("_out")} - {"all_return_types"}
    return [(n, k) for n in names for k in range(len(_calls(tg)[n]))]


@pytest.mark.parametrize(("name", "k"), _spellings())
def test_an_op_returns_pytorchs_class_and_prints_its_text(name, k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.qr, svd, triangular_solve... are deprecated there
        theirs = _calls(torch)[name][k]()
    ours = _calls(tg)[name][k]()
    assert type(theirs).__name__ == type(ours).__name__ == name
    assert type(ours) is getattr(rt, name) and isinstance(ours, getattr(rt, name))
    assert repr(ours) == repr(_as_torch(ours))
    back = pickle.loads(pickle.dumps(ours))
    assert type(back) is type(ours) and repr(back) == repr(ours)
    # the values themselves; an eigenvector's sign (phase) is free, so only eigenvalues are compared
    for a, b in zip(theirs[:1] if name in ("linalg_eig", "linalg_eigh") else theirs, ours):
        for t, g in zip(a, b) if isinstance(a, (tuple, list)) else [(a, b)]:
            assert str(g.dtype) == str(t.dtype)
            np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-5, atol=1e-7)


_CONSTRUCTOR_ARGS = {"three": lambda: ((1.0, 2.0, 3.0),), "one": lambda: ((1.0,),), "not_a_sequence": lambda: (5,),
                     "list": lambda: ([1.0, 2.0],), "str": lambda: ("ab",), "iterator": lambda: (iter((1, 2)),)}


@pytest.mark.parametrize("case", sorted(_CONSTRUCTOR_ARGS))
def test_constructor_against_pytorch(case):
    def build(cls):
        try:
            return repr(cls(*_CONSTRUCTOR_ARGS[case]()))
        except TypeError as e:
            return f"TypeError: {e}"
    assert build(rt.max) == build(torch.return_types.max)


def _out_calls(lib):
    """name_out -> a call writing into out= tensors (each library's own empty tensors)."""
    rng = np.random.default_rng(23)
    x = lib.tensor(rng.standard_normal((3, 4)).astype(np.float32))

    def pair(dtype=None):
        return lib.empty(0), lib.empty(0, dtype=dtype or lib.int64)
    return {
        "max_out": lambda: lib.max(x, 1, out=pair()), "min_out": lambda: lib.min(x, 0, out=pair()),
        "sort_out": lambda: lib.sort(x, 1, out=pair()), "topk_out": lambda: lib.topk(x, 2, out=pair()),
        "kthvalue_out": lambda: lib.kthvalue(x, 2, out=pair()), "median_out": lambda: lib.median(x, 1, out=pair()),
        "nanmedian_out": lambda: lib.nanmedian(x, 0, out=pair()),
        "mode_out": lambda: lib.mode(x.round(), 1, out=pair()), "cummax_out": lambda: lib.cummax(x, 1, out=pair()),
        "cummin_out": lambda: lib.cummin(x, 0, out=pair()), "frexp_out": lambda: lib.frexp(x, out=pair(lib.int32)),
        "aminmax_out": lambda: lib.aminmax(x, dim=1, out=(lib.empty(0), lib.empty(0))),
    }


@pytest.mark.parametrize("name", sorted(_out_calls(tg)))
def test_out_calls_return_pytorchs_out_class(name):
    theirs, ours = _out_calls(torch)[name](), _out_calls(tg)[name]()
    assert type(theirs).__name__ == type(ours).__name__ == name and type(ours) is getattr(rt, name)
    assert repr(ours) == repr(_as_torch(ours))
