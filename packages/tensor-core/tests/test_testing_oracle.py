"""``tensorgraft.testing.oracle`` without PyTorch: the module imports, the helpers that need torch
say how to install it, and the ones that do not need it work on tensorgraft tensors and arrays.
(With PyTorch, each helper against real torch results: test_testing_oracle_oracle.py.)"""
import importlib
import sys

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.testing import oracle


@pytest.fixture
def no_torch(monkeypatch):
    """Make ``import torch`` fail, as where PyTorch is not installed."""
    monkeypatch.setitem(sys.modules, "torch", None)


def test_the_module_imports_without_torch(no_torch, monkeypatch):
    import tensorgraft.testing
    monkeypatch.delitem(sys.modules, "tensorgraft.testing.oracle")
    monkeypatch.setattr(tensorgraft.testing, "oracle", oracle)  # the import below rebinds it; put it back after
    fresh = importlib.import_module("tensorgraft.testing.oracle")
    assert fresh is not oracle and callable(fresh.assert_same_error)


def test_require_torch_says_to_install_it(no_torch):
    with pytest.raises(ModuleNotFoundError, match=r"pip install torch") as info:
        oracle.require_torch()
    assert info.value.name == "torch"
    assert "tensorgraft.testing.oracle compares with PyTorch" in str(info.value)


@pytest.mark.parametrize("call", [
    lambda: oracle.as_both([1.0, 2.0]),
    lambda: oracle.run_in_both(lambda lib: lib.ones(2)),
    lambda: oracle.assert_same_result(tg.ones(2), np.ones(2)),
    lambda: oracle.assert_same_error(lambda lib: lib.ones(2).view(3)),
    lambda: oracle.assert_same_refusal(lambda lib: lib.ones(2).to_sparse().exp()),
], ids=["as_both", "run_in_both", "assert_same_result", "assert_same_error_one_callable", "assert_same_refusal"])
def test_helpers_that_need_torch_say_to_install_it(no_torch, call):
    with pytest.raises(ModuleNotFoundError, match=r"pip install torch"):
        call()


def test_seeded_normal_draws_from_its_own_generator(no_torch):
    np.random.seed(1)
    first = oracle.seeded_normal(3, 4, seed=7)
    np.random.seed(2)  # the global NumPy state does not matter
    again = oracle.seeded_normal(3, 4, seed=7)
    assert first.shape == (3, 4) and first.dtype == np.float64
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(first, np.random.default_rng(7).standard_normal((3, 4)))
    assert not np.array_equal(first, oracle.seeded_normal(3, 4, seed=8))
    np.testing.assert_array_equal(oracle.seeded_normal(3, 4, seed=7, scale=0.5), 0.5 * first)
    small = oracle.seeded_normal(5, seed=7, dtype=np.float32)
    assert small.dtype == np.float32
    np.testing.assert_array_equal(small, np.random.default_rng(7).standard_normal(5).astype(np.float32))


def test_to_numpy_takes_tensors_and_arrays(no_torch):
    t = tg.tensor([[1.0, 2.0]], dtype=tg.float64)
    got = oracle.to_numpy(t)
    assert isinstance(got, np.ndarray) and got.dtype == np.float64
    np.testing.assert_array_equal(got, [[1.0, 2.0]])
    np.testing.assert_array_equal(oracle.to_numpy([3, 4]), np.array([3, 4]))
    np.testing.assert_array_equal(oracle.to_numpy(tg.tensor([1j]).conj()), [-1j])


def test_grad_fn_name():
    pytest.importorskip("tensorgraft.autograd", reason="recording history needs tensorgraft-autograd")
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    assert oracle.grad_fn_name(x) is None
    assert oracle.grad_fn_name(x * 2) == "MulBackward0"
    assert oracle.grad_fn_name((x * 2).sum()) == "SumBackward0"


def test_error_of():
    assert oracle.error_of(lambda: 1) is None
    assert oracle.error_of(lambda: int("x")) == ("ValueError", "invalid literal for int() with base 10: 'x'")
    assert oracle.error_of(lambda: tg.ones(2).view(3)) == oracle.error_of(lambda: tg.ones(2).view(3))


def _raise(exc):
    def call():
        raise exc
    return call


def test_assert_same_error_with_two_callables_needs_no_torch(no_torch):
    got = oracle.assert_same_error(_raise(ValueError("bad size")), _raise(ValueError("bad size")))
    assert isinstance(got, ValueError)
    with pytest.raises(AssertionError, match="messages differ"):
        oracle.assert_same_error(_raise(ValueError("bad")), _raise(ValueError("bad size")))
    with pytest.raises(AssertionError, match="raises TypeError .* where PyTorch raises ValueError"):
        oracle.assert_same_error(_raise(TypeError("bad size")), _raise(ValueError("bad size")))
    with pytest.raises(AssertionError, match="tensorgraft raised nothing"):
        oracle.assert_same_error(lambda: None, _raise(ValueError("bad size")))
    with pytest.raises(AssertionError, match="PyTorch raised no error"):
        oracle.assert_same_error(_raise(ValueError("bad size")), lambda: None)


def test_assert_values_close_on_tensorgraft_and_numpy(no_torch):
    t = tg.tensor([1.0, 2.0], dtype=tg.float64)
    oracle.assert_values_close(t, np.array([1.0, 2.0 + 1e-9]))
    with pytest.raises(AssertionError, match="Not equal to tolerance"):
        oracle.assert_values_close(t, np.array([1.0, 2.1]))
    with pytest.raises(AssertionError, match=r"shape \(2,\) where PyTorch gives \(1, 2\)"):
        oracle.assert_values_close(t, np.array([[1.0, 2.0]]))
    with pytest.raises(AssertionError, match="dtype float64 where PyTorch gives float32"):
        oracle.assert_values_close(t, np.array([1.0, 2.0], dtype=np.float32))
    oracle.assert_values_close(t, np.array([1.0, 2.0], dtype=np.float32), check_dtype=False)
