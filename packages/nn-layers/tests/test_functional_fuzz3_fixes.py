"""Regressions from a third differential fuzz of ``tensorgraft.nn.functional`` against PyTorch 2.13.

The expected values and messages are what PyTorch gave for the same calls (hard-coded: no torch
import)."""
import numpy as np
import pytest

import tensorgraft as tg

pytest.importorskip("tensorgraft.nn")
F = tg.nn.functional


def _raises(exc, match_exact, fn):
    with pytest.raises(exc) as info:
        fn()
    assert str(info.value) == match_exact


# ------------------------------------------------------------------ dropout
def test_dropout_takes_a_0d_tensor_p():
    x = tg.ones(3, 4)
    assert F.dropout(x, tg.tensor(0.3), training=False) is x
    tg.manual_seed(0)
    out = F.dropout(x, tg.tensor(0.5))
    assert out.shape == (3, 4) and set(np.unique(out.numpy())) <= {0.0, 2.0}
    _raises(TypeError, "dropout(): argument 'p' (position 2) must be float, not Tensor",
            lambda: F.dropout(x, tg.tensor(0.5, requires_grad=True)))
    _raises(ValueError, "dropout probability has to be between 0 and 1, but got 1.5",
            lambda: F.dropout(x, tg.tensor(1.5)))


@pytest.mark.filterwarnings("ignore:dropout3d")
@pytest.mark.parametrize("fn, name", [(F.dropout, "dropout"), (F.alpha_dropout, "alpha_dropout"),
                                      (F.feature_alpha_dropout, "feature_alpha_dropout"),
                                      (F.dropout1d, "feature_dropout"), (F.dropout3d, "feature_dropout")])
def test_dropout_training_must_be_a_bool(fn, name):
    x = tg.ones(2, 3, 4)
    _raises(TypeError, f"{name}(): argument 'train' (position 3) must be bool, not int", lambda: fn(x, 0.5, 1))
    _raises(TypeError, f"{name}_(): argument 'train' (position 3) must be bool, not NoneType",
            lambda: fn(x, 0.5, None, True))


@pytest.mark.filterwarnings("ignore:dropout2d")
def test_dropout_of_integer_bool_and_complex_inputs():
    _raises(RuntimeError, "result type Float can't be cast to the desired output type Long",
            lambda: F.dropout(tg.tensor([1, 2, 3]), 0.5))
    _raises(RuntimeError, "result type Float can't be cast to the desired output type Bool",
            lambda: F.dropout(tg.tensor([True, False]), 0.5))
    _raises(RuntimeError, "result type Float can't be cast to the desired output type Long",
            lambda: F.dropout2d(tg.ones(2, 3, 4, dtype=tg.int64), 0.5))
    # alpha dropout's bool noise becomes Long first
    _raises(RuntimeError, "result type Float can't be cast to the desired output type Long",
            lambda: F.alpha_dropout(tg.ones(3, 4, dtype=tg.bool), 0.5, True))
    _raises(NotImplementedError, "\"bernoulli_scalar_cpu_\" not implemented for 'ComplexFloat'",
            lambda: F.dropout(tg.ones(3, dtype=tg.complex64), 0.5))
    # p == 1 is a product with a zero of the input's dtype: no error, the dtype kept
    out = F.dropout(tg.tensor([1, 2, 3]), 1.0)
    assert out.dtype == tg.int64 and out.tolist() == [0, 0, 0]
    assert F.dropout2d(tg.ones(2, 3, 4, dtype=tg.complex64), 1.0).dtype == tg.complex64


def test_dropout_of_an_empty_input_is_the_input():
    pytest.importorskip("tensorgraft.autograd")
    x = tg.ones(0, 3, requires_grad=True)
    assert F.dropout(x, 0.5) is x


