"""ops/removed_functions.py against PyTorch: the functions removed in 1.9 (``torch.solve``,
``lstsq``, ``symeig``, ``eig``, ``matrix_rank`` and the Tensor methods) raise PyTorch's error, with
its advice, for every way old code calls them; wrong arity is still a TypeError."""
from __future__ import annotations

import inspect

import pytest

torch = pytest.importorskip("torch")
import tensorgraft as tg  # noqa: E402

CALLS = [
    lambda lib, a: lib.solve(a, a), lambda lib, a: lib.solve(a, a, out=None), lambda lib, a: lib.lstsq(input=a, A=a),
    lambda lib, a: lib.symeig(a), lambda lib, a: lib.symeig(a, eigenvectors=True, upper=False),
    lambda lib, a: lib.eig(a), lambda lib, a: lib.eig(a, True), lambda lib, a: lib.matrix_rank(a),
    lambda lib, a: lib.matrix_rank(a, 1e-3, True), lambda lib, a: a.solve(a), lambda lib, a: a.lstsq(a),
    lambda lib, a: a.symeig(True), lambda lib, a: a.eig(eigenvectors=True),
    lambda lib, a: lib.solve(a), lambda lib, a: a.solve(a, a),
]


def _error(lib, call):
    try:
        call(lib, lib.eye(2))
    except Exception as exc:  # noqa: BLE001 - the error itself is compared
        return type(exc).__name__, str(exc).replace("Tensor.", "")  # (a method's TypeError names its class)
    return None


@pytest.mark.parametrize("k", range(len(CALLS)))
def test_error_matches_pytorch(k):
    theirs, ours = _error(torch, CALLS[k]), _error(tg, CALLS[k])
    assert theirs is not None
    assert ours == theirs


@pytest.mark.parametrize("name", ["solve", "lstsq", "symeig", "eig", "matrix_rank"])
def test_signature_matches_pytorch(name):
    theirs = inspect.signature(getattr(torch, name))
    ours = inspect.signature(getattr(tg, name))
    assert [(p.name, p.kind, p.default) for p in ours.parameters.values()] == \
        [(p.name, p.kind, p.default) for p in theirs.parameters.values()]


def test_no_tensor_matrix_rank():
    assert hasattr(torch.Tensor, "matrix_rank") is hasattr(tg.Tensor, "matrix_rank") is False
