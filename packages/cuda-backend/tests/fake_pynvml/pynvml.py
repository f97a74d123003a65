"""A stand-in for nvidia-ml-py's ``pynvml`` (the functions tensorgraft.cuda calls), for the fake
GPUs of ../fake_cupy: GPU i sits on PCI bus i + 1 and reports figures derived from i, so a test
sees whether the right GPU was asked."""
import types

_initialised = False


def nvmlInit():
    global _initialised
    _initialised = True


def nvmlDeviceGetHandleByPciBusId(bus_id):
    assert _initialised, "nvmlInit was not called"
    text = bus_id.decode() if isinstance(bus_id, bytes) else bus_id
    return int(text.split(":")[1], 16) - 1     # "0000:02:00.0" -> GPU 1


def nvmlDeviceGetUtilizationRates(handle):
    return types.SimpleNamespace(gpu=40 + handle, memory=10)


def nvmlDeviceGetTemperature(handle, sensor):
    assert sensor == 0
    return 60 + handle


def nvmlDeviceGetPowerUsage(handle):
    return 250_000 + handle


def nvmlDeviceGetClockInfo(handle, clock):
    assert clock == 1
    return 1980 + handle


def nvmlDeviceGetMemoryInfo(handle):
    return types.SimpleNamespace(total=80 * 2**30, free=70 * 2**30, used=10 * 2**30 + handle)


def nvmlDeviceGetComputeRunningProcesses(handle):
    if handle == 1:
        return []
    return [types.SimpleNamespace(pid=4242, usedGpuMemory=512 * 2**20),
            types.SimpleNamespace(pid=77, usedGpuMemory=None)]
