"""benchmarks/workloads/layer_kernels.py: every workload builds and runs on tensorgraft and, where
it has one, NumPy, and the NumPy side computes what tensorgraft computes (else its ratio would
compare different work). A workload without a NumPy side (a transposed 3-D convolution) is
compared with PyTorch only."""
import pathlib
import sys

import numpy as np
import pytest

pytest.importorskip("tensorgraft.nn", reason="the workloads need tensorgraft-nn")

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "benchmarks"))

from workloads import layer_kernels as ek  # noqa: E402


@pytest.mark.parametrize("workload", ek.WORKLOADS, ids=lambda w: w.name)
def test_workload_runs_on_tensorgraft_and_numpy(workload):
    for make in (workload.tensorgraft, workload.numpy):
        if make is None:
            assert workload.name == "conv_transpose3d_padded"  # the one tensorgraft-vs-PyTorch-only workload
            continue
        step = make()
        step()
        step()
    assert workload.torch is not None and workload.description


@pytest.mark.parametrize("name", sorted(ek._NUMPY_ACTIVATIONS))
def test_numpy_side_of_each_activation_matches_tensorgraft(name):
    import tensorgraft as tg
    x0 = ek._batch(seed=5)[:64]
    g0 = np.random.default_rng(6).standard_normal(x0.shape).astype(np.float32)
    x = tg.tensor(x0, requires_grad=True)
    getattr(tg.nn.functional, name)(x).backward(tg.tensor(g0))
    y_np, grad_np = ek._NUMPY_ACTIVATIONS[name](x0, g0)
    np.testing.assert_allclose(getattr(tg.nn.functional, name)(tg.tensor(x0)).numpy(), y_np, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), grad_np, rtol=1e-5, atol=1e-6)


def test_update_workloads_change_the_parameters_as_numpy_does():
    import tensorgraft as tg
    for kind in ("sgd", "ema"):
        params, others = ek._params(tg, 1), ek._params(tg, 2)
        expected = [p.numpy().copy() for p in params]
        with tg.no_grad():
            for p, o, e in zip(params, others, expected):
                if kind == "sgd":
                    p.add_(o, alpha=-0.01)
                    e -= np.float32(0.01) * o.numpy()
                else:
                    p.lerp_(o, 0.001)
                    e += np.float32(0.001) * (o.numpy() - e)
        for p, e in zip(params, expected):
            np.testing.assert_allclose(p.numpy(), e, rtol=1e-6, atol=1e-6)


def test_numpy_side_of_cross_entropy_matches_tensorgraft():
    import tensorgraft as tg
    rng = np.random.default_rng(8)
    x0, t0 = rng.standard_normal((16, 7)).astype(np.float32), rng.integers(0, 7, 16)
    x = tg.tensor(x0, requires_grad=True)
    loss = tg.nn.functional.cross_entropy(x, tg.tensor(t0))
    loss.backward()
    loss_np, grad_np = ek._cross_entropy_np(x0, t0)
    np.testing.assert_allclose(loss.item(), loss_np, rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), grad_np, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name", sorted(ek._NUMPY_ELEMENTWISE))
def test_numpy_side_of_each_elementwise_workload_matches_tensorgraft(name):
    import tensorgraft as tg
    x0, y0 = ek._pair(seed=9)
    x0, y0 = x0[:32], y0[:32] * 2
    x = tg.tensor(x0, requires_grad=True)
    calls = {"smooth_l1": lambda a, b: tg.nn.functional.smooth_l1_loss(a, b),
             "square": lambda a, b: (a ** 2).mean(), "logaddexp": lambda a, b: tg.logaddexp(a, b).mean()}
    loss = calls[name](x, tg.tensor(y0))
    loss.backward()
    loss_np, grad_np = ek._NUMPY_ELEMENTWISE[name](x0, y0)
    np.testing.assert_allclose(loss.item(), loss_np, rtol=1e-5)
    np.testing.assert_allclose(x.grad.numpy(), grad_np, rtol=1e-5, atol=1e-9)


def test_numpy_side_of_the_masked_fill_workload_matches_tensorgraft():
    import tensorgraft as tg
    s0 = np.random.default_rng(10).standard_normal((2, 3, 5, 5)).astype(np.float32)
    mask = np.triu(np.ones((5, 5), bool), 1)
    s = tg.tensor(s0, requires_grad=True)
    out = s.masked_fill(tg.tensor(mask), float("-inf"))
    g = np.random.default_rng(11).standard_normal(s0.shape).astype(np.float32)
    out.backward(tg.tensor(g))
    np.testing.assert_array_equal(out.detach().numpy(), np.where(mask, np.float32(-np.inf), s0))
    np.testing.assert_array_equal(s.grad.numpy(), np.where(mask, np.float32(0), g))
