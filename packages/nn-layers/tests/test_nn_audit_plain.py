"""Regression tests from the nn-layers audit (issue 5) that need no PyTorch (they run in the `nn` env).

Expected values were taken from PyTorch 2.13 (CPU); the oracle twins live in test_nn_audit_oracle.py.
"""
import math
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F


def _close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a.detach().numpy() if hasattr(a, "detach") else a, dtype=np.float64),
                               np.asarray(b, dtype=np.float64), rtol=tol, atol=tol)


# ------------------------------------------------------------------ containers
def test_parameter_dict_sorts_plain_dict_keys_but_keeps_ordered_input():
    pd = nn.ParameterDict({"w": nn.Parameter(tg.ones(2)), "b": tg.ones(3)})
    assert list(pd.keys()) == ["b", "w"]
    assert repr(pd) == ("ParameterDict(\n    (b): Parameter containing: [torch.FloatTensor of size 3]\n"
                        "    (w): Parameter containing: [torch.FloatTensor of size 2]\n)")
    od = nn.ParameterDict(OrderedDict([("w", nn.Parameter(tg.ones(2))), ("b", nn.Parameter(tg.ones(3)))]))
    assert list(od.keys()) == ["w", "b"]
    pairs = nn.ParameterDict([("z", nn.Parameter(tg.ones(1))), ("a", nn.Parameter(tg.ones(1)))])
    assert list(pairs.keys()) == ["z", "a"]
    with pytest.raises(TypeError, match="ParametersDict.update should be called with an iterable"):
        nn.ParameterDict(3)


# ------------------------------------------------------------------ hooks
def _bilinear_ones():
    m = nn.Bilinear(2, 3, 1)
    with tg.no_grad():
        m.weight.fill_(1.0)
        m.bias.fill_(0.0)
    return m


def test_full_backward_hook_sees_and_replaces_all_input_grads_at_once():
    m = _bilinear_ones()
    seen = []

    def hook(mod, gin, gout):
        seen.append(([None if g is None else tuple(g.shape) for g in gin], [tuple(g.shape) for g in gout]))
        return gin[0] * 2, gin[1] * 3
    m.register_full_backward_hook(hook)
    m.register_full_backward_pre_hook(lambda mod, gout: (gout[0] * 5,))
    a = tg.ones(1, 2, requires_grad=True)
    b = tg.ones(1, 3, requires_grad=True)
    out = m(a, b)
    assert out.grad_fn.name() == "BackwardHookFunctionBackward"
    out.sum().backward()
    assert seen == [([(1, 2), (1, 3)], [(1, 1)])]
    _close(a.grad, [[30.0, 30.0]])   # 3 (sum over b) * 5 (pre-hook) * 2
    _close(b.grad, [[30.0, 30.0, 30.0]])   # 2 * 5 * 3
    _close(m.weight.grad, np.full((1, 2, 3), 5.0))


def test_full_backward_hook_input_without_grad_gets_zeros_and_stays_non_differentiable():
    m = _bilinear_ones()
    seen = []
    m.register_full_backward_hook(lambda mod, gin, gout: seen.append(gin))
    a = tg.ones(5, 2, requires_grad=True)
    b = tg.ones(5, 3)
    m(a, b).sum().backward()
    assert tuple(seen[0][1].shape) == (5, 3)
    assert float(seen[0][1].abs().sum()) == 0.0
    assert not b.requires_grad


def test_full_backward_hook_wrong_number_of_grads():
    m = nn.Linear(2, 2)
    m.register_full_backward_hook(lambda mod, gin, gout: (gin[0], gin[0]))
    with pytest.raises(RuntimeError, match="Backward hook returned an invalid number of grad_input, got 2, but "
                                           "expected 1"):
        m(tg.ones(1, 2, requires_grad=True)).sum().backward()


def test_full_backward_hook_without_input_grad_warns_and_fires():
    m = nn.Linear(3, 2)
    seen = []
    m.register_full_backward_hook(lambda mod, gin, gout: seen.append((gin, tuple(gout[0].shape))))
    with pytest.warns(UserWarning, match="Full backward hook is firing when gradients are computed with respect to "
                                         "module outputs since no inputs require gradients"):
        m(tg.ones(1, 3)).sum().backward()
    assert seen == [((None,), (1, 2))]


def test_forward_hook_always_call_runs_when_forward_raises():
    m = nn.Linear(3, 2)
    log = []
    m.register_forward_hook(lambda *a: log.append("always"), always_call=True)
    m.register_forward_hook(lambda *a: log.append("normal"))
    with pytest.raises(RuntimeError):
        m(tg.ones(1, 4))
    assert log == ["always"]
    m(tg.ones(1, 3))
    assert log == ["always", "always", "normal"]


