"""Collectives and point-to-point messages on tensors (``all_reduce``, ``broadcast``, ``send`` ...).

Every function checks its arguments in the calling thread (PyTorch's errors, raised before any
tensor changes), then hands the data movement to the group's worker (``ProcessGroup.submit``):
with ``async_op=True`` it returns the ``Work`` at once, otherwise it waits. Tensors are written
in place, bypassing autograd as in PyTorch; CUDA tensors travel through host memory.

Algorithms, chosen for a handful of processes on one or a few machines:

- ``all_reduce``: a ring (reduce-scatter then all-gather of ``size`` chunks), so each rank sends
  about twice its tensor whatever the group size, and every rank ends with the same bits;
- ``reduce``: every rank sends to ``dst``, which reduces in rank order;
- the gathers, scatters and ``all_to_all``: direct messages between each pair;
- ``barrier``: an empty message from every rank to every other.

Each message carries the dtype and shape it was made from; a receiver that expected another one
raises, naming both ranks' tensors, instead of reading garbage.

The argument checks and byte conversions every call shares are in ``tensor_messages.py``, the
reduce ops and the ring in ``ring_reduce.py``, ``send``/``recv`` and kin in ``point_to_point.py``
(re-exported here, where ``tensorgraft.distributed`` and ``objects.py`` import them).
"""
from __future__ import annotations

import warnings

import numpy as np

from ..tensor import Tensor
from .errors import DistBackendError
from .process_group import ProcessGroup, RedOpType, ReduceOp, group_rank_of
from .tensor_messages import (_member, _run, as_bytes, check_single_tensor, check_tensor_list, expect, from_bytes,
                              host_array, meta_of, write_back)
from .ring_reduce import reduction, ring_all_reduce
from .point_to_point import P2POp, _peer, batch_isend_irecv, irecv, isend, recv, send  # noqa: F401


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """Reduce ``tensor`` across the group with ``op``; every rank ends with the result."""
    check_single_tensor(tensor, "tensor")
    pg = _member(group, "all_reduce")
    if pg is None:
        return None
    op, ufunc = reduction(op, tensor, "all_reduce")
    channel = pg.next_channel("ar")

    def job():
        if pg.size() == 1:  # (every reduction of one tensor is the tensor)
            return
        a = tensor._data
        # a contiguous CPU tensor is reduced in its own memory, as PyTorch's gloo does; others in a copy
        in_place = tensor._device.type == "cpu" and a.flags.c_contiguous and a.flags.writeable
        flat = a.reshape(-1) if in_place else np.array(host_array(tensor).reshape(-1))
        real = flat.view(flat.real.dtype) if flat.dtype.kind == "c" else flat  # complex: reduce (re, im) pairs
        ring_all_reduce(pg, channel, real, ufunc, op is RedOpType.AVG, "all_reduce")
        if not in_place:
            write_back(tensor, flat)
    return _run(pg, job, [tensor], async_op)


