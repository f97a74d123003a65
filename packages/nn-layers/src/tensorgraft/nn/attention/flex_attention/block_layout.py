"""The integer bookkeeping behind a ``BlockMask``, on NumPy arrays.

A block mask stores, per (batch, head, row of blocks), how many blocks of that row take part
(``num_blocks``) and which columns they are (``indices``, the taking-part columns first, in ascending
order, then the others). Nothing here is differentiable and the arrays are small (one entry per
128x128 tile by default), so the host does this work whatever device the mask lives on.
"""
from __future__ import annotations

import numpy as np

import tensorgraft as _tg


def to_numpy(t):
    return t.cpu().numpy() if t.device.type != "cpu" else t.numpy()


def to_tensor(a, device):
    t = _tg.from_numpy(np.ascontiguousarray(a))
    return t if str(device) == "cpu" else t.to(device)


def ordered_to_dense(num_blocks, indices, num_cols):
    """(…, R) counts and (…, R, J) column lists -> (…, R, num_cols) int32 0/1 grid. Entries past a row's
    count are ignored (written to a spare column that is cut off)."""
    num_blocks = np.asarray(num_blocks)
    indices = np.asarray(indices).astype(np.int64)
    *batch, rows, width = indices.shape
    dense = np.zeros((*batch, rows, num_cols + 1), dtype=np.int32)
    used = np.arange(width) < num_blocks[..., None]
    np.put_along_axis(dense, np.where(used, indices, num_cols), 1, axis=-1)
    return dense[..., :num_cols]


def dense_to_ordered(dense):
    """(…, R, C) 0/1 grid -> int32 counts per row and int32 column lists (taking-part columns first,
    each group in ascending column order: a stable descending sort)."""
    dense = np.asarray(dense).astype(np.int32)
    num_blocks = dense.sum(axis=-1, dtype=np.int64).astype(np.int32)
    indices = np.argsort(-dense, axis=-1, kind="stable").astype(np.int32)
    return num_blocks, indices


def transpose_ordered(num_blocks, indices):
    """The same layout seen from the columns (what a backward pass walks): rows and columns swapped."""
    dense = ordered_to_dense(num_blocks, indices, np.asarray(indices).shape[-1])
    return dense_to_ordered(np.swapaxes(dense, -2, -1))


def mask_to_block_grids(mask, q_block, kv_block, separate_full_blocks):
    """A (B, H, Q, KV) boolean mask -> int8 grids of partial blocks and (optionally) full blocks, per
    (q_block x kv_block) tile; the mask is zero-padded to whole tiles first."""
    mask = np.asarray(mask, dtype=bool)
    while mask.ndim < 4:
        mask = mask[None]
    B, H, Q, KV = mask.shape
    pad_q, pad_kv = -Q % q_block, -KV % kv_block
    if pad_q or pad_kv:
        mask = np.pad(mask, ((0, 0), (0, 0), (0, pad_q), (0, pad_kv)))
    Qp, KVp = Q + pad_q, KV + pad_kv
    tiles = mask.reshape(B, H, Qp // q_block, q_block, KVp // kv_block, kv_block)
    block_sum = tiles.sum(axis=(3, 5), dtype=np.int64)
    if not separate_full_blocks:
        return (block_sum > 0).astype(np.int8), None
    whole = q_block * kv_block
    return ((block_sum > 0) & (block_sum < whole)).astype(np.int8), (block_sum == whole).astype(np.int8)


def adjust_num_blocks_and_indices(num_blocks, indices, new_rows, new_cols):
    """Crop a layout to the top-left ``new_rows`` x ``new_cols`` blocks (``BlockMask._adjust``): each row's count
    becomes how many of its kept list entries point inside the cropped width."""
    indices = np.asarray(indices)[:, :, :new_rows, :new_cols]
    num_blocks = np.asarray(num_blocks)[:, :, :new_rows]
    num_blocks = np.where(num_blocks < new_cols, num_blocks, new_cols)
    num_blocks = (indices < num_blocks[..., None]).sum(axis=-1).astype(np.int32)
    return num_blocks, indices


def dq_write_order(kv_num, kv_idx, full_kv_num, full_kv_idx, q_idx, full_q_idx, descending):
    """Per backward (column) list entry, the rank of its row block among the blocks its row visits in the
    chosen KV order (ascending, or descending when ``descending``): the metadata a deterministic
    block-sparse dQ accumulation uses. Returns (partial, full or None), int32."""
    shapes = [kv_idx.shape[:2], q_idx.shape[:2]]
    shapes += [a.shape[:2] for a in (full_kv_idx, full_q_idx) if a is not None]
    B, H = np.broadcast_shapes(*shapes)

    def expand(a):
        return np.broadcast_to(a, (B, H, *a.shape[2:]))

    num_m, num_n = kv_idx.shape[2], q_idx.shape[2]
    dense = ordered_to_dense(expand(kv_num), expand(kv_idx), num_n)
    if full_kv_num is not None:
        dense = np.minimum(dense + ordered_to_dense(expand(full_kv_num), expand(full_kv_idx), num_n), 1)
    cumsum = np.cumsum(dense, axis=-1)
    rank = cumsum - dense
    if descending:
        rank = cumsum[..., -1:] - 1 - rank

    def gather(bwd_idx):
        b = np.arange(B)[:, None, None, None]
        h = np.arange(H)[None, :, None, None]
        n = np.arange(bwd_idx.shape[2])[None, None, :, None]
        m = np.clip(bwd_idx.astype(np.int64), 0, num_m - 1)
        return rank[b, h, m, n].astype(np.int32)

    return gather(q_idx), (gather(full_q_idx) if full_q_idx is not None and full_kv_num is not None else None)
