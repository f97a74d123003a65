"""``SymInt``/``SymFloat``/``SymBool``: present for code that checks ``isinstance(n, (int, torch.SymInt))``;
eager sizes are plain Python numbers (PyTorch 2.13 eager mode: the same isinstance results)."""
import pytest

import tensorgraft as torch
from tensorgraft.types import py_sym_types


def test_isinstance_checks_see_plain_numbers():
    size = torch.ones(3, 4).shape[0]
    assert type(size) is int and isinstance(size, (int, torch.SymInt))
    assert not isinstance(size, torch.SymInt) and not isinstance(2.5, torch.SymFloat) and not isinstance(True, torch.SymBool)
    assert not isinstance(size, py_sym_types) and py_sym_types == (torch.SymInt, torch.SymFloat, torch.SymBool)
    assert not issubclass(torch.SymBool, int)  # (PyTorch's are plain classes, not int subclasses)
    assert repr(torch.SymInt) == "<class 'tensorgraft.SymInt'>"


@pytest.mark.parametrize("cls, plain", [("SymInt", "int"), ("SymFloat", "float"), ("SymBool", "bool")])
def test_creating_one_says_there_are_no_symbolic_shapes(cls, plain):
    with pytest.raises(TypeError, match=f"tensorgraft.{cls} cannot be created: tensorgraft runs eagerly .* "
                                        f"use a Python {plain} instead"):
        getattr(torch, cls)(object())
