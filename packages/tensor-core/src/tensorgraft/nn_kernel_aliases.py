"""More ATen kernels PyTorch exposes at top level, with their signatures and results: the
``native_*`` normalisations (which also return the statistics they computed), ``native_dropout``
(which also returns its mask), the legacy convolution entry points ``convolution`` and
``conv_tbc``, the single-step RNN cells (``lstm_cell``, ``gru_cell``, ``rnn_tanh_cell``,
``rnn_relu_cell``), ``norm_except_dim``, ``embedding_renorm_`` and the per-rank grid samplers.

Like ``nn_function_aliases`` (whose lazy lookup in ``tensorgraft.__getattr__`` finds these too),
each calls tensorgraft-nn's ``nn.functional`` or plain tensor ops, so values and gradients are
theirs. Graph nodes are those of what they call: ``conv_tbc`` records ``PermuteBackward0`` over a
``ConvolutionBackward0`` where PyTorch records one ``ConvTbcBackward0``; ``native_dropout`` records
``MulBackward0`` (PyTorch: ``NativeDropoutBackward0``); the statistics the ``native_*`` norms return
are computed without a graph (PyTorch's group-norm statistics carry one).
"""
from __future__ import annotations

import math

from .nn_function_aliases import functional
from .ops._args import check_tensor_args


def _no_grad():
    from .grad_mode import no_grad
    return no_grad()


def _row_statistics(input, row_length, eps, clamp_var):
    """float32 CPU input: the mean and rstd of each run of ``row_length`` elements as PyTorch's kernels
    compute them (ATen's RowwiseMoments, replayed by tensorgraft-nn's rowwise_moments) -- the
    statistics behind layer_norm/group_norm's outputs, to the bit; None for other inputs. Group norm
    takes rstd in double precision from max(var, 0) (``clamp_var``), layer norm in float32."""
    import numpy as np
    x = input._data
    if input.device.type != "cpu" or x.dtype != np.float32 or x.size == 0:
        return None
    from .nn.functional_ops.rowwise_moments import rowwise_moments
    mean, var = rowwise_moments(np.ascontiguousarray(x).reshape(-1, row_length))
    if clamp_var:
        rstd = (1.0 / np.sqrt(np.maximum(var, np.float32(0)).astype(np.float64) + eps)).astype(np.float32)
    else:
        rstd = np.float32(1) / np.sqrt(var + np.float32(eps))
    return mean, rstd


def _wrapped(array, shape, like):
    from .tensor import wrap
    return wrap(array.reshape(shape), like._device)


def _kept_statistics(input, dims, eps):
    """Mean and 1/sqrt(biased variance + eps) over ``dims``, kept as size-1 dims, without a graph."""
    with _no_grad():
        if input.numel() == 0:
            # empty rows (HxW == 0): PyTorch's kernels leave the mean 0 and the rstd NaN, with no warning
            kept = [1 if d in dims else size for d, size in enumerate(input.shape)]
            return input.new_zeros(kept), input.new_full(kept, float("nan"))
        mean = input.mean(dims, keepdim=True)
        var = input.var(dims, correction=0, keepdim=True)
        return mean, (var + eps).rsqrt()


# --------------------------------------------------------------------------- normalisation kernels
# their tensor arguments as (name, position, may be None)
_INPUT = ("input", 1, False)
_LAYER_NORM_ARGS = (_INPUT, ("weight", 3, True), ("bias", 4, True))
_BATCH_NORM_ARGS = (_INPUT, ("weight", 2, True), ("bias", 3, True), ("running_mean", 4, True),
                    ("running_var", 5, True))
_GROUP_NORM_ARGS = (_INPUT, ("weight", 2, True), ("bias", 3, True))


def native_layer_norm(input, normalized_shape, weight, bias, eps):
    """``(layer_norm(input), mean, rstd)``; the statistics have ``input``'s leading dims and a 1 for
    each normalised one."""
    check_tensor_args("native_layer_norm", _LAYER_NORM_ARGS, input, weight, bias)
    out = functional("native_layer_norm").layer_norm(input, list(normalized_shape), weight, bias, eps)
    dims = tuple(range(input.dim() - len(normalized_shape), input.dim()))
    kept = tuple(input.shape[:input.dim() - len(normalized_shape)]) + (1,) * len(normalized_shape)
    exact = _row_statistics(input, math.prod(input.shape[d] for d in dims), eps, clamp_var=False)
    if exact is not None:
        return out, _wrapped(exact[0], kept, input), _wrapped(exact[1], kept, input)
    mean, rstd = _kept_statistics(input, dims, eps)
    return out, mean, rstd


