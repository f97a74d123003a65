"""tensorgraft.masked (torch.masked): the masked reductions and normalizations.

Every expected value, dtype, shape and message below was computed with PyTorch 2.13 (CPU) on the
same inputs (torch.masked.<fn>(X, ..., mask=M)); the repository's tests do not import torch.
"""
import math

import numpy as np
import pytest

import tensorgraft as tg

nan, inf = math.nan, math.inf
X = [[0.5, -1.25, 2.0, 0.75], [1.5, -0.5, 3.0, -2.0], [-0.25, 1.0, -1.5, 2.5]]
M = [[True, False, True, True], [False, False, False, False], [True, True, False, True]]  # row 1 fully masked out
I = [[3, -7, 2, 9], [1, 1, 1, 1], [-4, 0, 6, 5]]


def x64():
    return tg.tensor(X, dtype=tg.float64)


def mask():
    return tg.tensor(M)


def close(t, expected, shape, dtype=tg.float64):
    assert t.dtype == dtype and tuple(t.shape) == shape
    np.testing.assert_allclose(np.asarray(t.detach().numpy(), dtype=np.float64).ravel(), np.ravel(expected),
                               rtol=1e-8, atol=1e-9)


def test_reachable_as_an_attribute_of_tensorgraft():
    # as torch.masked: no explicit import needed, and listed by dir()
    assert tg.masked.sum is __import__("tensorgraft.masked", fromlist=["sum"]).sum
    assert "masked" in dir(tg)
    assert set(tg.masked.__all__) >= {"sum", "prod", "cumsum", "cumprod", "amax", "amin", "argmax", "argmin", "mean",
                                      "median", "norm", "var", "std", "logsumexp", "logaddexp", "softmax",
                                      "log_softmax", "softmin", "normalize"}


# (function, positional args, keyword args) -> (shape, values) from torch.masked with mask=M
CASES = [
    ("sum", (1,), {}, (3,), [3.25, 0.0, 3.25]),
    ("sum", (None,), {}, (), [6.5]),
    ("sum", ((0, 1),), {"keepdim": True}, (1, 1), [6.5]),
    ("prod", (1,), {}, (3,), [0.75, 1.0, -0.625]),
    ("prod", (0,), {}, (4,), [-0.125, 1.0, 2.0, 1.875]),
    ("cumsum", (1,), {}, (3, 4), [0.5, 0.5, 2.5, 3.25, 0.0, 0.0, 0.0, 0.0, -0.25, 0.75, 0.75, 3.25]),
    ("cumprod", (1,), {}, (3, 4), [0.5, 0.5, 1.0, 0.75, 1.0, 1.0, 1.0, 1.0, -0.25, -0.25, -0.25, -0.625]),
    ("amax", (1,), {}, (3,), [2.0, -inf, 2.5]),
    ("amin", (0,), {}, (4,), [-0.25, 1.0, 2.0, 0.75]),
    ("argmax", (1,), {}, (3,), [2.0, 0.0, 3.0]),  # the index, in the input's dtype (PyTorch's default)
    ("argmin", (1,), {}, (3,), [0.0, 0.0, 0.0]),
    ("argmax", (None,), {}, (), [11.0]),
    ("mean", (1,), {}, (3,), [1.0833333333, nan, 1.0833333333]),
    ("mean", (None,), {}, (), [1.0833333333333333]),
    ("median", (1,), {}, (3,), [0.75, nan, 1.0]),
    ("median", (0,), {}, (4,), [-0.25, 1.0, 2.0, 0.75]),
    ("norm", (2.0, 1), {}, (3,), [2.1937410968, 0.0, 2.7041634566]),
    ("norm", (1.0, 0), {}, (4,), [0.75, 1.0, 2.0, 3.25]),
    ("norm", (-inf, 1), {}, (3,), [0.5, inf, 0.25]),
    ("var", (1,), {}, (3,), [0.6458333333, nan, 1.8958333333]),
    ("var", (1, False), {}, (3,), [0.4305555556, nan, 1.2638888889]),
    ("std", (0,), {"correction": 2}, (4,), [inf, nan, nan, inf]),
    ("std", (1,), {"keepdim": True}, (3, 1), [0.8036375634, nan, 1.3768926368]),
    ("logsumexp", (1,), {}, (3,), [2.4118678713, -inf, 2.7523590102]),
    ("softmax", (1,), {}, (3, 4), [0.1478040497, 0.0, 0.6624117939, 0.1897841564, nan, nan, nan, nan, 0.0496697586,
                                   0.1733644921, 0.0, 0.7769657493]),
    ("log_softmax", (1,), {}, (3, 4), [-1.9118678713, -inf, -0.4118678713, -1.6618678713, nan, nan, nan, nan,
                                       -3.0023590102, -1.7523590102, -inf, -0.2523590102]),
    ("softmin", (1,), {}, (3, 4), [0.4995177298, 0.0, 0.1114574711, 0.3890247991, nan, nan, nan, nan, 0.7405034187,
                                   0.2121577815, 0.0, 0.0473387998]),
    ("normalize", (2.0, 1), {}, (3, 4), [0.2279211529, 0.0, 0.9116846117, 0.3418817294, 0.0, 0.0, 0.0, 0.0,
                                         -0.0924500327, 0.3698001308, 0.0, 0.924500327]),
]


