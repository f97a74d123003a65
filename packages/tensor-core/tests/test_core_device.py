"""tensorgraft.device: parsing, repr/str/eq/hash (oracle: torch.device), and the CUDA-less errors."""
import pickle

import pytest

import tensorgraft as tg
from tensorgraft.device import backends

GOOD = ["cpu", "cuda", "cuda:0", "cuda:1", "cpu:0", "meta", "mps", "xla:2", "cuda:10"]
BAD = ["cdua", "cuda:x", "cuda:-1", "", "CPU", "cuda:01", " cuda", "cuda:", ":0", "cuda:0:1"]


def _has_cuda_backend():
    b = backends().get("cuda")
    return b is not None and b.is_available()


def test_parse_plain():
    d = tg.device("cuda:1")
    assert (d.type, d.index) == ("cuda", 1)
    assert tg.device("cpu").index is None
    assert tg.device("cuda", 0) == tg.device("cuda:0")
    assert tg.device(type="cuda", index=2).index == 2
    assert tg.device(tg.device("cpu")) is tg.device("cpu")
    assert tg.device("cpu") is tg.device("cpu")  # interned: device checks are identity checks


def test_repr_str_eq_hash():
    assert repr(tg.device("cpu")) == "device(type='cpu')"
    assert repr(tg.device("cuda", 1)) == "device(type='cuda', index=1)"
    assert str(tg.device("cuda:1")) == "cuda:1" and str(tg.device("cpu")) == "cpu"
    assert tg.device("cpu") != tg.device("cpu", 0)
    assert tg.device("cuda") != tg.device("cuda:0")
    assert not (tg.device("cpu") == "cpu")
    assert {tg.device("cpu"): 1}[tg.device("cpu")] == 1
    assert pickle.loads(pickle.dumps(tg.device("cuda:3"))) == tg.device("cuda:3")
    with pytest.raises(AttributeError):
        tg.device("cpu").type = "cuda"


def test_errors_plain():
    with pytest.raises(RuntimeError, match="Invalid device string: 'cuda:x'"):
        tg.device("cuda:x")
    with pytest.raises(RuntimeError, match="device type at start of device string: cdua"):
        tg.device("cdua")
    with pytest.raises(RuntimeError, match="Device string must not be empty"):
        tg.device("")
    with pytest.raises(RuntimeError, match="Device index must not be negative"):
        tg.device("cuda", -1)
    with pytest.raises(RuntimeError, match="must not include an index"):
        tg.device("cuda:0", 1)
    with pytest.raises(TypeError, match="device\\(\\) received an invalid combination of arguments"):
        tg.device(1.5)


@pytest.mark.parametrize("spec", GOOD)
def test_oracle_good_strings(spec):
    torch = pytest.importorskip("torch")
    g, t = tg.device(spec), torch.device(spec)
    assert repr(g) == repr(t) and str(g) == str(t)
    assert (g.type, g.index) == (t.type, t.index)


@pytest.mark.parametrize("spec", BAD)
def test_oracle_bad_strings(spec):
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError) as te:
        torch.device(spec)
    with pytest.raises(RuntimeError) as ge:
        tg.device(spec)
    assert str(ge.value) == str(te.value)


def test_oracle_eq():
    torch = pytest.importorskip("torch")
    pairs = [("cpu", "cpu"), ("cpu", "cpu:0"), ("cuda", "cuda:0"), ("cuda:1", "cuda:1")]
    for a, b in pairs:
        assert (tg.device(a) == tg.device(b)) == (torch.device(a) == torch.device(b))
    assert (tg.device("cpu") == "cpu") == (torch.device("cpu") == "cpu")


def test_tensor_device_and_cpu_index():
    x = tg.zeros(2, device="cpu:0")
    assert x.device == tg.device("cpu") and x.device.index is None
    assert x.is_cpu and not x.is_cuda
    assert tg.ones(2, device=tg.device("cpu")).device is tg.device("cpu")
    assert x.to("cpu") is x
    assert x.cpu() is x


@pytest.mark.skipif(_has_cuda_backend(), reason="a CUDA backend is installed")
@pytest.mark.parametrize("make", [
    lambda: tg.tensor([1.0], device="cuda"),
    lambda: tg.zeros(2, device="cuda"),
    lambda: tg.ones(2, device="cuda:0"),
    lambda: tg.randn(2, device="cuda"),
    lambda: tg.arange(3, device="cuda"),
    lambda: tg.ones(2).to("cuda"),
    lambda: tg.ones(2).cuda(),
])
def test_cuda_without_backend_is_a_clear_error(make):
    with pytest.raises(RuntimeError, match="no CUDA backend is available.*tensorgraft-cuda"):
        make()


def test_unknown_backend_error():
    with pytest.raises(RuntimeError, match="no device backend is registered for 'meta'"):
        tg.zeros(2, device="meta")


