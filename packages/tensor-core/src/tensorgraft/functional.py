"""``tensorgraft.functional``: the module PyTorch's ``torch.functional`` is.

PyTorch defines a handful of its top-level functions (``einsum``, ``split``, ``stft``, ``unique``,
``norm`` ...) in ``torch/functional.py`` and code reaches them through that module too
(``import torch.functional as F2``). tensorgraft defines them with their families under ``ops/``;
this module only names the same objects, so ``tensorgraft.functional.einsum is tensorgraft.einsum``.
"""
_FUNCTIONS = (
    "atleast_1d", "atleast_2d", "atleast_3d", "broadcast_shapes", "broadcast_tensors", "cartesian_prod",
    "block_diag", "cdist", "chain_matmul", "einsum", "istft", "lu", "norm", "meshgrid", "pca_lowrank", "split",
    "stft", "svd_lowrank", "tensordot", "unique", "unique_consecutive", "unravel_index",
)
__all__ = list(_FUNCTIONS)  # (provided by ``__getattr__`` below)
_NAMES = frozenset(_FUNCTIONS) | {"Tensor"}


def __getattr__(name):
    # Looked up on each access, not copied at import: the top-level objects are what users patch and
    # compare against, and turning ``__torch_function__`` dispatch on rewraps them after this module
    # may have loaded, so ``tensorgraft.functional.einsum is tensorgraft.einsum`` must hold at any time.
    if name in _NAMES:
        import tensorgraft
        return getattr(tensorgraft, name)
    raise AttributeError(f"module 'tensorgraft.functional' has no attribute '{name}'")


def __dir__():
    return sorted(set(globals()) | _NAMES)
