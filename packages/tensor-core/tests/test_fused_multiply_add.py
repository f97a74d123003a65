"""``y + alpha * x`` rounded once (``ops/fused_multiply_add.py``), as PyTorch's CPU kernels compute
add/sub/rsub with ``alpha=`` and lerp with a number weight. The reference is the fused multiply-add
computed in float64 for float32 operands (the product is exact there, so only the sum rounds; a
double rounding differs from a true fused multiply-add in about one case in 2**29, none in these
samples). The unfused spelling (round the product, then add) differs from it in a few percent of the
elements, so each test fails if the one rounding is lost."""
import subprocess
import sys

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.ops import fused_multiply_add as fma_module

F32 = np.float32


def _fma32(a, b, c):
    """a * b + c for float32 arrays, rounded once."""
    return (np.asarray(a, np.float64) * np.asarray(b, np.float64) + np.asarray(c, np.float64)).astype(F32)


def _pair(shape=(257, 39), seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape).astype(F32), rng.standard_normal(shape).astype(F32)


def _bits(a):
    return np.ascontiguousarray(a).view(np.uint32)


def test_the_unfused_spelling_differs_from_the_reference():
    # (what makes the tests below able to fail)
    p, g = _pair()
    assert (_bits(p + F32(-0.01) * g) != _bits(_fma32(g, F32(-0.01), p))).mean() > 0.01


@pytest.mark.parametrize("layout", ["contiguous", "transposed", "strided"])
def test_add_scaled_writes_one_rounding_in_place(layout):
    p, g = _pair()
    if layout == "transposed":
        y, g = p.T, g.T
    elif layout == "strided":
        y, g = p[:, ::2], g[:, ::2]
    else:
        y = p
    assert y.flags.c_contiguous == (layout == "contiguous") and y.flags.f_contiguous == (layout == "transposed")
    y_before = y.copy()
    assert fma_module.add_scaled_(y, -0.01, g)
    np.testing.assert_array_equal(_bits(y), _bits(_fma32(g, F32(-0.01), y_before)))


def test_add_scaled_declines_what_it_cannot_compute():
    y = np.ones(4, F32)
    assert not fma_module.add_scaled_(y, 2.0, np.ones(4, np.float64))  # another dtype
    assert not fma_module.add_scaled_(y, 2.0, np.ones(3, F32))  # another shape
    assert not fma_module.add_scaled_(np.ones(4, np.int64), 2, np.ones(4, np.int64))  # no rounding to fuse
    read_only = np.ones(4, F32)
    read_only.flags.writeable = False
    assert not fma_module.add_scaled_(read_only, 2.0, np.ones(4, F32))
    assert y.tolist() == [1.0] * 4


def test_add_scaled_reads_an_overlapping_operand_before_writing():
    y = np.arange(8, dtype=F32)
    assert fma_module.add_scaled_(y[1:], 2.0, y[:-1])  # y[i] += 2 y[i - 1], from the old values
    assert y.tolist() == [0.0, 1.0, 4.0, 7.0, 10.0, 13.0, 16.0, 19.0]
    z = np.arange(4, dtype=F32)
    assert fma_module.add_scaled_(z, 3.0, z)  # the same array: each element read before it is written
    assert z.tolist() == [0.0, 4.0, 8.0, 12.0]


def test_scaled_sum_broadcasts_and_keeps_the_layout():
    p, g = _pair((6, 5))
    r = fma_module.scaled_sum(p, 0.3, g[0])
    np.testing.assert_array_equal(_bits(r), _bits(_fma32(np.broadcast_to(g[0], p.shape), F32(0.3), p)))
    r = fma_module.scaled_sum(p[0], 0.3, g)  # the base broadcast
    np.testing.assert_array_equal(_bits(r), _bits(_fma32(g, F32(0.3), np.broadcast_to(p[0], g.shape))))
    assert fma_module.scaled_sum(p.T, 0.3, g.T).flags.f_contiguous
    assert fma_module.scaled_sum(p.astype(np.float16), 0.3, g.astype(np.float16)) is None


