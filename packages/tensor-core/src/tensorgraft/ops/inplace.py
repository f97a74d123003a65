"""In-place ops the generic ``make_inplace`` cannot express.

- Shape changes of the tensor itself (``squeeze_``, ``unsqueeze_``, ``t_``, ``transpose_``...):
  the tensor keeps its identity and memory and takes the view's metadata; its history ends in the
  view's node under PyTorch's in-place name (``SqueezeBackward3``, ``TransposeBackward1``...).
- Comparisons written back into ``self`` (``eq_``...): the bool result is cast to ``self``'s dtype;
  PyTorch records a node with zero gradients (``EqBackward0``/``1``), whereas the logical ones
  (``logical_and_``...) record nothing and leave ``self``'s history as it was.
- ``fill_diagonal_``.
"""
from __future__ import annotations

import types

import numpy as np

from ..grad_mode import state as _gs
from ..tensor import Tensor, wrap
from . import _frontend as F
from ._frontend import check_tensor
from ._args import wrap_dim
from ._define import CORE_OPS, defop
from .shape import t_dims
from tensorgraft.dtypes import np_kind as _np_kind

_OPS = {op.name: op for op in CORE_OPS}  # the out-of-place ops declared before this module


def _old_history(t):
    """A stand-in for ``t`` as it is before the change (its data is never read by view formulas)."""
    from .indexing import _alias_history
    return _alias_history(t)


# --------------------------------------------------------------------------- shape changes in place
def _restride(self, name, view, op_name, attrs, node):
    """Give ``self`` the metadata of ``view`` (a view of its own memory) and record the change."""
    F.check_not_inference(self)
    rec = _gs.enabled and self._requires_grad
    if rec:
        F.check_inplace_allowed(self, name)
        old = _old_history(self)
    self._data = view
    self._vc[0] += 1
    if rec:
        Tensor._autograd.record(_OPS[op_name], self, (old,), attrs, node_name=node)
    return self


_NO_DIM = object()


def _squeeze_(self, dim=_NO_DIM):
    check_tensor(self, "squeeze_")
    shape = self._data.shape
    if dim is _NO_DIM:
        node = "SqueezeBackward3"
        view = self.detach().squeeze()._data  # detached: the frontend must not record its own node
    else:
        node = "SqueezeBackward5" if isinstance(dim, (tuple, list)) else "SqueezeBackward4"
        try:
            view = self.detach().squeeze(dim)._data
        except TypeError as e:  # (``squeeze_(None)``: squeeze's argument error, in squeeze_'s name)
            raise TypeError(str(e).replace("squeeze()", "squeeze_()", 1)) from None
    return _restride(self, "squeeze_", view, "squeeze", {"shape": shape}, node)


def _unsqueeze_(self, dim):
    check_tensor(self, "unsqueeze_")
    d = wrap_dim(dim, self._data.ndim + 1)
    view = self.detach().unsqueeze(d)._data
    return _restride(self, "unsqueeze_", view, "unsqueeze", {"dim": d}, "UnsqueezeBackward1")


def _transpose_(self, dim0, dim1):
    check_tensor(self, "transpose_")
    nd = self._data.ndim
    d0, d1 = wrap_dim(dim0, nd), wrap_dim(dim1, nd)
    dims = list(range(nd))
    if nd:
        dims[d0], dims[d1] = dims[d1], dims[d0]
    view = self._data.transpose(dims) if nd else self._data.view()
    return _restride(self, "transpose_", view, "transpose", {"dims": tuple(dims)}, "TransposeBackward1")


def _t_(self):
    dims = t_dims(self, "t_")
    return _restride(self, "t_", self._data.transpose(dims), "t", {"dims": dims}, "TBackward1")


def _as_strided_(self, size, stride, storage_offset=None):
    check_tensor(self, "as_strided_")
    from ..storage import storage_base
    root = storage_base(self)
    if root is self:
        root = self.detach()  # (the memory's start, kept for storage_offset() after the change)
    view = self.detach().as_strided(size, stride, storage_offset)
    attrs = {"size": tuple(size), "stride": tuple(stride), "offset": view.storage_offset(),
             "in_offset": self.storage_offset(), "in_stride": self.stride()}
    _restride(self, "as_strided_", view._data, "as_strided", attrs, "AsStridedBackward1")
    if self._base is None:
        self._hooks().storage_root = root
    return self


