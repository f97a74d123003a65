"""Which ATen ops PyTorch runs for a public call, with the FLOPs of each, forward and backward.

A ``TorchFunctionMode`` sees ``F.linear(x, w, b)``, not the ``aten.addmm`` or ``aten.mm`` PyTorch's
``at::linear`` turns it into; these functions repeat PyTorch's choices (from the shapes, strides and
``requires_grad`` of the arguments) so the counts carry PyTorch's names and numbers. Each returns
``(forward, backward)``: lists of ``(op key, its arguments' shapes, its output's shape, token)``,
which the counter hands to the op's formula (so ``custom_mapping`` applies); the token says which
gradient a backward item computes (``_tok``). ``backward`` is what the autograd nodes of
the call count when they run (one matrix product per input whose gradient is needed, as PyTorch's
``MmBackward0``/``BmmBackward0``; ``aten.convolution_backward`` for the needed input and weight
gradients)."""
from __future__ import annotations

from math import prod

from .formulas import aten

_NOTHING = ([], [])


def _arg(args, kwargs, index, name, default=None):
    if len(args) > index:
        return args[index]
    return kwargs.get(name, default)


def _is_tensor(x) -> bool:
    return hasattr(x, "shape") and hasattr(x, "requires_grad")


def _tok(x):
    """What stands for "the gradient of ``x`` is needed": ``x`` itself when it requires grad, else
    None. The counter turns it into ``x``'s node in the graph and asks, when the backward runs,
    whether that pass reaches it (``autograd.grad(y, x)`` computes no gradient for ``w``)."""
    return x if _is_tensor(x) and x.requires_grad else None


def _any(*tokens):
    """Needed when any of ``tokens`` is (an intermediate result's gradient)."""
    tokens = tuple(t for t in tokens if t is not None)
    return None if not tokens else tokens[0] if len(tokens) == 1 else tokens


def _contiguous(shape, strides) -> bool:
    """PyTorch's is_contiguous on a shape and strides (dimensions of size 1 do not count)."""
    expected = 1
    for size, stride in zip(reversed(shape), reversed(strides)):
        if size == 1:
            continue
        if stride != expected:
            return False
        expected *= size
    return True


def _product(kind, a, b, needs, self_shape=None):
    """A product of ``a`` (m, k) by ``b`` (k, n) (with a batch in front for bmm), counted forward as
    ``kind``; its backward is a product per input whose gradient is needed, as PyTorch's
    ``MmBackward0``/``BmmBackward0``: grad @ b^T for ``a``, a^T @ grad for ``b``."""
    a, b = tuple(a), tuple(b)
    batched = len(a) == 3
    out = a[:-1] + b[-1:]
    args = (a, b) if self_shape is None else (tuple(self_shape), a, b)
    forward = [(kind, args, out, None)]
    backward_kind = aten.bmm if batched else aten.mm
    backward = []
    if needs[0] is not None:
        backward.append((backward_kind, (out, a[:-2] + (b[-1], b[-2])), a, needs[0]))
    if needs[1] is not None:
        backward.append((backward_kind, (a[:-2] + (a[-1], a[-2]), out), b, needs[1]))
    return forward, backward


def _mm(m, k, n, needs, kind=None):
    return _product(kind or aten.mm, (m, k), (k, n), needs, (m, n) if kind is aten.addmm else None)


def _bmm(batch, m, k, n, needs, kind=None):
    return _product(kind or aten.bmm, (batch, m, k), (batch, k, n), needs,
                    (batch, m, n) if kind is aten.baddbmm else None)


def _broadcast(a, b):
    a, b = list(a), list(b)
    n = max(len(a), len(b))
    a, b = [1] * (n - len(a)) + a, [1] * (n - len(b)) + b
    return [x if y == 1 else y for x, y in zip(a, b)]


