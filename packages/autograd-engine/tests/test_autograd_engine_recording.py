"""Recording (grad_fn, next_functions, leaves), .grad accumulation, retain_grad, detach/.data and
the backward / autograd.grad entry points, checked against PyTorch where it is installed."""
import re
import warnings

import numpy as np
import pytest

import tensorgraft as tg


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def np_of(t):
    return np.asarray(t.detach().numpy() if hasattr(t, "detach") else t)


# --------------------------------------------------------------------------- recording
def test_requires_grad_and_leaf_flags():
    x = tg.ones(2, 2, requires_grad=True)
    assert x.requires_grad and x.is_leaf and x.grad_fn is None
    y = x + 2
    assert y.requires_grad and not y.is_leaf
    c = tg.ones(2)
    assert not c.requires_grad and c.is_leaf
    assert not (c * 2).requires_grad and (c * 2).grad_fn is None
    a = tg.randn(2, 2)
    assert a.requires_grad_() is a and a.requires_grad
    a.requires_grad_(False)
    assert not a.requires_grad
    a.requires_grad = True
    assert a.requires_grad


def test_grad_fn_names_and_repr(torch):
    x = tg.ones(2, 2, requires_grad=True)
    tx = torch.ones(2, 2, requires_grad=True)
    cases = [lambda v: v + 2, lambda v: v * 3, lambda v: v - 1, lambda v: v / 2, lambda v: v ** 2,
             lambda v: v.exp(), lambda v: v.sum(), lambda v: v.sum(0), lambda v: v.mean(), lambda v: -v]
    for f in cases:
        ours, theirs = f(x).grad_fn, f(tx).grad_fn
        assert type(ours).__name__ == type(theirs).__name__
        assert ours.name() == theirs.name()
        assert re.fullmatch(rf"<{type(theirs).__name__} object at 0x[0-9a-f]+>", repr(ours))
    assert repr(x + 2) == repr(tx + 2) == "tensor([[3., 3.],\n        [3., 3.]], grad_fn=<AddBackward0>)"
    assert repr(x) == repr(tx)


def test_next_functions_structure(torch):
    x = tg.ones(2, requires_grad=True)
    w = tg.ones(2)
    y = x * w
    (acc, nr), (none, nr2) = y.grad_fn.next_functions
    assert type(acc).__name__ == "AccumulateGrad" and nr == 0
    assert acc.variable is x
    assert acc.next_functions == ()
    assert (none, nr2) == (None, 0)
    z = (y + 1).sum()
    (add, _), = z.grad_fn.next_functions
    assert type(add).__name__ == "AddBackward0"
    assert add.next_functions[0][0] is y.grad_fn
    # the same leaf used twice shares one AccumulateGrad node, as in PyTorch
    sq = x * x
    assert sq.grad_fn.next_functions[0][0] is sq.grad_fn.next_functions[1][0]
    tx = torch.ones(2, requires_grad=True)
    assert [type(n).__name__ if n is not None else None for n, _ in (tx * torch.ones(2)).grad_fn.next_functions] == \
        [type(n).__name__ if n is not None else None for n, _ in y.grad_fn.next_functions]


def test_int_results_do_not_require_grad():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    assert not (x > 1).requires_grad


def test_grad_accumulates_across_backward_calls(torch):
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    tx = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for _ in range(3):
        (x * x).sum().backward()
        (tx * tx).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 12.0, 18.0])
    g = x.grad
    (x * 2).sum().backward()
    assert x.grad is g  # accumulated in place, as PyTorch does without create_graph
    x.grad = None
    (x * 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0, 2.0])


def test_leaf_grad_is_not_aliased_between_leaves():
    a = tg.ones(2, requires_grad=True)
    b = tg.ones(2, requires_grad=True)
    (a + b).sum().backward()
    assert a.grad is not b.grad
    a.grad.add_(1)
    np.testing.assert_allclose(b.grad.numpy(), [1.0, 1.0])


def test_retain_grad_populates_non_leaf_grad_without_warning(torch):
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = x * 2
    h.retain_grad()
    assert h.retains_grad and not x.retains_grad
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (h * h).sum().backward()
        g = h.grad
    tx = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    th = tx * 2
    th.retain_grad()
    (th * th).sum().backward()
    np.testing.assert_allclose(g.numpy(), th.grad.numpy())
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


def test_retain_grad_accumulates_and_sees_hooked_grad(torch):
    def run(mod):
        x = mod.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        y.retain_grad()
        y.retain_grad()  # idempotent
        y.register_hook(lambda g: g * 10)
        (y * y).sum().backward(retain_graph=True)
        (y * y).sum().backward()
        return y.grad.detach().numpy().copy(), x.grad.detach().numpy().copy()
    ours, theirs = run(tg), run(torch)
    np.testing.assert_allclose(ours[0], theirs[0])
    np.testing.assert_allclose(ours[1], theirs[1])


def test_non_leaf_grad_access_warns_like_pytorch():
    x = tg.ones(2, requires_grad=True)
    y = x * 2
    y.sum().backward()
    with pytest.warns(UserWarning, match="is not a leaf Tensor is being accessed"):
        assert y.grad is None


def test_detach_and_detach_inplace():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None
    d[0] = 7.0  # shares memory
    assert y[0].item() == 7.0
    z = x * 3
    assert z.detach_() is z
    assert not z.requires_grad and z.grad_fn is None and z.is_leaf
    # in-place through a detached alias bumps the shared version counter: the graph notices
    e = x.exp()
    e.detach().add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        e.sum().backward()


