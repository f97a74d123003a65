"""Tensor-core leftovers (session 25): logspace's values as PyTorch computes them, the storage
offset and strides PyTorch gives empty views, einsum through bmm's kernel (PyTorch's layout and
summation order), and the modules split out of serialization/pytorch_files.py and storage.py.

Expected values were computed with PyTorch 2.13 (CPU) and are hard-coded: these tests do not
import torch."""
import math
import pathlib
import sys

import numpy as np
import pytest

import tensorgraft as tg


# --------------------------------------------------------------------------- logspace
def _bits(t):
    """The result's bit patterns (float32 as int32, the half types as uint16), as hex strings."""
    if t.dtype is tg.float32:
        return [hex(v) for v in t.numpy().view(np.int32).tolist()]
    a = t.float().numpy().astype(np.float32).view(np.uint32) >> 16 if t.dtype is tg.bfloat16 else \
        t.numpy().view(np.uint16)
    return [hex(int(v)) for v in a.tolist()]


# (start, end, steps, base, dtype) -> PyTorch 2.13's bits; before the fix ~15% of these elements
# differed by an ulp (the exponents were computed in the result's dtype with fused multiply-adds)
LOGSPACE_BITS = [
    ((0, 1, 7, 10.0, "float32"),
     ['0x3f800000', '0x3fbbe0d9', '0x4009e242', '0x404a62c2', '0x409487e5', '0x40da0372', '0x41200000']),
    ((0, 1, 10, 2.0, "float32"),
     ['0x3f800000', '0x3f8a3f66', '0x3f9550d3', '0x3fa14518', '0x3fae2e5e', '0x3fbc2043', '0x3fcb2ff5',
      '0x3fdb7457', '0x3fed0620', '0x40000000']),
    ((-2.5, 5.7, 33, 3.0, "float32"),
     ['0x3d836117', '0x3dae189c', '0x3de6b3ba', '0x3e18db40', '0x3e4a8e74', '0x3e863540', '0x3eb1d839',
      '0x3eebab59', '0x3f1c25cb', '0x3f4eeaf0', '0x3f891900', '0x3fb5ac7f', '0x3ff0be59', '0x401f8279',
      '0x40535f76', '0x408c0cad', '0x40b995e1', '0x40f5ed52', '0x4122f1af', '0x4157ec8b', '0x418f10a0',
      '0x41bd94d1', '0x41fb38dc', '0x422673d4', '0x425c92b5', '0x42922532', '0x42c1a9c9', '0x430050cb',
      '0x432a094f', '0x43615280', '0x43954abe', '0x43c5d540', '0x44031411']),
    ((0.1, 38.5, 16, 1.5, "float32"),
     ['0x3f854bee', '0x403c2f1c', '0x4104d610', '0x41bb88b5', '0x4284609a', '0x433ae2e1', '0x4403eb8c',
      '0x44ba3d9f', '0x458376e0', '0x463998e9', '0x470302a0', '0x47b8f4cb', '0x48828ec8', '0x4938513f',
      '0x4a021b55', '0x4ab7ae43']),
    ((0, 1, 16, 10.0, "float16"),
     ['0x3c00', '0x3caa', '0x3d70', '0x3e57', '0x3f64', '0x404f', '0x4106', '0x41db', '0x42d4', '0x43f6',
      '0x44a4', '0x4569', '0x464f', '0x475b', '0x484a', '0x4900']),
    ((-3, 3, 10, 2.718281828459045, "float16"),
     ['0x2a5f', '0x2e35', '0x320b', '0x35e3', '0x39bb', '0x3d95', '0x4170', '0x454b', '0x4928', '0x4d05']),
    ((0, 5.7, 5, 10.0, "bfloat16"), ['0x3f80', '0x41d3', '0x442e', '0x4690', '0x48ee']),
    ((1, 3, 7, 0.5, "bfloat16"), ['0x3f00', '0x3ecb', '0x3ea1', '0x3e80', '0x3e4b', '0x3e21', '0x3e00']),
]


@pytest.mark.parametrize("args,expected", LOGSPACE_BITS, ids=lambda v: str(v) if isinstance(v, tuple) else "")
def test_logspace_bit_for_bit_as_pytorch(args, expected):
    start, end, steps, base, dtype = args
    assert _bits(tg.logspace(start, end, steps, base=base, dtype=getattr(tg, dtype))) == expected


