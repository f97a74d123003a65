"""Process groups: which processes take part in a collective, and the state of this process's job.

``init_process_group`` makes the default group (``group.WORLD``) from a rendezvous; ``new_group``
makes subgroups. Each group owns a ``Mesh`` (its connections, ``transport.py``) and one worker
thread that runs its collectives in the order they were issued, so ``async_op=True`` returns at
once and later calls still match up across ranks.

Ranks in the functions' ``src``/``dst`` arguments are global (the default group's), as in
PyTorch; ``group_src``/``group_dst`` name a rank inside the group.
"""
from __future__ import annotations

import enum
import os
import queue
import threading
from datetime import timedelta

import numpy as np

from ..futures import Future
from .errors import DistBackendError
from .rendezvous import rendezvous
from .store import PrefixStore, TCPStore
from .transport import Mesh

default_pg_timeout = timedelta(minutes=30)  # PyTorch's default for gloo


# --------------------------------------------------------------------------- reduce operations
class _ReduceOpMeta(type):
    def __instancecheck__(cls, obj):  # PyTorch's ReduceOp.SUM is an instance of ReduceOp
        return isinstance(obj, RedOpType) or type.__instancecheck__(cls, obj)


class RedOpType(enum.IntEnum):
    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7
    PREMUL_SUM = 8
    UNUSED = 9

    def __str__(self):
        return f"RedOpType.{self.name}"


class ReduceOp(metaclass=_ReduceOpMeta):
    """The reductions of ``all_reduce``/``reduce``/``reduce_scatter``: ``ReduceOp.SUM``, ``AVG``,
    ``PRODUCT``, ``MIN``, ``MAX``, ``BAND``, ``BOR``, ``BXOR``."""

    RedOpType = RedOpType
    SUM, AVG, PRODUCT, MIN, MAX = RedOpType.SUM, RedOpType.AVG, RedOpType.PRODUCT, RedOpType.MIN, RedOpType.MAX
    BAND, BOR, BXOR, PREMUL_SUM, UNUSED = (RedOpType.BAND, RedOpType.BOR, RedOpType.BXOR, RedOpType.PREMUL_SUM,
                                           RedOpType.UNUSED)

    def __init__(self, op=RedOpType.SUM):
        self.op = RedOpType(op)


class reduce_op:  # noqa: N801  (PyTorch's deprecated spelling)
    SUM, PRODUCT, MIN, MAX = ReduceOp.SUM, ReduceOp.PRODUCT, ReduceOp.MIN, ReduceOp.MAX


# --------------------------------------------------------------------------- backends
class Backend(str):
    """A backend's name: ``Backend("GLOO") == "gloo"``. tensorgraft's one backend is ``gloo`` (TCP
    between processes; CUDA tensors travel through host memory); ``nccl`` is accepted as the same
    backend when a CUDA device is available, so GPU scripts run unchanged."""

    UNDEFINED, GLOO, NCCL, UCC, MPI, XCCL = "undefined", "gloo", "nccl", "ucc", "mpi", "xccl"
    backend_list = [UNDEFINED, GLOO, NCCL, UCC, MPI, XCCL]
    default_device_backend_map = {"cpu": GLOO, "cuda": NCCL}

    def __new__(cls, name: str):
        if not isinstance(name, str):
            raise ValueError(f"Backend constructor parameter must be string-ish, but got: {type(name).__name__}")
        return super().__new__(cls, name.lower() if name.lower() in cls.backend_list else name)


def _cuda_available() -> bool:
    try:
        from .. import cuda
        return cuda.is_available()
    except Exception:  # tensorgraft-cuda not installed
        return False


def is_gloo_available() -> bool:
    return True


def is_nccl_available() -> bool:
    return _cuda_available()


def is_mpi_available() -> bool:
    return False


def is_ucc_available() -> bool:
    return False


def is_xccl_available() -> bool:
    return False


def is_backend_available(backend: str) -> bool:
    return {"gloo": True, "nccl": _cuda_available()}.get(str(backend).lower(), False)


