"""``tensorgraft.distributed`` (``import torch.distributed as dist``): processes that train together.

Several processes (one per rank, started by ``python -m tensorgraft.distributed.run``,
``tensorgraft.multiprocessing.spawn`` or by hand) join one job with ``init_process_group``, then
exchange tensors with collectives (``all_reduce``, ``broadcast``, ``all_gather`` ...) and
point-to-point messages (``send``/``recv``). ``nn.parallel.DistributedDataParallel`` builds
data-parallel training on it.

The one backend, ``gloo``, is tensorgraft's own: TCP connections between every pair of ranks,
data sent straight from the tensors' memory (CUDA tensors through host memory). Where the files are:

- ``store.py``: key-value stores the processes meet through (TCPStore, FileStore, HashStore);
- ``rendezvous.py``: ``init_method`` URLs (env://, tcp://, file://);
- ``transport.py``: the connections and their messages;
- ``process_group.py``: groups, ranks, ``init_process_group``/``new_group``, ``ReduceOp``, ``Work``;
- ``collectives.py``: the operations on tensors (``point_to_point.py``: send/recv;
  ``tensor_messages.py``, ``ring_reduce.py``: what they share); ``objects.py``: on picklable objects;
- ``run.py``: the launcher (PyTorch's ``torchrun``).
"""
from .collectives import (P2POp, all_gather, all_gather_coalesced, all_gather_into_tensor, all_gather_single, all_reduce,
                          all_reduce_coalesced, all_to_all, all_to_all_single, barrier, batch_isend_irecv, broadcast,
                          gather, irecv, isend, monitored_barrier, recv, reduce, reduce_scatter, reduce_scatter_single,
                          reduce_scatter_tensor, scatter, send)
from .debug import DebugLevel, breakpoint, get_debug_level, set_debug_level, set_debug_level_from_env, supports_complex
from .errors import DistBackendError, DistError, DistNetworkError, DistStoreError
from .objects import (all_gather_object, broadcast_object_list, gather_object, recv_object_list, scatter_object_list,
                      send_object_list)
from .process_group import (Backend, GroupMember, ProcessGroup, ReduceOp, Work, _get_default_group,
                            _get_default_store, default_pg_timeout, destroy_process_group, get_backend,
                            get_backend_config,
                            get_default_backend_for_device, get_global_rank, get_group_rank, get_node_local_rank,
                            get_pg_count, get_process_group_ranks, get_rank, get_world_size, group, init_process_group,
                            is_available, is_backend_available, is_gloo_available, is_initialized, is_mpi_available,
                            is_nccl_available, is_torchelastic_launched, is_ucc_available, is_xccl_available,
                            new_group, new_subgroups, new_subgroups_by_enumeration, reduce_op)
from .rendezvous import register_rendezvous_handler
from .store import FileStore, HashStore, PrefixStore, Store, TCPStore

__all__ = [
    "Backend", "DebugLevel", "DistBackendError", "DistError", "DistNetworkError", "DistStoreError", "FileStore", "GroupMember",
    "HashStore", "P2POp", "PrefixStore", "ProcessGroup", "ReduceOp", "Store", "TCPStore", "Work", "all_gather",
    "all_gather_coalesced", "all_gather_into_tensor", "all_gather_object", "all_gather_single", "all_reduce", "all_reduce_coalesced",
    "all_to_all", "all_to_all_single", "barrier", "batch_isend_irecv", "broadcast", "broadcast_object_list",
    "breakpoint", "default_pg_timeout", "destroy_process_group", "gather", "gather_object", "get_backend",
    "get_backend_config", "get_debug_level", "get_default_backend_for_device", "get_global_rank", "get_group_rank", "get_node_local_rank", "get_pg_count",
    "get_process_group_ranks", "get_rank", "get_world_size", "group", "init_process_group", "irecv", "is_available",
    "is_backend_available", "is_gloo_available", "is_initialized", "is_mpi_available", "is_nccl_available",
    "is_torchelastic_launched", "is_ucc_available", "is_xccl_available", "isend", "monitored_barrier", "new_group",
    "new_subgroups", "new_subgroups_by_enumeration", "recv", "recv_object_list", "reduce", "reduce_op",
    "reduce_scatter", "reduce_scatter_single", "reduce_scatter_tensor", "register_rendezvous_handler", "scatter",
    "scatter_object_list", "send", "send_object_list", "set_debug_level", "set_debug_level_from_env", "supports_complex",
]
_ = (_get_default_group, _get_default_store)  # private names programs (and DDP) reach for, as in PyTorch


def __getattr__(name):
    """``GradBucket`` (what a DDP communication hook receives) is defined with DDP in tensorgraft-nn."""
    if name == "GradBucket":
        try:
            from tensorgraft.nn.parallel._reducer import GradBucket
        except ModuleNotFoundError as exc:
            raise AttributeError("tensorgraft.distributed.GradBucket comes with DistributedDataParallel, in "
                                 "tensorgraft-nn, which is not installed: pip install tensorgraft-nn") from exc
        return GradBucket
    raise AttributeError(f"module 'tensorgraft.distributed' has no attribute '{name}'")