def test_unbatched_inplace_feature_dropout_squeezes_in_place():
    pytest.importorskip("tensorgraft.autograd")
    b = tg.ones(3, 4, requires_grad=True) * 1
    out = F.dropout1d(b, 0.5, True, True)
    assert out is b and out.shape == (3, 4) and type(out.grad_fn).__name__ == "SqueezeBackward4"
    c = tg.ones(2, 3, 4, 5, requires_grad=True) * 1
    assert type(F.dropout3d(c, 0.5, False, True).grad_fn).__name__ == "SqueezeBackward4"
    _raises(RuntimeError, "a leaf Variable that requires grad is being used in an in-place operation.",
            lambda: F.dropout1d(tg.ones(3, 4, requires_grad=True), 0.5, False, True))


# ------------------------------------------------------------------ linear / bilinear
def test_linear_bias_must_be_a_tensor():
    _raises(TypeError, "linear(): argument 'bias' (position 3) must be Tensor, not float",
            lambda: F.linear(tg.ones(3, 4), tg.ones(5, 4), 1.0))


def test_bilinear_of_0d_inputs():
    _raises(IndexError, "Dimension specified as -1 but tensor has no dimensions",
            lambda: F.bilinear(tg.tensor(1.0), tg.tensor(1.0), tg.ones(5, 1, 1)))


# ------------------------------------------------------------------ pad
@pytest.mark.parametrize("shape, pads", [((2, 3, 5), (-6, 1)), ((2, 3, 5), (-3, -3)), ((3, 4), (-5, 0)),
                                         ((2, 3), (1, -4, -3, 1))])
def test_constant_pad_cropping_too_much_is_narrows_error(shape, pads):
    _raises(RuntimeError, "narrow(): length must be non-negative.", lambda: F.pad(tg.ones(*shape), pads))


def test_constant_pad_value_overflow():
    u8 = tg.tensor([[1, 2, 3]], dtype=tg.uint8)
    for v in (300, -1, 255.7, tg.tensor(300)):
        _raises(RuntimeError, "value cannot be converted to type uint8_t without overflow",
                lambda v=v: F.pad(u8, (0, 1), value=v))
    # nothing padded: the value is never converted
    assert F.pad(u8, (-1, 0), value=300).tolist() == [[2, 3]]
    _raises(RuntimeError, "value cannot be converted to type int without overflow",
            lambda: F.pad(tg.ones(1, 2, dtype=tg.int32), (1, 0), value=float("inf")))
    _raises(RuntimeError, "value cannot be converted to type c10::Half without overflow",
            lambda: F.pad(tg.ones(1, 2, dtype=tg.float16), (1, 0), value=65505.0))
    _raises(RuntimeError, "value cannot be converted to type float without overflow",
            lambda: F.pad(tg.ones(1, 2), (1, 0), value=1e100))
    assert F.pad(tg.ones(1, 2, dtype=tg.float16), (1, 0), value=float("nan")).isnan().tolist() == [[True, False,
                                                                                                     False]]
    assert F.pad(tg.ones(1, 2, dtype=tg.bool), (1, 0), value=5).tolist() == [[True, True, True]]


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_index_pad_refuses_eight_pads(mode):
    _raises(NotImplementedError,
            "Padding size 8 is not supported for 5D input tensor.\nSupported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n  - 3D or 4D input: padding size = 4 (pads "
            "last 2 dimensions)\n  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)",
            lambda: F.pad(tg.ones(1, 2, 3, 4, 5), (1,) * 8, mode=mode))


# ------------------------------------------------------------------ one_hot / embedding
@pytest.mark.parametrize("value, name", [(3.0, "float"), (True, "bool"), (None, "NoneType"), ("3", "str")])
def test_one_hot_num_classes_must_be_an_int(value, name):
    _raises(TypeError, f"one_hot(): argument 'num_classes' (position 2) must be int, not {name}",
            lambda: F.one_hot(tg.tensor([1, 2]), value))


