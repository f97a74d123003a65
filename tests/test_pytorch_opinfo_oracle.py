"""PyTorch's OpInfo database run on tensorgraft (``tensorgraft.testing.opinfo``): every operator's
sample inputs give tensorgraft's outputs PyTorch's dtypes, shapes and values (seven dtypes, the
half types among them), PyTorch's gradients (float64, complex128 and the training dtypes float32,
bfloat16 and float16), second-order gradients and forward-mode (dual tensor) tangents (float64 and
complex128), and torch.vmap's results for a batch of each sample (float64); the larger reference
inputs (extremal values, long and odd shapes) give PyTorch's outputs too, as do the Tensor method
and in-place method of each operator and ``out=``, and func.vjp/jacrev/jvp/jacfwd over the small
samples give PyTorch's results, and the error samples raise PyTorch's exceptions, except the
differences listed below with their reason. In the low-precision dtypes a value PyTorch rounds
differently is judged against PyTorch's float64 result: tensorgraft's passes when it is about as
accurate as PyTorch's (``tensorgraft.testing.torch_values._as_accurate``).

A listed difference that no longer differs fails as stale, so the lists stay true."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("expecttest")  # PyTorch's test database imports it
pytest.importorskip("tensorgraft.nn")
pytest.importorskip("tensorgraft.autograd")

from tensorgraft.testing.opinfo import (  # noqa: E402
    check_error_inputs, check_forward, check_forward_ad, check_func_transforms, check_gradients, check_out,
    check_reference_forward, check_second_gradients, check_variants, check_vmap, judge_verdict, op_database, op_key,
)

OPINFOS = {op_key(o): o for o in op_database()}
# (the low-precision dtypes are judged against PyTorch's float64 result where the two differ:
# ``torch_values._as_accurate``)
FORWARD_DTYPES = ("float32", "float64", "int64", "bool", "complex64", "bfloat16", "float16")
GRADIENT_DTYPES = ("float64", "complex128")
# first gradients in what models train in: float32, and the half types of mixed-precision training
TRAINING_GRADIENT_DTYPES = ("float32", "bfloat16", "float16")

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
    **{(k, "float16"): f"PyTorch's result for float16 parts is complex32: {_NO_COMPLEX32} (tensorgraft raises, "
                       "saying so)" for k in ("complex", "view_as_complex")},
    ("as_strided.partial_views", "*"): "the checker hands over contiguous copies: a view of a larger storage is "
                                       "not reproduced, and this sample reads outside its input's elements",
    ("special.bessel_j0", "float64"): "PyTorch's float64 bessel_j0 is off by ~2e-7 near its zeros; tensorgraft's "
                                      "(SciPy's Cephes) agrees with mpmath there",
    ("special.bessel_y1", "float64"): "PyTorch's float64 bessel_y1 is off by ~3e-7 near its zeros; tensorgraft's "
                                      "(SciPy's Cephes) agrees with mpmath there",
}
_ISTFT_WINDOW_VIEW = ("PyTorch 2.13 gives this sample's complex window (a view, window[:8]) no gradient: its graph "
                      "never reaches the view; tensorgraft's is the derivative, and matches PyTorch's for a leaf window")
# (op key, dtype or "*") -> why the gradients differ
KNOWN_GRADIENTS = {
    **{(k, "*"): v for (k, dtype), v in KNOWN.items() if dtype == "*"},
    ("as_strided_scatter", "*"): "PyTorch 2.13's gradient for input is wrong (it keeps the positions src overwrote; "
                                 "its own OpInfo marks this check an expected failure): tensorgraft's is the derivative",
    ("native_group_norm", "*"): "the mean and rstd outputs carry no gradient in tensorgraft (PyTorch's do, through "
                                "NativeGroupNormBackward0)",
    ("istft", "complex128"): _ISTFT_WINDOW_VIEW,
    **{(k, "float16"): KNOWN[(k, "float16")] for k in ("complex", "view_as_complex")},
}
# (op key, dtype or "*") -> why the second-order gradients differ
KNOWN_SECOND_GRADIENTS = {
    **KNOWN_GRADIENTS,
    ("to_sparse", "*"): "tensorgraft's sparse COO gradients are first order: create_graph=True through a sparse op "
                        "raises NotImplementedError (PyTorch differentiates them again)",
    ("cov", "complex128"): "float32 aweights: their second gradient is float32 rounding noise around an exact 0 "
                           "(a cancellation of terms near 40) in both libraries, of the same size, not the same bits",
}


_NORM_AT_ZERO = ("forward AD at a zero (or empty) vector, p not 1 or 2: tensorgraft derives tangents from the backward "
                 "formula differentiated again (the double vjp), which is NaN there in both libraries; PyTorch's "
                 "separate forward formula masks it to 0")
# (op key, dtype or "*") -> why the forward-mode tangents differ
KNOWN_FORWARD_AD = {
    **{k: v for k, v in KNOWN_GRADIENTS.items() if k[0] not in ("as_strided_scatter", "istft")},
    ("cholesky_inverse", "*"): "PyTorch's forward formula is off by ~1e-5 here; tensorgraft's tangent agrees with "
                               "central finite differences of the forward to ~1e-9",
    ("logcumsumexp", "float64"): "PyTorch's forward formula loses ~2e-6 to cancellation; tensorgraft's tangent agrees "
                                 "with a direct float64 softmax-weighted sum to 1e-12",
    ("logcumsumexp", "complex128"): "PyTorch's complex forward formula gives NaN+NaNj everywhere on this sample",
    ("cov", "*"): KNOWN_SECOND_GRADIENTS[("cov", "complex128")],
    ("linalg.norm", "*"): _NORM_AT_ZERO,
    ("linalg.norm.subgradients_at_zero", "*"): _NORM_AT_ZERO,
}

_PYTORCH_SPECIAL_FLOAT64 = ("PyTorch's float64 {} is off by ~4e-7 at some of the batch's scaled points (e.g. near "
                            "x = 5.02 or -2.45); tensorgraft's (SciPy's Cephes) agrees with mpmath there")
# op key -> why vmap's results differ (float64)
KNOWN_VMAP = {
    **{k: v for (k, dtype), v in KNOWN.items() if dtype == "*" and k != "as_strided.partial_views"},
    "roll": "PyTorch's batching rule rolls a batch of 0-d samples along the batch itself (each sample's roll is "
            "the sample; PyTorch's per-sample calls agree with tensorgraft)",
    "linspace.tensor_overload": "PyTorch's vmap of linspace with a float32 start tensor and dtype=float64 computes in "
                                "float32 (~1e-6 from its own per-sample calls); tensorgraft's equals those calls",
    "nn.functional.linear_cross_entropy.chunked": "the chunked path is an autograd.Function without setup_context (it "
                                                  "hands gradient buffers from forward to backward), which func "
                                                  "transforms refuse, as PyTorch refuses such Functions; PyTorch's "
                                                  "chunked op is a custom op with a per-sample fallback",
    **{f"special.{n}": _PYTORCH_SPECIAL_FLOAT64.format(n) for n in ("airy_ai", "bessel_j0", "bessel_j1", "bessel_y1")},
    "index_fill": "PyTorch's batching rule fills every sample with the last sample's value when only the value is "
                  "batched (its per-sample calls agree with tensorgraft)",
    "nn.functional.batch_norm": "an empty input in training mode with unbatched running statistics: PyTorch's vmap "
                                "lets it through (nothing to write); tensorgraft refuses it as any batched input with "
                                "unbatched running statistics in training, PyTorch's rule otherwise",
}
KNOWN_VMAP["nn.functional.linear_cross_entropy.chunked_none"] = KNOWN_VMAP["nn.functional.linear_cross_entropy.chunked"]


def _cases(dtypes):
    return [(key, d) for key, o in sorted(OPINFOS.items()) for d in dtypes
            if getattr(torch, d) in o.supported_dtypes("cpu")]


@pytest.mark.parametrize("key, dtype", _cases(FORWARD_DTYPES))
def test_outputs_match_pytorch(key, dtype):
    verdict, detail = check_forward(OPINFOS[key], dtype)
    judge_verdict(verdict, detail, KNOWN.get((key, dtype), KNOWN.get((key, "*"))))

# (op key, dtype) -> why forward AD cannot be compared repeatably
UNREPEATABLE_FORWARD_AD = {
    ("nn.functional.max_unpool2d", "float64"): "duplicate indices (overlapping pooling windows): PyTorch's CPU kernel "
                                               "keeps an arbitrary one of the values written to a position (documented "
                                               "as undefined; which one varies between machines) and its tangent with "
                                               "it; the values are equal, the tangents are each library's kept one",
}


def _known(table, key, dtype):
    return table.get((key, dtype), table.get((key, "*")))


@pytest.mark.parametrize("key, dtype", [(k, d) for k, d in _cases(GRADIENT_DTYPES + TRAINING_GRADIENT_DTYPES)
                                        if OPINFOS[k].supports_autograd])
def test_gradients_match_pytorch(key, dtype):
    verdict, detail = check_gradients(OPINFOS[key], dtype)
    judge_verdict(verdict, detail, _known(KNOWN_GRADIENTS, key, dtype))


@pytest.mark.parametrize("key, dtype", [(k, d) for k, d in _cases(GRADIENT_DTYPES) if OPINFOS[k].supports_gradgrad])
def test_second_gradients_match_pytorch(key, dtype):
    """Gradients of a projection of the first gradients (taken with create_graph=True) with respect
    to the inputs and to the incoming gradient: what gradient penalties, MAML and Hessians use."""
    verdict, detail = check_second_gradients(OPINFOS[key], dtype)
    judge_verdict(verdict, detail, _known(KNOWN_SECOND_GRADIENTS, key, dtype))


@pytest.mark.parametrize("key, dtype", [(k, d) for k, d in _cases(GRADIENT_DTYPES) if OPINFOS[k].supports_forward_ad])
def test_forward_ad_tangents_match_pytorch(key, dtype):
    """Dual tensors (autograd.forward_ad): the Jacobian-vector products jvp/jacfwd/hessian build on."""
    if (key, dtype) in UNREPEATABLE_FORWARD_AD:
        pytest.skip(UNREPEATABLE_FORWARD_AD[(key, dtype)])
    verdict, detail = check_forward_ad(OPINFOS[key], dtype)
    judge_verdict(verdict, detail, _known(KNOWN_FORWARD_AD, key, dtype))


@pytest.mark.parametrize("key", [k for k, _ in _cases(("float64",))])
def test_vmap_matches_pytorch(key):
    """vmap over batches of three scaled copies of each sample (all floating arguments batched, each
    alone, and along the last dim): the batching rules (or the per-sample fallback) against torch.vmap."""
    verdict, detail = check_vmap(OPINFOS[key], "float64")
    judge_verdict(verdict, detail, KNOWN_VMAP.get(key))


def test_checker_sees_a_wrong_second_derivative(monkeypatch):
    """The checker itself: sin + (x - x.detach())**2 has sin's values and first derivative, but a
    second derivative 2 larger — only the second-order check reports it."""
    import tensorgraft
    sin = tensorgraft.sin
    monkeypatch.setattr(tensorgraft, "sin", lambda x, *args, **kwargs: sin(x, *args, **kwargs) + (x - x.detach()) ** 2)
    opinfo = OPINFOS["sin"]
    assert check_forward(opinfo, "float64") == ("same", "")
    assert check_gradients(opinfo, "float64") == ("same", "")
    verdict, detail = check_second_gradients(opinfo, "float64")
    assert verdict == "different" and detail.startswith("second gradient with respect to input 0"), detail


def test_low_precision_judge_passes_the_more_accurate_result_only():
    """The checker itself: float32 results that differ from PyTorch's by more than the tolerance
    are judged by their distance from PyTorch's float64 result — closer passes, three times
    further fails (naming both errors) — and a NaN PyTorch's kernel made of a finite value does not
    have to be copied, while a NaN of tensorgraft's there fails."""
    import tensorgraft
    from tensorgraft.testing.torch_values import _compare
    exact = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    theirs = (exact * (1 + 3e-4)).float()

    def ours(values):
        return tensorgraft.tensor(values, dtype=tensorgraft.float32)

    assert "values differ" in _compare(theirs, ours([1.0, 2.0, 3.0]), True)  # (no reference: a difference)
    assert _compare(theirs, ours([1.0, 2.0, 3.0]), True, lambda: exact) is None
    worse = _compare(theirs, ours([v * (1 - 9e-4) for v in (1.0, 2.0, 3.0)]), True, lambda: exact)
    assert "values differ" in worse and "from float64: tensorgraft's error" in worse, worse
    # norm-wise: 1.5 times PyTorch's largest error, on an element where PyTorch's is 0
    uneven = torch.tensor([1.0, 2.0, 3.0 * (1 + 3e-4)])
    assert _compare(uneven, ours([1.0 * (1 + 4.5e-4), 2.0, 3.0]), True, lambda: exact) is None
    assert _compare(uneven, ours([1.0 * (1 + 3e-3), 2.0, 3.0]), True, lambda: exact) is not None
    overflowed = torch.tensor([1.0, float("nan"), 3.0])
    assert _compare(overflowed, ours([1.0, 2.0, 3.0]), True, lambda: exact) is None
    assert _compare(theirs, ours([1.0, float("nan"), 3.0]), True, lambda: exact) is not None
    assert _compare(theirs, ours([1.0, 2.0, 3.0]), True, lambda: 1 / 0) is not None  # (no reference computed)


