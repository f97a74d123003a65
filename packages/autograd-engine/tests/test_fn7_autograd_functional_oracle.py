"""``torch.autograd.functional.jacobian``/``hessian`` with ``strict=True, vectorize=True``: PyTorch
runs the function and applies strict mode's first check before refusing the pair, so an output
independent of the inputs (or a linear function under hessian) gets that check's error."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
from tensorgraft.testing.oracle import assert_same_error  # noqa: E402

A = [0.5, 1.0, -0.3]
B = [2.0, 3.0, 1.5]

CASES = {
    "dependent": lambda m: m.autograd.functional.jacobian(lambda x: x.sin(), m.tensor(A), strict=True, vectorize=True),
    "independent": lambda m: m.autograd.functional.jacobian(lambda x: m.tensor(B) * 2, m.tensor(A), strict=True,
                                                            vectorize=True),
    "tuple_partly": lambda m: m.autograd.functional.jacobian(lambda x, y: x * 2, (m.tensor(A), m.tensor(B)),
                                                             strict=True, vectorize=True),
    "forward_mode": lambda m: m.autograd.functional.jacobian(lambda x: m.tensor(B) * 2, m.tensor(A), strict=True,
                                                             vectorize=True, strategy="forward-mode"),
    "hessian": lambda m: m.autograd.functional.hessian(lambda x: (x ** 2).sum(), m.tensor(A), strict=True,
                                                       vectorize=True),
    "hessian_independent": lambda m: m.autograd.functional.hessian(lambda x: (m.tensor(B) ** 2).sum(), m.tensor(A),
                                                                   strict=True, vectorize=True),
    "hessian_linear": lambda m: m.autograd.functional.hessian(lambda x: x.sum(), m.tensor(A), strict=True,
                                                              vectorize=True),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_strict_with_vectorize_errors(case):
    assert_same_error(CASES[case])
