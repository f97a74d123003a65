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
        kernel = registry.ops['add'].table['cuda']
        # rebound on first use; with two GPUs, behind the guard that runs it on its operands' GPU
        assert kernel is not cupy.add and kernel.__wrapped__ is cupy.add
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
        tg.cuda.manual_seed_all(7); print([g.initial_seed() for g in tg.cuda.default_generators])
        print(tg.cuda.get_device_properties(0))
    """)
    assert out.splitlines() == [
        "0 Fake GPU 1 (9, 0)", "1 cuda:1", "0", "1", "Invalid device ordinal 5: only 2 cuda device(s) present", "[1]",
        "[7, 7]",
        "_CudaDeviceProperties(name='Fake GPU 0', major=9, minor=0, total_memory=81920MB, multi_processor_count=132)"]


def test_seed_before_init_is_applied():
    out = _run("""
        import sys
        import tensorgraft as tg
        tg.cuda.manual_seed(11)           # before CUDA is initialised: the current device (0)
        assert 'cupy' not in sys.modules and not tg.cuda.is_initialized()
        print(tg.cuda.initial_seed(), [g.initial_seed() for g in tg.cuda.default_generators])
    """)
    assert out.strip() == "11 [11, 67280421310721]"
    out = _run("""
        import sys
        import tensorgraft as tg
        tg.manual_seed(4)                 # every device, CUDA not initialised yet
        tg.cuda.manual_seed_all(12)
        tg.cuda.manual_seed(5)
        assert 'cupy' not in sys.modules
        print([g.initial_seed() for g in tg.cuda.default_generators], tg.initial_seed())
    """)
    assert out.strip() == "[5, 12] 4"


def test_random_numbers_are_drawn_on_the_device():
    out = _run("""
        import tensorgraft as tg, cupy
        from tensorgraft.cuda._backend import BACKEND
        import tensorgraft.nn.functional as F
        tg.cuda.manual_seed(1)
        a = tg.rand(4, device='cuda')
        tg.cuda.manual_seed(1)
        b = tg.rand(4, device='cuda')
        print(a.tolist() == b.tolist(), type(a._data) is cupy.ndarray, a.dtype)
        tg.cuda.manual_seed(2)
        print(tg.rand(4, device='cuda').tolist() != a.tolist())

        # no draw below comes from the host: the CPU stream and host-to-device copies are off limits
        class NoHost:
            def __getattr__(self, name):
                raise AssertionError(f"drew {name} from the CPU generator")
        tg.default_generator._stream = NoHost()
        def no_copy(*args):
            raise AssertionError("copied a host array to the device")
        BACKEND.from_host = no_copy
        x = tg.ones(6, device='cuda')
        m = F.dropout(x, 0.5)
        print(m.device, sorted(set(m.tolist())) in ([0.0, 2.0], [0.0], [2.0]))
        outs = [tg.rand(3, device='cuda'), tg.randn(2, 3, device='cuda', dtype=tg.float64),
                tg.rand(2, device='cuda', dtype=tg.complex64), tg.randint(0, 10, (5,), device='cuda'),
                tg.randperm(7, device='cuda'), tg.normal(1.0, 2.0, (3,), device='cuda'), tg.normal(x, 0.5),
                tg.bernoulli(x * 0.5), tg.multinomial(x, 3), tg.multinomial(x, 9, True), tg.rand_like(x),
                tg.randn_like(x), x.clone().uniform_(), x.clone().normal_(), x.clone().exponential_(),
                x.clone().log_normal_(), x.clone().cauchy_(), x.clone().geometric_(0.5), x.clone().random_(0, 3),
                x.clone().bernoulli_(0.5), x.clone().bernoulli_(x * 0.5), tg.rand(0, device='cuda'),
                tg.randperm(0, device='cuda')]
        print(all(o.device.type == 'cuda' and type(o._data) is cupy.ndarray for o in outs))
        print(sorted(outs[4].tolist()), len(set(outs[8].tolist())), outs[3].dtype, outs[2].dtype)
        print(all(0 <= v < 10 for v in outs[3].tolist()), all(v in (0, 1, 2) for v in outs[18].tolist()))
    """)
    assert out.splitlines() == ["True True torch.float32", "True", "cuda:0 True", "True",
                                "[0, 1, 2, 3, 4, 5, 6] 3 torch.int64 torch.complex64", "True True"]


def test_cuda_draws_leave_the_cpu_stream_alone_and_seeds_reach_cuda():
    out = _run("""
        import tensorgraft as tg
        tg.manual_seed(0)
        ref = tg.rand(5).tolist()
        tg.manual_seed(0)
        tg.randn(100, device='cuda'); tg.randperm(10, device='cuda')
        print(tg.rand(5).tolist() == ref)
        tg.manual_seed(3)                 # seeds CUDA's generators too
        a = tg.randn(4, device='cuda:1')
        tg.manual_seed(3)
        print(tg.randn(4, device='cuda:1').tolist() == a.tolist(), tg.cuda.initial_seed())
        tg.manual_seed(3)
        print(tg.randn(4).tolist() != a.tolist())   # CUDA's stream is not the CPU's
    """)
    assert out.splitlines() == ["True", "True 3", "True"]


def test_each_device_has_its_own_generator():
    out = _run("""
        import tensorgraft as tg
        g0, g1 = tg.cuda.default_generators
        print(g0 is not g1, g0.device, g1.device)
        tg.cuda.manual_seed_all(5)
        a0, a1 = tg.rand(3, device='cuda:0'), tg.rand(3, device='cuda:1')
        print(a0.tolist() == a1.tolist())   # same seed, same place in the stream: same numbers (as PyTorch)
        tg.rand(10, device='cuda:0')        # advances device 0's generator only
        b1 = tg.rand(3, device='cuda:1')
        tg.cuda.manual_seed_all(5)
        tg.rand(3, device='cuda:1')
        print(tg.rand(3, device='cuda:1').tolist() == b1.tolist())
        with tg.cuda.device(1):
            tg.cuda.manual_seed(9)          # the current device only
            print(tg.cuda.initial_seed(), tg.rand(2, device='cuda').device)
        print(g0.initial_seed(), g1.initial_seed())
        s0, s1 = tg.cuda.get_rng_state_all()
        x0, x1 = tg.rand(2, device='cuda:0'), tg.rand(2, device='cuda:1')
        tg.cuda.set_rng_state_all([s0, s1])
        print(tg.rand(2, device='cuda:0').tolist() == x0.tolist(), tg.rand(2, device='cuda:1').tolist() == x1.tolist())
        print(s0.dtype, s0.device, s0.numel())
        try:
            tg.cuda.set_rng_state(tg.zeros(3, dtype=tg.uint8))
        except RuntimeError as e:
            print(e)
    """)
    assert out.splitlines() == ["True cuda:0 cuda:1", "True", "True", "9 cuda:1", "5 9", "True True",
                                "torch.uint8 cpu 16", "RNG state is wrong size"]


def test_cuda_generator_objects():
    out = _run("""
        import tensorgraft as tg
        g = tg.Generator(device='cuda')
        print(g.device, g.initial_seed(), tg.Generator(device='cuda:1').device)
        g.manual_seed(7)
        a = tg.randn(3, device='cuda', generator=g)
        g.manual_seed(7)
        print(tg.randn(3, device='cuda:1', generator=g).tolist() == a.tolist())   # another GPU's tensor: fine
        state = g.get_state()
        b = tg.rand(2, device='cuda', generator=g)
        g.set_state(state)
        print(tg.rand(2, device='cuda', generator=g).tolist() == b.tolist())
        tg.manual_seed(0)
        ref = tg.rand(2, device='cuda').tolist()
        tg.manual_seed(0)
        tg.rand(5, device='cuda', generator=g)       # a private generator: the default one does not move
        print(tg.rand(2, device='cuda').tolist() == ref)
        for call in (lambda: tg.rand(2, generator=g), lambda: tg.rand(2, device='cuda', generator=tg.Generator()),
                     lambda: tg.zeros(2, device='cuda').normal_(generator=tg.Generator())):
            try:
                call()
            except RuntimeError as e:
                print(e)
        tg.cuda.seed(); tg.cuda.seed_all()
        print(len({g.initial_seed() for g in tg.cuda.default_generators}))
    """)
    assert out.splitlines() == ["cuda:0 67280421310721 cuda:1", "True", "True", "True",
                                "Expected a 'cpu' device type for generator but found 'cuda'",
                                "Expected a 'cuda' device type for generator but found 'cpu'",
                                "Expected a 'cuda' device type for generator but found 'cpu'", "1"]


def test_memory_stats():
    out = _run("""
        import tensorgraft as tg, cupy
        before = tg.cuda.memory_allocated()
        x = tg.zeros(1000, dtype=tg.float64).to('cuda')
        print(tg.cuda.memory_allocated() - before, tg.cuda.memory_reserved() - tg.cuda.memory_allocated())
        print(tg.cuda.max_memory_allocated() >= 8000, len(cupy.cuda.ALLOCATOR))
        del x   # its 8000 bytes (a 8192-byte block) go back to the pool's cache, still reserved
        print(tg.cuda.memory_allocated() - before, tg.cuda.memory_reserved() - tg.cuda.memory_allocated())
        tg.cuda.empty_cache(); print(cupy.get_default_memory_pool().freed, tg.cuda.memory_reserved())
        print(tg.cuda.mem_get_info())
    """)
    # empty_cache empties every GPU's pool (2 fake GPUs)
    assert out.splitlines() == ["8192 0", "True 1", "0 8192", "2 0", f"({70 * 2**30}, {80 * 2**30})"]


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
    assert set(names) <= {"softmax", "log_softmax", "nn.gelu", "nn.layer_norm", "nn.fused_lstm_cell",
                          "nn.fused_lstm_cell_backward", "nn.fused_gru_cell", "nn.fused_gru_cell_backward"}
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


def test_tensors_made_for_cuda_1_live_on_gpu_1_while_gpu_0_is_current():
    out = _run("""
        import tensorgraft as tg
        makers = {"zeros": lambda: tg.zeros(3, device="cuda:1"), "ones": lambda: tg.ones(3, device="cuda:1"),
                  "empty": lambda: tg.empty(3, device="cuda:1"), "full": lambda: tg.full((2,), 3.0, device="cuda:1"),
                  "eye": lambda: tg.eye(2, device="cuda:1"), "arange": lambda: tg.arange(3, device="cuda:1"),
                  "rand": lambda: tg.rand(3, device="cuda:1"), "to": lambda: tg.ones(2).to("cuda:1"),
                  "zeros_like": lambda: tg.zeros_like(tg.ones(2, device="cuda:1"))}
        assert tg.cuda.current_device() == 0
        for name, make in makers.items():
            t = make()
            print(name, t.device, t._data.device.id, tg.cuda.current_device())
    """)
    for line in out.splitlines():
        name, dev, array_gpu, current = line.split()
        assert (dev, array_gpu, current) == ("cuda:1", "1", "0"), line
