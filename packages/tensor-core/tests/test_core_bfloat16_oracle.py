"""bfloat16 against PyTorch: values, dtypes, printed reprs and gradients of the ops training code
runs. PyTorch computes bfloat16 in float32 and rounds once; so does tensorgraft, so most results
agree bit for bit. ``ULP`` allows one bfloat16 step where the two libraries' float32 transcendental
functions (Sleef vs the C library) differ in the last float32 bit and that lands on a rounding
boundary."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensorgraft as tg  # noqa: E402
from tensorgraft.testing.oracle import assert_same_error, assert_values_close, seeded_normal  # noqa: E402

ULP = dict(rtol=2 ** -7, atol=1e-6)  # one bfloat16 step (8 significant bits)


def both(data):
    return tg.tensor(data, dtype=tg.bfloat16), torch.tensor(data, dtype=torch.bfloat16)


X = seeded_normal(4, 5, seed=1).tolist()
POS = (np.abs(seeded_normal(4, 5, seed=2)) + 0.1).tolist()

UNARY = ["exp", "log", "sqrt", "rsqrt", "sigmoid", "tanh", "sin", "cos", "abs", "neg", "floor", "ceil", "round",
         "trunc", "frac", "reciprocal", "square", "expm1", "log1p", "erf", "sign", "relu", "log2", "exp2"]


@pytest.mark.parametrize("name", UNARY)
def test_unary(name):
    data = POS if name in ("log", "sqrt", "rsqrt", "log1p", "log2") else X
    ours, theirs = both(data)
    r, e = getattr(ours, name)(), getattr(theirs, name)()
    assert r.dtype is tg.bfloat16
    assert_values_close(r, e, **ULP)


@pytest.mark.parametrize("expr", [
    lambda m, a, b: a + b, lambda m, a, b: a - b, lambda m, a, b: a * b, lambda m, a, b: a / b,
    lambda m, a, b: a * 1.006, lambda m, a, b: 2.013 * a, lambda m, a, b: a + 3.01, lambda m, a, b: 1.5 - a,
    lambda m, a, b: a / 3.01, lambda m, a, b: b ** 1.01, lambda m, a, b: a ** 2, lambda m, a, b: m.maximum(a, b),
    lambda m, a, b: m.where(a > 0, a, b), lambda m, a, b: a.clamp(-0.5, 0.5), lambda m, a, b: a.lerp(b, 0.3),
    lambda m, a, b: m.addcmul(a, a, b, value=0.5), lambda m, a, b: a == b, lambda m, a, b: a < b,
    lambda m, a, b: a + m.ones(5, dtype=m.float16), lambda m, a, b: a * m.ones(5), lambda m, a, b: a + m.arange(5),
])
def test_binary(expr):
    (a, ta), (b, tb) = both(X), both(POS)
    r, e = expr(tg, a, b), expr(torch, ta, tb)
    assert str(r.dtype) == str(e.dtype)
    assert_values_close(r, e, **ULP)


@pytest.mark.parametrize("expr", [
    lambda t: t.sum(), lambda t: t.sum(1), lambda t: t.mean(), lambda t: t.mean(0, keepdim=True),
    lambda t: t.var(), lambda t: t.std(1), lambda t: t.norm(), lambda t: t.prod(1), lambda t: t.cumsum(1),
    lambda t: t.logsumexp(1), lambda t: t.max(), lambda t: t.amax(0), lambda t: t.argmax(1), lambda t: t.sort(1)[0],
    lambda t: t.topk(2)[0], lambda t: t @ t.T, lambda t: t.T @ t, lambda t: t.softmax(1), lambda t: t.log_softmax(1),
    lambda t: t.sum(dtype=t.new_tensor(0).float().dtype), lambda t: t.cat([t, t]) if False else t.flatten()[3:9],
    lambda t: t.reshape(5, 4).t().contiguous(), lambda t: t[1:3, ::2], lambda t: t.unsqueeze(0).expand(2, 4, 5) * 1,
])
def test_reductions_and_matmul(expr):
    ours, theirs = both(X)
    r, e = expr(ours), expr(theirs)
    assert str(r.dtype) == str(e.dtype)
    assert_values_close(r, e, **ULP)


def test_large_sum_accumulates_in_float32_as_pytorch():
    ours, theirs = tg.ones(100000, dtype=tg.bfloat16), torch.ones(100000, dtype=torch.bfloat16)
    assert ours.sum().item() == theirs.sum().item() == 99840.0
    assert ours.mean().item() == theirs.mean().item()


def test_reprs():
    for data in (X, [[1.0, 2.0], [3.0, 4.0]], [1e-5, 3e5], [float("nan"), float("inf"), 1.5]):
        ours, theirs = both(data)
        assert repr(ours) == repr(theirs)
    assert str(tg.bfloat16) == str(torch.bfloat16)
    assert repr(tg.finfo(tg.bfloat16)) == repr(torch.finfo(torch.bfloat16))


def test_conversions_and_errors():
    ours, theirs = both(X)
    assert ours.float().tolist() == theirs.float().tolist()
    assert ours.to(tg.int64).tolist() == theirs.to(torch.int64).tolist()
    assert ours.half().tolist() == theirs.half().tolist()
    assert ours.tolist() == theirs.tolist()
    assert_same_error(lambda: ours.numpy(), lambda: theirs.numpy())
    assert tg.tensor(X).bfloat16().tolist() == torch.tensor(X).bfloat16().tolist()
    assert ours.element_size() == theirs.element_size() and ours.nbytes == theirs.nbytes
    assert ours.type() == theirs.type()


def test_gradients():
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
    (a, ta), (b, tb) = both(X), both(POS)
    for t in (a, ta, b, tb):
        t.requires_grad_()
    for x, y in ((a, b), (ta, tb)):
        loss = ((x @ y.T).sigmoid() * 1.5 - x.exp().mean() + (x * y).sum(1).logsumexp(0)).sum()
        loss.backward()
    assert a.grad.dtype is tg.bfloat16
    assert_values_close(a.grad, ta.grad, rtol=2 ** -6, atol=1e-2)
    assert_values_close(b.grad, tb.grad, rtol=2 ** -6, atol=1e-2)


def test_optimizer_steps():
    pytest.importorskip("tensorgraft.optim", reason="needs tensorgraft-optim")
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
    w0, x0, y0 = seeded_normal(4, 3, seed=3), seeded_normal(8, 4, seed=4), seeded_normal(8, 3, seed=5)
    for name, kw in [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=0.01)), ("AdamW", dict(lr=0.01))]:
        params = []
        for lib in (tg, torch):
            p = lib.tensor(w0, dtype=lib.bfloat16).requires_grad_()
            x, y = lib.tensor(x0, dtype=lib.bfloat16), lib.tensor(y0, dtype=lib.bfloat16)
            opt = getattr(lib.optim, name)([p], **kw)
            for _ in range(3):
                opt.zero_grad()
                ((x @ p - y) ** 2).mean().backward()
                opt.step()
            params.append(p)
        assert params[0].dtype is tg.bfloat16
        # absolute tolerance of one bfloat16 step at the weights' scale (~1): an update that
        # cancels a weight to near zero keeps that step's rounding difference (PyTorch's matmul
        # may sum in another order, with another thread count)
        assert_values_close(params[0], params[1], rtol=2 ** -7, atol=2 ** -6, msg=name)


@pytest.mark.parametrize("call", [
    lambda m, A, v: m.det(A), lambda m, A, v: m.inverse(A), lambda m, A, v: m.linalg.cholesky(A),
    lambda m, A, v: m.linalg.qr(A), lambda m, A, v: m.linalg.svd(A), lambda m, A, v: m.linalg.eig(A),
    lambda m, A, v: m.linalg.solve(A, A), lambda m, A, v: m.linalg.slogdet(A), lambda m, A, v: m.logdet(A),
    lambda m, A, v: m.linalg.lstsq(A, A), lambda m, A, v: m.linalg.pinv(A), lambda m, A, v: m.quantile(v, 0.5),
    lambda m, A, v: m.complex(v, v), lambda m, A, v: m.fft.fft(v), lambda m, A, v: m.histogram(v, 4),
    lambda m, A, v: m.linalg.vander(v), lambda m, A, v: m.linalg.vander(v.half()),
    lambda m, A, v: m.stft(m.ones(64, dtype=m.bfloat16), 16, return_complex=True),
    lambda m, A, v: m.linalg.ldl_factor(A), lambda m, A, v: m.linalg.matrix_norm(A, "nuc"),
    lambda m, A, v: m.cdist(A, A), lambda m, A, v: m.lobpcg(m.eye(6, dtype=m.bfloat16) * 2, k=1),
])
def test_refusals_match_pytorch(call):
    # PyTorch's CPU linear algebra, FFT and a few others have no bfloat16 kernels: the same errors
    def run(m):
        A = (m.eye(3) * 2 + 0.1).to(m.bfloat16)
        return call(m, A, m.tensor([1.0, 2.0, 3.0, 4.0], dtype=m.bfloat16))
    assert_same_error(lambda: run(tg), lambda: run(torch))


def test_more_ops_match():
    ours, theirs = both([1.0, -2.0, 3.0, 4.0])
    for expr in (lambda m, v: m.div(v, 0.3, rounding_mode="floor"), lambda m, v: m.div(v, 0.3, rounding_mode="trunc"),
                 lambda m, v: m.var_mean(v)[0], lambda m, v: v.median(), lambda m, v: m.cosine_similarity(v, v.flip(0), 0),
                 lambda m, v: m.addmm(v.reshape(2, 2), v.reshape(2, 2), v.reshape(2, 2), alpha=0.3, beta=0.7),
                 lambda m, v: m.einsum("ij,jk->ik", v.reshape(2, 2), v.reshape(2, 2)), lambda m, v: m.logcumsumexp(v, 0),
                 lambda m, v: m.round(v * 1.2345, decimals=2), lambda m, v: m.angle(v), lambda m, v: m.histc(v, 4)):
        r, e = expr(tg, ours), expr(torch, theirs)
        assert str(r.dtype) == str(e.dtype)
        assert_values_close(r, e, **ULP)


def test_nan_to_num_uses_bfloat16_limits():
    ours, theirs = both([float("nan"), float("inf"), -float("inf"), 1.5])
    assert tg.nan_to_num(ours).tolist() == torch.nan_to_num(theirs).tolist()
    finite_ours, finite_theirs = both([1.0, -2.0, 3.0])
    assert finite_ours.dist(finite_ours * 2).item() == finite_theirs.dist(finite_theirs * 2).item()


@pytest.mark.parametrize("n", [5, 16, 17, 33])
@pytest.mark.parametrize("draw", [
    lambda m, n: m.randn(n, dtype=m.bfloat16), lambda m, n: m.rand(n, dtype=m.bfloat16),
    lambda m, n: m.empty(n, dtype=m.bfloat16).uniform_(-2, 3), lambda m, n: m.empty(n, dtype=m.bfloat16).normal_(1, 2),
    lambda m, n: m.empty(n, dtype=m.bfloat16).random_(), lambda m, n: m.empty(n, dtype=m.bfloat16).random_(0, 10),
    lambda m, n: m.empty(n, dtype=m.bfloat16).exponential_(), lambda m, n: m.randint(0, 5, (n,), dtype=m.bfloat16),
    lambda m, n: m.randperm(n, dtype=m.bfloat16), lambda m, n: m.normal(m.zeros(n, dtype=m.bfloat16), 1.0),
])
def test_random_draws_match(draw, n):
    # bfloat16 draws like float16 (PyTorch's reduced-precision paths), so seeded programs agree
    torch.manual_seed(0)
    expected = draw(torch, n)
    tg.manual_seed(0)
    got = draw(tg, n)
    assert got.dtype is tg.bfloat16 and got.tolist() == expected.tolist()
