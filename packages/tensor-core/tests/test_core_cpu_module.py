"""tensorgraft.cpu: the device module for device-agnostic code (streams, events, capabilities)."""
from __future__ import annotations

import platform

import tensorgraft as tg


def test_device_functions():
    cpu = tg.cpu
    assert cpu.is_available() and cpu.is_initialized() and cpu.device_count() == 1
    assert cpu.current_device() == "cpu"
    assert cpu.set_device("cpu") is None and cpu.synchronize() is None and cpu.synchronize("cpu") is None
    assert set(cpu.__all__) <= set(dir(cpu))


def test_streams_and_events():
    cpu = tg.cpu
    default = cpu.current_stream()
    s = cpu.Stream(priority=0)
    with cpu.stream(s):
        assert cpu.current_stream() is s
        with cpu.stream(None):  # None leaves the current stream alone
            assert cpu.current_stream() is s
    assert cpu.current_stream() is default
    assert isinstance(cpu.stream(s), cpu.StreamContext)
    e = cpu.Event()
    e.record(s)
    assert e.query() and e.synchronize() is None and e.wait() is None
    assert s.wait_stream(default) is None and s.wait_event(e) is None and s.record_event() is None


def test_capabilities():
    caps = tg.cpu.get_capabilities()
    assert caps is tg.cpu.get_capabilities()  # computed once
    assert caps["num_logical_cores"] >= 1
    machine = platform.machine().lower()
    if machine in ("x86_64", "amd64"):
        assert caps["architecture"] == "x86_64"
        assert all(isinstance(caps[k], bool) for k in ("sse", "sse2", "avx", "avx2", "avx512_f", "fma3"))
        assert caps["sse2"]  # every x86-64 processor has SSE2
        if caps["avx2"]:
            assert caps["avx"]
    try:
        caps["sse"] = False
    except TypeError:
        pass
    else:
        raise AssertionError("the capabilities mapping must be read-only")
