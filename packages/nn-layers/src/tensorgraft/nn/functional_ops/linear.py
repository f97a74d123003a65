"""``nn.linear``: ``input @ weight.T + bias`` as one op (grad_fn ``AddmmBackward0`` for 2-D input),
and bilinear's trilinear product."""
from __future__ import annotations

import numpy as np

from ._common import batched_of, check_tensor, conj_factor, formula, gs, nnop, record, same_device, wrap
from tensorgraft.amp._state import state as _autocast
from tensorgraft.dtypes import BF16
from tensorgraft.ops._bfloat16 import F16 as _F16, narrow, widen_half
from tensorgraft.ops.linalg.matmul import NO_PRODUCT_KERNEL, refuse_without_kernel
from tensorgraft.registry import registry as _REGISTRY
from tensorgraft.dtypes import CPP_TYPE_NAMES


def _linear_kernel(xp, x, w, b):
    # ``dot`` rather than ``@``: NumPy's matmul is several times slower on a transposed operand
    if x.ndim == 2:
        out = x.dot(w.T)
    else:
        # a 1-D weight (one output, squeezed) adds no output dimension
        rows = x.reshape(-1, x.shape[-1]).dot(w.T)
        if b is not None and b.ndim == 2 and b.shape[0] == rows.shape[0]:
            # PyTorch's addmm of the rows expands a (rows, 1) bias along the flattened rows
            # (``_bias_after`` sends only such biases here: the N-D broadcast would differ)
            rows += b
            b = None
        out = rows.reshape(x.shape[:-1] + w.shape[:-1])
    if b is not None:
        out += b
    return out


def _bias_after(x, b, contiguous: bool) -> bool:
    """Whether PyTorch's ``linear`` adds the bias after a ``matmul`` (``output.add_(bias)``: an
    ``AddBackward0`` on top, the bias broadcast in place to the output's shape) rather than
    folding the input into rows for ``addmm(bias, rows, weight.t())`` (which expands the bias to
    ``(rows, out)``). A 2-D input always takes addmm; other ranks only when the input is
    contiguous and the bias has one dimension that is not 1 or is 1-D (measured on PyTorch 2.13:
    ``(out,)``, ``(1, out)``, ``(rows, 1)``, also ``(1, 1, out)``, which addmm then refuses; but
    ``()``, ``(1, 1)``, ``(3, out)``, ``(2, 1, out)`` go through matmul)."""
    if x.ndim == 2:
        return False
    if not contiguous:
        return True
    if b.ndim == 1:
        return False
    return sum(1 for s in b.shape if s != 1) != 1


def _wrap_rounded(a, dev):
    return wrap(narrow(a), dev)


def _wrap_rounded_f16(a, dev):
    return wrap(narrow(a, _F16), dev)


def _half_wrapper(gd, dev):
    """How the array-level backward wraps its results: rounded back to the half type when the
    gradient is bfloat16 or a NumPy float16 array (the arrays were widened to float32 by ``widen_half``:
    products accumulated there and rounded once, as ATen's, and on BLAS — NumPy's own float16
    products are a plain loop, ~25x slower than float32's), else ``wrap`` itself."""
    if gd.dtype is BF16:
        return _wrap_rounded
    return _wrap_rounded_f16 if gd.dtype is _F16 and gd.__class__ is np.ndarray else wrap


# the C++ names of PyTorch's mm messages ("expected m1 and m2 to have the same dtype, but got: long int != float")


def _short(npdtype):
    return CPP_TYPE_NAMES.get(npdtype.name, npdtype.name)


def _matmul_dtype_message(input, weight):
    """PyTorch's message for an input of another dtype than the weight where ``linear`` runs
    ``matmul``: it folds the input into one matrix for ``mm`` unless the batch dims cannot be viewed
    as one (and the weight takes no gradient, and the input is not empty); ``bmm`` says it otherwise."""
    x, w = input._data, weight._data
    st, sh = input.stride(), x.shape
    if x.ndim >= 3 and x.size and not weight.requires_grad and \
            any(st[i] != st[i + 1] * sh[i + 1] for i in range(x.ndim - 2)):
        return f"expected scalar type {_scalar_name(x.dtype)} but found {_scalar_name(w.dtype)}"
    return f"expected m1 and m2 to have the same dtype, but got: {_short(x.dtype)} != {_short(w.dtype)}"


