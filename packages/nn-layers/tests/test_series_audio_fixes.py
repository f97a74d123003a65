"""Pooling argument and dtype checks found by the series_/audio_ programs' probing: PyTorch's
errors (class and message, in ATen's order) where tensorgraft divided by a zero stride, pooled with
a zero kernel or dilation, made an empty result from a negative output size, or pooled integer and
bool inputs that PyTorch's kernels refuse."""
import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn.functional as F


def x4(seed=0):
    return tg.tensor(np.random.default_rng(seed).standard_normal((1, 2, 6, 6)).astype(np.float32))


def raises(exc, message, call):
    with pytest.raises(exc) as info:
        call()
    assert str(info.value) == message


@pytest.mark.parametrize("call, message", [
    (lambda x: F.max_pool2d(x, 0), "stride should not be zero"),
    (lambda x: F.max_pool2d(x, 0, 1), "kernel size should be greater than zero, but got kH: 0 kW: 0"),
    (lambda x: F.max_pool2d(x, 2, 0), "stride should not be zero"),
    (lambda x: F.max_pool2d(x, 2, -1), "stride should be greater than zero, but got dH: -1 dW: -1"),
    (lambda x: F.max_pool2d(x, -2, 1),
     "pad should be at most half of effective kernel size, but got pad=0, kernel_size=-2 and dilation=1"),
    (lambda x: F.max_pool2d(x, 2, 1, -1), "pad must be non-negative, but got pad: -1"),
    (lambda x: F.max_pool2d(x, 2, 1, 0, 0), "dilation should be greater than zero, but got dilationH: 0 dilationW: 0"),
    (lambda x: F.max_pool2d(x, (2, 3, 4)), "max_pool2d: kernel_size must either be a single int, or a tuple of two ints"),
    (lambda x: F.max_pool2d(x, 2, (1, 2, 3)),
     "max_pool2d: stride must either be omitted, a single int, or a tuple of two ints"),
    (lambda x: F.max_pool2d(x, 3, padding=2, dilation=2),
     "pad should be smaller than or equal to half of kernel size, but got padW = 2, padH = 2, kW = 3, kH = 3"),
    (lambda x: F.max_pool2d(x[0, 0], 2, 0), "non-empty 3D or 4D (batch mode) tensor expected for input"),
    (lambda x: F.max_pool2d(x[:, :, :0], 2),
     "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:[1, 2, 0, 6]"),
    (lambda x: F.max_pool1d(x[0], 2, 0, return_indices=True), "stride should not be zero"),
    (lambda x: F.max_pool1d(x[0], 2, 1, 0, 0, return_indices=True),
     "dilation should be greater than zero, but got dilationH: 1 dilationW: 0"),
    (lambda x: F.max_pool1d(x[0], 3, padding=2, dilation=2, return_indices=True),
     "pad should be smaller than or equal to half of kernel size, but got padW = 2, padH = 0, kW = 3, kH = 1"),
    (lambda x: F.max_pool1d(x[0, 0, :0].reshape(0, 0), 2, return_indices=True),
     "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:[0, 1, 0]"),
    (lambda x: F.max_pool1d(x[0, 0, :0].reshape(1, 0), 2),
     "max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, but got:[1, 0]"),
    (lambda x: F.adaptive_max_pool2d(x, -1), "Trying to create tensor with negative dimension -1: [1, 2, -1, -1]"),
    (lambda x: F.adaptive_max_pool2d(x, (2, -3)), "Trying to create tensor with negative dimension -3: [1, 2, 2, -3]"),
    (lambda x: F.adaptive_max_pool1d(x[0], -2), "Trying to create tensor with negative dimension -2: [2, 6, 1, -2]"),
    (lambda x: F.adaptive_avg_pool2d(x, -1),
     "adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 but received {-1, -1}"),
    (lambda x: F.adaptive_avg_pool2d(x, (None, -1)),
     "adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 but received {6, -1}"),
    (lambda x: F.adaptive_avg_pool1d(x[0], -2),
     "adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 but received {1, -2}"),
])
def test_pool_argument_errors(call, message):
    raises(RuntimeError, message, lambda: call(x4()))


