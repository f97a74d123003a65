"""Matrix products and linear algebra (``tensorgraft.linalg`` re-exports the solvers).

Products are single backend calls (``xp.matmul``/``xp.einsum``: BLAS), never Python loops.
The ``linalg_*`` ops are private here and published by ``tensorgraft/linalg.py`` under
PyTorch's ``torch.linalg`` names."""
from __future__ import annotations

import collections
import string

import numpy as np

from .. import dtypes as _dt
from ..grad_mode import state as _gs
from ..tensor import Tensor, wrap
from . import _frontend as F
from ._args import spread_args, wrap_dim
from ..amp._state import state as _autocast  # autocast's flag (tensorgraft.amp)
from ._define import defop
from ._return_types import return_type


from ..errors import LinAlgError  # noqa: E402  (re-exported: lu.py, ldl.py and tensorgraft.linalg import it here)


_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int",
            "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool",
            "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}


def _tensor_args(fname, names, *vals):
    for k, (n, v) in enumerate(zip(names, vals)):
        if not isinstance(v, Tensor):
            raise F.not_a_tensor(fname, n, k + 1, v)
    dev = vals[0]._device
    for v in vals[1:]:
        if v._device is not dev:
            raise F.device_mismatch(fname, vals[0], v)


def _same_dtype(a: Tensor, b: Tensor):
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_C_NAMES[str(a._data.dtype)]} != "
                           f"{_C_NAMES[str(b._data.dtype)]}")


def _record(op, out, inputs, attrs=None, name=None):
    if _gs.enabled and any(isinstance(t, Tensor) and t._requires_grad for t in inputs):
        Tensor._autograd.record(op, out, inputs, attrs, node_name=name)
    return out


def _shape_str(s):
    return "x".join(map(str, s))


# --------------------------------------------------------------------------- mm / bmm / mv / dot
def _cpu_matmul(a, b):
    """NumPy's ``matmul`` is several times slower than ``dot`` when an operand is a transposed
    view (the usual case in backward: ``grad @ w.T``), so 2-D products go through ``dot`` and
    batched ones get contiguous operands first. CuPy keeps the generic ``xp.matmul`` kernel."""
    if a.ndim <= 2 and b.ndim <= 2:
        return a.dot(b)
    if not a.flags.c_contiguous:
        a = np.ascontiguousarray(a)
    if not b.flags.c_contiguous:
        b = np.ascontiguousarray(b)
    return np.matmul(a, b)


_CPU_MATMUL = {"cpu": _cpu_matmul}


def _mm_frontend(op):
    table = op.table

    def mm(input, mat2, *, out=None):
        if _autocast.on:
            input, mat2 = _autocast.lower(input, mat2)
        if out is None and input.__class__ is Tensor and mat2.__class__ is Tensor:
            a, b = input._data, mat2._data
            if (a.ndim == 2 and b.ndim == 2 and a.shape[1] == b.shape[0] and a.dtype is b.dtype
                    and input._device is mat2._device):  # the common case, checked in one go
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
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_shape_str(a.shape)} and "
                               f"{_shape_str(b.shape)})")
        _same_dtype(input, mat2)
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
            raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{a.shape[0]}, "
                               f"{a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}].")
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
        res = wrap(table[input._device.type](a, v), input._device)
        return _record(op, res, (input, vec))
    return mv


defop("mv", xp_attr="matmul", kernels=_CPU_MATMUL, frontend=_mv_frontend)


def _dot_frontend(op, conj=False):
    table = op.table
    name = "vdot" if conj else "dot"

    def dot(input, other, *, out=None):
        _tensor_args(name, ("input", "tensor"), input, other)
        a, b = input._data, other._data
        if a.ndim != 1 or b.ndim != 1:
            raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
        if a.shape[0] != b.shape[0]:
            raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] to "
                               f"have the same number of elements, but got {a.shape[0]} and {b.shape[0]} elements "
                               "respectively")
        if a.dtype != b.dtype:
            raise RuntimeError(f"{name} : expected both vectors to have same dtype, but found "
                               f"{F._type_name(a.dtype)} and {F._type_name(b.dtype)}")
        res = wrap(table[input._device.type](a, b), input._device)
        return _record(op, res, (input, other))
    return dot


defop("dot", kernel=lambda xp, a, b: xp.matmul(a, b), frontend=_dot_frontend)
defop("vdot", kernel=lambda xp, a, b: xp.vdot(a, b), frontend=lambda op: _dot_frontend(op, conj=True))


# --------------------------------------------------------------------------- matmul
def _matmul_frontend(op):
    table = op.table

    def matmul(input, other, *, out=None):
        if _autocast.on:
            input, other = _autocast.lower(input, other)
        if (out is None and input.__class__ is Tensor and other.__class__ is Tensor
                and input._device is other._device):
            # fast path: the common matrix @ matrix of one dtype, no checks beyond these
            a, b = input._data, other._data
            if a.ndim == 2 and b.ndim == 2 and a.shape[1] == b.shape[0] and a.dtype is b.dtype:
                res = wrap(table[input._device.type](a, b), input._device)
                if _gs.enabled and (input._requires_grad or other._requires_grad):
                    Tensor._autograd.record(op, res, (input, other), None, node_name="MmBackward0")
                return res
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
                raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{ka} and "
                                   f"{_shape_str(b.shape)})")
            bb = 1
            for sz in b.shape[:-2]:
                bb *= sz
            raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{bb}, {ka}] but got: "
                               f"[{bb}, {kb}].")
        if a.ndim > 2 and b.ndim > 2:
            from .shape import infer_broadcast_shape
            infer_broadcast_shape(a.shape[:-2], b.shape[:-2])
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
        return RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_C_NAMES[str(a.dtype)]} != "
                            f"{_C_NAMES[str(b.dtype)]}")
    return RuntimeError(f"expected scalar type {F._type_name(a.dtype)} but found {F._type_name(b.dtype)}")


_matmul = defop("matmul", xp_attr="matmul", kernels=_CPU_MATMUL, frontend=_matmul_frontend, dunders=("__matmul__",))


def _rmatmul(self, other):
    if not isinstance(other, Tensor):
        return NotImplemented
    return _matmul.frontend(other, self)


defop("__rmatmul__", frontend=lambda op: _rmatmul, method="__rmatmul__", public=False, differentiable=False)


# --------------------------------------------------------------------------- add*mm family
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
    return _scaled_sum(xp, inp, xp.matmul(b1, b2).sum(0), beta, alpha)


