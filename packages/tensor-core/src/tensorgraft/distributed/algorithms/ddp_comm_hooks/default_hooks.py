"""PyTorch's default DDP communication hooks: ``ddp.register_comm_hook(state, hook)`` with
``state`` a process group (or None for the default group). Each hook gets a bucket of flattened
gradients and returns a ``Future`` holding the bucket averaged over the group's ranks.

- ``allreduce_hook``: what DDP does without a hook;
- ``fp16_compress_hook`` / ``bf16_compress_hook``: send the bucket in half precision (half the
  bytes) and write the averaged result back in the gradients' dtype;
- ``fp16_compress_wrapper`` / ``bf16_compress_wrapper``: the same compression around another hook.
"""
from __future__ import annotations

from ... import all_reduce, get_world_size
from ...process_group import GroupMember

__all__ = ["allreduce_hook", "fp16_compress_hook", "bf16_compress_hook", "fp16_compress_wrapper",
           "bf16_compress_wrapper"]


def _group(process_group):
    return process_group if process_group is not None else GroupMember.WORLD


def _allreduce_fut(process_group, tensor):
    """Average ``tensor`` over the group, asynchronously: a future of the averaged tensor."""
    group = _group(process_group)
    tensor.div_(get_world_size(group))
    return all_reduce(tensor, group=group, async_op=True).get_future().then(lambda fut: fut.value()[0])


def allreduce_hook(process_group, bucket):
    """Average the bucket's gradients over the group (DDP's built-in behaviour)."""
    return _allreduce_fut(process_group, bucket.buffer())


def _compress_hook(dtype, process_group, bucket):
    buffer = bucket.buffer()
    compressed = buffer.to(dtype).div_(get_world_size(_group(process_group)))
    fut = all_reduce(compressed, group=_group(process_group), async_op=True).get_future()

    def decompress(fut):
        buffer.copy_(fut.value()[0])  # back in the gradients' dtype, in place
        return buffer
    return fut.then(decompress)


def fp16_compress_hook(process_group, bucket):
    """Average the bucket in float16: half the bytes on the wire, float16's rounding."""
    from tensorgraft import float16
    return _compress_hook(float16, process_group, bucket)


def bf16_compress_hook(process_group, bucket):
    """Average the bucket in bfloat16 (float32's range, 8 bits of mantissa)."""
    from tensorgraft import bfloat16
    return _compress_hook(bfloat16, process_group, bucket)


def _compress_wrapper(dtype, hook):
    def wrapped(hook_state, bucket):
        buffer = bucket.buffer()
        bucket.set_buffer(buffer.to(dtype))
        fut = hook(hook_state, bucket)

        def decompress(fut):
            buffer.copy_(fut.value())
            bucket.set_buffer(buffer)
            return buffer
        return fut.then(decompress)
    return wrapped


def fp16_compress_wrapper(hook):
    """``hook`` run on the bucket cast to float16, its result cast back."""
    from tensorgraft import float16
    return _compress_wrapper(float16, hook)


def bf16_compress_wrapper(hook):
    """``hook`` run on the bucket cast to bfloat16, its result cast back."""
    from tensorgraft import bfloat16
    return _compress_wrapper(bfloat16, hook)
