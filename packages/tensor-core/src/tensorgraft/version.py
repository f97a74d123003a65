"""``tensorgraft.version``, as ``torch.version``: what this build of tensorgraft is.

``__version__`` is tensorgraft's own version (the same object as ``tensorgraft.__version__``).
The remaining names answer what PyTorch's CPU build answers, because tensorgraft-core is not
built against any GPU toolkit: ``cuda`` and ``hip`` are None (the optional CUDA support,
tensorgraft-cuda, runs on CuPy and is found at run time: ask ``tensorgraft.cuda.is_available()``),
``debug`` is False, and ``git_version`` names no commit (an installed wheel carries no git
checkout) so it is ``"Unknown"``, PyTorch's value for builds made outside git.
"""
from __future__ import annotations

from .torch_version import TorchVersion

__all__ = ["__version__", "cuda", "hip", "rocm", "xpu", "debug", "git_version"]

__version__ = TorchVersion("0.1.0")
cuda = None
hip = None
rocm = None
xpu = None
debug = False
git_version = "Unknown"
