"""Makes ``_distributed_ranks.py`` (the DDP/SyncBatchNorm tests' launcher of ranks) importable as
``_tg_distributed_ranks``: with ``--import-mode=importlib`` test files cannot import their
neighbours by name."""
import importlib.util
import sys
from pathlib import Path

if "_tg_distributed_ranks" not in sys.modules:
    _spec = importlib.util.spec_from_file_location("_tg_distributed_ranks",
                                                   Path(__file__).with_name("_distributed_ranks.py"))
    _module = importlib.util.module_from_spec(_spec)
    sys.modules["_tg_distributed_ranks"] = _module
    _spec.loader.exec_module(_module)
