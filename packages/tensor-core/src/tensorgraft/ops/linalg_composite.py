"""PyTorch's older top-level linear-algebra functions and the small ``torch.linalg`` composites:
``torch.svd``/``qr``/``lu``/``lu_solve``, ``triangular_solve``, ``cholesky_solve``/``cholesky_inverse``,
``addr``, ``chain_matmul``, ``ormqr``, ``nuclear_norm``/``frobenius_norm``, ``linalg.tensorinv``/
``tensorsolve``/``vander``.

Where PyTorch records one node (``CholeskySolveBackward0``...) the op records one node too, with the
same name; the composites PyTorch builds from other ops (``tensorinv``, ``vander``) are built the same
way here, so their ``grad_fn`` is whatever the last op records, as in PyTorch."""
from __future__ import annotations

import warnings

import numpy as np

from ..amp._state import state as _autocast
from ..dtypes import BF16
from ..tensor import Tensor, wrap
from . import _frontend as F
from ._args import spread_args
from ._define import defop
from ._return_types import return_type
from .decompositions import _record_fn, householder_composite
from .linalg import (
    LinAlgError, _batch_prefix, _float_check, _host, _mk, _record, _spd, _tensor_args, _well, check_batches,
    solve_triangular_array, square_matrices,
)
from .linalg.checks import require_tensors
from .lu import _lu_factor_ex, _lu_solve

SVDLegacy = return_type("svd", ("U", "S", "V"))
QRLegacy = return_type("qr", ("Q", "R"))
TriangularSolveResult = return_type("triangular_solve", ("solution", "cloned_coefficient"))


def _lin():
    from .. import linalg
    return linalg


# --------------------------------------------------------------------------- torch.svd / torch.qr
def _svd(input, some=True, compute_uv=True):
    if not isinstance(input, Tensor):
        raise F.not_a_tensor("svd", "input", 1, input)
    if input._data.ndim < 2:
        raise RuntimeError(f"linalg.svd: input should have at least 2 dimensions, but has {input._data.ndim} "
                           "dimensions instead")
    if compute_uv:
        U, S, Vh = _lin().svd(input, full_matrices=not some)
        return SVDLegacy(U, S, Vh.mT.conj() if Vh.is_complex() else Vh.mT)
    from .creation import zeros
    S = _lin().svdvals(input)
    m, n = input.shape[-2:]
    b = tuple(input.shape[:-2])
    return SVDLegacy(zeros(b + (m, m), dtype=input.dtype, device=input.device), S,
                     zeros(b + (n, n), dtype=input.dtype, device=input.device))


def _qr(input, some=True):
    require_tensors("qr", ("input",), input)  # (in its own name, not linalg_qr's)
    return QRLegacy(*_lin().qr(input, "reduced" if some else "complete"))


defop("svd", frontend=lambda op: _svd, differentiable=False,
      samples=lambda dt, dev: [(_mk((3, 2), dt, dev, 170),)],
      reference=None)
defop("qr", frontend=lambda op: _qr, differentiable=False, samples=lambda dt, dev: [(_mk((3, 2), dt, dev, 171),)])


# --------------------------------------------------------------------------- LU, old spellings
def _lu(A, pivot=True, get_infos=False):
    require_tensors("_lu_with_info", ("input",), A)  # (the ATen function torch.lu calls)
    warnings.warn("torch.lu is deprecated in favor of torch.linalg.lu_factor / torch.linalg.lu_factor_ex and will be "
                  "removed in a future PyTorch release.", UserWarning, stacklevel=2)
    LU, piv, info = _lu_factor_ex.frontend(A, pivot=pivot, check_errors=not get_infos)
    return (LU, piv, info) if get_infos else (LU, piv)


def _torch_lu_solve(input, LU_data, LU_pivots, *, out=None):
    require_tensors("lu_solve", ("input", "LU_data", "LU_pivots"), input, LU_data, LU_pivots)
    warnings.warn("torch.lu_solve is deprecated in favor of torch.linalg.lu_solveand will be removed in a future "
                  "PyTorch release.", UserWarning, stacklevel=2)
    return _lu_solve.frontend(LU_data, LU_pivots, input)


