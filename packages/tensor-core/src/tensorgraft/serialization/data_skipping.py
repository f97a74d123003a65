"""``torch.serialization.skip_data``: saving a checkpoint's structure without its tensors' bytes,
and loading one without reading them.

Under the context manager a save writes the whole file as usual (same records, same offsets, same
size) with zero bytes where the tensors' values go, so a second pass can fill them in place;
``torch.load`` outside the manager then gives zero tensors, as in PyTorch's example. A load under
the manager gives each tensor its shape, dtype, strides and sharing without reading its values:
they are zeros (PyTorch leaves them uninitialized, so no program can rely on what they hold).

``materialize_fake_tensors`` is accepted and recorded as PyTorch records it: tensorgraft has no
FakeTensors, so there is nothing for it to change.

Separate because it is per-thread state that every writer and reader consults, as PyTorch keeps it
in its ``_serialization_tls``.
"""
from __future__ import annotations

import threading

import numpy as np


class _SerializationLocal(threading.local):
    def __init__(self):
        super().__init__()
        self.skip_data = False
        self.materialize_fake_tensors = False


_serialization_tls = _SerializationLocal()


def skipping() -> bool:
    """Whether this thread is inside ``skip_data()``."""
    return _serialization_tls.skip_data


def zeros_like_arrays(arrays: dict, keep=()) -> dict:
    """The entries of a checkpoint with their values replaced by zeros (calloc'ed: pages never
    written cost no memory until read), but for the entries named in ``keep``."""
    return {key: a if key in keep else np.zeros(a.shape, a.dtype) for key, a in arrays.items()}


def skipped_entries(arrays: dict, metadata: dict) -> dict:
    """What a save under ``skip_data`` writes of tensorgraft's format: the tensors' entries as
    zeros. NumPy arrays stored in the checkpoint (records of kind ``nd``/``ndb``) keep their values,
    as PyTorch pickles them inline rather than as storages."""
    import json

    from .header import _META_KEY
    records = json.loads(metadata[_META_KEY])["tensors"]
    keep = {r[0] for r in records if r[5] in ("nd", "ndb")}
    return zeros_like_arrays(arrays, keep)


class skip_data:
    """Context-manager that skips writing/reading storage bytes for ``torch.save`` / ``torch.load`` calls.

    For the save path, storages will still be saved, but the space that their bytes would usually be
    written to will be empty space (zeros here). The storage bytes can then be populated in a separate pass.

    For the load path, tensors will be loaded per the checkpoint but their storages will not be
    populated with data (they hold zeros here).

    Args:
        materialize_fake_tensors: Whether to materialize FakeTensors during save. This is a no-op for
            the load path (and in tensorgraft, which has no FakeTensors).

    Example:
        >>> import tempfile
        >>> t = torch.randn(2, 3)
        >>> with tempfile.NamedTemporaryFile() as f:
        ...     with torch.serialization.skip_data():
        ...         torch.save(t, f.name)
        ...     torch.load(f.name, weights_only=True)
        tensor([[0., 0., 0.],
                [0., 0., 0.]])
    """

    def __init__(self, materialize_fake_tensors: bool = False):
        self.materialize_fake_tensors = materialize_fake_tensors

    def __enter__(self):
        self._old_skip_data = _serialization_tls.skip_data
        self._old_materialize_fake_tensors = _serialization_tls.materialize_fake_tensors
        _serialization_tls.skip_data = True
        _serialization_tls.materialize_fake_tensors = self.materialize_fake_tensors

    def __exit__(self, type, value, tb):
        _serialization_tls.skip_data = self._old_skip_data
        _serialization_tls.materialize_fake_tensors = self._old_materialize_fake_tensors