def _resolve_backend(backend) -> str:
    """The backend name to report; refuses those tensorgraft cannot provide, in PyTorch's words."""
    name = "undefined" if backend is None else str(backend).lower()
    if name == "undefined":
        return "gloo"
    if ":" in name:  # "cpu:gloo,cuda:nccl": the CPU entry decides (CUDA tensors go through it too)
        pairs = dict(p.split(":", 1) for p in name.split(","))
        return _resolve_backend(pairs.get("cpu") or pairs.get("cuda"))
    if name == "gloo":
        return "gloo"
    if name == "nccl":
        if not _cuda_available():
            raise RuntimeError("Distributed package doesn't have NCCL built in")
        return "nccl"
    if name == "mpi":
        raise RuntimeError("Distributed package doesn't have MPI built in. MPI is only included if you build "
                           "PyTorch from source on a host that has MPI installed.")
    if name in ("ucc", "xccl"):
        raise RuntimeError(f"Distributed package doesn't have {name.upper()} built in")
    raise AssertionError(f"Unknown backend type {backend}")


# --------------------------------------------------------------------------- work handles
class Work:
    """The handle an ``async_op=True`` call returns: ``wait()`` blocks until the operation finished
    (raising its error), ``is_completed()`` asks, ``get_future()`` gives a ``torch.futures.Future``
    holding the output tensors."""

    def __init__(self, future: Future | None = None):
        self._future = future if future is not None else Future()

    def wait(self, timeout=None) -> bool:
        self._future.wait()
        return True

    def is_completed(self) -> bool:
        return self._future.done()

    def is_success(self) -> bool:
        if not self._future.done():
            raise RuntimeError("Work.is_success() called before the work completed; call wait() first")
        return self._future._fut.exception() is None

    def exception(self):
        return self._future._fut.exception() if self._future.done() else None

    def get_future(self) -> Future:
        return self._future

    def synchronize(self) -> None:
        self.wait()

    def result(self):
        return self._future.wait()


Work.__module__ = "tensorgraft.distributed"


# --------------------------------------------------------------------------- process groups
class ProcessGroup:
    """A set of ranks that run collectives together. ``rank()``/``size()`` are this process's rank
    in the group and the group's size; ``ranks`` the global ranks, in group order."""

    def __init__(self, store, rank: int, ranks: list[int], backend: str, timeout: timedelta, name: str,
                 advertise_host: str):
        self.ranks = list(ranks)
        self._rank, self._size = rank, len(ranks)
        self.backend, self.timeout, self.group_name = backend, timeout, name
        self.store = store
        self.mesh = Mesh(store, rank, len(ranks), name, timeout.total_seconds(), advertise_host)
        self._seq = 0  # collectives issued so far: names each one's messages
        self._scratch = None  # the ring all-reduce's landing buffer, kept between calls (see scratch)
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._pending = 0  # jobs submitted and not finished (run_now runs only when there are none)
        self._pending_lock = threading.Lock()
        self._exec_lock = threading.Lock()  # one job runs at a time, on the worker or inline
        self._worker = threading.Thread(target=self._run_jobs, name=f"tensorgraft-dist-{name}", daemon=True)
        self._worker.start()

    def rank(self) -> int:
        return self._rank

    def size(self) -> int:
        return self._size

    def name(self) -> str:
        return self.group_name

    def scratch(self, nbytes: int):
        """A reusable buffer of ``nbytes`` for the group's worker (one job runs at a time): reusing
        it spares each all-reduce the page faults of fresh memory."""
        if self._scratch is None or self._scratch.nbytes < nbytes:
            self._scratch = np.empty(nbytes, np.uint8)
        return self._scratch[:nbytes]

    def next_channel(self, kind: str) -> str:
        self._seq += 1
        return f"{kind}{self._seq}"

    def submit(self, job, result) -> Work:
        """Run ``job()`` on the group's worker after everything issued before it; the work's future
        gets ``result`` (the output tensors) when it finishes."""
        fut = Future()
        with self._pending_lock:
            self._pending += 1
        self._jobs.put((job, result, fut))
        return Work(fut)

    def run_now(self, job) -> bool:
        """Run ``job()`` in the calling thread if nothing issued before it is still waiting or
        running (a blocking call then spares the two thread hand-offs, which dominate small
        messages); False, and nothing run, otherwise."""
        with self._pending_lock:
            if self._pending:
                return False
            self._pending += 1  # (keeps the worker's next job from overtaking this one)
        try:
            with self._exec_lock:
                job()
        finally:
            with self._pending_lock:
                self._pending -= 1
        return True

    def _run_jobs(self):
        while True:
            item = self._jobs.get()
            if item is None:
                return
            job, result, fut = item
            error = None
            try:
                with self._exec_lock:
                    job()
            except BaseException as e:  # delivered to whoever waits on the work
                error = e
            with self._pending_lock:  # (before waking the waiter, whose next call may then run inline)
                self._pending -= 1
            if error is None:
                fut.set_result(result)
            else:
                fut.set_exception(error)

    def shutdown(self) -> None:
        self._jobs.put(None)
        self.mesh.close()

    def __repr__(self):
        return f"<tensorgraft.distributed.ProcessGroup {self.group_name!r} rank {self._rank} of {self._size}>"


