"""einsum of two or more float operands as PyTorch computes it: operands contracted left to right,
each pair through one batched matrix product (the kernel ``bmm`` runs), so the sums run in the
order PyTorch's run and the result has the layout PyTorch's has (the product's, permuted into
the output's dim order).

NumPy's ``einsum`` sums matrix-vector shaped contractions (``ij,j->i``, ``bi,bi->b``,
``ij,kj->ik``) in its own loop order (results a few ulps from PyTorch's) and hands back
transposed layouts (``ij,jk->ik`` came out column-major, so ``.view()`` on it failed where
PyTorch's works). PyTorch without ``opt_einsum`` installed (the reference environment) contracts
strictly left to right; so does this.

Measured against PyTorch 2.13 (CPU, one thread): the bmm-shaped contractions agree bit for bit;
the ones whose pairs reduce to a vector product agree to float rounding (BLAS picks its own dot
kernel for a 1-column product).

The plan also gives PyTorch's dtype rules (``einsum_result_dtype``: bmm refuses bools and mixed
dtypes; a sum of bools or integers is an int64) and, where a pair only multiplies, the layout
TensorIterator gives the product (``_multiply_like_tensor_iterator``): measured over 2,800
random equations of 1-3 operands, the strides agree with PyTorch's except, in a few, the
strides of size-1 dims.
"""
from __future__ import annotations

import numpy as np

# plans by (equation, operand shapes): a training loop calls the same einsum every step, and
# planning costs more than running a small contraction
_PLANS: dict = {}
_MAX_PLANS = 256


def _plan_for(eq, shapes):
    key = (eq, shapes)
    plan = _PLANS.get(key)
    if plan is None:
        if len(_PLANS) >= _MAX_PLANS:
            _PLANS.clear()
        plan = _PLANS[key] = _plan(eq, shapes)
    return plan


def multiplies_only(eq, shapes):
    """Whether PyTorch's einsum of operands of ``shapes`` runs no ``bmm`` (every pair multiplied,
    each summed label summed by one operand alone)."""
    return all(step[2] is None for step in _plan_for(eq, shapes)[2])


def einsum_result_dtype(eq, shapes, dtypes, promote):
    """The dtype PyTorch's einsum gives operands of ``dtypes`` (tensorgraft dtypes), or its error,
    found by following the plan PyTorch runs: a sum of a bool or integer operand (a label summed
    where only one operand has it) is an int64 (``ij->i`` of a bool counts), a pair with nothing
    summed multiplies (dtypes promote), and a pair with a summed label goes through ``bmm``,
    which takes one dtype and no bool: ``ij,jk->ik`` of bools raises ``"bmm" not implemented
    for 'Bool'``, a float32 with a float64 "expected scalar type Float but found Double" (its
    first operand named first). ``promote`` is the dtype promotion of two dtypes."""
    from ... import dtypes as _dt
    _, first_sum, pairs, _ = _plan_for(eq, shapes)

    def summed(dt):  # (sum of a bool or an integer is an int64, as PyTorch's sum)
        return _dt.int64 if dt.category <= 1 else dt
    if len(dtypes) == 1:  # (one operand: summed over every contracted label, size 1 included)
        lhs, out = eq.split("->")
        return summed(dtypes[0]) if set(lhs) - set(out) else dtypes[0]
    cur = summed(dtypes[0]) if first_sum else dtypes[0]
    for dt, (lsum, rsum, swap, *_rest) in zip(dtypes[1:], pairs):
        if lsum:
            cur = summed(cur)
        if rsum:
            dt = summed(dt)
        if swap is None:
            cur = promote(cur, dt)
            continue
        a, b = (dt, cur) if swap else (cur, dt)
        if a is _dt.bool:
            raise NotImplementedError('"bmm" not implemented for \'Bool\'')
        if a is not b:
            raise RuntimeError(f"expected scalar type {a.scalar_type} but found {b.scalar_type}")
        cur = a
    return cur


