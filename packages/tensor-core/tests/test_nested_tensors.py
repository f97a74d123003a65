"""``tensorgraft.nested`` (``torch.nested``) without the autograd engine or nn: construction, printing,
shapes, the ops PyTorch allows on each layout and its errors for the rest. Expected values and
messages are PyTorch 2.13's (checked against it)."""
from __future__ import annotations

import re
import warnings

import pytest

import tensorgraft as tg

CANNOT_RUN = ("Could not run 'aten::{}' with arguments from the 'NestedTensorCPU' backend. This could be because the "
              "operator doesn't exist for this backend, or was omitted during the selective/custom build process (if "
              "using custom build). If you are a Facebook employee using PyTorch on mobile, please visit "
              "https://fburl.com/ptmfixes for possible resolutions.")


def _a():
    return tg.arange(6.).reshape(2, 3)


def _b():
    return tg.arange(9.).reshape(3, 3) - 4


def _nt(layout=tg.strided):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tg.nested.nested_tensor([_a(), _b()], layout=layout)


def vals(nt):
    return [c.tolist() for c in nt.unbind()]


def shapes(nt):
    return [tuple(c.shape) for c in nt.unbind()]


def jname(nt):
    """The ``jN`` symbol of a jagged tensor (its number depends on what the process made before)."""
    return repr(nt.shape[1])


A, B = [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]], [[-4.0, -3.0, -2.0], [-1.0, 0.0, 1.0], [2.0, 3.0, 4.0]]
BOTH = pytest.mark.parametrize("layout", [tg.strided, tg.jagged], ids=["strided", "jagged"])


# --------------------------------------------------------------------------- construction and printing
def test_strided_repr_and_metadata():
    nt = _nt()
    assert repr(nt) == ("nested_tensor([\n  tensor([[0., 1., 2.],\n          [3., 4., 5.]]),\n"
                        "  tensor([[-4., -3., -2.],\n          [-1.,  0.,  1.],\n          [ 2.,  3.,  4.]])\n])")
    assert str(nt) == repr(nt)
    assert isinstance(nt, tg.Tensor) and nt.is_nested and not _a().is_nested
    assert nt.layout is tg.strided and nt.dim() == 3 and nt.ndim == 3
    assert nt.size(0) == 2 and nt.size(2) == 3 and nt.size(-1) == 3
    assert nt.numel() == 15 and nt.is_contiguous() and nt.dtype is tg.float32
    assert vals(nt) == [A, B]
    assert nt[1].tolist() == B and nt.select(0, 0).tolist() == A


def test_strided_size_errors():
    nt = _nt()
    for f in (nt.size, lambda: nt.shape, lambda: len(nt)):
        with pytest.raises(RuntimeError, match=r"^Internal error: NestedTensorImpl doesn't support sizes\. Please file an issue\.$"):
            f()
    with pytest.raises(RuntimeError, match="^Given dimension 1 is irregular and does not have a size.$"):
        nt.size(1)
    with pytest.raises(IndexError, match=re.escape("Dimension out of range (expected to be in range of [-3, 2], but got 5)")):
        nt.size(5)
    with pytest.raises(RuntimeError, match="^Internal error: NestedTensorImpl doesn't support strides. Please file an issue.$"):
        nt.stride()
    with pytest.raises(AttributeError, match="'Tensor' object has no attribute 'offsets'"):
        nt.offsets()
    with pytest.raises(IndexError, match="^index 5 is out of bounds for dimension 0 with size 2$"):
        nt[5]


def test_strided_repr_dtypes_and_empty():
    nt = tg.nested.nested_tensor([_a(), _b()], dtype=tg.float64)
    assert repr(nt).startswith("nested_tensor([\n  tensor([[0., 1., 2.],\n          [3., 4., 5.]], dtype=torch.float64),")
    ints = tg.nested.nested_tensor([tg.tensor([1, 2]), tg.tensor([3])])
    assert repr(ints) == "nested_tensor([\n  tensor([1, 2]),\n  tensor([3])\n])"
    assert repr(tg.nested.nested_tensor([tg.tensor([True]), tg.tensor([False, True])])) == \
        "nested_tensor([\n  tensor([True]),\n  tensor([False,  True])\n])"
    empty = tg.nested.nested_tensor([])
    assert repr(empty) == "nested_tensor([\n\n])" and empty.dim() == 1 and empty.size(0) == 0
    assert repr(tg.nested.nested_tensor([tg.tensor(1.), tg.tensor(2.)])) == \
        "nested_tensor([\n  tensor(1.),\n  tensor(2.)\n])"
    # lists of numbers; mixed dtypes become the first one's
    assert vals(tg.nested.nested_tensor([[1, 2], [3]], dtype=tg.float64)) == [[1.0, 2.0], [3.0]]
    mixed = tg.nested.nested_tensor([tg.ones(2, dtype=tg.int64), tg.ones(2)])
    assert mixed.dtype is tg.int64


def test_jagged_repr_and_metadata():
    nt = _nt(tg.jagged)
    j = jname(nt)
    assert re.fullmatch(r"j\d+", j)
    assert repr(nt) == f"NestedTensor(size=(2, {j}, 3), offsets=tensor([0, 2, 5]), contiguous=True)"
    assert str(nt) == repr(nt)
    assert repr(nt.shape) == f"torch.Size([2, {j}, 3])" and repr(nt.size()) == repr(nt.shape)
    assert repr(nt.size(1)) == j and nt.size(0) == 2 and nt.size(-1) == 3
    assert [repr(s) for s in nt.stride()] == [f"3*{j}", "3", "1"]
    assert nt.layout is tg.jagged and nt.dim() == 3 and len(nt) == 2 and nt.numel() == 15
    assert nt.values().tolist() == A + B and nt.offsets().tolist() == [0, 2, 5] and nt.lengths() is None
    assert nt.offsets().dtype is tg.int64
    assert vals(nt) == [A, B] and nt[-1].tolist() == B
    with pytest.raises(IndexError, match="^tuple index out of range$"):
        nt[5]
    one_d = tg.nested.nested_tensor([tg.arange(3), tg.arange(2)], layout=tg.jagged)
    assert repr(one_d) == f"NestedTensor(size=(2, {jname(one_d)}), offsets=tensor([0, 3, 5]), contiguous=True)"


def test_jagged_symbolic_sizes_are_shared_by_results():
    nt = _nt(tg.jagged)
    other = _nt(tg.jagged)
    assert (nt + 1).shape[1] == nt.shape[1] and nt.relu().shape[1] == nt.shape[1]
    assert other.shape[1] != nt.shape[1]  # new offsets: a new symbol
    v, off = tg.arange(12.).reshape(6, 2), tg.tensor([0, 2, 6])
    x, y = tg.nested.nested_tensor_from_jagged(v, off), tg.nested.nested_tensor_from_jagged(v, off)
    assert x.shape[1] == y.shape[1] and x.offsets() is off  # the same offsets tensor: the same symbol


