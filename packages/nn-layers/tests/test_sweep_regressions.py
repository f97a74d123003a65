"""Regressions found by running tutorial-style PyTorch programs under ``import tensorgraft as torch``:
argument checks of the recurrent cells, the public state-dict hooks and the hooks that apply to
every module (``nn.modules.module.register_module_*``)."""
import warnings

import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn as nn
from tensorgraft.nn.modules import module as module_mod


def _rand(rng, *shape):
    return tg.tensor(rng.standard_normal(shape).astype(np.float32))


# ---------------------------------------------------------------- recurrent cells: argument checks
def test_lstm_cell_refuses_one_tensor_as_hx(tg_device):
    # an (N, H) tensor used to be read as (h, c) = its two rows, giving a wrong result of the right shape
    rng = np.random.default_rng(0)
    cell = nn.LSTMCell(3, 4).to(tg_device)
    with pytest.raises(TypeError, match=r"argument 'hx' \(position 2\) must be tuple of Tensors, not Tensor"):
        cell(_rand(rng, 2, 3).to(tg_device), tg.zeros(2, 4, device=tg_device))


@pytest.mark.parametrize("make, call, exc, message", [
    (lambda: nn.LSTMCell(3, 4), lambda c: c(tg.ones(2, 3), (tg.zeros(2, 4),)), RuntimeError,
     "lstm_cell expects two hidden states"),
    (lambda: nn.LSTMCell(3, 4), lambda c: c(tg.ones(2, 3), (tg.zeros(3, 4), tg.zeros(3, 4))), RuntimeError,
     "Input batch size 2 doesn't match hidden0 batch size 3"),
    (lambda: nn.LSTMCell(3, 4), lambda c: c(tg.ones(2, 3), (tg.zeros(2, 4), tg.zeros(2, 5))), RuntimeError,
     "hidden1 has inconsistent hidden_size: got 5, expected 4"),
    (lambda: nn.LSTMCell(3, 4), lambda c: c(tg.ones(2, 2, 3)), ValueError,
     "LSTMCell: Expected input to be 1D or 2D, got 3D instead"),
    (lambda: nn.LSTMCell(3, 4), lambda c: c(tg.ones(2, 3), (tg.zeros(2, 2, 4), tg.zeros(2, 4))), ValueError,
     r"LSTMCell: Expected hx\[0\] to be 1D or 2D, got 3D instead"),
    (lambda: nn.GRUCell(3, 4), lambda c: c(tg.ones(2, 5)), RuntimeError,
     "input has inconsistent input_size: got 5 expected 3"),
    (lambda: nn.GRUCell(3, 4), lambda c: c(tg.ones(2, 3), tg.zeros(2, 5)), RuntimeError,
     "hidden0 has inconsistent hidden_size: got 5, expected 4"),
    (lambda: nn.GRUCell(3, 4), lambda c: c(tg.ones(3), tg.zeros(2, 4)), RuntimeError,
     "hidden0 has inconsistent hidden_size: got 2, expected 4"),
    (lambda: nn.RNNCell(3, 4), lambda c: c(tg.ones(2, 3), tg.zeros(2, 4, 1)), ValueError,
     "RNNCell: Expected hidden to be 1D or 2D, got 3D instead"),
    (lambda: nn.RNNCell(3, 4), lambda c: c(tg.ones(2, 3), tg.zeros(4)), RuntimeError,
     "Input batch size 2 doesn't match hidden0 batch size 4"),
])
def test_cells_check_their_arguments_before_computing(make, call, exc, message):
    with pytest.raises(exc, match=message):
        call(make())


def test_rnn_cell_with_unknown_nonlinearity_fails_when_called():
    cell = nn.RNNCell(3, 4, nonlinearity="sigmoid")   # accepted at construction, as in PyTorch
    with pytest.raises(RuntimeError, match="Unknown nonlinearity: sigmoid"):
        cell(tg.ones(1, 3))


