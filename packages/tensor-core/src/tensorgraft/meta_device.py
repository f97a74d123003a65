"""The ``meta`` device: tensors that have a shape, dtype and autograd history but no values.

PyTorch users meet it in ``with torch.device("meta"): model = Big()`` (build a model without
spending memory or time on initial weights, then ``model.to_empty(device=...)`` and load a
checkpoint) and in the torch.func ensembling recipe (a ``base_model.to("meta")`` skeleton that
``functional_call`` fills with stacked weights). What makes it meta is that values never leave it:
copying to another device, ``item()``, ``tolist()``, ``numpy()`` and printing values are refused,
as PyTorch refuses them, and printing shows ``tensor(..., device='meta', size=(2, 3))``.

Behind the device sit ordinary NumPy arrays allocated with ``numpy.empty`` (the operating system
hands out the pages only when something writes them), so every op, its gradient and its shape
rules come for free from the CPU kernels, and the shapes, dtypes and errors of an op on meta
tensors are the CPU's. The values those kernels compute are never shown. Two consequences are
written in the user guide (differences.md): memory and time are those of the CPU (PyTorch's meta
kernels compute shapes only), and ops whose output shape depends on values (``nonzero``, boolean
masks, ``unique``) return a shape from meaningless values where PyTorch raises.
"""
from __future__ import annotations

import numpy as np

from .device import DeviceBackend

NO_DATA = "Cannot copy out of meta tensor; no data!"


class MetaBackend(DeviceBackend):
    type = "meta"
    xp = np
    # read by the test kit: a device whose tensors hold no values cannot be checked against the
    # CPU's values, so the tg_device fixture and the conformance device checks leave it out
    holds_values = False

    def current_index(self):
        return None  # meta tensors live on the index-less device "meta", as the CPU's on "cpu"

    def from_host(self, array, index):
        # only the shape and dtype travel to meta (torch.tensor([1.0], device="meta") keeps no 1.0)
        return np.empty(np.shape(array), dtype=np.asarray(array).dtype)

    def to_host(self, array):
        raise NotImplementedError(NO_DATA)

    def owns(self, array) -> bool:
        return False  # NumPy arrays belong to the CPU; nothing becomes meta by being wrapped

    def array_index(self, array):
        return None

    def new_random_stream(self, seed: int, index):
        """Samplers on meta tensors draw nothing: a stream that hands back empty arrays of the
        requested shape (so init on a meta model costs no random numbers and no CPU draws)."""
        return _NoValuesStream()


class _NoValuesStream:
    """Answers the sampler methods a random stream offers (see DeviceBackend.new_random_stream)
    with uninitialised arrays of the right shape: meta tensors have no values to draw."""

    def _empty(self, size, dtype):
        return np.empty(() if size is None else size, dtype=dtype)

    def random(self, size=None, dtype=np.float64, **_):
        return self._empty(size, dtype)

    standard_normal = standard_cauchy = random

    def uniform(self, low=0.0, high=1.0, size=None, dtype=np.float64, **_):
        return self._empty(size, dtype)

    def normal(self, loc=0.0, scale=1.0, size=None, dtype=np.float64, **_):
        return self._empty(size, dtype)

    def lognormal(self, mean=0.0, sigma=1.0, size=None, dtype=np.float64, **_):
        return self._empty(size, dtype)

    def exponential(self, scale=1.0, size=None, dtype=np.float64, **_):
        return self._empty(size, dtype)

    def geometric(self, p, size=None, dtype=np.float64, **_):
        return self._empty(size, dtype)

    def integers(self, low, high=None, size=None, dtype=np.int64, **_):
        # a value inside [low, high) all the same: callers may index with what they get back
        return np.full(() if size is None else size, low if high is not None else 0, dtype=dtype)

    def permutation(self, x):
        return np.arange(x) if isinstance(x, (int, np.integer)) else np.asarray(x).copy()

    def choice(self, a, size=None, replace=True, p=None, **_):
        return np.zeros(() if size is None else size, dtype=np.int64)