_SCALAR_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16", "int64": "Long",
                 "int32": "Int",
                 "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool", "complex64": "ComplexFloat",
                 "complex128": "ComplexDouble"}


def _scalar_name(npdtype):
    return _SCALAR_NAMES.get(npdtype.name, npdtype.name)


def linear(input, weight, bias=None):
    if _autocast.on:
        input, weight, bias = _autocast.lower(input, weight, bias)
    out, after = _product(input, weight, bias, split=True)
    if gs.enabled and (input._requires_grad or weight._requires_grad or (bias is not None and bias._requires_grad)):
        if after:
            # PyTorch's graph: the product's nodes, then ``output.add_(bias)`` (AddBackward0, its
            # edges the product's top node and the bias)
            grads = input._requires_grad or weight._requires_grad
            mm = _record_graph(input, weight, None, out) if grads else wrap(out, input._device)
            return mm.add_(bias)
        return _record_graph(input, weight, bias, out)
    if after:
        out += bias._data  # (in place, as PyTorch's add_: the output keeps its dtype)
    return wrap(out, input._device)


def linear_one_node(input, weight, bias=None):
    """``linear`` recorded as a single node: for callers whose graph PyTorch hides inside one fused
    op of its own (the time loop of ``nn.RNN``/``LSTM``/``GRU`` layers), where nobody walks the
    linear's nodes and each saved node is time in every step's backward."""
    if _autocast.on:
        input, weight, bias = _autocast.lower(input, weight, bias)
    out = wrap(_product(input, weight, bias)[0], input._device)
    if gs.enabled and (input._requires_grad or weight._requires_grad or (bias is not None and bias._requires_grad)):
        record(_OP, out, (input, weight, bias), None, node_name=_top_node_name(input._data, weight._data,
                                                                                None if bias is None else bias._data))
    return out


def _product(input, weight, bias, split=False):
    """The array ``input @ weight.T + bias``, after PyTorch's argument checks, and whether the
    bias is one PyTorch adds after the product (``_bias_after``): with ``split``, the array then
    leaves the bias out, for the caller to add."""
    check_tensor(input, "linear")
    check_tensor(weight, "linear", "weight", 2)
    if bias is not None:
        check_tensor(bias, "linear", "bias", 3)
    x, w = input._data, weight._data
    dev = input._device
    b = None if bias is None else bias._data
    # the usual call (2-D weight, matching sizes, dtypes and devices, a (out,) bias) passes one
    # cheap test; anything else goes through PyTorch's checks, in PyTorch's order
    if not (w.ndim == 2 and x.ndim and x.shape[-1] == w.shape[1] and x.dtype == w.dtype
            and weight._device is dev and x.dtype not in NO_PRODUCT_KERNEL
            and (b is None or (b.shape == w.shape[:1] and b.dtype == w.dtype and bias._device is dev))):
        _check_linear_args(input, weight, bias)
    after = b is not None and x.ndim != 2 and (b.ndim != 1 or not x.flags.c_contiguous) and \
        _bias_after(x, b, x.flags.c_contiguous)
    return _OP.table[dev.type](x, w, None if after and split else b), after


