"""The common argument mistakes in ``nn.functional``'s activations and softmax family, without
PyTorch: the exception type each raises (PyTorch's; test_nn_functional_argument_errors_oracle.py
compares the messages with PyTorch's own), the messages that matter most, and the forms of a number
that are accepted giving the same result as the float."""
import fractions

import numpy as np
import pytest

pytest.importorskip("tensorgraft.nn", reason="these tests exercise tensorgraft-nn")

import tensorgraft as tg  # noqa: E402
import tensorgraft.nn.functional as F  # noqa: E402


def _x(seed=3):
    return tg.tensor(np.random.default_rng(seed).standard_normal((2, 4)))


# --------------------------------------------------------------------------- a list for the tensor
@pytest.mark.parametrize("name", ["relu", "relu_", "relu6", "elu", "elu_", "selu", "selu_", "celu", "celu_", "gelu",
                                  "silu", "mish", "softplus", "logsigmoid", "hardtanh", "hardtanh_", "hardswish",
                                  "hardsigmoid", "rrelu", "rrelu_", "hardshrink", "softshrink", "leaky_relu",
                                  "leaky_relu_"])
def test_a_list_input_is_a_type_error_naming_the_function(name):
    kernel = "log_sigmoid" if name == "logsigmoid" else name
    with pytest.raises(TypeError, match=rf"^{kernel}\(\): argument 'input' \(position 1\) must be Tensor, not list$"):
        getattr(F, name)([0.5, -1.0])


@pytest.mark.parametrize("name", ["relu", "relu6", "elu", "selu", "celu", "silu", "mish", "hardtanh", "hardswish",
                                  "hardsigmoid", "rrelu", "leaky_relu"])
def test_a_list_input_in_place_names_the_in_place_kernel(name):
    with pytest.raises(TypeError, match=rf"^{name}_\(\): argument 'input' \(position 1\) must be Tensor, not list$"):
        getattr(F, name)([0.5, -1.0], inplace=True)


@pytest.mark.parametrize("name,attribute", [("softmax", "softmax"), ("log_softmax", "log_softmax"),
                                            ("sigmoid", "sigmoid"), ("tanh", "tanh"), ("glu", "dim"),
                                            ("softsign", "abs"), ("tanhshrink", "tanh")])
def test_functions_that_call_a_tensor_method_raise_attribute_error(name, attribute):
    args = (0,) if "softmax" in name else ()
    with pytest.raises(AttributeError, match=rf"^'list' object has no attribute '{attribute}'$"):
        getattr(F, name)([1.0, 2.0], *args)


def test_non_tensor_inputs_of_the_softmax_family_and_the_type_name_of_an_array():
    with pytest.raises(AttributeError, match="'list' object has no attribute 'dim'"):
        F.softmax([1.0, 2.0])   # the implicit dim looks at input.dim() first
    with pytest.raises(TypeError, match="bad operand type for unary -: 'list'"):
        F.softmin([1.0, 2.0], 0)
    with pytest.raises(AttributeError, match=r"^'numpy.ndarray' object has no attribute 'softmax'$"):
        F.softmax(np.zeros(2), 0)
    with pytest.raises(TypeError, match=r"^elu\(\): argument 'input' \(position 1\) must be Tensor, not numpy.ndarray$"):
        F.elu(np.zeros(2))


def test_the_input_is_checked_before_the_other_arguments():
    for call in (lambda: F.leaky_relu([0.5], "a"), lambda: F.softplus([0.5], None),
                 lambda: F.celu([0.5], 0.0), lambda: F.rrelu([0.5], 0.5, 0.1), lambda: F.gelu([0.5], approximate=1)):
        with pytest.raises(TypeError, match="argument 'input' \\(position 1\\) must be Tensor, not list"):
            call()


# --------------------------------------------------------------------------- a wrong number
NUMBER_CALLS = {
    "leaky_relu": lambda x, v: F.leaky_relu(x, v), "leaky_relu_": lambda x, v: F.leaky_relu_(x, v),
    "elu": lambda x, v: F.elu(x, v), "elu_inplace": lambda x, v: F.elu(x, v, True),
    "celu": lambda x, v: F.celu(x, v), "softplus_beta": lambda x, v: F.softplus(x, v),
    "softplus_threshold": lambda x, v: F.softplus(x, 1.0, v), "hardtanh_": lambda x, v: F.hardtanh_(x, v, 1.0),
    "rrelu_lower": lambda x, v: F.rrelu(x, v, 2.0), "rrelu_upper": lambda x, v: F.rrelu_(x, 0.1, v),
    "hardshrink": lambda x, v: F.hardshrink(x, v), "softshrink": lambda x, v: F.softshrink(x, v),
    "threshold": lambda x, v: F.threshold(x, v, 0.0), "threshold_value": lambda x, v: F.threshold_(x, 0.1, v),
}


@pytest.mark.parametrize("call", list(NUMBER_CALLS))
@pytest.mark.parametrize("wrong", ["0.1", None, [0.1], np.array(0.1), fractions.Fraction(1, 3), "tensor_1d",
                                   "tensor_requires_grad"])
def test_a_number_argument_refuses_what_is_not_a_number(call, wrong):
    wrong = {"tensor_1d": tg.tensor([0.1, 0.2]), "tensor_requires_grad": tg.tensor(0.1, requires_grad=True)}.get(
        wrong, wrong) if isinstance(wrong, str) else wrong
    with pytest.raises(TypeError, match=r"\(\): argument '\w+' \(position [23]\) must be Number, not "):
        NUMBER_CALLS[call](_x(), wrong)


