"""A vectorized ``vmap`` (PyTorch functorch's design): the function runs once, on
``BatchedTensor``s whose batching rules compute every sample at once (see ``_batched.py``).
Chosen by ``TENSORGRAFT_VMAP=vectorized`` (``func/_vmap.py``) or called directly as
``vectorized_vmap``."""
from __future__ import annotations

from . import _rules_meta, _rules_pointwise, _rules_dims, _rules_shape, _rules_linalg_nn  # noqa: F401  (they register)
from . import _random  # noqa: F401  (the random ops' rules: registered with the others, not at the first "different" vmap)
from ._batched import BatchedTensor
from ._entry import vectorized_vmap

__all__ = ["BatchedTensor", "vectorized_vmap"]
