"""The matrix products: mm, bmm, mv, dot/vdot, matmul (``@``, and ``__rmatmul__``) and the
add*mm family (addmm, addmv, baddbmm, addbmm). Each is one backend call (BLAS); mm and matmul take
the common case (2-D operands of one dtype) first, with one combined check."""
from __future__ import annotations

import numpy as np

from ...grad_mode import state as _gs
from ...sparse.array_base import SparseArray
from ...sparse.coo_data import SparseLayoutError
from ...tensor import Tensor, wrap
from .. import _frontend as F
from ...amp._state import state as _autocast  # autocast's flag (tensorgraft.amp)
from .._define import defop
from tensorgraft.dtypes import BF16, CPP_TYPE_NAMES
from .checks import _record, _same_dtype, _shape_str, _tensor_args, inner_size_mismatch


def _cpu_matmul(a, b):
    """NumPy's ``matmul`` is several times slower than ``dot`` when an operand is a transposed
    view (the usual case in backward: ``grad @ w.T``), so 2-D products go through ``dot`` and
    batched ones get contiguous operands first. CuPy keeps the generic ``xp.matmul`` kernel."""
    if a.ndim <= 2 and b.ndim <= 2:
        try:  # (a try costs nothing until it catches)
            return a.dot(b)
        except SparseLayoutError:  # dense @ sparse COO: (sparse.T @ dense.T).T
            return b.T.dot(a.T).T
    if a.__class__ is not np.ndarray or b.__class__ is not np.ndarray:
        return np.matmul(a, b)  # (a batched sparse operand: its own kernel, through NumPy's protocol)
    if not a.flags.c_contiguous:
        a = np.ascontiguousarray(a)
    if not b.flags.c_contiguous:
        b = np.ascontiguousarray(b)
    return np.matmul(a, b)


_CPU_MATMUL = {"cpu": _cpu_matmul}

# the dtypes PyTorch's CPU product kernels (dot, mv, mm, bmm and the add*mm family) have no loop for
# (uint8 they have); NumPy multiplies them all
NO_PRODUCT_KERNEL = {np.dtype(np.bool_): "Bool", np.dtype(np.uint16): "UInt16", np.dtype(np.uint32): "UInt32",
            np.dtype(np.uint64): "UInt64"}


def refuse_without_kernel(kernel, npdtype, result_size=1, inner=1):
    """PyTorch's refusal of a product in a dtype of ``NO_PRODUCT_KERNEL`` ('"addmm_impl_cpu_" not
    implemented for 'Bool''), named by the kernel it reaches; a product with nothing to compute (an
    empty result or inner dimension) is made without the kernel, except dot's."""
    name = NO_PRODUCT_KERNEL.get(npdtype)
    if name is not None and (kernel == "dot" or (result_size and inner)):
        raise NotImplementedError(f'"{kernel}" not implemented for \'{name}\'')


def _mm_frontend(op):
    table = op.table

    def mm(input, mat2, *, out=None):
        if _autocast.on:
            input, mat2 = _autocast.lower(input, mat2)
        if out is None and input.__class__ is Tensor and mat2.__class__ is Tensor:
            a, b = input._data, mat2._data
            if (a.ndim == 2 and b.ndim == 2 and a.shape[1] == b.shape[0] and a.dtype is b.dtype
                    and input._device is mat2._device and a.dtype not in NO_PRODUCT_KERNEL):  # (all in one go)
                res = wrap(table[input._device.type](a, b), input._device)
                if _gs.enabled and (input._requires_grad or mat2._requires_grad):
                    Tensor._autograd.record(op, res, (input, mat2), None)
                return res
        _tensor_args("mm", ("input", "mat2"), input, mat2)
        a, b = input._data, mat2._data
        if a.ndim != 2:
            raise RuntimeError("self must be a matrix")
        if b.ndim != 2:
            raise RuntimeError("mat2 must be a matrix")
        if a.shape[1] != b.shape[0]:
            raise inner_size_mismatch(a, b)
        _same_dtype(input, mat2)
        refuse_without_kernel("addmm_impl_cpu_", a.dtype, a.shape[0] * b.shape[1], a.shape[1])
        res = wrap(table[input._device.type](a, b), input._device)
        if out is not None:
            F.write_out(out, res._data, "mm")
            return out
        return _record(op, res, (input, mat2))
    return mm


