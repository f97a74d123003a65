"""``torch.backends.mha``: the switch for the inference fast path of ``nn.MultiheadAttention``,
``nn.TransformerEncoderLayer`` and ``nn.TransformerEncoder``. tensorgraft has no fused kernels, but
it reproduces what PyTorch's fast path does differently from the ordinary path (a query with every
key masked gives NaN, the causal hint is ignored, the encoder zeroes padded positions), so the flag
does change tensorgraft's results: with it off those modules always take their ordinary path."""
from __future__ import annotations

_is_fastpath_enabled: bool = True


def get_fastpath_enabled() -> bool:
    """Whether the fast path may be taken (it is taken only when the inputs allow it as well)."""
    return _is_fastpath_enabled


def set_fastpath_enabled(value: bool) -> None:
    """Allow (True) or rule out (False) the fast path."""
    global _is_fastpath_enabled
    _is_fastpath_enabled = value
