"""Module semantics: registration, traversal, state_dict, hooks, repr (torch as oracle where present)."""
from collections import OrderedDict

import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn as nn

torch = pytest.importorskip("torch")
tnn = torch.nn


def _build(lib):
    class Net(lib.Module):
        def __init__(self):
            super().__init__()
            self.features = lib.Sequential(lib.Linear(4, 8), lib.ReLU(), lib.Linear(8, 8))
            self.head = lib.Linear(8, 3)
            self.shared = self.head  # shared module: deduplicated
            self.blocks = lib.ModuleList([lib.Linear(3, 3), lib.Tanh()])
            self.register_buffer("running", (tg if lib is nn else torch).zeros(3))
            self.register_buffer("tmp", (tg if lib is nn else torch).ones(2), persistent=False)
            self.scale = lib.Parameter((tg if lib is nn else torch).ones(1))

        def forward(self, x):
            return self.blocks[0](self.head(self.features(x))) * self.scale
    return Net()


def test_traversal_names_match_torch():
    a, b = _build(nn), _build(tnn)
    assert [n for n, _ in a.named_parameters()] == [n for n, _ in b.named_parameters()]
    assert [n for n, _ in a.named_buffers()] == [n for n, _ in b.named_buffers()]
    assert [n for n, _ in a.named_modules()] == [n for n, _ in b.named_modules()]
    assert [n for n, _ in a.named_children()] == [n for n, _ in b.named_children()]
    assert list(a.state_dict().keys()) == list(b.state_dict().keys())
    assert [n for n, _ in a.named_parameters(prefix="m", recurse=False)] == ["m.scale"]
    assert len(list(a.parameters())) == len(list(b.parameters()))
    assert [n for n, _ in a.named_parameters(remove_duplicate=False)] == \
        [n for n, _ in b.named_parameters(remove_duplicate=False)]
    assert repr(a) == repr(b)


def test_state_dict_roundtrip_and_detached():
    a = _build(nn)
    sd = a.state_dict()
    assert isinstance(sd, OrderedDict)
    assert not sd["head.weight"].requires_grad
    assert np.shares_memory(sd["head.weight"].numpy(), a.head.weight.detach().numpy())
    b = _build(nn)
    r = b.load_state_dict(sd)
    assert repr(r) == "<All keys matched successfully>"
    np.testing.assert_array_equal(b.head.weight.detach().numpy(), a.head.weight.detach().numpy())
    assert "tmp" not in sd


def _errmsg(fn):
    with pytest.raises(RuntimeError) as e:
        fn()
    return str(e.value)


def test_load_state_dict_errors_match_torch():
    a, b = nn.Linear(4, 2), tnn.Linear(4, 2)
    sd_a = {"weight": tg.zeros(3, 4), "bias": tg.zeros(2), "extra": tg.zeros(1)}
    sd_b = {"weight": torch.zeros(3, 4), "bias": torch.zeros(2), "extra": torch.zeros(1)}
    before = a.bias.detach().numpy().copy()
    assert _errmsg(lambda: a.load_state_dict(sd_a)) == _errmsg(lambda: b.load_state_dict(sd_b))
    np.testing.assert_array_equal(a.bias.detach().numpy(), before)  # nothing changed
    assert "size mismatch for weight: copying a param with shape torch.Size([3, 4]) from checkpoint, the shape " \
           "in current model is torch.Size([2, 4])." in _errmsg(lambda: a.load_state_dict(sd_a))
    sd_a2 = {"weight": tg.zeros(2, 4)}
    sd_b2 = {"weight": torch.zeros(2, 4)}
    assert _errmsg(lambda: a.load_state_dict(sd_a2)) == _errmsg(lambda: b.load_state_dict(sd_b2))
    ra = a.load_state_dict({"weight": tg.zeros(2, 4), "zzz": tg.ones(1)}, strict=False)
    rb = b.load_state_dict({"weight": torch.zeros(2, 4), "zzz": torch.ones(1)}, strict=False)
    assert repr(ra) == repr(rb)
    assert ra.missing_keys == ["bias"] and ra.unexpected_keys == ["zzz"]
    assert float(a.weight.detach().abs().sum()) == 0.0


