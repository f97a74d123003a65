"""``tensorgraft.functional``: the module PyTorch's ``torch.functional`` is.

PyTorch defines a handful of its top-level functions (``einsum``, ``split``, ``stft``, ``unique``,
``norm`` ...) in ``torch/functional.py`` and code reaches them through that module too
(``import torch.functional as F2``). tensorgraft defines them with their families under ``ops/``;
this module only names the same objects, so ``tensorgraft.functional.einsum is tensorgraft.einsum``.
"""
# (the top-level objects themselves: those are what users patch and compare against)
from tensorgraft import (  # noqa: F401
    Tensor, atleast_1d, atleast_2d, atleast_3d, block_diag, broadcast_shapes, broadcast_tensors, cartesian_prod, cdist,
    chain_matmul, einsum, istft, lu, meshgrid, norm, pca_lowrank, split, stft, svd_lowrank, tensordot, unique,
    unique_consecutive, unravel_index,
)

__all__ = [
    "atleast_1d", "atleast_2d", "atleast_3d", "broadcast_shapes", "broadcast_tensors", "cartesian_prod",
    "block_diag", "cdist", "chain_matmul", "einsum", "istft", "lu", "norm", "meshgrid", "pca_lowrank", "split",
    "stft", "svd_lowrank", "tensordot", "unique", "unique_consecutive", "unravel_index",
]