def all_reduce_coalesced(tensors, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """``all_reduce`` of several tensors in one exchange (they must share a dtype)."""
    if isinstance(tensors, Tensor):
        tensors = [tensors]
    check_tensor_list(tensors, "tensor")
    if len({t._data.dtype for t in tensors}) > 1:
        raise ValueError("Invalid usage of tensors with different dtypes. Found "
                         f"{sorted({str(t.dtype) for t in tensors})}")
    pg = _member(group, "all_reduce_coalesced")
    if pg is None or not tensors:
        return None
    op, ufunc = reduction(op, tensors[0], "all_reduce_coalesced")
    channel = pg.next_channel("arc")

    def job():
        if pg.size() == 1:
            return
        flat = np.concatenate([host_array(t).reshape(-1) for t in tensors])
        real = flat.view(flat.real.dtype) if flat.dtype.kind == "c" else flat
        ring_all_reduce(pg, channel, real, ufunc, op is RedOpType.AVG, "all_reduce_coalesced")
        pos = 0
        for t in tensors:
            write_back(t, flat[pos:pos + t._data.size])
            pos += t._data.size
    return _run(pg, job, tensors, async_op)


def broadcast(tensor, src=None, group=None, async_op: bool = False, group_src=None):
    """Copy ``tensor`` of rank ``src`` into ``tensor`` of every other rank."""
    check_single_tensor(tensor, "tensor")
    pg = _member(group, "broadcast")
    if pg is None:
        return None
    root = group_rank_of(pg, src, group_src, "src")
    channel = pg.next_channel("bc")

    def job():
        mesh, me = pg.mesh, pg.rank()
        mine = host_array(tensor)
        meta = meta_of(mine)
        if me == root:
            for f in [mesh.send(peer, channel, meta, as_bytes(mine)) for peer in range(pg.size()) if peer != me]:
                f.result()
        else:
            s, m, payload = mesh.recv(root, channel)
            expect("broadcast", me, s, meta, m, payload)
            write_back(tensor, from_bytes(payload, mine))
    return _run(pg, job, [tensor], async_op)


def _gather_to(pg: ProcessGroup, channel: str, root: int, mine: np.ndarray, opname: str):
    """Rank ``root`` gets every rank's array (in group order); the others get None."""
    mesh, me = pg.mesh, pg.rank()
    meta = meta_of(mine)
    if me != root:
        mesh.send(root, channel, meta, as_bytes(mine)).result()
        return None
    out = []
    for peer in range(pg.size()):
        if peer == me:
            out.append(mine)
            continue
        s, m, payload = mesh.recv(peer, channel)
        expect(opname, me, s, meta, m, payload)
        out.append(from_bytes(payload, mine).reshape(mine.shape))
    return out


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op: bool = False, group_dst=None):
    """Reduce ``tensor`` of every rank into ``tensor`` of rank ``dst`` (the others keep theirs)."""
    check_single_tensor(tensor, "tensor")
    pg = _member(group, "reduce")
    if pg is None:
        return None
    root = group_rank_of(pg, dst, group_dst, "dst")
    op, ufunc = reduction(op, tensor, "reduce")
    channel = pg.next_channel("rd")

    def job():
        arrays = _gather_to(pg, channel, root, host_array(tensor), "reduce")
        if arrays is None:
            return
        acc = arrays[0].copy()
        for a in arrays[1:]:
            ufunc(acc, a, out=acc)
        if op is RedOpType.AVG:
            acc /= pg.size()
        write_back(tensor, acc)
    return _run(pg, job, [tensor], async_op)


def _exchange_all(pg: ProcessGroup, channel: str, outgoing, metas, opname: str, expected_metas):
    """Send ``outgoing[peer]`` to every peer and receive one array from each; returns the
    payloads by peer (this rank's own entry is ``outgoing[me]``)."""
    mesh, me, n = pg.mesh, pg.rank(), pg.size()
    sends = [mesh.send(peer, channel, metas[peer], as_bytes(outgoing[peer])) for peer in range(n) if peer != me]
    got = [None] * n
    got[me] = outgoing[me]
    for peer in range(n):
        if peer != me:
            s, m, payload = mesh.recv(peer, channel)
            expect(opname, me, s, expected_metas[peer], m, payload)
            got[peer] = payload
    for f in sends:
        f.result()
    return got


def all_gather(tensor_list, tensor, group=None, async_op: bool = False):
    """``tensor_list[i]`` of every rank becomes ``tensor`` of rank ``i``."""
    check_tensor_list(tensor_list, "tensor_list")
    check_single_tensor(tensor, "tensor")
    pg = _member(group, "all_gather")
    if pg is None:
        return None
    if len(tensor_list) != pg.size():
        raise RuntimeError(f"ProcessGroupGloo::allgather: invalid output tensor list at index 0 (expected length "
                           f"{pg.size()}, got {len(tensor_list)})")
    for i, t in enumerate(tensor_list):
        if t.shape != tensor.shape or t.dtype != tensor.dtype:
            raise RuntimeError(f"ProcessGroupGloo::allgather: invalid tensor type or size at index {i} (expected "
                               f"{tensor.dtype} of shape {tuple(tensor.shape)}, got {t.dtype} of shape "
                               f"{tuple(t.shape)})")
    channel = pg.next_channel("ag")

    def job():
        mine = host_array(tensor)
        meta = meta_of(mine)
        got = _exchange_all(pg, channel, [mine] * pg.size(), [meta] * pg.size(), "all_gather", [meta] * pg.size())
        for t, payload in zip(tensor_list, got):
            write_back(t, payload if isinstance(payload, np.ndarray) else from_bytes(payload, mine))
    return _run(pg, job, tensor_list, async_op)


