"""Regressions found by the differential indexing/views fuzzer. Expected values, strides and
messages are PyTorch 2.13's, hard-coded (no torch import)."""
import warnings

import numpy as np
import pytest

import tensorgraft as torch

OVERLAP = ("unsupported operation: some elements of the input tensor and the written-to tensor refer to a single "
           "memory location. Please clone() the tensor before performing the operation.")
INTERNAL_OVERLAP = ("unsupported operation: more than one element of the written-to tensor refers to a single memory "
                    "location. Please clone() the tensor before performing the operation.")


# --------------------------------------------------------------------------- index_add alpha
@pytest.mark.parametrize("dtype,alpha,expected", [
    ("int64", -1.5, [0, 7, 20]), ("int64", 2.7, [0, 16, 20]), ("int8", -1.5, [0, 7, 20]), ("uint8", 2.7, [0, 16, 20]),
])
def test_index_add_casts_alpha_to_the_integer_dtype_first(dtype, alpha, expected):
    dt = getattr(torch, dtype)
    out = torch.tensor([0, 10, 20], dtype=dt).index_add(0, torch.tensor([1]), torch.tensor([3], dtype=dt), alpha=alpha)
    assert out.tolist() == expected


@pytest.mark.parametrize("dtype,alpha", [("uint8", -1.5), ("uint8", 300), ("int8", 300), ("int64", 1e20)])
def test_index_add_alpha_that_does_not_fit_is_refused(dtype, alpha):
    dt = getattr(torch, dtype)
    name = {"uint8": "uint8_t", "int8": "int8_t", "int64": "int64_t"}[dtype]
    with pytest.raises(RuntimeError, match=f"^value cannot be converted to type {name} without overflow$"):
        torch.zeros(3, dtype=dt).index_add(0, torch.tensor([1]), torch.ones(1, dtype=dt), alpha=alpha)


def test_index_add_one_dim_out_of_range_is_an_index_error():
    with pytest.raises(IndexError, match="^index out of range in self$"):
        torch.zeros(3).index_add(0, torch.tensor([5]), torch.ones(1))
    with pytest.raises(RuntimeError, match="^index 5 is out of bounds for dimension 0 with size 2$"):
        torch.zeros(2, 3).index_add(0, torch.tensor([5]), torch.ones(1, 3))


