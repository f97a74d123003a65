"""The legacy storage classes (``tensorgraft.FloatStorage`` & co., tensorgraft/storage.py): top-level names
made on first use, what ``isinstance`` checks, their constructors, how they print and pickle."""
from __future__ import annotations

import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.storage import legacy_storage_class

pytestmark = pytest.mark.filterwarnings("ignore:TypedStorage is deprecated")

_NAMES = {"FloatStorage": tg.float32, "DoubleStorage": tg.float64, "HalfStorage": tg.float16,
          "BFloat16Storage": tg.bfloat16,
          "LongStorage": tg.int64, "IntStorage": tg.int32, "ShortStorage": tg.int16, "CharStorage": tg.int8,
          "ByteStorage": tg.uint8, "BoolStorage": tg.bool, "ComplexFloatStorage": tg.complex64,
          "ComplexDoubleStorage": tg.complex128}


def _values(n, seed):
    return np.random.default_rng(seed).integers(0, 2, n).tolist()


# --------------------------------------------------------------------------- top-level names
def test_names_resolve_on_first_use_and_import_makes_none():
    code = ("import tensorgraft as tg, tensorgraft.storage as s; before = (len(s._legacy_classes), "
            "'FloatStorage' in vars(tg)); cls = tg.FloatStorage; "
            "print(before, vars(tg)['FloatStorage'] is cls, tg.zeros(1).storage_type() is cls)")
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True, timeout=120,
                         check=True)
    assert out.stdout.split() == ["(0,", "False)", "True", "True"]


@pytest.mark.parametrize("name", sorted(_NAMES))
def test_each_name_is_the_class_of_its_dtype(name):
    cls = getattr(tg, name)
    dtype = _NAMES[name]
    assert cls is legacy_storage_class(dtype) and cls.__name__ == cls.__qualname__ == name and cls.dtype is dtype
    assert repr(cls) == f"<class 'tensorgraft.{name}'>" and issubclass(cls, tg.TypedStorage)
    assert cls.is_cuda is False and name in dir(tg)
    assert pickle.loads(pickle.dumps(cls)) is cls


def test_storage_is_floatstorage_and_other_names_are_absent():
    assert tg.Storage is tg.FloatStorage and "Storage" in dir(tg)
    for missing in ("QInt8Storage", "QUInt8Storage"):   # tensorgraft has no quantized dtypes
        assert missing not in dir(tg)
        with pytest.raises(AttributeError, match=f"^module 'tensorgraft' has no attribute '{missing}'$"):
            getattr(tg, missing)


def test_device_types_have_their_own_classes():
    cpu, cuda = legacy_storage_class(tg.float32), legacy_storage_class(tg.float32, "cuda")
    assert cuda is not cpu and cuda is legacy_storage_class(tg.float32, "cuda")
    assert cuda.__name__ == "FloatStorage" and cuda.__module__ == "tensorgraft.cuda" and cuda.is_cuda is True
    assert not isinstance(tg.zeros(2).storage(), cuda)


# --------------------------------------------------------------------------- isinstance
@pytest.mark.parametrize("name", sorted(_NAMES))
def test_isinstance_checks_the_dtype_of_a_typed_storage(name):
    cls = getattr(tg, name)
    for other_name, dtype in _NAMES.items():
        assert isinstance(tg.zeros(2, dtype=dtype).storage(), cls) is (other_name == name)
    x = tg.zeros(2, dtype=_NAMES[name])
    assert not isinstance(x, cls) and not isinstance(x.untyped_storage(), cls)
    assert isinstance(cls(2), cls) and isinstance(cls(2), tg.TypedStorage)


# --------------------------------------------------------------------------- constructors
@pytest.mark.parametrize("name", sorted(_NAMES))
def test_constructors_build_a_typed_storage_of_the_dtype(name):
    cls, dtype = getattr(tg, name), _NAMES[name]
    with pytest.warns(UserWarning, match="^TypedStorage is deprecated"):
        empty = cls()
    assert type(empty) is tg.TypedStorage and empty.dtype is dtype and empty.size() == 0
    sized = cls(3)
    assert sized.size() == 3 and sized.dtype is dtype and sized.tolist() == tg.zeros(3, dtype=dtype).tolist()
    data = _values(4, seed=1)
    assert cls(data).tolist() == tg.tensor(data, dtype=dtype).tolist()
    assert cls(tuple(data)).tolist() == cls(data).tolist() and cls(range(2)).size() == 2
    source = tg.tensor(_values(2, seed=2), dtype=dtype)
    wrapped = cls(wrap_storage=source.untyped_storage())
    assert wrapped.tolist() == source.tolist() and wrapped.data_ptr() == source.data_ptr()