def contract_like_pytorch(eq, arrays, matmul):
    """``eq`` (explicit: ``"ab,bc->ac"``, no ellipsis, each operand's labels matching its rank)
    over two or more NumPy arrays: of one float or complex dtype, or bools and integers whose dtypes
    ``einsum_result_dtype`` accepted (each step's dtype then follows PyTorch's: a sum is an int64,
    a product promotes, so ``uint8`` products wrap before a later sum widens them); ``matmul`` is
    bmm's CPU kernel."""
    prep, first_sum, pairs, out_shape = _plan_for(eq, tuple(a.shape for a in arrays))
    ops = []
    for a, (diag, perm, n_missing, _) in zip(arrays, prep):
        if diag is not None:
            a = np.einsum(diag, a)  # (a repeated label's diagonal: a view, no arithmetic)
        if n_missing:  # (NumPy gives appended size-1 dims the last dim's stride)
            a = a.reshape(a.shape + (1,) * n_missing) if a.ndim == 0 or a.strides[-1] == a.itemsize else \
                _as_strided(a, a.shape + (1,) * n_missing, a.strides + (a.itemsize,) * n_missing)
        ops.append(a.transpose(perm))
    result = ops[0]
    if first_sum:
        result = _sum(result, first_sum)
    for right, (lsum, rsum, swap, perms1, perms2, pshape, inverse) in zip(ops[1:], pairs):
        if lsum:
            result = _sum(result, lsum)
        if rsum:
            right = _sum(right, rsum)
        if swap is None:  # nothing summed by both: PyTorch multiplies (broadcasting), no product
            result = _multiply_like_tensor_iterator(result, right)
            continue
        a, b = (right, result) if swap else (result, right)
        (perm1, shape1), (perm2, shape2) = perms1, perms2
        prod = matmul(a.transpose(perm1).reshape(shape1), b.transpose(perm2).reshape(shape2))
        result = prod.reshape(pshape).transpose(inverse)
    return result.reshape(out_shape)


def _sum(a, axes):
    """PyTorch's ``sum(axes, keepdim=True)``: bools and integers summed into an int64; the result
    row-major, as PyTorch allocates a reduction's output."""
    return row_major(a.sum(axis=axes, keepdims=True, dtype=np.int64 if a.dtype.kind in "biu" else None))


def row_major(a):
    """``a`` with a new row-major tensor's strides, size-1 dims included (NumPy counts an array
    as C-contiguous whatever the strides of its size-1 dims; PyTorch's later layout choices read them)."""
    step, strides = a.itemsize, []
    for n in reversed(a.shape):
        strides.append(step)
        step *= max(n, 1)
    if a.strides == tuple(reversed(strides)):
        return a
    out = np.empty(a.shape, a.dtype)
    out[...] = a
    return out


def _multiply_like_tensor_iterator(a, b):
    """``a * b`` (one rank) laid out as PyTorch's TensorIterator lays out a new output (NumPy
    picks its own: ``i,j->ji`` came out row-major where PyTorch's is column-major)."""
    dtype = a.dtype if a.dtype == b.dtype else np.result_type(a.dtype, b.dtype)  # (as PyTorch promotes ints)
    key = (a.shape, a.strides, a.itemsize, b.shape, b.strides, b.itemsize)
    layout = _LAYOUTS.get(key)
    if layout is None:
        if len(_LAYOUTS) >= _MAX_PLANS:
            _LAYOUTS.clear()
        layout = _LAYOUTS[key] = _tensor_iterator_layout(a, b)
    if layout == ():
        return np.multiply(a, b, dtype=dtype)  # (row-major: NumPy's choice for these operands too)
    kind, dims = layout
    shape = tuple(max(m, n) if m and n else 0 for m, n in zip(a.shape, b.shape))
    if kind == "strides":  # (the operands' own element strides)
        out = np.lib.stride_tricks.as_strided(np.empty(max(a.size, 1), dtype), shape,
                                              tuple(s * dtype.itemsize for s in dims))
    else:  # (dims outermost first, then back into the result's order)
        out = np.empty([shape[d] for d in dims[0]], dtype).transpose(dims[1])
    return np.multiply(a, b, out=out)


