"""Sparse gaps closed in session 26: ``narrow_copy`` of a sparse COO tensor, the generic
``to_sparse(layout=..., blocksize=..., dense_dim=...)`` entry (its checks under PyTorch's function
names, ``dense_dim`` for the COO layout, ``layout=torch.strided``), and ``sparse_mask`` with a
CSR/CSC/BSR/BSC mask.

Every expected value, repr and message below was computed with PyTorch 2.13 (CPU) on the same
inputs, and is hard-coded here (these tests run without torch).
"""
import pytest

import tensorgraft as tg
from tensorgraft.ops.sparse_coo import sparse_narrow_copy

# ---- PyTorch 2.13's printed results (repr) for the inputs built in the tests below
NC_EXAMPLE = 'tensor(indices=tensor([[0, 0],\n                       [0, 1]]),\n       values=tensor([[[0, 1],\n                       [2, 3]],\n\n                      [[4, 5],\n                       [6, 7]]]),\n       size=(1, 2, 2, 2), nnz=2, layout=torch.sparse_coo)'
NC_DENSE_DIM = 'tensor(indices=tensor([[0, 0, 1, 1],\n                       [0, 1, 0, 1]]),\n       values=tensor([[[ 1],\n                       [ 3]],\n\n                      [[ 5],\n                       [ 7]],\n\n                      [[ 9],\n                       [11]],\n\n                      [[13],\n                       [15]]]),\n       size=(2, 2, 2, 1), nnz=4, layout=torch.sparse_coo)'
NC_SPARSE_DIM1 = 'tensor(indices=tensor([[0, 1],\n                       [0, 0]]),\n       values=tensor([[[ 4,  5],\n                       [ 6,  7]],\n\n                      [[12, 13],\n                       [14, 15]]]),\n       size=(2, 1, 2, 2), nnz=2, layout=torch.sparse_coo)'
NC_EMPTY = 'tensor(indices=tensor([], size=(2, 0)),\n       values=tensor([], size=(0, 2, 2)),\n       size=(2, 0, 2, 2), nnz=0, layout=torch.sparse_coo)'
NC_UNCOALESCED = 'tensor(indices=tensor([[0, 0],\n                       [0, 0]]),\n       values=tensor([1., 3.]),\n       size=(1, 2), nnz=2, layout=torch.sparse_coo)'
COO_DENSE_DIM1 = 'tensor(indices=tensor([[0, 1],\n                       [0, 1]]),\n       values=tensor([[1., 2.],\n                      [3., 4.]]),\n       size=(2, 2, 2), nnz=2, layout=torch.sparse_coo)'
COO_DENSE_DIM2 = 'tensor(indices=tensor([[0, 1]]),\n       values=tensor([[[1., 2.],\n                       [0., 0.]],\n\n                      [[0., 0.],\n                       [3., 4.]]]),\n       size=(2, 2, 2), nnz=2, layout=torch.sparse_coo)'
COO_DENSE_DIM0 = 'tensor(indices=tensor([[0, 0, 1, 1],\n                       [0, 0, 1, 1],\n                       [0, 1, 0, 1]]),\n       values=tensor([1., 2., 3., 4.]),\n       size=(2, 2, 2), nnz=4, layout=torch.sparse_coo)'
SCALAR_DENSE_DIM0 = 'tensor(indices=tensor([], size=(0, 1)),\n       values=tensor([3.]),\n       size=(), nnz=1, layout=torch.sparse_coo)'
MASK_CSR = 'tensor(crow_indices=tensor([0, 2, 2, 3, 5]),\n       col_indices=tensor([0, 2, 1, 0, 1]),\n       values=tensor([ 1.,  3.,  8., 10., 11.]), size=(4, 3), nnz=5,\n       layout=torch.sparse_csr)'
MASK_CSC = 'tensor(ccol_indices=tensor([0, 2, 4, 5]),\n       row_indices=tensor([0, 3, 2, 3, 0]),\n       values=tensor([ 1., 10.,  8., 11.,  3.]), size=(4, 3), nnz=5,\n       layout=torch.sparse_csc)'
MASK_BSR = 'tensor(crow_indices=tensor([0, 2, 4]),\n       col_indices=tensor([0, 2, 0, 1]),\n       values=tensor([[[ 1.],\n                       [ 4.]],\n\n                      [[ 3.],\n                       [ 6.]],\n\n                      [[ 7.],\n                       [10.]],\n\n                      [[ 8.],\n                       [11.]]]), size=(4, 3), nnz=4, layout=torch.sparse_bsr)'
MASK_BSC = 'tensor(ccol_indices=tensor([0, 2, 3, 4]),\n       row_indices=tensor([0, 1, 1, 0]),\n       values=tensor([[[ 1.],\n                       [ 4.]],\n\n                      [[ 7.],\n                       [10.]],\n\n                      [[ 8.],\n                       [11.]],\n\n                      [[ 3.],\n                       [ 6.]]]), size=(4, 3), nnz=4, layout=torch.sparse_bsc)'
MASK_CSR_COO_SELF = 'tensor(crow_indices=tensor([0, 2, 2, 3, 5]),\n       col_indices=tensor([0, 2, 1, 0, 1]),\n       values=tensor([ 1.,  3.,  8., 10., 11.]), size=(4, 3), nnz=5,\n       layout=torch.sparse_csr)'
MASK_CSR_CSR_SELF = 'tensor(crow_indices=tensor([0, 2, 2, 3, 5]),\n       col_indices=tensor([0, 2, 1, 0, 1]),\n       values=tensor([ 1.,  3.,  8., 10., 11.]), size=(4, 3), nnz=5,\n       layout=torch.sparse_csr)'
MASK_INT = 'tensor(crow_indices=tensor([0, 2, 2, 3, 5]),\n       col_indices=tensor([0, 2, 1, 0, 1]),\n       values=tensor([ 1,  3,  8, 10, 11]), size=(4, 3), nnz=5,\n       layout=torch.sparse_csr)'
MASK_DENSEDIM = 'tensor(crow_indices=tensor([0, 2, 4]),\n       col_indices=tensor([0, 1, 0, 1]),\n       values=tensor([[0., 1.],\n                      [2., 3.],\n                      [4., 5.],\n                      [6., 7.]]), size=(2, 2, 2), nnz=4,\n       layout=torch.sparse_csr)'


