"""Regression tests for the sparse differences a differential fuzzer found against PyTorch 2.13.

The expected values, dtypes and messages were read off PyTorch; no torch import here."""
import pytest

import tensorgraft as tg


def coo(indices, values, size, **kw):
    return tg.sparse_coo_tensor(tg.tensor(indices), values if isinstance(values, tg.Tensor) else tg.tensor(values),
                                size, **kw)


# ------------------------------------------------------------------ coalesce keeps the dtype
def test_coalesce_ors_repeated_bool_entries():
    c = coo([[0, 0, 1]], [True, True, False], (2,)).coalesce()
    assert c.dtype is tg.bool
    assert c.values().tolist() == [True, False]
    assert tg.sum(c, 0).item() == 1


@pytest.mark.parametrize("dtype", [tg.int8, tg.uint8, tg.int16, tg.int32, tg.float16, tg.bfloat16])
def test_coalesce_and_conversions_keep_narrow_dtypes(dtype):
    s = coo([[0, 0, 1, 1], [1, 1, 0, 2]], tg.tensor([1, 1, 0, 1]).to(dtype), (2, 3))
    c = s.coalesce()
    assert c.dtype is dtype
    assert c.values().tolist() == [2, 0, 1]
    assert s.to_sparse_csr().dtype is dtype
    assert tg.sparse.sum(s, 0).dtype is dtype  # (a sparse result keeps the dtype)
    assert tg.sparse.sum(s, 0).to_dense().tolist() == [0, 2, 1]


@pytest.mark.parametrize("dtype", [tg.bool, tg.uint8, tg.int32])
def test_sparse_sum_to_a_dense_result_is_int64(dtype):
    s = coo([[0, 0, 1, 1], [1, 1, 0, 2]], tg.tensor([1, 1, 0, 1]).to(dtype), (2, 3))
    full = tg.sparse.sum(s)
    assert full.dtype is tg.int64
    assert full.item() == (2 if dtype is tg.bool else 3)  # (PyTorch coalesces first: True + True is True)
    both = tg.sparse.sum(s, (0, 1))
    assert both.dtype is tg.int64 and both.item() == 3
    assert tg.sparse.sum(s, dtype=tg.int16).dtype is tg.int16
    assert tg.sparse.sum(s, dtype=tg.int16).item() == (2 if dtype is tg.bool else 3)
    assert tg.sparse.sum(s, 0, dtype=tg.int16).dtype is tg.int16
    hybrid = coo([[0, 0, 1, 1]], tg.tensor([[1, 1], [1, 0], [0, 0], [1, 1]]).to(dtype), (2, 2))
    assert tg.sparse.sum(hybrid, 0).dtype is tg.int64
    assert tg.sparse.sum(hybrid, 0).tolist() == [3, 2]
    with pytest.raises(RuntimeError, match=r"dtype of values \(Long\) must match dtype of sparse tensor"):
        tg.sparse.sum(hybrid, 1)


def test_tensor_sum_of_narrow_integers_is_int64():
    s = coo([[0, 0, 1]], tg.tensor([1, 2, 3], dtype=tg.int32), (2,))
    assert s.sum().dtype is tg.int64
    assert s.coalesce().dtype is tg.int32


# ------------------------------------------------------------------ count_nonzero, equal, data_ptr refuse
def test_count_nonzero_of_sparse_tensors_is_refused():
    s = coo([[1, 1], [2, 0]], [6, 4], (2, 4))
    with pytest.raises(NotImplementedError, match=r"Could not run 'aten::count_nonzero.dim_IntList' with arguments "
                                                  r"from the 'SparseCPU' backend"):
        tg.count_nonzero(s)
    with pytest.raises(NotImplementedError, match="'SparseCPU' backend"):
        s.count_nonzero(0)
    with pytest.raises(NotImplementedError, match="'SparseCsrCPU' backend"):
        tg.count_nonzero(s.to_sparse_csr())


def test_equal_of_sparse_tensors_is_refused():
    s, d = tg.eye(2).to_sparse(), tg.eye(2)
    for a, b, key in ((s, s, "SparseCPU"), (d, s, "SparseCPU"), (s, d, "SparseCPU"),
                      (s.to_sparse_csr(), s.to_sparse_csr(), "SparseCsrCPU"), (d, s.to_sparse_csr(), "SparseCsrCPU")):
        with pytest.raises(NotImplementedError, match=f"Could not run 'aten::equal' with arguments from the '{key}'"):
            tg.equal(a, b)


def test_data_ptr_of_sparse_tensors_is_refused():
    for t in (tg.eye(2).to_sparse(), tg.eye(2).to_sparse_csr()):
        with pytest.raises(RuntimeError, match="Cannot access data pointer of Tensor that doesn't have storage"):
            t.data_ptr()


