"""The fast paths of ``tensorgraft.func`` give exactly what the plain paths give: vmap's cached
guard patches (rebuilt when a kernel, op or method changes), its cheap randomness check (a
fingerprint of the generator, the full state compared when it moved), grad/jvp/vjp reusing one
graph walk, jacfwd/jacrev taking all basis vectors in one op. Values are compared bit for bit
(NaN, inf and the sign of zero included)."""
from __future__ import annotations

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft import func
from tensorgraft.registry import registry

# Values as tensorgraft computed them before the fast paths went in (the same bits after); PyTorch
# 2.13 (torch.func, same inputs, computed separately) gives the same values. (The hessian's first
# entry moved by 1 ulp, to PyTorch's bits, when jacfwd/jacrev became one batched backward.)
X = [0.5, -1.0, 2.0]
W = [[0.25, -0.5, 1.0], [1.5, 0.75, -2.0]]
JACOBIAN = [[0.002851189420236225, -0.00570237884047245, 0.0114047576809449],
            [0.001087913072797509, 0.0005439565363987545, -0.001450550763730012]]
JACREV = [[0.002851189420236225, -0.00570237884047245, 0.0114047576809449],
          [0.0010879130727975092, 0.0005439565363987546, -0.001450550763730012]]
HESSIAN = [[0.001831704342472802, 0.004498974348098079, -0.010086266433935316],
           [0.004498974348098079, -0.004916757179674317, 0.009289355490479054],
           [-0.010086266433935316, 0.009289355490479054, -0.017127620663972564]]
JVP = ([0.8357843361162929, -0.8411084146743781], [-0.008553568260708674, 0.002538463836527521])
SQRT_AT = [0.0, 4.0, -1.0, float("inf")]
JACFWD_SQRT = [[float("inf"), float("nan"), float("nan"), float("nan")], [0.0, 0.25, 0.0, 0.0],
               [float("nan")] * 4, [0.0, 0.0, 0.0, 0.0]]
HESSIAN_SQRT = [[-float("inf"), float("nan"), float("nan"), float("nan")], [-0.0, -0.03125, -0.0, -0.0],
                [float("nan")] * 4, [-0.0, -0.0, -0.0, -0.0]]
XS = [[0.5, -1.0, 2.0], [0.0, 1.0, -0.25]]
VMAP_GRAD = ([[0.0039391024930337335, -0.005158422304073695, 0.009954206917214888],
              [0.39820600598974076, -0.10104801698928231, 0.10938083464653808]],
             [[[0.00570237884047245, -0.0114047576809449, 0.0228095153618898],
               [0.000362637690932503, -0.000725275381865006, 0.001450550763730012]],
              [[0.0, 0.4802416319746443, -0.12006040799366108], [0.0, 0.18543039866405311, -0.04635759966601328]]])
VMAP_JACFWD = [JACOBIAN, [[0.12006040799366108, -0.24012081598732216, 0.4802416319746443],
                          [0.27814559799607963, 0.13907279899803981, -0.37086079732810623]]]


def t64(a, **kw):
    return tg.tensor(a, dtype=tg.float64, **kw)


def same_bits(t, expected):
    """Bit for bit: NaN where NaN, elsewhere the exact float with the sign of every zero."""
    got = t.detach().numpy()
    want = np.asarray(expected, dtype=got.dtype)
    assert got.shape == want.shape
    nan = np.isnan(want)
    assert np.array_equal(np.isnan(got), nan), (got, want)
    assert got[~nan].tobytes() == want[~nan].tobytes(), (got, want)


def f(u):
    return tg.tanh(t64(W) @ u).sin()


def test_forward_and_reverse_jacobians_keep_their_bits():
    x = t64(X)
    same_bits(func.jacfwd(f)(x), JACOBIAN)
    same_bits(func.jacrev(f)(x), JACREV)
    same_bits(func.hessian(lambda u: f(u).sum())(x), HESSIAN)
    out, tangent = func.jvp(f, (x,), (t64([1.0, 0.0, -1.0]),))
    same_bits(out, JVP[0])
    same_bits(tangent, JVP[1])


