"""Weight and spectral normalisation: the hook-based ``nn.utils.weight_norm``/``spectral_norm`` and
their removal, ``nn.utils.parametrize`` and ``nn.utils.parametrizations.weight_norm``/``spectral_norm``.
NumPy references first, then every device, then PyTorch as the oracle (its parameters and the
random ``u``/``v`` buffers copied in)."""
import copy
import pickle
import warnings

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.testing import assert_on_device
import tensorgraft.nn as nn
from tensorgraft.autograd import gradcheck, gradgradcheck
from tensorgraft.nn.utils import parametrize
from tensorgraft.testing.oracle import assert_same_error, seeded_normal

pytestmark = pytest.mark.filterwarnings("ignore:`torch.nn.utils.weight_norm` is deprecated:FutureWarning")


def np_norm_except(v, dim):
    if dim is None or dim == -1:
        return np.sqrt((v * v).sum())
    axes = tuple(i for i in range(v.ndim) if i != dim % v.ndim)
    return np.sqrt((v * v).sum(axis=axes, keepdims=True))


def linear(seed=0, dtype=tg.float64, **kw):
    tg.manual_seed(seed)
    return nn.Linear(3, 4, dtype=dtype, **kw)


# ------------------------------------------------------------------ weight_norm (hooks)
@pytest.mark.parametrize("dim, shape_g", [(0, (4, 1)), (1, (1, 3)), (None, ())])
def test_weight_norm_linear(dim, shape_g):
    m = linear()
    w0 = m.weight.detach().numpy().copy()
    with pytest.warns(FutureWarning, match="is deprecated in favor of `torch.nn.utils.parametrizations.weight_norm`"):
        assert nn.utils.weight_norm(m, dim=dim) is m
    assert list(m.state_dict()) == ["bias", "weight_g", "weight_v"]
    assert [n for n, _ in m.named_parameters()] == ["bias", "weight_g", "weight_v"]
    assert m.weight_g.shape == shape_g
    np.testing.assert_allclose(m.weight_g.detach().numpy(), np_norm_except(w0, dim))
    np.testing.assert_allclose(m.weight.detach().numpy(), w0)
    assert m.weight.grad_fn.name() == ("MulBackward0" if dim is None else "WeightNormInterfaceBackward0")
    # a new magnitude takes effect at the next call
    with tg.no_grad():
        m.weight_g.mul_(2.0)
    x = tg.tensor(seeded_normal(5, 3, seed=1))
    y = m(x)
    np.testing.assert_allclose(m.weight.detach().numpy(), 2 * w0)
    np.testing.assert_allclose(y.detach().numpy(), x.numpy() @ (2 * w0).T + m.bias.detach().numpy())
    g = seeded_normal(5, 4, seed=2)
    y.backward(tg.tensor(g))
    # d/dg and d/dv of w = g v / ||v|| against the chain rule by hand
    v, gg = m.weight_v.detach().numpy(), m.weight_g.detach().numpy()
    gw = g.T @ x.numpy()
    n = np_norm_except(v, dim)
    axes = None if dim is None else tuple(i for i in range(2) if i != dim)
    red = (gw * v).sum(axis=axes, keepdims=dim is not None) / n
    np.testing.assert_allclose(m.weight_g.grad.numpy(), red)
    np.testing.assert_allclose(m.weight_v.grad.numpy(), gg / n * (gw - v * red / n))


def test_weight_norm_conv_dims_and_removal():
    tg.manual_seed(0)
    c = nn.Conv2d(2, 3, 2, dtype=tg.float64)
    w0 = c.weight.detach().numpy().copy()
    nn.utils.weight_norm(c, dim=-2)                 # -2 is dim 2; only -1 means the whole tensor
    assert c.weight_g.shape == (1, 1, 2, 1)
    assert c.weight.grad_fn.name() == "MulBackward0"   # not the first or last dim: not fused
    nn.utils.weight_norm(c, "bias", dim=0)
    assert c.bias_g.shape == (3,)
    with pytest.raises(RuntimeError, match="^Cannot register two weight_norm hooks on the same parameter weight$"):
        nn.utils.weight_norm(c)
    c(tg.tensor(seeded_normal(1, 2, 3, 3)))
    assert nn.utils.remove_weight_norm(c) is c
    assert list(c.state_dict()) == ["bias_g", "bias_v", "weight"]
    assert isinstance(c.weight, nn.Parameter) and c.weight.grad_fn is None
    np.testing.assert_allclose(c.weight.detach().numpy(), w0)
    with pytest.raises(ValueError, match="^weight_norm of 'weight' not found in Conv2d"):
        nn.utils.remove_weight_norm(c)


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_weight_norm_op_gradcheck(dim):
    from tensorgraft.nn.functional_ops.weight_norm import norm_except_dim, weight_norm
    v = tg.tensor(seeded_normal(3, 4, 2), requires_grad=True)
    g = tg.tensor(norm_except_dim(v.detach(), 2, dim).numpy() * 1.5, requires_grad=True)
    assert gradcheck(lambda v, g: weight_norm(v, g, dim), (v, g))
    assert gradgradcheck(lambda v, g: weight_norm(v, g, dim), (v, g))


