"""The conformance kit's sample inputs and NumPy references for every op of this package,
attached to the ops once they are all declared. ``_mk`` and ``_well`` also build the samples of
``ops/lu.py``, ``ops/ldl.py``, ``ops/lowrank.py`` and ``ops/decompositions.py``."""
from __future__ import annotations

import numpy as np

from ..shape import attach_samples as _attach
from .._define import CORE_OPS as _CORE_OPS


def _mk(shape, dtype, device, seed=0, lo=-2.0, hi=2.0):
    from ...testing import make_tensor
    return make_tensor(shape, dtype=dtype, device=device, low=lo, high=hi, seed=seed)


def _well(dtype, device, seed=80, n=3):
    """A well-conditioned square matrix (diagonally dominant)."""
    from ..creation import eye
    return _mk((n, n), dtype, device, seed, -1.0, 1.0) + 4 * eye(n, dtype=dtype, device=device)


def _spd(dtype, device, seed=81):
    from ..creation import eye
    m = _mk((3, 3), dtype, device, seed, -1.0, 1.0)
    return (m @ m.mT + 3 * eye(3, dtype=dtype, device=device)).detach()


def _pairs(*shapes):
    def samples(dtype, device):
        return [tuple(_mk(s, dtype, device, 82 + k) for k, s in enumerate(pair)) for pair in shapes]
    return samples


def _ref_einsum(eq, *ops):
    return np.einsum(eq, *ops)


