"""Keep freed array memory in the process instead of handing it back to the OS at once.

Every op result is a fresh NumPy array, and glibc's malloc (with its default, self-adjusting
thresholds) serves the large ones from fresh pages: it returns the top of its heap to the OS as
soon as 2x the last freed mapping lies free there, and maps anything above that threshold anew.
A training step allocates and frees the same few MB again and again, so each step pays a page
fault for every 4 KB of every activation, gradient and temporary - on virtual machines several
microseconds each. Measured here (2 cores, 2026-12-03): cross_entropy forward + backward over
1024 x 1000 logits 18-24 ms with the defaults, 5-6 ms with these settings; PyTorch's is 1.5-2 ms.

The settings are glibc's own upper values of its adjustment, fixed: arrays under 32 MiB come from
the heap, and up to 128 MiB of free heap top is kept for the next step. They apply to the whole
process (as ``numpy.seterr`` in ``__init__`` does), on Linux with glibc only, and
``TENSORGRAFT_MALLOC_TUNING=0`` in the environment leaves malloc as it was. PyTorch leaves this
to the user (it documents ``LD_PRELOAD`` of jemalloc/tcmalloc for the same reason); tensorgraft
allocates an array per op result where PyTorch's kernels write into fewer buffers, so it does it.
"""
from __future__ import annotations

import os
import sys

M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter numbers (malloc.h)
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20  # glibc's DEFAULT_MMAP_THRESHOLD_MAX on 64-bit
TRIM_THRESHOLD = 128 << 20

applied = False  # whether this process's malloc was tuned (read by tests and the CLI's report)


def tune_glibc_malloc() -> bool:
    """Apply the settings above once; False where they do not apply (another OS or C library,
    opted out, or mallopt refused)."""
    global applied
    if applied:
        return True
    if os.environ.get("TENSORGRAFT_MALLOC_TUNING", "1") == "0" or not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
        gnu_get_libc_version = libc.gnu_get_libc_version  # absent from musl: not glibc
    except (OSError, AttributeError):
        return False
    del gnu_get_libc_version
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    # mallopt returns 1 on success; the mmap threshold first, as setting it stops glibc's own
    # adjustment of both
    applied = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return applied
