"""``tensorgraft.cuda.FloatStorage`` & co., PyTorch's legacy CUDA storage classes: core's classes for
the "cuda" device type, found under ``tensorgraft.cuda`` so that they print and pickle by that
name. They exist without CuPy or a GPU; building one then raises the backend's "no CUDA device was
found" error.

Runs without a GPU and under the fake CuPy (tests/fake_cupy), where the storages are built:
    PYTHONPATH=packages/cuda-backend/tests/fake_cupy FAKE_CUPY_DEVICES=2 python -m pytest ... this file
"""
import os
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest

pytest.importorskip("tensorgraft.cuda", reason="tensorgraft-cuda is not installed (pip install -e packages/cuda-backend)")

import tensorgraft as tg  # noqa: E402
from tensorgraft import storage  # noqa: E402
from tensorgraft.cuda._backend import BACKEND  # noqa: E402

HAVE_GPU = BACKEND.is_available()
NAMES = {"FloatStorage": tg.float32, "DoubleStorage": tg.float64, "HalfStorage": tg.float16,
         "LongStorage": tg.int64, "IntStorage": tg.int32, "ShortStorage": tg.int16, "CharStorage": tg.int8,
         "ByteStorage": tg.uint8, "BoolStorage": tg.bool, "ComplexFloatStorage": tg.complex64,
         "ComplexDoubleStorage": tg.complex128}


def _quietly(make):
    """Build a legacy storage without its (PyTorch's) deprecation warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return make()


@pytest.mark.parametrize("name", NAMES)
def test_each_class_is_cores_cuda_class_and_prints_by_its_cuda_name(name):
    cls = getattr(tg.cuda, name)
    assert cls is storage.legacy_storage_class(NAMES[name], "cuda")
    assert cls is getattr(tg.cuda, name), "the same object on every lookup"
    assert cls is not getattr(tg, name), "distinct from the CPU class of the same name"
    assert repr(cls) == f"<class 'tensorgraft.cuda.{name}'>"
    assert (cls.__name__, cls.__qualname__, cls.__module__) == (name, name, "tensorgraft.cuda")
    assert cls.dtype is NAMES[name] and cls.is_cuda is True
    assert issubclass(cls, tg.TypedStorage)
    assert name in tg.cuda.__all__ and name in dir(tg.cuda)


@pytest.mark.parametrize("name", NAMES)
def test_each_class_pickles_by_reference(name):
    cls = getattr(tg.cuda, name)
    assert pickle.loads(pickle.dumps(cls)) is cls


def test_a_fresh_process_unpickles_the_class_through_the_lazy_lookup():
    """Unpickling imports ``tensorgraft.cuda`` and looks the name up there before anything else
    touched it: the lookup itself must make the class."""
    payload = pickle.dumps([tg.cuda.FloatStorage, tg.cuda.ComplexDoubleStorage])
    code = "import pickle, sys; print([repr(c) for c in pickle.loads(sys.stdin.buffer.read())])"
    proc = subprocess.run([sys.executable, "-c", code], input=payload, capture_output=True, timeout=120,
                          env=dict(os.environ))
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout.decode().strip() == ("[\"<class 'tensorgraft.cuda.FloatStorage'>\", "
                                            "\"<class 'tensorgraft.cuda.ComplexDoubleStorage'>\"]")


def test_torch_cuda_has_no_storage_alias():
    """``torch.Storage`` is the CPU FloatStorage's old alias; ``torch.cuda`` has none."""
    assert tg.Storage is tg.FloatStorage
    with pytest.raises(AttributeError, match="module 'tensorgraft.cuda' has no attribute 'Storage'"):
        tg.cuda.Storage  # noqa: B018


def test_a_cpu_storage_is_no_cuda_storage():
    s = _quietly(lambda: tg.zeros(3).storage())
    assert isinstance(s, tg.FloatStorage)
    assert not isinstance(s, tg.cuda.FloatStorage)


@pytest.mark.skipif(HAVE_GPU, reason="a CUDA device is available: the no-GPU error is not observable")
@pytest.mark.parametrize("args", [(), (3,), ([1.0, 2.0],)], ids=["empty", "size", "data"])
def test_building_one_without_a_gpu_raises_the_backends_error(args):
    with pytest.raises(RuntimeError, match=r"^no CUDA device was found: "):
        _quietly(lambda: tg.cuda.FloatStorage(*args))


@pytest.mark.skipif(not HAVE_GPU, reason="needs a CUDA device (or the fake CuPy: see the module docstring)")
def test_building_one_on_the_gpu():
    s = _quietly(lambda: tg.cuda.DoubleStorage([1.5, -2.0, 3.0]))
    assert isinstance(s, tg.cuda.DoubleStorage) and not isinstance(s, tg.DoubleStorage)
    assert s.device.type == "cuda" and s.is_cuda and s.dtype is tg.float64
    assert s.tolist() == [1.5, -2.0, 3.0]
    empty = _quietly(lambda: tg.cuda.IntStorage(4))
    assert isinstance(empty, tg.cuda.IntStorage) and empty.tolist() == [0, 0, 0, 0]


@pytest.mark.skipif(not HAVE_GPU, reason="needs a CUDA device (or the fake CuPy: see the module docstring)")
@pytest.mark.parametrize("name", NAMES)
def test_a_cuda_tensors_storage_type_is_the_cuda_class(name):
    data = np.random.default_rng(11).standard_normal(3)
    t = tg.tensor(data, device="cuda").to(NAMES[name])
    assert _quietly(t.storage_type) is getattr(tg.cuda, name)
    assert isinstance(_quietly(t.storage), getattr(tg.cuda, name))
