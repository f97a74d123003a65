"""PyTorch's OpInfo database run on tensorgraft (``tensorgraft.testing.opinfo``): every operator's
sample inputs give tensorgraft's outputs PyTorch's dtypes, shapes and values (five dtypes), and
PyTorch's gradients (float64), except the differences listed below with their reason.

A listed difference that no longer differs fails as stale, so the lists stay true."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("expecttest")  # PyTorch's test database imports it
pytest.importorskip("tensorgraft.nn")
pytest.importorskip("tensorgraft.autograd")

from tensorgraft.testing.opinfo import (  # noqa: E402
    check_forward, check_gradients, judge_verdict, op_database, op_key,
)

OPINFOS = {op_key(o): o for o in op_database()}
FORWARD_DTYPES = ("float32", "float64", "int64", "bool", "complex64")

_PRIVATE = "a private ATen operator (torch.ops.aten / torch._*), not part of tensorgraft's API"
_JITERATOR = "CUDA jiterator kernels: PyTorch's CUDA build only"
_NO_COMPLEX32 = "tensorgraft has no complex32 (ComplexHalf) dtype"
# (op key, dtype or "*") -> why tensorgraft's result differs on purpose or why the check cannot compare
KNOWN = {
    **{(k, "*"): _PRIVATE for k in (
        "_softmax_backward_data", "_native_batch_norm_legit", "_batch_norm_with_update", "_upsample_bilinear2d_aa",
        "torch.ops.aten._safe_softmax.default", "slice", "_unsafe_masked_index", "_unsafe_masked_index_put_accumulate",
        "_chunk_cat", "native_dropout_backward", "_segment_reduce.lengths", "_segment_reduce.offsets",
        "max_pool2d_with_indices_backward")},
    **{(k, "*"): _JITERATOR for k in (
        "jiterator_unary", "jiterator_binary", "jiterator_4inputs_with_extra_args", "jiterator_binary_return_by_ref",
        "jiterator_2inputs_2outputs")},
    ("chalf", "*"): _NO_COMPLEX32,
    ("as_strided.partial_views", "*"): "the checker hands over contiguous copies: a view of a larger storage is "
                                       "not reproduced, and this sample reads outside its input's elements",
    ("matrix_exp", "float32"): "float32 rounding of a large-norm batch (entries near 1e3 with cancelling terms): "
                               "relative errors of both libraries are ~5e-7 against a float64 result",
    ("special.bessel_j0", "float64"): "PyTorch's float64 bessel_j0 is off by ~2e-7 near its zeros; tensorgraft's "
                                      "(SciPy's Cephes) agrees with mpmath there",
    ("special.bessel_y1", "float64"): "PyTorch's float64 bessel_y1 is off by ~3e-7 near its zeros; tensorgraft's "
                                      "(SciPy's Cephes) agrees with mpmath there",
}
KNOWN_GRADIENTS = {
    **{k: v for (k, dtype), v in KNOWN.items() if dtype == "*"},
    "as_strided_scatter": "PyTorch 2.13's gradient for input is wrong (it keeps the positions src overwrote; its "
                          "own OpInfo marks this check an expected failure): tensorgraft's is the derivative",
    "native_group_norm": "the mean and rstd outputs carry no gradient in tensorgraft (PyTorch's do, through "
                         "NativeGroupNormBackward0)",
}


def _cases(dtypes):
    return [(key, d) for key, o in sorted(OPINFOS.items()) for d in dtypes
            if getattr(torch, d) in o.supported_dtypes("cpu")]


@pytest.mark.parametrize("key, dtype", _cases(FORWARD_DTYPES))
def test_outputs_match_pytorch(key, dtype):
    verdict, detail = check_forward(OPINFOS[key], dtype)
    judge_verdict(verdict, detail, KNOWN.get((key, dtype), KNOWN.get((key, "*"))))


@pytest.mark.parametrize("key, dtype", [(k, d) for k, d in _cases(("float64",)) if OPINFOS[k].supports_autograd])
def test_gradients_match_pytorch(key, dtype):
    verdict, detail = check_gradients(OPINFOS[key], dtype)
    judge_verdict(verdict, detail, KNOWN_GRADIENTS.get(key))
