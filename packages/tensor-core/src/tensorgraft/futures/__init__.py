"""``torch.futures``: a value that arrives later (the result of an asynchronous collective, a
``Work.get_future()``), with callbacks chained by ``then``. Built on ``concurrent.futures.Future``;
the names and errors are PyTorch's."""
from __future__ import annotations

import concurrent.futures as _cf
import threading

__all__ = ["Future", "collect_all", "wait_all"]


class Future:
    """``Future(*, devices=None)``: unset until ``set_result`` or ``set_exception``."""

    def __init__(self, *, devices=None):
        self._fut = _cf.Future()
        self._lock = threading.Lock()
        self._devices = list(devices) if devices is not None else []

    def done(self) -> bool:
        return self._fut.done()

    def wait(self):
        """Block until the value is set and return it (raising the exception if one was set)."""
        return self._fut.result()

    def value(self):
        """The value (the future must be done)."""
        if not self._fut.done():
            raise RuntimeError("Future value() called before the future completed; call wait() to block until it "
                               "does.")
        return self._fut.result()

    def _complete(self, setter, arg) -> None:
        with self._lock:
            if self._fut.done():
                raise RuntimeError("Attempting to mark a completed Future as complete again. Note that a Future can "
                                   "only be marked completed once.")
            setter(arg)

    def set_result(self, result) -> None:
        self._complete(self._fut.set_result, result)

    def set_exception(self, result) -> None:
        if not isinstance(result, BaseException):
            raise TypeError(f"set_exception expects an exception, got {type(result).__name__}")
        self._complete(self._fut.set_exception, result)

    def add_done_callback(self, callback) -> None:
        """Call ``callback(self)`` once done (now, if it already is)."""
        self._fut.add_done_callback(lambda _f: callback(self))

    def then(self, callback) -> Future:
        """A new future holding ``callback(self)``'s return value (or the exception it raised)."""
        child = Future(devices=self._devices)

        def run(_f):
            try:
                child.set_result(callback(self))
            except BaseException as e:  # the child carries the callback's failure to whoever waits on it
                child.set_exception(e)
        self._fut.add_done_callback(run)
        return child

    def __repr__(self):
        state = "done" if self.done() else "pending"
        return f"<tensorgraft.futures.Future ({state})>"


Future.__module__ = "tensorgraft.futures"


def collect_all(futures) -> Future:
    """A future that completes, holding the list of ``futures``, when all of them have."""
    futures = list(futures)
    out = Future()
    remaining = [len(futures)]
    lock = threading.Lock()
    if not futures:
        out.set_result([])
        return out

    def one_done(_f):
        with lock:
            remaining[0] -= 1
            last = remaining[0] == 0
        if last:
            out.set_result(futures)
    for f in futures:
        f.add_done_callback(one_done)
    return out


def wait_all(futures) -> list:
    """Wait for every future and return their values (the first exception met is raised)."""
    return [f.wait() for f in futures]
