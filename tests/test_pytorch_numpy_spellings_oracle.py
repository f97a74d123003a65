"""NumPy's spellings ``axis=``/``keepdims=`` of ``dim=``/``keepdim=``, held to PyTorch.

PyTorch's argument parser takes them for every C++-bound function (``torch.argsort(x, axis=0)``,
``torch.fft.fft(x, axis=0)``, ``x.cumsum_(axis=0)``) and its Python-defined ones do not
(``F.softmax(x, axis=0)`` is a TypeError). Two checks: every tensorgraft counterpart of a C++-bound
function whose PyTorch signature has ``dim``/``keepdim`` takes the NumPy names (read from the
signatures ``torch.overrides.get_testing_overrides`` gives each function), and PyTorch's OpInfo
samples that pass ``dim``/``keepdim`` by keyword give PyTorch's results with NumPy's names
(``opinfo.check_numpy_spellings``)."""
from __future__ import annotations

import inspect
import types

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("expecttest")  # PyTorch's test database imports it
pytest.importorskip("tensorgraft.nn")
pytest.importorskip("tensorgraft.autograd")

import tensorgraft  # noqa: E402
import tensorgraft.nn.functional  # noqa: E402
from tensorgraft.ops._frontend.axis_aliases import takes_dim  # noqa: E402
from tensorgraft.testing.opinfo import check_numpy_spellings, judge_verdict, op_database, op_key  # noqa: E402

OPINFOS = {op_key(o): o for o in op_database()}
_NAMESPACES = (("torch", torch, tensorgraft), ("torch.fft", torch.fft, tensorgraft.fft),
               ("torch.linalg", torch.linalg, tensorgraft.linalg), ("torch.special", torch.special, tensorgraft.special),
               ("torch.nn.functional", torch.nn.functional, tensorgraft.nn.functional),
               ("torch.Tensor", torch.Tensor, tensorgraft.Tensor))
# the signature get_testing_overrides gives is not the parser's here
_OVERRIDE_SIGNATURE_DIFFERS = {
    "torch.permute": "PyTorch's parameter is `dims` (its override signature says `dim`): the parser has no alias for it",
    "torch.Tensor.permute": "PyTorch's parameter is `dims` (its override signature says `dim`): the parser has no "
                            "alias for it",
}


def _bound_functions_with_dim():
    """``(path, tensorgraft's counterpart)`` for PyTorch's C++-bound functions and methods whose
    signature has ``dim`` or ``keepdim`` and which tensorgraft has."""
    where = {}
    for label, ns, ours in _NAMESPACES:
        for name in dir(ns):
            where.setdefault(id(getattr(ns, name, None)), []).append((f"{label}.{name}", ours, name))
    found = {}
    for fn, signature_of in torch.overrides.get_testing_overrides().items():
        if type(fn).__name__ not in ("builtin_function_or_method", "method_descriptor"):
            continue  # a Python-defined function: PyTorch's parser is not involved
        try:
            parameters = inspect.signature(signature_of).parameters
        except (TypeError, ValueError):
            continue
        if not {"dim", "keepdim"} & parameters.keys():
            continue
        for path, ours, name in where.get(id(fn), ()):
            counterpart = getattr(ours, name, None)
            if isinstance(counterpart, (types.FunctionType, types.MethodType)):
                found[path] = counterpart
    return found


BOUND_WITH_DIM = _bound_functions_with_dim()


def test_the_sweep_finds_the_functions_it_is_about():
    """(the list below is not empty by accident: it holds the functions this file exists for)"""
    for path in ("torch.argsort", "torch.Tensor.cumsum_", "torch.fft.fft", "torch.linalg.vector_norm",
                 "torch.special.log_softmax", "torch.nn.functional.cosine_similarity", "torch.sum"):
        assert path in BOUND_WITH_DIM, path
    assert "torch.nn.functional.softmax" not in BOUND_WITH_DIM  # (Python-defined in PyTorch)


def _translates(fn) -> bool:
    """Whether ``fn`` is, or wraps, ``with_axis_alias``'s translating wrapper (``__torch_function__``
    dispatch, once on — a Tensor subclass defined by an earlier test module turns it on — wraps the
    functions again and keeps what it calls as ``__torch_function_wrapped__``)."""
    while fn is not None:
        code = getattr(fn, "__code__", None)
        if code is not None and code.co_filename.endswith("axis_aliases.py"):
            return True
        fn = getattr(fn, "__torch_function_wrapped__", None) or getattr(fn, "__wrapped__", None)
    return False


@pytest.mark.parametrize("path", sorted(BOUND_WITH_DIM))
def test_every_bound_function_with_dim_takes_numpy_names(path):
    """tensorgraft's function takes ``axis=``/``keepdims=``: it names them itself (the hot
    reductions) or is wrapped to translate them (``with_axis_alias``)."""
    if path in _OVERRIDE_SIGNATURE_DIFFERS:
        pytest.skip(_OVERRIDE_SIGNATURE_DIFFERS[path])
    fn = BOUND_WITH_DIM[path]
    parameters = inspect.signature(fn).parameters
    translated = _translates(fn)
    assert "axis" in parameters or translated or not takes_dim(fn) and "kwargs" not in parameters, (
        f"{path} takes dim/keepdim but not NumPy's axis=/keepdims=, which PyTorch's parser accepts")


def test_python_defined_functions_keep_pytorchs_refusal():
    """F.softmax is Python in PyTorch, which refuses ``axis=``: so does tensorgraft."""
    with pytest.raises(TypeError):
        torch.nn.functional.softmax(torch.ones(2), axis=0)
    with pytest.raises(TypeError, match="axis"):
        tensorgraft.nn.functional.softmax(tensorgraft.ones(2), axis=0)


_PRIVATE = "a private ATen operator or CUDA jiterator kernel, not part of tensorgraft's API"
KNOWN = {k: _PRIVATE for k in (
    "_softmax_backward_data", "_native_batch_norm_legit", "_batch_norm_with_update", "_upsample_bilinear2d_aa",
    "torch.ops.aten._safe_softmax.default", "slice", "_unsafe_masked_index", "_unsafe_masked_index_put_accumulate",
    "_chunk_cat", "native_dropout_backward", "_segment_reduce.lengths", "_segment_reduce.offsets",
    "max_pool2d_with_indices_backward", "jiterator_unary", "jiterator_binary", "jiterator_4inputs_with_extra_args",
    "jiterator_binary_return_by_ref", "jiterator_2inputs_2outputs")}


@pytest.mark.parametrize("key", sorted(k for k, o in OPINFOS.items() if torch.float32 in o.supported_dtypes("cpu")))
def test_samples_with_numpy_names_match_pytorch(key):
    """Each sample passing dim/keepdim by keyword, given axis/keepdims instead, through the function
    and its Tensor method: PyTorch's result (where PyTorch's parser takes the NumPy names)."""
    verdict, detail = check_numpy_spellings(OPINFOS[key], "float32")
    judge_verdict(verdict, detail, KNOWN.get(key))
