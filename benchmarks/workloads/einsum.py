"""``einsum`` forward (no grad) on the patterns models write: a batched matrix product, a plain
one, attention scores (``bhqd,bhkd->bhqk``), a dot product, a diagonal and a transpose. NumPy's
side is ``np.einsum`` (``optimize=True`` for two operands, as it would be written for speed)."""
from __future__ import annotations

import numpy as np

from . import Workload

# (equation, operand shapes, workload name, what it models)
PATTERNS = [
    ("bij,bjk->bik", [(32, 64, 64), (32, 64, 64)], "einsum_bmm_32x64", "batched matmul, 32 x (64x64 @ 64x64)"),
    ("ij,jk->ik", [(256, 256), (256, 256)], "einsum_mm_256", "matmul, 256x256 @ 256x256"),
    ("bhqd,bhkd->bhqk", [(8, 4, 64, 32), (8, 4, 64, 32)], "einsum_attn_scores",
     "attention scores, batch 8, 4 heads, 64 positions, head dim 32"),
    ("i,i->", [(4096,), (4096,)], "einsum_dot_4096", "dot product of two 4096-vectors"),
    ("ii->i", [(512, 512)], "einsum_diag_512", "diagonal of a 512x512 matrix"),
    ("ij->ji", [(512, 512)], "einsum_transpose_512", "transpose of a 512x512 matrix (a view)"),
]


def _arrays(shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(np.float32) for s in shapes]


def _lib_side(import_lib, eq, shapes):
    def make():
        lib = import_lib()
        lib.set_num_threads(1)
        ops = [lib.tensor(a) for a in _arrays(shapes)]
        return lambda: lib.einsum(eq, *ops)
    return make


def _np_side(eq, shapes):
    def make():
        ops = _arrays(shapes)
        optimize = len(ops) > 1
        return lambda: np.einsum(eq, *ops, optimize=optimize)
    return make


def _tg():
    import tensorgraft
    return tensorgraft


def _torch():
    import torch
    return torch


WORKLOADS = [
    Workload(name, f"torch.einsum('{eq}'): {what}, float32", _lib_side(_tg, eq, shapes), _np_side(eq, shapes),
             _lib_side(_torch, eq, shapes), target="tg/torch <= 2")
    for eq, shapes, name, what in PATTERNS
]
