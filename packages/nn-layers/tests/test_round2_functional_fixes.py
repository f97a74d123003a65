"""The second round of nn.functional fixes, pinned to PyTorch 2.13's messages and values (taken
from PyTorch; test_round2_functional_fixes_oracle.py compares with it directly where installed)."""
import math

import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn.functional as F


def _r(*shape, seed=0):
    return tg.tensor(np.random.default_rng(seed).standard_normal(shape).astype(np.float32))


def _raises(exc, text, call):
    with pytest.raises(exc) as info:
        call()
    assert str(info.value) == text


# ------------------------------------------------------------------ convolutions
def test_conv2d_checks_the_bias_dtype_first():
    x, w, b = _r(1, 4, 6, 6), _r(8, 4, 3, 3), _r(8)
    _raises(RuntimeError, "Input type (double) and bias type (float) should be the same",
            lambda: F.conv2d(x.double(), w, b))
    _raises(RuntimeError, "expected scalar type Double but found Float", lambda: F.conv2d(x.double(), w))
    _raises(RuntimeError, "Input type (torch.HalfTensor) and weight type (torch.FloatTensor) should be the same or "
            "input should be a MKLDNN tensor and weight is a dense tensor", lambda: F.conv2d(x.half(), w))
    _raises(RuntimeError, "Input type (torch.FloatTensor) and weight type (torch.DoubleTensor) should be the same or "
            "input should be a MKLDNN tensor and weight is a dense tensor",
            lambda: F.conv2d(_r(2, 4, 6, 6), w.double()))
    _raises(NotImplementedError, "\"slow_conv2d_cpu\" not implemented for 'Bool'", lambda: F.conv2d(x.bool(), w))


def test_conv_transpose2d_refuses_a_double_input_with_a_float_weight():
    x, w = _r(1, 4, 6, 6), _r(4, 3, 3, 3)
    _raises(RuntimeError, "expected scalar type Double but found Float", lambda: F.conv_transpose2d(x.double(), w))
    _raises(NotImplementedError, "\"slow_conv_transpose2d_out_cpu\" not implemented for 'Int'",
            lambda: F.conv_transpose2d(x.int(), w))


def test_conv_setting_lengths_stride_dilation_groups():
    x, w = _r(1, 4, 6, 6), _r(8, 4, 3, 3)
    for arg in ("stride", "padding", "dilation"):
        _raises(RuntimeError, f"expected {arg} to be a single integer value or a list of 2 values to match the "
                f"convolution dimensions, but got {arg}=[1, 2, 3]", lambda: F.conv2d(x, w, **{arg: (1, 2, 3)}))
    _raises(RuntimeError, "expected stride to be a single integer value or a list of 1 values to match the "
            "convolution dimensions, but got stride=[1, 1]", lambda: F.conv1d(_r(1, 4, 6), _r(3, 4, 3), stride=(1, 1)))
    _raises(RuntimeError, "Given weight of size [8, 4, 3, 3], expected bias to be 1-dimensional with 8 elements, but "
            "got bias of size [7] instead", lambda: F.conv2d(x, w, _r(7)))
    _raises(RuntimeError, "non-positive stride is not supported", lambda: F.conv2d(x, w, stride=0))
    _raises(RuntimeError, "non-positive dilation is not supported", lambda: F.conv2d(_r(2, 4, 6, 6), w, dilation=0))
    _raises(RuntimeError, "dilation should be greater than zero, but got [0, 0]", lambda: F.conv2d(x, w, dilation=0))
    _raises(RuntimeError, "dilation should be greater than zero", lambda: F.conv2d(x, w, dilation=-1))
    _raises(RuntimeError, "non-positive groups is not supported", lambda: F.conv2d(x, w, groups=0))
    _raises(RuntimeError, "Given groups=2, expected weight to be divisible by 2 at dimension 0, but got weight of "
            "size [[3, 2, 3, 3]] instead", lambda: F.conv_transpose2d(_r(1, 3, 6, 6), _r(3, 2, 3, 3), groups=2))
    _raises(TypeError, "conv_transpose2d(): argument 'padding' must be tuple of ints, not str",
            lambda: F.conv_transpose2d(_r(1, 4, 6, 6), _r(4, 3, 3, 3), padding="same"))


def test_conv1d_settings_are_single_values():
    # a 1-tuple and an int are the same setting; the output is unchanged
    x, w = _r(1, 4, 9), _r(3, 4, 3)
    a = F.conv1d(x, w, stride=(2,), dilation=(2,), padding=(1,))
    b = F.conv1d(x, w, stride=2, dilation=2, padding=1)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert a.shape == (1, 3, 4)


