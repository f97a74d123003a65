"""``tensorgraft.nn.common_types``: the type aliases of PyTorch's ``torch.nn.common_types``, which
layer code annotates its arguments with (``kernel_size: _size_2_t``)."""
from typing import Optional, TypeVar, Union

from tensorgraft import Tensor

# An argument given either as a tuple or as one scalar the layer repeats to a tuple: a tuple of any
# length, or of a fixed length for 1-D ... 6-D operations.
T = TypeVar("T")
_scalar_or_tuple_any_t = Union[T, tuple[T, ...]]
_scalar_or_tuple_1_t = Union[T, tuple[T]]
_scalar_or_tuple_2_t = Union[T, tuple[T, T]]
_scalar_or_tuple_3_t = Union[T, tuple[T, T, T]]
_scalar_or_tuple_4_t = Union[T, tuple[T, T, T, T]]
_scalar_or_tuple_5_t = Union[T, tuple[T, T, T, T, T]]
_scalar_or_tuple_6_t = Union[T, tuple[T, T, T, T, T, T]]

# sizes (kernel size, padding ...)
_size_any_t = _scalar_or_tuple_any_t[int]
_size_1_t = _scalar_or_tuple_1_t[int]
_size_2_t = _scalar_or_tuple_2_t[int]
_size_3_t = _scalar_or_tuple_3_t[int]
_size_4_t = _scalar_or_tuple_4_t[int]
_size_5_t = _scalar_or_tuple_5_t[int]
_size_6_t = _scalar_or_tuple_6_t[int]

# optional sizes (adaptive pools' output sizes, where None keeps the input's size)
_size_any_opt_t = _scalar_or_tuple_any_t[Optional[int]]
_size_2_opt_t = _scalar_or_tuple_2_t[Optional[int]]
_size_3_opt_t = _scalar_or_tuple_3_t[Optional[int]]

# ratios per dimension (upsampling scale factors)
_ratio_2_t = _scalar_or_tuple_2_t[float]
_ratio_3_t = _scalar_or_tuple_3_t[float]
_ratio_any_t = _scalar_or_tuple_any_t[float]

_tensor_list_t = _scalar_or_tuple_any_t[Tensor]

# what a max pool returns: the output, or (output, indices) with return_indices=True
_maybe_indices_t = _scalar_or_tuple_2_t[Tensor]
