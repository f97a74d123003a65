"""PyTorch's build flags (``has_lapack``, ``has_mkl``, ``has_openmp``, ``has_spectral``,
``compiled_with_cxx11_abi()``) and ``init_num_threads``, answered for what tensorgraft runs on.

- ``has_lapack``: True. ``tensorgraft.linalg``'s decompositions and solves call NumPy's LAPACK
  (every NumPy build carries one: its own lapack_lite or the BLAS vendor's).
- ``has_spectral``: True. ``tensorgraft.fft`` and ``stft`` are NumPy's pocketfft.
- ``has_mkl``: False. tensorgraft calls no MKL routine of its own (a NumPy linked against MKL
  uses it underneath, but nothing here depends on that), and code that takes an MKL-only path
  when the flag is set (``torch.backends.mkl``-style tuning) has nothing to tune.
- ``has_openmp``: False. tensorgraft runs its kernels in the calling thread; the only thread pool
  is the BLAS library's (``set_num_threads``), which is not an OpenMP runtime tensorgraft owns.
- ``compiled_with_cxx11_abi()``: True. tensorgraft has no C++ library; True (the ABI every current
  compiler uses by default, and PyTorch's since 2.7) keeps extension builders from adding
  ``-D_GLIBCXX_USE_CXX11_ABI=0`` for no reason.
"""
from __future__ import annotations

has_lapack = True
has_spectral = True
has_mkl = False
has_openmp = False


def compiled_with_cxx11_abi() -> bool:
    """Returns whether PyTorch was built with _GLIBCXX_USE_CXX11_ABI=1 (here: see the module's docstring)."""
    return True


def init_num_threads() -> None:
    """PyTorch initialises its OpenMP thread pool in the calling thread; tensorgraft has no such
    pool (its kernels run in the calling thread), so there is nothing to start."""
    return None
