"""nn's batched formulas (``functional_ops``, ``batched_of``) behind ``grad(..., is_grads_batched=True)``,
jacrev and hessian: the batched walk gives the per-entry loop's gradients (values, shapes, dtypes),
with and without create_graph (whose graph is then differentiated once more), and the nn nodes
run once over the batch rather than once per entry."""
from __future__ import annotations

import collections

import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn.functional as F
from tensorgraft.autograd import batched_backward as bb

N = 3  # batch entries


def _as_tuple(x):
    return x if isinstance(x, tuple) else (x,)


def _check(fn, ins, create_graph=False, dtype=tg.float64, atol=1e-6):
    """Batched backward of ``fn(*ins)`` against the per-entry loop; under create_graph also the
    gradient of a weighted sum of the batched gradients against the loop's."""
    outs = _as_tuple(fn(*ins))
    gs = tuple(tg.randn(N, *o.shape, dtype=o.dtype) for o in outs)
    got = tg.autograd.grad(outs, ins, grad_outputs=gs, is_grads_batched=True, retain_graph=True,
                           create_graph=create_graph, allow_unused=True)
    want = []
    for b in range(N):
        want.append(tg.autograd.grad(outs, ins, grad_outputs=tuple(g[b] for g in gs), retain_graph=True,
                                     create_graph=create_graph, allow_unused=True))
    for k, t in enumerate(ins):
        if got[k] is None:
            assert all(w[k] is None for w in want)
            continue
        stacked = tg.stack([w[k] for w in want])
        assert tuple(got[k].shape) == (N, *t.shape)
        assert got[k].dtype == stacked.dtype == t.dtype
        np.testing.assert_allclose(got[k].detach().numpy(), stacked.detach().numpy(), rtol=1e-6, atol=atol)
    if create_graph:
        wts = [tg.randn(N, *t.shape, dtype=t.dtype) for t in ins]
        live = [k for k in range(len(ins)) if got[k] is not None and got[k].requires_grad]
        if not live:
            return
        s_got = sum((got[k] * wts[k]).sum() for k in live)
        s_want = sum((w[k] * wts[k][b]).sum() for b, w in enumerate(want) for k in live)
        g2 = tg.autograd.grad(s_got, ins, allow_unused=True, retain_graph=True)
        w2 = tg.autograd.grad(s_want, ins, allow_unused=True)
        for a, b in zip(g2, w2):
            assert (a is None) == (b is None)
            if a is not None:
                np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=atol)


def _leaf(*shape, dtype=tg.float64):
    return tg.randn(shape, dtype=dtype).requires_grad_()


@pytest.fixture(autouse=True)
def _seed():
    tg.manual_seed(0)


# ------------------------------------------------------------------ linear
@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("xshape", [(4, 5), (5,), (2, 3, 5)])
@pytest.mark.parametrize("bshape", [None, (6,), ()])
def test_linear_matches_per_entry(xshape, bshape, create_graph):
    x, w = _leaf(*xshape), _leaf(6, 5)
    ins = [x, w]
    if bshape is not None:
        ins.append(_leaf(*bshape))
    _check(lambda *a: F.linear(*a), ins, create_graph)


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("bshape", [(4, 6), (1, 6), (4, 1)])
def test_linear_two_dim_bias(bshape, create_graph):
    _check(lambda *a: F.linear(*a), [_leaf(4, 5), _leaf(6, 5), _leaf(*bshape)], create_graph)


@pytest.mark.parametrize("create_graph", [False, True])
def test_linear_single_node_paths(create_graph):
    # a transposed 3-D input (no rows view: one ``linear`` node), a 2-D bias of a 3-D input, a
    # vector weight (both once per entry), float32
    xt = _leaf(2, 5, 3)
    _check(lambda x, w, b: F.linear(x.transpose(1, 2), w, b), [xt, _leaf(6, 5), _leaf(6)], create_graph)
    _check(lambda x, w, b: F.linear(x, w, b), [_leaf(2, 3, 5), _leaf(6, 5), _leaf(3, 6)], create_graph)
    _check(lambda x, w, b: F.linear(x, w, b), [_leaf(2, 3, 5), _leaf(6, 5), _leaf(2, 1, 6)], create_graph)
    _check(lambda x, w: F.linear(x, w), [_leaf(4, 5), _leaf(5)], create_graph)
    _check(lambda x, w, b: F.linear(x, w, b), [_leaf(4, 5, dtype=tg.float32), _leaf(6, 5, dtype=tg.float32),
                                               _leaf(6, dtype=tg.float32)], create_graph, atol=1e-5)


