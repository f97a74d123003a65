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
    # 'xla' is a device type PyTorch knows but no installed part registers
    with pytest.raises(RuntimeError, match="no device backend is registered for 'xla'"):
        tg.zeros(2, device="xla")


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


# Multi-tensor elementwise ops with a 0-d CPU operand next to tensors on another device. Each
# case is ``f(x, y, s)``: ``x``/``y`` live on the device (``y`` has no zeros), ``s`` is the 0-d
# CPU tensor. The expectation is the same call with every operand on the CPU.
def _idx(x):
    return tg.tensor([0, 2]).to(x.device)


_JOIN_CASES = {
    "where other": lambda x, y, s: tg.where(x > 0, x, s),
    "where input": lambda x, y, s: tg.where(x > 0, s, y),
    "where both": lambda x, y, s: tg.where(x > 0, s, s * 2),
    "where condition": lambda x, y, s: tg.where(s > 0, x, y),
    "Tensor.where": lambda x, y, s: x.where(x > 0, s),
    "clamp": lambda x, y, s: x.clamp(min=s, max=s + 1),
    "clamp min": lambda x, y, s: tg.clamp(x, min=s),
    "clip": lambda x, y, s: tg.clip(x, s, s + 1),
    "clamp_min": lambda x, y, s: tg.clamp_min(x, s),
    "clamp_max": lambda x, y, s: x.clamp_max(s),
    "lerp weight": lambda x, y, s: tg.lerp(x, y, s),
    "lerp end": lambda x, y, s: tg.lerp(x, s, y),
    "lerp end and weight": lambda x, y, s: x.lerp(s, s * 2),
    "addcmul": lambda x, y, s: tg.addcmul(x, y, s, value=0.5),
    "addcmul tensor1": lambda x, y, s: x.addcmul(s, y),
    "addcdiv": lambda x, y, s: tg.addcdiv(x, y, s, value=2),
    "addcdiv tensor1": lambda x, y, s: tg.addcdiv(x, s, y),
    "masked_fill": lambda x, y, s: x.masked_fill(x > 0, s),
    "index_fill": lambda x, y, s: x.index_fill(0, _idx(x), s),
    "maximum": lambda x, y, s: tg.maximum(x, s),
    "minimum": lambda x, y, s: tg.minimum(s, x),
    "atan2": lambda x, y, s: tg.atan2(s, x),
    "pow": lambda x, y, s: y.abs().pow(s),
    "rpow": lambda x, y, s: s ** x,
    "copysign": lambda x, y, s: tg.copysign(s, x),
    "hypot": lambda x, y, s: tg.hypot(x, s),
    "xlogy": lambda x, y, s: tg.xlogy(s, y.abs()),
    "isclose": lambda x, y, s: tg.isclose(x, s * 0 + 0.5),
}
# ops whose value must be 0-d whatever its device: a 1-d one is refused before devices are looked at
_ZERO_DIM_ONLY = {"masked_fill": "masked_fill_ only supports a 0-dimensional value tensor",
                  "index_fill": "index_fill_ only supports a 0-dimensional value tensor"}
_X, _Y, _S = [0.5, -1.5, 2.0, 0.75], [1.5, 0.25, -0.75, 3.0], 0.3


@pytest.mark.parametrize("case", list(_JOIN_CASES))
def test_zero_dim_cpu_tensor_joins_multi_tensor_ops(second_device, case):
    f = _JOIN_CASES[case]
    x, y = tg.tensor(_X).to(second_device), tg.tensor(_Y).to(second_device)
    out = f(x, y, tg.tensor(_S))
    expected = f(tg.tensor(_X), tg.tensor(_Y), tg.tensor(_S))
    assert out.device == x.device and out.dtype is expected.dtype
    assert out.to("cpu").tolist() == expected.tolist()
    # a 1-element but 1-d CPU tensor is no scalar: PyTorch's error, the op's device named first
    msg = _ZERO_DIM_ONLY.get(case, "Expected all tensors to be on the same device, but found at least two "
                                   "devices, tgseconddev:0 and cpu!")
    with pytest.raises(RuntimeError, match=msg):
        f(x, y, tg.tensor([_S]))


@pytest.mark.parametrize("case", [c for c in _JOIN_CASES if c != "isclose"])
def test_zero_dim_cpu_operand_of_multi_tensor_ops_gets_its_gradient_on_the_cpu(second_device, case):
    if tg.Tensor._autograd is None:
        pytest.skip("the autograd engine is not installed")
    f = _JOIN_CASES[case]

    def grads(dev):
        x, y = (tg.tensor(v).to(dev).requires_grad_() for v in (_X, _Y))
        s = tg.tensor(_S, requires_grad=True)
        f(x, y, s).sum().backward()
        return x, y, s

    x, y, s = grads(second_device)
    cx, cy, cs = grads("cpu")
    if case != "where condition":  # a condition has no gradient
        assert s.grad.device == tg.device("cpu")
    for t, c in ((s, cs), (x, cx), (y, cy)):
        assert (t.grad is None) == (c.grad is None)
        if t.grad is not None:
            assert t.grad.device == t.device and t.grad.to("cpu").tolist() == pytest.approx(c.grad.tolist())