def _should_fold(s1, st1, s2, st2, g1, g2) -> bool:
    """at::matmul's choice between one ``mm`` on the folded larger operand and a ``bmm``."""
    larger_first = len(s1) >= len(s2)
    if larger_first:
        t1_shape, t1_strides, dim_t2, t2_grad = s1, st1, len(s2), g2
    else:  # the larger is tensor2, seen transposed
        t1_shape = list(s2[:-2]) + [s2[-1], s2[-2]]
        t1_strides = list(st2[:-2]) + [st2[-1], st2[-2]]
        dim_t2, t2_grad = len(s1), g1
    if not (len(t1_shape) >= 3 and dim_t2 <= 2):
        return False
    if t2_grad is not None:
        return True
    if len(s1) == 2:
        return False
    if prod(t1_shape) == 0:
        return True
    return all(t1_strides[i] == t1_strides[i + 1] * t1_shape[i + 1] for i in range(len(t1_shape) - 2))


def matmul_plan(s1, st1, g1, s2, st2, g2):
    """at::matmul of operands with shapes ``s``, strides ``st`` and gradient tokens ``g`` (``_tok``)."""
    d1, d2 = len(s1), len(s2)
    if d1 == 0 or d2 == 0 or (d1 == 1 and d2 == 1) or (d1 == 2 and d2 == 1):
        return _NOTHING  # dot, mv: not counted
    if d1 == 1 and d2 == 2:
        return _mm(1, s1[0], s2[1], (g1, g2))
    if d1 == 2 and d2 == 2:
        return _mm(s1[0], s1[1], s2[1], (g1, g2))
    if _should_fold(s1, st1, s2, st2, g1, g2):
        if min(d1, d2) == 1:
            return _NOTHING  # folded into an mv
        if d1 >= d2:
            m, k, n = prod(s1[:-1]), s1[-1], s2[-1]
        else:
            m, k, n = prod(s2[:-2]) * s2[-1], s2[-2], s1[-2]
        return _mm(m, k, n, (g1, g2))
    n = s1[-2] if d1 > 1 else 1
    k = s1[-1]
    p = s2[-1] if d2 > 1 else 1
    batch = prod(_broadcast(s1[:-2] if d1 > 2 else [], s2[:-2] if d2 > 2 else []))
    return _bmm(batch, n, k, p, (g1, g2))


def _matmul_tensors(a, b):
    if not (_is_tensor(a) and _is_tensor(b)):
        return _NOTHING
    return matmul_plan(list(a.shape), list(a.stride()), _tok(a), list(b.shape), list(b.stride()), _tok(b))


def matmul(args, kwargs, out):
    return _matmul_tensors(_arg(args, kwargs, 0, "input"), _arg(args, kwargs, 1, "other"))


def rmatmul(args, kwargs, out):
    return _matmul_tensors(args[1], args[0])


def linear(args, kwargs, out):
    x, w, b = _arg(args, kwargs, 0, "input"), _arg(args, kwargs, 1, "weight"), _arg(args, kwargs, 2, "bias")
    if not (_is_tensor(x) and _is_tensor(w)) or w.dim() != 2:
        return _NOTHING
    shape = list(x.shape)
    # at::linear: a bias with a matrix, a vector or a contiguous input is one addmm on the flattened input
    if b is not None and shape and (len(shape) <= 2 or x.is_contiguous()):
        return _mm(prod(shape[:-1]), shape[-1], w.shape[0], (_tok(x), _tok(w)), aten.addmm)
    wt_shape, wt_strides = [w.shape[1], w.shape[0]], list(reversed(w.stride()))
    return matmul_plan(shape, list(x.stride()), _tok(x), wt_shape, wt_strides, _tok(w))


def mm(args, kwargs, out):
    a, b = _arg(args, kwargs, 0, "input"), _arg(args, kwargs, 1, "mat2")
    if not (_is_tensor(a) and _is_tensor(b)) or a.dim() != 2 or b.dim() != 2 or getattr(a, "is_sparse", False):
        return _NOTHING
    return _mm(a.shape[0], a.shape[1], b.shape[1], (_tok(a), _tok(b)))


