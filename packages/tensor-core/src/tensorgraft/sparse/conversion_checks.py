"""The argument checks of the generic ``Tensor.to_sparse(layout=..., blocksize=..., dense_dim=...)``.

PyTorch routes that call through one function per source layout (``dense_to_sparse``,
``sparse_coo_to_sparse``, ``sparse_compressed_to_sparse``, or ``to_sparse`` when the layout does
not change), and each checks its arguments under its own name before it hands the conversion to
``to_sparse_csr()``/``to_sparse_bsr(blocksize)`` ... So the same mistake reads differently from
the two entries: ``x.to_sparse(layout=torch.sparse_bsr, blocksize=(2, 1))`` on a 3x2 tensor says
``dense_to_sparse: tensor sparse size (3,2) must be divisible ...``, ``x.to_sparse_bsr((2, 1))``
says ``dense_to_sparse_bsr: ...``. The checks below are the generic entry's, in its order and
words; what they let through is left to the layout's own conversion (whose checks are
``ops/sparse_compressed.py``'s ``_check_conversion``).
"""
from __future__ import annotations

from .compressed_data import BLOCKED, DISPATCH_NAME, SparseCompressedData
from .coo_data import SparseCOOData
from tensorgraft.argument_errors import c_type_name

# PyTorch's names of the layouts in these messages, by the name of the ``torch.<layout>`` singleton
_WORDS = {"strided": "Strided", "sparse_coo": "Sparse", **DISPATCH_NAME}


def source_layout(data) -> str:
    """``"strided"``, ``"sparse_coo"`` or the compressed layout's name, for a tensor's array."""
    if data.__class__ is SparseCompressedData:
        return data.layout
    return "sparse_coo" if data.__class__ is SparseCOOData else "strided"


def function_name(source: str, target: str) -> str:
    """The name PyTorch's refusals carry for a ``to_sparse(layout=target)`` of a ``source`` tensor."""
    if source == target:
        return "to_sparse"
    return {"strided": "dense_to_sparse", "sparse_coo": "sparse_coo_to_sparse"}.get(source,
                                                                                    "sparse_compressed_to_sparse")


def check_to_sparse_arguments(data, target: str, blocksize, dense_dim, fname: str | None = None):
    """Raise PyTorch's error for a ``to_sparse(layout=target, blocksize, dense_dim)`` it refuses;
    return the blocksize as a tuple of two ints (None when not given). ``fname``: the name the
    messages carry, when not the generic entry's (``to_sparse_bsr()`` ... run the same checks under
    ``dense_to_sparse_bsr``, ``coo_to_sparse_bsr``, ``sparse_compressed_to_sparse_bsr``)."""
    source = source_layout(data)
    fname = fname or function_name(source, target)
    prefix = f"{fname}: conversion from {_WORDS[source]} to {_WORDS[target]}"
    if source == "sparse_coo" and target != "sparse_coo" and data.sparse_dim != 2:
        raise RuntimeError(f"{prefix} for input tensors with sparse_dim()!=2 is not supported")
    if blocksize is not None and target not in BLOCKED:
        raise RuntimeError(f"{prefix} with blocksize argument given is not supported")
    if blocksize is None and target in BLOCKED:
        raise RuntimeError(f"{prefix} without blocksize argument given is not supported")
    if dense_dim is not None and source != "strided":
        raise RuntimeError(f"{prefix} with dense_dim argument given is not supported")
    if source not in ("strided", "sparse_coo") and source not in BLOCKED and target in BLOCKED and data.batch_dim:
        raise RuntimeError(f"{prefix} for batched inputs is not supported")
    ndim = len(data.shape)
    if dense_dim is not None:  # (a strided source: the only one that may name its dense dims)
        if not isinstance(dense_dim, int) or isinstance(dense_dim, bool):
            raise TypeError(f"to_sparse(): argument 'dense_dim' must be int, not {c_type_name(dense_dim)}")
        if target == "sparse_coo" and dense_dim == ndim and ndim > 0:
            raise RuntimeError(f"{fname}: dense_dim argument must be !=self.dim() when self.dim()>0")
        top = ndim if target in ("sparse_coo", "strided") else ndim - 2
        if not 0 <= dense_dim <= top:
            raise RuntimeError(f"{fname}: dense_dim argument must be in [0,{top}] range, but {dense_dim} is given")
    if blocksize is None:
        return None
    if isinstance(blocksize, int):  # (one int: a square block, as PyTorch's argument parser reads it)
        blocksize = (blocksize, blocksize)
    try:
        new = [int(b) for b in blocksize]
    except TypeError:
        raise TypeError(f"to_sparse(): argument 'blocksize' must be tuple of ints, not "
                        f"{c_type_name(blocksize)}") from None
    if len(new) != 2:
        raise RuntimeError(f"{fname}: blocksize needs to be a tuple of size 2, but got {len(new)}")
    if min(new) <= 0:
        raise RuntimeError(f"{fname}: blocksize needs to be positive, but got {new}")
    if source in BLOCKED:
        if new != list(data.blocksize):
            raise RuntimeError(f"{prefix} with blocksize changed from {list(data.blocksize)} to {new} is not "
                               f"supported")
    else:
        dense = (dense_dim or 0) if source == "strided" else data.dense_dim
        if ndim >= dense + 2:
            rows, cols = data.shape[ndim - dense - 2], data.shape[ndim - dense - 1]
            if rows % new[0] or cols % new[1]:
                raise RuntimeError(f"{fname}: tensor sparse size ({rows},{cols}) must be divisible by given "
                                   f"blocksize ({new[0]},{new[1]})")
    return tuple(new)
