"""``tensorgraft.Stream``/``tensorgraft.Event`` (as ``torch.Stream``/``torch.Event``) and the stream
calls of ``tensorgraft.accelerator``. The CPU answers were computed with PyTorch 2.13 (CPU build);
the CUDA delegation runs against tensorgraft-cuda's NumPy-backed stand-in for CuPy, in a subprocess."""
import os
import pathlib
import pickle
import subprocess
import sys
import textwrap

import pytest

import tensorgraft as tg

NO_ACCELERATOR = "Cannot access accelerator device when none is available."
# These are the answers of a machine without an accelerator (PyTorch's CPU build): with one (the
# cuda-fake environment's stand-in GPU) a bare Stream()/Event() is a device stream/event instead
_without_accelerator = pytest.mark.skipif(tg.accelerator.is_available(),
                                          reason="an accelerator is present: Stream()/Event() default to it")


@_without_accelerator
def test_cpu_stream_is_always_done():
    # PyTorch 2.13: repr "torch.Stream device_type=cpu, device_index=-1, stream_id=0", device_type 0
    s = tg.Stream()
    assert repr(s) == "torch.Stream device_type=cpu, device_index=-1, stream_id=0"
    assert (s.device, s.device_index, s.device_type, s.stream_id) == (tg.device("cpu"), -1, 0, 0)
    assert s.query() is True and s.synchronize() is None and s.is_capturing() is False
    with s as inside:
        assert inside is s
    with pytest.raises(RuntimeError, match="^Backend doesn't support getting stream native handle.$"):
        _ = s.native_handle
    for record in (s.record_event, lambda: s.wait_stream(tg.Stream()), lambda: s.wait_stream(s)):
        with pytest.raises(RuntimeError, match="^cpu backend doesn't support events.$"):  # (records on the other)
            record()


@_without_accelerator
def test_stream_constructor_and_comparisons():
    assert tg.Stream("cpu", priority=5) == tg.Stream(tg.device("cpu"))  # priority changes nothing on the CPU
    assert repr(tg.Stream(device="meta")) == "torch.Stream device_type=meta, device_index=-1, stream_id=0"
    assert tg.Stream(device="meta").device_type == 14  # c10::DeviceType::Meta
    assert tg.Stream() != tg.Stream("meta") and tg.Stream() != 1
    assert hash(tg.Stream()) == hash(tg.Stream())
    assert not tg.Stream() < tg.Stream() and not tg.Stream() <= tg.Stream()  # PyTorch: False, no TypeError
    with pytest.raises(TypeError, match="^Stream\\(\\): argument 'priority' must be int, not str$"):
        tg.Stream("cpu", priority="a")
    with pytest.raises(RuntimeError, match=f"^{NO_ACCELERATOR}$"):  # an int is an accelerator index
        tg.Stream(0)
    with pytest.raises(TypeError, match="^cannot pickle 'torch.Stream' object$"):
        pickle.dumps(tg.Stream())


@_without_accelerator
def test_cpu_event():
    # PyTorch 2.13: "torch.Event device_type=cpu, device_index=-1, event_flag=1, event_id=0"
    e = tg.Event(enable_timing=True)
    assert repr(e) == "torch.Event device_type=cpu, device_index=-1, event_flag=1, event_id=0"
    assert repr(tg.Event("meta")) == "torch.Event device_type=meta, device_index=-1, event_flag=0, event_id=0"
    assert (e.device, e.event_id, e.query()) == (tg.device("cpu"), 0, True)
    assert e.synchronize() is None and e.wait() is None and e.wait(tg.Stream()) is None
    assert tg.Stream().wait_event(e) is None
    assert tg.Event() != tg.Event()
    for record in (e.record, lambda: e.record(tg.Stream()), lambda: tg.Stream().record_event(e)):
        with pytest.raises(RuntimeError, match="^cpu backend doesn't support events.$"):
            record()
    with pytest.raises(RuntimeError, match="^meta backend doesn't support events.$"):
        tg.Stream("meta").record_event()
    with pytest.raises(RuntimeError, match="^cpu backend doesn't support events.$"):  # records on the CPU stream
        tg.Stream("meta").wait_stream(tg.Stream())
    with pytest.raises(RuntimeError, match="^Event device type CPU does not match recording stream's device type "
                                           "META.$"):
        tg.Event().record(tg.Stream("meta"))
    with pytest.raises(TypeError, match="^Event\\(\\): argument 'enable_timing' must be bool, not int$"):
        tg.Event(enable_timing=1)
    with pytest.raises(RuntimeError, match=f"^{NO_ACCELERATOR}$"):
        tg.Event(device=0)
    with pytest.raises(NotImplementedError, match="^torch.Event ipc is not supported yet"):
        e.ipc_handle()