def bmm(args, kwargs, out):
    a, b = _arg(args, kwargs, 0, "input"), _arg(args, kwargs, 1, "mat2")
    if not (_is_tensor(a) and _is_tensor(b)) or a.dim() != 3 or b.dim() != 3:
        return _NOTHING
    return _bmm(a.shape[0], a.shape[1], a.shape[2], b.shape[2], (_tok(a), _tok(b)))


def addmm(args, kwargs, out):
    a, b = _arg(args, kwargs, 1, "mat1"), _arg(args, kwargs, 2, "mat2")
    if not (_is_tensor(a) and _is_tensor(b)) or a.dim() != 2 or b.dim() != 2:
        return _NOTHING
    return _mm(a.shape[0], a.shape[1], b.shape[1], (_tok(a), _tok(b)), aten.addmm)


def baddbmm(args, kwargs, out):
    a, b = _arg(args, kwargs, 1, "batch1"), _arg(args, kwargs, 2, "batch2")
    if not (_is_tensor(a) and _is_tensor(b)) or a.dim() != 3 or b.dim() != 3:
        return _NOTHING
    return _bmm(a.shape[0], a.shape[1], a.shape[2], b.shape[2], (_tok(a), _tok(b)), aten.baddbmm)


def tensordot_plan(a, b, dims_a, dims_b):
    dims_a = [d % a.dim() for d in dims_a]
    dims_b = [d % b.dim() for d in dims_b]
    k = prod(a.shape[d] for d in dims_a)
    m = prod(s for i, s in enumerate(a.shape) if i not in dims_a)
    n = prod(s for i, s in enumerate(b.shape) if i not in dims_b)
    return _mm(m, k, n, (_tok(a), _tok(b)))


def tensordot(args, kwargs, out):
    a, b = _arg(args, kwargs, 0, "a"), _arg(args, kwargs, 1, "b")
    dims = _arg(args, kwargs, 2, "dims", 2)
    if not (_is_tensor(a) and _is_tensor(b)):
        return _NOTHING
    if _is_tensor(dims):
        dims = dims.tolist()
    if isinstance(dims, int):
        dims_a, dims_b = list(range(a.dim() - dims, a.dim())), list(range(dims))
    else:
        dims_a, dims_b = dims
        dims_a = [dims_a] if isinstance(dims_a, int) else list(dims_a)
        dims_b = [dims_b] if isinstance(dims_b, int) else list(dims_b)
    return tensordot_plan(a, b, dims_a, dims_b)


def inner(args, kwargs, out):
    a, b = _arg(args, kwargs, 0, "input"), _arg(args, kwargs, 1, "other")
    if not (_is_tensor(a) and _is_tensor(b)) or a.dim() == 0 or b.dim() == 0 or a.dim() + b.dim() == 2:
        return _NOTHING  # a product by a number, or a dot
    return tensordot_plan(a, b, [-1], [-1])


def multi_dot(args, kwargs, out):
    tensors = _arg(args, kwargs, 0, "tensors")
    return _chain(list(tensors) if isinstance(tensors, (list, tuple)) else [])


def chain_matmul(args, kwargs, out):
    return _chain(list(args))


def _chain(tensors):
    """linalg.multi_dot: mm's in the order that costs the fewest multiplications."""
    if len(tensors) < 2 or not all(_is_tensor(t) for t in tensors):
        return _NOTHING
    shapes = [list(t.shape) for t in tensors]
    if len(shapes[0]) == 1:
        shapes[0] = [1] + shapes[0]
    if len(shapes[-1]) == 1:
        shapes[-1] = shapes[-1] + [1]
    if any(len(s) != 2 for s in shapes):
        return _NOTHING
    from ...ops.linalg.tensor_products import chain_order
    dims = [shapes[0][0]] + [s[1] for s in shapes]
    n = len(shapes)
    split = chain_order(dims)
    needs = [_tok(t) for t in tensors]
    forward, backward = [], []

    def walk(i, j):
        """The products of the chain i..j; returns its result's gradient token."""
        if i == j:
            return needs[i]
        s = split[i][j]
        left, right = walk(i, s), walk(s + 1, j)
        f, b = _mm(dims[i], dims[s + 1], dims[j + 1], (left, right))
        forward.extend(f)
        backward.extend(b)
        return _any(left, right)
    walk(0, n - 1)
    return forward, backward


