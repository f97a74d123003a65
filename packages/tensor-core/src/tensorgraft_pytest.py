"""pytest plugin (entry point ``pytest11: tensorgraft``): fixtures for testing tensorgraft code
and plugins on every installed device.

This module is loaded into *every* pytest run of an environment where tensorgraft-core is
installed, so it imports nothing but pytest at import time and never fails: tensorgraft itself
is imported only when a test asks for one of the fixtures below.

- ``tg_device``: parametrized over every registered device type that holds values (not ``meta``);
  unavailable ones are skipped with the backend's own reason (e.g. "no CUDA device was found"), never silently passed.
- ``tg_conformance``: the conformance kit (``tensorgraft.testing.conformance``), e.g.
  ``tg_conformance.run_conformance(namespace="example")``.
- ``tg_op`` with the marker ``@pytest.mark.tg_conformance(namespace="example")`` (or
  ``names=[...]``): one test per selected op; ``tg_conformance.check_op(tg_op, raise_=True)``.
"""
from __future__ import annotations

import pytest


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "tg_conformance(namespace=None, names=None): parametrize the tg_op fixture over the ops "
                   "the tensorgraft conformance kit should check")


def _device_params():
    try:
        import tensorgraft  # noqa: F401
        from tensorgraft.device import backends
    except Exception:  # noqa: BLE001 - never break pytest for an unrelated project
        return ["cpu"]
    # the meta device holds no values to compare with the CPU's (it has tests of its own)
    return sorted((t for t, b in backends().items() if getattr(b, "holds_values", True)),
                  key=lambda t: (t != "cpu", t))


def _op_params(marker):
    kwargs = dict(marker.kwargs) if marker is not None else {}
    if marker is not None and marker.args:
        kwargs.setdefault("namespace", marker.args[0])
    try:
        from tensorgraft.testing.conformance import conformance_cases
        names = conformance_cases(names=kwargs.get("names"), namespace=kwargs.get("namespace"))
    except Exception as exc:  # noqa: BLE001 - report it as a failing test, not a collection crash
        return [pytest.param(f"<{type(exc).__name__}: {exc}>", id="conformance-selection-error")]
    if not names:
        return [pytest.param(f"<no op under namespace {kwargs.get('namespace')!r}>", id="no-ops")]
    return names


def pytest_generate_tests(metafunc):
    if "tg_device" in metafunc.fixturenames:
        metafunc.parametrize("tg_device", _device_params(), indirect=True)
    if "tg_op" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("tg_conformance")
        metafunc.parametrize("tg_op", _op_params(marker), indirect=True)


@pytest.fixture
def tg_device(request):
    from tensorgraft.device import backends
    b = backends()[request.param]
    if not b.is_available():
        pytest.skip(b.unavailable_reason())
    return request.param


@pytest.fixture
def tg_op(request):
    name = request.param
    if name.startswith("<"):
        pytest.fail(f"tensorgraft conformance: {name[1:-1]} (did the plugin load? run 'tensorgraft plugins')")
    return name


@pytest.fixture
def tg_conformance():
    from tensorgraft.testing import conformance
    return conformance