def _check_add_shape(inp_shape, target):
    from .shape import _expand_error
    err = _expand_error(target, inp_shape) if len(inp_shape) <= len(target) else None
    if err is not None:
        raise err
    if len(inp_shape) > len(target):
        raise RuntimeError(f"expand(torch.FloatTensor{{{list(inp_shape)}}}, size={list(target)}): the number of "
                           f"sizes provided ({len(target)}) must be greater or equal to the number of dimensions in "
                           f"the tensor ({len(inp_shape)})")


def _addmm_family(kind):
    def factory(op):
        table = op.table
        names = {"addmm": ("mat1", "mat2"), "addmv": ("mat", "vec"), "baddbmm": ("batch1", "batch2"),
                 "addbmm": ("batch1", "batch2")}[kind]

        def addmm(input, m1, m2, *, beta=1, alpha=1, out=None):
            _tensor_args(kind, ("input",) + names, input, m1, m2)
            a, b = m1._data, m2._data
            if kind == "addmm":
                if a.ndim != 2:
                    raise RuntimeError("mat1 must be a matrix, got {}-D tensor".format(a.ndim))
                if b.ndim != 2:
                    raise RuntimeError("mat2 must be a matrix, got {}-D tensor".format(b.ndim))
                if a.shape[1] != b.shape[0]:
                    raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_shape_str(a.shape)} and "
                                       f"{_shape_str(b.shape)})")
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
            _same_dtype(m1, m2)
            if input._data.dtype != a.dtype:
                raise RuntimeError(f"expected scalar type {F._type_name(a.dtype)} but found "
                                   f"{F._type_name(input._data.dtype)}")
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
defop("addbmm", kernel=_addbmm_kernel, frontend=_addmm_family("addbmm"), inplace="addbmm_")


# --------------------------------------------------------------------------- einsum & composites
def _einsum_kernel(xp, eq, *arrays):
    if xp is np:
        return np.einsum(eq, *arrays, optimize=len(arrays) > 1)
    return xp.einsum(eq, *arrays)


def parse_einsum(eq, shapes):
    """Explicit form of an equation: ellipses spelled out with fresh letters and the implicit
    output made explicit. Returns (input subscripts, output subscripts)."""
    eq = eq.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    ins = lhs.split(",")
    if len(ins) > len(shapes):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    if len(ins) < len(shapes):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    for c in eq:
        if not (c.isalpha() or c in ",.->"):
            raise RuntimeError(f"einsum(): invalid subscript given at index {eq.index(c)} in the equation string, "
                               "subscripts must be in [a-zA-Z]")
    seen_out = set()
    for c in rhs.replace("...", ""):
        if c not in lhs:
            raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation for any input operand")
        if c in seen_out:
            raise RuntimeError(f"einsum(): output subscript {c} appears more than once in the output")
        seen_out.add(c)
    used = set(c for c in eq if c.isalpha())
    free = [c for c in string.ascii_letters if c not in used]
    n_ell = 0
    for k, (s, shp) in enumerate(zip(ins, shapes)):
        n_lab = len(s.replace("...", ""))
        if "..." in s:
            n_ell = max(n_ell, len(shp) - n_lab)
        elif n_lab != len(shp):
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({n_lab}) does not match the "
                               f"number of dimensions ({len(shp)}) for operand {k} and no ellipsis was given")
    ell = "".join(free[:n_ell])
    new_ins = []
    for s, shp in zip(ins, shapes):
        if "..." in s:
            k = len(shp) - len(s.replace("...", ""))
            s = s.replace("...", ell[n_ell - k:] if k else "")
        new_ins.append(s)
    if arrow:
        out = rhs.replace("...", ell)
    else:
        counts = collections.Counter(c for s in ins for c in s.replace("...", ""))
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1))
    return new_ins, out


def _sublist_equation(args):
    """``einsum(a, [0, 1], b, [1, 2], [0, 2])`` (NumPy's sublist form, which PyTorch also takes) as
    the equation string and the operands: subscripts 0-25 read as A-Z, 26-51 as a-z."""
    def letters(sub):
        out = []
        for s in sub:
            if s is Ellipsis:
                out.append("...")
            elif isinstance(s, int) and 0 <= s < 52:
                out.append(string.ascii_uppercase[s] if s < 26 else string.ascii_lowercase[s - 26])
            else:
                raise ValueError("einsum(): subscript in subscript list is not within the valid range [0, 52)")
        return "".join(out)
    operands = args[0::2][:len(args) // 2]
    ins = [letters(sub) for sub in args[1::2][:len(args) // 2]]
    equation = ",".join(ins)
    if len(args) % 2:
        equation += "->" + letters(args[-1])
    return equation, operands


def _einsum_frontend(op):
    table = op.table

    def einsum(equation, *operands):
        if isinstance(equation, Tensor):
            equation, operands = _sublist_equation((equation,) + operands)
        operands = spread_args(operands)
        for k, t in enumerate(operands):
            if not isinstance(t, Tensor):
                raise TypeError(f"einsum(): argument 'operands' must be tuple of Tensors, but found element of type "
                                f"{type(t).__name__} at pos {k}")
        ins, out = parse_einsum(equation, [t._data.shape for t in operands])
        seen = {}
        for k, (s, t) in enumerate(zip(ins, operands)):
            for c, n in zip(s, t._data.shape):
                prev = seen.get(c)
                if prev is None or prev == 1:
                    seen[c] = n
                elif n != prev and n != 1:
                    raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {k} which does not broadcast "
                                       f"with previously seen size {prev}")
        dev = operands[0]._device
        for t in operands[1:]:
            if t._device is not dev:
                raise F.device_mismatch("einsum", operands[0], t)
        arrays = [t._data for t in operands]
        if len({a.dtype for a in arrays}) > 1:
            dt = operands[0].dtype
            for t in operands[1:]:
                dt = _dt.promote_types(dt, t.dtype)
            arrays = [a.astype(dt.np) for a in arrays]
        eq = ",".join(ins) + "->" + out
        res = wrap(table[dev.type](eq, *arrays), dev)
        return _record(op, res, tuple(operands), {"ins": ins, "out": out, "sizes": seen}, "ViewBackward0")
    return einsum


_einsum = defop("einsum", kernel=_einsum_kernel, frontend=_einsum_frontend, method=False)


def _outer(input, vec2):
    _tensor_args("outer", ("input", "vec2"), input, vec2)
    if input._data.ndim != 1:
        raise RuntimeError(f"outer: Expected 1-D argument self, but got {input._data.ndim}-D")
    if vec2._data.ndim != 1:
        raise RuntimeError(f"outer: Expected 1-D argument vec2, but got {vec2._data.ndim}-D")
    return input.reshape(-1, 1) * vec2


defop("outer", frontend=lambda op: _outer, differentiable=False)
defop("ger", frontend=lambda op: _outer, differentiable=False)


def _inner(input, other, *, out=None):
    _tensor_args("inner", ("input", "other"), input, other)
    a, b = input._data, other._data
    if a.ndim == 0 or b.ndim == 0:
        return input * other
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got shapes "
                           f"{list(a.shape)} and {list(b.shape)}")
    la = string.ascii_letters[:a.ndim - 1]
    lb = string.ascii_letters[a.ndim - 1:a.ndim + b.ndim - 2]
    return _einsum.frontend(f"{la}z,{lb}z->{la}{lb}", input, other)


defop("inner", frontend=lambda op: _inner, differentiable=False)


def _tensordot(a, b, dims=2, out=None):
    _tensor_args("tensordot", ("a", "b"), a, b)
    na, nb = a._data.ndim, b._data.ndim
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(na, nb):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        da, db = list(range(na - dims, na)), list(range(dims))
        shown = ([d - na for d in da], db)
    else:
        da, db = dims
        da = [da] if isinstance(da, int) else list(da)
        db = [db] if isinstance(db, int) else list(db)
        if len(da) != len(db):
            raise RuntimeError("both dimension lists should have same length")
        shown = (list(da), list(db))
        da = [wrap_dim(d, na) for d in da]
        db = [wrap_dim(d, nb) for d in db]
    for x, y, sx, sy in zip(da, db, shown[0], shown[1]):
        sa, sb = a._data.shape[x], b._data.shape[y]
        if sa != sb:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {sa} in dim {sx} "
                               f"and second has size {sb} in dim {sy}")
    letters = iter(string.ascii_letters)
    la = [next(letters) for _ in range(na)]
    lb = [next(letters) for _ in range(nb)]
    for x, y in zip(da, db):
        lb[y] = la[x]
    outl = [c for k, c in enumerate(la) if k not in da] + [c for k, c in enumerate(lb) if k not in db]
    return _einsum.frontend("".join(la) + "," + "".join(lb) + "->" + "".join(outl), a, b)