def test_construction_errors():
    a = _a()
    msgs = [
        (lambda: tg.nested.nested_tensor([], layout=tg.jagged), RuntimeError,
         "Cannot construct a nested tensor from an empty tensor list"),
        (lambda: tg.nested.nested_tensor([tg.ones(2), tg.ones(2, 2)]), RuntimeError,
         "All Tensors given to nested_tensor must have the same dimension. Found dimension 2 for Tensor at index 1 "
         "and dimension 1 for Tensor at index 0."),
        (lambda: tg.nested.nested_tensor([a, 3]), RuntimeError,
         "All Tensors given to nested_tensor must have the same dimension. Found dimension 0 for Tensor at index 1 "
         "and dimension 2 for Tensor at index 0."),
        (lambda: tg.nested.nested_tensor([tg.ones(2), tg.ones(2, 2)], layout=tg.jagged), RuntimeError,
         "When constructing a nested tensor, all tensors in list must have the same dim"),
        (lambda: tg.nested.nested_tensor([tg.ones(2), tg.ones(2, dtype=tg.int64)], layout=tg.jagged), RuntimeError,
         "When constructing a nested tensor, all tensors in list must have the same dtype"),
        (lambda: tg.nested.nested_tensor([[1., 2], [3]], layout=tg.jagged), RuntimeError,
         "When constructing a nested tensor, all tensors in list must have the same dtype"),
        (lambda: tg.nested.nested_tensor([tg.ones(2, 3), tg.ones(3, 4)], layout=tg.jagged), RuntimeError,
         "Cannot represent given tensor list as a nested tensor with the jagged layout. Note that the jagged layout "
         "only allows for a single ragged dimension. For example: (B, *, D_0, D_1, ..., D_N), with ragged * dim."),
        (lambda: tg.nested.nested_tensor([tg.tensor(1.), tg.tensor(2.)], layout=tg.jagged), RuntimeError,
         "Cannot construct a nested tensor from a list of zero-dim tensors"),
        (lambda: tg.nested.nested_tensor([a], layout=tg.sparse_coo), RuntimeError,
         "Specified layout is unsupported for nested tensors: torch.sparse_coo"),
        (lambda: tg.nested.nested_tensor(a), TypeError,
         "Only lists (List[Tensor] and List[List...[Scalar]]) are accepted in nested_tensor"),
        (lambda: tg.nested.nested_tensor((a, a)), TypeError,
         "Only lists (List[Tensor] and List[List...[Scalar]]) are accepted in nested_tensor"),
        (lambda: tg.nested.as_nested_tensor(tg.tensor(1.)), RuntimeError,
         "as_nested_tensor(): Expected tensor argument to have dim() > 1"),
        (lambda: tg.nested.as_nested_tensor(_nt()), RuntimeError,
         "as_nested_tensor(): Converting between nested tensor layouts is not supported"),
        (lambda: tg.nested.as_nested_tensor(3), TypeError,
         "as_nested_tensor(): Expected first argument to be a tensor or a list / tuple of tensors "),
        (lambda: tg.nested.as_nested_tensor([[1., 2.]]), TypeError,
         "as_nested_tensor(): Expected first argument to be a tensor or a list / tuple of tensors "),
        (lambda: tg.nested.nested_tensor_from_jagged(tg.ones(6, 2)), RuntimeError,
         "nested_tensor_from_jagged(): At least one of offsets or lengths is required."),
        (lambda: tg.nested.nested_tensor_from_jagged(tg.ones(6, 2), tg.tensor([0, 2, 6]), jagged_dim=0), ValueError,
         "Expected jagged_dim >=1, but got 0."),
    ]
    for f, exc, msg in msgs:
        with pytest.raises(exc) as info:
            f()
        assert str(info.value) == msg


def test_strided_construction_warns_once_per_process():
    from tensorgraft.nested import factories
    factories._PROTOTYPE_WARNED[0] = False
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        tg.nested.nested_tensor([_a()])
        tg.nested.nested_tensor([_a()])
        tg.nested.nested_tensor([_a()], layout=tg.jagged)
    assert [str(x.message) for x in w] == [
        "The PyTorch API of nested tensors is in prototype stage and will change in the near future. We recommend "
        "specifying layout=torch.jagged when constructing a nested tensor, as this layout receives active "
        "development, has better operator coverage, and works with torch.compile."]


def test_nested_tensor_copies_and_views():
    x = tg.zeros(2)
    nt, j = tg.nested.nested_tensor([x]), tg.nested.nested_tensor([x, x], layout=tg.jagged)
    x.add_(1)
    assert vals(nt) == [[0.0, 0.0]] and vals(j) == [[0.0, 0.0], [0.0, 0.0]]
    d = tg.zeros(2, 2)
    view = tg.nested.as_nested_tensor(d, layout=tg.jagged)
    d.add_(1)
    assert vals(view) == [[1.0, 1.0], [1.0, 1.0]] and view.offsets().tolist() == [0, 2, 4]
    v = tg.zeros(6, 2)
    fj = tg.nested.nested_tensor_from_jagged(v, tg.tensor([0, 2, 6]))
    v.add_(1)
    assert fj.values().sum().item() == 12.0


def test_as_nested_tensor():
    nt = tg.nested.as_nested_tensor([_a(), tg.ones(2, 2, dtype=tg.int64)])
    assert nt.dtype is tg.float32 and vals(nt) == [A, [[1.0, 1.0], [1.0, 1.0]]]
    assert vals(tg.nested.as_nested_tensor((_a(), _a()), dtype=tg.float64)) == [A, A]
    dense = tg.nested.as_nested_tensor(tg.arange(24.).reshape(2, 3, 4))
    assert shapes(dense) == [(3, 4), (3, 4)] and dense.layout is tg.strided
    j = tg.nested.as_nested_tensor(tg.arange(24.).reshape(2, 3, 4), layout=tg.jagged)
    assert j.offsets().tolist() == [0, 3, 6] and shapes(j) == [(3, 4), (3, 4)]
    assert vals(tg.nested.as_nested_tensor(tg.ones(2, 3), layout=tg.jagged)) == [[1.0] * 3] * 2
    assert repr(tg.nested.as_nested_tensor([])) == "nested_tensor([\n\n])"
    s = _nt()
    assert tg.nested.as_nested_tensor(s, layout=tg.strided, dtype=tg.float64).dtype is tg.float64


def test_ragged_dim_other_than_one():
    nt = tg.nested.nested_tensor([tg.ones(3, 2), tg.arange(12.).reshape(3, 4)], layout=tg.jagged)
    assert repr(nt.shape) == f"torch.Size([2, 3, {repr(nt.shape[2])}])"
    assert nt.values().shape == (3, 6) and nt.offsets().tolist() == [0, 2, 6]
    fj = tg.nested.nested_tensor_from_jagged(tg.arange(12.).reshape(6, 2), tg.tensor([0, 1, 2]), jagged_dim=2)
    assert repr(fj.shape) == f"torch.Size([2, 6, {repr(fj.shape[2])}])"


