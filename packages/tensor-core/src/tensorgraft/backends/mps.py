"""``torch.backends.mps``: Apple's Metal backend; tensorgraft has none."""


def is_available() -> bool:
    return False


def is_built() -> bool:
    return False
