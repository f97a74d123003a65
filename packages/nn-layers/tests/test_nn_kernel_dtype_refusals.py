"""The dtypes nn.functional's kernels take, in PyTorch's words (written out: runs without
PyTorch; the _oracle file compares every dtype with it)."""
from __future__ import annotations

import pytest

import tensorgraft as tg

F = tg.nn.functional
X = tg.arange(1, 7).reshape(2, 3)

REFUSED = [
    (lambda: F.layer_norm(X, (3,)), NotImplementedError, "\"LayerNormKernelImpl\" not implemented for 'Long'"),
    (lambda: F.rms_norm(X.bool(), (3,)), NotImplementedError, "\"rms_norm\" not implemented for 'Bool'"),
    (lambda: F.group_norm(X.reshape(1, 2, 3).to(tg.complex64), 1), NotImplementedError,
     "\"GroupNormKernelImpl\" not implemented for 'ComplexFloat'"),
    (lambda: F.batch_norm(X.int(), None, None, training=True), NotImplementedError,
     "\"batch_norm\" not implemented for 'Int'"),
    (lambda: F.instance_norm(X.reshape(1, 2, 3).to(tg.uint8)), NotImplementedError,
     "\"batch_norm\" not implemented for 'Byte'"),
    (lambda: F.embedding_bag(tg.tensor([[0, 1]]), X), RuntimeError,
     "Expected tensor for argument #1 'weight' to have one of the following scalar types: Half, BFloat16, Float, "
     "Double; but got torch.LongTensor instead (while checking arguments for embedding_bag)"),
    (lambda: F.embedding_bag(tg.tensor([[0, 1]]), X.bool()), RuntimeError,
     "Expected tensor for argument #1 'weight' to have one of the following scalar types: Half, BFloat16, Float, "
     "Double; but got CPUBoolType instead (while checking arguments for embedding_bag)"),
    (lambda: F.nll_loss(X.to(tg.complex64), tg.tensor([0, 1])), NotImplementedError,
     "\"nll_loss_out_frame\" not implemented for 'ComplexFloat'"),
    (lambda: F.cross_entropy(X.to(tg.complex128), tg.tensor([0, 1])), NotImplementedError,
     "\"log_softmax_lastdim_kernel_impl\" not implemented for 'ComplexDouble'"),
    (lambda: F.cross_entropy(X.to(tg.complex64), X.to(tg.complex64)), RuntimeError,
     "Expected floating point type for target with class probabilities, got ComplexFloat"),
    (lambda: F.kl_div(X.to(tg.complex64), X, reduction="sum"), RuntimeError, "kl_div: Complex inputs not supported."),
    (lambda: F.binary_cross_entropy_with_logits(X.to(tg.complex64), X.float()), NotImplementedError,
     "\"log_sigmoid_cpu\" not implemented for 'ComplexFloat'"),
    (lambda: F.multi_margin_loss(X.half(), tg.tensor([0, 1])), NotImplementedError,
     "\"multi_margin_loss_cpu_kernel\" not implemented for 'Half'"),
    (lambda: F.multilabel_margin_loss(X.bfloat16(), tg.tensor([[0, -1, 1], [1, -1, 0]])), NotImplementedError,
     "\"multilabel_margin_loss_forward_out_frame\" not implemented for 'BFloat16'"),
    (lambda: F.pdist(X.half()), NotImplementedError, "\"pdist\" not implemented for 'Half'"),
    (lambda: F.linear(X.bool(), X.bool()), NotImplementedError, "\"addmm_impl_cpu_\" not implemented for 'Bool'"),
    (lambda: F.gaussian_nll_loss(X.float(), X.float(), X), RuntimeError,
     "result type Float can't be cast to the desired output type long int"),
    (lambda: F.interpolate(X.reshape(1, 2, 3).to(tg.complex64), scale_factor=2), NotImplementedError,
     "\"compute_indices_weights_nearest\" not implemented for 'ComplexFloat'"),
    (lambda: F.interpolate(X.reshape(1, 1, 2, 3).to(tg.complex64), scale_factor=2, mode="bilinear"),
     NotImplementedError, "\"upsample_bilinear2d_channels_last\" not implemented for 'ComplexFloat'"),
]


@pytest.mark.parametrize("call, kind, message", REFUSED, ids=[str(k) for k in range(len(REFUSED))])
def test_refused_in_pytorch_words(call, kind, message):
    with pytest.raises(kind) as info:
        call()
    assert str(info.value) == message


def test_the_floating_dtypes_still_compute():
    x = X.float()
    assert F.layer_norm(x, (3,)).dtype == tg.float32 and F.group_norm(x.reshape(1, 2, 3), 1).dtype == tg.float32
    assert F.rms_norm(X.to(tg.complex64), (3,)).dtype == tg.complex64  # (rms_norm is composed: complex passes)
    assert F.batch_norm(X[:0], None, None, training=True).shape == (0, 3)  # (an empty input: no kernel)
    assert F.embedding_bag(tg.tensor([[0, 1]]), x).tolist() == [[2.5, 3.5, 4.5]]
    assert F.pdist(x).tolist() == pytest.approx([27 ** 0.5])
    assert F.multi_margin_loss(x, tg.tensor([0, 1])).dtype == tg.float32
