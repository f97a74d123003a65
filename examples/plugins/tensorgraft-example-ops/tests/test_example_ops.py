"""tensorgraft-example-ops' own tests: the conformance kit does the heavy lifting; a few direct
checks pin down the ops' values against PyTorch-style expectations."""
import math

import pytest

tg = pytest.importorskip("tensorgraft")
pytest.importorskip("tensorgraft_example_ops")

from tensorgraft.registry import registry  # noqa: E402
from tensorgraft.testing import assert_close  # noqa: E402
from tensorgraft.testing.conformance import run_conformance  # noqa: E402

if "example.swish" not in registry.ops:  # importable from a source tree but not installed: load it by hand
    from tensorgraft.plugins import load_plugin
    import tensorgraft_example_ops.plugin as _plugin
    load_plugin(_plugin, distribution="tensorgraft-example-ops")

from tensorgraft.ops import example  # noqa: E402

try:
    import tensorgraft.autograd  # noqa: F401
    HAVE_AUTOGRAD = True
except ImportError:
    HAVE_AUTOGRAD = False


def test_conformance():
    """gradcheck/gradgradcheck, dtype rules, references, devices, no_grad, in-place, repr."""
    assert run_conformance(namespace="example") == (3 if HAVE_AUTOGRAD else 2)


@pytest.mark.tg_conformance(namespace="example")
def test_each_op(tg_op, tg_conformance):
    tg_conformance.check_op(tg_op, raise_=True)


def test_swish_values_and_inplace():
    x = tg.tensor([-1.0, 0.0, 2.0])
    want = [v / (1 + math.exp(-1.5 * v)) for v in (-1.0, 0.0, 2.0)]
    assert_close(example.swish(x, 1.5), tg.tensor(want))
    assert example.swish(x).dtype is tg.float32
    assert example.swish(tg.tensor([1, 2])).dtype is tg.float32  # integers compute in the default float
    y = x.clone()
    assert example.swish_(y, beta=1.5) is y
    assert_close(y, tg.tensor(want))
    with pytest.raises(TypeError, match="unexpected keyword argument 'alpha'"):
        example.swish(x, alpha=1.0)


@pytest.mark.skipif(not HAVE_AUTOGRAD, reason="tensorgraft-autograd is not installed")
def test_gradients():
    x = tg.tensor([-1.0, 0.5, 2.0], requires_grad=True)
    y = example.swish(x, beta=2.0)
    assert type(y.grad_fn).__name__ == "SwishBackward0"
    y.sum().backward()
    s = [1 / (1 + math.exp(-2.0 * v)) for v in (-1.0, 0.5, 2.0)]
    assert_close(x.grad, tg.tensor([si + 2.0 * v * si * (1 - si) for si, v in zip(s, (-1.0, 0.5, 2.0))]))

    data = tg.arange(8.0).reshape(4, 2).requires_grad_()
    out = example.segment_sum(data, tg.tensor([1, 0, 1, 1]), 2)
    assert out.tolist() == [[2.0, 3.0], [10.0, 13.0]]
    (out * tg.tensor([[1.0], [10.0]])).sum().backward()
    assert data.grad.tolist() == [[10.0, 10.0], [1.0, 1.0], [10.0, 10.0], [10.0, 10.0]]

    z = example.scaled_tanh(x, 3.0)
    assert type(z.grad_fn).__name__ == "ScaledTanhBackward"


def test_segment_sum_errors():
    with pytest.raises(IndexError, match=r"\[0, 2\)"):
        example.segment_sum(tg.ones(3), tg.tensor([0, 1, 2]), 2)
    with pytest.raises(ValueError, match="one id per row"):
        example.segment_sum(tg.ones(3), tg.tensor([0, 1]), 2)
    with pytest.raises(TypeError, match="integer tensor"):
        example.segment_sum(tg.ones(3), tg.tensor([0.0, 1.0, 1.0]), 2)


def test_sign_sgd():
    optim = pytest.importorskip("tensorgraft.optim", reason="tensorgraft-optim is not installed")
    assert registry.optimizers["SignSGD"].__module__ == "tensorgraft_example_ops.optim"
    p = tg.tensor([1.0, -2.0, 3.0], requires_grad=True)
    opt = registry.optimizers["SignSGD"]([p], lr=0.5)
    (p * tg.tensor([2.0, -3.0, 0.0])).sum().backward()
    opt.step()
    assert p.tolist() == [0.5, -1.5, 3.0]
    assert getattr(optim, "SignSGD", registry.optimizers["SignSGD"]) is registry.optimizers["SignSGD"]


def test_every_device_agrees_with_cpu(tg_device):
    """On each installed device (the CUDA one uses the CuPy ElementwiseKernel for swish); devices
    that are not available are skipped by the tg_device fixture with their reason."""
    if tg_device == "cpu":
        pytest.skip("cpu is the reference")
    run_conformance(namespace="example", checks=("devices",), devices=[tg_device])
