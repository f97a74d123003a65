"""``tensorgraft.linalg``: the PyTorch ``torch.linalg`` namespace (norms, solvers)."""
from __future__ import annotations
