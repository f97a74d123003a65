"""Regressions from the differential fuzzing of nn.utils and the less common layers against PyTorch:
gradient clipping in the gradients' own dtype, prelu's gradient at NaN, parametrizations that point
the originals at new memory (set_) instead of writing into them, the norm layers' dtype rules,
structured pruning edge cases, circular padding and a few of PyTorch's messages. The expected values
and messages were taken from PyTorch 2.13."""
import copy
import warnings

import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.nn.utils import parametrize, prune

NONFINITE = ("The total norm of order {} for gradients from `parameters` is non-finite, so it cannot be clipped. To "
             "disable this error and scale the gradients by the non-finite norm anyway, set "
             "`error_if_nonfinite=False`")


def _param_with_grad(values, dtype=tg.float32):
    p = nn.Parameter(tg.zeros(len(values), dtype=dtype))
    p.grad = tg.tensor(values, dtype=dtype)
    return p


# ---------------------------------------------------------------- A: clip_grad_norm_ / get_total_norm
@pytest.mark.parametrize("norm_type", [2.0, 3.0])
def test_float32_norm_overflows_to_inf_and_zeroes_the_gradients(norm_type):
    p = _param_with_grad([3e19, 4e19])
    total = nn.utils.clip_grad_norm_([p], max_norm=1.0, norm_type=norm_type)
    assert total.dtype == tg.float32 and np.isinf(total.item())
    assert p.grad.tolist() == [0.0, 0.0]


@pytest.mark.parametrize("norm_type", [2.0, 3])
def test_overflowing_norm_is_refused_before_any_gradient_changes(norm_type):
    p = _param_with_grad([3e19, 4e19])
    with pytest.raises(RuntimeError) as e:
        nn.utils.clip_grad_norm_([p], 1.0, norm_type=norm_type, error_if_nonfinite=True)
    assert str(e.value) == NONFINITE.format(float(norm_type))
    assert p.grad.tolist() == tg.tensor([3e19, 4e19]).tolist()


def test_total_norm_of_finite_norms_overflows_in_their_dtype():
    assert np.isinf(nn.utils.get_total_norm([tg.tensor([2e38]), tg.tensor([2e38])]).item())
    # while a half one is accumulated in float32
    total = nn.utils.get_total_norm([tg.tensor([300.0, 400.0], dtype=tg.float16)])
    assert total.dtype == tg.float16 and total.item() == 500.0


def test_clip_coefficient_is_rounded_as_pytorch_computes_it():
    p = _param_with_grad([3.0, 4.0])
    nn.utils.clip_grad_norm_([p], 1.3)
    assert p.grad.tolist() == [0.7799997925758362, 1.0399997234344482]
    b = _param_with_grad([1.3, 2.7, 0.3], tg.bfloat16)
    assert nn.utils.clip_grad_norm_([b], 0.37).item() == 3.015625
    assert b.grad.tolist() == [0.1591796875, 0.33203125, 0.037109375]


# ---------------------------------------------------------------- B: prelu's gradients at NaN
def test_prelu_gradient_at_nan_takes_the_slope_side():
    m = nn.PReLU().double()
    x = tg.tensor([float("nan"), 1.0], dtype=tg.float64, requires_grad=True)
    m(x).sum().backward()
    assert x.grad.tolist() == [0.25, 1.0]
    assert np.isnan(m.weight.grad.item())


def test_prelu_double_backward_splits_at_zero_and_nan_as_aten():
    x = tg.tensor([float("nan"), 0.0, 1.0, -1.0], dtype=tg.float64, requires_grad=True)
    w = tg.tensor([0.25], dtype=tg.float64, requires_grad=True)
    g = tg.tensor([1.0, 2.0, 3.0, 4.0], dtype=tg.float64, requires_grad=True)
    gx, gw = tg.autograd.grad(F.prelu(x, w), (x, w), g, create_graph=True)
    assert gx.tolist() == [0.25, 0.5, 3.0, 1.0] and np.isnan(gw.item())
    dg, dx, dw = tg.autograd.grad((gx, gw), (g, x, w), (tg.tensor([0.5, 0.6, 0.7, 0.8], dtype=tg.float64),
                                                          tg.tensor([1.5], dtype=tg.float64)))
    assert np.isnan(dg[0].item()) and dg[1:].tolist() == pytest.approx([0.6, 0.7, -1.3])
    assert dx.tolist() == [1.5, 0.0, 0.0, 6.0]
    assert dw.tolist() == pytest.approx([3.7])


