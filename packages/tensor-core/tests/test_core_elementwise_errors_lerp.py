"""lerp on integer or bool tensors: PyTorch's NotImplementedError, naming the kernel for a number
weight or for a tensor weight."""
import pytest

import tensorgraft as tg


@pytest.mark.parametrize("weight,kernel", [(0.5, "lerp_kernel_scalar"), (tg.tensor([1]), "lerp_kernel_tensor")])
def test_integer_lerp_is_not_implemented(weight, kernel):
    with pytest.raises(NotImplementedError, match=f"^\"{kernel}\" not implemented for 'Long'$"):
        tg.lerp(tg.tensor([1]), tg.tensor([3]), weight)
    with pytest.raises(NotImplementedError, match="not implemented for 'Bool'"):
        tg.lerp(tg.tensor([True]), tg.tensor([True]), 0.5)
    assert tg.lerp(tg.tensor([1.0]), tg.tensor([3.0]), 0.5).item() == 2.0