def _lu_solve_legacy_samples(dt, dev):
    from .lu import _lu_kernel
    A = _well(dt, dev, 172)
    lu, piv, _ = _lu_kernel(np, A.detach().cpu()._data, True)
    return [(_mk((3, 2), dt, dev, 173), wrap(lu, A.cpu()._device).to(dev), wrap(piv, A.cpu()._device).to(dev))]


defop("lu", frontend=lambda op: _lu, differentiable=False, samples=lambda dt, dev: [(_well(dt, dev, 174),)])
defop("lu_solve", frontend=lambda op: _torch_lu_solve, differentiable=False, samples=_lu_solve_legacy_samples,
      reference=lambda b, lu, piv: __import__("tensorgraft.ops.lu", fromlist=["x"])._lu_solve_kernel(
          np, lu, piv, b, True, False))


# --------------------------------------------------------------------------- triangular solves
def _tri(xp, a, upper, unit):
    tri = xp.triu(a) if upper else xp.tril(a)
    if unit:
        n = a.shape[-1]
        eye = xp.eye(n, dtype=a.dtype)
        tri = tri * (1 - eye) + eye
    return tri


def _triangular_solve_kernel(xp, b, a, upper, transpose, unit):
    tri = _tri(xp, a, upper, unit)
    if transpose:
        tri = xp.swapaxes(tri, -1, -2)
        upper = not upper
    return solve_triangular_array(xp, tri, b, upper)


def _check_batch_pair(fname, b, a, bname, aname):
    # the legacy solvers word the rank check each their own way (and name L ``u`` in cholesky_solve)
    for t, name in ((b, bname), (a, aname)):
        if t._data.ndim < 2:
            if fname == "cholesky_solve":
                raise RuntimeError(f"{'b' if name == bname else 'u'} should have at least 2 dimensions, but has "
                                   f"{t._data.ndim} dimensions instead")
            raise RuntimeError(f"torch.{fname}: Expected {name} to have at least 2 dimensions, but it has "
                               f"{t._data.ndim} dimensions instead")


def _check_legacy_solve(fname, B, A, bname, dtype_prefix=""):
    """The checks triangular_solve and cholesky_solve share, in PyTorch's order: right-hand sides
    ``B`` against a batch of square matrices ``A`` (same dtype, broadcastable batch dims)."""
    _check_batch_pair(fname, B, A, bname, "A")
    a, b = A._data, B._data
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"A must be batches of square matrices, but they are {a.shape[-2]} by {a.shape[-1]} "
                           "matrices")
    if b.shape[-2] != a.shape[-1]:
        raise RuntimeError(f"{fname}: Incompatible matrix sizes for {fname}: each A matrix is {a.shape[-2]} by "
                           f"{a.shape[-1]} but each b matrix is {b.shape[-2]} by {b.shape[-1]}")
    if a.dtype != b.dtype:
        raise RuntimeError(f"{dtype_prefix}Expected b and A to have the same dtype, but found b of type "
                           f"{F._type_name(b.dtype)} and A of type {F._type_name(a.dtype)} instead.")
    _float_check(fname, A)
    check_batches(b.shape[:-2], a.shape[:-2])


def _triangular_solve_frontend(op):
    table = op.table

    def triangular_solve(input, A, upper=True, transpose=False, unitriangular=False, *, out=None):
        _tensor_args("triangular_solve", ("input", "A"), input, A)
        _check_legacy_solve("triangular_solve", input, A, "b", dtype_prefix="triangular_solve: ")
        a, b = A._data, input._data
        shape = tuple(np.broadcast_shapes(a.shape[:-2], b.shape[:-2]))
        xp_b = b if b.shape[:-2] == shape else np.broadcast_to(b, shape + b.shape[-2:]) \
            if isinstance(b, np.ndarray) else b
        x = wrap(table[A._device.type](xp_b, a, upper, transpose, unitriangular), A._device)
        coef = wrap(a.copy(), A._device)
        attrs = {"upper": upper, "transpose": transpose, "unitriangular": unitriangular}
        _record(op, x, (input, A), dict(attrs, part="solution"), "TriangularSolveBackward0")
        _record(op, coef, (input, A), dict(attrs, part="coefficient"), "TriangularSolveBackward0")
        return TriangularSolveResult(x, coef)
    return triangular_solve


