"""``unsqueeze`` gives the new size-1 dim PyTorch's stride (size[d] * stride[d], 1 at the end), which
``stride()`` shows; the result stays a view that writes go through."""
import pytest

import tensorgraft as tg


@pytest.mark.parametrize("make,dim,expected", [
    (lambda: tg.zeros(2, 3, 4), 1, (12, 12, 4, 1)),
    (lambda: tg.zeros(2, 3, 4), 0, (24, 12, 4, 1)),
    (lambda: tg.zeros(2, 3, 4), 3, (12, 4, 1, 1)),
    (lambda: tg.zeros(2, 3, 4).permute(2, 0, 1), 3, (1, 12, 4, 1)),
    (lambda: tg.zeros(2, 3, 4).permute(2, 0, 1), 1, (1, 24, 12, 4)),
    (lambda: tg.zeros(3, 4).t(), 2, (1, 4, 1)),
    (lambda: tg.arange(10.0)[::2], 1, (2, 1)),
    (lambda: tg.tensor(1.0), 0, (1,)),
])
def test_unsqueeze_strides_are_pytorchs(make, dim, expected):
    x = make()
    y = x.unsqueeze(dim)
    assert y.stride() == expected
    y.fill_(3.0)
    assert bool((x == 3.0).all())  # a view: the write went through
