"""GPU health figures from NVML (the library behind ``nvidia-smi``), through ``pynvml``.

As in PyTorch these need the optional ``nvidia-ml-py`` package; without it they raise (and
``list_gpu_processes`` says so). NVML numbers GPUs its own way, ignoring CUDA_VISIBLE_DEVICES, so a
CUDA device is looked up by its PCI bus id.
"""
from __future__ import annotations

NVML_MISSING = "nvidia-ml-py does not seem to be installed or it can't be imported."
NVML_TEMPERATURE_GPU = 0   # nvml.h: the GPU die's sensor
NVML_CLOCK_SM = 1          # nvml.h: the streaming multiprocessors' clock


def _pynvml():
    try:
        import pynvml
    except ImportError as exc:
        raise ModuleNotFoundError(NVML_MISSING) from exc
    return pynvml


def _handle(pynvml, device):
    """NVML's handle for a CUDA device (None: the current one)."""
    from . import _B, _index
    cp = _B.cupy()
    index = _index(device)
    pynvml.nvmlInit()
    bus_id = cp.cuda.Device(index).pci_bus_id
    return pynvml.nvmlDeviceGetHandleByPciBusId(bus_id.encode() if isinstance(bus_id, str) else bus_id), index


def _reading(device, query) -> int:
    """One NVML figure of a CUDA device (None: the current one): ``query(pynvml, handle)`` as an int."""
    pynvml = _pynvml()
    handle, _ = _handle(pynvml, device)
    return int(query(pynvml, handle))


def utilization(device=None) -> int:
    """Percent of the last sample period during which a kernel was running on the GPU."""
    return _reading(device, lambda nvml, handle: nvml.nvmlDeviceGetUtilizationRates(handle).gpu)


def temperature(device=None) -> int:
    """The GPU sensor's average temperature in degrees Celsius."""
    return _reading(device, lambda nvml, handle: nvml.nvmlDeviceGetTemperature(handle, NVML_TEMPERATURE_GPU))


def power_draw(device=None) -> int:
    """The GPU's average power draw in milliwatts."""
    return _reading(device, lambda nvml, handle: nvml.nvmlDeviceGetPowerUsage(handle))


def clock_rate(device=None) -> int:
    """The SM clock in MHz."""
    return _reading(device, lambda nvml, handle: nvml.nvmlDeviceGetClockInfo(handle, NVML_CLOCK_SM))


def device_memory_used(device=None) -> int:
    """Device memory in use, in bytes, by every process (as nvidia-smi reports it)."""
    return _reading(device, lambda nvml, handle: nvml.nvmlDeviceGetMemoryInfo(handle).used)


def list_gpu_processes(device=None) -> str:
    """The processes running on the GPU and the device memory each uses, one per line."""
    try:
        pynvml = _pynvml()
    except ModuleNotFoundError:
        return "pynvml module not found, please install nvidia-ml-py"
    handle, index = _handle(pynvml, device)
    lines = [f"GPU:{index}"]
    processes = pynvml.nvmlDeviceGetComputeRunningProcesses(handle)
    if not processes:
        lines.append("no processes are running")
    for p in processes:
        megabytes = (p.usedGpuMemory or 0) / (1024 * 1024)
        lines.append(f"process {p.pid:>10d} uses {megabytes:>12.3f} MB GPU memory")
    return "\n".join(lines)
