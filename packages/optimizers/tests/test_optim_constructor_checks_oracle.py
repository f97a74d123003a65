"""Every built-in optimizer's constructor, every keyword given NaN or a str: the same outcome as
PyTorch's (accepted, or the same exception type and message)."""
import inspect
import math

import pytest

import tensorgraft as tg

torch = pytest.importorskip("torch")

NAMES = ["SGD", "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "Adagrad", "Adadelta", "RMSprop", "Rprop", "ASGD",
         "LBFGS", "SparseAdam", "Adafactor"]


def outcome(lib, name, key, value):
    cls = getattr(lib.optim, name)
    try:
        cls([lib.randn(2).requires_grad_()], **{key: value})
        return "accepted"
    except Exception as e:  # noqa: BLE001 - the outcome compared is whatever was raised
        return f"{type(e).__name__}: {e}"


@pytest.mark.parametrize("name", NAMES)
def test_constructor_checks_match_pytorch(name):
    keys = [k for k in inspect.signature(getattr(torch.optim, name).__init__).parameters if k not in ("self", "params")]
    for key in keys:
        for value in (math.nan, "s"):
            assert outcome(tg, name, key, value) == outcome(torch, name, key, value), (name, key, value)