def test_embedding_argument_types():
    w, idx = tg.ones(5, 3), tg.tensor([1, 2])
    _raises(TypeError, "embedding(): argument 'padding_idx' (position 3) must be int, not float",
            lambda: F.embedding(idx, w, padding_idx=1.5))
    _raises(TypeError, "embedding(): argument 'padding_idx' (position 3) must be int, not bool",
            lambda: F.embedding(idx, w, padding_idx=True))
    _raises(TypeError, "embedding(): argument 'scale_grad_by_freq' (position 4) must be bool, not int",
            lambda: F.embedding(idx, w, scale_grad_by_freq=1))
    _raises(TypeError, "embedding(): argument 'sparse' (position 5) must be bool, not NoneType",
            lambda: F.embedding(idx, w, sparse=None))
    assert F.embedding(idx, w, padding_idx=tg.tensor(1)).shape == (2, 3)


# ------------------------------------------------------------------ unfold / fold
@pytest.mark.parametrize("call, exc, msg", [
    (lambda: F.unfold(tg.ones(2, 3), 0), RuntimeError,
     "kernel size should be greater than zero, but got kernel_height: 0 kernel_width: 0"),
    (lambda: F.unfold(tg.ones(2, 3, 4, 5), 1, dilation=0, padding=-1, stride=0), RuntimeError,
     "dilation should be greater than zero, but got dilation_height: 0 dilation_width: 0"),
    (lambda: F.unfold(tg.ones(2, 3, 4, 5), 1, padding=-1, stride=0), RuntimeError,
     "padding should be non-negative, but got pad_height: -1 pad_width: -1"),
    (lambda: F.unfold(tg.ones(2, 3, 4, 5), 2, stride=0), RuntimeError,
     "stride should be greater than zero, but got stride_height: 0 stride_width: 0"),
    (lambda: F.unfold(tg.ones(2, 3, 4, 5), (2,)), RuntimeError, "It is expected kernel_size equals to 2, but got size 1"),
    (lambda: F.unfold(tg.ones(2, 3, 4, 5), 1, dilation=(1, 2, 3), padding=(1, 2, 3)), RuntimeError,
     "It is expected dilation equals to 2, but got size 3"),
    (lambda: F.unfold(tg.ones(2, 3, 4, 5), 2.0), TypeError,
     "im2col(): argument 'kernel_size' (position 2) must be tuple of ints, but found element of type float at pos 0"),
    (lambda: F.unfold(tg.ones(2, 3, 4, 5), (2, 2.0)), TypeError,
     "im2col(): argument 'kernel_size' failed to unpack the object at pos 2 with error \"type must be tuple of "
     "ints,but got float\""),
    (lambda: F.unfold(tg.ones(2, 3, 4, 5), 2, padding=True), TypeError,
     "im2col(): argument 'padding' (position 4) must be tuple of ints, but found element of type bool at pos 0"),
    (lambda: F.unfold(tg.ones(2, 3, 4, 5, dtype=tg.int64), 2), NotImplementedError,
     "\"im2col_out_cpu\" not implemented for 'Long'"),
    (lambda: F.fold(tg.ones(2, 12, 12), (4, 5), 1, dilation=0, padding=-1, stride=0), RuntimeError,
     "stride should be greater than zero, but got stride_height: 0 stride_width: 0"),
    (lambda: F.fold(tg.ones(2, 12, 12), (4, 5), 1, dilation=0, padding=-1), RuntimeError,
     "dilation should be greater than zero, but got dilation_height: 0 dilation_width: 0"),
    (lambda: F.fold(tg.ones(2, 12, 12), (4,), (1, 2, 3)), RuntimeError,
     "It is expected output_size equals to 2, but got size 1"),
    (lambda: F.fold(tg.ones(2, 12, 12), (4, 5.0), 2), TypeError,
     "col2im(): argument 'output_size' failed to unpack the object at pos 2 with error \"type must be tuple of "
     "ints,but got float\""),
    (lambda: F.fold(tg.ones(2, 12, 12, dtype=tg.int32), (4, 5), 2), NotImplementedError,
     "\"col2im_out_cpu\" not implemented for 'Int'"),
    (lambda: F.fold(tg.ones(2, 12, 12, dtype=tg.int64), (4, 5), 9), RuntimeError,
     "Expected size of input's dimension 1 to be divisible by the product of kernel_size, but got input.size(1)=12 "
     "and kernel_size=(9, 9)."),
])
def test_unfold_fold_argument_errors(call, exc, msg):
    _raises(exc, msg, call)


