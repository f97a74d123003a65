"""What every collective and point-to-point call shares (``collectives.py``,
``point_to_point.py``): PyTorch's argument checks, tensors as bytes and back (host memory for CUDA
tensors, written back in place), the dtype-and-shape label each message carries, and running a
job on the group's worker, waiting or not (``async_op``)."""
from __future__ import annotations

import warnings

import numpy as np

from ..device import get_backend
from ..memory_layout import strided
from ..tensor import Tensor
from .errors import DistBackendError
from .process_group import ProcessGroup, _world, resolve_group


def check_single_tensor(param, name: str) -> None:
    if not isinstance(param, Tensor):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type torch.Tensor\n"
                        f"             but got {type(param)} instead.")
    if param.layout is not strided:
        raise RuntimeError(f"Collectives take dense tensors; `{name}` has layout {param.layout}. Convert it with "
                           ".to_dense() first.")
    if param._device.type == "meta":
        raise RuntimeError(f"`{name}` is a meta tensor: it has no data to send. Create it on 'cpu' or 'cuda'.")


def check_tensor_list(param, name: str) -> None:
    if not isinstance(param, list):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type List[torch.Tensor]\n"
                        f"             but got {type(param)} instead.")
    if not all(isinstance(p, Tensor) for p in param):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type List[torch.Tensor]\n"
                        f"             but got {type(param)} with elements of type {[type(p) for p in param]}.")
    for p in param:
        check_single_tensor(p, name)


def host_array(t: Tensor) -> np.ndarray:
    """``t``'s values as a C-contiguous NumPy array (a copy for CUDA or non-contiguous tensors)."""
    a = t._data if t._device.type == "cpu" else get_backend(t._device).to_host(t._data)
    return np.ascontiguousarray(a)


def write_back(t: Tensor, values: np.ndarray) -> None:
    """Store ``values`` (same shape) into ``t`` in place. As PyTorch's collectives, this neither
    records autograd history nor bumps the version counter."""
    values = values.reshape(t._data.shape)
    if t._device.type == "cpu":
        np.copyto(t._data, values, casting="unsafe")
    else:
        t._data[...] = get_backend(t._device).from_host(np.ascontiguousarray(values), t._device.index)


def as_bytes(a: np.ndarray):
    return a.reshape(-1).view(np.uint8)


def meta_of(a: np.ndarray) -> str:
    return f"{a.dtype}{list(a.shape)}"


def from_bytes(payload, like: np.ndarray) -> np.ndarray:
    return np.frombuffer(payload, dtype=like.dtype)


def expect(op: str, me: int, src: int, mine: str, theirs: str, payload) -> None:
    """Raise when a peer's message (``theirs``) is not what this rank's own call (``mine``) expects,
    or is the error that ended the connection."""
    if isinstance(payload, BaseException):
        raise payload
    if mine != theirs:
        raise DistBackendError(
            f"{op}: rank {me} passed a tensor of {_describe(mine)} but rank {src} passed {_describe(theirs)}; every "
            "rank must pass tensors of the same dtype and shape")


def _describe(meta: str) -> str:
    dtype, _, shape = meta.partition("[")
    return f"dtype {dtype} and shape ({shape.rstrip(']')})"


def _run(pg: ProcessGroup, job, result, async_op: bool):
    if not async_op and pg.run_now(job):
        return None
    work = pg.submit(job, result)
    if async_op:
        return work
    work.wait()
    return None


def _member(group, op_name: str):
    pg = resolve_group(group)
    if pg is None:
        warnings.warn(f"Running {op_name} on global rank {_world.default_pg.rank()} which does not belong to the given "
                      "group.", stacklevel=3)
    return pg
