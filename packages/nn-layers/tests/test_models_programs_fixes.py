"""Gaps found by the ``models_*`` programs (tests/programs), pinned without PyTorch: PyTorch's
messages and results written out (the oracle twin, test_models_programs_fixes_oracle.py, checks
them against PyTorch itself)."""
import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F

pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")


def raises(exc, match, call):
    with pytest.raises(exc) as info:
        call()
    assert str(info.value) == match


def test_cross_entropy_float_targets_of_the_wrong_shape():
    logits = tg.zeros(4, 3)
    raises(RuntimeError, "0D or 1D target tensor expected, multi-target not supported",
           lambda: F.cross_entropy(logits, tg.rand(4, 2)))
    raises(RuntimeError, "expected target dtype to be Long or Byte, but got Float",
           lambda: F.cross_entropy(logits, tg.tensor([0.0, 2.0, 1.0, 1.0])))
    raises(RuntimeError, "expected target dtype to be Long or Byte, but got Int",
           lambda: F.cross_entropy(logits, tg.tensor([0, 2, 1, 1], dtype=tg.int32)))
    raises(RuntimeError, "Expected floating point type for target with class probabilities, got Long",
           lambda: F.cross_entropy(logits, F.one_hot(tg.tensor([0, 2, 1, 1]), 3)))
    raises(NotImplementedError, "\"log_softmax_lastdim_kernel_impl\" not implemented for 'Long'",
           lambda: F.cross_entropy(tg.tensor([[0, 2, 1]]), tg.tensor([1, 2])))
    raises(RuntimeError, "only batches of spatial targets supported (3D tensors) but got targets of dimension: 2",
           lambda: F.cross_entropy(tg.zeros(2, 3, 2, 2), tg.zeros(2, 2, dtype=tg.long)))
    raises(RuntimeError, "size mismatch (got input: [2, 3, 2, 2] , target: [2, 3, 2]",
           lambda: F.cross_entropy(tg.zeros(2, 3, 2, 2), tg.zeros(2, 3, 2, dtype=tg.long)))
    raises(ValueError, "For 1D input, 1D target must have size 1, but got target size: 2",
           lambda: F.cross_entropy(tg.zeros(3), tg.tensor([1, 2])))


def test_one_sample_with_a_one_element_target():
    x = tg.tensor([0.1, 0.5, -0.3], requires_grad=True)
    out = F.cross_entropy(x, tg.tensor([2]))
    assert out.shape == () and abs(out.item() - 1.5513) < 1e-4
    raises(RuntimeError, "size mismatch (got input: [3], target: [1])", out.backward)


def test_binary_losses_refuse_integer_targets():
    raises(RuntimeError, "result type Float can't be cast to the desired output type Long",
           lambda: nn.BCEWithLogitsLoss()(tg.zeros(3), tg.tensor([1, 0, 1])))
    raises(RuntimeError, "Found dtype Long but expected Float", lambda: nn.BCELoss()(tg.zeros(3), tg.tensor([1, 0, 1])))
    raises(RuntimeError, "kl_div: Integral inputs not supported.",
           lambda: nn.KLDivLoss(reduction="batchmean")(tg.zeros(3), tg.tensor([1, 0, 1])))


def test_linear_refuses_0d_operands():
    raises(RuntimeError, "both arguments to linear need to be at least 1D, but they are 0D and 2D",
           lambda: nn.Linear(10, 4)(tg.tensor(1.0)))
    y = F.linear(tg.ones(2, 10), tg.ones(10))
    assert y.shape == (2,) and y.grad_fn is None


def test_linear_with_a_vector_weight_backward():
    x = tg.ones(2, 3, requires_grad=True)
    w = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = F.linear(x, w)
    assert type(y.grad_fn).__name__ == "MvBackward0"
    y.sum().backward()
    assert np.array_equal(x.grad.numpy(), [[1, 2, 3], [1, 2, 3]]) and np.array_equal(w.grad.numpy(), [2, 2, 2])


