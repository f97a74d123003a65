"""Tensors next to NumPy arrays and NumPy scalars, as PyTorch 2.13 behaves (expected values written
out; test_numpy_interop_oracle.py compares the same cases with PyTorch itself)."""
import warnings

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft import global_switches

SCALAR_OF_GRAD = ("Converting a tensor with requires_grad=True to a scalar may lead to unexpected behavior.\n"
                  "Consider using tensor.detach() first.")
ARRAYS_SLOW = ("Creating a tensor from a list of numpy.ndarrays is extremely slow. Please consider converting the "
               "list to a single numpy.ndarray with numpy.array() before converting to a tensor.")


@pytest.fixture
def fresh_once():
    """Forget that the once-per-process warnings were given (each test sees its first one)."""
    global_switches._warned_once.difference_update({SCALAR_OF_GRAD, ARRAYS_SLOW})
    yield
    global_switches._warned_once.difference_update({SCALAR_OF_GRAD, ARRAYS_SLOW})


def _messages(call):
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        call()
    return [(w.category, str(w.message), w.filename) for w in seen]


# ----------------------------------------------------------------------------- operators
def test_tensor_op_array_follows_numpy_promotion():
    t = tg.ones(2)  # float32
    r = t * np.array(2.0)  # NumPy's promotion decides: float64 under NumPy 2 (NEP 50), float32 in 1.x
    numpy_says = (np.ones(2, np.float32) * np.array(2.0)).dtype
    assert isinstance(r, tg.Tensor) and r.dtype.np == numpy_says and r.tolist() == [2.0, 2.0]
    assert (t + np.ones(2, np.int64)).dtype == tg.float64
    assert (tg.ones(2, dtype=tg.int64) + np.ones(2, np.int32)).dtype == tg.int64
    assert (t * np.array([2.0], np.float32)).dtype == tg.float32
    assert (t + np.ones((2, 2))).shape == (2, 2)
    assert (t - np.ones(2)).tolist() == [0.0, 0.0]
    assert (t @ np.ones(2)).dtype == tg.float64 and (t @ np.ones(2)).item() == 2.0
    assert (t ** np.full(2, 2.0)).dtype == tg.float64


def test_bool_results_of_numpy_become_uint8():
    b = tg.ones(2, dtype=tg.bool)
    r = b & np.array([True, False])
    assert r.dtype == tg.uint8 and r.tolist() == [1, 0]
    assert np.greater(tg.ones(2), 0).dtype == tg.uint8


def test_numpy_ufunc_on_tensor_gives_tensor():
    r = np.sin(tg.zeros(2))
    assert isinstance(r, tg.Tensor) and r.dtype == tg.float32 and r.tolist() == [0.0, 0.0]
    r0 = np.exp(tg.tensor(0.0))
    assert isinstance(r0, tg.Tensor) and r0.shape == () and r0.item() == 1.0


def test_array_operand_of_tensor_requiring_grad_is_refused():
    pytest.importorskip("tensorgraft.autograd", reason="requires_grad needs the autograd engine")
    x = tg.ones(2, requires_grad=True)
    msg = "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
    for call in (lambda: x + np.ones(2), lambda: x * np.array(2.0), lambda: np.ones(2) / x,
                 lambda: np.sin(x), lambda: np.asarray(x)):
        with pytest.raises(RuntimeError) as e:
            call()
        assert str(e.value) == msg
    assert (x == np.ones(2)).tolist() == [True, True]  # == reads the array as a tensor instead


def test_array_on_the_left():
    t = tg.ones(2)
    with pytest.raises(TypeError, match="Concatenation operation is not implemented for NumPy arrays"):
        np.ones(2) + t
    with pytest.raises(TypeError, match=r"unsupported operand type\(s\) for -: 'numpy.ndarray' and 'Tensor'"):
        np.ones(2) - t
    with pytest.raises(TypeError, match=r"unsupported operand type\(s\) for \*: 'numpy.ndarray' and 'Tensor'"):
        np.array(2.0) * t
    r = np.ones(2) / tg.full((2,), 2.0)  # __rtruediv__ is reciprocal() * array
    assert r.dtype == tg.float64 and r.tolist() == [0.5, 0.5]
    assert (np.ones(2) / tg.ones(2, dtype=tg.int64)).dtype == tg.float64


def test_comparisons_with_arrays():
    t = tg.tensor([0.1])
    with pytest.raises(TypeError, match="'>' not supported between instances of 'Tensor' and 'numpy.ndarray'"):
        _ = t > np.zeros(1)
    with pytest.raises(TypeError, match="'<' not supported between instances of 'numpy.ndarray' and 'Tensor'"):
        _ = np.zeros(1) < t
    # == reads the array as a tensor: a 1-d float64 array promotes, a 0-d one does not
    assert (t == np.array([0.1])).tolist() == [False]
    assert (t == np.array(0.1)).tolist() == [True]
    assert (np.array([0.1]) == t).dtype == tg.bool
    assert (t == np.array(["a"])) is False
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(2\) must match the size of tensor b \(3\)"):
        _ = tg.ones(2) == np.ones(3)
    assert (t != np.zeros(1)) is True  # PyTorch's __ne__ declines: Python's identity fallback


