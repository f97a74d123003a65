"""tensorgraft.utils.checkpoint: recomputed gradients equal plain ones (dropout included)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import tensorgraft as tg

pytest.importorskip("tensorgraft.nn")
from tensorgraft.utils.checkpoint import checkpoint, checkpoint_sequential  # noqa: E402


def _model():
    tg.manual_seed(0)
    return tg.nn.Sequential(tg.nn.Linear(4, 8), tg.nn.Tanh(), tg.nn.Dropout(0.5), tg.nn.Linear(8, 3), tg.nn.ReLU(),
                            tg.nn.Linear(3, 2))


def _grads(model):
    return [p.grad.numpy().copy() for p in model.parameters()]


@pytest.mark.parametrize("reentrant", [True, False])
def test_checkpoint_matches_plain_with_dropout(reentrant):
    x0 = tg.randn(5, 4)
    m = _model()
    x = x0.clone().requires_grad_()
    tg.manual_seed(7)
    m(x).sum().backward()
    want, want_x = _grads(m), x.grad.numpy().copy()
    m.zero_grad()
    x = x0.clone().requires_grad_()
    tg.manual_seed(7)
    out = checkpoint(m, x, use_reentrant=reentrant)
    assert out.requires_grad
    out.sum().backward()
    for g, w in zip(_grads(m), want):
        np.testing.assert_allclose(g, w, rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), want_x, rtol=1e-6)


def test_checkpoint_warns_without_use_reentrant():
    x = tg.randn(3, requires_grad=True)
    with pytest.warns(UserWarning, match="the use_reentrant parameter should be passed explicitly"):
        checkpoint(lambda t: t.sin(), x)


def test_checkpoint_sequential():
    x0 = tg.randn(5, 4)
    m = _model()
    m.eval()
    x = x0.clone().requires_grad_()
    m(x).sum().backward()
    want = _grads(m)
    m.zero_grad()
    x = x0.clone().requires_grad_()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = checkpoint_sequential(m, 2, x, use_reentrant=False)
    out.sum().backward()
    for g, w in zip(_grads(m), want):
        np.testing.assert_allclose(g, w, rtol=1e-6)


def test_unexpected_kwargs_and_attribute():
    with pytest.raises(ValueError, match="Unexpected keyword arguments: foo"):
        checkpoint(lambda t: t, tg.ones(1), use_reentrant=True, foo=1)
    assert tg.utils.checkpoint.checkpoint is checkpoint
