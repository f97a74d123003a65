"""What runs inside a DataLoader worker process, and how batches travel back.

Each worker seeds ``random`` and tensorgraft's default generator with ``base_seed + worker_id``,
sets :func:`get_worker_info`, calls ``worker_init_fn(worker_id)``, then answers ``(task_id,
indices)`` requests from its index queue with ``(task_id, pickled batch)`` on the shared result
queue. Tensors are pickled as (host array, device, requires_grad) only: a view does not drag
its base along.
"""
from __future__ import annotations

import copyreg
import dataclasses
import io
import os
import pickle
import queue
import random
import sys
import traceback

__all__ = ["WorkerInfo", "get_worker_info"]

_POLL_S = 1.0


@dataclasses.dataclass(frozen=True, slots=True)
class WorkerInfo:
    """``id``, ``num_workers``, ``seed`` and ``dataset`` (this worker's copy) of the current worker.

    A frozen dataclass, as PyTorch's: its repr lists every field, ``info.id = 1`` raises
    ``dataclasses.FrozenInstanceError`` and ``dataclasses.asdict(info)`` works. ``rng`` (PyTorch's
    shared-RNG container of ``torchdata`` nodes) is always ``None`` here; ``worker_method`` is
    always ``"multiprocessing"`` (there are no thread workers)."""

    id: int
    num_workers: int
    seed: int
    dataset: object
    rng: object = None
    worker_method: str | None = "multiprocessing"


_worker_info = None


def get_worker_info():
    """In a DataLoader worker process, its :class:`WorkerInfo`; ``None`` in the main process."""
    return _worker_info


class _IterableDatasetStop:
    def __init__(self, worker_id):
        self.worker_id = worker_id


class _ResumeIteration:
    """Sent to persistent workers at the start of a new epoch; echoed back as an acknowledgement."""

    def __init__(self, epoch):
        self.epoch = epoch


class ExceptionWrapper:
    """An exception raised in a worker, re-raised in the main process with the worker's traceback."""

    def __init__(self, exc_info=None, where="in background"):
        if exc_info is None:
            exc_info = sys.exc_info()
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = KeyErrorMessage(msg)
        try:
            exception = self.exc_type(msg)
        except Exception:
            raise RuntimeError(msg) from None
        raise exception


class KeyErrorMessage(str):
    """KeyError quotes its message; this keeps the traceback readable."""

    def __repr__(self):
        return self


# ------------------------------------------------------------------------------------------ pickling
def _rebuild_tensor(arr, device, requires_grad):
    from ...tensor import wrap
    t = wrap(arr)
    if device != "cpu":
        t = t.to(device)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _reduce_tensor(t):
    host = t._host()
    if not host.flags.c_contiguous:
        host = host.copy(order="C")
    return _rebuild_tensor, (host, str(t._device), bool(t._requires_grad))


def pack(obj) -> bytes:
    from ...tensor import Tensor
    buf = io.BytesIO()
    p = pickle.Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL)
    p.dispatch_table = copyreg.dispatch_table.copy()
    p.dispatch_table[Tensor] = _reduce_tensor
    p.dump(obj)
    return buf.getvalue()


def unpack(data: bytes):
    return pickle.loads(data)


# ------------------------------------------------------------------------------------------ fetchers
class _MapFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset, self.auto_collation, self.collate_fn, self.drop_last = dataset, auto_collation, collate_fn, drop_last

    def fetch(self, index):
        if self.auto_collation:
            getitems = getattr(self.dataset, "__getitems__", None)
            if callable(getitems):
                data = getitems(index)
            else:
                data = [self.dataset[i] for i in index]
        else:
            data = self.dataset[index]
        return self.collate_fn(data)


class _IterableFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset, self.auto_collation, self.collate_fn, self.drop_last = dataset, auto_collation, collate_fn, drop_last
        self.it = iter(dataset)
        self.ended = False

    def fetch(self, index):
        if self.ended:
            raise StopIteration
        if self.auto_collation:
            data = []
            for _ in index:
                try:
                    data.append(next(self.it))
                except StopIteration:
                    self.ended = True
                    break
            if len(data) == 0 or (self.drop_last and len(data) < len(index)):
                raise StopIteration
        else:
            data = next(self.it)
        return self.collate_fn(data)


def make_fetcher(kind, dataset, auto_collation, collate_fn, drop_last):
    cls = _IterableFetcher if kind == "iterable" else _MapFetcher
    return cls(dataset, auto_collation, collate_fn, drop_last)


def seed_worker(seed: int) -> None:
    random.seed(seed)
    from ...random import manual_seed
    manual_seed(seed)


# ------------------------------------------------------------------------------------------ the loop
def worker_loop(kind, dataset, index_queue, result_queue, auto_collation, collate_fn, drop_last, base_seed,
                init_fn, worker_id, num_workers):
    global _worker_info
    parent = os.getppid()
    seed = base_seed + worker_id
    init_exception = None
    fetcher = None
    try:
        seed_worker(seed)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        if init_fn is not None:
            init_fn(worker_id)
        fetcher = make_fetcher(kind, dataset, auto_collation, collate_fn, drop_last)
    except Exception:
        init_exception = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
    iteration_end = False
    try:
        while True:
            try:
                r = index_queue.get(timeout=_POLL_S)
            except queue.Empty:
                if os.getppid() != parent:  # the main process is gone
                    return
                continue
            if r is None:  # shutdown: results nobody will read must not block this process's exit
                result_queue.cancel_join_thread()
                return
            if isinstance(r, _ResumeIteration):
                iteration_end = False
                if init_exception is None and kind == "iterable":
                    try:
                        fetcher = make_fetcher(kind, dataset, auto_collation, collate_fn, drop_last)
                    except Exception:
                        init_exception = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
                result_queue.put((r, None))
                continue
            idx, index = r
            if init_exception is not None:
                data = init_exception
                init_exception = None
            elif iteration_end:
                data = _IterableDatasetStop(worker_id)
            else:
                try:
                    data = fetcher.fetch(index)
                except StopIteration:
                    if kind == "iterable":
                        data = _IterableDatasetStop(worker_id)
                        iteration_end = True
                    else:
                        data = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
                except Exception:
                    data = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
            try:
                payload = pack(data)
            except Exception:
                payload = pack(ExceptionWrapper(where=f"in DataLoader worker process {worker_id} while sending a "
                                                      "batch back (is it picklable?)"))
            result_queue.put((idx, payload))
            del data
    except KeyboardInterrupt:
        pass