@_without_accelerator
def test_cpu_event_elapsed_time_errors():
    timed = tg.Event(enable_timing=True)
    with pytest.raises(ValueError, match="^Both events must be recorded before calculating elapsed time.$"):
        timed.elapsed_time(tg.Event(enable_timing=True))
    with pytest.raises(ValueError, match="^Both events must be created with argument 'enable_timing=True'.$"):
        tg.Event().elapsed_time(tg.Event())
    with pytest.raises(RuntimeError, match="^Event device type META does not match other's device type CPU.$"):
        tg.Event("meta").elapsed_time(timed)
    with pytest.raises(RuntimeError, match="^expected other to be a torch.Event object$"):
        timed.elapsed_time(1)


def test_cuda_stream_without_a_gpu_raises_the_backends_error():
    pytest.importorskip("tensorgraft.cuda", reason="tensorgraft-cuda is not installed")
    if tg.cuda.is_available():
        pytest.skip("this machine has a GPU")
    for make in (lambda: tg.Stream(device="cuda"), lambda: tg.Event(device="cuda:0")):
        with pytest.raises(RuntimeError, match="^no CUDA device was found"):
            make()


def test_accelerator_stream_calls_without_accelerator():
    acc = tg.accelerator
    assert {"current_stream", "set_stream", "get_device_capability", "memory_stats", "Graph",
            "reset_accumulated_memory_stats", "empty_host_cache"} <= set(acc.__all__)
    if acc.is_available():
        pytest.skip("this machine has an accelerator")
    # PyTorch 2.13 (CPU build): a device named -> "Accelerator expected"; otherwise "Cannot access ..."
    for call in (acc.current_stream, acc.get_device_capability, acc.synchronize):
        with pytest.raises(RuntimeError, match="^Accelerator expected$"):
            call("cpu")
        for args in ((), (0,)):
            with pytest.raises(RuntimeError, match=f"^{NO_ACCELERATOR}$"):
                call(*args)
    for call, args in ((acc.memory_stats, ("cpu",)), (acc.reset_accumulated_memory_stats, ()),
                       (acc.empty_host_cache, ()), (acc.set_stream, (tg.Stream("meta"),)), (acc.Graph, ())):
        with pytest.raises(RuntimeError, match=f"^{NO_ACCELERATOR}$"):
            call(*args)


FAKE = pathlib.Path(__file__).parents[2] / "cuda-backend" / "tests" / "fake_cupy"


def test_cuda_streams_and_events_delegate_to_tensorgraft_cuda():
    pytest.importorskip("tensorgraft.cuda", reason="tensorgraft-cuda is not installed")
    if not FAKE.is_dir():
        pytest.skip("tensorgraft-cuda's CuPy stand-in is not in this checkout")
    code = """
        import tensorgraft as tg
        acc = tg.accelerator
        s = tg.Stream()                                   # the accelerator's type by default
        s1 = tg.Stream("cuda:1", priority=-1)
        print(s.device, s.device_type, s.native_handle == s.stream_id, s1.device, s.query())
        e = s.record_event()
        print(e.device, e.query(), isinstance(e, tg.Event))
        start, end = tg.Event(enable_timing=True), tg.Event(enable_timing=True)
        start.record()
        end.record(s)
        print(type(start.elapsed_time(end)).__name__)
        s.wait_event(start); s.wait_stream(s1); start.wait(); start.synchronize()
        with s1:
            print(acc.current_stream(1) == s1, acc.current_device_index())
        print(acc.current_device_index(), acc.current_stream() == s)
        acc.set_stream(s)
        print(acc.current_stream() == s, tg.float32 in acc.get_device_capability()["supported_dtypes"])
        print(list(acc.memory_stats())[0])
        try:
            tg.Event("cuda:1").record(s)
        except RuntimeError as exc:
            print(exc)
    """
    env = dict(os.environ, PYTHONPATH=str(FAKE) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               FAKE_CUPY_DEVICES="2")
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines() == [
        "cuda:0 1 True cuda:1 True", "cuda:0 True True", "float", "True 1", "0 False", "True True",
        "allocated_bytes.all.allocated", "Event device cuda:1 does not match recording stream's device cuda:0."]