def test_nested_tensor_from_jagged_and_lengths():
    v = tg.arange(12.).reshape(6, 2)
    nt = tg.nested.nested_tensor_from_jagged(v, tg.tensor([0, 2, 6]), lengths=tg.tensor([1, 3]))
    assert not nt.is_contiguous() and nt.lengths().tolist() == [1, 3]
    assert vals(nt) == [[[0.0, 1.0]], [[4.0, 5.0], [6.0, 7.0], [8.0, 9.0]]]
    with pytest.raises(RuntimeError, match="^to_padded_tensor\\(\\): not supported for nested tensors with holes$"):
        nt.to_padded_tensor(0.)
    only = tg.nested.nested_tensor_from_jagged(v, lengths=tg.tensor([1, 5]))
    assert only.offsets().tolist() == [0, 1, 6] and only.lengths() is None and only.is_contiguous()
    assert vals(tg.nested.nested_tensor_from_jagged(tg.arange(5.), tg.tensor([0, 2, 5]))) == [[0.0, 1.0], [2.0, 3.0, 4.0]]
    assert tg.nested.nested_tensor_from_jagged(tg.ones(3, 2), tg.tensor([0, 1, 3], dtype=tg.int32)).offsets().dtype \
        is tg.int32


def test_narrow():
    X = tg.arange(12.).reshape(3, 4)
    nt = tg.nested.narrow(X, 1, 0, tg.tensor([1, 2, 3]), layout=tg.jagged)
    assert repr(nt) == f"NestedTensor(size=(3, {jname(nt)}), offsets=tensor([ 0,  4,  8, 11]), contiguous=False)"
    assert nt.lengths().tolist() == [1, 2, 3] and nt.values().tolist() == X.reshape(-1).tolist()
    assert vals(nt) == [[0.0], [4.0, 5.0], [8.0, 9.0, 10.0]]
    assert nt.contiguous().values().tolist() == [0.0, 4.0, 5.0, 8.0, 9.0, 10.0]
    assert vals(nt + 1) == [[1.0], [5.0, 6.0], [9.0, 10.0, 11.0]]
    with pytest.raises(RuntimeError, match="^sum\\(\\): reducing across the ragged dimension is not supported for "
                                           "non-contiguous nested tensors with holes$"):
        nt.sum(1)
    starts = tg.nested.narrow(X, 1, tg.tensor([0, 1, 2]), tg.tensor([1, 2, 2]), layout=tg.jagged)
    assert vals(starts) == [[0.0], [5.0, 6.0], [10.0, 11.0]]
    ints = tg.nested.narrow(X, 1, 1, 2, layout=tg.jagged)
    assert vals(ints) == [[1.0, 2.0], [5.0, 6.0], [9.0, 10.0]] and ints.offsets().tolist() == [1, 5, 9, 11]
    assert tg.nested.narrow(X, 1, 0, 4, layout=tg.jagged).is_contiguous()
    assert vals(tg.nested.narrow(X, 0, 1, 2)) == [[4.0, 5.0, 6.0, 7.0], [8.0, 9.0, 10.0, 11.0]]
    for f, exc, msg in [
        (lambda: tg.nested.narrow(X, 1, 1, 2), RuntimeError, "narrow(): only dim=0 supported for nested tensors, but got: 1"),
        (lambda: tg.nested.narrow(X, 0, 1, 2, layout=tg.jagged), RuntimeError, "jagged layout only supports dim=1"),
        (lambda: tg.nested.narrow(X, 0, tg.tensor([1]), 2), RuntimeError,
         "start and length must be integers for the strided layout NT impl"),
        (lambda: tg.nested.narrow(X, 1, 0.5, 1, layout=tg.jagged), RuntimeError, "start must be an integer or a tensor"),
        (lambda: tg.nested.narrow(tg.arange(4.), 1, 0, 1, layout=tg.jagged), AssertionError,
         "tensor must at least be 2D for the nested narrow op to work"),
        (lambda: tg.nested.narrow(X, 1, tg.tensor([0, 1]), 1, layout=tg.jagged), RuntimeError,
         "When constructing a jagged nested tensor using narrow(), your start and length must be Tensors that "
         "broadcast to input.shape[0]"),
    ]:
        with pytest.raises(exc) as info:
            f()
        assert str(info.value) == msg


def test_to_padded_tensor():
    s, j = _nt(), _nt(tg.jagged)
    padded = [[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [0.0, 0.0, 0.0]], B]
    assert s.to_padded_tensor(0.).tolist() == padded and j.to_padded_tensor(0.).tolist() == padded
    assert tg.nested.to_padded_tensor(s, -1., (2, 4, 5)).tolist() == [
        [[0.0, 1.0, 2.0, -1.0, -1.0], [3.0, 4.0, 5.0, -1.0, -1.0], [-1.0] * 5, [-1.0] * 5],
        [[-4.0, -3.0, -2.0, -1.0, -1.0], [-1.0, 0.0, 1.0, -1.0, -1.0], [2.0, 3.0, 4.0, -1.0, -1.0], [-1.0] * 5]]
    # the jagged layout pads (or cuts) the ragged dim only
    assert tg.nested.to_padded_tensor(j, -1., (2, 4, 5)).shape == (2, 4, 3)
    assert tg.nested.to_padded_tensor(j, -1., (2, 2, 3)).tolist() == [A, [[-4.0, -3.0, -2.0], [-1.0, 0.0, 1.0]]]
    ints = tg.nested.nested_tensor([tg.tensor([1, 2]), tg.tensor([3])])
    assert ints.to_padded_tensor(0.5).tolist() == [[1, 2], [3, 0]] and ints.to_padded_tensor(-1).dtype is tg.int64
    assert ints.to_padded_tensor(0, (3, 4)).tolist() == [[1, 2, 0, 0], [3, 0, 0, 0], [0, 0, 0, 0]]
    assert tg.nested.nested_tensor([]).to_padded_tensor(0.).shape == (0,)
    assert j.transpose(1, 2).to_padded_tensor(0.).tolist() == [
        [[0.0, 3.0, 0.0], [1.0, 4.0, 0.0], [2.0, 5.0, 0.0]], [[-4.0, -1.0, 2.0], [-3.0, 0.0, 3.0], [-2.0, 1.0, 4.0]]]
    for f, exc, msg in [
        (lambda: tg.nested.to_padded_tensor(s, -1., (2, 2, 3)), RuntimeError,
         "Value in output_size is less than NestedTensor padded size. Truncation is not supported."),
        (lambda: ints.to_padded_tensor(0, (2,)), RuntimeError,
         "Length of output_size does not match NestedTensor dims. Broadcasting is not supported."),
        (lambda: j.to_padded_tensor(None), TypeError,
         "to_padded_tensor(): argument 'padding' (position 1) must be float, not NoneType"),
        (lambda: s.transpose(1, 2).to_padded_tensor(0.), RuntimeError,
         "for now to_padded_tensor only supports contiguous nested tensor"),
        (lambda: tg.nested.to_padded_tensor(tg.ones(2), 0.), NotImplementedError,
         CANNOT_RUN.format("to_padded_tensor").replace("NestedTensorCPU", "CPU")),
    ]:
        with pytest.raises(exc) as info:
            f()
        assert str(info.value) == msg