def test_linear_only_some_inputs_require_grad():
    x = tg.randn(4, 5, dtype=tg.float64)
    _check(lambda w, b: F.linear(x, w, b), [_leaf(6, 5), _leaf(6)])
    w = tg.randn(6, 5, dtype=tg.float64)
    _check(lambda x: F.linear(x, w), [_leaf(4, 5)])
    _check(lambda x: F.linear(x, w), [_leaf(2, 4, 5)], True)


# ------------------------------------------------------------------ activations
_ACTS = {
    "gelu": lambda t: F.gelu(t),
    "gelu_tanh": lambda t: F.gelu(t, approximate="tanh"),
    "silu": F.silu,
    "mish": F.mish,
    "elu": lambda t: F.elu(t, 0.7),
    "selu": F.selu,
    "celu": lambda t: F.celu(t, 1.3),
    "leaky_relu": lambda t: F.leaky_relu(t, 0.1),
    "softplus": lambda t: F.softplus(t, beta=2.0, threshold=1.0),
    "hardtanh": lambda t: F.hardtanh(t, -0.5, 0.5),
    "relu6": F.relu6,
    "threshold": lambda t: F.threshold(t, 0.1, -2.0),
    "hardswish": F.hardswish,
    "hardsigmoid": F.hardsigmoid,
    "logsigmoid": F.logsigmoid,
    "hardshrink": lambda t: F.hardshrink(t, 0.3),
    "softshrink": lambda t: F.softshrink(t, 0.3),
    "softmax": lambda t: F.softmax(t, 1),
    "log_softmax": lambda t: F.log_softmax(t, -1),
    "softmax0": lambda t: F.softmax(t, 0),
}


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("name", sorted(_ACTS))
def test_activation_matches_per_entry(name, create_graph):
    act = _ACTS[name]
    if name == "hardsigmoid" and create_graph:
        pytest.skip("PyTorch has no derivative of hardsigmoid's backward (the loop's graph raises too)")
    _check(act, [_leaf(3, 4)], create_graph)
    _check(act, [_leaf(2, 3, 4, dtype=tg.float32)], create_graph, atol=1e-5)


@pytest.mark.parametrize("name", ["gelu", "elu", "softplus", "softmax", "log_softmax", "leaky_relu", "silu"])
def test_activation_third_order(name):
    # the gradient's own gradient, batched again: the backward ops' batched formulas
    act = _ACTS[name]
    x = _leaf(3, 4)
    (g1,) = tg.autograd.grad((act(x) * tg.randn(3, 4, dtype=tg.float64)).sum(), x, create_graph=True)
    _check(lambda x: g1, [x])
    _check(lambda x: g1, [x], True)


# ------------------------------------------------------------------ losses
@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("kw", [{}, {"ignore_index": 1}, {"label_smoothing": 0.2}, {"weight": True},
                                {"weight": True, "ignore_index": 2}])
def test_cross_entropy_matches_per_entry(reduction, kw, create_graph):
    kw = dict(kw)
    if kw.pop("weight", False):
        kw["weight"] = tg.rand(5, dtype=tg.float64) + 0.5
    y = tg.tensor([1, 3, 0, 1, 2, 4])
    _check(lambda x: F.cross_entropy(x, y, reduction=reduction, **kw), [_leaf(6, 5)], create_graph)
    y4 = tg.tensor([[[1, 2], [0, 1]], [[3, 4], [1, 1]]])
    _check(lambda x: F.cross_entropy(x, y4, reduction=reduction, **kw), [_leaf(2, 5, 2, 2)], create_graph)


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_nll_loss_matches_per_entry(reduction, create_graph):
    w = tg.rand(4, dtype=tg.float64) + 0.5
    y = tg.tensor([1, 3, 0, 1, 2])
    _check(lambda x: F.nll_loss(x, y, reduction=reduction), [_leaf(5, 4)], create_graph)
    _check(lambda x: F.nll_loss(x, y, w, ignore_index=3, reduction=reduction), [_leaf(5, 4)], create_graph)
    _check(lambda x: F.nll_loss(x, tg.tensor(2), reduction=reduction), [_leaf(4)], create_graph)
    y3 = tg.tensor([[1, 2, 0], [3, 3, 1]])
    _check(lambda x: F.nll_loss(x, y3, w, reduction=reduction), [_leaf(2, 4, 3)], create_graph)
    # every target ignored: a NaN mean, zero gradients, as per entry
    _check(lambda x: F.nll_loss(x, tg.tensor([3, 3]), ignore_index=3, reduction=reduction), [_leaf(2, 4)],
           create_graph)


