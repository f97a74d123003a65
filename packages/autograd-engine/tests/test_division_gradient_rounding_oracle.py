"""Division's gradients bit for bit against PyTorch, and the graph of its create_graph gradient."""
import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.testing.oracle import as_both

torch = pytest.importorskip("torch")


def structure(fn, depth=4):
    if fn is None or depth == 0:
        return None
    return (type(fn).__name__, tuple(structure(n, depth - 1) for n, _ in fn.next_functions))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64])
def test_division_gradients_bitwise(dtype):
    rng = np.random.default_rng(1)
    a = (rng.standard_normal(300) * 100).astype(dtype)
    b = (rng.standard_normal(300) * 0.1 + 0.7).astype(dtype)
    if np.dtype(dtype).kind == "c":
        a = a + 1j * a[::-1]
        b = b + 0.5j
    g = rng.standard_normal(300).astype(dtype)
    grads = []
    for lib in (tg, torch):
        ta, tb = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
        (ta / tb).backward(lib.tensor(g))
        grads.append((ta.grad.numpy(), tb.grad.numpy()))
    if np.dtype(dtype).kind == "c":
        # NumPy's complex division itself rounds differently from PyTorch's in about 1 case in 300
        np.testing.assert_allclose(grads[0][0], grads[1][0], rtol=1e-6)
        np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=1e-6)
    else:
        np.testing.assert_array_equal(grads[0][0], grads[1][0])
        np.testing.assert_array_equal(grads[0][1], grads[1][1])


def test_create_graph_structures():
    (x, tx), (y, ty) = as_both(np.array([1.0, 2.0]), requires_grad=True), as_both(np.array([3.0, 4.0]),
                                                                                  requires_grad=True)
    graphs = []
    for lib, a, b in ((tg, x, y), (torch, tx, ty)):
        gb, = lib.autograd.grad((a / b).sum(), b, create_graph=True)
        ga, = lib.autograd.grad(lib.nn.functional.softsign(a).sum(), a, create_graph=True)
        graphs.append((structure(gb.grad_fn), structure(ga.grad_fn)))
    assert graphs[0] == graphs[1]
