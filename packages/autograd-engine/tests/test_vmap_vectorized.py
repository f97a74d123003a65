"""The vectorized ``vmap`` (``func/_vectorized/``), called directly through ``vectorized_vmap`` so
that these tests run whatever ``TENSORGRAFT_VMAP`` says: each batching rule against the
per-sample fallback (the same function run with every rule switched off) and against a plain
Python loop over the samples; nested vmaps; transforms inside (grad, vjp, jvp, jacrev, jacfwd,
hessian); in_dims/out_dims; randomness; refusals (PyTorch's messages, the texts of
``_vmap.py``/``_vmap_guards.py``). No PyTorch: the references are the loops."""
from __future__ import annotations

import re

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft import func
from tensorgraft.func._vectorized import BatchedTensor, _dispatch, vectorized_vmap
from tensorgraft.func._vectorized._fallback import fallback

F = pytest.importorskip("tensorgraft.nn.functional")  # (the autograd-only environment has no nn)


def V(f, in_dims=0, out_dims=0, randomness="error"):
    return lambda *args, **kwargs: vectorized_vmap(f, in_dims, out_dims, randomness, None, args, kwargs)


def _t(*shape, seed=0, dtype=np.float32):
    return tg.tensor(np.random.default_rng(seed).standard_normal(shape).astype(dtype))


def _loop(f, *args, in_dims=0):
    """The reference: ``f`` on each sample, stacked (plain tensors, no vmap at all)."""
    dims = in_dims if isinstance(in_dims, tuple) else (in_dims,) * len(args)
    size = next(a.shape[d] for a, d in zip(args, dims) if d is not None)
    outs = [f(*[a if d is None else a.select(d, i) for a, d in zip(args, dims)]) for i in range(size)]
    if isinstance(outs[0], tuple):
        return tuple(tg.stack([o[k] for o in outs]) for k in range(len(outs[0])))
    return tg.stack(outs)


@pytest.fixture
def no_rules(monkeypatch):
    """Every function goes to the per-sample fallback."""
    monkeypatch.setattr(_dispatch, "_lookup", lambda f: fallback)


def _close(a, b, tol=1e-5):
    if isinstance(a, tuple):
        assert isinstance(b, tuple) and len(a) == len(b)
        for x, y in zip(a, b):
            _close(x, y, tol)
        return
    assert not isinstance(a, BatchedTensor)
    assert tuple(a.shape) == tuple(b.shape), (a.shape, b.shape)
    assert a.dtype == b.dtype, (a.dtype, b.dtype)
    np.testing.assert_allclose(a.detach().numpy().astype(np.float64), b.detach().numpy().astype(np.float64),
                               rtol=tol, atol=tol)


