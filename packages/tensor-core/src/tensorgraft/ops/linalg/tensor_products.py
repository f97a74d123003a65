"""einsum and the products composed from einsum, broadcasting or mm (inner, tensordot, outer/ger,
kron, linalg.multi_dot in matrix-chain order), cross/linalg.cross and trace. ``parse_einsum`` is
also published by ``tensorgraft.linalg``."""
from __future__ import annotations

import collections
from tensorgraft.argument_errors import c_type_name

import numpy as np

from ...amp._state import state as _autocast  # autocast's flag (tensorgraft.amp)
from ... import dtypes as _dt
from ...tensor import Tensor, wrap
from .. import _frontend as F
from .._args import spread_args, wrap_dim
from .._define import defop
from tensorgraft.dtypes import CPP_TYPE_NAMES
from .checks import _record, _tensor_args
from .einsum_pairs import contract_like_pytorch, einsum_result_dtype, multiplies_only, row_major
from .matmul import _cpu_matmul
from tensorgraft.dtypes import np_kind as _np_kind

# string.ascii_*, spelled out: ``import string`` alone was ~0.4 ms of every ``import tensorgraft``
# (its Template class compiles a regular expression), for three constants
_LOWERCASE = "abcdefghijklmnopqrstuvwxyz"
_UPPERCASE = _LOWERCASE.upper()
_LETTERS = _LOWERCASE + _UPPERCASE


def _einsum_kernel(xp, eq, *arrays):
    if xp is np:
        kind = arrays[0].dtype.kind
        if len(arrays) > 1 and (kind in "biu" or kind in "fc" and arrays[0].itemsize >= 4
                                or multiplies_only(eq, tuple(a.shape for a in arrays))):
            # float32/64, complex, integers and bools (which reach no bmm): pairwise through bmm's
            # kernel, PyTorch's order and layout (einsum_pairs.py); the half types keep NumPy's loop
            # where a pair sums (it sums them in float), not where each pair only multiplies (PyTorch
            # rounds each product, as this does)
            return contract_like_pytorch(eq, arrays, _cpu_matmul)
        r = np.einsum(eq, *arrays, optimize=len(arrays) > 1)
        if len(arrays) == 1 and len(set(eq.split("->")[0])) > len(eq.split("->")[1]):
            # (PyTorch's sum over the contracted labels: a new row-major tensor)
            r = row_major(r)
        return r
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
    free = [c for c in _LETTERS if c not in used]
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
                out.append(_UPPERCASE[s] if s < 26 else _LOWERCASE[s - 26])
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
                                f"{c_type_name(t)} at pos {k}")
        ins, out = parse_einsum(equation, [t._data.shape for t in operands])
        for k, (s, t) in enumerate(zip(ins, operands)):  # (PyTorch checks every operand's own first)
            if len(set(s)) != len(s):
                own = {}
                for c, n in zip(s, t._data.shape):
                    if own.setdefault(c, n) != n:
                        raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {k} but the sizes "
                                           f"don't match, {n} != {own[c]}")
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
        eq = ",".join(ins) + "->" + out
        if len({a.dtype for a in arrays}) > 1 or _dt.np_kind(arrays[0].dtype) in "biu":
            # PyTorch's dtype rules (einsum_pairs.py): bmm refuses bools and mixed dtypes, a sum of
            # bools or integers is an int64; the operands computed in the result's dtype (so that a
            # bool ``ij->i`` counts)
            dt = einsum_result_dtype(eq, tuple(a.shape for a in arrays), [t.dtype for t in operands],
                                     _dt.promote_types)
            if dt.category >= 2 or len(arrays) == 1:
                arrays = [a if a.dtype == dt.np else a.astype(dt.np) for a in arrays]
            # (else bools and integers go in as they are: each pairwise step widens as PyTorch's)
        low = arrays[0].dtype if arrays and _dt.np_kind(arrays[0].dtype) == "f" and arrays[0].itemsize == 1 else None
        if low is not None:
            # the 8-bit floats (NumPy's einsum has no loop for them): products summed in float32, the
            # result rounded once, as PyTorch's matmul-based einsum does
            from ..conversion import through_pytorch_step
            r = table[dev.type](eq, *(a.astype(np.float32) for a in arrays))
            r += np.float32(0)  # (PyTorch's sums start from +0: an all -0 product sums to +0)
            res = wrap(through_pytorch_step(r, low).astype(low), dev)
        else:
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


