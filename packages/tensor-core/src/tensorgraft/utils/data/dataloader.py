"""``DataLoader``: batches from a dataset, in the main process or in worker processes.

Layout of this module: option checking and sampler wiring are plain functions used by
``DataLoader.__init__``; an epoch is run by ``_SingleProcessDataLoaderIter`` or
``_MultiProcessingDataLoaderIter`` (PyTorch's names, which ``type(iter(loader))`` shows). The
worker side (what a worker process runs, how batches are pickled) lives in ``_worker``.
"""
from __future__ import annotations

import math
import multiprocessing
import os
import queue
import sys
import time
import warnings

import numpy as np

from ...caller_warnings import warn_at_caller
from . import _worker
from ._collate import default_collate, default_convert
from ._worker import get_worker_info  # noqa: F401 - also importable from here, as torch.utils.data.dataloader's
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader"]

_MAP, _ITERABLE = "map", "iterable"   # dataset kinds, as ``_worker.make_fetcher`` knows them
_DEFAULT_PREFETCH = 2
# Attributes that fix how indices are produced; frozen once the loader is built.
_FROZEN_AFTER_INIT = frozenset({"batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
                                "persistent_workers"})
_POLL_SECONDS = 1.0


class _InfiniteConstantSampler(Sampler):
    """The index source of an IterableDataset: ``None`` forever (the dataset decides when to stop)."""

    def __iter__(self):
        return iter(lambda: None, object())


# ---------------------------------------------------------------------------------- option checks
def _worker_option_errors(num_workers, timeout, prefetch_factor, persistent_workers):
    """The complaints about the multi-processing options, in the order PyTorch reports them
    (a generator, so that only the first one is ever evaluated)."""
    if num_workers < 0:
        yield "num_workers option should be non-negative; use num_workers=0 to disable multiprocessing."
    if timeout < 0:
        yield "timeout option should be non-negative"
    if prefetch_factor is not None:
        if num_workers == 0:
            yield ("prefetch_factor option could only be specified in multiprocessing.let num_workers > 0 to "
                   "enable multiprocessing, otherwise set prefetch_factor to None.")
        if prefetch_factor < 0:
            yield "prefetch_factor option should be non-negative"
    if persistent_workers and num_workers == 0:
        yield "persistent_workers option needs num_workers > 0"


def _iterable_option_errors(shuffle, sampler, batch_sampler):
    prefix = "DataLoader with IterableDataset: expected unspecified"
    if shuffle not in (False, None):
        yield f"{prefix} shuffle option, but got shuffle={shuffle}"
    if sampler is not None:
        yield f"{prefix} sampler option, but got sampler={sampler}"
    if batch_sampler is not None:
        yield f"{prefix} batch_sampler option, but got batch_sampler={batch_sampler}"


def _batching_option_errors(batch_size, shuffle, sampler, batch_sampler, drop_last):
    if shuffle and sampler is not None:
        yield "sampler option is mutually exclusive with shuffle"
    if batch_sampler is not None:
        clashes = (batch_size != 1, bool(shuffle), sampler is not None, bool(drop_last))
        if any(clashes):
            yield "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last"
    elif batch_size is None and drop_last:
        yield "batch_size=None option disables auto-batching and is mutually exclusive with drop_last"


def _raise_first(messages, exc_type=ValueError):
    for text in messages:
        raise exc_type(text)


def _plan_sampling(kind, dataset, batch_size, shuffle, sampler, batch_sampler, drop_last, generator):
    """``(sampler, batch_sampler, batch_size, drop_last)`` as the loader will keep them."""
    if sampler is None:
        sampler = _default_sampler(kind, dataset, shuffle, generator)
    if batch_sampler is not None:
        return sampler, batch_sampler, None, False  # a user batch sampler decides the batches alone
    grouped = None if batch_size is None else BatchSampler(sampler, batch_size, drop_last)
    return sampler, grouped, batch_size, drop_last