def test_data_is_detached_and_untracked(torch):
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    assert not x.data.requires_grad and x.data.grad_fn is None
    y = x.sin()
    x.data.mul_(2)  # invisible to autograd (no version bump), exactly like PyTorch
    assert x._version == 0
    y.sum().backward()
    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    ty = tx.sin()
    tx.data.mul_(2)
    ty.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-6)
    x.data = tg.tensor([5.0, 6.0])
    assert x.requires_grad and x.tolist() == [5.0, 6.0]


# --------------------------------------------------------------------------- backward / grad
def test_backward_with_gradient_argument(torch):
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    tx = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = [0.1, 1.0, 0.0001]
    (x * 2).backward(tg.tensor(v))
    (tx * 2).backward(torch.tensor(v))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


def test_backward_inputs_restricts_accumulation(torch):
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    w = tg.tensor([3.0, 4.0], requires_grad=True)
    (x * w).sum().backward(inputs=[x])
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 4.0])
    assert w.grad is None
    # a non-leaf in inputs gets its .grad filled, leaves behind it do not
    y = x * 2
    (y * y).sum().backward(inputs=[y])
    np.testing.assert_allclose(y.grad.numpy(), [4.0, 8.0])
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 4.0])
    with pytest.raises(RuntimeError, match="cannot be empty"):
        (x * 2).sum().backward(inputs=[])


def test_autograd_backward_multiple_roots(torch):
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    a, b = (x * x).sum(), (x * 3).sum()
    tg.autograd.backward([a, b])
    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    torch.autograd.backward([(tx * tx).sum(), (tx * 3).sum()])
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    y = x * 2
    tg.autograd.backward(y, grad_tensors=tg.tensor([1.0, 0.5]))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy() + [2.0, 1.0])


def test_autograd_grad_basic_and_allow_unused(torch):
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    w = tg.tensor([3.0, 4.0], requires_grad=True)
    gx, = tg.autograd.grad((x * w).sum(), x)
    np.testing.assert_allclose(gx.numpy(), [3.0, 4.0])
    assert x.grad is None and w.grad is None  # grad() never touches .grad
    assert not gx.requires_grad
    with pytest.raises(RuntimeError, match=r"The differentiated Tensor at index 1 appears to not have been used"):
        tg.autograd.grad((x * 2).sum(), [x, w])
    gx, gw = tg.autograd.grad((x * 2).sum(), [x, w], allow_unused=True)
    assert gw is None
    gx, gw = tg.autograd.grad((x * 2).sum(), [x, w], allow_unused=True, materialize_grads=True)
    np.testing.assert_allclose(gw.numpy(), [0.0, 0.0])
    y = x * 3
    gy, = tg.autograd.grad((y * y).sum(), y)  # w.r.t. a non-leaf
    np.testing.assert_allclose(gy.numpy(), [6.0, 12.0])
    go = tg.tensor([1.0, 10.0])
    g, = tg.autograd.grad(x * 2, x, grad_outputs=go)
    np.testing.assert_allclose(g.numpy(), [2.0, 20.0])
    with pytest.raises(RuntimeError, match="cannot be empty"):
        tg.autograd.grad((x * 2).sum(), [])


def test_autograd_grad_retain_graph():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp()).sum()
    g1, = tg.autograd.grad(y, x, retain_graph=True)
    g2, = tg.autograd.grad(y, x)
    np.testing.assert_allclose(g1.numpy(), g2.numpy())
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        tg.autograd.grad(y, x)


def test_second_derivative_of_cube(torch):
    x = tg.tensor(2.0, requires_grad=True)
    g, = tg.autograd.grad(x ** 3, x, create_graph=True)
    assert g.requires_grad and g.grad_fn is not None
    assert g.item() == pytest.approx(12.0)
    g2, = tg.autograd.grad(g, x, create_graph=True)
    assert g2.item() == pytest.approx(12.0)  # 6x
    g3, = tg.autograd.grad(g2, x)
    assert g3.item() == pytest.approx(6.0)


def test_grad_of_grad_norm_matches_torch(torch):
    data = np.array([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]])
    w = tg.tensor(data, requires_grad=True)
    tw = torch.tensor(data, requires_grad=True)

    def penalty(mod, w):
        out = (w.tanh() * w).sum()
        g, = mod.autograd.grad(out, w, create_graph=True)
        return (g * g).sum().sqrt()

    penalty(tg, w).backward()
    penalty(torch, tw).backward()
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-10)


def test_backward_create_graph_then_differentiate_grad(torch, monkeypatch):
    monkeypatch.setattr(tg.autograd, "_warned_create_graph", False)  # PyTorch warns once per process
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(UserWarning, match="reference cycle"):
        (x ** 3).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    gx = x.grad
    x.grad = None
    gx.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 12.0])


def test_broadcast_grads_are_reduced_and_dtypes_kept(torch):
    a = tg.ones(3, 1, requires_grad=True)
    b = tg.ones(4, dtype=tg.float64, requires_grad=True)
    (a * b).sum().backward()
    ta = torch.ones(3, 1, requires_grad=True)
    tb = torch.ones(4, dtype=torch.float64, requires_grad=True)
    (ta * tb).sum().backward()
    assert a.grad.shape == tuple(ta.grad.shape) and a.grad.dtype == tg.float32
    assert b.grad.dtype == tg.float64
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy())
    np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy())


def test_diamond_graph_and_none_paths():
    # x feeds two paths that meet again; one path yields no gradient at all
    class Stop(tg.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            return t * 1

        @staticmethod
        def backward(ctx, g):
            return None

    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    out = (Stop.apply(h) + h * 3).sum()
    out.backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 6.0])
    # a node that receives no gradient at all must still release the nodes after it
    x.grad = None
    out = (Stop.apply(x * 5) + x * 3).sum()
    out.backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])
