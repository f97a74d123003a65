"""Gradients of products of complex tensors conjugate the other factor (PyTorch's convention: the
gradient is the conjugate Wirtinger derivative), and a real input's gradient from a complex
computation is the real part, with no warning."""
import warnings

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.testing import assert_close

rng = np.random.default_rng(0)
A = rng.standard_normal((3, 4)) + 1j * rng.standard_normal((3, 4))
B = rng.standard_normal((4, 2)) + 1j * rng.standard_normal((4, 2))
V = rng.standard_normal(4) + 1j * rng.standard_normal(4)
BA = rng.standard_normal((2, 3, 4)) + 1j * rng.standard_normal((2, 3, 4))
BB = rng.standard_normal((2, 4, 2)) + 1j * rng.standard_normal((2, 4, 2))
C = rng.standard_normal((3, 2)) + 1j * rng.standard_normal((3, 2))

CASES = {
    "matmul": (lambda L, a, b, v, ba, bb, c: (a @ b).abs().sum()),
    "matmul-vector": (lambda L, a, b, v, ba, bb, c: (a @ v).abs().sum() + (v @ b).abs().sum()),
    "dot": (lambda L, a, b, v, ba, bb, c: L.dot(v, v * 2).real),
    "mm-imag": (lambda L, a, b, v, ba, bb, c: L.mm(a, b).imag.sum()),
    "mv": (lambda L, a, b, v, ba, bb, c: L.mv(a, v).abs().sum()),
    "bmm": (lambda L, a, b, v, ba, bb, c: L.bmm(ba, bb).abs().sum()),
    "addmm": (lambda L, a, b, v, ba, bb, c: L.addmm(c, a, b, beta=0.5, alpha=2).abs().sum()),
    "einsum": (lambda L, a, b, v, ba, bb, c: L.einsum("ij,jk->ik", a, b).real.sum()),
}


def _manual_grad(name):
    """PyTorch's convention checked without PyTorch: for a real loss L, grad = dL/dRe + i dL/dIm,
    by central differences on the real and imaginary parts."""
    eps = 1e-6
    args = [A, B, V, BA, BB, C]
    grads = []
    for k in range(len(args)):
        g = np.zeros_like(args[k])
        for idx in np.ndindex(args[k].shape):
            for unit, part in ((1.0, 1.0), (1j, 1j)):
                hi = [x.copy() for x in args]
                lo = [x.copy() for x in args]
                hi[k][idx] += eps * unit
                lo[k][idx] -= eps * unit
                f = CASES[name]
                d = (float(f(tg, *map(tg.tensor, hi))) - float(f(tg, *map(tg.tensor, lo)))) / (2 * eps)
                g[idx] += d * part
        grads.append(g)
    return grads


@pytest.mark.parametrize("name", sorted(CASES))
def test_complex_product_gradients_by_finite_differences(name):
    ts = [tg.tensor(x, requires_grad=True) for x in (A, B, V, BA, BB, C)]
    CASES[name](tg, *ts).backward()
    for t, want in zip(ts, _manual_grad(name)):
        got = np.zeros_like(want) if t.grad is None else t.grad.numpy()
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(CASES))
def test_complex_product_gradients_match_torch(name):
    torch = pytest.importorskip("torch")
    got = []
    for lib in (tg, torch):
        ts = [lib.tensor(x, requires_grad=True) for x in (A, B, V, BA, BB, C)]
        CASES[name](lib, *ts).backward()
        got.append([None if t.grad is None else t.grad.numpy() for t in ts])
    for a, b in zip(*got):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_real_input_gets_the_real_part_without_a_warning(tg_device):
    x = tg.tensor([1.0, 2.0], device=tg_device, requires_grad=True)
    z = tg.tensor([1 + 2j, 3 - 1j], device=tg_device)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (x * z).abs().sum().backward()
    assert x.grad.dtype == tg.float32
    assert_close(x.grad.cpu(), tg.tensor([5 ** 0.5, 10 ** 0.5]))


def test_complex_scalar_backward_needs_a_gradient_argument():
    z = tg.tensor(1 + 1j, requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for real scalar outputs but got "
                                           "torch.complex64"):
        (z * 2).backward()
    (z * 2).backward(tg.tensor(1 + 0j))          # with one, it works (as PyTorch)
    assert z.grad.tolist() == 2
