"""``tensorgraft.utils``: helpers around the core library (``tensorgraft.utils.data``)."""
from . import data  # noqa: F401


def __getattr__(name):
    if name == "checkpoint":  # torch.utils.checkpoint, loaded on first use
        import importlib
        return importlib.import_module(f"{__name__}.checkpoint")
    raise AttributeError(f"module '{__name__}' has no attribute '{name}'")
