"""Collectives on picklable Python objects (``all_gather_object``, ``broadcast_object_list`` ...).

As in PyTorch, objects travel pickled and are unpickled on arrival, which runs whatever code the
pickle names: use these only between processes of one trusted job. Messages have variable length
here, so no size exchange precedes the data.
"""
from __future__ import annotations

import io
import pickle

import numpy as np

from .collectives import _member, _run
from .errors import DistBackendError
from .process_group import group_rank_of


def _dumps(obj) -> np.ndarray:
    buf = io.BytesIO()
    pickle.Pickler(buf).dump(obj)
    return np.frombuffer(buf.getbuffer(), np.uint8)


def _loads(payload):
    if isinstance(payload, BaseException):
        raise payload
    return pickle.loads(bytes(payload))


def _recv_obj(pg, peer, channel):
    _src, _meta, payload = pg.mesh.recv(peer, channel)
    return _loads(payload)


def all_gather_object(object_list, obj, group=None):
    """``object_list[i]`` becomes rank ``i``'s ``obj`` (``object_list`` must have one slot per rank)."""
    pg = _member(group, "all_gather_object")
    if pg is None:
        return None
    n, me = pg.size(), pg.rank()
    if len(object_list) < n:
        raise ValueError(f"object_list must have at least {n} entries (one per rank), got {len(object_list)}")
    channel = pg.next_channel("ago")
    mine = _dumps(obj)

    def job():
        sends = [pg.mesh.send(p, channel, "obj", mine) for p in range(n) if p != me]
        for p in range(n):
            object_list[p] = obj if p == me else _recv_obj(pg, p, channel)
        for f in sends:
            f.result()
    _run(pg, job, None, False)


def broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None):
    """Every rank's ``object_list`` becomes rank ``src``'s (same length on every rank)."""
    pg = _member(group, "broadcast_object_list")
    if pg is None:
        return None
    root = group_rank_of(pg, src, group_src, "src")
    channel = pg.next_channel("bco")
    me = pg.rank()

    def job():
        if me == root:
            blob = _dumps(list(object_list))
            for f in [pg.mesh.send(p, channel, "obj", blob) for p in range(pg.size()) if p != me]:
                f.result()
            return
        received = _recv_obj(pg, root, channel)
        if len(received) != len(object_list):
            raise DistBackendError(f"broadcast_object_list: rank {me} passed a list of {len(object_list)} objects but "
                                   f"the source rank {root} sent {len(received)}; the lists must have one length")
        object_list[:] = received
    _run(pg, job, None, False)


def gather_object(obj, object_gather_list=None, dst=None, group=None, group_dst=None):
    """Rank ``dst``'s ``object_gather_list[i]`` becomes rank ``i``'s ``obj``."""
    pg = _member(group, "gather_object")
    if pg is None:
        return None
    root = group_rank_of(pg, dst, group_dst, "dst")
    me, n = pg.rank(), pg.size()
    if me == root:
        if object_gather_list is None or len(object_gather_list) < n:
            raise ValueError(f"Argument ``object_gather_list`` must be specified on destination rank with at least "
                             f"{n} entries.")
    elif object_gather_list:
        raise ValueError("Argument ``object_gather_list`` must NOT be specified on non-destination ranks.")
    channel = pg.next_channel("gao")

    def job():
        if me != root:
            pg.mesh.send(root, channel, "obj", _dumps(obj)).result()
            return
        for p in range(n):
            object_gather_list[p] = obj if p == me else _recv_obj(pg, p, channel)
    _run(pg, job, None, False)


def scatter_object_list(scatter_object_output_list, scatter_object_input_list=None, src=None, group=None,
                        group_src=None):
    """``scatter_object_output_list[0]`` of rank ``i`` becomes rank ``src``'s
    ``scatter_object_input_list[i]``."""
    pg = _member(group, "scatter_object_list")
    if pg is None:
        return None
    if not isinstance(scatter_object_output_list, list) or len(scatter_object_output_list) < 1:
        raise ValueError("Expected argument scatter_object_output_list to be a list of size at least 1.")
    root = group_rank_of(pg, src, group_src, "src")
    me, n = pg.rank(), pg.size()
    if me == root and (scatter_object_input_list is None or len(scatter_object_input_list) != n):
        raise ValueError(f"scatter_object_input_list on the source rank must hold {n} objects (one per rank)")
    channel = pg.next_channel("sco")

    def job():
        if me == root:
            for f in [pg.mesh.send(p, channel, "obj", _dumps(scatter_object_input_list[p])) for p in range(n)
                      if p != me]:
                f.result()
            scatter_object_output_list[0] = scatter_object_input_list[me]
        else:
            scatter_object_output_list[0] = _recv_obj(pg, root, channel)
    _run(pg, job, None, False)


def send_object_list(object_list, dst=None, group=None, device=None, group_dst=None, use_batch: bool = False):
    """Send the objects of ``object_list`` to rank ``dst`` (``recv_object_list`` takes them)."""
    from .collectives import _peer
    pg = _member(group, "send_object_list")
    if pg is None:
        return None
    peer = _peer(pg, dst, group_dst, "dst")
    pg.mesh.send(peer, "objects", "obj", _dumps(list(object_list))).result()


def recv_object_list(object_list, src=None, group=None, device=None, group_src=None, use_batch: bool = False):
    """Fill ``object_list`` with the objects rank ``src`` (None: any) sent; returns the sender's rank."""
    from .collectives import _peer
    pg = _member(group, "recv_object_list")
    if pg is None:
        return -1
    peer = None if src is None and group_src is None else _peer(pg, src, group_src, "src")
    source, _meta, payload = pg.mesh.recv(peer, "objects")
    received = _loads(payload)
    if len(received) != len(object_list):
        raise DistBackendError(f"recv_object_list: the list has {len(object_list)} slots but rank {pg.ranks[source]} "
                               f"sent {len(received)} objects")
    object_list[:] = received
    return pg.ranks[source]