def _check_linear_args(input, weight, bias):
    """PyTorch's refusals of ``linear``'s arguments, in its order (a call that passes returns)."""
    x, w = input._data, weight._data
    # PyTorch's linear refuses 0-D operands, and transposes the weight (t() takes up to 2-D),
    # before it compares any sizes
    if x.ndim == 0 or w.ndim == 0:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are {x.ndim}D and {w.ndim}D")
    if w.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {w.ndim}D")
    if w.ndim == 1 and bias is not None and (x.ndim == 2 or bias._data.ndim >= 1):
        # a 1-D weight is a matrix-vector product; with a bias PyTorch takes addmm, which needs a
        # matrix (only a 0-D bias on a non-2-D input is added after the product instead)
        raise RuntimeError("mat2 must be a matrix, got 1-D tensor")
    if x.shape[-1] != w.shape[-1]:
        xs = "x".join(map(str, (x.reshape(-1, x.shape[-1]).shape if x.ndim else (1, 1))))
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({xs} and "
                           f"{w.shape[-1] if w.ndim > 1 else 1}x{w.shape[0] if w.ndim else 1})")
    dev = input._device
    if weight._device is not dev or (bias is not None and bias._device is not dev):
        other = weight if weight._device is not dev else bias
        raise RuntimeError(f"Expected all tensors to be on the same device, but found at least two devices, "
                           f"{input.device} and {other.device}! (when checking argument for linear)")
    if bias is not None and not _bias_after(x, bias._data, x.flags.c_contiguous):
        # with a bias PyTorch runs addmm(bias, input, weight.t()): its messages name self/mat1/mat2
        # (some biases and a non-contiguous input go through matmul instead, the bias added after)
        bd = bias._data.dtype
        if bd != w.dtype:
            raise RuntimeError(f"self and mat2 must have the same dtype, but got {_scalar_name(bd)} and "
                               f"{_scalar_name(w.dtype)}")
        if x.dtype != w.dtype:
            raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {_scalar_name(x.dtype)} and "
                               f"{_scalar_name(w.dtype)}")
        bs = bias._data.shape
        tgt = [int(np.prod(x.shape[:-1])), w.shape[0]]
        if len(bs) > 2:
            raise RuntimeError(f"expand(torch.{_scalar_name(bd)}Tensor{{{list(bs)}}}, size={tgt}): the number of sizes "
                               f"provided (2) must be greater or equal to the number of dimensions in the tensor "
                               f"({len(bs)})")
        # addmm expands the bias to the (rows, out) result, the input flattened to 2-D
        for d in range(-1, -len(bs) - 1, -1):
            if bs[d] not in (1, tgt[d]):
                raise RuntimeError(f"The expanded size of the tensor ({tgt[d]}) must match the existing size "
                                   f"({bs[d]}) at non-singleton dimension {len(tgt) + d}.  Target sizes: "
                                   f"{tgt}.  Tensor sizes: {list(bs)}")
    else:
        if x.dtype != w.dtype:
            raise RuntimeError(_matmul_dtype_message(input, weight))
        if bias is not None:   # matmul's output.add_(bias): the bias broadcasts to the output in place
            out = tuple(x.shape[:-1]) + tuple(w.shape[:-1])
            bs = bias._data.shape
            n = max(len(out), len(bs))
            full = []
            for d in range(-1, -n - 1, -1):
                a = out[d] if -d <= len(out) else 1
                b = bs[d] if -d <= len(bs) else 1
                if a != b and a != 1 and b != 1:
                    raise RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b ({b}) at "
                                       f"non-singleton dimension {n + d}")
                full.insert(0, a if b == 1 else b)
            if tuple(full) != out:
                raise RuntimeError(f"output with shape {list(out)} doesn't match the broadcast shape {full}")
    if x.dtype in NO_PRODUCT_KERNEL:  # (bool, uint16+: PyTorch's product kernels have no loop for them)
        k = x.shape[-1]
        rows = x.size // k if k else int(np.prod(x.shape[:-1]))
        if w.ndim == 2:
            refuse_without_kernel("addmm_impl_cpu_", x.dtype, rows * w.shape[0], k)
        refuse_without_kernel("dot" if x.ndim == 1 else "addmv_impl_cpu", x.dtype, rows, k)


