"""``nn.SyncBatchNorm``: batch norm whose training statistics cover the whole batch spread over the
processes of a ``tensorgraft.distributed`` process group.

In training, with a process group of more than one process initialised, each rank's per-channel
mean, sum of squared deviations and count are all-gathered and combined (Chan's parallel
formula: stable, and right when the ranks hold different batch sizes); the backward pass
all-reduces the two per-channel gradient sums the input gradient needs. Every rank then gets the
outputs and input gradients that single-process batch norm gives on the concatenated batch; the
weight and bias gradients stay local (DistributedDataParallel averages them). Otherwise (eval, no
process group, a world of one) it is plain batch norm.

Unlike PyTorch, CPU input is accepted: tensorgraft's process group is a CPU backend (PyTorch's
SyncBatchNorm requires CUDA, XPU or HPU tensors).
"""
from __future__ import annotations

import tensorgraft as _tg
from tensorgraft.autograd.function import Function, FunctionMeta, once_differentiable

from .. import functional as F
from .normalization import _BatchNorm

__all__ = ["SyncBatchNorm"]

_LOW_PRECISION = frozenset({"torch.float16", "torch.bfloat16"})


def _dist():
    """``tensorgraft.distributed`` when a default process group is up, else None."""
    try:
        import tensorgraft.distributed as dist
        from tensorgraft.distributed import is_initialized
    except ImportError:
        return None
    return dist if is_initialized() else None


def _reduce_dims(x):
    return [0] + list(range(2, x.dim()))


def _channel_shape(x):
    return (1, x.shape[1]) + (1,) * (x.dim() - 2)


def _forward(ctx, input, weight, bias, running_mean, running_var, eps, momentum, process_group, world_size):
    dist = _dist()
    x = input.contiguous()
    C = x.shape[1]
    compute = _tg.float32 if str(x.dtype) in _LOW_PRECISION else x.dtype
    xc = x.to(compute)
    dims, shape = _reduce_dims(x), _channel_shape(x)
    n = x.numel() // C
    if n > 0:
        mean = xc.mean(dims)
        dev = xc - mean.view(shape)
        m2 = (dev * dev).sum(dims)
    else:  # still takes part in the collective, with a count of zero
        mean = m2 = _tg.zeros(C, dtype=compute, device=x.device)
    combined = _tg.cat([mean, m2, _tg.full((1,), n, dtype=compute, device=x.device)])
    gathered = [_tg.empty_like(combined) for _ in range(world_size)]
    dist.all_gather(gathered, combined, group=process_group)
    table = _tg.stack(gathered)
    means, m2s, counts = table[:, :C], table[:, C:2 * C], table[:, 2 * C:]
    total = float(counts.sum())
    mean = (means * counts).sum(0) / total
    spread = means - mean
    var = (m2s + counts * spread * spread).sum(0) / total
    if running_mean is not None:
        running_mean.mul_(1 - momentum).add_((momentum * mean).to(running_mean.dtype))
        unbiased = var * (total / max(total - 1, 1))
        running_var.mul_(1 - momentum).add_((momentum * unbiased).to(running_var.dtype))
    invstd = 1.0 / (var + eps).sqrt()
    out = (xc - mean.view(shape)) * invstd.view(shape)
    if weight is not None:
        out = out * weight.to(compute).view(shape)
    if bias is not None:
        out = out + bias.to(compute).view(shape)
    ctx.save_for_backward(x, weight, mean, invstd)
    ctx.total = total
    ctx.process_group = process_group
    return out.to(x.dtype)


