"""Calling a user's ``score_mod`` / ``mask_mod`` over every (batch, head, query, key) position at once.

PyTorch's eager path wraps the function in four nested ``vmap``s, so the function sees 0-dim index tensors
(int64) and a 0-dim score. Almost every mod written for flex attention is elementwise arithmetic,
comparisons, ``where`` and tensor indexing, which give the same numbers when the four index tensors are
instead shaped to broadcast against each other — (B,1,1,1), (1,H,1,1), (1,1,M,1), (1,1,1,N) — and that is
one call of NumPy-speed ops instead of a per-element trace. So we try broadcasting first, and fall back to
``tensorgraft.func.vmap`` (PyTorch's exact semantics) when the function rejects broadcast inputs or answers
with a shape the four index dims cannot explain (chained indexing such as ``table[q_idx][kv_idx]``).
"""
from __future__ import annotations

import enum
import inspect

import tensorgraft as _tg


class _ModificationType(enum.Enum):
    """A mod's kind, told apart by its number of required positional arguments (5 or 4)."""

    SCORE_MOD = 1
    MASK_MOD = 2
    UNKNOWN = 3


def _get_mod_type(fn):
    """SCORE_MOD for a five-argument function, MASK_MOD for four (arguments with defaults don't count)."""
    code = getattr(fn, "__code__", None)
    if code is not None:
        count = code.co_argcount - len(getattr(fn, "__defaults__", None) or ())
    else:  # a callable object or a partial: ask its signature
        count = sum(1 for p in inspect.signature(fn).parameters.values() if p.default is inspect.Parameter.empty)
    if count not in (4, 5):
        raise AssertionError(f"Expected 4 or 5 positional args, got {count}")
    return _ModificationType.SCORE_MOD if count == 5 else _ModificationType.MASK_MOD


def _identity(score, batch, head, token_q, token_kv):
    return score


def _index_grids(B, H, M, N, device):
    """The four int64 index tensors shaped to broadcast to (B, H, M, N)."""
    return (_tg.arange(B, device=device).view(B, 1, 1, 1), _tg.arange(H, device=device).view(1, H, 1, 1),
            _tg.arange(M, device=device).view(1, 1, M, 1), _tg.arange(N, device=device).view(1, 1, 1, N))


def _vmap_for_bhqkv(fn, prefix):
    """``fn`` vmapped over kv, q, head then batch (innermost first, as PyTorch nests them); ``prefix`` gives
    the in_dims of the leading arguments (the score for a score_mod)."""
    from tensorgraft.func import vmap
    for dims in ((None, None, None, 0), (None, None, 0, None), (None, 0, None, None), (0, None, None, None)):
        fn = vmap(fn, in_dims=prefix + dims, out_dims=0)
    return fn


def _explained_by(shape, full):
    """Whether a result of ``shape`` broadcasts to ``full`` (B, H, M, N) — i.e. the broadcast call was sound."""
    if len(shape) > len(full):
        return False
    return all(s in (1, f) for s, f in zip(reversed(tuple(shape)), reversed(full)))


def apply_mod(fn, score, B, H, M, N, device):
    """``fn`` over every (b, h, q_idx, kv_idx) of a (B, H, M, N) grid; ``score`` is the (B, H, M, N) score tensor
    for a score_mod, ``None`` for a mask_mod. The result broadcasts to (B, H, M, N)."""
    full = (B, H, M, N)
    b, h, m, n = _index_grids(B, H, M, N, device)
    args = (b, h, m, n) if score is None else (score, b, h, m, n)
    try:
        out = fn(*args)
    except Exception:  # noqa: BLE001 - any refusal of broadcast inputs: take PyTorch's per-element route
        out = None
    if isinstance(out, _tg.Tensor) and _explained_by(out.shape, full):
        return out
    flat = (_tg.arange(B, device=device), _tg.arange(H, device=device), _tg.arange(M, device=device),
            _tg.arange(N, device=device))
    if score is None:
        return _vmap_for_bhqkv(fn, ())(*flat)
    return _vmap_for_bhqkv(fn, (0,))(score, *flat)
