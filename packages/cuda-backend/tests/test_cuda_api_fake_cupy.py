"""The rest of ``torch.cuda``'s API (memory statistics and limits, OutOfMemoryError, NVML figures,
streams, capabilities, NVTX, typed constructors) on two fake GPUs (tests/fake_cupy), each in a
fresh subprocess so CUDA initialises from scratch."""
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("tensorgraft.cuda", reason="tensorgraft-cuda is not installed (pip install -e packages/cuda-backend)")

HERE = pathlib.Path(__file__).parent


def _run(code, *, nvml=False):
    paths = [str(HERE / "fake_cupy")] + ([str(HERE / "fake_pynvml")] if nvml else [])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(paths + [os.environ.get("PYTHONPATH", "")]),
               FAKE_CUPY_DEVICES="2")
    proc = subprocess.run([sys.executable, "-W", "error::DeprecationWarning", "-c", textwrap.dedent(code)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout.splitlines()


def test_memory_stats_follow_allocations_frees_and_resets():
    out = _run("""
        import tensorgraft as tg
        s = tg.cuda.memory_stats()
        print(type(s).__name__, list(s) == sorted(s), s["allocated_bytes.all.current"], s["num_ooms"])
        x = tg.zeros(1000, dtype=tg.float64, device="cuda")      # 8000 bytes: one 8192-byte block
        y = tg.zeros(100, dtype=tg.float32, device="cuda")       # 400 bytes: one 512-byte block
        del x
        s = tg.cuda.memory_stats()
        print(s["allocated_bytes.all.current"], s["allocated_bytes.all.peak"], s["allocated_bytes.all.allocated"],
              s["allocated_bytes.all.freed"], s["reserved_bytes.all.current"], s["reserved_bytes.all.peak"])
        print(tg.cuda.max_memory_allocated(), tg.cuda.max_memory_reserved())
        tg.cuda.reset_peak_memory_stats()
        print(tg.cuda.max_memory_allocated(), tg.cuda.memory_stats()["allocated_bytes.all.peak"])
        tg.cuda.reset_accumulated_memory_stats()
        s = tg.cuda.memory_stats()
        print(s["allocated_bytes.all.allocated"], s["allocated_bytes.all.freed"], s["allocated_bytes.all.current"])
        del y
        s = tg.cuda.memory_stats()
        print(s["allocated_bytes.all.freed"], s["allocated_bytes.all.current"])
        print(tg.cuda.memory_stats(1)["allocated_bytes.all.allocated"])   # GPU 1 was not used
        z = tg.ones(3, device="cuda:1")
        print(tg.cuda.memory_stats("cuda:1")["allocated_bytes.all.current"], tg.cuda.memory_allocated(0))
        nested = tg.cuda.memory_stats_as_nested_dict()
        print(nested["allocated_bytes"]["all"]["current"], nested["num_ooms"], sorted(nested))
    """)
    assert out == [
        "OrderedDict True 0 0",
        "512 8704 8704 8192 8704 8704",
        "8704 8704",
        "512 512",
        "0 0 512",
        "512 0",
        "0",
        "512 0",
        "0 0 ['allocated_bytes', 'num_alloc_retries', 'num_ooms', 'reserved_bytes']",
    ]


def test_memory_summary_is_a_table_of_the_stats():
    out = _run("""
        import tensorgraft as tg
        x = tg.zeros(3 * 2**20, dtype=tg.float32, device="cuda:1")
        print(tg.cuda.memory_summary(1))
        print(tg.cuda.memory_summary(device="cuda:1", abbreviated=True) == tg.cuda.memory_summary(1))
    """)
    table = "\n".join(out)
    assert "device ID 1" in out[1] and "CUDA OOMs: 0" in out[3] and "cudaMalloc retries: 0" in out[3]
    assert "| Allocated memory      |  12.00 MiB |  12.00 MiB |  12.00 MiB |    0 bytes |" in table
    assert "| Reserved memory       |  12.00 MiB |  12.00 MiB |" in table
    assert {len(line) for line in out[:-2]} == {77}
    assert out[-1] == "True"


def test_deprecated_aliases_warn_and_answer():
    out = _run("""
        import warnings, tensorgraft as tg
        x = tg.zeros(256, device="cuda")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            print(tg.cuda.memory_cached() == tg.cuda.memory_reserved(), tg.cuda.max_memory_cached() == 1024)
            del x
            tg.cuda.reset_max_memory_allocated(); print(tg.cuda.max_memory_allocated())
            y = tg.zeros(512, device="cuda"); del y; tg.cuda.empty_cache()
            tg.cuda.reset_max_memory_cached(); print(tg.cuda.max_memory_reserved())
        for w in caught:
            print(w.category.__name__, w.filename.endswith("<string>"), w.message)
    """)
    assert out == [
        "True True", "0", "0",
        "FutureWarning True `torch.cuda.memory_cached` has been renamed to `torch.cuda.memory_reserved`",
        "FutureWarning True `torch.cuda.max_memory_cached` has been renamed to `torch.cuda.max_memory_reserved`",
        "FutureWarning True torch.cuda.reset_max_memory_allocated now calls torch.cuda.reset_peak_memory_stats, "
        "which resets /all/ peak memory stats.",
        "FutureWarning True torch.cuda.reset_max_memory_cached now calls torch.cuda.reset_peak_memory_stats, "
        "which resets /all/ peak memory stats.",
    ]


def test_out_of_memory_reaches_users_as_tensorgraft_error_from_every_allocation_path():
    out = _run("""
        import tensorgraft as tg, cupy
        tg.cuda.set_per_process_memory_fraction(2**20 / (80 * 2**30))   # a 1 MiB pool on GPU 0
        print(tg.cuda.get_per_process_memory_fraction(), tg.cuda.get_per_process_memory_fraction(1))
        print(tg.cuda.OutOfMemoryError is tg.OutOfMemoryError, issubclass(tg.OutOfMemoryError, RuntimeError))
        keep = tg.ones(2**17, device="cuda")                           # 512 KiB
        host = tg.ones(2**18)
        attempts = {"factory": lambda: tg.zeros(2**18, device="cuda"),
                    "transfer": lambda: host.to("cuda"),
                    "kernel": lambda: keep.repeat(2) + 1,
                    "typed": lambda: tg.cuda.FloatTensor(2**18)}
        for name, attempt in attempts.items():
            try:
                attempt()
            except tg.OutOfMemoryError as e:
                print(name, type(e).__module__, e.__cause__ is None, str(e).split(". ")[:3])
                message = str(e)
        print(message)
        s = tg.cuda.memory_stats()
        print(s["num_ooms"], s["num_alloc_retries"], tg.cuda.memory_allocated())
        with tg.cuda.device(1):
            print(tg.zeros(2**18, device="cuda").device)               # GPU 1 has no cap
        try:
            cupy.zeros(2**20)                                            # CuPy's own allocations too
        except tg.OutOfMemoryError:
            print("cupy")
        tg.cuda.reset_accumulated_memory_stats()
        print(tg.cuda.memory_stats()["num_ooms"])
    """)
    assert out[:2] == [f"{2**20 / (80 * 2**30)} 1.0", "True True"]
    expected_head = ["CUDA out of memory", "Tried to allocate 1024.00 KiB", "GPU 0 has a total capacity of 80.00 GiB "
                     "of which 70.00 GiB is free"]
    for line, name in zip(out[2:6], ("factory", "transfer", "kernel", "typed")):
        assert line == f"{name} tensorgraft.errors True {expected_head}", line
    assert out[6] == ("CUDA out of memory. Tried to allocate 1024.00 KiB. GPU 0 has a total capacity of 80.00 GiB of which "
                      "70.00 GiB is free. 1024.00 KiB allowed; Of the allocated memory 512.00 KiB is allocated by "
                      "tensorgraft, and 0 bytes is reserved by tensorgraft but unallocated. If reserved but "
                      "unallocated memory is large, tensorgraft.cuda.empty_cache() returns it to the GPU.")
    assert out[7:] == ["4 4 524288", "cuda:1", "cupy", "0"]


def test_a_retry_inside_cupy_is_counted():
    out = _run("""
        import tensorgraft as tg
        tg.cuda.set_per_process_memory_fraction(2**20 / (80 * 2**30))
        x = tg.ones(2**17 + 1, device="cuda"); del x      # ~512 KiB now cached in the pool
        y = tg.ones(2**18 - 1000, device="cuda")          # fits only once the cache is dropped
        s = tg.cuda.memory_stats()
        print(s["num_alloc_retries"], s["num_ooms"])
        tg.cuda.empty_cache()
        z = tg.ones(10, device="cuda")                    # a shrink by empty_cache is not a retry
        print(tg.cuda.memory_stats()["num_alloc_retries"])
    """)
    assert out == ["1 0", "1"]


def test_memory_fraction_checks_its_arguments():
    out = _run("""
        import tensorgraft as tg
        for args in ((1,), (1.5,), (-0.1,), (0.5, 2), (0.5, "cpu")):
            try:
                tg.cuda.set_per_process_memory_fraction(*args)
            except Exception as e:
                print(type(e).__name__, e)
        tg.cuda.set_per_process_memory_fraction(0.25, "cuda:1")
        print(tg.cuda.get_per_process_memory_fraction(1), tg.cuda.get_per_process_memory_fraction())
    """)
    assert out == ["TypeError Invalid type for fraction argument, must be `float`",
                   "ValueError Invalid fraction value: 1.5. Allowed range: 0~1",
                   "ValueError Invalid fraction value: -0.1. Allowed range: 0~1",
                   "RuntimeError Invalid device ordinal 2: only 2 cuda device(s) present",
                   "ValueError Expected a cuda device, but got: cpu",
                   "0.25 1.0"]


def test_caching_allocator_alloc_and_delete():
    out = _run("""
        import tensorgraft as tg
        p = tg.cuda.caching_allocator_alloc(1000, device=1, stream=tg.cuda.Stream(1))
        q = tg.cuda.caching_allocator_alloc(100)
        print(type(p).__name__, p != q, tg.cuda.memory_allocated(1), tg.cuda.memory_allocated(0))
        tg.cuda.caching_allocator_delete(p)
        print(tg.cuda.memory_allocated(1), tg.cuda.memory_reserved(1))
        for bad in (lambda: tg.cuda.caching_allocator_delete(p), lambda: tg.cuda.caching_allocator_alloc(8, 1.5)):
            try:
                bad()
            except Exception as e:
                print(type(e).__name__, str(e).replace(hex(p), "PTR"))
    """)
    assert out == ["int True 1024 512", "0 1024", "RuntimeError invalid device pointer: PTR",
                   "ValueError Expected a torch.device with a specified index or an integer, but got:1.5"]


def test_nvml_figures_with_pynvml():
    out = _run("""
        import tensorgraft as tg
        for name in ("utilization", "temperature", "power_draw", "clock_rate", "device_memory_used"):
            f = getattr(tg.cuda, name)
            print(name, f(), f(1), f("cuda:1"))
        print(tg.cuda.list_gpu_processes())
        print(tg.cuda.list_gpu_processes(1))
    """, nvml=True)
    assert out == ["utilization 40 41 41", "temperature 60 61 61", "power_draw 250000 250001 250001",
                   "clock_rate 1980 1981 1981", f"device_memory_used {10 * 2**30} {10 * 2**30 + 1} {10 * 2**30 + 1}",
                   "GPU:0", "process       4242 uses      512.000 MB GPU memory",
                   "process         77 uses        0.000 MB GPU memory", "GPU:1", "no processes are running"]


def test_nvml_figures_without_pynvml():
    out = _run("""
        import tensorgraft as tg
        print(tg.cuda.list_gpu_processes())
        for name in ("utilization", "temperature", "power_draw", "clock_rate", "device_memory_used"):
            try:
                getattr(tg.cuda, name)()
            except ModuleNotFoundError as e:
                print(e)
    """)
    assert out == ["pynvml module not found, please install nvidia-ml-py"] + [
        "nvidia-ml-py does not seem to be installed or it can't be imported."] * 5


def test_stream_context_set_stream_and_external_stream():
    out = _run("""
        import tensorgraft as tg
        s1 = tg.cuda.Stream(device=1)
        ctx = tg.cuda.stream(s1)
        print(type(ctx).__name__, isinstance(ctx, tg.cuda.StreamContext))
        with ctx as entered:
            print(entered is s1, tg.cuda.current_device(), tg.cuda.current_stream(1) == s1,
                  tg.ones(1, device="cuda").device)
        print(tg.cuda.current_device(), tg.cuda.current_stream(1) == tg.cuda.default_stream(1))
        with tg.cuda.StreamContext(None) as nothing:
            print(nothing)
        s0 = tg.cuda.Stream()
        tg.cuda.set_stream(s0)
        print(tg.cuda.current_stream() == s0)
        tg.cuda.set_stream(None)
        print(tg.cuda.current_stream() == s0)
        tg.cuda.set_stream(tg.cuda.default_stream())
        e = tg.cuda.ExternalStream(0xBEEF, device=1)
        print(isinstance(e, tg.cuda.Stream), hex(e.cuda_stream), e.device_index)
        with tg.cuda.stream(e):
            print(tg.cuda.current_stream(1).cuda_stream == 0xBEEF)
    """)
    assert out == ["StreamContext True", "True 1 True cuda:1", "0 True", "None", "True", "True",
                   "True 0xbeef 1", "True"]


def test_device_of_peer_access_init_and_ipc():
    out = _run("""
        import tensorgraft as tg
        x = tg.ones(1, device="cuda:1")
        with tg.cuda.device_of(x):
            print(tg.cuda.current_device())
        with tg.cuda.device_of(tg.ones(1)):
            print(tg.cuda.current_device())
        print(tg.cuda.current_device())
        try:
            tg.cuda.device_of(None)
        except AttributeError as e:
            print(e)
        print(tg.cuda.can_device_access_peer(0, 1), tg.cuda.can_device_access_peer("cuda:1", 0))
        try:
            tg.cuda.can_device_access_peer(0, 5)
        except RuntimeError as e:
            print(e)
        print(tg.cuda.init(), tg.cuda.is_initialized(), tg.cuda.ipc_collect())
    """)
    assert out == ["1", "0", "0", "'NoneType' object has no attribute 'is_cuda'", "False False",
                   "Invalid device ordinal 5: only 2 cuda device(s) present", "None True None"]


def test_capabilities_and_blas_handle():
    out = _run("""
        import tensorgraft as tg
        print(tg.cuda.get_arch_list())
        print(tg.cuda.get_gencode_flags())
        print(tg.cuda.is_bf16_supported(), tg.cuda.is_bf16_supported(including_emulation=False),
              tg.cuda.is_tf32_supported())
        h0 = tg.cuda.current_blas_handle()
        with tg.cuda.device(1):
            h1 = tg.cuda.current_blas_handle()
        print(type(h0).__name__, h0 != h1, h0 == tg.cuda.current_blas_handle())
    """)
    assert out == ["['sm_75', 'sm_80', 'sm_86', 'sm_89', 'sm_90']",
                   "-gencode compute=compute_75,code=sm_75 -gencode compute=compute_80,code=sm_80 "
                   "-gencode compute=compute_86,code=sm_86 -gencode compute=compute_89,code=sm_89 "
                   "-gencode compute=compute_90,code=sm_90",
                   "False False True", "int True True"]


def test_sync_debug_mode_flags_host_reads():
    out = _run("""
        import warnings, tensorgraft as tg
        x = tg.arange(3.0, device="cuda")
        print(tg.cuda.get_sync_debug_mode())
        tg.cuda.set_sync_debug_mode("warn"); print(tg.cuda.get_sync_debug_mode())
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            y = x * 2                      # stays on the GPU: no warning
            print(x.sum().item(), len(caught), caught[0].category.__name__, caught[0].message)
        tg.cuda.set_sync_debug_mode(2)
        try:
            x.tolist()
        except RuntimeError as e:
            print(e)
        print(tg.ones(2).tolist())         # CPU tensors never synchronise
        tg.cuda.set_sync_debug_mode("default"); print(x.tolist(), tg.cuda.get_sync_debug_mode())
        try:
            tg.cuda.set_sync_debug_mode("loud")
        except RuntimeError as e:
            print(e)
    """)
    assert out == ["0", "1", "3.0 1 UserWarning called a synchronizing CUDA operation",
                   "called a synchronizing CUDA operation", "[1.0, 1.0]", "[0.0, 1.0, 2.0] 0",
                   "invalid value of debug_mode, expected one of `default`, `warn`, `error`"]


def test_nvtx_ranges_and_marks():
    out = _run("""
        import tensorgraft as tg, cupy
        nvtx = tg.cuda.nvtx
        print(nvtx.range_push("outer"), nvtx.range_push("inner"), nvtx.range_pop(), nvtx.range_pop())
        nvtx.mark("here")
        with nvtx.range("step {} of {n}", 3, n=5):
            pass
        handle = nvtx.range_start("async"); nvtx.range_end(handle)
        @nvtx.range("decorated")
        def f():
            return 7
        print(f(), isinstance(handle, int))
        print(cupy.cuda.nvtx.MARKS)
    """)
    assert out == ["0 1 1 0", "7 True",
                   "[('push', 'outer'), ('push', 'inner'), ('pop',), ('pop',), ('mark', 'here'), "
                   "('push', 'step 3 of 5'), ('pop',), ('start', 'async'), ('end', 8), ('push', 'decorated'), "
                   "('pop',)]"]


def test_typed_constructors_make_cuda_tensors():
    out = _run("""
        import tensorgraft as tg
        names = ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor",
                 "CharTensor", "ByteTensor", "BoolTensor"]
        for name in names:
            cls = getattr(tg.cuda, name)
            t = cls([1, 0])
            print(name, repr(cls), t.dtype, t.device, isinstance(t, cls), isinstance(t.cpu(), cls),
                  cls.is_cuda, t.type())
        print(tuple(tg.cuda.FloatTensor(2, 3).shape), tg.cuda.LongTensor().shape)
        with tg.cuda.device(1):
            print(tg.cuda.IntTensor(2).device)
        print(isinstance(tg.ones(1, device="cuda", dtype=tg.float64), tg.cuda.FloatTensor),
              isinstance(3.0, tg.cuda.FloatTensor))
    """)
    dtypes = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]
    for line, name, dt in zip(out, ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor",
                                    "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor"], dtypes):
        assert line == (f"{name} <class 'tensorgraft.cuda.{name}'> torch.{dt} cuda:0 True False True "
                        f"torch.cuda.{name}"), line
    assert out[9:] == ["(2, 3) torch.Size([0])", "cuda:1", "False False"]