def _default_sampler(kind, dataset, shuffle, generator):
    if kind == _ITERABLE:
        return _InfiniteConstantSampler()
    if shuffle:
        return RandomSampler(dataset, generator=generator)
    return SequentialSampler(dataset)


def _start_method_context(ctx, num_workers):
    """Validate ``multiprocessing_context`` and turn a start-method name into a context."""
    if ctx is None:
        return None
    if num_workers == 0:
        raise ValueError("multiprocessing_context can only be used with multi-process loading "
                         f"(num_workers > 0), but got num_workers={num_workers}")
    if isinstance(ctx, multiprocessing.context.BaseContext):
        return ctx
    if not isinstance(ctx, str):
        raise TypeError("multiprocessing_context option should be a valid context object or a string "
                        f"specifying the start method, but got multiprocessing_context={ctx}")
    methods = multiprocessing.get_all_start_methods()
    if ctx in methods:
        return multiprocessing.get_context(ctx)
    raise ValueError("multiprocessing_context option should specify a valid start method in "
                     f"{methods!r}, but got multiprocessing_context={ctx!r}")


def _platform_context():
    """``fork`` where Linux offers it (cheap, shares the dataset), ``spawn`` everywhere else."""
    on_linux = sys.platform.startswith("linux")
    return multiprocessing.get_context("fork" if on_linux and "fork" in multiprocessing.get_all_start_methods()
                                       else "spawn")


def _usable_cpus():
    """``(count or None, whether the CPU affinity mask was consulted)``."""
    affinity = getattr(os, "sched_getaffinity", None)
    if affinity is None:
        return os.cpu_count(), False
    try:
        return len(affinity(0)), True
    except OSError:
        return os.cpu_count(), True


def _draw_base_seed(generator) -> int:
    """The seed every epoch's workers derive theirs from (drawn in single-process loading too, so
    that both consume the same random numbers before the sampler does)."""
    from ...random import numpy_generator
    return int(numpy_generator(generator).integers(1 << 63, dtype=np.int64))  # PyTorch: int64 random_()


def _has_accelerator() -> bool:
    """Whether a registered non-CPU device is usable (through the device registry, so this works
    with only tensorgraft-core installed, and with any plugin's device)."""
    from ...device import backends
    for name, backend in backends().items():
        if name not in ("cpu", "meta"):  # meta holds no data: always "available", never an accelerator
            try:
                if backend.is_available():
                    return True
            except Exception:  # noqa: BLE001 - a broken backend is not an accelerator
                pass
    return False


