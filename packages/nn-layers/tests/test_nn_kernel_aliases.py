"""Top-level ATen kernels (``tensorgraft/nn_kernel_aliases.py``): the native_* normalisations with
their statistics, native_dropout with its mask, convolution/conv_tbc, the RNN cells,
norm_except_dim, embedding_renorm_ and the per-rank grid samplers. Values are PyTorch 2.13's."""
import pytest

import tensorgraft as torch


def _r(t):
    return [round(v, 4) for v in t.detach().reshape(-1).tolist()] if t.is_floating_point() else t.reshape(-1).tolist()


def test_native_layer_norm_returns_mean_and_rstd():
    out, mean, rstd = torch.native_layer_norm(torch.arange(8.).reshape(2, 4) ** 1.5, [4], torch.arange(4.),
                                              torch.ones(4), 1e-5)
    assert _r(out) == [1.0, 0.3647, 1.5788, 5.4606, 1.0, 0.5111, 1.814, 5.1433]
    assert _r(mean) == [2.2561, 13.0994] and _r(rstd) == [0.5057, 0.2548]
    assert tuple(mean.shape) == (2, 1) and not mean.requires_grad
    _, mean, _ = torch.native_layer_norm(torch.ones(2, 3, 4), [3, 4], None, None, 1e-5)
    assert tuple(mean.shape) == (2, 1, 1)
    x = torch.ones(2, 4, requires_grad=True)
    assert type(torch.native_layer_norm(x, [4], None, None, 1e-5)[0].grad_fn).__name__ == "NativeLayerNormBackward0"


def test_native_batch_norm_saves_batch_statistics_and_updates_running_ones():
    rm, rv = torch.zeros(3), torch.ones(3)
    out, mean, invstd = torch.native_batch_norm(torch.arange(12.).reshape(2, 3, 2) ** 1.5, None, None, rm, rv,
                                                True, 0.1, 1e-5)
    assert _r(out) == [-1.0464, -0.9241, -1.0982, -0.8738, -1.1144, -0.858, 0.7514, 1.2191, 0.7787, 1.1933, 0.7903,
                       1.1821]
    assert _r(mean) == [8.5543, 14.413, 21.8215] and _r(invstd) == [0.1223, 0.0948, 0.0806]
    assert _r(rm) == [0.8554, 1.4413, 2.1821] and _r(rv) == [9.8099, 15.7354, 21.4096]
    _, mean, invstd = torch.native_batch_norm(torch.ones(2, 3, 2), None, None, rm, rv, False, 0.1, 1e-5)
    assert tuple(mean.shape) == (0,) and tuple(invstd.shape) == (0,)
    assert tuple(torch.native_batch_norm(torch.ones(2, 3), None, None, None, None, True, 0.1, 1e-5)[1].shape) == (3,)
    with pytest.raises(RuntimeError, match="running_mean and running_var must be defined"):
        torch.native_batch_norm(torch.ones(2, 3), None, None, None, None, False, 0.1, 1e-5)  # (PyTorch crashes)


def test_native_group_norm_statistics_per_sample_and_group():
    out, mean, rstd = torch.native_group_norm(torch.arange(12.).reshape(2, 2, 3) ** 1.5, None, None, 2, 2, 3, 2, 1e-5)
    assert _r(out) == [-1.0897, -0.2358, 1.3255, -1.1983, -0.0513, 1.2496, -1.2099, -0.0292, 1.2391, -1.2144,
                       -0.0204, 1.2348]
    assert _r(mean) == [1.2761, 8.1255, 18.6149, 31.7019] and _r(rstd) == [0.8539, 0.4091, 0.3088, 0.2583]
    assert tuple(mean.shape) == (2, 2)


