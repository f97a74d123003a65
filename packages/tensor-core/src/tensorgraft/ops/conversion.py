"""Moving data in and out of tensors: dtype/device conversion, NumPy and DLPack interop."""
from __future__ import annotations

import numpy as np
from tensorgraft.argument_errors import c_type_name, not_a_tensor

from .. import dtypes as _dt
from ..device import _default_device, device as _device, get_backend
from ..grad_mode import state as _gs
from ..memory_layout import copy_in_format
from ..sparse.compressed_data import SparseCompressedData
from ..sparse.coo_data import SparseCOOData
from ..tensor import Tensor, wrap
from ._define import defop
from .float16_casts import F16, F32, from_float16, to_float16
from tensorgraft.dtypes import BF16 as _BF16, np_kind as _np_kind

_CPU = _device("cpu")


def resolve_device(dev) -> _device:
    """``None``/str/int/device -> an available device, or PyTorch-style errors. ``None`` is the
    default device (``set_default_device``, ``with device(...)``): the factories' argument."""
    if dev is None:
        dev = _default_device.device
        if dev is None:
            return _CPU
    d = dev if dev.__class__ is _device else _device(dev)
    if d is _CPU:
        return d
    if d.type == "cpu":  # 'cpu:0': tensors live on the index-less cpu device, as in PyTorch
        return _CPU
    backend = get_backend(d)
    if not backend.is_available():
        raise RuntimeError(backend.unavailable_reason())
    if d.index is not None and d.index >= backend.device_count():
        raise RuntimeError(f"Invalid device ordinal {d.index}: only {backend.device_count()} {d.type} device(s) present")
    if d.index is None and d.type != "cpu":
        d = _device(d.type, backend.current_index() if hasattr(backend, "current_index") else 0)
    return d


def move_array(array, src: _device, dst: _device):
    if src is dst:
        return array
    host = array if src is _CPU else get_backend(src).to_host(array)
    return host if dst is _CPU else get_backend(dst).from_host(host, dst.index)


def _discard_imaginary(a, npdtype):
    """``a`` (complex) cast to a real dtype: PyTorch's UserWarning, once per process and pointing at
    the user's line, instead of NumPy's ComplexWarning at every cast. To bool a complex value is
    True when either part is non-zero, without a warning; an empty tensor warns of nothing (PyTorch's
    copy returns before its check)."""
    if np.dtype(npdtype) == np.bool_:
        return a != 0
    if a.size == 0:
        return a.real.astype(npdtype)
    import os
    import sys

    from ..global_switches import warn_once
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    frame, level = sys._getframe(1), 2  # warn_once adds one level: 2 names our caller
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package + os.sep):
        frame, level = frame.f_back, level + 1
    warn_once("Casting complex values to real discards the imaginary part", UserWarning, stacklevel=level)
    return through_pytorch_step(a.real, npdtype).astype(npdtype)


def through_pytorch_step(a, npdtype):
    """``a`` on the way to ``npdtype`` where PyTorch's cast goes through another type (``to`` and
    ``copy_`` share it): a double becomes half through float, rounding twice (1.033691464927 is
    1.0332 there, 1.0342 rounded once), and uint8 through int64, keeping the low byte (3e9 + 5 -> 5;
    NumPy goes through int32, giving 0 beyond its range); ``a`` itself otherwise."""
    if a.dtype == np.float64 and (npdtype == np.float16 or npdtype == np.uint8):
        return a.astype(np.float32 if npdtype == np.float16 else np.int64)
    if npdtype in _FLOAT8_NP or a.dtype in _FLOAT8_NP:
        # (a copy between tensors of one 8-bit float keeps its bits: NaN payloads too)
        return a if a.dtype == npdtype else _float8_cast(a, np.dtype(npdtype))
    if npdtype in _WIDE_UNSIGNED_NP and _np_kind(a.dtype) == "f":
        return _float_to_wide_unsigned(a, npdtype)
    return a


_FLOAT8_NP = frozenset(d.np for d in _dt.FLOAT8_DTYPES)
_WIDE_UNSIGNED_NP = frozenset(d.np for d in _dt.UNSIGNED_WIDE)
_E4M3FN_MAX = 448.0
_E4M3FN, _E5M2, _E8M0 = _dt.float8_e4m3fn.np, _dt.float8_e5m2.np, _dt.float8_e8m0fnu.np
# the 8-bit floats with a single NaN (no sign bit for it), which c10 reads as 0 into the integer types
_ONE_NAN_FLOAT8 = frozenset((_dt.float8_e4m3fnuz.np, _dt.float8_e5m2fnuz.np, _E8M0))


