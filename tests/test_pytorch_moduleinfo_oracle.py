"""PyTorch's ModuleInfo database run on tensorgraft (``tensorgraft.testing.moduleinfo``): every
``nn`` module PyTorch describes, built from each sample's constructor arguments with PyTorch's
weights copied in, gives PyTorch's outputs, state after the forward (running statistics) and
gradients (inputs and every parameter, by name) in each dtype PyTorch tests it in on the CPU, in
training and, where they differ, eval mode, and PyTorch's second-order gradients in float64 and
complex128; and its error samples raise PyTorch's exceptions.
Differences listed below with their reason are expected; a listed one that no longer differs fails
as stale, so the lists stay true.

Samples are capped per module (evenly spaced) to keep the run short: LinearCrossEntropyLoss alone
has ~850; the cap covers every sample of all but a few modules."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("expecttest")  # PyTorch's test database imports it
pytest.importorskip("tensorgraft.nn")
pytest.importorskip("tensorgraft.autograd")

from tensorgraft.testing.opinfo import judge_verdict  # noqa: E402
from tensorgraft.testing.moduleinfo import (  # noqa: E402
    check_module,
    check_module_errors,
    module_database,
    module_key,
)

INFOS = {module_key(i): i for i in module_database()}
DTYPES = ("float32", "float64", "float16", "bfloat16", "complex64", "complex128")  # where the ModuleInfo lists it
MAX_SAMPLES = 48

# (module key, dtype or "*", "train" | "eval" | "*") -> why tensorgraft differs on purpose or why the
# check cannot compare. Empty: every module agrees (see the fixes in
# packages/nn-layers/tests/test_s26_moduleinfo_fixes.py).
KNOWN: dict[tuple[str, str, str], str] = {}
# module key -> why its error samples differ
KNOWN_ERRORS: dict[str, str] = {}


def _cases():
    return [(key, d, mode) for key, info in sorted(INFOS.items()) for d in DTYPES
            if getattr(torch, d) in info.supported_dtypes("cpu")
            for mode in (("train", "eval") if info.train_and_eval_differ else ("train",))]


def _known(key, dtype, mode):
    for k in ((key, dtype, mode), (key, dtype, "*"), (key, "*", mode), (key, "*", "*")):
        if k in KNOWN:
            return KNOWN[k]
    return None


@pytest.mark.parametrize("key, dtype, mode", _cases())
def test_module_matches_pytorch(key, dtype, mode):
    verdict, detail = check_module(INFOS[key], dtype, training=mode == "train", max_samples=MAX_SAMPLES)
    judge_verdict(verdict, detail, _known(key, dtype, mode))


@pytest.mark.parametrize("key, dtype, mode", [(k, d, m) for k, d, m in _cases()
                                               if d in ("float64", "complex128") and INFOS[k].supports_gradgrad])
def test_module_second_gradients_match_pytorch(key, dtype, mode):
    """Second-order gradients (of the first ones, taken with create_graph=True) with respect to the
    inputs, the parameters and the incoming gradient: what gradient penalties and MAML differentiate."""
    verdict, detail = check_module(INFOS[key], dtype, training=mode == "train", max_samples=MAX_SAMPLES, order=2)
    judge_verdict(verdict, detail, _known(key, dtype, mode))


@pytest.mark.parametrize("key", sorted(k for k, i in INFOS.items() if i.module_error_inputs_func is not None))
def test_module_errors_match_pytorch(key):
    verdict, detail = check_module_errors(INFOS[key], "float32")
    judge_verdict(verdict, detail, KNOWN_ERRORS.get(key))


def test_known_lists_name_real_cases():
    cases = {(k, d, m) for k, d, m in _cases()}
    for key, dtype, mode in KNOWN:
        assert any(k == key and dtype in ("*", d) and mode in ("*", m) for k, d, m in cases), (key, dtype, mode)
    assert set(KNOWN_ERRORS) <= set(INFOS)


def test_checker_sees_wrong_outputs_state_gradients_and_errors(monkeypatch):
    """The checker itself: a module that is wrong in each way it compares is reported."""
    import tensorgraft
    import tensorgraft.nn.functional as F
    linear = INFOS["nn.Linear"]
    monkeypatch.setattr(tensorgraft.nn.Linear, "forward",
                        lambda self, input: F.linear(input, self.weight, self.bias) * 1.001)
    verdict, detail = check_module(linear, "float32")
    assert verdict == "different" and detail.startswith("forward: output 0: values differ"), detail
    # right values, wrong gradient: d(w*w/w.detach())/dw = 2, not 1
    monkeypatch.setattr(tensorgraft.nn.Linear, "forward",
                        lambda self, input: F.linear(input, self.weight * self.weight / self.weight.detach(), self.bias))
    verdict, detail = check_module(linear, "float64")
    assert verdict == "different" and detail.startswith("gradient of parameter 'weight'"), detail
    # right values and first gradients, wrong second ones: (w - w.detach())**2 adds 2 to d2/dw2
    monkeypatch.setattr(tensorgraft.nn.Linear, "forward",
                        lambda self, input: F.linear(input, self.weight, self.bias)
                        + ((self.weight - self.weight.detach()) ** 2).sum())
    assert check_module(linear, "float64") == ("same", "")
    verdict, detail = check_module(linear, "float64", order=2)
    assert verdict == "different" and detail.startswith("second gradient of parameter 'weight'"), detail
    forward = tensorgraft.nn.BatchNorm1d.forward

    def drifting(self, input):
        out = forward(self, input)
        if self.running_mean is not None:
            self.running_mean.add_(1e-3)
        return out
    monkeypatch.setattr(tensorgraft.nn.BatchNorm1d, "forward", drifting)
    verdict, detail = check_module(INFOS["nn.BatchNorm1d"], "float64", max_samples=4)
    assert verdict == "different" and detail.startswith("state running_mean"), detail
    monkeypatch.setattr(tensorgraft.nn.HuberLoss, "__init__",  # without the delta check
                        lambda self, reduction="mean", delta=1.0: tensorgraft.nn.L1Loss.__init__(self, reduction=reduction))
    verdict, detail = check_module_errors(INFOS["nn.HuberLoss"])
    assert verdict == "different" and "nothing raised" in detail, detail