def all_gather_single(output_tensor, input_tensor, group=None, async_op: bool = False):
    """Every rank's ``input_tensor``, in rank order, into ``output_tensor`` (concatenated along the
    first dimension, or stacked: both sizes are accepted)."""
    check_single_tensor(output_tensor, "output_tensor")
    check_single_tensor(input_tensor, "input_tensor")
    pg = _member(group, "all_gather_single")
    if pg is None:
        return None
    n = pg.size()
    if output_tensor.numel() != n * input_tensor.numel() or output_tensor.dtype != input_tensor.dtype:
        raise ValueError(f"output tensor must have {n} times the input's elements and the same dtype: input "
                         f"{input_tensor.dtype} of shape {tuple(input_tensor.shape)}, output {output_tensor.dtype} of "
                         f"shape {tuple(output_tensor.shape)}")
    channel = pg.next_channel("agt")

    def job():
        mine = host_array(input_tensor)
        meta = meta_of(mine)
        got = _exchange_all(pg, channel, [mine] * n, [meta] * n, "all_gather_single", [meta] * n)
        write_back(output_tensor, np.concatenate([np.asarray(p).reshape(-1) if isinstance(p, np.ndarray)
                                                  else from_bytes(p, mine) for p in got]))
    return _run(pg, job, [output_tensor], async_op)


def all_gather_coalesced(output_tensor_lists, input_tensor_list, group=None, async_op: bool = False):
    """``output_tensor_lists[i][j]`` becomes rank ``i``'s ``input_tensor_list[j]`` (one exchange)."""
    warnings.warn("`torch.distributed.all_gather_coalesced` will be deprecated. If you must use it, please revisit "
                  "our documentation later at https://pytorch.org/docs/main/distributed.html#collective-functions",
                  FutureWarning, stacklevel=2)
    check_tensor_list(input_tensor_list, "input_tensor_list")
    if not isinstance(output_tensor_lists, list):
        raise TypeError("Invalid function argument: output_tensor_lists should be a list")
    for outs in output_tensor_lists:
        check_tensor_list(outs, "output_tensor_lists")
    pg = _member(group, "all_gather_coalesced")
    if pg is None:
        return None
    if len(output_tensor_lists) != pg.size() or any(
            [tuple(o.shape) for o in outs] != [tuple(t.shape) for t in input_tensor_list] for outs in output_tensor_lists):
        raise ValueError(f"output_tensor_lists must hold {pg.size()} lists (one per rank), each shaped like "
                         "input_tensor_list")
    channel = pg.next_channel("agc")

    def job():
        mine = np.concatenate([host_array(t).reshape(-1) for t in input_tensor_list]) if input_tensor_list else \
            np.zeros(0, np.float32)
        meta = meta_of(mine)
        got = _exchange_all(pg, channel, [mine] * pg.size(), [meta] * pg.size(), "all_gather_coalesced",
                            [meta] * pg.size())
        for outs, payload in zip(output_tensor_lists, got):
            flat = payload if isinstance(payload, np.ndarray) else from_bytes(payload, mine)
            pos = 0
            for o in outs:
                write_back(o, flat[pos:pos + o.numel()])
                pos += o.numel()
    return _run(pg, job, output_tensor_lists, async_op)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op: bool = False):
    """PyTorch's former name of ``all_gather_single``."""
    warnings.warn("`torch.distributed.all_gather_into_tensor` is deprecated. Please use "
                  "`torch.distributed.all_gather_single` instead.", FutureWarning, stacklevel=2)
    return all_gather_single(output_tensor, input_tensor, group, async_op)


def _check_root_list(pg: ProcessGroup, root: int, tensors, name: str, role: str) -> None:
    """PyTorch's rule for ``gather_list``/``scatter_list``: one tensor per rank on the root rank,
    nothing on the others."""
    if pg.rank() == root:
        if not tensors:
            raise ValueError(f"Argument ``{name}`` must be specified on {role} rank.")
        check_tensor_list(tensors, name)
        if len(tensors) != pg.size():
            raise ValueError(f"{name} has {len(tensors)} tensors; the group has {pg.size()} ranks")
    elif tensors:
        raise ValueError(f"Argument ``{name}`` must NOT be specified on non-{role} ranks.")


