"""The ``*_like`` factories refuse what is not a tensor as PyTorch's argument parser does, naming the
type as CPython's ``tp_name`` (``numpy.ndarray``, a bare ``list``). ``rand_like``/``randn_like``/
``randint_like`` used to fail inside with ``AttributeError: 'numpy.ndarray' object has no attribute
'_data'``; the others said ``ndarray``."""
import numpy as np
import pytest

import tensorgraft as tg

LIKES = {"empty_like": (), "zeros_like": (), "ones_like": (), "full_like": (2.0,), "rand_like": (),
         "randn_like": (), "randint_like": (3,)}


@pytest.mark.parametrize("wrong,shown", [(np.array([1.0]), "numpy.ndarray"), ([1.0], "list"), (2.5, "float")])
@pytest.mark.parametrize("name", sorted(LIKES))
def test_like_factories_name_the_wrong_type(name, wrong, shown):
    with pytest.raises(TypeError) as info:
        getattr(tg, name)(wrong, *LIKES[name])
    assert str(info.value) == f"{name}(): argument 'input' (position 1) must be Tensor, not {shown}"


def test_tensors_still_pass():
    x = tg.ones(2, 3)
    for name, extra in LIKES.items():
        assert tuple(getattr(tg, name)(x, *extra).shape) == (2, 3)
