"""PyTorch's CPU row statistics for float32 layer norm and group norm, reproduced bit for bit.

PyTorch normalizes each row of ``N`` float32 values (a layer-norm row, a group-norm group) with the
mean and biased variance that ATen's ``RowwiseMoments`` (``aten/src/ATen/native/cpu/moments_utils.h``)
computes in float32, every operation rounded as the compiled kernel rounds it. A float64 mean or a
float32 ``x.mean()`` differs from it in the last bit for a third of rows or more, and the outputs then
differ too; to give PyTorch's values this module replays that arithmetic, vectorised across rows (the
Python loops run only over the steps inside a chunk, the levels of the cascade and the lanes):

1. the row's first ``N // 8 * 8`` values are read as vectors of ``LANES = 8`` float32 lanes (the
   ``Vectorized<float>::size()`` of the kernel PyTorch's x86 build runs, found by experiment: an
   AVX-512 machine gives the same 8-lane results); each run ("chunk") of up
   to 16 consecutive vectors gets a per-lane Welford update::

       delta = x - m1;  m1 = fma(delta, 1/(j+1), m1);  m2 = fma(delta, x - m1, m2)

2. the chunks' per-lane moments are merged in a binary-counter cascade (pairwise summation: the
   stack ``m*_stk`` of ``CeilLog2(chunks)`` levels, then the levels that are left are added into
   level 0 from the bottom up) with ``AddMomentsVec``, which the compiler evaluates as::

       c = count_add / (count + count_add);  delta = m1_add - m1
       m1 = m1 + c * delta;  m2 = fma(delta * c, delta * count, m2 + m2_add)

3. the ``N % 8`` values that are left over get a scalar Welford update, not fused
   (``m1 += delta / k;  m2 += delta * (x - m1)``); then the 8 lanes are merged into that one by one
   with the scalar ``AddMoments``: ``m1 = fma(c, delta, m1);  m2 = m2 + fma(delta * delta * c,
   count, m2_add)``;

4. ``var = m2 / N``.

Which of these multiply-adds the compiler fused (one rounding) was found by experiment against
PyTorch 2.13 on rows of 1 to 70000 values; a fused multiply-add is emulated in float64 (the product of
two float32 values is exact there), rounded once to float32. Each value takes part in two of them, so
this costs about three times NumPy's two-pass mean and variance.
"""
from __future__ import annotations

import numpy as np

F32, F64 = np.dtype(np.float32), np.dtype(np.float64)

LANES = 8   # float32 lanes of one vector
CHUNK = 16  # vectors per Welford chunk (kChunkSize)

# 1/(j+1) as the kernel's table holds it (float32); where it is a power of two, the product with it
# is exact in float32, so a fused multiply-add equals the unfused one
_RECIPROCALS = [np.float32(1) / np.float32(j + 1) for j in range(CHUNK)]
_POWER_OF_TWO_STEPS = frozenset((1, 3, 7, 15))

_FMA_BLOCK = 1 << 16  # float64 elements per block of a blocked multiply-add: 512 KB (stays in L2)


def _ceil_log2(x):
    """ATen's ``utils::CeilLog2``: 1 for ``x <= 2``."""
    return 1 if x <= 2 else int(x - 1).bit_length()


def _fma_into(a, b, c, out, tmp):
    """``out = float32(a * b + c)`` rounded once (float64 product, exact for float32 operands)."""
    np.multiply(a, b, out=tmp, dtype=F64)
    np.add(tmp, c, out=out, casting="unsafe")