def gather(tensor, gather_list=None, dst=None, group=None, async_op: bool = False, group_dst=None):
    """Rank ``dst``'s ``gather_list[i]`` becomes rank ``i``'s ``tensor``."""
    check_single_tensor(tensor, "tensor")
    pg = _member(group, "gather")
    if pg is None:
        return None
    root = group_rank_of(pg, dst, group_dst, "dst")
    _check_root_list(pg, root, gather_list, "gather_list", "destination")
    channel = pg.next_channel("ga")

    def job():
        arrays = _gather_to(pg, channel, root, host_array(tensor), "gather")
        if arrays is not None:
            for t, a in zip(gather_list, arrays):
                write_back(t, a)
    return _run(pg, job, gather_list or [], async_op)


def scatter(tensor, scatter_list=None, src=None, group=None, async_op: bool = False, group_src=None):
    """Rank ``i``'s ``tensor`` becomes rank ``src``'s ``scatter_list[i]``."""
    check_single_tensor(tensor, "tensor")
    pg = _member(group, "scatter")
    if pg is None:
        return None
    root = group_rank_of(pg, src, group_src, "src")
    _check_root_list(pg, root, scatter_list, "scatter_list", "source")
    me = pg.rank()
    channel = pg.next_channel("sc")

    def job():
        mesh = pg.mesh
        mine = host_array(tensor)
        meta = meta_of(mine)
        if me == root:
            parts = [host_array(t) for t in scatter_list]
            for f in [mesh.send(p, channel, meta_of(parts[p]), as_bytes(parts[p])) for p in range(pg.size())
                      if p != me]:
                f.result()
            write_back(tensor, parts[me])
        else:
            s, m, payload = mesh.recv(root, channel)
            expect("scatter", me, s, meta, m, payload)
            write_back(tensor, from_bytes(payload, mine))
    return _run(pg, job, [tensor], async_op)


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """Rank ``i``'s ``output`` becomes the reduction of every rank's ``input_list[i]``."""
    check_single_tensor(output, "output")
    check_tensor_list(input_list, "input_list")
    pg = _member(group, "reduce_scatter")
    if pg is None:
        return None
    if len(input_list) != pg.size():
        raise ValueError(f"input_list has {len(input_list)} tensors; the group has {pg.size()} ranks")
    op, ufunc = reduction(op, output, "reduce_scatter")
    channel = pg.next_channel("rs")

    def job():
        parts = [host_array(t) for t in input_list]
        mine = host_array(output)
        got = _exchange_all(pg, channel, parts, [meta_of(p) for p in parts], "reduce_scatter",
                            [meta_of(mine)] * pg.size())
        acc = None
        for payload in got:  # in rank order: every rank reduces its share the same way
            a = payload if isinstance(payload, np.ndarray) else from_bytes(payload, mine)
            a = a.reshape(-1)
            acc = a.copy() if acc is None else ufunc(acc, a, out=acc)
        if op is RedOpType.AVG:
            acc /= pg.size()
        write_back(output, acc)
    return _run(pg, job, [output], async_op)