def test_legacy_types_name_their_device():
    # tg.FloatTensor is a CPU type and tg.cuda.FloatTensor a GPU one: isinstance and .type() follow that
    out = _run("""
        import tensorgraft as tg
        g = tg.ones(2, device="cuda")
        c = tg.ones(2)
        print(isinstance(g, tg.FloatTensor), isinstance(c, tg.FloatTensor), isinstance(g, tg.cuda.FloatTensor))
        moved = c.type(tg.cuda.DoubleTensor)
        print(moved.device, moved.dtype, moved.type())
        back = g.type(tg.LongTensor)
        print(back.device, back.dtype, back.type())
    """)
    assert out == ["False True True", "cuda:0 torch.float64 torch.cuda.DoubleTensor",
                   "cpu torch.int64 torch.LongTensor"]


def test_float8_is_refused_on_cuda_and_uint32_moves():
    out = _run("""
        import tensorgraft as tg
        t = tg.ones(2, dtype=tg.float8_e4m3fn)
        try:
            t.to("cuda")
        except TypeError as e:
            print(e)
        print(t.to("cuda", tg.float32).tolist(), tg.tensor([2 ** 32 - 1], dtype=tg.uint32).cuda().cpu().tolist())
    """)
    assert out == ["tensorgraft's CUDA device cannot hold float8_e4m3fn tensors: CuPy has no float8_e4m3fn arrays. "
                   "Move the tensor as float16 or float32 instead, e.g. t.to('cuda', torch.float16).",
                   "[1.0, 1.0] [4294967295]"]


def test_bfloat16_is_refused_on_cuda_with_a_clear_error():
    # CuPy has no bfloat16 arrays: the move names the dtype and what to use instead
    out = _run("""
        import tensorgraft as tg
        t = tg.ones(2, dtype=tg.bfloat16)
        try:
            t.to("cuda")
        except TypeError as e:
            print(e)
        print(t.to("cuda", tg.float16).dtype, tg.cuda.is_bf16_supported())
    """)
    assert out == ["tensorgraft's CUDA device cannot hold bfloat16 tensors: CuPy has no bfloat16 arrays. Move the "
                   "tensor as float16 or float32 instead, e.g. t.to('cuda', torch.float16).", "torch.float16 False"]
