"""``debug_unwrap``: PyTorch's way to see the plain tensor under a transform's wrapper while
debugging.

tensorgraft's transforms wrap nothing: ``grad``/``vjp`` hand the function ordinary tensors (fresh
leaves) and ``vmap`` hands it ordinary per-example slices (it loops; see this package's docstring),
so every tensor is already "unwrapped" and comes back as it is. Inside ``vmap`` that is the slice,
where PyTorch's unwrapped BatchedTensor still has the batch dimension.
"""
from __future__ import annotations

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
    return tensor
