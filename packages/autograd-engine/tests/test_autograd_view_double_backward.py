"""A double backward through a view written in place (CopySlices on the base, AsStridedBackward0
on the view) has a graph, on every device, and as_strided's backward keeps the values on the
device (no copy to the host)."""
import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.testing import assert_close


def _written_view(lib, x, device):
    y = lib.zeros(3, 3, dtype=lib.float64, device=device)
    p = y.narrow(1, 1, 2)
    p.copy_((x[:3] * 1).unsqueeze(1))
    return p


def test_double_backward_through_a_view_written_in_place(tg_device):
    x = tg.tensor([1.0, 2.0, 3.0, 4.0], dtype=tg.float64, device=tg_device, requires_grad=True)
    p = _written_view(tg, x, tg_device)
    g, = tg.autograd.grad((p * p).sum(), x, create_graph=True)
    assert g.grad_fn is not None
    assert g.cpu().tolist() == [4.0, 8.0, 12.0, 0.0]
    gg, = tg.autograd.grad(g.sum(), x)
    assert gg.cpu().tolist() == [4.0, 4.0, 4.0, 0.0]


def test_as_strided_double_backward(tg_device):
    x = tg.tensor([1.0, 2.0, 3.0, 4.0, 5.0], dtype=tg.float64, device=tg_device, requires_grad=True)
    v = (x * 1).as_strided((2, 2), (1, 2), 0)      # overlapping windows: slots 0,2,1,3
    g, = tg.autograd.grad((v ** 3).sum(), x, create_graph=True)
    assert_close(g.cpu(), tg.tensor([3.0, 12.0, 27.0, 48.0, 0.0], dtype=tg.float64))
    gg, = tg.autograd.grad(g.sum(), x)
    assert_close(gg.cpu(), tg.tensor([6.0, 12.0, 18.0, 24.0, 0.0], dtype=tg.float64))
    assert tg.autograd.gradgradcheck(lambda t: (t * 1).as_strided((2, 2), (1, 1), 1) ** 2, (x.detach().cpu()
                                                                                             .requires_grad_(),))


def test_as_strided_backward_reads_nothing_back_on_a_device(tg_device):
    if tg_device == "cpu":
        pytest.skip("host reads are a device matter")
    cupy = pytest.importorskip("cupy")
    if getattr(cupy, "__version__", "") != "0.0-fake":
        pytest.skip("counted by the fake CuPy only")
    x = tg.ones(6, device=tg_device, requires_grad=True)
    v = (x * 2).as_strided((2, 2), (2, 1), 1)
    before = cupy.cuda.HOST_READS
    v.sum().backward()
    assert cupy.cuda.HOST_READS == before
    assert x.grad.cpu().tolist() == [0.0, 2.0, 2.0, 2.0, 2.0, 0.0]


def test_matches_torch():
    torch = pytest.importorskip("torch")
    out = []
    for lib in (tg, torch):
        x = lib.tensor(np.arange(1.0, 5.0), requires_grad=True)
        p = _written_view(lib, x, "cpu")
        g, = lib.autograd.grad((p ** 3).sum(), x, create_graph=True)
        out.append((g.detach().numpy(), lib.autograd.grad(g.sum(), x)[0].numpy()))
    np.testing.assert_allclose(out[0][0], out[1][0])
    np.testing.assert_allclose(out[0][1], out[1][1])
