"""``tensorgraft.cuda.FloatTensor`` & co.: PyTorch's legacy typed constructors for CUDA tensors.

``tensorgraft.cuda.FloatTensor(2, 3)`` is an uninitialised float32 tensor on the current GPU,
``tensorgraft.cuda.LongTensor([1, 2])`` a copy of the data; ``isinstance(t, tensorgraft.cuda.FloatTensor)``
holds for float32 tensors on a GPU (and not for CPU ones, which are ``tensorgraft.FloatTensor``).
"""
from __future__ import annotations

from tensorgraft import dtypes as _dt
from tensorgraft.ops.creation import _legacy_construct
from tensorgraft.tensor import Tensor

from ._backend import BACKEND as _B


class _CudaTypedTensorMeta(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype is cls.dtype and obj.device.type == "cuda"

    def __call__(cls, *args, **kwargs):
        if not _B.is_available():
            raise TypeError(f"type torch.cuda.{cls.__name__} not available. {_B.unavailable_reason()}")
        kwargs.setdefault("device", "cuda")
        return _legacy_construct(cls.dtype, args, kwargs)


def _typed(name, dt):
    return _CudaTypedTensorMeta(name, (), {
        "dtype": dt, "_dtype": dt, "is_cuda": True, "__module__": "tensorgraft.cuda",
        "__doc__": f"Legacy constructor: tensors of dtype {dt} on the current CUDA device."})


TYPED_TENSORS = {name: _typed(name, dt) for name, dt in (
    ("FloatTensor", _dt.float32), ("DoubleTensor", _dt.float64), ("HalfTensor", _dt.float16),
    ("LongTensor", _dt.int64), ("IntTensor", _dt.int32), ("ShortTensor", _dt.int16), ("CharTensor", _dt.int8),
    ("ByteTensor", _dt.uint8), ("BoolTensor", _dt.bool))}