def _record_graph(input, weight, bias, out):
    """Wrap ``out`` (the fused product computed above) and record the graph PyTorch's ``linear``
    leaves: ``addmm(bias, x2, weight.t())`` (``mm`` without a bias) on the input viewed as rows,
    and the result viewed back to the input's rank. ``grad_fn.next_functions`` then walks as in
    PyTorch (the bias's ``AccumulateGrad`` first, ``TBackward0`` before the weight's), which
    tutorials print and graph visualisers draw. The product stays one fused kernel and one node
    whose formula (``_rows_grad``) works on arrays; the views cost a few microseconds each.

    Inputs PyTorch does not fold into one matrix product (a 1-D weight, an input that cannot be
    viewed as rows) keep a single node named as PyTorch's graph ends (``_top_node_name``); a bias
    PyTorch adds after the product (``_bias_after``) never comes here: ``linear`` records this
    product without it, then ``add_``s it."""
    x, w, dev = input._data, weight._data, input._device
    b = None if bias is None else bias._data
    rows_ok = x.ndim == 2 or (x.flags.c_contiguous and (b is None or not _bias_after(x, b, True)))
    if w.ndim != 2 or not rows_ok:
        result = wrap(out, dev)
        record(_OP, result, (input, weight, bias), None, node_name=_top_node_name(x, w, b))
        return result
    k, n = w.shape[1], w.shape[0]
    if x.ndim == 2:
        x2 = input
    elif input._requires_grad:
        # PyTorch views a 1-D input as one row (``unsqueeze`` without a bias, ``view`` with one)
        x2 = input.unsqueeze(0) if x.ndim == 1 and b is None else input.view(-1, k)
    else:
        x2 = wrap(x.reshape(-1, k), dev)  # no edge to record: a plain array of rows will do
    wt = weight.t()
    out2 = wrap(out if x.ndim == 2 else out.reshape(-1, n), dev)
    if b is None:
        record(_ROWS_MM, out2, (x2, wt), _ROWS, node_name="MmBackward0")
    else:
        record(_ROWS_ADDMM, out2, (bias, x2, wt), _ROWS, node_name="AddmmBackward0")
    if x.ndim == 2:
        return out2
    if b is not None:
        return out2.view(out.shape)
    # without a bias PyTorch squeezes a 1-D input's row in place, and ``_unsafe_view``s more rows
    result = wrap(out, dev)
    record(_REGISTRY.ops["squeeze" if x.ndim == 1 else "reshape"], result, (out2,), {"shape": out2._data.shape},
           node_name="SqueezeBackward4" if x.ndim == 1 else "UnsafeViewBackward0")
    return result


# the ``attrs`` that mark a node recorded by ``_record_graph`` (inputs ([bias,] rows, weight.t()))
_ROWS = "rows"


def _top_node_name(x, w, b) -> str:
    """The node PyTorch's graph ends in for ``linear`` (what ``out.grad_fn`` prints); ours is one
    node whatever the name, so values and gradients do not depend on it.

    PyTorch folds a 2-D-viewable input into one matrix product: addmm with a bias (viewed back
    for other ranks), mm without one (unsqueezed/squeezed for 1-D, ``_unsafe_view``-ed back for
    more dimensions). An input that cannot be viewed as rows (transposed, expanded, sliced: not
    C-contiguous) goes through matmul instead, and the bias is added after: ``AddBackward0``, as
    is a 0-D bias on an input that is not 2-D. A 1-D weight is a dot or matrix-vector product."""
    if b is not None and _bias_after(x, b, x.flags.c_contiguous):
        return "AddBackward0"
    if w.ndim == 1:
        return {1: "DotBackward0", 2: "MvBackward0"}.get(x.ndim, "UnsafeViewBackward0")
    has_bias = b is not None
    if x.ndim == 2:
        return "AddmmBackward0" if has_bias else "MmBackward0"
    if x.ndim == 1:
        return "ViewBackward0" if has_bias else "SqueezeBackward4"
    return "ViewBackward0" if has_bias else "UnsafeViewBackward0"


_OP = nnop("linear", _linear_kernel, linear)


# The nodes ``_record_graph`` records are ops of their own for what they keep for backward (what
# saved-tensor hooks pack, and ``grad_fn._saved_mat1``/``_saved_mat2``), as PyTorch's: mm keeps each
# operand only for the other's gradient, addmm its two matrices and never the bias. (Their
# signatures name the saved inputs; the product itself was computed by ``linear``.)
def _addmm_rows(self, mat1, mat2):
    raise RuntimeError("nn.linear_addmm_rows is the node of F.linear's graph, not an op to call: use F.linear")


