"""Gradients of ``tensorgraft/ops/decompositions.py`` and of its neighbours ``ops/lu.py``,
``ops/linalg_composite.py`` and ``ops/lowrank.py`` (``ops/ldl.py`` is forward only): PyTorch's
backward formulas (``linalg_lu_backward``, ``linalg_eig_backward``, the block-matrix derivative of
``matrix_exp``, ``cholesky_solve_backward``...), written with tensorgraft ops.

Ops recorded with ``attrs["fn"]`` (lu_solve, lstsq, householder_product, ormqr, lobpcg) are differentiated
through that function, a composite of differentiable ops: first order under ``enable_grad`` on
detached inputs, higher order on the inputs themselves (``create_graph``)."""
from __future__ import annotations

from . import formula


def _tg():
    import tensorgraft as tg
    return tg


def _mH(x):
    x = x.transpose(-2, -1)
    return x.conj() if x.is_complex() else x


@formula("linalg_lu_solve", "linalg_lstsq", "linalg_householder_product", "ormqr", "lobpcg")
def through_composite(node, g):
    tg = _tg()
    from tensorgraft.tensor import Tensor
    attrs = dict(node.attrs)
    fn, part = attrs.pop("fn"), attrs.pop("part")
    create = tg.is_grad_enabled()
    needs = node.needs_input_grad
    with tg.enable_grad():
        xs = [x if (create or not isinstance(x, Tensor)) else x.detach().requires_grad_(bool(need))
              for x, need in zip(node.inputs, needs)]
        out = fn(*xs, **attrs)
        if part is not None:
            out = out[part]
        wrt = [x for x, need in zip(xs, needs) if need]
        if not out.requires_grad:
            # the composite never read its inputs (householder_product of an empty matrix or with no
            # reflectors is a constant): no gradient, as PyTorch's backward returns undefined ones
            return tuple(None for _ in needs)
        grads = iter(tg.autograd.grad(out, wrt, g, create_graph=create, allow_unused=True))
    return tuple(next(grads) if need else None for need in needs)


def _perm(node, LU):
    from tensorgraft.ops.decompositions import _xp
    from tensorgraft.ops.lu import _perm_kernel
    from tensorgraft.tensor import wrap
    return wrap(_perm_kernel(_xp(LU), node.attrs["pivots"], LU.shape[-2], LU._data.dtype), LU._device)


def lu_backward(gL, gU, P, L, U, pivot=True):
    """PyTorch's ``linalg_lu_backward`` (square, wide and tall cases); gL or gU may be None."""
    tg = _tg()
    st = tg.linalg.solve_triangular
    m, n = L.shape[-2], U.shape[-1]
    k = min(m, n)
    if m == n:
        gA = _mH(L).matmul(gL).tril(-1) if gL is not None else None
        if gU is not None:
            t = gU.matmul(_mH(U)).triu()
            gA = t if gA is None else gA + t
        gA = st(_mH(U), gA, upper=False, left=False)
        gA = st(_mH(L), gA, upper=True, unitriangular=True)
    elif m < n:
        U1, gU1 = U[..., :k], (gU[..., :k] if gU is not None else None)
        gA = _mH(L).matmul(gL) if gL is not None else None
        if gU is not None:
            t = gU.triu().matmul(_mH(U))
            gA = -t if gA is None else gA - t
        gA = st(_mH(U1), gA.tril(-1), upper=False, left=False)
        if gU is not None:
            gA = tg.cat([gA + gU1.triu(), gU[..., k:]], -1)
        gA = st(_mH(L), gA, upper=True, unitriangular=True)
        if gU is None:
            gA = tg.cat([gA, tg.zeros_like(U[..., k:])], -1)
    else:
        L1, gL1 = L[..., :k, :], (gL[..., :k, :] if gL is not None else None)
        gA = gU.matmul(_mH(U)) if gU is not None else None
        if gL is not None:
            t = _mH(L).matmul(gL.tril(-1))
            gA = -t if gA is None else gA - t
        gA = st(_mH(L1), gA.triu(), upper=True, unitriangular=True)
        if gL is not None:
            gA = tg.cat([gA + gL1.tril(-1), gL[..., k:, :]], -2)
        gA = st(_mH(U), gA, upper=False, left=False)
        if gL is None:
            gA = tg.cat([gA, tg.zeros_like(L[..., k:, :])], -2)
    return P.matmul(gA) if pivot else gA


def _unpack_lu(LU):
    tg = _tg()
    m, n = LU.shape[-2:]
    k = min(m, n)
    L = LU[..., :, :k].tril(-1) + tg.eye(m, k, dtype=LU.dtype, device=LU.device)
    U = LU[..., :k, :].triu()
    return L, U


@formula("linalg_lu_factor_ex", saves=(), saves_output=True)
def lu_factor_ex(node, g):
    LU = node.output
    m, n = LU.shape[-2:]
    k = min(m, n)
    L, U = _unpack_lu(LU)
    gL = g[..., :, :k].tril(-1)
    gU = g[..., :k, :].triu()
    return (lu_backward(gL, gU, _perm(node, LU), L, U, node.attrs["pivot"]),)


@formula("linalg_lu", saves=(0,))
def lu(node, g):
    """With create_graph the factors are recomputed from A (recorded), so this differentiates again."""
    a = node.attrs
    P, L, U = a["P"], a["L"], a["U"]
    if _tg().is_grad_enabled():
        P, L, U = _tg().linalg.lu(node.inputs[0], pivot=a["pivot"])
    if a["part"] == "L":
        return (lu_backward(g, None, P, L, U, a["pivot"]),)
    return (lu_backward(None, g, P, L, U, a["pivot"]),)


