"""``nn.parallel.DistributedDataParallel``: one replica of a model per process, its gradients
averaged across the processes of a ``tensorgraft.distributed`` process group during backward.

At construction the parameters and buffers of rank 0 are broadcast, so every replica starts the
same; each forward (by default) broadcasts rank 0's buffers again; each backward averages the
gradients, in buckets launched as they fill (``_reducer.py``). Optimizer steps then keep the
replicas equal. Training over N ranks with 1/N of the batch each gives the gradients of one
process training on the whole batch (for a loss that averages over the batch).

Differences from PyTorch, and why:

* ``find_unused_parameters``: instead of walking the graph from the forward's outputs, the reducer
  asks the running backward pass which gradient accumulators it will reach (``engine.passes``). So
  a parameter whose output the loss ignores is treated as unused too — what PyTorch reaches with the
  extra ``_DDPSink`` node it inserts. Several separate backward calls per iteration are then not
  supported with ``find_unused_parameters`` (the first would mark the others' parameters unused).
* ``SyncBatchNorm`` works on CPU (tensorgraft's process group is a CPU backend), where PyTorch's
  DDP refuses it with "SyncBatchNorm layers only work with GPU modules".
* ``join``, ``mixed_precision``, ``device_mesh`` and the delayed all-reduce options are not offered.
"""
from __future__ import annotations

import inspect
import itertools
import warnings
from contextlib import contextmanager

import tensorgraft as _tg
from tensorgraft.tensor import Tensor

from ..modules.module import Module
from ._reducer import _FIRST_BUCKET_BYTES, _MB, GradBucket, Reducer

__all__ = ["DistributedDataParallel"]

_DEFAULT_BUCKET_CAP_MB = 25
_BROADCAST_BUCKET_BYTES = 250 * 1024 * 1024


def _dist():
    import tensorgraft.distributed as dist
    return dist


