"""The index-lookup frontends of ``nn.functional``: ``F.embedding`` (with ``max_norm``'s in-place
renorm), ``F.embedding_bag`` and ``F.one_hot`` (a lookup in the identity).

``embedding`` and ``embedding_bag`` check their indices with one host read (on a GPU each read
waits for the queued kernels), then run ``embedding.py``'s ops, whose kernels and formulas register
at plugin load.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

import tensorgraft as _tg
from tensorgraft.argument_errors import not_a_tensor
from tensorgraft.ops._frontend import _type_name
from tensorgraft.tensor import Tensor, wrap

from . import embedding as _emb
# _check: TypeError "<fname>(): argument 'input' (position 1) must be Tensor, not list"
from .activation_args import check_tensor as _check, int_arg as _int_arg, type_name as _type_name_of
from .conv3d_checks import _legacy_name as _conv3d_legacy_name
from tensorgraft.dtypes import np_kind as _np_kind


def one_hot(tensor, num_classes=-1):
    _check(tensor, "one_hot")
    num_classes = _int_arg(num_classes, "one_hot", "num_classes", 2)   # (3.0, True, None: TypeError)
    a = tensor._data
    if a.dtype != np.int64:  # int32 and other integer types too (PyTorch's rule)
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if a.size == 0 and num_classes == -1:
        raise RuntimeError("Can not infer total number of classes from empty tensor.")
    if a.size and int(a.min()) < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        num_classes = int(a.max()) + 1 if a.size else 0
    elif a.size and int(a.max()) >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    from tensorgraft.device import get_backend
    xp = get_backend(tensor._device).xp
    out = (a[..., None] == xp.arange(num_classes)).astype(np.int64)
    return wrap(out, tensor._device)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False):
    if padding_idx is not None:
        # (the number of rows is looked at only here: a weight of the wrong rank is reported below)
        if padding_idx > 0:
            if padding_idx >= weight.shape[0]:
                raise AssertionError("Padding_idx must be within num_embeddings")
        elif padding_idx < 0:
            if padding_idx < -weight.shape[0]:
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx = weight.shape[0] + padding_idx
    if max_norm is not None:
        # PyTorch renorms first (its Python code calls methods of both, hence these errors)
        for obj, method in ((input, "contiguous"), (weight, "detach")):
            if not isinstance(obj, Tensor):
                raise AttributeError(f"'{type(obj).__name__}' object has no attribute '{method}'")
        _embedding_renorm_(weight, input, max_norm, norm_type)
    _check(weight, "embedding", "weight", 1)
    _check(input, "embedding", "indices", 2)
    # the types of PyTorch's ``torch.embedding`` parameters (padding_idx 1.5 or True, sparse=1:
    # TypeError); its Python code has compared padding_idx with the rows above
    if padding_idx is not None:   # (None is PyTorch's -1 there: no padding row)
        padding_idx = _int_arg(padding_idx, "embedding", "padding_idx", 3)
    for pos, (name, flag) in enumerate((("scale_grad_by_freq", scale_grad_by_freq), ("sparse", sparse)), 4):
        if not isinstance(flag, (bool, np.bool_)):
            raise TypeError(f"embedding(): argument '{name}' (position {pos}) must be bool, not {_type_name_of(flag)}")
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    if _np_kind(input._data.dtype) not in "iu" or input._data.dtype.itemsize < 4:
        raise _index_type_error(input, "embedding")
    V = weight.shape[0]
    a = input._data
    # one read of the answer (on a GPU each read waits for the queued kernels)
    if a.size and bool((a.max() >= V) | (a.min() < 0)):
        raise IndexError("index out of range in self")
    return _emb.embedding_op(input, weight, padding_idx, scale_grad_by_freq, bool(sparse))


def _embedding_renorm_(weight, indices, max_norm, norm_type):
    """PyTorch's embedding_renorm_: the rows ``indices`` looks up are rescaled in place to norm
    <= max_norm, on the weight's own device.

    ATen goes through the distinct indices in ascending order, selecting (negative ones count from
    the end) and rescaling each row before it meets the next; an index past the end stops it with
    the rows before it already rescaled, as here. (A negative index is refused later, by the lookup.)"""
    from tensorgraft.device import get_backend
    if weight.ndim != 2:
        raise RuntimeError(f"Expected 2-dimensional tensor, but got {weight.ndim}-dimensional tensor for argument #1 "
                           "'self' (while checking arguments for embedding_renorm_)")
    if _np_kind(indices._data.dtype) not in "iu" or indices._data.dtype.itemsize < 4:
        raise _index_type_error(indices, "embedding_renorm_", 2)
    xp = get_backend(weight._device).xp
    V = weight.shape[0]
    rows = xp.unique(indices._data.reshape(-1))
    if rows.size == 0:
        return
    if int(rows[0]) < -V:   # the first row selected: nothing rescaled yet
        raise IndexError(f"select(): index {int(rows[0])} out of range for tensor of size {list(weight.shape)} at "
                         "dimension 0")
    if _np_kind(weight._data.dtype) not in "fc":   # the first row's norm
        raise RuntimeError(f"norm(): input dtype should be either floating point or complex. Got "
                           f"{_type_name(weight._data.dtype)} instead.")
    past_end = rows[rows >= V]
    rows = xp.unique(rows[rows < V] % V)   # (a negative index and its positive twin: one row)
    _renorm_rows(xp, weight, rows, max_norm, norm_type)
    if past_end.size:
        raise IndexError(f"select(): index {int(past_end[0])} out of range for tensor of size {list(weight.shape)} "
                         "at dimension 0")


def _renorm_rows(xp, weight, rows, max_norm, norm_type):
    """Rescale (in place) each of the weight's ``rows`` whose ``norm_type``-norm exceeds ``max_norm``."""
    if rows.size == 0:
        return
    with _tg.no_grad():
        w = weight._data
        mag = xp.abs(w[rows])
        # float16/bfloat16: ATen takes each row's norm in float32, rounded to the half type (a
        # half tensor, read with .item()); the double scale is rounded to the half type, as below
        half = w.dtype.itemsize == 2 and _np_kind(w.dtype) == "f"
        if half:
            mag = mag.astype(np.float32)
        p = float(norm_type)
        if p == math.inf:
            norms = mag.max(1)
        elif p == -math.inf:
            norms = mag.min(1)
        elif p == 0:
            norms = (mag != 0).sum(1).astype(w.dtype)   # the count of nonzero entries, as torch.norm's
        else:
            norms = (mag ** p).sum(1) ** (1.0 / p)
        if half:
            norms = norms.astype(w.dtype).astype(np.float64)
        scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        w[rows] *= scale[:, None].astype(w.dtype)


