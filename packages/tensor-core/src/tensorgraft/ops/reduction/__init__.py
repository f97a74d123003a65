"""Reductions: sum, mean, prod, max/min, std/var, norms, cumulative ops, sorting.

One module per family, imported below in the order their ops register (the registry, and so its
listings, keep that order):

- ``sum_mean.py``: ``sum``, ``mean`` -- the hot ones, with a CPU fast path
- ``_shared.py``: helpers the families share; the (values, indices) named-tuple types
- ``gather_scatter_dim.py``: private ops the gradients of (values, indices) reductions go through
- ``nansum_prod.py``: ``nansum``, ``nanmean``, ``prod``
- ``extremes.py``: ``max``, ``min``, ``amax``, ``amin``, ``aminmax``, ``argmax``, ``argmin``
- ``variance.py``: ``std``, ``var``, ``std_mean``, ``var_mean``
- ``norms.py``: ``linalg.vector_norm``, ``norm``, ``logsumexp``
- ``cumulative.py``: ``cumsum``, ``cumprod``
- ``logical.py``: ``all``, ``any``, ``count_nonzero``
- ``sorting.py``: ``sort``, ``argsort``, ``topk``, ``median``, ``kthvalue``, ``nanmedian``, ``mode``
  (``sort_arguments.py``: their ``out=`` rules and argument parsing)
- ``softmax.py``: ``softmax``, ``log_softmax``
- ``hashing.py``: ``hash_tensor`` (the xor of the elements' 64-bit words)

Their gradients are in ``tensorgraft/autograd/formulas/reduction.py``.
"""
from __future__ import annotations

import numpy as np

from ... import dtypes as _dt
from ...grad_mode import state as _gs
from ...tensor import Tensor, wrap
from .. import _frontend as F
from .._frontend import check_tensor
from .._args import wrap_dim, wrap_dims
from .._define import CORE_OPS, defop
from .._return_types import return_type

_FIRST = len(CORE_OPS)

# Imported in registration order. Every name the single module ``reduction.py`` had stays
# importable from here (other modules import some of them, private ones included).
from .sum_mean import (
    _sum_kernel, _sum_cpu_numpy1, _SUM_ACC, _sum_frontend, _reduce_takes_array_out, _mean_kernel, _mean_frontend,
)
from ._shared import (
    _float_in, _int64_acc, _all_dims, _type_name, _n, _zero_dim_pair, _record_values, _refuse_complex, _no_grad,
)
from .gather_scatter_dim import (
    _along, _gather_kernel, _scatter_kernel, _gather_frontend, _scatter_frontend, _gather_op, _scatter_op,
    gather_dim, scatter_dim,
)
from .nansum_prod import _nansum_kernel, _nansum_frontend, _nanmean_frontend, _prod_kernel, _prod_frontend
from .extremes import (
    _extreme_kernel, _extreme_frontend, _amax_kernel, _amax_frontend, _aminmax_frontend, _argext_kernel,
    _argext_frontend,
)
from .variance import _var_kernel, _correction, _variance, _var_frontend, _std, _var, _var_mean_frontend
from .norms import (
    _vnorm_kernel, _reduced_shape, _vnorm_frontend, _vnorm, vector_norm, _norm_frontend, _logsumexp_kernel,
    _logsumexp_frontend,
)
from .cumulative import _cum_kernel, _cum_frontend
from .logical import _logical_reduce_kernel, _logical_reduce_frontend, _count_nonzero_frontend
from .sorting import (
    _argsort, _sort_kernel, _sort_frontend, _sort, _argsort_frontend, _topk_kernel, _topk_frontend, _median_kernel,
    _median_like_frontend, _median_frontend, _kthvalue_kernel, _kthvalue_frontend, _sample_tensor,
    _kthvalue_samples, _kthvalue_reference, _nanmedian_kernel, _nanmedian_frontend, _nanmedian_samples,
    _nanmedian_reference, _mode_kernel, _mode_frontend, _mode_samples, _mode_reference, _MODE_NOT_SMOOTH,
)
from .softmax import _softmax_kernel, _softmax_frontend
from .hashing import _hash_kernel, _hash_frontend

# the ops this module declares (tests check each differentiable one has a formula)
REDUCTION_OPS = CORE_OPS[_FIRST:]