def _same_dtype(a, b):
    if a.dtype != b.dtype:
        raise RuntimeError("both inputs should have same dtype")


def _prod(sizes):
    n = 1
    for s in sizes:
        n *= s
    return n


# the dtypes PyTorch's CPU mm/dot have no kernel for (uint8 they have)
_NO_MM = {np.dtype(np.bool_): "Bool", np.dtype(np.uint16): "UInt16", np.dtype(np.uint32): "UInt32",
          np.dtype(np.uint64): "UInt64"}


def _check_mm_dtype(npdtype, rows, cols):
    """tensordot's product is an mm of a (rows, k) by a (k, cols) matrix: a bool (or uint16+) one
    is refused by its kernel, named "dot" where the result is one element and "addmm_impl_cpu_"
    otherwise; an empty result is made without the kernel: True where the caller makes it."""
    name = _NO_MM.get(npdtype)
    if name is None:
        return False
    if not rows * cols:
        return True
    raise NotImplementedError(f"\"{'dot' if rows * cols == 1 else 'addmm_impl_cpu_'}\" not implemented for "
                                  f"'{name}'")


def _inner(input, other, *, out=None):
    _tensor_args("inner", ("input", "other"), input, other)
    a, b = input._data, other._data
    if a.ndim == 0 or b.ndim == 0:
        return input * other
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got shapes "
                           f"{list(a.shape)} and {list(b.shape)}")
    # (PyTorch's inner is tensordot over the last dims: its dtype check and its mm's dtype support)
    _same_dtype(a, b)
    if _check_mm_dtype(a.dtype, _prod(a.shape[:-1]), _prod(b.shape[:-1])):
        return input.new_zeros(a.shape[:-1] + b.shape[:-1])
    la = _LETTERS[:a.ndim - 1]
    lb = _LETTERS[a.ndim - 1:a.ndim + b.ndim - 2]
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
        _same_dtype(a._data, b._data)
        da, db = list(range(na - dims, na)), list(range(dims))
        shown = ([d - na for d in da], db)
    else:
        da, db = dims
        da = [da] if isinstance(da, int) else list(da)
        db = [db] if isinstance(db, int) else list(db)
        if len(da) != len(db):
            raise RuntimeError("both dimension lists should have same length")
        _same_dtype(a._data, b._data)
        shown = (list(da), list(db))
        for n, ds in ((na, da), (nb, db)):
            if n == 0 and ds:  # (PyTorch wraps these dims without the 0-d allowance)
                raise IndexError(f"Dimension specified as {ds[0]} but tensor has no dimensions")
        da = [wrap_dim(d, na) for d in da]
        db = [wrap_dim(d, nb) for d in db]
    for x, y, sx, sy in zip(da, db, shown[0], shown[1]):
        sa, sb = a._data.shape[x], b._data.shape[y]
        if sa != sb:
            # a size-1 dim broadcasts: PyTorch sums the other operand's dim first
            if sb == 1:
                a = a.sum(x, keepdim=True)
            elif sa == 1:
                b = b.sum(y, keepdim=True)
            else:
                raise RuntimeError(f"contracted dimensions need to match, but first has size {sa} in dim {sx} "
                                   f"and second has size {sb} in dim {sy}")
    letters = iter(_LETTERS)
    la = [next(letters) for _ in range(na)]
    lb = [next(letters) for _ in range(nb)]
    for x, y in zip(da, db):
        lb[y] = la[x]
    outl = [c for k, c in enumerate(la) if k not in da] + [c for k, c in enumerate(lb) if k not in db]
    free_a = [s for k, s in enumerate(a._data.shape) if k not in da]
    free_b = [s for k, s in enumerate(b._data.shape) if k not in db]
    if _check_mm_dtype(a._data.dtype, _prod(free_a), _prod(free_b)):
        return a.new_zeros(free_a + free_b)
    return _einsum.frontend("".join(la) + "," + "".join(lb) + "->" + "".join(outl), a, b)


defop("tensordot", frontend=lambda op: _tensordot, method=False, differentiable=False)