def test_cells_still_accept_unbatched_input_and_list_hx():
    rng = np.random.default_rng(1)
    cell = nn.LSTMCell(3, 4)
    h, c = cell(_rand(rng, 3), (tg.zeros(4), tg.zeros(4)))
    assert tuple(h.shape) == (4,) and tuple(c.shape) == (4,)
    h2, _ = cell(_rand(rng, 2, 3), [tg.zeros(2, 4), tg.zeros(2, 4)])
    assert tuple(h2.shape) == (2, 4)


# ---------------------------------------------------------------- state-dict hooks
def _net():
    return nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Linear(2, 1)))


def test_state_dict_pre_and_post_hooks_run_around_each_module():
    m, log = _net(), []
    for name, sub in m.named_modules():
        sub.register_state_dict_pre_hook(lambda mod, prefix, keep_vars, n=name: log.append(("pre", n, prefix)))
        sub.register_state_dict_post_hook(
            lambda mod, sd, prefix, meta, n=name: log.append(("post", n, len(sd), meta["version"])))
    m.state_dict()
    assert log == [("pre", "", ""), ("pre", "0", "0."), ("post", "0", 2, 1), ("pre", "1", "1."),
                   ("pre", "1.0", "1.0."), ("post", "1.0", 4, 1), ("post", "1", 4, 1), ("post", "", 4, 1)]


def test_public_state_dict_post_hook_may_edit_but_not_replace():
    m = nn.Linear(2, 2)
    m.register_state_dict_post_hook(lambda mod, sd, prefix, meta: sd.__setitem__(prefix + "extra", tg.ones(1)))
    assert list(m.state_dict()) == ["weight", "bias", "extra"]
    m2 = nn.Linear(2, 2)
    m2.register_state_dict_post_hook(lambda mod, sd, prefix, meta: {"a": 1})
    with pytest.raises(RuntimeError, match="state_dict post-hook must return None"):
        m2.state_dict()


def test_load_post_hooks_run_children_first_with_growing_key_lists():
    m, log = _net(), []
    for name, sub in m.named_modules():
        sub.register_load_state_dict_post_hook(
            lambda mod, keys, n=name: log.append((n, list(keys.missing_keys), list(keys.unexpected_keys))))
    sd = dict(m.state_dict())
    sd.pop("1.0.bias")
    sd["zzz"] = tg.ones(1)
    keys = m.load_state_dict(sd, strict=False)
    assert keys.missing_keys == ["1.0.bias"] and keys.unexpected_keys == ["zzz"]
    assert log == [("0", [], ["zzz"]), ("1.0", ["1.0.bias"], ["zzz"]), ("1", ["1.0.bias"], ["zzz"]),
                   ("", ["1.0.bias"], ["zzz"])]


def test_load_post_hook_can_forgive_keys_under_strict():
    m = _net()
    sd = dict(m.state_dict())
    sd.pop("1.0.bias")
    sd["1.0.weight"] = tg.full((1, 2), 7.0)

    def forgive(mod, keys):
        keys.missing_keys.clear()
    m.register_load_state_dict_post_hook(forgive)
    assert str(m.load_state_dict(sd)) == "<All keys matched successfully>"
    assert m[1][0].weight.tolist() == [[7.0, 7.0]]


def test_load_post_hook_must_not_return_a_value():
    m = nn.Linear(2, 2)
    m.register_load_state_dict_post_hook(lambda mod, keys: 5)
    with pytest.raises(AssertionError, match="not expected to return new values"):
        m.load_state_dict(m.state_dict())


def test_strict_load_without_post_hooks_still_fails_before_writing():
    m = nn.Linear(2, 1)
    before = m.weight.tolist()
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "bias"'):
        m.load_state_dict({"weight": tg.zeros(1, 2)})
    assert m.weight.tolist() == before


def test_public_load_pre_hook_gets_the_module_first():
    m = nn.Linear(2, 2)
    seen = []

    def rename(module, state_dict, prefix, local_metadata, strict, missing, unexpected, error_msgs):
        seen.append(module)
        state_dict[prefix + "weight"] = state_dict.pop(prefix + "w")
    m.register_load_state_dict_pre_hook(rename)
    m.load_state_dict({"w": tg.zeros(2, 2), "bias": tg.zeros(2)})
    assert seen == [m] and m.weight.abs().sum().item() == 0.0