def test_masked_select():
    nt = tg.nested.masked_select(tg.arange(6.).reshape(2, 3), tg.tensor([[True, False, True], [True, True, True]]))
    assert nt.layout is tg.jagged and nt.offsets().tolist() == [0, 2, 5] and vals(nt) == [[0.0, 2.0], [3.0, 4.0, 5.0]]
    bc = tg.nested.masked_select(tg.arange(6.).reshape(2, 3), tg.tensor([True, False, True]))
    assert vals(bc) == [[0.0, 2.0], [3.0, 5.0]]
    three = tg.nested.masked_select(tg.arange(8.).reshape(2, 2, 2), tg.arange(8).reshape(2, 2, 2) % 3 == 0)
    assert vals(three) == [[0.0], [3.0], [], [6.0]]
    one = tg.nested.masked_select(tg.ones(3), tg.tensor([True, False, True]))
    assert one.offsets().tolist() == [0, 2]
    with pytest.raises(RuntimeError, match="^masked_select: expected BoolTensor for mask$"):
        tg.nested.masked_select(tg.ones(2, 3), tg.ones(2, 3, dtype=tg.int64))
    j = _nt(tg.jagged)
    with pytest.raises(RuntimeError, match="^torch.nested.masked_select requires a strided tensor, given torch.jagged$"):
        tg.nested.masked_select(j, j > 0)


# --------------------------------------------------------------------------- elementwise ops
@BOTH
def test_unary_ops(layout):
    nt = _nt(layout)
    assert vals(nt.relu()) == [A, [[0.0] * 3, [0.0, 0.0, 1.0], [2.0, 3.0, 4.0]]]
    assert vals(-nt) == [[[-0.0, -1.0, -2.0], [-3.0, -4.0, -5.0]], [[4.0, 3.0, 2.0], [1.0, -0.0, -1.0], [-2.0, -3.0, -4.0]]]
    assert vals(nt.abs())[1] == [[4.0, 3.0, 2.0], [1.0, 0.0, 1.0], [2.0, 3.0, 4.0]]
    assert vals(tg.tanh(nt))[0][0] == pytest.approx([0.0, 0.7615941762924194, 0.9640275835990906])
    assert vals(nt.sqrt())[0][0] == pytest.approx([0.0, 1.0, 1.4142135381698608])
    assert vals(tg.zeros_like(nt)) == [[[0.0] * 3] * 2, [[0.0] * 3] * 3]
    assert vals(nt.clone().relu_()) == vals(nt.relu())
    assert vals(nt.to(tg.int64))[1] == [[-4, -3, -2], [-1, 0, 1], [2, 3, 4]]
    assert nt.double().dtype is tg.float64 and nt.double().layout is layout


def test_unary_ops_the_strided_layout_lacks():
    nt = _nt()
    for name, f in [("exp", tg.exp), ("sigmoid", tg.sigmoid), ("log", tg.log), ("erf", tg.erf),
                    ("sqrt_", lambda x: x.clone().sqrt_()), ("sigmoid_", lambda x: x.clone().sigmoid_())]:
        with pytest.raises(NotImplementedError) as info:
            f(nt)
        assert str(info.value) == CANNOT_RUN.format(name)
    j = _nt(tg.jagged)
    assert vals(tg.exp(j))[0][0] == pytest.approx([1.0, 2.7182817459106445, 7.389056205749512])
    assert vals(tg.sigmoid(j))[1][1] == pytest.approx([0.2689414322376251, 0.5, 0.7310585975646973])


@BOTH
def test_binary_ops_same_structure_and_scalars(layout):
    nt = _nt(layout)
    r = nt.relu()
    assert vals(nt + r) == [[[0.0, 2.0, 4.0], [6.0, 8.0, 10.0]], [[-4.0, -3.0, -2.0], [-1.0, 0.0, 2.0], [4.0, 6.0, 8.0]]]
    assert vals(nt * tg.tensor(2.))[0] == [[0.0, 2.0, 4.0], [6.0, 8.0, 10.0]]
    assert vals(1 + nt)[0] == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    assert vals(nt.clone().add_(1))[1][0] == [-3.0, -2.0, -1.0]
    assert vals(nt.clone().mul_(r))[1] == [[-0.0, -0.0, -0.0], [-0.0, 0.0, 1.0], [4.0, 9.0, 16.0]]
    assert vals(nt > 0)[0] == [[False, True, True], [True, True, True]]


def test_binary_ops_strided_errors():
    nt, other = _nt(), tg.nested.nested_tensor([_a() * 2, _a()])
    cases = [
        (lambda: nt + other, RuntimeError, "add does not support broadcasting when given a NestedTensor"),
        (lambda: nt + tg.tensor([1., 2, 3]), RuntimeError,
         "Expected both self and other to be nested, but got a nested self and non-nested other"),
        (lambda: nt == nt.relu(), RuntimeError, "eq does not support nested tensor as other value."),
        (lambda: 1 - nt, NotImplementedError, CANNOT_RUN.format("rsub.Scalar")),
        (lambda: nt ** 2, NotImplementedError, CANNOT_RUN.format("pow.Tensor_Scalar")),
        (lambda: nt < 0, NotImplementedError, CANNOT_RUN.format("lt.Scalar")),
        (lambda: nt.clone().sub_(nt), NotImplementedError, CANNOT_RUN.format("sub_.Tensor")),
        (lambda: tg.where(nt > 0, nt, 0.), RuntimeError, "other must be nested"),
        (lambda: nt.sum(), NotImplementedError, CANNOT_RUN.format("sum")),
        (lambda: nt.max(), NotImplementedError, CANNOT_RUN.format("max")),
        (lambda: nt.mean(-1), NotImplementedError, CANNOT_RUN.format("mean.dim")),
        (lambda: nt.T, NotImplementedError, CANNOT_RUN.format("permute")),
        (lambda: nt[:, :, 0], NotImplementedError, CANNOT_RUN.format("slice.Tensor")),
        (lambda: nt.tolist(), RuntimeError, "Internal error: NestedTensorImpl doesn't support strides. Please file an issue."),
    ]
    for f, exc, msg in cases:
        with pytest.raises(exc) as info:
            f()
        assert str(info.value) == msg
    assert vals(nt.masked_fill(nt > 0, 9.))[0] == [[0.0, 9.0, 9.0], [9.0, 9.0, 9.0]]