def test_setattr_semantics_and_errors():
    m = nn.Module()
    m.w = nn.Parameter(tg.ones(2))
    assert "w" in m._parameters
    with pytest.raises(TypeError, match=r"cannot assign 'torch.FloatTensor' as parameter 'w' "
                                        r"\(torch.nn.Parameter or None expected\)"):
        m.w = tg.ones(2)
    m.w = None
    assert m.w is None and "w" in m._parameters
    m.sub = nn.Linear(1, 1)
    with pytest.raises(TypeError, match="cannot assign 'int' as child module 'sub'"):
        m.sub = 3
    m.register_buffer("b", tg.zeros(1))
    m.b = tg.ones(1)
    assert float(m._buffers["b"]) == 1.0
    with pytest.raises(TypeError, match="as buffer 'b'"):
        m.b = 5
    with pytest.raises(KeyError, match="attribute 'sub' already exists"):
        m.register_buffer("sub", tg.zeros(1))
    with pytest.raises(KeyError):
        m.register_parameter("a.b", None)
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'nope'"):
        _ = m.nope
    del m.sub
    assert "sub" not in m._modules
    with pytest.raises(AttributeError, match="cannot assign parameters before Module.__init__"):
        class Bad(nn.Module):
            def __init__(self):
                self.p = nn.Parameter(tg.ones(1))
        Bad()
    with pytest.raises(NotImplementedError, match='missing the required "forward" function'):
        nn.Module()(1)
    with pytest.raises(ValueError, match="Cannot assign non-leaf Tensor"):
        x = tg.ones(2, requires_grad=True)
        m.q = nn.Parameter(x)  # leaf: ok
        y = x * 2
        p = nn.Parameter(tg.ones(1))
        p.grad_fn = y.grad_fn
        m.register_parameter("r", p)


def test_parameter_repr_and_identity():
    p = nn.Parameter(tg.tensor([1.0, 2.0]))
    assert repr(p) == repr(tnn.Parameter(torch.tensor([1.0, 2.0])))
    assert p.requires_grad and p.is_leaf and isinstance(p, tg.Tensor)
    q = nn.Parameter(tg.ones(2), requires_grad=False)
    assert not q.requires_grad
    assert type(p * 2) is tg.Tensor


def test_train_eval_zero_grad_requires_grad():
    m = nn.Sequential(nn.Linear(3, 2), nn.Dropout(0.5))
    assert m.training and m[1].training
    m.eval()
    assert not m.training and not m[1].training
    m.train()
    assert m[1].training
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        m.train("yes")
    m(tg.randn(4, 3)).sum().backward()
    assert m[0].weight.grad is not None
    m.zero_grad(set_to_none=False)
    assert float(m[0].weight.grad.abs().sum()) == 0.0
    m.zero_grad()
    assert m[0].weight.grad is None
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())


def test_to_dtype_and_apply():
    m = nn.Linear(3, 2)
    w = m.weight
    m.double()
    assert m.weight is w and m.weight.dtype == tg.float64
    m.to(tg.float32)
    assert m.weight.dtype == tg.float32
    m.half().float()
    m.to("cpu").cpu()
    seen = []
    nn.Sequential(m, nn.ReLU()).apply(lambda mod: seen.append(type(mod).__name__))
    assert seen == ["Linear", "ReLU", "Sequential"]
    with pytest.raises(TypeError, match="floating point or complex"):
        m.to(tg.int64)


def test_hooks():
    m = nn.Linear(3, 2)
    h1 = m.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    h2 = m.register_forward_hook(lambda mod, args, out: out + 1)
    y = m(tg.ones(1, 3))
    np.testing.assert_allclose(y.detach().numpy(), m.bias.detach().numpy()[None] + 1, rtol=1e-6)
    h1.remove()
    h2.remove()
    grads = {}
    m.register_full_backward_hook(lambda mod, gi, go: grads.update(gi=gi, go=go))
    x = tg.randn(4, 3, requires_grad=True)
    m(x).sum().backward()
    assert grads["go"][0].shape == (4, 2) and grads["gi"][0].shape == (4, 3)
    np.testing.assert_allclose(grads["gi"][0].numpy(), x.grad.numpy())