defop("tensordot", frontend=lambda op: _tensordot, method=False, differentiable=False)


def _kron(input, other):
    _tensor_args("kron", ("input", "other"), input, other)
    na, nb = input._data.ndim, other._data.ndim
    n = max(na, nb)
    a = input.reshape((1,) * (n - na) + input._data.shape)
    b = other.reshape((1,) * (n - nb) + other._data.shape)
    ea = a.reshape(a._data.shape + (1,) * n)
    prod = ea * b  # (a0, .., an, b0, .., bn), then interleaved as (a0, b0, a1, b1, ...)
    order = [k for i in range(n) for k in (i, n + i)]
    return prod.permute(*order).reshape(tuple(x * y for x, y in zip(a._data.shape, b._data.shape)))


defop("kron", frontend=lambda op: _kron, differentiable=False)


def _multi_dot(tensors, *, out=None):
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    first_vec = tensors[0]._data.ndim == 1
    last_vec = tensors[-1]._data.ndim == 1
    for i, t in enumerate(tensors[1:], 1):
        if t._data.dtype != tensors[0]._data.dtype:
            raise RuntimeError(f"multi_dot(): all tensors must have be the same dtype but tensor 0 is "
                               f"{_C_NAMES.get(tensors[0]._data.dtype.name, tensors[0]._data.dtype.name)} and tensor "
                               f"{i} {_C_NAMES.get(t._data.dtype.name, t._data.dtype.name)}")
    if first_vec:
        tensors[0] = tensors[0].unsqueeze(0)
    if last_vec:
        tensors[-1] = tensors[-1].unsqueeze(-1)
    out_shape = ([] if first_vec else [tensors[0].shape[0]]) + ([] if last_vec else [tensors[-1].shape[-1]])
    # PyTorch multiplies in the cheapest order (matrix-chain dynamic programme) and views the result
    # to the output shape, so its graph ends in ViewBackward0
    r = _chain_product(tensors)
    return r.view(out_shape)


def _chain_product(mats):
    """The product of ``mats`` in the order with fewest scalar multiplications (ties: the first split)."""
    dims = [m.shape[0] for m in mats] + [mats[-1].shape[1]]
    n = len(mats)
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = None
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if cost[i][j] is None or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k

    def product(i, j):
        if i == j:
            return mats[i]
        k = split[i][j]
        return product(i, k).mm(product(k + 1, j))
    return product(0, n - 1)


defop("linalg_multi_dot", frontend=lambda op: _multi_dot, method=False, public=False, differentiable=False)


# --------------------------------------------------------------------------- cross / trace
def _cross_kernel(xp, a, b, dim):
    return xp.cross(a, b, axis=dim)


def _cross_frontend(op, linalg=True):
    table = op.table
    fname = "linalg.cross" if linalg else "cross"

    def cross(input, other, dim=-1 if linalg else None, *, out=None):
        _tensor_args(fname, ("input", "other"), input, other)
        a, b = input._data, other._data
        if a.ndim != b.ndim:
            raise RuntimeError(f"{fname}: inputs must have the same number of dimensions.")
        if dim is None:  # torch.cross's legacy default: the first dim of size 3
            sizes3 = [k for k in range(a.ndim) if a.shape[k] == 3 and b.shape[k] == 3]
            if not sizes3:
                raise RuntimeError("no dimension of size 3 in input")
            dim = sizes3[0]
        d = wrap_dim(dim, a.ndim)
        if a.shape[d] != 3 or b.shape[d] != 3:
            raise RuntimeError(f"{fname}: inputs dimension {dim} must have length 3. Got {a.shape[d]} and "
                               f"{b.shape[d]}")
        if a.dtype != b.dtype:  # PyTorch does not promote here
            raise RuntimeError(f"expected scalar type {F._type_name(a.dtype)} but found {F._type_name(b.dtype)}")
        from .shape import infer_broadcast_shape
        shape = tuple(infer_broadcast_shape(a.shape, b.shape))
        res = wrap(table[input._device.type](np.broadcast_to(a, shape) if isinstance(a, np.ndarray) else a,
                                             np.broadcast_to(b, shape) if isinstance(b, np.ndarray) else b, d),
                   input._device)
        return _record(op, res, (input, other), {"dim": d}, "LinalgCrossBackward0")
    return cross


