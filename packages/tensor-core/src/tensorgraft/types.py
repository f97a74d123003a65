"""``tensorgraft.types``: the type aliases of PyTorch's ``torch.types`` (``Number``, ``Device``,
``_int``, ``_dtype``, ``_size`` ...), for code that annotates with them
(``from torch.types import Number, _size``).

tensorgraft runs eagerly and has no symbolic numbers (PyTorch's ``SymInt``/``SymFloat``/``SymBool``
exist for its tracing compiler; tensorgraft has the classes, but no value is ever one): the
"int-like" aliases are PyTorch's unions (``int | SymInt``), and ``isinstance(x, py_sym_types)`` is
False for every value, as it is for every value PyTorch's eager mode hands to user code.
"""
import os
from builtins import (  # noqa: F401  (the underscore names: the plain types where ``int``/``float`` are dtypes)
    bool as _bool,
    bytes as _bytes,
    complex as _complex,
    float as _float,
    int as _int,
    str as _str,
)
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any, Protocol, Union  # noqa: F401

from .device import device as _device
from .dtypes import dtype as _dtype
from .memory_layout import layout as _layout  # noqa: F401
from .tensor import Size, Tensor
from .symbolic_numbers import SymBool, SymFloat, SymInt

if TYPE_CHECKING:
    from tensorgraft.autograd.graph import GradientEdge  # noqa: F401

__all__ = ["Number", "Device", "FileLike", "Storage"]

_TensorOrTensors = Union[Tensor, Sequence[Tensor]]
_TensorOrOptionalTensors = Union[Tensor, Sequence[Union[Tensor, None]]]
_TensorOrTensorsOrGradEdge = Union[Tensor, Sequence[Tensor], "GradientEdge", Sequence["GradientEdge"]]

_size = Union[Size, list[int], tuple[int, ...]]
_symsize = Union[Size, Sequence[int]]

# PyTorch's unions; in eager mode only the plain type ever occurs (see the module's docstring)
IntLikeType = int | SymInt
FloatLikeType = float | SymFloat
BoolLikeType = bool | SymBool
py_sym_types = (SymInt, SymFloat, SymBool)

Number = Union[int, float, bool]
_Number = (int, float, bool)  # for isinstance(x, _Number)

FileLike = Union[str, os.PathLike, IO[bytes]]

# "device-like": a device, its string or a CUDA ordinal; None means the default device
Device = Union[_device, str, int, None]


class Storage(Protocol):
    """What a storage offers (``TypedStorage``/``UntypedStorage`` have it), for annotations."""

    device: _device
    dtype: _dtype

    def element_size(self) -> int: ...

    def is_shared(self) -> bool: ...

    def share_memory_(self) -> "Storage": ...

    def nbytes(self) -> int: ...

    def cpu(self) -> "Storage": ...

    def data_ptr(self) -> int: ...
