"""``set_num_threads``/``get_num_threads``: the threads the BLAS library behind NumPy may use.

PyTorch's functions of the same name size its intra-op pool; here the heavy lifting is NumPy's
BLAS (OpenBLAS/MKL), whose thread pool is controlled through threadpoolctl (a small, widely used
library — scikit-learn relies on it — that knows how to reach every BLAS build NumPy ships with).
On a busy machine, spinning BLAS threads can make small matrix products much slower; a single
thread is often fastest for the small layers of tutorial-sized models.
"""
from __future__ import annotations

import os

_limiter = None
_requested = None  # the count set_num_threads was last given


def _controller():
    from threadpoolctl import ThreadpoolController
    return ThreadpoolController()


def set_num_threads(n: int) -> None:
    """Limit the BLAS thread pool(s) to ``n`` threads (process-wide, like PyTorch)."""
    global _limiter, _requested
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise RuntimeError(f"set_num_threads expects a positive integer, but got {n!r}")
    _limiter = _controller().limit(limits=n, user_api="blas")
    _requested = n


def limit_new_libraries() -> None:
    """Apply the last ``set_num_threads`` count to the BLAS libraries loaded since (threadpoolctl
    limits the ones loaded when it is called: SciPy's own OpenBLAS, imported at the first fused
    multiply-add, would otherwise start with a thread per core). Without a count set, SciPy's own
    copy of OpenBLAS (pip's wheels each bring one) runs on one thread: tensorgraft calls only its
    ``axpy`` (one pass over memory, no faster on more threads), and two OpenBLAS pools used in turn
    keep each other's cores busy with their waiting threads: a tutorial's training loop (64x1000
    float32 layers) ran four times slower on two cores."""
    global _limiter
    if _requested is not None:
        _limiter = _controller().limit(limits=_requested, user_api="blas")
        return
    try:
        own = scipy_own_blas(_controller())
    except ImportError:  # (threadpoolctl or SciPy missing: nothing to keep apart)
        return
    if own is not None:
        own.limit(limits=1)  # (kept for the process: threadpoolctl restores a limit only when asked)


def scipy_own_blas(controller):
    """The part of ``controller`` that is SciPy's own BLAS library (one installed with SciPy, in
    ``scipy.libs`` or the ``scipy`` package, not NumPy's), or None where SciPy shares NumPy's."""
    import scipy
    home = os.path.dirname(os.path.realpath(scipy.__file__))
    roots = (home + os.sep, home + ".libs" + os.sep)
    paths = [i["filepath"] for i in controller.info()
             if i["user_api"] == "blas" and os.path.realpath(i["filepath"]).startswith(roots)]
    return controller.select(filepath=paths) if paths else None


def get_num_threads() -> int:
    """The largest thread count among the loaded BLAS libraries (1 when none is found)."""
    infos = [i for i in _controller().info() if i.get("user_api") == "blas"]
    return max((int(i["num_threads"]) for i in infos), default=1)
