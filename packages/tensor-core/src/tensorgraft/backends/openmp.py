"""``torch.backends.openmp``: tensorgraft does not use OpenMP itself (its threads are BLAS's, see
``tensorgraft.set_num_threads``)."""


def is_available() -> bool:
    return False
