"""The top-level spellings of nn.functional functions on every device: the same call on the
device and on the CPU gives the same values, with the result on the device (no PyTorch needed)."""
import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft import nn_function_aliases
from tensorgraft.testing import assert_on_device

pytest.importorskip("tensorgraft.nn", reason="the top-level spellings call tensorgraft-nn's functions")


def _calls(dev):
    rng = np.random.default_rng(21)

    def t(*shape):
        return tg.tensor(rng.standard_normal(shape), dtype=tg.float32, device=dev)
    x3, x4, w5 = t(2, 3, 8), t(1, 2, 6, 6), t(5, 3)
    idx = tg.tensor([0, 2, 4, 1, 3, 3], device=dev)
    return {
        "dropout_eval": lambda: tg.dropout(x3, 0.3, False),
        "selu": lambda: tg.selu(x3),
        "threshold": lambda: tg.threshold(x3, 0.1, 5.0),
        "layer_norm": lambda: tg.layer_norm(x3, [8], None, None, 1e-5, True),
        "batch_norm": lambda: tg.batch_norm(x3, None, None, None, None, True, 0.1, 1e-5, False),
        "max_pool2d": lambda: tg.max_pool2d(x4, 2),
        "max_pool1d_with_indices": lambda: tg.max_pool1d_with_indices(x3, 2)[1],
        "adaptive_max_pool1d": lambda: tg.adaptive_max_pool1d(x3, 3)[0],
        "embedding": lambda: tg.embedding(w5, idx),
        "embedding_bag_max": lambda: tg.embedding_bag(w5, idx, tg.tensor([0, 2, 5], device=dev), False, 2)[3],
        "kl_div": lambda: tg.kl_div(x3, x3.exp(), 2),
        "constant_pad_nd": lambda: tg.constant_pad_nd(x3, [1, 2], 0.5),
        "conv2d": lambda: tg.conv2d(x4, t(3, 2, 3, 3), None, 1, 1),
    }


@pytest.mark.parametrize("name", sorted(_calls("cpu")))
def test_alias_on_device_matches_cpu(tg_device, name):
    on_device = _calls(tg_device)[name]()
    on_cpu = _calls("cpu")[name]()
    assert_on_device(on_device, tg_device)
    assert on_device.dtype is on_cpu.dtype and on_device.shape == on_cpu.shape
    np.testing.assert_allclose(np.asarray(on_device.cpu()), np.asarray(on_cpu), rtol=1e-5, atol=1e-6)


def test_every_alias_is_reachable_at_top_level():
    for name in nn_function_aliases.ALIASES:
        top = getattr(tg, name)  # (behind a __torch_function__ dispatch wrapper once a test turned dispatch on)
        assert getattr(top, "__torch_function_wrapped__", top) is getattr(nn_function_aliases, name)
    assert "functional" not in nn_function_aliases.ALIASES and "selu" in nn_function_aliases.ALIASES


def test_feature_dropout_on_device(tg_device):
    x = tg.ones(30, 4, 5, device=tg_device)
    out = tg.feature_dropout(x, 0.5, True)
    assert_on_device(out, tg_device)
    values = np.asarray(out.cpu())
    assert set(np.unique(values)) <= {0.0, 2.0}
    assert np.all((values == values[:, :, :1]))  # one decision per (sample, channel)
