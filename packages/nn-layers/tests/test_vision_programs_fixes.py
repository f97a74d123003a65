"""The gaps the vision programs (tests/programs/vision_*.py) found, pinned with PyTorch's
answers written out (the ``_oracle`` twin compares with PyTorch itself)."""
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F


def test_affine_grid_sums_small_grids_left_to_right_in_float32():
    theta = tg.tensor([[[0.9, -0.2, 0.1], [0.3, 1.1, -0.2]]])
    grid = F.affine_grid(theta, (1, 3, 5, 5), align_corners=False)
    # -0.24 + 0.44 - 0.2 rounded step by step in float32 (an exact sum would give 0)
    assert grid[0, 3, 0, 1].item() == np.float32(1.4901161e-08)
    assert grid[0, 3, 0, 0].item() == np.float32(-0.6999999284744263)  # PyTorch's value


def test_affine_grid_points_are_times_n_minus_1_over_n():
    # ATen's pixel centres: torch.linspace(-1, 1, n) * (n - 1), then / n, each rounded
    ident = tg.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]], dtype=tg.float64)
    xs = F.affine_grid(ident, (1, 1, 1, 7), align_corners=False)[0, 0, :, 0].numpy()
    want = (tg.linspace(-1, 1, 7, dtype=tg.float64).numpy() * 6) / 7  # torch.linspace's points
    np.testing.assert_array_equal(xs, want)


def test_affine_grid_half_sums_in_float32():
    theta = tg.tensor([[[0.9, -0.2, 0.1], [0.3, 1.1, -0.2]]]).half()
    grid = F.affine_grid(theta, (1, 1, 3, 4), align_corners=False)
    assert grid.dtype == tg.float16
    assert grid[0, 1, 0, 0].item() == np.float16(-0.575)  # half arithmetic would give -0.5747
    with pytest.raises(NotImplementedError, match="\"tensor_cpu\" not implemented for 'Half'"):
        F.affine_grid(theta, (1, 1, 1, 4), align_corners=False)


def test_affine_grid_messages_quote_the_size_as_given():
    theta = tg.zeros(2, 1, 3)
    with pytest.raises(ValueError, match=r"for size \[2, 3, 5, 5\]\. Got torch\.Size\(\[2, 1, 3\]\)\."):
        F.affine_grid(theta, [2, 3, 5, 5], align_corners=False)
    with pytest.raises(ValueError, match=r"for size torch\.Size\(\[2, 3, 5, 5\]\)\."):
        F.affine_grid(theta, tg.zeros(2, 3, 5, 5).size(), align_corners=False)
    with pytest.raises(NotImplementedError, match=r"Got size torch\.Size\(\[2, 3, 5\]\)\.$"):
        F.affine_grid(theta, tg.Size([2, 3, 5]), align_corners=False)
    with pytest.raises(ValueError, match=r"positive output size\. Got \[2, 3, 0, 5\]$"):
        F.affine_grid(tg.zeros(2, 2, 3), [2, 3, 0, 5], align_corners=False)


@pytest.mark.parametrize("a,b,message", [
    ((3, 5, 5), (2, 4, 4, 2), "expected grid and input to have same batch size"),
    ((3, 5, 5), (3, 4, 4, 2), "expected grid to have size 1 in last dimension"),
    ((3, 5, 5), (3, 4, 4, 1), "expected 5D input and grid with same number of dimensions"),
    ((2, 3, 5, 5), (3, 4, 2), "expected grid and input to have same batch size"),
    ((2, 3, 5, 5), (2, 4, 2), "expected 4D input and grid with same number of dimensions"),
    ((2, 3, 5, 5, 5), (1, 4, 4, 3), "expected grid and input to have same batch size"),
    ((2, 3, 0, 5), (3, 4, 4, 2), "expected grid and input to have same batch size"),
])
def test_grid_sample_checks_in_atens_order(a, b, message):
    with pytest.raises(RuntimeError, match=message):
        F.grid_sample(tg.zeros(a), tg.zeros(b), align_corners=False)


