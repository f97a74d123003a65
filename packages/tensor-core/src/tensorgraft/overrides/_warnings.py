"""Warning locations once dispatch is on.

tensorgraft's functions warn with ``warnings.warn(..., stacklevel=N)`` counted for the frames they
know: ``F.upsample`` says 2 to name the line that called it. A dispatch wrapper adds a frame between
that line and the function, so the same ``stacklevel`` would name the wrapper in ``_binding.py``.
When dispatch turns on, ``warnings.warn`` is replaced by a function that, when the frame a
``stacklevel`` names belongs to tensorgraft, counts again without the wrapper frames. A
``stacklevel`` that already names a frame outside tensorgraft (``caller_warnings``, a user's own
warnings) is left as it is.
"""
from __future__ import annotations

import sys
import warnings

from ..caller_warnings import _package_roots
from . import _binding

_WRAPPER_FILE = _binding.__file__


def _past_wrappers(stacklevel: int) -> int:
    caller = sys._getframe(2)  # (0: this function, 1: ``warn`` below) the frame that called warnings.warn
    frame = caller
    for _ in range(stacklevel - 1):
        if frame.f_back is None:
            return stacklevel
        frame = frame.f_back
    if frame.f_code.co_filename != _WRAPPER_FILE and not frame.f_code.co_filename.startswith(_package_roots()):
        return stacklevel
    frame, steps, level = caller, stacklevel - 1, 1
    while steps and frame.f_back is not None:
        frame = frame.f_back
        level += 1
        if frame.f_code.co_filename != _WRAPPER_FILE:
            steps -= 1
    return level


def install() -> None:
    original = warnings.warn
    if getattr(original, "_tensorgraft_skips_wrappers", False):
        return

    def warn(message, category=None, stacklevel=1, source=None, **kwargs):
        if stacklevel > 1:
            stacklevel = _past_wrappers(stacklevel)
        return original(message, category, stacklevel + 1, source, **kwargs)

    warn._tensorgraft_skips_wrappers = True
    warn.__wrapped__ = original
    warn.__doc__ = original.__doc__
    warnings.warn = warn
