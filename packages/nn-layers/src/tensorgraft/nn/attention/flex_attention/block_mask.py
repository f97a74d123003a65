"""``BlockMask`` and the functions that build masks (``create_block_mask``, ``create_mask``, ``and_masks``, …).

A BlockMask records which (Q_BLOCK_SIZE x KV_BLOCK_SIZE) tiles of the attention matrix take part at all
(``kv_num_blocks``/``kv_indices``), which of those need no masking (``full_kv_*``) and the same seen from
the key side (``q_*``, what a backward kernel walks), plus the ``mask_mod`` that says, per element, what
is kept. PyTorch's fused kernels skip the tiles left out; its eager path — the one reproduced here —
evaluates ``mask_mod`` on every element and ignores the tile lists. The tile lists are still built
exactly as PyTorch builds them, because users print, index and inspect them.
"""
from __future__ import annotations

import functools
import itertools
import operator
import warnings

import numpy as np

import tensorgraft as _tg

from . import block_layout as _layout
from .mods import _get_mod_type, _ModificationType, apply_mod

_DEFAULT_SPARSE_BLOCK_SIZE = 128
# a BLOCK_SIZE this large marks the one-tile mask flex_attention makes when given none
_LARGE_SPARSE_BLOCK_SIZE = 1 << 30


def noop_mask(batch, head, token_q, token_kv):
    """A mask_mod that keeps every position (the default of a BlockMask)."""
    return batch.new_ones(size=(), dtype=_tg.bool, device=batch.device)


def _sliced_mask_mod_error(batch, head, token_q, token_kv):
    """Stands in for the mask_mod of an indexed BlockMask: the original one no longer matches its tiles."""
    raise RuntimeError(
        "Cannot use mask_mod from a sliced BlockMask. When you slice a BlockMask using [], the mask_mod "
        "attribute is reset. You must set it from the original BlockMask's mask_mod.\n\nIncorrect usage:\n"
        "  base_mask = create_block_mask(my_mask_fn, ...)\n  sliced_mask = base_mask[:, :, block_idx]\n"
        "  sliced_mask.mask_mod = apply_offset(sliced_mask.mask_mod, offset)  # WRONG!\n\nCorrect usage:\n"
        "  base_mask = create_block_mask(my_mask_fn, ...)\n  sliced_mask = base_mask[:, :, block_idx]\n"
        "  sliced_mask.mask_mod = apply_offset(base_mask.mask_mod, offset)  # Use base_mask!")


def _shape_text(t):
    return None if t is None else t.shape


