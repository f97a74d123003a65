"""Grad modes: no_grad, enable_grad, set_grad_enabled, inference_mode, is_grad_enabled — as
context managers and decorators, and thread-local like PyTorch's."""
import threading

import pytest

import tensorgraft as tg


@pytest.fixture
def x():
    return tg.ones(2, requires_grad=True)


def test_no_grad_context(x):
    assert tg.is_grad_enabled()
    with tg.no_grad():
        assert not tg.is_grad_enabled()
        y = x * 2
        assert x.requires_grad
    assert not y.requires_grad and y.grad_fn is None
    assert tg.is_grad_enabled()
    assert (x * 2).requires_grad


def test_no_grad_restores_after_exception(x):
    with pytest.raises(ValueError):
        with tg.no_grad():
            raise ValueError
    assert tg.is_grad_enabled()


def test_decorators(x):
    @tg.no_grad()
    def f_call(t):
        return t * 2

    @tg.no_grad
    def f_bare(t):
        return t * 2

    @tg.enable_grad()
    def f_enable(t):
        return t * 2

    @tg.set_grad_enabled(False)
    def f_sge(t):
        return t * 2

    @tg.inference_mode()
    def f_inf(t):
        return t * 2

    assert tg.is_grad_enabled()  # decorating must not switch the mode (set_grad_enabled did)
    assert not f_call(x).requires_grad
    assert not f_bare(x).requires_grad
    assert not f_sge(x).requires_grad
    assert not f_inf(x).requires_grad
    assert tg.is_grad_enabled()
    with tg.no_grad():
        assert f_enable(x).requires_grad
        assert not tg.is_grad_enabled()
    assert f_call.__name__ == "f_call"


def test_set_grad_enabled_forms(x):
    with tg.set_grad_enabled(False):
        assert not tg.is_grad_enabled()
        assert not (x * 2).requires_grad
    assert tg.is_grad_enabled()
    tg.set_grad_enabled(False)  # plain call switches the mode
    try:
        assert not tg.is_grad_enabled()
    finally:
        tg.set_grad_enabled(True)
    assert tg.is_grad_enabled()
    with tg.no_grad():
        with tg.set_grad_enabled(True):
            assert (x * 2).requires_grad
        assert not tg.is_grad_enabled()


def test_inference_mode(x):
    with tg.inference_mode():
        assert not tg.is_grad_enabled()
        assert tg.is_inference_mode_enabled()
        assert not (x * 2).requires_grad
    assert not tg.is_inference_mode_enabled()
    with tg.inference_mode(False):
        assert (x * 2).requires_grad


def test_autograd_namespace_exports_modes():
    for name in ("no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled"):
        assert getattr(tg.autograd, name) is getattr(tg, name)


def test_grad_mode_is_thread_local(x):
    seen = {}

    def worker():
        seen["enabled"] = tg.is_grad_enabled()
        seen["records"] = (x * 2).requires_grad
        with tg.no_grad():
            seen["inner"] = tg.is_grad_enabled()

    with tg.no_grad():
        t = threading.Thread(target=worker)
        t.start()
        t.join()
        assert not tg.is_grad_enabled()  # the thread's no_grad exit did not touch ours
    assert seen == {"enabled": True, "records": True, "inner": False}


def test_backward_runs_with_grad_mode_off_and_restores_it(x, monkeypatch):
    monkeypatch.setattr(tg.autograd, "_warned_create_graph", False)  # PyTorch warns once per process
    seen = []
    y = x * 2
    y.register_hook(lambda g: seen.append(tg.is_grad_enabled()))
    y.sum().backward()
    assert seen == [False]
    assert tg.is_grad_enabled()
    y = x * 2
    y.register_hook(lambda g: seen.append(tg.is_grad_enabled()))
    with pytest.warns(UserWarning, match="create_graph=True will create a reference cycle"):
        y.sum().backward(create_graph=True)
    assert seen == [False, True]
    assert tg.is_grad_enabled()