def reduce_scatter_single(output, input, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """``reduce_scatter`` where ``input`` holds the ranks' shares one after another."""
    check_single_tensor(output, "output")
    check_single_tensor(input, "input")
    pg = _member(group, "reduce_scatter_single")
    if pg is None:
        return None
    if input.numel() != pg.size() * output.numel() or input.dtype != output.dtype:
        raise ValueError(f"input tensor must have {pg.size()} times the output's elements and the same dtype: "
                         f"input {input.dtype} of shape {tuple(input.shape)}, output {output.dtype} of shape "
                         f"{tuple(output.shape)}")
    flat = input.reshape(-1)
    k = output.numel()
    return reduce_scatter(output, [flat[i * k:(i + 1) * k] for i in range(pg.size())], op, group, async_op)


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """PyTorch's former name of ``reduce_scatter_single``."""
    warnings.warn("`torch.distributed.reduce_scatter_tensor` is deprecated. Please use "
                  "`torch.distributed.reduce_scatter_single` instead.", FutureWarning, stacklevel=2)
    return reduce_scatter_single(output, input, op, group, async_op)


def all_to_all(output_tensor_list, input_tensor_list, group=None, async_op: bool = False):
    """Rank ``i``'s ``input_tensor_list[j]`` becomes rank ``j``'s ``output_tensor_list[i]``."""
    check_tensor_list(output_tensor_list, "output_tensor_list")
    check_tensor_list(input_tensor_list, "input_tensor_list")
    pg = _member(group, "all_to_all")
    if pg is None:
        return None
    n = pg.size()
    if len(output_tensor_list) != n or len(input_tensor_list) != n:
        raise ValueError(f"all_to_all needs {n} input and {n} output tensors (one per rank), got "
                         f"{len(input_tensor_list)} and {len(output_tensor_list)}")
    me = pg.rank()
    own_in, own_out = input_tensor_list[me], output_tensor_list[me]
    if own_in.shape != own_out.shape or own_in.dtype != own_out.dtype:
        raise ValueError(f"all_to_all: this rank's output {me} ({own_out.dtype} of shape {tuple(own_out.shape)}) "
                         f"cannot take its own input {me} ({own_in.dtype} of shape {tuple(own_in.shape)})")
    channel = pg.next_channel("aa")

    def job():
        parts = [host_array(t) for t in input_tensor_list]
        outs = [host_array(t) for t in output_tensor_list]
        got = _exchange_all(pg, channel, parts, [meta_of(p) for p in parts], "all_to_all",
                            [meta_of(o) for o in outs])
        for t, o, payload in zip(output_tensor_list, outs, got):
            write_back(t, payload if isinstance(payload, np.ndarray) else from_bytes(payload, o))
    return _run(pg, job, output_tensor_list, async_op)


def all_to_all_single(output, input, output_split_sizes=None, input_split_sizes=None, group=None,
                      async_op: bool = False):
    """``all_to_all`` on the first dimension of one tensor, split evenly or by the split sizes."""
    check_single_tensor(output, "output")
    check_single_tensor(input, "input")
    pg = _member(group, "all_to_all_single")
    if pg is None:
        return None
    n = pg.size()

    def split(t, sizes, what):
        if sizes is None or len(sizes) == 0:
            if t.shape[0] % n:
                raise ValueError(f"{what}'s first dimension ({t.shape[0]}) must divide evenly among {n} ranks, or "
                                 f"give {what}_split_sizes")
            sizes = [t.shape[0] // n] * n
        sizes = [int(s) for s in sizes]
        if len(sizes) != n or sum(sizes) != t.shape[0]:
            raise ValueError(f"{what}_split_sizes {sizes} must have {n} entries summing to {what}'s first dimension "
                             f"({t.shape[0]})")
        edges = np.cumsum([0] + sizes)
        return [t[int(edges[i]):int(edges[i + 1])] for i in range(n)]
    return all_to_all(split(output, output_split_sizes, "output"), split(input, input_split_sizes, "input"),
                      group, async_op)


def barrier(group=None, async_op: bool = False, device_ids=None):
    """Return once every rank of the group has called ``barrier``."""
    pg = _member(group, "barrier")
    if pg is None:
        return None
    channel = pg.next_channel("br")

    def job():
        empty = np.zeros(0, np.uint8)
        n = pg.size()
        _exchange_all(pg, channel, [empty] * n, ["barrier"] * n, "barrier", ["barrier"] * n)
    return _run(pg, job, [], async_op)


def monitored_barrier(group=None, timeout=None, wait_all_ranks: bool = False):
    """``barrier`` that names the ranks that did not arrive within ``timeout``."""
    pg = _member(group, "monitored_barrier")
    if pg is None:
        return None
    channel = pg.next_channel("mb")
    seconds = timeout.total_seconds() if timeout is not None else pg.timeout.total_seconds()
    mesh, me, n = pg.mesh, pg.rank(), pg.size()
    if me != 0:
        mesh.send(0, channel, "arrive", b"").result()
        mesh.recv(0, channel + ".go", timeout=seconds)
        return None
    missing = []
    for peer in range(1, n):
        try:
            mesh.recv(peer, channel, timeout=seconds)
        except DistBackendError:
            missing.append(peer)
            if not wait_all_ranks:
                break
    if missing:
        raise DistBackendError(f"Ranks {', '.join(map(str, missing))} failed to pass monitoredBarrier in "
                               f"{int(seconds * 1000)} ms")
    for f in [mesh.send(peer, channel + ".go", "go", b"") for peer in range(1, n)]:
        f.result()
    return None
