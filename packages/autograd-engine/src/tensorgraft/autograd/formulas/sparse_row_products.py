"""``hspmm`` and ``sspaddmm`` (``tensorgraft/ops/sparse_row_products.py``): PyTorch records them
with no derivative, so the error comes when backward reaches them, in its words."""
from __future__ import annotations

from . import formula


@formula("_sparse_hspmm", saves=(), node="NotImplemented")
def hspmm(node, g):
    raise RuntimeError("derivative for aten::hspmm is not implemented")


@formula("_sparse_sspaddmm", saves=(), node="NotImplemented")
def sspaddmm(node, g):
    raise RuntimeError("derivative for aten::sspaddmm is not implemented")