def test_native_dropout_mask_and_scaling():
    torch.manual_seed(0)
    out, mask = torch.native_dropout(torch.ones(8), 0.5, True)
    assert _r(out) == [0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 2.0, 2.0]
    assert mask.tolist() == [False, False, True, False, False, False, True, True] and mask.dtype == torch.bool
    out, mask = torch.native_dropout(torch.ones(5), 0.5, False)
    assert out.tolist() == [1.0] * 5 and mask.tolist() == [True] * 5
    out, mask = torch.native_dropout(torch.ones(3), 1.0, True)
    assert out.tolist() == [0.0] * 3 and mask.tolist() == [False] * 3


def test_norm_except_dim():
    v = torch.arange(6.).reshape(2, 3)
    assert _r(torch.norm_except_dim(v, 2, 0)) == [2.2361, 7.0711] and tuple(torch.norm_except_dim(v).shape) == (2, 1)
    assert _r(torch.norm_except_dim(v, 2, 1)) == [3.0, 4.1231, 5.3852]
    assert _r(torch.norm_except_dim(v, 3, 1)) == [3.0, 4.0207, 5.1045]
    assert round(torch.norm_except_dim(v, 2, -1).item(), 4) == 7.4162


def test_conv_tbc_and_convolution():
    out = torch.conv_tbc(torch.arange(24.).reshape(4, 2, 3), torch.arange(45.).reshape(3, 3, 5) / 10, torch.ones(5), 1)
    assert tuple(out.shape) == (4, 2, 5)
    assert _r(out[0]) == [82.5, 84.9, 87.3, 89.7, 92.1, 132.0, 136.2, 140.4, 144.6, 148.8]
    for args, message in [((torch.ones(4, 2), torch.ones(3, 3, 5), torch.ones(5)), "Input must have 3 dims: time, batch, in_channel"),
                          ((torch.ones(4, 2, 3), torch.ones(3, 2, 5), torch.ones(5)),
                           "Input dim 2 (input channels) is not == dim 1 in the weight tensor"),
                          ((torch.ones(4, 2, 3), torch.ones(3, 3, 5), torch.ones(4)),
                           "Bias size must equal dim 2 in the weight tensor (output channels).")]:
        with pytest.raises(RuntimeError) as info:
            torch.conv_tbc(*args)
        assert str(info.value) == message
    out = torch.convolution(torch.arange(16.).reshape(1, 1, 4, 4), torch.ones(2, 1, 2, 2), torch.ones(2), [2, 2],
                            [1, 1], [1, 1], False, [0, 0], 1)
    assert _r(out) == [1.0, 4.0, 4.0, 13.0, 31.0, 19.0, 13.0, 28.0, 16.0] * 2
    x = torch.ones(1, 1, 3, requires_grad=True)
    out = torch.convolution(x, torch.ones(1, 1, 2), None, [1], [0], [1], True, [0], 1)
    assert _r(out) == [1.0, 2.0, 2.0, 1.0] and type(out.grad_fn).__name__ == "ConvolutionBackward0"


def test_rnn_cells():
    h, c = torch.lstm_cell(torch.ones(1, 2), (torch.zeros(1, 3) + 0.5, torch.zeros(1, 3) + 0.2),
                           torch.arange(24.).reshape(12, 2) * 0.01, torch.ones(12, 3) * 0.1, torch.ones(12) * 0.1,
                           torch.ones(12) * 0.1)
    assert _r(h) == [0.2782, 0.2951, 0.3118] and _r(c) == [0.4399, 0.4636, 0.4871]
    h = torch.gru_cell(torch.ones(1, 2), torch.zeros(1, 3) + 0.3, torch.arange(18.).reshape(9, 2) * 0.01,
                       torch.ones(9, 3) * 0.1, torch.ones(9) * 0.05, torch.ones(9) * 0.02)
    assert _r(h) == [0.3192, 0.3337, 0.3471]
    assert _r(torch.rnn_tanh_cell(torch.ones(1, 2), torch.zeros(1, 3), torch.ones(3, 2) * 0.1,
                                  torch.ones(3, 3) * 0.1)) == [0.1974] * 3
    assert _r(torch.rnn_relu_cell(torch.ones(1, 2), torch.zeros(1, 3), torch.ones(3, 2) * 0.1,
                                  torch.ones(3, 3) * 0.1, torch.ones(3), None)) == [1.2] * 3
    x = torch.ones(1, 2, requires_grad=True)
    names = [type(t.grad_fn).__name__ for t in (
        torch.lstm_cell(x, (torch.zeros(1, 3), torch.zeros(1, 3)), torch.ones(12, 2), torch.ones(12, 3))[0],
        torch.gru_cell(x, torch.zeros(1, 3), torch.ones(9, 2), torch.ones(9, 3)),
        torch.rnn_tanh_cell(x, torch.zeros(1, 3), torch.ones(3, 2), torch.ones(3, 3)),
        torch.rnn_relu_cell(x, torch.zeros(1, 3), torch.ones(3, 2), torch.ones(3, 3)))]
    assert names == ["MulBackward0", "AddBackward0", "TanhBackward0", "ReluBackward0"]


