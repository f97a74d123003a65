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


def test_bernoulli_inplace_nan_probability():
    with pytest.raises(RuntimeError, match=r"bernoulli_ expects p to be in \[0, 1\], but got p=nan"):
        tg.empty(3).bernoulli_(float("nan"))


def test_generator_device_and_state_errors():
    assert tg.Generator(device="cpu:0").device == tg.device("cpu")  # as PyTorch: the index-less cpu
    assert tg.Generator(device=tg.device("cpu")).device == tg.device("cpu")
    g = tg.Generator()
    with pytest.raises(TypeError, match="RNG state must be a torch.ByteTensor"):
        g.set_state(tg.zeros(3))
    with pytest.raises(TypeError, match="expected a torch.ByteTensor, but got list"):
        tg.set_rng_state([1, 2])
    with pytest.raises(RuntimeError, match="Expected a CPUGeneratorImplState of size 5056 but found the input RNG "
                                           "state size to be 3"):
        g.set_state(tg.zeros(3, dtype=tg.uint8))
    with pytest.raises(RuntimeError, match="Invalid mt19937 state"):  # the right size, but never seeded
        g.set_state(tg.zeros(5056, dtype=tg.uint8))
    with pytest.raises(RuntimeError, match="no device backend is registered for 'xla'"):
        tg.Generator(device="xla")
    # seeds are 64-bit, negative ones wrapped (as PyTorch)
    assert g.manual_seed(-1).initial_seed() == 2 ** 64 - 1 and g.manual_seed(2 ** 64 - 1).initial_seed() == 2 ** 64 - 1
    assert g.manual_seed(-2 ** 63).initial_seed() == 2 ** 63
    for bad in (2 ** 64, -2 ** 63 - 1):
        with pytest.raises(ValueError, match="Overflow when unpacking long long"):
            g.manual_seed(bad)


# --------------------------------------------------------------------------- per-device generators
class _DeviceStream:
    """A stream that 'draws on the device' (NumPy here), as a GPU backend's does: ``on_device``,
    a ``dtype=`` keyword, its state as bytes. Counts its draws."""
    on_device = True

    def __init__(self, seed, index):
        self.index, self.seed, self.draws = index, seed, []
        self._g = np.random.Generator(np.random.Philox(seed))

    def at(self, index):
        return self

    def get_state(self):
        import pickle
        return pickle.dumps(self._g.bit_generator.state)

    def set_state(self, data):
        import pickle
        self._g.bit_generator.state = pickle.loads(bytes(data))

    def __getattr__(self, name):
        if name not in ("random", "standard_normal", "integers", "permutation", "uniform", "normal", "exponential",
                        "lognormal", "standard_cauchy", "geometric"):
            raise AttributeError(name)
        method = getattr(self._g, name)

        def draw(*args, dtype=None, **kw):
            self.draws.append(name)
            if name in ("random", "standard_normal"):
                return method(*args, dtype=dtype, **kw)
            out = method(*args, **kw)
            return out if dtype is None else np.asarray(out).astype(dtype)
        return draw


def _register_device(name, backend):
    """Register ``backend`` (device type ``name``) through the plugin hooks, as a device plugin would;
    returns the cleanup."""
    import types

    from tensorgraft.device import backends
    from tensorgraft.plugins import hookimpl, load_plugin, manager
    from tensorgraft.registry import registry
    mod = types.ModuleType(f"tg_test_{name}")
    mod.tensorgraft_register_devices = hookimpl(lambda registrar: registrar.register_device(backend))
    load_plugin(mod, distribution=f"tg-test-{name}")

    def cleanup():
        import tensorgraft.random as R
        registry.forget(f"tg-test-{name}")
        manager.plugins.pop(f"tg-test-{name}", None)
        if manager.get_plugin_manager().is_registered(mod):
            manager.get_plugin_manager().unregister(mod)
        registry.device_owner.pop(name, None)
        backends().pop(name, None)
        for op in registry.ops.values():
            op.table.pop(name, None)
        for dev in [d for d in R._defaults if d.type == name]:
            del R._defaults[dev]
        for key in [k for k in R._pending if k[0] == name]:
            del R._pending[key]
    return cleanup


def _backend(name, device_streams):
    from tensorgraft.device import CPUBackend

    class Backend(CPUBackend):
        type = name
        copies = 0

        def from_host(self, array, index):
            Backend.copies += 1
            return array.copy()

        def device_count(self):
            return 2

        def current_index(self):
            return 0

        if device_streams:
            def new_random_stream(self, seed, index):
                s = _DeviceStream(seed, index)
                self.streams.append(s)
                return s
    b = Backend()
    b.streams = []
    return b