def test_unexpected_keys_are_listed_by_the_module_they_fall_under():
    m = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    sd = {"zz": tg.ones(1), "0.q": tg.ones(1), **m.state_dict(), "1.q": tg.ones(1), "a": tg.ones(1)}
    assert m.load_state_dict(sd, strict=False).unexpected_keys == ["zz", "a", "0.q", "1.q"]


# ---------------------------------------------------------------- hooks for every module
@pytest.fixture
def handles():
    hs = []
    yield hs
    for h in hs:
        h.remove()


def test_global_forward_hooks_run_before_the_modules_own(handles):
    log = []
    m = nn.Sequential(nn.Linear(3, 2), nn.Tanh())
    m[0].register_forward_pre_hook(lambda mod, a: log.append(("local_pre", type(mod).__name__)))
    m[0].register_forward_hook(lambda mod, a, o: log.append(("local_fwd", type(mod).__name__)))
    handles.append(module_mod.register_module_forward_pre_hook(
        lambda mod, a: log.append(("g_pre", type(mod).__name__))))
    handles.append(module_mod.register_module_forward_hook(
        lambda mod, a, kw, o: log.append(("g_fwd", type(mod).__name__, kw)), with_kwargs=True))
    m(tg.ones(4, 3))
    assert log == [("g_pre", "Sequential"), ("g_pre", "Linear"), ("local_pre", "Linear"), ("g_fwd", "Linear", {}),
                   ("local_fwd", "Linear"), ("g_pre", "Tanh"), ("g_fwd", "Tanh", {}), ("g_fwd", "Sequential", {})]
    for h in handles:
        h.remove()
    log.clear()
    m(tg.ones(4, 3))
    assert log == [("local_pre", "Linear"), ("local_fwd", "Linear")]


def test_global_forward_hooks_can_replace_inputs_and_outputs(handles):
    m = nn.Sequential(nn.Linear(3, 2), nn.Tanh())
    handles.append(module_mod.register_module_forward_pre_hook(
        lambda mod, a: (a[0] * 0,) if isinstance(mod, nn.Tanh) else None))
    handles.append(module_mod.register_module_forward_hook(
        lambda mod, a, o: o + 1 if isinstance(mod, nn.Tanh) else None))
    assert m(tg.ones(2, 3)).tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_global_always_call_hook_runs_when_forward_raises(handles):
    log = []
    handles.append(module_mod.register_module_forward_hook(lambda mod, a, o: log.append(o), always_call=True))

    class Boom(nn.Module):
        def forward(self, x):
            raise ValueError("boom")
    with pytest.raises(ValueError, match="boom"):
        Boom()(tg.ones(1))
    assert log == [None]


def test_global_full_backward_hooks_see_every_module(handles):
    rng = np.random.default_rng(2)
    log = []
    m = nn.Sequential(nn.Linear(3, 2), nn.Tanh())
    handles.append(module_mod.register_module_full_backward_pre_hook(
        lambda mod, go: log.append(("pre", type(mod).__name__))))
    handles.append(module_mod.register_module_full_backward_hook(
        lambda mod, gi, go: log.append(("bw", type(mod).__name__, tuple(gi[0].shape)))))
    x = _rand(rng, 4, 3).requires_grad_()
    m(x).sum().backward()
    assert log == [("pre", "Sequential"), ("pre", "Tanh"), ("bw", "Tanh", (4, 2)), ("pre", "Linear"),
                   ("bw", "Linear", (4, 3)), ("bw", "Sequential", (4, 3))]


def test_registration_hooks_see_and_may_replace_what_is_registered(handles):
    log = []
    handles.append(module_mod.register_module_parameter_registration_hook(
        lambda mod, name, p: log.append(("par", type(mod).__name__, name))))
    handles.append(module_mod.register_module_buffer_registration_hook(
        lambda mod, name, b: log.append(("buf", type(mod).__name__, name))))
    handles.append(module_mod.register_module_module_registration_hook(
        lambda mod, name, sub: log.append(("mod", type(mod).__name__, name))))
    s = nn.Sequential()
    s.add_module("a", nn.ReLU())
    s.b = nn.Linear(1, 1)
    s.register_buffer("z", tg.zeros(1))
    s.register_parameter("none", None)   # None parameters are not announced
    assert log == [("mod", "Sequential", "a"), ("par", "Linear", "weight"), ("par", "Linear", "bias"),
                   ("mod", "Sequential", "b"), ("buf", "Sequential", "z")]
    handles.append(module_mod.register_module_buffer_registration_hook(lambda mod, name, b: b + 41))
    s.register_buffer("y", tg.ones(1))
    assert s.y.tolist() == [42.0]


