"""vmap results the OpInfo oracle's vmap check (``tests/test_pytorch_opinfo_oracle.py::test_vmap_matches_pytorch``)
found differing from torch.vmap, pinned with PyTorch 2.13's values: products with an empty inner dim,
masked_fill with each sample's own value, the nuclear norm of each sample, argwhere through the
per-sample fallback, as_strided windows counted from each sample's own memory, ``to``/``type_as`` a
batched tensor, and diff with unbatched prepend/append."""
from __future__ import annotations

import numpy as np
import pytest

import tensorgraft as tg

pytest.importorskip("tensorgraft.func")


@pytest.mark.parametrize("op", ["mm", "matmul"])
def test_batched_product_with_an_empty_inner_dim(op):
    a, b = tg.zeros(3, 5, 0), tg.zeros(3, 0, 10)
    out = tg.vmap(getattr(tg, op))(a, b)
    assert tuple(out.shape) == (3, 5, 10) and not out.any()
    out = tg.vmap(getattr(tg, op), in_dims=(0, None))(a, tg.zeros(0, 10))
    assert tuple(out.shape) == (3, 5, 10)


def test_masked_fill_with_each_samples_value():
    mask = tg.tensor([True, False, True])
    x, v = tg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), tg.tensor([10.0, 20.0])
    assert tg.vmap(lambda a, b: a.masked_fill(mask, b))(x, v).tolist() == [[10.0, 2.0, 10.0], [20.0, 5.0, 20.0]]
    # an unbatched input with a batched value: the result is batched
    assert tg.vmap(lambda b: tg.ones(3).masked_fill(mask, b))(v).tolist() == [[10.0, 1.0, 10.0], [20.0, 1.0, 20.0]]


def test_nuclear_norm_of_each_sample():
    A = tg.tensor([[[3.0, 1.0], [0.0, 2.0]], [[1.0, 1.0], [1.0, -1.0]], [[0.5, 0.0], [2.0, 4.0]]])
    np.testing.assert_allclose(tg.vmap(lambda a: tg.norm(a, "nuc"))(A).numpy(),
                               [5.099019527435303, 2.8284270763397217, 4.924428939819336], rtol=1e-6)


def test_argwhere_runs_per_sample():
    assert tg.vmap(tg.argwhere)(tg.tensor([[0.0, 1.0], [2.0, 0.0]])).tolist() == [[[1]], [[0]]]


def test_as_strided_windows_count_from_each_sample():
    s = tg.arange(30.0).reshape(3, 10)
    assert tg.vmap(lambda a: tg.as_strided(a, (2, 2), (1, 2), 1))(s).tolist() == [
        [[1.0, 3.0], [2.0, 4.0]], [[11.0, 13.0], [12.0, 14.0]], [[21.0, 23.0], [22.0, 24.0]]]
    # a batch along dim 1: each sample's memory starts one element further
    t = tg.arange(30.0).reshape(10, 3)
    assert tg.vmap(lambda a: tg.as_strided(a, (2, 2), (1, 2)), in_dims=1)(t)[2].tolist() == [[2.0, 4.0], [3.0, 5.0]]


def test_to_and_type_as_a_batched_tensor_take_its_dtype_only():
    a, o = tg.ones(2, 2), tg.zeros(3, 2, 2, dtype=tg.float64)
    out = tg.vmap(lambda x, y: x.to(y), in_dims=(None, 0))(a, o)
    # as torch.vmap: the unbatched result is expanded over the batch
    assert tuple(out.shape) == (3, 2, 2) and out.dtype == tg.float64 and out.eq(1).all()
    assert tg.vmap(lambda x, y: x.type_as(y))(tg.ones(3, 2), o[:, 0]).dtype == tg.float64


def test_diff_with_an_unbatched_prepend_and_append():
    x = tg.arange(30.0).reshape(3, 2, 5)
    p = tg.full((1, 5), 100.0)
    out = tg.vmap(lambda a: tg.diff(a, 1, 0, p, p))(x)
    assert tuple(out.shape) == (3, 3, 5)
    assert out[1].tolist() == [[-90.0, -89.0, -88.0, -87.0, -86.0], [5.0] * 5, [85.0, 84.0, 83.0, 82.0, 81.0]]