@pytest.fixture
def host_stream_device():
    """A device whose backend keeps the default stream (NumPy's PCG64 on the host, copied over)."""
    b = _backend("tghostrng", False)
    cleanup = _register_device("tghostrng", b)
    try:
        yield b
    finally:
        cleanup()


@pytest.fixture
def device_stream_device():
    """A device whose backend draws 'on the device' (its own stream)."""
    b = _backend("tgdevrng", True)
    cleanup = _register_device("tgdevrng", b)
    try:
        yield b
    finally:
        cleanup()


def test_each_device_has_its_own_default_generator(host_stream_device):
    from tensorgraft.random import default_generator_for
    dev = tg.device("tghostrng", 0)
    g0, g1 = default_generator_for(dev), default_generator_for(tg.device("tghostrng", 1))
    assert g0 is default_generator_for(dev) and g0 is not g1 and g0 is not tg.default_generator
    assert g0.device == dev and g1.device == tg.device("tghostrng", 1)
    assert default_generator_for(tg.device("tghostrng")) is g0  # index-less: the current device
    assert default_generator_for(tg.device("cpu")) is tg.default_generator
    # manual_seed seeds every device; a backend without a stream of its own gets NumPy's PCG64
    tg.manual_seed(5)
    a = tg.rand(3, device=dev)
    assert a.device == dev
    tg.manual_seed(5)
    assert tg.rand(3, device=dev).tolist() == a.tolist() == tg.rand(3).tolist()
    assert g0.initial_seed() == g1.initial_seed() == 5


def test_cpu_stream_is_not_consumed_by_another_device(host_stream_device):
    dev = "tghostrng"
    tg.manual_seed(0)
    ref = tg.randn(4).tolist()
    tg.manual_seed(0)
    x = tg.zeros(3, device=dev)
    for draw in (lambda: tg.rand(5, device=dev), lambda: tg.randn(2, device=dev), lambda: tg.randperm(4, device=dev),
                 lambda: tg.randint(0, 9, (3,), device=dev), lambda: tg.normal(0.0, 1.0, (2,), device=dev),
                 lambda: tg.bernoulli(x), lambda: x.uniform_(), lambda: x.normal_(), lambda: x.random_(0, 3),
                 lambda: tg.multinomial(tg.ones(3, device=dev), 2), lambda: tg.rand_like(x)):
        assert draw().device == tg.device(dev, 0)
    assert tg.randn(4).tolist() == ref
    # and the device's stream is not consumed by CPU draws
    tg.manual_seed(1)
    ref = tg.rand(4, device=dev).tolist()
    tg.manual_seed(1)
    tg.rand(100)
    assert tg.rand(4, device=dev).tolist() == ref


def test_generator_of_a_device(host_stream_device):
    g = tg.Generator(device="tghostrng")
    assert g.device == tg.device("tghostrng", 0)
    assert tg.Generator(device="tghostrng:1").device.index == 1
    g.manual_seed(3)
    a = tg.rand(4, device="tghostrng", generator=g)
    g.manual_seed(3)
    assert tg.rand(4, device="tghostrng:1", generator=g).tolist() == a.tolist()  # another index of the type: fine
    state = g.get_state()
    b = tg.randn(3, device="tghostrng", generator=g)
    g.set_state(state)
    assert tg.randn(3, device="tghostrng", generator=g).tolist() == b.tolist()
    with pytest.raises(RuntimeError, match="^Expected a 'cpu' device type for generator but found 'tghostrng'$"):
        tg.rand(2, generator=g)
    with pytest.raises(RuntimeError, match="^Expected a 'tghostrng' device type for generator but found 'cpu'$"):
        tg.rand(2, device="tghostrng", generator=tg.Generator())
    with pytest.raises(RuntimeError, match="Expected a 'cpu' device type for generator but found 'tghostrng'"):
        tg.empty(2).normal_(generator=g)
    with pytest.raises(RuntimeError, match="Invalid device ordinal 7"):
        tg.Generator(device="tghostrng:7")


def test_seeds_before_a_device_generator_exists(host_stream_device):
    import tensorgraft.random as R
    R.seed_default_generators(9, "tghostrng")
    R.seed_default_generators(4, "tghostrng", 1)
    assert R.default_generator_for(tg.device("tghostrng", 0)).initial_seed() == 9
    assert R.default_generator_for(tg.device("tghostrng", 1)).initial_seed() == 4
    tg.manual_seed(2)  # every device, made or not
    assert R.default_generator_for(tg.device("tghostrng", 1)).initial_seed() == 2
    assert tg.initial_seed() == 2