def test_number_messages():
    x = _x()
    with pytest.raises(TypeError, match=r"^hardshrink\(\): argument 'lambd' \(position 2\) must be Number, not str$"):
        F.hardshrink(x, "a")
    with pytest.raises(TypeError, match=r"^elu_\(\): argument 'alpha' \(position 2\) must be Number, not Tensor$"):
        F.elu(x, tg.tensor([1.0, 2.0]), inplace=True)
    with pytest.raises(TypeError, match=r"^threshold\(\): argument 'value' \(position 3\) must be Number, not NoneType$"):
        F.threshold(x, 0.1, None)
    with pytest.raises(TypeError, match=r"must be Number, not numpy.ndarray$"):
        F.leaky_relu(x, np.array(0.1))
    with pytest.raises(TypeError, match=r"must be Number, not Fraction$"):
        F.leaky_relu(x, fractions.Fraction(1, 3))
    with pytest.raises(RuntimeError, match=r"^ZeroDivisionError: alpha cannot be 0 for CELU$"):
        F.celu(x, tg.tensor(0.0))
    with pytest.raises(TypeError, match="'>' not supported"):   # F.hardtanh compares its bounds first
        F.hardtanh(x, "a", 1.0)
    with pytest.raises(TypeError, match=r"^hardtanh\(\): argument 'min_val' \(position 2\) must be Number, not str$"):
        F.hardtanh(x, "a", "b")   # two strings compare


@pytest.mark.parametrize("call", list(NUMBER_CALLS))
@pytest.mark.parametrize("form", ["int", "bool", "numpy_float", "numpy_int", "tensor_0d", "tensor_0d_int"])
def test_the_forms_of_a_number_give_the_float_result(call, form):
    plain = {"int": 1, "bool": True, "numpy_float": 0.25, "numpy_int": 1, "tensor_0d": 0.25, "tensor_0d_int": 1}[form]
    given = {"int": 1, "bool": True, "numpy_float": np.float32(0.25), "numpy_int": np.int64(1),
             "tensor_0d": tg.tensor(0.25), "tensor_0d_int": tg.tensor(1)}[form]
    expected = NUMBER_CALLS[call](_x(), float(plain))
    np.testing.assert_array_equal(NUMBER_CALLS[call](_x(), given).numpy(), expected.numpy())


def test_threshold_keeps_integral_numbers_integral_for_integer_inputs():
    out = F.threshold(tg.tensor([1, 2, 3]), tg.tensor(1.5), np.int64(7))
    assert out.dtype == tg.int64 and out.tolist() == [7, 2, 3]


def test_hardtanh_underscore_accepts_crossed_bounds_as_pytorch_does():
    x = _x()
    assert F.hardtanh_(x.clone(), 2.0, 1.0).tolist() == [[1.0] * 4] * 2
    with pytest.raises(ValueError, match="min_val cannot be greater than max_val"):
        F.hardtanh(x.clone(), 2.0, 1.0, True)


# --------------------------------------------------------------------------- dim, dtype, approximate
@pytest.mark.parametrize("name,pos", [("softmax", 1), ("log_softmax", 1), ("softmin", 1), ("glu", 2),
                                      ("gumbel_softmax", 1)])
@pytest.mark.parametrize("wrong,shown", [("0", "str"), (0.0, "float"), (True, "bool"), (np.float64(0), "numpy.float64"),
                                         ("tensor_float", "Tensor"), ("tensor_1d", "Tensor")])
def test_dim_must_be_an_int(name, pos, wrong, shown):
    wrong = {"tensor_float": tg.tensor(0.0), "tensor_1d": tg.tensor([0])}.get(wrong, wrong) \
        if isinstance(wrong, str) else wrong
    kernel = {"softmin": "softmax", "gumbel_softmax": "softmax"}.get(name, name)
    with pytest.raises(TypeError, match=rf"^{kernel}\(\): argument 'dim' \(position {pos}\) must be int, not {shown}$"):
        getattr(F, name)(_x(), dim=wrong)


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin", "glu"])
def test_integral_dims_that_are_not_ints_are_accepted(name):
    x = _x()
    expected = getattr(F, name)(x, 1).numpy()
    for dim in (np.int64(1), np.int32(1), tg.tensor(1), -1):
        np.testing.assert_array_equal(getattr(F, name)(x, dim=dim).numpy(), expected)


def test_softmax_of_a_0d_tensor_checks_its_dim_and_its_dtype_argument():
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-1, 0\], but got 5\)"):
        F.softmax(tg.tensor(1.5), 5)
    assert F.softmax(tg.tensor(1.5), -1).item() == 1.0
    with pytest.raises(TypeError, match=r"^softmax\(\): argument 'dtype' must be torch.dtype, not str$"):
        F.softmin(_x(), 1, dtype="float32")
    with pytest.raises(TypeError, match=r"^log_softmax\(\): argument 'dtype' must be torch.dtype, not type$"):
        F.log_softmax(_x(), 1, dtype=np.float32)


def test_gelu_approximate_is_a_keyword_only_string():
    x = _x()
    with pytest.raises(TypeError, match=r"gelu\(\) takes 1 positional argument but 2 were given"):
        F.gelu(x, "tanh")
    for wrong, shown in ((None, "NoneType"), (1, "int"), (tg.tensor([1.0, 2.0]), "Tensor")):
        with pytest.raises(TypeError, match=rf"^gelu\(\): argument 'approximate' must be str, not {shown}$"):
            F.gelu(x, approximate=wrong)
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh"):
        F.gelu(x, approximate="a")