W = _t(4, 5, seed=1)
V4 = _t(4, seed=2)
IDX = tg.tensor([2, 0, 1])
CASES = {
    # pointwise, broadcasting against unbatched operands of other ranks, scalars, comparisons
    "sin": lambda x: x.sin(), "add_scalar": lambda x: x + 1.5, "rsub": lambda x: 2 - x,
    "mul_vec": lambda x: x * V4, "div_mat": lambda x: W.T / (x.abs() + 1).unsqueeze(1),
    "pow": lambda x: x ** 2, "rpow": lambda x: 2 ** x, "where": lambda x: tg.where(x > 0, x, V4),
    "clamp": lambda x: x.clamp(-0.5, 0.5), "clamp_t": lambda x: tg.clamp(x, min=V4 * 0.1),
    "gt": lambda x: x > V4, "eq_neg": lambda x: -x == x, "maximum": lambda x: tg.maximum(x, V4),
    "relu": lambda x: F.relu(x), "gelu": lambda x: F.gelu(x), "leaky": lambda x: F.leaky_relu(x, 0.2),
    "masked_fill": lambda x: x.masked_fill(x > 0, 0.0), "lerp": lambda x: tg.lerp(x, V4, 0.3),
    "scalar_dtype": lambda x: x.sum().double() * V4,  # a logical 0-d float64 times float32 [4]
    "int_0d": lambda x: x.argmax() + V4,
    # reductions and dims
    "sum": lambda x: x.sum(), "sum0": lambda x: x.sum(0), "sum_neg": lambda x: x.sum(-1, keepdim=True),
    "mean": lambda x: x.mean(), "std": lambda x: x.std(), "var1": lambda x: x.var(1),
    "amax": lambda x: x.amax((0, 1)), "max": lambda x: x.max(), "max_dim": lambda x: x.max(1),
    "min_dim": lambda x: tuple(x.min(dim=0, keepdim=True)), "argmax": lambda x: x.argmax(),
    "argmin0": lambda x: x.argmin(0), "prod": lambda x: x.prod(1), "logsumexp": lambda x: x.logsumexp(-1),
    "norm": lambda x: x.norm(), "any": lambda x: (x > 1).any(), "all0": lambda x: (x > -3).all(0),
    "softmax": lambda x: x.softmax(-1), "log_softmax": lambda x: F.log_softmax(x, dim=0),
    "cumsum": lambda x: x.cumsum(1), "sort": lambda x: tuple(x.sort(0)), "topk": lambda x: tuple(x.topk(2)),
    "median": lambda x: x.median(),
    # shape and view ops
    "view": lambda x: x.view(12), "reshape": lambda x: x.reshape(2, -1), "flatten": lambda x: x.flatten(),
    "unflatten": lambda x: x.unflatten(1, (2, 2)), "expand": lambda x: x[:, :1].expand(3, 4),
    "expand_new": lambda x: x.expand(2, 3, 4), "permute": lambda x: x.permute(1, 0),
    "transpose": lambda x: x.transpose(0, -1), "t": lambda x: x.t(), "T": lambda x: x.T, "mT": lambda x: x.mT,
    "movedim": lambda x: x.unsqueeze(0).movedim(0, 2), "unsqueeze": lambda x: x.unsqueeze(-1),
    "squeeze": lambda x: x[:1].squeeze(), "squeeze0": lambda x: x[:1].squeeze(0),
    "select": lambda x: x.select(1, 2), "narrow": lambda x: x.narrow(1, 1, 2),
    "split": lambda x: tuple(x.split(2, dim=1)), "chunk": lambda x: tuple(x.chunk(3, 0)),
    "unbind": lambda x: tuple(x.unbind(1)), "cat": lambda x: tg.cat([x, W[:3, :4]], dim=1),
    "cat0": lambda x: tg.cat([x, x * 2]), "stack": lambda x: tg.stack([x, V4.expand(3, 4)], dim=-1),
    "flip": lambda x: x.flip(0), "roll": lambda x: x.roll(1, 1), "repeat": lambda x: x.repeat(2, 1, 1),
    "index_select": lambda x: x.index_select(0, IDX), "gather": lambda x: x.gather(1, tg.tensor([[0], [3], [1]])),
    "getitem": lambda x: x[1:, ::2], "getitem_int": lambda x: x[0, -1], "getitem_none": lambda x: x[None, ..., 1],
    "getitem_adv": lambda x: x[IDX], "getitem_adv2": lambda x: x[:, tg.tensor([3, 0])],
    "getitem_mask": lambda x: x[:, tg.tensor([True, False, True, False])], "contiguous": lambda x: x.t().contiguous(),
    "clone": lambda x: x.clone(), "zeros_like": lambda x: tg.zeros_like(x), "to": lambda x: x.to(tg.float64),
    # products
    "matmul_w": lambda x: x @ W, "matmul_vec": lambda x: x[0] @ W, "rmatmul": lambda x: W.T @ x.T,
    "mv": lambda x: tg.mv(x, V4), "mv_batched_vec": lambda x: tg.mv(W.T, x[0]), "mm": lambda x: tg.mm(x, W),
    "dot": lambda x: tg.dot(x[0], V4), "outer": lambda x: tg.outer(x[0], V4), "bmm": lambda x: tg.bmm(
        x.unsqueeze(0), W.unsqueeze(0)), "einsum": lambda x: tg.einsum("ij,jk->ik", x, W),
    "einsum_trace": lambda x: tg.einsum("ii->", x[:, :3]), "addmm": lambda x: tg.addmm(V4[:3].unsqueeze(1), x, W[:, :3]),
    "linear": lambda x: F.linear(x, W.T, V4[:1].expand(5)), "linear_nobias": lambda x: F.linear(x[0], W.T),
    "matmul_self": lambda x: x @ x.T, "matmul_3d": lambda x: x.unsqueeze(0).expand(2, 3, 4) @ W,
    # nn
    "layer_norm": lambda x: F.layer_norm(x, (4,)), "layer_norm_affine": lambda x: F.layer_norm(x, (4,), V4, V4),
    "conv1d": lambda x: F.conv1d(x.unsqueeze(0), _t(2, 3, 2, seed=5)),
    "conv1d_unbatched": lambda x: F.conv1d(x, _t(2, 3, 2, seed=5)),
    "max_pool": lambda x: F.max_pool1d(x.unsqueeze(0), 2), "mse": lambda x: F.mse_loss(x, W[:3, :4]),
    "mse_sum": lambda x: F.mse_loss(x, W[:3, :4], reduction="sum"),
    "mse_none": lambda x: F.mse_loss(x, W[:3, :4], reduction="none"), "l1": lambda x: F.l1_loss(x, W[:3, :4]),
    "bce_logits": lambda x: F.binary_cross_entropy_with_logits(x, (W[:3, :4] > 0).float()),
    "cross_entropy": lambda x: F.cross_entropy(x, IDX), "ce_sum": lambda x: F.cross_entropy(x, IDX, reduction="sum"),
    "ce_none": lambda x: F.cross_entropy(x, IDX, reduction="none"),
    "ce_ignore": lambda x: F.cross_entropy(x, tg.tensor([2, -100, 1])),
    "ce_1d": lambda x: F.cross_entropy(x[0], IDX[0]), "ce_probs": lambda x: F.cross_entropy(x, x.softmax(-1).detach()),
    "nll": lambda x: F.nll_loss(x.log_softmax(-1), IDX),
    "embedding": lambda x: F.embedding(IDX, x.T),
    # no rule: the per-sample fallback
    "kron": lambda x: tg.kron(x[:2, :2], W[:2, :2]), "trace": lambda x: tg.trace(x[:, :3]),
    "diag_embed": lambda x: x[0].diag_embed(), "linalg_norm": lambda x: tg.linalg.norm(x, dim=1),
    "cross": lambda x: tg.linalg.cross(x[:, :3], W[:3, :3]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_rule_matches_the_fallback_and_a_loop(case, monkeypatch):
    f = CASES[case]
    x = _t(5, 3, 4, seed=7)
    batched = V(f)(x)
    _close(batched, _loop(f, x))
    monkeypatch.setattr(_dispatch, "_lookup", lambda fn: fallback)
    _close(V(f)(x), batched)


def test_batched_index_tensors_and_embedding_indices():
    x = _t(5, 3, 4, seed=8)
    idx = tg.tensor(np.random.default_rng(0).integers(0, 3, (5, 2)))
    _close(V(lambda t, i: t[i])(x, idx), _loop(lambda t, i: t[i], x, idx))
    _close(V(lambda t, i: t.index_select(0, i))(x, idx), _loop(lambda t, i: t.index_select(0, i), x, idx))
    _close(V(lambda i: F.embedding(i, W))(idx), _loop(lambda i: F.embedding(i, W), idx))
    labels = tg.tensor([0, 1, 2, 1, 0])
    _close(V(lambda t, y: F.cross_entropy(t[0:1], y.unsqueeze(0)))(x, labels),
           _loop(lambda t, y: F.cross_entropy(t[0:1], y.unsqueeze(0)), x, labels))


def test_gather_and_where_with_everything_batched():
    x, y = _t(5, 3, 4, seed=9), _t(5, 3, 4, seed=10)
    idx = tg.tensor(np.random.default_rng(1).integers(0, 4, (5, 3, 2)))
    _close(V(lambda a, i: a.gather(1, i))(x, idx), _loop(lambda a, i: a.gather(1, i), x, idx))
    _close(V(lambda a, b: tg.where(a > b, a, b))(x, y), _loop(lambda a, b: tg.where(a > b, a, b), x, y))
    _close(V(lambda a, b: a @ b.T)(x, y), _loop(lambda a, b: a @ b.T, x, y))
    _close(V(lambda a, b: tg.einsum("ij,kj->ik", a, b))(x, y), _loop(lambda a, b: a @ b.T, x, y))


def test_in_dims_and_out_dims():
    x = _t(3, 5, 4, seed=11)
    _close(V(lambda t: t * 2, in_dims=1)(x), (x * 2).movedim(1, 0))
    _close(V(lambda t: t.sum(0), in_dims=-1, out_dims=0)(x), x.sum(0).movedim(-1, 0))
    _close(V(lambda t: t * 2, in_dims=1, out_dims=1)(x), x * 2)
    _close(V(lambda t: t.sin(), out_dims=-1)(x), x.sin().movedim(0, -1))
    a, b = V(lambda t, w: (t + w, w), in_dims=(0, None), out_dims=(1, None))(x, V4)
    _close(a, (x + V4).movedim(0, 1))
    assert b is V4
    out = V(lambda d: d["a"] * d["b"], in_dims=({"a": 0, "b": None},))({"a": x, "b": V4})
    _close(out, x * V4)
    const = V(lambda t: V4)(x)  # an unbatched result is expanded
    _close(const, V4.expand(3, 4))


def test_nested_vmaps():
    x = _t(2, 3, 4, seed=12)
    _close(V(V(lambda t: t.sum()))(x), x.sum(-1))
    _close(V(V(lambda t: t @ W))(x), x @ W)
    outer = V(V(lambda a, b: a * b, in_dims=(0, None)), in_dims=(None, 0))(tg.arange(3.), tg.arange(1., 3.))
    _close(outer, tg.arange(1., 3.).unsqueeze(1) * tg.arange(3.))
    # the inner vmap maps a dim of the outer's samples, with in_dims=1
    _close(V(V(lambda t: t.softmax(0), in_dims=1, out_dims=1))(x), x.softmax(1))
    ys = _t(2, 5, 4, seed=13)
    pairwise = V(V(lambda a, b: (a - b).norm(), in_dims=(None, 0)), in_dims=(0, None))(x[0], ys[0])
    _close(pairwise, _loop(lambda a: _loop(lambda b: (a - b).norm(), ys[0]), x[0]))


def _mlp_loss(p, x, y):
    h = F.relu(F.linear(x, p["w1"], p["b1"]))
    return F.cross_entropy(F.linear(h, p["w2"], p["b2"]).unsqueeze(0), y.unsqueeze(0))


def test_vmap_of_grad_gives_per_sample_gradients():
    params = {"w1": _t(6, 4, seed=14), "b1": _t(6, seed=15), "w2": _t(3, 6, seed=16), "b2": _t(3, seed=17)}
    x, y = _t(5, 4, seed=18), tg.tensor([0, 2, 1, 1, 0])
    got = V(func.grad(_mlp_loss), in_dims=(None, 0, 0))(params, x, y)
    for i in range(5):
        ref = func.grad(_mlp_loss)(params, x[i], y[i])
        for k in params:
            _close(got[k][i], ref[k])
    g, value = V(func.grad_and_value(lambda w, t: (t @ w).sin().sum()), in_dims=(None, 0))(W, _t(5, 4, seed=19))
    _close(value, _loop(lambda t: (t @ W).sin().sum(), _t(5, 4, seed=19)))
    _close(g, _loop(lambda t: func.grad(lambda w: (t @ w).sin().sum())(W), _t(5, 4, seed=19)))


def test_grad_with_closures_aux_and_argnums():
    x = _t(5, 4, seed=20)

    def outer(t):
        return func.grad(lambda w: ((t * w).sum() ** 2, t.sum()), has_aux=True)(V4)
    grads, aux = V(outer)(x)
    _close(grads, _loop(lambda t: 2 * (t * V4).sum() * t, x))
    _close(aux, x.sum(1))
    ga, gb = V(func.grad(lambda a, b: (a * b).sum(), argnums=(0, 1)))(x, x * 2)
    _close(ga, x * 2)
    _close(gb, x)


def test_jacobians_vjp_jvp_and_hessian_inside_vmap():
    x = _t(6, 4, seed=21)

    def f(t):
        return (t @ W).tanh()
    _close(V(func.jacrev(f))(x), _loop(func.jacrev(f), x))
    _close(V(func.jacfwd(f))(x), _loop(func.jacfwd(f), x))
    g = lambda t: (t @ W).sin().sum()  # noqa: E731
    _close(V(func.hessian(g))(x), _loop(func.hessian(g), x), tol=1e-4)
    cot = _t(6, 5, seed=22)
    _close(V(lambda t, c: func.vjp(f, t)[1](c)[0])(x, cot), _loop(lambda t, c: func.vjp(f, t)[1](c)[0], x, cot))
    tan = _t(6, 4, seed=23)
    _close(V(lambda t, v: func.jvp(f, (t,), (v,))[1])(x, tan), _loop(lambda t, v: func.jvp(f, (t,), (v,))[1], x, tan))
    # a closure over the batched input inside the differentiated function
    _close(V(lambda t: func.jacfwd(lambda w: (t @ w).tanh())(W))(x), _loop(lambda t: func.jacfwd(
        lambda w: (t @ w).tanh())(W), x))
    # vjp taken outside, mapped over a basis (Jacobian rows)
    _, vjp_fn = func.vjp(f, x[0])
    _close(V(vjp_fn)(tg.eye(5))[0], func.jacrev(f)(x[0]))


def test_transforms_under_nested_vmaps_and_second_order_per_sample():
    x = _t(2, 3, 4, seed=30)
    f = lambda t: (t @ W).sin().sum()  # noqa: E731
    ref = tg.stack([tg.stack([func.grad(f)(x[i, j]) for j in range(3)]) for i in range(2)])
    _close(V(V(func.grad(f)))(x), ref)
    jf = func.jacfwd(lambda t: (t @ W).tanh())
    _close(V(V(jf))(x), tg.stack([tg.stack([jf(x[i, j]) for j in range(3)]) for i in range(2)]))
    # grad of a function that runs a vmap over a closure
    _close(V(func.grad(lambda t: V(lambda r: (r * t).sum())(x[0]).sum()))(x[1]), x[0].sum(0).expand(3, 4))
    # second order w.r.t. an unbatched weight (its expansion goes through SharedWeightMatmul)
    h = lambda w, t: (t @ w).tanh().sum()  # noqa: E731
    xs, w = _t(5, 1, 3, seed=31), _t(3, 2, seed=32)
    ref = tg.stack([func.hessian(h)(w, xs[i]) for i in range(5)])
    _close(V(func.hessian(h), in_dims=(None, 0))(w, xs), ref, tol=1e-4)
    _close(V(func.jacrev(func.grad(h)), in_dims=(None, 0))(w, xs), ref, tol=1e-4)


def test_shared_weight_matmul_forward_ad():
    from tensorgraft.autograd import forward_ad as fwAD
    from tensorgraft.func._vectorized._shared_matmul import SharedWeightMatmul
    a, w0, ta, tw0 = _t(3, 1, 4, seed=33), _t(4, 5, seed=34), _t(3, 1, 4, seed=35), _t(4, 5, seed=36)
    # (a tangent takes its primal's layout: the weight's is an expansion too)
    w, tw = w0.unsqueeze(0).expand(3, 4, 5), tw0.unsqueeze(0).expand(3, 4, 5)
    with fwAD.dual_level():
        out = SharedWeightMatmul.apply(fwAD.make_dual(a, ta), fwAD.make_dual(w, tw))
        _close(fwAD.unpack_dual(out).primal, a @ w0)
        _close(fwAD.unpack_dual(out).tangent, ta @ w0 + a @ tw)


def test_custom_function_rules():
    class Cube(tg.autograd.Function):
        generate_vmap_rule = True

        @staticmethod
        def forward(t):
            return t ** 3

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])

        @staticmethod
        def backward(ctx, g):
            t, = ctx.saved_tensors
            return 3 * t ** 2 * g

    class Scaled(tg.autograd.Function):
        calls = []

        @staticmethod
        def forward(t, s):
            return t * s

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.s = inputs[1]

        @staticmethod
        def backward(ctx, g):
            return g * ctx.s, None

        @staticmethod
        def vmap(info, in_dims, t, s):
            Scaled.calls.append((info.batch_size, in_dims, tuple(t.shape)))
            return t * s, in_dims[0]
    x = _t(4, 3, seed=24)
    _close(V(Cube.apply)(x), x ** 3)
    _close(V(func.grad(lambda t: Cube.apply(t).sum()))(x), 3 * x ** 2)
    out = V(lambda t: Scaled.apply(t.sin(), 2.0))(x)
    _close(out, x.sin() * 2)
    assert Scaled.calls == [(4, (0, None), (4, 3))]  # the whole batch at once, as PyTorch
    Scaled.calls.clear()
    _close(V(Scaled.apply, in_dims=(1, None))(x, 3.0), x.T * 3)
    assert Scaled.calls == [(3, (1, None), (4, 3))]  # the input as it was, with its real in_dim


