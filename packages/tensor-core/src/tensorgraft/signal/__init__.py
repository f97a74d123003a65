"""``tensorgraft.signal``: the ``torch.signal`` namespace (signal-processing helpers).

Only ``windows`` exists, as in PyTorch; the ``stft``/``istft`` transforms are top-level functions.
"""
from . import windows

__all__ = ["windows"]
