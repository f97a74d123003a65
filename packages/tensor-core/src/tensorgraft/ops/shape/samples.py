"""Conformance-kit samples and NumPy references of the shape ops (``OpDef.extra``), and
``attach_samples``, with which indexing and linalg attach theirs. Test data rather than op code,
hence kept out of the op modules."""
from __future__ import annotations

import numpy as np

from .._define import CORE_OPS


# --------------------------------------------------------------------------- conformance samples
def _mk(shape, dtype, device, seed=0, lo=-2.0, hi=2.0):
    from ...testing import make_tensor
    return make_tensor(shape, dtype=dtype, device=device, low=lo, high=hi, seed=seed)


def _one(*calls, shape=(2, 3, 2)):
    """Samples calling the op on one tensor of ``shape`` with each argument tuple in ``calls``."""
    def samples(dtype, device):
        x = _mk(shape, dtype, device, 40)
        return [((x,) + tuple(c), {}) for c in calls]
    return samples


def _lists(*calls):
    def samples(dtype, device):
        a, b = _mk((2, 3), dtype, device, 41), _mk((2, 3), dtype, device, 42)
        return [(([a, b],) + tuple(c), {}) for c in calls]
    return samples


def _pair_samples(dtype, device):
    return [((_mk((2, 3), dtype, device, 43), _mk((3, 2), dtype, device, 44)), {})]


_SHAPE_SAMPLES = {
    "view_as": (_pair_samples, lambda a, b: a.reshape(b.shape)),
    "reshape_as": (_pair_samples, lambda a, b: a.reshape(b.shape)),
    "unflatten": (_one((1, (3, 1)), (-1, (1, 2))), None),
    "ravel": (lambda dt, dev: [((_mk((2, 3, 2), dt, dev, 40),), {}), ((_mk((3, 2), dt, dev, 41).t(),), {})],
              np.ravel),
    "movedim": (_one((0, 2), ((0, 1), (2, 0))), None),
    "moveaxis": (_one((0, -1),), lambda a, s, d: np.moveaxis(a, s, d)),
    "adjoint": (_one(()), lambda a: np.swapaxes(a, -1, -2)),
    "broadcast_to": (_one(((2, 2, 3, 2),)), lambda a, s: np.broadcast_to(a, s)),
    "broadcast_tensors": (lambda dt, dev: [((_mk((2, 1), dt, dev, 45), _mk((3,), dt, dev, 46)), {})],
                          lambda a, b: np.broadcast_arrays(a, b)),
    "repeat": (_one((2, 1, 1), (1, 2, 1, 2)), None),
    "tile": (_one(((2,),), ((2, 1, 1, 1),)), lambda a, r: np.tile(a, r)),
    "repeat_interleave": (_one((2,), (2, 1)), lambda a, r, d=None: np.repeat(a, r, axis=d)),
    "cat": (_lists((0,), (1,)), lambda ts, d: np.concatenate(ts, d)),
    "concat": (_lists((-1,),), lambda ts, d: np.concatenate(ts, d)),
    "concatenate": (_lists((0,),), lambda ts, d: np.concatenate(ts, d)),
    "stack": (_lists((0,), (2,)), lambda ts, d: np.stack(ts, d)),
    "hstack": (_lists(()), lambda ts: np.hstack(ts)),
    "vstack": (_lists(()), lambda ts: np.vstack(ts)),
    "row_stack": (_lists(()), lambda ts: np.vstack(ts)),
    "dstack": (_lists(()), lambda ts: np.dstack(ts)),
    "column_stack": (_lists(()), lambda ts: np.column_stack(ts)),
    "atleast_1d": (_one((), shape=()), np.atleast_1d),
    "atleast_2d": (_one((), shape=(3,)), np.atleast_2d),
    "atleast_3d": (_one((), shape=(2, 3)), np.atleast_3d),
    "_slice": (_one(((slice(None), slice(0, 2)), "SliceBackward0")), lambda a, i, n: a[i]),
    "_pieces": (_one((1, None, "UnbindBackward0"), (0, [1, 0, 1], "SplitWithSizesBackward0"),
                     (2, [2], "SplitBackward0")),
                lambda a, d, sizes, n: tuple(np.moveaxis(a, d, 0)) if sizes is None
                else tuple(np.split(a, np.cumsum(sizes)[:-1], axis=d))),
    "narrow": (_one((1, 1, 2), (0, 0, 1)), None),
    "select": (_one((1, 2), (-1, 0)), lambda a, d, i: np.take(a, i, axis=d)),
    "split": (_one((1,), ([1, 2], 1)), None),
    "split_with_sizes": (_one(([1, 1],),), None),
    "chunk": (_one((2, 1),), None),
    "tensor_split": (_one((2, 1), ([1], 2)), None),
    "unbind": (_one((), (1,)), None),
    "hsplit": (_one((3,),), None),
    "vsplit": (_one((2,),), None),
    "flip": (_one(((0, 2),), ([1],)), lambda a, d: np.flip(a, d)),
    "fliplr": (_one(()), np.fliplr),
    "flipud": (_one(()), np.flipud),
    "roll": (_one((1,), ((1, -1), (0, 2))), lambda a, s, d=None: np.roll(a, s, d)),
    "rot90": (_one((1, (0, 1)), (3, (1, 2))), lambda a, k, d: np.rot90(a, k, d)),
    "diagonal": (_one((), (1, 1, 2)), lambda a, o=0, d1=0, d2=1: np.diagonal(a, o, d1, d2)),
    "_diagonal_backward": (lambda dt, dev: [((_mk((2, 3), dt, dev, 47), (2, 3, 3), 0, 1, 2), {})], None),
    "diag_embed": (_one((), (1, 0, 2)), None),
    "diag": (lambda dt, dev: [((_mk((3,), dt, dev, 48),), {}), ((_mk((3, 3), dt, dev, 49), 1), {})],
             lambda a, k=0: np.diag(a, k)),
    "tril": (_one((), (-1,)), lambda a, k=0: np.tril(a, k)),
    "triu": (_one((), (1,)), lambda a, k=0: np.triu(a, k)),
    "meshgrid": (lambda dt, dev: [((_mk((2,), dt, dev, 50), _mk((3,), dt, dev, 51)), {"indexing": "ij"}),
                                  ((_mk((2,), dt, dev, 52), _mk((3,), dt, dev, 53)), {"indexing": "xy"})],
                 lambda a, b, indexing: np.meshgrid(a, b, indexing=indexing)),
    "as_strided": (_one(((2, 2), (1, 2)),), None),
}



def attach_samples(table, ops):
    """Conformance-kit samples/reference for the ops of one module (``OpDef.extra``)."""
    for op in ops:
        entry = table.get(op.name)
        if entry is None:
            continue
        op.extra.setdefault("samples", entry[0])
        if entry[1] is not None:
            op.extra.setdefault("reference", entry[1])
        for k, v in (entry[2] if len(entry) > 2 else {}).items():
            op.extra.setdefault(k, v)
        if op.kernel is None and op.xp_attr is None:
            op.extra.setdefault("composite", True)


_SHAPE_SAMPLES["as_strided"] += ({"gradgrad": False},)  # its backward is computed on the host
attach_samples(_SHAPE_SAMPLES, CORE_OPS)