def test_binary_ops_jagged_broadcasting_and_errors():
    nt = _nt(tg.jagged)
    j = jname(nt)
    assert vals(nt + tg.tensor([1., 2, 3]))[0] == [[1.0, 3.0, 5.0], [4.0, 6.0, 8.0]]
    assert vals(tg.ones(3) + nt)[1][0] == [-3.0, -2.0, -1.0]
    assert vals(nt + tg.arange(2.).reshape(2, 1, 1)) == [A, [[-3.0, -2.0, -1.0], [0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]]
    assert vals(nt + tg.ones(1, 1, 3))[0][0] == [1.0, 2.0, 3.0]
    assert vals(1 - nt)[0][0] == [1.0, 0.0, -1.0] and vals(2 ** nt)[0][0] == [1.0, 2.0, 4.0]
    assert vals(tg.where(nt > 0, nt, 0.))[1] == [[0.0, 0.0, 0.0], [0.0, 0.0, 1.0], [2.0, 3.0, 4.0]]
    assert (nt == 0).dtype is tg.bool
    other = _nt(tg.jagged)
    k = jname(other)
    cases = [
        (lambda: nt + other, RuntimeError,
         f"cannot call binary pointwise function add.Tensor with inputs of shapes (2, {j}, 3) and (2, {k}, 3)"),
        (lambda: nt.clone().mul_(other), RuntimeError,
         f"cannot call binary pointwise function mul_.Tensor with inputs of shapes (2, {jname(nt)}, 3) and (2, {k}, 3)"),
        (lambda: nt + tg.ones(3, 3), RuntimeError,
         f"cannot call binary pointwise function add.Tensor with inputs of shapes torch.Size([2, {j}, 3]) and "
         "torch.Size([3, 3])"),
        (lambda: nt + tg.ones(1, 1, 1, 3), NotImplementedError, "NYI: broadcasting NT with T with larger dim"),
    ]
    for f, exc, msg in cases:
        with pytest.raises(exc) as info:
            f()
        assert str(info.value) == msg


# --------------------------------------------------------------------------- shape ops, reductions, products
def test_jagged_shape_ops():
    nt = _nt(tg.jagged)
    j = jname(nt)
    t = nt.transpose(1, 2)
    assert repr(t.shape) == f"torch.Size([2, 3, {j}])" and not t.is_contiguous() and t.values().shape == (3, 5)
    assert t.unbind()[0].tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]
    assert repr(nt.permute(0, 2, 1).shape) == f"torch.Size([2, 3, {j}])"
    assert vals(nt.view(2, -1, 3)) == [A, B] and repr(nt.reshape(2, -1, 3, 1).shape) == f"torch.Size([2, {j}, 3, 1])"
    assert repr(nt.unsqueeze(-1).squeeze(-1).shape) == f"torch.Size([2, {j}, 3])"
    four = tg.nested.nested_tensor([tg.ones(2, 4), tg.ones(1, 4)], layout=tg.jagged)
    heads = four.unflatten(-1, [2, 2]).transpose(1, 2)
    assert heads.dim() == 4 and heads.values().shape == (2, 3, 2)
    assert heads.transpose(1, 2).flatten(-2).values().shape == (3, 4)
    chunks = nt.chunk(3, -1)
    assert len(chunks) == 3 and vals(chunks[1]) == [[[1.0], [4.0]], [[-3.0], [0.0], [3.0]]]
    assert not chunks[0].is_contiguous()
    assert [vals(p) for p in nt.split([1, 2], -1)][1][0] == [[1.0, 2.0], [4.0, 5.0]]
    halves = nt.chunk(2, 0)
    assert [p.offsets().tolist() for p in halves] == [[0, 2], [0, 3]]
    assert tg.cat([nt, nt.relu()], -1).values()[2].tolist() == [-4.0, -3.0, -2.0, 0.0, 0.0, 0.0]
    cases = [
        (lambda: nt.transpose(0, 1), ValueError, "Transpose is not supported on the batch dimension for jagged NT"),
        (lambda: nt.T, ValueError, "Permute is not supported on the batch dimension for jagged NT"),
        (lambda: nt.view(2, 3, 3), RuntimeError, f"view(): cannot view shape (2, {j}, 3) as [2, 3, 3]"),
        (lambda: nt.view(-1, 3), RuntimeError, f"view(): cannot view shape (2, {j}, 3) as [-1, 3]"),
        (lambda: nt.view(2, -1, 3, 2), RuntimeError, "shape '[5, 3, 2]' is invalid for input of size 15"),
        (lambda: nt.chunk(2, 1), RuntimeError, "chunk(): not supported for NestedTensor on ragged dim"),
        (lambda: nt.split(1, 0), RuntimeError, "split(): not supported for NestedTensor on dim=0"),
        (lambda: nt.unbind(1), RuntimeError, "unbind(): only supported for NestedTensor on dim=0"),
        (lambda: tg.cat([nt, nt], 0), RuntimeError, "cat(): not supported for NestedTensor on dim=0"),
        (lambda: nt.unsqueeze(0), RuntimeError, "unsqueeze(): not supported for NestedTensor on dim=0"),
        (lambda: nt.squeeze(), NotImplementedError, "aten.squeeze.default"),
        (lambda: nt.unsqueeze(-1).squeeze(1), RuntimeError, "squeeze(): not supported for NestedTensor on ragged dim"),
        (lambda: nt.flatten(), RuntimeError, "flatten(): not supported for NestedTensor on dim=0"),
        (lambda: nt.flatten(-2), RuntimeError, "flatten(): not supported for NestedTensor on ragged dim"),
        (lambda: nt.unflatten(1, [1, 1]), RuntimeError,
         f"unflatten: Provided sizes [1, 1] don't multiply up to the size of dim 1 ({j}) in the input tensor"),
        (lambda: nt[:, :, 0], RuntimeError, "slice(): not supported for NestedTensor on dim=0"),
        (lambda: nt.tolist(), RuntimeError, ".tolist() is not supported for tensor subclasses, got NestedTensor"),
    ]
    for f, exc, msg in cases:
        with pytest.raises(exc) as info:
            f()
        assert str(info.value) == msg


