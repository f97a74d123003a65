"""relu's and square's higher derivatives against PyTorch: values, grad_fn names, and where a
further derivative raises (the same error)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
from tensorgraft.testing.oracle import assert_same_error, assert_values_close, grad_fn_name, run_in_both  # noqa: E402

DATA = np.array([0.5, -1.0, 2.0, -0.25])


def _orders(m, f, n):
    x = m.tensor(DATA, requires_grad=True)
    cur, out = f(m, x), []
    for _ in range(n):
        cur, = m.autograd.grad(cur.sum(), x, create_graph=True)
        out.append(cur)
    return out


@pytest.mark.parametrize("name,n", [("relu", 4), ("square", 3), ("pow2", 3), ("relu_mlp", 2)])
def test_higher_derivatives_match(name, n):
    def f(m, x):
        if name == "relu":
            return m.relu(x)
        if name == "square":
            return m.square(x)
        if name == "pow2":
            return x ** 2
        w = m.tensor(np.arange(1.0, 5.0).reshape(1, 4) - 2.5)
        return ((x.reshape(-1, 1) @ w).relu() @ w.T) * x.reshape(-1, 1)
    ours, theirs = run_in_both(lambda m: _orders(m, f, n))
    for o, t in zip(ours, theirs):
        assert_values_close(o, t)
        assert grad_fn_name(o) == grad_fn_name(t)


def test_square_fourth_derivative_raises_like_pytorch():
    def call(m):
        h3 = _orders(m, lambda m, x: m.square(x), 3)[-1]
        m.autograd.grad(h3.sum(), h3)  # h3 carries no graph: PyTorch's error
    assert_same_error(call)


CLAMPS = {
    "min_sqrt": lambda m, x: x.clamp(min=0).sqrt(),
    "both_sqrt": lambda m, x: x.clamp(0, 1).sqrt(),
    "max_neg_sqrt": lambda m, x: (-x.clamp(max=0)).sqrt(),
    "clamp_min_log": lambda m, x: m.clamp_min(x, 0).log(),
    "tensor_min": lambda m, x: x.clamp(min=m.zeros(4)).sqrt(),
    "cube": lambda m, x: x.clamp(-0.5, 1) ** 3,
}


@pytest.mark.parametrize("name", sorted(CLAMPS))
def test_clamp_gradients_match(name):
    def call(m):
        x = m.tensor(DATA, requires_grad=True)
        g, = m.autograd.grad(CLAMPS[name](m, x).sum(), x, create_graph=True)
        return g
    ours, theirs = run_in_both(call)
    assert_values_close(ours, theirs)
    assert grad_fn_name(ours) == grad_fn_name(theirs)


def test_clamp_tensor_bounds_match():
    rng = np.random.default_rng(1)
    xs, los, his = (np.round(rng.uniform(-1, 1, (3, 5)), 1) for _ in range(3))

    def call(m):
        x, lo, hi = (m.tensor(a, requires_grad=True) for a in (xs, los, his))
        m.clamp(x, lo, hi).mul(m.arange(15.0).view(3, 5)).sum().backward()
        return x.grad, lo.grad, hi.grad
    ours, theirs = run_in_both(call)
    for o, t in zip(ours, theirs):
        assert_values_close(o, t)


NORMS = {
    "l2": lambda m, x: x.norm() ** 3, "l2_dim": lambda m, x: (x.norm(dim=1) ** 3).sum(),
    "l3": lambda m, x: x.norm(p=3) ** 3, "linf": lambda m, x: m.linalg.vector_norm(x, ord=float("inf")) ** 3,
    "l_half": lambda m, x: m.linalg.vector_norm(x, ord=0.5) ** 3, "std": lambda m, x: x.std(1).pow(3).sum(),
    "std_all": lambda m, x: x.std().pow(3), "std_mean": lambda m, x: m.std_mean(x, 0)[0].pow(3).sum(),
    "amax": lambda m, x: (x.amax(1) ** 3).sum(), "amin": lambda m, x: x.amin() ** 3,
    "max": lambda m, x: x.max() ** 3, "median": lambda m, x: x.median() ** 3,
}


@pytest.mark.parametrize("name", sorted(NORMS))
def test_reduction_double_backward_matches(name):
    def call(m):
        x = m.tensor([[1.0, 3.0, 3.0], [2.0, 0.0, 1.0]], dtype=m.float64, requires_grad=True)
        g, = m.autograd.grad(NORMS[name](m, x), x, create_graph=True)
        h, = m.autograd.grad((g * m.arange(6.0, dtype=m.float64).view(2, 3)).sum(), x, allow_unused=True)
        return g, h
    (g, h), (tg_, th) = run_in_both(call)
    assert_values_close(g, tg_)
    assert grad_fn_name(g) == grad_fn_name(tg_)
    assert_values_close(h, th, equal_nan=True)


@pytest.mark.parametrize("p", [0.5, 1.5, 2, 3, float("inf")])
@pytest.mark.parametrize("g0", [1.0, float("inf")])
def test_norm_and_dist_gradients_at_zero_rows_and_elements(p, g0):
    def call(m):
        x = m.tensor([[0.0, 0, 0], [1, 0, -2]], requires_grad=True)
        m.linalg.vector_norm(x, ord=p, dim=1).backward(m.tensor([g0, 1.0]))
        a = m.tensor([[1.0, 0, 0], [1, 0, -2]], requires_grad=True)
        m.dist(a, m.tensor([[0.0, 0, 0], [1, 1, -2]]), p=p).backward(m.tensor(g0))
        r = m.tensor([[1.0, 0, 0], [1, 0, -2]], requires_grad=True)
        r.renorm(p, 0, 0.5).sum().backward()
        return x.grad, a.grad, r.grad
    ours, theirs = run_in_both(call)
    for o, t in zip(ours, theirs):
        assert_values_close(o, t, atol=1e-6)


@pytest.mark.parametrize("fn", ["maximum", "minimum", "fmax", "fmin", "max", "min"])
@pytest.mark.parametrize("g", [1.0, float("inf")])
def test_pairwise_extremum_gradients_match(fn, g):
    nan = float("nan")

    def call(m):
        a = m.tensor([1.0, 2.0, 3.0, nan, 1.0, nan], requires_grad=True)
        b = m.tensor([[2.0, 2.0, 1.0, 1.0, nan, nan], [0.0, 5.0, 3.0, nan, 0.0, 1.0]], requires_grad=True)
        getattr(m, fn)(a, b).backward(m.full((2, 6), g) * m.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]))
        return a.grad, b.grad
    ours, theirs = run_in_both(call)
    for o, t in zip(ours, theirs):
        assert_values_close(o, t)


@pytest.mark.parametrize("f", ["max", "min", "median", "nanmedian", "amax", "amin"])
@pytest.mark.parametrize("data", [[1.0, float("nan"), 3.0], [1.0, float("nan"), float("nan")], [2.0, 2.0, 1.0]])
def test_full_reduction_gradients_with_nans_and_ties(f, data):
    def call(m):
        x = m.tensor(data, requires_grad=True)
        getattr(x, f)().backward()
        return x.grad
    ours, theirs = run_in_both(call)
    assert_values_close(ours, theirs)


def _setitem_cases():
    def row(m, x):
        y = x.clone()
        y[0] = 5.0
        return y

    def col(m, x):
        y = x.clone()
        y[:, 0] = 5.0
        return y

    def mask(m, x):
        y = x.clone()
        y[y > 0] = 0.0
        return y

    def adv(m, x):
        y = x.clone()
        y[:, m.tensor([0, 2])] = 1.0
        return y
    return {"row": row, "col": col, "mask": mask, "adv": adv,
            "index_put": lambda m, x: x.index_put((m.tensor([1]),), m.tensor(5.0))}


@pytest.mark.parametrize("name", sorted(_setitem_cases()))
@pytest.mark.parametrize("g", [1.0, float("inf"), float("nan")])
def test_setitem_gradients_match(name, g):
    def call(m):
        x = m.tensor([[-1.5, 0.0, 2.0], [0.5, 1.0, -3.0]], requires_grad=True)
        y = _setitem_cases()[name](m, x)
        y.backward(m.full_like(y, g))
        return x.grad
    ours, theirs = run_in_both(call)
    assert_values_close(ours, theirs)


@pytest.mark.parametrize("b", [[1.0, 0.0, -1.0, 2.0, float("nan")], 0.0, 2.0, -1.0])
@pytest.mark.parametrize("g", [1.0, float("inf"), 0.0])
def test_xlogy_gradients_match(b, g):
    def call(m):
        a = m.tensor([0.0, 0.0, 0.0, 1.0, 2.0], requires_grad=True)
        bb = m.tensor(b, requires_grad=True) if isinstance(b, list) else b
        y = m.xlogy(a, bb)
        y.backward(m.full_like(y, g))
        return (a.grad, bb.grad) if isinstance(b, list) else a.grad
    ours, theirs = run_in_both(call)
    if not isinstance(b, list):
        ours, theirs = (ours,), (theirs,)
    for o, t in zip(ours, theirs):
        assert_values_close(o, t)


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0, 0.5, float("inf")])
@pytest.mark.parametrize("g", [1.0, float("inf")])
def test_cdist_gradients_with_zero_distances_match(p, g):
    def call(m):
        x = m.tensor([[-1.5, 0.0, 0.0], [0.5, 2.0, -3.0]], requires_grad=True)
        y = m.cdist(x, m.tensor([[-1.5, 0.0, 0.0], [0.5, 1.0, 0.0], [0.5, 2.0, -3.0]]), p=p)
        y.backward(m.full_like(y, g))
        return x.grad
    ours, theirs = run_in_both(call)
    assert_values_close(ours, theirs)


BINARY = {"atan2": lambda m, a, b: m.atan2(a, b), "pow": lambda m, a, b: m.pow(a, b),
          "float_power": lambda m, a, b: m.float_power(a, b), "xlog1py": lambda m, a, b: m.special.xlog1py(a, b)}
UNARY = {"sinc": lambda m, x: m.sinc(x), "pow0": lambda m, x: x ** 0, "rpow0": lambda m, x: 0 ** x}


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("g", [1.0, float("inf")])
def test_binary_gradients_at_special_points_match(name, g):
    def call(m):
        a = m.tensor([0.0, -0.0, 1.0, -1.0, 2.0, 0.0, -2.0, 0.5], requires_grad=True)
        b = m.tensor([0.0, 0.0, 0.0, 1.0, -1.0, 2.0, 0.0, 0.5], requires_grad=True)
        y = BINARY[name](m, a, b)
        y.backward(m.full_like(y, g))
        return a.grad, b.grad
    ours, theirs = run_in_both(call)
    for o, t in zip(ours, theirs):
        assert_values_close(o, t, check_dtype=False)


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("g", [1.0, float("inf"), float("nan")])
def test_unary_gradients_at_special_points_match(name, g):
    def call(m):
        x = m.tensor([0.0, 1.0, -1.0, 2.0, 0.5], requires_grad=True)
        y = UNARY[name](m, x)
        y.backward(m.full_like(y, g))
        return x.grad
    ours, theirs = run_in_both(call)
    assert_values_close(ours, theirs)