def _shape_samples(*calls, shape=(2, 1, 3)):
    def samples(dtype, device):
        from ..testing import make_tensor
        from ..testing.conformance import Sample
        return [Sample((make_tensor(shape, dtype=dtype, device=device, seed=80 + i),) + tuple(c), {}, ())
                for i, c in enumerate(calls)]
    return samples


def _np_squeeze(a, dim=None):
    if dim is None:
        return np.squeeze(a)
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    return np.squeeze(a, tuple(d for d in dims if a.shape[d] == 1))


_SHAPE_INPLACE = (
    ("squeeze_", _squeeze_, _shape_samples((), (1,), ((0, 1),)), _np_squeeze),
    ("unsqueeze_", _unsqueeze_, _shape_samples((0,), (-1,)), np.expand_dims),
    ("transpose_", _transpose_, _shape_samples((0, 2), (-1, 1)), np.swapaxes),
    ("swapaxes_", _transpose_, _shape_samples((0, 2),), np.swapaxes),
    ("swapdims_", _transpose_, _shape_samples((1, 2),), np.swapaxes),
    ("t_", _t_, _shape_samples((), shape=(2, 3)), np.transpose),
    ("as_strided_", _as_strided_, _shape_samples(((2, 2), (1, 2)), ((3,), (2,), 1)),
     lambda a, size, stride, offset=0: np.lib.stride_tricks.as_strided(
         a.reshape(-1)[offset:], size, tuple(s * a.itemsize for s in stride))),
)
for _name, _fn, _samples, _ref in _SHAPE_INPLACE:
    # (of these, PyTorch has only as_strided_ at top level too: torch.as_strided_(t, size, stride))
    defop(_name, frontend=lambda op, fn=_fn: fn, public=_name == "as_strided_", composite=True, samples=_samples,
          reference=_ref, mutates=(0,))


# --------------------------------------------------------------------------- comparisons in place
def _compare_into(op, target):
    """``target(self, other)`` cast to ``self``'s dtype, recorded (zero gradients) under PyTorch's
    node name: ``<Op>Backward0`` for a number, ``<Op>Backward1`` for a tensor."""
    node0, node1 = op.extra["nodes"]

    def compare(input, other):
        r = target.frontend(input, other)
        out = wrap(r._data.astype(input._data.dtype), r._device)
        if F.needs_grad(input, other) and _np_kind(out._data.dtype) in "fc":
            Tensor._autograd.record(op, out, (input, other), None,
                                    node_name=node1 if isinstance(other, Tensor) else node0)
        return out
    return compare


def _logical_into(op, target):
    """PyTorch's logical in-place ops have no derivative entry: nothing is recorded, ``self``
    keeps its history, and not even a leaf that requires grad is refused."""
    name = op.name

    def logical_(self, other):
        check_tensor(self, name)
        if not isinstance(other, Tensor):  # PyTorch declares them for tensors only
            raise F.not_a_tensor(name, "other", 1, other)
        if other is not self and F.same_root(self, other):  # (an operand that is part of self: refused)
            F.check_overlap(self._data, other._data)
        r = target.frontend(self, other)
        if r._device is not self._device:
            raise F.device_mismatch(name, r, self)
        F.store_into(self, r._data, name)
        return self
    logical_.__name__ = logical_.__qualname__ = name
    return logical_


def _compare_samples(dtype, device):
    from ..testing import make_tensor
    from ..testing.conformance import Sample
    x = make_tensor((2, 3), dtype=dtype, device=device, seed=90)
    return [Sample((x, make_tensor((2, 3), dtype=dtype, device=device, seed=91)), {}, ()),
            Sample((x, make_tensor((3,), dtype=dtype, device=device, seed=92)), {}, ()),
            Sample((x, 0.25), {}, ())]