def test_strided_shape_ops():
    nt = _nt()
    t = nt.transpose(1, 2)
    assert vals(t)[0] == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]] and not t.is_contiguous()
    assert shapes(nt.reshape(2, -1, 3, 1)) == [(2, 3, 1), (3, 3, 1)] and vals(nt.view(2, -1, 3)) == [A, B]
    assert shapes(nt.unsqueeze(-1)) == [(2, 3, 1), (3, 3, 1)]
    assert [vals(p)[0] for p in nt.chunk(3, -1)] == [[[0.0], [3.0]], [[1.0], [4.0]], [[2.0], [5.0]]]
    assert [shapes(p) for p in nt.split([1, 2], -1)] == [[(2, 1), (3, 1)], [(2, 2), (3, 2)]]
    assert shapes(tg.cat([nt, nt], 0)) == [(2, 3), (3, 3), (2, 3), (3, 3)]
    assert shapes(tg.cat([nt, nt], -1)) == [(2, 6), (3, 6)]
    cases = [
        (lambda: nt.transpose(0, 1), RuntimeError, "Nested tensor dimension 0 cannot be transposed"),
        (lambda: nt.view(2, 3, 3), RuntimeError, "shape '[2, 3, 3]' is invalid for input of size 6"),
        (lambda: nt.reshape(-1, 3), RuntimeError,
         "reshape: For now nested reshape cannot change or infer the implicit batch dimension"),
        (lambda: nt.chunk(2, 1), RuntimeError,
         "Chunk for nested tensors is currently only supported for the last dimension."),
        (lambda: nt.split(1, -1), NotImplementedError, CANNOT_RUN.format("split.Tensor")),
        (lambda: nt.unbind(1), RuntimeError, "NestedTensor can only be unbound along dimension 0 got dimension 1 instead."),
        (lambda: nt.unsqueeze(0), RuntimeError,
         "unsqueeze(): For nested tensors, unsqueezing dimension 0 is not supported at the moment if you need this "
         "feature, please open an issue on github describing your use case."),
        (lambda: nt.squeeze(), RuntimeError,
         "squeeze(): For nested tensors, squeeze without the dim argument is not supported at the moment, however you "
         "can use squeeze(Tensor self, int dim) instead if you need this feature, please open an issue on github "
         "describing your use case."),
        (lambda: nt.flatten(), RuntimeError, "Internal error: NestedTensorImpl doesn't support sizes. Please file an issue."),
    ]
    for f, exc, msg in cases:
        with pytest.raises(exc) as info:
            f()
        assert str(info.value) == msg


def test_reductions():
    j, s = _nt(tg.jagged), _nt()
    assert vals(j.sum(-1)) == [[3.0, 12.0], [-9.0, 0.0, 9.0]] and vals(j.mean(-1)) == [[1.0, 4.0], [-3.0, 0.0, 3.0]]
    assert vals(j.sum(-1, keepdim=True)) == vals(s.sum(-1, keepdim=True)) == [[[3.0], [12.0]], [[-9.0], [0.0], [9.0]]]
    assert j.sum().item() == 15.0 and j.sum(1).tolist() == [[3.0, 5.0, 7.0], [-3.0, 0.0, 3.0]]
    assert j.mean(1).tolist() == [[1.5, 2.5, 3.5], [-1.0, 0.0, 1.0]]
    assert j.sum((0, 1)).tolist() == [0.0, 5.0, 10.0] and j.mean((0, 1)).tolist() == [0.0, 1.0, 2.0]
    assert j.max().item() == 5.0 and vals(j.amax(-1)) == [[2.0, 5.0], [-2.0, 1.0, 4.0]]
    ints = tg.nested.nested_tensor([tg.ones(2, 3, dtype=tg.int64), tg.ones(1, 3, dtype=tg.int64)], layout=tg.jagged)
    assert ints.sum(-1).dtype is tg.int64 and j.sum(2, dtype=tg.float64).dtype is tg.float64
    cases = [
        (lambda: j.sum(0), RuntimeError,
         "sum(): reducing along the batch dimension but not the ragged dimension is not supported for nested tensors"),
        (lambda: j.sum((1, 2)), RuntimeError,
         "sum(): reducing along a ragged and non-batch dimension is not supported for nested tensors"),
        (lambda: s.sum(-1), RuntimeError, "NestedTensor always requires keepdim=True for now."),
        (lambda: s.sum(1), RuntimeError,
         "NestedTensor can only be reduced across the last dimension for now got dimension 1 instead."),
        (lambda: s.sum((0, 1)), RuntimeError, "NestedTensor only allows reduction of a single dimension for now."),
    ]
    for f, exc, msg in cases:
        with pytest.raises(exc) as info:
            f()
        assert str(info.value) == msg


def test_softmax():
    j, s = _nt(tg.jagged), _nt()
    row = pytest.approx([0.09003057330846786, 0.2447284758090973, 0.6652409434318542])
    assert vals(j.softmax(-1))[1][2] == row and vals(s.softmax(-1))[0][0] == row
    for nt in (j, s):
        over_rows = vals(nt.softmax(1))
        assert [r[0] for r in over_rows[1]] == pytest.approx([0.0023556333035230637, 0.04731415584683418,
                                                              0.9503302574157715])
    assert vals(tg.log_softmax(j, -1))[0][0] == pytest.approx([-2.4076058864593506, -1.4076058864593506,
                                                               -0.40760594606399536])
    cases = [
        (lambda: j.softmax(0), RuntimeError,
         "softmax(): not supported when reducing across the batch dimension for NestedTensor"),
        (lambda: j.transpose(1, 2).softmax(-1), RuntimeError,
         "softmax(): not supported when reducing along the ragged dimension for ragged_idx > 1 for NestedTensor"),
        (lambda: s.softmax(0), RuntimeError, "Cannot apply softmax across nested dimension 0"),
        (lambda: tg.log_softmax(s, -1), NotImplementedError, CANNOT_RUN.format("_log_softmax")),
    ]
    for f, exc, msg in cases:
        with pytest.raises(exc) as info:
            f()
        assert str(info.value) == msg


def test_matmul():
    j, s = _nt(tg.jagged), _nt()
    w = tg.arange(6.).reshape(3, 2)
    assert vals(j @ w) == [[[10.0, 13.0], [28.0, 40.0]], [[-14.0, -23.0], [4.0, 4.0], [22.0, 31.0]]]
    batched = tg.arange(12.).reshape(2, 3, 2)
    assert vals(tg.matmul(j, batched)) == vals(tg.bmm(s, batched)) == [
        [[10.0, 13.0], [28.0, 40.0]], [[-68.0, -77.0], [4.0, 4.0], [76.0, 85.0]]]
    assert vals(tg.matmul(s, s.transpose(1, 2))) == [[[5.0, 14.0], [14.0, 50.0]],
                                                     [[29.0, 2.0, -25.0], [2.0, 2.0, 2.0], [-25.0, 2.0, 29.0]]]
    jn = jname(j)
    cases = [
        (lambda: s @ w, RuntimeError, "Expected both to be nested, but got a nested self and non-nested other"),
        (lambda: tg.matmul(j, j.transpose(-1, -2)), RuntimeError,
         f"matmul(): not supported between inputs of shapes (2, {jn}, 3) and torch.Size([2, 3, {jn}])"),
        (lambda: tg.matmul(j.transpose(1, 2), tg.ones(3, 2)), RuntimeError,
         f"matmul(): not supported between inputs of shapes (2, 3, {jn}) and torch.Size([3, 2])"),
    ]
    for f, exc, msg in cases:
        with pytest.raises(exc) as info:
            f()
        assert str(info.value) == msg


