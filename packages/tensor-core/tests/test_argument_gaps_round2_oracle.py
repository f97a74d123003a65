"""Argument mistakes left after the first sweep, against PyTorch: the exception type and the first
line of its message (the overload list after "invalid combination" is PyTorch's own)."""
import pytest

torch = pytest.importorskip("torch")

import tensorgraft as tg  # noqa: E402
from tensorgraft.testing.oracle import assert_same_error, assert_values_close, run_in_both  # noqa: E402


def _first_line(message):
    return message.split("\n")[0]


ERRORS = {
    "masked_fill_broadcast_before_dtype": lambda L: L.ones(3, 4).masked_fill(L.tensor([1, 0]), 2.0),
    "masked_fill_long_mask": lambda L: L.ones(3, 4).masked_fill(L.tensor([1, 0, 1, 0]), 2.0),
    "masked_fill_inplace_dtype_first": lambda L: L.ones(3, 4).masked_fill_(L.tensor([1, 0]), 2.0),
    "masked_fill_str": lambda L: L.ones(3, 4).masked_fill(L.ones(3, 4, dtype=L.bool), "a"),
    "masked_fill_none": lambda L: L.ones(3, 4).masked_fill(L.ones(3, 4, dtype=L.bool), None),
    "masked_fill__str": lambda L: L.ones(3, 4).masked_fill_(L.ones(3, 4, dtype=L.bool), "a"),
    "where_str": lambda L: L.where(L.ones(2) > 0, L.ones(2), "a"),
    "where_str_first": lambda L: L.where(L.ones(2) > 0, "a", L.ones(2)),
    "where_method_str": lambda L: L.ones(2).where(L.ones(2) > 0, "a"),
    "matmul_int": lambda L: L.ones(2, 2) @ 2,
    "rmatmul_int": lambda L: 2 @ L.ones(2, 2),
    "matmul_list": lambda L: L.ones(2, 2) @ [1],
    "add_str_second": lambda L: L.add(1, "a"),
    "add_str_first": lambda L: L.add("a", 2),
    "add_int_pair_float_alpha": lambda L: L.add(1, 2, alpha=0.5),
    "maximum_two_numbers": lambda L: L.maximum(1, 2),
    "gather_dim": lambda L: L.gather(L.ones(3, 4), dim=1.5, index=L.tensor([[0]])),
    "contiguous_positional": lambda L: L.ones(3, 4).contiguous(1),
    "view_float_first": lambda L: L.ones(3, 4).view(2.0, 6),
    "view_float_later": lambda L: L.ones(3, 4).view(2, 6.0),
    "view_tuple_float": lambda L: L.ones(3, 4).view((2.0, 6)),
    "view_none": lambda L: L.ones(3, 4).view(None),
    "reshape_float_first": lambda L: L.ones(3, 4).reshape(2.5, -1),
    "reshape_tuple_float": lambda L: L.ones(3, 4).reshape((2.5, -1)),
    "reshape_none": lambda L: L.ones(3, 4).reshape(None),
    "expand_float_first": lambda L: L.ones(3, 4).expand(2.0, 3, 4),
    "expand_float_later": lambda L: L.ones(3, 4).expand(3, 4.0),
    "repeat_tuple_float": lambda L: L.ones(3, 4).repeat((2.0, 1)),
    "repeat_float_later": lambda L: L.ones(3, 4).repeat(2, 1.0),
    "permute_tuple_float": lambda L: L.ones(3, 4).permute((1.0, 0)),
    "permute_float_later": lambda L: L.ones(3, 4).permute(1, 0.0),
    "tile_float": lambda L: L.ones(3, 4).tile(2.0),
    "tile_tuple_float": lambda L: L.ones(3, 4).tile((2.0,)),
    "split_float": lambda L: L.ones(3, 4).split(1.5),
    "split_sizes_float_first": lambda L: L.ones(3, 4).split((1.5, 1.5)),
    "split_sizes_float_later": lambda L: L.ones(3, 4).split([1, 2.0]),
    "narrow_start": lambda L: L.ones(3, 4).narrow(0, 0.5, 1),
    "narrow_dim": lambda L: L.ones(3, 4).narrow(0.5, 0, 1),
    "narrow_length": lambda L: L.ones(3, 4).narrow(0, 0, 1.5),
    "movedim_source": lambda L: L.ones(3, 4).movedim(0.5, 1),
    "movedim_destination": lambda L: L.ones(3, 4).movedim(0, 1.5),
    "movedim_tuple_later": lambda L: L.ones(3, 4).movedim((0, 1.5), (1, 0)),
    "diagonal_offset": lambda L: L.ones(3, 4).diagonal(offset=1.5),
    "diagonal_dim1": lambda L: L.ones(3, 4).diagonal(0, dim1=0.5),
    "diag_diagonal": lambda L: L.diag(L.ones(3, 4), diagonal=1.5),
    "chunk_dim": lambda L: L.ones(3, 4).chunk(2, dim=1.5),
    "unbind_dim": lambda L: L.ones(3, 4).unbind(dim=1.5),
    "unflatten_sizes_later": lambda L: L.ones(3, 4).unflatten(0, (3, 1.0)),
    "log_softmax_dim_none": lambda L: L.ones(3, 4).log_softmax(dim=None),
    "softmax_no_dim": lambda L: L.ones(3, 4).softmax(),
    "cumsum_no_dim": lambda L: L.ones(3, 4).cumsum(),
    "cumsum_function_no_dim": lambda L: L.cumsum(L.ones(3, 4)),
    "cumprod_no_dim": lambda L: L.ones(3, 4).cumprod(),
    "unsqueeze_no_dim": lambda L: L.ones(3, 4).unsqueeze(),
    "transpose_one_dim": lambda L: L.ones(3, 4).transpose(0),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_error_matches_pytorch(name):
    assert_same_error(ERRORS[name], normalize=_first_line)


TWO_NUMBERS = {
    "add": lambda L: L.add(1, 2),
    "add_float": lambda L: L.add(1.5, 2),
    "add_bool_int": lambda L: L.add(True, 2),
    "add_bools": lambda L: L.add(True, True),
    "add_alpha": lambda L: L.add(1, 2, alpha=3),
    "add_complex": lambda L: L.add(1, 2.5j),
    "sub": lambda L: L.sub(1, 2),
    "sub_alpha": lambda L: L.sub(1.0, 2, alpha=0.5),
    "subtract": lambda L: L.subtract(1, 2),
    "mul": lambda L: L.mul(2, 2.5),
    "mul_bools": lambda L: L.mul(True, False),
    "multiply": lambda L: L.multiply(1, 2),
    "div": lambda L: L.div(1, 2),
    "div_floor": lambda L: L.div(7, 2, rounding_mode="floor"),
    "div_trunc_float": lambda L: L.div(-7.0, 2, rounding_mode="trunc"),
    "divide": lambda L: L.divide(1, 2),
    "true_divide": lambda L: L.true_divide(1, 2),
    "floor_divide": lambda L: L.floor_divide(7, 2),
    "floor_divide_float": lambda L: L.floor_divide(7.5, 2),
}


@pytest.mark.parametrize("name", sorted(TWO_NUMBERS))
def test_two_numbers_give_a_tensor(name):
    ours, theirs = run_in_both(TWO_NUMBERS[name])
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    assert ours.shape == () and not ours.requires_grad
    assert_values_close(ours, theirs)


def test_two_numbers_with_out():
    ours, theirs = run_in_both(lambda L: L.mul(1, 2, out=L.empty(())))
    assert_values_close(ours, theirs)
    assert ours.dtype == tg.float32


def test_tensor_operands_unchanged():
    ours, theirs = run_in_both(lambda L: L.mul(L.arange(3), 2.5) + L.div(1, L.ones(3)) + L.sub(1, L.ones(3), alpha=2))
    assert_values_close(ours, theirs)


def test_keyword_memory_format_still_taken():
    ours, theirs = run_in_both(lambda L: L.ones(2, 3).t().contiguous(memory_format=L.contiguous_format))
    assert_values_close(ours, theirs)
    assert ours.is_contiguous()
