"""Which two-operand functions take a Python number, and where: PyTorch declares some for tensors
only (``torch.maximum(x, 0.)`` is a TypeError) and others with a number for ``other`` but not for
``input`` (``torch.eq(2., x)``); the operators take numbers on either side."""
import pytest

torch = pytest.importorskip("torch")

import tensorgraft as tg  # noqa: E402
from tensorgraft.ops._frontend import TENSOR_ONLY, _NO_NUMBER_FIRST  # noqa: E402
from tensorgraft.testing.oracle import assert_same_error  # noqa: E402


@pytest.mark.parametrize("name", sorted(TENSOR_ONLY | _NO_NUMBER_FIRST | {"add", "mul", "pow", "remainder", "xlogy"}))
@pytest.mark.parametrize("form", ["number_other", "int_other", "number_first", "method"])
def test_number_operands_as_pytorch(name, form):
    def call(m):
        x = m.tensor([1.5, 2.0]) if form != "int_other" else m.tensor([1, 2])
        if form == "number_first":
            return getattr(m, name)(2.0, x)
        if form == "method":
            return getattr(x, name)(2.0)
        return getattr(m, name)(x, 2 if form == "int_other" else 2.0)
    ours, theirs = tg, torch
    try:
        expected = call(theirs)
    except TypeError:
        assert_same_error(lambda: call(ours), lambda: call(theirs))
        return
    except Exception:  # noqa: BLE001 - another refusal (an integer kernel) is not what this test is about
        return
    got = call(ours)
    assert got.tolist() == expected.tolist()


def test_operators_still_take_numbers():
    x = tg.tensor([1.0, 3.0])
    assert (2.0 > x).tolist() == [True, False] and (x > 2.0).tolist() == [False, True]
    assert tg.maximum(x, tg.tensor(2.0)).tolist() == [2.0, 3.0]


@pytest.mark.parametrize("expr", [lambda m, x: 2 * x, lambda m, x: 1 + x, lambda m, x: m.mul(2, x),
                                  lambda m, x: m.add(1, x), lambda m, x: 2.5 * x * x, lambda m, x: x * 2])
def test_number_operand_edges_as_pytorch(expr):
    # the reflected operators of add/mul swap the operands (edges [x, None]); the functions do not
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")

    def edges(m):
        r = expr(m, m.ones(2, requires_grad=True))
        return type(r.grad_fn).__name__, [type(n[0]).__name__ if n[0] is not None else None
                                          for n in r.grad_fn.next_functions]
    assert edges(tg) == edges(torch)