def test_register_module_hooks_are_exported_where_pytorch_has_them():
    names = [n for n in module_mod.__all__ if n.startswith("register_module")]
    assert len(names) == 8 and all(callable(getattr(module_mod, n)) for n in names)


def test_full_backward_hook_warning_points_at_the_callers_line():
    m = nn.Linear(3, 2)
    m.register_full_backward_hook(lambda mod, gi, go: None)
    out = m(tg.ones(1, 3))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out.sum().backward()
    assert [w.filename for w in caught if "Full backward hook" in str(w.message)] == [__file__]


# ---------------------------------------------------------------- TransformerEncoder's nested-tensor fast path
def _encoder(rng, **layer_kw):
    kw = dict(dropout=0.0, batch_first=True)
    kw.update(layer_kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, **kw), 2)
    with tg.no_grad():
        for p in enc.parameters():
            p.copy_(_rand(rng, *p.shape) * 0.3)
    return enc


@pytest.mark.parametrize("layer_kw, why", [
    (dict(batch_first=False), "encoder_layer.self_attn.batch_first was not True(use batch_first for better "
                              "inference performance)"),
    (dict(norm_first=True, batch_first=False), "encoder_layer.norm_first was True"),
    (dict(bias=False, activation=tg.tanh), "encoder_layer.self_attn was passed bias=False"),
    (dict(activation=lambda x: x), "encoder_layer.activation_relu_or_gelu was not True"),
])
def test_encoder_says_why_it_cannot_use_nested_tensors(layer_kw, why):
    layer = nn.TransformerEncoderLayer(8, 2, 16, **{"batch_first": True, **layer_kw})
    with pytest.warns(UserWarning) as caught:
        enc = nn.TransformerEncoder(layer, 1)
    assert str(caught[0].message) == f"enable_nested_tensor is True, but self.use_nested_tensor is False because {why}"
    assert enc.enable_nested_tensor is True and enc.use_nested_tensor is False and enc.mask_check is True


def test_encoder_with_odd_heads_and_the_quiet_cases():
    with pytest.warns(UserWarning, match="num_heads is odd"):
        nn.TransformerEncoder(nn.TransformerEncoderLayer(9, 3, 16, batch_first=True), 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 1).use_nested_tensor
        off = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 1, enable_nested_tensor=False)
    assert off.use_nested_tensor is False


@pytest.mark.parametrize("activation, code", [("relu", 1), ("gelu", 2), (nn.functional.relu, 1),
                                              (nn.functional.gelu, 2), (nn.GELU(), 2), (tg.tanh, 0)])
def test_encoder_layer_activation_code(activation, code):
    assert nn.TransformerEncoderLayer(8, 2, 16, activation=activation).activation_relu_or_gelu == code


def test_encoder_inference_zeroes_padded_positions(tg_device):
    rng = np.random.default_rng(5)
    enc = _encoder(rng).to(tg_device).eval()
    x = _rand(rng, 2, 4, 8).to(tg_device)
    pad = tg.tensor([[False, False, True, True], [False, False, False, False]], device=tg_device)
    with tg.no_grad():
        fast = enc(x, src_key_padding_mask=pad)
    slow = enc(x, src_key_padding_mask=pad)          # grad mode on, parameters require grad: no fast path
    assert fast[0, 2:].abs().sum().item() == 0.0 and slow[0, 2:].abs().sum().item() > 0
    np.testing.assert_allclose(fast[0, :2].cpu().numpy(), slow[0, :2].detach().cpu().numpy(), rtol=1e-6)
    np.testing.assert_allclose(fast[1].cpu().numpy(), slow[1].detach().cpu().numpy(), rtol=1e-6)


