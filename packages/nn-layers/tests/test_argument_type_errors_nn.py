"""Convolution and pooling settings of the wrong type get PyTorch's argument-parser errors; a
float stride, padding or output size is refused, never truncated."""
import pytest

import tensorgraft as tg
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F

x4, w = tg.ones(1, 1, 5, 5), tg.ones(1, 1, 3, 3)
_COMBINATION = "{}() received an invalid combination of arguments - got ({}), but expected one of:"


@pytest.mark.parametrize("call, expected", [
    (lambda: F.conv2d(x4, w, stride=1.5), _COMBINATION.format("conv2d", "Tensor, Tensor, stride=float")),
    (lambda: F.conv2d(x4, w, stride=1.5, padding=1.5),
     _COMBINATION.format("conv2d", "Tensor, Tensor, padding=float, stride=float")),
    (lambda: F.conv2d(x4, w, groups=1.5), _COMBINATION.format("conv2d", "Tensor, Tensor, groups=float")),
    (lambda: F.conv2d(x4, w, 1.5), _COMBINATION.format("conv2d", "Tensor, Tensor, float")),
    (lambda: F.conv2d(x4, [1]), _COMBINATION.format("conv2d", "Tensor, list")),
    (lambda: F.conv2d(x4, w, stride=(1, 1.5)),
     "conv2d(): argument 'stride' failed to unpack the object at pos 2 with error \"type must be tuple of ints,but "
     "got float\""),
    (lambda: F.conv1d(tg.ones(1, 1, 5), tg.ones(1, 1, 3), dilation=1.5),
     _COMBINATION.format("conv1d", "Tensor, Tensor, dilation=float")),
    (lambda: F.conv3d(tg.ones(1, 1, 5, 5, 5), tg.ones(1, 1, 3, 3, 3), padding=0.5),
     _COMBINATION.format("conv3d", "Tensor, Tensor, padding=float")),
    (lambda: F.conv_transpose2d(x4, w, stride=1.5), "conv_transpose2d(): argument 'stride' must be tuple of ints, "
                                                    "not float"),
    (lambda: F.conv_transpose1d(tg.ones(1, 1, 5), tg.ones(1, 1, 3), output_padding=0.5),
     "conv_transpose1d(): argument 'output_padding' must be tuple of ints, not float"),
    (lambda: F.conv_transpose3d(tg.ones(1, 1, 3, 3, 3), tg.ones(1, 1, 2, 2, 2), groups=1.5),
     "conv_transpose3d(): argument 'groups' must be int, not float"),
    (lambda: nn.Conv2d(1, 1, 3, stride=1.5)(x4),
     _COMBINATION.format("conv2d", "Tensor, Parameter, Parameter, tuple, tuple, tuple, int")),
    (lambda: nn.Conv2d(1, 1, 3, bias=False, padding=1.5)(x4),
     _COMBINATION.format("conv2d", "Tensor, Parameter, NoneType, tuple, tuple, tuple, int")),
    (lambda: nn.Conv1d(1, 1, 3, stride=1.5)(tg.ones(1, 1, 5)),
     _COMBINATION.format("conv1d", "Tensor, Parameter, Parameter, tuple, tuple, tuple, int")),
    (lambda: F.adaptive_avg_pool2d(x4, 2.5), "object of type 'float' has no len()"),
    (lambda: F.adaptive_max_pool2d(x4, (2, 2.5)),
     "adaptive_max_pool2d(): argument 'output_size' failed to unpack the object at pos 2 with error \"type must be "
     "tuple of ints,but got float\""),
])
def test_type_errors(call, expected):
    with pytest.raises(TypeError) as info:
        call()
    assert str(info.value).split("\n")[0] == expected


def test_valid_settings_still_run():
    import numpy as np
    assert F.conv2d(x4, w, stride=(1, np.int64(2)), padding="same" if False else 1).shape == (1, 1, 5, 3)
    assert F.conv2d(x4, w, padding="same").shape == (1, 1, 5, 5)
    assert nn.Conv2d(1, 1, 3, padding="same", padding_mode="reflect")(x4).shape == (1, 1, 5, 5)
    assert F.adaptive_avg_pool2d(x4, (None, 2)).shape == (1, 1, 5, 2)
    assert F.conv_transpose2d(x4, w, stride=2).shape == (1, 1, 11, 11)
