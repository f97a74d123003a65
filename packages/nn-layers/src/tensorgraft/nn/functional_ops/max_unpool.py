"""Max unpooling: each input value written at its flat plane index (from a max pool's
``return_indices=True``) in an output of zeros.

That is exactly a max pool's backward op (``index_scatter_ops``: a scatter at the indices whose own
gradient is a gather there), so the unpools run it, without accumulation and under PyTorch's node
names (``MaxUnpool2DBackward0``, ``MaxUnpool3DBackward0``); the 1-D unpool is the 2-D one on a
trailing dimension of one, as in PyTorch (``SqueezeBackward1``). Where indices repeat, one of the
values lands there (PyTorch does not say which; they are equal when they come from a max pool)."""
from __future__ import annotations

import math

import numpy as np

from tensorgraft.amp._state import state as _autocast
from tensorgraft.device import get_backend

from ._common import check_tensor_args
from .pooling import max_pool2d_backward_op
from .pooling3d import index_scatter_op
from tensorgraft.dtypes import np_kind as _np_kind


def _tuple(v, n):
    """PyTorch's ``_single``/``_pair``/``_triple``: a sequence is kept as it is."""
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


def _unpool_output_size(input, kernel_size, stride, padding, output_size):
    """PyTorch's ``_unpool_output_size``: the default size, or ``output_size`` (its last dims) checked
    to lie strictly within one stride of it."""
    input_size = input.shape
    r = len(kernel_size)
    default_size = [(input_size[-r + d] - 1) * stride[d] + kernel_size[d] - 2 * padding[d] for d in range(r)]
    if output_size is None:
        ret = default_size
    else:
        if len(output_size) == r + 2:
            output_size = output_size[2:]
        if len(output_size) != r:
            raise ValueError(f"output_size should be a sequence containing {r} or {r + 2} elements, but it has a "
                             f"length of '{len(output_size)}'")
        for d in range(r):
            min_size = default_size[d] - stride[d]
            max_size = default_size[d] + stride[d]
            if not (min_size < output_size[d] < max_size):
                raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be between {min_size} and '
                                 f'{max_size})')
        ret = output_size
    for d in range(r):
        if ret[d] < 0:
            raise ValueError(f"max_unpooling: output_size must contain non-negative spatial dimensions, but got "
                             f"output_size[{d}]={ret[d]}")
    return ret


def _dtype_name(t):
    from tensorgraft.ops._frontend import _type_name
    return _type_name(t._data.dtype)


def _check(input, indices, out_sp, rank):
    """ATen's checks of ``max_unpooling{2,3}d_forward_out_cpu``, in its order."""
    name = f"max_unpooling{rank}d"
    if str(indices._data.dtype) != "int64":
        raise RuntimeError("elements in indices should be type int64" +
                           (f" but got: {_dtype_name(indices)}" if rank == 2 else ""))
    if len(out_sp) != rank:
        what = "two elements (height, width)" if rank == 2 else "three elements (depth, height, width)"
        raise RuntimeError(f"There should be exactly {what} in output_size, but got {len(out_sp)} elements.")
    if input.ndim not in (rank + 1, rank + 2):
        raise RuntimeError(f"Input to {name} should be a {rank + 1}d or {rank + 2}d Tensor, but got a tensor with "
                           f"{input.ndim} dimensions.")
    if tuple(input.shape) != tuple(indices.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor ({list(input.shape)}) "
                           f"but got indices tensor with shape: {list(indices.shape)}")
    for i in range(1, input.ndim):
        if input.shape[i] == 0:
            raise RuntimeError(f"{name}_forward_out_cpu(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but got {list(input.shape)} with dimension {i} being empty.")


def _unpool(input, indices, out_sp, rank):
    if _autocast.on:  # (max_unpool2d/3d: PyTorch's CPU float32 list)
        input, = _autocast.fp32_cpu(input)
    out_sp = tuple(int(o) for o in out_sp)
    _check(input, indices, out_sp, rank)
    out_shape = tuple(input.shape[:-rank]) + out_sp
    if math.prod(out_shape) == 0:  # nothing is written: ATen checks neither dtype nor indices
        return _scatter(input, indices, out_shape, rank)
    if _np_kind(input._data.dtype) != "f":
        raise NotImplementedError(f"\"max_unpool{rank}d\" not implemented for '{_dtype_name(input)}'")
    if get_backend(input._device).xp is np:
        # (on a GPU this would wait for the device; PyTorch's CUDA kernel does not check either)
        idx = indices._data.reshape(-1)
        bad = (idx < 0) | (idx >= math.prod(out_sp))
        if bad.any():
            # ATen's loop keeps the last invalid index it meets; run on one thread, that is the last
            # one in memory order (with more threads, PyTorch's answer depends on their timing)
            value = int(idx[bad][-1])
            raise RuntimeError(f"Found an invalid max index: {value} (output volumes are of size "
                               f"{'x'.join(map(str, out_sp))})")
    return _scatter(input, indices, out_shape, rank)


def _scatter(input, indices, out_shape, rank):
    op = max_pool2d_backward_op if rank == 2 else index_scatter_op
    return op(input, indices._data, out_shape, False, f"MaxUnpool{rank}DBackward0")


# (PyTorch's Python code fails on an array first: ``input.size()`` is "'int' object is not callable")
_UNPOOL_ARGS = (("input", 1, False), ("indices", 2, False))


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    check_tensor_args("max_unpool1d", _UNPOOL_ARGS, input, indices)
    kernel_size = _tuple(kernel_size, 1)
    stride = _tuple(stride, 1) if stride is not None else kernel_size
    padding = _tuple(padding, 1)
    out_sp = list(_unpool_output_size(input, kernel_size, stride, padding, output_size)) + [1]
    return _unpool(input.unsqueeze(-1), indices.unsqueeze(-1), out_sp, 2).squeeze(-1)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    check_tensor_args("max_unpool2d", _UNPOOL_ARGS, input, indices)
    kernel_size = _tuple(kernel_size, 2)
    stride = _tuple(stride, 2) if stride is not None else kernel_size
    padding = _tuple(padding, 2)
    return _unpool(input, indices, _unpool_output_size(input, kernel_size, stride, padding, output_size), 2)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    check_tensor_args("max_unpool3d", _UNPOOL_ARGS, input, indices)
    kernel_size = _tuple(kernel_size, 3)
    stride = _tuple(stride, 3) if stride is not None else kernel_size
    padding = _tuple(padding, 3)
    out_sp = _unpool_output_size(input, kernel_size, stride, padding, output_size)
    if len(stride) == 3 and any(s <= 0 for s in stride):
        raise RuntimeError(f"strides should be greater than zero, but got stride: {list(stride)}")
    return _unpool(input, indices, out_sp, 3)
