"""Dense layers and activations against torch: outputs, input and parameter gradients, repr."""
import math

import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F

torch = pytest.importorskip("torch")
tnn = torch.nn
TF = torch.nn.functional
RTOL, ATOL = 1e-4, 1e-5


def sync(tg_mod, t_mod):
    """Copy tensorgraft's parameters/buffers into the torch module."""
    sd = {k: torch.tensor(np.array(v.detach().numpy())) for k, v in tg_mod.state_dict().items()}
    t_mod.load_state_dict(sd)


def compare(tg_mod, t_mod, *arrays, grad_out=True):
    xs = [tg.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    ts = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    y = tg_mod(*xs)
    yt = t_mod(*ts)
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=RTOL, atol=ATOL)
    if grad_out:
        g = np.random.default_rng(1).standard_normal(tuple(yt.shape)).astype(np.float32)
        y.backward(tg.tensor(g))
        yt.backward(torch.tensor(g))
        for x, xt in zip(xs, ts):
            if xt.requires_grad:
                np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=RTOL, atol=ATOL)
        for (n, p), (nt, pt) in zip(tg_mod.named_parameters(), t_mod.named_parameters()):
            assert n == nt
            if pt.grad is None:
                assert p.grad is None
            else:
                np.testing.assert_allclose(p.grad.numpy(), pt.grad.numpy(), rtol=RTOL, atol=ATOL, err_msg=n)
    return y


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 4), (4,)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear(shape, bias):
    m, t = nn.Linear(4, 3, bias=bias), tnn.Linear(4, 3, bias=bias)
    sync(m, t)
    y = compare(m, t, rand(*shape))
    assert repr(m) == repr(t)
    if len(shape) == 2:
        assert type(y.grad_fn).__name__ == ("AddmmBackward0" if bias else "MmBackward0")


def test_linear_default_init_distribution():
    tg.manual_seed(0)
    m = nn.Linear(100, 50)
    w = m.weight.detach().numpy()
    bound = 1 / math.sqrt(100)  # kaiming_uniform(a=sqrt(5)) gives bound 1/sqrt(fan_in)
    assert w.min() >= -bound and w.max() <= bound and w.std() > bound / 2
    b = m.bias.detach().numpy()
    assert b.min() >= -bound and b.max() <= bound
    assert m.weight.dtype == tg.float32 and nn.Linear(2, 2, dtype=tg.float64).weight.dtype == tg.float64


def test_linear_errors():
    m = nn.Linear(4, 3)
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(2x5 and 4x3\)"):
        m(tg.randn(2, 5))


def test_bilinear_identity_flatten():
    m, t = nn.Bilinear(3, 4, 2), tnn.Bilinear(3, 4, 2)
    sync(m, t)
    compare(m, t, rand(5, 3), rand(5, 4, seed=1))
    assert repr(m) == repr(t)
    for a, b, x in [(nn.Flatten(), tnn.Flatten(), rand(2, 3, 4)), (nn.Identity(), tnn.Identity(), rand(3)),
                    (nn.Unflatten(1, (2, 3)), tnn.Unflatten(1, (2, 3)), rand(4, 6))]:
        compare(a, b, x)
        assert repr(a) == repr(b)


ACTS = [
    (lambda l: l.ReLU(), None), (lambda l: l.LeakyReLU(0.2), None), (lambda l: l.ELU(alpha=0.7), None),
    (lambda l: l.SELU(), None), (lambda l: l.CELU(0.5), None), (lambda l: l.GELU(), None),
    (lambda l: l.GELU(approximate="tanh"), None), (lambda l: l.SiLU(), None), (lambda l: l.Mish(), None),
    (lambda l: l.Sigmoid(), None), (lambda l: l.Tanh(), None), (lambda l: l.Softplus(beta=2.0, threshold=3.0), None),
    (lambda l: l.Hardtanh(-0.5, 0.7), None), (lambda l: l.Hardswish(), None), (lambda l: l.Hardsigmoid(), None),
    (lambda l: l.ReLU6(), None), (lambda l: l.Softmax(dim=1), None), (lambda l: l.LogSoftmax(dim=-1), None),
    (lambda l: l.Softmin(dim=0), None), (lambda l: l.LogSigmoid(), None), (lambda l: l.Softsign(), None),
    (lambda l: l.PReLU(3), None), (lambda l: l.PReLU(), None), (lambda l: l.GLU(), None),
]