defop("triangular_solve", kernel=_triangular_solve_kernel, frontend=_triangular_solve_frontend,
      samples=lambda dt, dev: [(_mk((3, 2), dt, dev, 175), _well(dt, dev, 176).triu().detach()),
                               ((_mk((3, 2), dt, dev, 177), _well(dt, dev, 178).tril().detach()),
                                {"upper": False, "transpose": True})],
      reference=lambda b, a, upper=True, transpose=False: (
          _triangular_solve_kernel(np, b, a, upper, transpose, False), a),
      conformance_skip={"gradcheck": "reads one triangle", "gradgradcheck": "reads one triangle"})


def _cholesky_solve_kernel(xp, b, l, upper):
    L = xp.triu(l) if upper else xp.tril(l)
    H = xp.conj(xp.swapaxes(L, -1, -2))
    if upper:  # A = U^H U
        return solve_triangular_array(xp, L, solve_triangular_array(xp, H, b, False), True)
    return solve_triangular_array(xp, H, solve_triangular_array(xp, L, b, False), True)


def _cholesky_solve_frontend(op):
    table = op.table

    def cholesky_solve(input, input2, upper=False, *, out=None):
        _tensor_args("cholesky_solve", ("input", "input2"), input, input2)
        _check_legacy_solve("cholesky_solve", input, input2, "B")
        res = wrap(table[input._device.type](input._data, input2._data, upper), input._device)
        return _record(op, res, (input, input2), {"upper": upper}, "CholeskySolveBackward0")
    return cholesky_solve


def _chol_samples(dt, dev):
    L = _lin().cholesky(_spd(dt, dev)).detach()
    return [(_mk((3, 2), dt, dev, 179), L), ((_mk((3, 2), dt, dev, 180), L.mT.contiguous()), {"upper": True})]


defop("cholesky_solve", kernel=_cholesky_solve_kernel, frontend=_cholesky_solve_frontend, samples=_chol_samples,
      reference=lambda b, l, upper=False: _cholesky_solve_kernel(np, b, l, upper),
      conformance_skip={"gradcheck": "PyTorch's formula treats L as a full matrix",
                        "gradgradcheck": "PyTorch's formula treats L as a full matrix"})


def _cholesky_inverse_kernel(xp, l, upper):
    zero_at = first_zero_diagonal(l)
    if zero_at is not None:  # LAPACK's trtri stops at an exact zero on L's diagonal
        b, order = zero_at
        raise LinAlgError(f"cholesky_inverse: {_batch_prefix(l, b)}The diagonal element {order} is zero, the "
                          "inversion could not be completed because the input matrix is singular.")
    n = l.shape[-1]
    eye = xp.broadcast_to(xp.eye(n, dtype=l.dtype), l.shape).copy()
    return _cholesky_solve_kernel(xp, eye, l, upper)


def _cholesky_inverse_frontend(op):
    table = op.table

    def cholesky_inverse(input, upper=False, *, out=None):
        a = square_matrices("cholesky_inverse", input, "input")
        _float_check("cholesky_inverse", input)
        res = wrap(table[input._device.type](a, upper), input._device)
        return _record(op, res, (input,), {"upper": upper}, "CholeskyInverseBackward0")
    return cholesky_inverse


defop("cholesky_inverse", kernel=_cholesky_inverse_kernel, frontend=_cholesky_inverse_frontend,
      samples=lambda dt, dev: [(_lin().cholesky(_spd(dt, dev)).detach(),)],
      reference=lambda l: _cholesky_inverse_kernel(np, l, False),
      conformance_skip={"gradcheck": "PyTorch's formula treats L as a full matrix",
                        "gradgradcheck": "PyTorch's formula treats L as a full matrix"})


def first_zero_diagonal(l):
    """(flat batch index, 1-based position) of the first exact zero on the diagonals of ``l``; None
    if there is none. NaN is not zero: trtri carries it through, as PyTorch returns it."""
    if l.size == 0:
        return None
    diag = l.diagonal(0, -2, -1).reshape((-1, l.shape[-1]))
    zero = _host(diag == 0)
    if not zero.any():
        return None
    b = int(np.argmax(zero.any(axis=-1)))
    return b, int(np.argmax(zero[b])) + 1