def test_embedding_renorm_in_place():
    w = torch.ones(3, 2) * 3
    assert torch.embedding_renorm_(w, torch.tensor([0, 1, 1]), 1.0, 2.0) is w
    assert _r(w) == [0.7071, 0.7071, 0.7071, 0.7071, 3.0, 3.0]


def test_grid_samplers_by_rank():
    assert _r(torch.grid_sampler_2d(torch.arange(4.).reshape(1, 1, 2, 2), torch.zeros(1, 1, 1, 2), 0, 0, False)) == [1.5]
    assert _r(torch.grid_sampler_3d(torch.arange(8.).reshape(1, 1, 2, 2, 2), torch.zeros(1, 1, 1, 1, 3), 0, 0,
                                    True)) == [3.5]
    for call, message in [
        (lambda: torch.grid_sampler_2d(torch.ones(1, 1, 2, 2, 2), torch.zeros(1, 1, 1, 1, 3), 0, 0, True),
         "grid_sampler(): expected 4D input and grid with same number of dimensions, but got input with sizes "
         "[1, 1, 2, 2, 2] and grid with sizes [1, 1, 1, 1, 3]"),
        (lambda: torch.grid_sampler_3d(torch.ones(1, 1, 2, 2, 2), torch.zeros(1, 1, 1, 1, 3), 2, 0, True),
         "grid_sampler(): bicubic interpolation only supports 4D input"),
    ]:
        with pytest.raises(RuntimeError) as info:
            call()
        assert str(info.value) == message


def test_the_kernels_are_listed_by_dir():
    names = set(dir(torch))
    assert {"native_layer_norm", "conv_tbc", "lstm_cell", "grid_sampler_3d", "embedding_renorm_"} <= names


def test_native_norm_statistics_are_pytorchs_to_the_bit():
    import numpy as np
    x = (np.arange(2 * 33, dtype=np.float32).reshape(2, 33) * 0.37) % 1.7 - 0.6
    _, mean, rstd = torch.native_layer_norm(torch.from_numpy(x), [33], None, None, 1e-5)
    assert [v.hex() for v in mean.reshape(-1).tolist()] == ['0x1.c28f540000000p-3', '0x1.c46bd80000000p-3']
    assert [v.hex() for v in rstd.reshape(-1).tolist()] == ['0x1.fd514e0000000p+0', '0x1.04f9d80000000p+1']
    x4 = (np.arange(2 * 8 * 5, dtype=np.float32).reshape(2, 8, 5) * 0.37) % 1.7 - 0.6
    _, mean, rstd = torch.native_group_norm(torch.from_numpy(x4), None, None, 2, 8, 5, 2, 1e-5)
    assert [v.hex() for v in mean.reshape(-1).tolist()] == [
        '0x1.8f5c260000000p-3', '0x1.9999840000000p-3', '0x1.28f5b20000000p-2', '0x1.ae143e0000000p-3']
    assert [v.hex() for v in rstd.reshape(-1).tolist()] == [
        '0x1.f69a900000000p+0', '0x1.0e5a560000000p+1', '0x1.0592c80000000p+1', '0x1.fb31c60000000p+0']