def _index_type_error(t, fname, pos=1, arg="indices"):
    return RuntimeError(f"Expected tensor for argument #{pos} '{arg}' to have one of the following scalar types: Long, "
                        f"Int; but got {_conv3d_legacy_name(t)} instead (while checking arguments for {fname})")


def _refuse_arrays(input, weight, offsets, per_sample_weights):
    """A NumPy array for one of embedding_bag's tensors: PyTorch's Python code fails on it with
    "'int' object is not callable" (its ``.size()``) or an AttributeError (``.dim()``); here the
    TypeError naming the argument. Other non-tensors get PyTorch's own errors, further on."""
    for name, pos, value in (("input", 1, input), ("weight", 2, weight), ("offsets", 3, offsets),
                             ("per_sample_weights", 9, per_sample_weights)):
        if isinstance(value, np.ndarray):
            raise not_a_tensor("embedding_bag", name, pos, value)


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """Sums, means or maxima of bags of embedding rows without materialising the rows of each bag.
    Bags are the rows of a 2-D ``input``, or the runs of a 1-D ``input`` starting at ``offsets``
    (with ``include_last_offset``, ``offsets`` also holds the end of the last bag). Entries equal to
    ``padding_idx`` are left out (of the mean's count too); an empty bag gives zeros. ``sparse``
    is accepted; the gradient is dense."""
    if not (isinstance(weight, Tensor) and isinstance(input, Tensor)) or not (
            (offsets is None or isinstance(offsets, Tensor))
            and (per_sample_weights is None or isinstance(per_sample_weights, Tensor))):
        _refuse_arrays(input, weight, offsets, per_sample_weights)
    # PyTorch's Python code meets a non-tensor through a method: weight.dtype, then input.dim()
    if not isinstance(weight, Tensor):
        raise AttributeError(f"'{_type_name_of(weight)}' object has no attribute 'dtype'")
    if not isinstance(input, Tensor):
        raise AttributeError(f"'{_type_name_of(input)}' object has no attribute 'dim'")
    if weight.dtype == _tg.int64 and input.is_floating_point():
        warnings.warn("Argument order of nn.functional.embedding_bag was changed. Usage `embedding_bag(weight, input, "
                      "...)` is deprecated, and should now be `embedding_bag(input, weight, ...)`.", stacklevel=2)
        weight, input = input, weight
    psw = per_sample_weights
    if psw is not None and tuple(input.shape) != tuple(psw.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({psw.shape}) is not None, then it must have the same "
                         f"shape as the input ({input.shape})")
    if weight.ndim != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.ndim}")
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of fixed "
                             f"length sequences. However, found offsets of type {type(offsets)}")
        if input.shape[1] == 0:
            raise RuntimeError("step must be nonzero")   # PyTorch builds the offsets with arange(0, numel, 0)
        include_last_offset = False
    elif input.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if not isinstance(offsets, Tensor):
            raise AttributeError(f"'{type(offsets).__name__}' object has no attribute 'dim'")
        if offsets.ndim != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}")
    modes = {"sum": _emb.MODE_SUM, "mean": _emb.MODE_MEAN, "max": _emb.MODE_MAX}
    if mode not in modes:
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max":
        if scale_grad_by_freq:
            raise ValueError("max mode does not support scaling the gradient by the frequency")
        if sparse:
            raise ValueError("max mode does not support sparse weights")
    if max_norm is not None and (_np_kind(input._data.dtype) not in "iu" or input._data.dtype.itemsize < 4):
        raise _index_type_error(input, "embedding_renorm_", 2)   # PyTorch renorms before its own checks
    # PyTorch brings the input and the offsets (for a 2-D input, made by arange in the input's
    # dtype) to one dtype, which must be int32 or int64
    if offsets is None or input.ndim == 2:
        if input.dtype == _tg.bool:
            raise NotImplementedError("\"arange_cpu\" not implemented for 'Bool'")
        index_dt = input.dtype
    else:
        index_dt = _tg.promote_types(input.dtype, offsets.dtype)
    if index_dt not in (_tg.int64, _tg.int32):
        raise _index_type_error(input if index_dt == input.dtype else _tg.empty(0, dtype=index_dt), "embedding_bag")
    if not weight.is_floating_point():  # (ATen's bag kernels take floating weights only)
        dev = "CPU" if weight.device.type == "cpu" else "CUDA"
        got = weight.type() if weight.dtype.category == 1 else f"{dev}{weight.dtype.scalar_type}Type"
        raise RuntimeError("Expected tensor for argument #1 'weight' to have one of the following scalar types: Half, "
                           f"BFloat16, Float, Double; but got {got} instead (while checking arguments for embedding_bag)")
    from ._common import same_device, xp_of
    same_device("embedding_bag", weight, input, offsets, psw)
    if max_norm is not None:
        _embedding_renorm_(weight, input, max_norm, norm_type)
    if psw is not None and mode != "sum":
        raise NotImplementedError("embedding_bag: per_sample_weights was not None. per_sample_weights is only supported "
                                  f"for mode='sum' (got mode='{mode}'). Please open a feature request on GitHub.")
    if psw is not None and psw.dtype != weight.dtype:
        raise RuntimeError(f"Expected tensor for argument #1 'weight' to have the same type as tensor for argument #1 "
                           f"'per_sample_weights'; but type {weight.type()} does not equal {psw.type()} (while checking "
                           "arguments for embedding_bag)")
    V = weight.shape[0]
    if padding_idx is not None:
        if not -V <= padding_idx < V:
            raise RuntimeError(f"padding_idx must be within the number of embeddings, -{V} through {V - 1}, but got "
                               f"{padding_idx}")
        padding_idx = padding_idx % V
    xp = xp_of(weight)
    idx = input._data.reshape(-1)
    n = idx.shape[0]
    if input.ndim == 2:
        nbags = input.shape[0]
        seg = xp.arange(n) // input.shape[1]
        checks = xp.stack([((idx < 0) | (idx >= V)).any()]) if n else None
    else:
        off = offsets._data.astype(xp.int64)
        nbags = max(off.shape[0] - 1, 0) if include_last_offset else off.shape[0]
        seg = xp.searchsorted(off, xp.arange(n), side="right") - 1
        seg = xp.where(seg < 0, nbags, seg)
        parts = [((idx < 0) | (idx >= V)).any()] if n else [xp.zeros((), bool)]
        if off.shape[0]:
            parts += [off[0] != 0, off[-1] > n, (off[1:] < off[:-1]).any()]
        checks = xp.stack([p.astype(xp.int64) for p in parts])
    # one read of the answers (on a GPU each read waits for the queued kernels)
    if checks is not None:
        flags = checks.tolist()
        if any(flags):
            # PyTorch's CPU kernel has a fast path (sum/mean without a padding_idx) and a general one,
            # and they word a bad index differently
            general = mode == "max" or padding_idx is not None
            _embedding_bag_error(flags, idx, offsets, V, n, index_dt, general)
    if padding_idx is not None:
        seg = xp.where(idx == padding_idx, nbags, seg)
    return _emb.embedding_bag_op(weight, idx, seg, nbags, modes[mode], _flat_weights(psw),
                                 bool(scale_grad_by_freq), bool(sparse))


