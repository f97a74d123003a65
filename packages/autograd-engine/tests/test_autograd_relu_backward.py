"""relu's backward is PyTorch's threshold_backward: the incoming gradient where the output is
positive, exactly 0 elsewhere (also where that gradient is inf or NaN), on every device and
floating dtype, for strided gradients too; a double backward records ThresholdBackwardBackward0."""
import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.testing import assert_close

INF, NAN = float("inf"), float("nan")


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_non_finite_gradients_are_zeroed_where_relu_is_flat(tg_device, dtype):
    dt = getattr(tg, dtype)
    x = tg.tensor([-1.0, 0.0, 2.0, 3.0, -4.0], dtype=dt, device=tg_device, requires_grad=True)
    x.relu().backward(tg.tensor([INF, NAN, 3.0, NAN, -INF], dtype=dt, device=tg_device))
    got = x.grad.cpu().numpy()
    np.testing.assert_array_equal(got[[0, 1, 2, 4]], np.array([0, 0, 3, 0], dtype=dtype))
    assert np.isnan(got[3])          # NaN where relu passes the gradient through stays NaN
    assert not np.signbit(got[[0, 1, 4]]).any()   # +0.0, not -0.0 (PyTorch's zeros)


def test_strided_and_broadcast_gradients(tg_device):
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((4, 3)).astype(np.float32)
    g_np = rng.standard_normal((3, 4)).astype(np.float32)
    x = tg.tensor(x_np, device=tg_device, requires_grad=True)
    x.relu().backward(tg.tensor(g_np, device=tg_device).t())      # a transposed (strided) gradient
    assert_close(x.grad.cpu(), tg.tensor(np.where(x_np > 0, g_np.T, 0)))
    from tensorgraft.ops.elementwise import threshold_backward
    out = threshold_backward.frontend(tg.ones(3, device=tg_device), tg.tensor([[1.0, -1.0, 0.5]] * 2,
                                                                                  device=tg_device), 0.7)
    assert out.shape == (2, 3)
    assert out.cpu().tolist() == [[1.0, 0.0, 0.0]] * 2


def test_double_backward_node_and_values(tg_device):
    x = tg.tensor([-1.0, 0.0, 2.0], dtype=tg.float64, device=tg_device, requires_grad=True)
    g, = tg.autograd.grad(x.relu().pow(2).sum(), x, create_graph=True)
    assert type(g.grad_fn).__name__ == "ThresholdBackwardBackward0"
    gg, = tg.autograd.grad(g.sum(), x)
    assert gg.cpu().tolist() == [0.0, 0.0, 2.0]


def test_matches_torch():
    torch = pytest.importorskip("torch")
    g = np.array([INF, NAN, 3.0, -2.0, NAN], dtype=np.float32)
    x = np.array([-1.0, 0.0, 2.0, 1e-30, -0.0], dtype=np.float32)
    a = tg.tensor(x, requires_grad=True)
    a.relu().backward(tg.tensor(g))
    b = torch.tensor(x, requires_grad=True)
    b.relu().backward(torch.tensor(g))
    np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_nan_input_passes_the_gradient(tg_device, dtype):
    # relu(nan) = nan, and PyTorch's rule zeroes the gradient only where the output is <= 0
    dt = getattr(tg, dtype)
    x = tg.tensor([NAN, 1.0, -1.0, 0.0, 7.0], dtype=dt, device=tg_device, requires_grad=True)
    y = tg.relu(x)
    y.sum().backward()
    assert np.isnan(y.detach().cpu().numpy()[0])
    np.testing.assert_array_equal(x.grad.cpu().numpy(), np.array([1, 1, 0, 0, 1], dtype=dtype))
    z = tg.tensor([NAN, -2.0], dtype=dt, device=tg_device, requires_grad=True)
    (z * 1).relu_().backward(tg.tensor([5.0, 5.0], dtype=dt, device=tg_device))
    np.testing.assert_array_equal(z.grad.cpu().numpy(), np.array([5, 0], dtype=dtype))
    from tensorgraft.ops.elementwise import threshold_backward
    g = threshold_backward.frontend(tg.full((3,), 2.0, dtype=dt, device=tg_device),
                                    tg.tensor([NAN, 0.5, 0.7], dtype=dt, device=tg_device), 0.5)
    np.testing.assert_array_equal(g.cpu().numpy(), np.array([2, 0, 2], dtype=dtype))