def _mm_rows(self, mat2):
    raise RuntimeError("nn.linear_mm_rows is the node of F.linear's graph, not an op to call: use F.linear")


_ROWS_ADDMM = nnop("linear_addmm_rows", None, _addmm_rows)
_ROWS_MM = nnop("linear_mm_rows", None, _mm_rows)


@formula("linear_addmm_rows", saves=(1, 2))
def _addmm_rows_grad(node, g):
    return _rows_grad(node, g)


_addmm_rows_grad.saved_defaults = {"alpha": 1, "beta": 1}  # (PyTorch's AddmmBackward0 shows them)


@formula("linear_mm_rows")
def _mm_rows_grad(node, g):
    return _rows_grad(node, g)


_mm_rows_grad.saves_crossed = True


@formula("linear")
def _linear_grad(node, g):
    if node.attrs is _ROWS:
        return _rows_grad(node, g)
    x, w, b = node.inputs
    nx, nw, nb = node.needs_input_grad
    if w.ndim == 1:
        return _vector_weight_grad(x, w, b, g, nx, nw, nb)
    if gs.enabled:  # create_graph: stay differentiable
        g2 = g.reshape(-1, g.shape[-1]) if g.ndim != 2 else g
        x2 = x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x
        gx = g.matmul(conj_factor(w)).reshape(x.shape) if nx else None
        gw = g2.t().mm(conj_factor(x2)) if nw else None
        # a 2-D bias of a 2-D input (expanded to the (rows, out) result by addmm) takes the sum over
        # what it was expanded along; a 1-D or 0-D one the sum over the rows (the engine sums the
        # rest); one of more dims, added to an N-D output, the output's gradient (the engine sums
        # what it was broadcast along)
        gb = None
        if nb:
            gb = g if b.ndim >= 2 and x.ndim != 2 else g2.sum_to_size(*b.shape) if b.ndim == 2 else g2.sum(0)
        return gx, gw, gb
    gd, xd, wd = g._data, x._data, w._data
    dev = g._device
    # the half types: products and sums in float32, each gradient rounded once (ops/_bfloat16.py)
    out = _half_wrapper(gd, dev)
    if out is not wrap:
        gd, xd, wd = widen_half(gd), widen_half(xd), widen_half(wd)
    g2 = gd if gd.ndim == 2 else gd.reshape(-1, gd.shape[-1])
    gx = gw = gb = None
    if nx:  # (complex: the conjugate of the other factor, PyTorch's convention)
        gx = out(g2.dot(conj_factor(wd)).reshape(xd.shape), dev)
    if nw:
        x2 = xd if xd.ndim == 2 else xd.reshape(-1, xd.shape[-1])
        gw = out(g2.T.dot(conj_factor(x2)), dev)
    if nb:
        bshape = b._data.shape
        if len(bshape) >= 2 and xd.ndim != 2:  # (broadcast against the N-D output: the engine sums it)
            gb = out(gd, dev)
        elif len(bshape) == 2:
            gb = out(g2.sum(axis=tuple(i for i in range(2) if bshape[i] == 1), keepdims=True), dev)
        else:
            gb = out(g2.sum(0), dev)
    return gx, gw, gb