def test_infinite_derivatives_keep_their_nans_and_signed_zeros():
    z = t64(SQRT_AT)
    same_bits(func.jacfwd(tg.sqrt)(z), JACFWD_SQRT)
    same_bits(func.hessian(lambda a: tg.sqrt(a).sum())(z), HESSIAN_SQRT)


def test_vmap_of_grad_and_of_jacfwd_keep_their_bits():
    xs = t64(XS)
    gx, gw = func.vmap(func.grad(lambda u, w: tg.tanh(w @ u).sin().sum(), argnums=(0, 1)), in_dims=(0, None))(
        xs, t64(W))
    same_bits(gx, VMAP_GRAD[0])
    same_bits(gw, VMAP_GRAD[1])
    same_bits(func.vmap(func.jacfwd(f))(xs), VMAP_JACFWD)


def test_jacfwd_columns_are_jvps_and_jacrev_rows_are_vjps():
    x = t64(X)
    jf, jr = func.jacfwd(f)(x), func.jacrev(f)(x)
    for k in range(3):
        e = tg.zeros(3, dtype=tg.float64)
        e[k] = 1.0
        same_bits(jf[:, k], func.jvp(f, (x,), (e,))[1].numpy())
    _, vjp_fn = func.vjp(f, x)
    for k in range(2):
        same_bits(jr[k], vjp_fn(tg.eye(2, dtype=tg.float64)[k])[0].numpy())


def test_jacrev_of_outputs_of_several_dtypes_and_shapes():
    x = t64(X)

    def two(u):
        return (u * 2).float().reshape(1, 3), u.prod()
    a, b = func.jacrev(two)(x)  # (the rows of a float32 identity, converted for the float64 output)
    assert a.dtype == tg.float64 and tuple(a.shape) == (1, 3, 3)  # as PyTorch's
    same_bits(a, [[[2.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 2.0]]])
    same_bits(b, [-2.0, 1.0, -0.5])


def test_results_keep_history_only_when_it_reaches_outside():
    x = t64(X)
    out, tangent = func.jvp(f, (x,), (t64([1.0, 0.0, -1.0]),))
    assert not out.requires_grad and not tangent.requires_grad
    out, vjp_fn = func.vjp(f, x)
    assert not out.requires_grad
    g, value = func.grad_and_value(lambda u: f(u).sum())(x)
    assert not value.requires_grad and not g.requires_grad
    w = t64([1.0, 2.0, 3.0], requires_grad=True)
    out, tangent = func.jvp(lambda u: (u * w).exp(), (x,), (t64([1.0, 1.0, 1.0]),))
    assert out.requires_grad and tangent.requires_grad
    (out.sum() + tangent.sum()).backward()
    expected = (x.numpy() * np.exp(x.numpy() * w.detach().numpy())) * (1 + w.detach().numpy()) + np.exp(
        x.numpy() * w.detach().numpy())
    np.testing.assert_allclose(w.grad.numpy(), expected, rtol=1e-12)
    value = func.grad_and_value(lambda u: (u * w).sum())(x)[1]
    assert value.requires_grad
    out = func.vjp(lambda u: u * w, x)[0]
    assert out.requires_grad


# --------------------------------------------------------------------------- randomness='error'
def test_a_draw_inside_vmap_is_refused_and_the_state_put_back():
    tg.manual_seed(3)
    before = tg.get_rng_state()
    with pytest.raises(RuntimeError, match="randomness error mode"):
        func.vmap(lambda r: r + tg.rand(()))(tg.zeros(3))
    assert tg.equal(tg.get_rng_state(), before)
    func.vmap(lambda r: r * 2)(tg.zeros(3))  # no draw: no error
    assert tg.equal(tg.get_rng_state(), before)


