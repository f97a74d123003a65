"""Matrix products and linear algebra (``tensorgraft.linalg`` re-exports the solvers).

Products are single backend calls (``xp.matmul``/``xp.einsum``: BLAS), never Python loops.
The ``linalg_*`` ops are private here and published by ``tensorgraft/linalg.py`` under
PyTorch's ``torch.linalg`` names. Gradients: ``tensorgraft/autograd/formulas/linalg.py``.

One module per kind of op, imported below in the order their ops register (the registry, and so
``python -m tensorgraft plugins``, lists ops in that order):

- ``checks``: argument checks, dtype checks and LAPACK-failure messages (no ops), shared with
  ``ops/lu.py``, ``ops/ldl.py`` and ``ops/decompositions.py``
- ``matmul``: mm, bmm, mv, dot/vdot, matmul (``@``), addmm/addmv/baddbmm/addbmm
- ``tensor_products``: einsum, outer/ger, inner, tensordot, kron, linalg.multi_dot, cross, trace
- ``solvers``: inv/inverse, det, slogdet/logdet, solve, cholesky, solve_triangular, matrix_power
- ``factorizations``: qr, eigh, svd/svdvals, pinv/pinverse
- ``samples``: the conformance kit's samples of all of the above (last: it imports ``ops/shape``)

Next to this package: ``decompositions.py`` (eig, lstsq, Householder), ``lu.py``, ``ldl.py``,
``lowrank.py``, and ``linalg_composite.py`` (PyTorch's older ``torch.*`` linalg spellings).
"""
from __future__ import annotations

from . import checks, matmul, tensor_products, solvers, factorizations, samples  # noqa: F401,I001

# imported from this path elsewhere: tensorgraft/linalg.py, ops/lu.py, ops/ldl.py, ops/lowrank.py,
# ops/decompositions.py and tests
from .checks import (  # noqa: F401
    LinAlgError, _batch_prefix, _float_check, _record, _shape_str, _square, _tensor_args, check_batches, converged,
    first_failure,
)
from .factorizations import EighResult, QRResult, SVDResult  # noqa: F401
from .samples import _mk, _well  # noqa: F401
from .solvers import SlogdetResult, _solve, cholesky_info, solve_triangular_array  # noqa: F401
from .tensor_products import parse_einsum  # noqa: F401


def _keep_old_names(*modules):
    """Every other name the single ``linalg.py`` module held stays importable from here."""
    namespace = globals()
    for module in modules:
        for name, value in vars(module).items():
            if not name.startswith("__"):
                namespace.setdefault(name, value)


_keep_old_names(checks, matmul, tensor_products, solvers, factorizations, samples)
del _keep_old_names
