"""Compressed sparse tensors (CSR, CSC, BSR, BSC) on their own: construction and its checks,
conversions, the arrays PyTorch's layouts hold, products, elementwise ops, in-place writes,
factories and save/load. (Gradients: the autograd-engine's test_sparse_compressed_gradients.py;
PyTorch side by side: test_sparse_compressed_oracle.py.)"""
from __future__ import annotations

import io

import numpy as np
import pytest

import tensorgraft as tg

DENSE = np.array([[1.0, 0.0, 2.0, 0.0],
                  [0.0, 0.0, 3.0, 0.0],
                  [4.0, 5.0, 0.0, 6.0]], np.float32)
LAYOUTS = ["csr", "csc"]
BLOCK_LAYOUTS = [("bsr", (1, 2)), ("bsc", (3, 1)), ("bsr", (3, 2))]


def _convert(t, name, blocksize=None):
    return getattr(t, "to_sparse_" + name)(*(() if blocksize is None else (blocksize,)))


@pytest.mark.parametrize("name", LAYOUTS)
def test_round_trip_and_arrays(name):
    c = _convert(tg.tensor(DENSE), name)
    assert c.layout is getattr(tg, "sparse_" + name)
    assert c.shape == (3, 4) and c.dtype is tg.float32 and c._nnz() == 6
    assert (c.sparse_dim(), c.dense_dim()) == (2, 0)
    np.testing.assert_array_equal(c.to_dense().numpy(), DENSE)
    if name == "csr":
        assert c.crow_indices().tolist() == [0, 2, 3, 6]
        assert c.col_indices().tolist() == [0, 2, 2, 0, 1, 3]
        assert c.values().tolist() == [1, 2, 3, 4, 5, 6]
        assert c.is_sparse_csr and not c.is_sparse
    else:
        assert c.ccol_indices().tolist() == [0, 2, 3, 5, 6]
        assert c.row_indices().tolist() == [0, 2, 2, 0, 1, 2]
        assert c.values().tolist() == [1, 4, 5, 2, 3, 6]
        assert not c.is_sparse_csr


@pytest.mark.parametrize("name,blocksize", BLOCK_LAYOUTS)
def test_block_layouts_round_trip(name, blocksize):
    c = _convert(tg.tensor(DENSE), name, blocksize)
    assert c.values().shape[1:] == blocksize
    np.testing.assert_array_equal(c.to_dense().numpy(), DENSE)
    # the COO form keeps each stored block's zeros as entries, and densifies to the same matrix
    coo = c.to_sparse()
    assert coo.is_sparse and coo._nnz() == c._nnz() * blocksize[0] * blocksize[1]
    np.testing.assert_array_equal(coo.to_dense().numpy(), DENSE)


def test_blocksize_must_divide_the_matrix():
    with pytest.raises(RuntimeError, match=r"must be divisible by given blocksize \(2,2\)"):
        tg.tensor(DENSE).to_sparse_bsr((2, 2))
    with pytest.raises(TypeError, match="blocksize"):
        tg.tensor(DENSE).to_sparse_bsr()


def test_conversions_between_layouts_keep_the_matrix():
    t = tg.tensor(DENSE)
    for a in ("csr", "csc"):
        for b in ("csr", "csc"):
            out = _convert(_convert(t, a), b)
            assert out.layout is getattr(tg, "sparse_" + b)
            np.testing.assert_array_equal(out.to_dense().numpy(), DENSE)
    coo = t.to_sparse()
    np.testing.assert_array_equal(coo.to_sparse_csr().to_dense().numpy(), DENSE)
    assert t.to_sparse(layout=tg.sparse_csc).layout is tg.sparse_csc
    c = t.to_sparse_csr()
    assert c.to_sparse_csr() is c  # (the same layout: the tensor itself, as PyTorch)
    with pytest.raises(RuntimeError, match="sparse_dim\\(\\)!=2 is not supported"):
        tg.ones(2, 2, 2).to_sparse().to_sparse_csr()


def test_batched_and_hybrid():
    t = tg.tensor(np.stack([DENSE, DENSE * 2]))
    c = t.to_sparse_csr()
    assert c.crow_indices().shape == (2, 4) and c.col_indices().shape == (2, 6) and c._nnz() == 6
    np.testing.assert_array_equal(c.to_dense().numpy(), t.numpy())
    h = tg.ones(2, 3, 5).to_sparse_csr(dense_dim=1)
    assert h.values().shape == (6, 5) and h.dense_dim() == 1
    np.testing.assert_array_equal(h.to_dense().numpy(), np.ones((2, 3, 5)))
    uneven = tg.tensor([[[1.0, 0.0], [0.0, 0.0]], [[1.0, 1.0], [0.0, 0.0]]])
    with pytest.raises(RuntimeError, match="Expect the same number of specified elements per batch"):
        uneven.to_sparse_csr()
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        tg.ones(3).to_sparse_csr()