# TensorIterator's layout by the operands' shapes and strides (see _tensor_iterator_layout)
_LAYOUTS: dict = {}


def _tensor_iterator_layout(a, b):
    """The layout of ``a * b``'s new output as TensorIterator picks it: ``()`` for row-major;
    ``("strides", s)`` for the operands' own element strides ``s`` (both of one shape, the same
    strides, dense); else ``("order", (dims outermost first, their inverse))``. TensorIterator
    orders the dims innermost-first by the operands' strides (the first operand decides, a later
    one only where the earlier broadcasts or ties; equal strides: the smaller dim inside) with an
    insertion sort that stops at the first dim already in order; a broadcast dim (stride 0) is
    compared with nothing."""
    shape = tuple(max(m, n) if m and n else 0 for m, n in zip(a.shape, b.shape))
    nd = len(shape)
    if a.shape == b.shape:  # (TensorIterator's fast setup: operands of one shape)
        if _dense(a.shape, a.strides, a.itemsize, True) and _dense(b.shape, b.strides, b.itemsize, True):
            return ()
        ea = tuple(s // a.itemsize for s in a.strides)
        if ea == tuple(s // b.itemsize for s in b.strides) and _dense(a.shape, a.strides, a.itemsize, False):
            return ("strides", ea)
    strides = [tuple(0 if x.shape[d] == 1 and shape[d] != 1 else x.strides[d] for d in range(nd)) for x in (a, b)]

    def should_swap(d0, d1):
        for st in strides:
            s0, s1 = st[d0], st[d1]
            if s0 == 0 or s1 == 0:
                continue
            if s0 != s1:
                return -1 if s0 < s1 else 1
            if shape[d0] > shape[d1]:
                return 1
        return 0
    perm = list(range(nd - 1, -1, -1))  # innermost first
    for i in range(1, nd):
        d1 = i
        for d0 in range(i - 1, -1, -1):
            c = should_swap(perm[d0], perm[d1])
            if c > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif c < 0:
                break
    if perm == list(range(nd - 1, -1, -1)):
        return ()
    order = tuple(perm[::-1])
    return ("order", (order, tuple(int(i) for i in np.argsort(order))))


def _dense(shape, strides, item, row_major):
    """Whether the dims other than size 1 are packed: row-major (``row_major``) or in any order."""
    dims = [(st, n) for n, st in zip(shape, strides) if n != 1]
    if not row_major:
        dims.sort()
    expect = item
    for st, n in (dims if not row_major else reversed(dims)):
        if st != expect:
            return False
        expect *= n
    return True


def _as_strided(a, shape, strides):
    return np.lib.stride_tricks.as_strided(a, shape, strides, writeable=False)


def _plan(eq, shapes):
    """The steps of ``contract_like_pytorch`` for operands of ``shapes``: per operand its diagonal
    (a repeated label), the permutation and the shape aligning it; the dims the first operand
    sums alone; per later operand the pair's sums and products; the output's shape."""
    lhs, out = eq.split("->")
    ins = lhs.split(",")
    # every operand aligned to one dim order: the output's labels first (in its order), then the
    # contracted ones in order of first appearance, a size-1 dim where an operand lacks a label
    labels = list(out) + [c for c in dict.fromkeys("".join(ins)) if c not in out]
    n_out = len(out)
    prep, aligned = [], []
    for s, shape in zip(ins, shapes):
        diag = None
        if len(set(s)) != len(s):
            uniq = "".join(dict.fromkeys(s))
            shape = tuple(dict(zip(s, shape))[c] for c in uniq)
            diag, s = f"{s}->{uniq}", uniq
        sizes = dict(zip(s, shape))
        full = tuple(sizes.get(c, 1) for c in labels)
        # (as PyTorch aligns it: a size-1 dim appended per missing label, stride 1 as unsqueeze(-1)
        # gives, then one permutation; the strides matter to the layout a later multiply picks)
        missing = [c for c in labels if c not in s]
        perm = tuple(s.index(c) if c in s else len(s) + missing.index(c) for c in labels)
        prep.append((diag, perm, len(missing), full))
        aligned.append(list(full))
    # the last operand in which each dim has a size other than 1: a contracted dim is summed out
    # when that operand joins (dims of size 1 everywhere: with the first)
    last = [0] * len(labels)
    for k, shape in enumerate(aligned):
        for d, n in enumerate(shape):
            if n != 1:
                last[d] = k
    left = aligned[0]
    first_sum = tuple(d for d in range(n_out, len(labels)) if last[d] == 0 and left[d] != 1)
    for d in first_sum:
        left[d] = 1
    pairs = []
    for k in range(1, len(aligned)):
        step, left = _pair_plan(left, aligned[k], [d for d in range(n_out, len(labels)) if last[d] == k])
        pairs.append(step)
    return tuple(prep), first_sum, tuple(pairs), tuple(left[:n_out])


def _pair_plan(left, right, sum_dims):
    """One pair's product, ``(left * right).sum(sum_dims, keepdim=True)``, as PyTorch's einsum
    runs it through one batched matrix product: dims both keep are its batch, dims only one side
    has its rows / columns, summed dims both have its inner dim; a summed dim only one side has
    is summed there first. Returns the step and the result's shape."""
    right = list(right)
    if not sum_dims:
        return (None, None, None, None, None, None, None), [max(m, n) for m, n in zip(left, right)]
    lro, lo, ro, sums, lsum, rsum = [], [], [], [], [], []
    for d in range(len(left)):
        sl, sr = left[d] != 1, right[d] != 1
        if d in sum_dims and sl and sr:
            sums.append(d)
        elif d in sum_dims:
            # summed on the one side that has it (then size 1 on both, kept with the columns)
            (lsum if sl else rsum if sr else ro).append(d)
            if sl or sr:
                ro.append(d)
        elif sl and sr:
            lro.append(d)
        elif sl:
            lo.append(d)
        else:
            ro.append(d)
    left = [1 if d in lsum else n for d, n in enumerate(left)]
    right = [1 if d in rsum else n for d, n in enumerate(right)]
    if not sums:
        # every summed label was on one side only (summed there): PyTorch multiplies what is left
        # (no bmm: bool times float32 in ``ij,kl->ik`` works, a float32 result)
        return (tuple(lsum), tuple(rsum), None, None, None, None, None), [max(m, n) for m, n in zip(left, right)]

    def size(shape, dims):
        n = 1
        for d in dims:
            n *= shape[d]
        return n
    n_lro, n_lo, n_sum, n_ro = size(left, lro), size(left, lo), size(left, sums), size(right, ro)
    # (measured: PyTorch's product puts the right operand's dims first when they all come before
    # the left's in the output, so that e.g. ``ij,jk->ki`` comes out contiguous)
    swap = lo and ro and max(ro) < min(lo)
    if swap:
        order = lro + ro + sums + lo
        pshape = tuple([right[d] for d in lro + ro] + [1] * len(sums) + [left[d] for d in lo])
        first, second = (tuple(order), (n_lro, n_ro, n_sum)), (tuple(lro + sums + lo + ro), (n_lro, n_sum, n_lo))
    else:
        order = lro + lo + sums + ro
        pshape = tuple([left[d] for d in lro + lo] + [1] * len(sums) + [right[d] for d in ro])
        first, second = (tuple(order), (n_lro, n_lo, n_sum)), (tuple(lro + sums + ro + lo), (n_lro, n_sum, n_ro))
    inverse = tuple(int(i) for i in np.argsort(order))
    step = (tuple(lsum), tuple(rsum), bool(swap), first, second, pshape, inverse)
    result = [pshape[inverse[d]] for d in range(len(left))]
    return step, result