def test_reseeding_inside_vmap_is_refused_and_setting_the_same_state_is_not():
    tg.manual_seed(5)
    state = tg.get_rng_state()

    def reseed(r):
        tg.manual_seed(6)
        return r
    with pytest.raises(RuntimeError, match="randomness error mode"):
        func.vmap(reseed)(tg.zeros(2))
    assert tg.equal(tg.get_rng_state(), state)

    def same_state(r):
        tg.set_rng_state(state)
        return r * 1
    func.vmap(same_state)(tg.zeros(2))


def test_a_draw_that_only_uses_the_cached_normal_is_refused():
    tg.manual_seed(7)
    tg.randn(())  # a scalar normal: draws a pair and keeps the second one
    before = tg.get_rng_state()
    with pytest.raises(RuntimeError, match="randomness error mode"):
        func.vmap(lambda r: r + tg.randn(()))(tg.zeros(1))  # (one slice: the twister itself never moves)
    assert tg.equal(tg.get_rng_state(), before)


def test_randomness_same_and_different_repeat_under_a_seed():
    def draw(mode):
        tg.manual_seed(11)
        return func.vmap(lambda r: r + tg.randn(4), randomness=mode)(tg.zeros(3, 4)), tg.randn(2)
    a, after_a = draw("same")
    b, after_b = draw("same")
    same_bits(a, b.numpy())
    same_bits(after_a, after_b.numpy())
    same_bits(a[1], a[0].numpy())
    c, _ = draw("different")
    d, _ = draw("different")
    same_bits(c, d.numpy())
    assert not np.array_equal(c[0].numpy(), c[1].numpy())


# --------------------------------------------------------------------------- cached guard patches
_NOT_BATCHED_MSG = "can not return a BatchedTensor when out_dim is None"


def test_a_kernel_bound_anew_between_vmaps_is_guarded():
    """The patches are cached between vmap calls: a kernel replaced meanwhile (one that drops
    the mark, as ``np.asarray`` of a fresh array does) must still be wrapped, so its result
    still counts as batched."""
    op = registry.ops["neg"]
    original = op.table["cpu"]
    with pytest.raises(ValueError, match=_NOT_BATCHED_MSG):
        func.vmap(lambda r: -r, out_dims=None)(tg.zeros(3))

    def unmarked(*args, **kwargs):
        return np.array(original(*args, **kwargs))
    op.table["cpu"] = unmarked
    try:
        with pytest.raises(ValueError, match=_NOT_BATCHED_MSG):
            func.vmap(lambda r: -r, out_dims=None)(tg.zeros(3))
        assert op.table["cpu"] is unmarked  # put back after the vmap
    finally:
        op.table["cpu"] = original
    with pytest.raises(ValueError, match=_NOT_BATCHED_MSG):
        func.vmap(lambda r: -r, out_dims=None)(tg.zeros(3))


def test_a_method_replaced_between_vmaps_is_guarded():
    func.vmap(lambda r: r * 1)(tg.zeros(2))  # (the patches cached)
    original = tg.Tensor.numpy
    calls = []

    def numpy(self, *args, **kwargs):
        calls.append(1)
        return original(self, *args, **kwargs)
    tg.Tensor.numpy = numpy
    try:
        with pytest.raises(RuntimeError, match="doesn't have storage"):
            func.vmap(lambda r: r.numpy())(tg.zeros(2))
        assert tg.Tensor.numpy is numpy
    finally:
        tg.Tensor.numpy = original


def test_nested_vmaps_and_outside_calls_after_caching():
    m = t64([[[1.0, 2.0], [3.0, 4.0]], [[-1.0, 0.5], [0.25, 2.0]]])
    for _ in range(2):  # the second time from the cached patches
        out = func.vmap(func.vmap(lambda r: (r.sin() * r).sum()))(m)
        same_bits(out, (np.sin(m.numpy()) * m.numpy()).sum(-1))
    assert tg.neg(tg.ones(1)).numpy().__class__ is np.ndarray  # outside vmap: nothing marked
    assert registry.ops["neg"].table["cpu"].__name__ != "kernel_under_vmap"
