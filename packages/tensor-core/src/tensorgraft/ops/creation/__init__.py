"""Creating tensors: from data, filled, ranges, identity, legacy typed constructors. (Random
sampling, built on these helpers, is ``ops/sampling``.)

Modules, each one kind of factory:

- ``_common``: size and ``dtype=`` parsing, making and wrapping the array on its device, message helpers
- ``from_data``: ``tensor(data)``, ``scalar_tensor`` (dtype inference, ragged data, checked conversion)
- ``fills``: ``zeros``/``ones``/``empty``/``full``, the ``*_like`` forms, ``empty_strided``, ``eye``,
  ``tril_indices``/``triu_indices``, ``checked_fill_value``
- ``ranges``: ``arange``, ``range``, ``linspace``, ``logspace`` (PyTorch's kernels' exact values)
- ``legacy``: ``FloatTensor``, ``LongTensor``, ... (the legacy typed constructors)

No op is registered here (these are factories, not dispatched ops), so import order does not
affect the op registry.
"""
from __future__ import annotations

# the former single module's own imports (what ``creation.x`` reached before stays reachable)
import math
import numbers

import numpy as np

from ... import dtypes as _dt
from ...device import device as _device, get_backend
from ...grad_mode import state as _gs
from ...caller_warnings import warn_once_at_caller
from ...tensor import Size, Tensor, _warn_scalar_of_grad, wrap
from ... import memory_layout as _ml
from .. import _frontend as F
from ..conversion import asarray, frombuffer, move_array, resolve_device  # noqa: F401  (re-exported)
from .._args import ONE_SEQUENCE_ONLY, invalid_combination

# Every top-level name of the former single module ``creation.py`` stays importable from here,
# the private ones included (``ops/sampling``, ``fft``, ``tensor.py`` and others import its helpers).
from ._common import (
    _CPU, _KERNEL_TYPE_NAMES, _PY_DTYPES, _check_dtype, _check_requires_grad, _cnum, _create, _finish, _make,
    _not_implemented, _size,
)
from .fills import (
    _fill_dtype, _filled, _in_format, _like, _like_layout, checked_fill_value, empty, empty_like, empty_strided, eye,
    full, full_like, ones, ones_like, tril_indices, triu_indices, zeros, zeros_like,
)
from .from_data import (
    _ARRAYS_SLOW, _BAD_DATA, _cast_checked, _check_rectangular, _conversion_error, _infer_dtype, _leading_shape,
    _pyrange, _refuse_str_dimension, _to_nested, copy_construct_warning, scalar_tensor, tensor, tensor_from_data,
)
from .ranges import (
    _float_range, _fma, _linspace_values, _num, _range_dtype, _steps_arg, arange, linspace, logspace, range,
)
from .legacy import (
    _legacy, _legacy_construct, _LegacyMeta, BoolTensor, ByteTensor, CharTensor, DoubleTensor, FloatTensor,
    HalfTensor, BFloat16Tensor, IntTensor, LongTensor, ShortTensor,
)

__all__ = [
    "tensor", "zeros", "ones", "empty", "full", "zeros_like", "ones_like", "empty_like", "full_like",
    "arange", "range", "linspace", "logspace", "eye", "FloatTensor", "DoubleTensor",
    "LongTensor", "IntTensor", "BoolTensor", "ByteTensor", "HalfTensor", "BFloat16Tensor", "ShortTensor", "CharTensor",
    "scalar_tensor", "empty_strided", "tril_indices", "triu_indices", "asarray", "frombuffer",
]

# The public factories and classes defined in the modules above (and the legacy classes'
# metaclass, which ``type(FloatTensor)`` shows) say they are this module's, as before the split:
# reprs and pickles that name them (``tensorgraft.ops.creation.zeros``) are unchanged. (``asarray``
# and ``frombuffer`` are ``conversion``'s and keep saying so.)
for _obj in [globals()[_n] for _n in __all__] + [_LegacyMeta]:
    if _obj.__module__.startswith(__name__ + "."):
        _obj.__module__ = __name__
del _obj


# --------------------------------------------------------------------------- moved names
def __getattr__(name):
    """The random samplers (``rand``, ``normal``, ``dropout_mask``, ``write_host_values``, their
    helpers...) lived here before ``sampling.py``; code that imports them from this module keeps
    working. Resolved on first use because ``sampling`` imports this module."""
    if not name.startswith("__"):
        from .. import sampling
        if name in vars(sampling):
            return vars(sampling)[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
