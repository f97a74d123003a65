"""What the linalg ops share: their argument checks with PyTorch's messages (tensors on one
device, square matrices, the dtypes each LAPACK kernel takes), the autograd ``_record`` call, and
the reports of LAPACK-style failures (a zero pivot, a matrix that is not positive-definite, an SVD
that does not converge on NaN). ``ops/lu.py``, ``ops/ldl.py`` and ``ops/decompositions.py`` use
them too, which is why they sit apart from the ops."""
from __future__ import annotations

import numpy as np

from ...grad_mode import state as _gs
from ...sparse.array_base import SparseArray
from ...sparse.coo_data import SparseCOOData
from ...tensor import Tensor
from .. import _frontend as F
from ...errors import LinAlgError  # (re-exported by the package: lu.py, ldl.py and tensorgraft.linalg import it there)
from tensorgraft.dtypes import BF16 as _BF16, np_kind as _np_kind
from tensorgraft.dtypes import CPP_TYPE_NAMES




def aten_name(fname):
    """The name PyTorch's argument parser gives a function whose messages name it ``fname``: its
    ATen name (``linalg.det`` -> ``linalg_det``, ``torch.linalg.lu_solve`` -> ``linalg_lu_solve``)."""
    return fname.removeprefix("torch.").replace(".", "_")


def require_tensors(opname, names, *vals):
    """PyTorch's TypeError for the first of ``vals`` (positional arguments 1, 2, ... named ``names``)
    that is not a Tensor, worded for ``opname`` (an ATen name: ``linalg_inv_ex``). A function that
    hands its arguments on to another op checks them so first, under its own name."""
    for k, v in enumerate(vals):
        if not isinstance(v, Tensor):
            raise F.not_a_tensor(opname, names[k], k + 1, v)


def _tensor_args(fname, names, *vals):
    require_tensors(aten_name(fname), names, *vals)
    dev = vals[0]._device
    for v in vals[1:]:
        if v._device is not dev:
            raise F.device_mismatch(fname, vals[0], v)


def inner_size_mismatch(a, b, rows=None) -> RuntimeError:
    """The error of ``mat1 @ mat2`` (arrays) whose inner sizes differ, in PyTorch's words: a sparse COO
    ``mat1`` gets its sparse kernel's. ``rows`` is mat1's row count when it is a batch seen as one matrix."""
    if a.__class__ is SparseCOOData:
        return RuntimeError(f"addmm: Argument #3 (dense): Expected dim 0 size {a.shape[1]}, got {b.shape[0]}")
    first = f"{rows}x{a.shape[-1]}" if rows is not None else _shape_str(a.shape)
    return RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({first} and {_shape_str(b.shape)})")


def _same_dtype(a: Tensor, b: Tensor):
    if a._data.dtype != b._data.dtype:
        if isinstance(a._data, SparseArray):  # (PyTorch's sparse kernels word it as a dispatch check)
            raise RuntimeError(f"expected scalar type {F._type_name(a._data.dtype)} but found "
                               f"{F._type_name(b._data.dtype)}")
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {CPP_TYPE_NAMES[str(a._data.dtype)]} != "
                           f"{CPP_TYPE_NAMES[str(b._data.dtype)]}")


def _record(op, out, inputs, attrs=None, name=None):
    if _gs.enabled and any(isinstance(t, Tensor) and t._requires_grad for t in inputs):
        Tensor._autograd.record(op, out, inputs, attrs, node_name=name)
    return out


def _record_per_output(op, outputs, inputs, attrs, name):
    """A factorization's nodes, when a gradient is needed: one per output of ``outputs`` ((tensor,
    part) pairs), each told its ``part``, where PyTorch has one node ``name`` for all. The formulas
    are linear in the outputs' gradients, so the nodes' gradients add up to PyTorch's."""
    for out, part in outputs:
        Tensor._autograd.record(op, out, inputs, dict(attrs, part=part), node_name=name)


def _shape_str(s):
    return "x".join(map(str, s))


# --------------------------------------------------------------------------- the solvers' input and failures
def square_matrices(fname, t, argname="A"):
    """``t``'s array, checked to be a Tensor holding a batch of square matrices (PyTorch's messages
    call it A whatever the argument's name; ``argname``, ATen's name for it, is what the TypeError
    for a non-Tensor names)."""
    if not isinstance(t, Tensor):
        raise F.not_a_tensor(aten_name(fname), argname, 1, t)
    a = t._data
    if a.ndim < 2:
        raise RuntimeError(f"{fname}: The input tensor A must have at least 2 dimensions.")
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"{fname}: A must be batches of square matrices, but they are {a.shape[-2]} by "
                           f"{a.shape[-1]} matrices")
    return a


