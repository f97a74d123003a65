"""Tensor methods PyTorch programs call that no op family covered: nn spellings, layout queries, legacy
storage types, record_stream."""
from __future__ import annotations

import subprocess
import sys
import types

import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.ops.tensor_method_gaps  # noqa: F401,E402  (the unit under test; whether `import tensorgraft`
#   loads it by itself is test_core_tensor_method_gaps.py::test_import_tensorgraft_installs_the_methods)

_METHODS = ("prelu", "hardshrink", "to_dense", "sparse_dim", "dense_dim", "is_distributed", "storage_type",
            "record_stream", "values", "indices", "is_coalesced", "coalesce", "crow_indices", "col_indices",
            "ccol_indices", "row_indices")


def _gaps():
    import tensorgraft.ops.tensor_method_gaps as gaps
    return gaps


def _t(*shape, seed=0, requires_grad=False):
    return tg.tensor(np.random.default_rng(seed).standard_normal(shape), dtype=tg.float32,
                     requires_grad=requires_grad)


def test_import_tensorgraft_installs_the_methods():
    code = f"import tensorgraft as tg; print([m for m in {_METHODS!r} if not hasattr(tg.Tensor, m)])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "[]"


# --------------------------------------------------------------------------- nn.functional spellings
def test_prelu_and_hardshrink_are_nn_functional_s():
    F = pytest.importorskip("tensorgraft.nn.functional", reason="the methods call tensorgraft-nn's functions")
    x, w = _t(2, 3, 4, requires_grad=True), tg.tensor([0.1, 0.2, 0.3])
    out = x.prelu(w)
    assert tg.equal(out, F.prelu(x, w)) and type(out.grad_fn).__name__ == "PreluKernelBackward0"
    assert tg.equal(x.hardshrink(), F.hardshrink(x, 0.5)) and tg.equal(x.hardshrink(lambd=1.0), F.hardshrink(x, 1.0))
    assert type(x.hardshrink(0.3).grad_fn).__name__ == "HardshrinkBackward0"
    assert tg.equal(x.hardshrink(tg.tensor(0.7)), F.hardshrink(x, 0.7))   # a one-element tensor is a Number
    out.sum().backward()
    assert x.grad is not None and x.grad.shape == x.shape


def test_prelu_and_hardshrink_argument_errors():
    pytest.importorskip("tensorgraft.nn", reason="the methods call tensorgraft-nn's functions")
    x = _t(2, 3)
    with pytest.raises(TypeError, match=r"^prelu\(\): argument 'weight' \(position 1\) must be Tensor, not float$"):
        x.prelu(0.1)
    with pytest.raises(TypeError, match=r"^hardshrink\(\): argument 'lambd' \(position 1\) must be Number, not str$"):
        x.hardshrink("a")
    with pytest.raises(TypeError, match=r"^hardshrink\(\): argument 'lambd' \(position 2\) must be Number, not str$"):
        tg.hardshrink(x, "a")
    with pytest.raises(RuntimeError, match="Mismatch of parameter numbers and input channel size"):
        x.prelu(tg.ones(2))


# --------------------------------------------------------------------------- layouts
def test_to_dense():
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
    x = _t(2, 3, requires_grad=True)
    assert x.to_dense() is x and x.to_dense(tg.float32) is x and x.to_dense(masked_grad=True) is x
    y = x.to_dense(tg.float64)
    assert y.dtype is tg.float64 and tg.equal(y, x.double()) and type(y.grad_fn).__name__ == "ToCopyBackward0"
    with pytest.raises(TypeError, match=r"^to_dense\(\): argument 'dtype' \(position 1\) must be torch.dtype, not str$"):
        x.to_dense("float")
    with pytest.raises(TypeError, match=r"^to_dense\(\): argument 'masked_grad' must be bool, not int$"):
        x.to_dense(masked_grad=3)


@pytest.mark.parametrize("name, layout", [
    ("values", "sparse tensor"), ("indices", "sparse coordinate tensor"), ("is_coalesced", "sparse coordinate tensor"),
    ("coalesce", "sparse coordinate tensor"), ("crow_indices", "sparse row compressed tensor"),
    ("col_indices", "sparse row compressed tensor"), ("ccol_indices", "sparse column compressed tensor"),
    ("row_indices", "sparse column compressed tensor"),
])
def test_sparse_only_methods_raise_for_strided_tensors(name, layout):
    with pytest.raises(RuntimeError) as info:
        getattr(_t(2), name)()
    assert str(info.value) == f"{name} expected {layout} layout but got Strided"


