"""The factories' default device: ``set_default_device``, ``get_default_device`` and
``with tensorgraft.device(...)``, on every available device (``tg_device``).

Which functions follow the default is PyTorch's list (``torch.utils._device._device_constructors``,
checked against PyTorch itself in ``test_followers_are_pytorchs_list`` where it is installed): the
factories that take ``device=``; not ``*_like``/``new_*`` (their input's device), ``from_numpy``,
the legacy constructors, ``normal`` with number arguments, nor the RNG state."""
from __future__ import annotations

import threading

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.testing import assert_on_device

# name -> a call with no device argument
FOLLOWERS = {
    "tensor": lambda: tg.tensor([1.0, 2.0]),
    "as_tensor": lambda: tg.as_tensor([1, 2]),
    "scalar_tensor": lambda: tg.scalar_tensor(3.0),
    "zeros": lambda: tg.zeros(2, 3),
    "ones": lambda: tg.ones((2,)),
    "empty": lambda: tg.empty(4),
    "empty_strided": lambda: tg.empty_strided((2, 2), (2, 1)),
    "full": lambda: tg.full((2,), 7),
    "arange": lambda: tg.arange(5),
    "range": lambda: tg.range(0, 4),
    "linspace": lambda: tg.linspace(0, 1, 5),
    "logspace": lambda: tg.logspace(0, 1, 3),
    "eye": lambda: tg.eye(3),
    "rand": lambda: tg.rand(3),
    "randn": lambda: tg.randn(3),
    "randint": lambda: tg.randint(0, 5, (3,)),
    "randperm": lambda: tg.randperm(4),
    "tril_indices": lambda: tg.tril_indices(3, 3),
    "triu_indices": lambda: tg.triu_indices(3, 3),
    "hann_window": lambda: tg.hann_window(4),
    "hamming_window": lambda: tg.hamming_window(4),
    "blackman_window": lambda: tg.blackman_window(4),
    "bartlett_window": lambda: tg.bartlett_window(4),
    "kaiser_window": lambda: tg.kaiser_window(4),
    "fft_fftfreq": lambda: tg.fft.fftfreq(4),      # PyTorch's name for torch.fft.fftfreq
    "fft_rfftfreq": lambda: tg.fft.rfftfreq(4),
    "asarray": lambda: tg.asarray([1.0, 2.0]),
    "asarray-ndarray": lambda: tg.asarray(np.arange(3.0)),
    "empty_permuted": lambda: tg.empty_permuted((2, 3), (1, 0)),
}

_HOST = np.arange(3.0)
STAY_ON_CPU = {
    "from_numpy": lambda: tg.from_numpy(_HOST),
    "zeros_like": lambda: tg.zeros_like(tg.ones(2, device="cpu")),
    "rand_like": lambda: tg.rand_like(tg.ones(2, device="cpu")),
    "new_zeros": lambda: tg.ones(2, device="cpu").new_zeros(3),
    "new_tensor": lambda: tg.ones(2, device="cpu").new_tensor([1.0]),
    "FloatTensor": lambda: tg.FloatTensor(3),
    "LongTensor-data": lambda: tg.LongTensor([1, 2]),
    "normal-numbers": lambda: tg.normal(0.0, 1.0, (2,)),
    "get_rng_state": lambda: tg.get_rng_state(),
    "explicit-cpu": lambda: tg.zeros(2, device="cpu"),
    "cpu-tensor-op": lambda: tg.ones(2, device="cpu") + 1,
}


@pytest.fixture(autouse=True)
def _restore_default():
    yield
    tg.set_default_device(None)


def _indexed(dev_type):
    return tg.device("cpu") if dev_type == "cpu" else tg.device(dev_type, 0)


def test_sparse_coo_tensor_refuses_a_default_device_other_than_the_cpu():
    with tg.device("meta"):
        with pytest.raises(RuntimeError, match="device 'meta': sparse COO tensors live on the CPU"):
            tg.sparse_coo_tensor([[0]], [1.0], (2,))
    assert tg.sparse_coo_tensor([[0]], [1.0], (2,)).device == tg.device("cpu")


