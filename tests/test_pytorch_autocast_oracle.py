"""``autocast("cpu")`` held to PyTorch: which ops run in bfloat16 (or float16), which in float32.

Two sources, both read from the installed PyTorch: ``AutocastCPUTestLists``
(``torch.testing._internal.autocast_test_lists``, what PyTorch's own CPU autocast tests run: the
lower-precision list — convolutions, mm, linear, ... —, the float32 list — the losses, 3-d pools,
reflection and replication pads — and ops that promote), run under ``autocast`` in bfloat16 and in
float16; and every OpInfo's samples in float32 and bfloat16 under ``autocast("cpu")``
(``opinfo.check_autocast``). Outputs must have PyTorch's dtypes and values, except the differences
listed below; a listed difference that no longer differs fails as stale."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("expecttest")  # PyTorch's test database imports it
pytest.importorskip("tensorgraft.nn")
pytest.importorskip("tensorgraft.autograd")

from torch.testing._internal.autocast_test_lists import AutocastCPUTestLists  # noqa: E402

import tensorgraft  # noqa: E402
from tensorgraft.testing.opinfo import (  # noqa: E402
    _compare, check_autocast, judge_verdict, op_database, op_key, to_tensorgraft,
)

torch.manual_seed(0)
_LISTS = AutocastCPUTestLists("cpu")


def _cases():
    """(case id, module name, op name, args, kwargs, autocast dtype name) for each entry of the
    lists, as PyTorch's CPU autocast tests run them (the promoting ops with their bfloat16 and
    float16 argument sets)."""
    cases = []
    for kind, module in (("torch_expect_builtin_promote", "torch"), ("methods_expect_builtin_promote", None),
                         ("torch_need_autocast_promote", "torch")):
        for op, bf16_args, fp16_args, *_ in getattr(_LISTS, kind):
            cases += [(f"{kind}-{op}-bfloat16", module, op, bf16_args, {}, "bfloat16"),
                      (f"{kind}-{op}-float16", module, op, fp16_args, {}, "float16")]
    for kind, module, dtypes in (("torch_16", "torch", ("bfloat16", "float16")), ("nn_16", "_C._nn", ("bfloat16",
                                 "float16")), ("torch_fp32", "torch", ("bfloat16",)), ("nn_fp32", "_C._nn",
                                                                                         ("bfloat16",))):
        for entry in getattr(_LISTS, kind):
            op, args, kwargs = entry[0], entry[1], entry[2] if len(entry) > 2 else {}
            cases += [(f"{kind}-{op}-{d}", module, op, args, kwargs, d) for d in dtypes]
    return cases


CASES = {c[0]: c[1:] for c in _cases()}
_PRIVATE = "a private ATen operator, not part of tensorgraft's API"
# case id -> why it is not compared (tensorgraft lacks the function PyTorch's test calls)
NOT_COMPARED = {
    **{k: _PRIVATE for k in CASES if "-_addmm_activation-" in k or "-_native_multi_head_attention-" in k},
    **{k: "tensorgraft._C._nn has the C++ bindings PyTorch programs call (linear, avg_pool3d, ...), not every "
          "loss and pad of PyTorch's (its nn.functional functions are there: tested below through the OpInfos)"
       for k in CASES if k.startswith("nn_fp32-") and k.split("-")[1] not in ("avg_pool3d",)},
}
# case id -> why tensorgraft's result differs
KNOWN = {
    "torch_16-conv_tbc-bfloat16": "one bfloat16 ulp in a few outputs: the sums of products are accumulated in "
                                  "another order",
}


def _run(lib, module, op, args, kwargs, amp):
    """The op's results inside autocast: the module function's and the Tensor method's (where each
    exists, as PyTorch's test tries both)."""
    namespace = None if module is None else lib if module == "torch" else lib._C._nn
    with lib.amp.autocast(device_type="cpu", dtype=getattr(lib, amp)):
        found = []
        if namespace is not None and hasattr(namespace, op):
            found.append(getattr(namespace, op)(*args, **kwargs))
        if hasattr(lib.Tensor, op):
            found.append(getattr(args[0], op)(*args[1:], **kwargs))
    return found


