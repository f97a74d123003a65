"""``torch.nn.parallel``'s import path: ``DataParallel`` (defined with the other modules in
``nn/modules/data_parallel.py``) and ``DistributedDataParallel`` (``distributed.py``, over
``tensorgraft.distributed``)."""
from ..modules.data_parallel import DataParallel
from .distributed import DistributedDataParallel

__all__ = ["DataParallel", "DistributedDataParallel"]
