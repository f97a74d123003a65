"""Gradients of ``tensorgraft/ops/linalg.py`` (products of complex tensors conjugate the other
factor, as PyTorch; written with tensorgraft ops, so they are differentiable again). The
decompositions (``eigh``, ``svd``/``svdvals``, ``qr``) record one node per output; with
``create_graph`` their formulas recompute the decomposition from A (recorded), so they
differentiate again."""
from __future__ import annotations

from tensorgraft.grad_mode import state as _gs
from tensorgraft.tensor import wrap

from . import batched_of, formula


def _tg():
    import tensorgraft as tg
    return tg


def _mT(x):
    return x.transpose(-2, -1)


def _c(x):
    """The conjugate for complex tensors (the other factor of a product enters a complex
    gradient conjugated, as in PyTorch), the tensor itself otherwise."""
    return x.conj() if x.is_complex() else x


def _mH(x):
    return _c(x).transpose(-2, -1)


def _tH(x):
    """A matrix's conjugate transpose as PyTorch's mm/addmm gradients take it: ``x.t()``
    (TBackward0 under create_graph; ``_mH``'s transpose records TransposeBackward0)."""
    return _c(x).t()


def _column_major(t):
    """Whether the 2-D ``t`` is laid out column by column (``x.t()`` of a contiguous ``x``)."""
    d = t._data
    return d.strides[0] == d.itemsize and d.strides[1] == d.shape[0] * d.itemsize


def _mm_grads(a, b, g, need_a, need_b):
    """The gradients of ``a.mm(b)`` recorded as PyTorch's ``mm_mat1_backward`` /
    ``mm_mat2_backward``: ``g.mm(b.t())`` and ``a.t().mm(g)``, but for a column-major factor
    (``x.t() @ x``) its gradient is built column-major, ``b.mm(g.t()).t()`` / ``g.t().mm(a).t()``.
    (A factor the node did not keep, because only it needs a gradient, takes the first form.)"""
    ga = gb = None
    if need_a:
        ga = _c(b).mm(g.t()).t() if a is not None and _column_major(a) else g.mm(_tH(b))
    if need_b:
        gb = g.t().mm(_c(a)).t() if b is not None and _column_major(b) else _tH(a).mm(g)
    return ga, gb


def _nd(node, i):
    """The dims of the node's input ``i``, kept or not."""
    return len(node.in_meta[i][0])


def _array_product_grads(a, b, g, need_a, need_b):
    """The gradients of a 2-D ``a @ b`` as two products on arrays, through the ``mm`` kernel the
    registry bound for the device (so bfloat16 is computed in float32 and rounded, as by the op).
    For the usual backward (grad mode off): the same values as ``g.mm(b.mH)``/``a.mH.mm(g)``
    without the four frontend calls, two views and their checks per node (a third of a small
    network's backward)."""
    from tensorgraft.registry import registry
    dev = g._device
    kernel = registry.ops["mm"].table[dev.type]
    gd = g._data
    ga = wrap(kernel(gd, _array_mH(b._data)), dev) if need_a else None
    gb = wrap(kernel(_array_mH(a._data), gd), dev) if need_b else None
    return ga, gb


def _array_mH(d):
    """``_mH`` of a 2-D array (no conj copy of a real one)."""
    return (d.conj() if d.dtype.kind == "c" else d).T


# A product's node keeps each operand only when the other one needs its gradient (the one that
# reads it), as PyTorch's MmBackward0/BmmBackward0/MvBackward0/DotBackward0 and the matrices of
# AddmmBackward0; which dims an operand has then comes from the node's metadata (``_nd``)
@formula("mm", saves_crossed=True)
def mm(node, g):
    a, b = node.inputs
    need_a, need_b = node.needs_input_grad
    if not _gs.enabled:  # nothing to record: the products on arrays
        return _array_product_grads(a, b, g, need_a, need_b)
    return _mm_grads(a, b, g, need_a, need_b)


@formula("bmm", saves_crossed=True)
def bmm(node, g):
    a, b = node.inputs
    need_a, need_b = node.needs_input_grad
    return (g.bmm(_mH(b)) if need_a else None), (_mH(a).bmm(g) if need_b else None)


@formula("mv", saves_crossed=True)
def mv(node, g):
    a, v = node.inputs
    need_a, need_v = node.needs_input_grad
    # (PyTorch's grad.outer(v): a reshape of the gradient, ViewBackward0 under create_graph)
    return (g.reshape(-1, 1) * _c(v) if need_a else None), (_mH(a).mv(g) if need_v else None)


