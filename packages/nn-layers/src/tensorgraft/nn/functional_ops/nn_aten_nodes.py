"""Core ops recorded under the node names PyTorch gives them when ATen calls them internally.

Inside composite functions such as ``pairwise_distance`` ATen adds a Python number through
``add(Tensor, Scalar)`` (``AddBackward1``) and takes ``at::norm(x, p, dim)`` (``NormBackward1``),
where the same arithmetic written in Python records ``AddBackward0`` and
``LinalgVectorNormBackward0``. Users see these names in ``grad_fn`` chains, so the composites
here compute with the core op under no_grad and then record that op's node under ATen's name:
the values are the core op's, and so is the gradient formula, which stays differentiable for
higher-order gradients.
"""
from __future__ import annotations

from tensorgraft.grad_mode import no_grad
from tensorgraft.ops._args import wrap_dims
from tensorgraft.registry import registry

from ._common import Tensor, gs, record


def _record_as(op_name, node_name, out, inputs, attrs):
    if gs.enabled and any(isinstance(t, Tensor) and t._requires_grad for t in inputs):
        record(registry.ops[op_name], out, inputs, attrs, node_name=node_name)
    return out


def add_scalar(input, number):
    """``input + number`` as ATen's ``add(Tensor, Scalar)`` (``AddBackward1``)."""
    with no_grad():
        out = input + number
    return _record_as("add", "AddBackward1", out, (input, number), {"alpha": 1})


def norm(input, p, dim, keepdim=False):
    """The ``p``-norm over ``dim`` as ATen's ``norm(Tensor, Scalar, int[], bool)`` (``NormBackward1``)."""
    import tensorgraft.linalg as linalg
    with no_grad():
        out = linalg.vector_norm(input, p, dim, keepdim)
    axes = wrap_dims(dim, input.ndim) if input.ndim else ()
    return _record_as("linalg_vector_norm", "NormBackward1", out, (input,),
                      {"ord": float(p), "dim": axes, "keepdim": keepdim})