# ---------------------------------------------------------------- C, F: parametrize and set_
class _Scale(nn.Module):
    def forward(self, X):
        return X * 2

    def right_inverse(self, A):
        return A / 2


def test_assigning_a_parametrized_tensor_leaves_earlier_snapshots_alone():
    m = nn.Linear(2, 2)
    parametrize.register_parametrization(m, "weight", _Scale())
    original = m.parametrizations.weight.original
    snap = m.state_dict()["parametrizations.weight.original"]
    before = snap.clone()
    m.weight = tg.ones(2, 2)
    assert tg.equal(snap, before)
    assert m.parametrizations.weight.original is original  # the same object, for the optimizer
    assert original.tolist() == [[0.5, 0.5], [0.5, 0.5]]
    view = original.detach()
    parametrize.remove_parametrizations(m, "weight", leave_parametrized=True)
    assert view.tolist() == [[0.5, 0.5], [0.5, 0.5]]
    assert m.weight is original and m.weight.tolist() == [[1.0, 1.0], [1.0, 1.0]]


class _ToFloat(nn.Module):
    def forward(self, X):
        return X.float()


def test_remove_with_another_dtype_is_refused_for_a_parameter():
    m = nn.Linear(2, 2).double()
    parametrize.register_parametrization(m, "weight", _ToFloat(), unsafe=True)
    with pytest.raises(RuntimeError) as e:
        parametrize.remove_parametrizations(m, "weight", leave_parametrized=True)
    assert str(e.value) == (
        "Calling remove_parametrizations() with leave_parametrized=True for a parameter that is an instance of a "
        "tensor subclass requires set_() to be implemented correctly for the tensor subclass.Alternatively, one can "
        "opt into the swap_tensors pathEither set leave_parametrized=False or provide a working implementationfor "
        "set_() in the tensor subclass or set torch.__future__.set_swap_module_params_on_conversion(True).")
    assert str(e.value.__cause__) == "Could not set tensor of type float to a tensor of type double"
    assert type(m).__name__ == "ParametrizedLinear" and m.parametrizations.weight.original.dtype == tg.float64


def test_remove_with_another_dtype_is_refused_for_a_buffer():
    m = nn.BatchNorm1d(2).double()
    parametrize.register_parametrization(m, "running_mean", _ToFloat(), unsafe=True)
    with pytest.raises(RuntimeError, match="^Could not set tensor of type float to a tensor of type double$"):
        parametrize.remove_parametrizations(m, "running_mean", leave_parametrized=True)


# ---------------------------------------------------------------- D: norm layers' dtype rules
ALL_SAME = "mixed dtype (CPU): all inputs must share same datatype."
OF_FLOAT = "mixed dtype (CPU): expect parameter to have scalar type of Float"


@pytest.mark.parametrize("call, message", [
    (lambda x: F.instance_norm(x, weight=tg.ones(3), bias=tg.zeros(3)), ALL_SAME),
    (lambda x: F.group_norm(x, 3, tg.ones(3), tg.zeros(3)), ALL_SAME),
    (lambda x: F.group_norm(x.float(), 3, tg.ones(3, dtype=tg.float64)), OF_FLOAT),
    (lambda x: F.group_norm(x, 3, tg.ones(3, dtype=tg.float64), tg.ones(3)),
     "expected scalar type Double but found Float"),
    (lambda x: nn.LazyInstanceNorm1d(affine=True)(x), ALL_SAME),
    (lambda x: F.instance_norm(x, weight=tg.ones(5)), "weight should contain 6 elements not 10"),
    (lambda x: F.instance_norm(x, tg.zeros(5), tg.ones(5), weight=tg.ones(3)),
     "running_mean should contain 6 elements not 10"),
])
def test_norm_parameters_of_another_dtype_are_refused(call, message):
    with pytest.raises(RuntimeError) as e:
        call(tg.randn(2, 3, 4, dtype=tg.float64))
    assert str(e.value) == message