def test_randomness_modes():
    x = _t(4, 3, seed=25)
    tg.manual_seed(0)
    different = V(lambda t: tg.rand(3) + t * 0, randomness="different")(x)
    assert tuple(different.shape) == (4, 3) and not tg.equal(different[0], different[1])
    same = V(lambda t: tg.rand(3) + t * 0, randomness="same")(x)
    assert tg.equal(same[0], same[3])
    masks = V(lambda t: F.dropout(tg.ones(3), 0.5), randomness="different")(x)
    assert tuple(masks.shape) == (4, 3)
    same_mask = V(lambda t: F.dropout(t * 0 + 1, 0.5), randomness="same")(x)
    assert all(tg.equal(same_mask[0], same_mask[i]) for i in range(4))
    like = V(lambda t: tg.randn_like(t), randomness="different")(x)
    assert tuple(like.shape) == (4, 3)
    with pytest.raises(RuntimeError, match="called random operation while in randomness error mode"):
        V(lambda t: F.dropout(t, 0.5))(x)
    with pytest.raises(RuntimeError, match="called random operation while in randomness error mode"):
        V(lambda t: tg.rand(3) + t)(x)
    with pytest.raises(RuntimeError, match="same randomness with a batched tensor input"):
        V(lambda t: tg.bernoulli(t.sigmoid()), randomness="same")(x)
    _close(V(lambda t: F.dropout(t, 0.5, training=False))(x), x)


