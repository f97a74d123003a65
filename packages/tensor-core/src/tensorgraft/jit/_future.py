"""``torch.jit.fork``/``wait`` and the ``Future`` they use, run eagerly.

PyTorch's ``fork`` outside TorchScript calls the function at once and hands back a completed
future; so does this one. ``Future`` is a full one-shot future (``set_result`` from another thread
wakes ``wait``), since user code builds them by hand too.
"""
from __future__ import annotations

import threading


class Future:
    """``torch.futures.Future``: a value that is (or will be) set once; ``fork`` returns one already done."""

    def __init__(self, *, devices=None):
        self._cond = threading.Condition()
        self._done = False
        self._value = None
        self._error = None
        self._callbacks = []

    def done(self) -> bool:
        return self._done

    def wait(self):
        with self._cond:
            self._cond.wait_for(lambda: self._done)
        return self.value()

    def value(self):
        if not self._done:
            raise RuntimeError("Future.value() was called before the future completed (use wait())")
        if self._error is not None:
            raise self._error
        return self._value

    def _complete(self, value, error) -> None:
        with self._cond:
            if self._done:
                raise RuntimeError("Attempting to mark a completed Future as complete again. Note that a Future can "
                                   "only be marked completed once.")
            self._value, self._error, self._done = value, error, True
            callbacks, self._callbacks = self._callbacks, []
            self._cond.notify_all()
        for callback in callbacks:
            callback(self)

    def set_result(self, result) -> None:
        self._complete(result, None)

    def set_exception(self, result) -> None:
        if not isinstance(result, Exception):
            raise AssertionError(f"{result} is of type {type(result)}, not an Exception.")
        self._complete(None, result)

    def add_done_callback(self, callback) -> None:
        with self._cond:
            if not self._done:
                self._callbacks.append(callback)
                return
        callback(self)

    def then(self, callback) -> "Future":
        """A future for ``callback(self)``, run once this one completes."""
        result = Future()

        def run(fut):
            try:
                value = callback(fut)
            except Exception as exc:  # PyTorch wraps what the callback raised
                error = RuntimeError(f"Got the following error when running the callback: {type(exc).__name__}: "
                                     f"{exc}")
                error.__cause__ = exc
                result.set_exception(error)
            else:
                result.set_result(value)
        self.add_done_callback(run)
        return result


def fork(func, *args, **kwargs) -> Future:
    """Runs ``func(*args, **kwargs)`` now (PyTorch's eager ``fork`` does too) and returns a done future;
    an exception propagates from ``fork`` itself."""
    future = Future()
    future.set_result(func(*args, **kwargs))
    return future


def wait(future):
    if not isinstance(future, Future):
        raise TypeError(f"wait(): expected a torch.jit.Future, got {type(future).__name__}")
    return future.wait()
