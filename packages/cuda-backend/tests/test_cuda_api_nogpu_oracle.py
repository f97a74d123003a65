"""The rest of ``torch.cuda``'s API against PyTorch's CPU build: the same signatures, and where
torch's no-GPU behaviour is a defined answer (not "Torch not compiled with CUDA enabled"), the same
answer, warning and error message."""
import inspect
import warnings

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("tensorgraft.cuda", reason="tensorgraft-cuda is not installed (pip install -e packages/cuda-backend)")

import tensorgraft as tg  # noqa: E402
from tensorgraft.cuda._backend import BACKEND  # noqa: E402
from tensorgraft.testing.oracle import error_of  # noqa: E402

needs_no_gpu = pytest.mark.skipif(BACKEND.is_available() or torch.cuda.is_available(),
                                  reason="a CUDA device is present: the no-GPU behaviour is not observable")

FUNCTIONS = ["memory_stats", "memory_stats_as_nested_dict", "memory_summary", "reset_accumulated_memory_stats",
             "reset_max_memory_allocated", "reset_max_memory_cached", "memory_cached", "max_memory_cached",
             "set_per_process_memory_fraction", "get_per_process_memory_fraction", "caching_allocator_alloc",
             "caching_allocator_delete", "list_gpu_processes", "utilization", "temperature", "power_draw",
             "clock_rate", "device_memory_used", "StreamContext", "stream", "set_stream", "ExternalStream",
             "device_of", "can_device_access_peer", "init", "ipc_collect", "get_arch_list", "get_gencode_flags",
             "is_bf16_supported", "is_tf32_supported", "get_sync_debug_mode", "set_sync_debug_mode",
             "current_blas_handle", "nvtx.range_push", "nvtx.range_pop", "nvtx.range_start", "nvtx.range_end",
             "nvtx.mark", "nvtx.range"]


def _get(module, dotted):
    for part in dotted.split("."):
        module = getattr(module, part)
    return module


def _params(fn):
    """(name, kind, default) of each parameter: what a caller can pass, annotations aside."""
    return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_signatures_match(name):
    assert _params(_get(tg.cuda, name)) == _params(_get(torch.cuda, name))


def test_out_of_memory_error_and_typed_constructor_attributes_match():
    assert (tg.cuda.OutOfMemoryError is tg.OutOfMemoryError) == (torch.cuda.OutOfMemoryError is torch.OutOfMemoryError)
    assert tg.OutOfMemoryError.__mro__[1:] == torch.OutOfMemoryError.__mro__[1:]
    for name in ("FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor",
                 "CharTensor", "ByteTensor", "BoolTensor"):
        ours, theirs = getattr(tg.cuda, name), getattr(torch.cuda, name)
        assert str(ours.dtype) == str(theirs.dtype) and ours.is_cuda is theirs.is_cuda
        assert isinstance(tg.ones(1, dtype=ours.dtype), ours) == isinstance(torch.ones(1, dtype=theirs.dtype), theirs)


def _warned(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = call()
        except (AttributeError, AssertionError):   # torch's CPU build, after warning
            result = "raised"
    return result, [(w.category, str(w.message)) for w in caught]


@needs_no_gpu
@pytest.mark.parametrize("name", ["memory_cached", "max_memory_cached", "reset_max_memory_allocated",
                                  "reset_max_memory_cached"])
def test_deprecated_aliases_warn_the_same(name):
    ours, ours_warnings = _warned(getattr(tg.cuda, name))
    theirs, theirs_warnings = _warned(getattr(torch.cuda, name))
    assert ours_warnings == theirs_warnings and len(ours_warnings) == 1
    if theirs != "raised":
        assert ours == theirs


@needs_no_gpu
def test_no_gpu_answers_match():
    assert tg.cuda.memory_stats() == torch.cuda.memory_stats()
    assert type(tg.cuda.memory_stats()) is type(torch.cuda.memory_stats())
    assert tg.cuda.memory_stats_as_nested_dict() == torch.cuda.memory_stats_as_nested_dict()
    assert tg.cuda.get_arch_list() == torch.cuda.get_arch_list()
    assert tg.cuda.get_gencode_flags() == torch.cuda.get_gencode_flags()
    assert tg.cuda.is_bf16_supported() == torch.cuda.is_bf16_supported()
    assert tg.cuda.is_bf16_supported(False) == torch.cuda.is_bf16_supported(False)
    assert tg.cuda.is_tf32_supported() == torch.cuda.is_tf32_supported()
    assert tg.cuda.set_stream(None) == torch.cuda.set_stream(None)
    with tg.cuda.StreamContext(None) as ours, torch.cuda.StreamContext(None) as theirs:
        assert ours is theirs is None


@needs_no_gpu
def test_no_gpu_errors_match():
    try:
        import pynvml  # noqa: F401
        pytest.skip("pynvml is installed here")
    except ImportError:
        pass
    assert tg.cuda.list_gpu_processes() == torch.cuda.list_gpu_processes()
    for name in ("utilization", "temperature", "power_draw", "clock_rate", "device_memory_used"):
        assert error_of(getattr(tg.cuda, name)) == error_of(getattr(torch.cuda, name))
    for name, args in (("range_push", ("a",)), ("range_pop", ()), ("mark", ("m",))):
        assert error_of(lambda: getattr(tg.cuda.nvtx, name)(*args)) == \
            error_of(lambda: getattr(torch.cuda.nvtx, name)(*args))
    assert error_of(lambda: tg.cuda.device_of(None)) == error_of(lambda: torch.cuda.device_of(None))
    assert error_of(lambda: tg.cuda.caching_allocator_alloc(8, 1.5)) == error_of(
          lambda: torch.cuda.caching_allocator_alloc(8, 1.5))
    ours, theirs = error_of(lambda: tg.cuda.FloatTensor(2)), error_of(lambda: torch.cuda.FloatTensor(2))
    assert ours[0] == theirs[0] == "TypeError"
    assert ours[1].split(". ")[0] == theirs[1].split(". ")[0] == "type torch.cuda.FloatTensor not available"
