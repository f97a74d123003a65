"""Other names PyTorch gives to existing ops.

- NumPy-style inverse trigonometric names (``arccos``...): their own ops (so each has its
  ``arccos_`` in-place variant), sharing the kernel and gradient of ``acos``... and recording
  PyTorch's node name for them (``AcosBackward0``).
- Top-level in-place functions (``torch.abs_(t)``, ``torch.clamp_(t, 0, 1)``...): PyTorch
  exposes these for part of its in-place methods; each one here calls the Tensor method, which
  does the checks and the recording.
"""
from __future__ import annotations

import types

import numpy as np

from ..tensor import Tensor
from . import _frontend as F
from ._define import defop, unary


def _mk(shape, dtype, device, lo, hi, seed):
    from ..testing import make_tensor
    return make_tensor(shape, dtype=dtype, device=device, low=lo, high=hi, seed=seed)


def _unary_samples(lo, hi):
    def samples(dtype, device):
        return [((_mk((2, 3), dtype, device, lo, hi, 100),), {}), ((_mk((), dtype, device, lo, hi, 101),), {})]
    return samples


# --------------------------------------------------------------------------- arc* names
_ARC = (("arccos", "acos", -0.9, 0.9, np.arccos), ("arcsin", "asin", -0.9, 0.9, np.arcsin),
        ("arctan", "atan", -2.0, 2.0, np.arctan), ("arccosh", "acosh", 1.2, 3.0, np.arccosh),
        ("arcsinh", "asinh", -2.0, 2.0, np.arcsinh), ("arctanh", "atanh", -0.9, 0.9, np.arctanh))
# PyTorch names the in-place node of these ``<Op>Backward1`` (their out-of-place node is ``...0``)
_NODE1 = {"arccosh": "AcoshBackward1", "arcsinh": "AsinhBackward1", "arctanh": "AtanhBackward1"}
_ALIAS_OPS = {}
for _alias, _of, _lo, _hi, _ref in _ARC:
    _ALIAS_OPS[_alias] = unary(_alias, _alias, to_float=True, formula_of=_of, node=_of.capitalize() + "Backward0",
                               samples=_unary_samples(_lo, _hi), reference=_ref, elementwise=True,
                               inplace=_alias not in _NODE1)


def _inplace_node1(op):
    """``t.arcsinh_()`` (and ``torch.arcsinh_(t)``): the generic in-place path around an
    out-of-place step that records the alias under PyTorch's in-place node name."""
    alias = _ALIAS_OPS[op.name[:-1]]
    node = _NODE1[alias.name]

    def out_of_place(input):
        out = alias.frontend(input.detach())
        if F.needs_grad(input):
            Tensor._autograd.record(alias, out, (input,), None, node_name=node)
        return out
    run = F.make_inplace(types.SimpleNamespace(inplace=op.name), out_of_place)

    def inplace(input):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor(op.name, "input", 1, input)
        return run(input)
    inplace.__name__ = inplace.__qualname__ = op.name
    return inplace


# --------------------------------------------------------------------------- top-level in-place
def _forwarder(op):
    name = op.name

    def inplace(input, *args, **kwargs):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor(name, "input", 1, input)
        return getattr(input, name)(*args, **kwargs)
    inplace.__name__ = inplace.__qualname__ = name
    return inplace


