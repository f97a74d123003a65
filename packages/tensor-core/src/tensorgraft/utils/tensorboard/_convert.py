"""What every summary builder does first: turn its argument into a NumPy array.

A tensor is detached and copied to the host (so a CUDA tensor or one that requires grad can be
logged directly, as in PyTorch); bfloat16 becomes float16, as PyTorch converts it. A NumPy
array passes through and a Python or NumPy number becomes a one-element array, the shapes
PyTorch's ``make_np`` gives, so the builders see the same arrays there and here. A tensor on the
``meta`` device has no values: like PyTorch, it logs one random number.
"""
from __future__ import annotations

import numpy as np

from ... import dtypes as _dt
from ...tensor import Tensor


def make_np(x) -> np.ndarray:
    """``x`` (a Tensor, an array or a number) as a NumPy array on the host."""
    if isinstance(x, np.ndarray):
        return x
    if np.isscalar(x):
        return np.array([x])
    if isinstance(x, Tensor):
        if x.device.type == "meta":
            return np.random.randn(1)
        if x.dtype is _dt.bfloat16:
            x = x.to(_dt.float16)
        if x.is_sparse:
            x = x.to_dense()
        return x.detach().cpu().numpy()
    raise NotImplementedError(f"Got {type(x)}, but numpy array or torch tensor are expected.")
