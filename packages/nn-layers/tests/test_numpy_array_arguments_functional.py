"""A NumPy array where ``nn.functional`` (and the ``native_*`` norms and per-rank grid samplers)
expects a tensor: refused with PyTorch's TypeError, in the words of PyTorch's argument parser where
PyTorch has them (``layer_norm(): argument 'weight' (position 3) must be Tensor, not numpy.ndarray``,
the name of the ATen function F calls: ``cross_entropy_loss``, ``nll_loss_nd``), and with a TypeError
naming the argument where PyTorch's own Python code fails on the array ("'int' object is not
callable"); never a crash inside tensorgraft, a misleading dtype error or a result. Without PyTorch
(tests/test_pytorch_numpy_argument_oracle.py compares with it)."""
import re

import numpy as np
import pytest

pytest.importorskip("tensorgraft.nn", reason="these tests exercise tensorgraft-nn")

import tensorgraft as tg  # noqa: E402
import tensorgraft.nn.functional as F  # noqa: E402


def _a(*shape):
    return np.ones(shape, np.float32)


def _t(*shape):
    return tg.ones(*shape)


def _refused(message, call):
    with pytest.raises(TypeError, match="^" + re.escape(message) + "$"):
        call()


def _arg(fname, argname, pos=None):
    where = "" if pos is None else f" (position {pos})"
    return f"{fname}(): argument '{argname}'{where} must be Tensor, not numpy.ndarray"


# --------------------------------------------------------------------------- normalisations
@pytest.mark.parametrize("message,call", [
    # formerly "mixed dtype (CPU): expect parameter to have scalar type of Float" / "expected scalar type
    # Float but found Float"
    (_arg("layer_norm", "weight", 3), lambda: F.layer_norm(_t(2, 3), (3,), _a(3))),
    (_arg("layer_norm", "weight", 3), lambda: F.layer_norm(_t(2, 3), (3,), weight=_a(3))),
    (_arg("layer_norm", "bias", 4), lambda: F.layer_norm(_t(2, 3), (3,), _t(3), _a(3))),
    (_arg("group_norm", "weight", 3), lambda: F.group_norm(_t(2, 3, 4), 3, weight=_a(3))),
    (_arg("group_norm", "bias", 4), lambda: F.group_norm(_t(2, 3, 4), 3, _t(3), _a(3))),
    # formerly AttributeError: 'numpy.ndarray' object has no attribute '_data'
    (_arg("batch_norm", "running_mean", 4), lambda: F.batch_norm(_t(2, 3, 4), _a(3), _t(3))),
    (_arg("batch_norm", "running_var", 5), lambda: F.batch_norm(_t(2, 3, 4), _t(3), _a(3))),
    (_arg("batch_norm", "weight", 2), lambda: F.batch_norm(_t(2, 3, 4), _t(3), _t(3), weight=_a(3))),
    (_arg("batch_norm", "bias", 3), lambda: F.batch_norm(_t(2, 3, 4), None, None, bias=_a(3), training=True)),
    (_arg("instance_norm", "running_mean", 4), lambda: F.instance_norm(_t(2, 3, 4), running_mean=_a(3),
                                                                      running_var=_t(3))),
    (_arg("instance_norm", "running_var", 5), lambda: F.instance_norm(_t(2, 3, 4), running_mean=_t(3),
                                                                     running_var=_a(3))),
    (_arg("instance_norm", "weight", 2), lambda: F.instance_norm(_t(2, 3, 4), weight=_a(3))),
    (_arg("instance_norm", "bias", 3), lambda: F.instance_norm(_t(2, 3, 4), bias=_a(3))),
    (_arg("rms_norm", "weight", 3), lambda: F.rms_norm(_t(2, 3), (3,), _a(3))),
    (_arg("rms_norm", "weight", 3), lambda: F.rms_norm(_t(2, 3), (3,), weight=_a(3))),
])
def test_the_norms_name_the_array_argument(message, call):
    _refused(message, call)