def _s():
    # narrow_copy's docstring example
    return tg.arange(16).reshape(2, 2, 2, 2).to_sparse(2)


# --------------------------------------------------------------------------- narrow_copy
def test_narrow_copy_sparse_dims_dense_dims_and_flags():
    s = _s()
    r = sparse_narrow_copy(s, 0, 0, 1)
    assert repr(r) == NC_EXAMPLE and r.is_coalesced()  # (PyTorch keeps the input's coalesced flag)
    assert repr(sparse_narrow_copy(s, 3, 1, 1)) == NC_DENSE_DIM
    assert repr(sparse_narrow_copy(s, 1, 1, 1)) == NC_SPARSE_DIM1
    assert repr(sparse_narrow_copy(s, 1, 0, 0)) == NC_EMPTY
    u = tg.sparse_coo_tensor([[1, 0, 1], [0, 1, 0]], [1., 2., 3.], (2, 2))
    r = sparse_narrow_copy(u, 0, 1, 1)
    assert repr(r) == NC_UNCOALESCED and not r.is_coalesced()


@pytest.mark.parametrize("args, message", [
    ((-1, 0, 1), r"^Dimension -1 out of range\. Expecting 0 <= dim < 4\.$"),  # (no negative dim, as PyTorch)
    ((0, -1, 1), r"^Invalid range to narrow\. range\(start, start\+length\) must be a subset of range\(0, 2\)\.$"),
    ((0, 0, 3), r"^Invalid range to narrow\. range\(start, start\+length\) must be a subset of range\(0, 2\)\.$"),
    ((0, 0, -1), r"^narrow\(\): length must be non-negative\.$"),
])
def test_narrow_copy_sparse_errors(args, message):
    with pytest.raises(RuntimeError, match=message):
        sparse_narrow_copy(_s(), *args)


def test_public_narrow_copy_of_a_sparse_tensor():
    assert repr(tg.narrow_copy(_s(), 0, 0, 1)) == NC_EXAMPLE
    assert repr(_s().narrow_copy(3, 1, 1)) == NC_DENSE_DIM


