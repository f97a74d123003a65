"""Tensors next to NumPy arrays, scalars and lists of arrays: the same calls in tensorgraft and PyTorch."""
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from tensorgraft.testing.oracle import assert_same_error, assert_same_result, run_in_both  # noqa: E402

RESULTS = {
    "t*0d": lambda lib: lib.ones(2) * np.array(2.0),
    "t+nd": lambda lib: lib.ones(2) + np.ones(2),
    "t+nd int64": lambda lib: lib.ones(2) + np.ones(2, np.int64),
    "int t+nd int32": lambda lib: lib.ones(2, dtype=lib.int64) + np.ones(2, np.int32),
    "int t*0d": lambda lib: lib.ones(2, dtype=lib.int64) * np.array(2.5),
    "t+nd 2d": lambda lib: lib.ones(2) + np.ones((2, 2)),
    "t-nd": lambda lib: lib.ones(2) - np.ones(2),
    "t//nd": lambda lib: lib.ones(2) // np.full(2, 2.0),
    "t%nd": lambda lib: lib.ones(2) % np.full(2, 2.0),
    "t**nd": lambda lib: lib.ones(2) ** np.ones(2),
    "t@nd": lambda lib: lib.ones(2, 2) @ np.ones(2),
    "tb&nd": lambda lib: lib.ones(2, dtype=lib.bool) & np.array([True, False]),
    "nd/t": lambda lib: np.ones(2) / lib.full((2,), 4.0),
    "t==nd": lambda lib: lib.tensor([0.1]) == np.array([0.1]),
    "t==0d": lambda lib: lib.tensor([0.1]) == np.array(0.1),
    "nd==t": lambda lib: np.array([0.1, 1.0]) == lib.tensor([0.1, 1.0]),
    "t==str nd": lambda lib: lib.ones(1) == np.array(["a"]),
    "t!=nd": lambda lib: lib.ones(1) != np.zeros(1),
    "np.sin(t)": lambda lib: np.sin(lib.zeros(2)),
    "np.exp(0d)": lambda lib: np.exp(lib.tensor(0.0)),
    "np.greater": lambda lib: np.greater(lib.ones(2), 0),
    "f64 scalar*t": lambda lib: np.float64(2.0) * lib.ones(2),
    "t*f32 scalar": lambda lib: lib.ones(2) * np.float32(2),
    "t*i64 scalar": lambda lib: lib.ones(2) * np.int64(3),
    "int t*f64 scalar": lambda lib: lib.ones(2, dtype=lib.int64) * np.float64(2),
    "int t*i32 scalar": lambda lib: lib.ones(2, dtype=lib.int64) * np.int32(2),
    "t[np.int64]": lambda lib: lib.arange(3.0)[np.int64(1)],
    "t[nd]": lambda lib: lib.arange(3.0)[np.array([0, 2])],
    "tensor(np.float64)": lambda lib: lib.tensor(np.float64(1.5)),
    "tensor([t1, t1])": lambda lib: lib.tensor([lib.ones(1), lib.ones(1)]),
    "tensor([arr, arr])": lambda lib: lib.tensor([np.ones(2), np.ones(2)]),
}


@pytest.mark.parametrize("case", list(RESULTS))
def test_same_result(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (NumPy 2 deprecates PyTorch's own __array_wrap__ signature)
        ours, theirs = run_in_both(RESULTS[case])
    assert_same_result(ours, theirs)


ERRORS = {
    "nd+t": lambda lib: np.ones(2) + lib.ones(2),
    "nd-t": lambda lib: np.ones(2) - lib.ones(2),
    "0d*t": lambda lib: np.array(2.0) * lib.ones(2),
    "nd@t": lambda lib: np.ones(2) @ lib.ones(2),
    "t>nd": lambda lib: lib.ones(2) > np.zeros(2),
    "nd>t": lambda lib: np.zeros(2) > lib.ones(2),
    "add(t, nd)": lambda lib: lib.add(lib.ones(2), np.ones(2)),
    "add(nd, t)": lambda lib: lib.add(np.ones(2), lib.ones(2)),
    "t+nd broadcast": lambda lib: lib.ones(2) + np.ones(3),
    "t==nd broadcast": lambda lib: lib.ones(2) == np.ones(3),
    "tr+nd": lambda lib: lib.ones(2, requires_grad=True) + np.ones(2),
    "nd/tr": lambda lib: np.ones(2) / lib.ones(2, requires_grad=True),
    "np.sin(tr)": lambda lib: np.sin(lib.ones(2, requires_grad=True)),
    "asarray(tr)": lambda lib: np.asarray(lib.ones(2, requires_grad=True)),
    "tensor([t2, t2])": lambda lib: lib.tensor([lib.ones(2), lib.ones(2)]),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_same_error(case):
    if "tr" in case:
        pytest.importorskip("tensorgraft.autograd", reason="requires_grad needs the autograd engine")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_same_error(ERRORS[case])


def test_requires_grad_tensor_compares_with_array():
    pytest.importorskip("tensorgraft.autograd", reason="requires_grad needs the autograd engine")
    ours, theirs = run_in_both(lambda lib: lib.ones(2, requires_grad=True) == np.ones(2))
    assert_same_result(ours, theirs)


def _warnings_of(call, lib):
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        call(lib)
    return [(w.category.__name__, str(w.message).split(" (Triggered internally")[0], w.lineno) for w in seen]


WARNS = {
    "float(tr)": lambda lib: float(lib.tensor(1.5, requires_grad=True)),
    "complex(tr)": lambda lib: complex(lib.tensor(1.5, requires_grad=True)),
    "int(tr)": lambda lib: int(lib.tensor(1.5, requires_grad=True)),
    "tr.item()": lambda lib: lib.tensor(1.5, requires_grad=True).item(),
    "tensor([tr, tr])": lambda lib: lib.tensor([lib.tensor(1.5, requires_grad=True)] * 2),
    "tensor(tr)": lambda lib: lib.tensor(lib.tensor(1.5, requires_grad=True)),
    "tensor([arr, arr])": lambda lib: lib.tensor([np.ones(2), np.ones(2)]),
    "FloatTensor([arr, arr])": lambda lib: lib.FloatTensor([np.ones(2), np.ones(2)]),
    "as_tensor([arr, [1, 2]])": lambda lib: lib.as_tensor([np.ones(2), [1.0, 2.0]]),
}


@pytest.mark.parametrize("case", list(WARNS))
def test_same_warnings_every_time(case):
    """Under set_warn_always both libraries warn at every call: text, category and line agree."""
    if "tr" in case:
        pytest.importorskip("tensorgraft.autograd", reason="requires_grad needs the autograd engine")
    import tensorgraft
    tensorgraft.set_warn_always(True)
    torch.set_warn_always(True)
    try:
        ours, theirs = _warnings_of(WARNS[case], tensorgraft), _warnings_of(WARNS[case], torch)
    finally:
        tensorgraft.set_warn_always(False)
        torch.set_warn_always(False)
    assert ours == theirs
