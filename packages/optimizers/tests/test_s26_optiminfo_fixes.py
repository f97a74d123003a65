"""Optimizer differences found by running PyTorch's OptimizerInfo database on tensorgraft
(``tensorgraft.testing.optiminfo``). Expected values were computed with PyTorch 2.13 (CPU) on the
same inputs; each test failed before its fix. The parameters take their gradients directly (no
autograd engine needed); ``differentiable=True`` runs on parameters that do not require grad."""
from __future__ import annotations

import re

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.optim._flat import RoundedScalar

_START = [[0.5, -1.25, 2.0], [0.75, -0.3, 1.1]]
_GRAD = [[0.1, -0.2, 0.3], [-0.4, 0.5, -0.6]]


def _three_steps(cls, sparse=False, **kwargs):
    """Three steps with gradient (k+1) * _GRAD + 0.05 * p, in float64."""
    p = tg.tensor(_START, dtype=tg.float64)
    opt = cls([p], **kwargs)
    for k in range(3):
        g = tg.tensor(_GRAD, dtype=tg.float64) * (k + 1) + 0.05 * p.detach()
        p.grad = g.to_sparse() if sparse else g
        opt.step()
    return p.numpy()


# PyTorch 2.13: the same three steps (torch.optim.<cls>, float64)
_ADAM = [[0.47054668507183967, -1.220506568662473, 1.9704940013728143],
         [0.779125676469933, -0.32920019672887735, 1.1291277916848697]]


@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_differentiable_takes_bias_corrections_from_the_float32_step(amsgrad):
    # PyTorch's differentiable path computes lr / bias_correction1 and sqrt(bias_correction2) as 0-d
    # float32 tensors and folds them into the denominator; tensorgraft used double precision
    # (1.7e-7 apart after two steps with lr=0.01)
    out = _three_steps(tg.optim.Adam, lr=0.01, amsgrad=amsgrad, differentiable=True)
    np.testing.assert_allclose(out, _ADAM, rtol=0, atol=1e-15)


def test_adamw_differentiable_takes_bias_corrections_from_the_float32_step():
    out = _three_steps(tg.optim.AdamW, lr=0.01, differentiable=True)
    np.testing.assert_allclose(out, [[0.4703996539362998, -1.2201345575009412, 1.9698970119213028],
                                     [0.7788977287390344, -0.32910723899246075, 1.1287948546098518]],
                               rtol=0, atol=1e-15)


def test_nadam_differentiable_keeps_mu_product_a_float32_tensor():
    # the step's coefficients -lr*(1-mu)/(1-mu_product) are 0-d float32 arithmetic in PyTorch's
    # differentiable path (2.3e-10 apart before)
    out = _three_steps(tg.optim.NAdam, lr=0.01, differentiable=True)
    np.testing.assert_allclose(out, [[0.47055652047092744, -1.2206340974403123, 1.9706592479605989],
                                     [0.7799599077538463, -0.32985747761203815, 1.1299571094723577]],
                               rtol=0, atol=1e-15)


def test_sparse_adam_tensor_lr_rounds_the_step_size_to_its_dtype():
    # lr * sqrt(bc2) / bc1 with a float32 tensor lr is float32 arithmetic in PyTorch (3e-10 apart before)
    out = _three_steps(tg.optim.SparseAdam, sparse=True, lr=tg.tensor(0.001))
    np.testing.assert_allclose(out, [[0.49705504929585753, -1.2470508285316602, 1.9970495059541227],
                                     [0.7529124615368551, -0.3029199428751884, 1.1029127152340037]],
                               rtol=0, atol=1e-15)


@pytest.mark.parametrize("params", [
    [tg.zeros(3).to_sparse()],
    [{"params": [tg.zeros(3)]}, {"params": [tg.zeros(3, dtype=tg.complex64).to_sparse()]}],
])
def test_sparse_adam_refuses_sparse_parameters(params):
    # PyTorch checks sparse parameters first (a sparse complex one gets this message too)
    where = "[[0, 0]]" if len(params) == 1 else "[[1, 0]]"
    with pytest.raises(ValueError, match=rf"^Sparse params at indices {re.escape(where)}: SparseAdam requires dense "
                                         r"parameter tensors$"):
        tg.optim.SparseAdam(params)


def test_rounded_scalar_number_divided_by_it_is_reciprocal_times_number():
    # PyTorch: 0.01 / (1 - 0.9 ** torch.tensor(1.0)) is Tensor.__rtruediv__ = reciprocal() * 0.01
    bc1 = RoundedScalar(0.10000002384185791, np.float32)
    assert float(0.01 / bc1) == 0.09999997913837433


def test_adam_tensor_betas_cube_as_pytorch_does():
    # beta1 ** step with a float32 tensor beta1 is PyTorch's pow_tensor_scalar, whose exponent 3 is
    # x * x * x (two roundings), not the correctly rounded power: 1e-9 apart at the third step before
    out = _three_steps(tg.optim.Adam, lr=0.01, betas=(tg.tensor(0.9), tg.tensor(0.99)))
    np.testing.assert_allclose(out, [[0.47058093970027925, -1.2205401134453713, 1.9705273152613343],
                                     [0.7790868296508372, -0.32916224056183324, 1.129088969362071]],
                               rtol=0, atol=1e-15)


@pytest.mark.parametrize("base, exponent, expected", [
    # PyTorch 2.13: float(torch.tensor(base) ** exponent)
    (0.99, 3.0, 0.9702990651130676), (0.999, 3.0, 0.9970030784606934), (0.99, -2.0, 1.0203039646148682),
    (0.9, -0.5, 1.0540926456451416), (0.999, -0.5, 1.0005004405975342), (0.9, 4.0, 0.6560999155044556),
])
def test_rounded_scalar_power_special_cases_exponents_as_pytorch(base, exponent, expected):
    assert float(RoundedScalar(base, np.float32) ** exponent) == expected
