"""The argument checks every convolution rank shares (functional_ops/conv_checks.py): one copy for
conv1d/2d/3d and their transposes, so a 3-D convolution words a weight of too few dims as the
others do (it named the stride before the checks were shared), and each rank's messages still
match PyTorch's."""
import pytest

torch = pytest.importorskip("torch")

from tensorgraft.testing.oracle import assert_same_error  # noqa: E402

RANKS = {  # name -> (input shape, weight shape, transposed)
    "conv1d": ((1, 2, 5), (2, 2, 3), False),
    "conv2d": ((1, 2, 5, 5), (2, 2, 3, 3), False),
    "conv3d": ((1, 2, 5, 5, 5), (2, 2, 3, 3, 3), False),
    "conv_transpose1d": ((1, 2, 5), (2, 2, 3), True),
    "conv_transpose2d": ((1, 2, 5, 5), (2, 2, 3, 3), True),
    "conv_transpose3d": ((1, 2, 5, 5, 5), (2, 2, 3, 3, 3), True),
}


@pytest.mark.parametrize("name", RANKS)
@pytest.mark.parametrize("weight_shape", [(2,), (2, 2)])
def test_a_weight_of_fewer_than_three_dims_is_named_so(name, weight_shape):
    x_shape = RANKS[name][0]
    assert_same_error(lambda lib: getattr(lib.nn.functional, name)(lib.ones(*x_shape), lib.ones(*weight_shape)))


BAD_SETTINGS = [
    ("groups 0", {"groups": 0}),
    ("negative stride", {"stride": -1}),
    ("zero stride", {"stride": 0}),
    ("negative padding", {"padding": -1}),
    ("negative dilation", {"dilation": -1}),
    ("groups beyond the filters", {"groups": 4}),
    ("stride of the wrong length", {"stride": [1, 1, 1, 1]}),
]


@pytest.mark.parametrize("name", RANKS)
@pytest.mark.parametrize("what, kwargs", BAD_SETTINGS, ids=[w for w, _ in BAD_SETTINGS])
def test_each_rank_refuses_bad_settings_in_pytorchs_words(name, what, kwargs):
    x_shape, w_shape, _ = RANKS[name]
    assert_same_error(lambda lib: getattr(lib.nn.functional, name)(lib.ones(*x_shape), lib.ones(*w_shape), **kwargs))


@pytest.mark.parametrize("name", ["conv1d", "conv2d", "conv3d"])
def test_a_bad_padding_string_and_strided_same_padding(name):
    x_shape, w_shape, _ = RANKS[name]
    f = lambda lib, **kw: getattr(lib.nn.functional, name)(lib.ones(*x_shape), lib.ones(*w_shape), **kw)  # noqa: E731
    assert_same_error(lambda lib: f(lib, padding="full"))
    assert_same_error(lambda lib: f(lib, padding="same", stride=2))


@pytest.mark.parametrize("name", RANKS)
def test_bool_input_names_the_slow_kernel(name):
    # (a kernel of one: with a larger one PyTorch's 3-D kernel names its im2col step instead)
    x_shape, w_shape, _ = RANKS[name]
    w_shape = w_shape[:2] + (1,) * (len(w_shape) - 2)
    assert_same_error(lambda lib: getattr(lib.nn.functional, name)(lib.ones(*x_shape, dtype=lib.bool),
                                                                   lib.ones(*w_shape, dtype=lib.bool)))
