"""``torch.backends.mkldnn``: tensorgraft's CPU kernels are NumPy's; no oneDNN."""

enabled = True


def is_available() -> bool:
    return False
