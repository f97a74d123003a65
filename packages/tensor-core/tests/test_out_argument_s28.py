"""out= where it was taken and dropped, or missing (found by opinfo.check_out against PyTorch 2.13):
the legacy torch.cholesky/qr/svd/lu/lu_unpack and vdot wrote nothing into ``out`` and returned a new
tensor; bitwise_or, index_copy, index_reduce, scatter, scatter_add, scatter_reduce and linalg.lstsq
had no out=. Each now writes the result into ``out`` and returns it (or its tensors, in PyTorch's
result type)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import tensorgraft as tg


@pytest.fixture
def spd():
    a = tg.tensor(np.random.default_rng(3).standard_normal((4, 4)))
    return a @ a.T + 4 * tg.eye(4, dtype=tg.float64)


def test_legacy_cholesky_writes_out(spd):
    out = tg.empty(4, 4, dtype=tg.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (torch.cholesky's deprecation notice)
        assert tg.cholesky(spd, out=out) is out
        assert tg.allclose(out, tg.cholesky(spd))


def test_vdot_writes_out():
    out = tg.empty(())
    assert tg.vdot(tg.ones(5), tg.full((5,), 2.0), out=out) is out and out.item() == 10.0
    assert tg.dot(tg.ones(5), tg.ones(5), out=out) is out and out.item() == 5.0


def test_legacy_factorizations_write_their_outs(spd):
    q, r = tg.empty(4, 4, dtype=tg.float64), tg.empty(4, 4, dtype=tg.float64)
    res = tg.qr(spd, out=(q, r))
    assert type(res).__name__ == "qr_out" and res[0] is q and res[1] is r and tg.allclose(q @ r, spd)
    u, s, v = (tg.empty(4, 4, dtype=tg.float64), tg.empty(4, dtype=tg.float64), tg.empty(4, 4, dtype=tg.float64))
    res = tg.svd(spd, out=(u, s, v))
    assert type(res).__name__ == "svd_out" and res[1] is s and tg.allclose(u @ tg.diag(s) @ v.T, spd)
    lu, piv = tg.empty(4, 4, dtype=tg.float64), tg.empty(4, dtype=tg.int32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (torch.lu's deprecation notice)
        res = tg.lu(spd, out=(lu, piv))
    assert type(res) is tuple and res[0] is lu and res[1] is piv
    P, L, U = (tg.empty(4, 4, dtype=tg.float64) for _ in range(3))
    res = tg.lu_unpack(lu, piv, out=(P, L, U))
    assert type(res).__name__ == "lu_unpack_out" and res[2] is U and tg.allclose(P @ L @ U, spd)


def test_ops_that_had_no_out_take_it():
    out = tg.empty(3, dtype=tg.int64)
    assert tg.bitwise_or(tg.tensor([1, 2, 4]), 8, out=out) is out and out.tolist() == [9, 10, 12]
    x, index = tg.zeros(3, 3), tg.tensor([[0, 1, 2]])
    for call, total in ((lambda o: tg.scatter(x, 0, index, 1.0, out=o), 3.0),
                        (lambda o: tg.scatter_add(x, 0, index, tg.ones(1, 3), out=o), 3.0),
                        (lambda o: tg.scatter_reduce(x, 0, index, tg.ones(1, 3), "sum", out=o), 3.0),
                        (lambda o: tg.index_copy(x, 0, tg.tensor([1]), tg.ones(1, 3), out=o), 3.0),
                        (lambda o: tg.index_reduce(x, 0, tg.tensor([1]), tg.ones(1, 3), "amax", out=o), 3.0)):
        out = tg.empty(3, 3)
        assert call(out) is out and out.sum().item() == total
    assert x.sum().item() == 0.0  # (out of place: the input is untouched)


def test_linalg_lstsq_writes_out(spd):
    b = tg.ones(4, 1, dtype=tg.float64)
    expected = tg.linalg.lstsq(spd, b)
    outs = tuple(tg.empty(tuple(t.shape), dtype=t.dtype) for t in expected)
    res = tg.linalg.lstsq(spd, b, out=outs)
    assert all(r is o for r, o in zip(res, outs)) and tg.allclose(outs[0], expected.solution)
