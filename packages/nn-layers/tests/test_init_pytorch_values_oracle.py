"""PyTorch as the oracle for initial weights: after the same seed, layers and ``nn.init``
functions give PyTorch's values (uniform-based ones and float64 ones bit for bit; float32 normals
to float32 rounding; ``orthogonal_`` to the QR's rounding) and draw as much as PyTorch does, so
whole models built after ``manual_seed`` start from PyTorch's weights."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
tg = pytest.importorskip("tensorgraft")
pytest.importorskip("tensorgraft.nn", reason="needs tensorgraft-nn")


def _params(module):
    return [(name, p.detach().numpy()) for name, p in module.named_parameters()]


def _same(ours, theirs, approx, what):
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype, what
    if approx:
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7 * max(1.0, float(np.abs(theirs).max())),
                                   err_msg=what)
    else:
        np.testing.assert_array_equal(ours, theirs, err_msg=what)


def _after_seed(seed, make):
    tg.manual_seed(seed)
    torch.manual_seed(seed)
    return make(tg), make(torch)


def _stream_in_step(what):
    np.testing.assert_array_equal(tg.rand(3, dtype=tg.float64).numpy(), torch.rand(3, dtype=torch.float64).numpy(),
                                  err_msg=f"generator position after {what}")


# layers whose parameters are all uniform (or constant): bit for bit
UNIFORM_LAYERS = {
    "Linear": lambda m: m.nn.Linear(20, 30),
    "Linear no bias": lambda m: m.nn.Linear(5, 3, bias=False),
    "Bilinear": lambda m: m.nn.Bilinear(3, 4, 5),
    "Conv1d": lambda m: m.nn.Conv1d(3, 8, 5),
    "Conv2d": lambda m: m.nn.Conv2d(3, 8, 3, groups=1),
    "Conv2d groups": lambda m: m.nn.Conv2d(4, 8, (3, 2), groups=2),
    "Conv3d": lambda m: m.nn.Conv3d(2, 3, 2),
    "ConvTranspose2d": lambda m: m.nn.ConvTranspose2d(3, 8, 3),
    "BatchNorm2d": lambda m: m.nn.BatchNorm2d(4),
    "LayerNorm": lambda m: m.nn.LayerNorm(4),
    "RNN": lambda m: m.nn.RNN(4, 6),
    "LSTM 2 layers": lambda m: m.nn.LSTM(4, 6, num_layers=2),
    "GRU bidirectional": lambda m: m.nn.GRU(4, 6, bidirectional=True),
    "MultiheadAttention": lambda m: m.nn.MultiheadAttention(8, 2),
    "TransformerEncoderLayer": lambda m: m.nn.TransformerEncoderLayer(8, 2, 16),
    "PReLU": lambda m: m.nn.PReLU(),
    "Sequential MLP": lambda m: m.nn.Sequential(m.nn.Linear(4, 8), m.nn.ReLU(), m.nn.Linear(8, 2)),
    "Linear float64 no bias": lambda m: m.nn.Linear(7, 9, bias=False, dtype=m.float64),
    "Conv2d float64": lambda m: m.nn.Conv2d(3, 5, 3, dtype=m.float64),
    "LSTM float64": lambda m: m.nn.LSTM(3, 5, dtype=m.float64),
    "Embedding float64": lambda m: m.nn.Embedding(10, 4, dtype=m.float64),
}
NORMAL_LAYERS = {  # float32 normals of 16 or more values: to float32 rounding
    "Embedding": lambda m: m.nn.Embedding(10, 4),
    "EmbeddingBag": lambda m: m.nn.EmbeddingBag(10, 3),
}


@pytest.mark.parametrize("seed", [0, 3, 2 ** 35])
@pytest.mark.parametrize("name", sorted(UNIFORM_LAYERS) + sorted(NORMAL_LAYERS))
def test_layer_initial_weights(seed, name):
    make = UNIFORM_LAYERS.get(name) or NORMAL_LAYERS[name]
    ours, theirs = _after_seed(seed, make)
    a, b = _params(ours), _params(theirs)
    assert [n for n, _ in a] == [n for n, _ in b]
    for (pname, x), (_, y) in zip(a, b):
        _same(x, y, name in NORMAL_LAYERS, f"{name}.{pname}")
    _stream_in_step(name)


def test_linear_float64_bias():  # the bound is 1 / sqrt(fan_in), which fan_in ** -0.5 misses by an ulp
    ours, theirs = _after_seed(0, lambda m: m.nn.Linear(7, 9, dtype=m.float64).bias.detach().numpy())
    _same(ours, theirs, False, "Linear float64 bias")


def test_a_model_built_after_seeding_predicts_as_pytorchs():
    x = np.random.default_rng(0).standard_normal((5, 3, 8, 8)).astype(np.float32)

    def run(m):
        net = m.nn.Sequential(m.nn.Conv2d(3, 4, 3), m.nn.ReLU(), m.nn.Flatten(), m.nn.Linear(144, 10))
        return net(m.tensor(x)).detach().numpy()
    ours, theirs = _after_seed(0, run)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


# (name, init(m, t), approx for float32, shape)
INITS = [
    ("uniform_", lambda m, t: m.nn.init.uniform_(t, -0.2, 0.4), False, (7, 9)),
    ("normal_ small", lambda m, t: m.nn.init.normal_(t, 0.1, 0.3), False, (3, 5)),
    ("normal_", lambda m, t: m.nn.init.normal_(t, 0.1, 0.3), True, (7, 9)),
    ("xavier_uniform_", lambda m, t: m.nn.init.xavier_uniform_(t, gain=1.5), False, (7, 9)),
    ("xavier_normal_", lambda m, t: m.nn.init.xavier_normal_(t), True, (7, 9)),
    ("kaiming_uniform_", lambda m, t: m.nn.init.kaiming_uniform_(t, a=5 ** 0.5), False, (6, 4, 3)),
    ("kaiming_uniform_ fan_out", lambda m, t: m.nn.init.kaiming_uniform_(t, mode="fan_out", nonlinearity="relu"),
     False, (6, 4)),
    ("kaiming_normal_", lambda m, t: m.nn.init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"), True, (8, 9)),
    ("trunc_normal_ std=.02", lambda m, t: m.nn.init.trunc_normal_(t, std=0.02), True, (50, 40)),
    ("trunc_normal_ default", lambda m, t: m.nn.init.trunc_normal_(t), True, (100,)),
    ("trunc_normal_ small", lambda m, t: m.nn.init.trunc_normal_(t), False, (3, 4)),
    ("trunc_normal_ narrow", lambda m, t: m.nn.init.trunc_normal_(t, a=0.0, b=0.8), False, (30, 30)),
    ("trunc_normal_ off-centre", lambda m, t: m.nn.init.trunc_normal_(t, mean=0.5, std=2.0, a=1.0, b=2.0),
     False, (200,)),
    ("trunc_normal_ one side", lambda m, t: m.nn.init.trunc_normal_(t, a=-3.0, b=-1.0), False, (64,)),
    ("sparse_", lambda m, t: m.nn.init.sparse_(t, 0.3), True, (10, 6)),
    ("orthogonal_", lambda m, t: m.nn.init.orthogonal_(t), "qr", (6, 9)),
    ("orthogonal_ tall", lambda m, t: m.nn.init.orthogonal_(t, gain=2.0), "qr", (9, 4)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", [c[0] for c in INITS])
def test_init_functions(name, dtype):
    _, init, approx, shape = next(c for c in INITS if c[0] == name)
    ours, theirs = _after_seed(11, lambda m: init(m, m.empty(*shape, dtype=getattr(m, dtype))).numpy())
    if approx == "qr":  # the QR factorisations differ in rounding (LAPACK builds), the draws do not
        np.testing.assert_allclose(ours, theirs, rtol=1e-4 if dtype == "float32" else 1e-10,
                                   atol=1e-5 if dtype == "float32" else 1e-12)
    else:
        _same(ours, theirs, approx and dtype == "float32", name)
    _stream_in_step(name)


def test_init_with_a_generator():
    g, h = tg.Generator().manual_seed(4), torch.Generator().manual_seed(4)
    for init in (lambda m, t, gen: m.nn.init.kaiming_uniform_(t, generator=gen),
                 lambda m, t, gen: m.nn.init.trunc_normal_(t, a=-0.5, b=0.5, generator=gen),
                 lambda m, t, gen: m.nn.init.normal_(t, generator=gen)):
        a = init(tg, tg.empty(5, 3, dtype=tg.float64), g).numpy()
        b = init(torch, torch.empty(5, 3, dtype=torch.float64), h).numpy()
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(g.get_state().numpy(), h.get_state().numpy())
