"""PyTorch's ``torch.nn.modules.distance`` path (the classes live in ``loss``)."""
from .loss import CosineSimilarity, PairwiseDistance  # noqa: F401

__all__ = ["PairwiseDistance", "CosineSimilarity"]
