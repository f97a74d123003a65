"""The ops of several operands over every pair of dtypes, against PyTorch: the matrix products
(PyTorch's dot, mv, mm, bmm kernels have no bool or uint16+ loop, where NumPy multiplies them all),
the fills, scatters and index writes, the pointwise ternaries and the losses. The same result
dtype, or the same error; cases where PyTorch's outcome names complex32 are left out (no such
dtype here: docs/user-guide/differences.md)."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import tensorgraft as tg  # noqa: E402

DTYPES = ["float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool",
          "complex64", "complex128"]


def _tensor(lib, dtype, shape=(3,)):
    t = lib.tensor(np.arange(1, 1 + int(np.prod(shape))).reshape(shape))
    return t > 0 if dtype == "bool" else t.to(getattr(lib, dtype))


def _index(lib):
    return lib.tensor([0, 2])


CALLS = {
    "where": lambda lib, a, b: lib.where(_tensor(lib, "bool"), a, b),
    "addcmul": lambda lib, a, b: lib.addcmul(a, b, b),
    "addcdiv": lambda lib, a, b: lib.addcdiv(a, b, b),
    "addcmul_": lambda lib, a, b: a.addcmul_(b, b),
    "lerp": lambda lib, a, b: lib.lerp(a, b, 0.5),
    "cat": lambda lib, a, b: lib.cat([a, b]),
    "matmul": lambda lib, a, b: a.reshape(1, 3) @ b.reshape(3, 1),
    "matmul_vec": lambda lib, a, b: a @ b,
    "matmul_mv": lambda lib, a, b: a.reshape(1, 3) @ b,
    "matmul_batch": lambda lib, a, b: a.reshape(1, 1, 3) @ b.reshape(1, 3, 1),
    "mm": lambda lib, a, b: lib.mm(a.reshape(1, 3), b.reshape(3, 1)),
    "mv": lambda lib, a, b: lib.mv(a.reshape(1, 3), b),
    "bmm": lambda lib, a, b: lib.bmm(a.reshape(1, 1, 3), b.reshape(1, 3, 1)),
    "dot": lambda lib, a, b: lib.dot(a, b),
    "addmm": lambda lib, a, b: lib.addmm(a.reshape(1, 3)[:, :1], a.reshape(1, 3), b.reshape(3, 1)),
    "baddbmm": lambda lib, a, b: lib.baddbmm(a.reshape(1, 1, 3)[..., :1], a.reshape(1, 1, 3), b.reshape(1, 3, 1)),
    "linear": lambda lib, a, b: lib.nn.functional.linear(a.reshape(1, 3), b.reshape(1, 3)),
    "linear_bias": lambda lib, a, b: lib.nn.functional.linear(a.reshape(1, 3), b.reshape(1, 3), b[:1]),
    "masked_fill": lambda lib, a, b: a.masked_fill(_tensor(lib, "bool"), b[0]),
    "index_add": lambda lib, a, b: a.index_add(0, _index(lib), b[:2]),
    "index_copy": lambda lib, a, b: a.index_copy(0, _index(lib), b[:2]),
    "scatter": lambda lib, a, b: a.scatter(0, _index(lib), b[:2]),
    "scatter_add": lambda lib, a, b: a.scatter_add(0, _index(lib), b[:2]),
    "index_put": lambda lib, a, b: a.index_put((_index(lib),), b[:2]),
    "copy_": lambda lib, a, b: a.copy_(b),
    "dist": lambda lib, a, b: lib.dist(a, b),
    "cdist": lambda lib, a, b: lib.cdist(a.reshape(1, 3), b.reshape(1, 3)),
    "cross": lambda lib, a, b: lib.cross(a, b, dim=0),
    "isclose": lambda lib, a, b: lib.isclose(a, b),
    "searchsorted": lambda lib, a, b: lib.searchsorted(a, b),
    "kron": lambda lib, a, b: lib.kron(a, b),
    "einsum": lambda lib, a, b: lib.einsum("i,i->", a, b),
    "tensordot": lambda lib, a, b: lib.tensordot(a, b, dims=1),
    "mse_loss": lambda lib, a, b: lib.nn.functional.mse_loss(a, b),
    "l1_loss": lambda lib, a, b: lib.nn.functional.l1_loss(a, b),
}


def _outcome(lib, call):
    try:
        r = call(lib)
    except Exception as e:  # noqa: BLE001 - the outcome compared is the error itself
        return ("error", type(e).__name__, str(e).split("\n")[0])
    return ("value", str(r.dtype).split(".")[-1])


@pytest.mark.parametrize("first", DTYPES)
@pytest.mark.parametrize("name", sorted(CALLS))
def test_ops_of_two_tensors_over_dtype_pairs(name, first):
    for second in DTYPES:
        call = (lambda lib: CALLS[name](lib, _tensor(lib, first), _tensor(lib, second)))
        theirs, ours = _outcome(torch, call), _outcome(tg, call)
        if "ComplexHalf" in theirs[-1] or theirs[-1] == "complex32":
            continue
        assert ours == theirs, f"{name}({first}, {second}): tensorgraft {ours}, PyTorch {theirs}"


EMPTY_PRODUCTS = {  # nothing to compute: PyTorch makes these without the kernel, except dot
    "mm_inner0": lambda lib, t: lib.mm(t(1, 0), t(0, 1)), "mm_rows0": lambda lib, t: lib.mm(t(0, 3), t(3, 2)),
    "mv_inner0": lambda lib, t: lib.mv(t(2, 0), t(0)), "bmm_inner0": lambda lib, t: lib.bmm(t(2, 2, 0), t(2, 0, 2)),
    "bmm_batch0": lambda lib, t: lib.bmm(t(0, 2, 3), t(0, 3, 2)), "dot0": lambda lib, t: lib.dot(t(0), t(0)),
    "matmul_inner0": lambda lib, t: t(1, 0) @ t(0, 1), "matmul_3d1d": lambda lib, t: t(2, 2, 3) @ t(3),
    "matmul_1d3d": lambda lib, t: t(3) @ t(2, 3, 2), "matmul_2d3d": lambda lib, t: t(2, 3) @ t(2, 3, 2),
    "matmul_3d2d": lambda lib, t: t(2, 2, 3) @ t(3, 2), "matmul_1d2d": lambda lib, t: t(3) @ t(3, 2),
    "multi_dot": lambda lib, t: lib.linalg.multi_dot([t(1, 3), t(3, 1)]),
}


@pytest.mark.parametrize("dtype", ["bool", "uint16", "uint32", "uint64", "uint8", "int64"])
@pytest.mark.parametrize("name", sorted(EMPTY_PRODUCTS))
def test_products_over_shapes(name, dtype):
    def call(lib):
        return EMPTY_PRODUCTS[name](lib, lambda *shape: lib.ones(*shape, dtype=getattr(lib, dtype)))
    theirs, ours = _outcome(torch, call), _outcome(tg, call)
    assert ours == theirs, f"{name} ({dtype}): tensorgraft {ours}, PyTorch {theirs}"
