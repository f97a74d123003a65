"""F.embedding_bag's message for an out-of-range index: PyTorch's general kernel (mode='max' or a
padding_idx) words it unlike its sum/mean fast path; the module constructors' size errors; the
per_sample_weights node input."""
import pytest

import tensorgraft as tg
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F

GENERAL = "embedding_bag: Expected idx >= 0 && idx < num_embeddings but found idx to be "


def _w(dtype=tg.float32):
    return tg.arange(12.0).view(6, 2).to(dtype)


@pytest.mark.parametrize("idx,bad", [([7, 1, 2, 3], 7), ([0, 1, 2, -1], -1), ([0, 9, 6, 1], 9)])
def test_max_mode_message(idx, bad):
    with pytest.raises(RuntimeError, match=f"^{GENERAL}{bad}$"):
        F.embedding_bag(tg.tensor(idx), _w(), tg.tensor([0, 2]), mode="max")


@pytest.mark.parametrize("kwargs", [{"mode": "sum", "padding_idx": 0}, {"mode": "mean", "padding_idx": 2}])
def test_padding_idx_takes_the_general_kernel(kwargs):
    with pytest.raises(RuntimeError, match=f"^{GENERAL}7$"):
        F.embedding_bag(tg.tensor([0, 1, 2, 7]), _w(), tg.tensor([0, 2]), **kwargs)


def test_float32_sum_keeps_the_fast_path_message():
    with pytest.raises(RuntimeError, match=r"^Index 0 of input takes value 7 which is not in the valid range \[0, 6\)$"):
        F.embedding_bag(tg.tensor([7, 1, 2, 3]), _w(), tg.tensor([0, 2]), mode="sum")


def test_offsets_checks_still_come_first():
    with pytest.raises(RuntimeError, match="^offsets\\[-1\\] can not be greater than input's length 4"):
        F.embedding_bag(tg.tensor([0, 1, 2, 9]), _w(), tg.tensor([0, 5]), mode="max")


@pytest.mark.parametrize("cls", [nn.Embedding, nn.EmbeddingBag])
def test_non_integer_size_gets_empty_tuple_message(cls):
    with pytest.raises(TypeError, match=r"^empty\(\): argument 'size' \(position 1\) must be tuple of ints, but found "
                                        r"element of type float at pos 0$"):
        cls(3.5, 3)
    with pytest.raises(RuntimeError, match=r"^Trying to create tensor with negative dimension -1: \[-1, 3\]$"):
        cls(-1, 3)


def test_per_sample_weights_of_a_1d_input_enter_the_node_unreshaped():
    w = tg.ones(4, 2, requires_grad=True)
    p1 = tg.ones(2, requires_grad=True)
    y = F.embedding_bag(tg.tensor([1, 2]), w, tg.tensor([0]), mode="sum", per_sample_weights=p1)
    names = [n.name() for n, _ in y.grad_fn.next_functions]
    assert names[1].endswith("AccumulateGrad")
    # a 2-D input flattens its weights (PyTorch's ViewBackward0 too)
    p2 = tg.ones(1, 2, requires_grad=True)
    y2 = F.embedding_bag(tg.tensor([[1, 2]]), w, mode="sum", per_sample_weights=p2)
    assert y2.grad_fn.next_functions[1][0].name() == "ViewBackward0"
    (y.sum() + y2.sum()).backward()
    assert p1.grad.tolist() == [2.0, 2.0] and p2.grad.tolist() == [[2.0, 2.0]]
