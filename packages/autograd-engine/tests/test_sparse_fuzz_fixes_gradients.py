"""Regression tests (gradients) for the sparse differences a differential fuzzer found against
PyTorch 2.13. The expected values, node names and messages were read off PyTorch; no torch import."""
import pytest

import tensorgraft as tg


def _csr():
    return tg.tensor([[1., 0.], [0., 2.]]).to_sparse_csr().requires_grad_()


# ------------------------------------------------------------------ sparse.mm/addmm with a CSR mat1
def test_sparse_mm_of_csr_gives_a_gradient_with_its_pattern():
    s = _csr()
    d = tg.tensor([[1., 2.], [3., 4.]], requires_grad=True)
    r = tg.sparse.mm(s, d)
    assert r.grad_fn.name() == "SparseAddmmBackward0"
    assert r.layout is tg.strided and r.tolist() == [[1., 2.], [6., 8.]]
    r.sum().backward()
    assert s.grad.layout is tg.sparse_csr
    assert s.grad.to_dense().tolist() == [[3., 0.], [0., 7.]]
    assert d.grad.tolist() == [[1., 1.], [2., 2.]]


def test_sparse_addmm_of_csr_is_one_node():
    s = _csr()
    d = tg.tensor([[1., 2.], [3., 4.]], requires_grad=True)
    m = tg.ones(2, 2, requires_grad=True)
    r = tg.sparse.addmm(m, s, d, beta=0.5, alpha=2.0)
    assert r.grad_fn.name() == "SparseAddmmBackward0"
    assert r.tolist() == [[2.5, 4.5], [12.5, 16.5]]
    r.sum().backward()
    assert s.grad.layout is tg.sparse_csr
    assert s.grad.to_dense().tolist() == [[6., 0.], [0., 14.]]
    assert d.grad.tolist() == [[2., 2.], [4., 4.]]
    assert m.grad.tolist() == [[0.5, 0.5], [0.5, 0.5]]


def test_sparse_addmm_of_coo_is_one_node_too():
    s = tg.tensor([[1., 0.], [0., 2.]]).to_sparse().requires_grad_()
    d = tg.tensor([[1., 2.], [3., 4.]], requires_grad=True)
    m = tg.ones(2, requires_grad=True)  # (broadcast: its gradient is summed back)
    r = tg.sparse.addmm(m, s, d, beta=0.5, alpha=2.0)
    assert r.grad_fn.name() == "SparseAddmmBackward0"
    r.sum().backward()
    assert s.grad.layout is tg.sparse_coo
    assert s.grad._values().tolist() == [6., 14.]
    assert m.grad.tolist() == [1., 1.]


@pytest.mark.parametrize("layout", ["csc", "bsr"])
def test_sparse_mm_backward_refuses_other_compressed_layouts(layout):
    x = tg.tensor([[1., 0.], [0., 2.]])
    s = (x.to_sparse_csc() if layout == "csc" else x.to_sparse_bsr((1, 1))).requires_grad_()
    r = tg.sparse.mm(s, tg.ones(2, 2))
    assert r.tolist() == [[1., 1.], [2., 2.]]
    word = "SparseCsc" if layout == "csc" else "SparseBsr"
    with pytest.raises(RuntimeError, match=f"sparse_addmm_sparse_backward: unsupported combination of layouts, "
                                           f"grad: Strided, mat1: {word}, mat2: Strided"):
        r.sum().backward()


# ------------------------------------------------------------------ mul/pow backward with sparse operands
def test_pow_of_a_sparse_tensor_backward():
    s = tg.sparse_coo_tensor(tg.tensor([[0, 1]]), tg.tensor([2., 3.]), (3,)).requires_grad_()
    s.pow(2).to_dense().sum().backward()
    assert s.grad.to_dense().tolist() == [4., 6., 0.]


@pytest.mark.parametrize("p, values", [(0.5, [0.25, 2.886751174926758]), (3, [48., 270.]), (2.0, [8., 60.])])
def test_pow_of_an_uncoalesced_sparse_tensor_backward(p, values):
    s = tg.sparse_coo_tensor(tg.tensor([[0, 1, 0]]), tg.tensor([2., 3., 2.]), (3,)).requires_grad_()
    (s.pow(p).to_dense() * tg.tensor([1., 10., 100.])).sum().backward()
    assert s.grad._indices().tolist() == [[0, 1]]
    assert s.grad._values().tolist() == pytest.approx(values)


def test_pow_one_of_a_sparse_tensor_backward_refuses_as_pytorch():
    s = tg.sparse_coo_tensor(tg.tensor([[0, 1]]), tg.tensor([2., 3.]), (3,)).requires_grad_()
    with pytest.raises(RuntimeError, match="pow: cannot raise to zeroth power on sparse tensor"):
        s.pow(1).to_dense().sum().backward()


def test_sparse_times_dense_backward_to_the_dense_operand():
    s = tg.sparse_coo_tensor(tg.tensor([[0, 1]]), tg.tensor([2., 3.]), (3,))
    d = tg.tensor([1., 2., 3.], requires_grad=True)
    (s * d).to_dense().sum().backward()
    assert d.grad.layout is tg.sparse_coo
    assert d.grad.to_dense().tolist() == [2., 3., 0.]


def test_sparse_times_itself_backward():
    s = tg.sparse_coo_tensor(tg.tensor([[0, 1, 0]]), tg.tensor([2., 3., 2.]), (3,)).requires_grad_()
    y = s * s
    assert y._indices().tolist() == [[0, 1, 0]] and y._values().tolist() == [8., 9., 8.]
    y.to_dense().sum().backward()
    assert s.grad._indices().tolist() == [[0, 1, 0]]
    assert s.grad._values().tolist() == [4., 6., 4.]


def test_uncoalesced_sparse_times_dense_backward():
    s = tg.sparse_coo_tensor(tg.tensor([[0, 1, 0]]), tg.tensor([2., 3., 2.]), (3,)).requires_grad_()
    d = tg.tensor([1., 2., 3.], requires_grad=True)
    (s * d * tg.tensor([1., 10., 100.])).to_dense().sum().backward()
    assert s.grad._indices().tolist() == [[0, 1]] and s.grad._values().tolist() == [1., 20.]
    assert d.grad._indices().tolist() == [[0, 1, 0]] and d.grad._values().tolist() == [2., 30., 2.]