defop("mm", xp_attr="matmul", kernels=_CPU_MATMUL, frontend=_mm_frontend)


def _bmm_frontend(op):
    table = op.table

    def bmm(input, mat2, *, out=None):
        if _autocast.on:
            input, mat2 = _autocast.lower(input, mat2)
        _tensor_args("bmm", ("input", "mat2"), input, mat2)
        a, b = input._data, mat2._data
        if a.ndim != 3:
            raise RuntimeError("batch1 must be a 3D tensor")
        if b.ndim != 3:
            raise RuntimeError("batch2 must be a 3D tensor")
        if b.shape[0] != a.shape[0] or b.shape[1] != a.shape[2]:
            if isinstance(a, SparseArray):  # (PyTorch's sparse kernel's words)
                first, second = (0, 0) if b.shape[0] != a.shape[0] else (2, 1)
                raise RuntimeError(f"bmm_sparse: 'self.size({first})' and 'mat2.size({second})' must match")
            raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{a.shape[0]}, "
                               f"{a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}].")
        # (the first operand's dtype is looked at before the two are compared)
        refuse_without_kernel("bmm", a.dtype, a.shape[0] * a.shape[1] * b.shape[2], a.shape[2])
        if a.dtype != b.dtype:
            raise _matmul_dtype_error(a, b)
        res = wrap(table[input._device.type](a, b), input._device)
        return _record(op, res, (input, mat2))
    return bmm


defop("bmm", xp_attr="matmul", kernels=_CPU_MATMUL, frontend=_bmm_frontend)


def _mv_frontend(op):
    table = op.table

    def mv(input, vec, *, out=None):
        _tensor_args("mv", ("input", "vec"), input, vec)
        a, v = input._data, vec._data
        if a.ndim != 2 or v.ndim != 1:
            raise RuntimeError(f"vector + matrix @ vector expected, got 1, {a.ndim}, {v.ndim}")
        if a.shape[1] != v.shape[0]:
            raise RuntimeError(f"size mismatch, got input ({a.shape[0]}), mat ({_shape_str(a.shape)}), vec "
                               f"({v.shape[0]})")
        if a.dtype != v.dtype:
            raise _matmul_dtype_error(a, v)
        refuse_without_kernel("addmv_impl_cpu", a.dtype, a.shape[0], a.shape[1])
        res = wrap(table[input._device.type](a, v), input._device)
        return _record(op, res, (input, vec))
    return mv


defop("mv", xp_attr="matmul", kernels=_CPU_MATMUL, frontend=_mv_frontend)


def _dot_frontend(op, conj=False):
    table = op.table
    name = "vdot" if conj else "dot"

    argnames = ("input", "other" if conj else "tensor")  # (PyTorch's names: dot(input, tensor), vdot(input, other))

    def dot(input, other):  # (out= is written by the exported function's wrapper: _bind.TAKES_OUT)
        _tensor_args(name, argnames, input, other)
        a, b = input._data, other._data
        if a.ndim != 1 or b.ndim != 1:
            raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
        if a.dtype != b.dtype:  # (checked before the sizes, as in PyTorch)
            raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "  # (vdot too)
                               f"{F._type_name(a.dtype)} and {F._type_name(b.dtype)}")
        if a.shape[0] != b.shape[0]:
            raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] to "
                               f"have the same number of elements, but got {a.shape[0]} and {b.shape[0]} elements "
                               "respectively")
        refuse_without_kernel("dot", a.dtype)  # (vdot's kernel too; NumPy would answer any(a & b) for bools)
        res = wrap(table[input._device.type](a, b), input._device)
        return _record(op, res, (input, other))
    if conj:
        def vdot(input, other):
            return dot(input, other)
        return vdot

    def dot_of_tensor(input, tensor):
        return dot(input, tensor)
    dot_of_tensor.__name__ = dot_of_tensor.__qualname__ = "dot"
    return dot_of_tensor


