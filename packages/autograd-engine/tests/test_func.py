"""``tensorgraft.func`` without PyTorch: transforms against analytic derivatives and finite
differences (float64), composition (grad of grad, vmap of grad, nested vmap), purity, vmap's
randomness modes, and the lazy ``tensorgraft.func`` attribute."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft import func

RNG = np.random.default_rng(4)


def t64(a, **kw):
    return tg.tensor(np.asarray(a, dtype=np.float64), dtype=tg.float64, **kw)


def close(a, b, tol=1e-6):
    np.testing.assert_allclose(a.detach().numpy(), b, rtol=tol, atol=tol)


def fd_grad(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        d = np.zeros_like(x)
        d[idx] = eps
        g[idx] = (f(x + d) - f(x - d)) / (2 * eps)
    return g


def test_grad_matches_finite_differences():
    x = RNG.standard_normal((2, 3))
    g = func.grad(lambda t: (t.sin() * t.exp()).sum() ** 2)(t64(x))
    close(g, fd_grad(lambda a: ((np.sin(a) * np.exp(a)).sum()) ** 2, x))


def test_grad_argnums_has_aux_and_value():
    x, y = t64([1.0, 2.0]), t64([3.0, 4.0])
    (gx, gy), aux = func.grad(lambda a, b: ((a * b).sum(), {"b": b}), argnums=(0, 1), has_aux=True)(x, y)
    close(gx, [3.0, 4.0])
    close(gy, [1.0, 2.0])
    assert list(aux) == ["b"]
    g, value = func.grad_and_value(lambda a: (a ** 2).sum())(x)
    close(g, [2.0, 4.0])
    close(value, 5.0)


def test_higher_order_grads():
    x = t64([0.3, -0.7])
    third = func.grad(lambda t: func.grad(lambda s: func.grad(lambda r: (r ** 4).sum())(s).sum())(t).sum())(x)
    close(third, 24 * np.array([0.3, -0.7]))
    assert not third.requires_grad


def test_jacobians_and_hessian():
    x = RNG.standard_normal(3)
    jac_expected = np.diag(np.cos(x)) * x.sum() + np.sin(x)[:, None]
    for transform in (func.jacrev, func.jacfwd):
        close(transform(lambda t: t.sin() * t.sum())(t64(x)), jac_expected)
    h = func.hessian(lambda t: (t ** 3).sum() * t[0])(t64(x))
    expected = np.diag(6 * x * x[0])
    expected[0, :] += 3 * x ** 2
    expected[:, 0] += 3 * x ** 2
    close(h, expected)


def test_vjp_and_jvp():
    x = RNG.standard_normal(3)
    u = RNG.standard_normal(3)
    out, vjp_fn = func.vjp(lambda t: t.exp() * 2, t64(x))
    close(out, 2 * np.exp(x))
    (vj,) = vjp_fn(t64(u))
    close(vj, 2 * np.exp(x) * u)
    out, jv = func.jvp(lambda t: t.exp() * 2, (t64(x),), (t64(u),))
    close(jv, 2 * np.exp(x) * u)


def test_vmap_semantics():
    x = RNG.standard_normal((4, 3))
    close(func.vmap(lambda r: r @ r)(t64(x)), (x * x).sum(1))
    close(func.vmap(lambda r: r * 2, in_dims=1, out_dims=1)(t64(x)), x * 2)
    close(func.vmap(func.vmap(lambda a: a + 1))(t64(x)), x + 1)
    close(func.vmap(func.grad(lambda r: (r ** 2).sum()))(t64(x)), 2 * x)
    per_example = func.vmap(func.jacrev(lambda r: r.exp()))(t64(x))
    assert tuple(per_example.shape) == (4, 3, 3)


def test_vmap_randomness_modes():
    x = tg.zeros(3, 2)
    with pytest.raises(RuntimeError, match="randomness error mode"):
        func.vmap(lambda r: r + tg.rand(2))(x)
    same = func.vmap(lambda r: r + tg.rand(2), randomness="same")(x)
    assert bool((same[0] == same[1]).all()) and bool((same[1] == same[2]).all())
    diff = func.vmap(lambda r: r + tg.rand(2), randomness="different")(x)
    assert not bool((diff[0] == diff[1]).all())


def test_transforms_are_pure():
    x = t64([1.0, 2.0], requires_grad=True)
    w = t64([3.0, 4.0], requires_grad=True)
    func.grad(lambda a: (a * w).sum())(x)
    func.jacrev(lambda a: a * w)(x)
    func.vjp(lambda a: a * w, x)[1](t64([1.0, 1.0]))
    func.jvp(lambda a: a * w, (x,), (t64([1.0, 1.0]),))
    func.vmap(func.grad(lambda a: (a * a).sum()))(t64([[1.0], [2.0]]))
    assert x.grad is None and w.grad is None


def test_results_keep_history_only_for_outside_tensors():
    w = t64([3.0, 4.0], requires_grad=True)
    g = func.grad(lambda a: (a * w).sum())(t64([1.0, 2.0]))
    assert g.requires_grad  # d/da = w: still a function of w
    (gw,) = tg.autograd.grad(g.sum(), w)
    close(gw, [1.0, 1.0])
    assert not func.grad(lambda a: (a * a).sum() + w.sum())(t64([1.0, 2.0])).requires_grad


def test_functional_call_delegates_to_nn():
    nn = pytest.importorskip("tensorgraft.nn")
    lin = nn.Linear(2, 1).double()
    params = {"weight": t64([[1.0, 2.0]]), "bias": t64([0.5])}
    out = func.functional_call(lin, params, (t64([[1.0, 1.0]]),))
    close(out, [[3.5]])


def test_func_is_a_lazy_attribute_of_tensorgraft():
    code = ("import sys, json; import tensorgraft as torch; loaded = [m for m in sys.modules "
            "if m.startswith('tensorgraft.func.')]; f = torch.func.grad; "
            "print(json.dumps([loaded, callable(f)]))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == [[], True]