# ------------------------------------------------------------------ interpolate
def test_interpolate_refuses_integer_inputs_but_uint8_images():
    x = tg.zeros(1, 2, 4, 4, dtype=tg.int64)
    _raises(NotImplementedError, "\"upsample_nearest2d_channels_last\" not implemented for 'Long'",
            lambda: F.interpolate(x, scale_factor=2))
    _raises(NotImplementedError, "\"compute_indices_weights_nearest\" not implemented for 'Bool'",
            lambda: F.interpolate(tg.zeros(1, 2, 4, dtype=tg.bool), scale_factor=2))
    _raises(NotImplementedError, "\"compute_indices_weights_linear\" not implemented for 'Byte'",
            lambda: F.interpolate(tg.zeros(1, 2, 4, dtype=tg.uint8), scale_factor=2, mode="linear"))
    assert F.interpolate(x.to(tg.uint8), scale_factor=2).dtype == tg.uint8


# ------------------------------------------------------------------ attention
def test_sdpa_input_checks():
    q = _r(2, 3, 4)
    _raises(RuntimeError, "Expected query, key, and value to have the same dtype, but got query.dtype: float "
            "key.dtype: long int and value.dtype: float instead.",
            lambda: F.scaled_dot_product_attention(q, q.long(), q))
    v = _r(4)
    _raises(RuntimeError, "Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: 1 "
            "key.dim: 1 and value.dim: 1 instead.", lambda: F.scaled_dot_product_attention(v, v, v))
    _raises(RuntimeError, "Number of heads in key and value must divide the number of heads in ",
            lambda: F.scaled_dot_product_attention(_r(1, 6, 3, 4), _r(1, 4, 3, 4), _r(1, 4, 3, 4), enable_gqa=True))


# ------------------------------------------------------------------ embedding
def test_embedding_checks():
    _raises(RuntimeError, "'weight' must be 2-D", lambda: F.embedding(tg.tensor([1]), _r(3)))
    _raises(RuntimeError, "Expected 2-dimensional tensor, but got 1-dimensional tensor for argument #1 'self' (while "
            "checking arguments for embedding_renorm_)", lambda: F.embedding(tg.tensor([1]), _r(3), max_norm=1.0))
    _raises(RuntimeError, "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, "
            "Int; but got torch.ShortTensor instead (while checking arguments for embedding)",
            lambda: F.embedding(tg.tensor([1], dtype=tg.int16), _r(5, 3)))
    _raises(TypeError, "embedding(): argument 'indices' (position 2) must be Tensor, not list",
            lambda: tg.nn.Embedding(5, 3)([1, 2]))


def test_embedding_max_norm_with_infinite_norm_type_uses_the_largest_entry():
    w = tg.tensor([[3.0, -4.0], [0.5, 0.25]])
    F.embedding(tg.tensor([0, 1]), w, max_norm=2.0, norm_type=math.inf)
    np.testing.assert_allclose(w.numpy(), [[1.5, -2.0], [0.5, 0.25]], rtol=1e-6)
    w = tg.tensor([[3.0, -4.0]])
    F.embedding(tg.tensor([0]), w, max_norm=2.0, norm_type=-math.inf)   # the smallest entry
    np.testing.assert_allclose(w.numpy(), [[2.0, -8.0 / 3.0]], rtol=1e-6)
    w = tg.tensor([[3.0, 0.0, 1.0]])
    F.embedding(tg.tensor([0]), w, max_norm=1.0, norm_type=0)   # the count of nonzero entries
    np.testing.assert_allclose(w.numpy(), [[1.5, 0.0, 0.5]], rtol=1e-6)


def test_embedding_bag_offsets_message_names_the_index_type():
    w = _r(5, 3)
    text = ("offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from position 0. "
            "However, got 1\n[ torch.{}{{}} ]")
    _raises(RuntimeError, text.format("LongTensor"), lambda: F.embedding_bag(tg.tensor([1, 2, 3]), w, tg.tensor([1])))
    _raises(RuntimeError, text.format("IntTensor"),
            lambda: F.embedding_bag(tg.tensor([1, 2, 3]).int(), w, tg.tensor([1]).int()))


# ------------------------------------------------------------------ norms, unfold
def test_norm_and_unfold_rank_messages():
    _raises(RuntimeError, "running_mean must be defined in evaluation mode", lambda: F.batch_norm(_r(4, 3), None, None))
    _raises(RuntimeError, "running_var must be defined in evaluation mode",
            lambda: F.batch_norm(_r(4, 3), tg.zeros(3), None))
    _raises(ValueError, "running_mean and running_var must either both be None or neither be None",
            lambda: F.batch_norm(_r(4, 3), tg.zeros(3), None, training=True))
    _raises(RuntimeError, "Expected at least 2 dimensions for input tensor but received 1",
            lambda: tg.nn.GroupNorm(3, 6)(_r(6)))
    _raises(IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got 2)",
            lambda: F.unfold(_r(3, 4), 2))


def test_group_norm_takes_an_empty_batch():
    x = tg.zeros(0, 6, 2, requires_grad=True)
    y = tg.nn.GroupNorm(3, 6)(x)
    y.sum().backward()
    assert y.shape == (0, 6, 2) and x.grad.shape == (0, 6, 2)


def test_cosine_similarity_of_unbroadcastable_shapes_names_the_sizes():
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(3\) must match the size of tensor b \(4\) at "
                                           r"non-singleton dimension 0"):
        F.cosine_similarity(tg.ones(3, 5), tg.ones(4, 5))