defop("cross", kernel=_cross_kernel, frontend=lambda op: _cross_frontend(op, linalg=False))
_linalg_cross = defop("linalg_cross", kernel=_cross_kernel, frontend=_cross_frontend, method=False, public=False,
                      formula_of="cross")


def _trace_frontend(op):
    table = op.table

    def trace(input):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("trace", "input", 1, input)
        a = input._data
        if a.ndim != 2:
            raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {a.ndim}")
        if a.dtype.kind == "b":  # NumPy sums bools as ints; PyTorch has no bool trace kernel
            raise NotImplementedError("\"trace\" not implemented for 'Bool'")
        npd = np.int64 if a.dtype.kind in "iu" else None
        res = wrap(table[input._device.type](a, npd), input._device)
        return _record(op, res, (input,))
    return trace


defop("trace", kernel=lambda xp, a, npd: xp.asarray(xp.trace(a, dtype=npd)), frontend=_trace_frontend)


# --------------------------------------------------------------------------- torch.linalg solvers
def square_matrices(fname, t, argname="A"):
    """``t``'s array, checked to be a Tensor holding a batch of square matrices (PyTorch's messages
    call it A whatever the argument's name)."""
    if not isinstance(t, Tensor):
        raise F.not_a_tensor(fname, argname, 1, t)
    a = t._data
    if a.ndim < 2:
        raise RuntimeError(f"{fname}: The input tensor A must have at least 2 dimensions.")
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"{fname}: A must be batches of square matrices, but they are {a.shape[-2]} by "
                           f"{a.shape[-1]} matrices")
    return a


def _square(fname, t):
    """The solvers' input check: square matrices of a dtype their kernels take."""
    a = square_matrices(fname, t)
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
    if dt.kind in "fc" and (dt != np.float16 or fname == "linalg.matrix_exp"):  # matmuls only: half is fine
        return
    own = _OWN_MESSAGE.get(fname)
    if own is not None:
        raise RuntimeError(own(t))
    stem = _KERNEL_STEM.get(fname)
    kernel_error = NotImplementedError(f'"{stem}_{t._device.type}" not implemented for '
                                       f"'{F._type_name(dt)}'") if stem else None
    if dt.kind not in "fc":
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
    from .lu import _lu_kernel
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
        if isinstance(r, np.ndarray) and r.dtype.kind in "fc" and r.shape[:bad.ndim] == bad.shape:
            r[bad] = np.nan
    return res


def substitute(xp, tri, b, upper):
    """X with ``tri @ X = b`` for triangular ``tri`` by column-oriented substitution, as LAPACK's
    trsm runs it: a zero on the diagonal gives inf/NaN instead of an error, NaN/inf entries spread
    only into the rows substitution carries them to, and a solved entry that is exactly zero
    updates nothing (so ``0 * inf`` never makes a NaN). One Python step per row: used only where
    the fast LU-based solve fails or gives non-finite values."""
    shape = np.broadcast_shapes(tri.shape[:-2], b.shape[:-2])
    tri = xp.broadcast_to(tri, shape + tri.shape[-2:])
    x = xp.array(xp.broadcast_to(b, shape + b.shape[-2:]), dtype=xp.result_type(tri, b))
    n = tri.shape[-1]
    with np.errstate(all="ignore"):
        for j in (range(n - 1, -1, -1) if upper else range(n)):
            xj = x[..., j, :] / tri[..., j, j, None]
            x[..., j, :] = xj
            rest = slice(0, j) if upper else slice(j + 1, n)
            update = tri[..., rest, j, None] * xj[..., None, :]
            x[..., rest, :] -= xp.where(xj[..., None, :] == 0, 0, update)
    return x


def solve_triangular_array(xp, tri, b, upper):
    """``tri^-1 b`` for a triangular ``tri`` with PyTorch's (trsm's) results where ``tri`` is singular or
    holds non-finite values; the common case is one LAPACK/cuSOLVER call."""
    try:
        with np.errstate(all="ignore"):
            x = xp.linalg.solve(tri, b)
        if bool(xp.isfinite(x).all()):
            return x
    except Exception:  # numpy.linalg.LinAlgError "Singular matrix": trsm divides by the zero instead
        pass
    return substitute(xp, tri, b, upper)


def singular_inv_error(fname, a):
    """PyTorch's message for inverting a singular matrix (linalg.inv, inverse, matrix_power(-n))."""
    b, order = _first_zero_pivot(a) or (0, 1)
    return LinAlgError(f"{fname}: {_batch_prefix(a, b)}The diagonal element {order} is zero, the inversion could not "
                       "be completed because the input matrix is singular.")


def _inv_kernel(xp, a):
    try:
        return xp.linalg.inv(a)
    except Exception as exc:  # numpy.linalg.LinAlgError
        if "ingular" in str(exc):
            raise singular_inv_error("linalg.inv", a) from None
        raise


def _unary_linalg(fname, node, check=_square):
    def factory(op):
        table = op.table

        def f(A):
            a = check(fname, A)
            res = wrap(table[A._device.type](a), A._device)
            return _record(op, res, (A,), None, node)
        f.__name__ = fname.rpartition(".")[2]
        return f
    return factory


_inv = defop("linalg_inv", kernel=_inv_kernel, frontend=_unary_linalg("linalg.inv", "LinalgInvExBackward0"),
             method=False, public=False)


def _inverse(input):
    return _inv.frontend(input)


defop("inverse", frontend=lambda op: _inverse, differentiable=False)


def _det_kernel(xp, a):
    return xp.asarray(xp.linalg.det(a))


_det = defop("linalg_det", kernel=_det_kernel, frontend=_unary_linalg("linalg.det", "LinalgDetBackward0"),
             method=False, public=False)
defop("det", frontend=lambda op: (lambda input: _det.frontend(input)), differentiable=False)

SlogdetResult = return_type("linalg_slogdet", ("sign", "logabsdet"))
# torch.slogdet (and Tensor.slogdet) return the same pair under a class of their own name
SlogdetLegacy = return_type("slogdet", ("sign", "logabsdet"))


def _slogdet_kernel(xp, a):
    s, l = xp.linalg.slogdet(a)
    # a NaN determinant has no sign: PyTorch reports 0 where NumPy says 1
    s = xp.where(xp.isnan(l), xp.zeros((), dtype=s.dtype), s)
    return xp.asarray(s), xp.asarray(l)