def test_grid_sample_dtype_checks_come_after_the_shapes():
    with pytest.raises(RuntimeError, match="expected grid to have size 2 in last dimension"):
        F.grid_sample(tg.zeros(2, 3, 5, 5), tg.zeros(2, 4, 4, 3).double(), align_corners=False)
    with pytest.raises(NotImplementedError, match="\"grid_sampler_2d_cpu_kernel_impl\" not implemented for 'Long'"):
        F.grid_sample(tg.zeros(1, 1, 2, 2).long(), tg.zeros(1, 1, 1, 2), align_corners=False)
    with pytest.raises(NotImplementedError, match="\"grid_sampler3d_cpu\" not implemented for 'Long'"):
        F.grid_sample(tg.zeros(1, 1, 2, 2, 2).long(), tg.zeros(1, 1, 1, 1, 3).long(), align_corners=False)


def test_grid_sample_empty_batch_and_channels():
    x = tg.ones(0, 3, 5, 5, requires_grad=True)
    y = F.grid_sample(x, tg.zeros(0, 4, 4, 2), align_corners=False)
    assert tuple(y.shape) == (0, 3, 4, 4)
    y.sum().backward()
    assert tuple(x.grad.shape) == (0, 3, 5, 5)
    g = tg.zeros(2, 4, 4, 2, requires_grad=True)
    y = F.grid_sample(tg.ones(2, 0, 5, 5), g, align_corners=False)
    assert tuple(y.shape) == (2, 0, 4, 4)
    y.sum().backward()
    assert tuple(g.grad.shape) == (2, 4, 4, 2)


def test_conv3d_checks_the_bias_type_first():
    x = tg.zeros(1, 3, 3, 3, 3).double()  # also the wrong channel count: the bias type is said first
    with pytest.raises(RuntimeError, match=r"^Input type \(double\) and bias type \(float\) should be the same$"):
        F.conv3d(x, tg.zeros(8, 4, 1, 1, 1), tg.zeros(8))
    with pytest.raises(RuntimeError, match="^expected scalar type Double but found Float$"):
        F.conv3d(tg.zeros(1, 4, 3, 3, 3).double(), tg.zeros(8, 4, 1, 1, 1))
    # a float32 batch of two goes ATen's mkldnn way, which words it otherwise
    with pytest.raises(RuntimeError, match=r"^Input type \(torch.FloatTensor\) and weight type \(torch.DoubleTensor\) "
                                         r"should be the same or input should be a MKLDNN tensor and weight is a dense "
                                         r"tensor$"):
        F.conv3d(tg.zeros(2, 4, 3, 3, 3), tg.zeros(8, 4, 1, 1, 1).double())
    with pytest.raises(RuntimeError, match="^expected scalar type Float but found Double$"):
        F.conv3d(tg.zeros(1, 4, 3, 3, 3), tg.zeros(8, 4, 1, 1, 1).double())
    with pytest.raises(RuntimeError, match="^expected scalar type Float but found Double$"):
        F.conv_transpose3d(tg.zeros(1, 4, 3, 3, 3), tg.zeros(4, 8, 1, 1, 1), tg.zeros(8).double())
    with pytest.raises(NotImplementedError, match="\"slow_conv_transpose3d_out_cpu\" not implemented for 'Int'"):
        F.conv_transpose3d(tg.zeros(1, 4, 3, 3, 3).int(), tg.zeros(4, 8, 1, 1, 1).int())