@pytest.mark.parametrize("case", sorted(CASES))
def test_autocast_lists_match_pytorch(case):
    if case in NOT_COMPARED:
        pytest.skip(NOT_COMPARED[case])
    module, op, args, kwargs, amp = CASES[case]
    expected = _run(torch, module, op, args, kwargs, amp)
    actual = _run(tensorgraft, module, op, to_tensorgraft(args), to_tensorgraft(kwargs), amp)
    assert len(actual) == len(expected) > 0, f"{op}: {len(actual)} results, PyTorch {len(expected)}"
    differences = [why for e, a in zip(expected, actual) if (why := _compare(e, a, True))]
    judge_verdict("different" if differences else "same", "; ".join(differences), KNOWN.get(case))


_BF16_ROUNDING = ("the bfloat16 result differs outside autocast as well (PyTorch rounds its kernel's intermediate "
                  "steps to bfloat16): not an autocast difference")
_COMPOSITE_LOWERED = ("PyTorch's composite reaches its mm/bmm, which autocast lowers to bfloat16, on this path; "
                      "tensorgraft's runs as one op in float32")
_OPINFO_PRIVATE = "a private ATen operator (torch.ops.aten / torch._*) or CUDA jiterator kernel, not tensorgraft's API"
# (op key, dtype or "*") -> why the result differs under autocast
KNOWN_OPINFO = {
    **{(k, "*"): _OPINFO_PRIVATE for k in (
        "_batch_norm_with_update", "_chunk_cat", "_native_batch_norm_legit", "_segment_reduce.lengths",
        "_segment_reduce.offsets", "_softmax_backward_data", "_unsafe_masked_index",
        "_unsafe_masked_index_put_accumulate", "_upsample_bilinear2d_aa", "jiterator_2inputs_2outputs",
        "jiterator_4inputs_with_extra_args", "jiterator_binary", "jiterator_binary_return_by_ref", "jiterator_unary",
        "native_dropout_backward", "slice", "torch.ops.aten._safe_softmax.default",
        "max_pool2d_with_indices_backward")},
    ("chalf", "*"): "tensorgraft has no complex32 (ComplexHalf) dtype",
    ("as_strided.partial_views", "*"): "the checker hands over contiguous copies: a view of a larger storage is not "
                                       "reproduced",
    **{(k, "bfloat16"): _BF16_ROUNDING for k in ("cross", "linalg.cross", "nn.functional.instance_norm",
                                                 "nn.functional.bilinear", "matrix_exp")},
    **{(k, "float32"): _COMPOSITE_LOWERED for k in ("einsum", "tensordot", "linalg.pinv", "linalg.pinv.hermitian",
                                                    "nn.functional.bilinear", "matrix_exp")},
}
OPINFOS = {op_key(o): o for o in op_database()}


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
@pytest.mark.parametrize("key", sorted(OPINFOS))
def test_opinfo_samples_under_autocast_match_pytorch(key, dtype):
    verdict, detail = check_autocast(OPINFOS[key], dtype)
    judge_verdict(verdict, detail, KNOWN_OPINFO.get((key, dtype), KNOWN_OPINFO.get((key, "*"))))


def test_autocast_check_sees_a_missing_cast(monkeypatch):
    """(the check fails when an op of PyTorch's float32 list is left in bfloat16)"""
    from tensorgraft.amp import _state
    monkeypatch.setattr(type(_state.state), "fp32", staticmethod(lambda *tensors: tensors))
    verdict, detail = check_autocast(OPINFOS["nn.functional.huber_loss"], "bfloat16")
    assert verdict == "different" and "dtype bfloat16, PyTorch float32" in detail
