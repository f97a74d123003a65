"""Conformance-kit samples and NumPy references of the indexing ops (``OpDef.extra``), attached
once all of them are registered. Test data rather than op code, hence kept out of the op modules."""
from __future__ import annotations

import numpy as np

from .._define import CORE_OPS as _CORE_OPS
from ..shape.samples import attach_samples as _attach


# --------------------------------------------------------------------------- conformance samples
def _mk(shape, dtype, device, seed=0, lo=-2.0, hi=2.0):
    from ...testing import make_tensor
    return make_tensor(shape, dtype=dtype, device=device, low=lo, high=hi, seed=seed)


def _it(data, device, dtype=None):
    from ..creation import tensor
    return tensor(data, dtype=dtype, device=device)


def _samples(build):
    def samples(dtype, device):
        x = _mk((3, 4), dtype, device, 60)
        return build(x, dtype, device)
    return samples


def _setitem_samples(dtype, device):
    from ...testing.conformance import Sample
    x = _mk((3, 4), dtype, device, 61)
    return [Sample((x, (0, slice(1, 3)), 1.5), grad=()), Sample((x, [0, 2], _mk((4,), dtype, device, 62)), grad=())]


def _np_gather(a, d, idx):
    return np.take_along_axis(a, idx, d)


def _np_index_fill(a, d, idx, v):
    out = a.copy()
    np.moveaxis(out, d, 0)[idx] = v
    return out


_INDEX_SAMPLES = {
    "__setitem__": (_setitem_samples, None, {"mutates": (0,)}),
    "index_put": (_samples(lambda x, dt, dev: [((x, (_it([0, 2], dev),), _mk((2, 4), dt, dev, 63)), {}),
                                               ((x, (_it([1, 1], dev), _it([0, 0], dev)), _mk((2,), dt, dev, 64), True),
                                                {})]), None),
    "gather": (_samples(lambda x, dt, dev: [((x, 1, _it([[0, 3], [1, 1], [2, 0]], dev)), {})]), _np_gather),
    "scatter": (_samples(lambda x, dt, dev: [((x, 0, _it([[2, 0, 1, 0]], dev), _mk((1, 4), dt, dev, 65)), {}),
                                             ((x, 1, _it([[3], [0], [1]], dev)), {"value": 0.5})]), None),
    "scatter_add": (_samples(lambda x, dt, dev: [((x, 0, _it([[2, 0, 2, 0]], dev), _mk((1, 4), dt, dev, 66)), {})]),
                    None),
    "scatter_reduce": (_samples(lambda x, dt, dev: [((x, 0, _it([[2, 0, 2, 0], [2, 1, 2, 0]], dev),
                                                     _mk((2, 4), dt, dev, 73), r), {"include_self": inc})
                                                   for r in ("sum", "mean", "amax") for inc in (True, False)]), None),
    "index_select": (_samples(lambda x, dt, dev: [((x, 1, _it([3, 0, 3], dev)), {})]),
                     lambda a, d, i: np.take(a, i, d)),
    "index_add": (_samples(lambda x, dt, dev: [((x, 0, _it([2, 2], dev), _mk((2, 4), dt, dev, 67)), {"alpha": 2.0})]),
                  None),
    "index_copy": (_samples(lambda x, dt, dev: [((x, 1, _it([3, 0], dev), _mk((3, 2), dt, dev, 68)), {})]), None),
    "index_fill": (_samples(lambda x, dt, dev: [((x, 1, _it([1, 2], dev), -1.0), {})]), _np_index_fill),
    "masked_fill": (_samples(lambda x, dt, dev: [((x, _it([True, False, True, False], dev), 0.5), {})]),
                    lambda a, m, v: np.where(m, v, a)),
    "masked_select": (_samples(lambda x, dt, dev: [((x, _it([[True, False, True, True]], dev)), {})]),
                      lambda a, m: np.broadcast_to(a, np.broadcast_shapes(a.shape, m.shape))[
                          np.broadcast_to(m, np.broadcast_shapes(a.shape, m.shape))]),
    "masked_scatter": (_samples(lambda x, dt, dev: [((x, _it([True, False, True, False], dev),
                                                      _mk((3, 4), dt, dev, 69)), {})]), None),
    "take": (_samples(lambda x, dt, dev: [((x, _it([[0, 11], [-1, 5]], dev)), {})]),
             lambda a, i: a.reshape(-1)[i]),
    "take_along_dim": (_samples(lambda x, dt, dev: [((x, _it([[1], [0], [3]], dev), 1), {}),
                                                    ((x, _it([7, 0], dev)), {})]), None),
    "nonzero": (_samples(lambda x, dt, dev: [((x,), {}), ((x,), {"as_tuple": True})]), None),
    "argwhere": (_samples(lambda x, dt, dev: [((x,), {})]), np.argwhere),
    "searchsorted": (lambda dt, dev: [((_it([1.0, 2.0, 4.0], dev, dt), _mk((2, 3), dt, dev, 70)), {}),
                                      ((_it([[1.0, 2.0], [0.0, 3.0]], dev, dt), _mk((2, 3), dt, dev, 71)),
                                       {"right": True})], None),
    "_where_method": (lambda dt, dev: [((_mk((2, 3), dt, dev, 74), _mk((2, 3), dt, dev, 75) > 0, 0.5), {})],
                      lambda a, c, o: np.where(c, a, o)),
    "bucketize": (lambda dt, dev: [((_mk((2, 3), dt, dev, 72), _it([1.0, 2.0, 4.0], dev, dt)), {})],
                  lambda a, b: np.searchsorted(b, a)),
}
_INDEX_SAMPLES["nonzero"] += ({"non_differentiable_outputs": True},)


_attach(_INDEX_SAMPLES, _CORE_OPS)