@pytest.mark.parametrize("call", ["add", "sub", "rsub", "add_", "sub_", "add_out", "add_grad"])
def test_add_sub_with_alpha_round_once(call):
    p, g = _pair()
    alpha = 0.37
    sign = -1 if call.startswith("sub") else 1
    if call == "add":
        r = tg.add(tg.tensor(p), tg.tensor(g), alpha=alpha)
    elif call == "sub":
        r = tg.sub(tg.tensor(p), tg.tensor(g), alpha=alpha)
    elif call == "rsub":  # p - alpha * g
        r = tg.rsub(tg.tensor(g), tg.tensor(p), alpha=alpha)
        sign = -1
    elif call in ("add_", "sub_"):
        r = tg.tensor(p)
        getattr(r, call)(tg.tensor(g), alpha=alpha)
    elif call == "add_out":
        r = tg.empty(p.shape)
        tg.add(tg.tensor(p), tg.tensor(g), alpha=alpha, out=r)
    else:  # recording: one AddBackward0 node, the same value
        pytest.importorskip("tensorgraft.autograd")
        x = tg.tensor(g, requires_grad=True)
        r = tg.add(tg.tensor(p), x, alpha=alpha)
        assert r.grad_fn.name() == "AddBackward0"
        r = r.detach()
    expected = _fma32(g, F32(sign * alpha), p)
    np.testing.assert_array_equal(_bits(r.numpy()), _bits(expected))


def test_add_with_alpha_in_float64_is_one_fused_multiply_add():
    # float64 has no wider type to check against; the fused result is the unfused one where the
    # product is exact (alpha a power of two) and differs from it elsewhere
    rng = np.random.default_rng(1)
    p, g = rng.standard_normal(5000), rng.standard_normal(5000)
    exact = tg.add(tg.tensor(p), tg.tensor(g), alpha=0.5).numpy()
    assert (exact == p + 0.5 * g).all()
    fused = tg.add(tg.tensor(p), tg.tensor(g), alpha=0.1).numpy()
    assert (fused != p + 0.1 * g).any()
    assert np.abs(fused - (p + 0.1 * g)).max() <= 4.5e-16 * np.abs(fused).max()


@pytest.mark.parametrize("weight", [0.1, 0.001, -0.3, 0.5, 0.9, 1.7])
@pytest.mark.parametrize("call", ["lerp", "lerp_", "lerp_grad"])
def test_lerp_with_a_number_weight_rounds_once(weight, call):
    a, b = _pair()
    if call == "lerp":
        r = tg.lerp(tg.tensor(a), tg.tensor(b), weight)
    elif call == "lerp_":
        r = tg.tensor(a)
        r.lerp_(tg.tensor(b), weight)
    else:
        pytest.importorskip("tensorgraft.autograd")
        r = tg.lerp(tg.tensor(a, requires_grad=True), tg.tensor(b), weight)
        assert r.grad_fn.name() == "LerpBackward0"
        r = r.detach()
    w = F32(weight)
    d = b - a
    expected = _fma32(w, d, a) if abs(w) < 0.5 else _fma32(w - F32(1), d, b)
    np.testing.assert_array_equal(_bits(r.numpy()), _bits(expected))


def test_lerp_keeps_its_ends_exact():
    a, b = _pair((100,))
    assert (tg.lerp(tg.tensor(a), tg.tensor(b), 0.0).numpy() == a).all()
    assert (tg.lerp(tg.tensor(a), tg.tensor(b), 1.0).numpy() == b).all()


