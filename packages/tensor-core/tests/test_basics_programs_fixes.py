"""Gaps found by the ``basics_`` programs, pinned without PyTorch (the oracle file holds the same
cases against PyTorch itself): PyTorch's messages, error types and results written out."""
from __future__ import annotations

import numpy as np
import pytest

import tensorgraft as tg


def _error(call):
    with pytest.raises(Exception) as info:
        call()
    return type(info.value).__name__, str(info.value)


def test_out_of_range_index_dimension():
    assert _error(lambda: tg.zeros(4, 6)[:, tg.tensor([0, 6])]) == (
        "IndexError", "index 6 is out of bounds for dimension 0 with size 6")
    assert _error(lambda: tg.zeros(2, 3, 4, 5)[[0], :, [5]]) == (
        "IndexError", "index 5 is out of bounds for dimension 1 with size 4")
    assert _error(lambda: tg.zeros(4, 6)[None, 0, 9]) == (
        "IndexError", "index 9 is out of bounds for dimension 2 with size 6")
    x = tg.zeros(4, 6)
    with pytest.raises(IndexError, match="for dimension 0 with size 6"):
        x[:, [0, 6]] = 1.0
    assert x.sum().item() == 0.0


def test_index_add_refuses_other_source_dtype_before_writing():
    x = tg.zeros(3, 2)
    assert _error(lambda: x.index_add_(0, tg.tensor([0, 1]), tg.ones(2, 2, dtype=tg.float64))) == (
        "RuntimeError", "index_add_(): self (Float) and source (Double) must have the same scalar type")
    assert x.sum().item() == 0.0
    assert _error(lambda: x.index_add(0, tg.tensor([0.0]), tg.ones(1, 2))) == (
        "RuntimeError", "index_add_(): Expected dtype int32/int64 for index but got: Float")
    assert _error(lambda: x.index_add(0, tg.tensor([0]), tg.ones(1, 3))) == (
        "RuntimeError", "source tensor shape must match self tensor shape, excluding the specified dimension. "
                        "Got self.shape = [3, 2] source.shape = [1, 3]")


def test_index_copy_and_fill_checks():
    assert _error(lambda: tg.zeros(3, 2).index_copy(0, tg.tensor([0]), tg.ones(2))) == (
        "IndexError", "index_copy_(): When source and destination are not scalars, their dimensionality must "
                      "match. Source dimensionality (1), destination dimensionality (2)")
    assert _error(lambda: tg.zeros(3, 2).index_copy(0, tg.tensor([0], dtype=tg.int32), tg.ones(1, 2))) == (
        "RuntimeError", "index_copy_(): Expected a long tensor for index, but got Int")
    assert _error(lambda: tg.zeros(3).index_fill(0, tg.tensor([0.0]), 1.0)) == (
        "IndexError", "index_fill_(): Expected dtype int64 for index.")
    assert tg.zeros(3).index_copy(0, tg.tensor([1]), tg.tensor(5.0)).tolist() == [0.0, 5.0, 0.0]


def test_scatter_family_messages_and_max_min():
    assert _error(lambda: tg.zeros(3).scatter_add(0, tg.tensor([0]), tg.ones(1, dtype=tg.int64))) == (
        "RuntimeError", "scatter(): Expected self.dtype to be equal to src.dtype")
    out = tg.zeros(3).scatter_reduce(0, tg.tensor([0, 0]), tg.tensor([2.0, 5.0]), "max", include_self=False)
    assert out.tolist() == [5.0, 0.0, 0.0]
    out = tg.zeros(3).scatter_reduce(0, tg.tensor([0, 0]), tg.tensor([-2.0, -5.0]), "min", include_self=False)
    assert out.tolist() == [-5.0, 0.0, 0.0]


def test_kthvalue_k_out_of_range_is_runtime_error():
    with pytest.raises(RuntimeError, match="selected number k out of range for dimension 0"):
        tg.tensor([1.0, 2.0]).kthvalue(0)


def test_return_type_attribute_errors():
    m = tg.tensor([[1.0, 2.0]]).max(1)
    assert _error(lambda: m.vals) == ("AttributeError", "'torch.return_types.max' object has no attribute 'vals'")
    assert _error(lambda: setattr(m, "values", 1)) == ("AttributeError", "readonly attribute")