def test_logspace_pow_where_python_raises():
    # C's pow, as PyTorch's kernel: a negative base to a fractional power is NaN, zero to a negative
    # power infinite, an overflow infinite (math.pow raised ValueError / OverflowError here)
    vals = tg.logspace(0, 1, 3, base=-2.0, dtype=tg.float64).tolist()
    assert vals[0] == 1.0 and math.isnan(vals[1]) and vals[2] == -2.0
    assert tg.logspace(0, -1, 2, base=0.0, dtype=tg.float64).tolist() == [1.0, math.inf]
    assert tg.logspace(300, 400, 2, dtype=tg.float64).tolist() == [1e300, math.inf]
    assert tg.logspace(1, 2, 2, base=-2.0, dtype=tg.int32).tolist() == [-2, 4]


def test_logspace_linspace_no_points_check_nothing_one_point_is_a_checked_fill():
    # PyTorch 2.13: no points runs nothing (ends out of range are fine); one point is fill_(value),
    # checked as fill_ checks it (logspace's value is base ** start)
    assert tg.logspace(7.3, -45.2, 0, dtype=tg.uint8).tolist() == []
    assert tg.linspace(-3.5, 1e9, 0, dtype=tg.uint8).tolist() == []
    assert tg.linspace(-3, 1e9, 1, dtype=tg.uint8).tolist() == [253]
    assert tg.logspace(2, -45.2, 1, dtype=tg.uint8).tolist() == [100]
    with pytest.raises(RuntimeError, match="value cannot be converted to type uint8_t without overflow"):
        tg.logspace(7.3, -45.2, 1, dtype=tg.uint8)
    with pytest.raises(RuntimeError, match="value cannot be converted to type int without overflow"):
        tg.logspace(0.5, 0, 1, base=-2.0, dtype=tg.int32)
    with pytest.raises(RuntimeError, match="value cannot be converted to type float without overflow"):
        tg.logspace(100, 0, 1, dtype=tg.float32)
    assert tg.logspace(10, 0, 1, dtype=tg.float16).tolist() == [math.inf]  # (the half types are not checked)


def test_logspace_linspace_float_ends_checked_against_the_dtype_range():
    with pytest.raises(RuntimeError, match=r"value cannot be converted to type c10::Half without overflow"):
        tg.linspace(7.3, 1e9, 2, dtype=tg.float16)
    with pytest.raises(RuntimeError, match=r"value cannot be converted to type c10::Half without overflow"):
        tg.logspace(-3, 1e9, 5, dtype=tg.float16)
    with pytest.raises(RuntimeError, match=r"value cannot be converted to type float without overflow"):
        tg.linspace(1e40, 0, 1, dtype=tg.float32)


def test_linspace_infinite_end_as_pytorch():
    # PyTorch 2.13: torch.linspace(7.3, -inf, 5) is [nan, -inf, nan, nan, nan] (fused multiply-adds
    # of an infinite step); the emulated fused multiply-add made every element NaN
    vals = tg.linspace(7.3, -math.inf, 5, dtype=tg.float64).tolist()
    assert math.isnan(vals[0]) and vals[1] == -math.inf and all(math.isnan(v) for v in vals[2:])


# --------------------------------------------------------------------------- empty views
EMPTY_VIEWS = [  # expression -> PyTorch 2.13's (shape, stride, storage_offset)
    ("x[5:5]", (0, 4, 5), (20, 5, 1), 60),
    ("x[2:1]", (0, 4, 5), (20, 5, 1), 40),
    ("x[10:]", (0, 4, 5), (20, 5, 1), 60),
    ("x[:, 3:2]", (3, 0, 5), (20, 5, 1), 15),
    ("x[:, :, 7:]", (3, 4, 0), (20, 5, 1), 5),
    ("x[-1:-1]", (0, 4, 5), (20, 5, 1), 40),
    ("x[1, 2:2]", (0, 5), (5, 1), 30),
    ("x[2:0:2]", (0, 4, 5), (40, 5, 1), 40),
    ("x[:, 2:2:3]", (3, 0, 5), (20, 15, 1), 10),
    ("x[None, 1:1]", (1, 0, 4, 5), (60, 20, 5, 1), 20),
    ("v[:, 4:]", (2, 0, 5), (20, 5, 1), 40),
    ("v[1:1]", (0, 4, 5), (20, 5, 1), 40),
    ("x.narrow(1, 4, 0)", (3, 0, 5), (20, 5, 1), 20),
    ("x.narrow(2, 3, 0)", (3, 4, 0), (20, 5, 1), 3),
    ("x.mT[:, 2:2]", (3, 0, 4), (20, 1, 5), 2),
    ("x[1:1].unflatten(1, (2, 2))", (0, 2, 2, 5), (20, 10, 5, 1), 20),
    ("x[1:1].detach()", (0, 4, 5), (20, 5, 1), 20),
    ("x[:, 2:2].permute(2, 0, 1)", (5, 3, 0), (1, 20, 5), 10),
    ("x.as_strided((0, 2), (1, 1), 7)", (0, 2), (1, 1), 7),
    ("tg.zeros(0, 3)[:, 1:1]", (0, 0), (3, 1), 1),
]