def test_half_type_rounding_order_is_judged_by_accuracy(monkeypatch):
    """End to end: PyTorch's bfloat16 cross rounds after each product, tensorgraft's once from
    float32 — a difference only without the float64 judge."""
    from tensorgraft.testing import _opinfo_runs, torch_values
    assert check_forward(OPINFOS["linalg.cross"], "bfloat16") == ("same", "")
    monkeypatch.setattr(_opinfo_runs, "WIDER", {})
    monkeypatch.setattr(torch_values, "WIDER", {})
    verdict, detail = check_forward(OPINFOS["linalg.cross"], "bfloat16")
    assert verdict == "different" and "values differ" in detail, detail


_UNBOUND_DUNDER = ("the error sample calls the unbound reflected operator with a Python number as ``self`` "
                   "(``Tensor.__radd__(3, t)``): PyTorch's C method refuses a non-tensor self; tensorgraft's "
                   "operators are Python functions, which Python only ever calls with a tensor there")
# op key -> why its error samples differ
KNOWN_ERRORS = {
    **{k: v for (k, dtype), v in KNOWN.items() if dtype == "*" and k in OPINFOS},
    **{k: _UNBOUND_DUNDER for k in ("__radd__", "__rmul__", "__rand__", "__ror__", "__rxor__")},
}


