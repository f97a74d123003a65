"""How ``multiprocessing`` pickles tensors for another process (``Queue.put``, the arguments of a
``spawn``/``forkserver`` Process, ``torch.multiprocessing.spawn``), as in PyTorch: the tensor is moved
into shared memory first (``share_memory_()``), and what travels is a handle to that memory, so the
receiver's tensor and the sender's are the same memory. Gradients are not sent (PyTorch's neither);
``requires_grad`` and the class (``nn.Parameter``) are.

Only ``multiprocessing.reduction.ForkingPickler`` uses these reducers; ``pickle``, ``copy`` and
``torch.save`` are unaffected."""
from __future__ import annotations

from multiprocessing.reduction import ForkingPickler

from ..memory_mapped_files import array_from_shared_file, shared_file_handle
from .shared_memory import array_from_block, handle_of, share_tensor_

_registered = set()


def rebuild_shared_tensor(cls, block, dtype, shape, strides, offset, requires_grad):
    from tensorgraft.device import device
    from tensorgraft.tensor import Tensor, wrap
    t = wrap(array_from_block(block, dtype, shape, strides, offset), device("cpu"))
    if cls is not Tensor:
        t = t.as_subclass(cls)  # nn.Parameter stays a Parameter
    if requires_grad:
        t.requires_grad_(True)
    return t


def reduce_tensor(t):
    from tensorgraft.tensor import Tensor
    if t._device.type != "cpu":
        raise RuntimeError(f"tensorgraft.multiprocessing shares CPU tensors only; this one is on {t.device}: "
                           "move it with .cpu() before sending it to another process")
    if t.requires_grad and not t.is_leaf:
        raise RuntimeError("Cowardly refusing to serialize non-leaf tensor which requires_grad, since autograd "
                           "does not support crossing process boundaries.  If you just want to transfer the data, "
                           "call detach() on the tensor before serializing (e.g., putting it on the queue).")
    cls = type(t)
    file_handle = shared_file_handle(t._data)
    if file_handle is not None:  # from_file(shared=True): the receiver maps the same file
        return rebuild_file_mapped_tensor, (cls, file_handle, t.requires_grad)
    share_tensor_(t)
    block, dtype, shape, strides, offset = handle_of(t._data)
    return rebuild_shared_tensor, (cls if cls is not Tensor else Tensor, block, dtype, shape, strides, offset,
                                   t.requires_grad)


def rebuild_file_mapped_tensor(cls, file_handle, requires_grad):
    from tensorgraft.device import device
    from tensorgraft.tensor import Tensor, wrap
    t = wrap(array_from_shared_file(*file_handle), device("cpu"))
    if cls is not Tensor:
        t = t.as_subclass(cls)
    if requires_grad:
        t.requires_grad_(True)
    return t


def register(cls):
    """Send ``cls`` (Tensor or a subclass) through shared memory; ForkingPickler looks reducers up
    by exact type, so every subclass is registered on its own (``Tensor.__init_subclass__``)."""
    if cls not in _registered:
        ForkingPickler.register(cls, reduce_tensor)
        _registered.add(cls)


def init_reductions():
    from tensorgraft.tensor import Tensor
    pending = [Tensor]
    while pending:
        cls = pending.pop()
        register(cls)
        pending.extend(cls.__subclasses__())
