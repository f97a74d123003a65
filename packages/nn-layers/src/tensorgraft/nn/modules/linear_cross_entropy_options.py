"""``LinearCrossEntropyOptions``: how ``F.linear_cross_entropy`` splits the batch into chunks.

Passing an instance opts in to the chunked path, which never holds the whole ``(N, C)`` logits;
``options=None`` keeps the reference ``cross_entropy(linear(...))``. The ``"auto"`` sentinels are
resolved per call (``_adjust``), against the input's device and dtype.
"""
from __future__ import annotations

import dataclasses
from typing import Literal, NamedTuple

import tensorgraft as _tg

__all__ = ["LinearCrossEntropyOptions"]


class _AutoDefault(NamedTuple):
    acc_policy: str
    chunking_method: str


# PyTorch's per-(device type, dtype) picks for the "auto" sentinels; every other pair takes the
# fallback
_AUTO_DEFAULTS = {
    ("cuda", _tg.bfloat16): _AutoDefault("compact", "aspect_ratio:2"),
    ("cuda", _tg.float16): _AutoDefault("compact", "aspect_ratio:2"),
    ("cpu", _tg.bfloat16): _AutoDefault("accurate", "aspect_ratio"),
    ("cpu", _tg.float16): _AutoDefault("accurate", "aspect_ratio"),
}
_AUTO_FALLBACK = _AutoDefault("compact", "aspect_ratio:2")

_ACC_POLICIES = ("auto", "accurate", "balanced", "compact")


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _aspect_ratio_factor(method: str):
    """N of ``"aspect_ratio:N"`` (1 for plain ``"aspect_ratio"``); None for anything else."""
    name, colon, factor = method.partition(":")
    if name != "aspect_ratio":
        return None
    if not colon:
        return 1
    return int(factor) if factor.isdigit() and int(factor) > 0 else None


@dataclasses.dataclass(slots=True, frozen=True)
class LinearCrossEntropyOptions:
    """Configuration of the chunked implementation of :func:`tensorgraft.nn.functional.linear_cross_entropy`.

    The batch is processed ``batch_chunk_size`` rows at a time, so only a ``(batch_chunk_size,
    num_classes)`` block of logits exists at once. Configurations the chunked path does not support
    (label smoothing, probability targets, K-dimensional weights) run the reference path with a warning.

    - ``allow_retain_graph``: for ``"mean"``/``"sum"`` the gradients are computed during the forward
      and handed out by the first backward; ``True`` keeps them for further backwards (one extra
      gradient-sized allocation per call). ``"none"`` recomputes in backward and ignores this.
    - ``batch_chunk_size``: rows per chunk; ``None`` with ``chunking_method=None`` means one chunk.
      Giving it with ``chunking_method="auto"`` uses it as is; with an explicit method the two
      must agree.
    - ``chunking_method``: ``"auto"``, ``"aspect_ratio"`` (a chunk's logits about the size of the
      input: ``next_pow2(ceil(N / ceil(C / in_features)))`` rows), ``"aspect_ratio:N"`` (that
      divided by N) or ``None`` (use ``batch_chunk_size``).
    - ``acc_policy``: ``"accurate"``, ``"balanced"``, ``"compact"`` or ``"auto"``; the precision and
      memory trade-off for half-precision inputs.
    - ``acc_dtype``: the dtype sums are accumulated in; ``None`` picks float32 for float16 and
      bfloat16 inputs under ``acc_policy="auto"``, the input's dtype otherwise.
    """

    allow_retain_graph: bool = False
    batch_chunk_size: int | None = None
    chunking_method: str | None = "auto"
    acc_policy: Literal["accurate", "balanced", "compact", "auto"] = "auto"
    acc_dtype: object = None

    def __post_init__(self):
        if self.acc_policy not in _ACC_POLICIES:
            raise ValueError(f"invalid acc_policy: {self.acc_policy!r}")
        method = self.chunking_method
        if method is not None and method != "auto" and _aspect_ratio_factor(method) is None:
            raise ValueError(f"invalid chunking_method: {method!r}")
        size = self.batch_chunk_size
        if size is not None and not (isinstance(size, int) and size > 0):
            raise ValueError(f"batch_chunk_size must be positive int or None, got {size!r}")
        if self.acc_dtype is not None and self.acc_dtype not in (_tg.float16, _tg.bfloat16, _tg.float32, _tg.float64):
            raise ValueError(
                "acc_dtype must be one of {None, torch.float16, torch.bfloat16, torch.float32, torch.float64}, got "
                f"{self.acc_dtype!r}. Pass acc_dtype=None to let the op pick automatically.")

    @staticmethod
    def _resolve_auto_acc_dtype(dtype, device):
        """float32 for float16 and bfloat16 inputs where a mixed-precision matmul exists (CPU; CUDA
        from compute capability 7.0 for float16, 8.0 for bfloat16); None where the input's own dtype
        should be used."""
        if device is None or dtype not in (_tg.float16, _tg.bfloat16):
            return None
        if device.type == "cpu":
            return _tg.float32
        if device.type == "cuda":
            try:
                import tensorgraft.cuda as cuda
                major = cuda.get_device_capability(device)[0] if cuda.is_available() else 0
            except ImportError:
                return None
            return _tg.float32 if major >= (8 if dtype == _tg.bfloat16 else 7) else None
        return None

    def _compute_batch_chunk_size(self, num_batches, in_features, num_classes, method=None):
        """Rows per chunk that ``method`` (default: this instance's) gives for these sizes."""
        method = str(method if method is not None else self.chunking_method)
        factor = _aspect_ratio_factor(method)
        if factor is None:
            raise AssertionError(f"unhandled chunking_method: {method!r}")
        # as many chunks as the logits are times larger than the input, rounded to a power of two
        rows = _ceil_div(num_batches, _ceil_div(num_classes, in_features))
        return min((1 << (rows - 1).bit_length()) // factor, num_batches)

    def _adjust(self, num_batches, in_features, num_classes, dtype, device=None):
        """A copy with every sentinel resolved for one call: a concrete ``acc_policy``,
        ``chunking_method`` (or None), ``batch_chunk_size`` and ``acc_dtype``."""
        policy, method = self.acc_policy, self.chunking_method
        if method == "auto" and self.batch_chunk_size is not None:
            method = None  # an explicit size wins over the automatic choice
        if "auto" in (policy, method):
            auto = _AUTO_DEFAULTS.get((device.type, dtype), _AUTO_FALLBACK) if device is not None else _AUTO_FALLBACK
            policy = auto.acc_policy if policy == "auto" else policy
            method = auto.chunking_method if method == "auto" else method
        size = num_batches if self.batch_chunk_size is None else min(self.batch_chunk_size, num_batches)
        if method is not None:
            size = self._compute_batch_chunk_size(num_batches, in_features, num_classes, method)
            if self.batch_chunk_size is not None and self.batch_chunk_size != size:
                raise ValueError(
                    f"batch_chunk_size (={self.batch_chunk_size}) and chunking_method ('{method}') give different "
                    f"chunk sizes ({self.batch_chunk_size} vs {size}); pass only one.")
        acc_dtype = self.acc_dtype
        if acc_dtype is None:
            auto_acc = self._resolve_auto_acc_dtype(dtype, device) if self.acc_policy == "auto" else None
            acc_dtype = dtype if auto_acc is None else auto_acc
        return dataclasses.replace(self, acc_policy=policy, chunking_method=method, batch_chunk_size=max(1, size),
                                   acc_dtype=acc_dtype)
