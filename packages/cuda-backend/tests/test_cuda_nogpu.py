"""tensorgraft-cuda on a machine without CuPy or without a GPU: importing costs nothing, the
device is registered but unavailable with a clear reason, and nothing raises a CuPy traceback."""
import os
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("tensorgraft.cuda", reason="tensorgraft-cuda is not installed (pip install -e packages/cuda-backend)")

import tensorgraft as tg  # noqa: E402
from tensorgraft.cuda._backend import BACKEND, CUDABackend, _probe  # noqa: E402
from tensorgraft.device import backends  # noqa: E402
from tensorgraft.registry import registry  # noqa: E402

HAVE_GPU = BACKEND.is_available()
needs_no_gpu = pytest.mark.skipif(HAVE_GPU, reason="a CUDA device is available: the no-GPU behaviour is not observable")


def _run(code, **env):
    e = dict(os.environ)
    e.update(env)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=e,
                          timeout=120)


def test_import_does_not_import_cupy():
    proc = _run("""
        import sys, tensorgraft as tg
        from tensorgraft.device import backends
        assert 'cuda' in backends(), sorted(backends())
        assert 'cupy' not in sys.modules
        x = (tg.ones(3) * 2).sum()
        tg.manual_seed(0); tg.cuda.manual_seed(1); tg.cuda.manual_seed_all(2); tg.seed()
        tg.rand(3); tg.randn(2, generator=tg.Generator().manual_seed(1))
        assert 'cupy' not in sys.modules   # seeding (every device) does not initialise CUDA
        print('ok')
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def test_device_is_registered_by_tensorgraft_cuda():
    assert registry.device_owner["cuda"] == "tensorgraft-cuda"
    assert backends()["cuda"] is BACKEND
    assert tg.cuda.__name__ == "tensorgraft.cuda"


@needs_no_gpu
def test_unavailable_with_reason():
    assert tg.cuda.is_available() is False
    assert tg.cuda.device_count() == 0
    reason = tg.cuda.unavailable_reason()
    assert reason.startswith("no CUDA device was found")
    assert BACKEND.unavailable_reason() == reason


@needs_no_gpu
def test_moving_to_cuda_raises_a_clear_error():
    x = tg.ones(2)
    for call in (lambda: x.to("cuda"), lambda: x.cuda(), lambda: x.to("cuda:1"), lambda: tg.zeros(2, device="cuda"),
                 lambda: tg.tensor([1.0], device=tg.device("cuda", 0))):
        with pytest.raises(RuntimeError, match="^no CUDA device was found") as ei:
            call()
        assert "cupy" not in type(ei.value).__module__.lower()
    assert tg.device("cuda:1") == tg.device("cuda", 1)  # device objects need no GPU


@needs_no_gpu
def test_api_without_gpu():
    # nothing allocated, nothing to free, seeds remembered for later: no error
    assert tg.cuda.memory_allocated() == 0
    assert tg.cuda.max_memory_allocated() == 0
    assert tg.cuda.memory_reserved() == 0
    tg.cuda.empty_cache()
    tg.cuda.reset_peak_memory_stats()
    tg.cuda.manual_seed(3)
    tg.cuda.manual_seed_all(3)
    tg.cuda.seed()
    tg.cuda.seed_all()
    tg.manual_seed(3)
    assert tg.cuda.default_generators == () and tg.cuda.get_rng_state_all() == []  # as PyTorch
    assert tg.cuda.is_initialized() is False
    for fn in (tg.cuda.current_device, tg.cuda.get_device_name, tg.cuda.synchronize, lambda: tg.cuda.set_device(0),
               tg.cuda.Stream, tg.cuda.Event, tg.cuda.current_stream, lambda: tg.cuda.device(0).__enter__(),
               tg.cuda.initial_seed, tg.cuda.get_rng_state,
               lambda: tg.cuda.set_rng_state(tg.zeros(16, dtype=tg.uint8)), lambda: tg.Generator(device="cuda"),
               lambda: tg.rand(2, device="cuda")):
        with pytest.raises(RuntimeError, match="^no CUDA device was found"):
            fn()
    with tg.cuda.device(None):  # a no-op, as in PyTorch
        pass
    tg.cuda.set_device(-1)


def test_fused_kernels_only_with_cupy():
    import importlib.util
    have = importlib.util.find_spec("cupy") is not None
    steps = registry.extensions.get("fused_optimizer_step", {})
    kernels = registry.extensions.get("cuda_kernels", {})
    assert (("Adam", "cuda") in steps) is have
    assert (("SGD", "cuda") in steps) is have
    assert ("softmax" in kernels) is have


def test_probe_reasons(monkeypatch):
    import types
    fake = types.ModuleType("cupy")
    fake.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(
        getDeviceCount=lambda: (_ for _ in ()).throw(RuntimeError("cudaErrorInsufficientDriver"))))
    monkeypatch.setitem(sys.modules, "cupy", fake)
    ok, reason, n = _probe()
    assert (ok, n) == (False, 0)
    assert reason == "no CUDA device was found: RuntimeError: cudaErrorInsufficientDriver"
    fake.cuda.runtime.getDeviceCount = lambda: 0
    assert _probe() == (False, "no CUDA device was found: the CUDA runtime reports 0 devices", 0)
    b = CUDABackend()  # a fresh backend: the module-level one keeps its cached answer
    assert not b.is_available() and b.device_count() == 0
    with pytest.raises(RuntimeError, match="reports 0 devices"):
        b.from_host(None, 0)


def test_missing_cupy_reason(monkeypatch):
    import importlib.util
    monkeypatch.delitem(sys.modules, "cupy", raising=False)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    ok, reason, _ = _probe()
    assert not ok
    assert reason.startswith("no CUDA device was found: CuPy is not installed")
    assert "tensorgraft-cuda[cuda12]" in reason and "tensorgraft-cuda[cuda13]" in reason


pytest_plugins = ["pytester"]


def test_tg_device_fixture_skips_cuda_with_reason(pytester):
    pytester.makepyfile(test_dev="""
        def test_on(tg_device):
            assert tg_device
    """)
    res = pytester.runpytest("-rs")
    computing = [t for t, b in backends().items() if getattr(b, "holds_values", True)]  # not meta
    if HAVE_GPU:
        res.assert_outcomes(passed=len(computing))
    else:
        res.assert_outcomes(passed=len(computing) - 1, skipped=1)
        res.stdout.fnmatch_lines(["*SKIPPED*no CUDA device was found*"])


def test_plugins_report_lists_cuda():
    from tensorgraft.plugins.manager import report
    entry = {p["distribution"]: p for p in report()["plugins"]}["tensorgraft-cuda"]
    assert entry["status"] == "loaded"
    assert entry["registered"]["devices"]["names"] == ["cuda"]
    assert "CuPy" in entry["report"]
    if not HAVE_GPU:
        assert "no CUDA device was found" in entry["report"]["CUDA devices"]


def test_fused_steps_fall_back_when_they_cannot_run():
    """The bucket-level fused steps decline (return False) before touching CuPy when the generic
    kernel must run: parameters at different steps, amsgrad, mixed fresh momentum buffers."""
    from types import SimpleNamespace

    import numpy as np
    from tensorgraft.cuda.fused import adam_bucket_step, sgd_bucket_step
    b = SimpleNamespace(consts=None, dtype=np.dtype(np.float32), fresh=None)
    assert adam_bucket_step(None, {"amsgrad": False}, b) is False
    b.consts = {"step_size": 1.0, "bc2_sqrt": 1.0}
    assert adam_bucket_step(None, {"amsgrad": True}, b) is False
    b.fresh = [True, False]
    assert sgd_bucket_step(None, {"momentum": 0.9}, b) is False
