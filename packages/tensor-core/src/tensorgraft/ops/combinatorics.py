"""Matrices built from vectors and products of sets: ``block_diag``, ``diagflat``, ``vander``,
``cartesian_prod`` and ``combinations``.

Except ``block_diag`` (its own node, ``BlockDiagBackward0``, as in PyTorch) these are composites
written the way PyTorch writes them, so the gradient and the ``grad_fn`` users see are the same:
``vander`` builds the powers out of place and flips them (PyTorch's slice fill, whose backward
fails there, is not copied), ``cartesian_prod`` and
``combinations`` stack columns (``StackBackward0``).
"""
from __future__ import annotations

import itertools
from tensorgraft.argument_errors import not_a_tensor_in_list

import numpy as np

from .. import dtypes as _dt
from ..grad_mode import state as _gs
from ..tensor import Tensor, wrap
from ._frontend import check_tensor
from ._args import bind_arguments, check_bool, is_int, wrong_type
from ._define import CORE_OPS, defop

_FIRST = len(CORE_OPS)


def _mk(shape, dtype, device, seed, lo=-2.0, hi=2.0):
    from ..testing import make_tensor
    return make_tensor(shape, dtype=dtype, device=device, low=lo, high=hi, seed=seed)


def _tensors(args, name):
    # PyTorch's Python ``block_diag(*tensors)``/``cartesian_prod(*tensors)`` hand the tuple to one
    # TensorList argument: a list given for the tensors is an element that is not a Tensor
    for i, t in enumerate(args):
        if not isinstance(t, Tensor):
            raise not_a_tensor_in_list(i, t)
    return args


# =========================================================================== block_diag
def _block_diag_kernel(xp, arrays, npd):
    rows = sum(a.shape[0] for a in arrays)
    cols = sum(a.shape[1] for a in arrays)
    out = xp.zeros((rows, cols), dtype=npd)
    r = c = 0
    for a in arrays:
        h, w = a.shape
        out[r:r + h, c:c + w] = a
        r, c = r + h, c + w
    return out


def _block_diag_frontend(op):
    table = op.table

    def block_diag(*tensors):
        tensors = _tensors(tensors, "block_diag")
        if not tensors:
            from .creation import empty
            return empty((1, 0))
        dev = tensors[0]._device
        for i, t in enumerate(tensors):
            if t._data.ndim > 2:
                raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has "
                                   f"{t._data.ndim} dimensions")
            if t._device is not dev:
                raise RuntimeError(f"torch.block_diag: input tensors must all be on the same device. Input 0 is on "
                                   f"device {tensors[0].device} and input {i} is on device {t.device}")
        npd = _dt.result_type_ranked([(t.dtype, _dt.DIMENSIONED) for t in tensors]).np
        # 0-d -> (1, 1), 1-d (n,) -> (1, n)
        arrays = [t._data.reshape((1,) * (2 - t._data.ndim) + t._data.shape) for t in tensors]
        out = wrap(table[dev.type](arrays, npd), dev)
        if _gs.enabled and any(t._requires_grad for t in tensors):
            blocks, r, c = [], 0, 0
            for a, t in zip(arrays, tensors):
                blocks.append((r, c, a.shape[0], a.shape[1], t._data.shape))
                r, c = r + a.shape[0], c + a.shape[1]
            Tensor._autograd.record(op, out, tuple(tensors), {"blocks": blocks})
        return out
    return block_diag


def _block_diag_samples(dtype, device):
    a, b, c = _mk((2, 3), dtype, device, 180), _mk((2,), dtype, device, 181), _mk((), dtype, device, 182)
    return [((a, b, c), {}), ((_mk((3, 1), dtype, device, 183), a), {}), ((b,), {})]


def _block_diag_reference(*arrays):
    mats = [np.atleast_2d(a) for a in arrays]
    out = np.zeros((sum(m.shape[0] for m in mats), sum(m.shape[1] for m in mats)), np.result_type(*mats))
    r = c = 0
    for m in mats:
        out[r:r + m.shape[0], c:c + m.shape[1]] = m
        r, c = r + m.shape[0], c + m.shape[1]
    return out


defop("block_diag", kernel=_block_diag_kernel, frontend=_block_diag_frontend, method=False,
      samples=_block_diag_samples, reference=_block_diag_reference)


# =========================================================================== diagflat
def _diagflat(input, offset=0):
    check_tensor(input, "diagflat")
    return input.reshape(-1).diag(offset)  # PyTorch: self.contiguous().view(-1).diag(offset)


def _diagflat_samples(dtype, device):
    return [((_mk((2, 2), dtype, device, 184),), {}), ((_mk((3,), dtype, device, 185), 1), {}),
            ((_mk((), dtype, device, 186),), {"offset": -2})]


defop("diagflat", frontend=lambda op: _diagflat, composite=True, samples=_diagflat_samples,
      reference=lambda a, offset=0: np.diagflat(a, offset))


