"""Random sampling: the factories that draw fresh tensors (``rand``, ``randn``, ``randint``,
``randperm``, ``normal``, ``bernoulli``, ``multinomial`` and their ``*_like`` forms), the Tensor
methods that refill a tensor in place (``uniform_``, ``normal_``, ``random_``, ``exponential_``...)
and the dropout mask ``nn.functional`` draws.

Every sampler takes its numbers from a stream (``tensorgraft.random.random_stream``): on the CPU,
the stream in ``cpu/random_stream.py`` that reproduces PyTorch's draws, which these frontends call
with the result's dtype and in PyTorch's order; on a device whose backend brings its own stream,
draws made on the device itself. The tensor-building helpers (sizes, dtypes, devices) are
``ops/creation``'s, which this package builds on.

- ``streams.py``: the plumbing every sampler shares -- which stream, whether it draws PyTorch's
  numbers, its draw precision, the bound checks and PyTorch's wording of their errors
- ``factories.py``: ``rand``, ``randn``, ``randint``, ``randperm``, ``normal`` and the ``*_like`` forms
- ``discrete.py``: ``bernoulli`` and ``multinomial``
- ``inplace_fill.py``: the in-place Tensor methods (set on ``Tensor`` at import), ``write_host_values``
  and ``dropout_mask``
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from ... import dtypes as _dt
from ... import memory_layout as _ml
from ...cpu.fill_order import fill_values, from_memory_order, memory_axes, to_memory_order
from ...device import device as _device, get_backend
from ...random import random_stream
from ...tensor import Size, Tensor
from .. import _frontend as F
from .._define import defop
from ..conversion import move_array, resolve_device
from ..creation import (
    _KERNEL_TYPE_NAMES, _check_dtype, _cnum, _finish, _like_layout, _make, _not_implemented, _size, empty_like,
)

__all__ = [
    "rand", "randn", "randint", "randperm", "normal", "bernoulli", "multinomial", "rand_like", "randn_like",
    "randint_like",
]

# Every name the single module ``sampling.py`` had stays importable from here (``ops/creation``
# forwards old imports of the samplers to this namespace; other modules import private helpers).
from .streams import (
    _CPU, _C_TYPE_NAMES, _no_random_bounds_for_complex, _check_int_bounds, _stream, _matches_pytorch, _pytorch_draw,
    _HALF_VARIANCE, _draw_dtype, _drawn, _P_IN_RANGE, _operand, _any,
)
from .factories import (
    _SIZE_OVERLOADS, _no_size, _sample, _out_dtype_and_device, rand, randn, _strided_like, _requires_grad,
    _sample_like, rand_like, randn_like, _int_arg, _RANDINT_KW, _RANDINT_OVERLOADS, randint, randint_like, randperm,
    _RANDPERM_FLOAT_LIMITS, _check_randperm_fits, normal, _normal_samples, _normal_op,
)
from .discrete import (
    bernoulli, _pytorch_bernoulli, multinomial, _draw_row, _check_multinomial, _multinomial_on_device,
    _check_rows_with_replacement,
)
from .inplace_fill import (
    _write_samples, _write_values, write_host_values, _fill, dropout_mask, _float_only, _continuous_only,
    _complex_parts, _uniform_, _normal_, _exponential_, _log_normal_, _cauchy_, _geometric_, _random_, _bernoulli_,
)