def einsum(args, kwargs, out):
    """at::einsum without opt_einsum: operands contracted left to right, each pair by a bmm when
    they share a summed dimension (a product or a sum otherwise, not counted)."""
    if not args:
        return _NOTHING
    equation, operands = args[0], args[1:]
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = operands[0]
    if not isinstance(equation, str) or len(operands) < 2 or not all(_is_tensor(t) for t in operands):
        return _NOTHING
    equation = equation.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(operands):
        return _NOTHING
    ell = max((t.dim() - len(term.replace("...", "")) for t, term in zip(operands, terms) if "..." in term),
              default=0)
    ell_labels = [chr(0x10000 + i) for i in range(ell)]
    sizes = {}
    labelled = []
    for t, term in zip(operands, terms):
        if "..." in term:
            before, after = term.split("...")
            n = t.dim() - len(before) - len(after)
            labels = list(before) + ell_labels[ell - n:] + list(after)
        else:
            labels = list(term)
        for label, size in zip(labels, t.shape):
            if sizes.get(label, 1) == 1:
                sizes[label] = size
        labelled.append((labels, _tok(t)))
    if arrow:
        output = list(rhs.replace("...", "".join(ell_labels)))
    else:
        counts = {}
        for labels, _ in labelled:
            for label in labels:
                counts[label] = counts.get(label, 0) + 1
        output = ell_labels + sorted(lb for lb, c in counts.items() if c == 1 and lb not in ell_labels)
    forward, backward = [], []
    left, left_needs = labelled[0]
    left = set(left)
    for i in range(1, len(labelled)):
        right, right_needs = labelled[i]
        right = set(right)
        later = set(output).union(*(set(lb) for lb, _ in labelled[i + 1:]))
        # a dimension only one side has and nothing later needs is summed out first
        left = {lb for lb in left if lb in later or lb in right}
        right = {lb for lb in right if lb in later or lb in left}
        summed = {lb for lb in left & right if lb not in later}
        kept = (left | right) - summed
        if summed:
            batch = prod(sizes[lb] for lb in left & right if lb in later)
            f, b = _bmm(batch, prod(sizes[lb] for lb in left - right), prod(sizes[lb] for lb in summed),
                        prod(sizes[lb] for lb in right - left), (left_needs, right_needs))
            forward.extend(f)
            backward.extend(b)
        left, left_needs = kept, _any(left_needs, right_needs)
    return forward, backward


def _conv(transposed):
    def plan(args, kwargs, out):
        x, w = _arg(args, kwargs, 0, "input"), _arg(args, kwargs, 1, "weight")
        if not (_is_tensor(x) and _is_tensor(w) and _is_tensor(out)):
            return _NOTHING
        x_shape, w_shape, out_shape = tuple(x.shape), tuple(w.shape), tuple(out.shape)
        if len(x_shape) == len(w_shape) - 1:  # an unbatched input runs as a batch of one
            x_shape, out_shape = (1,) + x_shape, (1,) + out_shape
        stride, padding = _arg(args, kwargs, 3, "stride", 1), _arg(args, kwargs, 4, "padding", 0)
        if transposed:
            output_padding = _arg(args, kwargs, 5, "output_padding", 0)
            groups, dilation = _arg(args, kwargs, 6, "groups", 1), _arg(args, kwargs, 7, "dilation", 1)
        else:
            output_padding = 0
            dilation, groups = _arg(args, kwargs, 5, "dilation", 1), _arg(args, kwargs, 6, "groups", 1)
        b = _arg(args, kwargs, 2, "bias")
        b_shape = tuple(b.shape) if _is_tensor(b) else None
        common = (stride, padding, dilation, transposed, output_padding, groups)
        forward = [(aten.convolution, (x_shape, w_shape, b_shape) + common, out_shape, None)]
        tokens = [_tok(x), _tok(w), _tok(b)]
        if tokens == [None, None, None]:
            return forward, []
        # (a list of tokens: the output_mask, filled in when the backward runs)
        return forward, [(aten.convolution_backward, (out_shape, x_shape, w_shape, b_shape) + common,
                          (x_shape, w_shape, b_shape), tokens)]
    return plan