def _float8_cast(a, npdtype):
    """An array whose ``astype(npdtype)`` is c10's conversion of ``a`` where either side is an 8-bit float.
    c10 builds the 8-bit floats from a float and reads them as one, so a double rounds twice on the
    way, and its bit twiddling gives NaNs other bits than ml_dtypes' (see ``_float8_to_float32``)."""
    if a.dtype in _FLOAT8_NP:
        f = _float8_to_float32(a)
        if npdtype in _FLOAT8_NP:
            return _float32_to_float8(f, npdtype)
        kind = _np_kind(npdtype)
        if kind in "iu":
            if a.dtype in _ONE_NAN_FLOAT8:
                # (c10 reads their NaN as an integer 0, where the other NaNs truncate as the CPU does)
                f = np.where(f != f, np.float32(0), f)
            return _float_to_wide_unsigned(f, npdtype) if npdtype in _WIDE_UNSIGNED_NP else f
        if npdtype == np.float16 or npdtype == _BF16:
            return _float32_nan_bits_to(f, npdtype)
        return f
    return _float32_to_float8(a if a.dtype == np.float32 else a.astype(np.float32), npdtype)


def _float32_to_float8(f, npdtype):
    """Float32 ``f`` as c10 rounds it into an 8-bit float: e4m3fn (no infinity) saturates at ±448 where
    ml_dtypes gives NaN; e8m0 (an exponent alone) drops the sign and stores 0 as its smallest value
    2**-127 where ml_dtypes gives NaN; e5m2's NaN is 0x7f with the sign where ml_dtypes writes 0x7e."""
    if npdtype == _E4M3FN:
        return np.clip(f, -_E4M3FN_MAX, _E4M3FN_MAX).astype(npdtype)
    if npdtype == _E8M0:
        f = np.abs(f)
        return np.where(f == 0, np.float32(2.0 ** -127), f).astype(npdtype)
    r = f.astype(npdtype)
    if npdtype == _E5M2:
        nan = f != f
        if nan.any():
            r.view(np.uint8)[nan] = np.where(np.signbit(f[nan]), 0xFF, 0x7F)
    return r


def _float8_to_float32(a):
    """The 8-bit floats read as c10 reads them: ml_dtypes' values, but NaNs with c10's bits (e4m3fn's
    0x7ff00000 with its sign, e5m2's through half with the quiet bit set, the single NaN of the fnuz
    types and e8m0 as 0x7f800001), which later casts carry into half, double and e5m2."""
    f = a.astype(np.float32)
    nan = f != f
    if not nan.any():
        return f
    byte = np.ascontiguousarray(a).view(np.uint8).reshape(a.shape)[nan].astype(np.uint32)
    if a.dtype == _E4M3FN:
        bits = (byte & 0x80) << 24 | 0x7FF00000
    elif a.dtype == _E5M2:
        bits = (byte & 0x80) << 24 | 0x7FC00000 | (byte & 3) << 21
    else:
        bits = np.uint32(0x7F800001)
    f.view(np.uint32)[nan] = bits
    return f


def _float32_nan_bits_to(f, npdtype):
    """Float32 ``f`` (an 8-bit float's values) into half or bfloat16 with c10's NaNs: a half NaN keeps
    the top payload bits with the quiet bit set (NumPy keeps a signalling one), a bfloat16 NaN is
    0x7fc0 whatever its sign."""
    r = f.astype(npdtype)
    nan = f != f
    if nan.any():
        if npdtype == _BF16:
            r.view(np.uint16)[nan] = 0x7FC0
        else:
            fb = f.view(np.uint32)[nan]
            r.view(np.uint16)[nan] = ((fb >> 16) & 0x8000 | 0x7E00 | (fb >> 13) & 0x3FF).astype(np.uint16)
    return r


def float8_cast(a, npdtype):
    """``a`` (any real dtype) converted into the 8-bit float ``npdtype`` as c10 converts it (see
    ``_float8_cast``); an array of that dtype, 0-d arrays staying arrays."""
    return np.asarray(_float8_cast(np.asarray(a), np.dtype(npdtype))).astype(npdtype, copy=False)


def float8_from_number(value, npdtype):
    """A Python number (or bool) as one element of an 8-bit float, as c10's unchecked conversion makes
    it (``t[0] = v``, ``scalar_tensor``): through a float, saturating, overflowing or wrapping as a
    tensor's values do, where ``full`` and ``fill_`` range-check first."""
    if isinstance(value, complex):
        value = value.real
    return _float32_to_float8(np.asarray(float(value), np.float32), np.dtype(npdtype))[()]