def test_layout_queries():
    assert (_t(2, 3).sparse_dim(), _t(2, 3).dense_dim(), tg.tensor(1.0).dense_dim()) == (0, 2, 0)
    assert _t(2).is_distributed() is False


# --------------------------------------------------------------------------- legacy storage types
# (the classes themselves, their constructors and top-level names: test_core_legacy_storage_names.py)
_STORAGES = {tg.float32: "FloatStorage", tg.float64: "DoubleStorage", tg.float16: "HalfStorage",
             tg.bfloat16: "BFloat16Storage",
             tg.int64: "LongStorage", tg.int32: "IntStorage", tg.int16: "ShortStorage", tg.int8: "CharStorage",
             tg.uint8: "ByteStorage", tg.bool: "BoolStorage", tg.complex64: "ComplexFloatStorage",
             tg.complex128: "ComplexDoubleStorage"}


@pytest.fixture
def warn_always():
    """The TypedStorage deprecation warning is once per process (as PyTorch's): every time here."""
    tg.set_warn_always(True)
    yield
    tg.set_warn_always(False)


@pytest.mark.parametrize("dtype", list(_STORAGES), ids=str)
def test_storage_type_is_the_legacy_class_of_the_dtype(dtype, warn_always):
    x = tg.zeros(3, dtype=dtype)
    with pytest.warns(UserWarning, match="^TypedStorage is deprecated"):
        cls = x.storage_type()
    assert cls.__name__ == _STORAGES[dtype] and cls.dtype is dtype and cls is getattr(tg, _STORAGES[dtype])
    assert issubclass(cls, tg.TypedStorage) and cls.is_cuda is False
    with pytest.warns(UserWarning):
        assert isinstance(x.storage(), cls)
        other = tg.float64 if dtype is not tg.float64 else tg.float32
        assert not isinstance(tg.zeros(3, dtype=other).storage(), cls)


# --------------------------------------------------------------------------- record_stream
def test_record_stream_refuses_non_streams_and_cpu_tensors():
    with pytest.raises(RuntimeError, match="^record_stream\\(\\): expected a CUDA stream"):
        _t(2).record_stream(None)
    fake_stream = types.SimpleNamespace(record_event=lambda: None, cuda_stream=1)
    with pytest.raises(NotImplementedError, match="^Could not run 'aten::record_stream' with arguments from the 'CPU' "
                                                  "backend"):
        _t(2).record_stream(fake_stream)


class _FakeEvent:
    def __init__(self):
        self.done = False

    def query(self):
        return self.done


def test_record_stream_holds_the_memory_until_the_stream_work_is_done(monkeypatch):
    gaps = _gaps()
    monkeypatch.setattr(gaps, "_held_for_streams", [])
    events = []

    def record_event():
        events.append(_FakeEvent())
        return events[-1]
    stream = types.SimpleNamespace(record_event=record_event, cuda_stream=7)
    first, second = object(), object()
    cuda_tensor = types.SimpleNamespace(_device=types.SimpleNamespace(type="cuda"), _data=first)
    gaps._record_stream(cuda_tensor, stream)
    assert [a for _, a in gaps._held_for_streams] == [first]
    cuda_tensor._data = second
    gaps._record_stream(cuda_tensor, stream)                 # the first stream work is still running: kept
    assert [a for _, a in gaps._held_for_streams] == [first, second]
    events[0].done = True
    gaps._record_stream(cuda_tensor, stream)                 # finished entries are dropped on the next call
    assert [a for _, a in gaps._held_for_streams] == [second, second]


def _cuda_usable():
    from tensorgraft.device import backends
    cuda = backends().get("cuda")
    return cuda is not None and cuda.is_available()


@pytest.mark.skipif(not _cuda_usable(), reason="needs a usable CUDA device")
def test_record_stream_on_a_cuda_side_stream():
    gaps = _gaps()
    side = tg.cuda.Stream()
    x = tg.ones(1024, device="cuda")
    with tg.cuda.stream(side):
        y = x * 2
    x.record_stream(side)
    assert any(array is x._data for _, array in gaps._held_for_streams)
    side.synchronize()
    assert float(y.sum()) == 2048.0