def test_encoder_keeps_padded_positions_off_the_fast_path():
    rng = np.random.default_rng(6)
    enc = _encoder(rng).eval()
    x = _rand(rng, 2, 4, 8)
    pad = tg.tensor([[False, False, True, True], [False, False, False, False]])
    holes = tg.tensor([[False, True, False, True], [False, False, False, False]])
    with tg.no_grad():
        assert enc(x, mask=tg.zeros(4, 4, dtype=tg.bool), src_key_padding_mask=pad)[0, 2:].abs().sum().item() > 0
        assert enc(x, src_key_padding_mask=holes)[0, 3].abs().sum().item() > 0   # not right-padded
        assert enc(x[0], src_key_padding_mask=pad[0])[2:].abs().sum().item() > 0   # unbatched
        enc.train()
        assert enc(x, src_key_padding_mask=pad)[0, 2:].abs().sum().item() > 0


def test_mismatched_mask_types_warn_once_per_module():
    rng = np.random.default_rng(7)
    enc = _encoder(rng)
    x = _rand(rng, 2, 4, 8)
    pad = tg.tensor([[False, False, True, True], [False, False, False, False]])
    causal = nn.Transformer.generate_square_subsequent_mask(4)
    for call, text in [(lambda: enc(x, mask=causal, src_key_padding_mask=pad), "src_key_padding_mask and mask"),
                       (lambda: enc.layers[0](x, src_mask=causal, src_key_padding_mask=pad),
                        "src_key_padding_mask and src_mask"),
                       (lambda: enc.layers[0].self_attn(x, x, x, attn_mask=causal, key_padding_mask=pad),
                        "key_padding_mask and attn_mask")]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call()
        assert [str(w.message) for w in caught] == [
            f"Support for mismatched {text} is deprecated. Use same type for both instead."]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        enc(x, mask=causal.isinf(), src_key_padding_mask=pad)


def test_encoder_fast_path_pads_before_the_final_norm():
    rng = np.random.default_rng(10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, 0.0, batch_first=True), 1,
                                    norm=nn.LayerNorm(8))
    with tg.no_grad():
        enc.norm.bias.copy_(_rand(rng, 8))
    enc.eval()
    pad = tg.tensor([[False, True], [False, False]])
    with tg.no_grad():
        out = enc(_rand(rng, 2, 2, 8), src_key_padding_mask=pad)
    np.testing.assert_allclose(out[0, 1].numpy(), enc.norm.bias.detach().numpy(), rtol=1e-6)


# ---------------------------------------------------------------- utils.data: typed datasets
def test_datasets_and_samplers_can_be_subscripted_for_typing():
    from typing import Iterator, Tuple

    from tensorgraft.utils.data import DataLoader, Dataset, IterableDataset, Sampler

    class Squares(Dataset[Tuple[int, int]]):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return i, i * i

    class Backwards(Sampler[int]):
        def __iter__(self) -> Iterator[int]:
            return iter([2, 1, 0])

        def __len__(self):
            return 3

    class Count(IterableDataset[int]):
        def __iter__(self):
            yield from range(3)

    batches = [[t.tolist() for t in b] for b in DataLoader(Squares(), sampler=Backwards(), batch_size=2)]
    assert batches == [[[2, 1], [4, 1]], [[0], [0]]]
    assert list(DataLoader(Count(), batch_size=None)) == [0, 1, 2]
    assert [int(v) for v in Count() + Count()] == [0, 1, 2, 0, 1, 2]


def test_iterable_dataset_without_iter_fails_when_instantiated():
    import collections.abc

    from tensorgraft.utils.data import Dataset, IterableDataset

    class Forgot(IterableDataset):
        def __len__(self):
            return 0
    # Python 3.12+ quotes the method name
    with pytest.raises(TypeError, match="abstract method '?__iter__'?"):
        Forgot()
    assert not isinstance(Dataset(), collections.abc.Iterable)