def _kron(input, other):
    _tensor_args("kron", ("input", "other"), input, other)
    na, nb = input._data.ndim, other._data.ndim
    n = max(na, nb)
    sa = (1,) * (n - na) + input._data.shape
    sb = (1,) * (n - nb) + other._data.shape
    # PyTorch's layout: a as (a0, 1, a1, 1, ...) times b as (1, b0, 1, b1, ...) is the result's
    # memory order already (contiguous), then an unsafe view to (a0 * b0, a1 * b1, ...)
    prod = input.reshape(tuple(x for s in sa for x in (s, 1))) * other.reshape(tuple(x for s in sb for x in (1, s)))
    from ..shape.reshape import unsafe_view
    return unsafe_view(prod, tuple(x * y for x, y in zip(sa, sb)))


defop("kron", frontend=lambda op: _kron, differentiable=False)


def _multi_dot(tensors, *, out=None):
    if isinstance(tensors, (Tensor, np.ndarray)):
        raise F.wrong_type("linalg_multi_dot", "tensors", "tuple of Tensors", tensors, 1)
    tensors = list(tensors)
    for k, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {k} in argument 0, but got {c_type_name(t)}")
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    first_vec = tensors[0]._data.ndim == 1
    last_vec = tensors[-1]._data.ndim == 1
    for i, t in enumerate(tensors[1:], 1):
        if t._data.dtype != tensors[0]._data.dtype:
            raise RuntimeError(f"multi_dot(): all tensors must have be the same dtype but tensor 0 is "
                               f"{CPP_TYPE_NAMES.get(tensors[0]._data.dtype.name, tensors[0]._data.dtype.name)} and tensor "
                               f"{i} {CPP_TYPE_NAMES.get(t._data.dtype.name, t._data.dtype.name)}")
    if first_vec:
        tensors[0] = tensors[0].unsqueeze(0)
    if last_vec:
        tensors[-1] = tensors[-1].unsqueeze(-1)
    out_shape = ([] if first_vec else [tensors[0].shape[0]]) + ([] if last_vec else [tensors[-1].shape[-1]])
    # PyTorch multiplies in the cheapest order (matrix-chain dynamic programme) and views the result
    # to the output shape, so its graph ends in ViewBackward0
    r = _chain_product(tensors)
    return r.view(out_shape)


def chain_order(dims):
    """The matrix-chain split table for matrices of shapes ``(dims[i], dims[i + 1])``: ``split[i][j]``
    is where the product of matrices i..j divides in the order with the fewest scalar multiplications
    (ties: the first split), as ``linalg.multi_dot`` orders them (the FLOP counter replays it)."""
    n = len(dims) - 1
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
    return split


def _chain_product(mats):
    """The product of ``mats`` in the order with fewest scalar multiplications (ties: the first split)."""
    n = len(mats)
    split = chain_order([m.shape[0] for m in mats] + [mats[-1].shape[1]])

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
    name = "linalg.cross" if linalg else "cross"
    fname = "linalg.cross"  # torch.cross runs linalg.cross's checks: its shape errors say "linalg.cross" too

    def cross(input, other, dim=-1 if linalg else None, *, out=None):
        _tensor_args(name, ("input", "other"), input, other)
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
        if a.dtype == np.bool_:  # (input's dtype first; NumPy's cross subtracts bools, failing in its words)
            raise NotImplementedError("\"cross\" not implemented for 'Bool'")
        if a.dtype != b.dtype:  # PyTorch does not promote here
            raise RuntimeError(f"expected scalar type {F._type_name(a.dtype)} but found {F._type_name(b.dtype)}")
        from ..shape import infer_broadcast_shape
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
        if _autocast.on:  # (on PyTorch's CPU float32 list)
            input, = _autocast.fp32_cpu(input)
        a = input._data
        if a.ndim != 2:
            raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {a.ndim}")
        if _np_kind(a.dtype) == "b":  # NumPy sums bools as ints; PyTorch has no bool trace kernel
            raise NotImplementedError("\"trace\" not implemented for 'Bool'")
        npd = np.int64 if _np_kind(a.dtype) in "iu" else None
        res = wrap(table[input._device.type](a, npd), input._device)
        return _record(op, res, (input,))
    return trace


defop("trace", kernel=lambda xp, a, npd: xp.asarray(xp.trace(a, dtype=npd)), frontend=_trace_frontend)
