"""Differentiable collectives (``torch.distributed.nn.functional``): each returns new tensors and
records an autograd node whose backward is the collective's adjoint, run across the same ranks.
So a loss built from ``all_gather``'s output (a contrastive loss over every rank's embeddings)
sends each rank the gradient of its own input. Every rank must call backward, as in PyTorch.

The adjoints, as PyTorch defines them:

- ``broadcast`` <-> ``reduce`` (SUM to the source; the other ranks' inputs get zeros),
- ``gather`` <-> ``scatter``,
- ``all_gather`` -> ``reduce_scatter`` of the output gradients (SUM): each input gets the sum over
  ranks of the gradient of its copy,
- ``reduce_scatter`` -> ``all_gather``, ``all_to_all`` -> ``all_to_all`` back,
- ``all_reduce`` -> ``all_reduce`` of the gradients with the same op.

The nodes carry PyTorch's names (``_AllGatherBackward``, ``_Reduce_ScatterBackward`` ...). Two
differences: PyTorch 2.13 warns that these functions are deprecated in favour of its
``_functional_collectives`` (which tensorgraft does not have), and its gloo ``reduce`` leaves
partial sums in the non-destination ranks' outputs where tensorgraft leaves their inputs (PyTorch
documents those values as unspecified).
"""
from __future__ import annotations

import tensorgraft as _tg
from tensorgraft.autograd import Function

from .. import collectives as _c
from ..process_group import ReduceOp, get_rank, get_world_size

__all__ = ["broadcast", "gather", "scatter", "reduce", "reduce_scatter", "all_gather", "all_to_all",
           "all_to_all_single", "all_reduce"]


class _Broadcast(Function):
    @staticmethod
    def forward(ctx, src, group, tensor):
        ctx.src, ctx.group = src, group
        out = tensor.clone()
        _c.broadcast(out, src, group=group)
        return out

    @staticmethod
    def backward(ctx, grad):
        g = _Reduce.apply(ctx.src, ReduceOp.SUM, ctx.group, grad)
        if get_rank(ctx.group) != _rank_in(ctx.group, ctx.src):
            g = _tg.zeros_like(g)
        return None, None, g


class _Reduce(Function):
    @staticmethod
    def forward(ctx, dst, op, group, tensor):
        ctx.dst, ctx.group = dst, group
        out = tensor.clone()
        _c.reduce(out, dst, op=op, group=group)
        return out

    @staticmethod
    def backward(ctx, grad):
        return None, None, None, _Broadcast.apply(ctx.dst, ctx.group, grad)


class _Gather(Function):
    @staticmethod
    def forward(ctx, dst, group, tensor):
        ctx.dst, ctx.group = dst, group
        outs = [_tg.zeros_like(tensor) for _ in range(get_world_size(group))]
        mine = get_rank(group) == _rank_in(group, dst)
        _c.gather(tensor.contiguous(), outs if mine else None, dst, group=group)
        return tuple(outs)

    @staticmethod
    def backward(ctx, *grads):
        return None, None, _Scatter.apply(ctx.dst, ctx.group, *grads)


class _Scatter(Function):
    @staticmethod
    def forward(ctx, src, group, *tensors):
        ctx.src, ctx.group = src, group
        if any(t.shape != tensors[0].shape for t in tensors):
            raise ValueError(f"scatter: every tensor must have one shape, got {[tuple(t.shape) for t in tensors]}")
        out = _tg.zeros_like(tensors[0])
        mine = get_rank(group) == _rank_in(group, src)
        _c.scatter(out, [t.contiguous() for t in tensors] if mine else None, src, group=group)
        return out

    @staticmethod
    def backward(ctx, grad):
        return (None, None) + _Gather.apply(ctx.src, ctx.group, grad)


class _AllGather(Function):
    @staticmethod
    def forward(ctx, group, tensor):
        ctx.group = group
        outs = [_tg.empty_like(tensor) for _ in range(get_world_size(group))]
        _c.all_gather(outs, tensor.contiguous(), group=group)
        return tuple(outs)

    @staticmethod
    def backward(ctx, *grads):
        mine = grads[get_rank(ctx.group)]
        return None, _Reduce_Scatter.apply(ReduceOp.SUM, ctx.group, _tg.empty_like(mine), *grads)


