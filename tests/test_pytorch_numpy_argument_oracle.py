"""The most common argument mistake against PyTorch 2.13: a NumPy array passed where a tensor goes
(``torch.add(x, a)``, ``x.view_as(a)``, ``F.layer_norm(x, shape, weight=a)``), over PyTorch's
OpInfo database (``tensorgraft.testing.opinfo.check_numpy_arguments``: each tensor argument of an
operator's first float32 sample in turn, in the function and the Tensor method). tensorgraft
refuses the array with PyTorch's TypeError, word for word where PyTorch names the argument, never
with a crash of its own or a result; the differences below are listed with their reason.

A listed difference that no longer differs fails as stale, so the list stays true."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("expecttest")  # PyTorch's test database imports it
pytest.importorskip("tensorgraft.nn")
pytest.importorskip("tensorgraft.autograd")

from tensorgraft.testing.opinfo import check_numpy_arguments, judge_verdict, op_database, op_key  # noqa: E402

OPINFOS = {op_key(o): o for o in op_database()}

_PRIVATE = "a private ATen operator (torch.ops.aten / torch._*), not part of tensorgraft's API"
_JITERATOR = "CUDA jiterator kernels: PyTorch's CUDA build only"
# op key -> why tensorgraft's refusal differs from PyTorch's
KNOWN = {
    **{k: _PRIVATE for k in (
        "_softmax_backward_data", "_native_batch_norm_legit", "_batch_norm_with_update", "_upsample_bilinear2d_aa",
        "torch.ops.aten._safe_softmax.default", "slice", "_unsafe_masked_index", "_unsafe_masked_index_put_accumulate",
        "_chunk_cat", "native_dropout_backward", "_segment_reduce.lengths", "_segment_reduce.offsets")},
    **{k: _JITERATOR for k in (
        "jiterator_unary", "jiterator_binary", "jiterator_4inputs_with_extra_args", "jiterator_binary_return_by_ref",
        "jiterator_2inputs_2outputs")},
    **{k: ("the OpInfo calls the Tensor method unbound on the array (``torch.Tensor.cauchy_(a)``, which programs do "
           "not write): PyTorch's methods are C descriptors that check their receiver; tensorgraft's are Python "
           "functions, which fail on the array's missing attributes instead")
       for k in ("__getitem__", "__radd__", "__rdiv__", "__rmul__", "cauchy", "cdouble", "cfloat", "exponential",
                 "geometric", "item", "log_normal", "normal.in_place", "uniform")},
    "nn.functional.prelu": ("the sample passes weight= by keyword: tensorgraft's refusal numbers it as the positional "
                            "argument it also is ('argument 'weight' (position 2)'), where PyTorch's C function prints "
                            "no position for a keyword (a Python function cannot tell the two apart without parsing "
                            "its arguments itself, on every call)"),
}


@pytest.mark.parametrize("key", sorted(OPINFOS))
def test_numpy_array_in_a_tensors_place_is_refused_as_pytorch_refuses_it(key):
    verdict, detail = check_numpy_arguments(OPINFOS[key])
    judge_verdict(verdict, detail, KNOWN.get(key))