def test_nll_loss_backward_batched_twice():
    # hessian of a cross entropy: nll_loss_backward's node (recorded by a batched walk) walked batched
    y = tg.tensor([1, 3, 0])
    wt = tg.rand(5, dtype=tg.float64) + 0.5
    for reduction in ("none", "mean", "sum"):
        def f(x, reduction=reduction):
            return F.cross_entropy(x, y, wt, reduction=reduction, ignore_index=0).sum()
        x = tg.randn(3, 5, dtype=tg.float64)
        h = tg.func.hessian(f)(x)
        h_loop = tg.autograd.functional.hessian(f, x)
        np.testing.assert_allclose(h.numpy(), h_loop.numpy(), rtol=1e-6, atol=1e-9)


_ELEMENTWISE_LOSSES = {
    "mse": F.mse_loss,
    "l1": F.l1_loss,
    "smooth_l1": lambda x, y, **k: F.smooth_l1_loss(x, y, beta=0.5, **k),
    "huber": lambda x, y, **k: F.huber_loss(x, y, delta=0.7, **k),
    "bce_logits": lambda x, y, **k: F.binary_cross_entropy_with_logits(
        x, y.sigmoid(), weight=tg.rand(4, dtype=tg.float64), pos_weight=tg.rand(4, dtype=tg.float64) + 0.5, **k),
    "kl_div": lambda x, y, **k: F.kl_div(x, y.sigmoid(), **k),
}


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("name", sorted(_ELEMENTWISE_LOSSES))
@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides the total loss")  # (kl_div's, as PyTorch's)
def test_elementwise_losses_match_per_entry(name, reduction, create_graph):
    loss = _ELEMENTWISE_LOSSES[name]
    _check(lambda x, y: loss(x, y, reduction=reduction), [_leaf(3, 4), _leaf(3, 4)], create_graph)
    # a target that requires no grad, and one broadcast along the rows (the engine sums it)
    y = tg.randn(3, 4, dtype=tg.float64)
    _check(lambda x: loss(x, y, reduction=reduction), [_leaf(3, 4)], create_graph)
    if name in ("mse", "l1", "smooth_l1", "huber"):
        with pytest.warns(UserWarning):
            _check(lambda x, y: loss(x, y, reduction=reduction), [_leaf(3, 4), _leaf(4)], create_graph)


# ------------------------------------------------------------------ layer norm
@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("shape,norm", [((3, 4), (4,)), ((2, 3, 4), (3, 4)), ((4,), (4,))])
def test_layer_norm_matches_per_entry(shape, norm, affine, create_graph):
    ins = [_leaf(*shape)]
    if affine:
        ins += [_leaf(*norm), _leaf(*norm)]
    _check(lambda x, *p: F.layer_norm(x, norm, *p), ins, create_graph)
    ins32 = [t.detach().float().requires_grad_() for t in ins]
    _check(lambda x, *p: F.layer_norm(x, norm, *p), ins32, create_graph, atol=1e-5)


# ------------------------------------------------------------------ whole models, node counts
def _mlp_and_block():
    W1, b1, W2, b2 = tg.randn(8, 6), tg.randn(8), tg.randn(5, 8), tg.randn(5)
    y = tg.tensor([1, 3, 0, 4])
    gamma, beta = tg.randn(6), tg.randn(6)

    def mlp(x):
        return F.cross_entropy(F.linear(F.gelu(F.linear(x, W1, b1)), W2, b2), y)

    def block(x):
        h = F.layer_norm(x, (6,), gamma, beta)
        return F.log_softmax(F.linear(F.silu(F.linear(h, W1, b1)), W2, b2), -1)
    return mlp, block


_NN_NODES = {"AddmmBackward0", "MmBackward0", "GeluBackward0", "GeluBackwardBackward0", "SiluBackward0",
             "NllLossBackward0", "NllLossBackwardBackward0", "LogSoftmaxBackward0",
             "LogSoftmaxBackwardDataBackward0", "NativeLayerNormBackward0", "MseLossBackward0"}