def _float_to_wide_unsigned(a, npdtype):
    """A negative float into uint16/32/64 wraps through a signed type, as PyTorch's C cast (``-1.0``
    becomes the type's largest value): uint16 through int32 (as int16: 5e9 is 0 there, the CPU's
    "indefinite" integer cut to 16 bits), uint32 through int64; uint64 takes values beyond int64
    directly."""
    with np.errstate(invalid="ignore"):
        if npdtype != np.uint64:
            return a.astype(np.int32 if npdtype == np.uint16 else np.int64)
        return np.where(a < 0, a.astype(np.int64).astype(np.uint64), a.astype(np.uint64))


def _to_kernel(xp, a, npdtype, copy):
    # astype keeps the memory order (channels-last stays channels-last), as PyTorch's
    # preserve_format does; so does the explicit copy
    if npdtype is not None and a.dtype != npdtype:
        if xp is np and a.dtype == F32 and npdtype == F16:  # (NumPy's cast is slow at float16's range edges)
            return to_float16(a)
        if xp is np and a.dtype == F16 and npdtype == F32:
            return from_float16(a)
        if _np_kind(a.dtype) == "c" and _np_kind(np.dtype(npdtype)) != "c":
            return _discard_imaginary(a, npdtype)
        return through_pytorch_step(a, npdtype).astype(npdtype)
    if not copy:
        return a
    return a.copy() if a.flags.c_contiguous else copy_in_format(xp, a, None)


def _to_frontend(op):
    table = op.table

    def convert(input, dtype=None, device=None, copy=False):
        """Tensor.to's work: same object back when nothing changes (as PyTorch)."""
        dst = input._device if device is None else resolve_device(device)
        npd = None if dtype is None else dtype.np
        same_dtype = npd is None or input._data.dtype == npd
        if dst is input._device and same_dtype and not copy:
            return input
        data = input._data
        if dst is not input._device and npd is not None and (data.dtype is _BF16 or data.dtype in _FLOAT8_NP):
            data = _to_kernel(np, data, npd, False)  # cast on the host first: CUDA (CuPy) has no bfloat16 or float8 arrays
        if dst is not input._device:
            if data.__class__ is SparseCOOData:
                raise RuntimeError(f"to(): cannot move a sparse COO tensor to {dst}: sparse COO tensors live on the CPU "
                                   f"in tensorgraft (there are no CUDA sparse kernels); move its .to_dense() instead")
            if data.__class__ is SparseCompressedData:
                raise RuntimeError(f"to(): cannot move a torch.{data.layout} tensor to {dst}: compressed sparse tensors "
                                   f"live on the CPU in tensorgraft (there are no CUDA sparse kernels); move its "
                                   f".to_dense() instead")
            if dst.type != "cpu" and dst.type != input._device.type and input._device.type != "cpu":
                data = move_array(data, input._device, _CPU)
                data = move_array(data, _CPU, dst)
            else:
                data = move_array(data, input._device, dst)
            out_data = table[dst.type](data, npd, False)
        else:
            out_data = table[dst.type](data, npd, copy)
        out = wrap(out_data, dst)
        if input._requires_grad and _gs.enabled and (npd is None or _np_kind(np.dtype(npd)) in "fc"):
            Tensor._autograd.record(op, out, (input,), {"device": input._device},
                                    node_name="ToCopyBackward0")
        return out
    return convert


_convert_op = defop("_to_copy", kernel=_to_kernel, frontend=_to_frontend, method=False, public=False)