def test_functions_refuse_arrays_with_pytorchs_type_name():
    t = tg.ones(2)
    with pytest.raises(TypeError, match=r"^add\(\): argument 'other' \(position 2\) must be Tensor, not "
                                        r"numpy.ndarray$"):
        tg.add(t, np.ones(2))
    with pytest.raises(TypeError, match=r"^add\(\): argument 'input' \(position 1\) must be Tensor, not "
                                        r"numpy.ndarray$"):
        tg.add(np.ones(2), t)
    with pytest.raises(TypeError, match=r"^mul\(\): argument 'other' \(position 2\) must be Tensor, not str$"):
        tg.mul(t, "a")


def test_inplace_operator_with_array_rebinds():
    t = tg.ones(2)
    u = t
    u += np.ones(2)
    assert u is not t and u.dtype == tg.float64 and t.tolist() == [1.0, 1.0]


def test_numpy_scalars_are_weak_like_python_numbers():
    t = tg.ones(2)
    assert (np.float64(2.0) * t).dtype == tg.float32
    assert (t * np.float32(2)).dtype == tg.float32
    assert (t * np.int64(3)).dtype == tg.float32
    i = tg.ones(2, dtype=tg.int64)
    assert (i * np.float64(2)).dtype == tg.float32
    assert (i * np.int32(2)).dtype == tg.int64
    assert t[np.int64(1)].shape == () and t[np.array([0, 1])].shape == (2,)
    assert tg.tensor(np.float64(1.5)).dtype == tg.float64


def test_as_tensor_shares_memory():
    a = np.ones(3)
    t = tg.as_tensor(a)
    a[0] = 5
    assert t.tolist() == [5.0, 1.0, 1.0]
    c = tg.as_tensor(a, dtype=tg.float32)
    a[1] = 7
    assert c.tolist() == [5.0, 1.0, 1.0]


# ----------------------------------------------------------------------------- scalars from tensors
def test_float_of_tensor_requiring_grad_warns_once(fresh_once):
    pytest.importorskip("tensorgraft.autograd", reason="requires_grad needs the autograd engine")
    x = tg.tensor(1.5, requires_grad=True)
    seen = _messages(lambda: (float(x), float(x * 2), complex(x)))
    assert seen == [(UserWarning, SCALAR_OF_GRAD, __file__)]
    assert _messages(lambda: float(x)) == []


def test_scalar_warning_only_for_float_and_complex_in_grad_mode(fresh_once):
    pytest.importorskip("tensorgraft.autograd", reason="requires_grad needs the autograd engine")
    x = tg.tensor(1.5, requires_grad=True)
    assert _messages(lambda: (int(x), x.item(), bool(x), f"{x:.1f}")) == []
    with tg.no_grad():
        assert _messages(lambda: float(x)) == []
    assert len(_messages(lambda: complex(x))) == 1


def test_scalar_warning_every_time_under_warn_always(fresh_once):
    pytest.importorskip("tensorgraft.autograd", reason="requires_grad needs the autograd engine")
    x = tg.tensor(1.5, requires_grad=True)
    tg.set_warn_always(True)
    try:
        assert len(_messages(lambda: (float(x), float(x)))) == 2
    finally:
        tg.set_warn_always(False)


def test_tensors_in_a_list_are_read_as_numbers(fresh_once):
    assert tg.tensor([tg.ones(1), tg.ones(1)]).shape == (2,)
    assert tg.tensor([tg.tensor(1), tg.tensor(2)]).dtype == tg.int64
    with pytest.raises(ValueError, match="^only one element tensors can be converted to Python scalars$"):
        tg.tensor([tg.ones(2), tg.ones(2)])


def test_list_of_tensors_requiring_grad_warns(fresh_once):
    pytest.importorskip("tensorgraft.autograd", reason="requires_grad needs the autograd engine")
    x = tg.tensor(1.5, requires_grad=True)
    seen = _messages(lambda: tg.tensor([x, x]))
    assert seen == [(UserWarning, SCALAR_OF_GRAD, __file__)]


# ----------------------------------------------------------------------------- lists of arrays
def test_list_of_arrays_warns_once_at_the_callers_line(fresh_once):
    a = np.ones(2)
    seen = _messages(lambda: (tg.tensor([a, a]), tg.FloatTensor([a, a]), tg.tensor((a, a))))
    assert seen == [(UserWarning, ARRAYS_SLOW, __file__)]
    assert tg.tensor([a, a]).tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_list_of_arrays_warns_per_array_under_warn_always(fresh_once):
    a = np.ones(2)
    tg.set_warn_always(True)
    try:
        assert len(_messages(lambda: tg.tensor([a, a]))) == 2
        assert len(_messages(lambda: tg.tensor([a, [1.0, 2.0]]))) == 1
        assert _messages(lambda: tg.tensor([np.ones(0), np.ones(0)])) == []  # nothing copied
        assert _messages(lambda: tg.tensor([np.float64(1.0)])) == []
    finally:
        tg.set_warn_always(False)
