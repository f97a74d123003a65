"""Which parameter slots the normalisation layers register (what named_parameters, state_dict and
attribute access see): as PyTorch's, RMSNorm has no bias slot at all, LayerNorm(bias=False) has one
holding None."""
import pytest

nn = pytest.importorskip("tensorgraft.nn", reason="needs tensorgraft-nn")


@pytest.mark.parametrize("affine", [True, False])
def test_rmsnorm_has_only_a_weight_slot(affine):
    m = nn.RMSNorm(4, elementwise_affine=affine)
    assert list(m._parameters) == ["weight"]
    assert not hasattr(m, "bias")
    assert (m.weight is not None) == affine
    assert list(m.state_dict()) == (["weight"] if affine else [])


def test_layernorm_without_bias_keeps_a_none_bias_slot():
    m = nn.LayerNorm(4, bias=False)
    assert list(m._parameters) == ["weight", "bias"] and m.bias is None
    assert list(m.state_dict()) == ["weight"]
    assert float(m.weight.sum()) == 4.0