def _square(fname, t, argname="A"):
    """The solvers' input check: square matrices of a dtype their kernels take."""
    a = square_matrices(fname, t, argname)
    _float_check(fname, t)
    return a


# PyTorch turns away a dtype its LAPACK kernels lack at different layers, so the words differ per
# function: the frontend's "Expected a floating point..." check, the dispatch of the kernel itself
# (NotImplementedError naming the kernel: '"lu_cpu" not implemented for 'Half''), or a dedicated
# low-precision check. The tables name, per frontend name, where float16 (and, for the first set,
# integers and bool) are stopped, so the user sees PyTorch's exception class and message.
_KERNEL_STEM = {
    "linalg.det": "lu", "linalg.solve": "lu", "linalg.lu_factor": "lu", "linalg.lu_factor_ex": "lu",
    "linalg.lu": "lu", "torch.linalg.lu_solve": "linalg.lu_solve", "linalg.cholesky": "cholesky", "cholesky": "cholesky",
    "cholesky_inverse": "cholesky_inverse_out", "cholesky_solve": "cholesky_solve",
    "linalg.solve_triangular": "triangular_solve", "triangular_solve": "triangular_solve",
    "linalg.svd": "linalg_svd", "linalg.svdvals": "linalg_svd", "linalg.eig": "linalg_eig_out",
    "linalg.eigvals": "linalg_eig_out", "linalg.eigh": "linalg_eigh", "linalg.qr": "geqrf", "geqrf": "geqrf",
    "torch.linalg.ldl_factor_ex": "ldl_factor_kernel", "torch.linalg.ldl_solve": "ldl_solve_kernel",
    "linalg.householder_product": "orgqr", "orgqr": "orgqr",
    "ormqr": "ormqr",
}
# ... of which these reach the kernel with integer/bool input too (no frontend check before it)
_KERNEL_SEES_INTEGERS = {"cholesky", "cholesky_inverse", "cholesky_solve", "linalg.lu",
                         "linalg.solve_triangular", "triangular_solve", "linalg.eigh", "geqrf",
                         "linalg.lu_factor", "linalg.lu_factor_ex", "linalg.householder_product", "orgqr", "ormqr"}
_LOW_PRECISION_CHECK = {"linalg.inv", "linalg.slogdet", "logdet", "linalg.matrix_norm"}
# whole-message checks that cover every dtype but float32/64 and complex64/128
_OWN_MESSAGE = {
    "linalg.matrix_rank": lambda t: "This function doesn't handle types other than float and double",
    "torch.linalg.lstsq": lambda t: "This function doesn't handle types other than float and double",
    "linalg.pinv": lambda t: (f"linalg.pinv({F._type_name(t._data.dtype)}{{{list(t._data.shape)}}}): expected a "
                              "tensor with 2 or more dimensions of float, double, cfloat or cdouble types"),
}
# the name PyTorch's message carries where the check runs inside another function
_CHECKED_AS = {"linalg.svdvals": "linalg.svd", "linalg.cond": "linalg.svd"}


def _float_check(fname, t):
    dt = t._data.dtype
    low = dt == np.float16 or dt is _BF16  # half precision: PyTorch's linalg kernels take neither
    kind = "f" if dt is _BF16 else dt.kind
    if kind in "fc" and (not low or fname == "linalg.matrix_exp"):  # matmuls only: half is fine
        return
    own = _OWN_MESSAGE.get(fname)
    if own is not None:
        raise RuntimeError(own(t))
    stem = _KERNEL_STEM.get(fname)
    kernel_error = NotImplementedError(f'"{stem}_{t._device.type}" not implemented for '
                                       f"'{F._type_name(dt)}'") if stem else None
    if kind not in "fc":
        if fname in ("linalg.eig", "linalg.eigvals"):
            raise RuntimeError(f"Unknown Complex ScalarType for {F._type_name(dt)}")
        if fname in _KERNEL_SEES_INTEGERS:
            raise kernel_error
        raise RuntimeError(f"{_CHECKED_AS.get(fname, fname)}: Expected a floating point or complex tensor as input. "
                           f"Got {F._type_name(dt)}")
    if fname in _LOW_PRECISION_CHECK or stem is None:
        raise RuntimeError(f"{fname}: Low precision dtypes not supported. Got {F._type_name(dt)}")
    raise kernel_error


