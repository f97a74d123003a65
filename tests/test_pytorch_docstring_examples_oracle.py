"""PyTorch's own docstring examples, run on tensorgraft: each must display what it displays on PyTorch
(``tensorgraft.testing.docstring_examples``), except the differences listed below with their reason.

A new difference fails the test with the example and both outputs; a listed one that no longer
differs fails it too, so the list stays the list of what is really different."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("tensorgraft.nn")
pytest.importorskip("tensorgraft.optim")

from tensorgraft.testing.docstring_examples import collect_examples, compare_module  # noqa: E402

MODULES = [
    "torch", "torch.nn", "torch.nn.functional", "torch.linalg", "torch.fft", "torch.special",
    "torch.distributions", "torch.distributions.constraints", "torch.optim", "torch.optim.lr_scheduler",
    "torch.optim.swa_utils", "torch.autograd", "torch.autograd.graph", "torch.autograd.forward_ad",
    "torch.autograd.function", "torch.autograd.functional", "torch.func", "torch.nn.utils",
    "torch.nn.utils.rnn", "torch.nn.utils.parametrize", "torch.nn.utils.parametrizations",
    "torch.nn.utils.prune", "torch.nn.utils.stateless", "torch.nn.init", "torch.nn.grad", "torch.nn.attention",
    "torch.nn.parallel", "torch.utils.data", "torch.utils.data.distributed", "torch.utils.checkpoint",
    "torch.utils.hooks", "torch.utils.dlpack", "torch.sparse", "torch.masked", "torch.nested",
    "torch.signal.windows", "torch.overrides", "torch.library", "torch.testing", "torch.profiler",
    "torch.serialization", "torch.cuda", "torch.compiler", "torch.accelerator", "torch.fx", "torch.amp",
    "torch.futures",
]

# qualname of the docstring -> why its output differs on purpose (docs/user-guide/differences.md)
_UNINITIALISED = "uninitialised memory: tensorgraft's empty tensors are zero-filled"
_QUANTIZED = "quantized tensors are not part of tensorgraft"
_RANDOM_SEED = "a non-deterministic seed, different on every run in either library"
_ROUNDING = ("float rounding: the example prints a tolerance check (allclose, dist) on float32 results that "
             "sits at the edge of their rounding, where a last-bit difference of the solver flips it")
_MAKE_FX = "torch.fx.experimental.proxy_tensor.make_fx (ATen-level tracing) is not there"
KNOWN = {
    "torch.Tensor.new_empty": _UNINITIALISED,
    "torch.Tensor.new_empty_strided": _UNINITIALISED,
    "torch.empty": _UNINITIALISED,
    "torch.empty_strided": _UNINITIALISED,
    "torch.nn.utils.skip_init": _UNINITIALISED,
    "torch.Generator.seed": _RANDOM_SEED,
    "torch.vmap": "the repr of torch.dot: a C builtin in PyTorch, a Python function here",
    "torch.func.vmap": "the repr of torch.dot: a C builtin in PyTorch, a Python function here",
    "torch.set_flush_denormal": "NumPy cannot set the CPU's flush-to-zero mode: returns False",
    "torch.conj": "conjugation is materialised: is_conj() is False",
    "torch.resolve_conj": "conjugation is materialised: is_conj() is False",
    "torch.resolve_neg": "negation is materialised: is_neg() is False",
    "torch.fake_quantize_per_channel_affine": _QUANTIZED,
    "torch.fake_quantize_per_tensor_affine": _QUANTIZED,
    "torch.quantize_per_channel": _QUANTIZED,
    "torch.quantize_per_tensor": _QUANTIZED,
    "torch.quantize_per_tensor_dynamic": _QUANTIZED,
    "torch.quantized_batch_norm": _QUANTIZED,
    "torch.quantized_max_pool1d": _QUANTIZED,
    "torch.quantized_max_pool2d": _QUANTIZED,
    "torch.cholesky_inverse": _ROUNDING,
    "torch.linalg.lu_solve": _ROUNDING,
    "torch.linalg.solve": _ROUNDING,
    "torch.linalg.solve_triangular": _ROUNDING,
    "torch.func.functionalize": _MAKE_FX,
    "torch.library.register_fake": _MAKE_FX,
    "torch.library.wrap_triton": "Triton kernels need a GPU compiler tensorgraft does not use",
    "torch.library.triton_op": "Triton kernels need a GPU compiler tensorgraft does not use",
    "torch.library.get_kernel": "torch.DispatchKey (the C++ dispatcher's keys) is not offered; get_kernel takes "
                                "their names as strings",
    "torch.cuda.cudart": "the CUDA runtime bindings of PyTorch's CUDA build (torch.cuda.cudart) are not offered",
    "torch.overrides.get_testing_overrides": "the dummies have each function's real signature (PyTorch's "
                                             "hand-written lambdas leave some parameters out, e.g. add's alpha)",
    "torch.testing.assert_close": "a NumPy array is compared as a tensor (PyTorch raises TypeError), as the op "
                                  "conformance kit compares results with NumPy references",
    "torch.profiler.record_function": "tensorgraft records no backward-pass events (autograd::engine::...), whose "
                                      "long names widen PyTorch's Name column",
    "torch.serialization.add_safe_globals": "the example's class lives in no importable module: PyTorch's "
                                            "pickler refuses to save it, tensorgraft's saves it",
    "torch.serialization.safe_globals": "the example's class lives in no importable module: PyTorch's "
                                        "pickler refuses to save it, tensorgraft's saves it",
    "torch.compiler.substitute_in_graph": "torch.compile runs the function eagerly: there is no tracer to refuse "
                                          "a builtin",
}


@pytest.mark.parametrize("module_name", MODULES)
def test_docstring_examples_display_what_pytorch_displays(module_name):
    differences = {d.qualname: d for d in compare_module(module_name)}
    new = [str(d) for name, d in differences.items() if name not in KNOWN]
    assert not new, "examples that display something else than on PyTorch:\n" + "\n".join(new)
    examined = {qualname for qualname, _ in collect_examples(module_name)}
    # (PyTorch's uninitialised memory and random seeds may happen to print what tensorgraft prints)
    stale = [name for name in KNOWN if name in examined and name not in differences
             and KNOWN[name] not in (_UNINITIALISED, _RANDOM_SEED)]
    assert not stale, f"listed as different but now the same (remove from KNOWN): {stale}"
