"""Indexing: ``__getitem__``/``__setitem__`` (ints, slices, ellipsis, None, bool masks, integer
tensors, with PyTorch's advanced-indexing rules), gather/scatter, index_select/add/fill/copy,
masked ops, take, nonzero, where, searchsorted/bucketize.

A normalised index is a pair ``(basic, adv)``: ``basic`` is a tuple of ints/slices/None/Ellipsis
applied first (a view, as PyTorch applies ints and slices before tensor indices), ``adv`` the
NumPy advanced index applied to that view (None when there is none). Applying integers first is
what makes ``x[0, :, [0, 1]]`` come out as PyTorch shapes it (NumPy would move the advanced dim
to the front).

Submodules, in the order their ops register (ops register at import time, and the registry
keeps that order):

- ``normalize``: a Python index -> ``(basic, adv)``; applying it; PyTorch's index errors
- ``getitem``: ``Tensor.__getitem__`` and ``index_apply`` (which formulas call)
- ``setitem``: ``Tensor.__setitem__``, writes through views, and the index backward
- ``gather_scatter``: gather, scatter, scatter_add, scatter_reduce
- ``index_family``: index_select, index_add, index_copy, index_fill
- ``masked``: masked_fill, masked_select, masked_scatter
- ``selection``: take, take_along_dim, nonzero, argwhere, where, searchsorted, bucketize
- ``index_put``: the functional index_put
- ``samples``: conformance-kit samples of the ops above

Gradients: ``tensorgraft/autograd/formulas/indexing.py``.
"""
from __future__ import annotations

# Every top-level name of the former single-module ``ops/indexing.py`` is re-exported, the
# private ones included: formulas and other op modules import helpers from this path
# (``index_backward``, ``_xp``, ``_add_at``...). The first block is that module's own imports.
import re
import warnings

import numpy as np

from ... import dtypes as _dt
from ...grad_mode import state as _gs
from ...tensor import Tensor, wrap, wrap_view
from .. import _frontend as F
from .._args import wrap_dim
from .._define import defop, gradient_scatter

# the submodules, in registration order
from .normalize import (
    _AXIS_RE, _bounds_error, _check_slice, _consumed, _DIMS_RE, _FULL, _INTS, _is_seq_index, _mask_message,
    _seq_to_array, _to_dev, _translate_index_error, _xp, apply_index, normalize_index,
)
from .getitem import _getitem, _getitem_frontend, _getitem_kernel, _node_name, index_apply
from .setitem import (
    _add_at, _alias_history, _basic_index_view_name, _index_backward_kernel, _index_makes_view, _index_put_kernel,
    _scatter_at_index, _setitem, _setitem_frontend, _setitem_into_view, _setitem_node_name, _store, assign_into_view,
    index_backward, masked_out, region_of,
)
from .gather_scatter import (
    _check_gather_bounds, _gather_frontend, _gather_kernel, _grid, _index_tensor, _REDUCE_INIT, _REDUCERS,
    _scatter_checks, _scatter_frontend, _scatter_kernel, _scatter_reduce_frontend, _scatter_reduce_kernel, _ufunc_at,
)
from .index_family import (
    _first_out_of_range, _index_add_checks, _index_add_frontend, _index_add_kernel, _index_args, _index_bounds,
    _index_copy_checks, _index_copy_frontend, _index_copy_kernel, _index_fill_frontend, _index_fill_kernel,
    _index_select_frontend, _index_select_kernel, _index_vector_checks, _moved, _source_checks, _vec_index,
)
from .masked import (
    _broadcast_shape, _mask_arg, _masked_fill_frontend, _masked_fill_inplace_check, _masked_fill_kernel,
    _masked_scatter_frontend, _masked_scatter_inplace_check, _masked_scatter_kernel, _masked_select_frontend,
    _masked_select_kernel,
)
from .selection import (
    _argwhere, _bucketize, _nonzero_frontend, _nonzero_kernel, _searchsorted, _searchsorted_frontend,
    _searchsorted_kernel, _take_along_dim, _take_frontend, _take_kernel, _where, _where_frontend, _where_kernel,
    _where_method,
)
from .index_put import _index_put_frontend
from .samples import (  # last: it attaches samples to the ops registered above
    _attach, _CORE_OPS, _INDEX_SAMPLES, _it, _mk, _np_gather, _np_index_fill, _samples, _setitem_samples,
)