def _move_to(obj, device):
    """``obj`` with every tensor in it moved to ``device`` (the ``device_ids`` case)."""
    if isinstance(obj, Tensor):
        return obj.to(device)
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(_move_to(v, device) for v in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(_move_to(v, device) for v in obj)
    if isinstance(obj, dict):
        return type(obj)((k, _move_to(v, device)) for k, v in obj.items())
    return obj


def _broadcast_coalesced(tensors, src, group, bucket_bytes=_BROADCAST_BUCKET_BYTES):
    """Broadcast ``tensors`` from ``src`` in place, flattened into one message per dtype and
    device (at most ``bucket_bytes`` each)."""
    dist = _dist()
    groups = {}
    for t in tensors:
        groups.setdefault((t.dtype, str(t.device)), []).append(t)
    with _tg.no_grad():
        for same in groups.values():
            chunk, size = [], 0
            for t in same + [None]:
                if t is not None and (not chunk or size + t.numel() * t.element_size() <= bucket_bytes):
                    chunk.append(t)
                    size += t.numel() * t.element_size()
                    continue
                flat = _tg.cat([c.detach().reshape(-1) for c in chunk])
                dist.broadcast(flat, src, group=group)
                offset = 0
                for c in chunk:
                    c.copy_(flat[offset:offset + c.numel()].view(c.shape))
                    offset += c.numel()
                chunk, size = ([t], t.numel() * t.element_size()) if t is not None else ([], 0)


def _verify_param_shape_across_processes(group, params):
    """PyTorch's check that every rank wraps the same model: the same number of parameters, and
    rank 0's sizes and strides."""
    dist = _dist()
    rank, world = dist.get_rank(group), dist.get_world_size(group)
    counts = [_tg.zeros(2, dtype=_tg.int64) for _ in range(world)]
    meta_len = sum(2 * p.dim() for p in params)
    dist.all_gather(counts, _tg.tensor([len(params), meta_len], dtype=_tg.int64), group=group)
    for i, c in enumerate(counts):
        n = int(c[0])
        if n != len(params):
            raise RuntimeError(f"DDP expects same model across all ranks, but Rank {rank} has {len(params)} params, "
                               f"while rank {i} has inconsistent {n} params.")
    width = max(int(c[1]) for c in counts)
    meta = []
    for p in params:
        meta += list(p.shape) + list(p.stride())
    meta = _tg.tensor(meta + [-1] * (width - len(meta)), dtype=_tg.int64)
    dist.broadcast(meta, 0, group=group)
    control, k, error = meta.tolist(), 0, None
    for i, p in enumerate(params):
        for what, values in (("sizes", list(p.shape)), ("strides", list(p.stride()))):
            if error is None and values != control[k:k + len(values)]:
                error = (f"[{rank}]: params[{i}] in this process with {what} {values} appears not to match {what} of "
                         "the same param in process 0.")
            k += len(values)
    # PyTorch raises on the mismatching ranks only, and the others then wait forever in the
    # broadcast that follows: here every rank learns of it and raises
    flags = _tg.tensor([0 if error is None else 1], dtype=_tg.int64)
    gathered = [_tg.zeros(1, dtype=_tg.int64) for _ in range(world)]
    dist.all_gather(gathered, flags, group=group)
    if error is not None:
        raise RuntimeError(error)
    bad = [i for i, f in enumerate(gathered) if int(f[0])]
    if bad:
        raise RuntimeError(f"DDP expects same model across all ranks, but the parameters of rank(s) {bad} do not "
                           "match the sizes and strides of process 0's.")


class DistributedDataParallel(Module):
    """Data parallelism across processes: wrap the per-process replica, call it like the module,
    and backward leaves every parameter's ``.grad`` averaged over the ranks of ``process_group``
    (the default group unless given)."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=None, init_sync=True,
                 process_group=None, bucket_cap_mb=None, find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False, delay_all_reduce_named_params=None,
                 param_to_hook_all_reduce=None, mixed_precision=None, device_mesh=None,
                 skip_all_reduce_unused_params=False, bucket_cap_mb_list=None, batched_grad_copy=False,
                 forward_sync_buffers=None):
        super().__init__()
        if (delay_all_reduce_named_params is not None) != (param_to_hook_all_reduce is not None):
            raise ValueError("delay_all_reduce_named_params and param_to_hook_all_reduce need to be set at the same "
                             "time.")
        if process_group and device_mesh is not None:
            raise RuntimeError("Cannot specify both process_group and device_mesh arguments.")
        for name, value in (("delay_all_reduce_named_params", delay_all_reduce_named_params),
                            ("mixed_precision", mixed_precision), ("device_mesh", device_mesh)):
            if value is not None:
                raise NotImplementedError(f"DistributedDataParallel: {name} is not supported by tensorgraft")
        if skip_all_reduce_unused_params:
            raise NotImplementedError("DistributedDataParallel: skip_all_reduce_unused_params is not supported by "
                                      "tensorgraft")
        self.process_group = _dist()._get_default_group() if process_group is None else process_group
        self.parameters_to_ignore = set(getattr(module, "_ddp_params_and_buffers_to_ignore", ()))
        self._module_parameters = [p for n, p in module.named_parameters() if n not in self.parameters_to_ignore]
        if not any(p.requires_grad for p in self._module_parameters):
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have any parameter that "
                               "requires a gradient.")
        if device_ids is not None and len(device_ids) > 1:
            raise ValueError("device_ids can only be None or contain a single element.")
        self.is_multi_device_module = len({str(p.device) for p in self._module_parameters}) > 1
        device_types = {p.device.type for p in self._module_parameters}
        if len(device_types) != 1:
            raise ValueError("DistributedDataParallel's input module must be on the same type of devices, but input "
                             f"module parameters locate in {device_types}.")
        self.device_type = next(iter(device_types))
        if not device_ids or self.device_type == "cpu" or self.is_multi_device_module:
            if device_ids or output_device:
                devices = {p.device for p in self._module_parameters}
                raise ValueError("DistributedDataParallel device_ids and output_device arguments only work with "
                                 "single-device/multiple-device GPU modules or CPU modules, but got device_ids "
                                 f"{device_ids}, output_device {output_device}, and module parameters {devices}.")
            self.device_ids = self.output_device = None
        else:
            self.device_ids = [_device_index(d) for d in device_ids]
            self.output_device = _device_index(device_ids[0] if output_device is None else output_device)
        self.static_graph = False
        self.dim = dim
        self.module = module
        self.device = self._module_parameters[0].device
        if broadcast_buffers is not None:
            if forward_sync_buffers is not None:
                warnings.warn("Both `broadcast_buffers` and `forward_sync_buffers` were specified. `broadcast_buffers` "
                              "is deprecated and its value is ignored when `forward_sync_buffers` is provided.",
                              FutureWarning, stacklevel=2)
            else:
                warnings.warn("`broadcast_buffers` is deprecated. Use `forward_sync_buffers` instead. IMPORTANT: "
                              "unlike `broadcast_buffers=False`, `forward_sync_buffers=False` still syncs buffers at "
                              "init. If you rely on buffers NOT being synced at init (e.g. rank-local buffers), keep "
                              "using `broadcast_buffers=False` until `init_sync_buffers` is available.",
                              FutureWarning, stacklevel=2)
        if forward_sync_buffers is not None:
            self.forward_sync_buffers = forward_sync_buffers
            init_sync_buffers = True
        else:
            self.forward_sync_buffers = init_sync_buffers = broadcast_buffers if broadcast_buffers is not None else True
        self.find_unused_parameters = find_unused_parameters
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.batched_grad_copy = batched_grad_copy
        self.mixed_precision = None
        if check_reduction:
            warnings.warn("The `check_reduction` argument in `DistributedDataParallel` module is deprecated. Please "
                          "avoid using it.", FutureWarning, stacklevel=2)
        from ..parameter import UninitializedParameter
        if any(isinstance(p, UninitializedParameter) for p in self._module_parameters):
            raise RuntimeError("Modules with uninitialized parameters can't be used with `DistributedDataParallel`. "
                               "Run a dummy forward pass to correctly initialize the modules")
        self.broadcast_bucket_size = _BROADCAST_BUCKET_BYTES
        default_cap = bucket_cap_mb is None and not bucket_cap_mb_list
        cap_mb = max(bucket_cap_mb_list) if bucket_cap_mb_list else (
            _DEFAULT_BUCKET_CAP_MB if bucket_cap_mb is None else bucket_cap_mb)
        self.bucket_bytes_cap = int(cap_mb * _MB)
        self.bucket_bytes_cap_default = default_cap
        first_cap = _FIRST_BUCKET_BYTES if default_cap else self.bucket_bytes_cap
        if bucket_cap_mb_list:
            bucket_limits = rebuild_limits = [int(c * _MB) for c in bucket_cap_mb_list]
        else:
            rebuild_limits = [first_cap, self.bucket_bytes_cap]
            # the first iteration puts everything in one bucket unless unused parameters are searched:
            # the order of the gradients is not known yet (PyTorch's compute_bucket_size_limits)
            bucket_limits = [float("inf")] if static_graph or not find_unused_parameters else rebuild_limits
        parameters, names = self._build_params_for_reducer()
        if init_sync:
            _verify_param_shape_across_processes(self.process_group, parameters)
            self._sync_module_states(init_sync_buffers)
        self.reducer = Reducer(parameters, names, self.process_group, bucket_limits=bucket_limits,
                               rebuild_limits=rebuild_limits, find_unused_parameters=find_unused_parameters,
                               gradient_as_bucket_view=gradient_as_bucket_view)
        self._comm_hooks = []
        self._has_rebuilt_buckets = False
        if static_graph:
            self._set_static_graph()

    # ------------------------------------------------------------------ construction helpers
    def _build_params_for_reducer(self):
        """The parameters to reduce (requiring grad, not ignored, each once) and their qualified names."""
        seen, params, names = set(), [], []
        for module_name, m in self.module.named_modules():
            for param_name, p in m.named_parameters(recurse=False):
                fqn = f"{module_name}.{param_name}"
                if p.requires_grad and fqn not in self.parameters_to_ignore and id(p) not in seen:
                    seen.add(id(p))
                    params.append(p)
                    names.append(fqn)
        self._assign_modules_buffers()
        return params, names

    def _assign_modules_buffers(self):
        """The buffers a forward broadcasts, looked up again each time (a module may reassign one)."""
        self.named_module_buffers = {n: b for n, b in self.module.named_buffers() if n not in self.parameters_to_ignore}
        self.modules_buffers = list(self.named_module_buffers.values())

    def _sync_module_states(self, broadcast_buffers):
        states = [p for n, p in self.module.named_parameters() if n not in self.parameters_to_ignore]
        if broadcast_buffers:
            states += [b for n, b in self.module.named_buffers() if n not in self.parameters_to_ignore]
        if states:
            _broadcast_coalesced(states, 0, self.process_group, self.broadcast_bucket_size)

    # ------------------------------------------------------------------ forward
    def forward(self, *inputs, **kwargs):
        inputs, kwargs = self._pre_forward(*inputs, **kwargs)
        return self._post_forward(self.module(*inputs, **kwargs))

    def _pre_forward(self, *inputs, **kwargs):
        if _tg.is_grad_enabled() and self.reducer.rebuild_buckets():
            self._has_rebuilt_buckets = True
        if self.will_sync_module_buffers():
            self._sync_buffers()
        if self.device_ids:
            device = _tg.device(self.device_type, self.device_ids[0])
            return _move_to(tuple(inputs), device), _move_to(dict(kwargs), device)
        return inputs, kwargs

    def _post_forward(self, output):
        if _tg.is_grad_enabled() and self.require_backward_grad_sync:
            self.require_forward_param_sync = True
            self.reducer.prepare_for_backward()
        else:
            self.require_forward_param_sync = False
        return output

    def will_sync_module_buffers(self):
        return self.require_forward_param_sync and self.forward_sync_buffers and len(self.modules_buffers) > 0

    def _sync_buffers(self):
        self._assign_modules_buffers()
        if self.modules_buffers:
            _broadcast_coalesced(self.modules_buffers, 0, self.process_group, self.broadcast_bucket_size)

    @property
    def broadcast_buffers(self):
        return self.forward_sync_buffers

    @broadcast_buffers.setter
    def broadcast_buffers(self, value):
        self.forward_sync_buffers = value

    # ------------------------------------------------------------------ the public API
    @contextmanager
    def no_sync(self):
        """Backward passes of forwards run inside this block accumulate gradients locally; the first
        synchronised backward after it averages the accumulated gradients."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    def register_comm_hook(self, state, hook):
        """Replace the bucket all-reduce by ``hook(state, bucket) -> Future`` whose value is the
        bucket's reduced buffer (not divided by the world size beforehand: the hook does that)."""
        if not callable(hook):
            raise TypeError("Communication hook must be callable.")
        try:
            sig = inspect.signature(hook)
        except (TypeError, ValueError):
            sig = None
        if sig is not None and "bucket" in sig.parameters:
            ann = sig.parameters["bucket"].annotation
            if ann is not inspect.Parameter.empty and ann is not GradBucket and not (
                    isinstance(ann, str) and ann.endswith("GradBucket")):
                raise ValueError("Communication hook: bucket annotation should be dist.GradBucket.")
        if self.reducer.comm_hook is not None:
            raise RuntimeError("register_comm_hook or register_builtin_comm_hook can only be called once.")
        self.reducer.comm_hook = (hook, state)
        self._comm_hooks.append((hook, state))

    def join(self, divide_by_initial_world_size=True, enable=True, throw_on_early_termination=False):
        raise NotImplementedError("DistributedDataParallel.join (uneven inputs across ranks) is not supported by "
                                  "tensorgraft: give every rank the same number of batches")

    def _set_static_graph(self):
        if self.static_graph:
            warnings.warn("You've set static_graph to be True, no need to set it again.", stacklevel=2)
            return
        self.static_graph = True
        self.reducer.static_graph = True
        if self.find_unused_parameters:
            warnings.warn("You passed find_unused_parameters=true to DistributedDataParallel, `_set_static_graph` "
                          "will detect unused parameters automatically, so you do not need to set "
                          "find_unused_parameters=true, just be sure these unused parameters will not change during "
                          "training loop while calling `_set_static_graph`.", stacklevel=2)

    def train(self, mode=True):
        super().train(mode)
        return self

    @staticmethod
    def _set_params_and_buffers_to_ignore_for_model(module, params_and_buffers_to_ignore):
        """Mark parameters and buffers (by qualified name) that DDP neither broadcasts nor reduces;
        call on the plain module before wrapping it."""
        module._ddp_params_and_buffers_to_ignore = params_and_buffers_to_ignore
        for name, t in itertools.chain(module.named_parameters(), module.named_buffers()):
            if name in params_and_buffers_to_ignore:
                t._ddp_ignored = True

    @staticmethod
    def _get_data_parallel_params(module, named_params=False):
        for param in module.named_parameters() if named_params else module.parameters():
            if not hasattr(param[1] if named_params else param, "_ddp_ignored"):
                yield param

    def _remove_autograd_hooks(self):
        self.reducer.remove_hooks()

    @property
    def _distributed_rank(self):
        return _dist().get_rank(self.process_group)

    # ------------------------------------------------------------------ pickling / deepcopy
    def __getstate__(self):
        self._check_default_group()
        state = dict(self.__dict__)
        state.pop("process_group", None)
        state.pop("reducer", None)
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        self.process_group = _dist()._get_default_group()
        static = self.static_graph
        self.static_graph = False
        parameters, names = self._build_params_for_reducer()
        self.reducer = Reducer(parameters, names, self.process_group,
                               bucket_limits=[float("inf")], rebuild_limits=[self.bucket_bytes_cap],
                               find_unused_parameters=self.find_unused_parameters,
                               gradient_as_bucket_view=self.gradient_as_bucket_view)
        if static:
            self._set_static_graph()

    def _check_default_group(self):
        try:
            same = self.process_group is _dist()._get_default_group()
        except (RuntimeError, ValueError):
            same = False
        if not same:
            raise RuntimeError("DDP Pickling/Unpickling are only supported when using DDP with the default process "
                               "group. That is, when you have called init_process_group and have not passed "
                               "process_group argument to DDP constructor")


def _device_index(device):
    if isinstance(device, int):
        return device
    device = _tg.device(device)
    return 0 if device.index is None else device.index
