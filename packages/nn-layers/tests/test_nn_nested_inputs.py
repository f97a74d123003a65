"""nn layers given nested tensors (tensorgraft.nested): MultiheadAttention refuses them outside its
fused path with PyTorch's AssertionError, naming PyTorch's reason."""
import pytest

import tensorgraft as torch


def test_multihead_attention_refuses_nested_inputs_with_pytorchs_reason():
    mha = torch.nn.MultiheadAttention(4, 2, batch_first=True).eval()
    nt = torch.nested.nested_tensor([torch.randn(2, 4), torch.randn(3, 4)], layout=torch.jagged)
    prefix = "MultiheadAttention does not support NestedTensor outside of its fast path. The fast path was not hit because "
    with pytest.raises(AssertionError) as info:
        mha(nt, nt, nt)
    assert str(info.value) == prefix + "some Tensor argument has_torch_function"
    mha.train()
    with pytest.raises(AssertionError) as info:
        mha(nt, nt, nt)
    assert str(info.value) == prefix + "training is enabled"