_INPLACE_CASES = {
    "clamp_": lambda y, s: y.clamp_(min=s, max=s + 1),
    "clip_": lambda y, s: y.clip_(s),
    "clamp_min_": lambda y, s: y.clamp_min_(s),
    "clamp_max_": lambda y, s: y.clamp_max_(s),
    "lerp_": lambda y, s: y.lerp_(y * 2, s),
    "lerp_ end": lambda y, s: y.lerp_(s, 0.25),
    "addcmul_": lambda y, s: y.addcmul_(y, s, value=2),
    "addcdiv_": lambda y, s: y.addcdiv_(s, y),
    "masked_fill_": lambda y, s: y.masked_fill_(y > 1, s),
    "index_fill_": lambda y, s: y.index_fill_(0, _idx(y), s),
    "fill_": lambda y, s: y.fill_(s),
    "setitem": lambda y, s: y.__setitem__(slice(1, 3), s),
    "mul_": lambda y, s: y.mul_(s),
}


@pytest.mark.parametrize("case", list(_INPLACE_CASES))
def test_zero_dim_cpu_tensor_as_the_other_operand_of_an_inplace_op(second_device, case):
    f = _INPLACE_CASES[case]
    y, cy = tg.tensor(_Y).to(second_device), tg.tensor(_Y)
    f(y, tg.tensor(_S))
    f(cy, tg.tensor(_S))
    assert y.device.type == second_device and y.to("cpu").tolist() == cy.tolist()


@pytest.mark.parametrize("case", ["clamp_", "clamp_min_", "clamp_max_", "lerp_", "addcmul_", "addcdiv_", "mul_"])
def test_zero_dim_cpu_self_cannot_receive_a_result_from_another_device(second_device, case):
    f = _INPLACE_CASES[case]
    s = tg.tensor(_S)
    with pytest.raises(RuntimeError, match="found at least two devices, tgseconddev:0 and cpu!"):
        f(s, tg.tensor(2.0).to(second_device))
    assert s.item() == tg.tensor(_S).item()  # untouched
    with pytest.raises(RuntimeError, match="found at least two devices, tgseconddev:0 and cpu!"):
        s[()] = tg.tensor(2.0).to(second_device)


def test_device_mismatch_names_the_op_device_first(second_device):
    x = tg.tensor([1.0, 2.0]).to(second_device)
    # PyTorch's TensorIterator: the first device that is not the CPU is the op's, whatever the order
    for f in (lambda: tg.ones(2) + x, lambda: tg.where(tg.tensor([True, False]), x, x),
              lambda: tg.addcmul(tg.ones(2), x, x), lambda: tg.lerp(tg.ones(2), x, 0.5)):
        with pytest.raises(RuntimeError, match="found at least two devices, tgseconddev:0 and cpu!"):
            f()


def test_masked_fill_mask_never_crosses_devices(second_device):
    x = tg.tensor([1.0, 2.0]).to(second_device)
    for mask in (tg.tensor([True, False]), tg.tensor(True)):  # not even a 0-d CPU mask, as in PyTorch
        with pytest.raises(RuntimeError, match="expected self and mask to be on the same device, but got mask on "
                                               "cpu and self on tgseconddev:0"):
            x.masked_fill(mask, 0.0)


def test_fill_takes_a_zero_dim_value_from_any_device(second_device):
    # PyTorch's fill_ reads a 0-d value with .item(), so it may come from any device, either way
    c = tg.zeros(2)
    c.fill_(tg.tensor(4.0).to(second_device))
    assert c.device == tg.device("cpu") and c.tolist() == [4.0, 4.0]
    if tg.Tensor._autograd is None:
        return
    v = tg.tensor(4.0).to(second_device).requires_grad_()
    (tg.zeros(3) * 1).fill_(v).sum().backward()
    assert v.grad.device == v.device and v.grad.item() == 3.0


def test_device_as_context_manager():
    # PyTorch 2: the block makes the device the factories' default (test_core_default_device.py)
    with tg.device("cpu") as d:
        assert d == tg.device("cpu") and tg.zeros(1).device == tg.device("cpu")
    assert tg.get_default_device() == tg.device("cpu")


def test_assert_on_device():
    from tensorgraft.testing import assert_on_device
    t = tg.ones(2)
    assert_on_device(t, "cpu")
    with pytest.raises(AssertionError, match="cpu is not a cuda device"):
        assert_on_device(t, "cuda")
    t._data = [1.0, 1.0]  # the right device, but not the device's own array
    with pytest.raises(AssertionError, match="is not a cpu array"):
        assert_on_device(t, "cpu")
