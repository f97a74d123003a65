"""Matrix products and linear algebra (``tensorgraft.linalg`` re-exports the solvers)."""
from __future__ import annotations

from ..grad_mode import state as _gs
from ..tensor import Tensor, wrap
from . import _frontend as F
from ._define import defop


def _same_dtype(name, a: Tensor, b: Tensor):
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_tn(a)} != {_tn(b)}")


def _tn(t):
    return F._type_name(t._data.dtype).lower() if False else str(t.dtype).replace("torch.", "")


def _mm_frontend(op):
    table = op.table

    def mm(input, mat2):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("mm", "input", 1, input)
        if not isinstance(mat2, Tensor):
            raise F.not_a_tensor("mm", "mat2", 2, mat2)
        a, b = input._data, mat2._data
        if a.ndim != 2:
            raise RuntimeError(f"self must be a matrix")
        if b.ndim != 2:
            raise RuntimeError(f"mat2 must be a matrix")
        if a.shape[1] != b.shape[0]:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and "
                               f"{b.shape[0]}x{b.shape[1]})")
        if input._device is not mat2._device:
            raise F.device_mismatch("mm", input, mat2)
        _same_dtype("mm", input, mat2)
        out = wrap(table[input._device.type](a, b), input._device)
        if _gs.enabled and (input._requires_grad or mat2._requires_grad):
            Tensor._autograd.record(op, out, (input, mat2), None)
        return out
    return mm


defop("mm", xp_attr="matmul", frontend=_mm_frontend)


def _matmul_frontend(op):
    table = op.table

    def matmul(input, other):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("matmul", "input", 1, input)
        if not isinstance(other, Tensor):
            raise F.not_a_tensor("matmul", "other", 2, other)
        a, b = input._data, other._data
        if a.ndim == 0 or b.ndim == 0:
            raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and {b.ndim}D")
        ka = a.shape[-1]
        kb = b.shape[-2] if b.ndim > 1 else b.shape[0]
        if ka != kb:
            if a.ndim <= 2 and b.ndim <= 2:
                sa = "x".join(map(str, a.shape if a.ndim == 2 else (1,) + a.shape))
                sb = "x".join(map(str, b.shape if b.ndim == 2 else b.shape + (1,)))
                raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({sa} and {sb})")
            raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                               f"[{b.shape[0] if b.ndim > 2 else 1}, {ka}] but got: "
                               f"[{b.shape[0] if b.ndim > 2 else 1}, {kb}].")
        if input._device is not other._device:
            raise F.device_mismatch("matmul", input, other)
        _same_dtype("matmul", input, other)
        out = wrap(table[input._device.type](a, b), input._device)
        if _gs.enabled and (input._requires_grad or other._requires_grad):
            name = "MmBackward0" if a.ndim == 2 and b.ndim == 2 else (
                "DotBackward0" if a.ndim == 1 and b.ndim == 1 else (
                    "MvBackward0" if a.ndim == 2 and b.ndim == 1 else "MatmulBackward0"))
            Tensor._autograd.record(op, out, (input, other), None, node_name=name)
        return out
    return matmul


defop("matmul", xp_attr="matmul", frontend=_matmul_frontend, dunders=("__matmul__",))
