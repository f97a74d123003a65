"""nn.functional errors PyTorch's OpInfo error samples expect (checked against PyTorch 2.13 by
tests/test_pytorch_opinfo_oracle.py; the messages below were taken from it)."""
from __future__ import annotations

import pytest

import tensorgraft as tg
import tensorgraft.nn.functional as F


@pytest.mark.parametrize("conv, x, w", [
    (F.conv1d, (1, 1, 4), (1, 1, 2, 2)), (F.conv2d, (1, 1, 4, 3), (1, 2, 2)), (F.conv3d, (1, 1, 4, 4, 4), (1, 1, 2, 2)),
])
def test_conv_with_same_padding_names_the_weights_rank(conv, x, w):
    # the padding-string path meets the ranks first, and prints the weight's shape without a space
    with pytest.raises(RuntimeError) as info:
        conv(tg.randn(*x), tg.randn(*w), padding="same")
    assert str(info.value) == (f"Expected {len(w)}-dimensional input for {len(w)}-dimensional weight{list(w)}, but got "
                               f"{len(x)}-dimensional input of size {list(x)} instead")


def test_conv2d_without_a_padding_string_keeps_its_stride_message():
    with pytest.raises(RuntimeError, match=r"expected stride to be a single integer value or a list of 1 values"):
        F.conv2d(tg.randn(1, 1, 4, 3), tg.randn(1, 2, 2))


def test_adaptive_max_pool3d_refuses_a_negative_output_size():
    x = tg.randn(1, 1, 2, 3, 4)
    with pytest.raises(RuntimeError, match=r"^Trying to create tensor with negative dimension -1: \[1, 1, -1, 0, 2\]$"):
        F.adaptive_max_pool3d(x, (-1, 0, 2))
    with pytest.raises(RuntimeError, match=r"^Trying to create tensor with negative dimension -1: \[1, 1, 2, -1, -2\]$"):
        F.adaptive_max_pool3d(x, (2, -1, -2))
    assert F.adaptive_max_pool3d(x, (1, 2, 2)).shape == (1, 1, 1, 2, 2)
