"""Oracle twins of test_nn_module_paths.py: the same import paths, legacy modules, multi-head attention
function and module helpers in tensorgraft and PyTorch."""
import importlib
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensorgraft as tg  # noqa: E402
import tensorgraft.nn as nn  # noqa: E402
import tensorgraft.nn.functional as F  # noqa: E402

TF = torch.nn.functional

PATHS = ["batchnorm", "instancenorm", "flatten", "pixelshuffle", "distance", "fold", "channelshuffle", "utils"]


@pytest.mark.parametrize("path", PATHS)
def test_public_names_of_module_paths_match_torch(path):
    theirs = importlib.import_module(f"torch.nn.modules.{path}")
    ours = importlib.import_module(f"tensorgraft.nn.modules.{path}")
    wanted = [n for n, v in vars(theirs).items()
              if getattr(v, "__module__", None) == theirs.__name__ and n != "SyncBatchNorm"]
    assert [n for n in wanted if not hasattr(ours, n)] == []


@pytest.mark.parametrize("cls, base, path", [
    ("BatchNorm1d", "_BatchNorm", "batchnorm"), ("BatchNorm3d", "_NormBase", "batchnorm"),
    ("InstanceNorm2d", "_InstanceNorm", "instancenorm"), ("InstanceNorm2d", "_BatchNorm", "batchnorm"),
    ("LazyBatchNorm2d", "_LazyNormBase", "batchnorm"), ("Conv2d", "_ConvNd", "conv"),
    ("ConvTranspose1d", "_ConvNd", "conv"), ("CrossEntropyLoss", "_WeightedLoss", "loss"),
    ("L1Loss", "_WeightedLoss", "loss"), ("NLLLoss2d", "_WeightedLoss", "loss"),
])
def test_isinstance_against_private_bases_matches_torch(cls, base, path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        args = (3,) if "Norm" in cls and "Lazy" not in cls else (1, 1, 1) if "Conv" in cls else ()
        t_obj, g_obj = getattr(torch.nn, cls)(*args), getattr(nn, cls)(*args)
    t_base = getattr(importlib.import_module(f"torch.nn.modules.{path}"), base)
    g_base = getattr(importlib.import_module(f"tensorgraft.nn.modules.{path}"), base)
    assert isinstance(g_obj, g_base) == isinstance(t_obj, t_base)


@pytest.mark.parametrize("size, C", [(1, 5), (2, 3), (3, 7), (4, 6), (5, 2), (9, 4)])
def test_cross_map_lrn2d_matches_torch(size, C):
    x = np.random.default_rng(size * 10 + C).standard_normal((2, C, 3, 4))
    kw = dict(alpha=0.2, beta=0.65, k=1.3)
    got = nn.CrossMapLRN2d(size, **kw)
    want = torch.nn.CrossMapLRN2d(size, **kw)
    assert repr(got) == repr(want)
    np.testing.assert_allclose(got(tg.tensor(x)).numpy(), want(torch.tensor(x)).numpy(), rtol=1e-12)
    for bad in (torch.ones(2, 3), torch.ones(1, 2, 3, 4, 5)):
        with pytest.raises(ValueError) as e:
            want(bad)
        with pytest.raises(ValueError) as g:
            got(tg.ones(*bad.shape))
        assert str(g.value) == str(e.value)


def test_deprecated_modules_warn_like_torch():
    for name, kw in (("NLLLoss2d", {}), ("Container", {"a": None})):
        with warnings.catch_warnings(record=True) as t_w:
            warnings.simplefilter("always")
            t_obj = getattr(torch.nn, name)(**({"a": torch.nn.Linear(2, 2)} if kw else {}))
        with warnings.catch_warnings(record=True) as g_w:
            warnings.simplefilter("always")
            g_obj = getattr(nn, name)(**({"a": nn.Linear(2, 2)} if kw else {}))
        assert [(w.category, str(w.message)) for w in g_w] == [(w.category, str(w.message)) for w in t_w]
        assert repr(g_obj) == repr(t_obj)
    x = np.random.default_rng(1).standard_normal((2, 3, 2, 2))
    t = np.random.default_rng(2).integers(0, 3, (2, 2, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = torch.nn.NLLLoss2d()(torch.tensor(x), torch.tensor(t)).item()
        got = nn.NLLLoss2d()(tg.tensor(x), tg.tensor(t)).item()
    np.testing.assert_allclose(got, want, rtol=1e-12)


def _mha_args(lib, conv, rng_seed, *, separate, bias_kv, zero_attn, batched=True):
    rng = np.random.default_rng(rng_seed)
    E, nh, L, S, N = 6, 3, 4, 5, 2
    kd, vd = (4, 7) if separate else (E, E)
    shape = (lambda n, e: (n, N, e)) if batched else (lambda n, e: (n, e))
    q, k, v = rng.standard_normal(shape(L, E)), rng.standard_normal(shape(S, kd)), rng.standard_normal(shape(S, vd))
    w = rng.standard_normal((3 * E, E))
    args = dict(query=conv(q), key=conv(k), value=conv(v), embed_dim_to_check=E, num_heads=nh,
                in_proj_weight=None if separate else conv(w), in_proj_bias=conv(rng.standard_normal(3 * E)),
                bias_k=conv(rng.standard_normal((1, 1, E))) if bias_kv else None,
                bias_v=conv(rng.standard_normal((1, 1, E))) if bias_kv else None,
                add_zero_attn=zero_attn, dropout_p=0.0, out_proj_weight=conv(rng.standard_normal((E, E))),
                out_proj_bias=conv(rng.standard_normal(E)))
    if separate:
        args.update(use_separate_proj_weight=True, q_proj_weight=conv(rng.standard_normal((E, E))),
                    k_proj_weight=conv(rng.standard_normal((E, kd))), v_proj_weight=conv(rng.standard_normal((E, vd))))
    return args


def _masks(conv, kind, batched=True):
    rng = np.random.default_rng(99)
    L, S, N = 4, 5, 2
    kpm = rng.random((N, S) if batched else (S,)) > 0.6
    if batched:
        kpm[1, :] = True   # one sequence with every key padded
    am = rng.standard_normal((L, S))
    return {"none": {}, "kpm": dict(key_padding_mask=conv(kpm)),
            "bool_mask": dict(attn_mask=conv(rng.random((L, S)) > 0.7)),
            "float_mask": dict(attn_mask=conv(am)),
            "both_noweights": dict(key_padding_mask=conv(kpm), attn_mask=conv(am > 0.5), need_weights=False),
            "per_head": dict(attn_mask=conv(rng.standard_normal((2 * 3 if batched else 3, L, S))),
                             average_attn_weights=False),
            "causal": dict(attn_mask=conv(np.triu(np.ones((L, S), bool), 1)), is_causal=True, need_weights=False),
            }[kind]


@pytest.mark.parametrize("separate", [False, True])
@pytest.mark.parametrize("bias_kv", [False, True])
@pytest.mark.parametrize("zero_attn", [False, True])
@pytest.mark.parametrize("masks", ["none", "kpm", "bool_mask", "float_mask", "both_noweights", "per_head", "causal"])
def test_multi_head_attention_forward_matches_torch(separate, bias_kv, zero_attn, masks):
    results = []
    for lib, conv in ((TF, lambda a: torch.tensor(a, requires_grad=a.dtype != bool)),
                      (F, lambda a: tg.tensor(a, requires_grad=a.dtype != bool))):
        args = _mha_args(lib, conv, 5, separate=separate, bias_kv=bias_kv, zero_attn=zero_attn)
        args.update(_masks(conv, masks))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out, weights = lib.multi_head_attention_forward(**args)
        out.sum().backward()
        grads = [a.grad.numpy() for a in args.values() if hasattr(a, "grad") and a.grad is not None]
        results.append((out.detach().numpy(), None if weights is None else weights.detach().numpy(), grads))
    (to, tw, tgr), (go, gw, ggr) = results
    np.testing.assert_allclose(go, to, rtol=1e-9, atol=1e-12)
    assert (gw is None) == (tw is None)
    if tw is not None:
        np.testing.assert_allclose(gw, tw, rtol=1e-9, atol=1e-12)
    assert len(ggr) == len(tgr)
    for a, b in zip(ggr, tgr):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)


def test_multi_head_attention_forward_unbatched_and_static_match_torch():
    rng = np.random.default_rng(6)
    static_k, static_v = rng.standard_normal((2 * 3, 8, 2)), rng.standard_normal((2 * 3, 8, 2))
    for kw in (dict(batched=False), dict(static=True)):
        outs = []
        for lib, conv in ((TF, torch.tensor), (F, tg.tensor)):
            args = _mha_args(lib, conv, 7, separate=False, bias_kv=False, zero_attn=True,
                             batched=kw.get("batched", True))
            if kw.get("static"):
                args.update(static_k=conv(static_k), static_v=conv(static_v))
            out, weights = lib.multi_head_attention_forward(**args)
            outs.append((out.numpy(), weights.numpy()))
        np.testing.assert_allclose(outs[1][0], outs[0][0], rtol=1e-10)
        np.testing.assert_allclose(outs[1][1], outs[0][1], rtol=1e-10)


@pytest.mark.parametrize("change", [
    dict(embed_dim_to_check=5), dict(num_heads=4), dict(is_causal=True), dict(static_k="wrong_heads"),
    dict(bias_kv_with_static=True), dict(value="short"), dict(attn_mask="int"), dict(attn_mask="bad_shape"),
    dict(key_padding_mask="bad_shape"), dict(query="4d"), dict(separate_missing_q=True),
])
def test_multi_head_attention_forward_errors_match_torch(change):
    messages = []
    for lib, conv in ((TF, torch.tensor), (F, tg.tensor)):
        args = _mha_args(lib, conv, 8, separate="separate_missing_q" in change, bias_kv=False, zero_attn=False)
        for key, val in change.items():
            if key == "static_k":
                args["static_k"] = conv(np.zeros((5, 5, 2)))
            elif key == "bias_kv_with_static":
                args.update(bias_k=conv(np.zeros((1, 1, 6))), bias_v=conv(np.zeros((1, 1, 6))),
                            static_k=conv(np.zeros((6, 5, 2))))
            elif key == "value":
                args["value"] = conv(np.zeros((3, 2, 6)))
            elif key == "attn_mask":
                args["attn_mask"] = conv(np.zeros((4, 5), np.int64) if val == "int" else np.zeros((3, 5)))
            elif key == "key_padding_mask":
                args["key_padding_mask"] = conv(np.zeros((2, 4), bool))
            elif key == "query":
                args["query"] = conv(np.zeros((1, 4, 2, 6)))
            elif key == "separate_missing_q":
                args["q_proj_weight"] = None
            else:
                args[key] = val
        with pytest.raises((AssertionError, RuntimeError)) as info:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                lib.multi_head_attention_forward(**args)
        messages.append((type(info.value), str(info.value)))
    assert messages[1] == messages[0]


def test_modules_utils_match_torch():
    from torch.nn.modules import utils as tu

    from tensorgraft.nn.modules import utils as gu
    for name in ("_single", "_pair", "_triple", "_quadruple"):
        for arg in (3, (1, 2), [4], "ab"):
            assert getattr(gu, name)(arg) == getattr(tu, name)(arg)
    assert gu._reverse_repeat_tuple((1, 2, 3), 2) == tu._reverse_repeat_tuple((1, 2, 3), 2)
    assert gu._list_with_default([None, 2, None], [9, 8, 7, 6]) == tu._list_with_default([None, 2, None], [9, 8, 7, 6])
    import collections
    for prefix in ("module.", "0."):
        sd = collections.OrderedDict([("module.a", 1), ("b", 2), ("module.c.d", 3), ("0.e", 4)])
        sd._metadata = collections.OrderedDict([("", 1), ("module", 2), ("module.c", 3), ("x", 4), ("0", 5)])
        mine = collections.OrderedDict(sd)
        mine._metadata = collections.OrderedDict(sd._metadata)
        tu.consume_prefix_in_state_dict_if_present(sd, prefix)
        gu.consume_prefix_in_state_dict_if_present(mine, prefix)
        assert list(mine.items()) == list(sd.items())
        assert list(mine._metadata.items()) == list(sd._metadata.items())


def test_skip_init_errors_match_torch():
    class NoDevice(torch.nn.Module):
        pass

    class NoDeviceTg(nn.Module):
        pass
    for t_arg, g_arg in ((int, int), (NoDevice, NoDeviceTg)):
        with pytest.raises(RuntimeError) as e:
            torch.nn.utils.skip_init(t_arg)
        with pytest.raises(RuntimeError) as g:
            nn.utils.skip_init(g_arg)
        assert str(g.value) == str(e.value)
    t_mod = torch.nn.utils.skip_init(torch.nn.Linear, 3, 2, bias=False)
    g_mod = nn.utils.skip_init(nn.Linear, 3, 2, bias=False)
    assert repr(g_mod) == repr(t_mod) and list(g_mod.state_dict()) == list(t_mod.state_dict())