def test_in_place_ops():
    x = _t(4, 3, seed=26)

    def f(t):
        t = t.clone()
        t.add_(V4[:3])
        t[0] = 5.0
        t.mul_(t.sum())
        return t
    _close(V(f)(x), _loop(f, x))

    def g(t):
        t = t.clone()
        t.fill_(t.sum())
        t.unsqueeze_(0)
        t.transpose_(0, 1)
        return t
    _close(V(g)(x), _loop(g, x))
    buf = tg.zeros(3)
    with pytest.raises(RuntimeError, match="inplace arithmetic"):
        V(lambda t: buf.mul_(t))(x)
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        V(lambda t: buf.add_(t))(x)


ITEM = re.escape("vmap: It looks like you're calling .item() on a Tensor")
FLOW = "vmap: It looks like you're attempting to use a Tensor in some data-dependent control flow"


@pytest.mark.parametrize("f, error, match", [
    (lambda t: t.sum().item(), RuntimeError, ITEM), (lambda t: float(t[0]), RuntimeError, ITEM),
    (lambda t: t if t.sum() > 0 else -t, RuntimeError, FLOW), (lambda t: t.tolist(), RuntimeError, "data pointer"),
    (lambda t: t.numpy(), RuntimeError, "data pointer"), (lambda t: t.nonzero(), RuntimeError, "aten::nonzero"),
    (lambda t: t[t > 0], RuntimeError, "indexing with a boolean mask"),
    (lambda t: tg.unique(t), RuntimeError, "aten::_unique2"),
    (lambda t: tg.masked_select(V4[:3], t > 0), RuntimeError, "Attempted to vmap over `mask`"),
    (lambda t: tg.equal(t, t), RuntimeError, "aten::equal"),
    (lambda t: t.requires_grad_(), RuntimeError, "requires_grad_()"),
    (lambda t: func.grad(lambda w: w.sum() * w.sum().item())(t), RuntimeError, r"either \(1\) calling .item"),
])
def test_refusals(f, error, match):
    with pytest.raises(error, match=match):
        V(f)(_t(4, 3, seed=27))