def _slogdet_frontend(op):
    table = op.table

    def slogdet(A):
        a = _square("linalg.slogdet", A)
        s, l = table[A._device.type](a)
        sign = wrap(s, A._device)
        logabs = wrap(l, A._device)
        # the sign of a real determinant is locally constant (zero gradient); a complex one is det/|det|
        _record(op, sign, (A,), {"part": "sign"}, "LinalgSlogdetBackward0")
        _record(op, logabs, (A,), {"part": "logabsdet"}, "LinalgSlogdetBackward0")
        return SlogdetResult(sign, logabs)
    return slogdet


_slogdet = defop("linalg_slogdet", kernel=_slogdet_kernel, frontend=_slogdet_frontend, method=False, public=False)
defop("slogdet", frontend=lambda op: (lambda input: SlogdetLegacy(*_slogdet.frontend(input))), differentiable=False)


def _logdet(input):
    _square("logdet", input)  # PyTorch's checks name logdet, not the slogdet it runs
    sign, logabs = _slogdet.frontend(input)
    if input._data.dtype.kind == "c":  # log(det) = log|det| + i*arg(det): complex, as PyTorch
        return logabs + sign.log()
    from .creation import full_like
    nan = full_like(logabs, float("nan"))
    return _where_op()(sign < 0, nan, logabs)


def _where_op():
    from ..registry import registry
    return registry.ops["where"].frontend


defop("logdet", frontend=lambda op: _logdet, differentiable=False)


def _solve_kernel(xp, a, b, vec):
    if vec:
        return xp.linalg.solve(a, b[..., None])[..., 0]
    if b.ndim < a.ndim:
        # B is a matrix (or stack) broadcast over A's batch: give it A's batch dims first, because
        # NumPy < 2 reads a B with one dim less than A as a stack of vectors
        shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        a = xp.broadcast_to(a, shape + a.shape[-2:])
        b = xp.broadcast_to(b, shape + b.shape[-2:])
    return xp.linalg.solve(a, b)


def _solve_frontend(op):
    table = op.table

    def solve(A, B, *, left=True, out=None):
        _tensor_args("linalg.solve", ("A", "B"), A, B)
        a = _square("linalg.solve", A)
        b = B._data
        # PyTorch reads B as a vector (a column) whatever ``left`` is, so X A = b has no solution form
        vec = b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])
        if not left and (vec or b.ndim < 2 or b.shape[-1] != a.shape[-1]):
            bs = (b.shape[-1], 1) if vec else b.shape[-2:]
            raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation XA = B "
                               f"({_shape_str(a.shape[-2:])} and {_shape_str(bs)})")
        if not left:  # XA = B  <=>  A^T X^T = B^T
            a = a.swapaxes(-1, -2)
            b = b.swapaxes(-1, -2)
        rows = b.shape[-1] if vec else b.shape[-2]
        if rows != a.shape[-1]:
            bs = (b.shape[-1], 1) if vec else b.shape[-2:]
            raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
                               f"({_shape_str(a.shape[-2:])} and {_shape_str(bs)})")
        if a.dtype != b.dtype:
            raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of type "
                               f"{F._type_name(a.dtype)} and B of type {F._type_name(b.dtype)} instead")
        check_batches(b.shape[:-1] if vec else b.shape[:-2], a.shape[:-2])
        try:
            res = table[A._device.type](a, b, vec)
        except Exception as exc:
            if "ingular" in str(exc):
                where = _first_zero_pivot(a)
                prefix = _batch_prefix(a, where[0] if where else 0)
                raise LinAlgError(f"torch.linalg.solve: {prefix}The solver failed because the input matrix is "
                                  "singular.") from None
            raise
        if not left:
            res = res.swapaxes(-1, -2)
        return _record(op, wrap(res, A._device), (A, B), {"vec": vec, "left": left}, "LinalgSolveExBackward0")
    return solve


_solve = defop("linalg_solve", kernel=_solve_kernel, frontend=_solve_frontend, method=False, public=False)


def _cholesky_kernel(xp, a, upper):
    if upper:  # PyTorch then reads A's upper triangle: factor A^H (whose lower triangle that is)
        a = xp.conj(xp.swapaxes(a, -1, -2))
    try:
        L = xp.linalg.cholesky(a)
    except Exception:  # numpy's LinAlgError; CuPy (below) fills the failed matrices with NaN instead
        L = None
    # NumPy factors a matrix holding NaN without complaint (NaN pivots); LAPACK's potrf, as PyTorch
    # runs it, stops there: a NaN anywhere in the diagonal of L means some pivot was not > 0
    if L is None or bool(xp.isnan(xp.diagonal(L, 0, -2, -1).real).any()):
        raise not_positive_definite("linalg.cholesky", a)
    return xp.conj(xp.swapaxes(L, -1, -2)) if upper else L


def cholesky_info(a):
    """Per matrix of ``a`` (host array, flattened batch): 0, or the order of its first leading
    minor that is not positive-definite (LAPACK potrf's ``info``), by a column-by-column
    factorization that stops at the first pivot that is not > 0 (NaN included). Also returns the
    partial factors, as potrf leaves them: the columns before the failure done, the failing pivot
    unrooted, the rest as in ``a``'s lower triangle."""
    n = a.shape[-1]
    flat = np.array(a.reshape((-1, n, n)))
    info = np.zeros(flat.shape[0], dtype=np.int32)
    for b, m in enumerate(flat):
        for j in range(n):
            row = m[j, :j]
            pivot = m[j, j] - np.dot(row, np.conj(row))
            if not np.real(pivot) > 0:
                info[b] = j + 1
                m[j, j] = pivot
                break
            m[j, j] = np.sqrt(np.real(pivot))
            m[j + 1:, j] = (m[j + 1:, j] - m[j + 1:, :j] @ np.conj(row)) / m[j, j]
    return info, np.tril(flat).reshape(a.shape)


def not_positive_definite(fname, a):
    b, order = first_failure(cholesky_info(_host(a))[0])
    return LinAlgError(f"{fname}: {_batch_prefix(a, b)}The factorization could not be completed because the input "
                       f"is not positive-definite (the leading minor of order {order} is not positive-definite).")


def _cholesky_frontend(op):
    table = op.table

    def cholesky(A, *, upper=False, out=None):
        a = _square("linalg.cholesky", A)
        res = wrap(table[A._device.type](a, upper), A._device)
        return _record(op, res, (A,), {"upper": upper}, "LinalgCholeskyExBackward0")
    return cholesky


_cholesky = defop("linalg_cholesky", kernel=_cholesky_kernel, frontend=_cholesky_frontend, method=False,
                  public=False)