@pytest.mark.parametrize("name", ["csr", "csc", "bsr", "bsc"])
def test_compressed_factories_refuse_a_default_device_other_than_the_cpu(name):
    factory = getattr(tg, f"sparse_{name}_tensor")
    values = [1.0] if name in ("csr", "csc") else tg.ones(1, 1, 1)
    with tg.device("meta"):
        with pytest.raises(RuntimeError, match="device 'meta': compressed sparse tensors live on the CPU"):
            factory([0, 1], [0], values, (1, 1))
    assert factory([0, 1], [0], values, (1, 1)).device == tg.device("cpu")


def test_default_is_the_cpu():
    assert tg.get_default_device() == tg.device("cpu")
    assert tg.zeros(1).device == tg.device("cpu")


@pytest.mark.parametrize("name", sorted(FOLLOWERS))
def test_factories_follow_the_default_device(tg_device, name):
    with tg.device(tg_device) as d:
        assert d is tg.device(tg_device)
        t = FOLLOWERS[name]()
    assert t.device == _indexed(tg_device)
    assert_on_device(t, tg_device)
    tg.set_default_device(tg_device)
    assert FOLLOWERS[name]().device == _indexed(tg_device)


@pytest.mark.parametrize("name", sorted(STAY_ON_CPU))
def test_these_stay_on_the_cpu(tg_device, name):
    with tg.device(tg_device):
        t = STAY_ON_CPU[name]()
    assert t.device == tg.device("cpu")


def test_explicit_device_and_like_follow_their_argument(tg_device):
    with tg.device("cpu"):
        x = tg.ones(3, device=tg_device)
        assert x.device == _indexed(tg_device)
        assert tg.zeros_like(x).device == x.device and x.new_ones(2).device == x.device
        assert (x * 2).device == x.device


def test_values_on_the_default_device_equal_the_cpu_ones(tg_device):
    cpu = [FOLLOWERS[n]() for n in ("tensor", "arange", "linspace", "logspace", "eye", "tril_indices", "full")]
    with tg.device(tg_device):
        dev = [FOLLOWERS[n]() for n in ("tensor", "arange", "linspace", "logspace", "eye", "tril_indices", "full")]
    for c, d in zip(cpu, dev):
        assert c.dtype == d.dtype
        np.testing.assert_array_equal(c.numpy(), d.cpu().numpy())


def test_random_factories_draw_from_the_default_devices_generator(tg_device):
    tg.manual_seed(5)
    with tg.device(tg_device):
        a = tg.rand(4)
    tg.manual_seed(5)
    b = tg.rand(4, device=tg_device)
    np.testing.assert_array_equal(a.cpu().numpy(), b.cpu().numpy())


def test_blocks_nest_and_restore(tg_device):
    with tg.device(tg_device):
        with tg.device("cpu"):
            assert tg.zeros(1).device == tg.device("cpu")
            assert tg.get_default_device() == tg.device("cpu")
        assert tg.zeros(1).device == _indexed(tg_device)
        assert tg.get_default_device() == _indexed(tg_device)
    assert tg.get_default_device() == tg.device("cpu")


def test_block_restores_after_an_exception(tg_device):
    with pytest.raises(ValueError):
        with tg.device(tg_device):
            raise ValueError("inside")
    assert tg.zeros(1).device == tg.device("cpu")


def test_set_default_device_and_back(tg_device):
    tg.set_default_device(tg_device)
    assert tg.get_default_device() == _indexed(tg_device)
    assert tg.ones(2).device == _indexed(tg_device)
    tg.set_default_device("cpu")
    assert tg.get_default_device() == tg.device("cpu") and tg.ones(2).device == tg.device("cpu")
    tg.set_default_device(tg.device(tg_device))
    tg.set_default_device(None)
    assert tg.ones(2).device == tg.device("cpu")


