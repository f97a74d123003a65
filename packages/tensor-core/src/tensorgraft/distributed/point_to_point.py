"""Point-to-point messages on tensors: ``send``/``recv``, ``isend``/``irecv`` and
``batch_isend_irecv`` of ``P2POp`` (the collectives are in ``collectives.py``)."""
from __future__ import annotations

from ..futures import Future
from .process_group import ProcessGroup, Work, group_rank_of
from .tensor_messages import _member, as_bytes, check_single_tensor, expect, from_bytes, host_array, meta_of, write_back


def _peer(pg: ProcessGroup, rank, group_rank, what: str) -> int:
    r = group_rank_of(pg, rank, group_rank, what)
    if r == pg.rank():
        label = "destination" if what == "dst" else "source"
        raise ValueError(f"Invalid {label} rank: {label} rank should not be the same as the rank of the current "
                         "process.")
    return r


def isend(tensor, dst=None, group=None, tag: int = 0, group_dst=None):
    """Send ``tensor`` to rank ``dst`` without waiting; returns a ``Work``."""
    check_single_tensor(tensor, "tensor")
    pg = _member(group, "isend")
    if pg is None:
        return None
    peer = _peer(pg, dst, group_dst, "dst")
    a = host_array(tensor)
    done = Future()
    sent = pg.mesh.send(peer, f"p{int(tag)}", meta_of(a), as_bytes(a))

    def finished(f):
        if f.exception() is not None:
            done.set_exception(f.exception())
        else:
            done.set_result([tensor])
    sent.add_done_callback(finished)
    return Work(done)


def send(tensor, dst=None, group=None, tag: int = 0, group_dst=None) -> None:
    """Send ``tensor`` to rank ``dst`` (returns once the data left this process)."""
    work = isend(tensor, dst, group, tag, group_dst)
    if work is not None:
        work.wait()


def irecv(tensor, src=None, group=None, tag: int = 0, group_src=None):
    """Receive into ``tensor`` from rank ``src`` (None: any rank) without waiting; returns a ``Work``
    whose ``_source_rank()`` is the sender once it completes."""
    check_single_tensor(tensor, "tensor")
    pg = _member(group, "irecv")
    if pg is None:
        return None
    peer = None if src is None and group_src is None else _peer(pg, src, group_src, "src")
    like = host_array(tensor)
    want = meta_of(like)
    done = Future()
    work = Work(done)
    work.source_rank = None

    def arrived(source, meta, payload):
        try:
            expect("recv", pg.rank(), source, want, meta, payload)
            write_back(tensor, from_bytes(payload, like))
            work.source_rank = pg.ranks[source]
            done.set_result([tensor])
        except BaseException as e:  # handed to whoever waits on the work
            done.set_exception(e)
    pg.mesh.recv_async(peer, f"p{int(tag)}", arrived)
    work._source_rank = lambda: work.source_rank
    return work


def recv(tensor, src=None, group=None, tag: int = 0, group_src=None) -> int:
    """Receive into ``tensor`` from rank ``src`` (None: any rank); returns the sender's rank."""
    work = irecv(tensor, src, group, tag, group_src)
    if work is None:
        return -1
    work.wait()
    return work.source_rank


class P2POp:
    """One send or receive for ``batch_isend_irecv``: ``P2POp(dist.isend, tensor, peer)``."""

    def __init__(self, op, tensor, peer=None, group=None, tag: int = 0, group_peer=None):
        if op not in (isend, irecv):
            raise ValueError("Invalid ``op``. Expected ``op`` to be of type ``torch.distributed.isend`` or "
                             "``torch.distributed.irecv``.")
        check_single_tensor(tensor, "tensor")
        self.op, self.tensor, self.peer, self.group, self.tag, self.group_peer = op, tensor, peer, group, tag, group_peer

    def __repr__(self):
        return f"P2POp({self.op.__name__}, peer={self.peer}, tag={self.tag})"


def batch_isend_irecv(p2p_op_list) -> list:
    """Start every ``P2POp`` of the list; returns their ``Work`` handles."""
    if not isinstance(p2p_op_list, list) or not all(isinstance(p, P2POp) for p in p2p_op_list):
        raise ValueError("Invalid ``p2p_op_list``. Each op is expected to to be of type "
                         "``torch.distributed.P2POp``.")
    works = []
    for p in p2p_op_list:
        if p.op is isend:
            works.append(isend(p.tensor, p.peer, p.group, p.tag, p.group_peer))
        else:
            works.append(irecv(p.tensor, p.peer, p.group, p.tag, p.group_peer))
    return works
