"""tensorgraft.masked._ops (torch.masked._ops): PyTorch's private module of the masked functions,
which PyTorch's own docstrings call (``torch.masked._ops.sum(input, 1, mask=mask)``).

Every expected value below is the output of that docstring example under PyTorch 2.13 (CPU),
computed with torch; the repository's tests do not import torch.
"""
import math

import pytest

import tensorgraft as tg
import tensorgraft.masked._ops as ops

nan, inf = math.nan, math.inf
INPUT = [[-3, -2, -1], [0, 1, 2]]
MASK = [[True, False, True], [False, False, False]]


def _args(floating=False):
    # (the docstrings of cumsum, cumprod, median, norm and the normalizations give a float input)
    return tg.tensor(INPUT, dtype=tg.float32 if floating else None), tg.tensor(MASK)


def _same(got, expected, dtype):
    assert got.dtype == dtype
    assert tg.allclose(got.double(), tg.tensor(expected, dtype=tg.float64), equal_nan=True, atol=1e-4)


def test_module_reexports_the_masked_functions():
    for name in ("amax", "amin", "argmax", "argmin", "cumprod", "cumsum", "log_softmax", "logaddexp", "logsumexp",
                 "mean", "median", "norm", "normalize", "prod", "softmax", "softmin", "std", "sum", "var"):
        assert getattr(ops, name) is getattr(tg.masked, name)
    assert tg.masked._ops is ops
    with pytest.warns(UserWarning, match="prototype stage"):  # (PyTorch's warning for MaskedTensor)
        mt = tg.masked.masked_tensor(tg.ones(2), tg.tensor([True, False]))
    assert ops.is_masked_tensor(mt)
    assert ops.MaskedTensor is tg.masked.MaskedTensor
    assert not hasattr(ops, "no_such_function")


# (function, extra positional args, expected (PyTorch 2.13), dtype): the docstring examples
INT_MIN, INT_MAX = -9223372036854775808, 9223372036854775807


@pytest.mark.parametrize("name, extra, expected, dtype", [
    ("sum", (1,), [-4, 0], tg.int64),
    ("prod", (1,), [3, 1], tg.int64),
    ("amax", (1,), [-1, INT_MIN], tg.int64),
    ("amin", (1,), [-3, INT_MAX], tg.int64),
    ("argmax", (1,), [2, 0], tg.int64),
    ("argmin", (1,), [0, 0], tg.int64),
    ("logsumexp", (1,), [0, INT_MIN], tg.int64),
    ("cumsum", (1,), [[-3., -3., -4.], [0., 0., 0.]], tg.float32),
    ("cumprod", (1,), [[-3., -3., 3.], [1., 1., 1.]], tg.float32),
    ("median", (1,), [-3., nan], tg.float32),
    ("norm", (2.0, 1), [3.1623, 0.0], tg.float32),
    ("normalize", (2.0, 1), [[-0.9487, 0.0, -0.3162], [0.0, 0.0, 0.0]], tg.float32),
    ("softmax", (1,), [[0.1192, 0.0, 0.8808], [nan, nan, nan]], tg.float32),
    ("log_softmax", (1,), [[-2.1269, -inf, -0.1269], [nan, nan, nan]], tg.float32),
    ("softmin", (1,), [[0.8808, 0.0, 0.1192], [nan, nan, nan]], tg.float32),
    ("var", (1, False), [1., nan], tg.float32),
    ("std", (1, False), [1., nan], tg.float32),
])
def test_docstring_examples(name, extra, expected, dtype):
    x, mask = _args(floating=name in ("cumsum", "cumprod", "median", "norm", "normalize", "softmax", "log_softmax",
                                      "softmin"))
    _same(getattr(ops, name)(x, *extra, mask=mask), expected, dtype)


def test_mean_of_integers_refuses_as_pytorch():
    x, mask = _args()
    with pytest.raises(ValueError, match=r"^mean\(\): Could not infer output dtype. Input dtype must be either a "
                                         r"floating point or complex dtype. Got: torch.int64$"):
        ops.mean(x, 1, mask=mask)


def test_logaddexp_docstring_example():
    x, other = tg.tensor([-100.0, -200, -300]), tg.tensor([-1.0, -2, -3])
    mask = tg.tensor([True, False, True])
    got = ops.logaddexp(x, other, input_mask=mask, other_mask=mask)
    assert repr(got) == "tensor([-1., -inf, -3.])"


def test_reachable_as_an_attribute_without_importing_it():
    # PyTorch's docstrings write torch.masked._ops.sum(...) after a bare ``import torch``
    import subprocess
    import sys
    code = ("import tensorgraft as tg; x = tg.tensor([[-3, -2, -1], [0, 1, 2]]); "
            "m = tg.tensor([[True, False, True], [False, False, False]]); print(tg.masked._ops.sum(x, 1, mask=m))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out == "tensor([-4,  0])\n"  # PyTorch 2.13's output
