"""Convolution/pooling settings of the wrong type against PyTorch: exception type and first line."""
import pytest

torch = pytest.importorskip("torch")

import tensorgraft as tg  # noqa: E402
import tensorgraft.nn  # noqa: E402,F401
from tensorgraft.testing.oracle import error_of  # noqa: E402


def _first_line(lib, call):
    err = error_of(lambda: call(lib, lib.nn.functional, lib.nn, lib.ones(1, 1, 5, 5), lib.ones(1, 1, 3, 3)))
    assert err is not None, "no error raised"
    return err[0], err[1].split("\n")[0]


CALLS = {
    "conv2d_stride": lambda L, F, nn, x, w: F.conv2d(x, w, stride=1.5),
    "conv2d_padding": lambda L, F, nn, x, w: F.conv2d(x, w, padding=1.5),
    "conv2d_dilation": lambda L, F, nn, x, w: F.conv2d(x, w, dilation=1.5),
    "conv2d_two": lambda L, F, nn, x, w: F.conv2d(x, w, stride=1.5, padding=1.5),
    "conv2d_groups": lambda L, F, nn, x, w: F.conv2d(x, w, groups=1.5),
    "conv2d_stride_none": lambda L, F, nn, x, w: F.conv2d(x, w, stride=None),
    "conv2d_stride_bool": lambda L, F, nn, x, w: F.conv2d(x, w, stride=True),
    "conv2d_stride_item": lambda L, F, nn, x, w: F.conv2d(x, w, stride=(1, 1.5)),
    "conv2d_stride_first_item": lambda L, F, nn, x, w: F.conv2d(x, w, stride=(1.5, 1)),
    "conv2d_bias_float": lambda L, F, nn, x, w: F.conv2d(x, w, 1.5),
    "conv2d_weight_list": lambda L, F, nn, x, w: F.conv2d(x, [1]),
    "conv1d_stride": lambda L, F, nn, x, w: F.conv1d(x[0], w[0], stride=1.5),
    "conv3d_stride": lambda L, F, nn, x, w: F.conv3d(L.ones(1, 1, 5, 5, 5), L.ones(1, 1, 3, 3, 3), stride=1.5),
    "conv_transpose2d_stride": lambda L, F, nn, x, w: F.conv_transpose2d(x, w, stride=1.5),
    "conv_transpose2d_item": lambda L, F, nn, x, w: F.conv_transpose2d(x, w, stride=(1, 1.5)),
    "conv_transpose2d_first": lambda L, F, nn, x, w: F.conv_transpose2d(x, w, stride=(1.5, 1)),
    "conv_transpose2d_groups": lambda L, F, nn, x, w: F.conv_transpose2d(x, w, groups=1.5),
    "conv_transpose2d_opad": lambda L, F, nn, x, w: F.conv_transpose2d(x, w, output_padding=0.5),
    "conv_transpose1d_stride": lambda L, F, nn, x, w: F.conv_transpose1d(x[0], w[0], stride=1.5),
    "conv_transpose3d_padding": lambda L, F, nn, x, w: F.conv_transpose3d(L.ones(1, 1, 5, 5, 5),
                                                                            L.ones(1, 1, 3, 3, 3), padding=0.5),
    "module_conv2d_stride": lambda L, F, nn, x, w: nn.Conv2d(1, 1, 3, stride=1.5)(x),
    "module_conv2d_padding_nobias": lambda L, F, nn, x, w: nn.Conv2d(1, 1, 3, bias=False, padding=1.5)(x),
    "module_conv2d_reflect": lambda L, F, nn, x, w: nn.Conv2d(1, 1, 3, stride=1.5, padding_mode="reflect")(x),
    "module_conv2d_item": lambda L, F, nn, x, w: nn.Conv2d(1, 1, 3, stride=(1, 1.5))(x),
    "module_conv1d": lambda L, F, nn, x, w: nn.Conv1d(1, 1, 3, stride=1.5)(x[0]),
    "module_conv3d": lambda L, F, nn, x, w: nn.Conv3d(1, 1, 3, dilation=1.5)(L.ones(1, 1, 5, 5, 5)),
    "module_conv_transpose2d": lambda L, F, nn, x, w: nn.ConvTranspose2d(1, 1, 3, stride=1.5)(x),
    "max_pool2d_kernel": lambda L, F, nn, x, w: F.max_pool2d(x, 2.5),
    "avg_pool2d_kernel": lambda L, F, nn, x, w: F.avg_pool2d(x, 2.5),
    "adaptive_avg_pool2d_float": lambda L, F, nn, x, w: F.adaptive_avg_pool2d(x, 2.5),
    "adaptive_max_pool2d_float": lambda L, F, nn, x, w: F.adaptive_max_pool2d(x, 2.5),
    "adaptive_avg_pool2d_item": lambda L, F, nn, x, w: F.adaptive_avg_pool2d(x, (2, 2.5)),
    "adaptive_avg_pool1d_float": lambda L, F, nn, x, w: F.adaptive_avg_pool1d(x[0], 2.5),
    "module_adaptive_avg_pool2d": lambda L, F, nn, x, w: nn.AdaptiveAvgPool2d(2.5)(x),
    "module_max_pool2d": lambda L, F, nn, x, w: nn.MaxPool2d(2.5)(x),
    "module_avg_pool2d_stride": lambda L, F, nn, x, w: nn.AvgPool2d(2, stride=1.5)(x),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_same_error_first_line(name):
    assert _first_line(tg, CALLS[name]) == _first_line(torch, CALLS[name])