@pytest.mark.parametrize("i", range(len(ACTS)))
def test_activation_modules(i):
    make, _ = ACTS[i]
    m, t = make(nn), make(tnn)
    sync(m, t)
    x = rand(4, 3, 6) * 3
    compare(m, t, x)
    assert repr(m) == repr(t)


def test_inplace_activations_and_grad_fn_names():
    x = tg.tensor(rand(3, 4))
    y = F.relu(x, inplace=True)
    assert y is x and float(x.min()) >= 0
    x = tg.tensor(rand(3, 4))
    F.leaky_relu(x, 0.1, inplace=True)
    np.testing.assert_allclose(x.numpy(), TF.leaky_relu(torch.tensor(rand(3, 4)), 0.1).numpy(), rtol=1e-6)
    a = tg.tensor(rand(3, 4), requires_grad=True)
    b = a * 1
    nn.ReLU(inplace=True)(b).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), (rand(3, 4) > 0).astype(np.float32))
    assert repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)"
    z = tg.tensor(rand(2, 3), requires_grad=True)
    assert type(F.softmax(z, 1).grad_fn).__name__ == "SoftmaxBackward0"
    assert type(F.log_softmax(z, 1).grad_fn).__name__ == "LogSoftmaxBackward0"
    assert type(F.gelu(z).grad_fn).__name__ == "GeluBackward0"


def test_softmax_extremes_and_double_backward():
    x = np.array([[1000.0, 0.0, -1000.0]], np.float32)
    np.testing.assert_allclose(F.softmax(tg.tensor(x), 1).numpy(), TF.softmax(torch.tensor(x), 1).numpy())
    np.testing.assert_allclose(F.log_softmax(tg.tensor(x), 1).numpy(), TF.log_softmax(torch.tensor(x), 1).numpy())
    a = tg.tensor(rand(2, 3), requires_grad=True)
    at = torch.tensor(rand(2, 3), requires_grad=True)
    w = rand(2, 3, seed=4)
    (g,) = tg.autograd.grad((F.softmax(a, 1) * tg.tensor(w)).sum(), a, create_graph=True)
    (gt,) = torch.autograd.grad((TF.softmax(at, 1) * torch.tensor(w)).sum(), at, create_graph=True)
    (g * g).sum().backward()
    (gt * gt).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), at.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_dropout_train_eval():
    tg.manual_seed(0)
    d = nn.Dropout(0.5)
    x = tg.ones(1000)
    y = d(x)
    vals = set(np.unique(y.numpy()).tolist())
    assert vals <= {0.0, 2.0} and 300 < int((y.numpy() == 0).sum()) < 700
    d.eval()
    assert d(x) is x
    assert repr(d) == repr(tnn.Dropout(0.5))
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        nn.Dropout(1.5)
    d2 = nn.Dropout2d(0.5)
    y2 = d2(tg.ones(4, 8, 3, 3)).numpy()
    assert all(len(np.unique(y2[n, c])) == 1 for n in range(4) for c in range(8))
    xg = tg.ones(10, requires_grad=True)
    nn.Dropout(0.3)(xg).sum().backward()
    assert set(np.unique(xg.grad.numpy()).tolist()) <= {0.0, float(np.float32(1 / 0.7))}


def test_functional_misc():
    lab = tg.tensor([0, 2, 1])
    np.testing.assert_array_equal(F.one_hot(lab).numpy(), TF.one_hot(torch.tensor([0, 2, 1])).numpy())
    assert F.one_hot(lab, 5).shape == (3, 5) and F.one_hot(lab).dtype == tg.int64
    with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes."):
        F.one_hot(lab, 2)
    x = rand(3, 4)
    np.testing.assert_allclose(F.normalize(tg.tensor(x)).numpy(), TF.normalize(torch.tensor(x)).numpy(), rtol=1e-5)
    np.testing.assert_allclose(F.cosine_similarity(tg.tensor(x), tg.tensor(x[::-1].copy())).numpy(),
                               TF.cosine_similarity(torch.tensor(x), torch.tensor(x[::-1].copy())).numpy(), rtol=1e-5)
