"""``poisson`` and ``binomial``: counts drawn from the generator's stream, with PyTorch's
argument checks and its (zero) gradient.
"""
from __future__ import annotations

import numpy as np

from ...tensor import Tensor, wrap
from .. import _frontend as F
from .._frontend import check_tensor
from .._define import defop
from tensorgraft.dtypes import np_kind as _np_kind
from .view_copies import _samples


# --------------------------------------------------------------------------- poisson / binomial
def _draw(stream, on_device, method, *args):
    """``stream.<method>(*args)``. A device stream that lacks the sampler (tensorgraft-cuda's
    streams offer NumPy's uniform/normal/integer draws only) seeds a host generator from one of
    its own draws instead, so results still follow the device generator's seed and state; the
    host draw costs a copy to the device."""
    fn = getattr(stream, method, None)
    if fn is not None and (not on_device or method in type(stream).__dict__):
        return fn(*args), on_device
    seed = stream.integers(0, 2 ** 62, size=(1,))
    seed = int(seed.get()[0] if hasattr(seed, "get") else seed[0])
    host_args = [a.get() if hasattr(a, "get") else a for a in args]
    return getattr(np.random.default_rng(seed), method)(*host_args), False


def _pytorch_counts(sampler, g, *operands):
    """``sampler(g, *tensors)`` (``distributions/_sampling.py``'s PyTorch-exact Poisson or binomial
    draws, element by element in row-major order: PyTorch's result is a new contiguous tensor
    filled in its own order whatever the inputs' layout) over the host arrays ``operands``."""
    from ..sampling import _CPU
    return sampler(g, *(wrap(np.ascontiguousarray(a).reshape(a.shape), _CPU) for a in operands))._host()


def _poisson_frontend(op):
    def poisson(input, generator=None):
        check_tensor(input, "poisson")
        from ..creation import _not_implemented
        from ..sampling import _matches_pytorch, _stream
        if _np_kind(input._data.dtype) != "f" or input.dtype.limited:  # rates: PyTorch's float kernels only
            raise _not_implemented("poisson_cpu", input.dtype)
        g, on_device = _stream(generator, input._device)
        lam = input._data if on_device else input._host()
        if not bool((lam >= 0).all()):  # NaN rates too, as PyTorch
            raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
        if _matches_pytorch(g, on_device):  # the CPU stream: PyTorch's own counts
            from ...distributions._sampling import _poisson_pytorch
            data = _pytorch_counts(_poisson_pytorch, g, lam)
        else:
            data, on_device = _draw(g, on_device, "poisson", lam)
        out = _land(data.astype(input._data.dtype, copy=False), input, on_device)
        if F.needs_grad(input):
            Tensor._autograd.record(op, out, (input,), None)
        return out
    return poisson


def _binomial_frontend(op):
    def binomial(count, prob, generator=None):
        check_tensor(count, "binomial", "count")
        check_tensor(prob, "binomial", "prob", 2)
        from ..creation import _KERNEL_TYPE_NAMES, _not_implemented
        from ..sampling import _matches_pytorch, _stream
        for name, t in (("count", count), ("prob", prob)):  # PyTorch's checks, before any draw
            if t.dtype.category != 2:
                raise ValueError(f"binomial only supports floating-point dtypes for {name}, "
                                 f"got: {_KERNEL_TYPE_NAMES[t.dtype.name]}")
        if prob.dtype is not count.dtype:
            raise RuntimeError(f"Found dtype {_KERNEL_TYPE_NAMES[prob.dtype.name]} but expected "
                               f"{_KERNEL_TYPE_NAMES[count.dtype.name]}")
        g, on_device = _stream(generator, count._device)
        n = count._data if on_device else count._host()
        p = prob._data if on_device else prob._host()
        if _matches_pytorch(g, on_device):  # the CPU stream: PyTorch's own counts
            if n.dtype.itemsize < 4:  # float16/bfloat16: PyTorch's CPU kernel has neither
                raise _not_implemented("binomial_cpu", count.dtype)
            from ...distributions._sampling import _binomial_pytorch
            data = _pytorch_counts(_binomial_pytorch, g, *np.broadcast_arrays(n, p))
        else:
            data, on_device = _draw(g, on_device, "binomial", n.astype(np.int64), p)
        out = _land(data.astype(count._data.dtype, copy=False), count, on_device)
        if F.needs_grad(count, prob):
            Tensor._autograd.record(op, out, (count, prob), None, node_name="NotImplemented")
        return out
    return binomial


def _land(data, like, on_device):
    if on_device or like._device.type == "cpu":
        return wrap(data, like._device)
    from ..creation import _finish
    return _finish(data, like._device, False)


# draws differ between devices and between calls, so finite differences of them mean nothing;
# PyTorch's gradient of both samplers is zero (poisson) or not implemented (binomial)
_RANDOM_SKIPS = {"devices": "random draws", "gradcheck": "random draws", "gradgradcheck": "random draws"}


def _positive(seed, hi=5.0):
    return _samples(lambda X: [((X((2, 3), seed, 0.5, hi),), {})])


defop("poisson", frontend=_poisson_frontend, method=False, samples=_positive(770),
      conformance_skip=_RANDOM_SKIPS)
defop("binomial", frontend=_binomial_frontend, method=False,
      samples=_samples(lambda X: [((X((2, 3), 771, 1.0, 9.0).floor(), X((2, 3), 772, 0.1, 0.9)), {})]),
      conformance_skip=dict(_RANDOM_SKIPS, repr="PyTorch's node is the C++ 'NotImplemented' (no Backward0 name)"))
