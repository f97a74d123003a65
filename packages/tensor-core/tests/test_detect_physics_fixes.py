"""meshgrid's default indexing comes with PyTorch's UserWarning (anchor-grid code that leaves
indexing out sees it as with PyTorch); an explicit indexing warns nothing."""
import warnings

import pytest

import tensorgraft as tg


def test_meshgrid_without_indexing_warns_and_uses_ij():
    with pytest.warns(UserWarning, match="it will be required to pass the indexing argument"):
        gy, gx = tg.meshgrid(tg.arange(2), tg.arange(3))
    assert tuple(gy.shape) == (2, 3) and gy.tolist() == [[0, 0, 0], [1, 1, 1]]


@pytest.mark.parametrize("indexing", ["ij", "xy"])
def test_meshgrid_with_indexing_is_silent(indexing):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tg.meshgrid(tg.arange(2), tg.arange(3), indexing=indexing)


def test_meshgrid_bad_indexing_still_raises():
    with pytest.raises(RuntimeError, match='indexing must be one of "xy" or "ij"'):
        tg.meshgrid(tg.arange(2), indexing="xz")