# ------------------------------------------------------------------ is_coalesced=True that is not so
def test_is_coalesced_true_with_repeated_indices_is_checked_when_asked():
    message = "cannot set is_coalesced to true if indices correspond to uncoalesced COO tensor"
    with tg.sparse.check_sparse_tensor_invariants(True):
        with pytest.raises(RuntimeError, match=message):
            coo([[1, 0, 1]], [1., 2., 3.], (2,), is_coalesced=True)
    with pytest.raises(RuntimeError, match=message):
        coo([[0, 0]], [1., 2.], (2,), is_coalesced=True, check_invariants=True)
    coo([[0, 1]], [1., 2.], (2,), is_coalesced=True, check_invariants=True)  # (sorted and distinct: fine)


def test_to_dense_adds_repeated_entries_even_when_flagged_coalesced():
    s = coo([[1, 0, 1]], [1., 2., 3.], (2,), is_coalesced=True)
    assert s.is_coalesced()
    assert s.to_dense().tolist() == [2., 4.]


def test_to_dense_of_a_negative_zero_prints_as_zero():
    s = coo([[0]], [-0.5], (2,)).coalesce()
    assert str(tg.ceil(s).to_dense()) == "tensor([0., 0.])"


def test_explicit_is_coalesced_false_is_kept():
    for n in (0, 1):
        s = tg.sparse_coo_tensor(tg.zeros(1, n, dtype=tg.long), tg.ones(n), (2,), is_coalesced=False)
        assert not s.is_coalesced()
        assert tg.sparse_coo_tensor(tg.zeros(1, n, dtype=tg.long), tg.ones(n), (2,)).is_coalesced()


# ------------------------------------------------------------------ adding an empty COO tensor
def test_adding_an_empty_sparse_tensor_to_an_uncoalesced_one():
    a = coo([[1, 0, 1]], [1., 2., 4.], (2,))
    e = tg.sparse_coo_tensor(tg.zeros(1, 0, dtype=tg.long), tg.zeros(0), (2,))
    for r, values in ((a + e, [1., 2., 4.]), (e + a, [1., 2., 4.]), (a - e, [1., 2., 4.]), (e - a, [-1., -2., -4.])):
        assert r._indices().tolist() == [[1, 0, 1]]
        assert r._values().tolist() == values
        assert not r.is_coalesced()
    b = e.clone()
    b.add_(a)
    assert b._values().tolist() == [1., 2., 4.]
    assert (a + e).to_dense().tolist() == [2., 5.]


# ------------------------------------------------------------------ sparse.mm/addmm
def test_sparse_addmm_checks_dtypes_as_pytorch():
    a = tg.tensor([[1, 0], [0, 1]]).to_sparse()
    ones = tg.ones(2, 2, dtype=tg.long)
    with pytest.raises(RuntimeError, match="result type Double can't be cast to the desired output type Long"):
        tg.sparse.addmm(ones, a, ones, beta=2.0)
    assert tg.sparse.addmm(ones, a, ones, beta=2).tolist() == [[3, 3], [3, 3]]
    assert tg.sparse.addmm(ones, a, ones, alpha=2.0).tolist() == [[3, 3], [3, 3]]
    assert tg.sparse.addmm(ones, a, ones, beta=0.0, alpha=2.0).tolist() == [[2, 2], [2, 2]]
    with pytest.raises(NotImplementedError, match="\"addmm_out_sparse_csr_impl_mkl\" not implemented for 'Long'"):
        tg.sparse.addmm(ones, a.to_sparse_csr(), ones)
    with pytest.raises(NotImplementedError, match="\"addmm_out_sparse_csr_impl_mkl\" not implemented for 'Long'"):
        tg.sparse.mm(a.to_sparse_csr(), ones)
    x = tg.tensor([[1., 0.], [0., 2.]])
    with pytest.raises(RuntimeError, match="expected scalar type Float but found Double"):
        tg.sparse.addmm(tg.ones(2, 2, dtype=tg.float64), x.to_sparse(), tg.ones(2, 2))
    with pytest.raises(RuntimeError, match="expected scalar type Double but found Float"):
        tg.sparse.addmm(tg.ones(2, 2, dtype=tg.float64), x.to_sparse_csr(), tg.ones(2, 2))
    for mat in (tg.ones(2), tg.ones(1, 2)):  # (mat broadcasts)
        assert tg.sparse.addmm(mat, x.to_sparse_csr(), tg.ones(2, 2)).tolist() == [[2., 2.], [3., 3.]]
    nan = tg.full((2, 2), float("nan"))
    assert tg.sparse.addmm(nan, x.to_sparse(), tg.ones(2, 2), beta=0).tolist() == [[1., 1.], [2., 2.]]


