"""Regression tests for differences from PyTorch found in the tensor-core audit (issue 3).

Each test checks the expected value or message directly (runs without torch); the ``*_oracle``
tests compare with PyTorch where it is installed.
"""
import numpy as np
import pytest

import tensorgraft as tg


def _err(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the type is part of what is compared
        return type(e).__name__, str(e)
    raise AssertionError("expected an exception")


# --------------------------------------------------------------------------- broadcasting messages
BROADCAST_CASES = [
    ("add", lambda T: T.ones(2, 3) + T.ones(3, 2)),
    ("mul", lambda T: T.ones(2, 3) * T.ones(4)),
    ("div", lambda T: T.ones(2, 3) / T.ones(5, 3)),
    ("lt", lambda T: T.ones(2, 3) < T.ones(3, 3)),
    ("pow", lambda T: T.ones(2, 3) ** T.ones(3, 3)),
    ("3d", lambda T: T.ones(5, 2, 3) + T.ones(4, 1, 3)),
    ("method", lambda T: T.ones(2, 3).add(T.ones(3, 2))),
    ("inplace", lambda T: T.ones(2, 3).mul_(T.ones(3, 3))),
    ("maximum", lambda T: T.maximum(T.ones(2, 3), T.ones(3, 2))),
    ("where", lambda T: T.where(T.ones(2, 3) > 0, T.ones(3, 2), 0.0)),
    ("lerp", lambda T: T.lerp(T.ones(2, 3), T.ones(3, 2), 0.5)),
    ("clamp", lambda T: T.ones(3).clamp(min=T.ones(2))),
    ("masked_fill", lambda T: T.ones(2, 3).masked_fill(T.ones(3, 2) > 0, 0.0)),
    ("expand", lambda T: T.ones(2, 3).expand(4, 5)),
    ("addmm", lambda T: T.addmm(T.ones(3, 3), T.ones(2, 3), T.ones(3, 2))),
    ("broadcast_tensors", lambda T: T.broadcast_tensors(T.ones(2, 3), T.ones(3, 2))),
    ("setitem_mask", lambda T: T.arange(24.0).reshape(2, 3, 4).__setitem__(
        T.arange(24.0).reshape(2, 3, 4) > 5, T.arange(17.0))),
    ("setitem_basic", lambda T: T.zeros(2, 3, 4).__setitem__(0, T.ones(4, 3))),
]


def test_broadcast_error_is_pytorchs_runtime_error():
    kind, msg = _err(lambda: tg.ones(2, 3) + tg.ones(3, 2))
    assert kind == "RuntimeError"
    assert msg == "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 1"
    assert _err(lambda: tg.ones(2, 3) / tg.ones(5, 3))[1].endswith("(2) must match the size of tensor b (5) at "
                                                                   "non-singleton dimension 0")
    assert "must match the size of tensor" in _err(lambda: tg.ones(2, 3) ** tg.ones(3, 3))[1]
    assert _err(lambda: tg.ones(2, 3).expand(4, 5))[1].startswith(
        "The expanded size of the tensor (5) must match the existing size (3) at non-singleton dimension 1")
    assert _err(lambda: tg.zeros(4).__setitem__(tg.zeros(4) == 0, tg.ones(3)))[1] == (
        "shape mismatch: value tensor of shape [3] cannot be broadcast to indexing result of shape [4]")


@pytest.mark.parametrize("case", BROADCAST_CASES, ids=[c[0] for c in BROADCAST_CASES])
def test_broadcast_error_oracle(case):
    torch = pytest.importorskip("torch")
    fn = case[1]
    assert _err(lambda: fn(tg)) == _err(lambda: fn(torch))


# --------------------------------------------------------------------------- integer semantics
def test_python_int_out_of_dtype_range_wraps():
    assert (tg.tensor([1, 2], dtype=tg.uint8) + -1).tolist() == [0, 1]
    assert (tg.tensor([1, 2], dtype=tg.uint8) * -1).tolist() == [255, 254]
    assert (tg.tensor([1, 2], dtype=tg.int8) + 200).tolist() == [-55, -54]
    assert (tg.tensor([1, 2], dtype=tg.uint8) == 256).tolist() == [False, False]
    r = tg.tensor([1, 2], dtype=tg.int8) * 300
    assert r.dtype is tg.int8 and r.tolist() == [44, 88]


def test_fill_overflow_message_and_uint8_negative_wrap():
    assert _err(lambda: tg.zeros(2, dtype=tg.int8).fill_(300)) == (
        "RuntimeError", "value cannot be converted to type int8_t without overflow")
    assert tg.zeros(2, dtype=tg.uint8).fill_(-1).tolist() == [255, 255]


def test_integer_division_by_zero_raises():
    for fn in (lambda: tg.tensor([5, -5]) // 0, lambda: tg.tensor([5, -5]) % 0,
               lambda: tg.tensor([5, -5]).fmod(0), lambda: 5 // tg.tensor([0, 1]),
               lambda: tg.tensor([5]).div(0, rounding_mode="floor"),
               lambda: tg.tensor([5, 1]).div(tg.tensor([1, 0]), rounding_mode="trunc")):
        assert _err(fn) == ("RuntimeError", "ZeroDivisionError")
    # floating divisors follow IEEE
    assert (tg.tensor([5, -5]) // 0.0).tolist() == [float("inf"), float("-inf")]
    assert (tg.tensor([5.0, -5.0]).div(0, rounding_mode="trunc")).tolist() == [float("inf"), float("-inf")]
    assert (tg.tensor([7, -7]) // 2).tolist() == [3, -4]


def test_integer_semantics_oracle():
    torch = pytest.importorskip("torch")
    cases = [lambda T: T.tensor([1, 2], dtype=T.uint8) - -1, lambda T: T.tensor([1, 2], dtype=T.int32) + 2 ** 40,
             lambda T: T.tensor([1, 2], dtype=T.uint8) < -1, lambda T: T.tensor(1, dtype=T.uint8) + -1,
             lambda T: T.tensor([5, 3]) % T.tensor([2, 0]), lambda T: T.zeros(2, dtype=T.uint8).fill_(-200),
             lambda T: T.tensor([1, 2]).add(T.tensor([1, 2]), alpha=2.5)]
    for fn in cases:
        try:
            expected = fn(torch)
        except Exception as e:  # noqa: BLE001
            assert _err(lambda: fn(tg)) == (type(e).__name__, str(e))
            continue
        got = fn(tg)
        assert str(got.dtype) == str(expected.dtype)
        assert got.tolist() == expected.tolist()


def test_integral_add_rejects_float_alpha():
    assert _err(lambda: tg.tensor([1, 2]).add(tg.tensor([1, 2]), alpha=2.5)) == (
        "RuntimeError", "For integral input tensors, argument alpha must not be a floating point number.")
    assert tg.tensor([1.0, 2.0]).add(tg.tensor([1, 2]), alpha=2.5).tolist() == [3.5, 7.0]


def test_invert_float_message():
    assert _err(lambda: ~tg.tensor([1.5])) == (
        "TypeError", "~ (operator.invert) is only implemented on integer and Boolean-type tensors")


def test_other_not_a_tensor_message():
    assert _err(lambda: tg.add(tg.ones(2), "a")) == (
        "TypeError", "add(): argument 'other' (position 2) must be Tensor, not str")


def test_tensor_op_ndarray_gives_tensor():
    r = tg.tensor([1.0, 2.0]) + np.array([1.5, 2.0])
    assert isinstance(r, tg.Tensor) and r.dtype is tg.float64 and r.tolist() == [2.5, 4.0]
    r = tg.tensor([1.0, 2.0]) * np.array([[1.0], [2.0]])
    assert isinstance(r, tg.Tensor) and tuple(r.shape) == (2, 2)


# --------------------------------------------------------------------------- math and reductions
def test_erf_family_keeps_float16():
    x = tg.tensor([1.5, -0.3], dtype=tg.float16)
    for name in ("erf", "erfc", "erfinv"):
        if name == "erfinv":
            x = tg.tensor([0.5, -0.3], dtype=tg.float16)
        assert getattr(tg, name)(x).dtype is tg.float16
        assert getattr(x, name)().dtype is tg.float16


def test_mean_of_integers_message_names_long():
    assert _err(lambda: tg.tensor([1, 2]).mean())[1].endswith("Got: Long")
    assert _err(lambda: tg.tensor([True]).mean())[1].endswith("Got: Bool")


def test_reduction_dim_checks():
    assert _err(lambda: tg.tensor(3.0).prod(1)) == (
        "IndexError", "Dimension out of range (expected to be in range of [-1, 0], but got 1)")
    assert tg.tensor(3.0).prod(0).item() == 3.0
    assert _err(lambda: tg.zeros(0, 3).max(0)) == (
        "IndexError", "max(): Expected reduction dim 0 to have non-zero size.")
    assert _err(lambda: tg.zeros(0, 3).amax()) == (
        "RuntimeError", "amax(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
                        "reduction dim with the 'dim' argument.")
    assert _err(lambda: tg.ones(1, 2).sum(dim=(0, 0)))[1] == "dim 0 appears multiple times in the list of dims"


# --------------------------------------------------------------------------- creation / shape
def test_tensor_from_range():
    t = tg.tensor(range(4))
    assert t.dtype is tg.int64 and t.tolist() == [0, 1, 2, 3]
    assert tg.tensor(range(2), dtype=tg.float32).tolist() == [0.0, 1.0]


def test_flip_dims_keyword():
    x = tg.arange(6).reshape(2, 3)
    assert tg.flip(x, dims=(1,)).tolist() == [[2, 1, 0], [5, 4, 3]]
    assert x.flip(dims=[0, 1]).tolist() == [[5, 4, 3], [2, 1, 0]]
    assert x.flip(0).tolist() == [[3, 4, 5], [0, 1, 2]]


def test_inplace_sampling_methods():
    tg.manual_seed(0)
    t = tg.zeros(1000).uniform_(-2, 3)
    assert t.min().item() >= -2 and t.max().item() < 3
    tg.manual_seed(0)
    assert tg.equal(tg.zeros(1000).uniform_(-2, 3), t)
    v = t._version
    t.normal_(1.0, 0.5)
    assert t._version == v + 1 and abs(t.mean().item() - 1.0) < 0.2
    assert tg.zeros(3).bernoulli_(1.0).tolist() == [1.0, 1.0, 1.0]
    assert tg.zeros(3).bernoulli_(tg.tensor([1.0, 0.0, 1.0])).tolist() == [1.0, 0.0, 1.0]
    r = tg.zeros(100, dtype=tg.int64).random_(0, 5)
    assert r.dtype is tg.int64 and 0 <= r.min().item() and r.max().item() < 5
    assert tg.zeros(50).random_(3).max().item() < 3
    assert tg.zeros(100).exponential_().min().item() >= 0
    assert _err(lambda: tg.zeros(3, dtype=tg.int64).uniform_()) == (
        "NotImplementedError", "\"check_uniform_bounds\" not implemented for 'Long'")
    with tg.no_grad():
        w = tg.ones(3)
        assert w.uniform_() is w


def test_inplace_sampling_oracle_errors():
    torch = pytest.importorskip("torch")
    for fn in (lambda T: T.zeros(3).uniform_(2, 1), lambda T: T.zeros(3).normal_(0, -1),
               lambda T: T.zeros(3, dtype=T.int64).random_(5, 5), lambda T: T.zeros(3).exponential_(0)):
        assert _err(lambda: fn(tg)) == _err(lambda: fn(torch))


def test_shape_keyword_names():
    x = tg.arange(6.0).reshape(2, 3)
    assert x.view(size=(3, 2)).shape == (3, 2)
    assert x.reshape(shape=(3, 2)).shape == (3, 2)
    assert tg.reshape(x, shape=(-1,)).shape == (6,)
    assert x.permute(dims=(1, 0)).tolist() == x.t().tolist()
    assert tg.permute(x, (1, 0)).shape == (3, 2)


# --------------------------------------------------------------------------- issue 4 follow-up
def test_broadcast_shapes_at_top_level():
    assert tg.broadcast_shapes((2, 1), (3,)) == tg.Size([2, 3])
    assert tg.broadcast_shapes(3, (2, 1)) == (2, 3)
    with pytest.raises(RuntimeError) as e:
        tg.broadcast_shapes((3,), (2, 1), (5,))
    assert str(e.value) == ("Attempting to broadcast a dimension of length 5 at -1! Mismatching argument at index 2 "
                            "had (5,); but expected shape should be broadcastable to [2, 3]")
    with pytest.raises(ValueError, match="^Attempting to broadcast a dimension with negative length!$"):
        tg.broadcast_shapes((1,), (-2,))
    with pytest.raises(RuntimeError, match="The size of tensor a"):  # ops on tensors keep their own message
        tg.broadcast_tensors(tg.ones(2), tg.ones(3))


def test_broadcast_shapes_oracle():
    torch = pytest.importorskip("torch")
    for shapes in [((2, 1), (3,)), ((1,), (4, 1, 5), (5,)), (3, (2, 1)), ((2,), (3,)), ((5, 1, 3), (4, 2, 3)),
                   ((1, 2), (3, 1), (4, 5)), ((2,), -1), ((-1,),), ((0,), (1,)), ((0,), (2,)), ()]:
        assert _err_or(lambda: tuple(tg.broadcast_shapes(*shapes))) == \
            _err_or(lambda: tuple(torch.broadcast_shapes(*shapes)))


def _err_or(fn):
    try:
        return fn()
    except Exception as e:  # noqa: BLE001 - the type is part of what is compared
        return type(e).__name__, str(e)


def test_positive_returns_the_input_itself():
    x = tg.tensor([1.0, -2.0])
    assert tg.positive(x) is x and x.positive() is x and (+x) is x
    i = tg.tensor([1, 2])
    assert +i is i
    with pytest.raises(RuntimeError, match="^The `\\+` operator, on a bool tensor is not supported.$"):
        +tg.tensor([True])


def test_positive_oracle():
    torch = pytest.importorskip("torch")
    for T in (tg, torch):
        x = T.tensor([1.0, -2.0])
        assert T.positive(x) is x
    assert _err_or(lambda: +tg.tensor([True])) == _err_or(lambda: +torch.tensor([True]))


MULTINOMIAL_CASES = [
    ("neg", [0.5, -0.1, 0.6], 1, False),
    ("neg_2d", [[0.5, -0.1, 0.6]], 1, False),
    ("nan", [0.5, float("nan"), 0.6], 1, False),
    ("neg_replacement", [0.5, -0.1, 0.6], 2, True),
    ("neg_replacement_one_sample", [0.5, -0.1, 0.6], 1, True),
    ("nan_replacement", [0.5, float("nan"), 0.6], 2, True),
    ("inf_replacement", [0.5, float("inf"), 0.6], 2, True),
    ("zero_sum_replacement", [0.0, 0.0], 2, True),
    ("neg_zero_sum_replacement", [1.0, -1.0], 2, True),
    ("second_row_neg_replacement", [[0.5, 0.6], [0.5, -0.1]], 2, True),
]


@pytest.mark.parametrize("name,probs,n,replacement", MULTINOMIAL_CASES, ids=[c[0] for c in MULTINOMIAL_CASES])
def test_multinomial_invalid_weights(name, probs, n, replacement):
    expected = {
        False: "probability tensor contains either `inf`, `nan` or element < 0",
        True: "invalid multinomial distribution (encountering probability entry < 0)",
    }[replacement and n > 1]
    if name == "inf_replacement":
        expected = "invalid multinomial distribution (encountering probability entry = infinity or NaN)"
    if name == "zero_sum_replacement":
        expected = "invalid multinomial distribution (sum of probabilities <= 0)"
    with pytest.raises(RuntimeError) as e:
        tg.multinomial(tg.tensor(probs), n, replacement=replacement)
    assert str(e.value) == expected


@pytest.mark.parametrize("name,probs,n,replacement", MULTINOMIAL_CASES, ids=[c[0] for c in MULTINOMIAL_CASES])
def test_multinomial_invalid_weights_oracle(name, probs, n, replacement):
    torch = pytest.importorskip("torch")
    assert _err_or(lambda: tg.multinomial(tg.tensor(probs), n, replacement=replacement)) == \
        _err_or(lambda: torch.multinomial(torch.tensor(probs), n, replacement=replacement))


GRAD_DTYPE_CASES = ["float16", "float64", "int64", "int32", "int16", "int8", "uint8", "bool", "complex64", "complex128"]


def test_grad_setter_size_message():
    z = tg.zeros(2)
    with pytest.raises(RuntimeError) as e:
        z.grad = tg.ones(3)
    assert str(e.value) == ("attempting to assign a gradient of size '[3]' to a tensor of size '[2]'. Please ensure "
                            "that the gradient and the tensor are the same size")


def test_grad_setter_dtype_message_comes_first():
    z = tg.zeros(2, dtype=tg.float16)
    with pytest.raises(RuntimeError) as e:
        z.grad = tg.ones(3)  # wrong size too: the dtype is checked first
    assert str(e.value).startswith("attempting to assign a gradient with dtype 'float' to a tensor with grad_dtype "
                                   "'Half'. The gradient must match the tensor's grad_dtype")


@pytest.mark.parametrize("name", GRAD_DTYPE_CASES)
def test_grad_setter_dtype_oracle(name):
    torch = pytest.importorskip("torch")
    for target in ("float32", "int64"):
        assert _err_or(lambda: setattr(tg.zeros(2, dtype=getattr(tg, target)), "grad",
                                       tg.ones(2, dtype=getattr(tg, name)))) == \
            _err_or(lambda: setattr(torch.zeros(2, dtype=getattr(torch, target)), "grad",
                                    torch.ones(2, dtype=getattr(torch, name))))


def test_grad_setter_size_oracle():
    torch = pytest.importorskip("torch")
    for got, want in (((3,), (2,)), ((1, 2), (2,)), ((3, 2), (2, 3))):
        assert _err_or(lambda: setattr(tg.zeros(want), "grad", tg.ones(got))) == \
            _err_or(lambda: setattr(torch.zeros(want), "grad", torch.ones(got)))