# ------------------------------------------------------------------ spectral_norm (hooks)
def np_power(w_mat, u, v, n):
    for _ in range(n):
        v = w_mat.T @ u
        v = v / max(np.linalg.norm(v), 1e-12)
        u = w_mat @ v
        u = u / max(np.linalg.norm(u), 1e-12)
    return u, v


def test_spectral_norm_power_iteration_and_eval():
    m = linear()
    w0 = m.weight.detach().numpy().copy()
    nn.utils.spectral_norm(m, n_power_iterations=3)
    assert list(m.state_dict()) == ["bias", "weight_orig", "weight_u", "weight_v"]
    assert list(dict(m.named_buffers())) == ["weight_u", "weight_v"]
    assert m.state_dict()._metadata[""]["spectral_norm"] == {"weight.version": 1}
    u0, v0 = m.weight_u.numpy().copy(), m.weight_v.numpy().copy()
    np.testing.assert_allclose([np.linalg.norm(u0), np.linalg.norm(v0)], [1, 1])
    u_buf = m.weight_u
    x = tg.tensor(seeded_normal(5, 3, seed=1))
    y = m(x)
    u, v = np_power(w0, u0, v0, 3)
    assert m.weight_u is u_buf, "the buffers are updated in place"
    np.testing.assert_allclose(m.weight_u.numpy(), u)
    np.testing.assert_allclose(m.weight_v.numpy(), v)
    sigma = u @ w0 @ v
    np.testing.assert_allclose(m.weight.detach().numpy(), w0 / sigma)
    np.testing.assert_allclose(y.detach().numpy(), x.numpy() @ (w0 / sigma).T + m.bias.detach().numpy())
    assert abs(sigma - np.linalg.svd(w0, compute_uv=False)[0]) < 1e-2   # 3 steps from a random start
    y.sum().backward()
    assert m.weight_orig.grad is not None and m.weight_orig.grad.shape == (4, 3)
    u_trained = m.weight_u.numpy().copy()
    m.eval()
    m(x)
    np.testing.assert_array_equal(m.weight_u.numpy(), u_trained)     # no power iteration in eval mode
    with pytest.raises(RuntimeError, match="^Cannot register two spectral_norm hooks on the same parameter weight$"):
        nn.utils.spectral_norm(m)
    nn.utils.remove_spectral_norm(m)
    assert list(m.state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(m.weight.detach().numpy(), w0 / sigma)
    assert not m._state_dict_hooks
    with pytest.raises(ValueError, match="^spectral_norm of 'weight' not found in Linear"):
        nn.utils.remove_spectral_norm(m)
    with pytest.raises(ValueError, match="^Expected n_power_iterations to be positive, but got n_power_iterations=0$"):
        nn.utils.spectral_norm(linear(), n_power_iterations=0)


def test_spectral_norm_default_dim_and_state_dict_round_trip():
    ct = nn.utils.spectral_norm(nn.ConvTranspose2d(3, 4, 2))
    assert ct.weight_u.shape == (4,) and ct.weight_v.shape == (3 * 2 * 2,)   # dim 1: output channels
    c = nn.utils.spectral_norm(nn.Conv2d(3, 4, 2))
    assert c.weight_u.shape == (4,)
    a, b = nn.utils.spectral_norm(linear(1)), nn.utils.spectral_norm(linear(2))
    a(tg.tensor(seeded_normal(2, 3)))
    b.load_state_dict(a.state_dict())
    b.eval()
    a.eval()
    x = tg.tensor(seeded_normal(2, 3, seed=3))
    np.testing.assert_allclose(b(x).detach().numpy(), a(x).detach().numpy())


# ------------------------------------------------------------------ parametrize
class Symmetric(nn.Module):
    def forward(self, x):
        return x.triu() + x.triu(1).transpose(0, 1)

    def right_inverse(self, a):
        return a.triu()


class Scale(nn.Module):
    def forward(self, x):
        return x * 2

    def right_inverse(self, y):
        return y / 2


def test_register_and_remove_parametrization():
    m = nn.Linear(3, 3)
    w0 = m.weight.detach().numpy().copy()
    parametrize.register_parametrization(m, "weight", Symmetric())
    assert type(m).__name__ == "ParametrizedLinear" and isinstance(m, nn.Linear)
    assert parametrize.type_before_parametrizations(m) is nn.Linear
    assert parametrize.is_parametrized(m) and parametrize.is_parametrized(m, "weight")
    assert not parametrize.is_parametrized(m, "bias")
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original"]
    w = m.weight.detach().numpy()
    np.testing.assert_allclose(w, w.T)
    np.testing.assert_allclose(np.triu(w), np.triu(w0), rtol=1e-6)
    # a second parametrization on the same tensor is chained
    parametrize.register_parametrization(m, "weight", Scale())
    np.testing.assert_allclose(m.weight.detach().numpy(), 2 * w, rtol=1e-6)
    # assigning runs the right inverses, last first
    target = np.array([[2.0, 4, 6], [4, 8, 10], [6, 10, 12]], np.float32)
    m.weight = tg.tensor(target)
    np.testing.assert_allclose(m.weight.detach().numpy(), target)
    np.testing.assert_allclose(m.parametrizations.weight.original.detach().numpy(), np.triu(target / 2))
    # gradients reach the original
    m(tg.ones(2, 3)).sum().backward()
    assert m.parametrizations.weight.original.grad is not None
    # cached: one evaluation per block
    calls = []
    m.parametrizations.weight[0].register_forward_hook(lambda *a: calls.append(1))
    with parametrize.cached():
        assert m.weight is m.weight
    assert len(calls) == 1
    assert m.weight is not m.weight
    with pytest.raises(RuntimeError, match="^Serialization of parametrized modules is only supported through"):
        pickle.dumps(m)
    m2 = copy.deepcopy(m)
    assert type(m2) is type(m)
    np.testing.assert_allclose(m2.weight.detach().numpy(), m.weight.detach().numpy())
    parametrize.remove_parametrizations(m, "weight")
    assert type(m) is nn.Linear and not hasattr(m, "parametrizations")
    assert list(m.state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(m.weight.detach().numpy(), target)
    assert isinstance(m.weight, nn.Parameter)


def test_parametrize_buffers_leave_unparametrized_and_errors():
    m = nn.BatchNorm1d(3)
    parametrize.register_parametrization(m, "running_var", Scale())
    assert list(m.state_dict())[-1] == "parametrizations.running_var.original"
    assert not isinstance(m.parametrizations.running_var.original, nn.Parameter)
    # registering stores right_inverse(ones): the buffer reads the same, the original is halved
    np.testing.assert_allclose(m.running_var.numpy(), np.ones(3))
    np.testing.assert_allclose(m.parametrizations.running_var.original.numpy(), 0.5 * np.ones(3))
    parametrize.remove_parametrizations(m, "running_var", leave_parametrized=False)
    np.testing.assert_allclose(m.running_var.numpy(), 0.5 * np.ones(3))
    assert "running_var" in m._buffers

    class Wrong(nn.Module):
        def forward(self, x):
            return x[:2]
    with pytest.raises(ValueError, match="may not change the shape of the tensor, unless `unsafe` flag is enabled"):
        parametrize.register_parametrization(nn.Linear(3, 4), "weight", Wrong())
    parametrize.register_parametrization(nn.Linear(3, 4), "weight", Wrong(), unsafe=True)
    with pytest.raises(ValueError, match="does not have a parameter, a buffer, or a parametrized element with name"):
        parametrize.register_parametrization(nn.Linear(3, 4), "foo", Scale())
    m = nn.utils.parametrizations.weight_norm(nn.Linear(3, 4))
    with pytest.raises(ValueError, match="^Cannot leave unparametrized"):
        parametrize.remove_parametrizations(m, "weight", leave_parametrized=False)
    with pytest.raises(ValueError, match="does not have a parametrization on bias$"):
        parametrize.remove_parametrizations(m, "bias")


# ------------------------------------------------------------------ parametrizations
def test_parametrizations_weight_norm_and_old_state_dicts():
    old = nn.utils.weight_norm(linear(3))
    new = nn.utils.parametrizations.weight_norm(linear(4))
    assert list(new.state_dict()) == ["bias", "parametrizations.weight.original0",
                                      "parametrizations.weight.original1"]
    assert new.weight.grad_fn.name() == "WeightNormInterfaceBackward0"
    new.load_state_dict(old.state_dict())      # weight_g/weight_v are renamed on load
    x = tg.tensor(seeded_normal(2, 3))
    np.testing.assert_allclose(new(x).detach().numpy(), old(x).detach().numpy())
    new(x).sum().backward()
    assert new.parametrizations.weight.original0.grad.shape == (4, 1)
    parametrize.remove_parametrizations(new, "weight")
    np.testing.assert_allclose(new.weight.detach().numpy(), old.weight.detach().numpy())


def test_parametrizations_spectral_norm():
    m = linear()
    w0 = m.weight.detach().numpy().copy()
    nn.utils.parametrizations.spectral_norm(m)
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original", "parametrizations.weight.0._u",
                                    "parametrizations.weight.0._v"]
    sn = m.parametrizations.weight[0]
    v0 = sn._v.numpy().copy()
    w = m.weight          # a training-mode access runs one power-method step: u first, then v
    u = w0 @ v0
    u /= np.linalg.norm(u)
    v = w0.T @ u
    v /= np.linalg.norm(v)
    np.testing.assert_allclose(sn._u.numpy(), u)
    np.testing.assert_allclose(w.detach().numpy(), w0 / (u @ w0 @ v))
    # 15 steps at construction: sigma is already the largest singular value
    np.testing.assert_allclose(u @ w0 @ v, np.linalg.svd(w0, compute_uv=False)[0], rtol=1e-6)
    m.eval()
    _ = m.weight
    np.testing.assert_array_equal(sn._u.numpy(), u)
    b = nn.utils.parametrizations.spectral_norm(nn.Linear(3, 4), "bias")   # 1-D: normalised
    np.testing.assert_allclose(np.linalg.norm(b.bias.detach().numpy()), 1, rtol=1e-6)
    ct = nn.utils.parametrizations.spectral_norm(nn.ConvTranspose2d(3, 4, 2))
    assert ct.parametrizations.weight[0].dim == 1
    with pytest.raises(ValueError, match="has no parameter or buffer with name 'foo'$"):
        nn.utils.parametrizations.spectral_norm(nn.Linear(3, 4), "foo")
    with pytest.raises(IndexError, match=r"^Dimension out of range \(expected to be in range of \[-2, 1\] but got 2\)$"):
        nn.utils.parametrizations.spectral_norm(nn.Linear(3, 4), dim=2)


# ------------------------------------------------------------------ every device
_on = assert_on_device  # the result lives on the device, as the device's own array


MAKERS = {
    "weight_norm": lambda m: nn.utils.weight_norm(m),
    "weight_norm-dim-none": lambda m: nn.utils.weight_norm(m, dim=None),
    "spectral_norm": lambda m: nn.utils.spectral_norm(m, n_power_iterations=2),
    "parametrizations.weight_norm": lambda m: nn.utils.parametrizations.weight_norm(m, dim=1),
    "parametrizations.spectral_norm": lambda m: nn.utils.parametrizations.spectral_norm(m),
}


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_devices_agree_with_cpu(tg_device, name):
    results = []
    state = None
    for dev in ("cpu", tg_device):
        tg.manual_seed(0)
        m = MAKERS[name](nn.Conv2d(2, 3, 2)).to(dev)
        if state is None:
            state = {k: v.detach().numpy().copy() for k, v in m.state_dict().items()}
        m.load_state_dict({k: tg.tensor(v) for k, v in state.items()})
        for t in list(m.parameters()) + list(m.buffers()):
            _on(t, dev)
        x = tg.tensor(seeded_normal(2, 2, 4, 4).astype(np.float32), device=dev)
        y = m(x)
        _on(y, dev)
        y.backward(tg.tensor(seeded_normal(*y.shape, seed=1).astype(np.float32), device=dev))
        for p in m.parameters():
            _on(p.grad, dev)
        results.append([y.detach().cpu().numpy()] + [p.grad.cpu().numpy() for p in m.parameters()]
                       + [b.cpu().numpy() for b in m.buffers()])
    for c, d in zip(*results):
        np.testing.assert_allclose(d, c, rtol=1e-4, atol=1e-5)


def test_spectral_norm_draws_u_v_on_the_device(tg_device):
    m = nn.utils.spectral_norm(nn.Linear(3, 4, device=tg_device))
    _on(m.weight_u, tg_device)
    _on(m.weight_v, tg_device)
    p = nn.utils.parametrizations.spectral_norm(nn.Linear(3, 4, device=tg_device))
    _on(p.parametrizations.weight[0]._u, tg_device)


# ------------------------------------------------------------------ PyTorch as the oracle
def _torch():
    return pytest.importorskip("torch")


def _copy_state(tm, m):
    """The torch module's parameters and buffers (the random u/v too) into the tensorgraft one."""
    m.load_state_dict({k: tg.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})


def _compare(m, tm, x_np, tol, steps=2):
    torch = _torch()
    for step in range(steps):
        x, tx = tg.tensor(x_np), torch.tensor(x_np)
        y, ty = m(x), tm(tx)
        g = seeded_normal(*ty.shape, seed=10 + step).astype(x_np.dtype)
        y.backward(tg.tensor(g))
        ty.backward(torch.tensor(g))
        np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=tol, atol=tol)
        tnamed = dict(tm.named_parameters())
        for name, p in m.named_parameters():
            np.testing.assert_allclose(p.grad.numpy(), tnamed[name].grad.numpy(), rtol=tol, atol=tol, err_msg=name)
        tbufs = dict(tm.named_buffers())
        for name, b in m.named_buffers():
            np.testing.assert_allclose(b.numpy(), tbufs[name].numpy(), rtol=tol, atol=tol, err_msg=name)