# ---------------------------------------------------------------------------------- the loader
class DataLoader:
    """Combines a dataset and a sampler and iterates over batches, as ``torch.utils.data.DataLoader``.

    ``num_workers > 0`` loads batches in worker processes (the ``fork`` start method on Linux,
    ``spawn`` elsewhere, or ``multiprocessing_context``); batches come back in sampler order.
    ``pin_memory`` is accepted (host memory is already what the CPU backend uses).
    """

    _config_frozen = False

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False,
                 pin_memory_device="", in_order=True):
        _raise_first(_worker_option_errors(num_workers, timeout, prefetch_factor, persistent_workers))
        if prefetch_factor is None and num_workers > 0:
            prefetch_factor = _DEFAULT_PREFETCH

        iterable = isinstance(dataset, IterableDataset)
        if iterable:
            _raise_first(_iterable_option_errors(shuffle, sampler, batch_sampler))
        else:
            shuffle = bool(shuffle)
        _raise_first(_batching_option_errors(batch_size, shuffle, sampler, batch_sampler, drop_last))
        kind = _ITERABLE if iterable else _MAP
        sampler, batch_sampler, batch_size, drop_last = _plan_sampling(
            kind, dataset, batch_size, shuffle, sampler, batch_sampler, drop_last, generator)

        if collate_fn is None:
            collate_fn = default_convert if batch_sampler is None else default_collate
        # what is loaded, and in which groups
        self.dataset, self._dataset_kind, self.collate_fn = dataset, kind, collate_fn
        self.sampler, self.batch_sampler, self.generator = sampler, batch_sampler, generator
        self.batch_size, self.drop_last = batch_size, drop_last
        # who loads it
        self.num_workers, self.persistent_workers, self.worker_init_fn = num_workers, persistent_workers, worker_init_fn
        self.prefetch_factor, self.timeout, self.in_order = prefetch_factor, timeout, in_order
        self.multiprocessing_context = multiprocessing_context   # checked against num_workers
        self.pin_memory, self.pin_memory_device = pin_memory, pin_memory_device
        self._iterator = None                 # the persistent-workers epoch, once started
        self._reported_iterable_len = None    # len(dataset) as last given by len(loader)
        self._config_frozen = True
        self.check_worker_number_rationality()  # PyTorch warns here and again at each epoch's start

    # ------------------------------------------------------------------ attributes
    @property
    def multiprocessing_context(self):
        return self._mp_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, ctx):
        self._mp_context = _start_method_context(ctx, self.num_workers)

    def __setattr__(self, attr, val):
        if attr in _FROZEN_AFTER_INIT and self._config_frozen:
            raise ValueError(f"{attr} attribute should not be set after {type(self).__name__} is initialized")
        object.__setattr__(self, attr, val)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        """What an epoch iterates: lists of indices when batching automatically, else indices."""
        return self.sampler if self.batch_sampler is None else self.batch_sampler

    # ------------------------------------------------------------------ iteration
    def _get_iterator(self):
        if self.num_workers <= 0:
            return _SingleProcessDataLoaderIter(self)
        self.check_worker_number_rationality()
        return _MultiProcessingDataLoaderIter(self)

    def check_worker_number_rationality(self) -> None:
        """Warn (as PyTorch) when more workers are asked for than CPUs this process may use."""
        wanted = self.num_workers
        if not wanted:
            return
        cpus, affinity_used = _usable_cpus()
        if cpus is not None and wanted <= cpus:
            return
        if cpus is None:
            reason = "DataLoader is not able to compute a suggested max number of worker in current system."
        else:
            caveat = "" if affinity_used else " (`cpuset` is not taken into account)"
            reason = (f"Our suggested max number of worker in current system is {cpus}{caveat}, which is smaller "
                      "than what this DataLoader is going to create.")
        # reached from the constructor and from iter() (directly or through a for loop): the user's line
        warn_at_caller(f"This DataLoader will create {wanted} worker processes in total. {reason} Please be "
                       "aware that excessive worker creation might get DataLoader running slow or even freeze, lower "
                       "the worker number to avoid potential slowness/freeze if necessary.")

    def __iter__(self):
        if self.persistent_workers and self.num_workers > 0:
            kept = self._iterator
            if kept is not None:
                kept._reset(self)
                return kept
            self._iterator = self._get_iterator()
            return self._iterator
        return self._get_iterator()

    def __len__(self) -> int:
        if self._dataset_kind == _MAP:
            return len(self._index_sampler)
        samples = len(self.dataset)
        self._reported_iterable_len = samples
        per_batch = self.batch_size
        if per_batch is None:
            return samples
        if self.drop_last:
            return samples // per_batch
        return math.ceil(samples / per_batch)

    def __del__(self):
        kept = self.__dict__.get("_iterator")
        if kept is not None:
            kept._shutdown(graceful=False)


