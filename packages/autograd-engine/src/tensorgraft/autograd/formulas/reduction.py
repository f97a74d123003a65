"""Gradients of ``tensorgraft/ops/reduction.py``."""
from __future__ import annotations

from ..saved_properties import from_attr
from . import batched_of, formula
from .elementwise_common import _scalar_overload


def _cj(t):
    """PyTorch's convention for complex inputs: grad * conj(d out / d x); real tensors pass as they are."""
    return t.conj() if t._data.dtype.kind == "c" else t


def _tg():
    import tensorgraft
    return tensorgraft


def _numel(shape, dims):
    """How many elements of ``shape`` a reduction over ``dims`` (None: all) folds into one."""
    n = 1
    for d in (range(len(shape)) if dims is None else dims):
        n *= shape[d]
    return n


def _keep(t, shape, dims, keepdim):
    """A reduced result re-shaped with its reduced dims kept (size 1), so it broadcasts against the input."""
    if dims is None:
        # a full reduction's 0-d result broadcasts as it is: PyTorch's formulas re-insert no dims
        # there (a double backward shows no UnsqueezeBackward0, e.g. norm's DivBackward0 reads the norm)
        return t
    if not keepdim and len(shape):
        for d in sorted(dims):
            t = t.unsqueeze(d)
    return t


def expand_reduced(g, shape, dims, keepdim):
    """Undo a reduction's shape change: re-insert reduced dims, then broadcast to ``shape``."""
    return _keep(g, shape, dims, keepdim).expand(*shape)


@formula("sum", saves=())
def sum_(node, g):
    shape = node.in_meta[0][0]
    return (expand_reduced(g, shape, node.attrs["dim"], node.attrs["keepdim"]),)


@formula("mean", saves=())
def mean(node, g):
    shape = node.in_meta[0][0]
    dims = node.attrs["dim"]
    # a division by a number, as PyTorch's (DivBackward1 under create_graph)
    return (_scalar_overload("div", "DivBackward1", expand_reduced(g, shape, dims, node.attrs["keepdim"]),
                             max(_numel(shape, dims), 1)),)


def _expand_reduced_batched(g, shape, dims, keepdim):
    """``expand_reduced`` for gradients with a leading batch dim (``autograd/batched_backward.py``),
    or None where the reduced dims are not plain (that node then runs per batch entry)."""
    n = g.shape[0]
    if dims is None or not shape:
        return g.reshape((n,) + (1,) * len(shape)).expand(n, *shape)
    if not dims:
        return None
    if not keepdim:
        for d in sorted(d % len(shape) for d in dims):
            g = g.unsqueeze(d + 1)
    return g.expand(n, *shape)


@batched_of(sum_)
def _sum_batched(node, g):
    g = _expand_reduced_batched(g, node.in_meta[0][0], node.attrs["dim"], node.attrs["keepdim"])
    return None if g is None else (g,)


@batched_of(mean)
def _mean_batched(node, g):
    shape = node.in_meta[0][0]
    dims = node.attrs["dim"]
    g = _expand_reduced_batched(g, shape, dims, node.attrs["keepdim"])
    return None if g is None else (_scalar_overload("div", "DivBackward1", g, max(_numel(shape, dims), 1)),)


def _evenly(g, x, out, dims, keepdim, masked_fill=False):
    """Gradient of a max-like full reduction: split evenly among the elements equal to the result."""
    shape = tuple(x.shape)
    mask = x == _keep(out, shape, dims, keepdim)
    if masked_fill:
        # max()/min()/median() of all elements, PyTorch's evenly_distribute_backward: the share is
        # masked into zeros (MaskedFillBackward1 on a double backward, as PyTorch's graph), and a
        # NaN result came from the NaNs, which share the gradient (NaN == NaN is False)
        mask = mask | (x.isnan() & out.isnan())
        return _tg().zeros_like(x).masked_fill(mask, g / mask.sum())
    count = mask.sum(dims, keepdim=True) if dims is not None else mask.sum()
    # the share times the mask, in PyTorch's order (a double backward records MulBackward0); the
    # gradient gets its reduced dims back by a reshape, as PyTorch's restore_reduced_dims (ViewBackward0)
    return _restore(g, shape, dims, keepdim) / count * mask


