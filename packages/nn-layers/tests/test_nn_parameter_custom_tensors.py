"""``nn.Parameter`` of a custom Tensor subclass keeps the subclass (marked ``_is_param``, so
``isinstance(p, nn.Parameter)`` holds and Modules register it), and Parameter subclasses and such
tensors print as ``Parameter(...)``: PyTorch's behaviour, checked against it where installed."""
from __future__ import annotations

import pytest

import tensorgraft as tg
import tensorgraft.nn  # noqa: F401  (the part under test)


def _story(m):
    class MyT(m.Tensor):
        pass

    class MyParam(m.nn.Parameter):
        pass

    d = m.ones(2).as_subclass(MyT)
    r = m.nn.Parameter(d)
    out = [type(r).__name__, isinstance(r, m.nn.Parameter), r.requires_grad, r.is_leaf, r is d, repr(r),
           isinstance(d, m.nn.Parameter), isinstance(m.ones(1), m.nn.Parameter)]
    lin = m.nn.Linear(2, 1)
    lin.weight = m.nn.Parameter(m.ones(1, 2).as_subclass(MyT))
    out.append([(n, type(p).__name__) for n, p in lin.named_parameters()])
    y = lin(m.ones(3, 2))
    y.sum().backward()
    out += [type(y).__name__, lin.weight.grad.tolist(), type(lin.weight.grad).__name__]
    out.append(repr(m.nn.Parameter(d, requires_grad=False)))
    out.append(repr(MyParam(m.ones(2))))
    out.append(str(MyParam(m.ones(2), requires_grad=False)))
    out.append(repr(m.nn.Parameter(m.ones(2))))
    try:
        m.nn.Parameter(m.arange(3).as_subclass(MyT))
    except RuntimeError as e:
        out.append(str(e))
    return out


def test_custom_tensor_parameters_behave_as_in_pytorch():
    out = _story(tg)
    assert out[:5] == ["MyT", True, True, True, False]
    assert out[5] == "Parameter(MyT([1., 1.], requires_grad=True))"
    assert out[8] == [("weight", "MyT"), ("bias", "Parameter")]
    assert out[9:12] == ["MyT", [[3.0, 3.0]], "Tensor"]


def test_matches_pytorch():
    torch = pytest.importorskip("torch")
    assert _story(tg) == _story(torch)
