"""Gradients stored in tensors at the end of the backward pass: a leaf's ``.grad`` (PyTorch's
``AccumulateGrad`` rules: in place, sparse or dense, graph-carrying under ``create_graph``) and the
``.grad`` of a non-leaf that called ``retain_grad()``."""
from __future__ import annotations

import numpy as np

from tensorgraft.device import get_backend
from tensorgraft.memory_layout import copy_in_layout_of
from tensorgraft.sparse.compressed_data import SparseCompressedData
from tensorgraft.sparse.coo_data import SparseCOOData
from tensorgraft.tensor import Tensor, wrap

from .graph_policies import is_grad_layout_policy_enforced
from .node import _NO_EDGE, Node, _new
from .recording import accumulator


_SPARSE_DATA = (SparseCOOData, SparseCompressedData)  # (array classes of the sparse layouts)


def _retain_into(var: Tensor, g: Tensor, create_graph: bool) -> None:
    """``retain_grad()``'s accumulation, PyTorch's: a clone the first time (``CloneBackward0`` under
    create_graph), then always out of place (``var.grad + g``: a new ``.grad`` tensor each pass)."""
    cur = var._grad
    if cur is not None:
        var._grad = cur + g  # (recorded only under create_graph: the pass runs in that grad mode)
    elif create_graph and g._requires_grad:
        var._grad = g.clone()
    else:
        var._grad = wrap(g._data.copy(), g._device)


def to_grad_dtype(var: Tensor, g: Tensor) -> Tensor:
    """``g`` cast to the dtype ``var.grad_dtype`` names, where one was set that ``g`` lacks (by
    default, and with ``grad_dtype = None``, ``g`` as it came)."""
    extra = var._extra
    if extra is None:
        return g
    want = extra.grad_dtype
    if want is ... or want is None or g._data.dtype == want.np:
        return g
    return g.to(want)  # (recorded under create_graph: the pass runs in that grad mode)


def _accumulate_into(var: Tensor, g: Tensor, create_graph: bool) -> None:
    """``var.grad += g`` with PyTorch's rules: in place when possible, a fresh tensor the first
    time (the same gradient may flow to several tensors), a graph-carrying sum under create_graph."""
    if var._extra is not None:
        g = to_grad_dtype(var, g)
    cur = var._grad
    if create_graph:
        var._grad = _copy_with_graph(g, var) if cur is None else cur + g
    elif cur is None:
        var._grad = wrap(_first_grad_data(var, g), g._device)
    else:
        gd = cur._data
        # in place, as PyTorch's AccumulateGrad outside create_graph: also into a .grad that carries a
        # graph from an earlier create_graph pass (it keeps that graph, and requires_grad)
        if gd.shape == g._data.shape and gd.dtype == g._data.dtype:
            try:  # (a try costs nothing until it catches)
                gd += g._data
            except (TypeError, RuntimeError):
                if gd.__class__ not in _SPARSE_DATA and g._data.__class__ not in _SPARSE_DATA:
                    raise
                _accumulate_sparse(var, cur, g)  # a sparse gradient on either side
                return
            cur._vc[0] += 1
        elif gd.__class__ in _SPARSE_DATA or g._data.__class__ in _SPARSE_DATA:
            _accumulate_sparse(var, cur, g)
        else:
            var._grad = cur + g


def _first_grad_data(var: Tensor, g: Tensor, create_graph: bool = False):
    """A copy of ``g``'s data for ``var``'s first ``.grad``, laid out as PyTorch's gradient layout
    contract says: in ``var``'s strides when ``var`` is dense (a transposed or channels-last leaf
    gets a gradient of that layout), else row-major. Under ``enforce_grad_layout_policy(False)``
    and outside create_graph PyTorch keeps ("steals") the incoming gradient as it is laid out: here
    a copy in that layout (tensorgraft always copies: the same gradient array may reach several
    tensors), dense where the incoming one is expanded (PyTorch keeps those stride-0 dims). Sparse
    gradients and leaves keep their own."""
    gd, vd = g._data, var._data
    if gd.__class__ in _SPARSE_DATA or vd.__class__ in _SPARSE_DATA:
        return gd.copy()
    if not create_graph and not is_grad_layout_policy_enforced():
        return gd.copy(order="K")
    if vd.flags.c_contiguous:
        return gd.copy()
    return copy_in_layout_of(get_backend(g._device).xp, gd, vd)


def _accumulate_sparse(var: Tensor, cur: Tensor, g: Tensor) -> None:
    """PyTorch's accumulation when a gradient is sparse (an embedding's, a ``sparse.mm`` operand's):
    sparse + sparse stays sparse and a sparse gradient is added into a dense ``.grad``, both in
    place (the ``.grad`` tensor stays the same object); a dense gradient arriving at a sparse
    ``.grad`` makes it dense."""
    a, b = cur._data, g._data
    if a.__class__ in _SPARSE_DATA and b.__class__ is a.__class__:
        cur._data = a.accumulated(b)  # the same .grad tensor, as PyTorch's in-place sparse +=
        cur._vc[0] += 1
    elif a.__class__ in _SPARSE_DATA and b.__class__ in _SPARSE_DATA:  # (COO and compressed: a dense sum)
        var._grad = wrap(a.to_dense() + b.to_dense(), cur._device)
    elif b.__class__ in _SPARSE_DATA:
        b.add_into(a)
        cur._vc[0] += 1
    else:
        dense = b.astype(np.result_type(a.dtype, b.dtype), copy=True)
        a.add_into(dense)
        var._grad = wrap(dense, cur._device)


def _copy_with_graph(g: Tensor, var: Tensor) -> Tensor:
    """A copy of ``g`` that stays differentiable: PyTorch's first accumulation under create_graph
    copies into a fresh tensor (laid out as ``var``, the layout contract), so ``.grad`` shows
    ``grad_fn=<CopyBackwards>``."""
    out = wrap(_first_grad_data(var, g, create_graph=True), g._device)
    if g._requires_grad:
        node = _new(CopyBackwards)
        node.inputs = node.attrs = node._output = node._packed = node._hk = None
        node._versions = None
        node._released = False
        # PyTorch's CopyBackwards has an edge for the zeros it copies into (none: they need no
        # gradient) before the edge of the gradient copied
        node.next_functions = (_NO_EDGE, (g.grad_fn, g._output_nr) if g.grad_fn is not None else (accumulator(g), 0))
        node.needs_input_grad = (False, True)
        node.in_meta = [None, (g._data.shape, g._data.dtype)]
        out._requires_grad = True
        out.grad_fn = node
        out._output_nr = 0
    return out


class CopyBackwards(Node):
    """The node of a leaf's first ``.grad`` under create_graph (PyTorch copies the gradient into
    zeros): the gradient passes through to the copied tensor."""

    __slots__ = ()

    def apply(self, grads):
        return [None, grads[0]]
