"""Argument handling added in the second sweep, with the expected results written out."""
import pytest

import tensorgraft as tg


def test_add_two_numbers():
    r = tg.add(1, 2)
    assert r.dtype == tg.int64 and r.shape == () and r.item() == 3


def test_add_two_numbers_alpha():
    assert tg.add(1, 2, alpha=3).item() == 7
    assert tg.sub(1, 2).item() == -1


def test_div_two_ints_is_float():
    r = tg.div(1, 2)
    assert r.dtype == tg.float32 and r.item() == 0.5
    r = tg.div(7, 2, rounding_mode="floor")
    assert r.dtype == tg.int64 and r.item() == 3


def test_mul_two_numbers_and_out():
    assert tg.mul(2, 2.5).item() == 5.0
    out = tg.empty(())
    assert tg.mul(3, 2, out=out) is out and out.item() == 6.0
    assert tg.floor_divide(7, 2).item() == 3


def test_mul_method_and_tensor_operands():
    x = tg.tensor([1.0, 2.0])
    assert x.mul(x).tolist() == [1.0, 4.0]
    assert tg.mul(x, 3, out=tg.empty(2)).tolist() == [3.0, 6.0]


def test_pow_two_numbers_still_refused():
    with pytest.raises(TypeError):
        tg.pow(2, 3)


def test_matmul_operator_with_number_is_python_error():
    with pytest.raises(TypeError, match=r"unsupported operand type\(s\) for @: 'Tensor' and 'int'"):
        tg.ones(2, 2) @ 2
    assert tg.ones(2, 2).__matmul__(2) is NotImplemented
    assert (tg.ones(2, 3) @ tg.ones(3, 4)).shape == (2, 4)


def test_masked_fill_shape_checked_before_mask_dtype():
    with pytest.raises(RuntimeError, match=r"size of tensor a \(2\) must match the size of tensor b \(4\)"):
        tg.ones(3, 4).masked_fill(tg.tensor([1, 0]), 2.0)
    with pytest.raises(RuntimeError, match="only supports boolean masks"):
        tg.ones(3, 4).masked_fill_(tg.tensor([1, 0]), 2.0)


def test_masked_fill_value_must_be_a_number():
    with pytest.raises(TypeError, match=r"masked_fill\(\) received an invalid combination of arguments - got "
                                        r"\(Tensor, str\)"):
        tg.ones(2).masked_fill(tg.ones(2, dtype=tg.bool), "a")
    with pytest.raises(TypeError, match="got \\(Tensor, NoneType\\)"):
        tg.ones(2).masked_fill(tg.ones(2, dtype=tg.bool), None)


def test_where_value_must_be_a_number():
    with pytest.raises(TypeError, match=r"where\(\) received an invalid combination of arguments - got "
                                        r"\(Tensor, Tensor, str\)"):
        tg.where(tg.ones(2) > 0, tg.ones(2), "a")


def test_shape_words():
    x = tg.ones(3, 4)
    with pytest.raises(TypeError, match=r"^reshape\(\) takes 1 positional argument but 2 were given$"):
        x.reshape(2.5, -1)
    with pytest.raises(TypeError, match=r"reshape\(\): argument 'shape' \(position 1\) must be tuple of ints, but "
                                        r"found element of type float at pos 0"):
        x.reshape((2.5, -1))
    with pytest.raises(TypeError, match=r"expand\(\): argument 'size' failed to unpack the object at pos 2"):
        x.expand(3, 4.0)
    with pytest.raises(TypeError, match=r"tile\(\): argument 'dims' \(position 1\) must be tuple of ints, not float"):
        x.tile(2.0)
    assert x.view(tg.tensor(2), 6).shape == (2, 6)


def test_split_narrow_movedim_diagonal_words():
    x = tg.ones(3, 4)
    with pytest.raises(TypeError, match=r"split_with_sizes\(\): argument 'split_sizes' \(position 2\) must be "
                                        r"tuple of ints, not float"):
        x.split(1.5)
    with pytest.raises(TypeError, match=r"narrow\(\) received an invalid combination of arguments - got "
                                        r"\(int, float, int\)"):
        x.narrow(0, 0.5, 1)
    with pytest.raises(TypeError, match=r"movedim\(\) received an invalid combination of arguments - got "
                                        r"\(float, int\)"):
        x.movedim(0.5, 1)
    with pytest.raises(TypeError, match=r"diagonal\(\): argument 'offset' must be int, not float"):
        x.diagonal(offset=1.5)
    assert x.movedim(0, 1).shape == (4, 3) and x.narrow(1, 1, 2).shape == (3, 2)


def test_missing_dims_worded_as_pytorch():
    x = tg.ones(3, 4)
    with pytest.raises(TypeError, match='^cumsum\\(\\) missing 1 required positional arguments: "dim"$'):
        x.cumsum()
    with pytest.raises(TypeError, match='^transpose\\(\\) missing 1 required positional arguments: "dim1"$'):
        x.transpose(0)
    with pytest.raises(TypeError, match=r"log_softmax\(\): argument 'dim' must be int, not NoneType"):
        x.log_softmax(dim=None)
    assert x.cumsum(1)[0].tolist() == [1.0, 2.0, 3.0, 4.0]


def test_contiguous_takes_no_positional_argument():
    with pytest.raises(TypeError, match=r"^contiguous\(\) takes 0 positional arguments but 1 was given$"):
        tg.ones(2).contiguous(1)