def test_numpy_conversion_errors():
    assert _error(lambda: tg.from_numpy(np.array(["a"]))) == (
        "TypeError", "can't convert np.ndarray of type numpy.str_. The only supported types are: float64, float32, "
                     "float16, complex64, complex128, int64, int32, int16, int8, uint64, uint32, uint16, uint8, and "
                     "bool.")
    assert _error(lambda: tg.tensor(np.zeros(2, dtype=">f8")))[0] == "ValueError"
    assert tg.from_numpy(np.zeros(2, dtype=np.uint16)).dtype is tg.uint16  # (a limited dtype since session 23)


def test_inplace_clamp_of_int_with_float_bound():
    x = tg.tensor([1, 2])
    assert _error(lambda: x.clamp_(0.5)) == (
        "RuntimeError", "result type Float can't be cast to the desired output type long int")
    assert _error(lambda: x.clamp_(tg.tensor(0.5))) == (
        "RuntimeError", "result type Float can't be cast to the desired output type Long")
    assert x.tolist() == [1, 2]
    assert x.clamp_(2, 5).tolist() == [2, 2]


def test_bool_and_nan_reductions():
    b = tg.tensor([True, False])
    assert _error(b.argmax) == ("RuntimeError", "argmax(): does not support bool input")
    assert _error(lambda: b.topk(1)) == ("RuntimeError", "topk does not support bool dtypes on CPU")
    assert _error(b.median) == ("NotImplementedError", "\"median_cpu\" not implemented for 'Bool'")
    assert len(tg.tensor([float("nan"), 1.0, float("nan")]).unique()) == 3
    assert _error(lambda: tg.zeros(2).mean(dtype=tg.int64))[0] == "RuntimeError"
    assert _error(lambda: tg.zeros(2).masked_select(tg.ones(2))) == (
        "RuntimeError", "masked_select: expected BoolTensor for mask")


def test_numpy_bool_scalar_promotes_like_a_float():
    assert (tg.tensor([1, 2]) + np.bool_(True)).dtype == tg.float32
    assert tg.full((2,), np.bool_(True)).dtype == tg.float32
    assert (tg.tensor([1, 2]) + True).dtype == tg.int64
    assert tg.tensor(np.bool_(True)).dtype == tg.bool


def test_bool_unary_refusals_without_torch():
    b = tg.tensor([True, False])
    assert _error(b.abs) == ("NotImplementedError", "\"abs_cpu\" not implemented for 'Bool'")
    assert _error(b.floor) == ("NotImplementedError", "\"floor_vml_cpu\" not implemented for 'Bool'")
    assert _error(b.relu) == ("RuntimeError", "Boolean inputs not supported for relu")
    assert _error(tg.tensor([1, 2]).frac) == ("NotImplementedError", "\"frac_cpu\" not implemented for 'Long'")
    assert tg.tensor([-2, 3]).abs().tolist() == [2, 3]


def test_size_argument_mistakes_without_torch():
    assert _error(lambda: tg.zeros((2, 3), (4,))) == ("TypeError", "zeros() takes 1 positional argument but 2 were given")
    assert _error(lambda: tg.zeros(6).reshape((2,), (3,))) == (
        "TypeError", "reshape() takes 1 positional argument but 2 were given")
    assert _error(lambda: tg.zeros(2).new_ones()) == (
        "TypeError", "new_ones() missing 1 required positional arguments: \"size\"")
    assert tg.zeros(2).new_ones(2, 3).shape == (2, 3)


def test_complex_to_real_cast_warns_like_pytorch():
    import warnings
    was = tg.is_warn_always_enabled()
    tg.set_warn_always(True)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = tg.tensor([1 + 2j, -3 - 1j]).float()
    finally:
        tg.set_warn_always(was)
    assert out.tolist() == [1.0, -3.0]
    assert [(w.category, str(w.message)) for w in caught] == [
        (UserWarning, "Casting complex values to real discards the imaginary part")]
    assert caught[0].filename == __file__  # points at the caller's line, as PyTorch's does


@pytest.mark.parametrize("call, name", [(lambda x: x.gather(), "gather"), (lambda x: tg.gather(x), "gather"),
                                        (lambda x: x.narrow(0, 1), "narrow"), (lambda x: x.movedim(0), "movedim"),
                                        (lambda x: tg.cat(), "cat"), (lambda x: x.index_select(0), "index_select")])
def test_missing_argument_errors_name_the_op(call, name):
    # Python's own wording, but with the op's name rather than its factory's inner function
    kind, message = _error(lambda: call(tg.zeros(2, 3)))
    assert kind == "TypeError"
    assert message.startswith(f"{name}() missing ")