def test_factories_build_and_infer_the_size():
    c = tg.sparse_csr_tensor(tg.tensor([0, 2, 3]), tg.tensor([0, 2, 1]), tg.tensor([1.0, 2.0, 3.0]))
    assert c.shape == (2, 3)
    np.testing.assert_array_equal(c.to_dense().numpy(), [[1, 0, 2], [0, 3, 0]])
    c = tg.sparse_csc_tensor([0, 1, 1, 2], [1, 0], [5.0, 6.0], (2, 3), dtype=tg.float64)
    assert c.dtype is tg.float64 and c.layout is tg.sparse_csc
    np.testing.assert_array_equal(c.to_dense().numpy(), [[0, 0, 6], [5, 0, 0]])
    b = tg.sparse_bsr_tensor([0, 1], [1], tg.ones(1, 2, 2), (2, 4))
    np.testing.assert_array_equal(b.to_dense().numpy(), [[0, 0, 1, 1], [0, 0, 1, 1]])
    b = tg.sparse_bsc_tensor([0, 0, 1], [0], tg.arange(4.0).reshape(1, 2, 2), (2, 4))
    np.testing.assert_array_equal(b.to_dense().numpy(), [[0, 0, 0, 1], [0, 0, 2, 3]])
    g = tg.sparse_compressed_tensor([0, 1], [0], [7.0], (1, 1), layout=tg.sparse_csr)
    assert g.to_dense().item() == 7.0
    i32 = tg.sparse_csr_tensor(tg.tensor([0, 1], dtype=tg.int32), tg.tensor([0], dtype=tg.int32), [1.0])
    assert i32.crow_indices().dtype is tg.int32


@pytest.mark.parametrize("crow,col,values,size,message", [
    ([0, 1, 3], [0, 1], [1.0, 2.0], (2, 3), r"`crow_indices\[..., -1\] == nnz` is not satisfied"),
    ([0, 1, 2], [0, 5], [1.0, 2.0], (2, 3), r"`0 <= col_indices < ncols` is not satisfied"),
    ([0, 1], [0, 1], [1.0, 2.0], (2, 3), r"number of rows \+ 1 \(=3\), but got 2"),
    ([1, 1, 2], [0, 1], [1.0, 2.0], (2, 3), r"`crow_indices\[..., 0\] == 0` is not satisfied"),
    ([0, 2, 2], [1, 0], [1.0, 2.0], (2, 3), "are sorted and distinct"),
    ([0, 2, 2], [1, 1], [1.0, 2.0], (2, 3), "are sorted and distinct"),
    ([0, 1, 2], [0, 1], [1.0, 2.0, 3.0], (2, 3), r"must be equal to nnz \(=3\)"),
])
def test_factory_invariants_are_checked(crow, col, values, size, message):
    with pytest.raises(RuntimeError, match=message):
        tg.sparse_csr_tensor(crow, col, values, size)


def test_factory_refusals():
    with pytest.raises(RuntimeError, match="must have the same dtype, but got Int and Long"):
        tg.sparse_csr_tensor(tg.tensor([0, 1], dtype=tg.int32), tg.tensor([0]), [1.0])
    with pytest.raises(RuntimeError, match="int32 or int64"):
        tg.sparse_csr_tensor(tg.tensor([0.0, 1.0]), tg.tensor([0.0]), [1.0])
    with pytest.raises(RuntimeError, match="layout must be one of"):
        tg.sparse_compressed_tensor([0, 1], [0], [1.0], layout=tg.strided)
    with pytest.raises(RuntimeError, match="live on the CPU"):
        tg.sparse_csr_tensor([0, 1], [0], [1.0], device="meta")
    # a row boundary may step down: [0, 2] then [1] is sorted within each row
    ok = tg.sparse_csr_tensor([0, 2, 3], [0, 2, 1], [1.0, 2.0, 3.0], (2, 3))
    assert ok._nnz() == 3