# ---------------------------------------------------------------- pad_sequence: sequences that do not fit
@pytest.mark.parametrize("shapes, message", [
    ([(2, 3), (1, 4)], r"The size of tensor a \(3\) must match the size of tensor b \(4\) at non-singleton dimension 1"),
    ([(2, 3, 2), (1, 2, 5)], r"tensor a \(2\) must match the size of tensor b \(5\) at non-singleton dimension 2"),
    ([(2, 1), (1, 3)], r"output with shape \[1, 1\] doesn't match the broadcast shape \[1, 3\]"),
])
def test_pad_sequence_names_the_dimension_that_does_not_fit(shapes, message):
    from tensorgraft.nn.utils.rnn import pad_sequence
    with pytest.raises(RuntimeError, match=message):
        pad_sequence([tg.ones(*s) for s in shapes])


def test_pad_sequence_still_broadcasts_size_one_steps():
    from tensorgraft.nn.utils.rnn import pad_sequence
    out = pad_sequence([tg.ones(2, 3), tg.full((1, 1), 5.0)], batch_first=True)
    assert out.tolist() == [[[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]], [[5.0, 5.0, 5.0], [0.0, 0.0, 0.0]]]


# ---------------------------------------------------------------- Module.type / Module.to_empty
@pytest.mark.parametrize("dst", [tg.DoubleTensor, "torch.DoubleTensor", tg.float64])
def test_module_type_accepts_legacy_types_and_casts_every_tensor(dst):
    m = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    m.type(dst)
    assert m[0].weight.dtype == tg.float64 and m[1].num_batches_tracked.dtype == tg.float64


def test_module_to_empty_keeps_parameter_objects(tg_device):
    m = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    w = m[0].weight
    assert m.to_empty(device=tg_device) is m
    assert m[0].weight is w and isinstance(w, nn.Parameter) and w.requires_grad
    assert w.device.type == tg.device(tg_device).type and m[1].running_var.device.type == w.device.type
    assert tuple(w.shape) == (2, 3) and m[1].num_batches_tracked.dtype == tg.int64


def test_module_to_empty_without_recursing_leaves_children():
    m = nn.Sequential(nn.Linear(1, 1))
    before = m[0].weight.tolist()
    m.to_empty(device="cpu", recurse=False)
    assert m[0].weight.tolist() == before


# ---------------------------------------------------------------- nn.utils.convert_conv*_weight_memory_format
def test_convert_conv2d_weight_memory_format_changes_only_conv_layouts():
    rng = np.random.default_rng(11)
    m = nn.Sequential(nn.Conv2d(2, 3, 3), nn.ConvTranspose2d(3, 2, 2), nn.Sequential(nn.Conv2d(2, 4, 2)),
                      nn.Linear(2, 2), nn.Conv3d(2, 2, 2))
    x = _rand(rng, 1, 2, 5, 5)
    before = m[0](x).detach().numpy()
    w = m[0].weight
    assert nn.utils.convert_conv2d_weight_memory_format(m, tg.channels_last) is m
    assert m[0].weight is w and w.requires_grad
    for conv in (m[0], m[1], m[2][0]):
        assert conv.weight.is_contiguous(memory_format=tg.channels_last) and not conv.weight.is_contiguous()
    assert m[4].weight.is_contiguous() and not m[4].weight.is_contiguous(memory_format=tg.channels_last_3d)
    np.testing.assert_allclose(m[0](x).detach().numpy(), before, rtol=1e-6)
    nn.utils.convert_conv3d_weight_memory_format(m, tg.channels_last_3d)
    assert m[4].weight.is_contiguous(memory_format=tg.channels_last_3d)


# ---------------------------------------------------------------- nn.DataParallel
def _gpu_count():
    from tensorgraft.device import backends
    b = backends().get("cuda")
    return b.device_count() if b is not None and b.is_available() else 0


def _dp_model(rng):
    m = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
    with tg.no_grad():
        for p in m.parameters():
            p.copy_(_rand(rng, *p.shape))
    return m


def test_data_parallel_without_gpus_calls_the_module():
    if _gpu_count():
        pytest.skip("a GPU is present: DataParallel splits the batch (covered by the test on the cuda device)")
    rng = np.random.default_rng(12)
    inner = _dp_model(rng)
    dp = nn.DataParallel(inner)
    assert dp.device_ids == [] and dp.module is inner
    assert list(dp.state_dict())[:2] == ["module.0.weight", "module.0.bias"]
    x = _rand(rng, 5, 3)
    np.testing.assert_array_equal(dp(x).detach().numpy(), inner(x).detach().numpy())


