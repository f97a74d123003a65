"""What every creation function shares: reading a size (``zeros(2, 3)``, ``zeros((2, 3))``,
``zeros(size=...)``) and a ``dtype=``, making the array on its device and wrapping it (with
``requires_grad``), and the number and dtype spellings of PyTorch's messages.

Separate because the factories of every other module here, and the random samplers of
``ops/sampling``, are built on these helpers.
"""
from __future__ import annotations

import math
import numbers
from tensorgraft.argument_errors import c_type_name

import numpy as np

from ... import dtypes as _dt
from ...device import device as _device, get_backend
from ...tensor import Tensor, wrap
from ..conversion import move_array
from .._args import ONE_SEQUENCE_ONLY

_CPU = _device("cpu")


def _size(size, fname: str, kwsize=None) -> tuple:
    """``zeros(2, 3)``, ``zeros((2, 3))``, ``zeros([2, 3])``, ``zeros(Size)``, ``zeros(size=(2, 3))``,
    with PyTorch's messages for bad sizes."""
    if kwsize is not None:
        if size:
            raise TypeError(f"{fname}() got multiple values for argument 'size'")
        size = (kwsize,)
    elif size and size.__class__ is tuple:
        # fast path: ``zeros(2, 3)`` with plain non-negative ints
        for s in size:
            if s.__class__ is not int or s < 0:
                break
        else:
            return size
    if not size and fname in ONE_SEQUENCE_ONLY:  # x.new_zeros(): no size at all (zeros() checks it itself)
        raise TypeError(f"{fname}() missing 1 required positional arguments: \"size\"")
    if len(size) > 1 and isinstance(size[0], (tuple, list)) and fname in ONE_SEQUENCE_ONLY:
        raise TypeError(f"{fname}() takes 1 positional argument but {len(size)} were given")
    given = len(size)
    if len(size) == 1:
        one = size[0]
        if isinstance(one, (tuple, list)):
            size = one
        elif isinstance(one, Tensor) and one.ndim == 1:
            size = one.tolist()
        elif not (isinstance(one, numbers.Integral) or (isinstance(one, Tensor) and one.ndim == 0)) \
                or isinstance(one, bool):
            raise TypeError(f"{fname}(): argument 'size' (position 1) must be tuple of ints, not "
                            f"{c_type_name(one)}")
    out = []
    for i, s in enumerate(size):
        if isinstance(s, Tensor) and s.ndim == 0 and s.dtype.category == 1:
            s = s.item()
        if not isinstance(s, numbers.Integral) or isinstance(s, bool):
            if i == 0:  # (the error path: valid sizes never get here)
                # PyTorch's parser reads a size whose first element is not an int as the
                # one-sequence form: a sequence names the element, more arguments are too many
                if given == 1:
                    raise TypeError(f"{fname}(): argument 'size' (position 1) must be tuple of ints, but found "
                                    f"element of type {c_type_name(s)} at pos 0")
                if fname not in ("rand", "randn"):  # (those two list their overloads instead)
                    raise TypeError(f"{fname}() takes 1 positional argument but {given} were given")
            raise TypeError(f"{fname}(): argument 'size' failed to unpack the object at pos {i + 1} with error "
                            f"\"type must be tuple of ints,but got {c_type_name(s)}\"")
        out.append(int(s))
    for s in out:
        if s < 0:
            if fname == "zeros":
                raise RuntimeError("zeros: Dimension size must be non-negative.")
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {out}")
    return tuple(out)


_PY_DTYPES = {float: _dt.float64, int: _dt.int64, bool: _dt.bool, complex: _dt.complex128}


def _check_dtype(dtype, fname):
    """``dtype=`` argument: a tensorgraft dtype, None, or (as PyTorch accepts) a Python type."""
    if dtype is None or dtype.__class__ is _dt.dtype:
        return dtype
    d = _PY_DTYPES.get(dtype) if isinstance(dtype, type) else None
    if d is None:
        raise TypeError(f"{fname}(): argument 'dtype' must be torch.dtype, not {c_type_name(dtype)}")
    return d


def _check_requires_grad(dtype) -> None:
    if dtype.category < 2:
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")


def _finish(data, dev, requires_grad: bool) -> Tensor:
    if dev is not _CPU:
        data = move_array(data, _CPU, dev)
    t = wrap(data, dev)
    if requires_grad:
        _check_requires_grad(_dt._BY_NUMPY[data.dtype])
        t.requires_grad_(True)
    return t