@formula("dot", saves_crossed=True)
def dot(node, g):
    a, b = node.inputs
    need_a, need_b = node.needs_input_grad
    return (g * _c(b) if need_a else None), (g * _c(a) if need_b else None)


@formula("vdot")
def vdot(node, g):
    a, b = node.inputs
    need_a, need_b = node.needs_input_grad
    ga = gb = None
    if need_a:  # (PyTorch's: grad.conj() * other; the conjugate of the gradient only, not of other)
        ga = (g.conj() if g.is_complex() else g) * b
    if need_b:
        gb = g * a
    return ga, gb


def _vector_matmul_grads(a, b, g, need_a, need_b, a_nd, b_nd, batched=False):
    """matmul's gradients when a factor is 1-D (``batched``: g has a leading batch dim, so the
    dot product's 0-d gradient is a vector to unsqueeze first)."""
    if a_nd == 1 and b_nd == 1:
        if batched:
            g = g.unsqueeze(-1)
        return (g * _c(b) if need_a else None), (g * _c(a) if need_b else None)
    if b_nd == 1:
        ga = g.unsqueeze(-1) * _c(b) if need_a else None
        gb = _mH(a).matmul(g.unsqueeze(-1)).squeeze(-1) if need_b else None
        return ga, gb
    ga = _c(b).matmul(g.unsqueeze(-1)).squeeze(-1) if need_a else None
    gb = _c(a).unsqueeze(-1) * g.unsqueeze(-2) if need_b else None
    return ga, gb


@formula("matmul", saves_crossed=True)
def matmul(node, g):
    a, b = node.inputs
    need_a, need_b = node.needs_input_grad
    a_nd, b_nd = _nd(node, 0), _nd(node, 1)
    if a_nd == 1 or b_nd == 1:
        return _vector_matmul_grads(a, b, g, need_a, need_b, a_nd, b_nd)
    if a_nd == 2 and b_nd == 2 and not _gs.enabled:  # nothing to record: the products on arrays
        return _array_product_grads(a, b, g, need_a, need_b)
    if a_nd == 2 and b_nd == 2:  # (recorded as MmBackward0: mm's gradients, with t())
        return _mm_grads(a, b, g, need_a, need_b)
    ga = g.matmul(_mH(b)) if need_a else None
    gb = _mH(a).matmul(g) if need_b else None
    return ga, gb


# (``input`` itself is not read: PyTorch keeps the two factors only, and so do these nodes)
@formula("addmm", "addmv", "baddbmm", "addbmm", saves=(1, 2), saves_crossed=((), (2,), (1,)))
def addmm(node, g):
    inp, m1, m2 = node.inputs
    beta, alpha = node.attrs["beta"], node.attrs["alpha"]
    need_in, need_1, need_2 = node.needs_input_grad
    name = type(node).__name__
    gi = (g * beta.conjugate() if beta != 1 else g) if need_in else None  # (a complex scale: conjugated)
    g1 = g2 = None
    ga = g * alpha.conjugate() if alpha != 1 else g
    if name.startswith("Addmv"):
        g1 = ga.reshape(-1, 1) * _c(m2) if need_1 else None
        g2 = _mH(m1).mv(ga) if need_2 else None
    elif name.startswith("Addbmm"):
        ge = ga.unsqueeze(0).expand(node.in_meta[1][0][0], *ga.shape)
        g1 = ge.bmm(_mH(m2)) if need_1 else None
        g2 = _mH(m1).bmm(ge) if need_2 else None
    elif _nd(node, 1) == 2:  # addmm: mm's gradients (TBackward0 under create_graph, as PyTorch's)
        g1, g2 = _mm_grads(m1, m2, ga, need_1, need_2)
    else:
        g1 = ga.matmul(_mH(m2)) if need_1 else None
        g2 = _mH(m1).matmul(ga) if need_2 else None
    return gi, g1, g2


# PyTorch's nodes name the factors after their overload's schema (and show no ``self``: the added input
# is not kept), not ``m1``/``m2`` as our frontends do
addmm.input_names = {"AddmmBackward0": (None, "mat1", "mat2"), "AddmvBackward0": (None, "mat", "vec"),
                     "BaddbmmBackward0": (None, "batch1", "batch2"), "AddbmmBackward0": (None, "batch1", "batch2")}


