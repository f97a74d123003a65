"""leaky_relu's gradient over a layer's worth of values runs block by block (``in_blocks``): the
same bits as the whole-array formula ``where(x > 0, g, g * slope)``, zeros, NaNs and a transposed
layout included."""
import numpy as np
import pytest

tg = pytest.importorskip("tensorgraft")
pytest.importorskip("tensorgraft.nn")
pytest.importorskip("tensorgraft.autograd")


@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_blocked_gradient_is_the_formula_to_the_bit(layout, dtype):
    rng = np.random.default_rng(4)
    x0 = rng.standard_normal((301, 700)).astype(dtype)  # 210700 values: four blocks
    x0[0, :6] = [0.0, -0.0, np.nan, -np.nan, np.inf, -np.inf]
    g0 = rng.standard_normal(x0.shape).astype(dtype)
    x = tg.tensor(x0, requires_grad=True)
    if layout == "transposed":  # the kernel sees a transposed (Fortran-ordered) view
        tg.nn.functional.leaky_relu(x.t(), 0.02).backward(tg.tensor(g0.T.copy()).t().t())
        assert not x.t().is_contiguous()
    else:
        tg.nn.functional.leaky_relu(x, 0.02).backward(tg.tensor(g0))
    expected = np.where(x0 > 0, g0, g0 * dtype(0.02))
    got = x.grad.numpy()
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_array_equal(np.ascontiguousarray(got).view(np.uint8),
                                  np.ascontiguousarray(expected).view(np.uint8))