def test_conv_modules_given_a_float64_batch():
    with pytest.raises(RuntimeError, match=r"^Input type \(double\) and bias type \(float\) should be the same$"):
        nn.Conv2d(4, 8, 3)(tg.zeros(1, 4, 5, 5).double())
    with pytest.raises(RuntimeError, match=r"^Input type \(long int\) and bias type \(float\) should be the same$"):
        nn.Conv1d(4, 8, 3, padding=1, padding_mode="reflect")(tg.zeros(1, 4, 5).long())
    with pytest.raises(RuntimeError, match="^expected scalar type Double but found Float$"):
        nn.ConvTranspose2d(4, 8, 3)(tg.zeros(1, 4, 5, 5).double())
    with pytest.raises(RuntimeError, match="expected input\\[1, 3, 5, 5\\] to have 4 channels"):
        nn.ConvTranspose2d(4, 8, 3)(tg.zeros(1, 3, 5, 5).double())


def test_conv_transpose_keeps_a_padding_word_as_characters():
    m = nn.ConvTranspose2d(2, 2, 3, padding="same")
    assert m.padding == ("s", "a", "m", "e")
    assert "padding=('s', 'a', 'm', 'e')" in repr(m)
    with pytest.raises(TypeError, match=r"^conv_transpose2d\(\): argument 'padding' \(position 5\) must be tuple "
                                         r"of ints, but found element of type str at pos 0$"):
        m(tg.zeros(1, 2, 4, 4))
    assert tuple(nn.ConvTranspose2d(2, 2, 3, stride=np.int64(2))(tg.zeros(1, 2, 3, 3)).shape) == (1, 2, 7, 7)