# --------------------------------------------------------------------------- ormqr
def ormqr_composite(A, tau, C, left=True, transpose=False):
    import tensorgraft as tg
    cat, zeros = tg.cat, tg.zeros
    m, n = A.shape[-2:]
    mq = C.shape[-2] if left else C.shape[-1]
    if n < mq:  # the full m x m Q: extra columns with tau = 0 are identities
        A = cat([A, zeros(tuple(A.shape[:-1]) + (mq - n,), dtype=A.dtype, device=A.device)], -1)
    elif n > mq:
        A = A[..., :mq]
    Q = householder_composite(A, tau)
    if transpose:
        Q = Q.mT.conj() if Q.is_complex() else Q.mT
    return Q.matmul(C) if left else C.matmul(Q)


def _ormqr_frontend(op):
    def ormqr(input, input2, input3, left=True, transpose=False, *, out=None):
        _tensor_args("ormqr", ("input", "input2", "input3"), input, input2, input3)
        if _autocast.on:  # on PyTorch's CPU float32 list: float32 operands, and no product inside lowered
            input, input2, input3 = _autocast.fp32_cpu(input, input2, input3)
            from ..amp import autocast
            with autocast(input.device.type, enabled=False):
                return ormqr(input, input2, input3, left, transpose, out=out)
        a, tau, c = input._data, input2._data, input3._data
        if a.ndim < 2:
            raise RuntimeError("torch.ormqr: input must have at least 2 dimensions.")
        if c.ndim < 2:
            raise RuntimeError("torch.ormqr: other must have at least 2 dimensions.")
        lim = c.shape[-2] if left else c.shape[-1]
        side = "other.shape[-2]" if left else "other.shape[-1]"
        if a.shape[-2] != lim:
            raise RuntimeError(f"torch.ormqr: {side} must be equal to input.shape[-2]")
        if tau.shape[-1] != min(lim, a.shape[-1]):  # (one reflector per column of input, as PyTorch 2.13)
            raise RuntimeError(f"torch.ormqr: tau.shape[-1] must be equal to min({side}, input.shape[-1])")
        from ..grad_mode import no_grad
        with no_grad():
            res = ormqr_composite(input, input2, input3, left, transpose)
        res = wrap(res._data, res._device)
        _record_fn(op, (res,), (input, input2, input3), ormqr_composite, "OrmqrBackward0", left=left,
                   transpose=transpose)
        return res
    return ormqr


def _ref_ormqr(a, tau, c, left=True, transpose=False):
    from .decompositions import _householder_kernel
    m = a.shape[-2]
    full = np.concatenate([a, np.zeros(a.shape[:-1] + (m - a.shape[-1],))], -1) if a.shape[-1] < m else a
    Q = _householder_kernel(np, full, tau)
    Q = Q.T if transpose else Q
    return Q @ c if left else c @ Q


defop("ormqr", frontend=_ormqr_frontend,
      samples=lambda dt, dev: [(_mk((4, 3), dt, dev, 181), _mk((3,), dt, dev, 182, 0.2, 1.5), _mk((4, 2), dt, dev, 183)),
                               ((_mk((4, 3), dt, dev, 184), _mk((3,), dt, dev, 185, 0.2, 1.5),
                                 _mk((2, 4), dt, dev, 186)), {"left": False, "transpose": True})],
      reference=_ref_ormqr)


# --------------------------------------------------------------------------- addr / chain_matmul / norms
def _addr_kernel(xp, inp, v1, v2, beta, alpha):
    if inp.dtype == np.bool_:  # (PyTorch's bool addr: the scalars are truth values, + and * are or/and)
        prod = xp.logical_and(v1[:, None], v2[None, :]) if alpha else xp.zeros((v1.shape[0], v2.shape[0]), bool)
        return xp.logical_or(inp, prod) if beta else xp.broadcast_to(prod, np.broadcast_shapes(inp.shape,
                                                                                                  prod.shape)).copy()
    # (PyTorch's kernel computes beta * self + alpha * vec1 * vec2 left to right in the dtype: in
    # float16 scaling vec1 first rounds differently from scaling the outer product)
    if inp.dtype == np.float16 or inp.dtype == BF16:
        # (c10 makes the scalars halves through float; ml_dtypes' bfloat16 would widen to float32
        # for a Python float)
        beta, alpha = np.float32(beta).astype(inp.dtype), np.float32(alpha).astype(inp.dtype)
    prod = (v1 * alpha if alpha != 1 else v1)[:, None] * v2[None, :]
    if beta == 0:
        return xp.broadcast_to(prod, np.broadcast_shapes(inp.shape, prod.shape)).copy()
    return (inp * beta if beta != 1 else inp) + prod


