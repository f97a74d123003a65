"""``tensorgraft.nn.attention.flex_attention``: attention with user-defined score and mask functions, as
``torch.nn.attention.flex_attention`` behaves when called without ``torch.compile``.

``flex_attention(q, k, v, score_mod, block_mask)`` computes softmax(score_mod(scale * q @ kᵀ)) @ v, where
``score_mod(score, b, h, q_idx, kv_idx)`` may rewrite each score (relative-position biases, ALiBi,
soft-capping) and the BlockMask's ``mask_mod(b, h, q_idx, kv_idx)`` removes positions (causal, sliding
window, documents). PyTorch's eager path materializes the full score matrix and so does this one (see
``dense.py``); there is no fused kernel to compile into, so the block sparsity saves no work here.

The layout: ``block_mask.py`` (BlockMask and the mask builders), ``block_layout.py`` (its integer
bookkeeping), ``mods.py`` (calling the user's functions over every position), ``dense.py`` (the arithmetic).
"""
from __future__ import annotations

import math
import typing
import warnings
from collections.abc import Callable
from typing import Literal, NamedTuple

import tensorgraft as _tg

from .block_mask import (  # noqa: F401 - PyTorch's private names stay reachable here, as some user code uses them
    _DEFAULT_SPARSE_BLOCK_SIZE,
    _LARGE_SPARSE_BLOCK_SIZE,
    BlockMask,
    _create_empty_block_mask,
    _sliced_mask_mod_error,
    and_masks,
    create_block_mask,
    create_mask,
    noop_mask,
    or_masks,
)
from .dense import math_attention
from .mods import _get_mod_type, _identity, _ModificationType, _vmap_for_bhqkv  # noqa: F401

__all__ = ["BlockMask", "flex_attention", "AuxOutput", "AuxRequest", "FlexKernelOptions", "create_block_mask",
           "create_mask", "or_masks", "and_masks", "noop_mask"]

# PyTorch's switch for debugging mods without its compiler. Eager execution is all there is here, so setting
# it only silences the performance warning, as it does in PyTorch.
_FLEX_ATTENTION_DISABLE_COMPILE_DEBUG = False

# ids of the warnings already shown: PyTorch shows each once per process, whatever the warnings filters say
_WARNINGS_SHOWN: set[str] = set()

_score_mod_signature = Callable[[_tg.Tensor, _tg.Tensor, _tg.Tensor, _tg.Tensor, _tg.Tensor], _tg.Tensor]
_mask_mod_signature = Callable[[_tg.Tensor, _tg.Tensor, _tg.Tensor, _tg.Tensor], _tg.Tensor]
_Backend = Literal["AUTO", "TRITON", "FLASH", "TRITON_DECODE"]

_PERFORMANCE_WARNING = (
    "flex_attention called without torch.compile() - this will use an unfused implementation that materializes "
    "the full scores matrix instead of generating a fused kernel.\n\nSOLUTION: Use torch.compile(flex_attention)"
    "(...)\n\nIf you want to debug your score_mod/mask_mod, you can set:\n"
    "torch.nn.attention.flex_attention._FLEX_ATTENTION_DISABLE_COMPILE_DEBUG = True\n\n"
    "This will allow you to use print statements or breakpoints. Note: This doesn't work with the backwards pass "
    "and may produce incorrect results.")


def _warn_once(warning_id, message, category=UserWarning):
    if warning_id not in _WARNINGS_SHOWN:
        # (stacklevel 2 names the line in flex_attention that asked, as PyTorch's does)
        warnings.warn(message, category, stacklevel=2)
        _WARNINGS_SHOWN.add(warning_id)


class FlexKernelOptions(typing.TypedDict, total=False):
    """Tuning knobs of PyTorch's fused kernels (block sizes, warps, stages, ``BACKEND``, …). They are accepted
    and validated as PyTorch validates them; the eager computation has nothing to tune, so they change nothing."""

    num_warps: int
    num_stages: int
    BLOCK_M: int
    BLOCK_N: int
    BLOCK_M1: int
    BLOCK_N1: int
    BLOCK_M2: int
    BLOCK_N2: int
    PRESCALE_QK: bool
    ROWS_GUARANTEED_SAFE: bool
    BLOCKS_ARE_CONTIGUOUS: bool
    WRITE_DQ: bool
    FORCE_USE_FLEX_ATTENTION: bool
    USE_TMA: bool
    kpack: int
    matrix_instr_nonkdim: int
    waves_per_eu: int
    BACKEND: _Backend