def test_narrow_and_slicing_stay_refused_as_in_pytorch():
    # (PyTorch: NotImplementedError, "Could not run 'aten::as_strided' with arguments from the 'SparseCPU' backend")
    for f in (lambda: tg.narrow(_s(), 0, 0, 1), lambda: _s()[0:1], lambda: tg.split(_s(), 1)):
        with pytest.raises(NotImplementedError):
            f()


# --------------------------------------------------------------------------- to_sparse(layout=...)
_X = tg.arange(6.).reshape(3, 2)


@pytest.mark.parametrize("make, message", [
    # the generic entry: the source's function name
    (lambda: _X.to_sparse(layout=tg.sparse_bsr, blocksize=(2, 1)), "dense_to_sparse"),
    (lambda: _X.to_sparse(layout=tg.sparse_bsc, blocksize=(2, 1)), "dense_to_sparse"),
    (lambda: _X.to_sparse().to_sparse(layout=tg.sparse_bsr, blocksize=(2, 1)), "sparse_coo_to_sparse"),
    (lambda: _X.to_sparse_csr().to_sparse(layout=tg.sparse_bsr, blocksize=(2, 1)), "sparse_compressed_to_sparse"),
    (lambda: _X.to_sparse_csc().to_sparse(layout=tg.sparse_bsc, blocksize=(2, 1)), "sparse_compressed_to_sparse"),
    # the layout's own methods keep theirs
    (lambda: _X.to_sparse_bsr((2, 1)), "dense_to_sparse_bsr"),
    (lambda: _X.to_sparse_bsc((2, 1)), "dense_to_sparse_bsc"),
    (lambda: _X.to_sparse().to_sparse_bsr((2, 1)), "coo_to_sparse_bsr"),
    (lambda: _X.to_sparse_csr().to_sparse_bsc((2, 1)), "sparse_compressed_to_sparse_bsc"),
])
def test_blocksize_divisibility_names_pytorchs_function(make, message):
    with pytest.raises(RuntimeError, match=rf"^{message}: tensor sparse size \(3,2\) must be divisible by given "
                                           rf"blocksize \(2,1\)$"):
        make()


_X3 = tg.arange(1., 9.).reshape(2, 2, 2)
_BSR = tg.arange(4.).reshape(2, 2).to_sparse_bsr((1, 1))


@pytest.mark.parametrize("make, message", [
    (lambda: _X3.to_sparse().to_sparse(layout=tg.sparse_csr),
     "sparse_coo_to_sparse: conversion from Sparse to SparseCsr for input tensors with sparse_dim()!=2 is not "
     "supported"),
    (lambda: _X3.to_sparse_csr().to_sparse(layout=tg.sparse_bsr, blocksize=(1, 1)),
     "sparse_compressed_to_sparse: conversion from SparseCsr to SparseBsr for batched inputs is not supported"),
    (lambda: _BSR.to_sparse(layout=tg.sparse_bsr, blocksize=(2, 2)),
     "to_sparse: conversion from SparseBsr to SparseBsr with blocksize changed from [1, 1] to [2, 2] is not "
     "supported"),
    (lambda: _BSR.to_sparse(layout=tg.sparse_bsc, blocksize=(2, 2)),
     "sparse_compressed_to_sparse: conversion from SparseBsr to SparseBsc with blocksize changed from [1, 1] to "
     "[2, 2] is not supported"),
    (lambda: _BSR.to_sparse(layout=tg.sparse_csr),
     "sparse_compressed_to_sparse_csr: expected SparseCsr or SparseCsc layout but got SparseBsr"),
    (lambda: _X3.to_sparse_csr().to_sparse(layout=tg.sparse_csc, dense_dim=1),
     "sparse_compressed_to_sparse: conversion from SparseCsr to SparseCsc with dense_dim argument given is not "
     "supported"),
    (lambda: _X3.to_sparse_csr().to_sparse_csc(dense_dim=1),
     "sparse_compressed_to_sparse_csc: conversion from SparseCsr to SparseCsc with dense_dim argument given is not "
     "supported"),
    (lambda: _X3.to_sparse(layout=tg.sparse_csr, blocksize=(1, 1)),
     "dense_to_sparse: conversion from Strided to SparseCsr with blocksize argument given is not supported"),
    (lambda: _X3.to_sparse(layout=tg.sparse_bsc),
     "dense_to_sparse: conversion from Strided to SparseBsc without blocksize argument given is not supported"),
    (lambda: _X3.to_sparse(layout=tg.sparse_csr, dense_dim=2),
     "dense_to_sparse: dense_dim argument must be in [0,1] range, but 2 is given"),
    (lambda: _X3.to_sparse_csr(dense_dim=2), "dense_to_sparse_csr: dense_dim argument must be in [0,1] range, but 2 "
                                             "is given"),
    (lambda: tg.arange(1., 13.).reshape(4, 3).to_sparse(layout=tg.sparse_bsr, blocksize=(1, 2, 3)),
     "dense_to_sparse: blocksize needs to be a tuple of size 2, but got 3"),
    (lambda: tg.arange(1., 13.).reshape(4, 3).to_sparse_bsr((0, 1)),
     "dense_to_sparse_bsr: blocksize needs to be positive, but got [0, 1]"),
    (lambda: tg.arange(1., 13.).reshape(4, 3).to_sparse(layout=tg.sparse_bsr, blocksize=(3, 1)),
     "dense_to_sparse: tensor sparse size (4,3) must be divisible by given blocksize (3,1)"),
])
def test_conversion_refusals_as_pytorch(make, message):
    with pytest.raises(RuntimeError) as info:
        make()
    assert str(info.value) == message


