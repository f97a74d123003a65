"""tensorgraft.cpu.get_capabilities reports what PyTorch's reports, for the keys it has."""
import pytest

torch = pytest.importorskip("torch")

import tensorgraft as tg  # noqa: E402


def test_capabilities_agree_with_pytorch():
    ours, theirs = dict(tg.cpu.get_capabilities()), dict(torch.cpu.get_capabilities())
    assert ours["architecture"] == theirs["architecture"]
    differing = {k: (v, theirs.get(k)) for k, v in ours.items() if k in theirs and v != theirs[k]}
    assert not differing
    missing = set(theirs) - set(ours)
    assert missing <= {"cpu_name", "num_sockets", "num_physical_cores", "l1d_cache_size", "l2_cache_size",
                       "avx10_1", "avx10_2"}, missing


def test_same_module_functions():
    for name in torch.cpu.__all__:
        assert hasattr(tg.cpu, name), name
    assert tg.cpu.current_device() == torch.cpu.current_device()
    assert tg.cpu.device_count() == torch.cpu.device_count()
