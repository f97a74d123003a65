"""tensorgraft.return_types against torch.return_types: the class an op returns has PyTorch's name and
fields, and the names tensorgraft lacks are only PyTorch's private results (``_linalg_svd``...)."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
from tensorgraft import return_types as rt  # noqa: E402

# names in torch.return_types that are helpers, not result classes
_TORCH_HELPERS = {"SequenceKey", "all_return_types", "inspect", "name", "pytree_register_structseq",
                  "register_pytree_node", "return_types", "torch"}


def _torch_result_names():
    return {n for n in dir(torch.return_types) if not n.startswith("_") and n not in _TORCH_HELPERS}


def test_names_against_pytorch():
    theirs = _torch_result_names()
    ours = set(rt.__all__) - {"all_return_types"}
    assert ours == theirs


@pytest.mark.parametrize("name", sorted(set(rt.__all__) - {"all_return_types"}))
def test_fields_match(name):
    assert getattr(rt, name)._fields == getattr(torch.return_types, name).__match_args__


# the class each op returns, its printed text and values: test_core_result_tuples_oracle.py
