"""Reductions across ranks: the NumPy ufunc of a ``ReduceOp`` (with PyTorch's refusals) and the
ring all-reduce ``all_reduce`` runs (see ``collectives.py`` for why a ring)."""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .process_group import ProcessGroup, RedOpType, ReduceOp
from .tensor_messages import as_bytes, expect, from_bytes


_UFUNCS = {RedOpType.SUM: np.add, RedOpType.AVG: np.add, RedOpType.PRODUCT: np.multiply, RedOpType.MIN: np.minimum,
           RedOpType.MAX: np.maximum, RedOpType.BAND: np.bitwise_and, RedOpType.BOR: np.bitwise_or,
           RedOpType.BXOR: np.bitwise_xor}


_TORCH_NAMES = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def reduction(op, t: Tensor, opname: str):
    """The NumPy ufunc of ``op`` for ``t``'s dtype (PyTorch's refusals raised here)."""
    if isinstance(op, ReduceOp) and not isinstance(op, RedOpType):
        op = op.op
    try:
        op = RedOpType(op)
    except ValueError:
        raise ValueError(f"{opname}: unknown reduce operation {op!r}; use a member of ReduceOp") from None
    kind = t._data.dtype.kind
    if op not in _UFUNCS:
        raise ValueError(f"{opname}: ReduceOp.{op.name} is not supported by the gloo backend")
    if op in (RedOpType.BAND, RedOpType.BOR, RedOpType.BXOR) and kind not in "iub":
        raise RuntimeError(f"Cannot use ReduceOp.{op.name} with non-integral dtype")
    if kind == "c" and op not in (RedOpType.SUM, RedOpType.AVG):
        raise ValueError(f"{opname} does not support {op} on complex tensors")
    if op is RedOpType.AVG and kind in "iub":
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{_TORCH_NAMES.get(str(t._data.dtype), str(t._data.dtype))}")
    return op, _UFUNCS[op]


def _chunks(n: int, parts: int):
    """``parts`` consecutive (start, stop) ranges covering ``n`` elements, sizes differing by one."""
    base, extra = divmod(n, parts)
    edges = [0]
    for i in range(parts):
        edges.append(edges[-1] + base + (1 if i < extra else 0))
    return [(edges[i], edges[i + 1]) for i in range(parts)]


def ring_all_reduce(pg: ProcessGroup, channel: str, flat: np.ndarray, ufunc, average: bool, opname: str) -> None:
    """Reduce ``flat`` (1-D, this rank's values) across the group in place.

    Every landing place is posted to the transport before the first send (``Mesh.expect``), so the
    peers' chunks are read straight into memory: the reduce-scatter's into two alternating halves
    of the group's scratch buffer (a chunk for step s+2 can only be sent once this rank has sent
    step s+1, that is after it consumed step s), the all-gather's into ``flat`` itself. A rank only
    finishes its reduce-scatter once every rank's dtype and size were checked along the ring, so
    the all-gather never writes a mismatched peer's bytes into ``flat``."""
    n, me = pg.size(), pg.rank()
    mesh = pg.mesh
    nxt, prv = (me + 1) % n, (me - 1) % n
    chunks = _chunks(flat.size, n)
    total = f"{flat.dtype}[{flat.size}]"
    widest = max(hi - lo for lo, hi in chunks)
    scratch = pg.scratch(2 * widest * flat.itemsize).view(flat.dtype)
    landing = []
    for step in range(n - 1):
        lo, hi = chunks[(me - step - 1) % n]
        half = scratch[(step % 2) * widest:(step % 2) * widest + (hi - lo)]
        landing.append((half, mesh.expect(prv, f"{channel}.{step}", half.view(np.uint8))))
    gathered = []
    for step in range(n - 1):
        lo, hi = chunks[(me - step) % n]
        gathered.append(mesh.expect(prv, f"{channel}.g{step}", flat[lo:hi].view(np.uint8)))
    for step in range(n - 1):  # reduce-scatter: after it, rank r holds the total of chunk r+1
        lo, hi = chunks[(me - step) % n]
        sent = mesh.send(nxt, f"{channel}.{step}", total, as_bytes(flat[lo:hi]))
        src, meta, payload = mesh.recv(prv, f"{channel}.{step}")
        expect(opname, me, src, total, meta, payload)
        half, posted = landing[step]
        theirs = half if payload is posted else from_bytes(payload, flat)
        lo, hi = chunks[(me - step - 1) % n]
        ufunc(flat[lo:hi], theirs, out=flat[lo:hi])
        sent.result()
    lo, hi = chunks[(me + 1) % n]
    if average:
        flat[lo:hi] /= n
    for step in range(n - 1):  # all-gather the totals around the ring
        lo, hi = chunks[(me + 1 - step) % n]
        sent = mesh.send(nxt, f"{channel}.g{step}", total, as_bytes(flat[lo:hi]))
        src, meta, payload = mesh.recv(prv, f"{channel}.g{step}")
        expect(opname, me, src, total, meta, payload)
        if payload is not gathered[step]:  # (arrived before it was posted: copy it in)
            lo, hi = chunks[(me - step) % n]
            flat[lo:hi] = from_bytes(payload, flat)
        sent.result()
