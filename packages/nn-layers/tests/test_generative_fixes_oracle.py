"""The ``gen_*`` program fixes against PyTorch: the warnings ``F.upsample`` and ``nn.Upsample`` give
(category and text) and their values."""
import warnings

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.testing.oracle import to_numpy

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("call", [
    lambda lib, x: lib.nn.functional.upsample(x, scale_factor=2, mode="bilinear", align_corners=False),
    lambda lib, x: lib.nn.functional.upsample(x, size=(3, 5), mode="nearest"),
    lambda lib, x: lib.nn.Upsample(scale_factor=2, mode="bilinear")(x),
    lambda lib, x: lib.nn.UpsamplingNearest2d(scale_factor=2)(x),
])
def test_upsample_warnings_and_values_match(call):
    data = np.arange(8, dtype=np.float32).reshape(1, 2, 2, 2)
    results = []
    for lib in (tg, torch):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            y = call(lib, lib.tensor(data))
        results.append((to_numpy(y), [(w.category, str(w.message)) for w in caught]))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-6)
    assert results[0][1] == results[1][1]