ProcessGroup.__module__ = "tensorgraft.distributed"


class _World:
    """This process's distributed state."""

    def __init__(self):
        self.default_pg: ProcessGroup | None = None
        self.groups: dict[ProcessGroup, str] = {}  # every live group -> its backend
        self.group_count = 0
        self.store = None
        self.host = "127.0.0.1"  # the address this process's ranks listen on


_world = _World()


class _WorldMeta(type):
    @property
    def WORLD(cls):  # noqa: N802  (PyTorch's name)
        return _world.default_pg


class group(metaclass=_WorldMeta):  # noqa: N801
    """``group.WORLD``: the default process group (None before ``init_process_group``)."""


class GroupMember(metaclass=_WorldMeta):
    """``GroupMember.WORLD`` (the default group) and ``NON_GROUP_MEMBER`` (what ``new_group``
    returns to ranks outside the new group)."""

    NON_GROUP_MEMBER = -100


_NOT_INITIALIZED = "Default process group has not been initialized, please make sure to call init_process_group."


def is_available() -> bool:
    return True


def is_initialized() -> bool:
    return _world.default_pg is not None


def is_torchelastic_launched() -> bool:
    """True under ``python -m tensorgraft.distributed.run`` (torchrun), which sets TORCHELASTIC_RUN_ID."""
    return os.getenv("TORCHELASTIC_RUN_ID") is not None


def _get_default_group() -> ProcessGroup:
    if _world.default_pg is None:
        raise ValueError(_NOT_INITIALIZED)
    return _world.default_pg


def _get_default_store():
    _get_default_group()
    return _world.store


def resolve_group(group) -> ProcessGroup | None:
    """The group to run on (None for a rank outside ``group``)."""
    if group is None or group is GroupMember.WORLD:
        return _get_default_group()
    if group == GroupMember.NON_GROUP_MEMBER:
        return None
    if not isinstance(group, ProcessGroup):
        raise TypeError(f"group must be a ProcessGroup (from new_group) or None, not {type(group).__name__}")
    if group not in _world.groups:
        raise ValueError("Invalid process group specified: it was destroyed or belongs to another job")
    return group


def _advertise_host(store) -> str:
    """The address the other ranks reach this one at: the interface that talks to the store's
    master (loopback for a single machine); ``TENSORGRAFT_DIST_HOST`` overrides it."""
    override = os.environ.get("TENSORGRAFT_DIST_HOST")
    if override:
        return override
    base = store.underlying_store if isinstance(store, PrefixStore) else store
    if isinstance(base, TCPStore):
        host = base._sock.getsockname()[0]
        return "127.0.0.1" if host.startswith("127.") or host in ("::1", "::ffff:127.0.0.1") else host
    return "127.0.0.1"