# ---------------------------------------------------------------------------------- epochs
class _BaseDataLoaderIter:
    """What both kinds of epoch share: the loader's settings, the index stream, the yield count."""

    def __init__(self, loader: DataLoader):
        self._loader = loader
        self._dataset = loader.dataset
        self._kind = loader._dataset_kind
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._collate_fn = loader.collate_fn
        self._indices_from = loader._index_sampler
        self._base_seed = _draw_base_seed(loader.generator)
        self._workers_used = loader.num_workers > 0
        if loader.pin_memory and not _has_accelerator():
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, then device pinned "
                          "memory won't be used.", UserWarning, stacklevel=4)
        self._restart_indices(loader)

    def _restart_indices(self, loader):
        self._index_stream = iter(self._indices_from)
        self._yielded = 0
        self._length_reported = loader._reported_iterable_len

    def _reset(self, loader, first_iter=False):
        self._restart_indices(loader)

    def __iter__(self):
        return self

    def __len__(self):
        return len(self._indices_from)

    def _handed_out(self, data, stacklevel=3):
        """Count a batch on its way to the caller; warn (as PyTorch) once an IterableDataset has given
        more than the length it reported through ``len(loader)``."""
        self._yielded += 1
        limit = self._length_reported
        if self._kind == _ITERABLE and limit is not None and self._yielded > limit:
            text = (f"Length of IterableDataset {self._dataset} was reported to be {limit}(when accessing "
                    f"len(dataloader)), but {self._yielded} samples have been fetched. ")
            if self._workers_used:
                text += ("For multiprocessing data-loading, this could be caused by not properly configuring the "
                         "IterableDataset replica at each worker. Please see "
                         "https://pytorch.org/docs/stable/data.html#torch.utils.data.IterableDataset for examples.")
            warnings.warn(text, UserWarning, stacklevel=stacklevel)
        return data


class _SingleProcessDataLoaderIter(_BaseDataLoaderIter):
    def __init__(self, loader):
        super().__init__(loader)
        self._fetcher = _worker.make_fetcher(self._kind, self._dataset, self._auto_collation, self._collate_fn,
                                             self._drop_last)

    def __next__(self):
        # both an exhausted sampler and an exhausted IterableDataset end the epoch with StopIteration
        return self._handed_out(self._fetcher.fetch(next(self._index_stream)))

    def _shutdown(self, graceful=True):
        pass