defop("dot", kernel=lambda xp, a, b: xp.matmul(a, b), frontend=_dot_frontend)
defop("vdot", kernel=lambda xp, a, b: xp.vdot(a, b), frontend=lambda op: _dot_frontend(op, conj=True))


# --------------------------------------------------------------------------- matmul
def _matmul_frontend(op, dunder=False):
    """``dunder``: the ``@`` operator's method, which answers ``NotImplemented`` to an operand that
    is not a tensor so that Python words the error (``unsupported operand type(s) for @``)."""
    table = op.table

    def matmul(input, other, *, out=None):
        if _autocast.on:
            input, other = _autocast.lower(input, other)
        if (out is None and input.__class__ is Tensor and other.__class__ is Tensor
                and input._device is other._device):
            # fast path: the common matrix @ matrix of one dtype, no checks beyond these
            a, b = input._data, other._data
            if a.ndim == 2 and b.ndim == 2 and a.shape[1] == b.shape[0] and a.dtype is b.dtype \
                    and a.dtype not in NO_PRODUCT_KERNEL:
                res = wrap(table[input._device.type](a, b), input._device)
                if _gs.enabled and (input._requires_grad or other._requires_grad):
                    Tensor._autograd.record(op, res, (input, other), None, node_name="MmBackward0")
                return res
        if dunder and not isinstance(other, Tensor):
            return NotImplemented
        _tensor_args("matmul", ("input", "other"), input, other)
        a, b = input._data, other._data
        if a.ndim == 0 or b.ndim == 0:
            raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and {b.ndim}D")
        ka = a.shape[-1]
        kb = b.shape[-2] if b.ndim > 1 else b.shape[0]
        if ka != kb:
            if a.ndim == 1 and b.ndim == 1:
                raise RuntimeError(f"inconsistent tensor size, expected tensor [{ka}] and src [{kb}] to have the same "
                                   f"number of elements, but got {ka} and {kb} elements respectively")
            if b.ndim == 1:
                rows = a.size // ka if ka else 0
                raise RuntimeError(f"size mismatch, got input ({rows}), mat ({rows}x{ka}), vec ({kb})")
            if b.ndim == 2:
                rows = a.size // ka if ka else 0
                raise inner_size_mismatch(a, b, rows)
            bb = 1
            for sz in b.shape[:-2]:
                bb *= sz
            raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{bb}, {ka}] but got: "
                               f"[{bb}, {kb}].")
        if a.ndim > 2 and b.ndim > 2:
            from ..shape import infer_broadcast_shape
            infer_broadcast_shape(a.shape[:-2], b.shape[:-2])
        if a.dtype in NO_PRODUCT_KERNEL and (b.ndim > 2 or a.dtype == b.dtype):
            _refuse_matmul_without_kernel(a, b)  # (bmm's looks at the first operand before comparing dtypes)
        if a.dtype != b.dtype:
            raise _matmul_dtype_error(a, b)
        res = wrap(table[input._device.type](a, b), input._device)
        if out is not None:
            F.write_out(out, res._data, "matmul")
            return out
        if _gs.enabled and (input._requires_grad or other._requires_grad):
            if a.ndim == 2 and b.ndim == 2:
                name = "MmBackward0"
            elif a.ndim == 1 and b.ndim == 1:
                name = "DotBackward0"
            elif a.ndim == 2 and b.ndim == 1:
                name = "MvBackward0"
            elif a.ndim == 1 and b.ndim == 2:
                name = "SqueezeBackward4"
            else:
                name = "UnsafeViewBackward0"
            Tensor._autograd.record(op, res, (input, other), None, node_name=name)
        return res
    return matmul


