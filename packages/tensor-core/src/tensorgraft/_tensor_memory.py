"""Tensor methods about its memory: strides, dim order, contiguity, layout, storages and data
pointers, ``set_``/``resize_``, the element-wise Python callbacks (``apply_``, ``map_``) and
shared memory between processes.

Set on ``Tensor`` by ``tensor.py`` (see ``adopt_methods`` there), not inherited: they stay in
the class's own dict.
"""
from __future__ import annotations

import functools
import operator
import warnings
from tensorgraft.argument_errors import c_type_name, not_a_tensor

from .tensor import Tensor, _dim_argument, _wrap_dim
from .sparse.array_base import dispatch_key


class MemoryMethods:
    """Copied onto ``Tensor`` by ``tensor.adopt_methods``; never instantiated or inherited."""

    def storage_offset(self) -> int:
        """Offset (in elements) of this view's first element within its base tensor's memory."""
        from .storage import storage_base
        base = storage_base(self)
        if self._data.size == 0:
            # (NumPy drops an empty view's start; the op that made it recorded PyTorch's: empty_views.py)
            return self._extra.empty_layout[0] if self._extra is not None and self._extra.empty_layout else 0
        if base is self:
            return 0
        try:
            off = self.data_ptr() - base.data_ptr()
        except (AttributeError, TypeError):
            return 0
        return max(0, off // self._data.itemsize)

    def is_shared(self) -> bool:
        """Whether the memory is shared between processes (``share_memory_()``, multiprocessing/, and
        ``from_file``'s mappings, as PyTorch counts them)."""
        if self._device.type != "cpu":
            return False
        from .memory_mapped_files import is_from_file
        from .multiprocessing.shared_memory import is_shared
        return is_shared(self._data) or is_from_file(self._data)

    def stride(self, dim=None):
        a = self._data
        if a.size == 0 and self._extra is not None and self._extra.empty_layout and self._extra.empty_layout[1]:
            st = self._extra.empty_layout[1]  # (PyTorch's strides of an empty view: empty_views.py)
        elif a.size == 0 and a.ndim and not any(a.strides):
            # NumPy 2 gives an empty array zero strides; PyTorch keeps the strides of its layout,
            # C order with each size-0 dim counted as 1 (a permuted empty tensor's order is lost here)
            st, step = [], 1
            for n in reversed(a.shape):
                st.append(step)
                step *= max(n, 1)
            st = tuple(reversed(st))
        else:
            st = tuple(s // a.itemsize for s in a.strides)
        if dim is None:
            return st
        if dim.__class__ is not int:
            dim = _dim_argument(dim, "stride")
        return st[_wrap_dim(dim, self._data.ndim, "stride")]

    def dim_order(self, *, ambiguity_check=False) -> tuple:
        """The dims from outermost to innermost in memory: by decreasing stride, ties in dim order.
        With ``ambiguity_check`` (True, or a list of memory formats) a size-1 or broadcast dim,
        which could sit anywhere in the order, is refused - unless the list names the one format
        the tensor's layout can be read as."""
        from . import memory_layout as ml
        if ambiguity_check is not True and ambiguity_check is not False and (
                not isinstance(ambiguity_check, (list, tuple))
                or not all(f.__class__ is ml.memory_format for f in ambiguity_check)):
            raise TypeError("The ambiguity_check argument must be a bool or a list of memory formats.")
        st = self.stride()
        order = tuple(sorted(range(len(st)), key=lambda d: -st[d]))
        if ambiguity_check is False:
            return order
        unique = "The tensor does not have unique dim order."
        if 0 in st and self._data.size:
            raise RuntimeError(unique)
        if all(n != 1 for n in self._data.shape):
            return order
        if ambiguity_check is not True:
            readable = [f for f in (ml.contiguous_format, ml.channels_last, ml.channels_last_3d)
                        if ml._RANK.get(f, len(st)) == len(st) and self.is_contiguous(memory_format=f)]
            named = [f for f in ambiguity_check if f in readable]
            if len(named) == 1:
                if len(readable) == 1:
                    return ml.dim_order(len(st), named[0])
                raise RuntimeError(unique)
        raise RuntimeError(unique[:-1] + ", or cannot map to exact one of the given memory formats.")

    def is_contiguous(self, *, memory_format=None) -> bool:
        # keyword-only, and a memory format when given, as PyTorch's parser takes it (None stands
        # for its default, contiguous_format)
        if memory_format is None:
            return bool(self._data.flags.c_contiguous)
        from .memory_layout import is_contiguous_as, memory_format as _format_cls
        if memory_format.__class__ is not _format_cls:
            raise TypeError("is_contiguous(): argument 'memory_format' must be torch.memory_format, not "
                            f"{c_type_name(memory_format)}")
        return is_contiguous_as(self._data, memory_format)

    def const_data_ptr(self) -> int:
        return self.data_ptr()

    def untyped_storage(self):
        from .storage import untyped_storage
        return untyped_storage(self)

    def storage(self):
        from .storage import typed_storage
        return typed_storage(self)

    def _is_view(self) -> bool:
        """Whether this tensor is an autograd view of another (``_base`` is set): PyTorch's private
        check, which programs that debug aliasing call."""
        return self._base is not None

    def is_set_to(self, tensor) -> bool:
        """Same memory, offset, shape and strides (the state ``set_(tensor)`` leaves)."""
        a, b = self._data, tensor._data
        return (self._device == tensor._device and a.shape == b.shape and a.strides == b.strides
                and a.dtype == b.dtype and (a.size == 0 or self.data_ptr() == tensor.data_ptr()))

    def set_(self, source=None, storage_offset=0, size=None, stride=None) -> "Tensor":
        from .storage import set_
        return set_(self, source, storage_offset, size, stride)

    def resize_(self, *sizes, memory_format=None) -> "Tensor":
        from .storage import resize_
        from .ops._args import shape_arg
        resize_(self, shape_arg(sizes, "resize_"))
        if memory_format is not None:
            self._restride(memory_format)
        return self

    def resize(self, *sizes) -> "Tensor":
        """Deprecated (use ``reshape``): a reshape to ``sizes`` that must keep the number of elements."""
        warnings.warn("non-inplace resize is deprecated", UserWarning, stacklevel=2)
        return _reshape_by_resize(self, sizes)

    def resize_as(self, tensor) -> "Tensor":
        """Deprecated (use ``reshape_as``): ``resize(*tensor.size())``."""
        warnings.warn("non-inplace resize_as is deprecated", UserWarning, stacklevel=2)
        return _reshape_by_resize(self, tuple(tensor.size()))

    def resize_as_(self, the_template, *, memory_format=None) -> "Tensor":
        if not isinstance(the_template, Tensor):
            raise not_a_tensor("resize_as_", "the_template", 2, the_template)  # (numbered as the function)
        from .storage import resize_
        resize_(self, the_template._data.shape)
        if memory_format is not None:
            self._restride(memory_format)
        return self

    def _restride(self, memory_format) -> None:
        """After ``resize_``: the same memory seen in ``memory_format``'s order (values are not
        kept in logical order, as in PyTorch, where resize leaves them unspecified)."""
        from . import memory_layout as ml
        a = self._data
        ml.check_format_rank(a.ndim, memory_format)
        order = ml.dim_order(a.ndim, memory_format)
        if order != tuple(range(a.ndim)):
            self._data = a.reshape(tuple(a.shape[d] for d in order)).transpose(
                tuple(order.index(d) for d in range(a.ndim)))

    def apply_(self, callable) -> "Tensor":
        from .storage import apply_
        return apply_(self, callable)

    def map_(self, tensor, callable) -> "Tensor":
        from .storage import map_
        _check_map_operand(self, tensor, "map_", "other", 1)
        return map_(self, tensor, callable)

    def map2_(self, x, y, callable) -> "Tensor":
        from .storage import map2_
        _check_map_operand(self, x, "map2_", "x", 1)
        _check_map_operand(self, y, "map2_", "y", 2)
        return map2_(self, x, y, callable)

    def data_ptr(self) -> int:
        if dispatch_key(self._data):  # (a sparse tensor's arrays are not one storage)
            raise RuntimeError("Cannot access data pointer of Tensor that doesn't have storage")
        if self._data.size == 0 or self._device.type == "meta":
            return 0  # as PyTorch: no memory behind an empty or a meta tensor, a null pointer
        iface = getattr(self._data, "__array_interface__", None) or self._data.__cuda_array_interface__
        return iface["data"][0]

    def share_memory_(self):
        """Move the memory into memory shared between processes (see multiprocessing/shared_memory.py);
        a forked child, or a process the tensor is sent to, then reads and writes the same memory."""
        from .multiprocessing.shared_memory import share_tensor_
        return share_tensor_(self)


def _check_map_operand(t, other, fname, argname, position) -> None:
    """``map_``/``map2_``'s tensor arguments: tensors of ``t``'s dtype (the callable gets Python
    numbers of one type), as PyTorch's checks word it."""
    from .tensor import _LEGACY_TYPE_NAMES
    if not isinstance(other, Tensor):
        raise TypeError(f"{fname}(): argument '{argname}' (position {position}) must be Tensor, not "
                        f"{c_type_name(other)}")
    if other._data.dtype != t._data.dtype:
        what = "'other'" if fname == "map_" else f"argument '{argname}'"  # (PyTorch's two wordings)
        raise TypeError(f"{fname}: expected {_LEGACY_TYPE_NAMES.get(t.dtype)} for {what} "
                        f"(got {_LEGACY_TYPE_NAMES.get(other.dtype)})")


def deepcopy_memory(t, memo):
    """``t``'s values for its deep copy, and (for a view into a larger block of memory) a tensor over
    the copy of that block. Views of one block copied in one ``deepcopy`` call keep sharing memory,
    as PyTorch's copies of one storage do: the block is copied once (``memo`` remembers it by the
    array) and each view made at its own byte offset and strides in the copy."""
    import copy
    import numpy as np
    from .storage import storage_base
    from .tensor import wrap
    root = storage_base(t)
    a = t._data
    if root is t or a.__class__ is not np.ndarray or root._data.__class__ is not np.ndarray or a.size == 0:
        return copy.deepcopy(a, memo), None
    block = copy.deepcopy(root._data, memo)
    if not (root._data.flags.c_contiguous and block.flags.c_contiguous):
        return a.copy(), None  # (a strided block is copied compactly: offsets would not carry over)
    offset = a.__array_interface__["data"][0] - root._data.__array_interface__["data"][0]
    try:
        view = np.ndarray(a.shape, a.dtype, buffer=block, offset=offset, strides=a.strides)
    except (TypeError, ValueError):  # (not inside the block after all)
        return a.copy(), None
    return view, wrap(block, root._device)


def _reshape_by_resize(t, sizes):
    """PyTorch's ``autograd._functions.Resize``: sizes are separate ints (as there, a tuple passed
    whole never matches the element count), the result a view recorded as ``ResizeBackward``."""
    numel = functools.reduce(operator.mul, sizes, 1)
    if t.numel() != numel:
        raise RuntimeError(f"requested resize to {'x'.join(map(str, sizes))} ({numel} elements in total), but the "
                           f"given tensor has a size of {'x'.join(map(str, t.size()))} ({t.numel()} elements). "
                           "autograd's resize can only change the shape of a given tensor, while preserving the "
                           "number of elements. ")
    from .grad_mode import is_grad_enabled
    if t.requires_grad and is_grad_enabled():  # (requires_grad implies the autograd engine is installed)
        from .autograd._functions import Resize
        return Resize.apply(t, sizes)
    return t.contiguous().view(*sizes)