# --------------------------------------------------------------------------- 0-d uint8 index = mask
def test_zero_dim_uint8_index_is_a_mask():
    x = torch.arange(6.).reshape(3, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one, zero = torch.tensor(1, dtype=torch.uint8), torch.tensor(0, dtype=torch.uint8)
        assert tuple(x[one].shape) == (1, 3, 2)
        assert tuple(x[zero].shape) == (0, 3, 2)
        assert x[one, 0].tolist() == [[0.0, 1.0]]
        assert tuple(x[:, one].shape) == (3, 1, 2)
        y = x.clone()
        y[one] = 7
        assert y.tolist() == [[7.0] * 2] * 3
        y = x.clone()
        y[zero] = torch.tensor(7.)
        assert y.tolist() == x.tolist()
        y = x.clone()
        y[one] = torch.ones(2)
        assert y.tolist() == [[1.0] * 2] * 3


@pytest.mark.parametrize("kind", ["numpy_uint8", "bool_tensor", "uint8_tensor"])
def test_empty_mask_shape_is_checked(kind):
    index = {"numpy_uint8": np.array([], dtype=np.uint8), "bool_tensor": torch.tensor([], dtype=torch.bool),
             "uint8_tensor": torch.tensor([], dtype=torch.uint8)}[kind]
    x = torch.arange(6.).reshape(3, 2)
    msg = "The shape of the mask [0] at index 0 does not match the shape of the indexed tensor [3, 2] at index 0"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(IndexError) as exc:
            x[index]
        assert str(exc.value) == msg
        with pytest.raises(IndexError) as exc:
            x[index] = torch.ones(2)
        assert str(exc.value) == msg
    assert tuple(torch.zeros(0, 2)[torch.tensor([], dtype=torch.bool)].shape) == (0, 2)


def test_uint8_mask_shape_is_checked_before_the_masked_fill_dtype():
    y = torch.zeros(3, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(IndexError, match=r"The shape of the mask \[2\] at index 0 does not match"):
            y[torch.tensor([1, 0], dtype=torch.uint8)] = 7
        with pytest.raises(RuntimeError, match="masked_fill_ only supports boolean masks"):
            y[torch.tensor([1, 0, 1], dtype=torch.uint8)] = 7


# --------------------------------------------------------------------------- layouts
@pytest.mark.parametrize("expr,shape,stride", [
    ("x[:, i]", (2, 2, 4, 5), (40, 20, 5, 1)), ("x[..., i]", (2, 3, 4, 2), (24, 8, 2, 1)),
    ("x[:, j]", (2, 2, 2, 4, 5), (80, 40, 20, 5, 1)), ("x[:, m]", (2, 2, 4, 5), (40, 20, 5, 1)),
    ("x[0, :, i]", (3, 2, 5), (10, 5, 1)), ("x[:, None, i]", (2, 1, 2, 4, 5), (40, 40, 20, 5, 1)),
])
def test_advanced_index_result_layout(expr, shape, stride):
    x = torch.arange(120.).reshape(2, 3, 4, 5)
    i, j, m = torch.tensor([0, 2]), torch.tensor([[0, 1], [1, 0]]), torch.tensor([True, False, True])
    y = eval(expr, {"x": x, "i": i, "j": j, "m": m})
    assert tuple(y.shape) == shape and y.stride() == stride
    # a non-contiguous input keeps NumPy's (here PyTorch's) layout
    assert x.transpose(0, 3)[i].stride() == (24, 4, 1, 12)


def test_advanced_index_result_is_viewable():
    y = torch.arange(24.).reshape(2, 3, 4)[:, [0, 2]]
    assert y.stride() == (8, 4, 1) and y.is_contiguous()
    assert y.view(-1).tolist() == [0., 1., 2., 3., 8., 9., 10., 11., 12., 13., 14., 15., 20., 21., 22., 23.]


def test_broadcast_masked_scatter_is_contiguous():
    mask = torch.tensor([[True, False, True, False], [False, True, True, True]])
    z = torch.zeros(4).masked_scatter(mask, torch.arange(8.))
    assert z.stride() == (4, 1)
    assert z.view(-1).tolist() == [0., 0., 1., 0., 0., 2., 3., 4.]
    z = torch.zeros(4, 2).t().masked_scatter(mask, torch.arange(8.))
    assert z.stride() == (4, 1)


@pytest.mark.parametrize("expr,stride", [
    ("torch.cat([e, e])", (3, 1)), ("torch.stack([e, e])", (6, 3, 1)), ("torch.cat([x.t(), x.t()])", (2, 1)),
    ("torch.stack([x.t(), x.t()])", (6, 2, 1)), ("torch.cat([x.t(), x.t()], 1)", (4, 1)),
])
def test_cat_stack_layout(expr, stride):
    x = torch.arange(6.).reshape(2, 3)
    e = torch.ones(1, 3).expand(2, 3)
    assert eval(expr, {"torch": torch, "x": x, "e": e}).stride() == stride
    c = torch.arange(24.).reshape(1, 2, 3, 4).contiguous(memory_format=torch.channels_last)
    assert torch.cat([c, c]).stride() == (24, 1, 8, 2)  # channels-last inputs keep their layout


def test_cat_of_expanded_is_viewable():
    e = torch.ones(1, 3).expand(2, 3)
    assert torch.cat([e, e]).view(-1).tolist() == [1.0] * 12


# --------------------------------------------------------------------------- setitem numbers
@pytest.mark.parametrize("dtype,index,value,expected", [
    ("uint8", slice(1, None), -1, [0, 255, 255]), ("uint8", 0, -1, [255, 0, 0]),
    ("int64", 0, 1 + 0j, [1, 0, 0]), ("float32", 0, 1 + 0j, [1.0, 0.0, 0.0]), ("uint8", "mask", -1, [255, 0, 255]),
])
def test_setitem_number_conversion(dtype, index, value, expected):
    y = torch.zeros(3, dtype=getattr(torch, dtype))
    index = {"mask": torch.tensor([True, False, True]), "ints": torch.tensor([0])}.get(index, index) \
        if isinstance(index, str) else index
    y[index] = value
    assert y.tolist() == expected
    z = torch.zeros(3, dtype=torch.int32)
    z[torch.tensor([0])] = -2.7  # a float into an integer tensor truncates
    assert z.tolist() == [-2, 0, 0]


@pytest.mark.parametrize("dtype,value,name", [
    ("uint8", 300, "uint8_t"), ("uint8", -2.7, "uint8_t"), ("int64", float("nan"), "int64_t"),
    ("int64", float("inf"), "int64_t"), ("int8", 1e10, "int8_t"), ("bfloat16", 1 + 1j, "double"),
])
def test_setitem_number_that_does_not_fit(dtype, value, name):
    y = torch.zeros(3, dtype=getattr(torch, dtype))
    for index in (0, slice(1, None), torch.tensor([True, False, True])):
        with pytest.raises(RuntimeError, match=f"^value cannot be converted to type {name} without overflow$"):
            y[index] = value


@pytest.mark.parametrize("value,name", [([1, 2], "list"), ((1, 2), "tuple"), (np.array([1., 2.]), "numpy.ndarray"),
                                        ("ab", "str"), (None, "NoneType")])
def test_setitem_refuses_sequences(value, name):
    f = torch.zeros(3)
    with pytest.raises(TypeError, match=f"^can't assign a {name} to a torch.FloatTensor$"):
        f[0:2] = value


def test_mask_setitem_value_with_leading_unit_dims():
    w = torch.zeros(1, 3)
    w[0, torch.tensor([False, True, True])] = torch.ones(1, 2)
    assert w.tolist() == [[0., 1., 1.]]
    w = torch.zeros(2, 3)
    w[torch.tensor([[False, True, True], [True, False, False]])] = torch.ones(1, 1, 3) * 2
    assert w.tolist() == [[0., 2., 2.], [2., 0., 0.]]


def test_setitem_dtype_rule_follows_masked_fill_dispatch():
    q = torch.zeros(4, dtype=torch.int32)
    q[[True, True, False, False]] = torch.tensor(2.5, dtype=torch.float64)
    assert q.tolist() == [2, 2, 0, 0]
    q[np.array([False, False, True, False])] = torch.tensor([3.5], dtype=torch.float64)
    assert q.tolist() == [2, 2, 3, 0]
    q[True] = torch.tensor(4.5, dtype=torch.float64)  # a lone Python bool: a plain copy
    assert q.tolist() == [4, 4, 4, 4]
    y = torch.zeros(2, 3)
    for index in ((True, slice(None, 1), 0), (torch.tensor([True, False]), torch.tensor([True, False, True]))):
        with pytest.raises(RuntimeError, match="^Index put requires the source and destination dtypes match, got "
                                               "Float for the destination and Int for the source.$"):
            y[index] = torch.ones(1, dtype=torch.int32)
    with pytest.raises(RuntimeError, match="Index put requires the source and destination dtypes match"):
        q[torch.tensor(True)] = torch.tensor(2.5, dtype=torch.float64)


# --------------------------------------------------------------------------- copy_
def test_copy_broadcasts_size_one_into_size_zero():
    assert tuple(torch.zeros(0).copy_(torch.ones(1)).shape) == (0,)
    assert tuple(torch.zeros(0, 3).copy_(torch.ones(1, 3)).shape) == (0, 3)
    with pytest.raises(RuntimeError, match=r"^output with shape \[1\] doesn't match the broadcast shape \[0\]$"):
        torch.zeros(1).copy_(torch.ones(0))


def test_copy_into_expanded_tensor_is_refused():
    with pytest.raises(RuntimeError) as exc:
        torch.zeros(1, 3).expand(2, 3).copy_(torch.ones(2, 3))
    assert str(exc.value) == INTERNAL_OVERLAP
    assert torch.zeros(1, 3).expand(1, 3).copy_(torch.ones(1, 3)).tolist() == [[1., 1., 1.]]


# --------------------------------------------------------------------------- memory overlap
ALLOWED = [
    ("x.copy_(x)", [0., 1., 2., 3., 4.]), ("x[:].copy_(x)", [0., 1., 2., 3., 4.]), ("x[:] = x", [0., 1., 2., 3., 4.]),
    ("x[0:2] = x[2:4]", [2., 3., 2., 3., 4.]), ("x[:2] = x[1]", [1., 1., 2., 3., 4.]),
    ("x[torch.tensor([True] * 5)] = x[0]", [0.] * 5), ("x[1:].copy_(x[:-1].clone())", [0., 0., 1., 2., 3.]),
    ("x[:3] = x[1:4].flip(0)", [3., 2., 1., 3., 4.]),
]


@pytest.mark.parametrize("code", [
    "x[1:] = x[:-1]", "x[1:].copy_(x[:-1])", "x.view(5, 1)[1:] = x.view(5, 1)[:-1]", "x[torch.tensor([1, 2])] = x[:2]",
    "x[torch.tensor([True, True, False, False, False])] = x[1:3]", "x[:2].copy_(x[1])",
    "x[torch.tensor([0, 1, 2, 3, 4])] = x", "x[torch.tensor([0, 1])] = x[3:]", "x[torch.tensor([0])] = x[0]",
])
def test_partial_overlap_is_refused(code):
    x = torch.arange(5.)
    with pytest.raises(RuntimeError) as exc:
        exec(code)
    assert str(exc.value) == OVERLAP
    # what PyTorch allows between views of one tensor: a full overlap (copy_), a one-value fill,
    # disjoint ranges, a source that is not dense
    for allowed, expected in ALLOWED:
        x = torch.arange(5.)
        exec(allowed)
        assert x.tolist() == expected, allowed
    c = torch.arange(4.).reshape(2, 2)
    c[0] = c[:, 0]
    assert c.tolist() == [[0., 2.], [2., 3.]]


# --------------------------------------------------------------------------- take_along_dim / take / put
def test_take_along_dim_wraps_indices_along_a_dim():
    x = torch.arange(6.).reshape(2, 3)
    assert torch.take_along_dim(x, torch.tensor([[-1], [0]]), dim=1).tolist() == [[2.], [3.]]
    assert torch.take_along_dim(x, torch.tensor([[-4], [0]]), dim=1).tolist() == [[2.], [3.]]
    assert torch.take_along_dim(x, torch.tensor([[7], [-8]]), dim=1).tolist() == [[1.], [4.]]


def test_take_along_dim_dtypes():
    x = torch.arange(6.).reshape(2, 3)
    assert torch.take_along_dim(x, torch.tensor([0, 5], dtype=torch.int32)).tolist() == [0., 5.]
    with pytest.raises(RuntimeError, match="^torch.take_along_dim\\(\\): dtype of indices should be Long but got Int$"):
        torch.take_along_dim(x, torch.tensor([[0], [2]], dtype=torch.int32), dim=1)
    with pytest.raises(RuntimeError, match="^index -1 is out of bounds for dimension 0 with size 6$"):
        torch.take_along_dim(x, torch.tensor([-1, 5]))


def test_take_and_put_messages():
    with pytest.raises(IndexError, match=r"^take\(\): tried to take from an empty tensor$"):
        torch.zeros(0).take(torch.tensor([0]))
    assert tuple(torch.zeros(0).take(torch.tensor([], dtype=torch.long)).shape) == (0,)
    with pytest.raises(IndexError, match=r"^put_\(\): Tried to put elements into an empty tensor$"):
        torch.zeros(0).put_(torch.tensor([0]), torch.ones(1))
    with pytest.raises(IndexError, match=r"^put_\(\): Expected source and index to have the same number of elements, "
                                         r"but got source.numel\(\) = 3, index.numel\(\) = 2$"):
        torch.zeros(3).put_(torch.tensor([0, 1]), torch.ones(3))


# --------------------------------------------------------------------------- index_reduce / scatter_reduce
def test_index_reduce_refuses_negative_indices():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(IndexError, match="^index out of range in self$"):
            torch.zeros(2, 3).index_reduce(1, torch.tensor([-1]), torch.ones(2, 1), "amax")
        with pytest.raises(IndexError, match="^index out of range in self$"):
            torch.zeros(3).index_reduce(0, torch.tensor([-1]), torch.ones(1), "prod")


def test_index_reduce_messages():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError, match=r"^index_reduce_\(\): self \(Float\) and source \(Double\) must have "
                                               r"the same scalar type$"):
            torch.zeros(3).index_reduce(0, torch.tensor([0]), torch.ones(1, dtype=torch.float64), "amax")
        with pytest.raises(RuntimeError, match=r"^source tensor shape must match self tensor shape, excluding the "
                                               r"specified dimension. Got self.shape = \[2, 4\] source.shape = \[0\]$"):
            torch.zeros(2, 4).index_reduce_(0, torch.tensor([], dtype=torch.long), torch.zeros(0), "prod")


@pytest.mark.parametrize("dtype,name", [("complex64", "ComplexFloat"), ("bool", "Bool")])
@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
def test_index_reduce_unsupported_dtypes(dtype, name, reduce):
    dt = getattr(torch, dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(NotImplementedError, match=f"^\"index_func_\" not implemented for '{name}'$"):
            torch.zeros(3, dtype=dt).index_reduce(0, torch.tensor([0]), torch.ones(1, dtype=dt), reduce)


@pytest.mark.parametrize("dtype,reduce,name", [("complex64", "amax", "ComplexFloat"),
                                               ("complex64", "amin", "ComplexFloat"), ("bool", "mean", "Bool")])
def test_scatter_reduce_unsupported_dtypes(dtype, reduce, name):
    dt = getattr(torch, dtype)
    with pytest.raises(NotImplementedError,
                       match=f"^\"scatter_gather_tensor_cpu_reduce_{reduce}\" not implemented for '{name}'$"):
        torch.zeros(3, dtype=dt).scatter_reduce(0, torch.tensor([0]), torch.ones(1, dtype=dt), reduce)
    assert torch.zeros(3, dtype=torch.complex64).scatter_reduce(
        0, torch.tensor([0]), torch.ones(1, dtype=torch.complex64), "mean").tolist() == [0.5 + 0j, 0j, 0j]


def test_masked_scatter_dtype_message():
    with pytest.raises(RuntimeError, match="^masked_scatter: expected self and source to have same dtypes but "
                                           "gotFloat and Double$"):
        torch.zeros(2).masked_scatter(torch.tensor([True, True]), torch.ones(2, dtype=torch.float64))


# --------------------------------------------------------------------------- complex
def test_view_as_complex_of_an_empty_tensor():
    r = torch.view_as_complex(torch.zeros(0, 2, 2)[:, 1:, :])
    assert tuple(r.shape) == (0, 1) and r.dtype == torch.complex64


@pytest.mark.parametrize("dtype", ["float32", "bfloat16", "bool", "int64"])
@pytest.mark.parametrize("value", [1 + 1j, 1 + 0j])
def test_index_fill_complex_into_real(dtype, value):
    with pytest.raises(RuntimeError, match=r"^index_fill_\(\): Converting complex Scalar to non-complex type is not "
                                           r"supported$"):
        torch.zeros(2, dtype=getattr(torch, dtype)).index_fill(0, torch.tensor([0]), value)
    assert torch.zeros(2, dtype=torch.complex64).index_fill(0, torch.tensor([0]), 1 + 1j).tolist() == [1 + 1j, 0j]


def test_bfloat16_masked_fill_complex_message():
    with pytest.raises(RuntimeError, match="^value cannot be converted to type c10::BFloat16 without overflow$"):
        torch.zeros(2, dtype=torch.bfloat16).masked_fill(torch.tensor([True, False]), 1 + 1j)


# --------------------------------------------------------------------------- 0-d messages
def test_indexing_a_zero_dim_tensor_messages():
    y = torch.zeros(3)[1]
    with pytest.raises(IndexError, match=r"^slice\(\) cannot be applied to a 0-dim tensor.$"):
        y[:]
    with pytest.raises(IndexError, match=r"^invalid index of a 0-dim tensor. Use `tensor.item\(\)`"):
        y[0]
    with pytest.raises(IndexError, match="^too many indices for tensor of dimension 0$"):
        y[None, :]
    with pytest.raises(IndexError, match=r"^slice\(\) cannot be applied to a 0-dim tensor.$"):
        y[:] = 1


# --------------------------------------------------------------------------- graph node names
def test_getitem_node_skips_only_pytorchs_noop_slices():
    pytest.importorskip("tensorgraft.autograd")
    x = torch.zeros(2, 3, requires_grad=True)
    for expr, name in [("x[None, -2:]", "SliceBackward0"), ("x[None, -5:]", "SliceBackward0"),
                       ("x[None, :, -3:3]", "SliceBackward0"), ("x[None, 0:5]", "UnsqueezeBackward0"),
                       ("x[None, :]", "UnsqueezeBackward0"), ("x[0, -2:]", "SliceBackward0")]:
        assert eval(expr, {"x": x}).grad_fn.name() == name, expr


def test_setitem_through_negative_full_slice_is_copyslices():
    pytest.importorskip("tensorgraft.autograd")
    y = torch.zeros(4, 1, requires_grad=True).clone()
    y[-4:4] = 1
    assert y.grad_fn.name() == "torch::autograd::CopySlices"


# --------------------------------------------------------------------------- searchsorted / bucketize
# (from the reductions fuzzer; PyTorch 2.13's results)
def test_searchsorted_number_compares_in_the_promoted_dtype():
    s = torch.tensor([-1, 0, 1, 4])
    assert torch.searchsorted(s, 0.5).item() == 2 and torch.bucketize(0.5, s).item() == 2
    assert torch.searchsorted(torch.tensor([0, 2], dtype=torch.uint8), 300).item() == 2
    assert torch.searchsorted(torch.tensor([1.0, 2.0]), True).item() == 0
    # a float number against float32 boundaries compares in float32 (0.1 is 0.1f there)
    assert torch.searchsorted(torch.tensor([0.1]), 0.1, right=True).item() == 1


def test_searchsorted_with_nan_boundaries_bisects_as_pytorch():
    b = torch.tensor([-0.8, 0.0, float("nan")])
    assert torch.bucketize(torch.tensor([3.0, -1.0, float("nan")]), b).tolist() == [3, 0, 3]
    assert torch.bucketize(torch.tensor([3.0, -1.0]), b, right=True).tolist() == [3, 0]
    b = torch.tensor([1.0, float("nan"), 2.0, 3.0])
    assert torch.searchsorted(b, torch.tensor([2.5, 0.5, 1.5])).tolist() == [3, 2, 2]  # (NumPy: [3, 0, 1])


def test_searchsorted_empty_last_dims_and_sorter_dtype():
    assert torch.searchsorted(torch.zeros(2, 0), torch.zeros(2, 3)).tolist() == [[0, 0, 0], [0, 0, 0]]
    r = torch.searchsorted(torch.zeros(2, 3), torch.zeros(2, 0))
    assert r.shape == (2, 0) and r.dtype is torch.int64
    with pytest.raises(RuntimeError, match="^torch.searchsorted\\(\\): sorter must be a tensor of long dtype but got "
                                           "dtype Int$"):
        torch.searchsorted(torch.tensor([1.0, 2.0]), torch.tensor([1.0]), sorter=torch.tensor([0, 1], dtype=torch.int32))


def test_scatter_add_of_many_empty_rows():
    out = torch.zeros(300, 0).scatter_add(0, torch.zeros(300, 0, dtype=torch.long), torch.zeros(300, 0))
    assert out.shape == (300, 0)


def test_view_as_complex_of_float16_names_the_missing_complex32():
    # PyTorch's view would be complex32 (ComplexHalf), which NumPy has no arrays of
    with pytest.raises(RuntimeError, match=r"^view_as_complex\(\): tensorgraft has no complex32 \(ComplexHalf\) "
                                           r"dtype, which PyTorch would return for a float16 tensor; convert it to "
                                           r"float32 first$"):
        torch.view_as_complex(torch.zeros(3, 2, dtype=torch.float16))
    with pytest.raises(RuntimeError, match="^view_as_complex is only supported for half, float and double tensors, "
                                           "but got a tensor of scalar type: Long$"):
        torch.view_as_complex(torch.zeros(3, 2, dtype=torch.int64))
