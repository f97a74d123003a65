"""Argument validation of reductions and shape ops, in PyTorch's words (checked against PyTorch in
test_arg7_reduction_args_oracle.py): dims PyTorch's parser refuses (``dim=None`` where the dim is
an int, floats, tuples), an int ``keepdim``, "(position N)" for arguments given positionally (the
method does not count ``self``), and ``copy_`` of complex values into a real tensor."""
import warnings

import numpy as np
import pytest

import tensorgraft as tg


def _x():
    return tg.arange(6, dtype=tg.float32).reshape(2, 3)


def _raises(call, cls, message):
    with pytest.raises(cls) as info:
        call()
    assert str(info.value) == message


_PROD_FUNCTION = ("prod() received an invalid combination of arguments - got ({got}), but expected one of:\n"
                  " * (Tensor input, *, torch.dtype dtype = None)\n"
                  " * (Tensor input, int dim, bool keepdim = False, *, torch.dtype dtype = None, Tensor out = None)\n")
_PROD_METHOD = ("prod() received an invalid combination of arguments - got ({got}), but expected one of:\n"
                " * (*, torch.dtype dtype = None)\n"
                " * (int dim, bool keepdim = False, *, torch.dtype dtype = None)\n")


def test_prod_refuses_none_and_several_dims():
    _raises(lambda: tg.prod(_x(), dim=None), TypeError, _PROD_FUNCTION.format(got="Tensor, dim=NoneType"))
    _raises(lambda: tg.prod(_x(), None), TypeError, _PROD_FUNCTION.format(got="Tensor, NoneType"))
    _raises(lambda: tg.prod(_x(), (0, 1)), TypeError, _PROD_FUNCTION.format(got="Tensor, tuple"))
    _raises(lambda: _x().prod(dim=None), TypeError, _PROD_METHOD.format(got="dim=NoneType, "))
    _raises(lambda: _x().prod([0]), TypeError, _PROD_METHOD.format(got="list"))
    _raises(lambda: _x().prod(keepdim=True), TypeError, _PROD_METHOD.format(got="keepdim=bool, "))
    assert tg.prod(_x()).item() == 0.0
    assert _x().prod(1, True).tolist() == [[0.0], [60.0]]


@pytest.mark.parametrize("name", ["prod", "median", "nanmedian", "mode", "logsumexp", "argmax", "argmin", "amax",
                                  "amin", "nansum", "nanmean"])
def test_int_keepdim_refused(name):
    _raises(lambda: getattr(tg, name)(_x(), 0, keepdim=1), TypeError,
            f"{name}(): argument 'keepdim' must be bool, not int")
    _raises(lambda: getattr(tg, name)(_x(), 0, 1), TypeError,
            f"{name}(): argument 'keepdim' (position 3) must be bool, not int")
    _raises(lambda: getattr(_x(), name)(0, 1), TypeError,
            f"{name}(): argument 'keepdim' (position 2) must be bool, not int")
    _raises(lambda: getattr(_x(), name)(0, keepdim=None), TypeError,
            f"{name}(): argument 'keepdim' must be bool, not NoneType")
    _raises(lambda: getattr(_x(), name)(0, np.bool_(True)), TypeError,  # (not even a NumPy bool)
            f"{name}(): argument 'keepdim' (position 2) must be bool, not numpy.{np.bool_.__name__}")
    r = getattr(_x(), name)(0, True)
    assert tuple((r[0] if isinstance(r, tuple) else r).shape) == (1, 3)


def test_kthvalue_keepdim_and_dim_positions():
    _raises(lambda: tg.kthvalue(_x(), 1, 0, 1), TypeError,
            "kthvalue(): argument 'keepdim' (position 4) must be bool, not int")
    _raises(lambda: _x().kthvalue(1, None), TypeError, "kthvalue(): argument 'dim' (position 2) must be int, not "
                                                       "NoneType")
    _raises(lambda: _x().kthvalue(1.5), TypeError, "kthvalue(): argument 'k' (position 1) must be int, not float")


@pytest.mark.parametrize("name", ["median", "nanmedian", "mode"])
def test_int_dim_of_order_statistics(name):
    _raises(lambda: getattr(tg, name)(_x(), None), TypeError,
            f"{name}(): argument 'dim' (position 2) must be int, not NoneType")
    _raises(lambda: getattr(_x(), name)(None), TypeError,
            f"{name}(): argument 'dim' (position 1) must be int, not NoneType")
    _raises(lambda: getattr(_x(), name)(dim=(0,)), TypeError, f"{name}(): argument 'dim' must be int, not tuple")


def test_median_without_dim_still_reduces_everything():
    assert tg.median(_x()).item() == 2.0
    assert _x().nanmedian().item() == 2.0


def test_logsumexp_needs_ints():
    _raises(lambda: _x().logsumexp(None), TypeError,
            "logsumexp(): argument 'dim' (position 1) must be tuple of ints, not NoneType")
    _raises(lambda: tg.logsumexp(_x(), dim=None), TypeError,
            "logsumexp(): argument 'dim' must be tuple of ints, not NoneType")
    _raises(lambda: _x().logsumexp(), TypeError, 'logsumexp() missing 1 required positional arguments: "dim"')
    assert tuple(_x().logsumexp((0, 1)).shape) == ()


@pytest.mark.parametrize("name", ["argmax", "argmin", "cumsum", "cumprod", "softmax", "log_softmax"])
def test_dim_positions(name):
    _raises(lambda: getattr(tg, name)(_x(), 1.0), TypeError, f"{name}(): argument 'dim' (position 2) must be int, "
                                                             "not float")
    _raises(lambda: getattr(_x(), name)((0,)), TypeError, f"{name}(): argument 'dim' (position 1) must be int, not "
                                                          "tuple")
    _raises(lambda: getattr(_x(), name)(dim=1.0), TypeError, f"{name}(): argument 'dim' must be int, not float")