class _Reduce_Scatter(Function):
    @staticmethod
    def forward(ctx, op, group, output, *inputs):
        ctx.group = group
        out = output.contiguous()
        _c.reduce_scatter(out, [t.contiguous() for t in inputs], op=op, group=group)
        return out

    @staticmethod
    def backward(ctx, grad):
        return (None, None, None) + _AllGather.apply(ctx.group, grad)


class _AlltoAll(Function):
    @staticmethod
    def forward(ctx, group, outputs, *inputs):
        ctx.group = group
        ctx.input_shapes = [t.shape for t in inputs]
        outs = list(outputs)
        _c.all_to_all(outs, [t.contiguous() for t in inputs], group=group)
        return tuple(outs)

    @staticmethod
    def backward(ctx, *grads):
        back = [_tg.empty(shape, dtype=grads[0].dtype, device=grads[0].device) for shape in ctx.input_shapes]
        return (None, None) + _AlltoAll.apply(ctx.group, back, *grads)


class _AlltoAllSingle(Function):
    @staticmethod
    def forward(ctx, group, output, output_split_sizes, input_split_sizes, input):
        ctx.group, ctx.input_shape = group, input.shape
        ctx.splits = (input_split_sizes, output_split_sizes)  # backward sends back what came in
        _c.all_to_all_single(output, input.contiguous(), output_split_sizes, input_split_sizes, group=group)
        return output

    @staticmethod
    def backward(ctx, grad):
        back = _tg.empty(ctx.input_shape, dtype=grad.dtype, device=grad.device)
        out_splits, in_splits = ctx.splits
        return None, None, None, None, _AlltoAllSingle.apply(ctx.group, back, out_splits, in_splits,
                                                             grad.contiguous())


class _AllReduce(Function):
    @staticmethod
    def forward(ctx, op, group, tensor):
        ctx.op, ctx.group = op, group
        out = tensor.clone(memory_format=_tg.contiguous_format)
        _c.all_reduce(out, op=op, group=group)
        return out

    @staticmethod
    def backward(ctx, grad):
        return None, None, _AllReduce.apply(ctx.op, ctx.group, grad)


def _rank_in(group, global_rank: int) -> int:
    from ..process_group import group_rank_of, resolve_group
    return group_rank_of(resolve_group(group), global_rank, None, "src")


def broadcast(tensor, src, group=None):
    """``tensor`` of rank ``src`` on every rank; its gradient sums every rank's output gradient."""
    return _Broadcast.apply(src, group, tensor)


def gather(tensor, dst=0, group=None):
    """Every rank's ``tensor`` as a tuple on rank ``dst`` (zeros elsewhere)."""
    return _Gather.apply(dst, group, tensor)


def scatter(tensors, src=0, group=None):
    """Rank ``i`` gets ``tensors[i]`` of rank ``src``."""
    return _Scatter.apply(src, group, *tensors)


def reduce(tensor, dst, op=ReduceOp.SUM, group=None):
    """The reduction of every rank's ``tensor`` on rank ``dst``."""
    return _Reduce.apply(dst, op, group, tensor)


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None):
    """Rank ``i`` gets the reduction of every rank's ``input_list[i]`` (in ``output``)."""
    return _Reduce_Scatter.apply(op, group, output, *input_list)


def all_gather(tensor, group=None):
    """Every rank's ``tensor``, as a tuple in rank order, on every rank."""
    return _AllGather.apply(group, tensor)


def all_to_all(output_tensor_list, input_tensor_list, group=None):
    """Rank ``j``'s ``output[i]`` is rank ``i``'s ``input[j]``."""
    return _AlltoAll.apply(group, output_tensor_list, *input_tensor_list)


def all_to_all_single(output, input, output_split_sizes=None, input_split_sizes=None, group=None):
    """``all_to_all`` along the first dimension of one tensor."""
    return _AlltoAllSingle.apply(group, output, output_split_sizes, input_split_sizes, input)


def all_reduce(tensor, op=ReduceOp.SUM, group=None):
    """The reduction of every rank's ``tensor``, on every rank (a new tensor)."""
    return _AllReduce.apply(op, group, tensor)
