"""``torch.distributed.optim``: ``ZeroRedundancyOptimizer`` (needs tensorgraft-optim)."""
from .zero_redundancy_optimizer import ZeroRedundancyOptimizer

__all__ = ["ZeroRedundancyOptimizer"]
