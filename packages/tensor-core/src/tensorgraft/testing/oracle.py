"""Check tensorgraft code against PyTorch, the specification: the helpers tensorgraft's own
``*_oracle.py`` tests use, offered to plugin authors who want to hold their ops to the same standard.

An oracle test runs the same call in both libraries and compares what comes out::

    import pytest
    torch = pytest.importorskip("torch")          # the test is skipped where PyTorch is not installed

    from tensorgraft.testing.oracle import (as_both, assert_same_error, assert_values_close, grad_fn_name,
                                            seeded_normal)

    def test_my_op_matches_pytorch():
        x, tx = as_both(seeded_normal(2, 3, seed=1), requires_grad=True)
        y, ty = my_op(x), torch_equivalent(tx)
        assert_values_close(y, ty)                # shape, dtype, values (PyTorch's default tolerances)
        assert grad_fn_name(y) == grad_fn_name(ty)
        y.sum().backward(); ty.sum().backward()
        assert_values_close(x.grad, tx.grad)
        assert_same_error(lambda: my_op(x[0, 0]), lambda: torch_equivalent(tx[0, 0]))

Where the same code runs unchanged on either library, write it once as a function of the library
module (``lambda lib: lib.zeros(2, 3).sum(dim=5)``) and pass it alone to ``run_in_both`` or
``assert_same_error``, which call it with ``tensorgraft`` and with ``torch``.

PyTorch is a test-time oracle, never a dependency of tensorgraft: this module imports it only inside
the helpers that need it, so importing ``tensorgraft.testing.oracle`` works without it, and a helper
that needs it says how to install it. ``seeded_normal``, ``to_numpy``, ``grad_fn_name``, ``error_of``,
``assert_values_close`` and ``assert_same_error`` given two callables take whatever tensors they are
handed and never import torch themselves.
"""
from __future__ import annotations

import re

import numpy as np

__all__ = ["require_torch", "seeded_normal", "to_numpy", "grad_fn_name", "error_of", "as_both", "run_in_both",
           "assert_same_refusal",
           "assert_values_close", "assert_same_result", "assert_same_error"]


def require_torch():
    """The ``torch`` module, or a ``ModuleNotFoundError`` saying to install it (a helper that
    compares with PyTorch cannot run without PyTorch)."""
    try:
        import torch
    except ImportError as exc:
        raise ModuleNotFoundError(
            "tensorgraft.testing.oracle compares with PyTorch, which is not installed: `pip install torch` "
            "in the test environment (tensorgraft itself never needs it), or skip the test with "
            "`pytest.importorskip('torch')`", name="torch") from exc
    return torch


def seeded_normal(*shape, seed=0, scale=1.0, dtype=np.float64) -> np.ndarray:
    """Test data: an array of ``shape`` drawn from a normal distribution of standard deviation
    ``scale``, by a generator of its own seeded with ``seed``, so a test gets the same numbers
    whichever tests ran before it. Feed it to ``as_both`` to give both libraries the same input."""
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(dtype)


def to_numpy(t) -> np.ndarray:
    """A NumPy array of ``t``'s values: a tensorgraft or torch tensor is detached and brought to the
    host, a torch tensor's lazy conjugate/negative bit resolved first (its ``.numpy()`` refuses
    those); anything else goes through ``np.asarray``."""
    if not hasattr(t, "detach"):
        return np.asarray(t)
    t = t.detach()
    if hasattr(t, "resolve_conj"):
        t = t.resolve_conj().resolve_neg()
    if str(t.dtype).endswith("bfloat16"):
        t = t.float()  # both libraries refuse bfloat16 .numpy(); float32 holds every value exactly
    return np.asarray(t.cpu().numpy())


def grad_fn_name(t):
    """The class name of the node that recorded ``t`` (``"AddBackward0"``), or ``None`` for a
    tensor without history; the same for tensorgraft and torch tensors, so the two can be compared."""
    return None if t.grad_fn is None else type(t.grad_fn).__name__


def error_of(call):
    """``(exception class name, message)`` of what ``call()`` raises, or ``None`` when it returns:
    two outcomes compare with ``==`` (``error_of(lambda: ours()) == error_of(lambda: theirs())``)."""
    try:
        call()
    except Exception as exc:  # noqa: BLE001 - which exception is raised is what is being recorded
        return type(exc).__name__, str(exc)
    return None