class _MultiProcessingDataLoaderIter(_BaseDataLoaderIter):
    """Runs ``num_workers`` worker processes. Tasks are numbered in sampler order and dealt out
    round-robin (skipping workers whose IterableDataset replica is exhausted); ``prefetch_factor``
    tasks per worker are in flight, and a new one is sent for each batch handed out. Results
    arriving early wait in ``_early`` until their turn."""

    def __init__(self, loader):
        # Checked before anything is drawn or started. With no task in flight the epoch would end at
        # once, silently empty: PyTorch refuses prefetch_factor=0 here; None comes from setting
        # num_workers after construction, and PyTorch's comparison of it with 0 fails as this does.
        prefetch = loader.prefetch_factor
        if prefetch is None:
            raise TypeError("'<=' not supported between instances of 'NoneType' and 'int'")
        if prefetch <= 0:
            raise AssertionError("prefetch_factor must be greater than 0 for MultiProcessingDataLoaderIter")
        super().__init__(loader)
        n = loader.num_workers
        self._num_workers = n
        self._in_flight_target = prefetch * n
        self._persistent = loader.persistent_workers
        self._timeout = loader.timeout
        self._in_order = loader.in_order
        self._creator_pid = os.getpid()   # a forked child that garbage-collects this must leave it alone
        self._closed = False
        self._epoch_no = 0
        ctx = loader.multiprocessing_context or _platform_context()
        self._result_queue = ctx.Queue()
        self._index_queues = []
        self._workers = []
        for wid in range(n):
            inbox = ctx.Queue()
            inbox.cancel_join_thread()
            proc = ctx.Process(target=_worker.worker_loop, daemon=True,
                               args=(self._kind, self._dataset, inbox, self._result_queue, self._auto_collation,
                                     self._collate_fn, self._drop_last, self._base_seed, loader.worker_init_fn,
                                     wid, n))
            proc.start()
            self._index_queues.append(inbox)
            self._workers.append(proc)
        self._open_epoch(resume=False)

    # ------------------------------------------------------------ epoch bookkeeping
    def _reset(self, loader, first_iter=False):
        self._restart_indices(loader)
        self._open_epoch(resume=not first_iter)

    def _open_epoch(self, resume):
        self._owner_of = {}           # task number -> worker, for tasks sent and not yet settled
        self._early = {}              # task number -> data that arrived before its turn
        self._sent = 0                # tasks sent so far this epoch
        self._turn = 0                # the task whose batch is handed out next
        self._active = [True] * self._num_workers
        self._rr_next = 0
        if resume:
            self._resync_workers()
        for _ in range(self._in_flight_target):
            self._send_task()

    def _resync_workers(self):
        """Persistent workers: start a new epoch and drain whatever the last one left behind."""
        self._epoch_no += 1
        marker = _worker._ResumeIteration(self._epoch_no)
        for inbox in self._index_queues:
            inbox.put(marker)
        pending_acks = self._num_workers
        while pending_acks:
            tag, _ = self._receive()
            if isinstance(tag, _worker._ResumeIteration) and tag.epoch == self._epoch_no:
                pending_acks -= 1

    def _pick_worker(self):
        n = self._num_workers
        for offset in range(n):
            wid = (self._rr_next + offset) % n
            if self._active[wid]:
                self._rr_next = (wid + 1) % n
                return wid
        return None

    def _send_task(self):
        try:
            index = next(self._index_stream)
        except StopIteration:
            return
        wid = self._pick_worker()
        if wid is None:
            return  # every worker's replica is exhausted: the index is dropped
        task = self._sent
        self._sent = task + 1
        self._owner_of[task] = wid
        self._index_queues[wid].put((task, index))

    def _receive(self):
        waited_from = time.monotonic()
        limit = self._timeout
        poll = min(_POLL_SECONDS, limit) if limit > 0 else _POLL_SECONDS
        while True:
            try:
                return self._result_queue.get(timeout=poll)
            except queue.Empty:
                pass
            gone = [proc.pid for proc in self._workers if not proc.is_alive()]
            if gone:
                self._shutdown()
                raise RuntimeError(f"DataLoader worker (pid(s) {', '.join(map(str, gone))}) exited unexpectedly")
            if limit > 0 and time.monotonic() - waited_from >= limit:
                self._shutdown()
                raise RuntimeError(f"DataLoader timed out after {limit} seconds")

    def _skip_settled(self):
        """Move ``_turn`` past tasks that will never yield a batch (their worker ran dry)."""
        while self._turn < self._sent:
            owner = self._owner_of.get(self._turn)
            if owner is not None and (self._turn in self._early or self._active[owner]):
                return
            self._owner_of.pop(self._turn, None)
            self._early.pop(self._turn, None)
            self._turn += 1

    def __next__(self):
        while True:
            self._skip_settled()
            if self._turn >= self._sent:
                if not self._persistent:
                    self._shutdown()
                raise StopIteration
            if self._turn in self._early:
                task = self._turn
                self._turn += 1
                del self._owner_of[task]
                return self._hand_out(self._early.pop(task))
            tag, payload = self._receive()
            if isinstance(tag, _worker._ResumeIteration) or tag not in self._owner_of:
                continue  # a stale acknowledgement, or the answer to a task already given up on
            data = _worker.unpack(payload)
            if isinstance(data, _worker._IterableDatasetStop):
                self._active[data.worker_id] = False
                del self._owner_of[tag]
                self._send_task()
                continue
            self._early[tag] = data

    def _hand_out(self, data):
        self._send_task()
        if isinstance(data, _worker.ExceptionWrapper):
            data.reraise()
        return self._handed_out(data, stacklevel=4)

    # ------------------------------------------------------------ teardown
    def _shutdown(self, graceful=True):
        """Stop the workers: ask them to exit (graceful), or, from ``__del__`` where the garbage
        collector may run in the middle of anything (even inside a queue's feeder-thread start),
        terminate them without waiting on queues."""
        if self._closed or os.getpid() != self._creator_pid:
            return
        self._closed = True
        if graceful:
            for inbox in self._index_queues:
                _quietly(inbox.put, None)
        for proc in self._workers:
            if graceful:
                proc.join(timeout=5)
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=1)
        for q in (*self._index_queues, self._result_queue):
            _quietly(q.cancel_join_thread)
            _quietly(q.close)

    def __del__(self):
        _quietly(self._shutdown, graceful=False)


def _quietly(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except Exception:
        pass