# --------------------------------------------------------------------------- batched forms
# The products' gradients over a leading batch dim of g (``autograd/batched_backward.py``):
# matmul broadcasts the other factor across it, the engine then sums broadcast dims away.
def _matmul_grads_batched(a, b, g, need_a, need_b, a_nd, b_nd):
    """Gradients of ``a @ b`` (any dims, matmul's rules; ``a_nd``/``b_nd`` their dims: the node
    keeps an operand only for the other's gradient) for g of shape (batch, *out shape)."""
    if a_nd == 1 or b_nd == 1:
        return _vector_matmul_grads(a, b, g, need_a, need_b, a_nd, b_nd, batched=True)
    if a_nd == 2 and b_nd == 2 and not _gs.enabled:
        return _array_product_grads_batched(a, b, g, need_a, need_b)
    return (g.matmul(_mH(b)) if need_a else None), (_mH(a).matmul(g) if need_b else None)


def _array_product_grads_batched(a, b, g, need_a, need_b):
    """The 2-D product's gradients on arrays, each as ONE matrix product over the whole batch
    (the batch folded into the rows of g for ``a``, into its columns for ``b``)."""
    dev = g._device
    gd = g._data
    if gd.dtype.kind not in "fc" or gd.dtype.itemsize < 4 or gd.ndim != 3:  # (half types: the op's own kernel)
        return (g.matmul(_mH(b)) if need_a else None), (_mH(a).matmul(g) if need_b else None)
    n, m, k = gd.shape
    ga = gb = None
    # (the inner size named, not -1: a reshape of an empty product cannot infer it)
    if need_a:
        ga = wrap((gd.reshape(n * m, k) @ _array_mH(b._data)).reshape(n, m, b._data.shape[0]), dev)
    if need_b:
        cols = gd.transpose(1, 0, 2).reshape(m, n * k)
        gb = wrap((_array_mH(a._data) @ cols).reshape(a._data.shape[1], n, k).transpose(1, 0, 2), dev)
    return ga, gb


@batched_of(mm)
def _mm_batched(node, g):
    a, b = node.inputs
    return _matmul_grads_batched(a, b, g, *node.needs_input_grad, _nd(node, 0), _nd(node, 1))


@batched_of(matmul)
def _matmul_batched(node, g):
    a, b = node.inputs
    return _matmul_grads_batched(a, b, g, *node.needs_input_grad, _nd(node, 0), _nd(node, 1))


@batched_of(bmm)
def _bmm_batched(node, g):
    a, b = node.inputs
    need_a, need_b = node.needs_input_grad
    return (g.matmul(_mH(b)) if need_a else None), (_mH(a).matmul(g) if need_b else None)


@batched_of(addmm)
def _addmm_batched(node, g):
    inp, m1, m2 = node.inputs
    beta, alpha = node.attrs["beta"], node.attrs["alpha"]
    need_in, need_1, need_2 = node.needs_input_grad
    gi = (g * beta.conjugate() if beta != 1 else g) if need_in else None  # (a complex scale: conjugated)
    ga = g * alpha.conjugate() if alpha != 1 else g
    if type(node).__name__.startswith("Addbmm"):  # the batch of matrices was summed: broadcast back
        ga = ga.unsqueeze(1)
    g1, g2 = _matmul_grads_batched(m1, m2, ga, need_1, need_2, _nd(node, 1), _nd(node, 2))
    return gi, g1, g2


@formula("einsum")
def einsum(node, g):
    """d/d operand i: contract g with every other operand onto operand i's subscripts; repeated
    subscripts go back on a diagonal (via identity matrices), subscripts summed away only in
    operand i are broadcast back (via ones)."""
    tg = _tg()
    ins, out, sizes = node.attrs["ins"], node.attrs["out"], node.attrs["sizes"]
    ops = node.inputs
    free = [c for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
            if c not in "".join(ins) + out]
    grads = []
    for i, need in enumerate(node.needs_input_grad):
        if not need:
            grads.append(None)
            continue
        s = ins[i]
        terms, args = [out], [g]
        for j, (sj, t) in enumerate(zip(ins, ops)):
            if j != i:
                terms.append(sj)
                args.append(_c(t))
        present = set("".join(terms))
        target = []
        seen = set()
        fresh = iter(free)
        for c in s:
            if c in seen:  # repeated subscript: a fresh letter tied to c by an identity matrix
                f = next(fresh)
                terms.append(c + f)
                args.append(tg.eye(sizes[c], dtype=g.dtype, device=g.device))
                target.append(f)
                continue
            seen.add(c)
            if c not in present:
                terms.append(c)
                args.append(tg.ones(sizes[c], dtype=g.dtype, device=g.device))
                present.add(c)
            target.append(c)
        eq = ",".join(terms) + "->" + "".join(target)
        grads.append(tg.einsum(eq, *args))
    return tuple(grads)


