"""A NumPy array passed where a tensor goes, the most common argument mistake of PyTorch code:
refused with PyTorch's TypeError, in its words (``numpy.ndarray``, the argument's name and position,
the op's own name), never with a crash inside tensorgraft or a result. The words are PyTorch 2.13's
(tests/test_pytorch_numpy_argument_oracle.py compares them over PyTorch's OpInfo database)."""
from __future__ import annotations

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.argument_errors import c_type_name, not_a_tensor, not_a_tensor_in_list, wrong_type
from tensorgraft.ops._args import type_name

A = np.ones((2, 2), np.float32)


def _raises(call, message):
    with pytest.raises(TypeError) as info:
        call()
    assert str(info.value).splitlines()[0] == message


class UserClass:
    pass


@pytest.mark.parametrize("value, name", [
    (A, "numpy.ndarray"), (np.float64(1.0), "numpy.float64"), (np.int64(1), "numpy.int64"), ([1], "list"),
    (1.5, "float"), (None, "NoneType"), (UserClass(), "UserClass"), (tg.ones(1), "Tensor"),
])
def test_type_names_are_cpythons_tp_name(value, name):
    assert c_type_name(value) == name
    assert type_name(value) == name  # (the frontends' alias is the same function)


def test_message_builders():
    assert str(not_a_tensor("add", "other", 2, A)) == "add(): argument 'other' (position 2) must be Tensor, not numpy.ndarray"
    assert str(not_a_tensor("add", "out", None, A)) == "add(): argument 'out' must be Tensor, not numpy.ndarray"
    assert str(wrong_type("sum", "dim", "int", 1.5, 1)) == "sum(): argument 'dim' (position 1) must be int, not float"
    assert str(not_a_tensor_in_list(1, A)) == "expected Tensor as element 1 in argument 0, but got numpy.ndarray"


def test_binary_ops_count_other_as_pytorch_does_in_function_and_method():
    x = tg.ones(2, 2)
    _raises(lambda: tg.add(x, A), "add(): argument 'other' (position 2) must be Tensor, not numpy.ndarray")
    _raises(lambda: x.add(A), "add(): argument 'other' (position 1) must be Tensor, not numpy.ndarray")
    _raises(lambda: x.add(A, alpha=2), "add(): argument 'other' (position 1) must be Tensor, not numpy.ndarray")
    _raises(lambda: x.mul(A), "mul(): argument 'other' (position 1) must be Tensor, not numpy.ndarray")
    _raises(lambda: x.eq(A), "eq(): argument 'other' (position 1) must be Tensor, not numpy.ndarray")
    _raises(lambda: x.maximum(A), "maximum(): argument 'other' (position 1) must be Tensor, not numpy.ndarray")
    _raises(lambda: tg.add(A, x), "add(): argument 'input' (position 1) must be Tensor, not numpy.ndarray")
    _raises(lambda: x.add_(A), "add_(): argument 'other' (position 1) must be Tensor, not numpy.ndarray")
    _raises(lambda: x.div_(A), "div_(): argument 'other' (position 1) must be Tensor, not numpy.ndarray")
    assert x.add(tg.ones(2, 2)).sum().item() == 8.0  # (the methods still compute)
    assert x.add_(1).sum().item() == 8.0 and x.mul_(tg.ones(2, 2)).sum().item() == 8.0


def test_ops_that_compute_through_others_refuse_in_their_own_name():
    x = tg.ones(2, 2)
    _raises(lambda: tg.allclose(x, A), "allclose(): argument 'other' (position 2) must be Tensor, not numpy.ndarray")
    _raises(lambda: tg.aminmax(A), "aminmax(): argument 'input' (position 1) must be Tensor, not numpy.ndarray")
    _raises(lambda: tg.split_with_sizes(A, [1, 1]),
            "split_with_sizes(): argument 'input' (position 1) must be Tensor, not numpy.ndarray")
    _raises(lambda: tg.scatter_add(x, 0, A, x),
            "scatter_add(): argument 'index' (position 3) must be Tensor, not numpy.ndarray")
    _raises(lambda: tg.scatter_reduce(x, 0, A, x, "sum"),
            "scatter_reduce(): argument 'index' (position 3) must be Tensor, not numpy.ndarray")
    _raises(lambda: tg.is_floating_point(A), "is_floating_point(): argument 'input' (position 1) must be Tensor, "
                                              "not numpy.ndarray")
    _raises(lambda: tg.numel(A), "numel(): argument 'input' (position 1) must be Tensor, not numpy.ndarray")