def _tensor_pair_samples(dtype, device):
    return _compare_samples(dtype, device)[:2]  # (logical ops take no number)


def _ref_into(ufunc):
    return lambda a, b: ufunc(a, b).astype(a.dtype)


_COMPARISONS = (("eq", "Eq", np.equal), ("ne", "Ne", np.not_equal), ("lt", "Lt", np.less),
                ("le", "Le", np.less_equal), ("gt", "Gt", np.greater), ("ge", "Ge", np.greater_equal),
                ("greater", "Gt", np.greater), ("greater_equal", "Ge", np.greater_equal), ("less", "Lt", np.less),
                ("less_equal", "Le", np.less_equal), ("not_equal", "Ne", np.not_equal))


def _inplace_of(op, out_of_place):
    # make_inplace takes its name from ``opdef.inplace``; these ops are the in-place function itself
    return F.make_inplace(types.SimpleNamespace(inplace=op.name), out_of_place)


for _name, _node, _ufunc in _COMPARISONS:
    defop(_name + "_", public=False, samples=_compare_samples, reference=_ref_into(_ufunc), mutates=(0,),
          nodes=(f"{_node}Backward0", f"{_node}Backward1"),
          frontend=lambda op, n=_name: _inplace_of(op, _compare_into(op, _OPS[n])))
for _name, _ufunc in (("logical_and", np.logical_and), ("logical_or", np.logical_or),
                      ("logical_xor", np.logical_xor)):
    defop(_name + "_", public=False, differentiable=False, samples=_tensor_pair_samples, reference=_ref_into(_ufunc),
          mutates=(0,), frontend=lambda op, n=_name: _logical_into(op, _OPS[n]))


# --------------------------------------------------------------------------- fill_diagonal_
def _diagonal_positions(shape, wrap_):
    """Row-major flat positions of the main diagonal (``wrap``: tall matrices restart it every
    ``cols + 1`` rows, as NumPy's ``fill_diagonal``)."""
    if len(shape) == 2:
        rows, cols = shape
        if wrap_ and rows > cols + 1:
            count = (rows * cols - 1) // (cols + 1) + 1
        else:
            count = min(rows, cols)
        return count, cols + 1
    n = shape[0]
    step = sum(int(np.prod(shape[k + 1:])) for k in range(len(shape)))
    return n, step


def _fill_diagonal_(self, fill_value, wrap=False):
    check_tensor(self, "fill_diagonal_")
    a = self._data
    if a.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    if a.ndim > 2 and any(s != a.shape[0] for s in a.shape):
        raise RuntimeError("all dimensions of input must be of equal length")
    count, step = _diagonal_positions(a.shape, wrap)
    if count == 0 or a.size == 0:
        return self
    if _gs.enabled and self._requires_grad and a.flags.c_contiguous and self._base is None:
        # PyTorch fills a strided view of the diagonal, so the history reads CopySlices
        F.check_inplace_allowed(self, "fill_diagonal_")
        self.as_strided((count,), (step,), 0).fill_(fill_value)
        return self
    flat = np.arange(count) * step
    idx = tuple(np.unravel_index(flat, a.shape))
    from .indexing import _xp
    xp = _xp(self)
    self[tuple(xp.asarray(i) if xp is not np else i for i in idx)] = fill_value
    return self


def _fill_diagonal_samples(dtype, device):
    from ..testing import make_tensor
    from ..testing.conformance import Sample
    return [Sample((make_tensor((3, 3), dtype=dtype, device=device, seed=93), 2.0), {}, ()),
            Sample((make_tensor((7, 3), dtype=dtype, device=device, seed=94), -1.0), {"wrap": True}, ()),
            Sample((make_tensor((2, 2, 2), dtype=dtype, device=device, seed=95), 0.5), {}, ())]


def _np_fill_diagonal(a, v, wrap=False):
    a = a.copy()
    np.fill_diagonal(a, v, wrap=wrap)
    return a


defop("fill_diagonal_", frontend=lambda op: _fill_diagonal_, public=False, composite=True,
      samples=_fill_diagonal_samples, reference=_np_fill_diagonal, mutates=(0,))
