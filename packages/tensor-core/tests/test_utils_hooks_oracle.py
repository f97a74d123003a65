"""tensorgraft.utils.hooks against torch.utils.hooks: the handle's state and errors, and the
warning about hooks that saving a tensor drops."""
from __future__ import annotations

import importlib
import re
import warnings
from collections import OrderedDict

import pytest

torch = pytest.importorskip("torch")
from tensorgraft.testing.oracle import assert_same_error, run_in_both  # noqa: E402


def _hooks(lib):
    return importlib.import_module(f"{lib.__name__}.utils.hooks")


def test_handle_state_matches():
    def state(lib):
        H = _hooks(lib)
        d, e = OrderedDict(), OrderedDict()
        h = H.RemovableHandle(d, extra_dict=e)
        d[h.id], e[h.id] = "f", True
        s = h.__getstate__()
        with h:
            pass
        return type(s).__name__, len(s), s[0] is d, s[2] == (e,), dict(d), dict(e), len(h.extra_dict_ref)
    ours, theirs = run_in_both(state)
    assert ours == theirs


@pytest.mark.parametrize("call", [
    lambda H: H.RemovableHandle(OrderedDict(), OrderedDict()),
    lambda H: H.RemovableHandle({}),
    lambda H: H.RemovableHandle([]),
])
def test_errors_match(call):
    assert_same_error(lambda lib: call(_hooks(lib)))


def test_warning_text_matches():
    def warned(lib):
        pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
        x = lib.ones(2, requires_grad=True)

        def my_hook(g):
            return g

        x.register_hook(my_hook)
        quiet = lib.ones(2, requires_grad=True)
        quiet.register_hook(_hooks(lib).unserializable_hook(lambda g: g))
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            _hooks(lib).warn_if_has_hooks(x)
            _hooks(lib).warn_if_has_hooks(quiet)
        return [(r.category.__name__, re.sub(r"0x[0-9a-f]+", "ADDR", str(r.message))) for r in record]
    ours, theirs = run_in_both(warned)
    assert ours == theirs and len(ours) == 1