def _torch_cholesky(input, upper=False, *, out=None):
    _square("cholesky", input)  # the legacy op's own checks name it (and let integers reach the kernel)
    try:
        return _cholesky.frontend(input, upper=upper)
    except LinAlgError as e:  # the legacy op's message names it ``cholesky``
        raise LinAlgError(str(e).replace("linalg.cholesky: ", "cholesky: ", 1)) from None


defop("cholesky", frontend=lambda op: _torch_cholesky, differentiable=False)


def _solve_triangular_kernel(xp, a, b, upper, unitriangular, left=True):
    tri = xp.triu(a) if upper else xp.tril(a)
    if unitriangular:
        n = a.shape[-1]
        eye = xp.eye(n, dtype=a.dtype)
        tri = tri * (1 - eye) + eye
    if not left:  # X A = B is A^T X^T = B^T, whose triangle is the other one
        return xp.swapaxes(solve_triangular_array(xp, xp.swapaxes(tri, -1, -2), xp.swapaxes(b, -1, -2), not upper),
                           -1, -2)
    return solve_triangular_array(xp, tri, b, upper)


def _solve_triangular_frontend(op):
    table = op.table

    def solve_triangular(A, B, *, upper, left=True, unitriangular=False, out=None):
        _tensor_args("linalg.solve_triangular", ("A", "B"), A, B)
        a = _square("linalg.solve_triangular", A)
        b = B._data
        rows = -2 if left else -1
        if b.ndim < 2 or b.shape[rows] != a.shape[-1]:
            eq = "AX = B" if left else "XA = B"
            raise RuntimeError(f"linalg.solve_triangular: Incompatible shapes of A and B for the equation {eq} "
                               f"({_shape_str(a.shape[-2:])} and {_shape_str(b.shape[-2:])})")
        check_batches(b.shape[:-2], a.shape[:-2])
        if b.dtype != a.dtype:
            # PyTorch solves in A's dtype: B is cast to it (a complex B into a real A loses its imaginary part)
            if b.dtype.kind == "c" and a.dtype.kind != "c":
                import warnings
                warnings.warn("Casting complex values to real discards the imaginary part", UserWarning, stacklevel=2)
                B = B.real
            B = B.to(_dt.from_numpy_dtype(a.dtype))
            b = B._data
        res = wrap(table[A._device.type](a, b, upper, unitriangular, left), A._device)
        return _record(op, res, (A, B), {"upper": upper, "unitriangular": unitriangular, "left": left},
                       "LinalgSolveTriangularBackward0")
    return solve_triangular


defop("linalg_solve_triangular", kernel=_solve_triangular_kernel, frontend=_solve_triangular_frontend,
      method=False, public=False)


def _matrix_power(A, n):
    a = square_matrices("linalg.matrix_power", A)  # any dtype: integer matrices have powers too
    n = int(n)
    if n == 0:
        from .creation import eye
        e = eye(a.shape[-1], dtype=A.dtype, device=A.device)
        if A._requires_grad and _gs.enabled:
            # PyTorch writes the identity into a copy of A: a CopyBackwards node (its gradient is zero)
            return A.clone().copy_(e)
        return e.expand(*a.shape).clone() if a.ndim > 2 else e
    original = A
    if n < 0:
        A = _inv.frontend(A)
        n = -n
    result = None
    base = A
    while n:
        if n & 1:
            result = base if result is None else result.matmul(base)
        n >>= 1
        if n:
            base = base.matmul(base)
    # n = 1 returns a copy of A (CloneBackward0); n = -1 the inverse itself (LinalgInvExBackward0)
    return result if result is not original else original.clone()


defop("matrix_power", frontend=lambda op: _matrix_power, differentiable=False)


# --------------------------------------------------------------------------- decompositions
QRResult = return_type("linalg_qr", ("Q", "R"))
EighResult = return_type("linalg_eigh", ("eigenvalues", "eigenvectors"))
SVDResult = return_type("linalg_svd", ("U", "S", "Vh"))


def _qr_kernel(xp, a, mode):
    if a.ndim == 2 or xp is not np:
        return xp.linalg.qr(a, mode=mode)
    return np.linalg.qr(a, mode=mode)


def _qr_frontend(op):
    table = op.table

    def qr(A, mode="reduced", *, out=None):
        if not isinstance(A, Tensor):
            raise F.not_a_tensor("linalg.qr", "A", 1, A)
        if A._data.ndim < 2:
            raise RuntimeError("linalg.qr: The input tensor A must have at least 2 dimensions.")
        _float_check("linalg.qr", A)
        if mode not in ("reduced", "complete", "r"):
            raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), "
                               "'r', or 'complete'")
        if mode == "r":
            r = table[A._device.type](A._data, "r")
            # PyTorch's Q for mode='r' is a 1-D empty tensor, whatever the batch shape
            Q, R = wrap(A._data.reshape(-1)[:0].copy(), A._device), wrap(r, A._device)
        else:
            q, r = table[A._device.type](A._data, mode)
            Q, R = wrap(q, A._device), wrap(r, A._device)
        if _gs.enabled and A._requires_grad:
            # one node per output (PyTorch: one LinalgQrBackward0 for both); the formula is linear
            # in (gQ, gR), so the two nodes' gradients add up to PyTorch's
            attrs = {"Q": Q.detach(), "R": R.detach(), "mode": mode}
            Tensor._autograd.record(op, Q, (A,), dict(attrs, part="Q"), node_name="LinalgQrBackward0")
            Tensor._autograd.record(op, R, (A,), dict(attrs, part="R"), node_name="LinalgQrBackward0")
        return QRResult(Q, R)
    return qr


defop("linalg_qr", kernel=_qr_kernel, frontend=_qr_frontend, method=False, public=False)


def _eigh_kernel(xp, a, uplo):
    return xp.linalg.eigh(a, UPLO=uplo)


def _eigh_frontend(op):
    table = op.table

    def eigh(A, UPLO="L", *, out=None):
        a = _square("linalg.eigh", A)
        if UPLO not in ("L", "U"):
            raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
        w, v = table[A._device.type](a, UPLO)
        L, V = wrap(w, A._device), wrap(v, A._device)
        if _gs.enabled and A._requires_grad:
            attrs = {"L": L.detach(), "V": V.detach(), "UPLO": UPLO}
            Tensor._autograd.record(op, L, (A,), dict(attrs, part="values"), node_name="LinalgEighBackward0")
            Tensor._autograd.record(op, V, (A,), dict(attrs, part="vectors"), node_name="LinalgEighBackward0")
        return EighResult(L, V)
    return eigh


_eigh = defop("linalg_eigh", kernel=_eigh_kernel, frontend=_eigh_frontend, method=False, public=False)


