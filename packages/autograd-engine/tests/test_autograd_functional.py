"""``tensorgraft.autograd.functional`` (and ``autograd.Variable``) without PyTorch: results against
analytic derivatives and central finite differences in float64, nesting of results, strict mode."""
from __future__ import annotations

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.autograd import functional as AF

RNG = np.random.default_rng(3)


def t64(a, **kw):
    return tg.tensor(np.asarray(a, dtype=np.float64), dtype=tg.float64, **kw)


def fd_jacobian(f, x, eps=1e-6):
    """Central differences of the numpy function ``f`` at ``x``: shape f(x).shape + x.shape."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(f(x))
    jac = np.zeros(y.shape + x.shape)
    for idx in np.ndindex(x.shape):
        d = np.zeros_like(x)
        d[idx] = eps
        jac[(Ellipsis,) + idx] = (np.asarray(f(x + d)) - np.asarray(f(x - d))) / (2 * eps)
    return jac


def close(a, b, tol=1e-6):
    np.testing.assert_allclose(a.detach().numpy() if isinstance(a, tg.Tensor) else a, b, rtol=tol, atol=tol)


def test_jacobian_against_finite_differences():
    x = RNG.standard_normal((2, 3))
    jac = AF.jacobian(lambda t: (t.sin() * t.sum(dim=1, keepdim=True)).exp(), t64(x))
    assert tuple(jac.shape) == (2, 3, 2, 3)
    close(jac, fd_jacobian(lambda a: np.exp(np.sin(a) * a.sum(axis=1, keepdims=True)), x))


def test_jacobian_nesting_for_tuples():
    x, y = t64([1.0, 2.0]), t64([3.0, 4.0, 5.0])
    jac = AF.jacobian(lambda a, b: (a * b.sum(), b * 2), (x, y))
    assert isinstance(jac, tuple) and len(jac) == 2 and all(isinstance(r, tuple) and len(r) == 2 for r in jac)
    close(jac[0][0], np.eye(2) * 12)
    close(jac[0][1], np.outer([1.0, 2.0], np.ones(3)))
    close(jac[1][0], np.zeros((3, 2)))
    close(jac[1][1], np.eye(3) * 2)
    single_in = AF.jacobian(lambda a: (a * 2, a.sum()), x)
    assert isinstance(single_in, tuple) and isinstance(single_in[0], tg.Tensor)
    single_out = AF.jacobian(lambda a, b: a * b[:2], (x, y))
    assert isinstance(single_out, tuple) and tuple(single_out[1].shape) == (2, 3)


def test_hessian_vhp_hvp_analytic():
    x = RNG.standard_normal(4)

    def f(t):  # sum x_i^3 + (sum x)^2: H = diag(6x) + 2
        return (t ** 3).sum() + t.sum() ** 2
    h_expected = np.diag(6 * x) + 2
    close(AF.hessian(f, t64(x)), h_expected)
    v = RNG.standard_normal(4)
    val, vh = AF.vhp(f, t64(x), t64(v))
    close(val, (x ** 3).sum() + x.sum() ** 2)
    close(vh, v @ h_expected)
    _, hv = AF.hvp(f, t64(x), t64(v))
    close(hv, h_expected @ v)


def test_vjp_and_jvp_against_the_jacobian():
    x = RNG.standard_normal(3)
    f = lambda t: t.exp() * t.prod()  # noqa: E731
    jac = fd_jacobian(lambda a: np.exp(a) * a.prod(), x)
    u, w = RNG.standard_normal(3), RNG.standard_normal(3)
    out, vj = AF.vjp(f, t64(x), t64(u))
    close(out, np.exp(x) * x.prod())
    close(vj, u @ jac)
    _, jv = AF.jvp(f, t64(x), t64(w))
    close(jv, jac @ w)


def test_create_graph_results_are_differentiable_and_others_are_not():
    x = t64([0.5, -1.0], requires_grad=True)
    h = AF.hessian(lambda t: (t ** 4).sum(), x, create_graph=True)
    assert h.requires_grad
    (g,) = tg.autograd.grad(h.sum(), x)  # d/dx sum(12 x^2 on the diagonal) = 24 x
    close(g, 24 * np.array([0.5, -1.0]))
    assert not AF.hessian(lambda t: (t ** 4).sum(), x).requires_grad
    assert x.grad is None  # pure: nothing accumulated


def test_unused_input_gives_zeros_or_strict_error():
    x, y = t64([1.0, 2.0]), t64([3.0])
    _, (gx, gy) = AF.vjp(lambda a, b: a * 2, (x, y), t64([1.0, 1.0]))
    close(gy, [0.0])
    with pytest.raises(RuntimeError, match="independent of input 1"):
        AF.vjp(lambda a, b: a * 2, (x, y), t64([1.0, 1.0]), strict=True)


def test_forward_mode_strategy():
    x = t64([1.0, 2.0])
    with pytest.raises(NotImplementedError, match="only implemented for `vectorize=True`"):
        AF.jacobian(lambda t: t * 2, x, strategy="forward-mode")
    jac = AF.jacobian(lambda t: t ** 2, x, strategy="forward-mode", vectorize=True)
    close(jac, np.diag([2.0, 4.0]))


def test_module_is_an_attribute_of_autograd():
    assert tg.autograd.functional is AF


def test_variable():
    from tensorgraft.autograd import Variable
    t = tg.ones(2)
    v = Variable(t, requires_grad=True)
    assert type(v) is tg.Tensor and v.requires_grad and not t.requires_grad
    assert isinstance(t, Variable) and not isinstance([1], Variable)
    with pytest.warns(UserWarning, match="volatile was removed"):
        Variable(t, volatile=True)
    with pytest.raises(TypeError, match="Variable data has to be a tensor, but got list"):
        Variable([1.0])


def test_results_under_no_grad_and_caller_tensors_untouched():
    x = t64([0.5, 2.0], requires_grad=True)
    with tg.no_grad():
        out, vj = AF.vjp(lambda t: t ** 2, x, t64([1.0, 1.0]), create_graph=True)
        h = AF.hessian(lambda t: (t ** 3).sum(), x, create_graph=True)
    assert out.requires_grad and vj.requires_grad and h.requires_grad
    close(h, np.diag(6 * np.array([0.5, 2.0])))
    _, jv = AF.jvp(lambda t: t ** 2, x, t64([1.0, 1.0]))
    assert not jv.requires_grad and x.grad is None


def test_hvp_and_vhp_agree_for_tuple_inputs():
    x, y = RNG.standard_normal(2), RNG.standard_normal(3)
    f = lambda a, b: (a.sin().sum() * b ** 2).sum()  # noqa: E731
    u, w = t64(RNG.standard_normal(2)), t64(RNG.standard_normal(3))
    _, (hx, hy) = AF.hvp(f, (t64(x), t64(y)), (u, w))
    _, (vx, vy) = AF.vhp(f, (t64(x), t64(y)), (u, w))
    close(hx, vx.detach().numpy())
    close(hy, vy.detach().numpy())
    blocks = AF.hessian(f, (t64(x), t64(y)))
    close(hx, blocks[0][0].numpy() @ u.numpy() + blocks[0][1].numpy() @ w.numpy())


def test_forward_mode_lists_for_tuple_inputs():
    x = t64([1.0, 2.0])
    jac = AF.jacobian(lambda a, b: (a * b, a.sum()), (x, x), vectorize=True, strategy="forward-mode")
    assert type(jac) is list and all(type(r) is list for r in jac)
    close(jac[0][1], np.diag([1.0, 2.0]))
    assert type(AF.jacobian(lambda a: (a, a), x, vectorize=True, strategy="forward-mode")) is tuple
