"""Second-order gradients the OpInfo oracle's double-backward check found differing from PyTorch
(``tests/test_pytorch_opinfo_oracle.py::test_second_gradients_match_pytorch``), each pinned here with
PyTorch 2.13's values: prod at several zeros, scatter_reduce/index_reduce prod (and PyTorch's
``Error`` node where it refuses), triangular_solve through its solution, eig's one node for both
outputs, complex acos without NaN spreading, and the complex scales/conjugates of addmm and cross."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import tensorgraft as tg

pytest.importorskip("tensorgraft.autograd")


def _f64(values, requires_grad=True):
    return tg.tensor(values, dtype=tg.float64, requires_grad=requires_grad)


def _close(t, expected, tol=1e-9):
    np.testing.assert_allclose(np.asarray(t.detach().numpy()), np.asarray(expected), rtol=tol, atol=tol)


def test_prod_second_derivative_at_two_zeros_is_the_product_of_the_rest():
    # with a graph built, PyTorch takes the zero-safe path even at >1 zeros (its zeros shortcut is for
    # a plain backward), so d2/dx0 dx1 = 4 * 5
    x = _f64([0.0, 0.0, 4.0, 5.0])
    (g,) = tg.autograd.grad(x.prod(), x, create_graph=True)
    assert g.grad_fn.name() == "ViewBackward0"
    (h,) = tg.autograd.grad((g * _f64([1.0, 2.0, 3.0, 4.0], False)).sum(), x)
    _close(h, [40.0, 20.0, 0.0, 0.0])
    # a plain backward still takes PyTorch's shortcut: zeros (no NaN from 0 * inf either)
    x2 = _f64([0.0, 0.0, float("inf"), 5.0])
    (g2,) = tg.autograd.grad(x2.prod(), x2)
    _close(g2, [0.0, 0.0, 0.0, 0.0])


def test_scatter_reduce_prod_second_derivatives_are_pytorchs():
    x, s = _f64([2.0, 3.0]), _f64([0.0, 4.0, 5.0])
    index = tg.tensor([0, 0, 1])
    gx, gs = tg.autograd.grad(x.scatter_reduce(0, index, s, "prod").sum(), (x, s), create_graph=True)
    _close(gx, [0.0, 5.0])
    _close(gs, [8.0, 0.0, 3.0])
    hx, hs = tg.autograd.grad((gx * gx).sum() + (gs * gs).sum(), (x, s))
    _close(hx, [64.0, 6.0])
    _close(hs, [0.0, 32.0, 10.0])


@pytest.mark.parametrize("op, of", [("scatter_reduce", "src"), ("index_reduce", "source")])
def test_reduce_prod_with_two_zeros_at_one_position_refuses_a_second_derivative(op, of):
    x, s = _f64([2.0, 3.0]), _f64([0.0, 0.0, 5.0])
    index = tg.tensor([0, 0, 1])
    with warnings.catch_warnings():  # (index_reduce's beta warning, given once per process)
        warnings.simplefilter("ignore")
        y = getattr(x, op)(0, index, s, "prod")
    gx, gs = tg.autograd.grad(y.sum(), (x, s), create_graph=True)
    _close(gs, [0.0, 0.0, 3.0])
    assert gs.grad_fn.name() == "Error"
    with pytest.raises(RuntimeError, match=rf"{op}\(\): Double backward is unsupported for {of} when >1 zeros in "
                                           rf"{of} are scattered to the same position in self"):
        tg.autograd.grad(gs.sum(), (x, s))
    # the input's gradient still differentiates: d/ds of (x1's gradient, s2) is 1
    hx, hs = tg.autograd.grad(gx.sum(), (x, s), allow_unused=True)
    _close(hs, [0.0, 0.0, 1.0])


def test_eig_forward_ad_tangents_are_pytorchs():
    # (the double vjp behind forward AD hands eig's backward an arbitrary cotangent: its gauge check
    # is for a loss's gradient and stays out of the way there)
    fwad = pytest.importorskip("tensorgraft.autograd.forward_ad")
    A = _f64([[1.0, 2.0, 0.0], [-2.0, 1.0, 1.0], [0.5, 0.0, 3.0]], False)
    T = _f64([[0.5, -1.0, 0.25], [1.0, 0.0, -0.5], [0.0, 2.0, 1.0]], False)
    with fwad.dual_level():
        L, V = tg.linalg.eig(fwad.make_dual(A, T))
        tl, tv = fwad.unpack_dual(L).tangent, fwad.unpack_dual(V).tangent
    _close(tl, [0.0497962442 - 1.2532723509j, 0.0497962442 + 1.2532723509j, 1.4004075116])
    _close(tv.reshape(-1), [0.1438414167 + 0.0269364473j, 0.1438414167 - 0.0269364473j, -0.1724181308,
                            0.030128156 - 0.0097697422j, 0.030128156 + 0.0097697422j, -0.0824069232,
                            0.2915484572 + 0.2754285825j, 0.2915484572 - 0.2754285825j, 0.0612072983])
    # a loss that depends on the eigenvectors' phase is still refused in reverse mode
    B = _f64([[1.0, 2.0, 0.0], [-2.0, 1.0, 1.0], [0.5, 0.0, 3.0]])
    with pytest.raises(RuntimeError, match="specified up to multiplication by e"):
        tg.linalg.eig(B).eigenvectors.imag.sum().backward()


def test_triangular_solve_second_derivative_follows_the_solution():
    A = _f64([[2.0, 1.0, 0.5], [0.0, 3.0, -1.0], [0.0, 0.0, 1.5]])
    b = _f64([[1.0, -2.0], [0.5, 1.0], [2.0, 0.0]])
    X = tg.triangular_solve(b, A).solution
    gb, gA = tg.autograd.grad(X.pow(2).sum(), (b, A), create_graph=True)
    hb, hA = tg.autograd.grad(gb.sum() + gA.sum(), (b, A))
    _close(hb.reshape(-1), [-0.0833333333, 1.1111111111, -0.3364197531, 0.1111111111, -2.1203703704, 0.4320987654], 1e-9)
    _close(hA.reshape(-1), [1.8792438272, 0.1450617284, 0.8580246914, 0.0, 0.073388203, 0.1419753086, 0.0, 0.0,
                            2.768861454], 1e-9)


def test_eig_has_one_node_and_a_second_derivative():
    A = _f64([[1.0, 2.0, 0.0], [-2.0, 1.0, 1.0], [0.5, 0.0, 3.0]])
    L, V = tg.linalg.eig(A)
    assert L.grad_fn is V.grad_fn and L.grad_fn.name() == "LinalgEigBackward0"
    (g,) = tg.autograd.grad(L.real.pow(2).sum() + L.imag.sum() + V.abs().pow(2).sum(), A, create_graph=True)
    (h,) = tg.autograd.grad((g * g).sum(), A)
    _close(h.reshape(-1), [7.5057703094, 0.4659584979, 1.9907336972, 0.6809235767, 8.2516846663, 3.9371879484,
                           1.8972776392, 3.9814673944, 24.2425450242], 1e-8)


def test_complex_acos_second_derivative_has_no_nan_away_from_the_poles():
    z = tg.tensor([0.3 + 0.4j, -0.5 - 0.2j], dtype=tg.complex128, requires_grad=True)
    (g,) = tg.autograd.grad(tg.acos(z).real.sum(), z, create_graph=True)
    _close(g, [-0.9491402412 + 0.1051394678j, -1.0992472919 + 0.1369844011j])
    (h,) = tg.autograd.grad(g.real.sum() + g.imag.sum(), z)
    _close(h, [0.2804487987 + 0.5482023462j, 0.0341146656 - 1.0346726048j])
    # at a pole (z = 1) the gradient is NaN + NaNj there only, as PyTorch's
    w = tg.tensor([1.0 + 0j, 0.5 + 0j], dtype=tg.complex128, requires_grad=True)
    (gw,) = tg.autograd.grad(tg.acos(w).real.sum(), w)
    assert np.isnan(gw[0].item().real) and np.isfinite(gw[1].item().real)


def test_addmm_complex_scales_enter_the_gradients_conjugated():
    inp = tg.tensor([[1 + 1j, 2 - 1j]], dtype=tg.complex128, requires_grad=True)
    m1 = tg.tensor([[1 - 2j]], dtype=tg.complex128, requires_grad=True)
    m2 = tg.tensor([[0.5 + 1j, -1 + 0j]], dtype=tg.complex128, requires_grad=True)
    out = tg.addmm(inp, m1, m2, beta=2 - 1j, alpha=1 + 3j)
    gi, g1, g2 = tg.autograd.grad(out.real.sum() + 2 * out.imag.sum(), (inp, m1, m2))
    _close(gi, [[5j, 5j]])
    _close(g1, [[-4.5 - 6.5j]])
    _close(g2, [[9 + 13j, 9 + 13j]])


def test_cross_gradients_take_the_other_factors_conjugate():
    a = tg.tensor([1 + 2j, -1j, 3 + 0j], dtype=tg.complex128, requires_grad=True)
    b = tg.tensor([0.5 - 1j, 2 + 1j, -1 + 1j], dtype=tg.complex128, requires_grad=True)
    c = tg.linalg.cross(a, b)
    ga, gb = tg.autograd.grad(c.real.sum() + c.imag.sum(), (a, b))
    _close(ga, [3 + 3j, 0.5 - 3.5j, -3.5 + 0.5j])
    _close(gb, [4 + 2j, -4j, -4 + 2j])
