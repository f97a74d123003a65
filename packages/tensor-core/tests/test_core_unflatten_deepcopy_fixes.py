"""Regressions from the nn.utils fuzzing against PyTorch 2.13: ``unflatten``'s errors (a 0-d tensor, the
wrapped dim in the messages, the errors ATen wraps as unexpected) and ``copy.deepcopy`` refusing a tensor
computed by a recorded op while copying every other tensor as before."""
import copy

import numpy as np
import pytest

import tensorgraft as tg

UNEXPECTED = "unflatten got an unexpected error:\n"


@pytest.mark.parametrize("dim, sizes", [(0, (1, 1)), (-1, (1,)), (0, (-1,)), (0, (2,))])
def test_unflatten_of_a_0d_tensor_is_refused(dim, sizes):
    with pytest.raises(RuntimeError) as e:
        tg.tensor(1.0).unflatten(dim, sizes)
    assert str(e.value) == UNEXPECTED + "Dimension specified as 0 but tensor has no dimensions"


def test_unflatten_module_of_a_0d_tensor_is_refused():
    nn = pytest.importorskip("tensorgraft.nn")
    with pytest.raises(RuntimeError, match="^unflatten got an unexpected error:\nDimension specified as 0"):
        nn.Unflatten(-1, (1,))(tg.tensor(1.0))


@pytest.mark.parametrize("dim, sizes, shown", [(-1, (3, 2), 1), (-2, (3, 2), 0), (-1, (-1, 3), 1), (-2, (0, -1), 0)])
def test_unflatten_message_names_the_wrapped_dim(dim, sizes, shown):
    x = tg.zeros(2, 4)
    with pytest.raises(RuntimeError) as e:
        x.unflatten(dim, sizes)
    assert str(e.value) == (f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {shown} "
                            f"({x.shape[shown]}) in the input tensor")


@pytest.mark.parametrize("shape, dim, sizes, why", [
    ((2, 4), 1, (-1, -1), "only one dimension can be inferred"),
    ((2, 4), 1, (-2, 2), "invalid shape dimension -2 at index 0 of shape [-2, 2]"),
    ((0, 3), 0, (0, -1), "cannot reshape tensor of 0 elements into shape [0, -1] because the unspecified dimension "
                         "size -1 can be any value and is ambiguous"),
])
def test_unflatten_wraps_the_size_inference_errors(shape, dim, sizes, why):
    with pytest.raises(RuntimeError) as e:
        tg.zeros(*shape).unflatten(dim, sizes)
    assert str(e.value) == UNEXPECTED + why
    # what can be inferred still is
    assert tuple(tg.arange(8.0).reshape(2, 4).unflatten(-1, (2, -1)).shape) == (2, 2, 2)
    assert tuple(tg.zeros(2, 0).unflatten(1, (2, -1)).shape) == (2, 2, 0)




DEEPCOPY_REFUSED = ("Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol at the "
                    "moment.  If you were attempting to deepcopy a module, this may be because of a "
                    "torch.nn.utils.weight_norm usage, see https://github.com/pytorch/pytorch/pull/103001")


def test_deepcopy_refuses_a_non_leaf_and_copies_every_other_tensor_as_before():
    pytest.importorskip("tensorgraft.autograd")
    y = tg.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError) as e:
        copy.deepcopy(y)
    assert str(e.value) == DEEPCOPY_REFUSED

    x = tg.ones(2, requires_grad=True)
    x.grad = tg.ones(2) * 5
    c = copy.deepcopy(x)
    assert c.requires_grad and c.is_leaf and c.grad.tolist() == [5.0, 5.0]
    with tg.no_grad():
        z = tg.ones(2, requires_grad=True) * 2
    assert copy.deepcopy(z).tolist() == [2.0, 2.0]
    assert copy.deepcopy((tg.ones(2, requires_grad=True) * 2).detach()).tolist() == [2.0, 2.0]
    w = tg.ones(3)
    cw, cv = copy.deepcopy([w, w[:2]])
    assert cw.tolist() == [1.0, 1.0, 1.0] and cv.tolist() == [1.0, 1.0]
    cw[0] = 5.0
    assert w.tolist() == [1.0, 1.0, 1.0]
    assert copy.deepcopy(tg.ones(2, 2).to_sparse()).to_dense().tolist() == [[1.0, 1.0], [1.0, 1.0]]
    t = tg.arange(3.0)
    t.note = {"k": [1]}
    ct = copy.deepcopy(t)
    assert ct.note == {"k": [1]} and ct.note is not t.note and np.array_equal(ct.numpy(), t.numpy())