@pytest.mark.parametrize("message,call", [
    # formerly batch_norm()/layer_norm()/group_norm() and F's positions
    (_arg("native_batch_norm", "input", 1),
     lambda: tg.native_batch_norm(_a(2, 3, 4), _t(3), _t(3), _t(3), _t(3), False, 0.1, 1e-5)),
    (_arg("native_batch_norm", "weight", 2),
     lambda: tg.native_batch_norm(_t(2, 3, 4), _a(3), _t(3), _t(3), _t(3), False, 0.1, 1e-5)),
    (_arg("native_batch_norm", "running_var", 5),
     lambda: tg.native_batch_norm(_t(2, 3, 4), _t(3), _t(3), _t(3), _a(3), False, 0.1, 1e-5)),
    (_arg("native_layer_norm", "input", 1), lambda: tg.native_layer_norm(_a(2, 3), (3,), _t(3), _t(3), 1e-5)),
    (_arg("native_layer_norm", "weight", 3), lambda: tg.native_layer_norm(_t(2, 3), (3,), _a(3), _t(3), 1e-5)),
    (_arg("native_layer_norm", "bias", 4), lambda: tg.native_layer_norm(_t(2, 3), (3,), _t(3), _a(3), 1e-5)),
    (_arg("native_group_norm", "input", 1),
     lambda: tg.native_group_norm(_a(2, 3, 4), None, None, 2, 3, 4, 3, 1e-5)),
    (_arg("native_group_norm", "weight", 2),
     lambda: tg.native_group_norm(_t(2, 3, 4), _a(3), _t(3), 2, 3, 4, 3, 1e-5)),
    (_arg("native_group_norm", "bias", 3),
     lambda: tg.native_group_norm(_t(2, 3, 4), None, _a(3), 2, 3, 4, 3, 1e-5)),
    # formerly AttributeError: 'numpy.ndarray' object has no attribute 'dim'
    (_arg("grid_sampler_2d", "input", 1), lambda: tg.grid_sampler_2d(_a(1, 1, 2, 2), _t(1, 2, 2, 2), 0, 0, False)),
    (_arg("grid_sampler_2d", "grid", 2), lambda: tg.grid_sampler_2d(_t(1, 1, 2, 2), _a(1, 2, 2, 2), 0, 0, False)),
    (_arg("grid_sampler_3d", "input", 1),
     lambda: tg.grid_sampler_3d(_a(1, 1, 2, 2, 2), _t(1, 2, 2, 2, 3), 0, 0, False)),
    (_arg("grid_sampler_3d", "grid", 2),
     lambda: tg.grid_sampler_3d(_t(1, 1, 2, 2, 2), _a(1, 2, 2, 2, 3), 0, 0, False)),
])
def test_the_aten_kernels_use_their_own_names_and_positions(message, call):
    _refused(message, call)


# --------------------------------------------------------------------------- layers
@pytest.mark.parametrize("message,call", [
    (_arg("bilinear", "input1", 1), lambda: F.bilinear(_a(2, 3), _t(2, 3), _t(4, 3, 3))),
    (_arg("bilinear", "input2", 2), lambda: F.bilinear(_t(2, 3), _a(2, 3), _t(4, 3, 3))),
    (_arg("bilinear", "weight", 3), lambda: F.bilinear(_t(2, 3), _t(2, 3), _a(4, 3, 3))),
    (_arg("bilinear", "bias", 4), lambda: F.bilinear(_t(2, 3), _t(2, 3), _t(4, 3, 3), _a(4))),
    (_arg("conv_transpose1d", "bias", 3), lambda: F.conv_transpose1d(_t(1, 3, 4), _t(3, 2, 3), _a(2))),
    (_arg("conv_transpose2d", "bias", 3), lambda: F.conv_transpose2d(_t(1, 3, 4, 4), _t(3, 2, 3, 3), _a(2))),
    (_arg("conv_transpose3d", "bias", 3),
     lambda: F.conv_transpose3d(_t(1, 3, 4, 4, 4), _t(3, 2, 3, 3, 3), _a(2))),
    (_arg("prelu", "weight", 2), lambda: F.prelu(_t(3), _a(1))),
    # (a keyword argument is numbered too, where PyTorch's C function prints no position: docs' differences)
    (_arg("prelu", "weight", 2), lambda: F.prelu(_t(3), weight=_a(1))),
    (_arg("max_unpool1d", "input", 1),
     lambda: F.max_unpool1d(_a(1, 2, 1), tg.tensor([[[1], [2]]]), 3, 2, output_size=[1, 2, 3])),
    (_arg("max_unpool2d", "indices", 2), lambda: F.max_unpool2d(_t(1, 2, 1, 1), np.zeros((1, 2, 1, 1), np.int64), 2)),
    (_arg("embedding_bag", "input", 1), lambda: F.embedding_bag(np.array([1, 2]), _t(5, 3), tg.tensor([0]))),
    (_arg("embedding_bag", "weight", 2), lambda: F.embedding_bag(tg.tensor([1, 2]), _a(5, 3), tg.tensor([0]))),
    (_arg("embedding_bag", "offsets", 3), lambda: F.embedding_bag(tg.tensor([1, 2]), _t(5, 3), np.array([0]))),
    (_arg("embedding_bag", "per_sample_weights", 9),
     lambda: F.embedding_bag(tg.tensor([1, 2]), _t(5, 3), tg.tensor([0]), mode="sum", per_sample_weights=_a(2))),
])
def test_layers_name_the_array_argument(message, call):
    _refused(message, call)


