"""Elementwise ops: arithmetic, comparisons, logic and math functions.

Gradients for these live in ``tensorgraft/autograd/formulas/elementwise.py`` (autograd-engine).

One module per kind of op, imported below in the order their ops register (the registry, and so
``python -m tensorgraft plugins``, lists ops in that order):

- ``unary_math``: neg, abs, sign/sgn, exp/log/sqrt, trigonometric and hyperbolic functions, sigmoid,
  relu, and the backward ops their gradients call (``threshold_backward``, ``sigmoid_backward``,
  ``tanh_backward``)
- ``special``: erf/erfc/erfinv, lgamma, digamma, polygamma (SciPy's kernels, imported on first use)
- ``rounding``: floor/ceil/trunc/fix/frac/round; logical_not, bitwise_not, isnan & co., signbit, positive
- ``arithmetic``: add/sub/mul/div (``alpha=``, ``rounding_mode=``), floor_divide/remainder/fmod, pow
  and the other two-operand math functions, the bit shifts, gcd/lcm, rsub
- ``comparison``: eq/ne/lt/le/gt/ge and their aliases, logical_and/or/xor, bitwise_and/or/xor
- ``clamp``: clamp/clip, clamp_min/clamp_max
- ``math_extras``: lerp, nan_to_num, logit, sinc, deg2rad/rad2deg, logaddexp(2), heaviside,
  addcmul/addcdiv
- ``closeness``: isclose, allclose, equal
- ``fill_copy``: fill_, zero_, copy_

(``_samples`` holds the conformance kit's sample tensors that several of them use; ``complex_unary``
the CPU kernels through which ``unary_math``'s ops round complex values as PyTorch's.)
"""
from __future__ import annotations

from .._define import CORE_OPS

_FIRST = len(CORE_OPS)

# in registration order (see above)
from . import unary_math, special, rounding, arithmetic  # noqa: E402,F401,I001
from . import comparison, clamp, math_extras, closeness, fill_copy  # noqa: E402,F401,I001

# imported from this path elsewhere: formulas/elementwise.py (the backward ops), special_math.py,
# special_functions.py and nn/functional_ops/special.py (the special functions' internals)
from .unary_math import sigmoid_backward, tanh_backward, threshold_backward  # noqa: E402,F401
from .special import _erf, _polygamma_op, _special, check_polygamma_order, run_with_order  # noqa: E402,F401


def _keep_old_names(*modules):
    """Every other name the single ``elementwise.py`` module held stays importable from here."""
    namespace = globals()
    for module in modules:
        for name, value in vars(module).items():
            if not name.startswith("__"):
                namespace.setdefault(name, value)


_keep_old_names(unary_math, special, rounding, arithmetic, comparison, clamp, math_extras, closeness, fill_copy)
del _keep_old_names

# the ops this module declares (tests check each differentiable one has a formula)
ELEMENTWISE_OPS = CORE_OPS[_FIRST:]
