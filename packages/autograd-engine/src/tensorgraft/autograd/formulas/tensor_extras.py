"""Backward formulas of ``tensorgraft/ops/tensor_extras.py`` (filled in below)."""
