"""``@record``: a worker's uncaught exception, written where the launcher finds it.

``python -m tensorgraft.distributed.run`` gives each worker a ``TORCHELASTIC_ERROR_FILE``; a main
function decorated with ``@record`` writes its exception and traceback there (PyTorch's JSON
layout) before re-raising, and the launcher prints it as the root cause of the failure.
"""
from __future__ import annotations

import json
import os
import time
import traceback
from functools import wraps

__all__ = ["ChildFailedError", "ErrorHandler", "get_error_handler", "record"]


class ErrorHandler:
    """Writes a worker's exception to ``TORCHELASTIC_ERROR_FILE`` (nothing when it is unset)."""

    def _error_file_path(self):
        return os.environ.get("TORCHELASTIC_ERROR_FILE")

    def initialize(self) -> None:
        pass

    def record_exception(self, e: BaseException) -> None:
        path = self._error_file_path()
        if not path:
            return
        data = {"message": {"message": f"{type(e).__name__}: {e}",
                            "extraInfo": {"py_callstack": "".join(traceback.format_exception(e)),
                                          "timestamp": str(int(time.time()))}}}
        with open(path, "w") as f:
            json.dump(data, f)

    def dump_error_file(self, rootcause_error_file: str, error_code: int = 0) -> None:
        path = self._error_file_path()
        if path and os.path.exists(rootcause_error_file):
            with open(rootcause_error_file) as src, open(path, "w") as dst:
                dst.write(src.read())


def get_error_handler() -> ErrorHandler:
    return ErrorHandler()


class ChildFailedError(Exception):
    """A launched worker failed: ``failures`` maps its global rank to (exit code, error file)."""

    def __init__(self, name: str, failures: dict):
        self.name, self.failures = name, failures
        super().__init__(f"{name} FAILED: " + ", ".join(f"rank {r} (exit code {code})"
                                                       for r, (code, _f) in sorted(failures.items())))

    def get_first_failure(self):
        rank = min(self.failures)
        return rank, self.failures[rank]


def record(fn=None, error_handler: ErrorHandler | None = None):
    """Decorate a worker's main function: an exception escaping it is written to the error file,
    then re-raised. ``SystemExit(0)`` ends the function normally."""
    handler = error_handler or get_error_handler()

    def wrap(f):
        @wraps(f)
        def wrapper(*args, **kwargs):
            handler.initialize()
            try:
                return f(*args, **kwargs)
            except SystemExit as se:
                if se.code == 0:
                    return None
                raise
            except Exception as e:
                handler.record_exception(e)
                raise
        return wrapper
    return wrap if fn is None else wrap(fn)