# ------------------------------------------------------------------ losses: target gradients
def test_cross_entropy_probability_target_gets_gradient():
    x = tg.tensor([[1.0, 2.0, 0.5]], requires_grad=True)
    t = tg.tensor([[0.2, 0.5, 0.3]], requires_grad=True)
    w = tg.tensor([1.0, 2.0, 0.5])
    F.cross_entropy(x, t, weight=w, label_smoothing=0.3, reduction="sum").backward()
    lsm = np.log(np.exp([1.0, 2.0, 0.5]) / np.exp([1.0, 2.0, 0.5]).sum())
    _close(t.grad, [-(1 - 0.3) * np.array([1.0, 2.0, 0.5]) * lsm])


def test_bce_with_logits_pos_weight_target_gradient():
    x = tg.tensor([2.0, -1.0])
    y = tg.tensor([0.3, 0.8], requires_grad=True)
    pw = tg.tensor([3.0, 0.5])
    F.binary_cross_entropy_with_logits(x, y, pos_weight=pw, reduction="sum").backward()
    sp = np.log1p(np.exp(-np.array([2.0, -1.0])))   # softplus(-x)
    _close(y.grad, -np.array([2.0, -1.0]) + (np.array([3.0, 0.5]) - 1) * sp)


def test_bce_target_gradient_is_unclamped():
    x = tg.tensor([0.0, 1.0, 0.25])
    y = tg.tensor([1.0, 0.0, 1.0], requires_grad=True)
    F.binary_cross_entropy(x, y, reduction="sum").backward()
    g = y.grad.numpy()
    assert g[0] == math.inf and g[1] == -math.inf
    _close(g[2], math.log(0.75) - math.log(0.25))


# ------------------------------------------------------------------ functional
def test_sdpa_fully_masked_rows_give_zeros_not_nan():
    q = tg.ones(1, 2, 3, requires_grad=True)
    m = tg.tensor([[True, True], [False, False]])
    o = F.scaled_dot_product_attention(q, q, q, m)
    _close(o, [[[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]]])
    o.sum().backward()
    _close(q.grad, np.full((1, 2, 3), 0.5))


def test_sdpa_enable_gqa_repeats_key_value_heads():
    rng = np.random.RandomState(0)
    q = tg.tensor(rng.randn(1, 4, 3, 2).astype(np.float32))
    k = tg.tensor(rng.randn(1, 2, 5, 2).astype(np.float32))
    v = tg.tensor(rng.randn(1, 2, 5, 3).astype(np.float32))
    out = F.scaled_dot_product_attention(q, k, v, enable_gqa=True)
    ref = F.scaled_dot_product_attention(q, k.repeat_interleave(2, dim=1), v.repeat_interleave(2, dim=1))
    assert tuple(out.shape) == (1, 4, 3, 3)
    _close(out, ref.numpy())


def test_normalize_zero_vector_gradient_is_zero():
    x = tg.zeros(2, 3, requires_grad=True)
    F.normalize(x, eps=1e-3).sum().backward()
    _close(x.grad, np.full((2, 3), 1000.0), tol=1e-3)
    x = tg.zeros(2, 3, requires_grad=True)
    F.normalize(x, p=3, eps=1e-3).sum().backward()
    assert np.isfinite(x.grad.numpy()).all()


def test_unfold_fold_unbatched_and_errors():
    x = tg.arange(2 * 4 * 5, dtype=tg.float32).reshape(2, 4, 5)
    u = F.unfold(x, 2)
    assert tuple(u.shape) == (8, 12)
    _close(u, F.unfold(x.unsqueeze(0), 2).squeeze(0).numpy())
    f = F.fold(u, (4, 5), 2)
    assert tuple(f.shape) == (2, 4, 5)
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-1, 0\], but got 1\)"):
        F.unfold(tg.ones(5), 2)  # PyTorch's unfold indexes a dimension a 1-D input lacks before its rank check
    with pytest.raises(RuntimeError, match=r"calculated shape of the array of sliding blocks as \(0, 0\)"):
        F.unfold(tg.ones(1, 1, 2, 2), 3)
    with pytest.raises(RuntimeError, match=r"expected size of input's dimension 2 to match the calculated number of "
                                           r"sliding blocks 3 \* 4 = 12, but got input.size\(2\)=11."):
        F.fold(tg.ones(2, 27, 11), (5, 6), 3)
    with pytest.raises(RuntimeError, match="to be divisible by the product of kernel_size"):
        F.fold(tg.ones(2, 10, 4), (3, 3), 2)


