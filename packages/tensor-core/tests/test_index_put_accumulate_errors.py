"""index_put's and index_fill's argument errors in PyTorch's order and words: ``accumulate=True``
used to pass NumPy's own messages through (``index 5 is out of bounds for axis 0``, ``boolean index
did not match indexed array along axis 0``), the index count came after the dtype check, and
index_fill's 0-d value check came after the index's bounds."""
import pytest

import tensorgraft as tg

CASES = [
    ((tg.tensor([5]),), tg.tensor(1.0), IndexError, "index 5 is out of bounds for dimension 0 with size 3"),
    ((tg.tensor([-4]),), tg.ones(1), IndexError, "index -4 is out of bounds for dimension 0 with size 3"),
    ((tg.tensor([0, 1]),), tg.ones(3), RuntimeError,
     "shape mismatch: value tensor of shape [3] cannot be broadcast to indexing result of shape [2]"),
    ((tg.tensor([True, False]),), tg.ones(1), IndexError,
     "The shape of the mask [2] at index 0 does not match the shape of the indexed tensor [3] at index 0"),
    ((tg.tensor([0]), tg.tensor([0])), tg.ones(1), IndexError, "too many indices for tensor of dimension 1 (got 2)"),
]


@pytest.mark.parametrize("accumulate", [False, True])
@pytest.mark.parametrize("indices,values,error,message", CASES)
def test_index_put_errors_are_pytorchs(indices, values, error, message, accumulate):
    x = tg.ones(3)
    with pytest.raises(error) as info:
        tg.index_put(x, indices, values, accumulate=accumulate)
    assert str(info.value) == message
    with pytest.raises(error) as info:
        x.index_put_(indices, values, accumulate=accumulate)
    assert str(info.value) == message and x.tolist() == [1.0, 1.0, 1.0]


def test_the_index_count_is_checked_before_the_dtypes():
    with pytest.raises(IndexError, match=r"^too many indices for tensor of dimension 0 \(got 1\)$"):
        tg.tensor(1.0).index_put_((tg.tensor([1, 0]),), tg.tensor(2.0, dtype=tg.float16))
    with pytest.raises(RuntimeError, match="Index put requires the source and destination dtypes match"):
        tg.ones(3).index_put_((tg.tensor([1, 0]),), tg.tensor(2.0, dtype=tg.float16))


def test_accumulate_still_adds_repeated_indices():
    r = tg.index_put(tg.ones(3), (tg.tensor([0, 0, 2]),), tg.tensor([1.0, 2.0, 3.0]), accumulate=True)
    assert r.tolist() == [4.0, 1.0, 4.0]


def test_index_fill_checks_the_value_is_0_d_first():
    message = r"^index_fill_ only supports a 0-dimensional value tensor, but got tensor with 2 dimension\(s\)\.$"
    with pytest.raises(RuntimeError, match=message):
        tg.tensor(1.0).index_fill(0, tg.tensor([1, 0]), tg.ones(2, 3))  # (the index is out of bounds too)
    with pytest.raises(RuntimeError, match=message.replace("2 dim", "1 dim")):
        tg.ones(3).index_fill(0, tg.tensor([0.0]), tg.ones(2))  # (a float index too)
    assert tg.ones(3).index_fill(0, tg.tensor([1]), tg.tensor(5.0)).tolist() == [1.0, 5.0, 1.0]
