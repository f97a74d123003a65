"""How the optimizers' constructors compare their hyper-parameters: SGD as ``value < 0`` (a NaN is
accepted, a str fails on ``<``), the others as ``0.0 <= value`` — what PyTorch's code does, so the
same call fails (or not) with the same error."""
import math

import pytest

import tensorgraft as tg


def params():
    return [tg.randn(2)]  # (the optim-only environment has neither tensorgraft-nn nor autograd)


@pytest.mark.parametrize("name", ["lr", "momentum", "weight_decay"])
def test_sgd_accepts_nan_and_reports_a_str_on_less_than(name):
    opt = tg.optim.SGD(params(), **{name: math.nan})
    assert math.isnan(opt.param_groups[0][name])
    with pytest.raises(TypeError, match="^'<' not supported between instances of 'str' and 'float'$"):
        tg.optim.SGD(params(), **{name: "0.1"})
    with pytest.raises(ValueError, match=f"^Invalid {'learning rate' if name == 'lr' else name + ' value'}: -1$"):
        tg.optim.SGD(params(), **{name: -1})


def test_sgd_refuses_a_many_element_tensor_lr_first():
    with pytest.raises(ValueError, match="^Tensor lr must be 1-element$"):
        tg.optim.SGD(params(), lr=tg.ones(2), momentum=-1)


def test_adam_refuses_nan_and_reports_a_str_on_less_equal():
    with pytest.raises(ValueError, match="^Invalid learning rate: nan$"):
        tg.optim.Adam(params(), lr=math.nan)
    with pytest.raises(TypeError, match="^'<=' not supported between instances of 'float' and 'str'$"):
        tg.optim.Adam(params(), lr="0.1")
