"""Gaps found by the ``gen_*`` programs' probes (tests/programs): ``F.upsample`` is deprecated in
favour of ``F.interpolate`` and says so, while ``nn.Upsample`` (not deprecated) stays silent."""
import warnings

import pytest

import tensorgraft as tg
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F


def test_functional_upsample_warns_and_interpolates():
    x = tg.tensor([[[1.0, 2.0]]])
    with pytest.warns(UserWarning, match=r"^`nn.functional.upsample` is deprecated. "
                                          r"Use `nn.functional.interpolate` instead.$") as caught:
        y = F.upsample(x, scale_factor=2)
    assert caught[0].filename == __file__  # points at the caller, not at tensorgraft
    assert y.tolist() == [[[1.0, 1.0, 2.0, 2.0]]]


def test_upsample_module_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = nn.Upsample(scale_factor=2, mode="bilinear")(tg.ones(1, 1, 2, 2))
    assert y.shape == (1, 1, 4, 4)
