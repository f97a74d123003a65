"""``keepdim`` must be a Python bool, as PyTorch's parser requires: ``keepdim=1``, ``0``, ``None``, a
NumPy bool or a float is a TypeError in PyTorch's words, raised before anything is computed (the
ops of several signatures refuse the call as a whole, as their method spelling words it)."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from tensorgraft.testing.oracle import assert_same_error, assert_values_close, run_in_both  # noqa: E402

X = np.arange(6.0).reshape(2, 3)
BAD = [1, 0, None, np.bool_(True), 1.0]


def _x(m, name):
    t = m.tensor(X)
    return t > 2 if name in ("all", "any") else t


METHODS = ["sum", "mean", "nansum", "nanmean", "prod", "amax", "amin", "max", "min", "median", "nanmedian",
           "logsumexp", "argmax", "argmin", "mode", "var", "std", "all", "any", "norm"]


@pytest.mark.parametrize("keepdim", BAD, ids=repr)
@pytest.mark.parametrize("name", METHODS)
def test_method_with_dim_refuses_a_non_bool_keepdim(name, keepdim):
    if name == "norm":
        assert_same_error(lambda m: _x(m, name).norm(dim=0, keepdim=keepdim))
    else:
        assert_same_error(lambda m: getattr(_x(m, name), name)(0, keepdim=keepdim))


@pytest.mark.parametrize("keepdim", BAD, ids=repr)
@pytest.mark.parametrize("name", ["sum", "nansum", "prod", "amax", "median", "logsumexp", "argmax"])
def test_function_of_one_signature_refuses_a_non_bool_keepdim(name, keepdim):
    assert_same_error(lambda m: getattr(m, name)(_x(m, name), dim=0, keepdim=keepdim))


@pytest.mark.parametrize("name", ["var", "std", "all", "any"])
def test_without_dim_the_call_is_refused_as_a_whole(name):
    assert_same_error(lambda m: getattr(_x(m, name), name)(keepdim=1))


def test_sum_refuses_before_recording_anything():
    def case(m):
        x = m.tensor(X, requires_grad=True)
        try:
            x.sum(1, keepdim=1)
        except TypeError as e:
            return str(e), x.grad_fn, x.grad
    ours, theirs = run_in_both(case)
    assert ours == theirs


@pytest.mark.parametrize("name", ["sum", "mean", "var", "std", "all", "any", "max", "amax"])
def test_bool_keepdim_still_works(name):
    def case(m):
        r = getattr(_x(m, name), name)(1, keepdim=True)
        return r[0] if isinstance(r, tuple) else r
    ours, theirs = run_in_both(case)
    assert_values_close(ours, theirs)
