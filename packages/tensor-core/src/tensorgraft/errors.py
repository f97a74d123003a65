"""Exception types PyTorch exposes at top level and that device backends raise.

They live in core so ``tensorgraft.OutOfMemoryError is tensorgraft.cuda.OutOfMemoryError`` holds (as
in PyTorch) and code can catch them without the CUDA part installed.
"""


class OutOfMemoryError(RuntimeError):
    """A device allocation failed for lack of memory (``torch.OutOfMemoryError``)."""


class AcceleratorError(RuntimeError):
    """An accelerator reported an error while running work (``torch.AcceleratorError``)."""