@pytest.mark.parametrize("key", sorted(k for k, o in OPINFOS.items() if o.error_inputs_func is not None))
def test_error_inputs_raise_as_pytorch(key):
    """Bad arguments (shapes, dtypes, devices, an out= overlapping an input): PyTorch's exception
    type, with a message matching PyTorch's pattern."""
    verdict, detail = check_error_inputs(OPINFOS[key])
    judge_verdict(verdict, detail, KNOWN_ERRORS.get(key))


def test_error_check_sees_a_missing_error(monkeypatch):
    """The checker itself: a dot that no longer checks its operands' dtypes is reported."""
    import tensorgraft
    monkeypatch.setattr(tensorgraft, "dot", lambda a, b, **kwargs: (a.double() * b.double()).sum())
    verdict, detail = check_error_inputs(OPINFOS["dot"])
    assert verdict == "different" and "PyTorch raises RuntimeError" in detail, detail


_COMPLEX_ADD_ALPHA = ("complex operands with an infinite part: PyTorch's add/sub compute a + alpha * b with a complex "
                      "multiplication by alpha = 1, where inf * 0 makes NaN of the other part; tensorgraft adds the "
                      "parts separately (C99's, NumPy's and Python's complex sum)")
_FLOAT32_SPECIAL = ("PyTorch computes this float32 special function in float32 arithmetic, which loses digits at "
                    "large or pole-adjacent arguments (e.g. airy_ai(-13437.7): -0.03304 against -0.03047); "
                    "tensorgraft's (SciPy's, in float64) agrees with mpmath there")
