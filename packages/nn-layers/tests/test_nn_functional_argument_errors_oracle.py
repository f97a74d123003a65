"""The common argument mistakes in ``nn.functional``'s activations and softmax family, made with
PyTorch and with tensorgraft: the exception's type and message must be the same (and so must the
result where PyTorch accepts the argument: ints, NumPy scalars, 0-d tensors for a number).

The mistakes: a list (or an array) instead of a tensor, a string (or None, a list...) for a number
or an int, a tensor where PyTorch refuses one (several elements, or one that requires grad), a
non-dtype for ``dtype``, a non-string for gelu's ``approximate``."""
import fractions
import re
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("tensorgraft.nn", reason="these tests exercise tensorgraft-nn")

import tensorgraft as tg  # noqa: E402

LIBS = {"torch": torch, "tg": tg}
DATA = np.random.default_rng(7).standard_normal((2, 4))


def _outcome(lib, call):
    """("ok", values) or (exception type name, message) of ``call(F, T, x)`` in ``lib``."""
    T = LIBS[lib]
    x = T.tensor(DATA)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # softmax's implicit-dim warning
            r = call(T.nn.functional, T, x)
    except Exception as e:  # the comparison is of the exception itself
        return type(e).__name__, str(e)
    return "ok", np.asarray(r.tolist())


def _same(call, *, drop_position=False):
    expected, got = _outcome("torch", call), _outcome("tg", call)
    if expected[0] == "ok":
        assert got[0] == "ok", got
        np.testing.assert_allclose(got[1], expected[1], rtol=1e-6, atol=1e-7)
        return
    if drop_position:
        expected = expected[0], re.sub(r" \(position \d\)", "", expected[1])
        got = got[0], re.sub(r" \(position \d\)", "", got[1])
    assert got == expected


# --------------------------------------------------------------------------- a list for the tensor
ONE_ARGUMENT = ["relu", "relu_", "relu6", "elu", "elu_", "selu", "selu_", "celu", "celu_", "gelu", "silu", "mish",
                "sigmoid", "tanh", "softplus", "logsigmoid", "hardtanh", "hardtanh_", "hardswish", "hardsigmoid",
                "rrelu", "rrelu_", "softsign", "tanhshrink", "glu", "gumbel_softmax", "hardshrink", "softshrink",
                "leaky_relu", "leaky_relu_"]
WITH_INPLACE = ["relu", "relu6", "elu", "selu", "celu", "silu", "mish", "hardtanh", "hardswish", "hardsigmoid",
                "rrelu", "leaky_relu"]


@pytest.mark.parametrize("name", ONE_ARGUMENT)
@pytest.mark.parametrize("wrong", [[0.5, -1.0], np.array([0.5, -1.0])], ids=["list", "ndarray"])
def test_a_non_tensor_input(name, wrong):
    _same(lambda F, T, x: getattr(F, name)(wrong))


@pytest.mark.parametrize("name", WITH_INPLACE)
def test_a_list_input_in_place_names_the_in_place_kernel(name):
    _same(lambda F, T, x: getattr(F, name)([0.5, -1.0], inplace=True))


@pytest.mark.parametrize("call", [
    lambda F, T, x: F.softmax([0.5, -1.0], 0),       # AttributeError: PyTorch calls input.softmax(dim)
    lambda F, T, x: F.log_softmax([0.5, -1.0], 0),
    lambda F, T, x: F.softmin([0.5, -1.0], 0),       # unary minus first
    lambda F, T, x: F.softmax([0.5, -1.0]),          # implicit dim: input.dim() first
    lambda F, T, x: F.softmax(np.zeros(2), 0),
    lambda F, T, x: F.softmax([0.5], 0, dtype=T.float64),
    lambda F, T, x: F.threshold([0.5], 0.1, 0.0),
    lambda F, T, x: F.threshold([0.5], 0.1, 0.0, True),
    lambda F, T, x: F.threshold_([0.5], 0.1, 0.0),
    lambda F, T, x: F.prelu([0.5], T.tensor([0.25])),
    lambda F, T, x: F.prelu(x, [0.25]),
    lambda F, T, x: F.glu(np.zeros(2)),
    # the input is checked before the other arguments
    lambda F, T, x: F.leaky_relu([0.5], "a"),
    lambda F, T, x: F.hardshrink([0.5], "a"),
    lambda F, T, x: F.softshrink([0.5], None),
    lambda F, T, x: F.softplus([0.5], "a"),
    lambda F, T, x: F.celu([0.5], 0.0),
    lambda F, T, x: F.rrelu([0.5], 0.5, 0.1),
    lambda F, T, x: F.gelu([0.5], approximate=1),
    lambda F, T, x: F.hardtanh_([0.5], "a"),
], ids=lambda c: None)
def test_a_non_tensor_input_in_the_other_functions(call):
    _same(call)