class AuxRequest(NamedTuple):
    """Which extra outputs ``flex_attention(..., return_aux=...)`` should compute."""

    lse: bool = False
    max_scores: bool = False


class AuxOutput(NamedTuple):
    """The extra outputs of ``flex_attention``: a field is None unless it was requested."""

    lse: _tg.Tensor | None = None
    max_scores: _tg.Tensor | None = None


def _check_inputs(query, key, value):
    """PyTorch's checks before any arithmetic, in its order."""
    for t in (query, key, value):
        if getattr(t, "is_nested", False):
            raise NotImplementedError(
                "flex_attention does not support NestedTensor inputs, including torch.compile(flex_attention) with "
                "jagged NestedTensor inputs. Convert inputs to dense tensors before calling flex_attention.")
    if query.device != key.device or query.device != value.device:
        raise ValueError("Expected query, key, and value to have the same device type, but got query.device: "
                         f"{query.device}, key.device: {key.device}, and value.device: {value.device} instead.")
    if query.dim() < 2 or key.dim() < 2 or value.dim() < 2:
        # (the two spaces before "at least" are PyTorch's)
        raise ValueError("Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: "
                         f"{query.dim()}, key.dim: {key.dim()} and value.dim: {value.dim()} instead.")
    if query.size(-1) != key.size(-1):
        raise ValueError("Expect query and key/value to have the same embedding dimension but got "
                         f"E={query.size(-1)} and E={key.size(-1)}.")
    # PyTorch 2.13 refuses query/key/value gradients on the CPU ("FlexAttention does not support
    # backward on CPU"), a gap of its kernels, not a rule: here they are computed on every device, so a
    # model written for the GPU trains on the CPU too (the arithmetic is differentiated like sdpa's)
    kind = query.device.type
    if kind not in ("cuda", "cpu", "xpu", "hpu", "mps"):
        raise ValueError("FlexAttention is only supported on CUDA, CPU, HPU, or MPS devices. "
                         f"Found input tensors on {kind} device.")
    if query.dim() != 4 or key.dim() != 4 or value.dim() != 4:
        raise NotImplementedError("NYI: query, key, and value must be 4D tensors")


def _check_heads_and_batch(query, key, block_mask, enable_gqa):
    if not enable_gqa and query.size(-3) != key.size(-3):
        raise ValueError("Expect query and key/value to have the same number of heads but got "
                         f"Hq={query.size(-3)} and Hkv={key.size(-3)}. Try setting enable_gqa=True for GQA.")
    if enable_gqa and query.size(1) % key.size(1) != 0:
        raise ValueError("Expect number of query heads to be a multiple of kv heads for GQA but got "
                         f"Hq={query.size(1)} and Hkv={key.size(1)}.")
    if query.size(0) != key.size(0):
        if block_mask is None:
            raise ValueError("Expect query and key/value to have the same batch size, or non-none block_mask, but "
                             f"got block_mask=None, Bq={query.size(0)}, and Bkv={key.size(0)}.")
        if block_mask.kv_num_blocks.size(0) != query.size(0):
            raise ValueError("Expect query and key/value to have the same batch size, or block_mask and query to "
                             f"have the same batch size, but got Bq={query.size(0)}, Bkv={key.size(0)}, "
                             f"B_block_mask={block_mask.kv_num_blocks.size(0)}.")


def _check_lengths(query, key, block_mask):
    """The mask must have been made for exactly these sequence lengths (the one-tile default fits any)."""
    if block_mask.BLOCK_SIZE[0] == _LARGE_SPARSE_BLOCK_SIZE and block_mask.BLOCK_SIZE[1] == _LARGE_SPARSE_BLOCK_SIZE:
        return
    mask_q, mask_kv = block_mask.shape[-2], block_mask.shape[-1]
    q_len, kv_len = query.size(-2), key.size(-2)
    seen = f"block_mask was created for block_mask.shape={block_mask.shape} but got q_len={q_len} and kv_len={kv_len}. "
    if q_len > mask_q or kv_len > mask_kv:
        raise ValueError(seen + "As the block mask was created for a smaller length than you're using it for, you "
                         "likely need to create a new block mask.")
    if (q_len < mask_q and kv_len <= mask_kv) or (q_len <= mask_q and kv_len < mask_kv):
        raise ValueError(seen + "As the block mask was created for a larger length than you're using it for, you can "
                         "either 1. create a new block mask with the correct length, or 2. 'adjust' the existing "
                         "block mask to the correct length by calling block_mask._adjust(q_len, kv_len). This "
                         "essentially 'crops' the block mask to the upper left corner, which does not work for all "
                         "mask_mods!")