def test_padding_mode_message_prints_its_set_as_pytorch_does():
    # a set's order depends on the hash seed and the insertion order; PyTorch's with seed 0:
    code = ("import tensorgraft.nn as nn\ntry:\n    nn.Conv2d(1, 1, 1, padding_mode='wrap')\n"
            "except ValueError as e:\n    print(e)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=dict(os.environ, PYTHONHASHSEED="0")).stdout.strip()
    # the set PyTorch builds, printed by this interpreter under the same seed: a set's order depends
    # on the Python version too (3.11 changed the string hash), and PyTorch's message is Python's
    # printing of its set ({'replicate', 'reflect', 'zeros', 'circular'} on 3.11 with seed 0)
    theirs = subprocess.run([sys.executable, "-c", "print(set(('zeros', 'reflect', 'circular', 'replicate')))"],
                            capture_output=True, text=True, check=True,
                            env=dict(os.environ, PYTHONHASHSEED="0")).stdout.strip()
    if sys.version_info[:2] == (3, 11):
        assert theirs == "{'replicate', 'reflect', 'zeros', 'circular'}"
    assert out == f"padding_mode must be one of {theirs}, but got padding_mode='wrap'"


def test_conv_bias_without_inputs_is_zero_and_still_draws():
    tg.manual_seed(0)
    first = tg.rand(1).item()
    tg.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = nn.Conv2d(4, 8, 0)
    assert m.bias.detach().tolist() == [0.0] * 8
    assert tg.rand(1).item() != first  # the 8 draws of U(0, 0) moved the generator on


def test_layer_norm_of_a_permuted_batch_is_contiguous():
    x = tg.randn(2, 6, 4, 5, generator=tg.Generator().manual_seed(0))
    y = nn.LayerNorm(6)(x.permute(0, 2, 3, 1))
    assert y.is_contiguous()
    assert tuple(y.view(2, 20, 6).shape) == (2, 20, 6)  # ConvNeXt's LayerNorm then view
    assert not y.permute(0, 3, 1, 2).is_contiguous()


@pytest.mark.parametrize("op", [lambda t: F.batch_norm(t, None, None, training=True), lambda t: F.max_pool2d(t, 2),
                                lambda t: F.group_norm(t, 2), lambda t: F.avg_pool2d(t, 2)])
def test_norms_and_pools_lay_results_out_as_aten(op):
    x = tg.randn(2, 4, 6, 6, generator=tg.Generator().manual_seed(1))
    assert op(x.transpose(2, 3)).is_contiguous()
    cl = op(x.contiguous(memory_format=tg.channels_last))
    assert cl.is_contiguous(memory_format=tg.channels_last) and not cl.is_contiguous()


def test_interpolate_pad_and_conv_keep_channels_last():
    x = tg.randn(2, 3, 4, 4, generator=tg.Generator().manual_seed(2)).contiguous(memory_format=tg.channels_last)
    for r in (F.interpolate(x, scale_factor=2), F.pad(x, (1, 1)), nn.Conv2d(3, 5, 3)(x)):
        assert r.is_contiguous(memory_format=tg.channels_last)


def test_sync_batch_norm_in_one_process():
    from tensorgraft.nn.modules.batchnorm import SyncBatchNorm
    m = SyncBatchNorm(3)
    assert repr(m) == "SyncBatchNorm(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"
    x = tg.randn(4, 3, 2, 1, 2, generator=tg.Generator().manual_seed(3))  # any rank from 2 up
    ref = nn.BatchNorm3d(3)
    np.testing.assert_allclose(m(x).detach().numpy(), ref(x).detach().numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(m.running_var.numpy(), ref.running_var.numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match=r"^expected at least 2D input \(got 1D input\)$"):
        m(tg.ones(3))
    with pytest.raises(ValueError, match="^SyncBatchNorm number of input channels should be non-zero$"):
        SyncBatchNorm(0)(tg.ones(2, 0, 3))


def test_convert_sync_batchnorm_shares_the_tensors():
    from tensorgraft.nn.modules.batchnorm import SyncBatchNorm
    net = nn.Sequential(nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4), nn.Sequential(nn.BatchNorm1d(2, affine=False)),
                        nn.InstanceNorm2d(4))
    net[2].eval()
    weight, mean = net[1].weight, net[1].running_mean
    out = SyncBatchNorm.convert_sync_batchnorm(net)
    assert out is net
    assert type(out[1]) is SyncBatchNorm and out[1].weight is weight and out[1].running_mean is mean
    assert type(out[2][0]) is SyncBatchNorm and not out[2][0].training and out[2][0].weight is None
    assert type(out[3]) is nn.InstanceNorm2d
    single = SyncBatchNorm.convert_sync_batchnorm(nn.BatchNorm2d(3))
    assert type(single) is SyncBatchNorm


def test_reflection_and_replication_pad_checks():
    with pytest.raises(NotImplementedError, match="^\"replication_pad2d\" not implemented for 'Bool'$"):
        F.pad(tg.zeros(1, 1, 3, 3, dtype=tg.bool), (1, 1, 1, 1), mode="replicate")
    with pytest.raises(NotImplementedError, match="^\"reflection_pad1d\" not implemented for 'Bool'$"):
        F.pad(tg.zeros(1, 3, dtype=tg.bool), (1, 1), mode="reflect")
    assert F.pad(tg.ones(1, 3, dtype=tg.bool), (1, 1), mode="circular").all()
    with pytest.raises(RuntimeError, match=r"^Expected 2D or 3D \(batch mode\) tensor with possibly 0 batch size and "
                                           r"other non-zero dimensions for input, but got: \[2, 0, 3\]$"):
        F.pad(tg.zeros(2, 0, 3), (1, 1), mode="reflect")
    assert tuple(F.pad(tg.zeros(0, 2, 3), (1, 1), mode="replicate").shape) == (0, 2, 5)
    with pytest.raises(RuntimeError, match=r"^input \(W: 3\) is too small\. Calculated output W: 0$"):
        F.pad(tg.zeros(1, 1, 3), (-3, 0), mode="replicate")
    with pytest.raises(RuntimeError, match=r"^input \(H: 3, W: 3 \) is too small\. Calculated output H: -1 W: -1$"):
        F.pad(tg.zeros(1, 1, 3, 3), (-2, -2, -2, -2), mode="replicate")
    with pytest.raises(RuntimeError, match=r"^Trying to create tensor with negative dimension -1: \[1, 1, 3, -1, -1\]$"):
        F.pad(tg.zeros(1, 1, 3, 3, 3), (-2, -2, -2, -2, 0, 0), mode="reflect")
