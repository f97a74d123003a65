"""The Python values a checkpoint holds besides tensors and plain containers, and how each is named:
the mapping types kept apart, NumPy dtypes no tensor has, ``argparse.Namespace``, ``pathlib``
paths, ``datetime`` values and ``defaultdict`` factories.

Separate because three parts agree on this list: the encoder writes these values, the decoder
validates and rebuilds them, and the weights_only check refuses some of them by the names PyTorch
gives their classes.
"""
from __future__ import annotations

import collections

import numpy as np

# the dict types a checkpoint keeps apart (the ones PyTorch's weights_only loading accepts)
_MAPPING_TAGS = {dict: "d", collections.OrderedDict: "od", collections.Counter: "ctr"}
# unsigned NumPy integer types no tensor dtype matches (np.random.get_state() holds a uint32 array)
_NP_ONLY_UINTS = ("uint16", "uint32", "uint64")


def _raw_numpy_dtype(text):
    """The NumPy dtype a raw-bytes array record names, or None when it is not one that can be
    rebuilt from plain bytes (structured, sub-array, object or zero-size dtypes are not)."""
    if not isinstance(text, str) or len(text) > 16:
        return None
    try:
        dt = np.dtype(text)
    except (TypeError, ValueError):
        return None
    if dt.kind not in "biufcUS" or dt.fields is not None or dt.subdtype is not None or dt.hasobject \
            or dt.itemsize == 0 or dt.str != text:
        return None
    return dt


def _argparse_namespace():
    import argparse
    return argparse.Namespace


def _path_classes():
    """The pathlib classes a checkpoint can hold (a path in a saved config)."""
    import pathlib
    return (pathlib.PurePath, pathlib.PurePosixPath, pathlib.PureWindowsPath, pathlib.Path, pathlib.PosixPath,
            pathlib.WindowsPath)


def _time_classes():
    """The datetime classes a checkpoint can hold (naive ones: a saved timezone would need its class)."""
    import datetime
    return (datetime.datetime, datetime.date, datetime.time, datetime.timedelta)


def _global_name(cls) -> str:
    """How PyTorch's weights_only messages name a class: ``module.qualname`` (builtins bare)."""
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


# what a saved defaultdict's default_factory may be, by name (builtin types: nothing to import)
_DEFAULTDICT_FACTORIES = {c.__name__: c for c in (list, dict, set, frozenset, tuple, int, float, complex, bool,
                                                  str, bytes, bytearray)}
