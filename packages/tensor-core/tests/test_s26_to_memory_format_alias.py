"""``to(memory_format=)`` returns the tensor itself when nothing else changes and its strides
already suggest that format (PyTorch's ``suggest_memory_format``: a transposed matrix is
"contiguous format"; a sliced channels-last tensor is channels last), else copies into the format.
Expected (alias or copy, strides) pairs are what PyTorch 2.13 gives."""
from __future__ import annotations

import pytest

import tensorgraft as tg

CASES = {
    "transposed matrix": (lambda: tg.randn(2, 3).t(), [("alias", (1, 3))]),
    "channels last": (lambda: tg.randn(2, 3, 4, 5).to(memory_format=tg.channels_last),
                      [("copy", (60, 20, 5, 1)), ("alias", (60, 1, 15, 3))]),
    "sliced channels last": (lambda: tg.randn(2, 3, 4, 6).to(memory_format=tg.channels_last)[..., ::2],
                             [("copy", (36, 12, 3, 1)), ("alias", (72, 1, 18, 6))]),
    "contiguous": (lambda: tg.randn(2, 3, 4, 5), [("alias", (60, 20, 5, 1)), ("copy", (60, 1, 15, 3))]),
    "permuted": (lambda: tg.randn(2, 4, 5, 3).permute(0, 3, 2, 1),
                 [("alias", (60, 1, 3, 15)), ("copy", (60, 1, 12, 3))]),
    "one channel": (lambda: tg.randn(2, 1, 4, 5), [("alias", (20, 20, 5, 1)), ("copy", (20, 1, 5, 1))]),
    "sliced": (lambda: tg.randn(2, 3, 4, 6)[..., ::2], [("alias", (72, 24, 6, 2)), ("copy", (36, 1, 9, 3))]),
}


@pytest.mark.parametrize("name", CASES)
def test_to_memory_format_aliases_as_pytorch(name):
    make, expected = CASES[name]
    for fmt, (kind, strides) in zip((tg.contiguous_format, tg.channels_last), expected):
        x = make()
        y = x.to(memory_format=fmt)
        assert ("alias" if y is x else "copy", tuple(y.stride())) == (kind, strides)


def test_complex_conversions_take_memory_format():
    x = tg.randn(2, 3).t()
    assert x.cfloat(memory_format=tg.contiguous_format).stride() == (2, 1)
    assert x.cdouble(memory_format=tg.preserve_format).dtype is tg.complex128