def _rows_grad(node, g):
    """Gradients of ``[bias +] rows @ wt`` (a node of ``_record_graph``): ``g`` and the rows are
    2-D, ``wt`` is the weight's transpose (its ``TBackward0`` turns that gradient back). On
    arrays when grad mode is off (the usual backward), in tensorgraft ops under create_graph."""
    if len(node.inputs) == 3:
        b, x, wt = node.inputs  # (the bias is not kept: its shape is the node's record of it)
        bshape = node.in_meta[0][0] if node.in_meta[0] is not None else None
        nb, nx, nw = node.needs_input_grad
    else:
        (x, wt), bshape, nb = node.inputs, None, False
        nx, nw = node.needs_input_grad
    if gs.enabled:
        gx = g.mm(conj_factor(wt.t())) if nx else None
        gw = g.t().mm(conj_factor(x)).t() if nw else None
        # PyTorch's sum_to: a keepdim sum over the rows, viewed as the bias (SumBackward1, ViewBackward0)
        gb = None
        if nb:
            gb = g.sum() if not bshape else g.sum(0, keepdim=True).view(bshape) if len(bshape) == 1 else \
                g.sum_to_size(*bshape)
    else:
        gd, dev = g._data, g._device
        out = _half_wrapper(gd, dev)  # the half types: computed in float32, rounded once
        # (mm keeps each operand only for the other's gradient: one of them may be gone)
        xd = None if x is None else x._data
        wtd = None if wt is None else wt._data
        if out is not wrap:
            gd = widen_half(gd)
            xd = None if xd is None else widen_half(xd)
            wtd = None if wtd is None else widen_half(wtd)
        gx = out(gd.dot(conj_factor(wtd).T), dev) if nx else None
        # the (out, in) product, handed on transposed: TBackward0 turns it back into a C-contiguous
        # gradient the weight's accumulator keeps without a copy
        gw = out(gd.T.dot(conj_factor(xd)).T, dev) if nw else None
        gb = None
        if nb:
            if len(bshape) == 0:  # (a 0-D bias of a 2-D input: addmm expands it to every entry)
                gb = out(gd.sum(), dev)
            elif len(bshape) == 1:
                gb = out(gd.sum(0), dev)
            else:  # a (rows, out) or broadcast (1, out) / (rows, 1) bias of a 2-D input
                gb = out(gd.sum(axis=tuple(i for i in range(2) if bshape[i] == 1), keepdims=True), dev)
    return (gx, gw) if len(node.inputs) == 2 else (gb, gx, gw)


def _vector_weight_grad(x, w, b, g, nx, nw, nb):
    """Gradients of ``x @ w (+ b)`` for a 1-D weight (one squeezed output), in tensorgraft ops
    (so they can be differentiated again): the product's part of ``g`` has the input's leading
    shape; a 0-D bias takes the sum."""
    lead = tuple(x.shape[:-1])
    gm = g if tuple(g.shape) == lead else g.sum_to_size(*lead) if lead else g.sum()
    rows = gm.reshape(-1, 1)
    gx = (rows * conj_factor(w)).reshape(x.shape) if nx else None
    gw = (rows * conj_factor(x.reshape(-1, x.shape[-1]))).sum(0) if nw else None
    gb = None
    if nb:
        gb = g.sum() if b.ndim == 0 else g.sum_to_size(*b.shape)
    return gx, gw, gb


# ------------------------------------------------------------------ batched forms
# The same gradients for g of shape (batch, *output shape) (``grad(..., is_grads_batched=True)``,
# jacrev: ``autograd/batched_backward.py``), each product once over the whole batch; the engine
# sums what broadcast against the batch (a bias's rows) back to the input's shape.
@batched_of(_addmm_rows_grad)
def _addmm_rows_batched(node, g):
    return _rows_batched(node, g)


@batched_of(_mm_rows_grad)
def _mm_rows_batched(node, g):
    return _rows_batched(node, g)


def _rows_batched(node, g):
    """``_rows_grad`` over a batch: g is (batch, rows, out), the rows (rows, in), ``wt`` (in, out)."""
    if g.ndim != 3:
        return None
    if len(node.inputs) == 3:
        _, x, wt = node.inputs
        nb, nx, nw = node.needs_input_grad
        bshape = node.in_meta[0][0]
    else:
        (x, wt), nb = node.inputs, False
        nx, nw = node.needs_input_grad
    # (mm keeps each operand only for the other's gradient: the one not kept is never read)
    gx, gw = _rows_products_batched(x, wt, g, nx, nw)
    if not nb:
        return (gx, gw) if len(node.inputs) == 2 else (None, gx, gw)
    # a (out,) bias takes the sum over the rows; a 2-D one (rows or 1, out or 1) the broadcast
    # gradient, which the engine sums down to its shape
    gb = g.sum(1) if len(bshape) == 1 else g
    return gb, gx, gw