def test_unfold_of_bool():
    x = tg.tensor(np.arange(8.0).reshape(1, 2, 2, 2)) > 3
    assert F.unfold(x, 1).tolist() == [[[False, False, False, False], [True, True, True, True]]]


# ------------------------------------------------------------------ interpolate
def test_interpolate_float_size_is_the_kernels_type_error():
    _raises(TypeError,
            "upsample_nearest1d() received an invalid combination of arguments - got (Tensor, list, NoneType), but "
            "expected one of:\n * (Tensor input, tuple of ints output_size, tuple of floats scale_factors)\n      "
            "didn't match because some of the arguments have invalid types: (Tensor, !list of [float]!, !NoneType!)\n"
            " * (Tensor input, tuple of ints output_size, float scales = None, *, Tensor out = None)\n",
            lambda: F.interpolate(tg.ones(2, 3, 5), size=3.5))
    _raises(TypeError,
            "upsample_bilinear2d() received an invalid combination of arguments - got (Tensor, list, bool, NoneType), "
            "but expected one of:\n * (Tensor input, tuple of ints output_size, bool align_corners, tuple of floats "
            "scale_factors)\n      didn't match because some of the arguments have invalid types: (Tensor, !list of "
            "[float, float]!, bool, !NoneType!)\n * (Tensor input, tuple of ints output_size, bool align_corners, float "
            "scales_h = None, float scales_w = None, *, Tensor out = None)\n",
            lambda: F.interpolate(tg.ones(1, 1, 4, 4), size=2.5, mode="bilinear", align_corners=True))
    _raises(TypeError,
            "upsample_nearest2d() received an invalid combination of arguments - got (Tensor, NoneType, list), but "
            "expected one of:\n * (Tensor input, tuple of ints output_size, tuple of floats scale_factors)\n      "
            "didn't match because some of the arguments have invalid types: (Tensor, !NoneType!, !list of [Tensor, "
            "Tensor]!)\n * (Tensor input, tuple of ints output_size, float scales_h = None, float scales_w = None, *, "
            "Tensor out = None)\n",
            lambda: F.interpolate(tg.ones(1, 1, 4, 4), scale_factor=tg.tensor(2.0)))
    _raises(TypeError,
            "upsample_nearest2d() received an invalid combination of arguments - got (Tensor, tuple, NoneType), but "
            "expected one of:\n * (Tensor input, tuple of ints output_size, tuple of floats scale_factors)\n      "
            "didn't match because some of the arguments have invalid types: (Tensor, !tuple of (bool, int)!, "
            "!NoneType!)\n * (Tensor input, tuple of ints output_size, float scales_h = None, float scales_w = None, *, "
            "Tensor out = None)\n",
            lambda: F.interpolate(tg.ones(1, 1, 4, 4), size=(True, 2)))
    _raises(TypeError, "upsample_nearest2d(): argument 'scale_factors' must be tuple of floats, but found element of "
                       "type str at pos 2",
            lambda: F.interpolate(tg.ones(1, 1, 4, 4), scale_factor=(2.0, "2")))
    _raises(TypeError, "adaptive_avg_pool2d(): argument 'output_size' (position 2) must be tuple of ints, but found "
                       "element of type float at pos 0",
            lambda: F.interpolate(tg.ones(1, 1, 4, 4), size=3.5, mode="area"))


