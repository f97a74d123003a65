"""Warnings attributed to the user's line, not to tensorgraft's own files.

PyTorch raises most of its operator warnings from C++, and Python attributes those to the frame
that was running when the C++ code ran: the line in the user's program that called the op. The
same op in tensorgraft is Python several calls deep, and the depth depends on the route (method or
function, in-place variant, operator, one op built on another, backward run by the engine), so no
fixed ``stacklevel`` names the user's line on every route: one that is right for ``torch.std(x)``
names a tensorgraft file for ``x.std()``.

``warn_at_caller`` and ``caller_stacklevel`` name instead the first frame outside every directory
of the ``tensorgraft`` namespace package (core's and each installed part's). Python 3.12 does this
itself (``warnings.warn(skip_file_prefixes=...)``); older ones walk the frames here. Both cost a
little per warning raised and nothing otherwise, so they stay off the hot path.
``warn_once_at_caller`` is the same for PyTorch's once-per-process warnings (``TORCH_WARN_ONCE``).
"""
from __future__ import annotations

import os
import sys
import warnings

__all__ = ["caller_stacklevel", "warn_at_caller", "warn_once_at_caller"]


def _package_roots() -> tuple[str, ...]:
    # Recomputed per call rather than cached: a part imported later extends ``__path__``, and
    # warnings are rare enough that the few string operations do not matter.
    import tensorgraft
    roots = set()
    for d in tensorgraft.__path__:
        roots.add(os.path.join(os.path.abspath(d), ""))
        roots.add(os.path.join(os.path.realpath(d), ""))
    return tuple(roots)


def _outside_level(start_frame, start_level: int) -> int:
    """The stacklevel, counted so that ``start_frame`` is ``start_level``, of the first frame at or
    above ``start_frame`` whose file is not tensorgraft's (the outermost frame if all of them are,
    so the warning still names a real line)."""
    roots = _package_roots()
    frame, level = start_frame, start_level
    while frame.f_back is not None and frame.f_code.co_filename.startswith(roots):
        frame, level = frame.f_back, level + 1
    return level


def caller_stacklevel() -> int:
    """The ``stacklevel`` for a ``warnings.warn`` call made directly in the function that calls
    this one, so that the warning names the first frame outside tensorgraft."""
    # frame 1 is that function (stacklevel 1 for its warnings.warn); it may itself be user code
    return _outside_level(sys._getframe(1), 1)


if sys.version_info >= (3, 12):
    def warn_at_caller(message, category=UserWarning) -> None:
        """``warnings.warn(message, category)`` attributed to the first frame outside tensorgraft."""
        warnings.warn(message, category, skip_file_prefixes=_package_roots())
else:
    def warn_at_caller(message, category=UserWarning) -> None:
        """``warnings.warn(message, category)`` attributed to the first frame outside tensorgraft."""
        warnings.warn(message, category, stacklevel=_outside_level(sys._getframe(1), 2))


def warn_once_at_caller(message, category=UserWarning) -> None:
    """``warn_once`` (once per process unless ``set_warn_always(True)``, keyed by the message, so
    every op sharing one of PyTorch's once-sites shares it here) attributed as ``warn_at_caller``."""
    from .global_switches import warn_once
    # warn_once counts its own frame: the level is this function's, as for a warnings.warn here
    warn_once(message, category, stacklevel=_outside_level(sys._getframe(1), 2))
