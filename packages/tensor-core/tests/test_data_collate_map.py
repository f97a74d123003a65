"""collate / default_collate_fn_map (tensorgraft/utils/data/_collate.py), at PyTorch's path
tensorgraft.utils.data._utils.collate."""
import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.utils.data import DataLoader, default_collate
from tensorgraft.utils.data._utils import collate as collate_mod


class _Box:
    def __init__(self, v):
        self.v = v


def _collate_box(batch, *, collate_fn_map=None):
    return tg.tensor([b.v for b in batch])


@pytest.fixture
def box_registered():
    collate_mod.default_collate_fn_map[_Box] = _collate_box
    yield
    del collate_mod.default_collate_fn_map[_Box]


def test_updating_the_default_map_extends_default_collate_and_loaders(box_registered):
    assert tg.equal(default_collate([_Box(1), _Box(2)]), tg.tensor([1, 2]))
    batches = list(DataLoader([(_Box(i), float(i)) for i in range(3)], batch_size=2))
    assert tg.equal(batches[0][0], tg.tensor([0, 1])) and batches[0][1].dtype == tg.float64


def test_unregistered_types_are_refused():
    with pytest.raises(TypeError, match="batch must contain tensors, numpy arrays, numbers, dicts or lists; "
                                        "found <class '.*_Box'>"):
        default_collate([_Box(1)])


def test_collate_with_a_map_of_ones_own_reaches_nested_fields():
    def cat(batch, *, collate_fn_map):
        return tg.cat(batch, 0)
    out = collate_mod.collate([{"a": [tg.ones(2)]}, {"a": [tg.zeros(2)]}], collate_fn_map={tg.Tensor: cat})
    assert tg.equal(out["a"][0], tg.tensor([1.0, 1, 0, 0]))


def test_subclasses_use_their_bases_function_in_map_order():
    # np.float64 is a float and a np.number: the NumPy-scalar function (listed first) takes it
    out = default_collate([np.float64(1.5), np.float64(2.5)])
    assert out.dtype == tg.float64 and out.tolist() == [1.5, 2.5]
    with pytest.raises(TypeError, match="found <U1"):
        collate_mod.collate_numpy_array_fn([np.array(["a"])])
    with pytest.raises(IndexError, match="got an empty batch"):
        collate_mod.collate([], collate_fn_map=collate_mod.default_collate_fn_map)
