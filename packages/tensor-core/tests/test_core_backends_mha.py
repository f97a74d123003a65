"""``torch.backends.mha``: the fast-path switch of MultiheadAttention and the Transformer encoder
(PyTorch's values; its effect on the modules is tested with nn)."""
import tensorgraft as tg


def test_backends_mha_switch():
    mha = tg.backends.mha
    assert "mha" in tg.backends.__all__
    assert mha.get_fastpath_enabled() is True
    try:
        assert mha.set_fastpath_enabled(False) is None
        assert mha.get_fastpath_enabled() is False
        mha.set_fastpath_enabled(0)   # kept as given, as PyTorch does
        assert mha.get_fastpath_enabled() == 0
    finally:
        mha.set_fastpath_enabled(True)
    assert mha.get_fastpath_enabled() is True
