"""Flatten parameters into one vector and back."""
from __future__ import annotations

import tensorgraft as _tg
from tensorgraft.tensor import Tensor


def _check_device(param, old):
    dev = param.device
    if old is not None and dev != old:
        raise TypeError("Found two parameters on different devices, this is currently not supported.")
    return dev


def parameters_to_vector(parameters):
    import tensorgraft as tg
    dev = None
    vec = []
    for p in parameters:
        dev = _check_device(p, dev)
        # a view, as PyTorch flattens them: a non-contiguous tensor is refused with view's error
        vec.append(p.view(-1))
    return tg.cat(vec) if hasattr(tg, "cat") else _cat(vec)


def _cat(vec):
    from tensorgraft.tensor import wrap
    import numpy as np
    return wrap(np.concatenate([v.detach()._data for v in vec]), vec[0]._device)


def vector_to_parameters(vec, parameters):
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {_tg.typename(vec)}")
    dev = None
    pointer = 0
    for p in parameters:
        dev = _check_device(p, dev)
        n = p.numel()
        p.data = vec[pointer:pointer + n].view(*p.shape).data
        pointer += n