@pytest.mark.parametrize("name,args,kwargs,shape,expected", CASES)
def test_values_shapes_dtypes_as_pytorch(name, args, kwargs, shape, expected):
    out = getattr(tg.masked, name)(x64(), *args, mask=mask(), **kwargs)
    close(out, expected, shape)


def test_integer_inputs_dtypes_and_identities():
    i32 = tg.tensor(I, dtype=tg.int32)
    out = tg.masked.sum(i32, 1, mask=mask())  # sums of small ints accumulate in int64, as torch.sum
    assert out.dtype == tg.int64 and out.tolist() == [14, 0, 1]
    out = tg.masked.prod(i32.to(tg.uint8), 1, mask=mask())
    assert out.dtype == tg.int64 and out.tolist() == [54, 1, 0]
    out = tg.masked.amax(i32, 1, mask=mask())  # a fully masked-out row gives the dtype's minimum
    assert out.dtype == tg.int32 and out.tolist() == [9, -2147483648, 5]
    assert tg.masked.amin(i32, 1, mask=mask()).tolist() == [2, 2147483647, -4]
    out = tg.masked.argmax(i32, 1, mask=mask())
    assert out.dtype == tg.int32 and out.tolist() == [3, 0, 3]
    out = tg.masked.median(i32, 0, mask=mask())
    assert out.dtype == tg.int32 and out.tolist() == [-4, 0, 2, 5]
    out = tg.masked.cumsum(i32, 1, mask=mask())
    assert out.dtype == tg.int32 and out.tolist() == [[3, 3, 5, 14], [0, 0, 0, 0], [-4, -4, -4, 1]]
    out = tg.masked.var(i32, 1, mask=mask())  # integer var/std compute in float32
    close(out, [14.333333015441895, nan, 20.333332061767578], (3,), tg.float32)
    out = tg.masked.mean(i32, 1, mask=mask(), dtype=tg.float32)
    close(out, [4.666666507720947, nan, 0.3333333432674408], (3,), tg.float32)


def test_dtype_argument():
    out = tg.masked.sum(x64(), 1, mask=mask(), dtype=tg.float32)
    assert out.dtype == tg.float32 and out.tolist() == [3.25, 0.0, 3.25]
    out = tg.masked.softmax(x64(), 1, mask=mask(), dtype=tg.float32)
    assert out.dtype == tg.float32


def test_broadcast_and_non_bool_masks():
    # a mask of fewer dims, or with size-1 dims, broadcasts; a non-bool mask is read as bool
    out = tg.masked.amax(x64(), (0, 1), mask=tg.tensor([True, False, True, False]), keepdim=True)
    close(out, [3.0], (1, 1))
    out = tg.masked.sum(x64(), 1, mask=tg.tensor([1, 0, 1, 1]))
    close(out, [3.25, 2.5, 0.75], (3,))
    out = tg.masked.softmax(x64(), 1, mask=tg.tensor([[True], [False], [True]]))
    close(out, [0.1441028413, 0.025041319, 0.6458241289, 0.1850317108, nan, nan, nan, nan, 0.0489728444, 0.1709320227,
                0.0140309548, 0.766064178], (3, 4))
    out = tg.masked.logaddexp(x64()[0], x64()[2], input_mask=mask()[0], other_mask=mask()[2])
    close(out, [0.8868710061, 1.0, 2.0, 2.6602241504], (4,))


def test_mask_none_is_the_plain_reduction():
    close(tg.masked.sum(x64(), 1), [2.0, 2.0, 1.75], (3,))
    close(tg.masked.var(x64(), None), [tg.var(x64()).item()], ())


