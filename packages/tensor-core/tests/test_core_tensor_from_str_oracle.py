"""``tensor()`` and the constructors built on it, given strings (and other data that are not
numbers) against PyTorch (oracle): the same exception class and message, case by case.

PyTorch reads the shape from the first element at each depth, so a str met there is "too many
dimensions" (ValueError); a str further on is refused by dtype inference (TypeError "invalid data
type") or, when a dtype is given, by the conversion of that element ("must be real number")."""
import pytest

import tensorgraft as tg
from tensorgraft.testing.oracle import assert_same_error

torch = pytest.importorskip("torch")

# data whose str is read while the shape is read, or while values are inferred or converted
STR_DATA = [
    ["a"], [["a"]], ("a",), ["a", 1], ["ab", [1, 2]], ["a", []], ["1"], [["a", "b"], ["c", "d"]],
    "abc", "", [1, "a"], [1.0, "a"], [True, "x"], [1 + 2j, "a"], [[1], ["a"]], [[1.5], ["a"]],
    [[1, 2], "ab"], [[1, 2], "abc"], [[1], "ab"], [[1, 2], ["a"]], [[1, 2], ["a", "b"]], [[1, 2], [3, "a"]],
    [[1, 2], [3, "a"], [4]], [[1, 2], [3, 4, 5], "a"], [[[1]], ["a"]], [1, ["a"]], [1, [1], "a"], [1, 2, "a", 1 + 1j],
]
# other data that are not numbers: PyTorch words these differently with and without a dtype
OTHER_DATA = [None, [None], [1, None], [[1], [None]], {"a": 1}, [{"a": 1}], {1, 2}, [1, {1}], frozenset({1}),
              b"abc", [1, b"a"]]
DTYPES = [None, "float32", "float16", "float64", "complex64", "int64", "int8", "uint8", "bool"]


def _make(lib, data, dtype):
    return lib.tensor(data) if dtype is None else lib.tensor(data, dtype=getattr(lib, dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("data", STR_DATA + OTHER_DATA, ids=repr)
def test_tensor_refuses_what_pytorch_refuses_with_its_message(data, dtype):
    assert_same_error(lambda lib: _make(lib, data, dtype))


def test_a_str_in_the_first_elements_is_too_many_dimensions():
    for data in (["a"], [["a"]], ["a", 1], ("x", "y")):
        with pytest.raises(ValueError, match=r"^too many dimensions 'str'$"):
            tg.tensor(data)
        with pytest.raises(ValueError, match=r"^too many dimensions 'str'$"):
            tg.tensor(data, dtype=tg.int64)
    with pytest.raises(TypeError, match=r"^new\(\): invalid data type 'str'$"):
        tg.tensor("abc")  # (a str by itself is not a sequence of values)
    with pytest.raises(TypeError, match=r"^new\(\): invalid data type 'str'$"):
        tg.tensor([1, "a"])
    with pytest.raises(TypeError, match=r"^must be real number, not str$"):
        tg.tensor([1, "a"], dtype=tg.float32)
    with pytest.raises(TypeError, match=r"^'str' object cannot be interpreted as an integer$"):
        tg.tensor([[1], ["a"]], dtype=tg.int64)


@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_nothing_after_an_empty_dimension_is_read(dtype):
    # PyTorch reads the shape (2, 0) from the first element and converts no element: no error
    ours, theirs = _make(tg, [[], "a"], dtype), _make(torch, [[], "a"], dtype)
    assert tuple(ours.shape) == tuple(theirs.shape) == (2, 0)
    assert str(ours.dtype) == str(theirs.dtype)


@pytest.mark.parametrize("make", [
    lambda lib, d: lib.Tensor(d), lambda lib, d: lib.FloatTensor(d), lambda lib, d: lib.LongTensor(d),
    lambda lib, d: lib.zeros(1).new_tensor(d), lambda lib, d: lib.as_tensor(d),
    lambda lib, d: lib.as_tensor(d, dtype=lib.float64), lambda lib, d: lib.asarray(d),
], ids=["Tensor", "FloatTensor", "LongTensor", "new_tensor", "as_tensor", "as_tensor_dtype", "asarray"])
@pytest.mark.parametrize("data", [["a"], [1, "a"], [[1], ["a"]], ["a", 1], [1, None]], ids=repr)
def test_constructors_built_on_tensor_agree(make, data):
    assert_same_error(lambda lib: make(lib, data))


@pytest.mark.parametrize("value", ["a", ["a"], [1], (1,), None, [1.0, "a"]], ids=repr)
def test_scalar_tensor_takes_only_a_number(value):
    assert_same_error(lambda lib: lib.scalar_tensor(value))


def test_scalar_tensor_takes_a_zero_dim_tensor_not_a_one_element_one():
    assert tg.scalar_tensor(tg.tensor(2.5)).item() == torch.scalar_tensor(torch.tensor(2.5)).item() == 2.5
    assert_same_error(lambda lib: lib.scalar_tensor(lib.tensor([2.5])))