def _svd_kernel(xp, a, full):
    return xp.linalg.svd(a, full_matrices=full)


def _svd_frontend(op):
    table = op.table

    def svd(A, full_matrices=True, *, driver=None, out=None):
        if not isinstance(A, Tensor):
            raise F.not_a_tensor("linalg.svd", "A", 1, A)
        if A._data.ndim < 2:
            raise RuntimeError("linalg.svd: The input tensor A must have at least 2 dimensions.")
        _float_check("linalg.svd", A)
        u, s, vh = converged(table[A._device.type], A._data, full_matrices)
        U, S, Vh = wrap(u, A._device), wrap(s, A._device), wrap(vh, A._device)
        if _gs.enabled and A._requires_grad:
            # one node per output (PyTorch: one LinalgSvdBackward0 for all three); the formula is
            # linear in (gU, gS, gVh), so the nodes' gradients add up to PyTorch's. With
            # full_matrices=True the columns past min(m, n) do not enter the gradient, as in PyTorch.
            k = s.shape[-1]
            attrs = {"U": U.detach()[..., :k], "S": S.detach(), "Vh": Vh.detach()[..., :k, :], "k": k}
            for t, part in ((U, "U"), (S, "S"), (Vh, "Vh")):
                Tensor._autograd.record(op, t, (A,), dict(attrs, part=part), node_name="LinalgSvdBackward0")
        return SVDResult(U, S, Vh)
    return svd


_svd = defop("linalg_svd", kernel=_svd_kernel, frontend=_svd_frontend, method=False, public=False)


def _svdvals_kernel(xp, a):
    return xp.linalg.svd(a, compute_uv=False)


def _svdvals_frontend(op):
    table = op.table

    def svdvals(A, *, driver=None, out=None):
        if not isinstance(A, Tensor):
            raise F.not_a_tensor("linalg.svdvals", "A", 1, A)
        if A._data.ndim < 2:
            raise RuntimeError("linalg.svd: The input tensor A must have at least 2 dimensions.")
        _float_check("linalg.svdvals", A)
        s = wrap(converged(table[A._device.type], A._data), A._device)
        if _gs.enabled and A._requires_grad:
            u, _, vh = _svd.table[A._device.type](A._data, False)
            Tensor._autograd.record(op, s, (A,), {"U": wrap(u, A._device), "Vh": wrap(vh, A._device)},
                                    node_name="LinalgSvdBackward0")
        return s
    return svdvals


_svdvals = defop("linalg_svdvals", kernel=_svdvals_kernel, frontend=_svdvals_frontend, method=False, public=False)


def _pinv_kernel(xp, a, atol, rtol, hermitian):
    """Pseudo-inverse from the SVD (eigendecomposition when ``hermitian``), keeping the singular values
    above ``max(atol, rtol * largest)`` as PyTorch does. ``atol``/``rtol`` are numbers or arrays that
    broadcast against the batch dimensions."""
    m, n = a.shape[-2:]
    if a.size == 0:
        return xp.zeros(a.shape[:-2] + (n, m), dtype=a.dtype)
    if hermitian:
        w, v = xp.linalg.eigh(a)
        size = xp.abs(w)
    else:
        u, w, vh = xp.linalg.svd(a, full_matrices=False)
        size = w
    cutoff = xp.maximum(xp.asarray(atol)[..., None], xp.asarray(rtol)[..., None] * size.max(-1, keepdims=True))
    keep = size > cutoff
    inv = xp.where(keep, 1 / xp.where(keep, w, xp.ones((), w.dtype)), xp.zeros((), w.dtype))
    if hermitian:
        return ((v * inv[..., None, :].astype(v.dtype)) @ xp.conj(xp.swapaxes(v, -1, -2))).astype(a.dtype)
    return ((xp.conj(xp.swapaxes(vh, -1, -2)) * inv[..., None, :].astype(a.dtype))
            @ xp.conj(xp.swapaxes(u, -1, -2))).astype(a.dtype)


def _tolerance(value, like):
    """``atol``/``rtol`` as the kernel takes them: a Tensor's array (on the matrix's device) or a number."""
    if isinstance(value, Tensor):
        return value._data.real if value._data.dtype.kind == "c" else value._data
    return float(value)


def _pinv_frontend(op):
    table = op.table

    def pinv(A, *, atol=None, rtol=None, hermitian=False, out=None, rcond=None):
        if not isinstance(A, Tensor):
            raise F.not_a_tensor("linalg.pinv", "A", 1, A)
        if A._data.ndim < 2:  # PyTorch's pinv checks rank and dtype in one message
            raise RuntimeError(_OWN_MESSAGE["linalg.pinv"](A))
        _float_check("linalg.pinv", A)
        a = A._data
        if rtol is None and rcond is not None:
            rtol = rcond
        if rtol is None:
            # PyTorch: the default rtol only when no positive atol is given
            atol_given = atol is not None and (isinstance(atol, Tensor) or atol > 0)
            rtol = 0.0 if atol_given else max(a.shape[-2:]) * np.finfo(a.dtype).eps
        atol = 0.0 if atol is None else atol
        res = wrap(converged(table[A._device.type], a, _tolerance(atol, A), _tolerance(rtol, A), bool(hermitian)),
                   A._device)
        return _record(op, res, (A,), None, "LinalgPinvBackward0")
    return pinv


_pinv = defop("linalg_pinv", kernel=_pinv_kernel, frontend=_pinv_frontend, method=False, public=False)
defop("pinverse", frontend=lambda op: (lambda input, rcond=1e-15: _pinv.frontend(input, rtol=rcond)),
      differentiable=False)


# --------------------------------------------------------------------------- conformance samples
def _mk(shape, dtype, device, seed=0, lo=-2.0, hi=2.0):
    from ..testing import make_tensor
    return make_tensor(shape, dtype=dtype, device=device, low=lo, high=hi, seed=seed)


def _well(dtype, device, seed=80, n=3):
    """A well-conditioned square matrix (diagonally dominant)."""
    from .creation import eye
    return _mk((n, n), dtype, device, seed, -1.0, 1.0) + 4 * eye(n, dtype=dtype, device=device)


def _spd(dtype, device, seed=81):
    from .creation import eye
    m = _mk((3, 3), dtype, device, seed, -1.0, 1.0)
    return (m @ m.mT + 3 * eye(3, dtype=dtype, device=device)).detach()


def _pairs(*shapes):
    def samples(dtype, device):
        return [tuple(_mk(s, dtype, device, 82 + k) for k, s in enumerate(pair)) for pair in shapes]
    return samples