def test_to_sparse_coo_with_dense_dim():
    y = tg.tensor([[[1., 2], [0, 0]], [[0, 0], [3, 4]]])
    assert repr(y.to_sparse(layout=tg.sparse_coo, dense_dim=1)) == COO_DENSE_DIM1
    assert repr(y.to_sparse(layout=tg.sparse_coo, dense_dim=2)) == COO_DENSE_DIM2
    assert repr(y.to_sparse(dense_dim=0)) == COO_DENSE_DIM0
    assert repr(tg.tensor(3.).to_sparse(layout=tg.sparse_coo, dense_dim=0)) == SCALAR_DENSE_DIM0
    assert repr(y.to_sparse(sparse_dim=2)) == COO_DENSE_DIM1  # (the sparse_dim overload by keyword)


@pytest.mark.parametrize("make, message", [
    (lambda y: y.to_sparse(layout=tg.sparse_coo, dense_dim=3),
     "dense_to_sparse: dense_dim argument must be !=self.dim() when self.dim()>0"),
    (lambda y: y.to_sparse(layout=tg.sparse_coo, dense_dim=-1),
     "dense_to_sparse: dense_dim argument must be in [0,3] range, but -1 is given"),
    (lambda y: y.to_sparse(layout=tg.sparse_coo, dense_dim=4),
     "dense_to_sparse: dense_dim argument must be in [0,3] range, but 4 is given"),
    (lambda y: y.to_sparse(layout=tg.sparse_coo, blocksize=(1, 1)),
     "dense_to_sparse: conversion from Strided to Sparse with blocksize argument given is not supported"),
    (lambda y: y.to_sparse(blocksize=(1, 1)),
     "dense_to_sparse: conversion from Strided to Sparse with blocksize argument given is not supported"),
    (lambda y: y.to_sparse().to_sparse(layout=tg.sparse_coo, dense_dim=1),
     "to_sparse: conversion from Sparse to Sparse with dense_dim argument given is not supported"),
    (lambda y: y.to_sparse().to_sparse(layout=tg.sparse_coo, blocksize=(1, 1)),
     "to_sparse: conversion from Sparse to Sparse with blocksize argument given is not supported"),
    (lambda y: y[0].to_sparse_csr().to_sparse(layout=tg.sparse_coo, dense_dim=1),
     "sparse_compressed_to_sparse: conversion from SparseCsr to Sparse with dense_dim argument given is not "
     "supported"),
    (lambda y: y.to_sparse().to_sparse(layout=tg.strided),
     "sparse_coo_to_sparse: conversion from Sparse to Strided for input tensors with sparse_dim()!=2 is not "
     "supported"),
])
def test_to_sparse_coo_refusals(make, message):
    y = tg.tensor([[[1., 2], [0, 0]], [[0, 0], [3, 4]]])
    with pytest.raises(RuntimeError) as info:
        make(y)
    assert str(info.value) == message