def fused_multiply_add(a, b, c):
    """float32 ``a * b + c`` with one rounding, ``a`` a C-contiguous float32 2-D array and ``b``,
    ``c`` small operands broadcasting to it (per row ``(rows, 1)``, per column ``(cols,)`` or
    scalars); done a block of rows at a time so that the float64 temporary stays in cache, with the
    conversions spelled out (NumPy's mixed-precision loops are about twice as slow)."""
    rows, cols = a.shape
    b64, c64 = np.asarray(b, F64), np.asarray(c, F64)
    out = np.empty(a.shape, F32)
    step = max(1, _FMA_BLOCK // max(1, cols))
    tmp = np.empty((min(step, rows), cols), F64)
    per_row_b = b64.ndim == 2 and b64.shape[0] == rows
    per_row_c = c64.ndim == 2 and c64.shape[0] == rows
    for i in range(0, rows, step):
        j = min(i + step, rows)
        t = tmp[:j - i]
        np.copyto(t, a[i:j])
        t *= b64[i:j] if per_row_b else b64
        np.add(t, c64[i:j] if per_row_c else c64, out=out[i:j], casting="same_kind")
    return out


def _chunk_moments(x, rows, n):
    """Step 1: per-chunk, per-lane Welford moments of the ``n`` vectors of each row, as
    ``(counts, m1, m2)`` with ``m1``/``m2`` of shape ``(chunks, rows, LANES)``."""
    full, part = divmod(n, CHUNK)
    chunks = full + (part > 0)
    steps = CHUNK if full else part
    # (step, chunk, row, lane): each step of the Welford loop is then one contiguous block. The
    # vectors are moved as single 32-byte items (a void view), twice as fast as 8 floats each.
    vec = np.dtype((np.void, LANES * 4))
    xs = np.empty((steps, chunks, rows), vec)
    xv = np.ndarray((rows, n), vec, buffer=x, strides=(x.strides[0], LANES * 4))  # (x C-contiguous)
    if full:
        xs[:, :full] = xv[:, :full * CHUNK].reshape(rows, full, CHUNK).transpose(2, 1, 0)
    if part:
        xs[:part, full] = xv[:, full * CHUNK:n].transpose(1, 0)
    xs = xs.view(F32).reshape(steps, chunks, rows, LANES)
    m1 = xs[0].copy()  # (step 0: delta = x, m1 = x, m2 = 0)
    m2 = np.zeros_like(m1)
    d, e = np.empty_like(m1), np.empty_like(m1)
    tmp = np.empty(m1.shape, F64)
    for j in range(1, steps):
        k = chunks if (not part or j < part) else full  # (the last, partial chunk stops early)
        xj, a1, a2, dj, ej, tj = xs[j, :k], m1[:k], m2[:k], d[:k], e[:k], tmp[:k]
        np.subtract(xj, a1, out=dj)
        if j in _POWER_OF_TWO_STEPS:
            np.multiply(dj, _RECIPROCALS[j], out=ej)
            a1 += ej
        else:
            _fma_into(dj, _RECIPROCALS[j], a1, a1, tj)
        np.subtract(xj, a1, out=ej)
        _fma_into(dj, ej, a2, a2, tj)
    counts = [CHUNK] * full + ([part] if part else [])
    return counts, m1, m2


def _add_moments_vec(ca, a1, a2, cb, b1, b2):
    """Step 2's ``AddMomentsVec`` over a stack of blocks: ``ca``/``cb`` the blocks' counts (lists),
    ``a*``/``b*`` arrays of shape ``(blocks, rows, LANES)``."""
    ca_ = np.asarray(ca, F32).reshape(-1, 1, 1)
    c = (np.asarray(cb, F32) / np.asarray([p + q for p, q in zip(ca, cb)], F32)).reshape(-1, 1, 1)
    delta = b1 - a1
    m1 = c * delta
    m1 += a1
    s = a2 + b2
    m2 = np.empty_like(s)
    _fma_into(delta * c, delta * ca_, s, m2, np.empty(s.shape, F64))
    return [p + q for p, q in zip(ca, cb)], m1, m2


def _cascade(counts, m1, m2):
    """Step 2: the binary-counter cascade of the chunks' moments, as ``(count, m1, m2)`` per lane
    (``m1``/``m2`` of shape ``(rows, LANES)``)."""
    depth = _ceil_log2(len(counts))
    held = [None] * depth  # what each level of the stack holds when the chunks run out
    for level in range(depth):
        blocks = len(counts)
        if level == depth - 1 or blocks < 2:
            # the top level adds what reaches it (at most two blocks) and promotes nothing
            if blocks == 2:
                cnt, b1, b2 = _add_moments_vec(counts[:1], m1[:1], m2[:1], counts[1:], m1[1:], m2[1:])
                held[level] = (cnt[0], b1[0], b2[0])
            elif blocks == 1:
                held[level] = (counts[0], m1[0], m2[0])
            break
        if blocks % 2:
            held[level] = (counts[-1], m1[-1], m2[-1])
        p = blocks // 2 * 2
        counts, m1, m2 = _add_moments_vec(counts[0:p:2], m1[0:p:2], m2[0:p:2], counts[1:p:2], m1[1:p:2], m2[1:p:2])
    acc = held[0]
    for h in held[1:]:  # level 0 then absorbs the levels above it, bottom up
        if h is None:
            continue  # (adding an empty level changes nothing)
        if acc is None:
            acc = h
            continue
        cnt, b1, b2 = _add_moments_vec([acc[0]], acc[1][None], acc[2][None], [h[0]], h[1][None], h[2][None])
        acc = (cnt[0], b1[0], b2[0])
    return acc


_ROW_BLOCK = 1 << 19  # values per block of rows: the Welford loop's arrays then stay in cache


def rowwise_moments(x):
    """``(mean, var)``, float32 of shape ``(rows,)``: each row's mean and biased variance of the
    float32 matrix ``x`` (rows, N), N >= 1, as PyTorch's CPU ``RowwiseMoments``."""
    x = np.ascontiguousarray(x)
    rows, N = x.shape
    step = max(1, _ROW_BLOCK // N)
    if rows <= step:
        return _rowwise_moments(x)
    mean, var = np.empty(rows, F32), np.empty(rows, F32)
    for i in range(0, rows, step):
        mean[i:i + step], var[i:i + step] = _rowwise_moments(x[i:i + step])
    return mean, var


def _rowwise_moments(x):
    rows, N = x.shape
    n = N // LANES
    # step 3: the values after the last whole vector, scalar Welford (not fused)
    count = 0
    m1 = m2 = None
    for i in range(n * LANES, N):
        xi = x[:, i]
        count += 1
        if count == 1:
            m1, m2 = xi.copy(), np.zeros(rows, F32)
            continue
        delta = xi - m1
        m1 = m1 + delta / np.float32(count)
        m2 = m2 + delta * (xi - m1)
    if n:
        _, l1, l2 = _cascade(*_chunk_moments(x, rows, n))
        l1, l2 = np.ascontiguousarray(l1.T), np.ascontiguousarray(l2.T)
        # then each lane's moments, one by one (AddMoments). The mean's chain runs lane by lane;
        # the terms it leaves for m2 are then formed all at once and added up in order.
        first = 0
        if count == 0:  # (adding to nothing copies)
            count, m1, m2, first = n, l1[0].copy(), l2[0], 1
        lanes = LANES - first
        before = np.arange(lanes) * n + count  # the count before each lane is added
        c = np.float32(n) / (before + n).astype(F32)
        delta = np.empty((lanes, rows), F32)
        tmp = np.empty((lanes, rows), F64)
        for i in range(lanes):
            np.subtract(l1[first + i], m1, out=delta[i])
            _fma_into(delta[i], c[i], m1, m1, tmp[i])
        terms = np.empty((lanes + 1, rows), F32)
        terms[0] = m2
        q = np.square(delta)
        q *= c[:, None]
        _fma_into(q, before.astype(F32)[:, None], l2[first:], terms[1:], tmp)
        m2 = np.add.accumulate(terms, axis=0)[-1]  # (in order: a reduce may add pairwise)
    return m1, m2 / np.float32(N)