def _refuse_matmul_without_kernel(a, b):
    """``refuse_without_kernel`` for matmul, named by the product it reduces to: dot (1-D @ 1-D),
    mv (@ a vector), mm (@ a matrix) or bmm (@ a batch)."""
    inner = a.shape[-1]
    rows = a.size // inner if inner else int(np.prod(a.shape[:-1]))
    if b.ndim == 1:
        refuse_without_kernel("dot" if a.ndim == 1 else "addmv_impl_cpu", a.dtype, rows, inner)
    elif b.ndim == 2:
        refuse_without_kernel("addmm_impl_cpu_", a.dtype, rows * b.shape[1], inner)
    else:
        from ..shape import infer_broadcast_shape
        batch = infer_broadcast_shape(a.shape[:-2], b.shape[:-2]) if a.ndim > 2 else b.shape[:-2]
        m = a.shape[-2] if a.ndim > 1 else 1
        refuse_without_kernel("bmm", a.dtype, int(np.prod(batch)) * m * b.shape[-1], inner)


def _matmul_dtype_error(a, b):
    """PyTorch's message for operands of different dtypes: matmul reports it from the product it
    reduces to (dot, mv, mm, or the batched bmm)."""
    if b.ndim == 1:
        if a.ndim == 1:
            return RuntimeError(f"dot : expected both vectors to have same dtype, but found {F._type_name(a.dtype)} "
                                f"and {F._type_name(b.dtype)}")
        vec, mat = F._type_name(b.dtype), F._type_name(a.dtype)
        return RuntimeError(f"addmv input tensors must have the same dtype, but got {vec}, {mat}, and {vec}")
    if b.ndim == 2:
        return RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {CPP_TYPE_NAMES[str(a.dtype)]} != "
                            f"{CPP_TYPE_NAMES[str(b.dtype)]}")
    return RuntimeError(f"expected scalar type {F._type_name(a.dtype)} but found {F._type_name(b.dtype)}")


_matmul = defop("matmul", xp_attr="matmul", kernels=_CPU_MATMUL, frontend=_matmul_frontend)
# (its own closure over matmul's table, so ``a @ b`` stays one call deep)
defop("__matmul__", frontend=lambda op: _matmul_frontend(_matmul, dunder=True), method="__matmul__", public=False,
      differentiable=False)


def _rmatmul(self, other):
    if not isinstance(other, Tensor):
        return NotImplemented
    return _matmul.frontend(other, self)


defop("__rmatmul__", frontend=lambda op: _rmatmul, method="__rmatmul__", public=False, differentiable=False)


# --------------------------------------------------------------------------- add*mm family
def blas_scalar(value, npdtype):
    """``beta``/``alpha`` as PyTorch's BLAS kernels take them: converted into the tensors' own
    dtype (c10's checked conversion), so an integer product stays integer: 0.6 truncates to 0,
    -1 wraps into a uint8's 255, and 300 (uint8) or 1+1j (a real dtype) raise "value cannot be
    converted ... without overflow". A float dtype keeps the Python number (NumPy's weak scalar
    rounds it as the kernel does). A 0-d tensor counts as its number."""
    if value.__class__ is int and (value == 1 or value == 0):
        return value  # the defaults (and beta=0) fit every dtype: nothing to convert or check
    from ..creation.fills import checked_fill_value
    if isinstance(value, Tensor):
        value = value.item()
    npdtype = np.dtype(npdtype)
    converted = checked_fill_value(value, npdtype)
    if npdtype.kind in "iu":
        return npdtype.type(converted)
    if npdtype.kind == "f" and isinstance(value, complex):
        return float(converted)  # (1+0j: its real part)
    return value


_KERNEL_NAMES = {"addmm": "addmm_impl_cpu_", "addmv": "addmv_impl_cpu", "baddbmm": "baddbmm",
                 "addbmm": "addmm_impl_cpu_"}