def init_process_group(backend=None, init_method=None, timeout=None, world_size: int = -1, rank: int = -1,
                       store=None, group_name: str = "", pg_options=None, device_id=None) -> None:
    """Join this process to the job: rendezvous through ``init_method`` (``env://`` by default: the
    MASTER_ADDR, MASTER_PORT, RANK and WORLD_SIZE variables) or ``store``, connect to every other
    rank, and wait until all have arrived."""
    if _world.default_pg is not None:
        raise ValueError("trying to initialize the default process group twice!")
    if init_method is not None and store is not None:
        raise AssertionError("Cannot specify both init_method and store.")
    if store is not None:
        if world_size <= 0:
            raise AssertionError("world_size must be positive if using store")
        if rank < 0:
            raise AssertionError("rank must be non-negative if using store")
    name = _resolve_backend(backend)
    from .debug import set_debug_level_from_env
    set_debug_level_from_env()  # (TORCH_DISTRIBUTED_DEBUG as it is now, as PyTorch reads it here)
    if timeout is None:
        timeout = default_pg_timeout
    elif not isinstance(timeout, timedelta):
        raise TypeError(f"Expected timeout argument to be of type datetime.timedelta, got {type(timeout)}")
    if store is None:
        store, rank, world_size = rendezvous(init_method or "env://", rank, world_size, timeout)
    if not 0 <= rank < world_size:
        raise ValueError(f"Invalid rank {rank}: the rank must be in [0, {world_size - 1}] for world size {world_size}")
    _world.store = store
    _world.host = _advertise_host(store)
    prefixed = PrefixStore("default_pg", store)
    pg = ProcessGroup(prefixed, rank, list(range(world_size)), name, timeout, group_name or "0",
                      _world.host)
    _world.default_pg = pg
    _world.groups[pg] = name
    _world.group_count = 1
    from .collectives import barrier
    barrier()  # every rank has connected before any returns (PyTorch's store-based barrier)


def destroy_process_group(group=None) -> None:
    """Close ``group`` (None: every group, ending this process's part in the job)."""
    if group is None or group is GroupMember.WORLD:
        if _world.default_pg is None:
            raise ValueError(_NOT_INITIALIZED)
        for pg in list(_world.groups):
            pg.shutdown()
        base = _world.store
        _world.__init__()
        if hasattr(base, "close"):
            base.close()
        return
    if group == GroupMember.NON_GROUP_MEMBER:
        return
    if group not in _world.groups:
        raise ValueError("Invalid process group specified")
    group.shutdown()
    del _world.groups[group]


def new_group(ranks=None, timeout=None, backend=None, pg_options=None, use_local_synchronization: bool = False,
              group_desc=None, device_id=None):
    """A group of the global ``ranks`` (all of them by default). Every rank of the default group
    must call it, in the same order as the other ``new_group`` calls; ranks outside the group get
    ``GroupMember.NON_GROUP_MEMBER``."""
    world = _get_default_group()
    _world.group_count += 1
    number = _world.group_count
    size = world.size()
    if ranks is None:
        ranks = list(range(size))
    ranks = sorted(int(r) for r in ranks)
    for r in ranks:
        if not 0 <= r < size:
            raise ValueError(f"The new group's global rank {r} is not within the world of size {size}")
    if len(set(ranks)) != len(ranks):
        raise ValueError(f"new_group was given a rank more than once: {ranks}")
    name = _resolve_backend(backend) if backend is not None else _world.groups[world]
    timeout = timeout if timeout is not None else world.timeout
    me = world.rank()
    if me not in ranks:
        return GroupMember.NON_GROUP_MEMBER
    pg = ProcessGroup(PrefixStore(f"group{number}", _world.store), ranks.index(me), ranks, name, timeout,
                      str(number), _world.host)
    _world.groups[pg] = name
    return pg


def new_subgroups(group_size=None, group=None, timeout=None, backend=None, pg_options=None, group_desc=None):
    """Split the world into groups of ``group_size`` consecutive ranks (default: the whole world);
    returns ``(this rank's subgroup, all subgroups)``."""
    size = get_world_size()
    group_size = size if group_size is None else int(group_size)
    if group_size <= 0:
        raise ValueError("The arg 'group_size' must be greater than 0")
    if size % group_size != 0:
        raise ValueError(f"The world size ({size}) must be divisible by 'group_size={group_size}'")
    return new_subgroups_by_enumeration([list(range(s, s + group_size)) for s in range(0, size, group_size)],
                                        timeout=timeout, backend=backend)


