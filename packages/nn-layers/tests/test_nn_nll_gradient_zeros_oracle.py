"""Oracle twin of test_nn_nll_gradient_zeros.py: nll_loss / cross_entropy input gradients against
PyTorch's, where the NaNs are, which zeros are zeros and their signs included (the gradient of the
log-probabilities through ``retain_grad``, and of the logits), over reductions, ignored rows,
class weights, incoming gradients with NaN and inf, 1-D/2-D/3-D/4-D inputs, and batched
gradients. The values agree to rounding: the losses and the log-probabilities are sums in
another order than ATen's vectorised kernels."""
import numpy as np
import pytest

import tensorgraft as tg

torch = pytest.importorskip("torch")


def _same(ours, theirs):
    a, b = ours.detach().numpy(), theirs.detach().numpy()
    assert a.shape == b.shape and a.dtype == b.dtype
    tol = 2e-6 if a.dtype == np.float32 else 1e-14
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)  # (NaN where PyTorch has NaN, inf as inf)
    zeros = b == 0
    assert np.array_equal(a == 0, zeros), "zero entries differ"
    assert np.array_equal(np.signbit(a[zeros]), np.signbit(b[zeros])), "signs of zeros differ"


def _run(lib, x, t, fn, weight, upstream, **kw):
    logits = lib.tensor(x, requires_grad=True)
    lp = logits.log_softmax(1 if x.ndim > 1 else 0)
    lp.retain_grad()
    w = None if weight is None else lib.tensor(weight)
    if fn == "nll":
        loss = lib.nn.functional.nll_loss(lp, lib.tensor(t), weight=w, **kw)
    else:
        loss = lib.nn.functional.cross_entropy(logits, lib.tensor(t), weight=w, **kw)
    loss.backward(lib.tensor(upstream(loss.shape), dtype=loss.dtype))
    return loss, logits.grad, lp.grad if fn == "nll" else None


CASES = {
    "2d": ((6, 5), [4, 0, -100, 2, 2, -100]),
    "1d": ((5,), 3),
    "3d": ((3, 4, 5), [[0, 1, 2, -100, 3], [3, 3, 3, 3, 3], [-100, 0, 1, 2, 1]]),
    "4d": ((2, 3, 2, 3), [[[0, 1, -100], [2, 2, 0]], [[1, 1, 1], [-100, -100, 0]]]),
    "all_ignored": ((3, 4), [-100, -100, -100]),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("fn", ["nll", "ce"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("upstream", ["ones", "nan_inf"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_input_gradients_match_pytorch_bit_for_bit(case, fn, reduction, weighted, upstream, dtype):
    shape, t = CASES[case]
    rng = np.random.default_rng(sum(shape))
    x = rng.standard_normal(shape).astype(dtype)
    C = shape[1] if len(shape) > 1 else shape[0]
    weight = np.linspace(-0.5, 2.0, C).astype(dtype) if weighted else None

    def grads(shape_):
        if upstream == "ones" or not shape_:
            return np.full(shape_, 0.75 if upstream == "ones" else np.nan, dtype)
        g = np.linspace(-1, 1, int(np.prod(shape_))).astype(dtype).reshape(shape_)
        g.flat[0], g.flat[-1] = np.nan, np.inf
        return g

    ours = _run(tg, x, np.array(t), fn, weight, grads, reduction=reduction)
    theirs = _run(torch, x, np.array(t), fn, weight, grads, reduction=reduction)
    for a, b in zip(ours, theirs):
        if b is not None:
            _same(a, b)


@pytest.mark.parametrize("reduction", ["none", "sum"])
def test_batched_gradients_match_pytorch(reduction):
    x = np.random.default_rng(3).standard_normal((4, 5)).astype(np.float32)
    t = np.array([1, -100, 4, 0])
    upstream = np.array([[1.0, 2.0, -1.0, 0.5], [np.nan, 3.0, np.inf, 1.0]], np.float32)
    if reduction == "sum":
        upstream = upstream[:, :1].copy()[:, 0]
    out = []
    for lib in (tg, torch):
        lp = lib.tensor(x, requires_grad=True)
        loss = lib.nn.functional.nll_loss(lp, lib.tensor(t), reduction=reduction)
        (g,) = lib.autograd.grad(loss, lp, lib.tensor(upstream), is_grads_batched=True)
        out.append(g)
    _same(*out)
