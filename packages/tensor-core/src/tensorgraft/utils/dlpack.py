"""``torch.utils.dlpack``: exchanging tensors with other libraries (PyTorch, NumPy, CuPy, JAX...)
through DLPack, without copying: ``from_dlpack`` takes any object with ``__dlpack__`` or a DLPack
capsule, ``to_dlpack`` makes a capsule of a tensor's memory."""
from __future__ import annotations

import enum
from tensorgraft.argument_errors import not_a_tensor

from ..ops.conversion import from_dlpack
from ..tensor import Tensor

__all__ = ["DLDeviceType", "from_dlpack", "to_dlpack"]


class DLDeviceType(enum.IntEnum):
    """DLPack's device codes (``dlpack.h``)."""
    kDLCPU = 1
    kDLCUDA = 2
    kDLCUDAHost = 3
    kDLOpenCL = 4
    kDLVulkan = 7
    kDLMetal = 8
    kDLVPI = 9
    kDLROCM = 10
    kDLROCMHost = 11
    kDLExtDev = 12
    kDLCUDAManaged = 13
    kDLOneAPI = 14
    kDLWebGPU = 15
    kDLHexagon = 16
    kDLMAIA = 17


def to_dlpack(tensor):
    """A DLPack capsule sharing ``tensor``'s memory; it can be consumed once (by ``from_dlpack``)."""
    if not isinstance(tensor, Tensor):
        raise not_a_tensor("_to_dlpack", "data", 1, tensor)  # (PyTorch's words name its C function)
    if tensor._device.type == "meta":  # (its array is a stand-in with no values to hand out)
        raise BufferError("Cannot pack tensors on meta")
    return tensor._data.__dlpack__()  # a tensor that requires grad exports too, as in PyTorch