_UNBOUND_REFLECTED_NUMBER = ("the sample calls the unbound reflected operator with a Python number as self "
                             "(Tensor.__rpow__(2.5, t)); PyTorch's wrapper then computes pow(t, 2.5), tensorgraft's "
                             "answers NotImplemented, as Python's protocol expects; ``2.5 ** t`` agrees")
# (op key, dtype or "*") -> why outputs over the reference inputs differ
KNOWN_REFERENCE = {
    **{k: v for k, v in KNOWN.items() if k[1] == "*"},
    **{(k, "complex64"): _COMPLEX_ADD_ALPHA for k in ("add", "sub", "rsub", "__radd__", "__rsub__")},
    ("logaddexp", "complex64"): "logaddexp of complex infinities: PyTorch's formula gives NaN imaginary parts "
                                "(inf - inf inside), tensorgraft's keeps the infinite operand",
    ("float_power", "complex64"): "0 ** 0 in complex: PyTorch's float_power (exp(y log x) in complex128) gives NaN; "
                                  "tensorgraft gives 1, as torch.pow and Python do",
    **{("special.zeta", d): "zeta(1e20, 1e20): PyTorch's series gives NaN, tensorgraft (SciPy) the limit 0"
       for d in ("float32", "float64")},
    **{(k, "*"): _UNBOUND_REFLECTED_NUMBER for k in ("__rmod__", "__rpow__")},
    **{("special.airy_ai", d): _FLOAT32_SPECIAL + " (int64 inputs are computed in float32 too)"
       for d in ("float32", "int64")},
    ("special.airy_ai", "float64"): _PYTORCH_SPECIAL_FLOAT64.format("airy_ai"),
    ("special.bessel_j1", "float64"): _PYTORCH_SPECIAL_FLOAT64.format("bessel_j1"),
    ("special.bessel_j0", "float64"): KNOWN[("special.bessel_j0", "float64")],
    ("special.bessel_y1", "float64"): KNOWN[("special.bessel_y1", "float64")],
    ("where", "float16"): "a Python complex beside float16 values: PyTorch's result is complex32; " + _NO_COMPLEX32,
    ("complex", "float16"): KNOWN[("complex", "float16")],
}


