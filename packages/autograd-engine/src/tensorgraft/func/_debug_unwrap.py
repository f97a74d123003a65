"""``debug_unwrap``: PyTorch's way to see the plain tensor under a transform's wrapper while
debugging.

tensorgraft's ``grad``/``vjp`` wrap nothing (they hand the function fresh leaves): those tensors
come back as they are. Inside the vectorized ``vmap`` a BatchedTensor unwraps to the tensor holding
the whole batch (the batch dimension in front), as PyTorch's; under ``TENSORGRAFT_VMAP=loop`` the
function sees plain per-example slices, which come back as they are.
"""
from __future__ import annotations

import sys

from tensorgraft.tensor import Tensor


def debug_unwrap(tensor: Tensor, *, recurse: bool = True) -> Tensor:
    """Unwraps a functorch tensor (e.g. BatchedTensor, GradTrackingTensor) to its underlying tensor.

    This function should only be used in a debug setting (e.g. trying to print the
    value of a Tensor in a debugger). Otherwise, using the result of function
    inside of a function being transformed will lead to undefined behavior.
    """
    if not isinstance(tensor, Tensor):  # PyTorch's binding refuses anything else in these words
        raise TypeError("is_functorch_wrapped_tensor(): incompatible function arguments. The following argument "
                        "types are supported:\n    1. (arg0: torch.Tensor) -> bool\n\nInvoked with: "
                        f"{tensor!r}")
    batched = sys.modules.get("tensorgraft.func._vectorized._batched")  # (loaded by the first vectorized vmap)
    if batched is not None:
        while tensor.__class__ is batched.BatchedTensor:
            tensor = tensor._physical
            if not recurse:
                break
    return tensor