def _ref_einsum(eq, *ops):
    return np.einsum(eq, *ops)


_LINALG_SAMPLES = {
    "__rmatmul__": (_pairs(((3, 2), (2, 3))), lambda a, b: b @ a),
    "bmm": (_pairs(((2, 2, 3), (2, 3, 2))), np.matmul),
    "mv": (_pairs(((2, 3), (3,))), np.matmul),
    "dot": (_pairs(((3,), (3,))), np.dot),
    "vdot": (_pairs(((3,), (3,))), np.vdot),
    "outer": (_pairs(((3,), (2,))), np.outer),
    "ger": (_pairs(((3,), (2,))), np.outer),
    "inner": (_pairs(((3,), (3,)), ((2, 3), (4, 3))), np.inner),
    "kron": (_pairs(((2, 2), (2, 3))), np.kron),
    "tensordot": (lambda dt, dev: [(_mk((2, 3, 2), dt, dev, 83), _mk((3, 2, 2), dt, dev, 84), 2),
                                   ((_mk((2, 3), dt, dev, 85), _mk((3, 2), dt, dev, 86)), {"dims": ([1], [0])})],
                  lambda a, b, dims=2: np.tensordot(a, b, dims)),
    "einsum": (lambda dt, dev: [("ij,jk->ik", _mk((2, 3), dt, dev, 87), _mk((3, 2), dt, dev, 88)),
                                ("ii->i", _mk((3, 3), dt, dev, 89)), ("bij,bjk", _mk((2, 2, 3), dt, dev, 90),
                                                                     _mk((2, 3, 2), dt, dev, 91))], _ref_einsum),
    "addmm": (lambda dt, dev: [((_mk((2,), dt, dev, 92), _mk((2, 3), dt, dev, 93), _mk((3, 2), dt, dev, 94)),
                                {"beta": 0.5, "alpha": 2.0}),
                               (_mk((2, 2), dt, dev, 117), _mk((2, 3), dt, dev, 118), _mk((3, 2), dt, dev, 119))],
              lambda c, a, b, beta=1, alpha=1: beta * c + alpha * (a @ b)),
    "addmv": (lambda dt, dev: [(_mk((2,), dt, dev, 95), _mk((2, 3), dt, dev, 96), _mk((3,), dt, dev, 97))],
              lambda c, a, b: c + a @ b),
    "baddbmm": (lambda dt, dev: [(_mk((2, 2, 2), dt, dev, 98), _mk((2, 2, 3), dt, dev, 99), _mk((2, 3, 2), dt, dev, 100))],
                lambda c, a, b: c + a @ b),
    "addbmm": (lambda dt, dev: [(_mk((2, 2), dt, dev, 101), _mk((2, 2, 3), dt, dev, 102), _mk((2, 3, 2), dt, dev, 103))],
               lambda c, a, b: c + (a @ b).sum(0)),
    "cross": (lambda dt, dev: [((_mk((2, 3), dt, dev, 104), _mk((2, 3), dt, dev, 105)), {"dim": 1})],
              lambda a, b, dim: np.cross(a, b, axis=dim)),
    "linalg_cross": (_pairs(((2, 3), (2, 3))), lambda a, b: np.cross(a, b)),
    "trace": (_pairs(((2, 3),)), np.trace),
    "linalg_inv": (lambda dt, dev: [(_well(dt, dev),)], np.linalg.inv),
    "inverse": (lambda dt, dev: [(_well(dt, dev),)], np.linalg.inv),
    "linalg_det": (lambda dt, dev: [(_well(dt, dev),)], np.linalg.det),
    "det": (lambda dt, dev: [(_well(dt, dev),)], np.linalg.det),
    "linalg_slogdet": (lambda dt, dev: [(_well(dt, dev),)], lambda a: tuple(np.linalg.slogdet(a))),
    "slogdet": (lambda dt, dev: [(_well(dt, dev),)], lambda a: tuple(np.linalg.slogdet(a))),
    "logdet": (lambda dt, dev: [(_spd(dt, dev),)], lambda a: np.linalg.slogdet(a)[1]),
    "linalg_solve": (lambda dt, dev: [(_well(dt, dev), _mk((3, 2), dt, dev, 106)), (_well(dt, dev), _mk((3,), dt, dev, 107))],
                     np.linalg.solve),
    "linalg_solve_triangular": (lambda dt, dev: [((_well(dt, dev).triu(), _mk((3, 2), dt, dev, 108)), {"upper": True})],
                                lambda a, b, upper: np.linalg.solve(np.triu(a), b)),
    "matrix_power": (lambda dt, dev: [(_well(dt, dev), 2), (_well(dt, dev), -1), (_well(dt, dev), 0)],
                     np.linalg.matrix_power),
    "linalg_multi_dot": (lambda dt, dev: [([_mk((2, 3), dt, dev, 109), _mk((3, 3), dt, dev, 110), _mk((3,), dt, dev, 111)],)],
                         lambda ts: np.linalg.multi_dot(ts)),
    "linalg_pinv": (lambda dt, dev: [(_mk((2, 3), dt, dev, 112),)], np.linalg.pinv),
    "pinverse": (lambda dt, dev: [(_mk((3, 2), dt, dev, 113),)], np.linalg.pinv),
    # these two read only one triangle of A: finite differences of the full matrix do not apply
    "linalg_cholesky": (lambda dt, dev: [(_spd(dt, dev),)], np.linalg.cholesky,
                        {"conformance_skip": {"gradcheck": "reads one triangle", "gradgradcheck": "reads one triangle"}}),
    "cholesky": (lambda dt, dev: [(_spd(dt, dev),)], np.linalg.cholesky,
                 {"conformance_skip": {"gradcheck": "reads one triangle", "gradgradcheck": "reads one triangle"}}),
    "linalg_eigh": (lambda dt, dev: [(_spd(dt, dev),)], None,
                    {"conformance_skip": {"gradcheck": "reads one triangle", "gradgradcheck": "reads one triangle"}}),
    "linalg_qr": (lambda dt, dev: [(_mk((3, 2), dt, dev, 114),)], None),
    "linalg_svd": (lambda dt, dev: [(_mk((3, 2), dt, dev, 115), False)], None),
    "linalg_svdvals": (lambda dt, dev: [(_mk((3, 2), dt, dev, 116),)], lambda a: np.linalg.svd(a, compute_uv=False)),
}

from .shape import attach_samples as _attach  # noqa: E402
from ._define import CORE_OPS as _CORE_OPS  # noqa: E402

_attach(_LINALG_SAMPLES, _CORE_OPS)
