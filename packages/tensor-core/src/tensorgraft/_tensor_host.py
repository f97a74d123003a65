"""Tensor methods that hand the values to Python and NumPy: ``item``, ``tolist``, ``numpy``,
``bool(t)``/``float(t)``/``int(t)``/``index``/``format``, ``np.asarray(t)`` and the DLPack/CUDA array
interfaces.

Set on ``Tensor`` by ``tensor.py`` (see ``adopt_methods`` there), not inherited: they stay in
the class's own dict.
"""
from __future__ import annotations

from numbers import Number as _Number

import numpy as np

from .device import get_backend
from .grad_mode import state as _gs
from . import dtypes as _dt
from .tensor import _BF16, _CPU


def _bfloat16_to_numpy(np_dtype=_BF16):
    # PyTorch's words: NumPy (without ml_dtypes) has no bfloat16 or 8-bit floats, so it refuses rather
    # than handing out an array of an extension type most NumPy code cannot use
    return TypeError(f"Got unsupported ScalarType {_NOT_NUMPY[np_dtype]}")


# NumPy dtypes (ml_dtypes' extension types) whose tensors numpy() and np.asarray refuse
_NOT_NUMPY = {d.np: d.scalar_type for d in (_dt.bfloat16, *_dt.FLOAT8_DTYPES)}


_NUMPY_OF_GRAD = "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."


def _warn_scalar_of_grad() -> None:
    """PyTorch's warning when a tensor recording gradients is read as a Python number (``float(t)``,
    ``complex(t)``, ``tensor([t0, t1])``)."""
    from .caller_warnings import warn_once_at_caller  # (imported on use: warnings are rare)
    warn_once_at_caller("Converting a tensor with requires_grad=True to a scalar may lead to unexpected behavior.\n"
                        "Consider using tensor.detach() first.")