def convert(t, dtype=None, device=None, copy=False):
    return _convert_op.frontend(t, dtype, device, copy)


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """Shares memory with ``ndarray`` (writes through either are seen by both)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dt.from_numpy_dtype(ndarray.dtype)
    return wrap(ndarray, _CPU)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """No copy when ``data`` already is a tensor/array of that dtype and device. Without
    ``device``, the default device (a non-CPU default moves ``data`` there, as PyTorch)."""
    if device is None:
        device = _default_device.device
    if isinstance(data, Tensor):
        return data.to(dtype=dtype, device=device)
    if isinstance(data, np.ndarray) and _np_kind(data.dtype) in "biufc":
        t = from_numpy(data)
        return t.to(dtype=dtype, device=device) if (dtype or device) else t
    from ..device import backends
    for b in backends().values():
        if b.type != "cpu" and b.owns(data):
            t = wrap(data, _device(b.type, b.array_index(data)))
            return t.to(dtype=dtype, device=device) if (dtype or device) else t
    from .creation import tensor
    return tensor(data, dtype=dtype, device=device)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=None) -> Tensor:
    """``torch.asarray``: shares memory with ``obj`` (a tensor, a NumPy/CuPy array, an object
    with the buffer protocol) when dtype and device allow it and ``copy`` is not True;
    ``copy=False`` refuses to copy (ValueError); sequences and scalars are always copied. Without
    ``device``, the default device (``set_default_device``), as PyTorch."""
    dtype = _check_dtype_arg(dtype)
    if device is None:
        device = _default_device.device
    if isinstance(obj, Tensor):
        t = _asarray_tensor(obj, dtype, device, copy)
    elif isinstance(obj, (np.ndarray, np.generic)):  # a NumPy scalar is a 0-d array, not a byte buffer
        t = _asarray_tensor(from_numpy(np.asarray(obj)), dtype, device, copy, "tensor")
    elif _owned_by_device(obj) is not None:
        t = _asarray_tensor(as_tensor(obj), dtype, device, copy)
    elif _has_buffer(obj) and not isinstance(obj, (list, tuple)):
        t = frombuffer(obj, dtype=dtype or _dt.get_default_dtype())
        t = t.to(device=device) if device is not None else t
        if copy:
            t = t.clone()
    else:
        if copy is False:
            raise ValueError("can't alias arbitrary sequence into a tensor.")
        from .creation import tensor
        t = tensor(obj, dtype=dtype, device=device)
    if requires_grad is None:
        if not isinstance(obj, Tensor) or not obj._requires_grad:
            return t
        # PyTorch 2.13: the default follows ``obj`` (once-per-process warning), so a copy made
        # without history (in no_grad, or in a dtype without gradients) is made to require grad
        from ..caller_warnings import warn_once_at_caller
        warn_once_at_caller("torch.asarray: unspecified requires_grad now defaults to obj.requires_grad instead of "
                            "False. Pass requires_grad=False explicitly to get the old behavior and silence this "
                            "warning.")
        requires_grad = True
    if not requires_grad:
        # "no grad": a result with history becomes a detached alias (same memory, no grad_fn); a
        # leaf that requires grad (``obj`` itself, when nothing was copied) stops requiring it
        if t.grad_fn is not None:
            return t.detach()
        if t._requires_grad:
            t.requires_grad_(False)
        return t
    if t.grad_fn is None and not t._requires_grad:
        if _np_kind(t._data.dtype) not in "fc":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        t.requires_grad_(True)
    return t


def _check_dtype_arg(dtype):
    if dtype is not None and dtype.__class__ is not _dt.dtype:
        raise TypeError(f"asarray(): argument 'dtype' must be torch.dtype, not {c_type_name(dtype)}")
    return dtype


def _owned_by_device(obj):
    from ..device import backends
    for b in backends().values():
        if b.type != "cpu" and b.owns(obj):
            return b
    return None


def _has_buffer(obj) -> bool:
    try:
        memoryview(obj)
    except TypeError:
        return False
    return True


def _asarray_tensor(t, dtype, device, copy, what="tensor"):
    dst = t._device if device is None else resolve_device(device)
    changes = (dtype is not None and dtype.np != t._data.dtype) or dst is not t._device
    if copy is False and changes:
        if dtype is not None and dtype.np != t._data.dtype:
            from ._frontend import _type_name
            raise ValueError(f"can't alias {what} with dtype '{_type_name(t._data.dtype)}' into dtype "
                             f"'{_type_name(dtype.np)}'.")
        raise ValueError(f"can't alias {what} from device '{t._device}' to '{dst}'.")
    if copy and not changes:  # PyTorch clones (CloneBackward0 where it records), converts otherwise
        return t.clone()
    return convert(t, dtype=dtype, device=dst, copy=bool(copy))


def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False) -> Tensor:
    """A 1-D tensor viewing ``buffer``'s bytes (shared: writes to either are seen by both)."""
    try:
        view = memoryview(buffer)
    except TypeError:
        raise ValueError("object does not implement Python buffer protocol.") from None
    nbytes = view.nbytes
    isz = dtype.itemsize
    if nbytes == 0 or count == 0:
        raise ValueError(f"both buffer length ({nbytes}) and count ({count}) must not be 0")
    if not 0 <= offset < nbytes:
        raise ValueError(f"offset ({offset} bytes) must be non-negative and no greater than buffer length "
                         f"({nbytes} bytes) minus 1")
    if count < 0:
        if (nbytes - offset) % isz:
            raise ValueError(f"buffer length ({nbytes - offset} bytes) after offset ({offset} bytes) must be a "
                             f"multiple of element size ({isz})")
        count = (nbytes - offset) // isz
    elif offset + count * isz > nbytes:
        raise ValueError(f"requested buffer length ({count} * {isz} bytes) after offset ({offset} bytes) must not be "
                         f"greater than actual buffer length ({nbytes} bytes)")
    t = wrap(np.frombuffer(buffer, dtype=dtype.np, count=count, offset=offset), _CPU)
    if requires_grad:
        t.requires_grad_(True)
    return t


