"""tensorgraft.masked.MaskedTensor (torch.masked.MaskedTensor): construction, printing, ops, autograd.

Every expected repr, value and message below was computed with PyTorch 2.13 (CPU) on the same
inputs; the repository's tests do not import torch.
"""
import subprocess
import sys
import warnings

import pytest

import tensorgraft as tg

pytestmark = pytest.mark.filterwarnings("ignore:The PyTorch API of MaskedTensors is in prototype stage")

M2 = [[True, False, True], [False, True, True]]


def mtf(data, mask, requires_grad=False):
    return tg.masked.masked_tensor(data, mask, requires_grad)


def mt_float():
    return mtf(tg.tensor([[1., 2, 3], [4, 5, 6]]), tg.tensor([[True, False, True], [False, False, False]]))


def mt_int():
    return mtf(tg.tensor([[3, -1, 2], [0, 7, 7]]), tg.tensor(M2))


def test_masked_functions_alone_do_not_load_the_subclass():
    # defining MaskedTensor turns subclass dispatch on for the process; tg.masked.sum must not
    code = ("import sys, tensorgraft as tg; tg.masked.sum(tg.ones(2), mask=tg.tensor([True, False])); "
            "assert 'tensorgraft.masked.maskedtensor' not in sys.modules; "
            "assert not tg.masked.is_masked_tensor(tg.ones(1)); "
            "tg.masked.MaskedTensor; assert 'tensorgraft.masked.maskedtensor' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_construction_warns_and_copies():
    data, mask = tg.tensor([1., 2.]), tg.tensor([True, False])
    with pytest.warns(UserWarning, match="The PyTorch API of MaskedTensors is in prototype stage"):
        mt = tg.masked.masked_tensor(data, mask)
    assert type(mt) is tg.masked.MaskedTensor and tg.masked.is_masked_tensor(mt)
    assert not tg.masked.is_masked_tensor(data)
    data[0] = 9.0
    assert mt.get_data().tolist() == [1.0, 2.0]  # a copy, as PyTorch's
    assert mt.get_mask().tolist() == [True, False]
    assert mt.shape == (2,) and mt.dtype == tg.float32 and mt.dim() == 1 and not mt.requires_grad and mt.is_leaf
    assert not mt.is_sparse and not mt.is_sparse_coo() and not mt.is_sparse_csr()


def test_construction_from_data_that_requires_grad_warns():
    pytest.importorskip("tensorgraft.autograd")  # (requires_grad=True needs the autograd engine)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tg.masked.MaskedTensor(tg.tensor([1.], requires_grad=True), tg.tensor([True]))
    assert any("not recommended to create a MaskedTensor with a tensor that requires_grad" in str(w.message)
               for w in caught)


@pytest.mark.parametrize("data,mask,exc,message", [
    (lambda: tg.tensor([[1., 2]]), lambda: tg.tensor([[1, 0]]), TypeError, "mask must have dtype bool."),
    (lambda: tg.tensor([[1, 2]], dtype=tg.uint8), lambda: tg.tensor([[True, False]]), TypeError,
     "torch.uint8 is not supported in MaskedTensor."),
    (lambda: tg.tensor([[1., 2]]), lambda: tg.tensor([True, False]), ValueError, "data.dim() must equal mask.dim()"),
    (lambda: tg.tensor([[1., 2]]), lambda: tg.tensor([[True], [False]]), ValueError,
     "data.size() must equal mask.size()"),
    (lambda: [1.0], lambda: tg.tensor([True]), TypeError, "data must be a Tensor"),
    (lambda: tg.tensor([1.0]), lambda: [True], TypeError, "mask must be a Tensor"),
])
def test_constructor_errors_as_pytorch(data, mask, exc, message):
    with pytest.raises(exc) as info:
        mtf(data(), mask())
    assert str(info.value) == message


@pytest.mark.parametrize("make,expected", [
    (mt_float, "MaskedTensor(\n  [\n    [  1.0000,       --,   3.0000],\n    [      --,       --,       --]\n  ]\n)"),
    (mt_int, "MaskedTensor(\n  [\n    [3,       --, 2],\n    [      --, 7, 7]\n  ]\n)"),
    (lambda: mtf(tg.tensor(3), tg.tensor(False)), "MaskedTensor(--, False)"),
    (lambda: mtf(tg.tensor(3.), tg.tensor(True)), "MaskedTensor(  3.0000, True)"),
    (lambda: mtf(tg.tensor([True, False]), tg.tensor([True, False])), "MaskedTensor(\n  [True,       --]\n)"),
    (lambda: mtf(tg.tensor([1.5e6, 2.]), tg.tensor([True, True])), "MaskedTensor(\n  [1500000.0000,   2.0000]\n)"),
])
def test_repr_as_pytorch(make, expected):
    mt = make()
    assert repr(mt) == expected and str(mt) == expected


def test_get_data_to_tensor_item():
    mi = mt_int()
    assert mi.to_tensor(-9).tolist() == [[3, -9, 2], [-9, 7, 7]] and type(mi.to_tensor(-9)) is tg.Tensor
    assert type(mi.get_data()) is tg.Tensor and mi.get_data().tolist() == [[3, -1, 2], [0, 7, 7]]
    assert mt_float()[0, 0].item() == 1.0
    with pytest.raises(ValueError, match="expected a mask tensor"):
        mt_float()[0, 1].item()


@pytest.mark.parametrize("expr,expected", [
    # elementwise ops keep the mask
    (lambda mt, mi: tg.exp(mt),
     "MaskedTensor(\n  [\n    [  2.7183,       --,  20.0855],\n    [      --,       --,       --]\n  ]\n)"),
    (lambda mt, mi: mi * 2 - mi, "MaskedTensor(\n  [\n    [3,       --, 2],\n    [      --, 7, 7]\n  ]\n)"),
    (lambda mt, mi: mi < 3, "MaskedTensor(\n  [\n    [False,       --, True],\n    [      --, False, False]\n  ]\n)"),
    (lambda mt, mi: mi.clamp(min=0), "MaskedTensor(\n  [\n    [3,       --, 2],\n    [      --, 7, 7]\n  ]\n)"),
    (lambda mt, mi: mi.clone().add_(10), "MaskedTensor(\n  [\n    [13,       --, 12],\n    [      --, 17, 17]\n  ]\n)"),
    (lambda mt, mi: mi + tg.tensor([1, 2, 3]), "MaskedTensor(\n  [\n    [4,       --, 5],\n    [      --, 9, 10]\n  ]\n)"),
    # reductions: masked in where any reduced element was
    (lambda mt, mi: mt.sum(), "MaskedTensor(  4.0000, True)"),
    (lambda mt, mi: mt.sum(1), "MaskedTensor(\n  [  4.0000,       --]\n)"),
    (lambda mt, mi: mi.sum(1), "MaskedTensor(\n  [5, 14]\n)"),
    (lambda mt, mi: mi.amax(1), "MaskedTensor(\n  [3, 7]\n)"),
    (lambda mt, mi: mt.mean(), "MaskedTensor(  2.0000, True)"),
    (lambda mt, mi: mi.argmax(1), "MaskedTensor(\n  [0, 1]\n)"),
    (lambda mt, mi: (mi > 2).all(1), "MaskedTensor(\n  [False, True]\n)"),
    (lambda mt, mi: mi.var(1), "MaskedTensor(\n  [  0.5000,   0.0000]\n)"),
    # indexing, views, softmax, where
    (lambda mt, mi: mt[0], "MaskedTensor(\n  [  1.0000,       --,   3.0000]\n)"),
    (lambda mt, mi: mi.t(), "MaskedTensor(\n  [\n    [3,       --],\n    [      --, 7],\n    [2, 7]\n  ]\n)"),
    (lambda mt, mi: tg.softmax(mt, 1),
     "MaskedTensor(\n  [\n    [  0.1192,       --,   0.8808],\n    [      --,       --,       --]\n  ]\n)"),
    (lambda mt, mi: tg.where(tg.tensor([True, False, True]), mi, tg.zeros(2, 3, dtype=tg.int64)),
     "MaskedTensor(\n  [\n    [3, 0, 2],\n    [      --, 0, 7]\n  ]\n)"),
])
def test_ops_as_pytorch(expr, expected):
    assert repr(expr(mt_float(), mt_int())) == expected


def test_dtypes_and_structure_of_results():
    mi = mt_int()
    assert mi.sum(1).dtype == tg.int64 and mi.float().dtype == tg.float32
    both = tg.cat([mi, mi])
    assert both.shape == (4, 3) and both.get_mask().tolist() == M2 + M2


def test_errors_as_pytorch():
    mt = mt_float()
    with pytest.raises(ValueError, match="^Input masks must match. If you need support for this, please open an "
                                         "issue on Github.$"):
        mt + mtf(tg.tensor([[1., 2, 3], [4, 5, 6]]), tg.tensor(M2))
    with pytest.raises(ValueError, match="^len\\(kwargs\\) must equal 0$"):
        mt.add(1, alpha=2)
    with pytest.raises(TypeError, match="unsupported operand type\\(s\\) for -: 'int' and 'MaskedTensor'"):
        1 - mt
    # an op MaskedTensor has no handler for is refused naming it, never run on the data
    with pytest.raises(TypeError, match="torch.Tensor.cumsum is not supported on MaskedTensor"):
        mt.cumsum(1)


def test_masked_functions_take_a_masked_tensor():
    mt = mtf(tg.tensor([[1., 2, 3], [4, 5, 6]], dtype=tg.float64), tg.tensor(M2))
    # PyTorch's values, including its use of the MaskedTensor's own mask for the sums
    assert tg.masked.var(mt, 1).tolist() == pytest.approx([1.4444444444444446, 3.6111111111111116])
    assert tg.masked.var(mt, 1, mask=tg.tensor(M2)).tolist() == pytest.approx([2.0, 0.5])
    assert tg.masked.mean(mt, 1).tolist() == pytest.approx([1.3333333333333333, 3.6666666666666665])
    out = tg.masked.sum(mt, 1)
    assert type(out) is tg.Tensor and out.tolist() == [4.0, 11.0]


# --------------------------------------------------------------------------- autograd
@pytest.mark.parametrize("loss,expected", [
    (lambda mt: (mt * 2).exp().sum(),
     "MaskedTensor(\n  [\n    [ 14.7781,       --, 806.8576],\n    [         --, 44052.9316, 325509.5828]\n  ]\n)"),
    (lambda mt: (tg.softmax(mt, 1) * tg.tensor([[1., 2, 3]], dtype=tg.float64)).sum(),
     "MaskedTensor(\n  [\n    [ -0.2100,       --,   0.2100],\n    [      --,  -0.1966,   0.1966]\n  ]\n)"),
    (lambda mt: mt.var(1).sum(),
     "MaskedTensor(\n  [\n    [ -2.0000,       --,   2.0000],\n    [      --,  -1.0000,   1.0000]\n  ]\n)"),
    (lambda mt: tg.masked.sum(mt, 1).sum(),
     "MaskedTensor(\n  [\n    [  1.0000,       --,   1.0000],\n    [      --,   1.0000,   1.0000]\n  ]\n)"),
])
def test_gradients_reach_the_data_as_masked_tensors(loss, expected):
    pytest.importorskip("tensorgraft.autograd")
    mt = mtf(tg.tensor([[1., 2, 3], [4, 5, 6]], dtype=tg.float64), tg.tensor(M2), requires_grad=True)
    out = loss(mt)
    assert out.requires_grad
    out.backward()
    assert tg.masked.is_masked_tensor(mt.grad) and repr(mt.grad) == expected


def test_as_masked_tensor_keeps_the_history():
    pytest.importorskip("tensorgraft.autograd")
    x = tg.tensor([[1., 2, 3], [4, 5, 6]], dtype=tg.float64, requires_grad=True)
    a = tg.masked.as_masked_tensor(x * 2, tg.tensor(M2))
    assert a.grad_fn is not None
    (a * a).sum().backward()
    # PyTorch hands x a MaskedTensor gradient whose masked-in values are these; tensorgraft's is a
    # plain tensor with zeros where the mask is False (see docs/user-guide/masked.md)
    assert x.grad.tolist() == [[8.0, 0.0, 24.0], [0.0, 40.0, 48.0]]