@formula("cross", "linalg_cross")
def cross(node, g):
    tg = _tg()
    a, b = node.inputs
    d = node.attrs["dim"]
    need_a, need_b = node.needs_input_grad
    lc = tg.linalg.cross
    return (lc(_c(b), g, dim=d) if need_a else None), (lc(g, _c(a), dim=d) if need_b else None)


@formula("trace", saves=())
def trace(node, g):
    # PyTorch's trace_backward: g put on the diagonal of zeros (index_fill of the flat zeros, then a
    # view: IndexFillBackward1 and ViewBackward0 under create_graph); an inf gradient stays off it.
    # Only min(n, m) diagonal entries: a flat stride of m + 1 past the last one of a tall matrix
    # would land on the first column of a lower row (row 6 of a 7 x 5 input).
    tg = _tg()
    n, m = node.in_meta[0][0]
    flat = tg.zeros(n * m, dtype=g.dtype, device=g.device)
    diagonal = tg.arange(0, min(n, m) * (m + 1), m + 1, device=g.device)
    return (flat.index_fill(0, diagonal, g).view(n, m),)


@formula("linalg_inv", saves=(), saves_output=True)
def inv(node, g):
    t = _mH(node.output)
    return (-t.matmul(g).matmul(t),)


@formula("linalg_solve", saves=(0,), saves_output=True)
def solve(node, g):
    tg = _tg()
    A = node.inputs[0]
    X = node.output
    vec = node.attrs["vec"]
    need_a, need_b = node.needs_input_grad
    if not node.attrs.get("left", True):  # X = B A^{-1}
        gB = _mH(tg.linalg.solve(A, _mH(g)))
        return (-_mH(X).matmul(gB) if need_a else None), (gB if need_b else None)
    gB = tg.linalg.solve(_mH(A), g)
    gA = None
    if need_a:
        gA = -(gB.unsqueeze(-1) * _c(X).unsqueeze(-2)) if vec else -gB.matmul(_mH(X))
    return gA, (gB if need_b else None)


@formula("linalg_solve_triangular", saves=(0,), saves_output=True)
def solve_triangular(node, g):
    tg = _tg()
    A = node.inputs[0]
    X = node.output
    upper, unit = node.attrs["upper"], node.attrs["unitriangular"]
    left = node.attrs.get("left", True)
    need_a, need_b = node.needs_input_grad
    # left: gB = A^{-H} g, gA = -gB X^H; right (X A = B): gB = g A^{-H}, gA = -X^H gB
    gB = tg.linalg.solve_triangular(_mH(A), g, upper=not upper, unitriangular=unit, left=left)
    gA = None
    if need_a:
        gA = -gB.matmul(_mH(X)) if left else -_mH(X).matmul(gB)
        gA = gA.triu(1 if unit else 0) if upper else gA.tril(-1 if unit else 0)
    return gA, (gB if need_b else None)


@formula("linalg_det", saves_output=True)
def det(node, g):
    """g times the adjugate's conjugate transpose: det(A) A^{-H} for an invertible A; for a
    singular one (det 0, no inverse) the adjugate from the SVD, A = U S V^H: adj(A) =
    det(U) det(V^H) V diag(prod of the other singular values) U^H, finite as PyTorch's gradient is."""
    tg = _tg()
    A = node.inputs[0]
    d = node.output
    if not bool((d == 0).any()):
        try:
            return ((g * _c(d)).unsqueeze(-1).unsqueeze(-1) * _mH(tg.linalg.inv(A)),)
        except RuntimeError:  # (linalg.LinAlgError: singular to working precision)
            pass
    U, S, Vh = tg.linalg.svd(A)
    ones = tg.ones_like(S[..., :1])
    before = tg.cat([ones, S[..., :-1]], -1).cumprod(-1)  # s_0 ... s_{i-1}
    after = tg.cat([S[..., 1:], ones], -1).flip(-1).cumprod(-1).flip(-1)  # s_{i+1} ... s_{n-1}
    phase = tg.linalg.det(U) * tg.linalg.det(Vh)
    adj_H = _c(phase).unsqueeze(-1).unsqueeze(-1) * (U * (before * after).to(U.dtype).unsqueeze(-2)).matmul(Vh)
    return (g.unsqueeze(-1).unsqueeze(-1) * adj_H,)


