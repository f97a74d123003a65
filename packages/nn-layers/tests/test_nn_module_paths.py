"""PyTorch's ``nn.modules.<file>`` import paths, the legacy modules (CrossMapLRN2d, NLLLoss2d, Container),
``F.multi_head_attention_forward`` and ``nn.utils.skip_init``, without PyTorch."""
import importlib
import warnings

import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.nn.functional_ops.multi_head_attention import module_forward


@pytest.mark.parametrize("path, names", [
    ("batchnorm", ["_NormBase", "_BatchNorm", "_LazyNormBase", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d",
                   "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d"]),
    ("instancenorm", ["_InstanceNorm", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "LazyInstanceNorm1d",
                      "LazyInstanceNorm2d", "LazyInstanceNorm3d"]),
    ("flatten", ["Flatten", "Unflatten"]),
    ("pixelshuffle", ["PixelShuffle", "PixelUnshuffle"]),
    ("distance", ["PairwiseDistance", "CosineSimilarity"]),
    ("fold", ["Fold", "Unfold"]),
    ("channelshuffle", ["ChannelShuffle"]),
    ("conv", ["_ConvNd", "Conv1d", "Conv2d", "Conv3d"]),
    ("loss", ["_Loss", "_WeightedLoss"]),
    ("activation", ["MultiheadAttention"]),
])
def test_module_paths_reexport_the_same_classes(path, names):
    mod = importlib.import_module(f"tensorgraft.nn.modules.{path}")
    for name in names:
        cls = getattr(mod, name)
        if not name.startswith("_"):
            assert cls is getattr(nn, name)


def test_private_bases_cover_their_modules():
    from tensorgraft.nn.modules.batchnorm import _BatchNorm, _NormBase
    from tensorgraft.nn.modules.conv import _ConvNd
    from tensorgraft.nn.modules.instancenorm import _InstanceNorm
    from tensorgraft.nn.modules.loss import _Loss, _WeightedLoss
    for m in (nn.BatchNorm1d(2), nn.BatchNorm2d(2), nn.BatchNorm3d(2), nn.LazyBatchNorm2d()):
        assert isinstance(m, _BatchNorm) and isinstance(m, _NormBase) and not isinstance(m, _InstanceNorm)
    assert isinstance(nn.InstanceNorm2d(2), _InstanceNorm) and not isinstance(nn.InstanceNorm2d(2), _BatchNorm)
    assert all(isinstance(m, _ConvNd) for m in (nn.Conv1d(1, 1, 1), nn.Conv3d(1, 1, 1), nn.ConvTranspose2d(1, 1, 1)))
    assert isinstance(nn.CrossEntropyLoss(), _WeightedLoss) and isinstance(nn.MSELoss(), _Loss)
    assert not isinstance(nn.MSELoss(), _WeightedLoss)


def test_modules_utils_helpers():
    from tensorgraft.nn.modules.utils import (
        _list_with_default, _ntuple, _pair, _quadruple, _reverse_repeat_tuple, _single, _triple,
        consume_prefix_in_state_dict_if_present,
    )
    assert (_single(3), _pair(3), _triple(1), _quadruple(0)) == ((3,), (3, 3), (1, 1, 1), (0, 0, 0, 0))
    assert _pair((1, 2)) == (1, 2) and _ntuple(2)("ab") == ("a", "b") and _pair.__name__ == "_pair"
    assert _reverse_repeat_tuple((1, 2), 2) == (2, 2, 1, 1)
    assert _list_with_default([None, 3], [1, 2, 5, 6]) == [5, 3] and _list_with_default(4, [1]) == 4
    with pytest.raises(ValueError, match="Input dimension should be at least 3"):
        _list_with_default([None, 3], [1])
    sd = nn.Sequential(nn.Sequential(nn.Linear(2, 2))).state_dict()
    consume_prefix_in_state_dict_if_present(sd, "0.")
    assert list(sd) == ["0.weight", "0.bias"]


def test_cross_map_lrn2d_formula(tg_device):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 5, 3, 2))
    m = nn.CrossMapLRN2d(3, alpha=0.3, beta=0.6, k=1.5)
    assert repr(m) == "CrossMapLRN2d(3, alpha=0.3, beta=0.6, k=1.5)"
    out = m(tg.tensor(x, device=tg_device)).cpu().numpy()
    # channel c sums the squares of c-1..c+1 and, a Lua Torch quirk PyTorch keeps, always channel 0
    sq = x ** 2
    expected = np.empty_like(x)
    for c in range(5):
        chans = sorted(set(range(max(0, c - 1), min(5, c + 2))) | {0})
        expected[:, c] = x[:, c] * (1.5 + 0.3 / 3 * sq[:, chans].sum(1)) ** -0.6
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    with pytest.raises(ValueError, match="CrossMapLRN2d: Expected input to be 4D, got 3D instead."):
        m(tg.ones(2, 3, 4))


