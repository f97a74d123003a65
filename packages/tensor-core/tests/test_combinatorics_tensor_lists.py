"""block_diag and cartesian_prod take their tensors as separate arguments: PyTorch's Python functions
hand that tuple to one TensorList argument, so a list (or anything not a Tensor) among them is
refused with the parser's words. The messages are PyTorch 2.13's."""
import re

import pytest

import tensorgraft as tg


@pytest.mark.parametrize("call, msg", [
    (lambda: tg.block_diag([tg.ones(2, 2), tg.ones(1)]), "expected Tensor as element 0 in argument 0, but got list"),
    (lambda: tg.block_diag((tg.ones(2, 2), tg.ones(1))), "expected Tensor as element 0 in argument 0, but got tuple"),
    (lambda: tg.block_diag(tg.ones(2, 2), [tg.ones(1)]), "expected Tensor as element 1 in argument 0, but got list"),
    (lambda: tg.block_diag(tg.ones(2, 2), 1.5), "expected Tensor as element 1 in argument 0, but got float"),
    (lambda: tg.block_diag(None), "expected Tensor as element 0 in argument 0, but got NoneType"),
    (lambda: tg.cartesian_prod([tg.ones(2), tg.ones(1)]), "expected Tensor as element 0 in argument 0, but got list"),
    (lambda: tg.cartesian_prod(tg.ones(2), 1), "expected Tensor as element 1 in argument 0, but got int"),
])
def test_non_tensor_arguments_are_refused(call, msg):
    with pytest.raises(TypeError, match="^" + re.escape(msg) + "$"):
        call()


def test_separate_tensors_still_work():
    assert tg.block_diag(tg.ones(2, 2), tg.ones(1)).tolist() == [[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    assert tg.block_diag().shape == (1, 0)
    assert tg.cartesian_prod(tg.tensor([1, 2]), tg.tensor([3])).tolist() == [[1, 3], [2, 3]]