def _restore(g, shape, dims, keepdim):
    if keepdim or dims is None:
        return g
    target = list(shape)
    for d in (range(len(shape)) if not dims else dims):
        target[d] = 1
    return g.reshape(target)


def _index_backward(g, node, shape):
    """Route ``g`` to the positions in ``node.attrs['indices']`` along ``dim`` (max/min/sort/topk...)."""
    from tensorgraft.ops.reduction import scatter_dim
    a = node.attrs
    idx = a["indices"]
    dim = a["dim"]
    if len(shape) == 0:
        return g.reshape(())
    if not a["keepdim"]:
        g = g.unsqueeze(dim)
        idx = idx.unsqueeze(dim)
    if not (g._requires_grad and _tg().is_grad_enabled()):
        return scatter_dim(g, idx, dim, shape)
    # building a graph: PyTorch's value_selecting_reduction_backward is zeros.scatter(dim, indices, g),
    # ScatterBackward0 with an empty edge for the zeros and one for g
    tg = _tg()
    from tensorgraft.registry import registry
    with tg.no_grad():
        out = scatter_dim(g, idx, dim, shape)
    tg.Tensor._autograd.record(registry.ops["_scatter_dim"], out, (None, g), {"index": idx, "dim": dim},
                               node_name="ScatterBackward0")
    return out


@formula("_gather_dim", saves=())
def gather_dim(node, g):
    from tensorgraft.ops.reduction import scatter_dim
    return (scatter_dim(g, node.attrs["index"], node.attrs["dim"], node.in_meta[0][0]),)


@formula("_scatter_dim", saves=())
def scatter_dim_(node, g):
    from tensorgraft.ops.reduction import gather_dim
    gathered = gather_dim(g, node.attrs["index"], node.attrs["dim"])
    return (None, gathered) if len(node.in_meta) == 2 else (gathered,)  # (ScatterBackward0: zeros, g)


@formula("nansum")
def nansum(node, g):
    x = node.inputs[0]
    ge = expand_reduced(g, node.in_meta[0][0], node.attrs["dim"], node.attrs["keepdim"])
    return (ge * x.isnan().logical_not(),)


@formula("prod", saves=(0,), saves_output=True)
def prod(node, g):
    x = node.inputs[0]
    out = node.output
    if x.dtype != out.dtype:
        # prod(x, dtype=...) multiplied the cast input: PyTorch differentiates self.to(grad's dtype)
        # (a complex input cast to a real dtype keeps its real part)
        x = (x.real if x.is_complex() and not out.is_complex() else x).to(out.dtype)
    shape = node.in_meta[0][0]
    dim = node.attrs["dim"]
    dims = None if dim is None else (dim,)
    keepdim = node.attrs["keepdim"] if dim is not None else False
    if len(shape) == 0:
        return (g,)
    ge = _keep(g, shape, dims, keepdim)
    zeros = x == 0
    if not bool(zeros.any()):
        return (ge * _cj(_keep(out, shape, dims, keepdim) / x),)
    # zeros present: the product of all the other elements, from exclusive cumulative products
    # (differentiable, so double backward is right at zeros too)
    if dim is None:
        if int(zeros.sum()) > 1 and not _tg().is_grad_enabled():
            # every "other" product holds a zero: PyTorch's zeros, NaNs or not — but only when no
            # graph is built, since their second derivative (a product leaving out two zeros) is not zero
            return (_tg().zeros_like(x),)
        return ((g * _cj(_prod_others(x.reshape(-1), 0))).reshape(shape),)  # ViewBackward0 on top, as PyTorch
    return (ge * _cj(_prod_others(x, dim)),)


