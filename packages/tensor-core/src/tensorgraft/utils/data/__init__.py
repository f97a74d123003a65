"""``tensorgraft.utils.data``: datasets, samplers and the ``DataLoader``, as ``torch.utils.data``."""
from .dataset import (  # noqa: F401
    ChainDataset, ConcatDataset, Dataset, IterableDataset, StackDataset, Subset, TensorDataset, random_split,
)
from .sampler import (  # noqa: F401
    BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler, WeightedRandomSampler,
)
from ._collate import default_collate, default_convert  # noqa: F401
from . import _utils  # noqa: F401  (torch.utils.data._utils.collate: where PyTorch documents extending collate)
from ._worker import WorkerInfo, get_worker_info  # noqa: F401
from .dataloader import DataLoader  # noqa: F401
from .distributed import DistributedSampler  # noqa: F401

__all__ = [
    "BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset", "IterableDataset", "RandomSampler",
    "Sampler", "SequentialSampler", "StackDataset", "Subset", "SubsetRandomSampler", "TensorDataset",
    "WeightedRandomSampler", "WorkerInfo", "DistributedSampler", "default_collate", "default_convert",
    "get_worker_info", "random_split",
]

