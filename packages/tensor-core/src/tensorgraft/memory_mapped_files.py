"""``from_file``: a CPU tensor whose memory is a memory-mapped file.

NumPy's ``memmap`` does the mapping. ``shared=True`` maps the file read-write and shared
(``MAP_SHARED``): writes to the tensor reach the file, and the file is created or lengthened to
hold ``size`` elements, as PyTorch does. Otherwise the mapping is private copy-on-write
(``MAP_PRIVATE``): the tensor can be written, the file never changes, and the file must already
hold ``size`` elements.
"""
from __future__ import annotations

import os
from tensorgraft.argument_errors import c_type_name

import numpy as np

__all__ = ["from_file", "is_from_file"]


class FromFileMapping(np.memmap):
    """The mapping behind a ``from_file`` tensor. Its own class because PyTorch counts this memory as
    shared between processes (``is_shared()`` is True) but not that of ``load(mmap=True)``, which
    is a plain ``numpy.memmap`` here."""


def from_file(filename, shared=None, size=0, *, dtype=None, layout=None, device=None, pin_memory=False,
              requires_grad=False):
    """A 1-D tensor of ``size`` elements of ``dtype`` read from ``filename`` through a memory map
    (``shared=True``: changes are written to the file)."""
    import tensorgraft as tg
    from .ops.conversion import from_numpy

    if not isinstance(filename, str):
        raise TypeError(f"from_file(): argument 'filename' (position 1) must be str, not {c_type_name(filename)}")
    if shared is not None and not isinstance(shared, bool):
        raise TypeError(f"from_file(): argument 'shared' must be bool, not {c_type_name(shared)}")
    if not isinstance(size, int) or isinstance(size, bool):
        raise TypeError(f"from_file(): argument 'size' must be int, not {c_type_name(size)}")
    if layout is not None and layout is not tg.strided:
        raise NotImplementedError(f"from_file(): only strided (dense) tensors can be mapped to files, not {layout}")
    if device is not None and tg.device(device).type != "cpu":
        raise RuntimeError(f"from_file(): only CPU tensors can be mapped to files, not device "
                           f"'{tg.device(device)}'; map it on the CPU and move it with .to(device)")
    if pin_memory:
        raise RuntimeError("tensors constructed from a file cannot be pinned")
    dtype = tg.get_default_dtype() if dtype is None else dtype
    np_dtype = dtype.np
    nbytes = size * np_dtype.itemsize
    if size < 0:
        raise RuntimeError(f"unable to mmap {nbytes} bytes from file <{filename}>: Cannot allocate memory (12)")
    shared = bool(shared)
    if not shared and not os.path.exists(filename):
        raise RuntimeError(f"unable to open file <{filename}> in read-only mode: No such file or directory (2)")
    if size == 0:  # nothing to map (an empty mapping is an error in mmap(2)); no file is created
        out = tg.empty(0, dtype=dtype)
    else:
        if shared:
            with open(filename, "ab") as f:  # create it if needed, and lengthen it (never shorten)
                if f.tell() < nbytes:
                    f.truncate(nbytes)
        elif os.path.getsize(filename) < nbytes:
            raise RuntimeError(f"file <{filename}> size <{os.path.getsize(filename)}> is smaller than the "
                               f"required mapping size <{nbytes}>")
        raw = FromFileMapping(filename, dtype=np.uint8, mode="r+" if shared else "c", shape=(nbytes,))
        out = from_numpy(raw.view(np.ndarray).view(np_dtype))  # a plain array over the map
    if requires_grad:
        out.requires_grad_(True)
    return out


def mapping_of(array):
    """The ``from_file`` mapping an array's memory belongs to, or None."""
    found, base = None, array
    while base is not None:  # the outermost one: views of a memmap are memmaps too
        if isinstance(base, FromFileMapping):
            found = base
        base = getattr(base, "base", None)
    return found


def is_from_file(array) -> bool:
    return mapping_of(array) is not None


def shared_file_handle(array):
    """(file name, byte offset, dtype, shape, strides) of an array inside a ``shared=True`` mapping,
    which another process maps again to see the same memory; None for any other array."""
    mapping = mapping_of(array)
    if mapping is None or mapping.mode != "r+":
        return None
    offset = array.__array_interface__["data"][0] - mapping.__array_interface__["data"][0]
    return mapping.filename, offset, array.dtype, array.shape, array.strides


def array_from_shared_file(filename, offset, dtype, shape, strides):
    mapping = FromFileMapping(filename, dtype=np.uint8, mode="r+")
    return np.ndarray(shape, dtype=dtype, buffer=mapping.view(np.ndarray), offset=offset, strides=strides)