def test_wrong_accessors_name_the_layout():
    c = tg.tensor(DENSE).to_sparse_csr()
    with pytest.raises(RuntimeError, match="ccol_indices expected sparse column compressed tensor layout but got "
                                           "SparseCsr"):
        c.ccol_indices()
    with pytest.raises(RuntimeError, match="indices expected sparse coordinate tensor layout but got SparseCsr"):
        c.indices()
    with pytest.raises(RuntimeError, match="crow_indices expected sparse row compressed tensor layout but got "
                                           "Strided"):
        tg.ones(2, 2).crow_indices()
    with pytest.raises(RuntimeError, match="do not have strides"):
        c.stride()
    with pytest.raises(TypeError, match="can't convert SparseCsr layout tensor to numpy"):
        c.numpy()
    with pytest.raises(RuntimeError, match="live on the CPU"):
        c.to("meta")


@pytest.mark.parametrize("name,blocksize", [("csr", None), ("csc", None), ("bsr", (1, 2)), ("bsc", (3, 1))])
@pytest.mark.parametrize("dtype", [tg.float32, tg.float64, tg.int64])
def test_products_match_dense(name, blocksize, dtype):
    rng = np.random.default_rng(0)
    a = tg.tensor(DENSE).to(dtype)
    c = _convert(a, name, blocksize)
    b = tg.tensor(rng.integers(-3, 4, (4, 5))).to(dtype)
    v = tg.tensor(rng.integers(-3, 4, 4)).to(dtype)
    expected = a.numpy() @ b.numpy()
    np.testing.assert_allclose((c @ b).numpy(), expected)
    np.testing.assert_allclose(tg.mm(c, b).numpy(), expected)
    np.testing.assert_allclose(tg.matmul(c, b).numpy(), expected)
    np.testing.assert_allclose((c @ v).numpy(), a.numpy() @ v.numpy())
    left = tg.tensor(rng.integers(-3, 4, (2, 3))).to(dtype)
    np.testing.assert_allclose((left @ c).numpy(), left.numpy() @ a.numpy())
    if dtype.is_floating_point:
        out = tg.addmm(tg.ones(3, 5, dtype=dtype), c, b, beta=0.5, alpha=2.0)
        np.testing.assert_allclose(out.numpy(), 0.5 + 2.0 * expected, rtol=1e-6)


def test_sparse_times_sparse_is_sparse():
    a = tg.tensor(DENSE).to_sparse_csr()
    out = a @ a.t().to_sparse_csr()
    assert out.layout is tg.sparse_csr
    np.testing.assert_allclose(out.to_dense().numpy(), DENSE @ DENSE.T)
    with pytest.raises(RuntimeError, match="not implemented for SparseCsr @ Sparse"):
        a @ tg.tensor(DENSE.T).to_sparse()


@pytest.mark.parametrize("reduce", ["sum", "mean", "amax", "amin", "max", "min"])
def test_sparse_mm_reduce(reduce):
    a = tg.tensor(DENSE).to_sparse_csr()
    b = tg.tensor(np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32))
    out = tg.sparse.mm(a, b, reduce).numpy()
    products = [[DENSE[i, k] * b.numpy()[k] for k in range(4) if DENSE[i, k]] for i in range(3)]
    fn = {"sum": np.sum, "mean": np.mean, "amax": np.max, "amin": np.min, "max": np.max, "min": np.min}[reduce]
    expected = np.stack([fn(np.stack(p), axis=0) for p in products])
    np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_sparse_mm_reduce_refusals():
    a = tg.tensor(DENSE)
    with pytest.raises(RuntimeError, match="reduce argument must be either sum, prod, mean, amax or amin, got foo"):
        tg.sparse.mm(a.to_sparse_csr(), tg.ones(4, 2), "foo")
    with pytest.raises(RuntimeError, match="reduce type of prod has not been enabled"):
        tg.sparse.mm(a.to_sparse_csr(), tg.ones(4, 2), "prod")
    with pytest.raises(RuntimeError, match="expect self to be SparseCsr, got SparseCsc"):
        tg.sparse.mm(a.to_sparse_csc(), tg.ones(4, 2), "sum")
    with pytest.raises(NotImplementedError, match="takes a CSR mat1"):
        tg.sparse.mm(a.to_sparse(), tg.ones(4, 2), "sum")


def test_an_empty_row_reduces_to_zero():
    a = tg.tensor([[0.0, 0.0], [1.0, -2.0]]).to_sparse_csr()
    for reduce in ("sum", "mean", "amax", "amin"):
        out = tg.sparse.mm(a, tg.ones(2, 2), reduce)
        assert out[0].tolist() == [0.0, 0.0]


