"""nn.init statistics and fan rules, nn.utils clipping and parameter vectors."""
import math

import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn as nn
from tensorgraft.nn import init

torch = pytest.importorskip("torch")


def test_fan_and_gain_match_torch():
    for shape in [(3, 4), (8, 3, 5, 5), (6, 2, 7)]:
        assert init._calculate_fan_in_and_fan_out(tg.empty(*shape)) == \
            torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))
    for nl, p in [("relu", None), ("tanh", None), ("leaky_relu", 0.2), ("selu", None), ("conv2d", None),
                  ("leaky_relu", None), ("sigmoid", None)]:
        assert init.calculate_gain(nl, p) == torch.nn.init.calculate_gain(nl, p)
    with pytest.raises(ValueError, match="Unsupported nonlinearity foo"):
        init.calculate_gain("foo")
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(tg.empty(3))


def test_initializer_statistics():
    tg.manual_seed(1)
    w = tg.empty(200, 300)
    assert init.uniform_(w, -2, 3) is w
    a = w.numpy()
    assert a.min() >= -2 and a.max() <= 3 and abs(a.mean() - 0.5) < 0.05
    init.normal_(w, 1.0, 2.0)
    assert abs(w.numpy().mean() - 1) < 0.05 and abs(w.numpy().std() - 2) < 0.05
    init.xavier_uniform_(w, gain=2.0)
    bound = 2.0 * math.sqrt(6.0 / 500)
    assert w.numpy().max() <= bound and w.numpy().max() > 0.9 * bound
    init.xavier_normal_(w)
    assert abs(w.numpy().std() - math.sqrt(2.0 / 500)) < 0.005
    init.kaiming_uniform_(w, mode="fan_out", nonlinearity="relu")
    bound = math.sqrt(2.0) * math.sqrt(3.0 / 200)
    assert w.numpy().max() <= bound and w.numpy().max() > 0.9 * bound
    init.kaiming_normal_(w)
    assert abs(w.numpy().std() - math.sqrt(2.0 / 300)) < 0.005
    init.trunc_normal_(w, std=1.0, a=-1.0, b=1.5)
    assert w.numpy().min() >= -1.0 and w.numpy().max() <= 1.5 and w.numpy().std() > 0.4
    init.constant_(w, 0.5)
    assert (w.numpy() == 0.5).all()
    init.zeros_(w)
    init.ones_(w)
    assert (w.numpy() == 1).all()
    e = init.eye_(tg.empty(3, 4))
    np.testing.assert_array_equal(e.numpy(), np.eye(3, 4))
    q = init.orthogonal_(tg.empty(4, 6))
    np.testing.assert_allclose(q.numpy() @ q.numpy().T, np.eye(4), atol=1e-5)
    q = init.orthogonal_(tg.empty(6, 3), gain=2)
    np.testing.assert_allclose(q.numpy().T @ q.numpy(), 4 * np.eye(3), atol=1e-4)


def test_init_on_parameter_keeps_leaf_and_no_history():
    lin = nn.Linear(3, 4)
    init.normal_(lin.weight)
    assert lin.weight.is_leaf and lin.weight.requires_grad and lin.weight.grad_fn is None
    tg.manual_seed(3)
    a = nn.Linear(5, 5).weight.detach().numpy().copy()
    tg.manual_seed(3)
    b = nn.Linear(5, 5).weight.detach().numpy().copy()
    np.testing.assert_array_equal(a, b)


def test_clip_grad_norm_and_value_match_torch():
    ps = [nn.Parameter(tg.zeros(3, 4)), nn.Parameter(tg.zeros(5))]
    pts = [torch.nn.Parameter(torch.zeros(3, 4)), torch.nn.Parameter(torch.zeros(5))]
    rng = np.random.default_rng(0)
    for p, pt in zip(ps, pts):
        g = rng.standard_normal(tuple(p.shape)).astype(np.float32) * 3
        p.grad = tg.tensor(g)
        pt.grad = torch.tensor(g)
    for norm_type in (2.0, 1.0, float("inf")):
        total = nn.utils.clip_grad_norm_(ps, 1.5, norm_type=norm_type)
        total_t = torch.nn.utils.clip_grad_norm_(pts, 1.5, norm_type=norm_type)
        assert isinstance(total, tg.Tensor) and total.shape == ()
        np.testing.assert_allclose(total.item(), total_t.item(), rtol=1e-5)
        for p, pt in zip(ps, pts):
            np.testing.assert_allclose(p.grad.numpy(), pt.grad.numpy(), rtol=1e-5, atol=1e-7)
    nn.utils.clip_grad_value_(ps, 0.1)
    torch.nn.utils.clip_grad_value_(pts, 0.1)
    for p, pt in zip(ps, pts):
        np.testing.assert_allclose(p.grad.numpy(), pt.grad.numpy(), rtol=1e-5, atol=1e-7)
    ps[0].grad = tg.tensor(np.full((3, 4), np.inf, np.float32))
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)


def test_parameters_vector_roundtrip():
    m = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    v = nn.utils.parameters_to_vector(m.parameters())
    assert v.shape == (11,)
    np.testing.assert_array_equal(v.detach().numpy()[:6], m[0].weight.detach().numpy().ravel())
    nn.utils.vector_to_parameters(tg.arange(11, dtype=tg.float32), m.parameters())
    np.testing.assert_array_equal(m[1].bias.detach().numpy(), [10.0])
    np.testing.assert_array_equal(m[0].weight.detach().numpy(), np.arange(6).reshape(2, 3))


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence_matches_torch(batch_first, side):
    rng = np.random.default_rng(0)
    seqs = [rng.standard_normal((n, 3)).astype(np.float32) for n in (2, 4, 1)]
    x = nn.utils.rnn.pad_sequence([tg.tensor(s) for s in seqs], batch_first=batch_first, padding_value=-1.0,
                                  padding_side=side)
    y = torch.nn.utils.rnn.pad_sequence([torch.tensor(s) for s in seqs], batch_first=batch_first,
                                        padding_value=-1.0, padding_side=side)
    np.testing.assert_array_equal(x.numpy(), y.numpy())
