"""``nn.FeatureAlphaDropout``: alpha dropout of whole channels (one draw per sample and channel)."""
import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.testing import assert_on_device
import tensorgraft.nn as nn
from tensorgraft.testing.oracle import assert_same_error

ALPHA_P = -1.6732632423543772 * 1.0507009873554805


def affine(p):
    a = ((1 - p) * (1 + p * ALPHA_P ** 2)) ** -0.5
    return a, -a * ALPHA_P * p


def check_train(y, x, p, grad=None):
    a, b = affine(p)
    kept = np.isclose(y, a * x + b, rtol=1e-5, atol=1e-6)
    dropped = np.isclose(y, a * ALPHA_P + b, rtol=1e-5, atol=1e-6)
    assert np.all(kept | dropped)
    axes = tuple(range(2, y.ndim))
    assert np.all(kept.all(axes) | dropped.all(axes)), "a feature map was split"
    if grad is not None:
        np.testing.assert_allclose(grad, np.where(kept, a, 0.0), rtol=1e-6)
    return kept.all(axes).mean()


def test_module_basics():
    m = nn.FeatureAlphaDropout(0.2)
    assert repr(m) == "FeatureAlphaDropout(p=0.2, inplace=False)"
    assert repr(nn.FeatureAlphaDropout(inplace=True)) == "FeatureAlphaDropout(p=0.5, inplace=True)"
    assert list(m.state_dict()) == []
    with pytest.raises(ValueError, match="^dropout probability has to be between 0 and 1, but got 1.5$"):
        nn.FeatureAlphaDropout(1.5)
    x = tg.tensor(np.random.default_rng(0).standard_normal((2, 3, 4)))
    assert m.eval()(x) is x
    m.train()
    with pytest.raises(RuntimeError, match="^Feature dropout requires at least 2 dimensions in the input$"):
        m(tg.ones(3))
    assert not nn.FeatureAlphaDropout(1.0)(tg.ones(2, 3)).numpy().any()
    assert nn.FeatureAlphaDropout(0.0)(x) is x


@pytest.mark.parametrize("shape", [(30, 20, 3), (30, 20, 2, 2), (40, 25)])
def test_train_mode_drops_whole_channels(shape):
    p = 0.3
    x_np = np.random.default_rng(1).uniform(0.5, 1.5, shape)
    x = tg.tensor(x_np, requires_grad=True)
    tg.manual_seed(0)
    y = nn.FeatureAlphaDropout(p)(x)
    assert y.grad_fn.name() == "AddBackward0"
    y.sum().backward()
    kept = check_train(y.detach().numpy(), x_np, p, x.grad.numpy())
    assert 0.6 < kept < 0.8


def test_inplace_flag_is_not_passed_on():
    """As PyTorch's, the module ignores ``inplace`` (the input keeps its values)."""
    x = tg.ones(4, 3, 2)
    y = nn.FeatureAlphaDropout(0.5, inplace=True)(x)
    assert y is not x and np.all(x.numpy() == 1)


_on = assert_on_device  # the result lives on the device, as the device's own array


def test_on_device(tg_device):
    p = 0.4
    x_np = np.random.default_rng(2).uniform(0.5, 1.5, (30, 20, 3)).astype(np.float32)
    x = tg.tensor(x_np, device=tg_device, requires_grad=True)
    m = nn.FeatureAlphaDropout(p).to(tg_device)
    y = m(x)
    _on(y, tg_device)
    y.sum().backward()
    _on(x.grad, tg_device)
    check_train(y.detach().cpu().numpy(), x_np, p, x.grad.cpu().numpy())
    m.eval()
    assert m(x) is x


def test_oracle():
    torch = pytest.importorskip("torch")
    for kw in ({}, {"p": 0.1}, {"p": 0.7, "inplace": True}):
        assert repr(nn.FeatureAlphaDropout(**kw)) == repr(torch.nn.FeatureAlphaDropout(**kw))
    x_np = np.random.default_rng(3).uniform(0.5, 1.5, (50, 40, 3))
    torch.manual_seed(0)
    ty = torch.nn.FeatureAlphaDropout(0.3)(torch.tensor(x_np)).numpy()
    check_train(ty, x_np, 0.3)            # PyTorch's output satisfies the same contract
    for fn in (lambda nnm, lib: nnm.FeatureAlphaDropout()(lib.ones(3)), lambda nnm, lib: nnm.FeatureAlphaDropout(-0.1)):
        assert_same_error(lambda: fn(nn, tg), lambda: fn(torch.nn, torch))