class _FakeBackend:
    """A NumPy-backed stand-in for an accelerator (type 'privateuseone'), for creation/printing."""
    type = "privateuseone"
    xp = __import__("numpy")

    def is_available(self):
        return True

    def device_count(self):
        return 2

    def from_host(self, array, index):
        return self.xp.array(array, copy=True)

    def to_host(self, array):
        return self.xp.asarray(array)


@pytest.fixture
def fake_device():
    reg = backends()
    reg["privateuseone"] = _FakeBackend()
    try:
        yield
    finally:
        del reg["privateuseone"]


def test_creation_and_repr_on_a_plugin_device(fake_device):
    x = tg.tensor([1.0, 2.0], device="privateuseone")
    assert x.device == tg.device("privateuseone", 0)
    assert repr(x) == "tensor([1., 2.], device='privateuseone:0')"
    z = tg.zeros(2, 2, dtype=tg.int32, device="privateuseone:1")
    assert z.device.index == 1
    assert repr(z) == "tensor([[0, 0],\n        [0, 0]], device='privateuseone:1', dtype=torch.int32)"
    assert tg.arange(3, device="privateuseone").tolist() == [0, 1, 2]
    assert tg.randn(3, device="privateuseone").device.type == "privateuseone"
    assert x.type() == "torch.privateuseone.FloatTensor"
    with pytest.raises(TypeError, match="can't convert privateuseone:0 device type tensor to numpy"):
        x.numpy()
    with pytest.raises(RuntimeError, match="Invalid device ordinal 5"):
        tg.zeros(1, device="privateuseone:5")


@pytest.fixture
def second_device():
    """A NumPy-backed device registered through the plugin hooks, so every op has a kernel table
    entry for it (as a real accelerator plugin would)."""
    import types

    from tensorgraft.device import CPUBackend
    from tensorgraft.plugins import hookimpl, load_plugin
    from tensorgraft.registry import registry

    class Second(CPUBackend):
        type = "tgseconddev"

        def from_host(self, array, index):
            return array.copy()

        def current_index(self):
            return 0

    mod = types.ModuleType("tg_test_second_device")
    mod.tensorgraft_register_devices = hookimpl(lambda registrar: registrar.register_device(Second()))
    load_plugin(mod, distribution="tg-test-second-device")
    try:
        yield "tgseconddev"
    finally:  # unregister, so the device does not leak into other tests of the session
        from tensorgraft.plugins import manager
        registry.forget("tg-test-second-device")
        manager.plugins.pop("tg-test-second-device", None)
        if manager.get_plugin_manager().is_registered(mod):
            manager.get_plugin_manager().unregister(mod)
        registry.device_owner.pop("tgseconddev", None)
        backends().pop("tgseconddev", None)
        for op in registry.ops.values():
            op.table.pop("tgseconddev", None)


def test_zero_dim_cpu_tensor_joins_an_op_on_another_device(second_device):
    x = tg.tensor([1.0, 2.0]).to(second_device)
    s = tg.tensor(3.0)  # 0-d, on the CPU: PyTorch treats it as a scalar on any device
    for out in (x * s, s * x, x + s, s - x, x / s, x.add(s), tg.mul(s, x), x > s):
        assert out.device == x.device
    assert (x * s).to("cpu").tolist() == [3.0, 6.0] and (s - x).to("cpu").tolist() == [2.0, 1.0]
    assert (x * tg.tensor(2, dtype=tg.int64)).dtype is tg.float32  # a 0-d tensor does not upcast
    # a 1-element but 1-d CPU tensor is no scalar: the usual error, naming both devices
    with pytest.raises(RuntimeError, match="same device, but found at least two devices, tgseconddev:0 and cpu"):
        x * tg.tensor([3.0])
    with pytest.raises(RuntimeError, match="same device"):
        tg.ones(2) + tg.tensor(1.0).to(second_device)  # only a CPU scalar may cross
    y = x.clone()
    y.mul_(s)  # in place on the device tensor: fine
    y += s
    assert y.to("cpu").tolist() == [6.0, 9.0] and y.device == x.device
    with pytest.raises(RuntimeError, match="same device"):
        s.mul_(x)  # but the CPU scalar cannot receive a result computed on the device
    assert s.item() == 3.0


def test_zero_dim_cpu_tensor_gets_its_gradient_on_the_cpu(second_device):
    if tg.Tensor._autograd is None:
        pytest.skip("the autograd engine is not installed")
    x = tg.tensor([1.0, 2.0]).to(second_device).requires_grad_()
    s = tg.tensor(3.0, requires_grad=True)
    (x * s).sum().backward()
    assert s.grad.device == tg.device("cpu") and s.grad.item() == 3.0
    assert x.grad.device == x.device and x.grad.to("cpu").tolist() == [3.0, 3.0]