def _prod_others(x, d):
    """``prod_{k != i} x_k`` along ``d``."""
    tg = _tg()
    n = x.shape[d]
    head = [slice(None)] * x.ndim
    head[d] = slice(0, n - 1)
    head = tuple(head)
    one_shape = list(x.shape)
    one_shape[d] = 1
    ones = tg.ones(one_shape, dtype=x.dtype, device=x.device)
    left = tg.cat([ones, x[head]], d).cumprod(d)
    xr = tg.flip(x, (d,))
    right = tg.flip(tg.cat([ones, xr[head]], d).cumprod(d), (d,))
    return left * right


# a full reduction (MaxBackward1, MedianBackward0...) reads its input and result; one along a dim
# (MaxBackward0, MedianBackward1...) only the indices, as PyTorch saves: changing the input in place
# afterwards is then no error
_ALONG_DIM = ("MaxBackward0", "MinBackward0", "MedianBackward1", "NanmedianBackward1")
_FULL = ("MaxBackward1", "MinBackward1", "MedianBackward0", "NanmedianBackward0")


@formula("max", "min", "median", "nanmedian", saves={**dict.fromkeys(_ALONG_DIM, ()), **dict.fromkeys(_FULL, (0,))},
         saves_output=dict.fromkeys(_FULL, True))
def max_(node, g):
    """A full reduction picks a value (its ties share the gradient); one along a dim, an index per row."""
    if node.attrs["dim"] is None:
        return (_evenly(g, node.inputs[0], node.output, None, False, masked_fill=True),)
    return (_index_backward(g, node, node.in_meta[0][0]),)


# the indices the op returned (PyTorch's nodes keep that output), where the node picked along a dim
max_.saved_defaults = {"indices": from_attr("indices")}


@formula("amax", "amin", saves=(0,), saves_output=True)
def amax(node, g):
    return (_evenly(g, node.inputs[0], node.output, node.attrs["dim"], node.attrs["keepdim"]),)


@formula("sort", "topk", "kthvalue", "mode", saves=())
def sort(node, g):
    return (_index_backward(g, node, node.in_meta[0][0]),)


sort.saved_defaults = {"indices": from_attr("indices"), "dim": from_attr("dim")}


def _spread_grad(g, node, dims, std):
    """The gradient of the variance (``std``: the standard deviation, the node's output 0) of the
    node's input over ``dims``, the first output's of var, std, var_mean and std_mean."""
    x = node.inputs[0]
    shape = node.in_meta[0][0]
    keepdim = node.attrs["keepdim"]
    centered = x - x.mean(dims, keepdim=True) if dims is not None else x - x.mean()
    dof = _numel(shape, dims) - node.attrs["correction"]
    if dims is None and dof <= 0:
        # PyTorch's var_backward clamps the degrees of freedom of a full reduction at 0: 2 / 0 is
        # inf, times 0 (an element equal to the mean) NaN; std's grad / (2 * std) is 0 there (std
        # is inf or NaN), so its gradient is NaN throughout
        tg = _tg()
        if std:
            out = node.output
            g = tg.where(out == 0, tg.zeros_like(g), g / (out * 2))
        return g * tg.where(centered == 0, tg.full_like(x, float("nan")), tg.full_like(x, float("inf")))
    if std:
        # PyTorch's std_backward: the variance's gradient is g / (2 * std), 0 where there is no
        # spread (std == 0: not 0/0); then var_backward's, in its order and with its nodes
        out = node.output
        g = (g / _scalar_overload("mul", "MulBackward1", out, 2)).masked_fill(out == 0, 0)
    # (2 / dof) * g * centered, as PyTorch's var_backward (MulBackward1 then MulBackward0)
    return _scalar_overload("mul", "MulBackward1", _keep(g, shape, dims, keepdim),
                            2.0 / dof if dof else float("inf")) * centered


@formula("var")
def var(node, g):
    return (_spread_grad(g, node, node.attrs["dim"], std=False),)


