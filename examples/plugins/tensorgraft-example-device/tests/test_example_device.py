"""The 'npcopy' device: moves, device errors, and every core op agreeing with the CPU."""
import numpy as np
import pytest

tg = pytest.importorskip("tensorgraft")
pytest.importorskip("tensorgraft_example_device")

from tensorgraft.device import backends  # noqa: E402
from tensorgraft.registry import registry  # noqa: E402
from tensorgraft.testing import assert_close  # noqa: E402
from tensorgraft.testing import conformance as C  # noqa: E402

if "npcopy" not in backends():  # importable from a source tree but not installed: load it by hand
    from tensorgraft.plugins import load_plugin
    import tensorgraft_example_device.plugin as _plugin
    load_plugin(_plugin, distribution="tensorgraft-example-device")

try:
    import tensorgraft.autograd  # noqa: F401
    HAVE_AUTOGRAD = True
except ImportError:
    HAVE_AUTOGRAD = False


def test_move_and_back():
    x = tg.arange(6.0).reshape(2, 3)
    y = x.to("npcopy")
    assert y.device == tg.device("npcopy", 0) and str(y.device) == "npcopy:0"
    assert not y.is_cpu and y.dtype is tg.float32
    assert y._data is not x._data  # a real copy
    assert "device='npcopy:0'" in repr(y)
    z = y.cpu()
    assert z.device.type == "cpu" and z.tolist() == x.tolist()
    assert y.to("npcopy") is y  # no-op move returns the same tensor, as in PyTorch
    w = tg.zeros(2, 2, device="npcopy")
    assert w.device.type == "npcopy"
    assert y.to("npcopy", tg.float64).dtype is tg.float64
    with pytest.raises(TypeError, match="can't convert npcopy"):
        y.numpy()
    with pytest.raises(TypeError, match="can't convert npcopy"):
        np.array(y)  # (as numpy(): PyTorch's __array__ refuses memory off the host; .cpu() first)
    assert np.array(y.cpu()).tolist() == x.tolist()


def test_mixing_devices_errors_clearly():
    a = tg.ones(2, device="npcopy")
    b = tg.ones(2)
    with pytest.raises(RuntimeError, match=r"Expected all tensors to be on the same device, but found at least "
                                           r"two devices, npcopy:0 and cpu"):
        a + b
    with pytest.raises(RuntimeError, match="same device"):
        tg.matmul(tg.ones(2, 2), tg.ones(2, 2, device="npcopy"))
    with pytest.raises(RuntimeError, match="Invalid device ordinal 3"):
        b.to("npcopy:3")


def test_ops_run_on_npcopy():
    x = tg.tensor([[1.0, -2.0], [3.0, 4.0]], device="npcopy")
    assert ((x * 2 + 1).exp().log().sum(1)).device.type == "npcopy"
    assert_close((x @ x.t()).cpu(), tg.tensor([[5.0, -5.0], [-5.0, 25.0]]))
    assert x[0].cpu().tolist() == [1.0, -2.0]
    assert x.reshape(4).cpu().tolist() == [1.0, -2.0, 3.0, 4.0]


@pytest.mark.skipif(not HAVE_AUTOGRAD, reason="tensorgraft-autograd is not installed")
def test_backward_on_npcopy():
    x = tg.tensor([1.0, 2.0, 3.0], device="npcopy", requires_grad=True)
    (x * x).sum().backward()
    assert x.grad.device.type == "npcopy"
    assert x.grad.cpu().tolist() == [2.0, 4.0, 6.0]
    # gradients flow back across a device move
    c = tg.tensor([1.0, 2.0], requires_grad=True)
    (c.to("npcopy") * 3).sum().backward()
    assert c.grad.device.type == "cpu" and c.grad.tolist() == [3.0, 3.0]


def test_every_core_op_agrees_with_cpu():
    """The conformance kit's device check over every core op it has samples for (forward, and
    gradients in float64), npcopy against cpu."""
    names = [n for n in C.core_sample_names() if n in registry.ops]
    assert len(names) > 80
    assert C.run_conformance(names=names, checks=("devices",), devices=["npcopy"]) == len(names)


def test_plugin_ops_on_npcopy():
    """If the example ops plugin is installed too, its ops run on npcopy through generic kernels."""
    if "example.swish" not in registry.ops:
        pytest.skip("tensorgraft-example-ops is not installed")
    C.run_conformance(namespace="example", checks=("devices",), devices=["npcopy"])
