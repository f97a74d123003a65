"""nn, autograd and optim warnings name the user's line, as PyTorch's C++ ones do (and as its Python
ones do where their stacklevel reaches the user): each test asserts the warning names this file, at
the line that made the call."""
import warnings

import pytest

import tensorgraft as tg
import tensorgraft.global_switches as switches
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F

UNEVEN_SAME = "Using padding='same' with even kernel lengths and odd dilation"


def _caught(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return caught


def _only_warning(call, match):
    hits = [w for w in _caught(call) if match in str(w.message)]
    assert len(hits) == 1, [str(w.message) for w in hits]
    return hits[0]


def _assert_at(w, line, category=UserWarning):
    assert (w.filename, w.lineno) == (__file__, line)
    assert w.category is category


@pytest.fixture
def warn_always(monkeypatch):
    monkeypatch.setattr(switches._state, "warn_always", True)


# --------------------------------------------------------------------------- conv padding='same'
@pytest.mark.usefixtures("warn_always")
@pytest.mark.parametrize("call", [
    lambda: F.conv1d(tg.ones(1, 1, 5), tg.ones(1, 1, 2), padding="same"),
    lambda: F.conv2d(tg.ones(1, 1, 5, 5), tg.ones(1, 1, 2, 2), padding="same"),
    lambda: F.conv2d(tg.ones(1, 5, 5), tg.ones(1, 1, 2, 3), padding="same"),  # unbatched
    lambda: F.conv3d(tg.ones(1, 1, 4, 4, 4), tg.ones(1, 1, 2, 2, 2), padding="same"),
    lambda: nn.Conv2d(1, 1, 2, padding="same")(tg.ones(1, 1, 4, 4)),
])
def test_uneven_same_padding_warns_at_the_callers_line(call):
    w = _only_warning(call, UNEVEN_SAME)
    _assert_at(w, call.__code__.co_firstlineno)


@pytest.mark.usefixtures("warn_always")
def test_even_same_padding_does_not_warn():
    assert _caught(lambda: F.conv2d(tg.ones(1, 1, 5, 5), tg.ones(1, 1, 3, 3), padding="same")) == []


def test_uneven_same_padding_warns_once_per_process_for_every_conv(monkeypatch):
    # one ATen site for all convs: after conv1d has warned, conv2d and conv3d stay silent
    monkeypatch.setattr(switches, "_warned_once", set())
    monkeypatch.setattr(switches._state, "warn_always", False)
    caught = _caught(lambda: (F.conv1d(tg.ones(1, 1, 5), tg.ones(1, 1, 2), padding="same"),
                              F.conv1d(tg.ones(1, 1, 5), tg.ones(1, 1, 2), padding="same"),
                              F.conv2d(tg.ones(1, 1, 5, 5), tg.ones(1, 1, 2, 2), padding="same"),
                              F.conv3d(tg.ones(1, 1, 4, 4, 4), tg.ones(1, 1, 2, 2, 2), padding="same")))
    assert [str(w.message)[:len(UNEVEN_SAME)] for w in caught] == [UNEVEN_SAME]


# --------------------------------------------------------------------------- backward
def test_full_backward_hook_without_input_grads_warns_at_the_backward_line():
    m = nn.Linear(2, 2)
    m.register_full_backward_hook(lambda *a: None)
    loss = m(tg.ones(1, 2)).sum()
    backward = lambda: loss.backward()  # noqa: E731 - the user's line the warning must name
    w = _only_warning(backward, "Full backward hook is firing")
    _assert_at(w, backward.__code__.co_firstlineno)


@pytest.mark.usefixtures("warn_always")
@pytest.mark.parametrize("call", [
    lambda x: (x * x).sum().backward(create_graph=True),
    lambda x: tg.autograd.backward((x * x).sum(), create_graph=True),
])
def test_create_graph_warning_names_the_backward_call(call):
    x = tg.ones(2, requires_grad=True)
    w = _only_warning(lambda: call(x), "Using backward() with create_graph=True")
    _assert_at(w, call.__code__.co_firstlineno)


def test_create_graph_warning_repeats_under_set_warn_always(monkeypatch):
    # (once per process otherwise, as PyTorch's TORCH_WARN_ONCE)
    monkeypatch.setattr(tg.autograd, "_warned_create_graph", True)
    x = tg.ones(2, requires_grad=True)
    assert _caught(lambda: (x * x).sum().backward(create_graph=True)) == []
    monkeypatch.setattr(switches._state, "warn_always", True)
    assert len(_caught(lambda: (x * x).sum().backward(create_graph=True))) == 1