@pytest.mark.parametrize("call,exc,message", [
    (lambda: tg.masked.sum(x64(), 2, mask=mask()), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    (lambda: tg.masked.median(x64(), 2, mask=mask()), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    (lambda: tg.masked.sum(x64(), (0, 0), mask=mask()), RuntimeError, "dim=0 appears multiple times in the list of dims"),
    (lambda: tg.masked.sum(x64(), (1, -1), mask=mask()), RuntimeError, "dim 1 appears multiple times in the list of dims"),
    (lambda: tg.masked.sum(x64(), 1, mask=mask()[None]), IndexError,
     "_input_mask expected broadcastable mask (got mask dimensionality higher than of the input)"),
    (lambda: tg.masked.sum(x64(), 1, mask=tg.ones(3, dtype=tg.bool)), RuntimeError,
     "The expanded size of the tensor (4) must match the existing size (3) at non-singleton dimension 1.  "
     "Target sizes: [3, 4].  Tensor sizes: [3]"),
    (lambda: tg.masked.mean(tg.tensor(I, dtype=tg.int32), 1, mask=mask()), ValueError,
     "mean(): Could not infer output dtype. Input dtype must be either a floating point or complex dtype. "
     "Got: torch.int32"),
    (lambda: tg.masked.mean(x64(), 1, mask=mask(), dtype=tg.int64), ValueError,
     "mean(): Could not infer output dtype. Optional dtype must be either a floating point or complex dtype. "
     "Got: torch.int64"),
    (lambda: tg.masked.median(tg.tensor(I, dtype=tg.int32), 1, mask=mask()), ValueError,
     "masked median expects no fully masked out rows if dtype is not floating point"),
    (lambda: tg.masked.amax(tg.tensor(I).bool(), 1, mask=mask()), NotImplementedError,
     "identity of amax on torch.bool input"),
    (lambda: tg.masked.var(x64(), 1, True, correction=1, mask=mask()), AssertionError,
     "Only one of unbiased and correction may be given"),
])
def test_errors_as_pytorch(call, exc, message):
    with pytest.raises(exc) as info:
        call()
    assert str(info.value) == message


def test_sparse_input_is_refused_naming_the_op():
    sparse = x64().to_sparse()
    with pytest.raises(ValueError, match="masked sum expects strided.*got torch.sparse_coo tensor.*to_dense"):
        tg.masked.sum(sparse, 1)


# --------------------------------------------------------------------------- gradients
# x.grad after (where(isfinite(out), out, 0) * arange(1, n + 1)).sum().backward(), from PyTorch
GRADS = [
    ("sum", (1,), [1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 3.0, 3.0, 0.0, 3.0]),
    ("prod", (1,), [1.5, 0.0, 0.375, 1.0, 0.0, 0.0, 0.0, 0.0, 7.5, -1.875, 0.0, -0.75]),
    ("amax", (1,), [0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 3.0]),
    ("mean", (1,), [1 / 3, 0.0, 1 / 3, 1 / 3, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0]),
    ("median", (1,), [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 3.0, 0.0, 0.0]),
    ("norm", (2.0, 1), [0.2279211529, 0.0, 0.9116846117, 0.3418817294, 0.0, 0.0, 0.0, 0.0, -0.2773500981,
                        1.1094003925, 0.0, 2.7735009811]),
    # var/std: the fully masked-out row's nan (0/0) reaches its gradient too, as in PyTorch
    ("var", (1,), [-0.5833333333, 0.0, 0.9166666667, -0.3333333333, nan, nan, nan, nan, -4.0, -0.25, 0.0, 4.25]),
    ("std", (1,), [-0.3629330932, 0.0, 0.5703234321, -0.2073903389, nan, nan, nan, nan, -1.4525460784,
                   -0.0907841299, 0.0, 1.5433302083]),
    ("logsumexp", (1,), [0.1478040497, 0.0, 0.6624117939, 0.1897841564, 0.0, 0.0, 0.0, 0.0, 0.1490092758,
                         0.5200934762, 0.0, 2.330897248]),
    ("softmax", (1,), [-0.279966892, 0.0, 0.0700990278, 0.2098678642, 0.0, 0.0, 0.0, 0.0, -0.1243860761,
                       -0.2607855725, 0.0, 0.3851716486]),
    ("log_softmax", (1,), [-0.1824323972, 0.0, -2.2992943512, 2.4817267484, 0.0, 0.0, 0.0, 0.0, 7.4602374838,
                           4.6257007456, 0.0, -12.0859382294]),
    ("softmin", (1,), [0.6943243193, 0.0, -0.0679902455, -0.6263340738, 0.0, 0.0, 0.0, 0.0, 0.2622671917,
                       -0.1370169731, 0.0, -0.1252502187]),
    ("normalize", (2.0, 1), [0.0059200299, 0.0, -0.4321621861, 1.1484858095, 0.0, 0.0, 0.0, 0.0, 3.805464594,
                             1.7889476414, 0.0, -0.3350325972]),
    ("cumsum", (1,), [10.0, 0.0, 7.0, 4.0, 0.0, 0.0, 0.0, 0.0, 42.0, 33.0, 0.0, 12.0]),
    ("cumprod", (1,), [15.0, 0.0, 3.0, 4.0, 0.0, 0.0, 0.0, 0.0, 60.0, -12.75, 0.0, -3.0]),
]


@pytest.mark.parametrize("name,args,expected", GRADS)
def test_gradients_as_pytorch_zero_at_masked_out(name, args, expected):
    pytest.importorskip("tensorgraft.autograd")
    x = x64().requires_grad_()
    out = getattr(tg.masked, name)(x, *args, mask=mask())
    w = tg.arange(1, out.numel() + 1, dtype=tg.float64).reshape(out.shape)
    (tg.where(tg.isfinite(out), out, 0) * w).sum().backward()
    close(x.grad, expected, (3, 4))