def test_data_parallel_splits_the_batch_and_adds_up_gradients(tg_device):
    if tg_device != "cuda":
        pytest.skip("splitting a batch needs CUDA devices")
    n = _gpu_count()
    rng = np.random.default_rng(13)
    ref = _dp_model(rng).eval()
    dp_inner = _dp_model(np.random.default_rng(13)).eval()
    dp = nn.DataParallel(dp_inner).to("cuda:0")
    assert dp.device_ids == list(range(n)) and dp.output_device == 0
    x = _rand(rng, 7, 3)
    out = dp(x.to("cuda:0"))
    expected = ref(x)
    assert out.device == tg.device("cuda", 0) and tuple(out.shape) == (7, 2)
    np.testing.assert_allclose(out.detach().cpu().numpy(), expected.detach().numpy(), rtol=1e-5, atol=1e-6)
    out.pow(2).sum().backward()
    expected.pow(2).sum().backward()
    for p_dp, p_ref in zip(dp_inner.parameters(), ref.parameters()):
        assert p_dp.grad.device == tg.device("cuda", 0)
        np.testing.assert_allclose(p_dp.grad.cpu().numpy(), p_ref.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_data_parallel_refuses_a_module_left_off_the_first_gpu(tg_device):
    if tg_device != "cuda" or _gpu_count() < 2:
        pytest.skip("needs two CUDA devices")
    dp = nn.DataParallel(nn.Linear(3, 2))          # several devices: the module is not moved for you
    with pytest.raises(RuntimeError, match=r"module must have its parameters and buffers on device cuda:0 "
                                           r"\(device_ids\[0\]\) but found one of them on device: cpu"):
        dp(tg.ones(4, 3))


def test_data_parallel_keeps_first_replicas_buffer_updates(tg_device):
    if tg_device != "cuda" or _gpu_count() < 2:
        pytest.skip("needs two CUDA devices")
    rng = np.random.default_rng(14)
    bn = nn.BatchNorm1d(2)
    dp = nn.DataParallel(bn).to("cuda:0")
    x = _rand(rng, 4, 2)
    dp(x.to("cuda:0"))
    first_half = x[:2].numpy()
    np.testing.assert_allclose(bn.running_mean.cpu().numpy(), 0.1 * first_half.mean(0), rtol=1e-5, atol=1e-7)
    assert bn.num_batches_tracked.item() == 1


def test_data_parallel_import_paths():
    """PyTorch code reaches DataParallel as nn.DataParallel and nn.parallel.DataParallel."""
    from tensorgraft.nn.modules.data_parallel import DataParallel
    from tensorgraft.nn.parallel import DataParallel as from_parallel
    assert nn.DataParallel is DataParallel and from_parallel is DataParallel
    assert "DataParallel" in nn.__all__


def test_buffer_prints_and_computes_as_its_tensor():
    """PyTorch's nn.Buffer is a tensor: print shows the values, arithmetic works, and assigning
    it registers a buffer over the same memory (non-persistent ones stay out of state_dict)."""
    t = tg.tensor([1.0, 2.0])
    b = nn.Buffer(t, persistent=False)
    assert str(b) == "tensor([1., 2.])" and repr(b) == "tensor([1., 2.])"
    assert isinstance(b, nn.Buffer) and isinstance(b, tg.Tensor) and b.persistent is False
    assert (b * 2).tolist() == [2.0, 4.0]
    m = nn.Module()
    m.b = b
    assert type(m.b) is tg.Tensor and list(m.state_dict()) == [] and [n for n, _ in m.named_buffers()] == ["b"]
    m.b.add_(1)                      # the same memory as the tensor the Buffer wrapped
    assert t.tolist() == [2.0, 3.0]
    m.c = nn.Buffer(tg.zeros(1))
    assert list(m.state_dict()) == ["c"]
    with pytest.raises(TypeError, match="must be Tensor, not int"):
        nn.Buffer(3)