def _create(dev, make):
    """``make(xp)`` with ``dev``'s array namespace: creation runs on the device directly (no host
    round-trip), and on the indexed device itself (``cuda:1`` while GPU 0 is current)."""
    if dev is _CPU:
        return make(np)
    backend = get_backend(dev)
    on = getattr(backend, "on", None)  # (a backend need not subclass DeviceBackend)
    if on is None:
        return make(backend.xp)
    with on(dev.index):
        return make(backend.xp)


def sparse_layout(layout, fname: str) -> bool:
    """Whether a factory's ``layout=`` asks for a sparse tensor (COO or compressed; None and
    ``torch.strided``: a dense one); anything but a layout is PyTorch's TypeError."""
    from ... import memory_layout as _ml
    if layout is None or layout is _ml.strided:
        return False
    if layout in (_ml.sparse_coo, _ml.sparse_csr, _ml.sparse_csc, _ml.sparse_bsr, _ml.sparse_bsc):
        return True
    raise TypeError(f"{fname}(): argument 'layout' must be torch.layout, not {c_type_name(layout)}")


def no_sparse_kernel(fname: str, aten: str) -> NotImplementedError:
    """The refusal of a factory that cannot fill a sparse COO tensor (``ones(layout=sparse_coo)``,
    ``rand_like(sparse)``), in PyTorch's words, with what to do instead."""
    return NotImplementedError(f"Could not run 'aten::{aten}' with arguments from the 'SparseCPU' backend: "
                               f"{fname}() cannot make a sparse COO tensor; make a dense one and call .to_sparse()")


def sparse_empty(shape, dtype, dev, requires_grad, sparse_dim=None, layout=None, like=None) -> Tensor:
    """A sparse tensor of ``shape`` with no entries (``zeros``/``empty`` with a sparse ``layout``,
    ``zeros_like`` of a sparse tensor). COO: ``sparse_dim`` sparse dimensions (all by default),
    the rest dense. Compressed (``layout`` torch.sparse_csr ..., or ``like`` a compressed tensor's
    data): the batch dims, block size and dense dims of ``like``, else no dense dims."""
    from ...sparse.compressed_data import SparseCompressedData
    from ...sparse.coo_data import SparseCOOData
    shape = tuple(int(n) for n in shape)
    name = like.layout if like is not None and layout is None else getattr(layout, "_name", "sparse_coo")
    if dev.type != "cpu":
        kind = "sparse COO" if name == "sparse_coo" else "compressed sparse"
        raise RuntimeError(f"a {kind} tensor on {dev}: {kind} tensors live on the CPU in tensorgraft (there are no "
                           f"CUDA sparse kernels); make it on the CPU")
    if name != "sparse_coo":
        if like is not None and like.layout == name:
            data = SparseCompressedData.empty(name, shape, dtype.np, like.batch_dim, like.blocksize)
        elif name in ("sparse_bsr", "sparse_bsc") or len(shape) < 2:
            raise RuntimeError(f"a torch.{name} tensor of size {list(shape)} with no entries cannot be made without "
                               f"{'a blocksize' if len(shape) >= 2 else 'two dimensions'}: build it with "
                               f"torch.sparse_compressed_tensor, or convert a dense tensor")
        else:
            data = SparseCompressedData.empty(name, shape, dtype.np, len(shape) - 2)
        return _make(data, _CPU, requires_grad)
    k = len(shape) if sparse_dim is None else sparse_dim
    data = SparseCOOData(np.zeros((k, 0), np.int64), np.zeros((0,) + shape[k:], dtype.np), shape, True)
    return _make(data, _CPU, requires_grad)


def _make(data, dev, requires_grad):
    """Wrap an array already on ``dev``."""
    t = wrap(data, dev)
    if requires_grad:
        _check_requires_grad(_dt._BY_NUMPY[data.dtype])
        t.requires_grad_(True)
    return t



def _cnum(x) -> str:
    """A number as C++ streams print it in PyTorch's messages (``0``, ``-1``, ``nan``, ``2.5``)."""
    if isinstance(x, float) and math.isfinite(x) and x == int(x):
        return str(int(x))
    return f"{x:g}" if isinstance(x, float) else str(x)


# PyTorch's names of the dtypes in its "not implemented for" messages
_KERNEL_TYPE_NAMES = {d.name: d.scalar_type for d in _dt.ALL_DTYPES}


def _not_implemented(kernel, dtype):
    return NotImplementedError(f"\"{kernel}\" not implemented for '{_KERNEL_TYPE_NAMES[dtype.name]}'")
