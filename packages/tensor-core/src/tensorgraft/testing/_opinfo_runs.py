"""What every OpInfo check shares: the database, the tensorgraft callable an OpInfo names, its
samples converted, a sample described, and a verdict judged by pytest."""
from __future__ import annotations

import copy
import types

from .as_tensorgraft import _rebound, _resolve, _test_code_counterpart
from .torch_values import WIDER, Unconvertible, to_tensorgraft, widened

# ops whose values depend on random draws (or on uninitialised memory): dtype and shape are compared
RANDOM_OPS = frozenset({
    "bernoulli", "normal", "uniform", "cauchy", "exponential", "geometric", "log_normal", "multinomial",
    "rand_like", "randn_like", "randint_like", "randint", "randn", "rand", "randperm", "poisson",
    "empty", "empty_like", "new_empty", "empty_strided", "new_empty_strided", "empty_permuted",
    "nn.functional.dropout", "nn.functional.dropout2d", "nn.functional.dropout3d", "nn.functional.alpha_dropout",
    "nn.functional.feature_alpha_dropout", "nn.functional.rrelu", "nn.functional.gumbel_softmax",
    "nn.functional.fractional_max_pool2d", "nn.functional.fractional_max_pool3d",
    "nn.functional.scaled_dot_product_attention", "nn.functional.multi_head_attention_forward",
    "svd_lowrank", "pca_lowrank", "item",
})


def op_database():
    """PyTorch's ``op_db`` (importing it takes a few seconds)."""
    from torch.testing._internal.common_methods_invocations import op_db
    return op_db


def op_key(opinfo) -> str:
    """``name`` or ``name.variant``: unique within the database."""
    return opinfo.name + (f".{opinfo.variant_test_name}" if opinfo.variant_test_name else "")


def tensorgraft_callable(opinfo):
    """The tensorgraft function the OpInfo's ``op`` names (by its path in ``torch``), a Tensor
    method for a method descriptor, or PyTorch's wrapper lambda rebound to tensorgraft."""
    import torch

    import tensorgraft
    op = opinfo.op
    ours = _test_code_counterpart(op)
    if ours is not None:
        return ours
    try:
        if _resolve(torch, opinfo.name) is op:
            return _resolve(tensorgraft, opinfo.name)
    except AttributeError:
        pass
    name = getattr(op, "__name__", opinfo.name.split(".")[-1])
    if getattr(tensorgraft.Tensor, name, None) is not None and getattr(torch.Tensor, name, None) is op:
        return lambda self, *args, **kwargs: getattr(self, name)(*args, **kwargs)
    return _resolve(tensorgraft, opinfo.name)  # AttributeError: tensorgraft lacks it


def _describe(sample) -> str:
    shape = tuple(sample.input.shape) if hasattr(sample.input, "shape") else type(sample.input).__name__
    return f"input {shape}, args {str(sample.args)[:160]}, kwargs {str(sample.kwargs)[:160]}"


def _processed(sample, out, rebind):
    """The sample's ``output_process_fn_grad`` applied (what PyTorch's own tests compare: it makes
    outputs with free choices unique — the signs of singular vectors, say)."""
    fn = sample.output_process_fn_grad
    if rebind and isinstance(fn, types.FunctionType) and fn.__module__.startswith("torch.testing"):
        fn = _rebound(fn)
    return fn(out)


def _wide_sample(sample, dtype_name):
    """The sample with its ``dtype_name`` tensors in float64 (``widened``), for the reference result
    a low-precision comparison falls back on; None for the other dtypes."""
    if dtype_name not in WIDER:
        return None
    wide = copy.copy(sample)
    wide.input, wide.args, wide.kwargs = widened((sample.input, sample.args, dict(sample.kwargs)))
    return wide


def _exact_forward(opinfo, sample, dtype_name, processed=True):
    """None, or a callable giving PyTorch's output for the sample in float64 (``processed`` by the
    sample's ``output_process_fn_grad``, as the checks compare outputs; an in-place variant's
    written input is compared as it is)."""
    wide = _wide_sample(sample, dtype_name)
    if wide is None:
        return None

    def exact():
        import torch
        torch.manual_seed(0)
        out = opinfo.op(wide.input, *wide.args, **wide.kwargs)
        return _processed(wide, out, False) if processed else out
    return exact


def _prepared(opinfo, dtype_name, requires_grad):
    """(tensorgraft function, samples) or a ("skipped", why) verdict."""
    import torch
    dtype = getattr(torch, dtype_name)
    if dtype not in opinfo.supported_dtypes("cpu"):
        return ("skipped", f"PyTorch's {opinfo.name} does not support {dtype_name} on the CPU")
    if requires_grad and not opinfo.supports_autograd:
        return ("skipped", f"{opinfo.name} is not differentiable")
    try:
        ours = tensorgraft_callable(opinfo)
    except AttributeError:
        return ("different", f"tensorgraft has no {opinfo.name}")
    return ours, list(opinfo.sample_inputs("cpu", dtype, requires_grad=requires_grad))


def _converted(sample):
    """The sample's ``(args, kwargs)`` for tensorgraft, or None where something has no counterpart."""
    try:
        return to_tensorgraft((sample.input, *sample.args)), to_tensorgraft(dict(sample.kwargs))
    except Unconvertible:
        return None


def _convertible(samples):
    """``(sample, args, kwargs)`` for each sample whose arguments convert (``_converted``)."""
    for sample in samples:
        converted = _converted(sample)
        if converted is not None:
            yield sample, *converted


def _raised(exc, sample):
    first_line = str(exc).splitlines()[0][:200] if str(exc) else ""
    return ("different", f"{type(exc).__name__}: {first_line} ({_describe(sample)})")


def judge_verdict(verdict: str, detail: str, known) -> None:
    """A pytest test's outcome for a check's verdict: pass when "same", skip when "skipped", xfail
    when listed as a known difference (``known`` is its reason) — and fail when a listed one is now
    the same, so lists of known differences stay true."""
    import pytest
    if known is not None:
        assert verdict != "same", f"listed as different ({known}) but now the same: remove it from the list"
        pytest.xfail(known)
    if verdict == "skipped":
        pytest.skip(detail)
    assert verdict == "same", detail