def _addr_scalar(npdtype, value, name):
    """PyTorch's addr checks its scalars against the result dtype before anything else: a bool
    only for a bool result, a float (or complex) number not for an integral or bool one; then the
    number is converted into the dtype as the other BLAS ops do (an int into a uint8 wraps)."""
    from .linalg.matmul import NO_PRODUCT_KERNEL, blas_scalar
    if isinstance(value, Tensor):
        value = value.item()
    integral = np.dtype(npdtype).kind in "biu"
    if isinstance(value, bool) and npdtype != np.bool_:
        raise RuntimeError(f"Boolean {name} only supported for Boolean results.")
    if integral and not isinstance(value, (int, np.integer)):
        raise RuntimeError(f"For integral input tensors, argument {name} must not be a floating point number.")
    if npdtype in NO_PRODUCT_KERNEL and npdtype != np.bool_:
        raise NotImplementedError(f'"addr_cpu" not implemented for \'{NO_PRODUCT_KERNEL[npdtype]}\'')
    return bool(value) if npdtype == np.bool_ else blas_scalar(value, npdtype)


def _addr_frontend(op):
    table = op.table

    def addr(input, vec1, vec2, *, beta=1, alpha=1, out=None):
        _tensor_args("addr", ("input", "vec1", "vec2"), input, vec1, vec2)
        v1, v2 = vec1._data, vec2._data
        if v1.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument vec1, but got {v1.ndim}-D")
        if v2.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument vec2, but got {v2.ndim}-D")
        from .linalg import _check_add_shape
        _check_add_shape(input._data.shape, (v1.shape[0], v2.shape[0]))
        from .. import dtypes as _dt
        dt = _dt.promote_types(_dt.promote_types(input.dtype, vec1.dtype), vec2.dtype).np
        beta, alpha = _addr_scalar(dt, beta, "beta"), _addr_scalar(dt, alpha, "alpha")
        i, v1, v2 = input._data.astype(dt, copy=False), v1.astype(dt, copy=False), v2.astype(dt, copy=False)
        res = wrap(table[input._device.type](i, v1, v2, beta, alpha), input._device)
        if out is not None:
            F.store_into(out, res._data, "addr")
            return out
        return _record(op, res, (input, vec1, vec2), {"beta": beta, "alpha": alpha}, "AddrBackward0")
    return addr


# (bf16_native: PyTorch's half addr rounds after each multiply and the add, as NumPy's half
# ufuncs do, so the kernel takes the half operands as they are)
defop("addr", kernel=_addr_kernel, frontend=_addr_frontend, inplace="addr_", bf16_native=True,
      samples=lambda dt, dev: [(_mk((3, 2), dt, dev, 187), _mk((3,), dt, dev, 188), _mk((2,), dt, dev, 189)),
                               ((_mk((2,), dt, dev, 190), _mk((3,), dt, dev, 191), _mk((2,), dt, dev, 192)),
                                {"beta": 0.5, "alpha": 2.0})],
      reference=lambda c, a, b, beta=1, alpha=1: beta * c + alpha * np.outer(a, b))


def _chain_matmul(*matrices, out=None):
    warnings.warn("torch.chain_matmul is deprecated and will be removed in a future PyTorch release. Use "
                  "torch.linalg.multi_dot instead, which accepts a list of two or more tensors rather than multiple "
                  "parameters.", UserWarning, stacklevel=2)
    matrices = spread_args(matrices)
    if len(matrices) == 1:
        return matrices[0].clone()
    return _lin().multi_dot(list(matrices))


defop("chain_matmul", frontend=lambda op: _chain_matmul, method=False, differentiable=False,
      samples=lambda dt, dev: [(_mk((2, 3), dt, dev, 193), _mk((3, 3), dt, dev, 194), _mk((3, 2), dt, dev, 195))],
      reference=lambda *ms: np.linalg.multi_dot(ms))


def _nuclear_norm(input, dim=None, keepdim=False, *, dtype=None, out=None):
    if isinstance(dim, bool):  # nuclear_norm(input, keepdim)
        dim, keepdim = None, dim
    return _lin().matrix_norm(input, "nuc", (-2, -1) if dim is None else tuple(dim), keepdim, dtype=dtype)