@formula("std", saves=(0,), saves_output=True)
def std(node, g):
    return (_spread_grad(g, node, node.attrs["dim"], std=True),)


@formula("linalg_vector_norm", saves=(0,), saves_output=True)
def vector_norm(node, g):
    x = node.inputs[0]
    a = node.attrs
    shape = node.in_meta[0][0]
    dims, keepdim, p = a["dim"], a["keepdim"], a["ord"]
    if p == 0:
        return (None,)  # a count: no gradient at all (PyTorch leaves .grad unset, as for dist)
    return (norm_backward(_keep(g, shape, dims, keepdim), x, p, _keep(node.output, shape, dims, keepdim), dims),)


def norm_backward(g, x, p, norm, dims):
    """PyTorch's norm_backward (``g`` and ``norm`` with their reduced dims kept, or 0-d), case by
    case in its order and with its ops, so a double backward records its nodes (MaskedFillBackward0
    where the norm is 0: a ratio of 0 there, not 0/0; the gradient multiplies it afterwards, so an
    inf or NaN gradient there still gives NaN, as PyTorch)."""
    if p == 1:
        return x.sgn() * g
    if p == 2:
        return g * (x / norm).masked_fill(norm == 0, 0)
    ax = x.abs()
    if p == float("inf") or p == float("-inf"):
        # the elements reaching the norm share the gradient; a NaN (the norm is NaN then) is one of them
        mask = (ax == norm) | ax.isnan()
        count = mask.sum(dims, keepdim=True) if dims is not None else mask.sum()
        return x.sgn() * ((g / count) * mask)
    if p < 1:
        # |x|^(p-1) is inf at x == 0, where PyTorch gives 0 (not sgn(0) * inf = NaN); a double
        # backward is still NaN there, as PyTorch's
        return x.sgn() * ax.pow(p - 1).masked_fill(x == 0, 0) * g * norm.pow(1 - p)
    scaled = x.sgn() * ax.pow(p - 1) if p < 2 else x * ax.pow(p - 2)
    return scaled * (g / norm.pow(p - 1)).masked_fill(norm == 0, 0)


@formula("logsumexp", saves=(0,), saves_output=True)
def logsumexp(node, g):
    x = node.inputs[0]
    shape = node.in_meta[0][0]
    dims, keepdim = node.attrs["dim"], node.attrs["keepdim"]
    return (_keep(g, shape, dims, keepdim) * _cj((x - _keep(node.output, shape, dims, keepdim)).exp()),)


@formula("cumsum", saves=())
def cumsum(node, g):
    d = node.attrs["dim"]
    if g.ndim == 0:
        return (g,)
    return (_reversed_cumsum(g, d),)


def _reversed_cumsum(g, d):
    """``sum_{j >= i} g_j`` along ``d``, summed from the end as PyTorch does (flip, cumsum, flip):
    total - cumsum + g loses the small tail sums beside a large element in float32, e.g. [1e8, 1, 1]
    would give [1e8, 0, 1]; a double backward records FlipBackward0, as PyTorch's graph."""
    return g.flip(d).cumsum(d).flip(d)


@formula("cumprod", saves=(0,), saves_output=True)
def cumprod(node, g):
    tg = _tg()
    x = node.inputs[0]
    d = node.attrs["dim"]
    if g.ndim == 0 or x.shape[d] == 1:  # a single element along d: its own product
        return (g,)
    if not bool((x == 0).any()):
        w = _cj(node.output) * g  # (PyTorch's order: MulBackward0 with the output's edge first)
        return (_reversed_cumsum(w, d) / _cj(x),)
    # zeros present: grad_i = sum_{j >= i} g_j * prod_{k <= j, k != i} x_k, one position at a time
    n = x.shape[d]
    cols = []
    for i in range(n):
        sel = tg.arange(n, device=x.device) == i
        shape = [1] * x.ndim
        shape[d] = n
        sel = sel.reshape(shape)
        others = tg.where(sel, tg.ones_like(x), x).cumprod(d)
        after = (tg.arange(n, device=x.device) >= i).reshape(shape)
        cols.append((g * _cj(others) * after).sum(d, keepdim=True))
    return (tg.cat(cols, d),)


