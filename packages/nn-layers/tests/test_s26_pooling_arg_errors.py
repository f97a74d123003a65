"""A non-tensor input to the max pools that return indices is refused under the name of PyTorch's op
for them (``max_pool2d_with_indices``), as PyTorch 2.13 words it (messages taken from torch 2.13 CPU);
the pools without indices keep their own name."""
import pytest

import tensorgraft as tg
import tensorgraft.nn.functional as F

_MSG = "{}(): argument 'input' (position 1) must be Tensor, not {}"


@pytest.mark.parametrize("call, name, given", [
    (lambda: tg.nn.MaxPool2d(2, stride=2, return_indices=True)(input), "max_pool2d_with_indices",
     "builtin_function_or_method"),
    (lambda: tg.nn.MaxPool1d(2, return_indices=True)(input), "max_pool1d_with_indices", "builtin_function_or_method"),
    (lambda: F.max_pool2d_with_indices(None, 2), "max_pool2d_with_indices", "NoneType"),
    (lambda: F.max_pool1d_with_indices(input, 2), "max_pool1d_with_indices", "builtin_function_or_method"),
    (lambda: F.max_pool2d([1.0], 2, return_indices=True), "max_pool2d_with_indices", "list"),
    (lambda: F.max_pool1d([1.0], 2, return_indices=True), "max_pool1d_with_indices", "list"),
    (lambda: tg.nn.MaxPool2d(2)(input), "max_pool2d", "builtin_function_or_method"),
    (lambda: tg.nn.MaxPool1d(2)(input), "max_pool1d", "builtin_function_or_method"),
    (lambda: tg.nn.AdaptiveMaxPool1d(2, return_indices=True)(input), "adaptive_max_pool1d",
     "builtin_function_or_method"),
])
def test_non_tensor_input_names_pytorchs_op(call, name, given):
    with pytest.raises(TypeError) as info:
        call()
    assert str(info.value) == _MSG.format(name, given)
