"""The legacy storage classes (``tensorgraft.FloatStorage`` & co.) against PyTorch's: the same names for
the dtypes tensorgraft has, printout, dtypes, ``isinstance`` answers, constructors and their errors."""
from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import tensorgraft as tg  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:TypedStorage is deprecated")


def _pytorch_legacy_names():
    """PyTorch's legacy classes for the dtypes tensorgraft has (not the quantized ones)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # PyTorch's classes warn when their dtype is read
        return sorted(n for n in dir(torch) if n.endswith("Storage") and n not in ("TypedStorage", "UntypedStorage")
                      and hasattr(tg, str(getattr(torch, n).dtype).removeprefix("torch.")))


_LEGACY = _pytorch_legacy_names()
_DTYPES = ["float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool", "complex64",
           "complex128"]


def _normalize(text: str) -> str:
    return (text.replace("tensorgraft.tensor.Tensor", "torch.Tensor")
            .replace("tensorgraft.storage.TypedStorage", "torch.storage.TypedStorage").replace("tensorgraft", "torch"))


def _error(fn):
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - the error itself is compared
        return type(exc).__name__, _normalize(str(exc))
    return None


def test_the_same_names():
    assert len(_LEGACY) == 13      # the 12 dtypes' classes and Storage
    ours = sorted(n for n in dir(tg) if n.endswith("Storage") and n not in ("TypedStorage", "UntypedStorage"))
    assert ours == _LEGACY
    assert (tg.Storage is tg.FloatStorage) == (torch.Storage is torch.FloatStorage)


@pytest.mark.parametrize("name", _LEGACY)
def test_class_printout_and_dtype_match(name):
    ours, theirs = getattr(tg, name), getattr(torch, name)
    assert _normalize(repr(ours)) == repr(theirs) and ours.__name__ == theirs.__name__
    assert str(ours.dtype) == str(theirs.dtype)
    assert issubclass(ours, tg.TypedStorage) == issubclass(theirs, torch.TypedStorage)


@pytest.mark.parametrize("name", _LEGACY)
def test_isinstance_matches(name):
    ours, theirs = getattr(tg, name), getattr(torch, name)
    for dtype in _DTYPES:
        t, g = torch.zeros(2, dtype=getattr(torch, dtype)), tg.zeros(2, dtype=getattr(tg, dtype))
        assert isinstance(g.storage(), ours) == isinstance(t.storage(), theirs), dtype
        assert isinstance(g.untyped_storage(), ours) == isinstance(t.untyped_storage(), theirs)
        assert isinstance(g, ours) == isinstance(t, theirs)
    assert isinstance(ours(2), ours) == isinstance(theirs(2), theirs)
    assert isinstance(ours(2), tg.TypedStorage) == isinstance(theirs(2), torch.TypedStorage)


@pytest.mark.parametrize("name", _LEGACY)
def test_constructors_match(name):
    ours, theirs = getattr(tg, name), getattr(torch, name)
    rng = np.random.default_rng(3)
    data = rng.integers(0, 3, 5).tolist()
    nested = rng.integers(0, 3, (2, 3)).tolist()
    for args in ((data,), (tuple(data),), (nested,), (range(4),)):
        o, t = ours(*args), theirs(*args)
        assert o.tolist() == t.tolist() and repr(o) == repr(t) and str(o.dtype) == str(t.dtype)
        assert type(o).__name__ == type(t).__name__ == "TypedStorage"
    assert len(ours(3)) == len(theirs(3)) and len(ours()) == len(theirs()) == 0   # sizes (PyTorch's memory is
    assert len(ours(np.int32(2))) == len(theirs(np.int32(2)))                     # uninitialised: no values)
    assert len(ours(True)) == len(theirs(True))
    src = rng.standard_normal(4)
    wrapped_o = ours(wrap_storage=tg.tensor(src).untyped_storage())
    wrapped_t = theirs(wrap_storage=torch.tensor(src).untyped_storage())
    np.testing.assert_array_equal(np.array(wrapped_o.tolist()), np.array(wrapped_t.tolist()))


def test_construction_warns_alike():
    """PyTorch warns once per process (tensorgraft on every call): its warning is read in a fresh process."""
    code = ("import warnings, torch; warnings.simplefilter('always'); torch.FloatStorage(1, _internal=True); "
            "print('internal'); torch.FloatStorage(2); print('public')")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert proc.stdout.split() == ["internal", "public"]
    theirs = proc.stderr.strip().splitlines()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tg.FloatStorage(1, _internal=True)
        tg.FloatStorage(2)
    assert len(caught) == len(theirs) == 1   # (code run with -c: no source line under the warning)
    assert theirs[0].endswith(f"UserWarning: {caught[0].message}") and caught[0].category is UserWarning


@pytest.mark.parametrize("call", [
    lambda lib: lib.FloatStorage(2, 3), lambda lib: lib.FloatStorage(2, device="cpu"),
    lambda lib: lib.LongStorage(2, 3, dtype=lib.float64, device="cpu"),
    lambda lib: lib.FloatStorage(2, wrap_storage=lib.zeros(2).untyped_storage()),
    lambda lib: lib.FloatStorage(2, 3, wrap_storage=lib.zeros(2).untyped_storage()),
    lambda lib: lib.FloatStorage(wrap_storage=3), lambda lib: lib.FloatStorage(wrap_storage=lib.zeros(2).storage()),
    lambda lib: lib.FloatStorage(wrap_storage=lib.zeros(2).untyped_storage(), device="cpu"),
    lambda lib: lib.FloatStorage(2.5), lambda lib: lib.IntStorage(np.float64(2)),
    lambda lib: lib.FloatStorage(lib.ones(2)), lambda lib: lib.FloatStorage(np.ones(2)),
    lambda lib: lib.FloatStorage({1, 2}), lambda lib: lib.FloatStorage({1: 2}), lambda lib: lib.FloatStorage(None),
    lambda lib: lib.FloatStorage(x for x in [1]), lambda lib: lib.FloatStorage("a"),
    lambda lib: lib.FloatStorage(b"a"), lambda lib: lib.ByteStorage([300]), lambda lib: lib.FloatStorage(foo=1),
    lambda lib: lib.FloatStorage(2, bar=1, foo=2), lambda lib: lib.FloatStorage(dtype=lib.float32),
    lambda lib: lib.FloatStorage(dtype=lib.float32, foo=1), lambda lib: lib.FloatStorage(2, dtype=None, device=None),
])
def test_errors_match(call):
    expected = _error(lambda: call(torch))
    assert _error(lambda: call(tg)) == expected


def test_negative_size_is_a_runtime_error_in_both():
    # (PyTorch's message is its allocator's, about a wrapped-around byte count)
    assert _error(lambda: tg.FloatStorage(-1))[0] == _error(lambda: torch.FloatStorage(-1))[0] == "RuntimeError"