class _DLPackCapsule:
    """A bare DLPack capsule (``to_dlpack``'s result, the older exchange form) given the
    ``__dlpack__``/``__dlpack_device__`` protocol NumPy's and CuPy's ``from_dlpack`` read."""

    _NAMES = (b"dltensor", b"dltensor_versioned")

    def __init__(self, capsule):
        import ctypes
        api = ctypes.pythonapi
        api.PyCapsule_IsValid.restype = ctypes.c_int
        api.PyCapsule_IsValid.argtypes = [ctypes.py_object, ctypes.c_char_p]
        name = next((n for n in self._NAMES if api.PyCapsule_IsValid(capsule, n)), None)
        if name is None:  # consumed already (renamed "used_dltensor"), or not a DLPack capsule
            raise RuntimeError("from_dlpack received an invalid capsule. Note that DLTensor capsules can be consumed "
                               "only once, so you might have already constructed a tensor from it once.")
        api.PyCapsule_GetPointer.restype = ctypes.c_void_p
        api.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
        base = api.PyCapsule_GetPointer(capsule, name)
        pointer = ctypes.sizeof(ctypes.c_void_p)
        # DLManagedTensor starts with its DLTensor; the versioned one has version (8 bytes),
        # manager_ctx, deleter and flags (8 bytes) first. A DLTensor is data, then DLDevice.
        tensor_at = base if name == b"dltensor" else base + 8 + 2 * pointer + 8
        device = tensor_at + pointer
        self._device = (ctypes.c_int32.from_address(device).value, ctypes.c_int32.from_address(device + 4).value)
        self._capsule = capsule

    def __dlpack_device__(self):
        return self._device

    def __dlpack__(self, *args, **kwargs):
        return self._capsule


class _WriteableMemory:
    """The memory of a read-only array offered writeable through ``__array_interface__``, holding
    the array (and so the capsule that owns the memory) alive for as long as the view exists."""

    def __init__(self, array):
        self._array = array
        interface = dict(array.__array_interface__)
        interface["data"] = (interface["data"][0], False)  # (address, read_only)
        self.__array_interface__ = interface


def _writeable_view(array):
    # NumPy marks what it imports from an unversioned ("dltensor") capsule read-only, as it cannot
    # tell whether the producer allows writes; such capsules have no read-only flag at all, and
    # PyTorch shares them writeable (its from_dlpack docstring writes through one). So do we.
    return np.asarray(_WriteableMemory(array))


def from_dlpack(ext) -> Tensor:
    """A tensor sharing the memory of ``ext``: an object with ``__dlpack__`` (a PyTorch, NumPy, CuPy,
    JAX array...) or a DLPack capsule."""
    if isinstance(ext, Tensor):
        return ext
    legacy_capsule = type(ext).__name__ == "PyCapsule"
    if legacy_capsule:
        ext = _DLPackCapsule(ext)
    dev_type, dev_id = ext.__dlpack_device__() if hasattr(ext, "__dlpack_device__") else (1, 0)
    if int(dev_type) == 1:  # kDLCPU
        array = np.from_dlpack(ext)
        if legacy_capsule and not array.flags.writeable:
            array = _writeable_view(array)
        return wrap(array, _CPU)
    backend = get_backend(_device("cuda"))
    return wrap(backend.xp.from_dlpack(ext), _device("cuda", int(dev_id)))


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def _checked(t, fname):
    """``t`` itself when it is a tensor, else PyTorch's refusal (``is_floating_point(a)`` of a NumPy array)."""
    if not isinstance(t, Tensor):
        raise not_a_tensor(fname, "input", 1, t)
    return t


def is_floating_point(t: Tensor) -> bool:
    return _checked(t, "is_floating_point").is_floating_point()


def is_complex(t: Tensor) -> bool:
    return _checked(t, "is_complex").is_complex()


def is_inference(t: Tensor) -> bool:
    return _checked(t, "is_inference").is_inference()


def numel(t: Tensor) -> int:
    return _checked(t, "numel").numel()