def test_former_crashes_and_silent_results_are_refusals():
    x = tg.ones(2, 2)
    index = tg.tensor([0])
    _raises(lambda: tg.index_reduce(x, 0, A, x, "prod"),
            "index_reduce(): argument 'index' (position 3) must be Tensor, not numpy.ndarray")
    _raises(lambda: x.resize_as_(A), "resize_as_(): argument 'the_template' (position 2) must be Tensor, not numpy.ndarray")
    _raises(lambda: tg.argwhere(A), "argwhere(): argument 'input' (position 1) must be Tensor, not numpy.ndarray")
    _raises(lambda: tg.index_put(x, (index,), A),
            "index_put(): argument 'values' (position 3) must be Tensor, not numpy.ndarray")
    _raises(lambda: tg.index_put(x, (index,), 1.0),
            "index_put(): argument 'values' (position 3) must be Tensor, not float")
    _raises(lambda: tg.masked.median(A), "is_floating_point(): argument 'input' (position 1) must be Tensor, "
                                         "not numpy.ndarray")
    assert x.tolist() == [[1.0, 1.0], [1.0, 1.0]]  # nothing was written


def test_tensor_lists_name_the_element():
    x = tg.ones(2, 2)
    _raises(lambda: tg.meshgrid(A, x), "expected Tensor as element 0 in argument 0, but got numpy.ndarray")
    _raises(lambda: tg.broadcast_tensors(x, A), "expected Tensor as element 1 in argument 0, but got numpy.ndarray")
    _raises(lambda: tg.cat([x, A]), "expected Tensor as element 1 in argument 0, but got numpy.ndarray")


def test_method_only_ops_do_not_count_self():
    x = tg.ones(2, 2)
    for name in ("view_as", "expand_as", "reshape_as"):
        _raises(lambda: getattr(x, name)(A), f"{name}(): argument 'other' (position 1) must be Tensor, not numpy.ndarray")


@pytest.mark.parametrize("call, first_line", [
    (lambda x: tg.clamp(x, A), "clamp() received an invalid combination of arguments - got (Tensor, numpy.ndarray), "
                               "but expected one of:"),
    (lambda x: tg.clamp_min(x, [0]), "clamp_min() received an invalid combination of arguments - got (Tensor, list), "
                                     "but expected one of:"),
    (lambda x: tg.rsub(x, A), "rsub() received an invalid combination of arguments - got (Tensor, numpy.ndarray), "
                              "but expected one of:"),
    (lambda x: tg.scatter(x, 0, tg.zeros(2, 2, dtype=tg.long), A),
     "scatter() received an invalid combination of arguments - got (Tensor, int, Tensor, numpy.ndarray), but "
     "expected one of:"),
    (lambda x: tg.tensor_split(x, A), "tensor_split() received an invalid combination of arguments - got (Tensor, "
                                      "numpy.ndarray), but expected one of:"),
    (lambda x: tg.linspace(np.ones(1), 1, 3), "linspace() received an invalid combination of arguments - got "
                                              "(numpy.ndarray, int, int), but expected one of:"),
    (lambda x: tg.logspace(0, [1], 3), "logspace() received an invalid combination of arguments - got (int, list, "
                                       "int), but expected one of:"),
    (lambda x: tg.isin(A, x), "isin() received an invalid combination of arguments - got (numpy.ndarray, Tensor), "
                              "but expected one of:"),
    (lambda x: tg.trapezoid(x, A), "trapezoid() received an invalid combination of arguments - got (Tensor, "
                                   "numpy.ndarray), but expected one of:"),
])
def test_overloaded_ops_list_the_array_among_what_they_got(call, first_line):
    _raises(lambda: call(tg.ones(2, 2)), first_line)


def test_numbers_and_tensors_still_work_where_arrays_are_refused():
    x = tg.tensor([-1.0, 0.5, 2.0])
    assert x.clamp(min=np.float32(0)).tolist() == [0.0, 0.5, 2.0]
    assert [t.tolist() for t in tg.tensor_split(x, np.int64(3))] == [[-1.0], [0.5], [2.0]]
    assert tg.linspace(0, np.float64(1), 3).tolist() == [0.0, 0.5, 1.0]
    assert tg.scatter(tg.zeros(3), 0, tg.tensor([1]), 5.0).tolist() == [0.0, 5.0, 0.0]
    assert tg.index_put(tg.zeros(3), (tg.tensor([2]),), tg.tensor(7.0)).tolist() == [0.0, 0.0, 7.0]
    assert tg.argwhere(tg.tensor([0.0, 3.0, 4.0])).tolist() == [[1], [2]]
