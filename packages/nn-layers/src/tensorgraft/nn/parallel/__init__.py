"""``torch.nn.parallel``'s import path: ``DataParallel`` (defined with the other modules in
``nn/modules/data_parallel.py``). There is no ``DistributedDataParallel``: tensorgraft has no
``torch.distributed``."""
from ..modules.data_parallel import DataParallel

__all__ = ["DataParallel"]
