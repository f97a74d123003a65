"""``tensorgraft.backends`` (``torch.backends``): the lines PyTorch programs start with run
unchanged, the availability answers are those of a build without cuDNN/MPS/oneDNN, flags are
remembered and ``flags(...)`` restores them; the names match PyTorch's where it is installed."""
import pytest

import tensorgraft as tg


def test_common_setup_lines_run_and_are_remembered():
    b = tg.backends
    old = (b.cudnn.benchmark, b.cudnn.deterministic, b.cuda.matmul.allow_tf32)
    try:
        b.cudnn.benchmark = True
        b.cudnn.deterministic = True
        b.cuda.matmul.allow_tf32 = True
        assert (b.cudnn.benchmark, b.cudnn.deterministic, b.cuda.matmul.allow_tf32) == (True, True, True)
    finally:
        b.cudnn.benchmark, b.cudnn.deterministic, b.cuda.matmul.allow_tf32 = old
    assert (b.cudnn.benchmark, b.cudnn.deterministic, b.cuda.matmul.allow_tf32) == (False, False, False)


def test_availability_answers():
    b = tg.backends
    assert b.cudnn.is_available() is False and b.cudnn.version() is None
    assert b.mps.is_available() is False and b.mps.is_built() is False
    assert b.mkldnn.is_available() is False and b.openmp.is_available() is False
    from tensorgraft.device import backends
    assert b.cuda.is_built() is ("cuda" in backends())  # tensorgraft-cuda installed, GPU or not
    assert b.cpu.get_cpu_capability() in {"AVX512", "AVX2", "SVE256", "DEFAULT"}


def test_flags_context_sets_and_restores():
    c = tg.backends.cudnn
    assert c.enabled is True
    with c.flags(enabled=False, deterministic=True):
        assert c.enabled is False and c.deterministic is True and c.benchmark is False
    assert c.enabled is True and c.deterministic is False
    with pytest.raises(ZeroDivisionError):
        with c.flags(enabled=False):
            raise ZeroDivisionError
    assert c.enabled is True


def test_unknown_matmul_switch_is_an_error():
    with pytest.raises(AttributeError, match="Unknown attribute allow_tf33"):
        tg.backends.cuda.matmul.allow_tf33 = True
    with pytest.raises(AttributeError, match="Unknown attribute nope"):
        _ = tg.backends.cuda.matmul.nope


def test_sdp_switches_are_remembered():
    cuda = tg.backends.cuda
    assert cuda.flash_sdp_enabled() and cuda.math_sdp_enabled()
    cuda.enable_flash_sdp(False)
    try:
        assert cuda.flash_sdp_enabled() is False
    finally:
        cuda.enable_flash_sdp(True)


def test_names_and_defaults_match_pytorch():
    torch = pytest.importorskip("torch")
    for mod in ("cudnn", "cuda", "mps", "mkldnn", "openmp", "cpu"):
        theirs, ours = getattr(torch.backends, mod), getattr(tg.backends, mod)
        for name in dir(ours):
            if not name.startswith("_") and callable(getattr(ours, name)) and name not in ("annotations", "contextlib"):
                assert hasattr(theirs, name), f"torch.backends.{mod} has no {name}"
    for name in ("enabled", "benchmark", "benchmark_limit", "deterministic", "allow_tf32"):
        assert getattr(tg.backends.cudnn, name) == getattr(torch.backends.cudnn, name), name
    for name in ("allow_tf32", "allow_fp16_reduced_precision_reduction", "allow_bf16_reduced_precision_reduction"):
        assert getattr(tg.backends.cuda.matmul, name) == getattr(torch.backends.cuda.matmul, name), name
    assert tg.backends.cpu.get_cpu_capability() == torch.backends.cpu.get_cpu_capability()