def test_prelu_and_softshrink():
    raises(RuntimeError, "prelu: Type promoting not supported. Got Double and Float",
           lambda: nn.PReLU()(tg.zeros(2, 3, dtype=tg.float64)))
    out = F.softshrink(tg.tensor([-0.3, 0.3]))
    assert list(np.signbit(out.numpy())) == [True, False]


def test_hinge_embedding_targets_outside_plus_minus_one_take_both_terms():
    out = F.hinge_embedding_loss(tg.tensor([0.5, -1.0]), tg.tensor([0.5, 2.0]), reduction="none")
    assert np.allclose(out.numpy(), [1.0, 1.0])


def test_ctc_loss_empty_log_probs():
    raises(RuntimeError, "log_probs tensor must not be empty",
           lambda: F.ctc_loss(tg.zeros(6, 0, 4), tg.zeros(0, 1, dtype=tg.long), [], [], blank=9))


def test_init_of_a_lazy_parameter():
    with pytest.raises(ValueError, match=r"uninitialized parameter in <method 'zero_' of 'torch._C.TensorBase'"):
        nn.init.zeros_(nn.LazyLinear(2).weight)


def test_parameter_of_integers_or_a_list():
    raises(RuntimeError, "Only Tensors of floating point and complex dtype can require gradients",
           lambda: nn.Parameter(tg.tensor([1, 2, 3])))
    raises(AttributeError, "'list' object has no attribute 'detach'", lambda: nn.Parameter([1.0]))
    assert nn.Parameter(tg.tensor([1, 2]), requires_grad=False).dtype == tg.int64


def test_module_compile_in_place():
    m = nn.Linear(2, 2)
    assert m.compile() is None and repr(m) == "Linear(in_features=2, out_features=2, bias=True)"
    assert m(tg.ones(1, 2)).shape == (1, 2)
    with pytest.raises(RuntimeError, match="Unrecognized mode=fast"):
        m.compile(mode="fast")


def test_regular_and_full_backward_hooks_do_not_mix():
    m = nn.Linear(2, 2)
    m.register_full_backward_hook(lambda *a: None).remove()
    raises(RuntimeError, "Cannot use both regular backward hooks and full backward hooks on a single Module. Please use "
           "only one of them.", lambda: m.register_backward_hook(lambda *a: None))


def test_sync_batch_norm_is_exported_from_nn():
    assert tg.nn.SyncBatchNorm is tg.nn.modules.batchnorm.SyncBatchNorm and "SyncBatchNorm" in tg.nn.__all__


def test_moving_a_meta_module_to_another_device_points_to_to_empty():
    with tg.device("meta"):
        layer = tg.nn.Linear(2, 3)
    with pytest.raises(NotImplementedError, match=r"no data! Please use torch.nn.Module.to_empty\(\) instead"):
        layer.to("cpu")
    assert layer.weight.device.type == "meta"  # nothing moved
    layer.to_empty(device="cpu")
    assert layer.weight.device.type == "cpu"


@pytest.mark.parametrize("shape", [(4, 0, 0), (2, 3, 0), (0, 3)])
def test_softmax_of_empty_tensors_is_empty(shape):
    # PyTorch returns an empty result (the max over an empty axis used to raise NumPy's error)
    x = tg.zeros(*shape, requires_grad=True)
    y, z = F.softmax(x, -1), F.log_softmax(x, 0)
    (y.sum() + z.sum()).backward()
    assert y.shape == z.shape == x.grad.shape == shape


def test_multihead_attention_on_an_empty_sequence():
    out, weights = nn.MultiheadAttention(4, 2)(tg.zeros(0, 1, 4), tg.zeros(0, 1, 4), tg.zeros(0, 1, 4))
    assert out.shape == (0, 1, 4) and weights.shape == (1, 0, 0)