def _check_kernel_options(query, kernel_options, want_max):
    """PyTorch's validation of ``kernel_options`` and of what the device can return."""
    options = {} if kernel_options is None else dict(kernel_options)
    if "BACKEND" in options and options.get("FORCE_USE_FLEX_ATTENTION", False):
        raise RuntimeError("BACKEND cannot be combined with legacy FORCE_USE_FLEX_ATTENTION. BACKEND supersedes the "
                           "legacy knob; please drop FORCE_USE_FLEX_ATTENTION and only specify the desired BACKEND.")
    valid = typing.get_args(_Backend)
    if "BACKEND" in options and options["BACKEND"] not in valid:
        raise ValueError(f"Invalid BACKEND value '{options['BACKEND']}'. Must be one of {valid}")
    if "OUTPUT_LOGSUMEXP" in options:
        raise AssertionError("OUTPUT_LOGSUMEXP must not be in kernel_options")
    if "OUTPUT_MAX" in options:
        raise AssertionError("OUTPUT_MAX must not be in kernel_options")
    if options.get("BACKEND", "AUTO") == "FLASH" and want_max:
        raise NotImplementedError("Returning max scores is not supported with BACKEND='FLASH'. "
                                  "Use return_aux=AuxRequest(lse=True) or omit max_scores.")
    if want_max and query.device.type in ("cpu", "mps"):
        raise NotImplementedError("Returning max scores is not supported on CPU/MPS.")


def flex_attention(query, key, value, score_mod=None, block_mask=None, scale=None, enable_gqa=False,
                   return_lse=False, kernel_options=None, *, return_aux=None):
    """Attention with a ``score_mod`` applied to every score and ``block_mask.mask_mod`` choosing the positions kept.

    ``query`` is (B, Hq, L, E), ``key`` (B, Hkv, S, E), ``value`` (B, Hkv, S, Ev); the result is (B, Hq, L, Ev) in
    the query's dtype. ``scale`` defaults to 1/sqrt(E); ``enable_gqa`` lets Hq be a multiple of Hkv. Query rows
    whose every position is masked give zeros (and logsumexp -inf). ``return_aux=AuxRequest(lse=True)`` also
    returns the logsumexp of the scores (``return_lse=True`` is its deprecated spelling).
    """
    _check_inputs(query, key, value)
    _check_heads_and_batch(query, key, block_mask, enable_gqa)
    if score_mod is None:
        score_mod = _identity
    if block_mask is None:
        block_mask = _create_empty_block_mask(query, key)
    if getattr(block_mask, "mask_mod", None) is _sliced_mask_mod_error:
        raise RuntimeError("Cannot use mask_mod from a sliced BlockMask")
    _check_lengths(query, key, block_mask)
    if scale is None:
        scale = 1.0 / math.sqrt(query.size(-1))
    if query.device != block_mask.kv_num_blocks.device:
        raise RuntimeError("Expect q/k/v and block_mask to be on the same device but got "
                           f"{query.device} and {block_mask.kv_num_blocks.device}.")
    if return_lse and return_aux is not None:
        raise ValueError("Cannot specify both return_lse and return_aux. return_lse is deprecated, please use "
                         "return_aux=AuxRequest(lse=True) instead.")
    if return_lse:
        _warn_once("deprecated_return_lse", "return_lse is deprecated and will be removed in v2.10. Please use "
                   "return_aux=AuxRequest(lse=True) instead.", category=FutureWarning)
    want_lse = return_lse or (return_aux is not None and return_aux.lse)
    want_max = return_aux is not None and return_aux.max_scores
    _check_kernel_options(query, kernel_options, want_max)
    if not _FLEX_ATTENTION_DISABLE_COMPILE_DEBUG:
        _warn_once("flex_attention_performance", _PERFORMANCE_WARNING)

    out, lse, max_scores = math_attention(query, key, value, score_mod, block_mask.mask_mod, scale, want_lse,
                                          want_max)
    if return_aux is not None:
        return out, AuxOutput(lse=lse, max_scores=max_scores)
    if return_lse:
        return out, lse
    return out