def _rows_products_batched(x, wt, g, nx, nw):
    """The gradients of ``rows @ wt`` for g (batch, rows, out): on arrays (grad mode off, float32
    and wider) each as ONE matrix product over the whole batch (the batch folded into g's rows for
    the rows' gradient, into its columns for wt's); in tensorgraft ops otherwise."""
    gd, dev = g._data, g._device
    if gs.enabled or gd.dtype.kind not in "fc" or gd.dtype.itemsize < 4 or _half_wrapper(gd, dev) is not wrap:
        gx = g.matmul(conj_factor(wt).t()) if nx else None
        gw = conj_factor(x).t().matmul(g) if nw else None
        return gx, gw
    n, m, k = gd.shape
    gx = gw = None
    if nx:
        wtd = wt._data
        gx = wrap(gd.reshape(n * m, k).dot(conj_factor(wtd).T).reshape(n, m, wtd.shape[0]), dev)
    if nw:
        xd = x._data
        cols = gd.transpose(1, 0, 2).reshape(m, n * k)
        gw = wrap(conj_factor(xd).T.dot(cols).reshape(xd.shape[1], n, k).transpose(1, 0, 2), dev)
    return gx, gw


@batched_of(_linear_grad)
def _linear_batched(node, g):
    if node.attrs is _ROWS:
        return _rows_batched(node, g)
    x, w, b = node.inputs
    if w.ndim != 2 or x.ndim == 0 or g.dtype is not x.dtype or _half_wrapper(g._data, g._device) is not wrap:
        return None  # (a vector weight, bfloat16: once per entry)
    nx, nw, nb = node.needs_input_grad
    n, k = w.shape
    batch = g.shape[0]
    gx = g.matmul(conj_factor(w)) if nx else None
    gw = None
    if nw:
        g3 = g.reshape(batch, -1, n)
        gw = g3.transpose(1, 2).matmul(conj_factor(x.reshape(-1, k)))
    # the bias was broadcast against the output (a 2-D input's 2-D bias takes the rows path): the
    # engine sums it down
    return gx, gw, (g if nb else None)


# ------------------------------------------------------------------ bilinear's trilinear product
# ``out[b, o] = sum_ij x1[b, i] w[o, i, j] x2[b, j]`` on (B, in1) and (B, in2) rows: the one node
# (TrilinearBackward0) under ``F.bilinear``'s view and bias add, as in ATen. Each gradient is a
# matrix product over the other two operands, written with tensorgraft ops so that it can be
# differentiated again.
def _trilinear_kernel(xp, x1, w, x2):
    out_f, in1, in2 = w.shape
    t = x1.dot(w.transpose(1, 0, 2).reshape(in1, out_f * in2)).reshape(-1, out_f, in2)
    return (t * x2[:, None, :]).sum(axis=-1)


def trilinear(x1, weight, x2):
    dev = same_device("_trilinear", x1, weight, x2)
    out = wrap(_TRILINEAR.table[dev.type](x1._data, weight._data, x2._data), dev)
    if gs.enabled and (x1._requires_grad or weight._requires_grad or x2._requires_grad):
        record(_TRILINEAR, out, (x1, weight, x2), None)
    return out


_TRILINEAR = nnop("trilinear", _trilinear_kernel, trilinear, node="TrilinearBackward0")


@formula("trilinear", saves=(0, 1, 2))
def _trilinear_grad(node, g):
    x1, w, x2 = node.inputs
    n1, nw, n2 = node.needs_input_grad
    rows = g.shape[0]
    out_f, in1, in2 = w.shape
    g1 = gw = g2 = None
    if n1:
        g1 = (g.unsqueeze(2) * x2.unsqueeze(1)).reshape(rows, out_f * in2).mm(
            w.permute(0, 2, 1).reshape(out_f * in2, in1))
    if n2:
        g2 = (g.unsqueeze(2) * x1.unsqueeze(1)).reshape(rows, out_f * in1).mm(w.reshape(out_f * in1, in2))
    if nw:
        gw = g.t().mm((x1.unsqueeze(2) * x2.unsqueeze(1)).reshape(rows, in1 * in2)).reshape(out_f, in1, in2)
    return g1, gw, g2
