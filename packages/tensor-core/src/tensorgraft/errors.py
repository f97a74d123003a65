"""Exception types PyTorch exposes at top level and that device backends raise.

They live in core so ``tensorgraft.OutOfMemoryError is tensorgraft.cuda.OutOfMemoryError`` holds (as
in PyTorch) and code can catch them without the CUDA part installed.
"""


class OutOfMemoryError(RuntimeError):
    """A device allocation failed for lack of memory (``torch.OutOfMemoryError``)."""


class AcceleratorError(RuntimeError):
    """An accelerator reported an error while running work (``torch.AcceleratorError``)."""


class _LinAlgError(RuntimeError):
    """``torch.linalg.LinAlgError``: a factorization or inversion failed because the matrix is
    singular or not positive-definite. PyTorch's class carries this underscored name (it is
    ``torch._C._LinAlgError``), which shows in tracebacks and ``type(e).__name__``."""


LinAlgError = _LinAlgError