def _check_blas_dtype(kind, npdtype, target, inner):
    """A bool (or uint16+) add*mm is refused by PyTorch's kernel unless there is nothing to compute:
    an empty result, or (addmv) an empty inner dimension, where the input scaled by beta is the
    result; addmm/baddbmm/addbmm's empty-inner path multiplies by an int64 beta and fails the cast."""
    name = NO_PRODUCT_KERNEL.get(npdtype)
    if name is None or not int(np.prod(target)):
        return
    if inner == 0 and kind != "addmv":
        raise RuntimeError(f"result type Long can't be cast to the desired output type {name}")
    if inner or kind != "addmv":
        raise NotImplementedError(f'"{_KERNEL_NAMES[kind]}" not implemented for \'{name}\'')


def _scaled_sum(xp, inp, prod, beta, alpha):
    if alpha != 1:
        prod = prod * alpha
    if beta == 0:
        return xp.broadcast_to(prod, xp.broadcast_shapes(inp.shape, prod.shape) if hasattr(xp, "broadcast_shapes")
                               else np.broadcast_shapes(inp.shape, prod.shape)).copy()
    if beta != 1:
        inp = inp * beta
    return inp + prod


def _addmm_kernel(xp, inp, m1, m2, beta, alpha):
    return _scaled_sum(xp, inp, xp.matmul(m1, m2), beta, alpha)


def _addbmm_kernel(xp, inp, b1, b2, beta, alpha):
    half = b1.dtype
    if (half == np.float16 or half == BF16) and b1.shape[0]:
        # PyTorch adds one batch's addmm at a time into the half result (each a float gemm rounded
        # to half), so the rounding after each batch is part of the value (the op is bf16_native:
        # its half operands reach this kernel as they are)
        acc, f32 = inp.astype(np.float32), np.float32
        for k in range(b1.shape[0]):
            acc = _scaled_sum(xp, acc, xp.matmul(b1[k].astype(f32), b2[k].astype(f32)), beta if k == 0 else 1,
                              alpha).astype(half).astype(f32)
        return acc.astype(half)
    if half == np.float16 or half == BF16:
        return _scaled_sum(xp, inp.astype(np.float32), xp.zeros(inp.shape[:0] + (b1.shape[1], b2.shape[2]),
                                                               np.float32), beta, alpha).astype(half)
    # (the sum keeps the dtype: NumPy's would widen an int32 or uint8 batch to 64 bits)
    return _scaled_sum(xp, inp, xp.matmul(b1, b2).sum(0, dtype=b1.dtype), beta, alpha)


def _check_add_shape(inp_shape, target):
    from ..shape import _expand_error
    err = _expand_error(target, inp_shape) if len(inp_shape) <= len(target) else None
    if err is not None:
        raise err
    if len(inp_shape) > len(target):
        raise RuntimeError(f"expand(torch.FloatTensor{{{list(inp_shape)}}}, size={list(target)}): the number of "
                           f"sizes provided ({len(target)}) must be greater or equal to the number of dimensions in "
                           f"the tensor ({len(inp_shape)})")


def _check_same_dtypes(kind, input, m1, m2):
    """PyTorch's dtype check for each of the family, in its own words (no promotion: an int64
    input with float matrices is refused)."""
    i, a, b = input._data.dtype, m1._data.dtype, m2._data.dtype
    if i == a == b:
        return
    if isinstance(m1._data, SparseArray) or isinstance(m2._data, SparseArray):
        _same_dtype(m1, m2)
        raise RuntimeError(f"expected scalar type {F._type_name(a)} but found {F._type_name(i)}")
    if kind == "addmv":
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {F._type_name(i)}, "
                           f"{F._type_name(a)}, and {F._type_name(b)}")
    if kind == "baddbmm":
        if i != a:
            raise RuntimeError(f"Input dtypes must be the same, got: input {CPP_TYPE_NAMES[str(i)]}, batch1: "
                               f"{CPP_TYPE_NAMES[str(a)]}, batch2: {CPP_TYPE_NAMES[str(b)]}")
        raise RuntimeError(f"expected scalar type {F._type_name(a)} but found {F._type_name(b)}")
    if i != b:  # (addmm/addbmm compare the input with mat2 first)
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {F._type_name(i)} and {F._type_name(b)}")
    raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {F._type_name(a)} and {F._type_name(b)}")


