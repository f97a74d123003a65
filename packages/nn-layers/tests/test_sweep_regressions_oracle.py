"""Oracle twins of test_sweep_regressions.py: the same programs run with PyTorch and tensorgraft,
comparing error types and messages, hook call orders and values."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensorgraft as tg  # noqa: E402
import tensorgraft.nn as nn  # noqa: E402
from tensorgraft.nn.modules import module as module_mod  # noqa: E402
from torch.nn.modules import module as torch_module_mod  # noqa: E402

LIBS = {"torch": (torch, torch.nn, torch_module_mod), "tg": (tg, nn, module_mod)}


def _outcome(fn):
    try:
        r = fn()
    except Exception as e:   # the comparison is of the exception itself
        return type(e).__name__, str(e)
    return "ok", tuple((r[0] if isinstance(r, tuple) else r).shape)


CELL_CALLS = {
    "lstm_tensor_hx": ("LSTMCell", lambda T: ((T.ones(2, 3), T.zeros(2, 4)),)),
    "lstm_one_tuple": ("LSTMCell", lambda T: ((T.ones(2, 3), (T.zeros(2, 4),)),)),
    "lstm_three": ("LSTMCell", lambda T: ((T.ones(2, 3), (T.zeros(2, 4),) * 3),)),
    "lstm_batch0": ("LSTMCell", lambda T: ((T.ones(2, 3), (T.zeros(3, 4), T.zeros(3, 4))),)),
    "lstm_batch1": ("LSTMCell", lambda T: ((T.ones(2, 3), (T.zeros(2, 4), T.zeros(3, 4))),)),
    "lstm_hidden1": ("LSTMCell", lambda T: ((T.ones(2, 3), (T.zeros(2, 4), T.zeros(2, 5))),)),
    "lstm_input3d": ("LSTMCell", lambda T: ((T.ones(2, 2, 3),),)),
    "lstm_input_size": ("LSTMCell", lambda T: ((T.ones(2, 5),),)),
    "lstm_hx0_3d": ("LSTMCell", lambda T: ((T.ones(2, 3), (T.zeros(2, 2, 4), T.zeros(2, 4))),)),
    "lstm_hx1_3d": ("LSTMCell", lambda T: ((T.ones(2, 3), (T.zeros(2, 4), T.zeros(2, 2, 4))),)),
    "lstm_1d_tensor_hx": ("LSTMCell", lambda T: ((T.ones(3), T.zeros(4)),)),
    "lstm_unbatched_ok": ("LSTMCell", lambda T: ((T.ones(3), (T.zeros(4), T.zeros(4))),)),
    "lstm_unbatched_2d_hx": ("LSTMCell", lambda T: ((T.ones(3), (T.zeros(1, 4), T.zeros(1, 4))),)),
    "gru_batch": ("GRUCell", lambda T: ((T.ones(2, 3), T.zeros(3, 4)),)),
    "gru_hidden": ("GRUCell", lambda T: ((T.ones(2, 3), T.zeros(2, 5)),)),
    "gru_input3d": ("GRUCell", lambda T: ((T.ones(2, 2, 3),),)),
    "gru_hidden3d": ("GRUCell", lambda T: ((T.ones(2, 3), T.zeros(2, 2, 4)),)),
    "gru_unbatched_2d_hx": ("GRUCell", lambda T: ((T.ones(3), T.zeros(2, 4)),)),
    "gru_1d_hidden_batched": ("GRUCell", lambda T: ((T.ones(2, 3), T.zeros(4)),)),
    "gru_hidden_1d_same_batch": ("GRUCell", lambda T: ((T.ones(2, 3), T.zeros(2)),)),
    "rnn_input_size": ("RNNCell", lambda T: ((T.ones(2, 4),),)),
    "rnn_hidden3d": ("RNNCell", lambda T: ((T.ones(2, 3), T.zeros(2, 4, 1)),)),
    "rnn_empty_batch": ("RNNCell", lambda T: ((T.ones(0, 3),),)),
}


@pytest.mark.parametrize("case", sorted(CELL_CALLS))
def test_cell_argument_errors_match_torch(case):
    cls, make_args = CELL_CALLS[case]
    results = []
    for T, N, _ in LIBS.values():
        cell = getattr(N, cls)(3, 4)
        (args,) = make_args(T)
        results.append(_outcome(lambda: cell(*args)))
    assert results[0] == results[1]


def test_rnn_cell_unknown_nonlinearity_matches_torch():
    got = [_outcome(lambda: N.RNNCell(3, 4, nonlinearity="foo")(T.ones(1, 3))) for T, N, _ in LIBS.values()]
    assert got[0] == got[1]


def test_lstm_cell_values_match_torch_with_copied_weights():
    rng = np.random.default_rng(3)
    tcell, gcell = torch.nn.LSTMCell(3, 4), nn.LSTMCell(3, 4)
    with torch.no_grad():
        for p in tcell.parameters():
            p.copy_(torch.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32)))
    gcell.load_state_dict({k: tg.tensor(v.numpy()) for k, v in tcell.state_dict().items()})
    x = rng.standard_normal((5, 2, 3)).astype(np.float32)
    h0 = rng.standard_normal((2, 4)).astype(np.float32)
    outs = []
    for T, cell in ((torch, tcell), (tg, gcell)):
        h, c = T.tensor(h0), T.tensor(h0 * 0.5)
        for t in range(5):
            h, c = cell(T.tensor(x[t]), [h, c])
        outs.append((h.detach().numpy(), c.detach().numpy()))
    np.testing.assert_allclose(outs[1][0], outs[0][0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(outs[1][1], outs[0][1], rtol=1e-5, atol=1e-6)


def _state_dict_hook_log(T, N):
    m, log = N.Sequential(N.Linear(2, 2), N.Sequential(N.Linear(2, 1))), []
    for name, sub in m.named_modules():
        sub.register_state_dict_pre_hook(lambda mod, prefix, kv, n=name: log.append(("pre", n, prefix, kv)))
        sub.register_state_dict_post_hook(
            lambda mod, sd, prefix, meta, n=name: log.append(("post", n, prefix, list(sd), dict(meta))))
        sub.register_load_state_dict_post_hook(
            lambda mod, keys, n=name: log.append(("load", n, list(keys.missing_keys), list(keys.unexpected_keys),
                                                  type(keys).__name__)))
    sd = dict(m.state_dict(keep_vars=True))
    sd.pop("1.0.bias")
    sd["zzz"] = T.ones(1)
    log.append(repr(m.load_state_dict(sd, strict=False)))
    log.append(_outcome(lambda: m.load_state_dict(sd)))
    return log


def test_state_dict_hooks_match_torch():
    assert _state_dict_hook_log(tg, nn) == _state_dict_hook_log(torch, torch.nn)


def _post_hook_errors(T, N):
    m = N.Linear(2, 2)
    h = m.register_load_state_dict_post_hook(lambda mod, keys: 5)
    first = _outcome(lambda: m.load_state_dict(m.state_dict()))
    h.remove()
    m.register_state_dict_post_hook(lambda mod, sd, prefix, meta: {})
    return first, _outcome(lambda: m.state_dict())


def test_state_dict_hook_misuse_errors_match_torch():
    assert _post_hook_errors(tg, nn) == _post_hook_errors(torch, torch.nn)


def _unexpected_order(T, N):
    m = N.Sequential(N.Linear(2, 2), N.BatchNorm1d(2))
    m[1].register_buffer("tmp", T.ones(1), persistent=False)
    out = []
    for extra in ["0.weight.extra", "5.weight", "0", "1.tmp", "1.num_batches_tracked.x"]:
        sd = dict(m.state_dict())
        sd[extra] = T.ones(1)
        out.append(m.load_state_dict(sd, strict=False).unexpected_keys)
    sd = {"zz": T.ones(1), "0.q": T.ones(1), **m.state_dict(), "1.q": T.ones(1), "a": T.ones(1)}
    out.append(m.load_state_dict(sd, strict=False).unexpected_keys)
    return out


def test_unexpected_key_order_matches_torch():
    assert _unexpected_order(tg, nn) == _unexpected_order(torch, torch.nn)


def _global_hook_log(T, N, M):
    rng = np.random.default_rng(4)
    log, handles = [], []
    m = N.Sequential(N.Linear(3, 2), N.Tanh())
    m[0].register_forward_pre_hook(lambda mod, a: log.append(("local_pre", type(mod).__name__)))
    m[0].register_full_backward_hook(lambda mod, gi, go: log.append(("local_bw", type(mod).__name__)))
    handles += [
        M.register_module_forward_pre_hook(lambda mod, a: log.append(("g_pre", type(mod).__name__))),
        M.register_module_forward_hook(lambda mod, a, o: log.append(("g_fwd", type(mod).__name__, tuple(o.shape)))),
        M.register_module_full_backward_pre_hook(lambda mod, go: log.append(("g_bwpre", type(mod).__name__))),
        M.register_module_full_backward_hook(
            lambda mod, gi, go: log.append(("g_bw", type(mod).__name__, [round(float(g.sum()), 4) for g in gi]))),
        M.register_module_module_registration_hook(lambda mod, name, sub: log.append(("mod", name))),
        M.register_module_parameter_registration_hook(lambda mod, name, p: log.append(("par", name))),
        M.register_module_buffer_registration_hook(lambda mod, name, b: log.append(("buf", name))),
    ]
    try:
        with T.no_grad():
            m[0].weight.copy_(T.tensor(rng.standard_normal((2, 3)).astype(np.float32)))
            m[0].bias.zero_()
        x = T.tensor(rng.standard_normal((4, 3)).astype(np.float32)).requires_grad_()
        m(x).sum().backward()
        s = N.Sequential()
        s.add_module("a", N.BatchNorm1d(1))
        s.register_buffer("z", T.zeros(1))
    finally:
        for h in handles:
            h.remove()
    m(x)
    return log


def test_global_module_hooks_match_torch():
    assert _global_hook_log(tg, nn, module_mod) == _global_hook_log(torch, torch.nn, torch_module_mod)


def test_register_module_hook_names_match_torch():
    theirs = sorted(n for n in torch_module_mod.__all__ if n.startswith("register_module"))
    assert sorted(n for n in module_mod.__all__ if n.startswith("register_module")) == theirs


def _encoder_outputs(T, N, weights):
    import warnings
    out = {}
    for name, kw in [("bf", dict(batch_first=True)), ("sf", dict(batch_first=False)),
                     ("nf", dict(batch_first=True, norm_first=True)), ("odd", dict(batch_first=True))]:
        d, h = (9, 3) if name == "odd" else (8, 2)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            enc = N.TransformerEncoder(N.TransformerEncoderLayer(d, h, 16, 0.0, **kw), 2, norm=N.LayerNorm(d))
        out[name + "_warn"] = [str(w.message) for w in caught]
        out[name + "_flags"] = (enc.enable_nested_tensor, enc.use_nested_tensor, enc.mask_check,
                                enc.layers[0].activation_relu_or_gelu)
    enc = N.TransformerEncoder(N.TransformerEncoderLayer(8, 2, 16, 0.0, batch_first=True), 2, norm=N.LayerNorm(8))
    enc.load_state_dict({k: T.tensor(v) for k, v in weights(enc).items()})
    enc.eval()
    rng = np.random.default_rng(8)
    x = T.tensor(rng.standard_normal((3, 5, 8)).astype(np.float32))
    pad = T.tensor([[False, False, False, True, True], [False] * 5, [False, True, True, True, True]])
    holes = T.tensor([[False, True, False, True, False], [False] * 5, [False] * 5])
    causal = N.Transformer.generate_square_subsequent_mask(5)
    with T.no_grad():
        out["fast"] = enc(x, src_key_padding_mask=pad).numpy()
        out["float_pad"] = enc(x, src_key_padding_mask=T.zeros(3, 5).masked_fill(pad, float("-inf"))).numpy()
        out["holes"] = enc(x, src_key_padding_mask=holes).numpy()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out["with_mask"] = enc(x, mask=causal, src_key_padding_mask=pad).numpy()
        out["mask_warn"] = [str(w.message) for w in caught if "nested" not in str(w.message)]
    out["grad_on"] = enc(x, src_key_padding_mask=pad).detach().numpy()
    return out


def test_encoder_fast_path_and_warnings_match_torch():
    rng = np.random.default_rng(9)
    reference = torch.nn.TransformerEncoder(
        torch.nn.TransformerEncoderLayer(8, 2, 16, 0.0, batch_first=True), 2, norm=torch.nn.LayerNorm(8))
    weights = {k: (rng.standard_normal(tuple(v.shape)) * 0.3).astype(np.float32)
               for k, v in reference.state_dict().items()}
    ours = _encoder_outputs(tg, nn, lambda enc: weights)
    theirs = _encoder_outputs(torch, torch.nn, lambda enc: weights)
    assert ours.keys() == theirs.keys()
    for key in ours:
        if isinstance(ours[key], np.ndarray):
            np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-4, atol=1e-5, err_msg=key)
        else:
            assert ours[key] == theirs[key], key


def _typed_data_program(data):
    from typing import Tuple

    class Pairs(data.Dataset[Tuple[int, int]]):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return i, 10 * i

    class Evens(data.Sampler[int]):
        def __iter__(self):
            return iter([4, 2, 0])

        def __len__(self):
            return 3

    class Count(data.IterableDataset[int]):
        def __iter__(self):
            yield from range(4)

    class Forgot(data.IterableDataset):
        pass
    out = [[[v.tolist() for v in b] for b in data.DataLoader(Pairs(), sampler=Evens(), batch_size=2)],
           [b.tolist() for b in data.DataLoader(Count(), batch_size=3)],
           _outcome(lambda: Forgot())]
    return out


def test_typed_datasets_match_torch():
    import tensorgraft.utils.data as ours
    import torch.utils.data as theirs
    assert _typed_data_program(ours) == _typed_data_program(theirs)


@pytest.mark.parametrize("shapes", [[(2, 3), (1, 4)], [(2, 3), (1, 1)], [(2, 3, 2), (1, 3, 5)], [(2, 3, 2), (1, 2, 2)],
                                    [(2, 1), (1, 3)], [(2, 3, 2), (1, 2, 5)], [(2, 1, 2), (1, 3, 5)],
                                    [(2, 1, 1), (1, 3, 5)]])
def test_pad_sequence_shape_errors_match_torch(shapes):
    from tensorgraft.nn.utils.rnn import pad_sequence
    got = [_outcome(lambda: pad(tuple(T.ones(*s) for s in shapes)))
           for T, pad in ((torch, torch.nn.utils.rnn.pad_sequence), (tg, pad_sequence))]
    assert got[0] == got[1]


def _type_program(T, N):
    out = []
    for dst in (T.DoubleTensor, "torch.DoubleTensor", T.float16):
        m = N.Sequential(N.Linear(2, 2), N.BatchNorm1d(2)).type(dst)
        out.append((str(m[0].weight.dtype), str(m[1].num_batches_tracked.dtype), str(m[1].running_mean.dtype)))
    m = N.Linear(2, 2)
    w = m.weight
    m.to_empty(device="cpu")
    out.append((m.weight is w, type(m.weight).__name__, m.weight.requires_grad, tuple(m.weight.shape)))
    return out


def test_module_type_and_to_empty_match_torch():
    assert _type_program(tg, nn) == _type_program(torch, torch.nn)


def _memory_format_program(T, N):
    m = N.Sequential(N.Conv2d(2, 3, 3), N.ConvTranspose2d(3, 2, 2), N.Linear(2, 2), N.Conv3d(2, 2, 2))
    N.utils.convert_conv2d_weight_memory_format(m, T.channels_last)
    out = [(tuple(p.stride()), p.is_contiguous()) for p in (m[0].weight, m[1].weight, m[2].weight, m[3].weight)]
    N.utils.convert_conv3d_weight_memory_format(m, T.channels_last_3d)
    out.append(tuple(m[3].weight.stride()))
    return out


def test_convert_weight_memory_format_matches_torch():
    assert _memory_format_program(tg, nn) == _memory_format_program(torch, torch.nn)


def _data_parallel_program(T, N):
    m = N.DataParallel(N.Sequential(N.Linear(3, 2), N.BatchNorm1d(2)))
    out = [repr(m), m.device_ids, list(m.state_dict()), [n for n, _ in m.named_parameters()],
           type(m.module).__name__]
    x = T.ones(4, 3)
    out.append(tuple(m(x).shape))
    return out


def test_data_parallel_without_gpus_matches_torch():
    from tensorgraft.device import backends
    b = backends().get("cuda")
    if b is not None and b.is_available():
        pytest.skip("PyTorch's CPU build has no GPUs to compare with")
    assert _data_parallel_program(tg, nn) == _data_parallel_program(torch, torch.nn)