@BOTH
def test_unsupported_ops_are_refused_by_name(layout):
    nt = _nt(layout)
    with pytest.raises(NotImplementedError, match="^torch.Tensor.cumsum: nested tensors do not support this op in "
                                                  "tensorgraft$"):
        nt.cumsum(-1)
    with pytest.raises(NotImplementedError, match="nested tensors do not support this op in tensorgraft"):
        tg.linalg.norm(nt)
    with pytest.raises(NotImplementedError, match="nested tensors do not support this op in tensorgraft"):
        nt.expand(2, -1, -1) if layout is tg.jagged else nt.unfold(-1, 1, 1)


def test_plain_tensors_unaffected():
    _nt(tg.jagged)
    x = tg.arange(6.).reshape(2, 3)
    assert (x + 1).sum().item() == 21.0 and type(x.relu()) is tg.Tensor and x.shape == (2, 3)
    assert not x.is_nested and x.layout is tg.strided


# --------------------------------------------------------------------------- protocol details
def test_python_protocols():
    j, s = _nt(tg.jagged), _nt()
    assert [c.tolist() for c in j] == [A, B] and [c.tolist() for c in s] == [A, B]
    for nt in (j, s):
        with pytest.raises(RuntimeError, match="^Boolean value of Tensor with more than one value is ambiguous$"):
            bool(nt)
    with pytest.raises(AttributeError, match="^'Tensor' object has no attribute 'gelu'$"):
        s.gelu()
    with pytest.raises(AttributeError, match="^'NestedTensor' object has no attribute 'foo'$"):
        _ = j.foo
    with pytest.raises(RuntimeError, match=r"^\.numpy\(\) is not supported for tensor subclasses\.$"):
        j.numpy()
    assert j.nbytes == 60 and j.element_size() == 4 and j.is_floating_point()


def test_pickle_and_deepcopy():
    import copy
    import pickle
    j, s = _nt(tg.jagged), _nt()
    for nt in (j, s):
        back = pickle.loads(pickle.dumps(nt))
        assert back.layout is nt.layout and vals(back) == [A, B]
    dj = copy.deepcopy(j)
    assert vals(dj) == [A, B] and dj.offsets().tolist() == [0, 2, 5] and dj.values().data_ptr() != j.values().data_ptr()
    with pytest.raises(NotImplementedError) as info:
        copy.deepcopy(s)
    assert str(info.value) == CANNOT_RUN.format("new_empty")


def test_new_factories():
    j, s = _nt(tg.jagged), _nt()
    assert j.new_zeros(()).shape == () and not j.new_zeros(()).is_nested
    with pytest.raises(RuntimeError, match=r"^new_empty\(\) not supported for NJT with shape != \(\)$"):
        j.new_zeros((2,))
    with pytest.raises(NotImplementedError) as info:
        s.new_zeros(2)
    assert str(info.value) == CANNOT_RUN.format("new_zeros")