ORACLE_MODULES = {
    "linear": (lambda nnm: nnm.Linear(3, 4), (5, 3)),
    "conv2d": (lambda nnm: nnm.Conv2d(2, 3, 2), (2, 2, 4, 4)),
    "conv-transpose2d": (lambda nnm: nnm.ConvTranspose2d(2, 3, 2), (2, 2, 3, 3)),
}
ORACLE_WRAPS = {
    "weight_norm": lambda u, m: u.weight_norm(m),
    "weight_norm-dim1": lambda u, m: u.weight_norm(m, dim=1),
    "weight_norm-dim-none": lambda u, m: u.weight_norm(m, dim=None),
    "weight_norm-dim-2": lambda u, m: u.weight_norm(m, dim=-2),
    "weight_norm-bias": lambda u, m: u.weight_norm(m, "bias"),
    "spectral_norm": lambda u, m: u.spectral_norm(m),
    "spectral_norm-3-iterations-dim1": lambda u, m: u.spectral_norm(m, n_power_iterations=3, dim=1),
    "parametrizations.weight_norm": lambda u, m: u.parametrizations.weight_norm(m),
    "parametrizations.weight_norm-dim-none": lambda u, m: u.parametrizations.weight_norm(m, dim=None),
    "parametrizations.spectral_norm": lambda u, m: u.parametrizations.spectral_norm(m),
    "parametrizations.spectral_norm-2-iterations-dim1": lambda u, m: u.parametrizations.spectral_norm(
        m, n_power_iterations=2, dim=1),
    "parametrizations.spectral_norm-bias": lambda u, m: u.parametrizations.spectral_norm(m, "bias"),
}