def _uses_flash_cpu(q, k, v, dropout_p, enable_gqa) -> bool:
    """Whether PyTorch's CPU ``scaled_dot_product_attention`` picks its flash kernel (not in the FLOP
    table: counted 0) over the math one (matmuls, counted as bmm)."""
    if q.dim() != 4 or k.dim() != 4 or v.dim() != 4 or dropout_p > 0.0:
        return False
    if not (q.shape[-1] == k.shape[-1] == v.shape[-1]):
        return False
    if q.shape[0] != k.shape[0] or k.shape[0] != v.shape[0] or k.shape[1] != v.shape[1]:
        return False
    if q.shape[1] != k.shape[1] and not (enable_gqa and q.shape[1] % k.shape[1] == 0):
        return False
    if 0 in (q.shape[2], k.shape[2]):
        return False
    return all(t.stride()[-1] == 1 for t in (q, k, v))


def sdpa(args, kwargs, out):
    q, k, v = (_arg(args, kwargs, i, n) for i, n in enumerate(("query", "key", "value")))
    if not all(_is_tensor(t) for t in (q, k, v)):
        return _NOTHING
    dropout_p = _arg(args, kwargs, 4, "dropout_p", 0.0)
    enable_gqa = kwargs.get("enable_gqa", False)
    if _uses_flash_cpu(q, k, v, dropout_p, enable_gqa):
        return _NOTHING
    qs, ks, vs = list(q.shape), list(k.shape), list(v.shape)
    if enable_gqa and len(qs) >= 3 and qs[-3] != ks[-3]:  # the math kernel repeats the key/value heads
        ks[-3] = vs[-3] = qs[-3]
    scores_shape = _broadcast(qs[:-2], ks[:-2]) + [qs[-2], ks[-2]]
    f1, b1 = matmul_plan(qs, _strides(qs), _tok(q),
                         ks[:-2] + [ks[-1], ks[-2]], _strides(ks[:-2] + [ks[-1], ks[-2]]), _tok(k))
    f2, b2 = matmul_plan(scores_shape, _strides(scores_shape), _any(_tok(q), _tok(k)), vs, _strides(vs), _tok(v))
    return f1 + f2, b1 + b2


def _strides(shape):
    strides, step = [], 1
    for size in reversed(shape):
        strides.append(step)
        step *= size
    return list(reversed(strides))


def _build():
    table = {}
    for name in ("torch.matmul", "torch.Tensor.matmul", "torch.linalg.linalg_matmul", "torch.linalg.matmul"):
        table[name] = matmul
    table["torch.Tensor.__rmatmul__"] = rmatmul
    table["torch.nn.functional.linear"] = linear
    for prefix in ("torch.", "torch.Tensor."):
        table[prefix + "mm"] = mm
        table[prefix + "bmm"] = bmm
        table[prefix + "addmm"] = addmm
        table[prefix + "baddbmm"] = baddbmm
        table[prefix + "inner"] = inner
    table["torch.tensordot"] = tensordot
    table["torch.linalg.linalg_multi_dot"] = table["torch.linalg.multi_dot"] = multi_dot
    table["torch.chain_matmul"] = chain_matmul
    table["torch.einsum"] = einsum
    for prefix in ("torch.", "torch.nn.functional."):
        for d in (1, 2, 3):
            table[f"{prefix}conv{d}d"] = _conv(False)
            table[f"{prefix}conv_transpose{d}d"] = _conv(True)
    table["torch.nn.functional.scaled_dot_product_attention"] = sdpa
    return table


PLANS = _build()