class BlockMask:
    """A block-sparse attention mask (see the module docstring); made by ``create_block_mask`` or
    ``BlockMask.from_kv_blocks``."""

    _TENSOR_ATTRS = ["kv_num_blocks", "kv_indices", "full_kv_num_blocks", "full_kv_indices", "q_num_blocks",
                     "q_indices", "full_q_num_blocks", "full_q_indices", "dq_write_order", "dq_write_order_full",
                     "dq_kv_order"]
    _CONTEXT_ATTRS = ["seq_lengths", "BLOCK_SIZE", "mask_mod", "dq_kv_order_spt"]

    def __init__(self, seq_lengths, kv_num_blocks, kv_indices, full_kv_num_blocks, full_kv_indices, q_num_blocks,
                 q_indices, full_q_num_blocks, full_q_indices,
                 BLOCK_SIZE=(_DEFAULT_SPARSE_BLOCK_SIZE, _DEFAULT_SPARSE_BLOCK_SIZE), mask_mod=noop_mask, *,
                 dq_write_order=None, dq_write_order_full=None, dq_kv_order=None, dq_kv_order_spt=None):
        if kv_indices.dim() < 2:
            raise RuntimeError("BlockMask must have at least 2 dimensions")
        if kv_num_blocks is None:
            raise AssertionError("kv_num_blocks must be provided")
        if (full_kv_num_blocks is None) != (full_kv_indices is None):
            raise AssertionError("full_kv_num_blocks and full_kv_indices must be both provided or omitted")
        if (full_q_num_blocks is None) != (full_q_indices is None):
            raise AssertionError("full_q_num_blocks and full_q_indices must be both provided or omitted")
        self.seq_lengths = seq_lengths
        self.kv_num_blocks = kv_num_blocks
        self.kv_indices = kv_indices
        self.full_kv_num_blocks = full_kv_num_blocks
        self.full_kv_indices = full_kv_indices
        self.q_num_blocks = q_num_blocks
        self.q_indices = q_indices
        self.full_q_num_blocks = full_q_num_blocks
        self.full_q_indices = full_q_indices
        if dq_write_order_full is not None and dq_write_order is None:
            raise ValueError("dq_write_order_full requires dq_write_order")
        self.dq_write_order = dq_write_order
        self.dq_write_order_full = dq_write_order_full
        self.dq_kv_order = dq_kv_order
        self.dq_kv_order_spt = dq_kv_order_spt
        self.BLOCK_SIZE = BLOCK_SIZE
        self.mask_mod = mask_mod

    @classmethod
    def from_kv_blocks(cls, kv_num_blocks, kv_indices, full_kv_num_blocks=None, full_kv_indices=None,
                       BLOCK_SIZE=_DEFAULT_SPARSE_BLOCK_SIZE, mask_mod=None, seq_lengths=None, compute_q_blocks=True,
                       *, dq_write_order=None, dq_write_order_full=None, dq_kv_order=None):
        """A BlockMask from the forward (per query-block row) layout; the key-side ``q_*`` layout is derived
        unless ``compute_q_blocks=False``. ``seq_lengths`` defaults to whole tiles."""
        if kv_indices.dim() < 2:
            raise RuntimeError("BlockMask must have at least 2 dimensions")
        if (full_kv_num_blocks is None) != (full_kv_indices is None):
            raise AssertionError("full_kv_num_blocks and full_kv_indices must be both provided or omitted")
        device = kv_indices.device
        q_num = q_idx = full_q_num = full_q_idx = None
        if compute_q_blocks:
            q_num, q_idx = (_layout.to_tensor(a, device) for a in _layout.transpose_ordered(
                _layout.to_numpy(kv_num_blocks), _layout.to_numpy(kv_indices)))
            if full_kv_num_blocks is not None:
                full_q_num, full_q_idx = (_layout.to_tensor(a, device) for a in _layout.transpose_ordered(
                    _layout.to_numpy(full_kv_num_blocks), _layout.to_numpy(full_kv_indices)))
        if isinstance(BLOCK_SIZE, int):
            BLOCK_SIZE = (BLOCK_SIZE, BLOCK_SIZE)
        if seq_lengths is None:
            seq_lengths = (kv_indices.shape[-2] * BLOCK_SIZE[0], kv_indices.shape[-1] * BLOCK_SIZE[1])
        if dq_kv_order is not None and not isinstance(dq_kv_order, (bool, _tg.Tensor)):
            raise ValueError("dq_kv_order must be a bool, Tensor, or None")
        return cls(seq_lengths=seq_lengths, kv_num_blocks=kv_num_blocks, kv_indices=kv_indices,
                   full_kv_num_blocks=full_kv_num_blocks, full_kv_indices=full_kv_indices, q_num_blocks=q_num,
                   q_indices=q_idx, full_q_num_blocks=full_q_num, full_q_indices=full_q_idx, BLOCK_SIZE=BLOCK_SIZE,
                   mask_mod=mask_mod if mask_mod is not None else noop_mask, dq_write_order=dq_write_order,
                   dq_write_order_full=dq_write_order_full,
                   dq_kv_order=dq_kv_order if isinstance(dq_kv_order, _tg.Tensor) else None,
                   dq_kv_order_spt=dq_kv_order if isinstance(dq_kv_order, bool) else None)

    def as_tuple(self, flatten=True):
        """The fields as one tuple; ``flatten`` spreads ``seq_lengths`` and ``BLOCK_SIZE`` into their two ints."""
        seq = tuple(self.seq_lengths) if flatten else (self.seq_lengths,)
        block = tuple(self.BLOCK_SIZE) if flatten else (self.BLOCK_SIZE,)
        return (*seq, self.kv_num_blocks, self.kv_indices, self.full_kv_num_blocks, self.full_kv_indices,
                self.q_num_blocks, self.q_indices, self.full_q_num_blocks, self.full_q_indices, self.dq_write_order,
                self.dq_write_order_full, self.dq_kv_order, self.dq_kv_order_spt, *block, self.mask_mod)

    @property
    def shape(self):
        return tuple(self.kv_indices.shape[:-2]) + tuple(self.seq_lengths)

    def numel(self):
        """How many positions the mask spans: the product of its shape, left-out tiles included."""
        return functools.reduce(operator.mul, self.shape, 1)

    def sparsity(self):
        """The percentage of tiles left out (not computed) — negative when the tiles overhang the sequences."""
        computed = self.kv_num_blocks.sum()
        if self.full_kv_num_blocks is not None:
            computed = computed + self.full_kv_num_blocks.sum()
        computed_size = computed.item() * self.BLOCK_SIZE[0] * self.BLOCK_SIZE[1]
        return 100 * (1 - computed_size / self.numel())

    def _dense_numpy(self):
        dense = _layout.ordered_to_dense(_layout.to_numpy(self.kv_num_blocks), _layout.to_numpy(self.kv_indices),
                                         self.kv_indices.shape[-1])
        if self.full_kv_num_blocks is not None:
            dense = dense | _layout.ordered_to_dense(_layout.to_numpy(self.full_kv_num_blocks),
                                                     _layout.to_numpy(self.full_kv_indices),
                                                     self.full_kv_indices.shape[-1])
        return dense

    def to_dense(self):
        """The tiles as an int32 0/1 grid of shape (*batch dims, query blocks, key blocks)."""
        return _layout.to_tensor(self._dense_numpy(), self.kv_indices.device)

    def to_string(self, grid_size=(20, 20), limit=4):
        """A picture of the tiles per (batch, head): '█' taking part, ' ' left out, '░' a mix when a picture
        cell covers several tiles (at most ``grid_size`` cells a side); ``limit`` pictures at most."""
        dense = self._dense_numpy()
        *batch_dims, num_rows, num_cols = dense.shape
        # (an int, -1 included, is taken as both sides — PyTorch's order of tests makes the -1 branch unreachable
        # for ints; a side of -1 ends up one tile per cell anyway)
        if isinstance(grid_size, int):
            max_rows = max_cols = grid_size
        elif grid_size == -1:
            max_rows, max_cols = num_rows, num_cols
        else:
            max_rows, max_cols = grid_size
        row_step = max(1, -(-num_rows // max_rows))
        col_step = max(1, -(-num_cols // max_cols))

        def picture(batch_idx):
            grid = dense[batch_idx]
            lines = [f"{batch_idx}\n"]
            for r in range(0, num_rows, row_step):
                for c in range(0, num_cols, col_step):
                    share = grid[r:r + row_step, c:c + col_step].astype(np.float32).mean()
                    lines.append(("█" if share == 1 else " " if share == 0 else "░") * 2)
                lines.append("\n")
            return "".join(lines)

        out = []
        for i, batch_idx in enumerate(itertools.product(*[range(d) for d in batch_dims])):
            if i == limit:
                out += ["...", "To print out more, set BlockMask.to_string(limit=N)",
                        "You can also index (BlockMask[batch, head]) to choose a specific batch or head"]
                break
            out.append(picture(batch_idx))
        return "\n".join(out)

    def __str__(self):
        return f"BlockMask(shape={self.shape}, sparsity={self.sparsity():.2f}%, \n" + self.to_string().strip() + "\n)"

    def __repr__(self):
        name = self.mask_mod.__name__ if hasattr(self.mask_mod, "__name__") else self.mask_mod
        return ("BlockMask(\n"
                f"    kv_num_blocks={self.kv_num_blocks.shape},\n"
                f"    kv_indices={self.kv_indices.shape},\n"
                f"    full_kv_num_blocks={_shape_text(self.full_kv_num_blocks)},\n"
                f"    full_kv_indices={_shape_text(self.full_kv_indices)},\n"
                f"    q_num_blocks={_shape_text(self.q_num_blocks)},\n"
                f"    q_indices={_shape_text(self.q_indices)},\n"
                f"    full_q_num_blocks={_shape_text(self.full_q_num_blocks)},\n"
                f"    full_q_indices={_shape_text(self.full_q_indices)},\n"
                f"    BLOCK_SIZE={self.BLOCK_SIZE},\n"
                f"    shape={self.shape},\n"
                f"    sparsity={self.sparsity():.2f}%,\n"
                f"    mask_mod={name}\n"
                ")")

    def _recompute_write_order(self, new):
        """After indexing or cropping, write-order metadata built from the old layout is rebuilt for the new."""
        new.dq_kv_order = None
        new.dq_kv_order_spt = self.dq_kv_order_spt
        if self.dq_write_order is not None:
            _fill_dq_write_order(new, new.dq_kv_order_spt)
        return new

    def __getitem__(self, index):
        """The mask of the chosen batch entries / heads / query-block rows; an int keeps its dimension (as a
        length-1 slice). The result's mask_mod raises: set it from the original mask's."""
        if self.dq_kv_order is not None:
            raise NotImplementedError(
                "Slicing BlockMask with tensor dq_kv_order is not supported yet. Construct a new BlockMask with "
                "matching precomputed dq_write_order metadata.")
        index = index if isinstance(index, tuple) else (index,)
        padded = (*index, slice(None), slice(None), slice(None))[:3]
        sizes = self.kv_num_blocks.shape[:3]
        index = tuple((slice(i + n, i + n + 1) if -n <= i < 0 else slice(i, i + 1)) if isinstance(i, int) else i
                      for i, n in zip(padded, sizes, strict=True))
        full_num = full_idx = None
        if self.full_kv_num_blocks is not None:
            full_num, full_idx = self.full_kv_num_blocks[index], self.full_kv_indices[index]
        new = BlockMask.from_kv_blocks(self.kv_num_blocks[index], self.kv_indices[index], full_num, full_idx,
                                       BLOCK_SIZE=self.BLOCK_SIZE, mask_mod=_sliced_mask_mod_error,
                                       seq_lengths=self.seq_lengths, compute_q_blocks=self.q_indices is not None)
        return self._recompute_write_order(new)

    def _adjust(self, new_q_len, new_kv_len):
        """This mask cropped to its top-left ``new_q_len`` x ``new_kv_len`` corner (right for masks such as causal
        that don't depend on the total length)."""
        if self.dq_kv_order is not None:
            raise NotImplementedError(
                "Adjusting BlockMask with tensor dq_kv_order is not supported yet. Construct a new BlockMask with "
                "matching precomputed dq_write_order metadata.")
        rows = (new_q_len + self.BLOCK_SIZE[0] - 1) // self.BLOCK_SIZE[0]
        cols = (new_kv_len + self.BLOCK_SIZE[1] - 1) // self.BLOCK_SIZE[1]
        device = self.kv_indices.device

        def crop(num, idx):
            return tuple(_layout.to_tensor(a, device) for a in _layout.adjust_num_blocks_and_indices(
                _layout.to_numpy(num), _layout.to_numpy(idx), rows, cols))

        kv_num, kv_idx = crop(self.kv_num_blocks, self.kv_indices)
        full_num = full_idx = None
        if self.full_kv_num_blocks is not None:
            full_num, full_idx = crop(self.full_kv_num_blocks, self.full_kv_indices)
        new = self.from_kv_blocks(kv_num, kv_idx, full_num, full_idx, BLOCK_SIZE=self.BLOCK_SIZE,
                                  mask_mod=self.mask_mod, seq_lengths=(new_q_len, new_kv_len),
                                  compute_q_blocks=self.q_indices is not None)
        return self._recompute_write_order(new)

    def to(self, device):
        """A new BlockMask with every tensor field moved to ``device``."""
        moved = {a: (None if getattr(self, a) is None else getattr(self, a).to(device)) for a in self._TENSOR_ATTRS}
        return BlockMask(seq_lengths=self.seq_lengths, **moved, BLOCK_SIZE=self.BLOCK_SIZE, mask_mod=self.mask_mod,
                         dq_kv_order_spt=self.dq_kv_order_spt)


def _fill_dq_write_order(block_mask, descending):
    if block_mask.q_num_blocks is None or block_mask.q_indices is None:
        raise ValueError("BlockMask must have q_num_blocks and q_indices to compute dq_write_order")

    def arr(t):
        return None if t is None else _layout.to_numpy(t)

    part, full = _layout.dq_write_order(
        arr(block_mask.kv_num_blocks), arr(block_mask.kv_indices), arr(block_mask.full_kv_num_blocks),
        arr(block_mask.full_kv_indices), arr(block_mask.q_indices), arr(block_mask.full_q_indices), bool(descending))
    device = block_mask.kv_indices.device
    block_mask.dq_write_order = _layout.to_tensor(part, device)
    block_mask.dq_write_order_full = None if full is None else _layout.to_tensor(full, device)


def _combined(mask_mods, start, combine, name):
    """A mask_mod folding ``mask_mods``' answers with ``combine`` from a 0-d ``start`` (True or False)."""
    if not all(callable(m) for m in mask_mods):
        raise RuntimeError(f"All inputs should be callable mask_mods: {mask_mods}")

    def mask(b, h, q_idx, kv_idx):
        result = (b.new_ones if start else b.new_zeros)((), dtype=_tg.bool)
        for mask_mod in mask_mods:
            result = combine(result, mask_mod(b, h, q_idx, kv_idx))
        return result
    mask.__name__ = mask.__qualname__ = name
    return mask


def or_masks(*mask_mods):
    """A mask_mod keeping a position wherever any of ``mask_mods`` keeps it (none given: nothing kept)."""
    return _combined(mask_mods, False, operator.or_, "or_mask")


def and_masks(*mask_mods):
    """A mask_mod keeping a position only where all of ``mask_mods`` keep it (none given: everything kept)."""
    return _combined(mask_mods, True, operator.and_, "and_mask")


def _default_device():
    # PyTorch builds masks on the current accelerator when there is one, else on the CPU
    return _tg.accelerator.current_accelerator() or "cpu"


def create_mask(mod_fn, B, H, Q_LEN, KV_LEN, device=None):
    """The dense (B, H, Q_LEN, KV_LEN) boolean mask a mask_mod keeps — or, for a score_mod, where it does not
    give -inf to a zero score. ``B``/``H`` of ``None`` mean 1."""
    device = _default_device() if device is None else device
    B = 1 if B is None else B
    H = 1 if H is None else H
    kind = _get_mod_type(mod_fn)
    if kind is _ModificationType.SCORE_MOD:
        out = apply_mod(mod_fn, _tg.zeros(B, H, Q_LEN, KV_LEN, device=device), B, H, Q_LEN, KV_LEN, device)
        return _tg.logical_not(_tg.isneginf(out)).expand(B, H, Q_LEN, KV_LEN).contiguous()
    mask = apply_mod(mod_fn, None, B, H, Q_LEN, KV_LEN, device)
    return mask.expand(B, H, Q_LEN, KV_LEN).contiguous()


def create_block_mask(mask_mod, B, H, Q_LEN, KV_LEN, device=None, BLOCK_SIZE=_DEFAULT_SPARSE_BLOCK_SIZE,
                      _compile=False, separate_full_blocks=True, compute_dq_write_order=False, dq_kv_order=True):
    """The BlockMask of ``mask_mod`` (b, h, q_idx, kv_idx) -> bool over a (B, H, Q_LEN, KV_LEN) attention, in
    tiles of ``BLOCK_SIZE`` (an int or (Q, KV) sizes). ``B``/``H`` of ``None`` mean 1 (broadcast)."""
    device = _default_device() if device is None else device
    if _get_mod_type(mask_mod) is not _ModificationType.MASK_MOD:
        raise AssertionError(f"create-block_mask requires a mask_mod function! Got {mask_mod}")
    B = 1 if B is None else B
    H = 1 if H is None else H
    q_block, kv_block = (BLOCK_SIZE, BLOCK_SIZE) if isinstance(BLOCK_SIZE, int) else BLOCK_SIZE
    if _compile:
        # PyTorch compiles and runs the same function; there is no compiler here, so it runs as is
        warnings.warn(
            "_compile flag on create_block_mask was originally added to work around a torch.compile limitation. "
            "That limitation has since been addressed. So, to compile create_block_mask, we suggest doing "
            "torch.compile(create_block_mask). This still works for now, but will be removed in the future.",
            DeprecationWarning, stacklevel=2)
    if not isinstance(dq_kv_order, bool):
        raise ValueError("dq_kv_order must be a bool when using create_block_mask")
    mask = create_mask(mask_mod, B, H, Q_LEN, KV_LEN, device)
    partial, full = _layout.mask_to_block_grids(_layout.to_numpy(mask), q_block, kv_block, separate_full_blocks)
    device = mask.device
    kv_num, kv_idx = (_layout.to_tensor(a, device) for a in _layout.dense_to_ordered(partial))
    full_num = full_idx = None
    if full is not None:
        full_num, full_idx = (_layout.to_tensor(a, device) for a in _layout.dense_to_ordered(full))
    block_mask = BlockMask.from_kv_blocks(kv_num, kv_idx, full_num, full_idx, BLOCK_SIZE=(q_block, kv_block),
                                          mask_mod=mask_mod, seq_lengths=(Q_LEN, KV_LEN))
    if compute_dq_write_order:
        _fill_dq_write_order(block_mask, dq_kv_order)
        block_mask.dq_kv_order = None
        block_mask.dq_kv_order_spt = dq_kv_order
    return block_mask


def _create_empty_block_mask(query, key):
    """The mask flex_attention uses when given none: one tile covering everything, noop mask_mod."""
    device = query.device
    return BlockMask.from_kv_blocks(kv_num_blocks=_tg.ones([1, 1, 1], dtype=_tg.int32, device=device),
                                    kv_indices=_tg.zeros([1, 1, 1, 1], dtype=_tg.int32, device=device),
                                    BLOCK_SIZE=_LARGE_SPARSE_BLOCK_SIZE, seq_lengths=(1, 1))
