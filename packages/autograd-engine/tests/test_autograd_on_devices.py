"""The autograd engine on every available device (``tg_device``): gradients computed on the device
agree with the same graph on CPU (float32 tolerances) and live on the device of their tensor.
The CPU results are checked against hand-derived gradients, so the ``cpu`` case is not trivial.
Unavailable devices are skipped with the backend's reason."""
import numpy as np

import tensorgraft as tg
from tensorgraft.testing import assert_on_device
from tensorgraft.autograd import Function
from tensorgraft.testing import assert_close


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def leaf(arr, dev):
    return tg.tensor(arr, device=dev, requires_grad=True)


same_device = assert_on_device  # the result lives on the device, as the device's own array


def close(dev_t, cpu_t, expected=None):
    assert_close(dev_t.cpu(), cpu_t)
    if expected is not None:
        assert_close(cpu_t, tg.tensor(np.asarray(expected, dtype=np.float32)), rtol=1e-5, atol=1e-5)


def test_backward_of_a_composition(tg_device):
    a, b = rand(3, 4), rand(4, 2, seed=1)

    def run(dev):
        x, w = leaf(a, dev), leaf(b, dev)
        # matmul, broadcasting add, nonlinearity, reduction and a Python scalar in one graph
        loss = ((x @ w).tanh() * 2.0 + x.sum(1, keepdim=True)).pow(2).mean()
        loss.backward()
        return loss, x.grad, w.grad

    dl, dgx, dgw = run(tg_device)
    cl, cgx, cgw = run("cpu")
    for g in (dl, dgx, dgw):
        same_device(g, tg_device)
    # d/dx and d/dw by hand: loss = mean(u^2), u = 2 tanh(xw) + rowsum(x)
    t = np.tanh(a @ b)
    u = 2 * t + a.sum(1, keepdims=True)
    du = 2 * u / u.size
    dz = du * 2 * (1 - t ** 2)
    close(dl, cl, (u ** 2).mean())
    close(dgx, cgx, dz @ b.T + du.sum(1, keepdims=True))
    close(dgw, cgw, a.T @ dz)


def test_grad_accumulates_and_lives_on_the_device(tg_device):
    x = leaf(rand(5), tg_device)
    (x * 3).sum().backward()
    (x * x).sum().backward()                     # .grad accumulates across backward calls
    same_device(x.grad, tg_device)
    assert x.grad.device == x.device and x.grad.dtype is tg.float32
    assert_close(x.grad.cpu(), tg.tensor(3 + 2 * rand(5)))
    # a leaf on CPU used on the device gets a CPU gradient (the copy's backward moves it back)
    c = tg.tensor([1.0, 2.0], requires_grad=True)
    (c.to(tg_device) * 4).sum().backward()
    assert c.grad.device == tg.device("cpu") and c.grad.tolist() == [4.0, 4.0]


def test_autograd_grad_and_indexing_gradients(tg_device):
    a = rand(4, 3)

    def run(dev):
        x = leaf(a, dev)
        y = x[tg.tensor([0, 2, 2], device=dev)].exp().sum() + x[:, 1].max()
        g, = tg.autograd.grad(y, x)
        return g

    dg, cg = run(tg_device), run("cpu")
    same_device(dg, tg_device)
    expected = np.zeros_like(a)
    expected[0] += np.exp(a[0])
    expected[2] += 2 * np.exp(a[2])
    expected[a[:, 1].argmax(), 1] += 1
    close(dg, cg, expected)


def test_second_order_with_create_graph(tg_device):
    a = rand(6)

    def run(dev):
        x = leaf(a, dev)
        y = (x ** 3).sum()
        g, = tg.autograd.grad(y, x, create_graph=True)      # 3x^2, itself differentiable
        gg, = tg.autograd.grad(g.sum(), x)                   # 6x
        return g, gg

    (dg, dgg), (cg, cgg) = run(tg_device), run("cpu")
    same_device(dg, tg_device)
    same_device(dgg, tg_device)
    close(dg, cg, 3 * a ** 2)
    close(dgg, cgg, 6 * a)


class ScaledSquare(Function):
    """A custom Function whose backward is written with tensor ops, so it runs on any device."""

    @staticmethod
    def forward(ctx, x, k):
        ctx.save_for_backward(x)
        ctx.k = k
        return x * x * k

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * 2 * ctx.k * x, None


def test_custom_function(tg_device):
    a = rand(3, 2)

    def run(dev):
        x = leaf(a, dev)
        y = ScaledSquare.apply(x, 1.5)
        assert type(y.grad_fn).__name__ == "ScaledSquareBackward"
        y.sum().backward()
        return y, x.grad

    (dy, dg), (cy, cg) = run(tg_device), run("cpu")
    same_device(dy, tg_device)
    same_device(dg, tg_device)
    close(dy, cy, 1.5 * a * a)
    close(dg, cg, 3 * a)


def test_hooks(tg_device):
    a = rand(4)

    def run(dev):
        seen = []
        x = leaf(a, dev)
        x.register_hook(lambda g: g * 10)                    # rewrites the leaf's gradient
        y = x.sin()
        y.retain_grad()
        y.register_hook(lambda g: seen.append(g.device) or None)
        x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.device))
        y.sum().backward()
        return x.grad, y.grad, seen

    (dg, dyg, dseen), (cg, cyg, _) = run(tg_device), run("cpu")
    same_device(dg, tg_device)
    same_device(dyg, tg_device)
    # hooks see gradients on the device they belong to
    assert [d.type for d in dseen] == [tg.device(tg_device).type] * 2
    close(dg, cg, 10 * np.cos(a))
    close(dyg, cyg, np.ones(4))


def test_no_grad_and_detach_keep_the_device(tg_device):
    x = leaf(rand(3), tg_device)
    with tg.no_grad():
        y = x * 2
    assert not y.requires_grad and y.device == x.device
    d = x.detach()
    assert d.device == x.device and not d.requires_grad