def _batch_prefix(a, flat_index) -> str:
    """PyTorch names the failing matrix of a batch (its index in the flattened batch)."""
    return f"(Batch element {flat_index}): " if a.ndim > 2 else ""


def first_failure(info):
    """(flat batch index, value) of the first positive LAPACK-style ``info`` (the failing matrix and
    the order of its failing pivot or minor); None if every matrix succeeded. A host read: call it
    on the error path only."""
    flat = _host(info).reshape(-1)
    bad = np.flatnonzero(flat > 0)
    return (int(bad[0]), int(flat[bad[0]])) if bad.size else None


def _first_zero_pivot(a):
    """(flat batch index, 1-based order) of the first exactly-zero pivot of LU with partial pivoting
    (LAPACK getrf's ``info``) among the matrices of ``a``; None if there is none. Run on the host,
    only after the backend reported a singular matrix."""
    from ..lu import _lu_kernel
    return first_failure(_lu_kernel(np, _host(a), True)[2])


def _host(a):
    return np.asarray(a.get() if hasattr(a, "get") else a)


def check_batches(first, second):
    """PyTorch's broadcast error for batch dimensions that do not broadcast (the solvers name the
    right-hand side first), raised before NumPy gets to word its own."""
    err = F.broadcast_mismatch(tuple(first), tuple(second))
    if err is not None:
        raise err


def first_nan(a):
    """Flat batch index of the first matrix of ``a`` holding a NaN; None if there is none."""
    has_nan = (a != a).reshape((-1,) + a.shape[-2:]).any(axis=(-2, -1))  # on a's device
    bad = _host(has_nan)
    return int(np.argmax(bad)) if bad.any() else None


def no_convergence_error(a, fname="linalg.svd"):
    """PyTorch's error when LAPACK's SVD (also behind pinv, matrix_rank, cond, 2-norms, lstsq) gives
    up, which it does on NaN input; NumPy raises its own LinAlgError there, which must not reach the
    user."""
    b = first_nan(a)
    return LinAlgError(f"{fname}: {_batch_prefix(a, b or 0)}The algorithm failed to converge because the input "
                       "matrix contained non-finite values.")


def converged(run, a, *args, fname="linalg.svd"):
    """``run(a, *args)`` (an SVD-based kernel from an op's table) with PyTorch's error for NaN input.
    NumPy raises its own LinAlgError for some NaN inputs and returns NaN for others (CuPy always
    does), so the input is checked first: one pass over ``a``, small next to the SVD. An inf is no
    error in PyTorch (its singular values come out NaN), nor here where NumPy agrees."""
    if a.size and first_nan(a) is not None:
        raise no_convergence_error(a, fname)
    try:
        return run(a, *args)
    except Exception as exc:  # numpy.linalg.LinAlgError: "SVD did not converge" (an inf it cannot handle)
        if "converge" not in str(exc):
            raise
    return _nan_where_infinite(run, a, args)


def _nan_where_infinite(run, a, args):
    """Some NumPy builds give up on an inf where LAPACK elsewhere returns NaN singular values (as
    PyTorch does): run the finite matrices, and give the matrices holding an inf NaN results."""
    bad = ~np.isfinite(a).reshape(a.shape[:-2] + (-1,)).all(axis=-1)   # per matrix (NumPy only: CuPy never raises)
    res = run(np.where(bad[..., None, None], 0, a), *args)
    outs = res if isinstance(res, tuple) else (res,)
    for r in outs:
        if isinstance(r, np.ndarray) and _np_kind(r.dtype) in "fc" and r.shape[:bad.ndim] == bad.shape:
            r[bad] = np.nan
    return res


def singular_inv_error(fname, a):
    """PyTorch's message for inverting a singular matrix (linalg.inv, inverse, matrix_power(-n))."""
    b, order = _first_zero_pivot(a) or (0, 1)
    return LinAlgError(f"{fname}: {_batch_prefix(a, b)}The diagonal element {order} is zero, the inversion could not "
                       "be completed because the input matrix is singular.")
