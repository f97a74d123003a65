"""Temporary export list of the second batch of distributions (merged into ``__init__`` afterwards)."""
__all__: list = []