@pytest.mark.parametrize("key, dtype", [(k, d) for k, d in _cases(FORWARD_DTYPES)
                                        if OPINFOS[k].reference_inputs_func is not None])
def test_reference_inputs_match_pytorch(key, dtype):
    """Outputs over PyTorch's reference inputs: extremal values (inf, NaN, huge and tiny magnitudes),
    type-promotion pairs and large inputs, beyond the samples above."""
    verdict, detail = check_reference_forward(OPINFOS[key], dtype)
    judge_verdict(verdict, detail, _known(KNOWN_REFERENCE, key, dtype))


# (op key, dtype or "*") -> why the Tensor method or in-place method differs
KNOWN_VARIANTS = {
    **{k: v for k, v in KNOWN.items() if k[1] == "*"},
    ("addbmm", "*"): "PyTorch's addbmm_ resizes a smaller self to the product's shape (its out= kernel writes into "
                     "self); tensorgraft refuses it as PyTorch's addmm_, baddbmm_ and addmv_ do: \"output with "
                     "shape [1] doesn't match the broadcast shape [5, 10]\"",
}


@pytest.mark.parametrize("key, dtype", [(k, d) for k, d in _cases(FORWARD_DTYPES)
                                        if OPINFOS[k].method_variant is not None
                                        or OPINFOS[k].inplace_variant is not None])