def test_to_sparse_layout_overload_takes_no_sparse_dim_and_strided_layout():
    y = tg.tensor([[1., 0.], [0., 2.]])
    with pytest.raises(TypeError, match=r"^to_sparse\(\) takes 0 positional arguments but 1 was given$"):
        y.to_sparse(1, layout=tg.sparse_coo)
    assert y.to_sparse(layout=tg.strided) is y  # (PyTorch hands a strided tensor back)
    assert y.to_sparse().to_sparse(layout=tg.strided).tolist() == [[1., 0.], [0., 2.]]
    assert y.to_sparse_csr().to_sparse(layout=tg.strided).tolist() == [[1., 0.], [0., 2.]]


def test_to_sparse_dense_dim_records_pytorchs_node():
    pytest.importorskip("tensorgraft.autograd")
    y = tg.tensor([[[1., 2], [0, 0]], [[0, 0], [3, 4]]], requires_grad=True)
    r = y.to_sparse(layout=tg.sparse_coo, dense_dim=1)
    assert type(r.grad_fn).__name__ == "ToSparseBackward1"
    r.to_dense().sum().backward()
    # (PyTorch's gradient: ToDenseBackward0 masks it to the stored rows)
    assert y.grad.tolist() == [[[1., 1.], [0., 0.]], [[0., 0.], [1., 1.]]]


# --------------------------------------------------------------------------- sparse_mask(compressed mask)
_D = tg.tensor([[1., 2., 3.], [4., 5., 6.], [7., 8., 9.], [10., 11., 12.]])
_MK = tg.tensor([[1., 0, 1], [0, 0, 0], [0, 1, 0], [1, 1, 0]])


def test_sparse_mask_with_a_compressed_mask():
    assert repr(_D.sparse_mask(_MK.to_sparse_csr())) == MASK_CSR
    assert repr(_D.sparse_mask(_MK.to_sparse_csc())) == MASK_CSC
    assert repr(_D.sparse_mask(_MK.to_sparse_bsr((2, 1)))) == MASK_BSR
    assert repr(_D.sparse_mask(_MK.to_sparse_bsc((2, 1)))) == MASK_BSC
    assert repr(_D.to_sparse().sparse_mask(_MK.to_sparse_csr())) == MASK_CSR_COO_SELF
    assert repr(_D.to_sparse_csr().sparse_mask(_MK.to_sparse_csr())) == MASK_CSR_CSR_SELF
    assert repr(_D.long().sparse_mask(_MK.to_sparse_csr())) == MASK_INT
    dense_dim_mask = tg.ones(2, 2, 2).to_sparse_csr(dense_dim=1)
    assert repr(tg.arange(8.).reshape(2, 2, 2).sparse_mask(dense_dim_mask)) == MASK_DENSEDIM


def test_sparse_mask_compressed_refusals():
    with pytest.raises(RuntimeError, match=r"^sparse_mask_sparse_compressed expects mask to have sparse compressed "
                                           r"layout, got Sparse$"):
        _D.to_sparse_csr().sparse_mask(_MK.to_sparse_csc())
    with pytest.raises(RuntimeError, match=r"^sparse_mask\(\): operands have incompatible sizes; self has size "
                                           r"\[3, 3\] but mask has size \[4, 3\]$"):
        _D[:3].sparse_mask(_MK.to_sparse_csr())


def test_sparse_mask_compressed_records_a_node_without_a_gradient():
    pytest.importorskip("tensorgraft.autograd")
    # PyTorch records SparseMaskBackward0, and its backward fails on the compressed gradient
    # ("is_coalesced expected sparse coordinate tensor layout but got SparseCsr")
    d = _D.clone().requires_grad_()
    r = d.sparse_mask(_MK.to_sparse_csr())
    assert type(r.grad_fn).__name__ == "SparseMaskBackward0"
    with pytest.raises((RuntimeError, NotImplementedError)):
        r.to_dense().sum().backward()