def _frobenius_norm(input, dim, keepdim=False, *, out=None):
    if isinstance(dim, int):
        dim = (dim,)
    return _lin().vector_norm(input, 2, tuple(dim), keepdim)


defop("nuclear_norm", frontend=lambda op: _nuclear_norm, method=False, differentiable=False,
      samples=lambda dt, dev: [(_mk((3, 2), dt, dev, 196),)],
      reference=lambda a: np.linalg.norm(a, "nuc"), gradgrad=False)
defop("frobenius_norm", frontend=lambda op: _frobenius_norm, method=False, differentiable=False,
      samples=lambda dt, dev: [(_mk((3, 2), dt, dev, 197), (0, 1))],
      reference=lambda a, dim: np.linalg.norm(a))


# --------------------------------------------------------------------------- tensorinv / tensorsolve / vander
def _tensorinv(A, ind=2, *, out=None):
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    shape = tuple(A.shape)
    rows = int(np.prod(shape[:ind], dtype=np.int64))
    cols = int(np.prod(shape[ind:], dtype=np.int64))
    if rows != cols:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {cols} != {rows}")
    try:
        return _lin().inv(A.reshape(rows, cols)).reshape(shape[ind:] + shape[:ind])
    except LinAlgError as e:  # PyTorch's tensorinv calls the inverse by its short name
        raise LinAlgError(str(e).replace("linalg.inv: ", "inv: ", 1)) from None


def _tensorsolve(A, B, dims=None, *, out=None):
    if dims is not None:
        dims = [d % A.ndim for d in dims]
        rest = [d for d in range(A.ndim) if d not in dims]
        A = A.permute(*(rest + dims))
    bn = B.numel()
    rest_shape = tuple(A.shape[B.ndim:])
    n = int(np.prod(rest_shape, dtype=np.int64))
    if n != bn:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == "
                           f"prod(self.shape[:other.ndim]), but got {n} != {int(np.prod(A.shape[:B.ndim]))}")
    return _lin().solve(A.reshape(bn, n), B.reshape(bn)).reshape(rest_shape)


def _vander(x, *, N=None):
    if not isinstance(x, Tensor):
        raise F.not_a_tensor("linalg.vander", "x", 1, x)
    if x._data.dtype.name in ("float16", "bfloat16", "bool"):  # PyTorch's kernel takes none of them
        raise RuntimeError("linalg.vander supports floating point, complex, and integer tensors, but got "
                           f"{F._type_name(x._data.dtype)}")
    if x.ndim == 0:  # (PyTorch reads a 0-d x as one point: a (1, N) result)
        x = x.unsqueeze(-1)
    n = x.shape[-1] if N is None else N
    if n <= 1:
        raise RuntimeError("N must be greater than 1.")
    import tensorgraft as tg
    ones_like, cat = tg.ones_like, tg.cat
    first = ones_like(x).unsqueeze(-1)
    rest = x.unsqueeze(-1).expand(*x.shape, n - 1).cumprod(-1)
    return cat([first, rest], -1)


defop("linalg_tensorinv", frontend=lambda op: _tensorinv, method=False, public=False, differentiable=False,
      samples=lambda dt, dev: [((_mk((2, 3, 6), dt, dev, 198) + _eye6(dt, dev).reshape(2, 3, 6),), {"ind": 2})],
      reference=lambda a, ind=2: np.linalg.tensorinv(a, ind))
defop("linalg_tensorsolve", frontend=lambda op: _tensorsolve, method=False, public=False, differentiable=False,
      samples=lambda dt, dev: [(_mk((2, 3, 6), dt, dev, 199) + _eye6(dt, dev).reshape(2, 3, 6),
                                _mk((2, 3), dt, dev, 200))],
      reference=lambda a, b: np.linalg.tensorsolve(a, b))
defop("linalg_vander", frontend=lambda op: _vander, method=False, public=False, differentiable=False,
      samples=lambda dt, dev: [(_mk((3,), dt, dev, 201),), ((_mk((2, 3), dt, dev, 202),), {"N": 4})],
      reference=lambda x, N=None: np.stack([np.vander(r, N, increasing=True) for r in x.reshape(-1, x.shape[-1])]
                                           ).reshape(x.shape + (x.shape[-1] if N is None else N,)))


def _eye6(dt, dev):
    from .creation import eye
    return 4 * eye(6, dtype=dt, device=dev)
