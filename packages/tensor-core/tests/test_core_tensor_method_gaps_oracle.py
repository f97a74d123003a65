"""The Tensor methods of ops/tensor_method_gaps.py against PyTorch: values, graph node names, answers
and error messages."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import tensorgraft as tg  # noqa: E402
import tensorgraft.ops.tensor_method_gaps  # noqa: F401,E402  (the unit under test; whether `import tensorgraft`
#   loads it by itself is test_core_tensor_method_gaps.py::test_import_tensorgraft_installs_the_methods)


def _pair(*shape, seed=0, requires_grad=False):
    a = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    return (torch.tensor(a, requires_grad=requires_grad), tg.tensor(a, requires_grad=requires_grad))


def _error(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - the error itself is compared
            return type(exc).__name__, str(exc)
    return None


@pytest.mark.parametrize("call", [
    lambda lib, x: x.prelu(lib.tensor([0.25])), lambda lib, x: x.prelu(lib.tensor([0.1, 0.2, 0.3])),
    lambda lib, x: x.hardshrink(), lambda lib, x: x.hardshrink(0.8), lambda lib, x: x.hardshrink(lambd=0),
    lambda lib, x: x.to_dense(lib.float64), lambda lib, x: x.to_dense(),
])
def test_values_and_nodes_match(call):
    pytest.importorskip("tensorgraft.nn", reason="prelu/hardshrink call tensorgraft-nn's functions")
    tx, gx = _pair(2, 3, 4, requires_grad=True)
    theirs, ours = call(torch, tx), call(tg, gx)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-6)
    assert type(ours.grad_fn).__name__ == type(theirs.grad_fn).__name__
    assert str(ours.dtype) == str(theirs.dtype)
    theirs.sum().backward()
    ours.sum().backward()
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("call", [
    lambda lib, x: x.prelu(0.1), lambda lib, x: x.prelu(lib.ones(2)), lambda lib, x: x.hardshrink("a"),
    lambda lib, x: x.to_dense("float"), lambda lib, x: x.to_dense(masked_grad=3), lambda lib, x: x.values(),
    lambda lib, x: x.indices(), lambda lib, x: x.is_coalesced(), lambda lib, x: x.coalesce(),
    lambda lib, x: x.crow_indices(), lambda lib, x: x.col_indices(), lambda lib, x: x.ccol_indices(),
    lambda lib, x: x.row_indices(), lambda lib, x: lib.hardshrink(x, "a"),
    lambda lib, x: x.long().hardshrink(), lambda lib, x: x.long().prelu(lib.tensor([1])),
])
def test_errors_match(call):
    pytest.importorskip("tensorgraft.nn", reason="prelu/hardshrink call tensorgraft-nn's functions")
    tx, gx = _pair(2, 3)
    expected = _error(lambda: call(torch, tx))
    assert expected is not None and _error(lambda: call(tg, gx)) == expected


def test_answers_match():
    tx, gx = _pair(2, 3)
    for name in ("sparse_dim", "dense_dim", "is_distributed"):
        assert getattr(gx, name)() == getattr(tx, name)()
    assert tg.tensor(1.0).dense_dim() == torch.tensor(1.0).dense_dim()


# (the classes' constructors, names and printout: test_core_legacy_storage_names_oracle.py)
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8",
                                   "bool", "complex64", "complex128"])
def test_storage_types_match(dtype):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.zeros(2, dtype=getattr(torch, dtype)).storage_type()
        ours = tg.zeros(2, dtype=getattr(tg, dtype)).storage_type()
        assert ours.__name__ == theirs.__name__ and str(ours.dtype) == str(theirs.dtype)
        assert ours([1, 0]).tolist() == theirs([1, 0]).tolist() and len(ours(3)) == len(theirs(3))
        assert isinstance(tg.zeros(2, dtype=getattr(tg, dtype)).storage(), ours) == \
            isinstance(torch.zeros(2, dtype=getattr(torch, dtype)).storage(), theirs)