def test_interpolate_takes_integer_tensor_sizes():
    x = tg.tensor(np.arange(16.0, dtype=np.float32).reshape(1, 1, 4, 4))
    assert F.interpolate(x, size=(tg.tensor(2), tg.tensor(3))).tolist() == [[[[0.0, 1.0, 2.0], [8.0, 9.0, 10.0]]]]
    assert F.interpolate(x, size=(2, True)).tolist() == [[[[0.0], [8.0]]]]
    assert F.interpolate(x, scale_factor=(0.5, tg.tensor(0.5))).tolist() == [[[[0.0, 2.0], [8.0, 10.0]]]]


# ------------------------------------------------------------------ softplus
def test_softplus_beta_zero_and_overflow():
    assert F.softplus(tg.tensor([-1.0, 0.0, 2.0]), beta=0).tolist() == [float("inf")] * 3
    out = F.softplus(tg.tensor([100.0, -1.0]), threshold=1000).tolist()
    assert out[0] == float("inf") and out[1] == pytest.approx(0.3132616877555847, rel=1e-6)


def test_softplus_gradient_overflow_and_half():
    pytest.importorskip("tensorgraft.autograd")
    a = tg.tensor([100.0, -1.0], requires_grad=True)
    F.softplus(a, threshold=1000).sum().backward()
    g = a.grad.tolist()
    assert np.isnan(g[0]) and g[1] == pytest.approx(0.2689414322376251, rel=1e-6)
    h = tg.tensor([30.0, 1.0], dtype=tg.float16, requires_grad=True)   # computed in float32
    y = F.softplus(h, threshold=1000)
    y.sum().backward()
    assert y.tolist() == [30.0, 1.3134765625] and h.grad.tolist() == [1.0, 0.73095703125]


# ------------------------------------------------------------------ softmax family
@pytest.mark.parametrize("fn, name", [(F.softmax, "softmax"), (F.softmin, "softmax"), (F.log_softmax, "log_softmax")])
def test_softmax_dtype_must_be_floating(fn, name):
    x = tg.ones(3, 4)
    _raises(NotImplementedError, f"\"{name}_lastdim_kernel_impl\" not implemented for 'Long'",
            lambda: fn(x, 1, dtype=tg.int64))
    _raises(NotImplementedError, f"\"{name}_kernel_impl\" not implemented for 'Bool'", lambda: fn(x, 0, dtype=tg.bool))
    _raises(NotImplementedError, f"\"{name}_lastdim_kernel_impl\" not implemented for 'ComplexFloat'",
            lambda: fn(tg.ones(3, 4, dtype=tg.complex64), 1))
    # an empty input never reaches the kernel
    assert fn(tg.ones(0, 3), 1, dtype=tg.int64).dtype == tg.int64


# ------------------------------------------------------------------ local_response_norm
def test_local_response_norm_of_long_truncates_the_window_mean():
    x = tg.tensor([[[1, 2, 3], [4, 5, 6], [7, 8, 9], [2, 2, 2]]])
    out = F.local_response_norm(x, 3, alpha=1.0, beta=1.0, k=1.0)
    assert out.dtype == tg.float32
    np.testing.assert_allclose(out.numpy(), [[[0.1666666716337204, 0.20000000298023224, 0.1875],
                                              [0.17391304671764374, 0.15625, 0.13953489065170288],
                                              [0.2916666567325592, 0.25, 0.2195121943950653],
                                              [0.1111111119389534, 0.08695652335882187, 0.06896551698446274]]],
                               rtol=1e-6)