_LINALG_SAMPLES = {
    "__rmatmul__": (_pairs(((3, 2), (2, 3))), lambda a, b: b @ a),
    "bmm": (_pairs(((2, 2, 3), (2, 3, 2))), np.matmul),
    "mv": (_pairs(((2, 3), (3,))), np.matmul),
    "dot": (_pairs(((3,), (3,))), np.dot),
    "vdot": (_pairs(((3,), (3,))), np.vdot),
    "outer": (_pairs(((3,), (2,))), np.outer),
    "ger": (_pairs(((3,), (2,))), np.outer),
    "inner": (_pairs(((3,), (3,)), ((2, 3), (4, 3))), np.inner),
    "kron": (_pairs(((2, 2), (2, 3))), np.kron),
    "tensordot": (lambda dt, dev: [(_mk((2, 3, 2), dt, dev, 83), _mk((3, 2, 2), dt, dev, 84), 2),
                                   ((_mk((2, 3), dt, dev, 85), _mk((3, 2), dt, dev, 86)), {"dims": ([1], [0])})],
                  lambda a, b, dims=2: np.tensordot(a, b, dims)),
    "einsum": (lambda dt, dev: [("ij,jk->ik", _mk((2, 3), dt, dev, 87), _mk((3, 2), dt, dev, 88)),
                                ("ii->i", _mk((3, 3), dt, dev, 89)), ("bij,bjk", _mk((2, 2, 3), dt, dev, 90),
                                                                     _mk((2, 3, 2), dt, dev, 91))], _ref_einsum),
    "addmm": (lambda dt, dev: [((_mk((2,), dt, dev, 92), _mk((2, 3), dt, dev, 93), _mk((3, 2), dt, dev, 94)),
                                {"beta": 0.5, "alpha": 2.0}),
                               (_mk((2, 2), dt, dev, 117), _mk((2, 3), dt, dev, 118), _mk((3, 2), dt, dev, 119))],
              lambda c, a, b, beta=1, alpha=1: beta * c + alpha * (a @ b)),
    "addmv": (lambda dt, dev: [(_mk((2,), dt, dev, 95), _mk((2, 3), dt, dev, 96), _mk((3,), dt, dev, 97))],
              lambda c, a, b: c + a @ b),
    "baddbmm": (lambda dt, dev: [(_mk((2, 2, 2), dt, dev, 98), _mk((2, 2, 3), dt, dev, 99), _mk((2, 3, 2), dt, dev, 100))],
                lambda c, a, b: c + a @ b),
    "addbmm": (lambda dt, dev: [(_mk((2, 2), dt, dev, 101), _mk((2, 2, 3), dt, dev, 102), _mk((2, 3, 2), dt, dev, 103))],
               lambda c, a, b: c + (a @ b).sum(0)),
    "cross": (lambda dt, dev: [((_mk((2, 3), dt, dev, 104), _mk((2, 3), dt, dev, 105)), {"dim": 1})],
              lambda a, b, dim: np.cross(a, b, axis=dim)),
    "linalg_cross": (_pairs(((2, 3), (2, 3))), lambda a, b: np.cross(a, b)),
    "trace": (_pairs(((2, 3),)), np.trace),
    "linalg_inv": (lambda dt, dev: [(_well(dt, dev),)], np.linalg.inv),
    "inverse": (lambda dt, dev: [(_well(dt, dev),)], np.linalg.inv),
    "linalg_det": (lambda dt, dev: [(_well(dt, dev),)], np.linalg.det),
    "det": (lambda dt, dev: [(_well(dt, dev),)], np.linalg.det),
    "linalg_slogdet": (lambda dt, dev: [(_well(dt, dev),)], lambda a: tuple(np.linalg.slogdet(a))),
    "slogdet": (lambda dt, dev: [(_well(dt, dev),)], lambda a: tuple(np.linalg.slogdet(a))),
    "logdet": (lambda dt, dev: [(_spd(dt, dev),)], lambda a: np.linalg.slogdet(a)[1]),
    "linalg_solve": (lambda dt, dev: [(_well(dt, dev), _mk((3, 2), dt, dev, 106)), (_well(dt, dev), _mk((3,), dt, dev, 107))],
                     np.linalg.solve),
    "linalg_solve_triangular": (lambda dt, dev: [((_well(dt, dev).triu(), _mk((3, 2), dt, dev, 108)), {"upper": True})],
                                lambda a, b, upper: np.linalg.solve(np.triu(a), b)),
    "matrix_power": (lambda dt, dev: [(_well(dt, dev), 2), (_well(dt, dev), -1), (_well(dt, dev), 0)],
                     np.linalg.matrix_power),
    "linalg_multi_dot": (lambda dt, dev: [([_mk((2, 3), dt, dev, 109), _mk((3, 3), dt, dev, 110), _mk((3,), dt, dev, 111)],)],
                         lambda ts: np.linalg.multi_dot(ts)),
    "linalg_pinv": (lambda dt, dev: [(_mk((2, 3), dt, dev, 112),)], np.linalg.pinv),
    "pinverse": (lambda dt, dev: [(_mk((3, 2), dt, dev, 113),)], np.linalg.pinv),
    # these two read only one triangle of A: finite differences of the full matrix do not apply
    "linalg_cholesky": (lambda dt, dev: [(_spd(dt, dev),)], np.linalg.cholesky,
                        {"conformance_skip": {"gradcheck": "reads one triangle", "gradgradcheck": "reads one triangle"}}),
    "cholesky": (lambda dt, dev: [(_spd(dt, dev),)], np.linalg.cholesky,
                 {"conformance_skip": {"gradcheck": "reads one triangle", "gradgradcheck": "reads one triangle"}}),
    "linalg_eigh": (lambda dt, dev: [(_spd(dt, dev),)], None,
                    {"conformance_skip": {"gradcheck": "reads one triangle", "gradgradcheck": "reads one triangle"}}),
    "linalg_qr": (lambda dt, dev: [(_mk((3, 2), dt, dev, 114),)], None),
    "linalg_svd": (lambda dt, dev: [(_mk((3, 2), dt, dev, 115), False)], None),
    "linalg_svdvals": (lambda dt, dev: [(_mk((3, 2), dt, dev, 116),)], lambda a: np.linalg.svd(a, compute_uv=False)),
}

_attach(_LINALG_SAMPLES, _CORE_OPS)
