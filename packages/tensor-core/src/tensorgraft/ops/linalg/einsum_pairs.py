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
"""
from __future__ import annotations

import numpy as np

# plans by (equation, operand shapes): a training loop calls the same einsum every step, and
# planning costs more than running a small contraction
_PLANS: dict = {}
_MAX_PLANS = 256


def contract_like_pytorch(eq, arrays, matmul):
    """``eq`` (explicit: ``"ab,bc->ac"``, no ellipsis, each operand's labels matching its rank)
    over two or more NumPy arrays of one float or complex dtype; ``matmul`` is bmm's CPU kernel."""
    key = (eq, tuple(a.shape for a in arrays))
    plan = _PLANS.get(key)
    if plan is None:
        if len(_PLANS) >= _MAX_PLANS:
            _PLANS.clear()
        plan = _PLANS[key] = _plan(eq, key[1])
    prep, first_sum, pairs, out_shape = plan
    ops = []
    for a, (diag, perm, shape) in zip(arrays, prep):
        if diag is not None:
            a = np.einsum(diag, a)  # (a repeated label's diagonal: a view, no arithmetic)
        ops.append(a.transpose(perm).reshape(shape))
    result = ops[0]
    if first_sum:
        result = result.sum(axis=first_sum, keepdims=True)
    for right, (lsum, rsum, swap, perms1, perms2, pshape, inverse) in zip(ops[1:], pairs):
        if lsum:
            result = result.sum(axis=lsum, keepdims=True)
        if rsum:
            right = right.sum(axis=rsum, keepdims=True)
        if swap is None:  # nothing to sum: PyTorch multiplies (broadcasting), no product
            result = result * right
            continue
        a, b = (right, result) if swap else (result, right)
        (perm1, shape1), (perm2, shape2) = perms1, perms2
        prod = matmul(a.transpose(perm1).reshape(shape1), b.transpose(perm2).reshape(shape2))
        result = prod.reshape(pshape).transpose(inverse)
    return result.reshape(out_shape)


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
        present = [c for c in labels if c in s]
        sizes = dict(zip(s, shape))
        full = tuple(sizes.get(c, 1) for c in labels)
        prep.append((diag, tuple(s.index(c) for c in present), full))
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