def test_device_stream_draws_on_the_device(device_stream_device):
    b = device_stream_device
    dev = tg.device("tgdevrng", 0)
    tg.manual_seed(0)
    cpu_ref = tg.rand(3).tolist()
    tg.manual_seed(0)
    x = tg.zeros(4, dtype=tg.float64, device=dev)
    copies = type(b).copies
    outs = [tg.rand(3, device=dev), tg.randn(2, 2, device=dev), tg.rand(2, dtype=tg.complex64, device=dev),
            tg.randint(3, 9, (4,), device=dev), tg.randperm(5, device=dev), tg.normal(0.0, 2.0, (3,), device=dev),
            tg.normal(x, 1.0), tg.bernoulli(x + 0.5), tg.multinomial(x + 1, 2), tg.multinomial(x + 1, 6, True),
            x.uniform_(), x.normal_(), x.exponential_(), x.log_normal_(), x.cauchy_(), x.geometric_(0.5),
            x.random_(0, 4), x.bernoulli_(0.3), x.bernoulli_(tg.full((4,), 0.5, device=dev))]
    from tensorgraft.ops.sampling import dropout_mask
    mask = dropout_mask((8,), 0.5, x)
    assert set(np.unique(mask).tolist()) <= {0.0, 2.0} and mask.dtype == np.float64
    assert type(b).copies == copies  # nothing drawn on the host and copied
    assert all(o.device == dev for o in outs)
    assert outs[0].dtype is tg.float32 and outs[2].dtype is tg.complex64 and outs[3].dtype is tg.int64
    assert 3 <= int(outs[3].min()) and int(outs[3].max()) < 9 and sorted(outs[4].tolist()) == [0, 1, 2, 3, 4]
    assert sorted(outs[8].tolist()) != [0, 0]  # without replacement: two different indices
    assert len(set(outs[8].tolist())) == 2
    (s,) = b.streams
    assert s.draws[:3] == ["random", "standard_normal", "random"]
    assert tg.rand(3).tolist() == cpu_ref  # the CPU stream did not move
    # the device stream keeps its state as bytes
    state = tg.random.default_generator_for(dev).get_state()
    assert state.dtype is tg.uint8 and bytes(state.tolist()) == s.get_state()
    a = tg.rand(3, device=dev)
    tg.random.default_generator_for(dev).set_state(state)
    assert tg.rand(3, device=dev).tolist() == a.tolist()


def test_device_stream_multinomial_checks(device_stream_device):
    dev = "tgdevrng"
    with pytest.raises(RuntimeError, match="probability tensor contains either `inf`, `nan` or element < 0"):
        tg.multinomial(tg.tensor([1.0, -1.0], device=dev), 1)
    with pytest.raises(RuntimeError, match="encountering probability entry < 0"):
        tg.multinomial(tg.tensor([1.0, -1.0], device=dev), 2, True)
    with pytest.raises(RuntimeError, match="cannot sample n_sample > prob_dist.size"):
        tg.multinomial(tg.tensor([1.0, 1.0], device=dev), 3)
    # fewer positive weights than samples without replacement: PyTorch's CPU build returns the
    # positive-weight indices first, then zero-weight ones (no error)
    drawn = tg.multinomial(tg.tensor([1.0, 0.0, 0.0], device=dev), 2).cpu().tolist()
    assert drawn[0] == 0 and drawn[1] in (1, 2)
    with pytest.raises(RuntimeError, match="sum of probabilities <= 0"):
        tg.multinomial(tg.tensor([[1.0, 1.0], [0.0, 0.0]], device=dev), 1)
    tg.manual_seed(0)
    w = tg.tensor([[0.0, 1.0, 0.0, 3.0], [5.0, 0.0, 0.0, 0.0]], device=dev)
    m = tg.multinomial(w, 400, True)
    assert m.shape == (2, 400) and m.dtype is tg.int64
    counts = np.bincount(m[0].cpu().numpy(), minlength=4)
    assert counts[0] == counts[2] == 0 and 60 < counts[1] < 140 and set(m[1].tolist()) == {0}
    assert sorted(tg.multinomial(w[0], 2).tolist()) == [1, 3]
    with pytest.raises(RuntimeError, match="Expected p_in >= 0 && p_in <= 1"):
        tg.bernoulli(tg.full((2,), 2.0, device=dev))
    with pytest.raises(RuntimeError, match="normal expects all elements of std >= 0.0"):
        tg.normal(tg.zeros(2, device=dev), tg.full((2,), -1.0, device=dev))
