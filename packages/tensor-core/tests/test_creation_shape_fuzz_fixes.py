"""Regressions found by differential fuzzing of creation and shape ops against PyTorch 2.13.

Expected values and messages are PyTorch's, written out (these tests do not import torch).
"""
import warnings

import numpy as np
import pytest

import tensorgraft as torch


def _raises(exc, msg, fn, *args, **kwargs):
    with pytest.raises(exc) as info:
        fn(*args, **kwargs)
    assert str(info.value).split("\n")[0] == msg
    return info


def _range(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torch.range(*args, **kwargs)


# --------------------------------------------------------------------------- range
def test_range_integer_dtype_truncates_ends_and_step():
    # PyTorch's integer kernel converts start/end/step to int64 first: step -1.8 is -1
    assert _range(4, -10, -1.8, dtype=torch.int32).tolist() == list(range(4, -11, -1))
    assert _range(0, 3, 2.9, dtype=torch.int64).tolist() == [0, 2]
    assert _range(0.5, 3.7, 1, dtype=torch.int32).tolist() == [0, 1, 2, 3]
    assert _range(4, -10, -1.8, dtype=torch.uint8).tolist() == [4, 3, 2, 1, 0, 255, 254, 253, 252, 251, 250, 249,
                                                                 248, 247, 246]
    assert _range(4, -10, -1.8, dtype=torch.float64).tolist() == [4.0, 2.2, 0.3999999999999999, -1.4000000000000004,
                                                                  -3.2, -5.0, -6.800000000000001, -8.6]


def test_range_float16_accumulates_in_float32():
    out = _range(-8.7, 9, 1e-3, dtype=torch.float16)
    assert out.shape == (17701,)
    assert out[5000].item() == -3.69921875
    # rounded from float32 sums, as PyTorch (float64 sums round these three the other way)
    assert [out[i].item() for i in (8671, 8692, 8695)] == [-0.02899169921875, -0.00799560546875,
                                                           -0.00499725341796875]


@pytest.mark.parametrize("args, exc, msg", [
    ((10, 1e-3), RuntimeError, "upper bound and lower bound inconsistent with step sign"),
    ((1, -8), RuntimeError, "upper bound and lower bound inconsistent with step sign"),
    ((7.48, 4, 8), RuntimeError, "upper bound and lower bound inconsistent with step sign"),
    ((0, 1, -1), RuntimeError, "upper bound and lower bound inconsistent with step sign"),
    ((0, float("inf")), RuntimeError, "unsupported range: 0 -> inf"),
])
def test_range_errors(args, exc, msg):
    _raises(exc, msg, _range, *args)


def test_range_dtype_errors():
    _raises(NotImplementedError, "\"range_cpu\" not implemented for 'ComplexFloat'", _range, 1, 3,
            dtype=torch.complex64)
    _raises(NotImplementedError, "\"range_cpu\" not implemented for 'Bool'", _range, 0, 2, dtype=torch.bool)
    _raises(RuntimeError, "step must be nonzero", _range, 0, 2, 0, dtype=torch.int32)


def test_arange_bool_not_implemented():
    _raises(NotImplementedError, "\"arange_cpu\" not implemented for 'Bool'", torch.arange, 0, 3, dtype=torch.bool)
    _raises(NotImplementedError, "\"arange_cpu\" not implemented for 'Bool'", torch.arange, 0, 0, dtype=torch.bool)


# --------------------------------------------------------------------------- tensor() conversions
@pytest.mark.parametrize("data, dtype, exc, msg", [
    ([-2.02, 2**63, 0.54], torch.int64, ValueError, "Overflow when unpacking long long"),
    ([1.5, 2**63], torch.int32, ValueError, "Overflow when unpacking long long"),
    ([1.5, 2**64], torch.uint8, ValueError, "Overflow when unpacking long long"),
    ([-2, torch.tensor(2.5), True], torch.int16, TypeError,
     "only integer tensors of a single element can be converted to an index"),
    ([torch.tensor(2.5), 2.5], torch.bool, TypeError,
     "only integer tensors of a single element can be converted to an index"),
    ([1.5, torch.tensor([1, 2])], torch.int64, TypeError,
     "only integer tensors of a single element can be converted to an index"),
    (np.float16(2.5), torch.int16, TypeError, "'numpy.float16' object cannot be interpreted as an integer"),
    ([np.float32(1.5)], torch.int64, TypeError, "'numpy.float32' object cannot be interpreted as an integer"),
    ([np.float32(1.5), 2.5], torch.bool, TypeError, "'numpy.float32' object cannot be interpreted as an integer"),
    ([1.5, np.complex64(1)], torch.bool, TypeError, "'numpy.complex64' object cannot be interpreted as an integer"),
    ([1.5, 1 + 2j], torch.int64, TypeError, "'complex' object cannot be interpreted as an integer"),
])
def test_tensor_integer_dtype_item_conversion_errors(data, dtype, exc, msg):
    _raises(exc, msg, torch.tensor, data, dtype=dtype)
    _raises(exc, msg, torch.as_tensor, data, dtype=dtype)


def test_tensor_integer_dtype_items_that_convert():
    assert torch.tensor([np.float64(1.5)], dtype=torch.int64).tolist() == [1]
    assert torch.tensor([1 + 2j], dtype=torch.bool).tolist() == [True]
    assert torch.tensor([np.float64(1.5), 2.5], dtype=torch.bool).tolist() == [True, True]
    assert torch.tensor([1.5, torch.tensor(True), torch.tensor(2, dtype=torch.int8)], dtype=torch.int16).tolist() == \
        [1, 1, 2]


# --------------------------------------------------------------------------- expand strides
def test_expand_keeps_strides_of_size_one_dims():
    one = torch.ones(1)
    assert one.expand(2, 1).stride() == (0, 1)
    assert one.expand(3, 1, 1, 1).stride() == (0, 1, 1, 1)
    assert torch.ones(4, 1, 4).expand(2, -1, -1, 4).stride() == (0, 4, 4, 1)
    assert torch.ones(1, 3, 1).expand_as(torch.ones(1, 3, 1)).stride() == (3, 1, 1)
    assert torch.broadcast_to(one, (2, 3, 3, 2, 1)).stride() == (0, 0, 0, 0, 1)
    assert one.expand(-1).stride() == (1,)
    a, b, c = torch.broadcast_tensors(torch.ones(2, 1), torch.ones(1), torch.ones(1, 1))
    assert (a.stride(), b.stride(), c.stride()) == ((1, 1), (0, 1), (0, 1))
    grid = torch.meshgrid(torch.ones(2), torch.ones(3), torch.ones(1), indexing="xy")
    assert [t.stride() for t in grid] == [(0, 1, 1), (1, 0, 1), (0, 0, 1)]
    assert torch.meshgrid(torch.ones(1), indexing="ij")[0].stride() == (1,)
    s = torch.tensor(1.0)  # a 0-d tensor's expansions keep 0 strides
    assert s.expand(1, 1).stride() == (0, 0) and s.expand(1).stride() == (0,)
    assert s.expand_as(torch.ones(3, 3, 2, 1)).stride() == (0, 0, 0, 0)
    assert s.expand(()).shape == ()


def test_expand_values_unchanged():
    x = torch.tensor([[1.0], [2.0]])
    assert x.expand(3, 2, 1).tolist() == [[[1.0], [2.0]]] * 3
    assert torch.tensor(5.0).expand(1, 1).tolist() == [[5.0]]


# --------------------------------------------------------------------------- kron
def test_kron_layout_node_and_gradients():
    pytest.importorskip("tensorgraft.autograd")
    a = torch.tensor([[2.18, -0.84, -2.34, -2.56]], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([[-1.12], [2.43], [-1.09]], dtype=torch.float64, requires_grad=True)
    r = torch.kron(a, b)
    assert r.shape == (3, 4) and r.stride() == (4, 1) and r.is_contiguous()
    assert type(r.grad_fn).__name__ == "UnsafeViewBackward0"
    (r * torch.arange(12.0, dtype=torch.float64).reshape(3, 4)).sum().backward()
    assert np.allclose(a.grad.numpy(), [[1.0, 1.22, 1.44, 1.66]])
    assert np.allclose(b.grad.numpy(), [[-13.2], [-27.44], [-41.68]])


def test_kron_values():
    assert torch.kron(torch.tensor([[1, 2], [3, 4]]), torch.tensor([[0, 1], [1, 0]])).tolist() == \
        [[0, 1, 0, 2], [1, 0, 2, 0], [0, 3, 0, 4], [3, 0, 4, 0]]
    assert torch.kron(torch.ones(2, 0), torch.ones(3)).shape == (2, 0)
    assert torch.kron(torch.tensor(2.0), torch.tensor(3.0)).item() == 6.0


# --------------------------------------------------------------------------- repeat_interleave
def test_repeat_interleave_repeats_only_form():
    out = torch.repeat_interleave(torch.tensor([3, 2], dtype=torch.int32))
    assert out.dtype == torch.int32 and out.tolist() == [0, 0, 0, 1, 1]
    assert torch.repeat_interleave(torch.tensor([3, 2, 3]), output_size=8).tolist() == [0, 0, 0, 1, 1, 2, 2, 2]
    _raises(RuntimeError, "allocated size does not match required size", torch.repeat_interleave,
            torch.tensor([3, 2, 3]), output_size=9)
    _raises(RuntimeError, "repeats can not be negative", torch.repeat_interleave, torch.tensor([3, -2, 3]))
    _raises(NotImplementedError, "\"repeat_interleave_cpu\" not implemented for 'Float'", torch.repeat_interleave,
            torch.tensor([]))
    _raises(NotImplementedError, "\"repeat_interleave_cpu\" not implemented for 'Byte'", torch.repeat_interleave,
            torch.tensor([3, 2], dtype=torch.uint8))
    _raises(RuntimeError, "repeat_interleave only accept 1D vector as repeat", torch.repeat_interleave,
            torch.tensor(2))


def test_repeat_interleave_checks():
    x = torch.ones(3)
    _raises(RuntimeError, "repeat_interleave: Invalid output_size, expected 6 but got 5", torch.repeat_interleave,
            x, 2, output_size=5)
    _raises(RuntimeError, "repeat_interleave: Invalid output_size, expected 0 but got 9", torch.repeat_interleave,
            x, 0, output_size=9)
    assert torch.repeat_interleave(x, 2, output_size=6).shape == (6,)
    _raises(RuntimeError, "allocated size does not match required size", torch.repeat_interleave, x,
            torch.tensor([1, 2, 0]), output_size=5)
    _raises(RuntimeError, "allocated size does not match required size", torch.repeat_interleave, x,
            torch.tensor([-1]), output_size=0)
    _raises(RuntimeError, "repeats can not be negative", torch.repeat_interleave, x, torch.tensor([1, -2, 0]))
    _raises(RuntimeError, "repeats can not be negative", torch.repeat_interleave, x, torch.tensor([-1]))
    _raises(NotImplementedError, "\"repeat_interleave_cpu\" not implemented for 'Float'", torch.repeat_interleave,
            x, torch.tensor([1.0, 2.0, 0.0]))
    s = torch.tensor(1.0)
    _raises(IndexError, "Dimension out of range (expected to be in range of [-1, 0], but got -2)",
            torch.repeat_interleave, s, -1, dim=-2)
    _raises(IndexError, "Dimension specified as -2 but tensor has no dimensions", torch.repeat_interleave, s,
            torch.tensor([3]), dim=-2)
    _raises(IndexError, "Dimension specified as 0 but tensor has no dimensions", torch.repeat_interleave, s,
            torch.tensor([3]), dim=0)


# --------------------------------------------------------------------------- splits
def test_split_family_dimension_checks():
    s, v = torch.tensor(1.0), torch.ones(4)
    _raises(RuntimeError, "torch.hsplit requires a tensor with at least 1 dimension, but got a tensor with 0 "
            "dimensions!", torch.hsplit, s, 2)
    _raises(RuntimeError, "torch.hsplit requires a tensor with at least 1 dimension, but got a tensor with 0 "
            "dimensions!", torch.hsplit, s, [1])
    _raises(RuntimeError, "torch.vsplit requires a tensor with at least 2 dimension, but got a tensor with 1 "
            "dimensions!", torch.vsplit, v, 2)
    _raises(RuntimeError, "tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims",
            torch.tensor_split, s, 2)
    _raises(RuntimeError, "tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims",
            torch.tensor_split, s, torch.tensor([1, 1]))
    _raises(RuntimeError, "tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
            "one-dimensional tensor, but got a tensor with 2 dims", torch.tensor_split, v, torch.tensor([[1]]))
    _raises(RuntimeError, "tensor_split expected tensor_indices_or_sections to have dtype of long, but got Float",
            torch.tensor_split, v, torch.tensor([1.0]))
    _raises(RuntimeError, "chunk expects at least a 1-dimensional tensor", torch.chunk, s, -1, 0)
    assert [t.shape for t in torch.hsplit(v, (1, 2))] == [(1,), (1,), (2,)]


def test_narrow_and_unflatten_check_order():
    x = torch.ones(3, 2)
    _raises(RuntimeError, "narrow(): length must be non-negative.", x.narrow, -1, -3, -1)
    _raises(RuntimeError, "narrow(): length must be non-negative.", x.narrow, 0, 5, -1)
    _raises(RuntimeError, "unflatten: sizes must be non-empty", torch.tensor(1.0).unflatten, -2, ())
    _raises(RuntimeError, "unflatten: sizes must be non-empty", x.unflatten, 5, ())


# --------------------------------------------------------------------------- squeeze / expand / reshape / view args
def test_squeeze_repeated_dims_refused():
    x = torch.ones(1, 2)
    _raises(RuntimeError, "dim 0 appears multiple times in the list of dims", x.squeeze, (0, 0))
    _raises(RuntimeError, "dim 0 appears multiple times in the list of dims", x.squeeze, (0, -2))
    _raises(RuntimeError, "dim 1 appears multiple times in the list of dims", torch.squeeze, x, [1, -1])
    _raises(RuntimeError, "dim 0 appears multiple times in the list of dims", x.squeeze, 0, 0)
    assert x.squeeze((0, 1)).shape == (2,)


def test_missing_size_arguments():
    x = torch.ones(1, 2)
    _raises(TypeError, "reshape() missing 1 required positional arguments: \"shape\"", x.reshape)
    _raises(TypeError, "reshape() missing 1 required positional arguments: \"shape\"", torch.reshape, x)
    _raises(TypeError, "view() received an invalid combination of arguments - got (), but expected one of:", x.view)
    assert x.expand(size=(3, 1, 2)).shape == (3, 1, 2)
    assert x.reshape(shape=(2,)).shape == (2,)


def test_zeros_ones_refuse_memory_format():
    _raises(TypeError, "zeros() got an unexpected keyword argument 'memory_format'", torch.zeros, 2, 2, 2, 2,
            memory_format=torch.channels_last)
    _raises(TypeError, "ones() got an unexpected keyword argument 'memory_format'", torch.ones, 2, 2, 2, 2,
            memory_format=torch.contiguous_format)
    assert torch.empty(2, 2, 2, 2, memory_format=torch.channels_last).stride() == (8, 1, 4, 2)


# --------------------------------------------------------------------------- meshgrid / tril_indices
def test_meshgrid_dtype_checked_first():
    f, i = torch.ones(2), torch.ones(2, dtype=torch.int64)
    msg = "meshgrid expects all tensors to have the same dtype"
    _raises(RuntimeError, msg, torch.meshgrid, f, i, indexing="ij")
    _raises(RuntimeError, msg, torch.meshgrid, torch.ones(2, 2), i, indexing="ij")
    _raises(RuntimeError, msg, torch.meshgrid, f, i, indexing="bad")
    _raises(RuntimeError, "meshgrid expects a non-empty TensorList", torch.meshgrid, [], indexing="ij")


def test_tril_triu_indices_checks():
    _raises(NotImplementedError, "\"tril_indices\" not implemented for 'Float'", torch.tril_indices, 3, 3,
            dtype=torch.float32)
    _raises(NotImplementedError, "\"triu_indices\" not implemented for 'Float'", torch.triu_indices, 0, 2, -6,
            dtype=torch.float32)
    _raises(NotImplementedError, "\"tril_indices\" not implemented for 'Short'", torch.tril_indices, 3, 3,
            dtype=torch.int16)
    _raises(RuntimeError, "row must be non-negative, got-1", torch.tril_indices, -1, 3)
    _raises(RuntimeError, "col must be non-negative, got-1", torch.triu_indices, 3, -1)
    out = torch.tril_indices(3, 3, dtype=torch.int32)
    assert out.dtype == torch.int32 and out.tolist() == [[0, 1, 1, 2, 2, 2], [0, 0, 1, 0, 1, 2]]


# --------------------------------------------------------------------------- roll
def test_roll_messages_and_layout():
    s = torch.tensor(2.0)
    x = torch.arange(24.0).reshape(2, 3, 4)
    _raises(IndexError, "Dimension specified as -1 but tensor has no dimensions", torch.roll, s, 3, -1)
    _raises(IndexError, "Dimension specified as 0 but tensor has no dimensions", torch.roll, s, (5, -5), (0, 0))
    _raises(RuntimeError, "shifts and dimensions must align. shifts: 2, dims:0", torch.roll, s, (1, 2))
    _raises(RuntimeError, "shifts and dimensions must align. shifts: 3, dims:0", torch.roll, x, (-4, -2, 5))
    _raises(RuntimeError, "`shifts` required", torch.roll, x, [], [])
    r = torch.roll(x.transpose(0, 2), 1, 0)
    assert r.stride() == (6, 2, 1)
    assert r[:, 0, 0].tolist() == [3.0, 0.0, 1.0, 2.0]
    assert torch.roll(s, 1).item() == 2.0


# --------------------------------------------------------------------------- tensordot / einsum
def test_tensordot_size_one_contraction_broadcasts():
    a = torch.arange(2.0).reshape(1, 2)
    b = torch.arange(8.0).reshape(2, 4)
    c = torch.arange(3.0).reshape(3, 1)
    assert torch.tensordot(a, b, dims=[[0], [0]]).tolist() == [[0.0] * 4, [4.0, 6.0, 8.0, 10.0]]
    assert torch.tensordot(c, a, dims=[[1], [1]]).tolist() == [[0.0], [1.0], [2.0]]
    assert torch.tensordot(c, a, dims=[[0], [0]]).tolist() == [[0.0, 3.0]]


def test_tensordot_zero_dim_messages():
    _raises(IndexError, "Dimension specified as 0 but tensor has no dimensions", torch.tensordot, torch.tensor(1.0),
            torch.ones(2), dims=[[0], [0]])
    _raises(IndexError, "Dimension specified as -1 but tensor has no dimensions", torch.tensordot, torch.ones(2),
            torch.tensor(1.0), dims=[[-1], [-1]])


def test_einsum_repeated_subscript_sizes():
    _raises(RuntimeError, "einsum(): subscript k is repeated for operand 0 but the sizes don't match, 4 != 3",
            torch.einsum, "klk,->l", torch.ones(3, 2, 4), torch.ones(()))


# --------------------------------------------------------------------------- rot90 / check order
def test_rot90_zero_turns_is_a_copy():
    x = torch.ones(2, 2)
    y = torch.rot90(x, 0)
    y[0, 0] = 5.0
    assert x.sum().item() == 4.0
    assert min(torch.rot90(torch.ones(3, 1, 3, 1), 1).stride()) >= 0  # (was -3 on a size-1 dim)
    _raises(RuntimeError, "expected rotation dims to be different, but got dim0 = 0 and dim1 = -3", torch.rot90,
            torch.ones(3, 2, 1), -1, [0, -3])


def test_checks_in_pytorch_order():
    _raises(NotImplementedError, "\"arange_cpu\" not implemented for 'ComplexFloat'", torch.arange, 1e-3, 6, -8,
            dtype=torch.complex64)
    _raises(RuntimeError, "narrow(): length must be non-negative.", torch.ones(4, 1, 3, 4).narrow, -5, -3, -1)
    _raises(RuntimeError, "The expanded size of the tensor (2) must match the existing size (3) at non-singleton "
            "dimension 4.  Target sizes: [2, 3, -1, 1, 2].  Tensor sizes: [3]", torch.broadcast_to, torch.ones(3),
            (2, 3, -1, 1, 2))


# --------------------------------------------------------------------------- follow-ups of the other rounds
# (PyTorch 2.13's results and messages)
def test_tensor_of_a_list_of_integer_tensors_and_numpy_type_names():
    with pytest.raises(TypeError, match="^only integer tensors of a single element can be converted to an index$"):
        torch.tensor([torch.tensor([1, 2]), torch.tensor([3, 4])])
    with pytest.raises(ValueError, match="^only one element tensors can be converted to Python scalars$"):
        torch.tensor([torch.tensor([1.0, 2.0])])
    with pytest.raises(TypeError, match="^new\\(\\): invalid data type 'numpy.str_'$"):
        torch.tensor(np.str_("a"))
    with pytest.raises(TypeError, match="^new\\(\\): invalid data type 'str'$"):
        torch.tensor("ab")


def test_copy_of_doubles_casts_as_pytorch():
    d = torch.zeros(2, dtype=torch.uint8)
    d.copy_(torch.tensor([3e9 + 5, -1.0], dtype=torch.float64))
    assert d.tolist() == [5, 255]  # through int64 (NumPy's cast goes through int32: 0)
    h = torch.zeros(1, dtype=torch.float16)
    h.copy_(torch.tensor([1.033691464927], dtype=torch.float64))
    assert h.tolist() == [1.033203125]  # through float32, rounding twice


def test_column_stack_and_complex_pair_errors():
    with pytest.raises(RuntimeError, match="^column_stack expects a non-empty TensorList$"):
        torch.column_stack([])
    for fn in (torch.complex, torch.polar):
        with pytest.raises(RuntimeError, match="^The size of tensor a \\(2\\) must match the size of tensor b \\(3\\) "
                                               "at non-singleton dimension 0$"):
            fn(torch.ones(2), torch.ones(3))


def test_autocast_nesting_counters_at_top_level():
    assert torch.autocast_increment_nesting() == 1 and torch.autocast_decrement_nesting() == 0
