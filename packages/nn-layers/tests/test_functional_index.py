"""``nn.functional`` is an index of functions whose code lives under ``functional_ops/``."""
from __future__ import annotations

import pytest

pytest.importorskip("tensorgraft.nn", reason="needs tensorgraft-nn")

import tensorgraft as tg  # noqa: E402


def test_functional_frontends_say_they_are_nn_functionals():
    """``F.relu.__module__`` is the public module (as PyTorch's), whichever file holds the code: pickle and
    saved scripts store that name."""
    import pickle
    F = tg.nn.functional
    for fn in (F.relu, F.linear, F.dropout, F.cross_entropy, F.conv2d, F.max_pool2d, F.pad, F.interpolate,
               F.layer_norm, F.embedding, F.scaled_dot_product_attention, F.cosine_similarity):
        assert fn.__module__ == "tensorgraft.nn.functional", fn
        assert pickle.loads(pickle.dumps(fn)) is fn
