"""Jacobians with a zero-size side: PyTorch returns empty Jacobians of the right shapes (found by
running PyTorch's OpInfo samples through func.jacrev/jacfwd: mm, linear and lu_solve with an empty
input failed in the batched backward of the 2-D product)."""
import pytest

import tensorgraft as tg

pytest.importorskip("tensorgraft.func")


@pytest.mark.parametrize("transform", ["jacrev", "jacfwd"])
@pytest.mark.parametrize("a_shape, b_shape", [((0, 5), (5, 3)), ((4, 5), (5, 0)), ((4, 0), (0, 3))])
def test_mm_jacobians_with_an_empty_side(transform, a_shape, b_shape):
    a, b = tg.randn(*a_shape, dtype=tg.float64), tg.randn(*b_shape, dtype=tg.float64)
    ja, jb = getattr(tg.func, transform)(tg.mm, argnums=(0, 1))(a, b)
    out = (a_shape[0], b_shape[1])
    assert tuple(ja.shape) == out + a_shape and tuple(jb.shape) == out + b_shape
    if a_shape == (4, 0):  # a product over an empty inner dim: zeros, with a Jacobian of zeros too
        assert ja.numel() == 0 and jb.numel() == 0


def test_linear_jacobian_of_an_empty_batch():
    pytest.importorskip("tensorgraft.nn")  # (the autograd-only tox environment has no nn)
    w = tg.randn(4, 3, dtype=tg.float64)
    jw = tg.func.jacrev(lambda w: tg.nn.functional.linear(tg.randn(0, 3, dtype=tg.float64), w))(w)
    assert tuple(jw.shape) == (0, 4, 4, 3)