def _addmm_family(kind):
    def factory(op):
        table = op.table
        names = {"addmm": ("mat1", "mat2"), "addmv": ("mat", "vec"), "baddbmm": ("batch1", "batch2"),
                 "addbmm": ("batch1", "batch2")}[kind]

        def addmm(input, m1, m2, *, beta=1, alpha=1, out=None):
            _tensor_args(kind, ("input",) + names, input, m1, m2)
            if _autocast.on and kind != "addmv":  # (on PyTorch's lower-precision list; addmv is not)
                input, m1, m2 = _autocast.lower(input, m1, m2)
            a, b = m1._data, m2._data
            if kind == "addmm":
                if a.ndim != 2:
                    raise RuntimeError("mat1 must be a matrix, got {}-D tensor".format(a.ndim))
                if b.ndim != 2:
                    raise RuntimeError("mat2 must be a matrix, got {}-D tensor".format(b.ndim))
                if a.shape[1] != b.shape[0]:
                    raise inner_size_mismatch(a, b)
                target = (a.shape[0], b.shape[1])
            elif kind == "addmv":
                if a.ndim != 2 or b.ndim != 1:
                    raise RuntimeError(f"vector + matrix @ vector expected, got {input._data.ndim}, {a.ndim}, {b.ndim}")
                if a.shape[1] != b.shape[0] or input._data.shape not in ((a.shape[0],), (1,), ()):
                    raise RuntimeError(f"size mismatch, got input ({input._data.shape[0] if input._data.ndim else 1}), "
                                       f"mat ({_shape_str(a.shape)}), vec ({b.shape[0]})")
                target = (a.shape[0],)
            else:
                if a.ndim != 3:
                    raise RuntimeError("batch1 must be a 3D tensor")
                if b.ndim != 3:
                    raise RuntimeError("batch2 must be a 3D tensor")
                if b.shape[0] != a.shape[0] or b.shape[1] != a.shape[2]:
                    raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{a.shape[0]}, "
                                       f"{a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}].")
                target = (a.shape[0], a.shape[1], b.shape[2]) if kind == "baddbmm" else (a.shape[1], b.shape[2])
            _check_add_shape(input._data.shape, target)
            if kind == "baddbmm" and input._data.dtype == a.dtype:  # (looked at before batch2's)
                _check_blas_dtype(kind, a.dtype, target, a.shape[-1])
            _check_same_dtypes(kind, input, m1, m2)
            _check_blas_dtype(kind, a.dtype, target, a.shape[-1])
            beta, alpha = blas_scalar(beta, a.dtype), blas_scalar(alpha, a.dtype)
            kern = table[input._device.type]
            res = wrap(kern(input._data, a, b, beta, alpha), input._device)
            if out is not None:
                F.write_out(out, res._data, kind)
                return out
            return _record(op, res, (input, m1, m2), {"beta": beta, "alpha": alpha})
        addmm.__name__ = kind
        return addmm
    return factory


defop("addmm", kernel=_addmm_kernel, frontend=_addmm_family("addmm"), inplace="addmm_")
defop("addmv", kernel=_addmm_kernel, frontend=_addmm_family("addmv"), inplace="addmv_")
defop("baddbmm", kernel=_addmm_kernel, frontend=_addmm_family("baddbmm"), inplace="baddbmm_")
defop("addbmm", kernel=_addbmm_kernel, frontend=_addmm_family("addbmm"), inplace="addbmm_", bf16_native=True)
