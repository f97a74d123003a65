"""Backward formulas of ``tensorgraft/ops/stft.py`` (filled in below)."""
