"""A view made before its base (or another view of the base) is changed in place takes the base's
new history when it is used (PyTorch's view regeneration: ``AsStridedBackward0``), instead of the
stale history it was made with. Expected gradients are PyTorch 2.13's."""
from __future__ import annotations

import math

import numpy as np
import pytest

import tensorgraft as tg


def _x(n=3):
    return tg.tensor([float(i + 1) for i in range(n)], dtype=tg.float64, requires_grad=True)


def test_a_view_sees_the_in_place_change_of_its_base():
    x = _x()
    h = x * 1
    v = h[1:]
    h.exp_()
    out = v * 2
    assert type(v.grad_fn).__name__ == "AsStridedBackward0"
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 2 * math.e ** 2, 2 * math.e ** 3])


def test_a_view_sees_the_in_place_change_of_a_sibling_view():
    x = _x()
    h = x * 1
    v1, v2 = h[:2], h[1:]
    v1.mul_(10)
    (v2 ** 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 400.0, 6.0])


@pytest.mark.parametrize("make", [
    lambda h: h.view(2, 2), lambda h: h.view(2, 2).t(), lambda h: h[1], lambda h: h.unsqueeze(0),
    lambda h: h.narrow(0, 1, 2), lambda h: h.flatten(), lambda h: h.as_strided((2,), (2,)),
])
def test_every_kind_of_view(make):
    x = _x(4)
    expected_x = _x(4)
    h = x * 1
    v = make(h)
    h.exp_()
    (v * 3).sum().backward()
    # the same values taken after the in-place change: the gradient PyTorch gives
    h2 = (expected_x * 1).exp()
    (make(h2) * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), expected_x.grad.numpy())


def test_a_view_through_a_transposed_base():
    x = _x(4)
    h = (x * 1).view(2, 2).t()
    v = h[0]
    h.mul_(3)
    (v * 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 0.0, 6.0, 0.0])


def test_backward_from_a_stale_view_itself():
    x = _x()
    h = x * 1
    v = h[1:]
    h.mul_(5)
    v.backward(tg.ones(2, dtype=tg.float64))
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 5.0, 5.0])


def test_in_place_on_a_stale_view():
    x = _x()
    h = x * 1
    v1, v2 = h[:2], h[1:]
    v1.mul_(10)
    v2.mul_(2)  # its old value is the one the sibling's write changed
    h.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [10.0, 20.0, 2.0])


def test_views_of_a_multi_output_op_are_refused_after_the_change():
    x = _x(4)
    h = x * 1
    a, b = h.split(2)
    h.exp_()
    with pytest.raises(RuntimeError, match="Output 1 of Split is a view and its base or another view of its base "
                                           "has been modified inplace"):
        b * 2


def test_a_change_under_no_grad_keeps_the_gradient_of_the_view():
    x = _x()
    h = x * 1
    v = h[1:]
    with tg.no_grad():
        h.mul_(2)
    (v * 1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 1.0, 1.0])


def test_an_unchanged_view_keeps_its_own_node():
    x = _x()
    v = (x * 1)[1:]
    assert type((v * 2).grad_fn.next_functions[0][0]).__name__ == "SliceBackward0"