def test_out_dims_none_and_argument_errors():
    x = _t(4, 3, seed=28)
    with pytest.raises(ValueError, match="can not return a BatchedTensor when out_dim is None"):
        V(lambda t: t * 2, out_dims=None)(x)
    assert V(lambda t: 7, out_dims=None)(x) == 7
    with pytest.raises(ValueError, match="must only return Tensors"):
        V(lambda t: 7)(x)
    with pytest.raises(ValueError, match="Expected all tensors to have the same size"):
        V(lambda a, b: a * b)(x, tg.ones(3, 3))
    with pytest.raises(ValueError, match="in_dims is not compatible"):
        V(lambda a, b: a * b, in_dims=(0,))(x, x)
    with pytest.raises(RuntimeError, match="Expected f\\(\\*args\\) to return a scalar Tensor"):
        V(func.grad(lambda t: t * 2))(x)


def test_logical_metadata_and_batch_of_one_or_zero():
    seen = {}

    def f(t):
        seen.update(shape=tuple(t.shape), dim=t.dim(), numel=t.numel(), size1=t.size(1), len=len(t),
                    dtype=t.dtype, stride=t.stride(), T=tuple(t.T.shape), cls=type(t))
        return t.squeeze()
    out = V(f)(_t(1, 3, 1, seed=29))
    assert seen == {"shape": (3, 1), "dim": 2, "numel": 3, "size1": 1, "len": 3, "dtype": tg.float32,
                    "stride": (1, 1), "T": (1, 3), "cls": BatchedTensor}
    assert tuple(out.shape) == (1, 3)  # squeeze never squeezes the batch dim
    empty = V(lambda t: t.sum(0) + 1)(tg.zeros(0, 3, 2))
    assert tuple(empty.shape) == (0, 2)