def new_subgroups_by_enumeration(ranks_per_subgroup_list, timeout=None, backend=None, pg_options=None,
                                 group_desc=None):
    """One group per list of ranks (disjoint); returns ``(this rank's subgroup, all subgroups)``."""
    mine, groups = None, []
    me = get_rank()
    seen: set = set()
    for ranks in ranks_per_subgroup_list:
        overlap = seen.intersection(ranks)
        if overlap:
            raise ValueError(f"Rank {min(overlap)} has appeared in both subgroup {ranks} and an earlier subgroup")
        seen.update(ranks)
        g = new_group(ranks, timeout=timeout, backend=backend)
        groups.append(g)
        if me in ranks:
            mine = g
    return mine, groups


def get_rank(group=None) -> int:
    """This process's rank in ``group`` (the default group: its global rank); -1 outside it."""
    pg = resolve_group(group)
    return -1 if pg is None else pg.rank()


def get_world_size(group=None) -> int:
    pg = resolve_group(group)
    return -1 if pg is None else pg.size()


def get_backend(group=None) -> Backend:
    pg = resolve_group(group)
    if pg is None:
        raise ValueError("Invalid process group specified")
    return Backend(_world.groups[pg])


def get_backend_config(group=None) -> str:
    """Which backend serves each device type (tensorgraft's one backend serves both)."""
    backend = get_backend(group)
    return f"cpu:{backend},cuda:{backend}"


def get_process_group_ranks(group) -> list[int]:
    pg = resolve_group(group)
    return list(pg.ranks)


def get_group_rank(group, global_rank: int) -> int:
    pg = resolve_group(group)
    if global_rank not in pg.ranks:
        raise ValueError(f"Global rank {global_rank} is not part of group {pg}")
    return pg.ranks.index(global_rank)


def get_global_rank(group, group_rank: int) -> int:
    pg = resolve_group(group)
    if not 0 <= group_rank < pg.size():
        raise ValueError(f"Group rank {group_rank} is not part of group {pg}")
    return pg.ranks[group_rank]


def get_node_local_rank(fallback_rank: int | None = None) -> int:
    """LOCAL_RANK from the launcher's environment (or ``fallback_rank``)."""
    if "LOCAL_RANK" in os.environ:
        return int(os.environ["LOCAL_RANK"])
    if fallback_rank is not None:
        return int(fallback_rank)
    raise RuntimeError("LOCAL_RANK is not in the environment. Consider passing fallback_rank to allow "
                       "`get_node_local_rank` to work, assuming you are not running in a multi-device context and "
                       "want the code to run locally instead.")


def get_pg_count() -> int:
    return len(_world.groups)


def get_default_backend_for_device(device) -> str:
    kind = str(device).split(":")[0]
    if kind not in Backend.default_device_backend_map:
        raise ValueError(f"Default backend not registered for device : {device}")
    return Backend.default_device_backend_map[kind]


def group_rank_of(pg: ProcessGroup, global_rank, group_rank, what: str) -> int:
    """The group rank a function's ``src``/``dst`` (global) or ``group_src``/``group_dst`` names."""
    if global_rank is not None and group_rank is not None:
        raise ValueError(f"Can not specify both {what} and group_{what}")
    if group_rank is not None:
        r = int(group_rank)
        if not 0 <= r < pg.size():
            raise ValueError(f"Group rank {r} is not part of group {pg}")
        return r
    r = int(global_rank if global_rank is not None else 0)
    if pg is _world.default_pg:
        if not 0 <= r < pg.size():
            raise DistBackendError(f"Invalid {what} rank {r}: the default group has ranks 0 to {pg.size() - 1}")
        return r
    if r not in pg.ranks:
        raise ValueError(f"Global rank {r} is not part of group {pg}")
    return pg.ranks.index(r)

