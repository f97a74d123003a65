"""tensorgraft-cuda's plumbing against a NumPy-backed stand-in for CuPy (tests/fake_cupy), in a
subprocess: lazy import, rebinding every op's kernel to CuPy on first use, moves to and from the
device, device selection, memory statistics, streams and events. (Real CUDA kernels are tested in
test_cuda_gpu.py, which needs a GPU.)"""
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("tensorgraft.cuda", reason="tensorgraft-cuda is not installed (pip install -e packages/cuda-backend)")

FAKE = pathlib.Path(__file__).parent / "fake_cupy"


def _run(code, devices="2"):
    env = dict(os.environ, PYTHONPATH=str(FAKE) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               FAKE_CUPY_DEVICES=devices)
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_lazy_import_and_rebinding():
    out = _run("""
        import sys
        import tensorgraft as tg
        assert 'cupy' not in sys.modules            # registering the device did not import CuPy
        from tensorgraft.registry import registry
        assert 'deferred cupy.add' in repr(registry.ops['add'].table['cuda'])
        assert tg.cuda.is_available() and tg.cuda.device_count() == 2
        import cupy
        assert registry.ops['add'].table['cuda'] is cupy.add   # rebound on first use
        x = tg.tensor([[1.0, 2.0], [3.0, 4.0]]).to('cuda')
        assert type(x._data) is cupy.ndarray and x.device == tg.device('cuda', 0) and x.is_cuda
        y = (x * 2 + 1).exp().log().sum(0)
        assert y.device.type == 'cuda' and isinstance(y._data, cupy.ndarray)
        print(y.cpu().tolist(), type(y.cpu()._data).__name__)
        print(repr(tg.ones(2).cuda(1)))
        try:
            x + tg.ones(2, 2)
        except RuntimeError as e:
            print(str(e).split("!")[0])
        from tensorgraft.cuda._backend import BACKEND
        import numpy
        print(BACKEND.owns(cupy.asarray([1.0])), BACKEND.owns(numpy.ones(1)), BACKEND.array_index(x._data))
    """)
    lines = out.splitlines()
    assert lines[0] == "[10.0, 14.0] ndarray"
    assert lines[1] == "tensor([1., 1.], device='cuda:1')"
    assert lines[2] == "Expected all tensors to be on the same device, but found at least two devices, cuda:0 and cpu"
    assert lines[3] == "True False 0"


def test_backward_on_cuda():
    out = _run("""
        import tensorgraft as tg
        w = tg.tensor([1.0, 2.0, 3.0], device='cuda', requires_grad=True)
        (w * w).sum().backward()
        print(w.grad.device, w.grad.cpu().tolist())
        c = tg.tensor([1.0, 2.0], requires_grad=True)
        (c.cuda() * 3).sum().backward()
        print(c.grad.device, c.grad.tolist())
    """)
    assert out.splitlines() == ["cuda:0 [2.0, 4.0, 6.0]", "cpu [3.0, 3.0]"]


def test_device_api():
    out = _run("""
        import tensorgraft as tg, cupy
        print(tg.cuda.current_device(), tg.cuda.get_device_name(1), tg.cuda.get_device_capability())
        with tg.cuda.device(1):
            print(tg.cuda.current_device(), tg.ones(1, device='cuda').device)
        print(tg.cuda.current_device())
        tg.cuda.set_device('cuda:1'); print(tg.cuda.current_device()); tg.cuda.set_device(0)
        try:
            tg.cuda.set_device(5)
        except RuntimeError as e:
            print(e)
        tg.cuda.synchronize(1); print(cupy.cuda.SYNCED)
        tg.cuda.manual_seed_all(7); print(sorted(cupy.random.SEEDS.items()))
        print(tg.cuda.get_device_properties(0))
    """)
    assert out.splitlines() == [
        "0 Fake GPU 1 (9, 0)", "1 cuda:1", "0", "1", "Invalid device ordinal 5: only 2 cuda device(s) present", "[1]",
        "[(0, 7), (1, 7)]",
        "_CudaDeviceProperties(name='Fake GPU 0', major=9, minor=0, total_memory=81920MB, multi_processor_count=132)"]


