"""pytest plugin (entry point ``pytest11: tensorgraft``): fixtures for testing tensorgraft code
and plugins on every installed device.

- ``tg_device``: parametrized over every registered device type; unavailable ones are skipped
  with the backend's own reason (e.g. "no CUDA device was found"), never silently passed.
"""
from __future__ import annotations

import pytest


def _device_params():
    try:
        import tensorgraft  # noqa: F401
        from tensorgraft.device import backends
    except Exception:  # noqa: BLE001 - never break pytest for an unrelated project
        return ["cpu"]
    return sorted(backends(), key=lambda t: (t != "cpu", t))


def pytest_generate_tests(metafunc):
    if "tg_device" in metafunc.fixturenames:
        metafunc.parametrize("tg_device", _device_params(), indirect=True)


@pytest.fixture
def tg_device(request):
    from tensorgraft.device import backends
    b = backends()[request.param]
    if not b.is_available():
        pytest.skip(b.unavailable_reason())
    return request.param
