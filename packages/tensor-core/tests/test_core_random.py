"""Random sampling: shapes, dtypes, ranges, seeding determinism, Generator objects."""
import numpy as np
import pytest

import tensorgraft as tg


def test_manual_seed_determinism():
    tg.manual_seed(123)
    a = (tg.rand(4), tg.randn(3), tg.randint(0, 100, (5,)), tg.randperm(6), tg.normal(0.0, 1.0, (2,)))
    tg.manual_seed(123)
    b = (tg.rand(4), tg.randn(3), tg.randint(0, 100, (5,)), tg.randperm(6), tg.normal(0.0, 1.0, (2,)))
    for x, y in zip(a, b):
        assert x.tolist() == y.tolist()
    tg.manual_seed(124)
    assert tg.rand(4).tolist() != a[0].tolist()
    assert tg.initial_seed() == 124


def test_generator_objects():
    g = tg.Generator()
    assert g.manual_seed(7) is g and g.initial_seed() == 7
    a = tg.randn(5, generator=g)
    g.manual_seed(7)
    assert tg.randn(5, generator=g).tolist() == a.tolist()
    # a private generator does not advance the default one
    tg.manual_seed(0)
    ref = tg.rand(3).tolist()
    tg.manual_seed(0)
    tg.rand(3, generator=tg.Generator().manual_seed(1))
    assert tg.rand(3).tolist() == ref
    state = g.get_state()
    x = tg.rand(4, generator=g)
    g.set_state(state)
    assert tg.rand(4, generator=g).tolist() == x.tolist()


def test_rng_state_roundtrip():
    tg.manual_seed(5)
    s = tg.get_rng_state()
    x = tg.randn(3)
    tg.set_rng_state(s)
    assert tg.randn(3).tolist() == x.tolist()


def test_shapes_dtypes_ranges():
    tg.manual_seed(0)
    r = tg.rand(200)
    assert r.dtype is tg.float32 and r.shape == (200,)
    assert float(r.min()) >= 0.0 and float(r.max()) < 1.0
    assert tg.rand(2, 3).shape == (2, 3) and tg.rand((2, 3)).shape == (2, 3)
    assert tg.randn(2, dtype=tg.float64).dtype is tg.float64
    assert tg.rand(3, dtype=tg.complex64).dtype is tg.complex64
    n = tg.randn(4000, dtype=tg.float64).numpy()
    assert abs(n.mean()) < 0.1 and abs(n.std() - 1) < 0.1
    c = tg.randn(4000, dtype=tg.complex128).numpy()
    assert abs(np.mean(np.abs(c) ** 2) - 1) < 0.1  # unit variance in total, as PyTorch
    ri = tg.randint(3, 10, (500,))
    assert ri.dtype is tg.int64 and int(ri.min()) >= 3 and int(ri.max()) <= 9
    assert tg.randint(10, (3,), dtype=tg.float32).dtype is tg.float32
    assert tg.randint(10, size=(2,)).shape == (2,)
    p = tg.randperm(10)
    assert sorted(p.tolist()) == list(range(10)) and p.dtype is tg.int64
    assert tg.randperm(0).shape == (0,)


def test_normal_variants():
    assert tg.normal(0.0, 1.0, (2, 3)).shape == (2, 3)
    assert tg.normal(tg.zeros(3), 1.0).shape == (3,)
    assert tg.normal(tg.zeros(3), tg.ones(3)).shape == (3,)
    assert tg.normal(0.0, tg.ones(2, 2)).shape == (2, 2)
    m = tg.normal(tg.full((1000,), 5.0), 0.1)
    assert abs(float(m.mean()) - 5.0) < 0.05
    with pytest.raises(RuntimeError, match="normal expects std >= 0.0"):
        tg.normal(0.0, -1.0, (2,))


def test_bernoulli_multinomial():
    assert tg.bernoulli(tg.zeros(5)).tolist() == [0.0] * 5
    assert tg.bernoulli(tg.ones(5)).tolist() == [1.0] * 5
    assert tg.bernoulli(tg.ones(3, dtype=tg.float64)).dtype is tg.float64
    b = tg.bernoulli(tg.full((2000,), 0.3))
    assert abs(float(b.mean()) - 0.3) < 0.05
    with pytest.raises(RuntimeError, match="Expected p_in >= 0 && p_in <= 1"):
        tg.bernoulli(tg.full((3,), 2.0))
    assert tg.multinomial(tg.tensor([0.0, 1.0, 0.0]), 3, True).tolist() == [1, 1, 1]
    m = tg.multinomial(tg.tensor([[0.0, 1.0], [1.0, 0.0]]), 1)
    assert m.tolist() == [[1], [0]] and m.dtype is tg.int64
    w = tg.multinomial(tg.tensor([1.0, 1.0, 1.0, 1.0]), 4)
    assert sorted(w.tolist()) == [0, 1, 2, 3]
    with pytest.raises(RuntimeError, match="cannot sample n_sample > prob_dist.size"):
        tg.multinomial(tg.tensor([1.0, 1.0]), 3)


def test_random_requires_grad_and_errors():
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
    assert tg.rand(2, requires_grad=True).requires_grad
    with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
        tg.rand(2, dtype=tg.int64)
    with pytest.raises(RuntimeError, match="random_ expects 'from' to be less than 'to'"):
        tg.randint(5, 2, (2,))
