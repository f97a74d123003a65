"""``torch.cpu``: the CPU device module (here: its deprecated ``amp`` aliases)."""


def __getattr__(name):
    if name == "amp":
        import importlib
        return importlib.import_module(f"{__name__}.amp")
    raise AttributeError(f"module 'tensorgraft.cpu' has no attribute '{name}'")


def is_available() -> bool:
    return True


def device_count() -> int:
    return 1