def test_embedding_bag_still_fails_on_a_list_as_pytorchs_python_code_does():
    with pytest.raises(AttributeError, match="^'list' object has no attribute 'dtype'$"):
        F.embedding_bag(tg.tensor([1, 2]), [[1.0]], tg.tensor([0]))


def test_multi_head_attention_names_an_array_bias_k():
    E = 2
    q = _t(3, 1, E)
    args = (q, q, q, E, 1, _t(3 * E, E), _t(3 * E), _a(1, 1, E), _t(1, 1, E), False, 0.0, _t(E, E), _t(E))
    _refused(_arg("multi_head_attention_forward", "bias_k", 8), lambda: F.multi_head_attention_forward(*args))


# --------------------------------------------------------------------------- losses
@pytest.mark.parametrize("message,call", [
    # F.cross_entropy and F.nll_loss call ATen's cross_entropy_loss and nll_loss_nd
    (_arg("cross_entropy_loss", "input", 1), lambda: F.cross_entropy(_a(2, 3), tg.tensor([0, 1]))),
    (_arg("cross_entropy_loss", "target", 2), lambda: F.cross_entropy(_t(2, 3), np.array([0, 1]))),
    (_arg("cross_entropy_loss", "weight", 3), lambda: F.cross_entropy(_t(2, 3), tg.tensor([0, 1]), _a(3))),
    (_arg("nll_loss_nd", "input", 1), lambda: F.nll_loss(_a(2, 3), tg.tensor([0, 1]))),
    (_arg("nll_loss_nd", "target", 2), lambda: F.nll_loss(_t(2, 3), np.array([0, 1]))),
    (_arg("nll_loss_nd", "weight", 3), lambda: F.nll_loss(_t(2, 3), tg.tensor([0, 1]), _a(3))),
    # formerly zeros_like() / where()
    (_arg("hinge_embedding_loss", "input", 1), lambda: F.hinge_embedding_loss(_a(3), _t(3))),
    (_arg("hinge_embedding_loss", "target", 2), lambda: F.hinge_embedding_loss(_t(3), _a(3))),
    # formerly AttributeError ('_data', 'exp') or NumPy's "unsupported operand type(s)"
    (_arg("kl_div", "input", 1), lambda: F.kl_div(_a(3), _t(3))),
    (_arg("kl_div", "target", 2), lambda: F.kl_div(_t(3), _a(3))),
    (_arg("poisson_nll_loss", "input", 1), lambda: F.poisson_nll_loss(_a(3), _t(3))),
    (_arg("poisson_nll_loss", "target", 2), lambda: F.poisson_nll_loss(_t(3), _a(3))),
    (_arg("binary_cross_entropy", "weight", 3), lambda: F.binary_cross_entropy(_t(3) / 2, _t(3) / 2, _a(3))),
    (_arg("binary_cross_entropy", "target", 2), lambda: F.binary_cross_entropy(_t(3) / 2, _a(3))),
    (_arg("binary_cross_entropy_with_logits", "target", 2), lambda: F.binary_cross_entropy_with_logits(_t(3), _a(3))),
    (_arg("binary_cross_entropy_with_logits", "pos_weight", 4),
     lambda: F.binary_cross_entropy_with_logits(_t(3), _t(3), pos_weight=_a(3))),
    (_arg("pairwise_distance", "x1", 1), lambda: F.pairwise_distance(_a(3), _t(3))),
    # formerly computed a result
    (_arg("pairwise_distance", "x2", 2), lambda: F.pairwise_distance(_t(3), _a(3))),
    (_arg("margin_ranking_loss", "input1", 1), lambda: F.margin_ranking_loss(_a(3), _t(3), _t(3))),
    (_arg("margin_ranking_loss", "target", 3), lambda: F.margin_ranking_loss(_t(()), _t(()), _a())),
    (_arg("margin_ranking_loss", "target", 3), lambda: tg.margin_ranking_loss(_t(3), _t(3), _a(3))),
])
def test_losses_name_the_array_argument(message, call):
    _refused(message, call)


def test_valid_calls_are_unchanged():
    x = tg.tensor([[1.0, 2.0, 4.0], [0.0, -1.0, 1.0]])
    w = tg.nn.Parameter(tg.ones(3))
    assert F.layer_norm(x, (3,), w, None).shape == (2, 3)
    assert F.rms_norm(x, (3,), weight=w).shape == (2, 3)
    assert F.batch_norm(x, tg.zeros(3), tg.ones(3), w, tg.zeros(3)).shape == (2, 3)
    assert F.cross_entropy(x, tg.tensor([0, 2])).ndim == 0
    assert F.pairwise_distance(x, x).tolist() == pytest.approx([1.7320508e-06] * 2, rel=1e-3)
    assert F.margin_ranking_loss(x[0], x[1], tg.ones(3)).item() == pytest.approx(0.0)