def test_containers():
    s = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(s) == 3 and isinstance(s[0], nn.Linear) and isinstance(s[-1], nn.Linear)
    sub = s[1:]
    assert isinstance(sub, nn.Sequential) and len(sub) == 2 and list(sub._modules) == ["1", "2"]
    s.append(nn.Sigmoid())
    assert len(s) == 4 and [type(x).__name__ for x in s] == ["Linear", "ReLU", "Linear", "Sigmoid"]
    od = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert list(od.state_dict()) == ["fc.weight", "fc.bias"] and od.act is od[1]
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.ReLU()])
    tml = tnn.ModuleList([tnn.Linear(2, 2) for _ in range(3)] + [tnn.ReLU()])
    assert repr(ml) == repr(tml)
    md = nn.ModuleDict({"a": nn.Linear(1, 1), "b": nn.ReLU()})
    assert list(md.keys()) == ["a", "b"] and "a" in md
    pl = nn.ParameterList([nn.Parameter(tg.ones(2)), tg.zeros(3)])
    tpl = tnn.ParameterList([tnn.Parameter(torch.ones(2)), torch.zeros(3)])
    assert repr(pl) == repr(tpl)
    assert [n for n, _ in pl.named_parameters()] == ["0", "1"]
    pd = nn.ParameterDict({"x": nn.Parameter(tg.ones(2))})
    tpd = tnn.ParameterDict({"x": tnn.Parameter(torch.ones(2))})
    assert repr(pd) == repr(tpd)
    assert list(pd.state_dict()) == ["x"]
    with pytest.raises(IndexError):
        s[10]


def test_seed_tutorial_two_layer_and_dynamic_net():
    class TwoLayerNet(nn.Module):
        def __init__(self, D_in, H, D_out):
            super().__init__()
            self.linear1 = nn.Linear(D_in, H)
            self.linear2 = nn.Linear(H, D_out)

        def forward(self, x):
            return self.linear2(self.linear1(x).clamp(min=0))

    class DynamicNet(nn.Module):
        def __init__(self, D_in, H, D_out):
            super().__init__()
            self.input_linear = nn.Linear(D_in, H)
            self.middle_linear = nn.Linear(H, H)
            self.output_linear = nn.Linear(H, D_out)

        def forward(self, x):
            h = self.input_linear(x).clamp(min=0)
            for _ in range(2):
                h = self.middle_linear(h).clamp(min=0)
            return self.output_linear(h)

    tg.manual_seed(0)
    x, y = tg.randn(16, 20), tg.randn(16, 3)
    for cls in (TwoLayerNet, DynamicNet):
        model = cls(20, 10, 3)
        crit = nn.MSELoss(reduction="sum")
        losses = []
        for _ in range(20):
            loss = crit(model(x), y)
            losses.append(loss.item())
            model.zero_grad()
            loss.backward()
            with tg.no_grad():
                for p in model.parameters():
                    p -= 1e-3 * p.grad
        assert losses[-1] < losses[0]


def test_seed_freeze_and_replace_head():
    model = nn.Sequential(OrderedDict([("body", nn.Linear(8, 6)), ("act", nn.ReLU()), ("fc", nn.Linear(6, 4))]))
    for p in model.parameters():
        p.requires_grad = False
    model.fc = nn.Linear(6, 10)
    assert [n for n, p in model.named_parameters() if p.requires_grad] == ["fc.weight", "fc.bias"]
    model(tg.randn(2, 8)).sum().backward()
    assert model.body.weight.grad is None and model.fc.weight.grad is not None
    assert list(model.state_dict()) == ["body.weight", "body.bias", "fc.weight", "fc.bias"]


def test_batchnorm_old_checkpoint_without_num_batches_tracked():
    for lib in (nn, tnn):
        bn = lib.BatchNorm1d(3)
        sd = {k: v for k, v in bn.state_dict().items() if k != "num_batches_tracked"}
        assert repr(bn.load_state_dict(sd)) == "<All keys matched successfully>"
        sd2 = bn.state_dict()
        del sd2["num_batches_tracked"]  # metadata says version 2: now it is missing
        with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "num_batches_tracked"'):
            bn.load_state_dict(sd2)
    outer = nn.Sequential(nn.BatchNorm1d(2))
    sd = outer.state_dict()
    del sd["0.num_batches_tracked"]
    with pytest.raises(RuntimeError, match="0.num_batches_tracked"):
        outer.load_state_dict(sd)