class HostMethods:
    """Copied onto ``Tensor`` by ``tensor.adopt_methods``; never instantiated or inherited."""

    def __bool__(self) -> bool:
        n = self._data.size
        if n != 1:
            if n == 0:
                raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._scalar_host())

    __nonzero__ = __bool__  # (Python 2's name, which PyTorch's Tensor still has)

    def _scalar(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self._scalar_host().item()

    def _scalar_host(self) -> np.ndarray:
        """The one value as a 0-d host array (item(), bool(), float(), int(), format)."""
        if self._device.type == "meta":  # PyTorch's wording for every scalar read of a meta tensor
            raise RuntimeError("Tensor.item() cannot be called on meta tensors")
        return self._host().reshape(())

    def __float__(self):
        if self._requires_grad and _gs.enabled:
            _warn_scalar_of_grad()
        return float(_real_scalar(self._scalar(), "double"))

    def __int__(self):
        return int(_real_scalar(self._scalar(), "int64_t"))  # (PyTorch warns for float() and complex() only)

    def __complex__(self):
        if self._requires_grad and _gs.enabled:
            _warn_scalar_of_grad()
        return complex(self._scalar())

    __long__ = __int__  # (PyTorch keeps Python 2's name too)

    def __contains__(self, element) -> bool:
        """``element in t``: whether any element equals it (a tensor element broadcasts against ``t``,
        as PyTorch's ``(element == self).any()``); anything but a tensor or a number is refused."""
        from .tensor import Tensor
        if isinstance(element, (Tensor, _Number)):
            return bool((element == self).any().item())
        raise RuntimeError(f"Tensor.__contains__ only supports Tensor or scalar, but you passed in a {type(element)}.")

    def __reversed__(self):
        """``reversed(t)``: ``t`` flipped along dim 0, a tensor (a 0-d tensor itself), as PyTorch's."""
        return self if self._data.ndim == 0 else self.flip(0)

    def __index__(self):
        if self._data.dtype.kind not in "biu" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __format__(self, spec):
        # a 0-d plain Tensor formats as its number; a Parameter or another subclass as its repr
        # (and a format spec is refused for it), as PyTorch's
        from .tensor import Tensor
        if self._data.ndim == 0 and self._device.type != "meta" and type(self) is Tensor:  # (meta: no value)
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    # ------------------------------------------------------------------ host conversion
    def _host(self) -> np.ndarray:
        if self._device is _CPU:
            return self._data
        return get_backend(self._device).to_host(self._data)

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._scalar_host().item()

    def tolist(self):
        return self._host().tolist()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        if self._device is not _CPU:
            if not force:
                raise _not_on_host(self._device)
            return self._host()
        if self.is_sparse:
            raise TypeError("can't convert Sparse layout tensor to numpy. Use Tensor.to_dense() first.")
        if getattr(self._data, "layout", None) is not None:  # (a compressed sparse tensor: "SparseCsr" ...)
            from .sparse.compressed_data import layout_word
            raise TypeError(f"can't convert {layout_word(self._data)} layout tensor to numpy. Use "
                            f"Tensor.to_dense() first.")
        if self._requires_grad and _gs.enabled and not force:  # (under no_grad PyTorch hands it out)
            raise RuntimeError(_NUMPY_OF_GRAD)
        if self._data.dtype in _NOT_NUMPY:
            raise _bfloat16_to_numpy(self._data.dtype)
        return self._data

    def __array__(self, dtype=None, copy=None):
        """``np.asarray(t)``: the tensor's own memory on CPU (no copy) unless a dtype change or
        ``copy=True`` asks for one; ``copy=False`` refuses to copy, as NumPy 2 specifies. A tensor
        that requires grad is refused, as ``numpy()`` refuses it (PyTorch's ``__array__`` calls it),
        also when NumPy reads it as an operand (``t + array``, ``np.sin(t)``)."""
        if self._device is not _CPU:
            raise _not_on_host(self._device)  # (numpy()'s refusal: PyTorch's __array__ calls it)
        if self._requires_grad and _gs.enabled:
            raise RuntimeError(_NUMPY_OF_GRAD)
        if self._data.dtype in _NOT_NUMPY:
            raise _bfloat16_to_numpy(self._data.dtype)
        a = self._host()
        if dtype is not None and a.dtype != np.dtype(dtype):
            if copy is False:
                raise ValueError("Unable to avoid copy while creating an array as requested.")
            return a.astype(dtype)
        if copy:
            return a.copy()
        if copy is False and a is not self._data:
            raise ValueError("Unable to avoid copy while creating an array as requested.")
        return a

    def __array_wrap__(self, array, context=None, return_scalar=False):
        """A NumPy function's result computed from this tensor (``np.sin(t)``, ``t * array``) made a
        tensor again, as PyTorch does - 0-d results too. PyTorch turns a bool result into uint8
        on the way (``np.greater(t, 0)`` is a uint8 tensor)."""
        from .ops.conversion import from_numpy
        if array.dtype == np.bool_:
            array = array.astype(np.uint8)
        return from_numpy(np.asarray(array))

    def __dlpack__(self, *args, **kwargs):
        if self.requires_grad:  # PyTorch's protocol method refuses (its to_dlpack function does not)
            raise BufferError("Can't export tensors that require gradient, use tensor.detach()")
        if self._device.type == "meta":  # (its array here is a stand-in with no values to hand out)
            raise BufferError("Cannot pack tensors on meta")
        return self._data.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    @property
    def __cuda_array_interface__(self):
        return self._data.__cuda_array_interface__


def _not_on_host(device) -> TypeError:
    """PyTorch's refusal to hand a tensor's values to NumPy from outside host memory."""
    where = "meta" if device.type == "meta" else f"{device.type}:{device.index or 0}"
    return TypeError(f"can't convert {where} device type tensor to numpy. Use Tensor.cpu() to copy the "
                     "tensor to host memory first.")


def _real_scalar(value, c_type: str):
    """A complex value read as a real number: its real part when the imaginary part is zero, else
    PyTorch's refusal (``int(tensor(1+0j))`` is 1; ``float(tensor(1+2j))`` raises)."""
    if isinstance(value, complex):
        if value.imag != 0:
            raise RuntimeError(f"value cannot be converted to type {c_type} without overflow")
        return value.real
    return value