# name -> input domain; every one of these has the Tensor method of the same name
_UNARY_INPLACE = {
    "abs_": (-2, 2), "neg_": (-2, 2), "negative_": (-2, 2), "ceil_": (-2, 2), "floor_": (-2, 2), "round_": (-2, 2),
    "trunc_": (-2, 2), "fix_": (-2, 2), "frac_": (-2, 2), "exp_": (-2, 2), "exp2_": (-2, 2), "expm1_": (-2, 2),
    "log_": (0.5, 2), "log2_": (0.5, 2), "log10_": (0.5, 2), "log1p_": (0.5, 2), "sqrt_": (0.5, 2),
    "rsqrt_": (0.5, 2), "reciprocal_": (0.5, 2), "square_": (-2, 2), "sin_": (-2, 2), "cos_": (-2, 2),
    "tan_": (-1, 1), "sinh_": (-2, 2), "cosh_": (-2, 2), "tanh_": (-2, 2), "asin_": (-0.9, 0.9),
    "acos_": (-0.9, 0.9), "atan_": (-2, 2), "asinh_": (-2, 2), "acosh_": (1.2, 3), "atanh_": (-0.9, 0.9),
    "arcsin_": (-0.9, 0.9), "arccos_": (-0.9, 0.9), "arctan_": (-2, 2), "arcsinh_": (-2, 2),
    "arccosh_": (1.2, 3), "arctanh_": (-0.9, 0.9), "sigmoid_": (-2, 2), "relu_": (-2, 2), "erf_": (-2, 2),
    "erfc_": (-2, 2), "sinc_": (-2, 2), "deg2rad_": (-2, 2), "rad2deg_": (-2, 2), "logit_": (0.2, 0.8),
    "nan_to_num_": (-2, 2), "detach_": (-2, 2), "conj_physical_": (-2, 2),
}


def _sample_fn(build):
    def samples(dtype, device):
        from ..testing.conformance import Sample
        return [Sample(args, kwargs, ()) for args, kwargs in build(dtype, device)]
    return samples


def _ints(values, device):
    from .creation import tensor
    return tensor(values, device=device)


_OTHER_INPLACE = {
    "clamp_": lambda d, dev: [((_mk((2, 3), d, dev, -2, 2, 102), -0.5, 0.5), {}),
                              ((_mk((2, 3), d, dev, -2, 2, 103),), {"max": 0.25})],
    "clip_": lambda d, dev: [((_mk((2, 3), d, dev, -2, 2, 104), -0.5, 0.5), {})],
    "clamp_min_": lambda d, dev: [((_mk((2, 3), d, dev, -2, 2, 105), 0.1), {})],
    "clamp_max_": lambda d, dev: [((_mk((2, 3), d, dev, -2, 2, 106), 0.1), {})],
    "xlogy_": lambda d, dev: [((_mk((2, 3), d, dev, -2, 2, 107), _mk((2, 3), d, dev, 0.5, 2, 108)), {})],
    "ldexp_": lambda d, dev: [((_mk((2, 3), d, dev, -2, 2, 109), _ints([1, 2, -1], dev)), {})],
    "gcd_": lambda d, dev: [((_ints([4, 6, 9], dev), _ints([6, 4, 3], dev)), {})],
    "lcm_": lambda d, dev: [((_ints([4, 6, 9], dev), _ints([6, 4, 3], dev)), {})],
    "addmv_": lambda d, dev: [((_mk((2,), d, dev, -2, 2, 110), _mk((2, 3), d, dev, -2, 2, 111),
                                _mk((3,), d, dev, -2, 2, 112)), {"beta": 0.5})],
    "resize_as_": lambda d, dev: [((_mk((2, 3), d, dev, -2, 2, 118), _mk((3, 2), d, dev, -2, 2, 119)), {})],
    "index_put_": lambda d, dev: [((_mk((3, 2), d, dev, -2, 2, 113), (_ints([0, 2], dev),),
                                    _mk((2, 2), d, dev, -2, 2, 114)), {}),
                                  ((_mk((3, 2), d, dev, -2, 2, 115), (_ints([1, 1], dev),),
                                    _mk((2,), d, dev, -2, 2, 116), True), {})],
}

for _name, (_lo, _hi) in _UNARY_INPLACE.items():
    _own = _name[:-1] in _NODE1  # the in-place function itself, also bound as the Tensor method
    defop(_name, frontend=_inplace_node1 if _own else _forwarder, method=_name if _own else False, differentiable=False, mutates=(0,),
          samples=_sample_fn(lambda d, dev, lo=_lo, hi=_hi: [((_mk((2, 3), d, dev, lo, hi, 117),), {})]))
for _name, _build in _OTHER_INPLACE.items():
    defop(_name, frontend=_forwarder, method=False, differentiable=False, mutates=(0,), samples=_sample_fn(_build))