def test_local_response_norm_errors():
    _raises(RuntimeError, "kernel size should be greater than zero, but got kH: 0 kW: 1",
            lambda: F.local_response_norm(tg.ones(2, 5, 4), 0))
    _raises(RuntimeError, "kernel size should be greater than zero, but got kH: -1 kW: 1",
            lambda: F.local_response_norm(tg.ones(2, 5, 4), -1))
    _raises(RuntimeError, "kernel size should be greater than zero, but got kT: 0 kH: 1 kW: 1",
            lambda: F.local_response_norm(tg.ones(2, 5, 4, 3), 0))
    _raises(RuntimeError, "narrow(): length must be non-negative.",
            lambda: F.local_response_norm(tg.ones(2, 5, 4), -5))
    _raises(NotImplementedError, "\"avg_pool2d\" not implemented for 'Int'",
            lambda: F.local_response_norm(tg.ones(2, 5, 4, dtype=tg.int32), 3))
    _raises(NotImplementedError, "\"avg_pool3d_out_frame\" not implemented for 'Half'",
            lambda: F.local_response_norm(tg.ones(2, 5, 4, 3, dtype=tg.float16), 3))


def test_local_response_norm_graph_and_gradient():
    pytest.importorskip("tensorgraft.autograd")
    x = tg.tensor([[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]], requires_grad=True)
    out = F.local_response_norm(x, 2)
    assert type(out.grad_fn).__name__ == "DivBackward0"
    np.testing.assert_allclose(out.detach().numpy(), [[[0.999962568283081, 1.9997000694274902],
                                                       [2.998875617980957, 3.997002363204956],
                                                       [4.9936347007751465, 5.9883270263671875]]], rtol=1e-6)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[[0.9996627569198608, 0.9989511966705322],
                                                 [0.9978290796279907, 0.9962608218193054],
                                                 [0.9968574643135071, 0.9953666925430298]]], rtol=1e-6)


# ------------------------------------------------------------------ pools: the order of ATen's checks
def test_pool_kernel_checks_come_after_the_padding_ones():
    half = "pad should be at most half of effective kernel size, but got pad=0, kernel_size=-3 and dilation=1"
    _raises(RuntimeError, half, lambda: F.avg_pool3d(tg.ones(1, 1, 5, 5, 5), (-3, 1, 1), stride=1))
    _raises(RuntimeError, half, lambda: F.max_pool3d(tg.ones(1, 1, 5, 5, 5), (-3, 1, 1), stride=1))
    _raises(RuntimeError, "pad should be at most half of effective kernel size, but got pad=1, kernel_size=-1 and "
                          "dilation=1", lambda: F.max_pool3d(tg.ones(1, 1, 5, 5, 5), (-1, 1, 1), stride=1, padding=1))
    _raises(RuntimeError, "kernel size should be greater than zero, but got kH: -1 kW: 1",
            lambda: F.avg_pool2d(tg.ones(1, 1, 5, 4), (-1, 1), stride=1))
    _raises(NotImplementedError, "\"avg_pool3d_out_frame\" not implemented for 'BFloat16'",
            lambda: F.avg_pool3d(tg.ones(1, 1, 4, 4, 4, dtype=tg.bfloat16), 2))


# ------------------------------------------------------------------ losses
def test_multilabel_soft_margin_loss_bad_reduction():
    _raises(ValueError, "foo is not valid",
            lambda: F.multilabel_soft_margin_loss(tg.ones(3, 4), tg.ones(3, 4), reduction="foo"))


def test_bce_with_logits_weight_must_broadcast_into_the_loss():
    x, t = tg.ones(3, 4), tg.ones(3, 4)
    _raises(RuntimeError, "The size of tensor a (4) must match the size of tensor b (3) at non-singleton dimension 1",
            lambda: F.binary_cross_entropy_with_logits(x, t, weight=tg.ones(3)))
    _raises(RuntimeError, "output with shape [3, 4] doesn't match the broadcast shape [2, 3, 4]",
            lambda: F.binary_cross_entropy_with_logits(x, t, weight=tg.ones(2, 3, 4)))
    assert F.binary_cross_entropy_with_logits(x, t, weight=tg.ones(3, 1)).shape == ()