def test_nn_nodes_run_once_over_the_batch(monkeypatch):
    per_entry = collections.Counter()
    run = bb._apply_per_entry

    def counting(node, grads, batch):
        per_entry[type(node).__name__] += 1
        return run(node, grads, batch)
    monkeypatch.setattr(bb, "_apply_per_entry", counting)
    mlp, block = _mlp_and_block()
    x = tg.randn(4, 6)
    jac = tg.func.jacrev(mlp)(x)
    hess = tg.func.hessian(mlp)(x)
    jb = tg.func.jacrev(block)(x)
    jm = tg.func.jacrev(lambda x: F.mse_loss(x, x.detach() * 0.5, reduction="none"))(x)
    assert not set(per_entry) & _NN_NODES, per_entry
    # d/dx (x - x/2)^2 = x, elementwise
    np.testing.assert_allclose(jm.reshape(24, 24).numpy(), np.diag(x.reshape(-1).numpy()), rtol=1e-6)
    # and they are the per-entry loop's values
    monkeypatch.setattr(bb, "try_batched_backward", lambda *a, **k: None)
    np.testing.assert_allclose(jac.numpy(), tg.func.jacrev(mlp)(x).numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(hess.numpy(), tg.func.hessian(mlp)(x).numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(jb.numpy(), tg.func.jacrev(block)(x).numpy(), rtol=1e-5, atol=1e-6)


def test_formulas_declare_their_batched_forms():
    from tensorgraft.nn.functional_ops import NN_FORMULAS
    for name in ("linear", "linear_addmm_rows", "linear_mm_rows", "gelu", "gelu_backward", "silu", "elu",
                 "elu_backward", "leaky_relu", "softplus", "hardtanh", "softmax", "log_softmax",
                 "log_softmax_backward", "nll_loss", "nll_loss_backward", "layer_norm"):
        assert callable(getattr(NN_FORMULAS["nn." + name], "batched", None)), name


@pytest.mark.parametrize("create_graph", [False, True])
def test_glu_and_rrelu_backward_ops_stay_right(create_graph):
    # their backward ops are no pointwise ones (glu halves its input; rrelu keeps its noise): the
    # batched walk runs them per entry
    for act in (lambda t: F.glu(t, 1), lambda t: F.rrelu(t, training=False)):
        x = _leaf(3, 4)
        (g1,) = tg.autograd.grad((act(x) ** 2).sum(), x, create_graph=True)
        _check(lambda x: g1, [x], create_graph)


# ------------------------------------------------------------------ fixes found on the way
def test_linear_bias_of_more_dims_on_nd_input():
    # a (3, 6) or (2, 1, 6) bias added to a (2, 3, 6) output (PyTorch 2.13 records AddBackward0 and
    # gives the bias the output's gradient summed over what it was broadcast along)
    x, w = _leaf(2, 3, 5), _leaf(6, 5)
    for bshape, times in (((3, 6), 2.0), ((2, 1, 6), 3.0)):
        b = _leaf(*bshape)
        F.linear(x, w, b).sum().backward()
        np.testing.assert_array_equal(b.grad.numpy(), np.full(bshape, times))


def test_layer_norm_double_backward_of_one_sample():
    # a 1-D input (the normalized dims alone): the weight's and bias's gradients of a gradient
    # taken with create_graph=True are those of the same input as one row
    x, w, b = _leaf(4), _leaf(4), _leaf(4)
    gy = tg.randn(4, dtype=tg.float64)

    def second(inp):
        (gx,) = tg.autograd.grad((F.layer_norm(inp, (4,), w, b) * gy).sum(), inp, create_graph=True)
        return tg.autograd.grad((gx * gx).sum(), (w, b), allow_unused=True)
    (gw, gb), (ww, wb) = second(x), second(x.detach().unsqueeze(0).requires_grad_())
    assert gb is None and wb is None  # (the input's gradient does not depend on the bias)
    for got, want in ((gw, ww),):
        assert tuple(got.shape) == (4,)
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("xshape,target", [((5, 4), [1, 3, 0, 1, 2]), ((4,), 2), ((2, 4, 3), [[1, 2, 0], [3, 3, 1]])])
def test_nll_loss_backward_node_over_batches(xshape, target, reduction):
    # nll_loss_backward's node (create_graph) differentiated w.r.t. the incoming gradient: recorded
    # per entry or by a batched walk (its gradient then leads by a batch dim), walked plainly or
    # batched again, always the per-entry loop's values
    w = tg.rand(4, dtype=tg.float64) + 0.5
    x = _leaf(*xshape)
    out = F.nll_loss(x, tg.tensor(target), w, ignore_index=3, reduction=reduction)
    G = tg.randn(N, *out.shape, dtype=tg.float64).requires_grad_()
    (batched,) = tg.autograd.grad(out, x, grad_outputs=G, is_grads_batched=True, create_graph=True)
    loop = tg.stack([tg.autograd.grad(out, x, grad_outputs=G[b], create_graph=True)[0] for b in range(N)])
    np.testing.assert_allclose(batched.detach().numpy(), loop.detach().numpy(), rtol=1e-12)
    W = tg.randn(*loop.shape, dtype=tg.float64)
    M = tg.randn(2, *loop.shape, dtype=tg.float64)
    want = tg.autograd.grad((loop * W).sum(), G, retain_graph=True)[0]
    want_m = tg.autograd.grad(loop, G, grad_outputs=M, is_grads_batched=True, retain_graph=True)[0]
    got = tg.autograd.grad((batched * W).sum(), G, retain_graph=True)[0]
    got_m = tg.autograd.grad(batched, G, grad_outputs=M, is_grads_batched=True, retain_graph=True)[0]
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got_m.numpy(), want_m.numpy(), rtol=1e-10, atol=1e-12)
    assert tuple(got_m.shape) == (2, *G.shape)