@pytest.mark.parametrize("expr,shape,stride,offset", EMPTY_VIEWS, ids=[e[0] for e in EMPTY_VIEWS])
def test_empty_view_layout_as_pytorch(expr, shape, stride, offset):
    x = tg.arange(60.).reshape(3, 4, 5)
    v = x[1:]
    r = eval(expr, {"x": x, "v": v, "tg": tg})
    assert (tuple(r.shape), r.stride(), r.storage_offset()) == (shape, stride, offset)


EMPTY_PIECES = [
    ("x.split([2, 0, 2], 1)", [((3, 2, 5), (20, 5, 1), 0), ((3, 0, 5), (20, 5, 1), 10), ((3, 2, 5), (20, 5, 1), 10)]),
    ("x.tensor_split(5, 0)", [((1, 4, 5), (20, 5, 1), 0), ((1, 4, 5), (20, 5, 1), 20), ((1, 4, 5), (20, 5, 1), 40),
                              ((0, 4, 5), (20, 5, 1), 60), ((0, 4, 5), (20, 5, 1), 60)]),
    ("x[:, 0:0].unbind(0)", [((0, 5), (5, 1), 0), ((0, 5), (5, 1), 20), ((0, 5), (5, 1), 40)]),
    ("x.split([3, 0], 0)", [((3, 4, 5), (20, 5, 1), 0), ((0, 4, 5), (20, 5, 1), 60)]),
]


@pytest.mark.parametrize("expr,pieces", EMPTY_PIECES, ids=[e[0] for e in EMPTY_PIECES])
def test_empty_pieces_layout_as_pytorch(expr, pieces):
    x = tg.arange(60.).reshape(3, 4, 5)
    got = [(tuple(p.shape), p.stride(), p.storage_offset()) for p in eval(expr, {"x": x})]
    assert got == pieces


def test_empty_view_with_grad_keeps_its_offset():
    pytest.importorskip("tensorgraft.autograd")
    x = tg.arange(12.).reshape(3, 4).requires_grad_()
    e = x[:, 3:3]
    assert (e.storage_offset(), e.stride()) == (3, (4, 1))


# --------------------------------------------------------------------------- einsum
def _rand(*shapes, dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


EINSUM_LAYOUTS = [  # equation, shapes -> PyTorch 2.13's strides of the result
    ("ij,jk->ik", [(3, 4), (4, 5)], (5, 1)),
    ("ij,jk->ki", [(3, 4), (4, 5)], (3, 1)),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)], (15, 5, 1)),
    ("bij,bjk->bik", [(1, 3, 4), (5, 4, 2)], (2, 10, 1)),
    ("bij,bjk->bki", [(1, 3, 4), (5, 4, 2)], (6, 3, 1)),
    ("bhqd,bhkd->bhqk", [(2, 3, 4, 5), (2, 3, 6, 5)], (72, 24, 6, 1)),
    ("...ij,...jk->...ik", [(2, 3, 20, 30), (3, 30, 10)], (200, 400, 10, 1)),
    ("acj,bj->abc", [(2, 5, 4), (3, 4)], (15, 1, 3)),
    ("acj,bdj->bdac", [(2, 5, 4), (3, 6, 4)], (60, 10, 5, 1)),
    ("j,i->ij", [(3,), (4,)], (3, 1)),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)], (5, 1)),
]