def test_pad_errors_like_torch():
    x = tg.ones(2, 3, 7)
    with pytest.raises(RuntimeError, match="Padding value causes wrapping around more than once."):
        F.pad(x, (8, 1), mode="circular")
    with pytest.raises(RuntimeError, match="Padding mode \"reflect\" doesn't take in value argument$"):
        F.pad(x, (1, 1), mode="reflect", value=1.0)
    with pytest.raises(NotImplementedError, match="Padding size 2 is not supported for 4D input tensor"):
        F.pad(tg.ones(1, 2, 3, 4), (1, 1), mode="reflect")
    assert tuple(F.pad(x, (1, 1), mode="reflect", value=0.0).shape) == (2, 3, 9)


def test_interpolate_argument_errors_like_torch():
    x = tg.ones(1, 1, 4, 5)
    with pytest.raises(ValueError, match="recompute_scale_factor is not meaningful with an explicit size."):
        F.interpolate(x, size=(3, 3), recompute_scale_factor=True)
    with pytest.raises(ValueError, match="Anti-alias option is restricted to bilinear"):
        F.interpolate(x, scale_factor=2, antialias=True)
    with pytest.raises(ValueError, match="Input and output must have the same number of spatial dimensions"):
        F.interpolate(x, size=(2, 3, 4))
    with pytest.raises(NotImplementedError, match=r"lanczos \| area \| nearest-exact \(got foo\)"):
        F.interpolate(x, scale_factor=2, mode="foo")


def test_interpolate_antialias_bilinear_downscale():
    # a 1x1x1x4 ramp down to 2: the widened triangle filter averages pairs (edges normalised)
    x = tg.tensor([[[[0.0, 1.0, 2.0, 3.0]]]])
    out = F.interpolate(x, size=(1, 2), mode="bilinear", antialias=True)
    w = np.array([0.75, 0.75, 0.25])   # taps 0..2 for output 0, centre 1.0, support 2
    _close(out, [[[[(w * [0, 1, 2]).sum() / w.sum(), (w[::-1] * [1, 2, 3]).sum() / w.sum()]]]])


# ------------------------------------------------------------------ utils
def _params_with_grads(grads):
    ps = []
    for g in grads:
        p = nn.Parameter(tg.ones(*np.shape(g)))
        p.grad = tg.tensor(g)
        ps.append(p)
    return ps


def test_clip_grad_norm_orders_zero_and_neg_inf_combine_per_tensor_norms():
    ps = _params_with_grads([[3.0, -4.0, 0.0], [[1.0, 2.0], [3.0, -4.0]]])
    assert float(nn.utils.clip_grad_norm_(ps, 1.0, norm_type=0)) == 2.0   # two tensors with nonzero norms
    ps = _params_with_grads([[3.0, -4.0, 0.0], [[1.0, 2.0], [3.0, -4.0]]])
    assert float(nn.utils.clip_grad_norm_(ps, 1.0, norm_type=-math.inf)) == 0.0
    _close(ps[0].grad, [3.0, -4.0, 0.0])