# =========================================================================== vander
def _vander(x, N=None, increasing=False):
    import tensorgraft as tg
    check_tensor(x, "vander", "x")
    if x._data.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x._data.shape[0] if N is None else int(N)
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    # integer (and bool) inputs give int64, as cumprod promotes them
    dtype = _dt.promote_types(x.dtype, _dt.int64)
    rows = x._data.shape[0]
    if n <= 1:
        result = tg.ones((rows, n), dtype=dtype, device=x.device)
    else:
        # PyTorch fills ones, copies x into the slice [:, 1:] and cumprods it there (CopySlices);
        # its backward then fails ("modified by an inplace operation"), so the same values are
        # formed out of place: only increasing=True shows another node (CatBackward0)
        powers = x.to(dtype).unsqueeze(1).expand(rows, n - 1).cumprod(1)
        result = tg.cat([tg.ones((rows, 1), dtype=dtype, device=x.device), powers], 1)
    return result if increasing else result.flip(1)


def _vander_samples(dtype, device):
    x = _mk((3,), dtype, device, 187, -1.5, 1.5)
    return [((x,), {}), ((x,), {"N": 2}), ((x, 4, True), {})]


defop("vander", frontend=lambda op: _vander, method=False, composite=True, samples=_vander_samples,
      reference=lambda x, N=None, increasing=False: np.vander(x, N, increasing))


# =========================================================================== cartesian_prod / combinations
def _cartesian_prod(*tensors):
    import tensorgraft as tg
    tensors = _tensors(tensors, "cartesian_prod")
    for t in tensors:
        if t._data.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t._data.shape)}")
    if len(tensors) == 1:
        return tensors[0]  # the input itself, as PyTorch
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    if any(t._data.dtype != tensors[0]._data.dtype for t in tensors):
        raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    grids = tg.meshgrid(*tensors, indexing="ij")
    return tg.stack([g.flatten() for g in grids], 1)


def _cartesian_prod_samples(dtype, device):
    a, b, c = _mk((3,), dtype, device, 188), _mk((2,), dtype, device, 189), _mk((2,), dtype, device, 190)
    return [((a, b), {}), ((a, b, c), {}), ((a,), {})]


def _cartesian_prod_reference(*arrays):
    if len(arrays) == 1:
        return arrays[0]
    return np.array(list(itertools.product(*arrays)))


defop("cartesian_prod", frontend=lambda op: _cartesian_prod, method=False, composite=True,
      samples=_cartesian_prod_samples, reference=_cartesian_prod_reference)


def _combinations(*args, **kwargs):
    """``combinations(Tensor input, int r=2, bool with_replacement=False)``, its arguments checked
    as PyTorch's parser does (an int ``r``, a bool ``with_replacement``: no bools or ints in their
    place), with ``(position N)`` for those given positionally."""
    import tensorgraft as tg
    names = ("input", "r", "with_replacement")
    if len(args) > 3:
        raise TypeError(f"combinations() takes from 1 to 3 positional arguments but {len(args)} were given")
    given = bind_arguments("combinations", names, args, kwargs)
    if "input" not in given:
        raise TypeError('combinations() missing 1 required positional arguments: "input"')
    npos = len(args)
    input = given["input"]
    r = given.get("r", 2)
    with_replacement = given.get("with_replacement", False)
    if not isinstance(input, Tensor):
        raise wrong_type("combinations", "input", "Tensor", input, 1 if npos > 0 else None)
    if r.__class__ is not int and not is_int(r):
        raise wrong_type("combinations", "r", "int", r, 2 if npos > 1 else None)
    check_bool("combinations", "with_replacement", with_replacement, 3 if npos > 2 else None)
    r = int(r)
    if input._data.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input._data.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return tg.empty((0,), dtype=input.dtype, device=input.device)
    # PyTorch's algorithm: an r-dimensional meshgrid of the input, each grid masked to the index
    # tuples in order (i1 < i2 < ... or <= with replacement), stacked; so the graph reads
    # StackBackward0 <- MaskedSelectBackward0 <- ExpandBackward0 <- ViewBackward0 as PyTorch's.
    # The mask depends only on the length (never on the values): built on the host.
    n = input._data.shape[0]
    grid_idx = np.indices((n,) * r)
    mask = np.ones((n,) * r, dtype=bool)
    for k in range(1, r):
        mask &= (grid_idx[k - 1] <= grid_idx[k]) if with_replacement else (grid_idx[k - 1] < grid_idx[k])
    mask_t = tg.tensor(mask, device=input.device)
    grids = tg.meshgrid(*([input] * r), indexing="ij")
    return tg.stack([g.masked_select(mask_t) for g in grids], 1)


def _combinations_samples(dtype, device):
    x = _mk((4,), dtype, device, 191)
    return [((x,), {}), ((x, 3), {}), ((x, 2, True), {}), ((x,), {"r": 1}), ((x, 5), {})]


def _combinations_reference(a, r=2, with_replacement=False):
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    return np.array(list(pick(a.tolist(), r)), dtype=a.dtype).reshape(-1, r)


defop("combinations", frontend=lambda op: _combinations, method=False, composite=True,
      samples=_combinations_samples, reference=_combinations_reference)

COMBINATORICS_OPS = CORE_OPS[_FIRST:]
