"""Tensors in memory shared between processes: what ``Tensor.share_memory_()`` does.

A shared tensor's array lives in a ``SharedBlock``: one ``multiprocessing.heap.Arena`` per tensor,
a file in /dev/shm (or the temp dir) that is unlinked at once and mapped ``MAP_SHARED``. So

- a child made by ``fork`` inherits the mapping: writes on either side are seen by the other;
- pickling for another process (``spawn``/``forkserver`` arguments, ``Queue.put``) sends the arena's
  file descriptor (``multiprocessing.reduction.DupFd``), and the receiver maps the same memory;
- the memory is freed by the OS when the last process unmaps it. One arena per tensor, not one
  shared heap: a heap would hand a block freed by one process to a new tensor while another process
  still writes to it.

Each arena keeps a file descriptor open while its tensor lives (as PyTorch's "file_descriptor"
sharing strategy does), so sharing tens of thousands of tensors at once needs a raised ``ulimit -n``.
"""
from __future__ import annotations

import ctypes
import multiprocessing.heap as _heap

import numpy as np


class SharedBlock:
    """Bytes in an arena of shared memory. ``numpy.asarray(block)`` is a uint8 array over them
    whose ``.base`` is the block, which is how ``is_shared`` recognises every array made from one."""

    def __init__(self, arena):
        self.arena = arena
        # the address of the mapping (ctypes exports the buffer, which keeps the mmap from closing)
        self._anchor = ctypes.c_char.from_buffer(arena.buffer)
        self.__array_interface__ = {"shape": (arena.size,), "typestr": "|u1", "version": 3,
                                    "data": (ctypes.addressof(self._anchor), False)}

    @classmethod
    def allocate(cls, nbytes):
        return cls(_heap.Arena(max(int(nbytes), 1)))  # an mmap cannot be empty

    def __reduce__(self):
        return SharedBlock, (self.arena,)  # the arena pickles as a duplicated file descriptor


def block_of(array):
    """The ``SharedBlock`` an array's memory belongs to, or None."""
    b = array
    while b is not None:
        if isinstance(b, SharedBlock):
            return b
        b = getattr(b, "base", None)
    return None


def is_shared(array) -> bool:
    return block_of(array) is not None


def _address(array) -> int:
    return array.__array_interface__["data"][0]


def _in_shared_file(array) -> bool:
    """Memory ``from_file(..., shared=True)`` mapped is shared already (through the file), as in PyTorch."""
    from ..memory_mapped_files import shared_file_handle
    return shared_file_handle(array) is not None


def shared_copy(array):
    """A copy of ``array`` in a new shared block, with the same layout when it is contiguous
    (C or Fortran order; other layouts get C order)."""
    order = "F" if array.flags.f_contiguous and not array.flags.c_contiguous else "C"
    raw = np.asarray(SharedBlock.allocate(array.nbytes))
    out = raw[:array.nbytes].view(array.dtype).reshape(array.shape, order=order)
    out[...] = array
    return out


def array_from_block(block, dtype, shape, strides, offset):
    """The array over ``block``'s bytes that a pickled shared tensor described."""
    raw = np.asarray(block)
    return np.ndarray(shape, dtype=np.dtype(dtype), buffer=raw, offset=offset, strides=strides)


def handle_of(array):
    """(block, dtype, shape, strides, byte offset) of an array that lives in a shared block."""
    block = block_of(array)
    offset = _address(array) - _address(np.asarray(block))
    return block, array.dtype.str, array.shape, array.strides, offset


def share_tensor_(tensor):
    """Move ``tensor``'s memory into shared memory (no-op when it is there already or not on the CPU).

    A view is moved with its base: the base's array is replaced by a shared copy and the view is
    re-made over it at the same place, so the two keep aliasing. Other views of that base made
    earlier keep the old (private) memory, a difference from PyTorch, whose views share one storage
    object."""
    if tensor._device.type != "cpu" or is_shared(tensor._data) or _in_shared_file(tensor._data):
        return tensor
    root = tensor._base
    if root is not None and root._device.type == "cpu" and not is_shared(root._data):
        old = root._data
        offset = _address(tensor._data) - _address(old)
        root._data = shared_copy(old)
        same_layout = root._data.strides == old.strides
        if same_layout and 0 <= offset <= max(old.nbytes - tensor._data.itemsize, 0):
            tensor._data = np.ndarray(tensor._data.shape, dtype=tensor._data.dtype, strides=tensor._data.strides,
                                      buffer=np.asarray(block_of(root._data)), offset=offset)
            return tensor
    tensor._data = shared_copy(tensor._data)
    return tensor