# --------------------------------------------------------------------------- a wrong number
NOT_A_NUMBER = {"str": "a", "None": None, "list": [0.1], "ndarray": np.array(0.1),
                "fraction": fractions.Fraction(1, 3), "numpy_str": np.str_("a"),
                "tensor_1d": lambda T: T.tensor([0.1, 0.2]), "tensor_1elem": lambda T: T.tensor([0.1]),
                "tensor_requires_grad": lambda T: T.tensor(0.1, requires_grad=True)}
A_NUMBER = {"int": 1, "bool": True, "numpy_float": np.float32(0.25), "numpy_int": np.int64(1),
            "tensor_0d": lambda T: T.tensor(0.25), "tensor_0d_int": lambda T: T.tensor(1)}

# (function, the numbers it takes as (name, position, a valid value), whether F passes them on by
# position: PyTorch's message then always says "(position N)"; otherwise only when the caller did)
NUMBER_PARAMETERS = [
    ("leaky_relu", [("negative_slope", 2, 0.01)], True), ("leaky_relu_", [("negative_slope", 2, 0.01)], False),
    ("elu", [("alpha", 2, 1.0)], True), ("elu_", [("alpha", 2, 1.0)], False),
    ("celu", [("alpha", 2, 1.0)], True), ("celu_", [("alpha", 2, 1.0)], False),
    ("softplus", [("beta", 2, 1.0), ("threshold", 3, 20.0)], False),
    ("hardtanh_", [("min_val", 2, -1.0), ("max_val", 3, 1.0)], False),
    ("rrelu", [("lower", 2, 0.125), ("upper", 3, 1 / 3)], True),
    ("rrelu_", [("lower", 2, 0.125), ("upper", 3, 1 / 3)], False),
    ("hardshrink", [("lambd", 2, 0.5)], False), ("softshrink", [("lambd", 2, 0.5)], False),
    ("threshold", [("threshold", 2, 0.1), ("value", 3, 0.0)], True),
    ("threshold_", [("threshold", 2, 0.1), ("value", 3, 0.0)], False),
]
NUMBER_CASES = [(fname, params, i, by_position)
                for fname, params, by_position in NUMBER_PARAMETERS for i in range(len(params))]


def _value(v, T):
    return v(T) if callable(v) else v


def _positional_call(fname, params, i, v):
    def call(F, T, x):
        args = [p[2] for p in params]
        args[i] = _value(v, T)
        return getattr(F, fname)(x.clone(), *args)
    return call


def _keyword_call(fname, params, i, v):
    def call(F, T, x):
        kwargs = {p[0]: p[2] for p in params}
        kwargs[params[i][0]] = _value(v, T)
        return getattr(F, fname)(x.clone(), **kwargs)
    return call


@pytest.mark.parametrize("fname,params,i,by_position", NUMBER_CASES,
                         ids=[f"{c[0]}-{c[1][c[2]][0]}" for c in NUMBER_CASES])
@pytest.mark.parametrize("kind", list(NOT_A_NUMBER) + list(A_NUMBER))
def test_a_number_argument_passed_by_position(fname, params, i, by_position, kind):
    _same(_positional_call(fname, params, i, {**NOT_A_NUMBER, **A_NUMBER}[kind]))


@pytest.mark.parametrize("fname,params,i,by_position", NUMBER_CASES,
                         ids=[f"{c[0]}-{c[1][c[2]][0]}" for c in NUMBER_CASES])
@pytest.mark.parametrize("kind", ["str", "None", "tensor_1d", "tensor_0d"])
def test_a_number_argument_passed_by_keyword(fname, params, i, by_position, kind):
    """Where F hands the number on by position the message is PyTorch's to the letter. Where F *is*
    the kernel's binding, PyTorch leaves "(position N)" out for a keyword argument; tensorgraft
    cannot tell how an argument was passed and always says it (docs/user-guide/differences.md)."""
    _same(_keyword_call(fname, params, i, {**NOT_A_NUMBER, **A_NUMBER}[kind]), drop_position=not by_position)


