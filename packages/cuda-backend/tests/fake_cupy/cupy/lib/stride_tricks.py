"""``cupy.lib.stride_tricks`` for the fake CuPy: views stay device arrays, as CuPy's do."""
import numpy as _np


def as_strided(x, shape=None, strides=None):
    return _np.lib.stride_tricks.as_strided(x, shape=shape, strides=strides, subok=True)


def sliding_window_view(x, window_shape, axis=None, *, subok=False, writeable=False):
    return _np.lib.stride_tricks.sliding_window_view(x, window_shape, axis, subok=True, writeable=writeable)
