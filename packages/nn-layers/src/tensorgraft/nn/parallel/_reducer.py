"""The gradient reducer behind ``DistributedDataParallel``: buckets of parameters, averaged across
the ranks of a process group while the backward pass is still running.

Each parameter that requires grad gets a post-accumulate-grad hook. When a parameter's gradient
is final for this backward pass it is *ready*; when every parameter of a bucket is ready, the
bucket's gradients are flattened into one tensor, scaled by ``1 / world_size`` and all-reduced
asynchronously, so the communication overlaps the rest of the backward pass. Buckets are launched
strictly in bucket order (a bucket that fills early waits for the ones before it): every rank must
issue the same collectives in the same order. Once the last bucket is launched, the reducer waits
for all of them and writes the averages back into ``.grad`` at the end of the backward pass (a
callback queued with ``Variable._execution_engine.queue_callback``, as PyTorch's reducer does), so
a hook that fires for an already-ready parameter later in the same pass is still caught.

With ``find_unused_parameters`` (or in the first iteration with ``static_graph``), parameters that
cannot receive a gradient in this backward pass are marked ready at its first hook: those whose
gradient accumulator is not among the nodes the pass will reach (``engine.passes[-1].nodes``).
A map of the parameters each rank used is all-reduced after the last bucket, and a parameter no
rank used keeps its ``.grad`` untouched, as in PyTorch.
"""
from __future__ import annotations

import weakref

import tensorgraft as _tg

_FIRST_BUCKET_BYTES = 1024 * 1024
_MB = 1024 * 1024


def _dist():
    import tensorgraft.distributed as dist
    return dist


def assign_buckets(params, limits, order=None):
    """Bucket the indices of ``params`` (taken in ``order``, default index order) by dtype and
    device, closing a bucket once it holds ``limits[k]`` bytes (the last limit repeats). Without
    an explicit order, buckets are sorted by their smallest index (PyTorch's
    ``_compute_bucket_assignment_by_size``)."""
    open_buckets, limit_pos, result = {}, {}, []
    for i in (range(len(params)) if order is None else order):
        p = params[i]
        key = (p.dtype, str(p.device))
        indices, size = open_buckets.get(key, ([], 0))
        indices.append(i)
        size += p.numel() * p.element_size()
        pos = limit_pos.get(key, 0)
        if size >= limits[pos]:
            result.append(indices)
            open_buckets.pop(key, None)
            limit_pos[key] = min(pos + 1, len(limits) - 1)
        else:
            open_buckets[key] = (indices, size)
    result.extend(indices for indices, _ in open_buckets.values() if indices)
    if order is None:
        result.sort(key=min)
    return result


class GradBucket:
    """What a communication hook (``DistributedDataParallel.register_comm_hook``) is handed: one
    bucket's gradients flattened into ``buffer()`` (not divided by the world size), the views of
    that buffer for each parameter (``gradients()``) and the parameters themselves."""

    def __init__(self, index, buffer, offsets, params, is_last):
        self._index, self._buffer, self._offsets, self._params, self._is_last = index, buffer, offsets, params, is_last

    def index(self):
        return self._index

    def buffer(self):
        return self._buffer

    def set_buffer(self, buffer):
        self._buffer = buffer

    def is_last(self):
        return self._is_last

    def parameters(self):
        return list(self._params)

    def gradients(self):
        return [self._buffer[o:o + p.numel()].view(p.shape) for o, p in zip(self._offsets, self._params)]


GradBucket.__module__ = "tensorgraft.distributed"


class _Bucket:
    __slots__ = ("indices", "offsets", "numel", "pending", "flat", "views", "work", "result")

    def __init__(self, indices, params):
        self.indices = indices
        self.offsets, n = [], 0
        for i in indices:
            self.offsets.append(n)
            n += params[i].numel()
        self.numel = n
        self.pending = len(indices)
        self.flat = self.views = self.work = self.result = None


def _current_pass():
    """The backward pass running now (None outside one)."""
    from tensorgraft.autograd import engine
    return engine.passes[-1] if engine.passes else None