@pytest.mark.parametrize("dtype, name", [(tg.int64, "Long"), (tg.int32, "Int"), (tg.int16, "Short"),
                                         (tg.int8, "Char"), (tg.uint8, "Byte"), (tg.bool, "Bool"),
                                         (tg.complex64, "ComplexFloat")])
def test_max_pool1d_without_indices_is_for_floating_types(dtype, name):
    x = tg.arange(8).view(1, 1, 8).to(dtype)
    raises(NotImplementedError, f"\"max_pool1d_impl\" not implemented for '{name}'", lambda: F.max_pool1d(x, 2))
    raises(NotImplementedError, f"\"adaptive_max_pool2d\" not implemented for '{name}'",
           lambda: F.adaptive_max_pool1d(x, 2))


def test_max_pool_with_indices_takes_integers_but_not_bool_or_complex():
    x = tg.arange(8).view(1, 1, 8)
    out, idx = F.max_pool1d(x, 2, return_indices=True)
    assert out.dtype == tg.int64 and out.tolist() == [[[1, 3, 5, 7]]] and idx.tolist() == [[[1, 3, 5, 7]]]
    assert F.max_pool2d(x.view(1, 2, 4), 2).tolist() == [[[5, 7]]]
    raises(NotImplementedError, "\"max_pool2d\" not implemented for 'Bool'", lambda: F.max_pool2d(x.bool().view(1, 2, 4), 2))
    raises(NotImplementedError, "\"max_pool2d\" not implemented for 'ComplexFloat'",
           lambda: F.max_pool1d(x.to(tg.complex64), 2, return_indices=True))
    raises(NotImplementedError, "\"adaptive_max_pool2d\" not implemented for 'Bool'",
           lambda: F.adaptive_max_pool2d(x.bool().view(1, 2, 4), 1))
    raises(RuntimeError, "Trying to create tensor with negative dimension -1: [1, -1, -1]",
           lambda: F.adaptive_max_pool2d(x.bool().view(1, 2, 4), -1))  # (the size before the dtype)


def test_valid_pools_unchanged():
    x = x4()
    assert tuple(F.max_pool2d(x, 3, 2, 1, 2, True).shape) == (1, 2, 3, 3)
    assert tuple(F.max_pool1d(x[0], 3, padding=1, dilation=2, return_indices=True)[0].shape) == (2, 6, 2)
    assert tuple(F.max_pool1d(x[:0, 0], 2).shape) == (0, 6, 3)
    assert tuple(F.adaptive_max_pool2d(x, 0).shape) == (1, 2, 0, 0)
    assert tuple(F.adaptive_avg_pool2d(x, (None, 3)).shape) == (1, 2, 6, 3)


# ------------------------------------------------------------------ convolution argument checks
X1 = np.random.default_rng(1).standard_normal((2, 4, 11)).astype(np.float32)


def w(*shape):
    return tg.tensor(np.random.default_rng(2).standard_normal(shape).astype(np.float32))


def x(nd=1):
    return tg.tensor(X1).view(2, 4, 11, *(1,) * (nd - 1))


