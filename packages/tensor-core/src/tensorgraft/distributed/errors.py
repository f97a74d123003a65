"""The exception classes of ``torch.distributed``: every failure of a store, a connection or a
collective is a ``DistError``, itself a ``RuntimeError`` (so ``except RuntimeError`` still works)."""


class DistError(RuntimeError):
    """A failure in the distributed package."""


class DistBackendError(DistError):
    """A collective or point-to-point operation failed (a peer left, shapes disagreed ...)."""


class DistNetworkError(DistError):
    """A connection could not be made or was lost."""


class DistStoreError(DistError):
    """A store operation failed, most often a wait that ran out of time."""


for _cls in (DistError, DistBackendError, DistNetworkError, DistStoreError):
    _cls.__module__ = "tensorgraft.distributed"