def test_legacy_loss_and_container_warn():
    with pytest.warns(FutureWarning, match="`NLLLoss2d` has been deprecated"):
        loss = nn.NLLLoss2d(ignore_index=1)
    assert isinstance(loss, nn.NLLLoss) and loss.ignore_index == 1 and repr(loss) == "NLLLoss2d()"
    x = tg.tensor(np.log(np.full((2, 3, 2, 2), 1 / 3)))
    t = tg.tensor(np.zeros((2, 2, 2), dtype=np.int64))
    np.testing.assert_allclose(loss(x, t).item(), np.log(3), rtol=1e-12)
    with pytest.warns(FutureWarning, match="`nn.Container` is deprecated"):
        c = nn.Container(a=nn.Linear(2, 2))
    assert isinstance(c.a, nn.Linear) and [n for n, _ in c.named_children()] == ["a"]


def test_multi_head_attention_forward_is_the_modules_math():
    rng = np.random.default_rng(3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = nn.MultiheadAttention(4, 2, add_bias_kv=True, add_zero_attn=True, kdim=3, vdim=5, batch_first=True)
    q, k, v = (tg.tensor(rng.standard_normal(s)) for s in ((2, 3, 4), (2, 6, 3), (2, 6, 5)))
    m = m.double()
    kpm = tg.tensor(np.array([[False] * 5 + [True], [True, False, False, False, False, False]]))
    # (is_causal=True without attn_mask is refused, as PyTorch refuses it: see below)
    for kw in (dict(), dict(key_padding_mask=kpm), dict(average_attn_weights=False)):
        a, b = m(q, k, v, **kw), module_forward(m, q, k, v, **kw)
        np.testing.assert_array_equal(a[0].detach().numpy(), b[0].detach().numpy())
        assert (a[1] is None) == (b[1] is None)


def test_multi_head_attention_forward_checks():
    E = 4
    rng = np.random.default_rng(4)
    w, b = tg.tensor(rng.standard_normal((3 * E, E))), tg.tensor(rng.standard_normal(3 * E))
    ow = tg.eye(E, dtype=tg.float64)
    q = tg.tensor(rng.standard_normal((3, 2, E)))
    base = (q, q, q, E, 2, w, b, None, None, False, 0.0, ow, None)
    out, weights = F.multi_head_attention_forward(*base)
    assert tuple(out.shape) == (3, 2, E) and tuple(weights.shape) == (2, 3, 3)
    np.testing.assert_allclose(weights.sum(-1).numpy(), 1.0)
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        F.multi_head_attention_forward(*base, is_causal=True)
    with pytest.raises(AssertionError, match="embed_dim 4 not divisible by num_heads 3"):
        F.multi_head_attention_forward(q, q, q, E, 3, w, b, None, None, False, 0.0, ow, None)
    static = tg.zeros(4, 5, 2, dtype=tg.float64)
    out, weights = F.multi_head_attention_forward(*base, static_k=static, static_v=static)
    assert tuple(weights.shape) == (2, 3, 5)
    np.testing.assert_allclose(out.numpy(), 0.0)  # zero values and no out bias


def test_skip_init():
    m = nn.utils.skip_init(nn.Linear, 3, 2, dtype=tg.float64)
    assert isinstance(m, nn.Linear) and m.weight.dtype == tg.float64 and m.weight.requires_grad

    class NoDevice(nn.Module):
        pass
    with pytest.raises(RuntimeError, match="Module must support a 'device' arg to skip initialization"):
        nn.utils.skip_init(NoDevice)
    with pytest.raises(RuntimeError, match="Expected a Module; got <class 'int'>"):
        nn.utils.skip_init(int)


def test_legacy_classes_import_from_pytorchs_submodules():
    from tensorgraft.nn.modules.container import Container
    from tensorgraft.nn.modules.conv import _ConvTransposeNd
    from tensorgraft.nn.modules.loss import NLLLoss2d
    from tensorgraft.nn.modules.normalization import CrossMapLRN2d
    assert (NLLLoss2d, CrossMapLRN2d, Container) == (nn.NLLLoss2d, nn.CrossMapLRN2d, nn.Container)
    assert isinstance(nn.ConvTranspose2d(2, 3, 3), _ConvTransposeNd)
    assert not isinstance(nn.Conv2d(2, 3, 3), _ConvTransposeNd)
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        from tensorgraft.nn.modules import loss
        loss.Nope  # noqa: B018
