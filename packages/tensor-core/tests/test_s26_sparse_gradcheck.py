"""tensorgraft.sparse.as_sparse_gradcheck (torch.sparse.as_sparse_gradcheck), and PyTorch's words
for a blocksize that does not divide a matrix.

The results and messages below were computed with PyTorch 2.13 (CPU) on the same inputs; the
repository's tests do not import torch.
"""
import functools

import pytest

import tensorgraft as tg


# ------------------------------------------------------------------- blocksize refusals
@pytest.mark.parametrize("source, method, where", [
    ("dense", "to_sparse_bsr", "dense_to_sparse_bsr"),
    ("dense", "to_sparse_bsc", "dense_to_sparse_bsc"),
    ("coo", "to_sparse_bsr", "coo_to_sparse_bsr"),
    ("coo", "to_sparse_bsc", "coo_to_sparse_bsc"),
    ("csr", "to_sparse_bsr", "sparse_compressed_to_sparse_bsr"),
    ("csc", "to_sparse_bsc", "sparse_compressed_to_sparse_bsc"),
])
def test_blocksize_must_divide_the_matrix(source, method, where):
    x = tg.ones(3, 2)
    x = {"dense": x, "coo": x.to_sparse(), "csr": x.to_sparse_csr(), "csc": x.to_sparse_csc()}[source]
    # PyTorch 2.13: x.to_sparse_bsr((2, 1)) on a 3x2 tensor
    with pytest.raises(RuntimeError, match=rf"^{where}: tensor sparse size \(3,2\) must be divisible by given "
                                           r"blocksize \(2,1\)$"):
        getattr(x, method)((2, 1))


# ------------------------------------------------------------------- as_sparse_gradcheck
@pytest.fixture
def gradcheck():
    autograd = pytest.importorskip("tensorgraft.autograd")
    return tg.sparse.as_sparse_gradcheck(autograd.gradcheck)


def _coo():
    return tg.tensor([[0, 1], [2, 3]], dtype=tg.float64).to_sparse_coo().requires_grad_(True)


def test_public_name():
    assert "as_sparse_gradcheck" in tg.sparse.__all__


def test_docstring_example(gradcheck):
    # PyTorch 2.13 prints True
    assert gradcheck(lambda x: x.to_sparse_csr(), _coo()) is True


@pytest.mark.parametrize("make, func", [
    (lambda: _coo(), lambda x: x.to_dense()),
    (lambda: _coo(), lambda x: x * 2),
    (lambda: tg.tensor([[0, 1.], [2, 0]], dtype=tg.float64).to_sparse_csr().requires_grad_(True),
     lambda c: c.to_dense()),
    (lambda: tg.tensor([[0, 1.], [2, 0]], dtype=tg.float64).to_sparse_csc().requires_grad_(True),
     lambda c: c.to_dense().sum()),
    (lambda: tg.tensor([[0, 1, 0, 0], [2, 3, 0, 0]], dtype=tg.float64).to_sparse_bsr((2, 2)).requires_grad_(True),
     lambda b: b.to_dense()),
    (lambda: tg.tensor([[[0, 1.], [2, 0]], [[3, 0], [0, 0]]], dtype=tg.float64).to_sparse_csc(dense_dim=1)
     .requires_grad_(True), lambda c: c.to_dense()),
])
def test_sparse_inputs_and_outputs(gradcheck, make, func):
    assert gradcheck(func, make()) is True  # PyTorch 2.13: True for each
    assert gradcheck(func, make(), masked=True) is True


def test_mixed_inputs_and_a_partial(gradcheck):
    d = tg.randn(2, 3, dtype=tg.float64, requires_grad=True)
    assert gradcheck(lambda a, b: tg.sparse.mm(a, b), (_coo(), d)) is True
    assert gradcheck(lambda a, b: tg.sparse.mm(a, b), (_coo(), d), masked=True) is True
    assert gradcheck(lambda t: t * 3, d) is True  # strided inputs pass through
    partial = functools.partial(tg.autograd.gradcheck, eps=1e-6, atol=1e-5)
    assert tg.sparse.as_sparse_gradcheck(partial)(lambda x: x.to_dense(), _coo()) is True


def test_every_element_is_checked_unless_masked():
    pytest.importorskip("tensorgraft.autograd")  # (requires_grad needs the autograd engine)
    from tensorgraft.sparse.gradcheck import _from_strided_representation, _to_strided_representation
    x = _coo()  # 3 stored elements of 4
    assert _to_strided_representation(x, False)[2].tolist() == [0.0, 1.0, 2.0, 3.0]
    assert _to_strided_representation(x, True)[2].tolist() == [1.0, 2.0, 3.0]
    b = tg.tensor([[[1, 2.], [0, 0]], [[0, 0], [3, 4]]], dtype=tg.float64).to_sparse_bsr((1, 2)).requires_grad_(True)
    rep = _to_strided_representation(b, False)
    assert tuple(rep[2].shape) == (2, 2, 1, 2)  # every block of each batch stored
    back = _from_strided_representation(rep)[0]
    assert back.layout is tg.sparse_bsr and back.to_dense().tolist() == b.to_dense().tolist()


def test_a_wrong_gradient_is_caught(gradcheck):
    class Bad(tg.autograd.Function):
        @staticmethod
        def forward(ctx, v):
            return v * 2

        @staticmethod
        def backward(ctx, g):
            return g  # (should be 2 * g)

    with pytest.raises(RuntimeError, match="Jacobian mismatch for output 0 with respect to input 2"):
        gradcheck(lambda x: Bad.apply(x.to_dense()), _coo())
    assert gradcheck(lambda x: Bad.apply(x.to_dense()), _coo(), raise_exception=False) is False