def test_clip_grad_norm_nan_norm_scales_by_nan():
    ps = _params_with_grads([[float("nan"), 1.0], [2.0, 3.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        total = nn.utils.clip_grad_norm_(ps, 1.0)
    assert math.isnan(float(total))
    assert np.isnan(ps[1].grad.numpy()).all()


# ------------------------------------------------------------------ reprs, signatures and common-mistake messages
def test_hardswish_hardsigmoid_repr_has_no_arguments():
    assert repr(nn.Hardswish(inplace=True)) == "Hardswish()"
    assert repr(nn.Hardsigmoid(True)) == "Hardsigmoid()"
    assert repr(nn.ReLU6(True)) == "ReLU6(inplace=True)"


def test_hardtanh_deprecated_names_and_message():
    with pytest.warns(FutureWarning, match="`min_value` is deprecated"):
        m = nn.Hardtanh(min_value=-2.0)
    assert m.min_val == -2.0
    with pytest.raises(AssertionError, match=r"max_val \(0\) must be greater than min_val \(1\)"):
        nn.Hardtanh(1, 0)


def test_padding_module_signatures():
    with pytest.raises(TypeError):
        nn.ConstantPad2d(1)          # value is required
    with pytest.raises(TypeError):
        nn.ReflectionPad2d(1, 0.0)   # no value argument
    assert repr(nn.ConstantPad1d(2, 3.5)) == "ConstantPad1d(padding=(2, 2), value=3.5)"
    assert repr(nn.ZeroPad2d(1)) == "ZeroPad2d((1, 1, 1, 1))"
    assert repr(nn.ReflectionPad1d((1, 2))) == "ReflectionPad1d((1, 2))"
    out = nn.ConstantPad1d((1, 0), 2.0)(tg.zeros(1, 1, 2))
    _close(out, [[[2.0, 0.0, 0.0]]])


def test_linear_dtype_and_bias_mismatch_messages():
    lin = nn.Linear(3, 4)
    with pytest.raises(RuntimeError, match="mat1 and mat2 must have the same dtype, but got Double and Float"):
        lin(tg.ones(2, 3, dtype=tg.float64))
    with pytest.raises(RuntimeError, match="self and mat2 must have the same dtype, but got Double and Float"):
        F.linear(tg.ones(2, 3), tg.ones(4, 3), tg.ones(4, dtype=tg.float64))
    with pytest.raises(RuntimeError, match=r"expected m1 and m2 to have the same dtype, but got: double != float"):
        F.linear(tg.ones(2, 3, dtype=tg.float64), tg.ones(4, 3))
    with pytest.raises(RuntimeError, match=r"The expanded size of the tensor \(4\) must match the existing size \(5\) "
                                           r"at non-singleton dimension 1.  Target sizes: \[10, 4\].  Tensor sizes: "
                                           r"\[5\]"):
        F.linear(tg.ones(5, 2, 3), tg.ones(4, 3), tg.ones(5))


def test_norm_layers_channel_mismatch_messages():
    with pytest.raises(RuntimeError, match="running_mean should contain 4 elements not 3"):
        nn.BatchNorm2d(3)(tg.ones(2, 4, 5, 5))
    with pytest.raises(RuntimeError, match="weight should contain 4 elements not 3"):
        nn.BatchNorm2d(3, track_running_stats=False)(tg.ones(2, 4, 5, 5))
    with pytest.raises(RuntimeError, match=r"Expected weight to be a vector of size equal to the number of channels "
                                           r"in input, but got weight of shape \[6\] and input of shape \[2, 4, 3\]"):
        nn.GroupNorm(2, 6)(tg.ones(2, 4, 3))


def test_misc_common_mistake_messages():
    with pytest.raises(RuntimeError, match=r"unflatten: Provided sizes \[2, 2\] don't multiply up to the size of dim "
                                           r"1 \(5\) in the input tensor"):
        nn.Unflatten(1, (2, 2))(tg.ones(2, 5))
    assert tuple(nn.Unflatten(1, (2, -1))(tg.ones(2, 6)).shape) == (2, 2, 3)
    with pytest.raises(RuntimeError, match="bilinear\\(\\): input batch dimensions do not match at dim 0: got 5 and 4"):
        nn.Bilinear(2, 3, 4)(tg.ones(5, 2), tg.ones(4, 3))
    with pytest.raises(ValueError, match="Input dimension should be at least 3"):
        nn.AdaptiveAvgPool2d((2, 2))(tg.ones(2))
    with pytest.raises(RuntimeError, match=r"adaptive_max_pool2d\(\): Expected 3D or 4D tensor, but got: \[3\]"):
        nn.AdaptiveMaxPool2d(2)(tg.ones(3))
    with pytest.raises(RuntimeError, match="Can not infer total number of classes from empty tensor."):
        F.one_hot(tg.tensor([], dtype=tg.int64))
    assert tuple(F.one_hot(tg.tensor([], dtype=tg.int64), 3).shape) == (0, 3)
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        nn.BCELoss()(tg.tensor([1.5]), tg.tensor([1.0]))


def test_mha_without_weights_fully_masked_row_gives_out_proj_bias():
    m = nn.MultiheadAttention(4, 2)
    q = tg.tensor(np.random.RandomState(0).randn(3, 2, 4).astype(np.float32), requires_grad=True)
    mask = tg.zeros(3, 3, dtype=tg.bool)
    mask[1] = True
    out, w = m(q, q, q, attn_mask=mask, need_weights=False)
    assert w is None
    _close(out[1], np.broadcast_to(m.out_proj.bias.detach().numpy(), (2, 4)))
    out.sum().backward()
    assert np.isfinite(q.grad.numpy()).all()
    out, w = m(q, q, q, attn_mask=mask)   # need_weights=True keeps PyTorch's NaN rows
    assert np.isnan(w.detach().numpy()[:, 1]).all()


def test_load_state_dict_hooks_never_change_the_callers_dict():
    # a pre-hook that renames keys (as an old weight_norm checkpoint needs) works on a copy
    m = nn.Linear(2, 1)

    def rename(state_dict, prefix, *args):
        if prefix + "w" in state_dict:
            state_dict[prefix + "weight"] = state_dict.pop(prefix + "w")
    m._register_load_state_dict_pre_hook(rename)
    sd = {"w": tg.ones(1, 2), "bias": tg.zeros(1)}
    m.load_state_dict(sd)
    assert list(sd) == ["w", "bias"]
    assert m.weight.tolist() == [[1.0, 1.0]]