@formula("linalg_slogdet")
def slogdet(node, g):
    tg = _tg()
    A = node.inputs[0]
    if node.attrs["part"] == "sign":
        if not A.is_complex():
            return (tg.zeros(node.in_meta[0][0], dtype=g.dtype, device=g.device),)
        # sign = exp(i theta), d theta = Im tr(A^{-1} dA): gA = -i Im(conj(g) sign) A^{-H}
        sign = tg.linalg.slogdet(A)[0]
        w = -1j * (g.conj() * sign).imag
        return (w.unsqueeze(-1).unsqueeze(-1) * _mH(tg.linalg.inv(A)),)
    return (g.unsqueeze(-1).unsqueeze(-1) * _mH(tg.linalg.inv(A)),)


@formula("linalg_cholesky", saves=(), saves_output=True)
def cholesky(node, g):
    """gA = L^{-H} M L^{-1}, X = L^H gL, M = (X_low + X_low^H) / 2 + diag(X) / 2 (X_low: strictly lower
    triangle). Real: the symmetrised Murray formula. Complex: the diagonal keeps its imaginary part, as
    PyTorch's (the gradient is not Hermitian there)."""
    tg = _tg()
    L = node.output
    if node.attrs["upper"]:
        L = _mH(L)
        g = _mH(g)
    X = _mH(L).matmul(g)
    low = X.tril(-1)
    M = 0.5 * (low + _mH(low)) + 0.5 * X.diagonal(0, -2, -1).diag_embed()
    Linv = tg.linalg.inv(L)
    return (_mH(Linv).matmul(M).matmul(Linv),)


@formula("linalg_pinv", saves=(0,), saves_output=True)
def pinv(node, g):
    """Golub & Pereyra's derivative of the pseudo-inverse (constant rank)."""
    tg = _tg()
    A = node.inputs[0]
    P = node.output
    m, n = A.shape[-2], A.shape[-1]
    Im = tg.eye(m, dtype=A.dtype, device=A.device)
    In = tg.eye(n, dtype=A.dtype, device=A.device)
    # complex: every transpose of the real formula is a conjugate transpose (PyTorch's convention)
    gT = _mH(g)
    PT = _mH(P)
    term1 = -PT.matmul(g).matmul(PT)
    term2 = (Im - A.matmul(P)).matmul(gT).matmul(P).matmul(PT)
    term3 = PT.matmul(P).matmul(gT).matmul(In - P.matmul(A))
    return (term1 + term2 + term3,)


@formula("linalg_eigh", saves=(0,))
def eigh(node, g):
    """Eigenvalues: V diag(gL) V^T. Eigenvectors: V (F * (V^T gV)) V^T, F_ij = 1/(l_j - l_i).
    With create_graph the decomposition is recomputed from A (recorded), so this differentiates again."""
    tg = _tg()
    a = node.attrs
    if tg.is_grad_enabled():
        L, V = tg.linalg.eigh(node.inputs[0], a["UPLO"])
    else:
        L, V = a["L"], a["V"]
    if a["part"] == "values":
        return ((V * g.unsqueeze(-2).to(V.dtype)).matmul(_mH(V)),)
    diff = L.unsqueeze(-2) - L.unsqueeze(-1)
    n = L.shape[-1]
    eye = tg.eye(n, dtype=L.dtype, device=L.device)
    Fm = (1 - eye) / (diff + eye)
    inner = _mH(V).matmul(g) * Fm.to(V.dtype)
    # A is Hermitian, so (as PyTorch) only the Hermitian part of the gradient is kept
    inner = 0.5 * (inner + _mH(inner))
    return (V.matmul(inner).matmul(_mH(V)),)


@formula("linalg_svdvals", saves=(0,))
def svdvals(node, g):
    """dS = U^T dA V -> gA = U diag(gS) Vh."""
    tg = _tg()
    if tg.is_grad_enabled():
        U, _, Vh = tg.linalg.svd(node.inputs[0], full_matrices=False)
    else:
        U, Vh = node.attrs["U"], node.attrs["Vh"]
    return ((U * g.unsqueeze(-2)).matmul(Vh),)


