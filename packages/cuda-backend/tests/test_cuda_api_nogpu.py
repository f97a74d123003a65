"""The rest of ``torch.cuda``'s API on a machine without a GPU (or without CuPy): statistics are
empty or zero, resets do nothing, capabilities answer "none", and everything that needs a device
raises RuntimeError("no CUDA device was found: ...") before changing any state."""
import warnings

import pytest

pytest.importorskip("tensorgraft.cuda", reason="tensorgraft-cuda is not installed (pip install -e packages/cuda-backend)")

import tensorgraft as tg  # noqa: E402
from tensorgraft.cuda._backend import BACKEND  # noqa: E402

pytestmark = pytest.mark.skipif(BACKEND.is_available(),
                                reason="a CUDA device is available: the no-GPU behaviour is not observable")
NO_DEVICE = "^no CUDA device was found"


def test_statistics_are_empty_or_zero_and_resets_do_nothing():
    stats = tg.cuda.memory_stats()
    assert type(stats).__name__ == "OrderedDict" and stats == {}
    assert tg.cuda.memory_stats_as_nested_dict() == {}
    summary = tg.cuda.memory_summary()
    assert "device ID 0" in summary and "CUDA OOMs: 0" in summary
    assert "| Allocated memory      |    0 bytes |    0 bytes |    0 bytes |    0 bytes |" in summary
    tg.cuda.reset_accumulated_memory_stats()
    assert tg.cuda.max_memory_reserved() == 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(FutureWarning, match="memory_cached` has been renamed"):
            tg.cuda.memory_cached()
    with pytest.warns(FutureWarning, match="max_memory_cached` has been renamed"):
        assert tg.cuda.max_memory_cached() == 0
    with pytest.warns(FutureWarning, match="reset_max_memory_allocated now calls"):
        tg.cuda.reset_max_memory_allocated()
    with pytest.warns(FutureWarning, match="reset_max_memory_cached now calls"):
        tg.cuda.reset_max_memory_cached()
    tg.cuda.empty_cache()


@pytest.mark.parametrize("call", [
    lambda: tg.cuda.set_per_process_memory_fraction(0.5),
    lambda: tg.cuda.get_per_process_memory_fraction(),
    lambda: tg.cuda.caching_allocator_alloc(16),
    lambda: tg.cuda.can_device_access_peer(0, 1),
    lambda: tg.cuda.init(),
    lambda: tg.cuda.ipc_collect(),
    lambda: tg.cuda.get_sync_debug_mode(),
    lambda: tg.cuda.set_sync_debug_mode("warn"),
    lambda: tg.cuda.current_blas_handle(),
    lambda: tg.cuda.ExternalStream(0),
    lambda: tg.cuda.set_stream(tg.cuda.Stream()),
], ids=["set_fraction", "get_fraction", "caching_alloc", "peer", "init", "ipc_collect", "get_sync", "set_sync",
        "blas", "external_stream", "set_stream"])
def test_what_needs_a_device_raises_the_reason(call):
    with pytest.raises(RuntimeError, match=NO_DEVICE):
        call()
    assert tg.cuda.is_initialized() is False


def test_bad_arguments_are_reported_before_the_missing_device():
    with pytest.raises(TypeError, match="must be `float`"):
        tg.cuda.set_per_process_memory_fraction(1)
    with pytest.raises(ValueError, match=r"Invalid fraction value: 2.0. Allowed range: 0~1"):
        tg.cuda.set_per_process_memory_fraction(2.0)
    with pytest.raises(ValueError, match="Expected a torch.device with a specified index or an integer"):
        tg.cuda.caching_allocator_alloc(16, 1.5)
    with pytest.raises(RuntimeError, match="invalid value of debug_mode"):
        tg.cuda.set_sync_debug_mode("loud")
    with pytest.raises(RuntimeError, match="invalid device pointer: 0x10"):
        tg.cuda.caching_allocator_delete(16)


def test_capabilities_without_a_device():
    assert tg.cuda.get_arch_list() == []
    assert tg.cuda.get_gencode_flags() == ""
    assert tg.cuda.is_bf16_supported() is False and tg.cuda.is_bf16_supported(False) is False
    assert tg.cuda.is_tf32_supported() is False


def test_stream_context_and_device_of_need_no_device_for_none_and_cpu():
    with tg.cuda.StreamContext(None) as s:
        assert s is None
    with tg.cuda.stream(None) as s:
        assert s is None
    assert tg.cuda.set_stream(None) is None
    with tg.cuda.device_of(tg.ones(1)):
        pass
    with pytest.raises(AttributeError, match="'NoneType' object has no attribute 'is_cuda'"):
        tg.cuda.device_of(None)


def test_nvml_and_nvtx_without_their_libraries():
    pytest.importorskip("tensorgraft")
    try:
        import pynvml  # noqa: F401
        pytest.skip("pynvml is installed here")
    except ImportError:
        pass
    assert tg.cuda.list_gpu_processes() == "pynvml module not found, please install nvidia-ml-py"
    for name in ("utilization", "temperature", "power_draw", "clock_rate", "device_memory_used"):
        with pytest.raises(ModuleNotFoundError, match="^nvidia-ml-py does not seem to be installed"):
            getattr(tg.cuda, name)()
    for call in (lambda: tg.cuda.nvtx.range_push("a"), tg.cuda.nvtx.range_pop, lambda: tg.cuda.nvtx.mark("m"),
                 lambda: tg.cuda.nvtx.range_start("a"), lambda: tg.cuda.nvtx.range_end(1)):
        with pytest.raises(RuntimeError, match="^NVTX functions not installed. Are you sure you have a CUDA build"):
            call()
    with pytest.raises(RuntimeError, match="^NVTX functions not installed"):
        with tg.cuda.nvtx.range("x"):
            pass


def test_typed_constructors_without_a_device():
    for name, dt in (("FloatTensor", tg.float32), ("DoubleTensor", tg.float64), ("HalfTensor", tg.float16),
                     ("LongTensor", tg.int64), ("IntTensor", tg.int32), ("ShortTensor", tg.int16),
                     ("CharTensor", tg.int8), ("ByteTensor", tg.uint8), ("BoolTensor", tg.bool)):
        cls = getattr(tg.cuda, name)
        assert cls.dtype is dt and cls.is_cuda is True and cls.__module__ == "tensorgraft.cuda"
        assert not isinstance(tg.ones(1, dtype=dt), cls)
        with pytest.raises(TypeError, match=rf"^type torch.cuda.{name} not available. no CUDA device was found"):
            cls(2)


def test_out_of_memory_error_is_the_core_one():
    assert tg.cuda.OutOfMemoryError is tg.OutOfMemoryError
    assert issubclass(tg.cuda.OutOfMemoryError, RuntimeError)
