"""Backward formulas of ``tensorgraft/ops/stft.py``: none are needed.

``stft`` and ``istft`` are composites of differentiable ops (``unfold``, the fft primitives,
``index_add``, ``squeeze_``/``transpose_``...), as they are in PyTorch, so their gradients (to the
signal and to the window) come from those ops' formulas and their ``grad_fn`` is the last op's.
"""