def test_seed_before_init_is_applied():
    out = _run("""
        import tensorgraft as tg
        tg.cuda.manual_seed(11)           # before CUDA is initialised
        import sys; assert 'cupy' not in sys.modules
        assert tg.cuda.is_available()
        import cupy; print(sorted(cupy.random.SEEDS.items()))
    """)
    assert out.strip() == "[(0, 11), (1, 11)]"


def test_memory_stats():
    out = _run("""
        import tensorgraft as tg, cupy
        before = tg.cuda.memory_allocated()
        x = tg.zeros(1000, dtype=tg.float64).to('cuda')
        print(tg.cuda.memory_allocated() - before, tg.cuda.memory_reserved() - tg.cuda.memory_allocated())
        print(tg.cuda.max_memory_allocated() >= 8000, len(cupy.cuda.ALLOCATOR))
        tg.cuda.empty_cache(); print(cupy.get_default_memory_pool().freed)
        print(tg.cuda.mem_get_info())
    """)
    assert out.splitlines() == ["8000 4096", "True 1", "1", f"({70 * 2**30}, {80 * 2**30})"]


def test_streams_and_events():
    out = _run("""
        import tensorgraft as tg, cupy
        s = tg.cuda.Stream()
        with tg.cuda.stream(s):
            print(tg.cuda.current_stream() == s)
        print(tg.cuda.current_stream() == tg.cuda.default_stream(), s.query())
        a, b = tg.cuda.Event(enable_timing=True), tg.cuda.Event(enable_timing=True)
        a.record(); b.record(s); b.synchronize()
        print(a.elapsed_time(b) >= 0, b.query())
        try:
            tg.cuda.Event().elapsed_time(tg.cuda.Event())
        except RuntimeError as e:
            print(e)
        s.wait_stream(tg.cuda.current_stream()); s.synchronize()
    """)
    assert out.splitlines() == ["True", "True True", "True True",
                                "Both events must be created with argument 'enable_timing=True'."]


def test_no_device_with_cupy_installed():
    out = _run("""
        import tensorgraft as tg
        print(tg.cuda.is_available(), tg.cuda.device_count())
        try:
            tg.ones(1).cuda()
        except RuntimeError as e:
            print(e)
    """, devices="-1")
    assert out.splitlines() == ["False 0", "no CUDA device was found: RuntimeError: cudaErrorNoDevice: no CUDA-capable "
                                           "device is detected"]


def test_fused_op_kernels_are_registered_when_signatures_match():
    out = _run("""
        import tensorgraft as tg
        from tensorgraft.registry import registry
        from tensorgraft.cuda import fused
        names = sorted(n for n, op in registry.ops.items() if op.kernels.get('cuda') is not None)
        print(names)
        print(registry.ops['softmax'].kernels['cuda'] is fused.softmax_op_kernel)
        print(sorted(k for k in registry.extensions['fused_optimizer_step']))
        print(sorted(registry.extensions['cuda_kernels']))
    """)
    lines = out.splitlines()
    names = eval(lines[0])
    assert {"softmax", "log_softmax"} <= set(names)
    assert set(names) <= {"softmax", "log_softmax", "nn.gelu", "nn.layer_norm"}
    assert lines[1] == "True"
    assert lines[2] == "[('Adam', 'cuda'), ('AdamW', 'cuda'), ('SGD', 'cuda')]"
    assert lines[3] == "['gelu', 'layer_norm', 'log_softmax', 'softmax']"


def test_plugins_command_with_cupy():
    out = _run("""
        import sys
        from tensorgraft.cli import main
        main(['plugins'])
    """)
    assert "tensorgraft-cuda 0.1.0" in out
    assert "CUDA devices: cuda:0 Fake GPU 0, cuda:1 Fake GPU 1" in out
    assert "fused_optimizer_step: 3 (('Adam', 'cuda')" in out