def test_method_and_inplace_variants_match_pytorch(key, dtype):
    """x.op(...) and x.op_(...) where PyTorch's OpInfo names them: the method's output, the in-place
    method's written input (or PyTorch's refusal, an int tensor given a float result)."""
    verdict, detail = check_variants(OPINFOS[key], dtype)
    judge_verdict(verdict, detail, _known(KNOWN_VARIANTS, key, dtype))


_FUNCTIONAL_OUT = ("PyTorch's nn.functional function is its C++ binding, which also takes an undocumented out=; "
                   "tensorgraft's nn.functional takes the documented signature")
# (op key, dtype or "*") -> why out= differs
KNOWN_OUT = {
    **{k: v for k, v in KNOWN.items() if k[1] == "*"},
    ("special.bessel_j0", "float64"): KNOWN[("special.bessel_j0", "float64")],
    ("special.bessel_y1", "float64"): KNOWN[("special.bessel_y1", "float64")],
    **{(f"nn.functional.{n}", "*"): _FUNCTIONAL_OUT for n in (
        "avg_pool2d", "avg_pool3d", "gelu", "hardshrink", "linear", "logsigmoid", "softplus", "softshrink")},
    ("native_batch_norm", "*"): "native_batch_norm is an ATen-level op; tensorgraft offers it for its three results, "
                                "without out=",
}


@pytest.mark.parametrize("key, dtype", [(k, d) for k, d in _cases(FORWARD_DTYPES) if OPINFOS[k].supports_out])
def test_out_matches_pytorch(key, dtype):
    """out=: each sample's result written into fresh tensors of PyTorch's result shapes and dtypes,
    which the call returns (None where PyTorch's returns None)."""
    verdict, detail = check_out(OPINFOS[key], dtype)
    judge_verdict(verdict, detail, _known(KNOWN_OUT, key, dtype))


# op key -> why func.vjp/jacrev/jvp/jacfwd differ (float64)
KNOWN_TRANSFORMS = {
    **{k: v for (k, dtype), v in KNOWN_GRADIENTS.items() if dtype == "*"},
    "var_mean": "forward AD of a mean over an empty tensor: PyTorch's formula divides the tangents' sum by 0 (NaN); "
                "the double vjp gives 0",
    **{f"nn.functional.max_unpool{n}d": "duplicate indices: PyTorch's forward formula (and tensorgraft's "
                                        "autograd.forward_ad) keep the tangent of the value the forward kept; "
                                        "func.jvp's double vjp sums the tangents written to one position"
       for n in (1, 2, 3)},
    "nn.functional.hardsigmoid": "hardsigmoid's backward has no derivative (as in PyTorch), so the double vjp that "
                                 "func.jvp takes raises PyTorch's error; PyTorch's func.jvp uses a forward formula "
                                 "(tensorgraft's autograd.forward_ad has one too)",
    "triangular_solve": "PyTorch's forward formula uses the whole tangent of A, where the op reads one triangle: "
                        "tensorgraft's tangent agrees with finite differences",
    "nn.functional.embedding": "padding_idx: PyTorch's forward formula gives the padding row its tangent, its backward "
                               "(and so the double vjp) gives it none",
}
KNOWN_TRANSFORMS["var_mean.unbiased"] = KNOWN_TRANSFORMS["var_mean"]


@pytest.mark.parametrize("key", [k for k, _ in _cases(("float64",))])
def test_func_transforms_match_pytorch(key):
    """func.vjp and func.jacrev (and func.jvp and func.jacfwd where PyTorch supports forward AD) of
    each operator over its first four samples of at most 64 elements (a Jacobian grows as the
    product of the input and output sizes)."""
    verdict, detail = check_func_transforms(OPINFOS[key], "float64", samples=4, max_numel=64)
    judge_verdict(verdict, detail, KNOWN_TRANSFORMS.get(key))
