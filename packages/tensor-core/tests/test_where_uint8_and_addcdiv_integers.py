"""``where`` takes a uint8 condition with PyTorch's once-per-process deprecation warning (other
integer conditions are refused); ``addcdiv`` refuses two integral operands whatever ``input`` is."""
import warnings

import pytest

import tensorgraft as tg


def test_where_with_a_uint8_condition_warns_and_selects():
    tg.set_warn_always(True)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = tg.where(tg.tensor([1, 0, 7], dtype=tg.uint8), tg.ones(3), tg.zeros(3))
    finally:
        tg.set_warn_always(False)
    assert out.tolist() == [1.0, 0.0, 1.0]
    assert [str(w.message) for w in caught] == [
        "where received a uint8 condition tensor. This behavior is deprecated and will be removed in a future "
        "version of PyTorch. Use a boolean condition instead."]
    assert caught[0].filename == __file__
    with pytest.raises(RuntimeError, match="where expected condition to be a boolean tensor, but got a tensor with "
                                           "dtype Long"):
        tg.where(tg.tensor([1, 0]), tg.ones(2), tg.zeros(2))


@pytest.mark.parametrize("dtypes", [(tg.int64, tg.int64), (tg.bool, tg.int32)])
def test_addcdiv_refuses_integral_operands_even_with_a_float_input(dtypes):
    a, b = (tg.ones(2, dtype=d) for d in dtypes)
    with pytest.raises(RuntimeError, match=r"^Integer division with addcdiv is no longer supported, and in a future  "
                                           r"release addcdiv will perform a true division"):
        tg.addcdiv(tg.ones(2), a, b)
    assert tg.addcdiv(tg.ones(2), tg.ones(2), b).tolist() == [2.0, 2.0]