@formula("linalg_svd", saves=(0,))
def svd(node, g):
    """Townsend (2016), with k = min(m, n), A = U diag(S) Vh, V = Vh^H, F_ij = 1/(s_j^2 - s_i^2)
    off the diagonal (0 on it); one output's gradient at a time (the formula is linear in them):

    gS:  U diag(gS) Vh
    gU:  U [(F o (J - J^H)) diag(S) + i Im diag(J) / S] Vh + (gU - U J) diag(1/S) Vh,   J = U^H gU
    gVh: U [diag(S) (F o (K - K^H))] Vh + diag(1/S) (gVh - K^H Vh),                    K = Vh gVh^H

    (the imaginary diagonal term, complex only, is Wan & Zhang's phase term.) With
    full_matrices=True only the first k columns of U / rows of Vh enter, as in PyTorch."""
    tg = _tg()
    a = node.attrs
    k = a["k"]
    if tg.is_grad_enabled():
        U, S, Vh = tg.linalg.svd(node.inputs[0], full_matrices=False)
    else:
        U, S, Vh = a["U"], a["S"], a["Vh"]
    part = a["part"]
    if part == "S":
        return ((U * g.unsqueeze(-2)).matmul(Vh),)
    S2 = S * S
    eye = tg.eye(k, dtype=S.dtype, device=S.device)
    Fm = (1 - eye) / (S2.unsqueeze(-2) - S2.unsqueeze(-1) + eye)
    if part == "U":
        gU = g[..., :k]
        J = _mH(U).matmul(gU)
        inner = (Fm * (J - _mH(J))) * S.unsqueeze(-2)
        if J.is_complex():
            inner = inner + (1j * J.diagonal(0, -2, -1).imag / S).diag_embed()
        rest = (gU - U.matmul(J)) / S.unsqueeze(-2)
        return (U.matmul(inner).matmul(Vh) + rest.matmul(Vh),)
    gVh = g[..., :k, :]
    K = Vh.matmul(_mH(gVh))
    inner = S.unsqueeze(-1) * (Fm * (K - _mH(K)))
    rest = (gVh - _mH(K).matmul(Vh)) / S.unsqueeze(-1)
    return (U.matmul(inner.matmul(Vh) + rest),)


_QR_R_ONLY = ("The derivative of linalg.qr depends on Q, which is not computed when mode='r'. Please use "
              "linalg.qr(A, mode='reduced') if you are going to differentiate through linalg.qr.")
_QR_COMPLETE = "The QR decomposition is not differentiable when mode='complete' and nrows > ncols."


def _copyltu(M):
    """The lower triangle of M mirrored onto the upper one (conjugated; real diagonal)."""
    low = M.tril(-1)
    d = M.diagonal(0, -2, -1)
    return low + _mH(low) + (d.real if d.is_complex() else d).diag_embed()


def _qr_square_back(gQ, gR, Q, R):
    """A = QR with R square (m >= n): gA = (gQ + Q copyltu(M)) R^{-H}, M = R gR^H - gQ^H Q."""
    tg = _tg()
    if gR is None:
        M = -_mH(gQ).matmul(Q)
    elif gQ is None:
        M = R.matmul(_mH(gR))
    else:
        M = R.matmul(_mH(gR)) - _mH(gQ).matmul(Q)
    b = Q.matmul(_copyltu(M))
    if gQ is not None:
        b = b + gQ
    return tg.linalg.solve_triangular(_mH(R), b, upper=False, left=False)


@formula("linalg_qr", saves=(0,))
def qr(node, g):
    """m >= n: the copyltu formula above. m < n: A = [X | Y] with X = Q R1 (square) and
    Y = Q R2, so gY = Q gR2 and gX is the square case for (gQ + Y gR2^H, gR1)."""
    tg = _tg()
    a = node.attrs
    A = node.inputs[0]
    mode = a["mode"]
    m, n = A.shape[-2], A.shape[-1]
    if mode == "r":
        raise RuntimeError(_QR_R_ONLY)
    if mode == "complete" and m > n:
        raise RuntimeError(_QR_COMPLETE)
    if tg.is_grad_enabled():
        Q, R = tg.linalg.qr(A, mode)
    else:
        Q, R = a["Q"], a["R"]
    gQ, gR = (g, None) if a["part"] == "Q" else (None, g)
    if m >= n:
        return (_qr_square_back(gQ, gR, Q, R),)
    R1 = R[..., :m]
    gR1 = gR2 = None
    if gR is not None:
        gR1, gR2 = gR[..., :m], gR[..., m:]
        Y = A[..., m:]
        gQ = Y.matmul(_mH(gR2)) if gQ is None else gQ + Y.matmul(_mH(gR2))
    gX = _qr_square_back(gQ, gR1, Q, R1)
    gY = Q.matmul(gR2) if gR2 is not None else tg.zeros_like(A[..., m:])
    return (tg.cat([gX, gY], -1),)