def as_both(data, *, dtype=None, requires_grad=False):
    """The same data as a tensorgraft tensor and a torch tensor: ``(ours, theirs)``. ``data`` is
    anything ``tensor()`` takes (a NumPy array, nested lists, a number); ``dtype`` is a name such
    as ``"float32"`` (default: what ``tensor()`` infers, the same in both libraries)."""
    torch = require_torch()
    import tensorgraft
    ours = tensorgraft.tensor(data, dtype=None if dtype is None else getattr(tensorgraft, dtype),
                              requires_grad=requires_grad)
    theirs = torch.tensor(data, dtype=None if dtype is None else getattr(torch, dtype), requires_grad=requires_grad)
    return ours, theirs


def run_in_both(call):
    """``(call(tensorgraft), call(torch))``: one test case written against the library module."""
    torch = require_torch()
    import tensorgraft
    return call(tensorgraft), call(torch)


def _default_tolerances(dtype: np.dtype, bfloat16: bool = False) -> tuple[float, float]:
    """``torch.testing.assert_close``'s (rtol, atol) for results of ``dtype`` (of bfloat16 when
    ``bfloat16``): exact for integers."""
    from .. import dtypes
    from .comparison import _PRECISIONS as _TOLS
    return _TOLS.get(dtypes.bfloat16 if bfloat16 else dtypes._BY_NUMPY.get(dtype), (0.0, 0.0))


def _as_wide(a: np.ndarray) -> np.ndarray:
    # compared in double precision, so the comparison itself adds no float32 rounding
    return a.astype(np.complex128 if a.dtype.kind == "c" else np.float64)


def assert_values_close(ours, theirs, *, rtol=None, atol=None, equal_nan=True, check_dtype=True, msg=""):
    """``ours`` (tensorgraft) holds ``theirs``'s (PyTorch's) values: the same shape, the same dtype
    (``check_dtype=False`` to skip), and every element within ``atol + rtol * |theirs|``. Either
    argument may be a tensor of either library or an array. Tolerances left out are PyTorch's
    ``assert_close`` defaults for ``theirs``'s dtype (exact for integers and bools). A NaN matches a
    NaN (``equal_nan=False`` to count it as a mismatch). Raises ``AssertionError`` naming the
    mismatch; ``msg`` is put in front of it."""
    a, b = to_numpy(ours), to_numpy(theirs)
    prefix = f"{msg}: " if msg else ""
    if check_dtype:
        ours_dtype = str(getattr(ours, "dtype", a.dtype)).rsplit(".", 1)[-1]
        theirs_dtype = str(getattr(theirs, "dtype", b.dtype)).rsplit(".", 1)[-1]
        if ours_dtype != theirs_dtype:
            raise AssertionError(f"{prefix}dtype {ours_dtype} where PyTorch gives {theirs_dtype}")
    if a.shape != b.shape:
        raise AssertionError(f"{prefix}shape {a.shape} where PyTorch gives {b.shape}")
    if rtol is None or atol is None:
        bfloat16 = str(getattr(theirs, "dtype", "")).endswith("bfloat16")  # held as float32 in ``b``
        default_rtol, default_atol = _default_tolerances(b.dtype, bfloat16)
        rtol = default_rtol if rtol is None else rtol
        atol = default_atol if atol is None else atol
    np.testing.assert_allclose(_as_wide(a), _as_wide(b), rtol=rtol, atol=atol, equal_nan=equal_nan, err_msg=msg)


def assert_same_result(ours, theirs, *, rtol=None, atol=None, check_dtype=True, check_requires_grad=True,
                       path="result"):
    """A whole result matches PyTorch's, structure included: a tensor where PyTorch returns a tensor
    (same shape, ``requires_grad`` and, via ``assert_values_close``, dtype and values), a tuple or
    list of the same type and length where PyTorch returns one, a dict with the same keys in the
    same order, and ``==`` for anything else. Failures name the place (``result[1]['x']``)."""
    torch = require_torch()
    import tensorgraft
    if isinstance(theirs, torch.Tensor):
        if not isinstance(ours, tensorgraft.Tensor):
            raise AssertionError(f"{path}: {type(ours).__name__} where PyTorch gives a Tensor")
        if check_requires_grad and ours.requires_grad != theirs.requires_grad:
            raise AssertionError(f"{path}: requires_grad={ours.requires_grad} where PyTorch gives "
                                 f"{theirs.requires_grad}")
        assert_values_close(ours, theirs, rtol=rtol, atol=atol, check_dtype=check_dtype, msg=path)
    elif isinstance(theirs, (tuple, list)):
        if type(ours) is not type(theirs) and type(ours).__name__ != type(theirs).__name__:
            raise AssertionError(f"{path}: {type(ours).__name__} where PyTorch gives {type(theirs).__name__}")
        if len(ours) != len(theirs):
            raise AssertionError(f"{path}: {len(ours)} items where PyTorch gives {len(theirs)}")
        for k, (o, t) in enumerate(zip(ours, theirs)):
            assert_same_result(o, t, rtol=rtol, atol=atol, check_dtype=check_dtype,
                               check_requires_grad=check_requires_grad, path=f"{path}[{k}]")
    elif isinstance(theirs, dict):
        if not isinstance(ours, dict) or list(ours) != list(theirs):
            raise AssertionError(f"{path}: {ours!r} where PyTorch gives a dict with keys {list(theirs)}")
        for k in theirs:
            assert_same_result(ours[k], theirs[k], rtol=rtol, atol=atol, check_dtype=check_dtype,
                               check_requires_grad=check_requires_grad, path=f"{path}[{k!r}]")
    elif ours != theirs:
        raise AssertionError(f"{path}: {ours!r} where PyTorch gives {theirs!r}")