def _hook(reducer_ref, index, _param):
    reducer = reducer_ref()
    if reducer is not None:
        reducer.autograd_hook(index)


class Reducer:
    """The bucketed all-reduce of one ``DistributedDataParallel``'s gradients (see the module doc)."""

    def __init__(self, params, names, process_group, *, bucket_limits, rebuild_limits, find_unused_parameters,
                 gradient_as_bucket_view, static_graph=False):
        self.params = params
        self.names = names
        self.process_group = process_group
        self.find_unused = find_unused_parameters
        self.as_view = gradient_as_bucket_view
        self.static_graph = static_graph
        self.rebuild_limits = rebuild_limits
        self._set_buckets(assign_buckets(params, bucket_limits)[::-1])
        self.expect_hooks = False      # a synchronised backward pass is due (set by prepare_for_backward)
        self.require_finalize = False  # ... and has not finished yet
        self.ready = [False] * len(params)
        self.next_bucket = 0
        self.has_marked_unused = False
        self.local_used = [False] * len(params)  # since the last synchronised backward
        self.static_unused = None       # static_graph: the parameters no rank used in the first iteration
        self.ready_order = []           # first iteration: the order gradients came in, to rebuild buckets
        self.has_rebuilt = False
        self.comm_hook = None
        self.num_iterations = 0
        ref = weakref.ref(self)
        self._handles = [p.register_post_accumulate_grad_hook(lambda t, i=i: _hook(ref, i, t))
                         for i, p in enumerate(params)]

    # ------------------------------------------------------------------ buckets
    def _set_buckets(self, bucket_indices):
        self.buckets = [_Bucket(b, self.params) for b in bucket_indices]
        self.bucket_of = {}
        for k, b in enumerate(self.buckets):
            for j, i in enumerate(b.indices):
                self.bucket_of[i] = (k, j)

    def bucket_indices(self):
        return [list(b.indices) for b in self.buckets]

    def _should_rebuild(self):
        return (self.static_graph or not self.find_unused) and not self.has_rebuilt

    def rebuild_buckets(self):
        """Before the second iteration's forward: rebucket in the order the first backward produced the
        gradients (the order agreed from rank 0, since every rank must launch the same buckets)."""
        self.ensure_prior_reduction_finished()
        if not self._should_rebuild() or not self.ready_order:
            return False
        order = list(dict.fromkeys(self.ready_order))
        seen = set(order)
        order += [i for i in reversed(range(len(self.params))) if i not in seen]
        dist = _dist()
        if dist.get_world_size(self.process_group) > 1:
            t = _tg.tensor(order, dtype=_tg.int64)
            dist.broadcast(t, 0, group=self.process_group)
            order = [int(v) for v in t.tolist()]
        self._set_buckets(assign_buckets(self.params, self.rebuild_limits, order))
        self.has_rebuilt = True
        self.ready_order = []
        return True

    # ------------------------------------------------------------------ the iteration
    def ensure_prior_reduction_finished(self):
        if not self.require_finalize:
            return
        missing = [i for i, r in enumerate(self.ready) if not r]
        if self.static_graph and self.num_iterations > 0:
            head = ("Expected to have finished reduction in the prior iteration before starting a new one. This "
                    "error indicates that your training graph has changed in this iteration, e.g., one parameter "
                    "is used in first iteration, but then got unused in the second iteration. this is not "
                    "compatible with static_graph set to True.")
        elif self.find_unused:
            head = ("Expected to have finished reduction in the prior iteration before starting a new one. This "
                    "error indicates that your module has parameters that were not used in producing loss. Since "
                    "`find_unused_parameters=True` is enabled, this likely  means that not all `forward` outputs "
                    "participate in computing loss. You can fix this by making sure all `forward` function outputs "
                    "participate in calculating loss. \nIf you already have done the above, then the distributed "
                    "data parallel module wasn't able to locate the output tensors in the return value of your "
                    "module's `forward` function. Please include the loss function and the structure of the return "
                    "value of `forward` of your module when reporting this issue (e.g. list, dict, iterable).")
        else:
            head = ("Expected to have finished reduction in the prior iteration before starting a new one. This "
                    "error indicates that your module has parameters that were not used in producing loss. You can "
                    "enable unused parameter detection by passing the keyword argument `find_unused_parameters=True`"
                    " to `torch.nn.parallel.DistributedDataParallel`, and by \nmaking sure all `forward` function "
                    "outputs participate in calculating loss. \nIf you already have done the above, then the "
                    "distributed data parallel module wasn't able to locate the output tensors in the return value "
                    "of your module's `forward` function. Please include the loss function and the structure of the "
                    "return value of `forward` of your module when reporting this issue (e.g. list, dict, iterable).")
        rank = _dist().get_rank(self.process_group)
        msg = f"{head}\nParameter indices which did not receive grad for rank {rank}: {' '.join(map(str, missing))}"
        if _dist().get_debug_level() >= _dist().DebugLevel.INFO:  # (TORCH_DISTRIBUTED_DEBUG, or set_debug_level)
            msg += (f"\nParameters which did not receive grad for rank {rank}: "
                    f"{', '.join(self.names[i] for i in missing)}")
        else:
            msg += ("\n In addition, you can set the environment variable TORCH_DISTRIBUTED_DEBUG to either INFO or "
                    "DETAIL to print out information about which particular parameters did not receive gradient on "
                    "this rank as part of this error")
        raise RuntimeError(msg)

    def prepare_for_backward(self):
        """After a forward pass whose backward must synchronise the gradients."""
        self.expect_hooks = True
        self.ready = [False] * len(self.params)
        for b in self.buckets:
            b.pending = len(b.indices)
            b.work = b.result = None
        self.next_bucket = 0
        self.has_marked_unused = False

    def _dynamic_unused(self):
        return self.find_unused and not self.static_graph

    def _tracks_use(self):
        return self._dynamic_unused() or (self.static_graph and self.static_unused is None)

    def autograd_hook(self, index):
        if self._tracks_use() and self.params[index].grad is not None:
            self.local_used[index] = True   # in no_sync iterations too: used once there counts as used
        if not self.expect_hooks:
            return  # a backward pass no forward prepared for (a second backward of one graph): ignored, as PyTorch
        if not self.has_marked_unused:
            self.has_marked_unused = True
            for i in self._unused_this_pass():
                self.mark_ready(i)
        if self._should_rebuild():
            self.ready_order.append(index)
        self.mark_ready(index)

    def _unused_this_pass(self):
        if self.static_graph and self.static_unused is not None:
            return sorted(self.static_unused)
        if not self._tracks_use():
            return []
        from tensorgraft.autograd import engine
        current = _current_pass()
        reached = current.nodes if current is not None else {}
        return [i for i, p in enumerate(self.params) if engine.existing_node(p) not in reached]

    def mark_ready(self, index):
        if self.ready[index]:
            raise RuntimeError(
                "Expected to mark a variable ready only once. This error is caused by one of the following reasons: "
                "1) Use of a module parameter outside the `forward` function. Please make sure model parameters are "
                "not shared across multiple concurrent forward-backward passes. or try to use _set_static_graph() as "
                "a workaround if this module graph does not change during training loop.2) Reused parameters in "
                "multiple reentrant backward passes. For example, if you use multiple `checkpoint` functions to wrap "
                "the same part of your model, it would result in the same set of parameters been used by different "
                "reentrant backward passes multiple times, and hence marking a variable ready multiple times. DDP "
                "does not support such use cases in default. You can try to use _set_static_graph() as a workaround "
                "if your module graph does not change over iterations.\nParameter at index "
                f"{index} with name {self.names[index]} has been marked as ready twice. This means that multiple "
                "autograd engine  hooks have fired for this particular parameter during this iteration.")
        self.ready[index] = True
        self.require_finalize = True  # (a forward whose backward never ran leaves nothing to finish)
        bucket = self.buckets[self.bucket_of[index][0]]
        bucket.pending -= 1
        if bucket.pending:
            return
        while self.next_bucket < len(self.buckets) and self.buckets[self.next_bucket].pending == 0:
            self._launch(self.next_bucket)
            self.next_bucket += 1
        if self.next_bucket == len(self.buckets):
            if _current_pass() is not None:
                from tensorgraft.autograd import engine
                engine.queue_callback(self._finalize)
            else:  # (a hook called by hand, outside any backward pass)
                self._finalize()

    def _launch(self, k):
        bucket = self.buckets[k]
        params = [self.params[i] for i in bucket.indices]
        dist = _dist()
        with _tg.no_grad():
            flat = self._fill(bucket, params)
            if self.comm_hook is None:
                flat.mul_(1.0 / dist.get_world_size(self.process_group))
                bucket.work = dist.all_reduce(flat, group=self.process_group, async_op=True)
                bucket.result = flat
            else:
                hook, state = self.comm_hook
                grad_bucket = GradBucket(k, flat, bucket.offsets, params, k == len(self.buckets) - 1)
                bucket.work = hook(state, grad_bucket)

    def _fill(self, bucket, params):
        """The bucket's gradients as one flat tensor (a missing gradient counts as zeros)."""
        first = params[0]
        if self.as_view:
            if bucket.flat is None:
                bucket.flat = _tg.zeros(bucket.numel, dtype=first.dtype, device=first.device)
                bucket.views = [bucket.flat[o:o + p.numel()].view(p.shape) for o, p in zip(bucket.offsets, params)]
            for p, view in zip(params, bucket.views):
                g = p.grad
                if g is None:
                    view.zero_()
                elif g is not view:
                    view.copy_(g.to_dense() if g.is_sparse else g)
            return bucket.flat
        parts = []
        for p in params:
            g = p.grad
            if g is None:
                parts.append(_tg.zeros(p.numel(), dtype=p.dtype, device=p.device))
            else:
                parts.append((g.to_dense() if g.is_sparse else g).reshape(-1))
        return _tg.cat(parts) if len(parts) > 1 else parts[0].clone()

    def _finalize(self):
        dist = _dist()
        used = used_work = None
        if self._tracks_use():  # (issued after the buckets, as every rank does: collectives match by order)
            used = _tg.tensor([1 if u else 0 for u in self.local_used], dtype=_tg.int32)
            used_work = dist.all_reduce(used, group=self.process_group, async_op=True)
        elif self.static_graph and self.static_unused is not None:
            used = [i not in self.static_unused for i in range(len(self.params))]
        try:
            if used_work is not None:
                used_work.wait()
                used = [bool(v) for v in used.tolist()]
            for bucket in self.buckets:
                self._write_back(bucket, used)
        finally:
            self.expect_hooks = False
            self.require_finalize = False
            self.num_iterations += 1
            if used_work is not None:
                self.local_used = [False] * len(self.params)
                if self.static_graph:
                    self.static_unused = {i for i, u in enumerate(used) if not u}

    def _write_back(self, bucket, used):
        if self.comm_hook is None:
            bucket.work.wait()
            result = bucket.result
        else:
            result = bucket.work.wait()
            if isinstance(result, (list, tuple)):
                result = result[0]
            if not isinstance(result, _tg.Tensor) or result.numel() != bucket.numel:
                raise RuntimeError("The comm hook's Future must hold one tensor the size of the bucket's buffer "
                                   f"({bucket.numel} elements)")
        bucket.work = bucket.result = None
        with _tg.no_grad():
            if self.as_view and result is not bucket.flat:
                bucket.flat.copy_(result.reshape(-1))
                result = bucket.flat
            for j, i in enumerate(bucket.indices):
                p = self.params[i]
                if used is not None and not used[i]:
                    continue   # no rank used it: its .grad stays as it is
                if self.as_view:
                    view = bucket.views[j]
                    if p.grad is not view:
                        p.grad = view
                    continue
                o = bucket.offsets[j]
                value = result[o:o + p.numel()].view(p.shape)
                g = p.grad
                if g is None:
                    p.grad = value.clone()
                elif g.is_sparse:
                    p.grad = value.to_sparse()
                else:
                    g.copy_(value)

    def remove_hooks(self):
        for h in self._handles:
            h.remove()
        self._handles = []
