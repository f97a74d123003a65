"""Lookup tables: ``Embedding`` (one row per index) and ``EmbeddingBag`` (a reduction of the rows of
each bag of indices, computed without materialising them)."""
from __future__ import annotations

import tensorgraft as _tg
from tensorgraft.ops.creation import empty

from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module


def _wrap_padding_idx(padding_idx, rows, message):
    """``padding_idx`` as a non-negative row number (negative ones count from the end)."""
    if padding_idx is None:
        return None
    if not -rows <= padding_idx < rows:
        raise AssertionError(message)
    return padding_idx + rows if padding_idx < 0 else padding_idx


def _table_parameter(rows, cols, given, trainable, device, dtype):
    """The weight ``Parameter``: ``given`` (checked to be ``rows x cols``) or a fresh, uninitialised
    table, and whether the caller still has to initialise it."""
    if given is None:
        # one size tuple, as PyTorch passes it: a bad count then gets empty()'s message for a tuple
        return Parameter(empty((rows, cols), device=device, dtype=dtype), requires_grad=trainable), True
    if list(given.shape) != [rows, cols]:
        raise AssertionError("Shape of weight does not match num_embeddings and embedding_dim")
    return Parameter(given, requires_grad=trainable), False


def _checked_pretrained(embeddings):
    if embeddings.dim() != 2:
        raise AssertionError("Embeddings parameter is expected to be 2-dimensional")
    rows, cols = embeddings.shape
    return rows, cols


def _options_text(module, parts):
    """``"<rows>, <cols>"`` followed by ``, name=value`` for each (name, shown) pair of ``parts``
    whose ``shown`` is true; values as their ``repr``."""
    head = [repr(module.num_embeddings), repr(module.embedding_dim)]
    head += [f"{name}={getattr(module, name)!r}" for name, shown in parts if shown]
    return ", ".join(head)


class _LookupTable(Module):
    """How Embedding and EmbeddingBag initialise their table: normal rows, the padding row zero."""

    def reset_parameters(self):
        init.normal_(self.weight)
        self._fill_padding_idx_with_zero()

    def _fill_padding_idx_with_zero(self):
        if self.padding_idx is not None:
            with _tg.no_grad():
                self.weight[self.padding_idx].fill_(0)


class Embedding(_LookupTable):
    """A ``num_embeddings x embedding_dim`` table of trainable rows looked up by index."""

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0,
                 scale_grad_by_freq=False, sparse=False, _weight=None, _freeze=False, device=None, dtype=None):
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = _wrap_padding_idx(padding_idx, num_embeddings, "Padding_idx must be within num_embeddings")
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.weight, fresh = _table_parameter(num_embeddings, embedding_dim, _weight, not _freeze, device, dtype)
        if fresh:
            self.reset_parameters()
        self.sparse = sparse

    def forward(self, input):
        return F.embedding(input, self.weight, sparse=self.sparse, padding_idx=self.padding_idx,
                           scale_grad_by_freq=self.scale_grad_by_freq, norm_type=self.norm_type,
                           max_norm=self.max_norm)

    def extra_repr(self):
        text = _options_text(self, [
            ("padding_idx", self.padding_idx is not None),
            ("max_norm", self.max_norm is not None),
            ("norm_type", self.norm_type != 2),
            ("scale_grad_by_freq", self.scale_grad_by_freq is not False),
        ])
        return text + ", sparse=True" if self.sparse else text

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None, norm_type=2.0,
                        scale_grad_by_freq=False, sparse=False):
        """An embedding whose table is ``embeddings`` (a 2-D tensor, used as is), frozen unless
        ``freeze=False``."""
        rows, cols = _checked_pretrained(embeddings)
        return cls(rows, cols, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse,
                   embeddings, freeze)


_BAG_OPTIONS = ("mode", "padding_idx", "include_last_offset", "sparse", "max_norm", "norm_type",
                "scale_grad_by_freq")


class EmbeddingBag(_LookupTable):
    """Sums, means or maxima of bags of embeddings (``F.embedding_bag``) without materialising the
    looked-up rows."""

    def __init__(self, num_embeddings, embedding_dim, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
                 mode="mean", sparse=False, _weight=None, include_last_offset=False, padding_idx=None, device=None,
                 dtype=None):
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.padding_idx = _wrap_padding_idx(padding_idx, num_embeddings, "padding_idx must be within num_embeddings")
        self.weight, fresh = _table_parameter(num_embeddings, embedding_dim, _weight, True, device, dtype)
        if fresh:
            self.reset_parameters()
        self.mode = mode
        self.sparse = sparse
        self.include_last_offset = include_last_offset

    def forward(self, input, offsets=None, per_sample_weights=None):
        opts = {k: getattr(self, k) for k in _BAG_OPTIONS}
        return F.embedding_bag(input, self.weight, offsets=offsets, per_sample_weights=per_sample_weights, **opts)

    def extra_repr(self):
        return _options_text(self, [
            ("max_norm", self.max_norm is not None),
            ("norm_type", self.norm_type != 2),
            ("scale_grad_by_freq", self.scale_grad_by_freq is not False),
            ("mode", True),
            ("padding_idx", self.padding_idx is not None),
        ])

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
                        mode="mean", sparse=False, include_last_offset=False, padding_idx=None):
        """A bag of embeddings whose table is ``embeddings`` (a 2-D tensor, used as is), frozen
        unless ``freeze=False``."""
        rows, cols = _checked_pretrained(embeddings)
        bag = cls(rows, cols, max_norm, norm_type, scale_grad_by_freq, mode, sparse, embeddings,
                  include_last_offset, padding_idx)
        bag.weight.requires_grad = not freeze
        return bag