def assert_same_refusal(call):
    """``call(lib)`` raises NotImplementedError in both libraries, and tensorgraft's message starts
    with PyTorch's dispatcher sentence (``Could not run 'aten::_softmax' with arguments from the
    'SparseCPU' backend``), followed by ``:`` and tensorgraft's own advice; PyTorch's text about
    selective builds is not copied. For what neither library implements (an op on a layout)."""
    torch = require_torch()
    import tensorgraft
    messages = []
    for lib in (tensorgraft, torch):
        exc = _raised(lambda: call(lib))
        if not isinstance(exc, NotImplementedError):
            raise AssertionError(f"{lib.__name__} raised {exc!r}, not NotImplementedError")
        messages.append(str(exc))
    ours, theirs = messages
    sentence = theirs.split(" This could be")[0].rstrip(".")
    if not ours.startswith(sentence + ":"):
        raise AssertionError(f"tensorgraft's refusal does not start with PyTorch's:\n  tensorgraft: {ours}\n"
                             f"  PyTorch:     {theirs}")


def _raised(call):
    try:
        call()
    except Exception as exc:  # noqa: BLE001 - any exception is an outcome to compare
        return exc
    return None


# Mismatches PyTorch's CPU build words in two ways, by the kernel path it takes on the CPU at hand
# (a half convolution goes through oneDNN only where the CPU has AVX-512 bf16 instructions):
# (PyTorch's other wording, as a pattern, and the wording tensorgraft gives). tensorgraft's
# message does not depend on the CPU; either of PyTorch's is accepted for it.
_CPU_DEPENDENT_WORDINGS = (
    (re.compile(r"expected scalar type (\w+) but found (\w+)"),
     r"Input type (torch.\1Tensor) and weight type (torch.\2Tensor) should be the same or input should be a "
     r"MKLDNN tensor and weight is a dense tensor"),
)


def _same_up_to_cpu(got_text: str, expected_text: str) -> bool:
    for pattern, ours in _CPU_DEPENDENT_WORDINGS:
        m = pattern.fullmatch(expected_text)
        if m is not None and m.expand(ours) == got_text:
            return True
    return False


def assert_same_error(ours, theirs=None, *, normalize=None):
    """Both calls raise an exception of the same class name with the same message, so user code
    that catches PyTorch's error, or checks its text, works unchanged. ``ours`` and ``theirs`` are
    callables taking no argument; or pass one callable taking the library module
    (``lambda lib: lib.ones(2).view(3)``) and it is called with torch and with tensorgraft.
    ``normalize`` maps each message before they are compared (``lambda m: m.split("\\n")[0]`` to
    compare first lines only). PyTorch's call runs first; it must raise. Returns our exception."""
    if theirs is None:
        torch = require_torch()
        import tensorgraft
        call = ours
        ours, theirs = (lambda: call(tensorgraft)), (lambda: call(torch))
    expected = _raised(theirs)
    if expected is None:
        raise AssertionError("PyTorch raised no error: there is no error to match")
    got = _raised(ours)
    if got is None:
        raise AssertionError(f"tensorgraft raised nothing where PyTorch raises {type(expected).__name__}: {expected}")
    if type(got).__name__ != type(expected).__name__:
        raise AssertionError(f"tensorgraft raises {type(got).__name__} ({got}) where PyTorch raises "
                             f"{type(expected).__name__} ({expected})")
    got_text, expected_text = str(got), str(expected)
    if normalize is not None:
        got_text, expected_text = normalize(got_text), normalize(expected_text)
    if got_text != expected_text and not _same_up_to_cpu(got_text, expected_text):
        raise AssertionError(f"{type(got).__name__} messages differ:\n  tensorgraft: {got_text}\n"
                             f"  PyTorch:     {expected_text}")
    return got
