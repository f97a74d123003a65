"""Functions PyTorch removed in 1.9 in favour of ``torch.linalg`` but still defines, so that old
code (tutorials written before 2021 call ``torch.symeig``, ``torch.solve``, ``torch.eig``...) fails
with a message saying what to write instead rather than an AttributeError. tensorgraft keeps the
same names, signatures and messages: a program ported from PyTorch fails the same way, at the same
line, with the same advice. Each raises before looking at its arguments' values, as PyTorch's do.
"""
from __future__ import annotations

from ..tensor import Tensor

__all__ = ["solve", "lstsq", "symeig", "eig", "matrix_rank"]

_REMOVED = "This function was deprecated since version 1.9 and is now removed."

_SOLVE = (f"{_REMOVED} `torch.solve` is deprecated in favor of `torch.linalg.solve`. `torch.linalg.solve` has its "
          "arguments reversed and does not return the LU factorization.\n\nTo get the LU factorization see "
          "`torch.lu`, which can be used with `torch.lu_solve` or `torch.lu_unpack`.\n"
          "X = torch.solve(B, A).solution should be replaced with:\nX = torch.linalg.solve(A, B)")
_LSTSQ = (f"{_REMOVED} `torch.lstsq` is deprecated in favor of `torch.linalg.lstsq`.\n`torch.linalg.lstsq` has "
          "reversed arguments and does not return the QR decomposition in the returned tuple (although it returns "
          "other information about the problem).\n\nTo get the QR decomposition consider using `torch.linalg.qr`."
          "\n\nThe returned solution in `torch.lstsq` stored the residuals of the solution in the last m - n columns "
          "of the returned value whenever m > n. In torch.linalg.lstsq, the residuals are in the field 'residuals' "
          "of the returned named tuple.\n\nThe unpacking of the solution, as in\n"
          "X, _ = torch.lstsq(B, A).solution[:A.size(1)]\nshould be replaced with:\n"
          "X = torch.linalg.lstsq(A, B).solution")
_SYMEIG = (f"{_REMOVED} The default behavior has changed from using the upper triangular portion of the matrix by "
           "default to using the lower triangular portion.\n\nL, _ = torch.symeig(A, upper=upper) should be replaced "
           "with:\nL = torch.linalg.eigvalsh(A, UPLO='U' if upper else 'L')\n\nand\n\n"
           "L, V = torch.symeig(A, eigenvectors=True) should be replaced with:\n"
           "L, V = torch.linalg.eigh(A, UPLO='U' if upper else 'L')")
_EIG = (f"{_REMOVED} `torch.linalg.eig` returns complex tensors of dtype `cfloat` or `cdouble` rather than real "
        "tensors mimicking complex tensors.\n\nL, _ = torch.eig(A) should be replaced with:\n"
        "L_complex = torch.linalg.eigvals(A)\n\nand\n\nL, V = torch.eig(A, eigenvectors=True) should be replaced "
        "with:\nL_complex, V_complex = torch.linalg.eig(A)")
_MATRIX_RANK = (f"{_REMOVED}\nPlease use the `torch.linalg.matrix_rank` function instead. The parameter 'symmetric' "
                "was renamed in `torch.linalg.matrix_rank()` to 'hermitian'.")


def solve(input, A, *, out=None):
    """Removed: ``torch.linalg.solve(A, B)`` (arguments reversed)."""
    raise RuntimeError(_SOLVE)


def lstsq(input, A, *, out=None):
    """Removed: ``torch.linalg.lstsq(A, B).solution`` (arguments reversed)."""
    raise RuntimeError(_LSTSQ)


def symeig(input, eigenvectors=False, upper=True, *, out=None):
    """Removed: ``torch.linalg.eigvalsh`` / ``torch.linalg.eigh``."""
    raise RuntimeError(_SYMEIG)


def eig(self, eigenvectors=False, *, e=None, v=None):
    """Removed: ``torch.linalg.eigvals`` / ``torch.linalg.eig`` (complex results)."""
    raise RuntimeError(_EIG)


def matrix_rank(input, tol=None, symmetric=False, *, out=None):
    """Removed: ``torch.linalg.matrix_rank`` (``symmetric`` is now ``hermitian``)."""
    raise RuntimeError(_MATRIX_RANK)


# The Tensor methods PyTorch kept alongside (there is no ``Tensor.matrix_rank``)
def _solve_method(self, other):
    raise RuntimeError(_SOLVE)


def _lstsq_method(self, other):
    raise RuntimeError(_LSTSQ)


def _symeig_method(self, eigenvectors=False):
    raise RuntimeError(_SYMEIG)


def _eig_method(self, eigenvectors=False):
    raise RuntimeError(_EIG)


for _name, _fn in (("solve", _solve_method), ("lstsq", _lstsq_method), ("symeig", _symeig_method),
                   ("eig", _eig_method)):
    _fn.__name__ = _fn.__qualname__ = _name
    setattr(Tensor, _name, _fn)