@once_differentiable
def _backward(ctx, grad_output):
    x, weight, mean, invstd = ctx.saved_tensors
    need_input, need_weight, need_bias = ctx.needs_input_grad[:3]
    C = x.shape[1]
    grad_input = grad_weight = grad_bias = None
    if x.numel() == 0:
        if need_input:  # unblock the ranks whose batch was not empty
            _dist().all_reduce(_tg.zeros(2 * C, dtype=mean.dtype, device=x.device), group=ctx.process_group)
        return None, None, None, None, None, None, None, None, None
    dims, shape = _reduce_dims(x), _channel_shape(x)
    g = grad_output.contiguous().to(mean.dtype)
    xmu = x.to(mean.dtype) - mean.view(shape)
    sum_dy = g.sum(dims)
    sum_dy_xmu = (g * xmu).sum(dims)
    if need_input:
        combined = _tg.cat([sum_dy, sum_dy_xmu])
        _dist().all_reduce(combined, group=ctx.process_group)
        total_dy, total_dy_xmu = combined[:C], combined[C:]
        scale = invstd if weight is None else invstd * weight.to(mean.dtype)
        grad_input = ((g - (total_dy / ctx.total).view(shape)
                       - xmu * (invstd * invstd * total_dy_xmu / ctx.total).view(shape)) * scale.view(shape))
        grad_input = grad_input.to(grad_output.dtype)
    if weight is not None and need_weight:
        grad_weight = (sum_dy_xmu * invstd).to(weight.dtype)
    if weight is not None and need_bias:
        grad_bias = sum_dy.to(weight.dtype)
    return grad_input, grad_weight, grad_bias, None, None, None, None, None, None


# The autograd function is named as PyTorch's (torch.nn.modules._functions.SyncBatchNorm), so its
# graph node is a ``SyncBatchNormBackward``.
sync_batch_norm = FunctionMeta("SyncBatchNorm", (Function,), {
    "__module__": __name__, "__doc__": "The synchronised batch norm as an autograd function.",
    "forward": staticmethod(_forward), "backward": staticmethod(_backward)})


class SyncBatchNorm(_BatchNorm):
    """Batch norm over any input of at least two dims whose training statistics are reduced across
    the processes of ``process_group`` (default: the default process group)."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 process_group=None, device=None, dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)
        self.process_group = process_group

    def _check_input_dim(self, input):
        if input.dim() < 2:
            raise ValueError(f"expected at least 2D input (got {input.dim()}D input)")

    def _check_non_zero_input_channels(self, input):
        if input.size(1) == 0:
            raise ValueError("SyncBatchNorm number of input channels should be non-zero")

    def forward(self, input):
        self._check_input_dim(input)
        self._check_non_zero_input_channels(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:   # cumulative average over all batches seen
                factor = 1.0 / float(self.num_batches_tracked)
        use_batch_stats = self.training or (self.running_mean is None and self.running_var is None)
        keep_stats = not self.training or self.track_running_stats
        running_mean = self.running_mean if keep_stats else None
        running_var = self.running_var if keep_stats else None
        dist = _dist() if use_batch_stats and self.training else None
        world_size = 1
        if dist is not None:
            group = self.process_group if self.process_group else dist._get_default_group()
            world_size = dist.get_world_size(group)
        if world_size == 1:
            return F.batch_norm(input, running_mean, running_var, self.weight, self.bias, use_batch_stats, factor,
                                self.eps)
        return sync_batch_norm.apply(input, self.weight, self.bias, running_mean, running_var, self.eps, factor,
                                     group, world_size)

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """``module`` with every batch norm in it replaced by a ``SyncBatchNorm`` sharing its
        parameters and running statistics (the very tensors) and its train/eval mode. A batch
        norm given itself comes back as a new module; anything else is changed in place."""
        converted = module
        if isinstance(module, _BatchNorm):
            converted = SyncBatchNorm(module.num_features, module.eps, module.momentum, module.affine,
                                      module.track_running_stats, process_group, bias=module.bias is not None)
            if module.affine:
                with _tg.no_grad():
                    converted.weight = module.weight
                    converted.bias = module.bias
            converted.running_mean = module.running_mean
            converted.running_var = module.running_var
            converted.num_batches_tracked = module.num_batches_tracked
            converted.training = module.training
            if hasattr(module, "qconfig"):
                converted.qconfig = module.qconfig
        for name, child in module.named_children():
            converted.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        del module
        return converted


SyncBatchNorm.__module__ = "tensorgraft.nn.modules.batchnorm"   # where PyTorch has it (and where it was defined before)