def test_set_num_threads_reaches_the_blas_loaded_later():
    # SciPy's OpenBLAS is loaded at the first fused multiply-add, after set_num_threads ran: the
    # limit must reach it too (a fresh interpreter, where nothing has loaded it yet)
    pytest.importorskip("threadpoolctl")
    code = ("import sys, tensorgraft as tg; tg.set_num_threads(1); assert 'scipy.linalg' not in sys.modules; "
            "tg.ones(3).add_(tg.ones(3), alpha=2); assert 'scipy.linalg' in sys.modules; "
            "from threadpoolctl import threadpool_info; "
            "print(sorted({i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[1]"


def test_scipys_own_blas_runs_one_thread_unless_a_count_was_set():
    # Without set_num_threads, SciPy's own OpenBLAS (loaded at the first fused multiply-add) gets one
    # thread and NumPy's keeps its own count: two OpenBLAS pools used in turn made each other's
    # waiting threads take the cores (a training loop 4x slower on two cores). A fresh interpreter.
    pytest.importorskip("threadpoolctl")
    code = ("import numpy, tensorgraft as tg; from threadpoolctl import threadpool_info as info; "
            "before = {i['filepath']: i['num_threads'] for i in info() if i['user_api'] == 'blas'}; "
            "tg.ones(3).add_(tg.ones(3), alpha=2); "
            "from tensorgraft.threads import scipy_own_blas, _controller; own = scipy_own_blas(_controller()); "
            "after = {i['filepath']: i['num_threads'] for i in info() if i['user_api'] == 'blas'}; "
            "print([i['num_threads'] for i in own.info()] if own else 'shared', len(before), "
            "all(after[p] == n for p, n in before.items()))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    if out.stdout.startswith("shared"):
        pytest.skip("SciPy shares NumPy's BLAS library here: there is no second pool to keep at one thread")
    assert out.stdout.strip() == "[1] 1 True", out.stdout  # SciPy's: 1 thread; NumPy's: as it was


@pytest.mark.parametrize("weight", [0.25, 0.75])
@pytest.mark.parametrize("in_place", [False, True])
@pytest.mark.parametrize("order", ["C", "F"])
def test_lerp_into_runs_block_by_block_to_the_same_values(weight, in_place, order):
    rng = np.random.default_rng(2)
    a = np.asarray(rng.standard_normal((3, 70001)).astype(F32), order=order)  # 3.2 blocks
    b = np.asarray(rng.standard_normal((3, 70001)).astype(F32), order=order)
    w = F32(weight)
    expected = _fma32(w, b - a, a) if w < 0.5 else _fma32(w - F32(1), b - a, b)
    out = a if in_place else np.empty_like(a)
    a_before = a.copy()
    assert fma_module.lerp_into(out, a, b, weight)
    np.testing.assert_array_equal(_bits(out), _bits(expected))
    if not in_place:
        np.testing.assert_array_equal(a, a_before)


def test_lerp_into_declines_what_it_cannot_compute():
    a, b = _pair((4, 5))
    out = np.zeros_like(a)
    assert not fma_module.lerp_into(out, a, b.astype(np.float64), 0.3)  # mixed dtypes
    assert not fma_module.lerp_into(out, a, b[:, :1], 0.3)  # a broadcast end
    assert not fma_module.lerp_into(out, a, np.asfortranarray(b), 0.3)  # layouts differ
    assert not fma_module.lerp_into(out, a, out, 0.3)  # out is end
    assert (out == 0).all()
    line = np.zeros(21, F32)
    assert not fma_module.lerp_into(line[1:], line[:-1], b.reshape(-1)[:20], 0.3)  # start overlaps out
    assert (line == 0).all()


def test_without_scipys_blas_the_ops_keep_numpys_two_roundings(monkeypatch):
    # (SciPy is a dependency, but a broken install must not break add/lerp)
    monkeypatch.setattr(fma_module, "_axpy", {np.dtype(F32): None, np.dtype(np.float64): None})
    p, g = _pair()
    assert not fma_module.add_scaled_(p.copy(), 0.3, g) and not fma_module.add_scaled_(p.copy()[:, ::2], 0.3, g[:, ::2])
    assert not fma_module.lerp_into(np.empty_like(p), p, g, 0.3)
    np.testing.assert_array_equal(tg.add(tg.tensor(p), tg.tensor(g), alpha=0.3).numpy(), p + F32(0.3) * g)
    x = tg.tensor(p)
    x.lerp_(tg.tensor(g), 0.25)
    np.testing.assert_array_equal(x.numpy(), p + F32(0.25) * (g - p))