@pytest.mark.parametrize("call", [
    # F's Python wrappers that pass ``inplace`` on: the in-place kernel's name, "(position 2)"
    lambda F, T, x: F.leaky_relu(x.clone(), "a", True),
    lambda F, T, x: F.elu(x.clone(), alpha=None, inplace=True),
    lambda F, T, x: F.celu(x.clone(), T.tensor([1.0, 2.0]), True),
    lambda F, T, x: F.rrelu(x.clone(), 0.1, "a", inplace=True),
    lambda F, T, x: F.threshold(x.clone(), 0.1, "a", True),
    # hardtanh compares its bounds before their types are checked; hardtanh_ does not compare
    lambda F, T, x: F.hardtanh(x, "a", 1.0),
    lambda F, T, x: F.hardtanh(x, "a", "b"),
    lambda F, T, x: F.hardtanh(x, -1.0, None),
    lambda F, T, x: F.hardtanh(x, T.tensor([0.5, 0.6]), 1.0),
    lambda F, T, x: F.hardtanh(x, T.tensor(-0.5, requires_grad=True), 1.0),
    lambda F, T, x: F.hardtanh(x, T.tensor(-0.5), np.float64(0.5)),
    lambda F, T, x: F.hardtanh(x.clone(), 2.0, 1.0, True),
    lambda F, T, x: F.hardtanh_(x.clone(), 2.0, 1.0),
    lambda F, T, x: F.relu6(x.clone(), True),
    # the arguments in order: beta before threshold, the bounds before their order
    lambda F, T, x: F.softplus(x, "a", "b"),
    lambda F, T, x: F.softplus(x, 2, "b"),
    lambda F, T, x: F.rrelu(x, "a", 0.1),
    lambda F, T, x: F.rrelu(x, 0.5, 0.1),
    lambda F, T, x: F.rrelu(x, T.tensor(0.5), 0.1),
    lambda F, T, x: F.rrelu_(x.clone(), 0.5, 0.1),
    lambda F, T, x: F.celu(x, 0),
    lambda F, T, x: F.celu(x, T.tensor(0.0)),
    lambda F, T, x: F.celu_(x.clone(), 0.0),
    lambda F, T, x: F.softshrink(x, -1),
    lambda F, T, x: F.softshrink(x, T.tensor(-1.0)),
    # an integer input keeps integral numbers integral
    lambda F, T, x: F.threshold(T.tensor([1, 2, 3]), 1, 0.5),
    lambda F, T, x: F.threshold(T.tensor([1, 2, 3]), T.tensor(1.5), np.int64(7)),
], ids=lambda c: None)
def test_numbers_in_the_other_calls(call):
    _same(call)


# --------------------------------------------------------------------------- dim, dtype, approximate
NOT_AN_INT = {"str": "0", "float": 0.0, "bool": True, "numpy_float": np.float64(0.0), "numpy_bool": np.bool_(True),
              "tensor_float_0d": lambda T: T.tensor(0.0), "tensor_bool_0d": lambda T: T.tensor(True),
              "tensor_1d": lambda T: T.tensor([0]), "none": None}
AN_INT = {"numpy_int": np.int64(0), "numpy_int32": np.int32(1), "tensor_int_0d": lambda T: T.tensor(1),
          "negative": -1}


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin", "glu", "gumbel_softmax"])
@pytest.mark.parametrize("kind", list(NOT_AN_INT) + list(AN_INT))
def test_dim(name, kind):
    if name == "gumbel_softmax" and kind not in NOT_AN_INT:
        pytest.skip("gumbel_softmax draws noise: its values are not comparable")
    v = {**NOT_AN_INT, **AN_INT}[kind]
    _same(lambda F, T, x: getattr(F, name)(x, dim=_value(v, T)))


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("call", [
    lambda f, T: f(T.tensor(1.5), "a"),
    lambda f, T: f(T.tensor(1.5), 5),
    lambda f, T: f(T.tensor(1.5), -1),
    lambda f, T: f(T.tensor(1.5)),
    lambda f, T: f(T.tensor([[1.0, 2.0]]), 1, dtype="float32"),
    lambda f, T: f(T.tensor([[1.0, 2.0]]), 1, dtype=np.float32),
    lambda f, T: f(T.tensor([[1.0, 2.0]]), "a", dtype="float32"),   # dim is checked first
    lambda f, T: f(T.tensor([[1.0, 2.0]]), 1, dtype=T.float64),
], ids=["0d_str_dim", "0d_dim_out_of_range", "0d_dim_minus_1", "0d_implicit_dim", "str_dtype", "numpy_dtype",
        "str_dim_and_dtype", "dtype"])
def test_softmax_family_dim_and_dtype(name, call):
    _same(lambda F, T, x: call(getattr(F, name), T))


@pytest.mark.parametrize("call", [
    lambda F, T, x: F.gelu(x, approximate=None),
    lambda F, T, x: F.gelu(x, approximate=1),
    lambda F, T, x: F.gelu(x, approximate=T.tensor([1.0, 2.0])),
    lambda F, T, x: F.gelu(x, approximate="a"),
    lambda F, T, x: F.gelu(x, "tanh"),   # keyword-only
    lambda F, T, x: F.gelu(x, approximate="tanh"),
    lambda F, T, x: F.gumbel_softmax(x, "a"),
], ids=["none", "int", "tensor", "unknown", "positional", "tanh", "gumbel_tau_str"])
def test_string_arguments(call):
    _same(call)


def test_top_level_spellings_name_themselves():
    for call in (lambda F, T, x: T.celu([0.5]), lambda F, T, x: T.selu([0.5]), lambda F, T, x: T.selu_([0.5]),
                 lambda F, T, x: T.celu(x, "a"), lambda F, T, x: T.rrelu(x, "a")):
        _same(call)
