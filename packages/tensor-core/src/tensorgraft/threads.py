"""``set_num_threads``/``get_num_threads``: the threads the BLAS library behind NumPy may use.

PyTorch's functions of the same name size its intra-op pool; here the heavy lifting is NumPy's
BLAS (OpenBLAS/MKL), whose thread pool is controlled through threadpoolctl (a small, widely used
library — scikit-learn relies on it — that knows how to reach every BLAS build NumPy ships with).
On a busy machine, spinning BLAS threads can make small matrix products much slower; a single
thread is often fastest for the small layers of tutorial-sized models.
"""
from __future__ import annotations

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
    multiply-add, would otherwise start with a thread per core)."""
    global _limiter
    if _requested is not None:
        _limiter = _controller().limit(limits=_requested, user_api="blas")


def get_num_threads() -> int:
    """The largest thread count among the loaded BLAS libraries (1 when none is found)."""
    infos = [i for i in _controller().info() if i.get("user_api") == "blas"]
    return max((int(i["num_threads"]) for i in infos), default=1)