@formula("lu_unpack", saves=())
def lu_unpack(node, g):
    """LU = L + U - I on their shared triangle: the strict lower part of gL and the upper part of gU."""
    tg = _tg()
    m, n = node.in_meta[0][0][-2:]
    k = min(m, n)
    if node.attrs["part"] == "L":
        t = g.tril(-1)
        return (tg.cat([t, tg.zeros(*t.shape[:-1], n - k, dtype=g.dtype, device=g.device)], -1) if n > k else t,)
    t = g.triu()
    return (tg.cat([t, tg.zeros(*t.shape[:-2], m - k, n, dtype=g.dtype, device=g.device)], -2) if m > k else t,)


def _deriving_tangent() -> bool:
    """Whether forward AD is deriving a tangent from this backward (its double vjp hands in an
    arbitrary cotangent, on which the gauge check below would fail for no fault of the program)."""
    from tensorgraft.autograd.forward_ad import _tangents
    return _tangents.deriving_tangent > 0


@formula("linalg_eig", saves=(), multi_output=True)
def eig(node, grads):
    """PyTorch's ``linalg_eig_backward``: gA = V^{-H} (diag(gL) + (V^H gV - V^H V diag(re(V^H gV))) / E*) V^H.
    One node for both outputs, as PyTorch's: with create_graph L and V are read as this node's
    outputs, so a second derivative comes back here with both their gradients at once (the phase
    check holds for the sum, not for either part)."""
    tg = _tg()
    a = node.attrs
    g_values, g_vectors = grads
    L, V = a["L"], a["V"]
    if tg.is_grad_enabled():
        L, V = node.output_alias(L, 0), node.output_alias(V, 1)
    VH = _mH(V)
    gA = None
    if g_vectors is not None:
        n = L.shape[-1]
        Lc = L.conj()
        E = Lc.unsqueeze(-2) - Lc.unsqueeze(-1)
        eye = tg.eye(n, dtype=E.dtype, device=E.device)
        E = E * (1 - eye) + eye
        VhgV = VH.matmul(g_vectors)
        diag = VhgV.diagonal(0, -2, -1)
        if not _deriving_tangent() and not tg.allclose(diag.imag, tg.zeros_like(diag.imag), rtol=1e-2, atol=1e-2):
            raise RuntimeError("linalg_eig_backward: The eigenvectors in the complex case are specified up to "
                               "multiplication by e^{i phi}. The specified loss function depends on this quantity, "
                               "so it is ill-defined.")
        VhgV = VhgV - VH.matmul(V * diag.real.unsqueeze(-2).to(V.dtype))
        gA = VhgV / E * (1 - eye)
    if g_values is not None:
        gA = g_values.diag_embed() if gA is None else gA + g_values.diag_embed()
    gA = tg.linalg.solve(VH, gA.matmul(VH))
    if not node.in_meta[0][1].kind == "c":
        gA = gA.real
    return (gA,)


@formula("linalg_matrix_exp", saves=(0,))
def matrix_exp(node, g):
    """The top-right block of exp([[A^H, G], [0, A^H]])."""
    tg = _tg()
    A = node.inputs[0]
    n = A.shape[-1]
    AH = _mH(A)
    Z = tg.zeros_like(A)
    meta = tg.cat([tg.cat([AH, g], -1), tg.cat([Z, AH], -1)], -2)
    return (tg.linalg.matrix_exp(meta)[..., :n, n:],)


@formula("triangular_solve", saves=(1,), saves_output=True)
def triangular_solve(node, g):
    tg = _tg()
    a = node.attrs
    A = node.inputs[1]
    need_b, need_a = node.needs_input_grad
    if a["part"] == "coefficient":
        return None, (g if need_a else None)
    upper, tr, unit = a["upper"], a["transpose"], a["unitriangular"]
    X = node.output  # (the solution with its history: a second derivative follows it to b and A)
    gb = tg.triangular_solve(g, A.conj() if A.is_complex() else A, upper, not tr, unit).solution
    ga = None
    if need_a:
        ga = -X.conj().matmul(gb.mT) if tr else -gb.matmul(_mH(X))
        ga = ga.triu(int(unit)) if upper else ga.tril(-int(unit))
    return (gb if need_b else None), ga


@formula("cholesky_solve", saves=(1,), saves_output=True)
def cholesky_solve(node, g):
    tg = _tg()
    L = node.inputs[1]
    X = node.output
    upper = node.attrs["upper"]
    need_b, need_l = node.needs_input_grad
    gb = tg.cholesky_solve(g, L, upper)
    gl = None
    if need_l:
        common = gb.matmul(_mH(X))
        common = common + _mH(common)
        gl = -L.matmul(common) if upper else -common.matmul(L)
    return (gb if need_b else None), gl


@formula("cholesky_inverse", saves=(0,), saves_output=True)
def cholesky_inverse(node, g):
    L = node.inputs[0]
    inv = node.output
    common = inv.matmul((g + _mH(g)).matmul(inv))
    return (-L.matmul(common) if node.attrs["upper"] else -common.matmul(L),)


@formula("addr", saves=(1, 2))  # (``input`` is not read: PyTorch keeps vec1 and vec2 only)
def addr(node, g):
    _, v1, v2 = node.inputs
    beta, alpha = node.attrs["beta"], node.attrs["alpha"]
    need_in, need_1, need_2 = node.needs_input_grad
    gi = (g * beta.conjugate() if beta != 1 else g) if need_in else None  # (a complex scale: conjugated)
    ga = g * alpha.conjugate() if alpha != 1 else g
    g1 = ga.mv(v2.conj() if v2.is_complex() else v2) if need_1 else None
    g2 = ga.t().mv(v1.conj() if v1.is_complex() else v1) if need_2 else None
    return gi, g1, g2