def test_more_jagged_rules():
    j = _nt(tg.jagged)
    k = _nt(tg.jagged)
    jn, kn = jname(j), jname(k)
    values, indices = j.max(1)
    assert values.tolist() == [[3.0, 4.0, 5.0], [2.0, 3.0, 4.0]] and indices.tolist() == [[1, 1, 1], [2, 2, 2]]
    assert vals(j.argmax(-1)) == [[2, 2], [2, 2, 2]] and vals(j.amin(-1, keepdim=True))[0] == [[0.0], [3.0]]
    ints = tg.nested.nested_tensor([tg.tensor([1, 2]), tg.tensor([3])], layout=tg.jagged)
    assert ints.mean(-1).tolist() == [1.5, 3.0] and ints.mean(-1).dtype is tg.float32
    assert vals(j.masked_fill(tg.ones(3, dtype=tg.bool), 1.)) == [[[1.0] * 3] * 2, [[1.0] * 3] * 3]
    assert vals(j.clone().copy_(j.relu()))[1][0] == [0.0, 0.0, 0.0]
    assert j.is_same_size(j.relu()) and not j.is_same_size(k)
    assert j.expand_as(j.relu()) is not j and vals(j.expand_as(j.relu())) == [A, B]
    assert j.type_as(tg.ones(1, dtype=tg.float64)).dtype is tg.float64
    assert j.to(tg.ones(1, dtype=tg.float64)).dtype is tg.float64
    assert vals(tg.add(j, j.relu(), alpha=2))[0][0] == [0.0, 3.0, 6.0]
    cases = [
        (lambda: j.max(0), RuntimeError,
         "max(): reducing along the batch dimension but not the ragged dimension is not supported for nested tensors"),
        (lambda: j.var(), NotImplementedError, "aten.var.correction"),
        (lambda: j.std(-1), NotImplementedError, "aten.std.correction"),
        (lambda: j // 2, NotImplementedError, "aten.floor_divide.default"),
        (lambda: j.clone().abs_(), NotImplementedError, "aten.abs_.default"),
        (lambda: tg.addcmul(j, j, j), NotImplementedError, "aten.addcmul.default"),
        (lambda: tg.maximum(j, 2), TypeError, "maximum(): argument 'other' (position 2) must be Tensor, not int"),
        (lambda: j.masked_fill(tg.ones(2, 3, dtype=tg.bool), 1.), RuntimeError,
         f"cannot call binary pointwise function masked_fill.Scalar with inputs of shapes torch.Size([2, {jn}, 3]) and "
         "torch.Size([2, 3])"),
        (lambda: j.masked_fill(k > 0, 1.), RuntimeError,
         f"cannot call binary pointwise function masked_fill.Scalar with inputs of shapes (2, {jn}, 3) and (2, {kn}, 3)"),
        (lambda: tg.where(j > 0, j, k), RuntimeError,
         f"Attempting to broadcast a dimension of length {kn} at -2! Mismatching argument at index 2 had "
         f"torch.Size([2, {kn}, 3]); but expected shape should be broadcastable to [2, {jn}, 3]"),
        (lambda: tg.where(tg.ones(3, dtype=tg.bool), j, j), ValueError,
         "NestedTensor where_self(condition: jt_all, self: any, other: any): expected condition to be a jagged layout "
         "NestedTensor"),
        (lambda: j.clone().copy_(tg.ones(3)), ValueError,
         "NestedTensor copy_default(self: jt_all, src: jt_all, non_blocking: any?): expected src to be a jagged layout "
         "NestedTensor"),
        (lambda: j.expand_as(k), RuntimeError, f"expand(): cannot expand shape (2, {jn}, 3) -> [2, {kn}, 3]"),
        (lambda: tg.stack([j, j]), RuntimeError, "stack(): not supported for NestedTensor on dim=0"),
    ]
    for f, exc, msg in cases:
        with pytest.raises(exc) as info:
            f()
        assert str(info.value) == msg


def test_more_strided_rules():
    s = _nt()
    assert vals(s.positive()) == [A, B] and vals(s.clone().sgn_())[0][0] == [0.0, 1.0, 1.0]
    assert vals(s == tg.tensor(0.))[1][1] == [False, True, False]
    assert vals(s.clone().copy_(s.relu()))[1][0] == [0.0, 0.0, 0.0]
    cases = [
        (lambda: s.square(), NotImplementedError, CANNOT_RUN.format("pow.Tensor_Scalar")),
        (lambda: s.clone().square_(), NotImplementedError, CANNOT_RUN.format("pow_.Scalar")),
        (lambda: s.isfinite(), NotImplementedError, CANNOT_RUN.format("ne.Scalar")),
        (lambda: s.clamp(min=tg.tensor(0.2)), NotImplementedError, CANNOT_RUN.format("clamp.Tensor")),
        (lambda: s.clone().sin_(), NotImplementedError, CANNOT_RUN.format("sin_")),
        (lambda: tg.fmod(s, 2), NotImplementedError, CANNOT_RUN.format("fmod.Scalar")),
        (lambda: tg.pow(s, tg.tensor(2.)), NotImplementedError, CANNOT_RUN.format("pow.Tensor_Tensor")),
        (lambda: tg.xlogy(s, 2), NotImplementedError, CANNOT_RUN.format("xlogy.Scalar_Other")),
        (lambda: tg.maximum(s, s), NotImplementedError, CANNOT_RUN.format("maximum")),
        (lambda: (s > 0) & (s > 1), NotImplementedError, CANNOT_RUN.format("bitwise_and.Tensor")),
        (lambda: ~(s > 0), NotImplementedError, CANNOT_RUN.format("bitwise_not")),
        (lambda: 2 / s, NotImplementedError, CANNOT_RUN.format("reciprocal")),
        (lambda: 2 ** s, NotImplementedError, CANNOT_RUN.format("pow.Scalar")),
        (lambda: s.argmax(-1), NotImplementedError, CANNOT_RUN.format("argmax")),
        (lambda: tg.stack([s, s]), NotImplementedError, CANNOT_RUN.format("stack")),
        (lambda: s.size(-2), RuntimeError, "Given dimension -2 is irregular and does not have a size."),
        (lambda: s.numpy(), RuntimeError, "Internal error: NestedTensorImpl doesn't support sizes. Please file an issue."),
    ]
    for f, exc, msg in cases:
        with pytest.raises(exc) as info:
            f()
        assert str(info.value) == msg


def test_contiguity_rules_of_jagged_ops():
    j = _nt(tg.jagged)
    t = j.transpose(1, 2)
    holes = tg.nested.narrow(tg.arange(12.).reshape(3, 4), 1, 0, tg.tensor([1, 2, 3]), layout=tg.jagged)
    schema = "expected self to be a contiguous jagged layout NestedTensor"
    cases = [
        (lambda: t.chunk(3, 1), f"NestedTensor chunk_default(self: jt, chunks: any, dim: any?): {schema}"),
        (lambda: t.split(1, 1), f"NestedTensor split_tensor(self: jt, split_size: any, dim: any?): {schema}"),
        (lambda: t.split([1, 2], 1),
         f"NestedTensor split_with_sizes_default(self: jt, split_sizes: any, dim: any?): {schema}"),
        (lambda: holes.unsqueeze(-1).squeeze(-1), f"NestedTensor squeeze_dim(self: jt, dim: any): {schema}"),
        (lambda: holes.chunk(2, 0), f"NestedTensor chunk_default(self: jt, chunks: any, dim: any?): {schema}"),
    ]
    for f, msg in cases:
        with pytest.raises(ValueError) as info:
            f()
        assert str(info.value) == msg
    with pytest.raises(RuntimeError, match="^softmax\\(\\): not supported where lengths is not None if reducing "
                                           "across the ragged dimension for NestedTensor$"):
        holes.softmax(-1)


def test_jagged_broadcasting_with_the_ragged_dim_later():
    r2 = tg.nested.nested_tensor([tg.arange(6.).reshape(3, 2), tg.arange(12.).reshape(3, 4) - 5], layout=tg.jagged)
    jn = repr(r2.shape[2])
    assert vals(r2 + tg.ones(2, 3, 1))[0] == [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
    for f, msg in [
        (lambda: r2 + tg.ones(2, 1, 1),
         f"cannot call binary pointwise function add.Tensor with inputs of shapes (2, 3, {jn}) and (2, 1, {jn})"),
        (lambda: tg.ones(2, 1, 1) + r2,
         f"cannot call binary pointwise function add.Tensor with inputs of shapes (2, 1, {jn}) and (2, 3, {jn})"),
    ]:
        with pytest.raises(RuntimeError) as info:
            f()
        assert str(info.value) == msg
    j = _nt(tg.jagged)
    assert vals(j + j.sum(-1, keepdim=True))[0] == [[3.0, 4.0, 5.0], [15.0, 16.0, 17.0]]


def test_strided_product_shape_errors():
    s = _nt()
    with pytest.raises(RuntimeError) as info:
        tg.matmul(s, s)
    assert str(info.value) == ("matmul: Nested tensors cannot be matrix multiplied, last dimension of self has sizes 3\n"
                               " 3\n[ torch.LongTensor{2} ]second last dimension of mat2 has sizes 2\n 3\n"
                               "[ torch.LongTensor{2} ]")
    with pytest.raises(RuntimeError, match=re.escape("0-th nested matrices in batch cannot be multiplied (2x3 and 2x3)")):
        tg.bmm(s, s)
    irregular = tg.nested.nested_tensor([tg.ones(2, 3), tg.ones(2, 14)])
    with pytest.raises(RuntimeError) as info:
        irregular.chunk(2, -1)
    assert str(info.value) == ("Expected all tensors in nested tensor to have the same trailing dimension, instead last "
                               "dimension equals:   3\n 14\n[ torch.LongTensor{2} ]")


def test_keyword_arguments_and_as_variants():
    j, s = _nt(tg.jagged), _nt()
    assert vals(tg.matmul(j, other=tg.ones(3, 2)))[0] == [[3.0, 3.0], [12.0, 12.0]]
    assert vals(tg.sum(j, dim=-1, keepdim=True))[0] == [[3.0], [12.0]]
    assert vals(tg.cat(tensors=[j, j], dim=-1))[0][0] == [0.0, 1.0, 2.0, 0.0, 1.0, 2.0]
    assert vals(j.view_as(j)) == [A, B] and vals(j.reshape_as(j)) == [A, B] and vals(s.reshape_as(s)) == [A, B]
    with pytest.raises(RuntimeError, match="^Internal error: NestedTensorImpl doesn't support sizes"):
        s.view_as(s)


def test_to_padded_tensor_of_a_dense_tensor_is_refused():
    with pytest.raises(NotImplementedError, match="^Could not run 'aten::to_padded_tensor' with arguments from the 'CPU' backend"):
        tg.ones(2).to_padded_tensor(0)