@pytest.mark.parametrize("call, message", [
    # fewer filters than groups: "at least", the shape in one pair of brackets (not "divisible")
    (lambda: F.conv1d(x(), w(3, 1, 3), groups=4),
     "Given groups=4, expected weight to be at least 4 at dimension 0, but got weight of size [3, 1, 3] instead"),
    (lambda: F.conv1d(x(), w(0, 1, 3), groups=4),
     "Given groups=4, expected weight to be at least 4 at dimension 0, but got weight of size [0, 1, 3] instead"),
    (lambda: F.conv1d(x(), w(0, 4, 3)),
     "Given groups=1, expected weight to be at least 1 at dimension 0, but got weight of size [0, 4, 3] instead"),
    (lambda: F.conv_transpose1d(x(), w(2, 1, 3), groups=4),
     "Given groups=4, expected weight to be at least 4 at dimension 0, but got weight of size [2, 1, 3] instead"),
    (lambda: F.conv2d(x(2), w(3, 1, 3, 1), groups=4),
     "Given groups=4, expected weight to be at least 4 at dimension 0, but got weight of size [3, 1, 3, 1] instead"),
    (lambda: F.conv3d(x(3), w(3, 1, 3, 1, 1), groups=4),
     "Given groups=4, expected weight to be at least 4 at dimension 0, but got weight of size [3, 1, 3, 1, 1] instead"),
    (lambda: F.conv_transpose3d(x(3), w(0, 1, 3, 1, 1), groups=4),
     "Given groups=4, expected weight to be at least 4 at dimension 0, but got weight of size [0, 1, 3, 1, 1] instead"),
    (lambda: F.conv1d(x(), w(6, 1, 3), groups=4),
     "Given groups=4, expected weight to be divisible by 4 at dimension 0, but got weight of size [[6, 1, 3]] instead"),
    # ATen's order: groups, padding, output padding, stride, negative dilation, the filters
    (lambda: F.conv1d(x(), w(4, 4, 3), stride=0, padding=-1), "negative padding is not supported"),
    (lambda: F.conv1d(x(), w(4, 4, 3), groups=0, padding=-1), "non-positive groups is not supported"),
    (lambda: F.conv1d(x(), w(3, 1, 3), groups=4, padding=-1), "negative padding is not supported"),
    (lambda: F.conv1d(x(), w(3, 1, 3), groups=4, dilation=-1), "dilation should be greater than zero"),
    (lambda: F.conv_transpose1d(x(), w(4, 4, 3), stride=0, output_padding=-1), "negative output_padding is not supported"),
    (lambda: F.conv_transpose1d(x(), w(3, 1, 3), groups=4, padding=-1), "negative padding is not supported"),
    (lambda: F.conv3d(x(3), w(4, 4, 3, 1, 1), dilation=-1), "dilation should be greater than zero"),
    (lambda: F.conv3d(x(3), w(4, 4, 3, 1, 1), stride=0, padding=-1), "negative padding is not supported"),
    (lambda: F.conv3d(x(3), w(3, 1, 3, 1, 1), groups=4, dilation=0),
     "Given groups=4, expected weight to be at least 4 at dimension 0, but got weight of size [3, 1, 3, 1, 1] instead"),
    (lambda: F.conv3d(x(3), w(4, 4, 3, 1, 1), stride=0, dilation=0), "non-positive stride is not supported"),
    (lambda: F.conv3d(x(3), w(4, 4, 3, 1, 1), dilation=0), "non-positive dilation is not supported"),
    (lambda: F.conv3d(x(3), w(4, 4, 3, 1, 1), padding="valid", dilation=-1), "dilation should be greater than zero"),
    (lambda: F.conv3d(x(3), w(4, 4, 3, 1, 1), padding="same", dilation=-1), "negative padding is not supported"),
    (lambda: F.conv3d(x(3), w(4, 4, 3, 1, 1), padding="same", dilation=(1, 1, -1)), "dilation should be greater than zero"),
    (lambda: F.conv_transpose3d(x(3), w(4, 4, 3, 1, 1), stride=0, output_padding=-1),
     "negative output_padding is not supported"),
    (lambda: F.conv_transpose3d(x(3), w(4, 4, 3, 1, 1), dilation=-1), "dilation should be greater than zero"),
    # padding strings: a bad one before the groups, 'same' with strides before the stride's check
    (lambda: F.conv1d(x(), w(4, 4, 3), padding="foo", groups=0), "Invalid padding string: 'foo'"),
    (lambda: F.conv1d(x(), w(4, 4, 3), padding="same", stride=0), "padding='same' is not supported for strided convolutions"),
    (lambda: F.conv1d(x(), w(3, 1, 3), padding="same", groups=4, stride=2),
     "padding='same' is not supported for strided convolutions"),
    (lambda: F.conv1d(x(), w(4, 4, 3), padding="same", groups=0, stride=2), "non-positive groups is not supported"),
    (lambda: F.conv3d(x(3), w(4, 4, 3, 1, 1), padding="same", stride=0),
     "padding='same' is not supported for strided convolutions"),
    (lambda: F.conv3d(x(3), w(4, 4, 3, 1, 1), padding="foo", groups=0), "Invalid padding string: 'foo'"),
])
def test_conv_argument_errors(call, message):
    raises(RuntimeError, message, call)