def native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps):
    """``(batch_norm(input), save_mean, save_invstd)``: the batch's statistics per channel when
    training, empty tensors otherwise (PyTorch's kernel saves nothing then)."""
    check_tensor_args("native_batch_norm", _BATCH_NORM_ARGS, input, weight, bias, running_mean, running_var)
    if not training and (running_mean is None or running_var is None):
        raise RuntimeError("native_batch_norm: running_mean and running_var must be defined in evaluation mode")
    out = functional("native_batch_norm").batch_norm(input, running_mean, running_var, weight, bias, training,
                                                      momentum, eps)
    if not training:
        empty = input.new_empty((0,))
        return out, empty, empty.clone()
    dims = (0,) + tuple(range(2, input.dim()))
    mean, invstd = _kept_statistics(input, dims, eps)
    return out, mean.reshape(-1), invstd.reshape(-1)


def native_group_norm(input, weight, bias, N, C, HxW, group, eps):
    """``(group_norm(input), mean, rstd)``, the statistics of shape ``(N, group)``."""
    check_tensor_args("native_group_norm", _GROUP_NORM_ARGS, input, weight, bias)
    out = functional("native_group_norm").group_norm(input, group, weight, bias, eps)
    exact = _row_statistics(input, input.numel() // (N * group) if N * group else 1, eps, clamp_var=True) \
        if input.is_contiguous() else None
    if exact is not None:
        return out, _wrapped(exact[0], (N, group), input), _wrapped(exact[1], (N, group), input)
    # the group's size spelled out: with an empty batch a -1 would be ambiguous
    grouped = input.reshape(N, group, (C // group) * HxW)
    mean, rstd = _kept_statistics(grouped, (2,), eps)
    return out, mean.reshape(N, group), rstd.reshape(N, group)


def native_dropout(input, p, train):
    """``(output, mask)``: in training (``train`` True or None) the mask draws ``bernoulli(1 - p)``
    as PyTorch's kernel (the same numbers as ``F.dropout``), the output is ``input * mask / (1 - p)``;
    otherwise a copy of ``input`` and an all-True mask."""
    if train is None or train:
        keep = 1.0 - p
        with _no_grad():
            mask = input.new_empty(input.shape).bernoulli_(keep).bool()
        scale = 0.0 if keep == 0 else 1.0 / keep
        return input * mask * scale, mask
    from .dtypes import bool as bool_
    return input.clone(), input.new_ones(input.shape, dtype=bool_)


def norm_except_dim(v, pow=2, dim=0):
    """The ``pow``-norm over every dim but ``dim`` (weight normalisation's), kept as size-1 dims;
    ``dim=-1`` is the norm of the whole tensor."""
    if dim == -1:
        return v.norm(pow)
    dims = [d for d in range(v.dim()) if d != dim]
    return v.norm(pow, dims, keepdim=True)


def embedding_renorm_(input, indices, max_norm, norm_type):
    """Rescale in place the rows of ``input`` that ``indices`` names to norm <= ``max_norm``."""
    functional("embedding_renorm_")  # (without tensorgraft-nn: the error naming it)
    from .nn.functional_ops.embedding_api import _embedding_renorm_  # F.embedding(max_norm=...)'s own
    with _no_grad():
        _embedding_renorm_(input, indices, max_norm, norm_type)
    return input


# --------------------------------------------------------------------------- convolutions
def convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups):
    """ATen's generic convolution: ``conv{1,2,3}d`` or ``conv_transpose{1,2,3}d`` by the input's rank."""
    F = functional("convolution")
    rank = input.dim() - 2
    if rank not in (1, 2, 3):
        raise RuntimeError(f"Expected 3D (unbatched) or 4D (batched) input to conv{max(rank, 1)}d, but got input of "
                           f"size: {list(input.shape)}")
    if transposed:
        conv = getattr(F, f"conv_transpose{rank}d")
        return conv(input, weight, bias, stride, padding, output_padding, groups, dilation)
    return getattr(F, f"conv{rank}d")(input, weight, bias, stride, padding, dilation, groups)


def conv_tbc(input, weight, bias, pad=0):
    """A 1-d convolution of a (time, batch, channel) input with a (kernel, in, out) weight."""
    if input.dim() != 3:
        raise RuntimeError("Input must have 3 dims: time, batch, in_channel")
    if weight.dim() != 3:
        raise RuntimeError("Weight tensor must have 3 dims: kernel_width, in_channels, out_channels.")
    if bias.dim() != 1:
        raise RuntimeError("Bias must be 1-D")
    if input.shape[2] != weight.shape[1]:
        raise RuntimeError("Input dim 2 (input channels) is not == dim 1 in the weight tensor")
    if weight.shape[2] != bias.shape[0]:
        raise RuntimeError("Bias size must equal dim 2 in the weight tensor (output channels).")
    out = functional("conv_tbc").conv1d(input.permute(1, 2, 0), weight.permute(2, 1, 0), bias, 1, pad)
    return out.permute(2, 0, 1)


# --------------------------------------------------------------------------- RNN cells
def _gates(input, hx, w_ih, w_hh, b_ih, b_hh, name):
    F = functional(name)
    return F.linear(input, w_ih, b_ih) + F.linear(hx, w_hh, b_hh)


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step: ``(h', c')`` from ``hx = (h, c)``, PyTorch's gate order (input, forget, cell, output)."""
    h, c = hx
    i, f, g, o = _gates(input, h, w_ih, w_hh, b_ih, b_hh, "lstm_cell").chunk(4, 1)
    cy = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return o.sigmoid() * cy.tanh(), cy


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One GRU step, PyTorch's gate order (reset, update, new)."""
    F = functional("gru_cell")
    ir, iz, in_ = F.linear(input, w_ih, b_ih).chunk(3, 1)
    hr, hz, hn = F.linear(hx, w_hh, b_hh).chunk(3, 1)
    reset = (ir + hr).sigmoid()
    update = (iz + hz).sigmoid()
    new = (in_ + hn * reset).tanh()
    return (hx - new) * update + new


def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    return _gates(input, hx, w_ih, w_hh, b_ih, b_hh, "rnn_tanh_cell").tanh()


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    return _gates(input, hx, w_ih, w_hh, b_ih, b_hh, "rnn_relu_cell").relu()


# --------------------------------------------------------------------------- grid samplers
_GRID_SAMPLER_ARGS = (_INPUT, ("grid", 2, False))


def _grid_sampler_nd(rank, input, grid, interpolation_mode, padding_mode, align_corners):
    if input.dim() != rank + 2 or grid.dim() != rank + 2:
        raise RuntimeError(f"grid_sampler(): expected {rank + 2}D input and grid with same number of dimensions, but "
                           f"got input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}")
    if rank == 3 and interpolation_mode == 2:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    from .nn_function_aliases import grid_sampler
    return grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners)


def grid_sampler_2d(input, grid, interpolation_mode, padding_mode, align_corners):
    check_tensor_args("grid_sampler_2d", _GRID_SAMPLER_ARGS, input, grid)
    return _grid_sampler_nd(2, input, grid, interpolation_mode, padding_mode, align_corners)


def grid_sampler_3d(input, grid, interpolation_mode, padding_mode, align_corners):
    check_tensor_args("grid_sampler_3d", _GRID_SAMPLER_ARGS, input, grid)
    return _grid_sampler_nd(3, input, grid, interpolation_mode, padding_mode, align_corners)


ALIASES = frozenset(
    name for name, value in list(globals().items())
    if callable(value) and not name.startswith("_") and getattr(value, "__module__", None) == __name__
    and name not in ("functional",))
# these are C++-bound functions in PyTorch: its argument parser takes axis=/keepdims= for dim=/keepdim=
from .ops._frontend.axis_aliases import with_axis_alias as _with_axis_alias  # noqa: E402

for _name in ALIASES:
    globals()[_name] = _with_axis_alias(globals()[_name], _name)
del _name