# ------------------------------------------------------------------ conversions PyTorch refuses
_X = tg.eye(4)
_SOURCES = {"dense": lambda: _X, "coo": lambda: _X.to_sparse(), "csr": lambda: _X.to_sparse_csr(),
            "csc": lambda: _X.to_sparse_csc(), "bsr": lambda: _X.to_sparse_bsr((1, 1)),
            "bsc": lambda: _X.to_sparse_bsc((1, 1))}
_CALLS = {"to_csr": lambda t: t.to_sparse_csr(), "to_csc": lambda t: t.to_sparse_csc(),
          "to_bsr22": lambda t: t.to_sparse_bsr((2, 2)), "to_bsc22": lambda t: t.to_sparse_bsc((2, 2)),
          "lay_bsr": lambda t: t.to_sparse(layout=tg.sparse_bsr), "csr_dd0": lambda t: t.to_sparse_csr(dense_dim=0),
          "csc_dd0": lambda t: t.to_sparse_csc(dense_dim=0), "to_sparse0": lambda t: t.to_sparse(0)}


@pytest.mark.parametrize("source, call, message", [
    ("dense", "lay_bsr", "dense_to_sparse: conversion from Strided to SparseBsr without blocksize argument given is "
                         "not supported"),
    ("dense", "to_sparse0", "dense_to_sparse: sparse_dim argument must be in >0 when self.dim()>0"),
    ("coo", "lay_bsr", "sparse_coo_to_sparse: conversion from Sparse to SparseBsr without blocksize argument"),
    ("coo", "csr_dd0", "coo_to_sparse_csr: conversion from Sparse to SparseCsr with dense_dim argument given is not "
                       "supported"),
    ("coo", "csc_dd0", "coo_to_sparse_csc: conversion from Sparse to SparseCsc with dense_dim argument given"),
    ("csr", "lay_bsr", "sparse_compressed_to_sparse: conversion from SparseCsr to SparseBsr without blocksize"),
    ("csr", "csr_dd0", "to_sparse_csr: conversion from SparseCsr to SparseCsr with dense_dim argument given"),
    ("csr", "csc_dd0", "sparse_compressed_to_sparse_csc: conversion from SparseCsr to SparseCsc with dense_dim"),
    ("csr", "to_sparse0", "sparse_compressed_to_sparse: conversion from SparseCsr to Sparse with sparse_dim argument "
                          "!=2 is not supported"),
    ("bsr", "to_csr", "sparse_compressed_to_sparse_csr: expected SparseCsr or SparseCsc layout but got SparseBsr"),
    ("bsc", "to_csc", "sparse_compressed_to_sparse_csc: expected SparseCsr or SparseCsc layout but got SparseBsc"),
    ("bsr", "to_bsr22", "to_sparse_bsr: conversion from SparseBsr to SparseBsr with blocksize changed from [1, 1] "
                        "to [2, 2] is not supported"),
    ("bsc", "to_bsr22", "sparse_compressed_to_sparse_bsr: conversion from SparseBsc to SparseBsr with blocksize "
                        "changed from [1, 1] to [2, 2]"),
    ("bsr", "lay_bsr", "to_sparse: conversion from SparseBsr to SparseBsr without blocksize argument given"),
])
def test_conversions_pytorch_refuses(source, call, message):
    with pytest.raises(RuntimeError) as info:
        _CALLS[call](_SOURCES[source]())
    assert message in str(info.value)


def test_conversions_pytorch_accepts():
    assert _X.to_sparse_csr().to_sparse_bsr((2, 2)).layout is tg.sparse_bsr
    assert _X.to_sparse_bsr((1, 1)).to_sparse_bsc((1, 1)).layout is tg.sparse_bsc
    assert _X.to_sparse_bsr((1, 1)).to_sparse_bsr((1, 1)).layout is tg.sparse_bsr


def test_batched_compressed_conversions():
    b = tg.ones(2, 2, 2)
    assert b.to_sparse_csc().to_sparse(2).sparse_dim() == 3  # (2 is the argument PyTorch takes)
    with pytest.raises(RuntimeError, match="conversion from SparseCsc to Sparse with sparse_dim argument !=2"):
        b.to_sparse_csc().to_sparse(3)
    with pytest.raises(RuntimeError, match="sparse_compressed_to_sparse_bsr: conversion from SparseCsc to SparseBsr "
                                           "for batched inputs is not supported"):
        b.to_sparse_csc().to_sparse_bsr((1, 1))
    assert b.to_sparse_csc().to_sparse_csr().layout is tg.sparse_csr