def test_valid_convolutions_unchanged():
    assert tuple(F.conv1d(x(), w(4, 4, 3), padding="same", dilation=2).shape) == (2, 4, 11)
    assert tuple(F.conv1d(x(), w(8, 1, 3), groups=4, padding=1).shape) == (2, 8, 11)
    assert tuple(F.conv3d(x(3), w(4, 4, 3, 1, 1), padding="same", dilation=2).shape) == (2, 4, 11, 1, 1)
    assert tuple(F.conv_transpose1d(x(), w(4, 2, 3), stride=2, padding=1, output_padding=1).shape) == (2, 2, 22)
    assert tuple(F.conv_transpose3d(x(3), w(4, 1, 3, 1, 1), groups=4).shape) == (2, 4, 13, 1, 1)


# ------------------------------------------------------------------ F.pad's argument types
@pytest.mark.parametrize("call, message", [
    (lambda t: F.pad(t, (1.5, 1)),
     "pad(): argument 'pad' (position 2) must be tuple of ints, but found element of type float at pos 0"),
    (lambda t: F.pad(t, (1.0, 1), mode="reflect"),
     "pad(): argument 'pad' (position 2) must be tuple of ints, but found element of type float at pos 0"),
    (lambda t: F.pad(t, (True, 1)),
     "pad(): argument 'pad' (position 2) must be tuple of ints, but found element of type bool at pos 0"),
    (lambda t: F.pad(t, (1, 1.5)),
     "pad(): argument 'pad' failed to unpack the object at pos 2 with error \"type must be tuple of ints,but got float\""),
    (lambda t: F.pad(t, (1, None)),
     "pad(): argument 'pad' failed to unpack the object at pos 2 with error \"type must be tuple of ints,but got "
     "NoneType\""),
    (lambda t: F.pad(t, 1), "pad(): argument 'pad' (position 2) must be tuple of ints, not int"),
    (lambda t: F.pad(t, (1, 1), value="a"), "pad(): argument 'value' (position 4) must be float, not str"),
    (lambda t: F.pad(t, (1, 1), mode=3), "pad(): argument 'mode' (position 3) must be str, not int"),
    (lambda t: F.pad(t, (tg.tensor(1.5), 1)),
     "pad(): argument 'pad' (position 2) must be tuple of ints, but found element of type Tensor at pos 0"),
])
def test_pad_argument_types(call, message):
    raises(TypeError, message, lambda: call(tg.arange(12.0).view(1, 2, 6)))


def test_pad_int_likes_still_pad():
    t = tg.arange(12.0).view(1, 2, 6)
    assert tuple(F.pad(t, (np.int64(1), tg.tensor(2))).shape) == (1, 2, 9)
    assert tuple(F.pad(t, [1, 1], value=3).shape) == (1, 2, 8)
    assert tuple(F.pad(t, ()).shape) == (1, 2, 6)
    assert F.pad(t, (1, 1), mode="reflect")[0, 0].tolist() == [1.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 4.0]