def test_instance_norm_refuses_a_weight_but_takes_running_stats_of_another_dtype():
    x = tg.randn(2, 3, 4, dtype=tg.float64)
    with pytest.raises(RuntimeError):
        F.instance_norm(x, tg.zeros(3), tg.ones(3), weight=tg.ones(3), use_input_stats=False)
    out = F.instance_norm(x, tg.zeros(3), tg.ones(3), weight=tg.ones(3, dtype=tg.float64), use_input_stats=False)
    assert out.dtype == tg.float64


def test_layer_norm_checks_a_mixed_dtype_before_the_shapes():
    with pytest.raises(RuntimeError) as e:
        nn.LayerNorm(3)(tg.zeros(2, 4, dtype=tg.float64))
    assert str(e.value) == ALL_SAME
    with pytest.raises(RuntimeError, match="^Expected bias to be of same shape as normalized_shape"):
        F.layer_norm(tg.zeros(2, 4), (4,), tg.ones(4), tg.ones(3, dtype=tg.float64))


def test_batch_norm_checks_the_batch_size_before_the_dtypes():
    with pytest.raises(ValueError, match=r"^Expected more than 1 value per channel when training, got input size "
                                         r"torch.Size\(\[1, 3\]\)$"):
        nn.BatchNorm1d(3)(tg.zeros(1, 3, dtype=tg.float64))


def test_rms_norm_warns_once_of_a_weight_of_another_dtype():
    tg.set_warn_always(True)
    try:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            out = nn.RMSNorm(3)(tg.ones(2, 3).half())
    finally:
        tg.set_warn_always(False)
    assert out.dtype == tg.float16
    assert [str(x.message) for x in w] == ["Mismatch dtype between input and weight: input dtype = c10::Half, weight "
                                           "dtype = float, Cannot dispatch to fused implementation."]


# ---------------------------------------------------------------- H, I: structured pruning
def test_ln_structured_checks_the_norm_order_when_nothing_is_pruned():
    m = nn.Conv2d(1, 4, 3)
    with pytest.raises(RuntimeError, match="^linalg.matrix_norm: dim must be a 2-tuple. Got 1 2 3$"):
        prune.ln_structured(m, "weight", amount=0.1, n="nuc", dim=0)
    assert not hasattr(m, "weight_orig") and list(m.state_dict()) == ["weight", "bias"]


def test_bool_amount_in_pruning():
    m = nn.Conv2d(3, 3, 2)
    with tg.no_grad():
        m.weight.copy_(tg.arange(36.0).reshape(3, 3, 2, 2) - 10)
    prune.ln_structured(m, "weight", amount=True, n=2, dim=0)
    assert m.weight_mask.sum((1, 2, 3)).tolist() == [0.0, 12.0, 12.0]
    with pytest.raises(TypeError, match="^kthvalue\\(\\): argument 'k' must be int, not bool$"):
        prune.random_structured(nn.Conv2d(3, 3, 2), "weight", amount=True, dim=0)
    with pytest.raises(TypeError, match="^topk\\(\\): argument 'k' must be int, not bool$"):
        prune.l1_unstructured(nn.Conv2d(3, 3, 2), "weight", amount=True)
    m = nn.Conv2d(3, 3, 2)
    prune.l1_unstructured(m, "weight", amount=False)
    assert m.weight_mask.sum().item() == 36