def test_elementwise_ops_keep_the_pattern():
    c = tg.tensor(DENSE).to_sparse_csr()
    for out, expected in ((c * 2, DENSE * 2), (2 * c, DENSE * 2), (-c, -DENSE), (c / 2, DENSE / 2),
                          (c.sin(), np.sin(DENSE)), (c.abs(), DENSE), (tg.relu(-c), np.zeros_like(DENSE))):
        assert out.layout is tg.sparse_csr and out._nnz() == 6
        np.testing.assert_allclose(out.to_dense().numpy(), expected, rtol=1e-6)
        assert out.crow_indices().tolist() == c.crow_indices().tolist()
    with pytest.raises(NotImplementedError, match="'SparseCsrCPU' backend"):
        c.exp()


def test_add_and_mul_of_two_patterns():
    a = tg.tensor([[1.0, 0.0, 2.0], [0.0, 3.0, 0.0]])
    b = tg.tensor([[0.0, 4.0, 5.0], [0.0, 0.0, 0.0]])
    sa, sb = a.to_sparse_csr(), b.to_sparse_csr()
    total = sa + sb
    assert total.layout is tg.sparse_csr and total._nnz() == 4
    np.testing.assert_array_equal(total.to_dense().numpy(), (a + b).numpy())
    np.testing.assert_array_equal((sa - sb).to_dense().numpy(), (a - b).numpy())
    product = sa * sb  # the intersection of the patterns
    assert product._nnz() == 1 and product.to_dense().tolist() == [[0, 0, 10], [0, 0, 0]]
    np.testing.assert_array_equal((sa * b).to_dense().numpy(), (a * b).numpy())
    assert (sa + b).layout is not tg.sparse_csr  # sparse + dense is dense
    np.testing.assert_array_equal((sa + b).numpy(), (a + b).numpy())
    with pytest.raises(RuntimeError, match="layout torch.sparse_csr, got torch.sparse_csc"):
        sa + b.to_sparse_csc()
    with pytest.raises(RuntimeError, match="sparse COO tensor cannot be added"):
        sa + b.to_sparse()


def test_transpose_gives_the_other_layout_on_the_same_arrays():
    c = tg.tensor(DENSE).to_sparse_csr()
    t = c.t()
    assert t.layout is tg.sparse_csc and t.shape == (4, 3)
    np.testing.assert_array_equal(t.to_dense().numpy(), DENSE.T)
    assert t.ccol_indices().tolist() == c.crow_indices().tolist()
    np.testing.assert_array_equal(c.transpose(0, 1).to_dense().numpy(), DENSE.T)
    b = tg.tensor(DENSE).to_sparse_bsr((1, 2))
    bt = b.t()
    assert bt.layout is tg.sparse_bsc and bt.values().shape[1:] == (2, 1)
    np.testing.assert_array_equal(bt.to_dense().numpy(), DENSE.T)


def test_sum_and_reductions():
    c = tg.tensor(DENSE).to_sparse_csr()
    assert c.sum().item() == DENSE.sum() and not c.sum().is_sparse
    assert tg.sparse.sum(c).item() == DENSE.sum()
    assert tg.tensor([[1, 0], [0, 2]]).to_sparse_csr().sum().dtype is tg.int64
    with pytest.raises(RuntimeError, match="reduction operations on CSR tensors with keepdim=False is unsupported"):
        c.sum(0)


def test_in_place_writes():
    c = tg.tensor(DENSE).to_sparse_csr()
    c.mul_(3)
    np.testing.assert_array_equal(c.to_dense().numpy(), DENSE * 3)
    c.copy_(tg.tensor(DENSE).to_sparse_csr())
    np.testing.assert_array_equal(c.to_dense().numpy(), DENSE)
    c.zero_()
    assert c._nnz() == 0 and c.crow_indices().tolist() == [0, 0, 0, 0] and c.to_dense().abs().sum().item() == 0


def test_clone_detach_and_dtype_changes():
    c = tg.tensor(DENSE).to_sparse_csr()
    k = c.clone()
    k.mul_(0)
    assert c.values().tolist() == [1, 2, 3, 4, 5, 6]  # a clone owns its values
    d = c.double()
    assert d.dtype is tg.float64 and d.layout is tg.sparse_csr
    assert c.detach().layout is tg.sparse_csr


def test_factories_of_the_layouts():
    z = tg.zeros(3, 4, layout=tg.sparse_csr)
    assert z.layout is tg.sparse_csr and z._nnz() == 0 and z.crow_indices().tolist() == [0, 0, 0, 0]
    assert tg.zeros(3, 4, layout=tg.sparse_csc).ccol_indices().tolist() == [0, 0, 0, 0, 0]
    like = tg.zeros_like(tg.tensor(DENSE).to_sparse_bsr((1, 2)))
    assert like.layout is tg.sparse_bsr and like.values().shape == (0, 1, 2)
    assert tg.empty(2, 2, layout=tg.sparse_csr)._nnz() == 0
    with pytest.raises(RuntimeError, match="blocksize"):
        tg.zeros(2, 2, layout=tg.sparse_bsr)


