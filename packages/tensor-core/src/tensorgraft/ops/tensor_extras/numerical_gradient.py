"""``torch.gradient``: the numerical gradient of sampled values (central differences inside,
one-sided ones at the ends), with uniform or per-dim spacing or coordinate tensors.
"""
from __future__ import annotations

import numpy as np

from ...tensor import Tensor
from .._frontend import check_tensor
from .._define import defop
from tensorgraft.dtypes import np_kind as _np_kind
from .view_copies import _samples


# --------------------------------------------------------------------------- gradient
def _gradient(input, *, spacing=1, dim=None, edge_order=1):
    """``torch.gradient``: central differences inside, one-sided ones of ``edge_order`` at the
    ends; ``spacing`` a scalar step, one step per dim, or one coordinate tensor per dim.
    Written with differentiable ops, so its graph is their nodes (``CatBackward0`` last)."""
    check_tensor(input, "gradient")
    if spacing is None:  # (PyTorch's signature reads ``spacing=None`` as the default unit step)
        spacing = 1
    nd = input._data.ndim
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    if nd == 0:
        return ()
    from .._args import wrap_dim
    dims = list(range(nd)) if dim is None else [wrap_dim(d, nd) for d in
                                                  (dim if isinstance(dim, (list, tuple)) else (dim,))]
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"dim {next(d for k, d in enumerate(dims) if d in dims[:k])} appears multiple times in "
                           "the list of dims")
    if isinstance(spacing, (list, tuple)):
        if len(spacing) != len(dims):
            if dim is None:
                raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar, or a list of length "
                                   f"equal to 'self.dim() = {nd}', since dim argument was not given, but got a list of "
                                   f"length {len(spacing)}")
            raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar or it's spacing and dim "
                               f"arguments to have the same length, but got a spacing argument of length "
                               f"{len(spacing)} and a dim argument of length {len(dims)}.")
        steps = list(spacing)
        for step in steps:
            if isinstance(step, Tensor) and step.device != input.device:
                raise RuntimeError(f"torch.gradient expected each tensor to be on the same device, but got devices "
                                   f"{input.device} and {step.device}!")
    else:
        steps = [spacing] * len(dims)
    for d in dims:
        if input._data.shape[d] < edge_order + 1:
            raise RuntimeError("torch.gradient expected each dimension size to be at least edge_order+1")
    f = input if _np_kind(input._data.dtype) in "fc" else input.to(_default_float())
    return tuple(_gradient_along(f, d, s, edge_order) for d, s in zip(dims, steps))


def _default_float():
    from ... import dtypes
    return dtypes.get_default_dtype()


def _gradient_along(f, d, step, edge_order):
    n = f._data.shape[d]

    def part(start, length):
        return f.narrow(d, start, length)
    if isinstance(step, Tensor) and step._data.ndim == 1:
        return _nonuniform(f, d, step.to(f.dtype) if _np_kind(f._data.dtype) == "c" else step, edge_order, part)
    h = step.item() if isinstance(step, Tensor) else step
    inner = (part(2, n - 2) - part(0, n - 2)) / (2 * h)
    if edge_order == 1:
        first = (part(1, 1) - part(0, 1)) / h
        last = (part(n - 1, 1) - part(n - 2, 1)) / h
    else:
        first = (part(0, 1) * -1.5 + part(1, 1) * 2 - part(2, 1) * 0.5) / h
        last = (part(n - 3, 1) * 0.5 - part(n - 2, 1) * 2 + part(n - 1, 1) * 1.5) / h
    import tensorgraft
    return tensorgraft.cat((first, inner, last), d)


def _nonuniform(f, d, coords, edge_order, part):
    """Second-order-accurate differences on uneven steps (NumPy's ``gradient`` formulas)."""
    n = f._data.shape[d]
    shape = [1] * f._data.ndim
    shape[d] = -1
    dx = coords[1:] - coords[:-1]
    hd, hs = dx[:-1].view(shape), dx[1:].view(shape)
    inner = (part(0, n - 2) * (-hs / (hd * (hd + hs))) + part(1, n - 2) * ((hs - hd) / (hd * hs))
             + part(2, n - 2) * (hd / (hs * (hd + hs))))
    if edge_order == 1:
        first = (part(1, 1) - part(0, 1)) / dx[0]
        last = (part(n - 1, 1) - part(n - 2, 1)) / dx[-1]
    else:
        a, b = dx[0], dx[1]
        first = (part(0, 1) * (-(2 * a + b) / (a * (a + b))) + part(1, 1) * ((a + b) / (a * b))
                 + part(2, 1) * (-a / (b * (a + b))))
        a, b = dx[-2], dx[-1]
        last = (part(n - 3, 1) * (b / (a * (a + b))) + part(n - 2, 1) * (-(a + b) / (a * b))
                + part(n - 1, 1) * ((2 * b + a) / (b * (a + b))))
    import tensorgraft
    return tensorgraft.cat((first, inner, last), d)


defop("gradient", frontend=lambda op: _gradient, method=False, differentiable=False,
      samples=_samples(lambda X: [((X((5,), 780),), {}), ((X((4, 5), 781),), {"spacing": 2.0, "edge_order": 2}),
                                  ((X((4, 5), 782),), {"dim": 1, "spacing": [0.5]})]),
      reference=lambda a, spacing=1, dim=None, edge_order=1: _np_gradient(a, spacing, dim, edge_order))


def _np_gradient(a, spacing, dim, edge_order):
    r = np.gradient(a, *(spacing if isinstance(spacing, list) else [spacing]), axis=dim, edge_order=edge_order)
    return (r,) if isinstance(r, np.ndarray) else tuple(r)