@pytest.mark.parametrize("module", sorted(ORACLE_MODULES))
@pytest.mark.parametrize("wrap", sorted(ORACLE_WRAPS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_oracle(module, wrap, dtype):
    torch = _torch()
    make, shape = ORACLE_MODULES[module]
    if wrap == "weight_norm-dim-2" and module == "linear":
        pytest.skip("dim -2 of a matrix is dim 0")
    if wrap == "parametrizations.spectral_norm-bias" and module == "conv-transpose2d":
        # the default dim of a transposed convolution is 1, out of range for its bias: both refuse
        with pytest.raises(IndexError) as theirs:
            ORACLE_WRAPS[wrap](torch.nn.utils, make(torch.nn))
        with pytest.raises(IndexError) as ours:
            ORACLE_WRAPS[wrap](nn.utils, make(nn))
        assert str(ours.value) == str(theirs.value)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        tm = ORACLE_WRAPS[wrap](torch.nn.utils, make(torch.nn).to(getattr(torch, dtype)))
        m = ORACLE_WRAPS[wrap](nn.utils, make(nn).to(getattr(tg, dtype)))
    assert list(m.state_dict()) == list(tm.state_dict())
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in tm.named_parameters()]
    assert repr(m) == repr(tm)
    _copy_state(tm, m)
    x = seeded_normal(*shape, seed=2).astype(dtype)
    tol = 1e-5 if dtype == "float32" else 1e-10
    _compare(m, tm, x, tol)
    wname = "bias" if wrap.endswith("bias") else "weight"
    assert getattr(m, wname).grad_fn.name() == getattr(tm, wname).grad_fn.name()
    # eval mode (no power iteration), then removal
    m.eval()
    tm.eval()
    _compare(m, tm, x, tol, steps=1)
    if wrap.startswith("parametrizations"):
        parametrize.remove_parametrizations(m, wname)
        torch.nn.utils.parametrize.remove_parametrizations(tm, wname)
    elif wrap.startswith("weight_norm"):
        nn.utils.remove_weight_norm(m, wname)
        torch.nn.utils.remove_weight_norm(tm, wname)
    else:
        nn.utils.remove_spectral_norm(m, wname)
        torch.nn.utils.remove_spectral_norm(tm, wname)
    assert list(m.state_dict()) == list(tm.state_dict())
    for k, v in tm.state_dict().items():
        np.testing.assert_allclose(m.state_dict()[k].numpy(), v.numpy(), rtol=tol, atol=tol, err_msg=k)
    assert type(m).__name__ == type(tm).__name__


def test_oracle_old_weight_norm_state_dict_into_parametrization():
    torch = _torch()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        old = torch.nn.utils.weight_norm(torch.nn.Linear(3, 4))
    tm = torch.nn.utils.parametrizations.weight_norm(torch.nn.Linear(3, 4))
    tm.load_state_dict(old.state_dict())
    m = nn.utils.parametrizations.weight_norm(nn.Linear(3, 4))
    m.load_state_dict({k: tg.tensor(v.detach().numpy()) for k, v in old.state_dict().items()})
    _compare(m, tm, seeded_normal(2, 3).astype(np.float32), 1e-6, steps=1)


def test_oracle_errors():
    torch = _torch()

    def both(fn):
        assert_same_error(lambda: fn(nn, parametrize), lambda: fn(torch.nn, torch.nn.utils.parametrize))

    def wrong_shape(nnm, P):
        class Wrong(nnm.Module):
            def forward(self, x):
                return x[:2]
        P.register_parametrization(nnm.Linear(3, 4), "weight", Wrong())

    def wrong_dtype_second(nnm, P):
        class Ident(nnm.Module):
            def forward(self, x):
                return x

        class Wrong(nnm.Module):
            def forward(self, x):
                return x.double()
        m = P.register_parametrization(nnm.Linear(3, 4), "weight", Ident())
        P.register_parametrization(m, "weight", Wrong())

    def no_right_inverse(nnm, P):
        class Twice(nnm.Module):
            def forward(self, x):
                return x * 2
        m = P.register_parametrization(nnm.Linear(3, 4), "weight", Twice())
        m.weight = m.weight.detach()

    both(wrong_shape)
    both(wrong_dtype_second)
    both(no_right_inverse)
    both(lambda nnm, P: P.remove_parametrizations(nnm.Linear(3, 4), "weight"))
    both(lambda nnm, P: nnm.utils.parametrizations.spectral_norm(nnm.Linear(3, 4), n_power_iterations=0))
    both(lambda nnm, P: nnm.utils.remove_spectral_norm(nnm.Linear(3, 4)))
    both(lambda nnm, P: nnm.utils.remove_weight_norm(nnm.Linear(3, 4)))


def test_transfer_parametrizations_and_params():
    a = nn.utils.parametrizations.weight_norm(nn.Linear(3, 4))
    b = parametrize.transfer_parametrizations_and_params(a, nn.Linear(3, 4))
    assert type(b).__name__ == "ParametrizedLinear"
    assert list(b.state_dict()) == ["bias", "parametrizations.weight.original0", "parametrizations.weight.original1"]
    assert b.parametrizations.weight.original1 is a.parametrizations.weight.original1
    np.testing.assert_allclose(b.weight.detach().numpy(), a.weight.detach().numpy())
    c = nn.Linear(3, 4)
    parametrize.register_parametrization(a, "bias", Scale())
    parametrize.transfer_parametrizations_and_params(a, c, "bias")
    assert list(c.state_dict()) == ["weight", "parametrizations.bias.original"]
    assert c.parametrizations.bias.original is a.parametrizations.bias.original
    assert parametrize.transfer_parametrizations_and_params(nn.Linear(2, 2), c) is c