def test_sizes_and_data():
    assert tg.FloatStorage(np.int32(2)).size() == 2 and tg.FloatStorage(True).size() == 1   # integers are sizes
    assert tg.FloatStorage([[1, 2], [3, 4]]).tolist() == [1.0, 2.0, 3.0, 4.0]               # nested data is flattened
    assert tg.LongStorage([1.7, -2.2]).tolist() == [1, -2]
    assert tg.FloatStorage(wrap_storage=tg.zeros(3, dtype=tg.int8).untyped_storage()).size() == 0   # 3 bytes: no float


def test_repr_is_the_typed_storage_s():
    assert repr(tg.FloatStorage([1.5, 2.0])) == " 1.5\n 2.0\n[torch.storage.TypedStorage(dtype=torch.float32, " \
                                                "device=cpu) of size 2]"
    assert repr(tg.BoolStorage()) == "[torch.storage.TypedStorage(dtype=torch.bool, device=cpu) of size 0]"
    assert tg.DoubleStorage(1).type() == "torch.DoubleStorage"


_INVALID = ("<class 'tensorgraft.FloatStorage'>.__new__ received an invalid combination of arguments. Expected one "
            "of:\n * no arguments\n * (int size)\n * (Sequence data)\n * (*, UntypedStorage wrap_storage)\n")


@pytest.mark.parametrize("call, exc, reason", [
    (lambda: tg.FloatStorage(2, 3), RuntimeError, "Too many positional arguments"),
    (lambda: tg.FloatStorage(2, device="cpu"), RuntimeError, "Keyword argument 'device' cannot be specified"),
    (lambda: tg.FloatStorage(2, 3, dtype=tg.float64, device="cpu"), RuntimeError,
     "Keyword argument 'device' cannot be specified"),                      # keywords first, device before dtype
    (lambda: tg.FloatStorage(dtype=tg.float64), RuntimeError, "Keyword argument 'dtype' cannot be specified"),
    (lambda: tg.FloatStorage(2, 3, wrap_storage=tg.zeros(2).untyped_storage()), RuntimeError,
     "No positional arguments should be given when using 'wrap_storage'"),
    (lambda: tg.FloatStorage(wrap_storage=3), TypeError,
     "Argument 'wrap_storage' must be UntypedStorage, but got <class 'int'>"),
    (lambda: tg.FloatStorage(2.5), TypeError, "Argument type not recognized: <class 'float'>"),
    (lambda: tg.FloatStorage(tg.ones(2)), TypeError,
     "Argument type not recognized: <class 'tensorgraft.Tensor'>"),
    (lambda: tg.FloatStorage({1, 2}), TypeError, "Argument type not recognized: <class 'set'>"),
    (lambda: tg.FloatStorage(iter([1])), TypeError, "Argument type not recognized: <class 'list_iterator'>"),
])
def test_argument_errors(call, exc, reason):
    with pytest.raises(exc) as info:
        call()
    assert str(info.value) == _INVALID + reason


def test_keywords():
    assert tg.FloatStorage(2, dtype=None, device=None).size() == 2     # TypedStorage's keywords, left unset
    with pytest.raises(TypeError, match="^TypedStorage.__new__\\(\\) got an unexpected keyword argument 'foo'$"):
        tg.FloatStorage(2, dtype=tg.float64, foo=1)
    with pytest.warns(UserWarning, match="^TypedStorage is deprecated"):
        tg.FloatStorage(1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert tg.FloatStorage(1, _internal=True).size() == 1          # PyTorch's own calls: no warning


def test_typed_storage_to_wrap_and_strings_are_refused():
    with pytest.raises(TypeError, match="must be UntypedStorage, but got <class 'tensorgraft.storage.TypedStorage'>$"):
        tg.FloatStorage(wrap_storage=tg.zeros(2).storage())
    with pytest.raises(TypeError, match=r"^new\(\): invalid data type 'str'$"):
        tg.FloatStorage("a")
