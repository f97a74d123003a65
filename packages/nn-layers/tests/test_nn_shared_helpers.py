"""The code that several nn functions, ops and modules share since the duplication clean-up: each
shared piece checked through every caller, so that a helper that serves one of them wrongly shows
up here and not only in that caller's own tests."""
import inspect
import math
import warnings

import numpy as np
import pytest

nn = pytest.importorskip("tensorgraft.nn", reason="these tests exercise tensorgraft-nn")

import tensorgraft as tg  # noqa: E402
import tensorgraft.nn.functional as F  # noqa: E402
from tensorgraft.nn.functional_ops import pooling as pool2d  # noqa: E402
from tensorgraft.nn.functional_ops import pooling3d as pool3d  # noqa: E402


def _data(seed, *shape, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


# --------------------------------------------------------------------------- functional frontends
@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
def test_softmax_family_share_one_body_but_keep_their_names(name):
    fn = getattr(F, name)
    assert fn.__name__ == fn.__qualname__ == name
    assert list(inspect.signature(fn).parameters) == ["input", "dim", "_stacklevel", "dtype"]
    x = _data(0, 3, 4)
    shifted = np.exp((-x if name == "softmin" else x) - (-x if name == "softmin" else x).max(1, keepdims=True))
    probs = shifted / shifted.sum(1, keepdims=True)
    expected = np.log(probs) if name == "log_softmax" else probs
    np.testing.assert_allclose(fn(tg.tensor(x), 1).numpy(), expected, rtol=1e-12, atol=1e-12)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn(tg.tensor(x))
    assert len(caught) == 1 and f"Implicit dimension choice for {name} has been deprecated" in str(caught[0].message)
    assert caught[0].filename == __file__, "the warning points at the caller's line"


def test_softmax_checks_its_input_type_and_softmin_negates_first():
    # PyTorch's F.softmax calls input.softmax(...): a list has no such method
    with pytest.raises(AttributeError, match=r"^'list' object has no attribute 'softmax'$"):
        F.softmax([1.0], 0)
    with pytest.raises(AttributeError, match=r"^'list' object has no attribute 'log_softmax'$"):
        F.log_softmax([1.0], 0)
    with pytest.raises(TypeError, match="bad operand type for unary -"):
        F.softmin([1.0], 0)


@pytest.mark.parametrize("name,reference", [
    ("silu", lambda x: x / (1 + np.exp(-x))),
    ("mish", lambda x: x * np.tanh(np.log1p(np.exp(x)))),
    ("hardswish", lambda x: x * np.clip(x + 3, 0, 6) / 6),
    ("hardsigmoid", lambda x: np.clip(x + 3, 0, 6) / 6),
])
def test_activation_frontends_out_of_place_and_in_place(name, reference):
    fn = getattr(F, name)
    assert fn.__name__ == fn.__qualname__ == name
    assert list(inspect.signature(fn).parameters) == ["input", "inplace"]
    x = _data(1, 2, 5) * 3
    t = tg.tensor(x)
    np.testing.assert_allclose(fn(t).numpy(), reference(x), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(t.numpy(), x)
    assert fn(t, inplace=True) is t
    np.testing.assert_allclose(t.numpy(), reference(x), rtol=1e-12, atol=1e-12)
    leaf = tg.tensor(x, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        fn(leaf, inplace=True)


# --------------------------------------------------------------------------- nn.grad
@pytest.mark.parametrize("nd", [1, 2, 3])
def test_conv_gradients_of_every_rank_match_autograd(nd):
    import tensorgraft.nn.grad as G
    conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[nd]
    x = tg.tensor(_data(2, 2, 4, *(5,) * nd), requires_grad=True)
    w = tg.tensor(_data(3, 6, 2, *(3,) * nd), requires_grad=True)
    y = conv(x, w, None, 2, 1, 1, 2)
    g = tg.tensor(_data(4, *y.shape))
    gx, gw = tg.autograd.grad(y, (x, w), g)
    by_input = getattr(G, f"conv{nd}d_input")
    by_weight = getattr(G, f"conv{nd}d_weight")
    assert (by_input.__name__, by_weight.__name__) == (f"conv{nd}d_input", f"conv{nd}d_weight")
    assert "an input of shape ``input_size``" in by_input.__doc__
    assert "a weight of shape ``weight_size``" in by_weight.__doc__
    assert list(inspect.signature(by_input).parameters)[:2] == ["input_size", "weight"]
    assert list(inspect.signature(by_weight).parameters)[:2] == ["input", "weight_size"]
    np.testing.assert_allclose(by_input(x.shape, w.detach(), g, 2, 1, 1, 2).numpy(), gx.numpy(), atol=1e-12)
    np.testing.assert_allclose(by_weight(x.detach(), w.shape, g, 2, 1, 1, 2).numpy(), gw.numpy(), atol=1e-12)
    with pytest.raises(RuntimeError, match="^grad_output has shape"):
        by_weight(x.detach(), w.shape, g, 1, 1, 1, 2)


# --------------------------------------------------------------------------- unfold / fold
@pytest.mark.parametrize("fn,node", [
    (lambda t: F.unfold(t, (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)), "Im2ColBackward0"),
    (lambda t: F.fold(t, (4, 5), (2, 2), padding=(1, 0)), "Col2ImBackward0"),
])
def test_unfold_and_fold_run_unbatched_input_as_a_batch_of_one(fn, node):
    x = _data(5, 2, 3, 4, 5) if node == "Im2ColBackward0" else _data(5, 2, 12, 20)
    batched = fn(tg.tensor(x))
    single = tg.tensor(x[1], requires_grad=True)
    out = fn(single)
    assert out.shape == batched.shape[1:]
    np.testing.assert_array_equal(out.detach().numpy(), batched.numpy()[1])
    assert type(out.grad_fn).__name__ == node and out.grad_fn.next_functions[0][0].variable is single


# --------------------------------------------------------------------------- pooling kernels
def test_box_max_takes_the_first_maximum_or_the_last_nan():
    v = np.array([[[1.0, 3.0, 3.0, 2.0], [np.nan, 1.0, np.nan, 0.0], [-1.0, -1.0, -1.0, -1.0]]])
    out, where = pool3d.box_max(np, v)
    np.testing.assert_array_equal(where, [[1, 2, 0]])
    np.testing.assert_array_equal(out, [[3.0, np.nan, -1.0]])
    out, where = pool3d.box_max(np, np.array([[4, 9, 9, 1]]))
    assert where.tolist() == [1] and out.tolist() == [9]


def test_adaptive_and_fractional_max_pools_agree_on_nan_windows():
    x = _data(6, 1, 2, 4, 4)
    x[0, 0, 1, 2] = x[0, 1, 3, 3] = np.nan
    adaptive, a_idx = F.adaptive_max_pool2d(tg.tensor(x), 2, return_indices=True)
    # kernel 2 over a 4x4 input pooled to 2x2: the fractional windows are the same 2x2 tiles
    fractional, f_idx = F.fractional_max_pool2d(tg.tensor(x), 2, output_size=2, return_indices=True)
    np.testing.assert_array_equal(adaptive.numpy(), fractional.numpy())
    np.testing.assert_array_equal(a_idx.numpy(), f_idx.numpy())
    assert a_idx.numpy()[0, 0, 0, 1] == 6 and a_idx.numpy()[0, 1, 1, 1] == 15


def test_sum_of_views_sums_into_a_fresh_array():
    views = [np.arange(6.0).reshape(2, 3)[:, ::2], np.ones((2, 2)), np.full((2, 2), 2.0)]
    first = views[0].copy()
    total = pool3d.sum_of_views(views)
    np.testing.assert_array_equal(total, first + 3)
    np.testing.assert_array_equal(views[0], first)


@pytest.mark.parametrize("rank", [2, 3])
@pytest.mark.parametrize("count_include_pad,divisor_override", [(True, None), (False, None), (True, 5)])
def test_average_pools_of_both_ranks_divide_window_sums(rank, count_include_pad, divisor_override):
    x = _data(7, 2, 3, *(6,) * rank)   # ceil_mode adds a last window that overhangs the padding
    kernel = pool2d._avgpool_kernel if rank == 2 else pool3d._avgpool_kernel
    k, s, p = (3,) * rank, (2,) * rank, (1,) * rank
    out = kernel(np, x, k, s, p, True, count_include_pad, divisor_override)
    padded = np.pad(x, [(0, 0), (0, 0)] + [(1, 2)] * rank)
    valid = np.pad(np.ones(x.shape[2:]), [(1, 2)] * rank)
    inside = np.pad(np.ones([n + 2 for n in x.shape[2:]]), [(0, 1)] * rank)
    for pos in np.ndindex(*out.shape[2:]):
        box = tuple(slice(2 * i, 2 * i + 3) for i in pos)
        total = padded[(slice(None), slice(None)) + box].sum(axis=tuple(range(2, 2 + rank)))
        count = (inside if count_include_pad else valid)[box].sum()
        np.testing.assert_allclose(out[(slice(None), slice(None)) + pos], total / (divisor_override or count),
                                   rtol=1e-12)


@pytest.mark.parametrize("fn,verb", [(F.max_pool3d, "must either be"), (F.avg_pool3d, "must be")])
def test_3d_pools_parse_kernel_stride_and_padding_alike(fn, verb):
    x = tg.tensor(_data(8, 1, 1, 4, 4, 4))
    name = fn.__name__
    assert fn(x, 2, stride=()).shape == fn(x, 2).shape == fn(x, (2,), stride=[2, 2, 2]).shape == (1, 1, 2, 2, 2)
    for kwargs, arg in ((dict(kernel_size=(1, 2)), "kernel_size"), (dict(kernel_size=2, stride=(1, 2)), "stride"),
                        (dict(kernel_size=2, padding=(1, 1)), "padding")):
        omitted = " omitted," if arg == "stride" else ""
        message = f"{name}: {arg} {verb}{omitted} a single int, or a tuple of three ints"
        with pytest.raises(RuntimeError, match=f"^{message}$"):
            fn(x, **kwargs)
    if fn is F.max_pool3d:
        with pytest.raises(RuntimeError, match="^max_pool3d: dilation must be either a single int"):
            fn(x, 2, dilation=(1, 2))


# --------------------------------------------------------------------------- binary cross entropy
@pytest.mark.parametrize("logits", [False, True])
def test_bce_weight_scales_loss_and_both_gradients(logits):
    fn = F.binary_cross_entropy_with_logits if logits else F.binary_cross_entropy
    x = _data(9, 3, 4) if logits else np.random.default_rng(9).uniform(0.05, 0.95, (3, 4))
    y = np.random.default_rng(10).uniform(0.0, 1.0, (3, 4))
    w = np.random.default_rng(11).uniform(0.5, 2.0, (3, 4))
    grads = []
    for weight in (None, tg.tensor(w)):
        xt, yt = tg.tensor(x, requires_grad=True), tg.tensor(y, requires_grad=True)
        loss = fn(xt, yt, weight=weight, reduction="none")
        loss.sum().backward()
        grads.append((loss.detach().numpy(), xt.grad.numpy(), yt.grad.numpy()))
    for plain, weighted in zip(grads[0], grads[1]):
        np.testing.assert_allclose(weighted, plain * w, rtol=1e-12)


def test_bce_with_logits_pos_weight_target_gradient_uses_softplus_of_minus_x():
    x = np.array([-40.0, -1.0, 0.0, 2.0, 40.0])
    pw = tg.tensor([3.0] * 5)
    yt = tg.tensor(np.full(5, 0.5), requires_grad=True)
    F.binary_cross_entropy_with_logits(tg.tensor(x), yt, pos_weight=pw, reduction="sum").backward()
    softplus_minus_x = np.logaddexp(0.0, -x)
    np.testing.assert_allclose(yt.grad.numpy(), -x + 2.0 * softplus_minus_x, rtol=1e-12)


# --------------------------------------------------------------------------- modules
@pytest.mark.parametrize("kind,good,bad,regular", [
    ("LazyBatchNorm1d", (4, 3), (4, 3, 2, 2), "BatchNorm1d"),
    ("LazyBatchNorm3d", (2, 3, 2, 2, 2), (2, 3, 2), "BatchNorm3d"),
    ("LazyInstanceNorm1d", (2, 3, 5), (2, 3, 5, 5), "InstanceNorm1d"),
    ("LazyInstanceNorm2d", (2, 3, 5, 5), (3, 5), "InstanceNorm2d"),
])
def test_lazy_norms_check_ranks_like_the_class_they_become(kind, good, bad, regular):
    with pytest.raises(ValueError, match=r"^expected .*D input \(got \d+D input\)$"):
        getattr(nn, kind)()(tg.ones(*bad))
    m = getattr(nn, kind)()
    m(tg.tensor(_data(12, *good, dtype=np.float32)))
    assert type(m) is getattr(nn, regular) and m.num_features == 3 and m.weight.shape == (3,)


@pytest.mark.parametrize("kind,args,input_shape,weight_shape", [
    ("LazyLinear", (5,), (2, 4), (5, 4)),
    ("LazyConv2d", (5, 3), (1, 4, 6, 6), (5, 4, 3, 3)),
    ("LazyConvTranspose1d", (5, 3), (1, 4, 6), (4, 5, 3)),
])
@pytest.mark.parametrize("bias", [True, False])
def test_lazy_layers_start_from_placeholders(kind, args, input_shape, weight_shape, bias):
    m = getattr(nn, kind)(*args, bias=bias)
    assert list(m._parameters) == ["weight", "bias"]
    assert isinstance(m.weight, nn.UninitializedParameter)
    assert isinstance(m.bias, nn.UninitializedParameter) if bias else m.bias is None
    m(tg.ones(*input_shape))
    assert type(m).__name__ == kind[len("Lazy"):]
    assert m.weight.shape == weight_shape
    assert m.bias.shape == (5,) if bias else m.bias is None


@pytest.mark.parametrize("cell", ["RNNCell", "GRUCell"])
def test_single_state_cells_batch_unbatched_input_and_default_to_zero_state(cell):
    tg.manual_seed(0)
    m = getattr(nn, cell)(3, 4)
    x, h = tg.tensor(_data(13, 2, 3, dtype=np.float32)), tg.tensor(_data(14, 2, 4, dtype=np.float32))
    batched = m(x, h)
    np.testing.assert_allclose(m(x[1], h[1]).detach().numpy(), batched[1].detach().numpy(), rtol=1e-6)
    np.testing.assert_array_equal(m(x).detach().numpy(), m(x, tg.zeros(2, 4)).detach().numpy())
    with pytest.raises(ValueError, match=f"^{cell}: Expected hidden to be 1D or 2D, got 3D instead$"):
        m(x, tg.zeros(1, 2, 4))
    if cell == "RNNCell":
        m.nonlinearity = "gelu"
        with pytest.raises(RuntimeError, match="^Unknown nonlinearity: gelu$"):
            m(x)


def test_transformer_layers_build_their_parts_in_pytorchs_order():
    enc = nn.TransformerEncoderLayer(8, 2, 16, activation="gelu")
    dec = nn.TransformerDecoderLayer(8, 2, 16)
    assert list(enc._modules) == ["self_attn", "linear1", "dropout", "linear2", "norm1", "norm2", "dropout1",
                                  "dropout2"]
    assert list(dec._modules) == ["self_attn", "multihead_attn", "linear1", "dropout", "linear2", "norm1", "norm2",
                                  "norm3", "dropout1", "dropout2", "dropout3"]
    assert enc.activation is F.gelu and enc.activation_relu_or_gelu == 2 and dec.activation is F.relu
    assert not hasattr(dec, "activation_relu_or_gelu")
    enc.eval()
    dec.eval()
    x = tg.tensor(_data(15, 3, 2, 8).astype(np.float32))
    # the shared self-attention block: the encoder layer without its residual paths, in post-norm form
    attended = enc.self_attn(x, x, x, need_weights=False)[0]
    np.testing.assert_allclose(enc._sa_block(x, None, None).detach().numpy(), attended.detach().numpy())
    assert dec(x, x).shape == x.shape


def test_structured_pruning_methods_share_their_mask_logic():
    from tensorgraft.nn.utils import prune
    t = tg.tensor(_data(16, 4, 6))
    t_np = t.numpy()
    mask = prune.LnStructured(0.5, n=1, dim=0).compute_mask(t, tg.ones(4, 6))
    kept = np.argsort(-np.abs(t_np).sum(1))[:2]
    np.testing.assert_array_equal(mask.numpy().any(1), np.isin(np.arange(4), kept))
    tg.manual_seed(0)
    mask = prune.RandomStructured(2, dim=-1).compute_mask(t, tg.ones(4, 6)).numpy()
    assert (mask == mask[:1]).all() and mask[0].sum() == 4
    prior = tg.ones(4, 6)
    prior[0, 0] = 0
    assert prune.RandomStructured(0.0).compute_mask(t, prior) is prior
    for method in (prune.RandomStructured(1, dim=0), prune.LnStructured(1, n=2, dim=-1)):
        assert method.PRUNING_TYPE == "structured"
        combined = method.compute_mask(t, prior).numpy()
        assert combined[0, 0] == 0
    with pytest.raises(ValueError):
        prune.LnStructured(0.5, n=2).compute_mask(tg.ones(3), tg.ones(3))


@pytest.mark.parametrize("register,kind", [("register_buffer", "buffer"), ("register_parameter", "parameter")])
def test_buffer_and_parameter_names_are_checked_alike(register, kind):
    class Early(nn.Module):
        def __init__(self):
            getattr(self, register)("x", None)

    with pytest.raises(AttributeError, match=f"^cannot assign {kind} before Module.__init__\\(\\) call$"):
        Early()
    m = nn.Linear(2, 2)
    for name, error, message in ((3, TypeError, f"{kind} name should be a string. Got int"),
                                 ("a.b", KeyError, f'{kind} name can\'t contain "."'),
                                 ("", KeyError, f'{kind} name can\'t be empty string ""'),
                                 ("training", KeyError, "attribute 'training' already exists")):
        with pytest.raises(error) as info:
            getattr(m, register)(name, None)
        assert info.value.args == (message,)
    getattr(m, register)("weight" if kind == "parameter" else "extra", None)


@pytest.mark.parametrize("cls,kwargs,has_bias", [("LayerNorm", {}, True), ("LayerNorm", {"bias": False}, False),
                                                 ("RMSNorm", {}, False)])
def test_layer_and_rms_norm_share_their_state(cls, kwargs, has_bias):
    m = getattr(nn, cls)([2, 3], **kwargs)
    assert m.normalized_shape == (2, 3) and m.elementwise_affine
    with tg.no_grad():
        m.weight.fill_(5.0)
    m.reset_parameters()
    np.testing.assert_array_equal(m.weight.detach().numpy(), np.ones((2, 3)))
    assert (getattr(m, "bias", None) is not None) == has_bias  # RMSNorm has no bias slot at all
    assert not isinstance(nn.RMSNorm(3), nn.LayerNorm)
    off = getattr(nn, cls)(4, elementwise_affine=False)
    assert off.weight is None and off.normalized_shape == (4,)


@pytest.mark.parametrize("cls", ["Embedding", "EmbeddingBag"])
def test_lookup_tables_reset_to_normal_rows_with_a_zero_padding_row(cls):
    tg.manual_seed(0)
    m = getattr(nn, cls)(6, 3, padding_idx=-2)
    assert m.padding_idx == 4
    np.testing.assert_array_equal(m.weight.detach().numpy()[4], 0.0)
    with tg.no_grad():
        m.weight.fill_(7.0)
    m.reset_parameters()
    rows = m.weight.detach().numpy()
    np.testing.assert_array_equal(rows[4], 0.0)
    assert np.all(rows[[0, 1, 2, 3, 5]] != 7.0)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_zero_pads_are_constant_pads_of_zero(n):
    zero_pad, constant_pad = getattr(nn, f"ZeroPad{n}d"), getattr(nn, f"ConstantPad{n}d")
    assert issubclass(zero_pad, constant_pad) and zero_pad.__name__ == f"ZeroPad{n}d"
    assert list(inspect.signature(zero_pad).parameters) == ["padding"]
    m = zero_pad(1)
    assert m.value == 0.0 and repr(m) == f"ZeroPad{n}d({(1,) * 2 * n})"
    x = tg.tensor(_data(17, 1, 2, *(3,) * n))
    np.testing.assert_array_equal(m(x).numpy(), constant_pad(1, 0.0)(x).numpy())
    assert repr(constant_pad(1, 2.5)) == f"ConstantPad{n}d(padding={(1,) * 2 * n}, value=2.5)"


def test_parametrization_checks_share_one_routine_with_their_own_messages():
    from tensorgraft.nn.utils import parametrize as P

    class Double(nn.Module):
        def forward(self, x):
            return x.double()

    class Head(nn.Module):
        def forward(self, x):
            return x[:1]

    class Same(nn.Module):
        def forward(self, x):
            return x

    class BadInverse(nn.Module):
        def forward(self, x):
            return x

        def right_inverse(self, x):
            return x[:1]

    with pytest.raises(ValueError, match=r"(?s)^Registering a parametrization may not change the dtype of the tensor, "
                                         r"unless `unsafe` flag is enabled\.\nunparametrized dtype: "):
        P.register_parametrization(nn.Linear(2, 3), "weight", Double())
    chained = P.register_parametrization(nn.Linear(2, 3), "weight", Same())
    with pytest.raises(ValueError, match=r"(?s)the `unsafe` flag is enabled\.\nmodule\.weight\.shape: .*\n"
                                         r"parametrization\(module\.weight\)\.shape: "):
        P.register_parametrization(chained, "weight", Head())
    with pytest.raises(ValueError, match=r"(?s)^The tensor returned by parametrization\.right_inverse must have the "
                                         r"same shape as module\.weight, .*\nreturned shape: "):
        P.register_parametrization(chained, "weight", BadInverse())
    P.register_parametrization(chained, "weight", Head(), unsafe=True)
    assert chained.weight.shape == (1, 2) and math.isfinite(float(chained.weight.sum()))