def test_the_environment_variable_switches_vmap_to_the_vectorized_one():
    import os
    import subprocess
    import sys
    code = ("import tensorgraft as tg\nseen = []\n"
            "out = tg.func.vmap(lambda t: seen.append(type(t).__name__) or t * 2)(tg.ones(3, 2))\n"
            "print(seen, tuple(out.shape))")
    from tensorgraft.func import _vmap
    seen = {"vectorized": "['BatchedTensor'] (3, 2)", "loop": "['Tensor', 'Tensor', 'Tensor'] (3, 2)"}
    # (empty: the default, the one constant ``_vmap._DEFAULT_MODE``)
    for value, expected in (("vectorized", seen["vectorized"]), ("loop", seen["loop"]),
                            ("", seen[_vmap._DEFAULT_MODE])):
        env = dict(os.environ, TENSORGRAFT_VMAP=value)
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
        assert out.stdout.strip() == expected, out.stderr
    out = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, TENSORGRAFT_VMAP="fast"),
                         capture_output=True, text=True, timeout=120)
    assert "ValueError: TENSORGRAFT_VMAP='fast': expected one of 'loop', 'vectorized'" in out.stderr


def test_importing_func_leaves_the_vectorized_vmap_unloaded():
    # (its first import turns on __torch_function__ dispatch for the process: only a vectorized call may)
    import os
    import subprocess
    import sys
    code = ("import sys, tensorgraft as tg\nfrom tensorgraft.func import _vmap, _transforms, _custom_functions\n"
            "tg.func.grad(lambda t: (t * t).sum())(tg.ones(3))\n"
            "print(sorted(m for m in sys.modules if '_vectorized' in m))")
    env = dict(os.environ, TENSORGRAFT_VMAP="vectorized")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "[]", out.stderr


def test_transforms_hand_their_call_to_the_bridge_only_inside_a_vectorized_vmap(monkeypatch):
    from tensorgraft.func import _transforms
    from tensorgraft.func._vectorized import _bridge
    calls = []
    original = _bridge.grad_and_value
    monkeypatch.setattr(_bridge, "grad_and_value", lambda *a: calls.append(a[1:4]) or original(*a))
    g = func.grad(lambda w, x: (w * x).sum())
    x = _t(4, 3)
    assert np.allclose(g(V4[:3], x[0]).numpy(), x[0].numpy())
    assert calls == []  # outside any vmap: the transform itself
    out = V(g, in_dims=(None, 0))(V4[:3], x)
    _close(out, x)
    assert len(calls) == 1 and calls[0][0] == 0  # once, for the whole batch (argnums 0)
    assert _transforms._grad_and_value.__module__ == "tensorgraft.func._transforms"  # nothing patched
