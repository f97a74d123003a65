"""Gradients of ``linalg.svd`` / ``svdvals`` / ``torch.svd`` and ``linalg.qr`` / ``torch.qr``:
finite differences on losses that do not depend on the sign of the singular vectors, and
PyTorch as an oracle (gradients, node names, the errors where PyTorch refuses)."""
import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.autograd import gradcheck, gradgradcheck

SHAPES = [(4, 3), (3, 3), (3, 5), (2, 4, 3), (2, 3, 4)]


def _np(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _x(shape, seed=0):
    return tg.tensor(_np(shape, seed), requires_grad=True)


def _weights(M, n, dim=-2):
    w = M.arange(1.0, 1.0 + n, dtype=M.float64)
    return w if dim == -2 else w.unsqueeze(-1)


# losses written once for both libraries (M is tensorgraft or torch); each is invariant to the
# signs of the singular vectors / the columns of Q, so finite differences apply
def _svd_recon(M, a):
    U, S, Vh = M.linalg.svd(a, full_matrices=False)
    return ((U * S.unsqueeze(-2)) @ Vh).pow(2).sum()


def _svd_S(M, a):
    return M.linalg.svd(a, full_matrices=False)[1].pow(3).sum()


def _svd_U(M, a):
    U = M.linalg.svd(a, full_matrices=False)[0]
    return (U.pow(2) * _weights(M, U.shape[-1])).sum()


def _svd_Vh(M, a):
    Vh = M.linalg.svd(a, full_matrices=False)[2]
    return (Vh.pow(2) * _weights(M, Vh.shape[-2], dim=-1)).sum()


def _svd_all(M, a):
    U, S, Vh = M.linalg.svd(a, full_matrices=False)
    return (U.pow(2) * _weights(M, U.shape[-1])).sum() + S.exp().sum() + (Vh.pow(4)).sum()


def _svd_full(M, a):
    U, S, Vh = M.linalg.svd(a, full_matrices=True)
    return U.pow(2).cumsum(-1).sum() + Vh.pow(2).cumsum(-2).sum() + S.sum()


def _svdvals(M, a):
    return M.linalg.svdvals(a).pow(2).sum()


def _legacy_svd(M, a):
    U, S, V = M.svd(a)
    return (U.pow(2) * _weights(M, U.shape[-1])).sum() + S.sum() + V.pow(4).sum()


def _qr_Q(M, a):
    Q = M.linalg.qr(a)[0]
    return (Q * M.linspace(-1, 2, Q.shape[-2] * Q.shape[-1], dtype=M.float64).reshape(Q.shape[-2:])).sum()


def _qr_R(M, a):
    R = M.linalg.qr(a)[1]
    return (R.pow(2) * _weights(M, R.shape[-1], dim=-2)).sum()


def _qr_both(M, a):
    Q, R = M.linalg.qr(a)
    return Q.sin().sum() + R.pow(3).sum()


def _qr_complete(M, a):
    Q, R = M.linalg.qr(a, mode="complete")
    return Q.sin().sum() + R.pow(3).sum()


LOSSES = {"svd_recon": _svd_recon, "svd_S": _svd_S, "svd_U": _svd_U, "svd_Vh": _svd_Vh, "svd_all": _svd_all,
          "svd_full": _svd_full, "svdvals": _svdvals, "qr_Q": _qr_Q, "qr_R": _qr_R, "qr_both": _qr_both}
# gauge-invariant losses for finite differences (QR's factors are unique: no gauge)
GRADCHECK = ["svd_recon", "svd_S", "svd_all", "svd_full", "svdvals", "qr_Q", "qr_R", "qr_both"]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", GRADCHECK)
def test_gradcheck(name, shape):
    assert gradcheck(lambda a: LOSSES[name](tg, a), (_x(shape, 1),))


@pytest.mark.parametrize("name", ["svd_recon", "svd_S", "svdvals", "qr_both"])
def test_gradgradcheck(name):
    assert gradgradcheck(lambda a: LOSSES[name](tg, a), (_x((3, 2), 2),))


def test_gradcheck_outputs_directly():
    # real SVD / QR outputs directly (the signs LAPACK picks do not flip under tiny steps)
    assert gradcheck(lambda a: tuple(tg.linalg.svd(a, full_matrices=False)), (_x((3, 2), 3),))
    assert gradcheck(lambda a: tuple(tg.linalg.qr(a)), (_x((3, 2), 3),))
    assert gradcheck(lambda a: tuple(tg.linalg.qr(a)), (_x((2, 3), 3),))


def test_node_names_and_no_grad():
    a = _x((3, 2))
    for t in tg.linalg.svd(a, full_matrices=False):
        assert t.grad_fn.name() == "LinalgSvdBackward0"
    for t in tg.linalg.qr(a):
        assert t.grad_fn.name() == "LinalgQrBackward0"
    assert tg.linalg.svdvals(a).grad_fn.name() == "LinalgSvdBackward0"
    with tg.no_grad():
        assert not tg.linalg.svd(a)[0].requires_grad and not tg.linalg.qr(a)[1].requires_grad


def test_qr_refusals():
    a = _x((4, 3))
    with pytest.raises(RuntimeError, match="not differentiable when mode='complete' and nrows > ncols"):
        tg.linalg.qr(a, mode="complete")[1].sum().backward()
    with pytest.raises(RuntimeError, match="depends on Q, which is not computed when mode='r'"):
        tg.linalg.qr(a, mode="r")[1].sum().backward()
    # complete with m <= n is the reduced factorisation: differentiable
    assert gradcheck(lambda t: _qr_complete(tg, t), (_x((3, 4), 5),))


# --------------------------------------------------------------------------- PyTorch as oracle
def _torch_grad(torch, fn, x):
    t = torch.tensor(x, requires_grad=True)
    fn(torch, t).backward()
    return t.grad.numpy()


def _tg_grad(fn, x):
    a = tg.tensor(x, requires_grad=True)
    fn(tg, a).backward()
    return np.asarray(a.grad)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_against_torch(name, shape):
    torch = pytest.importorskip("torch")
    x = _np(shape, 7)
    np.testing.assert_allclose(_tg_grad(LOSSES[name], x), _torch_grad(torch, LOSSES[name], x), rtol=1e-8, atol=1e-10)


def test_legacy_svd_against_torch():
    torch = pytest.importorskip("torch")
    x = _np((4, 3), 8)
    np.testing.assert_allclose(_tg_grad(_legacy_svd, x), _torch_grad(torch, _legacy_svd, x), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("shape", [(4, 3), (3, 5)], ids=str)
def test_complex_against_torch(shape):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(9)
    x = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)

    def loss(M, a):
        U, S, Vh = M.linalg.svd(a, full_matrices=False)
        Q, R = M.linalg.qr(a)
        w = _weights(M, U.shape[-1])
        return (U.abs().pow(2) * w).sum() + S.sum() + (Vh.abs().pow(4)).sum() + Q.abs().sum() + R.abs().pow(2).sum()
    np.testing.assert_allclose(_tg_grad(loss, x), _torch_grad(torch, loss, x), rtol=1e-8, atol=1e-10)


def test_refusals_match_torch():
    torch = pytest.importorskip("torch")
    x = _np((4, 3), 10)
    for mode in ("complete", "r"):
        t = torch.tensor(x, requires_grad=True)
        with pytest.raises(RuntimeError) as te:
            torch.linalg.qr(t, mode=mode)[1].sum().backward()
        a = tg.tensor(x, requires_grad=True)
        with pytest.raises(RuntimeError) as ge:
            tg.linalg.qr(a, mode=mode)[1].sum().backward()
        assert str(ge.value) == str(te.value)
