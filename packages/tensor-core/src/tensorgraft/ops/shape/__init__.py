"""Shape ops. Views (view, t, transpose, permute, squeeze, unsqueeze, expand, narrow, select,
diagonal, split...) share memory and the version counter with their base, as in PyTorch; copies
(reshape of a non-viewable layout, contiguous, clone, repeat, cat, flip, roll...) do not.

Composites (flatten, tile, hstack, movedim, broadcast_to, meshgrid...) are written with the
differentiable primitives below, so their graph nodes carry PyTorch's names (``ViewBackward0``,
``RepeatBackward0``, ``ExpandBackward0``...).

Submodules, in the order their ops register (ops register at import time, and the registry
keeps that order):

- ``_common``: recording view/copy results; fast-path dim, shape and int parsing
- ``reshape``: view, reshape, view_as, reshape_as, flatten, ravel, unflatten
- ``permute``: transpose, swapaxes/swapdims, t, permute, movedim, adjoint, ``.T``/``.mT``/``.mH``/``.H``
- ``squeeze_expand``: unsqueeze, squeeze, expand, broadcast_to, broadcast_tensors, broadcast_shapes
- ``repeat``: repeat, tile, repeat_interleave
- ``cat_stack``: cat, stack, atleast_nd, hstack/vstack/dstack/column_stack
- ``slicing``: narrow, select, split, chunk, tensor_split, unbind, hsplit/vsplit
- ``flip_roll``: flip, fliplr, flipud, roll, rot90
- ``diagonal``: diagonal, diag_embed, diag, tril, triu
- ``layout``: contiguous, clone, meshgrid, as_strided
- ``samples``: conformance-kit samples, and ``attach_samples`` (other families use it too)

Gradients: ``tensorgraft/autograd/formulas/shape.py``.
"""
from __future__ import annotations

# Every top-level name of the former single-module ``ops/shape.py`` is re-exported, the private
# ones included (other op modules import ``_finish_copy``, ``_int_arg``, ``_expand_error``... from
# this path; ``_n``, ``_f`` and ``_k`` are its loop variables). The first block is that module's
# own imports.
import numbers

import numpy as np

from ... import dtypes as _dt
from ...grad_mode import state as _gs
from ...tensor import Size, Tensor, wrap, wrap_view
from .. import _frontend as F
from .._frontend import check_tensor
from .._args import infer_size, shape_arg, wrap_dim
from .._define import CORE_OPS, defop, gradient_scatter

# the submodules, in registration order
from ._common import _dims_arg, _finish_copy, _finish_view, _infer, _int_arg, _shape, _wd
from .reshape import (
    _flatten, _NP_RESHAPE_NO_COPY, _ravel, _reshape_as, _reshape_frontend, _try_view, _unflatten, _view, _view_as,
    _view_dtype, _view_frontend, _view_kernel,
)
from .permute import (
    _adjoint, _f, _movedim, _n, _permute_frontend, _permute_kernel, _prop_H, _prop_mH, _prop_mT, _prop_T, _t_frontend,
    _transpose, _transpose_frontend, t_dims,
)
from .squeeze_expand import (
    _broadcast_tensors, _broadcast_to, _expand_as, _expand_error, _expand_frontend, _squeeze_frontend,
    _unsqueeze_frontend, broadcast_shapes, infer_broadcast_shape,
)
from .repeat import _repeat_frontend, _repeat_interleave, _repeat_kernel, _tile, _to
from .cat_stack import (
    _atleast, _cat, _cat_checks, _cat_frontend, _cat_kernel, _column_stack, _common_dtype, _dstack, _hstack, _k,
    _stack_frontend, _stack_kernel, _tensor_list, _vstack,
)
from .slicing import (
    _chunk, _cut_dim, _hvdsplit, _narrow, _pieces, _pieces_frontend, _pieces_kernel, _select, _slice, _slice_frontend,
    _slice_kernel, _split, _split_with_sizes, _tensor_split, _unbind,
)
from .flip_roll import _flip_frontend, _fliplr, _flipud, _roll_frontend, _roll_kernel, _rot90_frontend
from .diagonal import (
    _diag_dims, _diag_embed_frontend, _diag_frontend, _diag_scatter_kernel, _diagonal, _diagonal_frontend,
    _diagonal_kernel, _tri_frontend, diagonal_backward,
)
from .layout import (
    _as_strided_frontend, _as_strided_kernel, _clone_frontend, _contiguous_format, _contiguous_frontend, _dense_order,
    _meshgrid, _offset_of,
)
from .samples import _lists, _mk, _one, _pair_samples, _SHAPE_SAMPLES, attach_samples
