"""Tiny deterministic sample tensors for the conformance kit, shared by the elementwise modules
that declare their own ``samples=`` (most elementwise ops get theirs from ``testing/_core_samples.py``)."""
from __future__ import annotations

from ... import dtypes as _dt


def _sx(shape, dtype, device, seed, lo=-2.0, hi=2.0):
    """A conformance-kit sample tensor (tiny, deterministic)."""
    from ...testing import make_tensor
    return make_tensor(shape, dtype=dtype, device=device, low=lo, high=hi, seed=seed)


def _si(shape, device, seed, lo=1, hi=9):
    from ...testing import make_tensor
    return make_tensor(shape, dtype=_dt.int64, device=device, low=lo, high=hi, seed=seed)


def _int_pair_samples(lo=1, hi=9):
    def samples(dtype, device):
        return [((_si((2, 3), device, 1, lo, hi), _si((2, 3), device, 2, lo, hi)), {}),
                ((_si((2, 3), device, 3, lo, hi), _si((3,), device, 4, lo, hi)), {})]
    return samples


def _positive_unary_samples(dtype, device):
    return [((_sx((2, 3), dtype, device, 1, 0.5, 3.0),), {}), ((_sx((), dtype, device, 2, 0.5, 3.0),), {})]
