"""Warnings that PyTorch raises from C++ name the line of the user's program that called the op,
whichever route (function, method, out=, one op built on another) led there: ours must too, so
each test asserts that the warning names this file, at the line that made the call."""
import inspect
import warnings

import pytest

import tensorgraft as tg
from tensorgraft.caller_warnings import caller_stacklevel, warn_at_caller


def _next_line():
    """The line after the caller's current one: where the call under test is written."""
    return inspect.currentframe().f_back.f_lineno + 1


def _only_warning(call, match):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    hits = [w for w in caught if match in str(w.message)]
    assert len(hits) == 1, [str(w.message) for w in caught]
    return hits[0]


def _assert_here(w, line):
    assert (w.filename, w.lineno) == (__file__, line)
    assert w.category is UserWarning


# --------------------------------------------------------------------------- the helper itself
def test_warn_at_caller_names_the_first_frame_outside_tensorgraft():
    # tg.std reaches the warning through frontend, op table and kernel helpers: all skipped
    x = tg.tensor([1.0])
    line = _next_line()
    w = _only_warning(lambda: tg.std(x), "std(): degrees of freedom")
    _assert_here(w, line)


def test_warn_at_caller_called_from_user_code_names_that_code():
    # outside tensorgraft, the function calling warn_at_caller is already the user's frame
    def user_function():
        warn_at_caller("from a user function")
    w = _only_warning(user_function, "from a user function")
    assert (w.filename, w.lineno) == (__file__, user_function.__code__.co_firstlineno + 1)


def test_caller_stacklevel_in_user_code_is_one():
    assert caller_stacklevel() == 1


def test_warn_at_caller_category():
    with pytest.warns(FutureWarning, match="later") as rec:
        warn_at_caller("later", FutureWarning)
    assert rec[0].filename == __file__


# --------------------------------------------------------------------------- std / var
@pytest.mark.parametrize("name, call", [
    ("std", lambda x: tg.std(x)),
    ("std", lambda x: x.std()),
    ("std", lambda x: x.std(0, correction=1)),
    ("std", lambda x: tg.std(x, 0, True)),
    ("var", lambda x: tg.var(x)),
    ("var", lambda x: x.var(dim=0)),
    ("var", lambda x: tg.var(x, out=tg.empty(()))),
    ("var_mean", lambda x: tg.var_mean(x)),
    ("std_mean", lambda x: tg.std_mean(x, 0)),
])
def test_degrees_of_freedom_warning_names_the_callers_line(name, call):
    x = tg.tensor([1.0])
    w = _only_warning(lambda: call(x), f"{name}(): degrees of freedom is <= 0")
    # the lambdas in the parametrize list are the user's code that called the op
    _assert_here(w, call.__code__.co_firstlineno)


def test_std_with_dim_names_the_callers_line():
    x = tg.ones(3, 1)
    line = _next_line()
    w = _only_warning(lambda: x.std(dim=1), "std(): degrees of freedom is <= 0")
    _assert_here(w, line)


# --------------------------------------------------------------------------- cov / corrcoef / bincount
def test_cov_warning_names_the_callers_line_through_corrcoef():
    x = tg.ones(1, 1)
    line = _next_line()
    w = _only_warning(lambda: tg.corrcoef(x), "cov(): degrees of freedom is <= 0")
    _assert_here(w, line)


def test_cov_warning_names_the_callers_line_as_a_method():
    x = tg.tensor([1.0])
    line = _next_line()
    w = _only_warning(lambda: x.cov(), "cov(): degrees of freedom is <= 0")
    _assert_here(w, line)


def test_bincount_complex_weights_warning_names_the_callers_line(monkeypatch):
    import tensorgraft.global_switches as switches  # (a submodule: not loaded by ``import tensorgraft``)
    monkeypatch.setattr(switches._state, "warn_always", True)
    x, weights = tg.tensor([0, 1]), tg.tensor([1j, 2j])
    line = _next_line()
    w = _only_warning(lambda: x.bincount(weights), "Casting complex values to real")
    _assert_here(w, line)
    line = _next_line()
    w = _only_warning(lambda: tg.bincount(x, weights=weights), "Casting complex values to real")
    _assert_here(w, line)


def test_complex_cast_warning_is_once_per_process_as_pytorchs(monkeypatch):
    import tensorgraft.global_switches as switches
    monkeypatch.setattr(switches, "_warned_once", set())
    monkeypatch.setattr(switches._state, "warn_always", False)
    x, weights = tg.tensor([0, 1]), tg.tensor([1j, 2j])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        x.bincount(weights)
        x.bincount(weights)
    assert [str(w.message) for w in caught] == ["Casting complex values to real discards the imaginary part"]


# --------------------------------------------------------------------------- data loading
@pytest.mark.skipif(tg.accelerator.is_available(), reason="the warning is about machines without an accelerator")
def test_pin_memory_without_an_accelerator_warns():
    # the meta device is always "available" but is no accelerator to pin memory for
    loader = tg.utils.data.DataLoader(range(4), pin_memory=True)
    w = _only_warning(lambda: next(iter(loader)), "'pin_memory' argument is set as true but no accelerator")
    assert w.category is UserWarning


def test_too_many_workers_warns_when_the_loader_is_built():
    # PyTorch warns at construction too (and again when an epoch starts its workers)
    line = _next_line()
    w = _only_warning(lambda: tg.utils.data.DataLoader(range(4), num_workers=100_000),
                      "This DataLoader will create 100000 worker processes in total.")
    _assert_here(w, line)
