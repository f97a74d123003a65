"""tensorgraft.return_types against torch.return_types: the class an op returns has PyTorch's name and
fields, and the names tensorgraft lacks are exactly PyTorch's ``<name>_out`` classes."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import tensorgraft as tg  # noqa: E402
from tensorgraft import return_types as rt  # noqa: E402

# names in torch.return_types that are helpers, not result classes
_TORCH_HELPERS = {"SequenceKey", "all_return_types", "inspect", "name", "pytree_register_structseq",
                  "register_pytree_node", "return_types", "torch"}


def _torch_result_names():
    return {n for n in dir(torch.return_types) if not n.startswith("_") and n not in _TORCH_HELPERS}


def test_names_against_pytorch():
    theirs = _torch_result_names()
    ours = set(rt.__all__) - {"all_return_types"}
    assert ours == {n for n in theirs if not n.endswith("_out")}
    # what tensorgraft lacks: only the classes of PyTorch's results of out= calls (here those return the
    # ordinary class)
    assert theirs - ours == {n for n in theirs if n.endswith("_out")}


@pytest.mark.parametrize("name", sorted(set(rt.__all__) - {"all_return_types"}))
def test_fields_match(name):
    assert getattr(rt, name)._fields == getattr(torch.return_types, name).__match_args__


def _calls(lib):
    rng = np.random.default_rng(12)
    x = lib.tensor(rng.standard_normal((3, 3)))
    s = x @ x.T + 3 * lib.eye(3, dtype=x.dtype)
    return [lambda: lib.max(x, 0), lambda: x.sort(), lambda: lib.topk(x, 2), lambda: lib.aminmax(x),
            lambda: lib.frexp(x), lambda: lib.histogram(x.float()), lambda: lib.linalg.eigh(s),
            lambda: lib.linalg.lstsq(x, x), lambda: lib.linalg.lu_factor(x), lambda: lib.slogdet(x),
            lambda: lib.svd(x), lambda: lib.qr(x), lambda: lib.triangular_solve(x, s), lambda: lib.cummin(x, 1),
            lambda: lib.linalg.inv_ex(x), lambda: lib.geqrf(x), lambda: lib.lu_unpack(*lib.linalg.lu_factor(x))]


def test_an_op_returns_the_class_pytorch_names():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # torch.qr / triangular_solve are deprecated there
        theirs = [call() for call in _calls(torch)]
    for result, call in zip(theirs, _calls(tg)):
        ours = call()
        assert isinstance(ours, getattr(rt, type(result).__name__))
        for a, b in zip(result, ours):
            np.testing.assert_allclose(np.asarray(b.detach().numpy()), a.detach().numpy(), rtol=1e-6, atol=1e-8)