@pytest.mark.parametrize("eq,shapes,stride", EINSUM_LAYOUTS, ids=[e[0] for e in EINSUM_LAYOUTS])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_einsum_layout_and_values(eq, shapes, stride, dtype):
    arrays = _rand(*shapes, dtype=np.float64)
    if dtype is np.int64:
        arrays = [np.round(a * 3) for a in arrays]
    arrays = [a.astype(dtype) for a in arrays]
    out = tg.einsum(eq, *[tg.tensor(a) for a in arrays])
    assert out.stride() == stride
    expected = np.einsum(eq, *[a.astype(np.float64) for a in arrays])
    np.testing.assert_allclose(out.numpy().astype(np.float64), expected, rtol=1e-5, atol=1e-5)


def test_einsum_contiguous_result_can_be_viewed():
    a, b = (tg.tensor(x) for x in _rand((6, 7), (7, 8)))
    r = tg.einsum("ij,jk->ik", a, b)
    assert r.is_contiguous() and tuple(r.view(-1).shape) == (48,)


def test_einsum_runs_through_bmm_kernel():
    # PyTorch's einsum calls bmm: the same products give the same bits
    a, b = (tg.tensor(x) for x in _rand((4, 30, 40), (4, 40, 50)))
    assert np.array_equal(tg.einsum("bij,bjk->bik", a, b).numpy(), tg.bmm(a, b).numpy())
    q, k = (tg.tensor(x) for x in _rand((2, 3, 8, 16), (2, 3, 9, 16), seed=1))
    ref = tg.bmm(q.reshape(6, 8, 16), k.reshape(6, 9, 16).transpose(1, 2)).reshape(2, 3, 8, 9)
    assert np.array_equal(tg.einsum("bhqd,bhkd->bhqk", q, k).numpy(), ref.numpy())


EINSUM_EDGES = [
    ("ij,jk->", [(2, 3), (3, 4)]), ("ij,j->", [(3, 1), (5,)]), ("i,j->", [(3,), (4,)]), ("ij,jk->ik", [(0, 3), (3, 4)]),
    ("ij,jk->ik", [(2, 0), (0, 4)]), ("ii,ii->i", [(3, 3), (3, 3)]), ("iij,jk->ik", [(3, 3, 4), (4, 5)]),
    ("ab,bc,cd,de->ae", [(2, 3), (3, 4), (4, 5), (5, 6)]), ("bn,anm,bm->ba", [(4, 5), (3, 5, 6), (4, 6)]),
    ("ij,ji->", [(4, 4), (4, 4)]), ("i,i->i", [(1,), (5,)]), ("ijk,ikl->jl", [(1, 2, 3), (1, 3, 4)]),
]


@pytest.mark.parametrize("eq,shapes", EINSUM_EDGES, ids=[e[0] for e in EINSUM_EDGES])
@pytest.mark.parametrize("dtype", [np.float64, np.complex64])
def test_einsum_edge_cases_values(eq, shapes, dtype):
    arrays = [a.astype(dtype) for a in _rand(*shapes, dtype=np.float64, seed=3)]
    out = tg.einsum(eq, *[tg.tensor(a) for a in arrays])
    expected = np.einsum(eq, *arrays)
    assert tuple(out.shape) == expected.shape
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-5)


def test_einsum_workloads_run_and_agree_with_numpy():
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[3] / "benchmarks"))
    try:
        from workloads import einsum as ew
    except ImportError:  # (an installed core without the repository's benchmarks)
        pytest.skip("benchmarks/ is not next to this package")
    finally:
        sys.path.pop(0)
    threads = tg.get_num_threads()  # (the workloads time one thread)
    try:
        for w in ew.WORKLOADS:
            ours, theirs = w.tensorgraft()(), w.numpy()()
            np.testing.assert_allclose(ours.numpy(), theirs, rtol=1e-4, atol=1e-3)
    finally:
        tg.set_num_threads(threads)
    assert {w.name for w in ew.WORKLOADS} == {p[2] for p in ew.PATTERNS}


# --------------------------------------------------------------------------- the module splits
def test_names_stay_importable_where_they_were():
    from tensorgraft.serialization.pytorch_files import (  # noqa: F401
        _STORAGE_DTYPES, _allowed_name, default_allowed_names, globals_of_file, load_legacy, load_zip)
    from tensorgraft.storage import (  # noqa: F401
        TypedStorage, UntypedStorage, apply_, is_storage, map2_, map_, owner_array, place_in_storage, rebuild_view,
        resize_, set_, storage_base, storage_offset, view_in_storage)
    assert _STORAGE_DTYPES["FloatStorage"] == "float32"
    assert "torch._utils._rebuild_tensor_v2" in default_allowed_names()