def test_repr_follows_pytorch_layout():
    c = tg.tensor([[1.0, 0.0, 2.0], [0.0, 0.0, 3.0]]).to_sparse_csr()
    assert repr(c) == ("tensor(crow_indices=tensor([0, 2, 3]),\n"
                       "       col_indices=tensor([0, 2, 2]),\n"
                       "       values=tensor([1., 2., 3.]), size=(2, 3), nnz=3,\n"
                       "       layout=torch.sparse_csr)")
    e = tg.zeros(2, 2).to_sparse_csc()
    assert "row_indices=tensor([], size=(0,))" in repr(e) and "layout=torch.sparse_csc" in repr(e)
    assert "dtype=torch.float64" in repr(c.double())


@pytest.mark.parametrize("name,blocksize", [("csr", None), ("csc", None), ("bsr", (1, 2)), ("bsc", (3, 1))])
def test_save_and_load(name, blocksize):
    c = _convert(tg.tensor(DENSE), name, blocksize)
    buf = io.BytesIO()
    tg.save({"m": c, "w": tg.ones(2)}, buf)
    buf.seek(0)
    back = tg.load(buf)["m"]
    assert back.layout is c.layout and back.shape == c.shape
    np.testing.assert_array_equal(back.to_dense().numpy(), DENSE)
    assert back.values().tolist() == c.values().tolist()


def test_load_checks_the_arrays():
    c = tg.tensor(DENSE).to_sparse_csr()
    buf = io.BytesIO()
    tg.save(c, buf)
    raw = buf.getvalue()
    # the size written in the document is the only text to change: shrink the columns to 2
    broken = raw.replace(b"[3,4]", b"[3,2]").replace(b"[3, 4]", b"[3, 2]")
    assert broken != raw
    with pytest.raises(Exception, match="do not fit together|corrupt"):
        tg.load(io.BytesIO(broken))


def test_other_devices_are_refused_with_the_reason(tg_device):
    if tg_device == "cpu":
        pytest.skip("the refusal is for devices other than the CPU")
    c = tg.tensor(DENSE).to_sparse_csr()
    with pytest.raises(RuntimeError, match="compressed sparse tensors live on the CPU"):
        c.to(tg_device)
    with pytest.raises(RuntimeError, match="compressed sparse tensors live on the CPU"):
        tg.tensor(DENSE, device=tg_device).to_sparse_csr()
    with pytest.raises(RuntimeError, match="compressed sparse tensors live on the CPU"):
        tg.sparse_csr_tensor([0, 1], [0], [1.0], (1, 1), device=tg_device)


def test_index_copies_own_their_memory():
    c = tg.tensor(DENSE).to_sparse_csr()
    crow = tg.crow_indices_copy(c)
    assert crow.tolist() == c.crow_indices().tolist()
    crow[0] = 7  # (the tensor's own index arrays are read-only; the copy is writable)
    assert c.crow_indices().tolist()[0] == 0
    assert tg.col_indices_copy(c).tolist() == c.col_indices().tolist()
    v = tg.values_copy(c)
    v.mul_(0)
    assert c.values().tolist() == [1, 2, 3, 4, 5, 6]
    k = tg.tensor(DENSE).to_sparse_csc()
    assert tg.ccol_indices_copy(k).tolist() == k.ccol_indices().tolist()
    assert tg.row_indices_copy(k).tolist() == k.row_indices().tolist()
    with pytest.raises(RuntimeError, match="expected sparse row compressed tensor layout but got SparseCsc"):
        tg.crow_indices_copy(k)


def test_check_sparse_tensor_invariants_keeps_pytorchs_state():
    check = tg.sparse.check_sparse_tensor_invariants
    assert not check.is_enabled()
    with check():
        assert check.is_enabled()
        with check(enable=False):
            assert not check.is_enabled()
        assert check.is_enabled()
    assert not check.is_enabled()

    @check()
    def inside():
        return check.is_enabled()

    assert inside() and not check.is_enabled()
    check.enable()
    assert check.is_enabled()
    check.disable()
    # the arrays are checked whatever the switch says
    with check(enable=False), pytest.raises(RuntimeError, match="is not satisfied"):
        tg.sparse_csr_tensor([0, 1, 3], [0, 1], [1.0, 2.0], (2, 3))
    manager = check()
    with manager:
        with pytest.raises(RuntimeError, match="already activated"):
            manager.__enter__()