def test_aminmax_takes_one_int_dim_and_a_bool_keepdim():
    _raises(lambda: tg.aminmax(_x(), dim=(0,)), TypeError, "aminmax(): argument 'dim' must be int, not tuple")
    _raises(lambda: _x().aminmax(dim=0, keepdim=1), TypeError, "aminmax(): argument 'keepdim' must be bool, not int")
    _raises(lambda: _x().aminmax(0), TypeError, "aminmax() takes 0 positional arguments but 1 was given")
    _raises(lambda: tg.aminmax(_x(), 0), TypeError, "aminmax() takes 1 positional argument but 2 were given")


def test_softmax_dtype_must_be_a_dtype():
    _raises(lambda: _x().softmax(0, True), TypeError,
            "softmax(): argument 'dtype' (position 2) must be torch.dtype, not bool")
    _raises(lambda: tg.log_softmax(_x(), 0, 1), TypeError,
            "log_softmax(): argument 'dtype' (position 3) must be torch.dtype, not int")
    assert _x().softmax(0, tg.float64).dtype == tg.float64


def test_squeeze_refuses_none_dim_as_a_call():
    _raises(lambda: tg.squeeze(_x(), None), TypeError,
            "squeeze() received an invalid combination of arguments - got (Tensor, NoneType), but expected one of:\n"
            " * (Tensor input)\n"
            " * (Tensor input, int dim)\n"
            "      didn't match because some of the arguments have invalid types: (Tensor, !NoneType!)\n"
            " * (Tensor input, tuple of ints dim)\n"
            "      didn't match because some of the arguments have invalid types: (Tensor, !NoneType!)\n")
    _raises(lambda: _x().squeeze(dim=None), TypeError,
            "squeeze() received an invalid combination of arguments - got (dim=NoneType, ), but expected one of:\n"
            " * ()\n"
            "      didn't match because some of the keywords were incorrect: dim\n"
            " * (int dim)\n"
            "      didn't match because some of the arguments have invalid types: (!dim=NoneType!, )\n"
            " * (tuple of ints dim)\n"
            "      didn't match because some of the arguments have invalid types: (!dim=NoneType!, )\n")
    y = tg.ones(2, 1, 3, 1)
    assert tuple(y.squeeze(1, 3).shape) == (2, 3)  # the method's several dims
    for dims in ((1, True), [1, 1]):  # (PyTorch 2.13 refuses a repeated dim, a bool counting as its int)
        _raises(lambda: y.squeeze(dims), RuntimeError, "dim 1 appears multiple times in the list of dims")
    assert tuple(y.clone().squeeze_().shape) == (2, 3)


def test_shape_int_argument_positions():
    _raises(lambda: _x().unsqueeze(None), TypeError, "unsqueeze(): argument 'dim' (position 1) must be int, not "
                                                     "NoneType")
    _raises(lambda: tg.transpose(_x(), 0, 1.0), TypeError, "transpose(): argument 'dim1' (position 3) must be int, "
                                                           "not float")
    _raises(lambda: _x().transpose(5), TypeError, 'transpose() missing 1 required positional arguments: "dim1"')
    _raises(lambda: tg.swapaxes(_x(), None, 1), TypeError, "swapaxes(): argument 'axis0' (position 2) must be int, "
                                                           "not NoneType")
    _raises(lambda: _x().flatten(0, 1, 2), TypeError, "flatten() takes from 0 to 2 positional arguments but 3 were "
                                                      "given")
    assert tuple(_x().transpose(0, 1).shape) == (3, 2)
    assert tuple(_x().unsqueeze(dim=-1).shape) == (2, 3, 1)


def test_topk_bools_and_positions():
    _raises(lambda: _x().topk(1, 0, 1), TypeError, "topk(): argument 'largest' (position 3) must be bool, not int")
    _raises(lambda: tg.topk(_x(), 1, 0, True, 0), TypeError,
            "topk(): argument 'sorted' (position 5) must be bool, not int")
    assert _x().topk(1, 0, False).values.tolist() == [[0.0, 1.0, 2.0]]


def test_norm_keepdim_and_numpy_order():
    _raises(lambda: _x().norm(2, 0, 1), TypeError,
            "linalg_vector_norm(): argument 'keepdim' (position 4) must be bool, not int")
    assert abs(tg.norm(_x(), np.int64(1)).item() - 15.0) < 1e-6


# --------------------------------------------------------------------------- copy_ of complex values
def test_copy_complex_into_real_warns_at_the_callers_line():
    from tensorgraft import global_switches
    dst = tg.zeros(2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        global_switches.set_warn_always(True)
        try:
            dst.copy_(tg.tensor([1 + 2j, 3 - 1j]))
        finally:
            global_switches.set_warn_always(False)
    assert [(w.category, str(w.message), w.filename) for w in caught] == [
        (UserWarning, "Casting complex values to real discards the imaginary part", __file__)]
    assert dst.tolist() == [1.0, 3.0]


def test_copy_complex_into_bool_is_nonzero_without_warning():
    dst = tg.zeros(3, dtype=tg.bool)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dst.copy_(tg.tensor([0j, 1j, 2 + 0j]))
    assert dst.tolist() == [False, True, True]


def test_copy_complex_into_bfloat16():
    dst = tg.zeros(2, dtype=tg.bfloat16)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dst.copy_(tg.tensor([1.5 + 2j, -3 + 1j]))
    assert dst.float().tolist() == [1.5, -3.0]
