"""The ops' generic kernels (written against the array namespace ``xp``: numpy on CPU, cupy on
CUDA, whatever a device plugin uses), their sample inputs and NumPy references for the
conformance kit, and the ``OpDef`` objects the plugin registers."""
from __future__ import annotations

import numpy as np

from tensorgraft.plugins import api


# --------------------------------------------------------------------------- swish
def swish_kernel(xp, a, beta):
    """x * sigmoid(beta * x), in the input's dtype."""
    # NumPy scalars of the input's dtype, not Python numbers: NumPy 1.x promotes a 0-d float32
    # array combined with a Python int/float to float64 (no NEP 50 weak scalars there).
    b, one = a.dtype.type(beta), a.dtype.type(1)
    return a / (one + xp.exp(-b * a))


def swish_reference(a, beta=1.0):
    return a / (1 + np.exp(-beta * a))


def swish_samples(dtype, device):
    from tensorgraft.testing import make_tensor
    x = make_tensor((2, 3), dtype=dtype, device=device, low=-3, high=3, seed=1)
    return [((x,), {}), ((x, 0.5), {}), ((x,), {"beta": 2.0}),
            ((make_tensor((), dtype=dtype, device=device, seed=2),), {})]


# --------------------------------------------------------------------------- segment_sum
def segment_sum_kernel(xp, data, segment_ids, num_segments):
    """out[s] = sum of data[i] over the i with segment_ids[i] == s (rows of a 2-d+ ``data``)."""
    if segment_ids.dtype.kind not in "iu":
        raise TypeError(f"segment_sum(): segment_ids must be an integer tensor, got dtype {segment_ids.dtype}")
    if segment_ids.ndim != 1 or data.ndim == 0 or segment_ids.shape[0] != data.shape[0]:
        raise ValueError(f"segment_sum(): segment_ids must be 1-d with one id per row of data; got shapes "
                         f"{list(segment_ids.shape)} and {list(data.shape)}")
    num_segments = int(num_segments)
    if segment_ids.size and (int(segment_ids.min()) < 0 or int(segment_ids.max()) >= num_segments):
        raise IndexError(f"segment_sum(): segment ids must lie in [0, {num_segments})")
    out = xp.zeros((num_segments,) + tuple(data.shape[1:]), dtype=data.dtype)
    if hasattr(xp.add, "at"):
        xp.add.at(out, segment_ids, data)
    else:  # older CuPy: cupyx.scatter_add
        import cupyx
        cupyx.scatter_add(out, segment_ids, data)
    return out


def segment_sum_reference(data, segment_ids, num_segments):
    out = np.zeros((num_segments,) + data.shape[1:], dtype=np.float64)
    np.add.at(out, segment_ids, data)
    return out


def segment_sum_samples(dtype, device):
    import tensorgraft as tg
    from tensorgraft.testing import make_tensor
    ids = tg.tensor([0, 2, 0, 1, 2], device=device)
    return [((make_tensor((5, 3), dtype=dtype, device=device, seed=3), ids, 3), {}),
            # an empty segment (3) gets zeros and no gradient
            ((make_tensor((5,), dtype=dtype, device=device, seed=4), ids, 4), {})]


# --------------------------------------------------------------------------- scaled_tanh (autograd.Function)
def scaled_tanh_reference(a, scale=1.0):
    return scale * np.tanh(a)


def scaled_tanh_samples(dtype, device):
    from tensorgraft.testing import make_tensor
    x = make_tensor((2, 3), dtype=dtype, device=device, low=-2, high=2, seed=5)
    return [((x,), {}), ((x, 2.5), {})]


def make_ops():
    return [
        api.elementwise_op("example.swish", swish_kernel, params={"beta": 1.0}, inplace=True,
                           samples=swish_samples, reference=swish_reference,
                           doc="swish(input, beta=1.0) -> Tensor: input * sigmoid(beta * input)"),
        api.op("example.segment_sum", segment_sum_kernel, samples=segment_sum_samples,
               reference=segment_sum_reference,
               doc="segment_sum(data, segment_ids, num_segments) -> Tensor: sums the rows of data by segment"),
    ]


def make_function_ops():
    """Ops implemented by an autograd.Function: registered only when the autograd engine is."""
    from .functions import ScaledTanh
    return [api.function_op("example.scaled_tanh", ScaledTanh, samples=scaled_tanh_samples,
                            reference=scaled_tanh_reference,
                            doc="scaled_tanh(input, scale=1.0) -> Tensor: scale * tanh(input)")]