@formula("softmax", saves=(), saves_output=True)
def softmax(node, g):
    out = node.output
    d = node.attrs["dim"]
    if d is None:
        return (g * 0,)
    return (out * (g - (g * out).sum(d, keepdim=True)),)


@formula("log_softmax", saves=(), saves_output=True)
def log_softmax(node, g):
    out = node.output
    d = node.attrs["dim"]
    if d is None:
        return (g * 0,)
    return (g - out.exp() * g.sum(d, keepdim=True),)


def _softmax_dim(node):
    """softmax's dim over a leading batch dim, or None (a 0-d output or no dim: per entry)."""
    d = node.attrs["dim"]
    nd = len(node.in_meta[0][0])
    if d is None or nd == 0:
        return None
    return d % nd + 1


@batched_of(softmax)
def _softmax_batched(node, g):
    d = _softmax_dim(node)
    if d is None:
        return None
    out = node.output
    return (out * (g - (g * out).sum(d, keepdim=True)),)


@batched_of(log_softmax)
def _log_softmax_batched(node, g):
    d = _softmax_dim(node)
    if d is None:
        return None
    return (g - node.output.exp() * g.sum(d, keepdim=True),)


def _pair_dims(node):
    """The reduced dims of a two-output reduction; a 0-d input reduces over nothing to unsqueeze."""
    dims = node.attrs["dim"]
    return None if dims is None or not node.in_meta[0][0] else dims


@formula("aminmax", saves=(0,), multi_output=True)
def aminmax(node, grads):
    """AminmaxBackward0: each extreme's gradient is split evenly among the elements equal to it
    (as amin/amax); the extremes are found again from the saved input rather than kept."""
    x = node.inputs[0]
    dims, keepdim = _pair_dims(node), node.attrs["keepdim"]
    total = None
    for g, extreme in zip(grads, ("amin", "amax")):
        if g is None:
            continue
        found = getattr(x, extreme)(() if dims is None else dims, keepdim).detach()
        part = _evenly(g, x, found, dims, keepdim)
        total = part if total is None else total + part
    return (total,)


@formula("var_mean", "std_mean", saves=(0,), saves_output=True, multi_output=True)
def var_mean(node, grads):
    """VarMeanBackward0 / StdMeanBackward0: the spread's gradient (as var/std) plus the mean's
    (spread evenly); ``node.output`` is output 0, the variance or standard deviation."""
    shape = node.in_meta[0][0]
    dims, keepdim = _pair_dims(node), node.attrs["keepdim"]
    g_spread, g_mean = grads
    total = None
    if g_spread is not None:
        total = _spread_grad(g_spread, node, dims, std=type(node).__name__.startswith("Std"))
    if g_mean is not None:
        part = expand_reduced(g_mean, shape, dims, keepdim) / max(_numel(shape, dims), 1)
        total = part if total is None else total + part
    return (total,)


# --------------------------------------------------------------------------- ops PyTorch gives no derivative
# unique's values (and unique_consecutive's) and histogram's results are recorded as PyTorch records
# them, on a node whose backward raises PyTorch's error (ops/sets.py, ops/histogram.py)
_UNIQUE_ATEN = {"Unique2Backward0": "_unique2", "UniqueDimBackward0": "unique_dim",
                "UniqueConsecutiveBackward0": "unique_consecutive"}


@formula("unique", "unique_consecutive", saves=())
def unique(node, g):
    raise NotImplementedError(f"the derivative for '{_UNIQUE_ATEN[type(node).__name__]}' is not implemented.")


@formula("histogram", "histogramdd", saves=(), node="NotImplemented", multi_output=True)
def histogram(node, grads):
    raise RuntimeError(f"derivative for aten::{node.attrs['aten']} is not implemented")