def test_default_is_per_thread(tg_device):
    tg.set_default_device(tg_device)
    seen = []
    worker = threading.Thread(target=lambda: seen.append((tg.get_default_device(), tg.zeros(1).device)))
    worker.start()
    worker.join()
    assert seen == [(tg.device("cpu"), tg.device("cpu"))]
    assert tg.zeros(1).device == _indexed(tg_device)


def test_data_loading_works_under_a_default_device(tg_device):
    # indices are drawn on the generator's device (PyTorch draws on the default device, and a CPU
    # generator then fails); the batches themselves are made by factories, so they follow it
    from tensorgraft.utils.data import DataLoader, TensorDataset, random_split
    ds = TensorDataset(tg.arange(10.0, device="cpu"), tg.arange(10, device="cpu"))
    with tg.device(tg_device):
        g = tg.Generator().manual_seed(0)
        order = [int(i) for _, y in DataLoader(ds, batch_size=4, shuffle=True, generator=g) for i in y]
        parts = random_split(range(10), [0.5, 0.5], generator=tg.Generator().manual_seed(0))
    g = tg.Generator().manual_seed(0)
    assert order == [int(i) for _, y in DataLoader(ds, batch_size=4, shuffle=True, generator=g) for i in y]
    assert sorted(order) == list(range(10))
    assert sorted(list(parts[0]) + list(parts[1])) == list(range(10))


def test_bad_default_device_is_refused_before_any_change():
    tg.set_default_device("cpu")
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda"):
        tg.set_default_device("gpu")
    with pytest.raises(TypeError, match="device\\(\\) received an invalid combination"):
        tg.set_default_device(1.5)
    assert tg.get_default_device() == tg.device("cpu")


def test_unavailable_default_device_fails_at_creation_with_the_backends_reason():
    from tensorgraft.device import backends
    cuda = backends().get("cuda")
    if cuda is None or cuda.is_available():
        pytest.skip("needs the CUDA backend installed without a usable GPU")
    tg.set_default_device("cuda")  # accepted, as PyTorch: the device is checked when used
    with pytest.raises(RuntimeError, match="no CUDA device was found"):
        tg.zeros(1)
    with pytest.raises(RuntimeError, match="no CUDA device was found"):
        tg.get_default_device()
    tg.set_default_device(None)
    assert tg.zeros(1).device == tg.device("cpu")


def test_followers_are_pytorchs_list():
    torch = pytest.importorskip("torch")
    from torch.utils._device import _device_constructors
    theirs = {f.__name__ for f in _device_constructors()}
    ours = {n.split("-")[0] for n in FOLLOWERS}  # "asarray-ndarray": a second case of asarray
    # PyTorch's that tensorgraft does not have (nested/quantized layouts) are absent from
    # tensorgraft altogether; the sparse factories follow the default device by refusing any but
    # the CPU (test_sparse_coo_tensor_refuses_a_default_device_other_than_the_cpu and the next test)
    assert ours <= theirs
    sparse_factories = {"sparse_coo_tensor", "sparse_compressed_tensor", "sparse_csr_tensor", "sparse_csc_tensor",
                        "sparse_bsr_tensor", "sparse_bsc_tensor"}
    assert not {n for n in theirs - ours if hasattr(tg, n)} - sparse_factories
    with torch.device("meta"):
        for name in STAY_ON_CPU:
            if name in ("from_numpy", "FloatTensor", "normal-numbers", "get_rng_state", "zeros_like"):
                call = {"from_numpy": lambda: torch.from_numpy(_HOST), "FloatTensor": lambda: torch.FloatTensor(3),
                        "normal-numbers": lambda: torch.normal(0.0, 1.0, (2,)),
                        "get_rng_state": torch.get_rng_state,
                        "zeros_like": lambda: torch.zeros_like(torch.ones(2, device="cpu"))}[name]
                assert call().device.type == "cpu", name
