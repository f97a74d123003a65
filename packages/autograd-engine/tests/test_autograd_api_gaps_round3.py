"""Gradients of session 22's added functions: as_strided_ (AsStridedBackward1), as_strided_scatter
(AsStridedScatterBackward0, with the correct input gradient: see differences.md), the deprecated
Tensor.resize (ResizeBackward) and the sparse row products (NotImplemented nodes). Expected values
are PyTorch 2.13's except where noted."""
import warnings

import pytest

import tensorgraft as torch


def test_as_strided_in_place_gradient():
    x = torch.arange(6., requires_grad=True)
    y = x.clone()
    y.as_strided_((2, 2), (1, 2), 1)
    assert type(y.grad_fn).__name__ == "AsStridedBackward1"
    (y * torch.tensor([[1., 2], [3, 4]])).sum().backward()
    assert x.grad.tolist() == [0., 1., 3., 2., 4., 0.]
    assert y.storage_offset() == 1 and y.stride() == (1, 2)


@pytest.mark.parametrize("size, stride, offset, grad_src", [
    ((2, 2), (1, 2), 1, [[1., 3.], [2., 4.]]),
    ((2, 2), (1, 1), 0, [[0., 1.], [1., 2.]]),
])
def test_as_strided_scatter_gradients(size, stride, offset, grad_src):
    x = torch.arange(6., requires_grad=True)
    s = torch.ones(2, 2, requires_grad=True)
    out = torch.as_strided_scatter(x, s, size, stride, offset)
    assert type(out.grad_fn).__name__ == "AsStridedScatterBackward0"
    w = torch.arange(6.)
    (out * w).sum().backward()
    assert s.grad.tolist() == grad_src
    # the input's gradient is the output's gradient outside the written region (what gradcheck
    # finds); PyTorch 2.13 returns the region's instead, which its own gradcheck rejects
    written = torch.as_strided_scatter(torch.zeros(6), torch.ones(2, 2), size, stride, offset)
    assert x.grad.tolist() == (w * (1 - written)).tolist()


def test_as_strided_scatter_passes_gradcheck():
    x = torch.arange(6., dtype=torch.float64, requires_grad=True)
    s = torch.ones(2, 2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x, s: torch.as_strided_scatter(x, s, (2, 2), (1, 2), 1), (x, s))


def test_non_inplace_resize_records_resize_backward():
    x = torch.arange(6., requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = x.resize(2, 3)
        z = x.resize_as(torch.ones(3, 2))
    assert type(y.grad_fn).__name__ == "ResizeBackward" and type(z.grad_fn).__name__ == "ResizeBackward"
    assert y._base is x
    (y * torch.arange(6.).reshape(2, 3)).sum().backward()
    assert x.grad.tolist() == [0., 1., 2., 3., 4., 5.]


def test_sparse_row_products_have_no_derivative():
    s = torch.sparse_coo_tensor([[1, 0, 1], [2, 0, 0]], [3., 1., 2.], (3, 3))
    d = torch.arange(6.).reshape(3, 2)
    r = torch.hspmm(s.clone().requires_grad_(), d)
    assert type(r.grad_fn).__name__ == "NotImplemented"
    with pytest.raises(RuntimeError, match="^derivative for aten::hspmm is not implemented$"):
        torch.sparse.sum(r).backward()
    with pytest.raises(RuntimeError, match="^derivative for aten::sspaddmm is not implemented$"):
        torch.sparse.sum(torch.smm(s.clone().requires_grad_(), d)).backward()
    with pytest.raises(RuntimeError, match="^derivative for aten::hspmm is not implemented$"):
        torch.sparse.sum(torch.hspmm(s, d.clone().requires_grad_())).backward()
    assert type(torch.spmm(s.clone().requires_grad_(), d).grad_fn).__name__ == "MmBackward0"


def test_float32_i0_gradient_overflows_with_the_value():
    x = torch.tensor([89.0], requires_grad=True)
    torch.i0(x).backward()
    assert x.grad.tolist() == [float("inf")]