def _flat_weights(psw):
    """per_sample_weights as one row: reshaped (a ViewBackward0 in the graph) only for a 2-D input,
    as PyTorch does; a 1-D one goes into the node itself (its own grad_fn, or AccumulateGrad)."""
    if psw is None or psw.ndim == 1:
        return psw
    return psw.reshape(-1)


def _embedding_bag_error(flags, idx, offsets, V, n, index_dt, general=False):
    if len(flags) > 1:
        off = [int(v) for v in offsets.tolist()]   # (bool offsets print as numbers)
        if flags[1]:
            # PyTorch's message ends with a line naming the (common) index type
            kind = "IntTensor" if index_dt == _tg.int32 else "LongTensor"
            raise RuntimeError("offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from "
                               f"position 0. However, got {off[0]}\n[ torch.{kind}{{}} ]")
        if flags[2]:
            raise RuntimeError(f"offsets[-1] can not be greater than input's length {n} but got offsets[-1] of "
                               f"{off[-1]}")
        if flags[3]:
            i = next(i for i in range(1, len(off)) if off[i] < off[i - 1])
            raise RuntimeError(f"offsets has to be non-decreasing, but got offsets[{i}] = {off[i]} after "
                               f"offsets[{i - 1}] = {off[i - 1]}")
    vals = idx.tolist()
    i = next(i for i, v in enumerate(vals) if not 0 <= v < V)
    if general:
        raise RuntimeError(f"embedding_bag: Expected idx >= 0 && idx < num_embeddings but found idx to be {vals[i]}")
    raise RuntimeError(f"Index {i} of input takes value {vals[i]} which is not in the valid range [0, {V})")
