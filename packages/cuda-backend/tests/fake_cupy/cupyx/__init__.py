"""The part of ``cupyx`` tensorgraft uses, for the fake CuPy (see ../cupy): unbuffered scatter
operations, in place like CuPy's (``cupyx.scatter_add(a, slices, value)``: repeated indices
accumulate), here done with NumPy's ``ufunc.at``."""
import numpy as _np


def _plain(a):
    return a.view(_np.ndarray) if isinstance(a, _np.ndarray) else a


def _scatter(ufunc, a, slices, value):
    if isinstance(slices, tuple):
        slices = tuple(_plain(s) for s in slices)
    else:
        slices = _plain(slices)
    ufunc.at(_plain(a), slices, _plain(value))


def scatter_add(a, slices, value):
    _scatter(_np.add, a, slices, value)


def scatter_max(a, slices, value):
    _scatter(_np.maximum, a, slices, value)


def scatter_min(a, slices, value):
    _scatter(_np.minimum, a, slices, value)
