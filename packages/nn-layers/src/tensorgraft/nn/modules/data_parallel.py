"""``nn.DataParallel``: split a batch across GPUs, run the module on each part, join the results.

Without a GPU it simply calls the wrapped module (as PyTorch does), which is why tutorials wrap
unconditionally. With GPUs, each part of the batch runs through the module with its parameters
copied to that part's GPU by a differentiable ``to``, so the gradients of every copy add up in the
original parameters, as PyTorch's replicas do. The copy on ``device_ids[0]`` is the module itself:
in-place updates made there (BatchNorm's running statistics) are kept, and those of the other
copies are dropped — PyTorch's documented behaviour. The parts run one after another rather than
in threads; the values are the same.
"""
from __future__ import annotations

import itertools
import warnings

import tensorgraft as _tg
from tensorgraft.tensor import Tensor

from .module import Module

__all__ = ["DataParallel"]


def _cuda_devices():
    """How many CUDA devices there are (0 without tensorgraft-cuda or a GPU)."""
    from tensorgraft.device import backends
    backend = backends().get("cuda")
    return backend.device_count() if backend is not None and backend.is_available() else 0


def _index(dev):
    if isinstance(dev, int):
        return dev
    dev = _tg.device(dev)
    return dev.index if dev.index is not None else 0


def _scatter(obj, devices, dim):
    """One piece of ``obj`` per device (tensors chunked along ``dim``; fewer pieces than devices
    when the batch is smaller); containers are split element-wise, anything else is repeated."""
    if isinstance(obj, Tensor):
        return [chunk.to(_tg.device("cuda", d)) for chunk, d in zip(obj.chunk(len(devices), dim), devices)]
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):   # a namedtuple keeps its type
        return [type(obj)(*parts) for parts in zip(*(_scatter(v, devices, dim) for v in obj))]
    if isinstance(obj, (tuple, list)) and obj:
        return [type(obj)(parts) for parts in zip(*(_scatter(v, devices, dim) for v in obj))]
    if isinstance(obj, dict) and obj:
        keys = list(obj)
        return [type(obj)(zip(keys, parts)) for parts in zip(*(_scatter(obj[k], devices, dim) for k in keys))]
    return [obj for _ in devices]


def _scatter_args(inputs, kwargs, devices, dim):
    ins = _scatter(inputs, devices, dim) if inputs else []
    kws = _scatter(kwargs, devices, dim) if kwargs else []
    n = max(len(ins), len(kws))
    ins = list(ins) + [() for _ in range(n - len(ins))]
    kws = list(kws) + [{} for _ in range(n - len(kws))]
    return ins, kws


def _gather(outputs, target, dim):
    first = outputs[0]
    if isinstance(first, Tensor):
        if all(o.dim() == 0 for o in outputs) and dim == 0:
            warnings.warn("Was asked to gather along dimension 0, but all input tensors were scalars; will instead "
                          "unsqueeze and return a vector.", stacklevel=4)
            outputs = [o.unsqueeze(0) for o in outputs]
        return _tg.cat([o.to(target) for o in outputs], dim)
    if first is None:
        return None
    if isinstance(first, dict):
        return type(first)((k, _gather([o[k] for o in outputs], target, dim)) for k in first)
    if isinstance(first, tuple) and hasattr(first, "_fields"):
        return type(first)(*(_gather(parts, target, dim) for parts in zip(*outputs)))
    if isinstance(first, (tuple, list)):
        return type(first)(_gather(parts, target, dim) for parts in zip(*outputs))
    return outputs


class DataParallel(Module):
    """Run ``module`` on ``device_ids`` (default: every GPU), each on a slice of the batch along
    ``dim``, and gather the outputs on ``output_device`` (default: ``device_ids[0]``)."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        self.module = module
        count = _cuda_devices()
        if count == 0:
            self.device_ids = []
            return
        if device_ids is None:
            device_ids = list(range(count))
        if output_device is None:
            output_device = device_ids[0]
        self.dim = dim
        self.device_ids = [_index(d) for d in device_ids]
        self.output_device = _index(output_device)
        self.src_device_obj = _tg.device("cuda", self.device_ids[0])
        if len(self.device_ids) == 1:
            self.module.to(self.src_device_obj)

    def forward(self, *inputs, **kwargs):
        if not self.device_ids:
            return self.module(*inputs, **kwargs)
        for t in itertools.chain(self.module.parameters(), self.module.buffers()):
            if t.device != self.src_device_obj:
                raise RuntimeError(f"module must have its parameters and buffers on device {self.src_device_obj} "
                                   f"(device_ids[0]) but found one of them on device: {t.device}")
        ins, kws = _scatter_args(inputs, kwargs, self.device_ids, self.dim)
        if not ins:
            ins, kws = [()], [{}]
        if len(ins) == 1:
            return self.module(*ins[0], **kws[0])
        from ..utils.stateless import _functional_call
        outputs = []
        for index, (args, kw) in zip(self.device_ids, zip(ins, kws)):
            dev = _tg.device("cuda", index)
            tensors = {name: t.to(dev) for name, t in itertools.chain(
                self.module.named_parameters(remove_duplicate=False), self.module.named_buffers(remove_duplicate=False))}
            outputs.append(_functional_call(self.module, tensors, tuple(args), kw))
        return _gather(outputs, _tg.device("cuda", self.output_device), self.dim)