# ------------------------------------------------------------------ the pools' "tuple of ints" arguments
@pytest.mark.parametrize("call, message", [
    (lambda t: F.avg_pool1d(t, 2.5), "avg_pool1d(): argument 'kernel_size' (position 2) must be tuple of ints, not float"),
    (lambda t: F.avg_pool1d(t, 2, 1.5), "avg_pool1d(): argument 'stride' (position 3) must be tuple of ints, not float"),
    (lambda t: F.avg_pool1d(t, True), "avg_pool1d(): argument 'kernel_size' (position 2) must be tuple of ints, not bool"),
    (lambda t: F.avg_pool1d(t, (2.0,)),
     "avg_pool1d(): argument 'kernel_size' (position 2) must be tuple of ints, but found element of type float at pos 0"),
    (lambda t: F.max_pool1d(t, 2.5), "max_pool1d(): argument 'kernel_size' (position 2) must be tuple of ints, not float"),
    (lambda t: F.max_pool1d(t, 2, dilation=1.0),
     "max_pool1d(): argument 'dilation' (position 5) must be tuple of ints, not float"),
    (lambda t: F.max_pool1d(t, 2.5, return_indices=True),
     "max_pool1d_with_indices(): argument 'kernel_size' (position 2) must be tuple of ints, not float"),
    (lambda t: F.max_pool1d(t, [2, 2.0]),
     "max_pool1d(): argument 'kernel_size' failed to unpack the object at pos 2 with error \"type must be tuple of "
     "ints,but got float\""),
    (lambda t: F.max_pool1d(t, tg.tensor(2.0)),
     "max_pool1d(): argument 'kernel_size' (position 2) must be tuple of ints, not Tensor"),
    (lambda t: F.max_pool2d(t.view(2, 3, 2, 5), (1, 2, 2.5)),
     "max_pool2d(): argument 'kernel_size' failed to unpack the object at pos 3 with error \"type must be tuple of "
     "ints,but got float\""),
    (lambda t: F.avg_pool2d(t.view(2, 3, 2, 5), 2, padding=(0, 1.0)),
     "avg_pool2d(): argument 'padding' failed to unpack the object at pos 2 with error \"type must be tuple of "
     "ints,but got float\""),
    (lambda t: F.max_pool3d(t.view(1, 2, 3, 2, 5), 2.5, return_indices=True),
     "max_pool3d_with_indices(): argument 'kernel_size' (position 2) must be tuple of ints, not float"),
    (lambda t: F.avg_pool3d(t.view(1, 2, 3, 2, 5), 1, 1, 0.0),
     "avg_pool3d(): argument 'padding' (position 4) must be tuple of ints, not float"),
    (lambda t: F.pad(t, (1, 1, 1.5, 1)),
     "pad(): argument 'pad' failed to unpack the object at pos 3 with error \"type must be tuple of ints,but got float\""),
])
def test_pool_int_tuple_arguments(call, message):
    raises(TypeError, message, lambda: call(tg.tensor(X1[:, :3, :10].copy())))


def test_pool_int_likes_still_pool():
    t = tg.tensor(X1[:, :3, :10].copy())
    assert tuple(F.max_pool1d(t, tg.tensor(2), [], np.int64(0)).shape) == (2, 3, 5)
    assert tuple(F.avg_pool1d(t, 2, tg.tensor([1])).shape) == (2, 3, 9)
    assert tuple(F.max_pool2d(t.view(2, 3, 2, 5), (1, 2), None).shape) == (2, 3, 2, 2)


# ------------------------------------------------------------------ Conv*d._conv_forward
def test_conv_forward_is_there_and_forward_goes_through_it():
    import tensorgraft.nn as nn

    class WSConv1d(nn.Conv1d):  # weight standardisation, as written in tutorials
        def forward(self, x):
            w = self.weight
            w = (w - w.mean(dim=(1, 2), keepdim=True)) / (w.std(dim=(1, 2), keepdim=True) + 1e-5)
            return self._conv_forward(x, w, self.bias)

    class Doubled(nn.Conv1d):
        def _conv_forward(self, input, weight, bias):
            return super()._conv_forward(input, weight * 2, bias)

    tg.manual_seed(0)
    t = x()
    ws = WSConv1d(4, 3, 3, padding=1, padding_mode="reflect")
    assert tuple(ws(t).shape) == (2, 3, 11) and type(ws(t).grad_fn).__name__ == "ConvolutionBackward0"
    d = Doubled(4, 3, 3, bias=False)
    assert np.allclose(d(t).detach().numpy(), 2 * F.conv1d(t, d.weight).detach().numpy(), atol=1e-5)


def test_float_channel_count_is_refused_as_pytorch_words_it():
    import tensorgraft.nn as nn
    raises(TypeError, "empty(): argument 'size' (position 1) must be tuple of ints, but found element of type float at "
           "pos 0", lambda: nn.Conv1d(3, 3.0, 3))
    raises(TypeError, "empty(): argument 'size' failed to unpack the object at pos 2 with error \"type must be tuple "
           "of ints,but got float\"", lambda: nn.ConvTranspose2d(3, 3.0, 3))
    assert tuple(nn.Conv1d(3, 6, 3, groups=3).weight.shape) == (6, 1, 3)
    assert tuple(nn.ConvTranspose1d(4, 6, 3, groups=2).bias.shape) == (6,)
