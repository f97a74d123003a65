"""``tensorgraft.utils``: helpers around the core library (``tensorgraft.utils.data``)."""

# reachable as attributes after ``import tensorgraft`` alone, as ``torch.utils.hooks`` and
# ``torch.utils._pytree`` are (PyTorch imports them itself); loaded on first use, so they cost
# nothing at import time. ``benchmark`` is not among them: PyTorch users import it explicitly
# (``import torch.utils.benchmark as benchmark``), and ``torch.utils.benchmark`` without that import
# is an AttributeError there too.
# ``data`` too: the autograd engine imports ``utils.hooks``, and data's DataLoader imports
# ``multiprocessing`` (~7 ms), which ``import tensorgraft`` must not pay for.
# ``dlpack`` and ``model_zoo`` too (PyTorch imports them with torch).
_LAZY = ("data", "checkpoint", "hooks", "_pytree", "dlpack", "model_zoo")


def __getattr__(name):
    if name in _LAZY:
        import importlib
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module '{__name__}' has no attribute '{name}'")