# ---------------------------------------------------------------- J, K: circular padding
@pytest.mark.parametrize("module, shape, message", [
    (nn.CircularPad1d(1), (1, 2, 2, 2), "expected 2D or 3D input (got 4D input)"),
    (nn.CircularPad2d(1), (2, 2), "expected 3D or 4D input (got 2D input)"),
    (nn.CircularPad3d(1), (1, 1, 1, 1, 1, 1), "expected 4D or 5D input (got 6D input)"),
])
def test_circular_pad_modules_check_the_input_rank(module, shape, message):
    with pytest.raises(ValueError) as e:
        module(tg.zeros(*shape))
    assert str(e.value) == message


def test_circular_pad_longer_than_the_cropped_length_repeats_it():
    x = tg.arange(4.0).reshape(2, 1, 2)
    assert F.pad(x, (-1, 2), mode="circular").tolist() == [[[1.0, 1.0, 1.0]], [[3.0, 3.0, 3.0]]]
    x = tg.arange(6.0).reshape(2, 1, 3)
    assert F.pad(x, (-2, 3), mode="circular").tolist() == [[[2.0, 2.0, 2.0, 2.0]], [[5.0, 5.0, 5.0, 5.0]]]
    with pytest.raises(RuntimeError, match="^unsupported operation: some elements of the input tensor and"):
        F.pad(tg.arange(2.0).reshape(1, 1, 2), (-1, 2), mode="circular")  # one block of memory: refused


def test_circular_pad_checks_the_outer_dimension_first():
    with pytest.raises(RuntimeError, match="^Padding value causes wrapping around more than once.$"):
        nn.CircularPad2d((-1, -1, 2, 2))(tg.zeros(2, 1, 1))


# ---------------------------------------------------------------- L: messages
def test_reflect_pad_names_the_argument_of_the_dimension():
    with pytest.raises(RuntimeError, match="^Argument #6: Padding size should be less"):
        F.pad(tg.zeros(1, 1, 3, 1, 3), (1, 0, 0, 2, 1, 2), mode="reflect")
    with pytest.raises(RuntimeError, match="^Argument #8: Padding size should be less"):
        F.pad(tg.zeros(1, 1, 3, 3, 3), (0, 0, 0, 0, 3, 0), mode="reflect")


def test_prelu_messages_in_aten_order():
    with pytest.raises(RuntimeError, match="^Not allow zero-dim input tensor.$"):
        nn.PReLU(3)(tg.tensor(1.0))
    with pytest.raises(RuntimeError, match="^Mismatch of parameter numbers and input channel size. Found parameter "
                                           "numbers = 6 and channel size = 3.$"):
        F.prelu(tg.ones(2, 3), tg.ones(2, 3))


def test_vector_to_parameters_names_the_type_as_torch_typename():
    with pytest.raises(TypeError, match="^expected torch.Tensor, but got: numpy.ndarray$"):
        nn.utils.vector_to_parameters(np.zeros(2), [nn.Parameter(tg.zeros(2))])


def test_clip_grad_value_refuses_an_expanded_gradient_first():
    p = _param_with_grad([1.0, 1.0])
    q = nn.Parameter(tg.zeros(3, 4))
    q.grad = tg.ones(4).expand(3, 4)
    with pytest.raises(RuntimeError) as e:
        nn.utils.clip_grad_value_([p, q], 0.1)
    assert str(e.value) == ("unsupported operation: more than one element of the written-to tensor refers to a "
                            "single memory location. Please clone() the tensor before performing the operation.")
    assert p.grad.tolist() == [1.0, 1.0]
    base = tg.ones(1, 4) * 3
    q = nn.Parameter(tg.zeros(1, 4))
    q.grad = base.expand(1, 4)
    nn.utils.clip_grad_value_([q], 0.05)
    assert base.tolist() == [[0.05000000074505806] * 4]


def test_deepcopy_of_a_pruned_module_is_refused():
    m = nn.Linear(2, 2)
    prune.l1_unstructured(m, "weight", amount=1)
    with pytest.raises(RuntimeError, match="^Only Tensors created explicitly by the user"):
        copy.deepcopy(m)
