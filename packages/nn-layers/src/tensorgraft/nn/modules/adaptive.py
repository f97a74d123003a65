"""``AdaptiveLogSoftmaxWithLoss``: the adaptive softmax of Grave et al. (2016).

The classes are split by ``cutoffs`` into a frequent *shortlist* and rarer *clusters*. One linear
``head`` scores the shortlist classes plus one entry per cluster; cluster ``i`` owns a small
two-layer ``tail[i]`` (a projection to ``in_features // div_value ** (i + 1)`` features, then the
cluster's classes). The log-probability of a class in a cluster is the head's log-probability of
the cluster plus the tail's log-probability of the class inside it.
"""
from __future__ import annotations

from collections import namedtuple

import tensorgraft as tg

from .. import functional as F
from .container import ModuleList, Sequential
from .linear import Linear
from .module import Module

# the result type of ``forward``; its name and fields are the ones PyTorch users see
_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])

_BAD_CUTOFFS = ("cutoffs should be a sequence of unique, positive integers sorted in an increasing order, "
                "where each value is between 1 and n_classes-1")


def _validated_cutoffs(cutoffs, n_classes):
    bounds = list(cutoffs)
    if not bounds:
        raise ValueError("cutoffs should be a sequence of length larger than 0")
    increasing = all(a < b for a, b in zip(bounds, bounds[1:]))
    integral = all(int(c) == c for c in bounds)
    if not (increasing and integral and bounds[0] > 0 and bounds[-1] < n_classes):
        raise ValueError(_BAD_CUTOFFS)
    return bounds


class AdaptiveLogSoftmaxWithLoss(Module):
    """Efficient softmax approximation for large output spaces (PyTorch's parameter layout:
    ``head`` and ``tail.<i>.{0,1}``)."""

    def __init__(self, in_features, n_classes, cutoffs, div_value=4.0, head_bias=False, device=None, dtype=None):
        super().__init__()
        bounds = _validated_cutoffs(cutoffs, n_classes)
        self.in_features = in_features
        self.n_classes = n_classes
        self.cutoffs = bounds + [n_classes]
        self.div_value = div_value
        self.head_bias = head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        where = {"device": device, "dtype": dtype}
        self.head = Linear(in_features, self.head_size, bias=head_bias, **where)
        clusters = []
        for i, (lo, hi) in enumerate(self._cluster_bounds()):
            width = int(in_features // (div_value ** (i + 1)))
            clusters.append(Sequential(Linear(in_features, width, bias=False, **where),
                                       Linear(width, hi - lo, bias=False, **where)))
        self.tail = ModuleList(clusters)

    def _cluster_bounds(self):
        """``(first, end)`` class range of every cluster, in order."""
        return list(zip(self.cutoffs[:-1], self.cutoffs[1:]))

    def reset_parameters(self):
        self.head.reset_parameters()
        for projection, scores in self.tail:
            projection.reset_parameters()
            scores.reset_parameters()

    # ------------------------------------------------------------------ forward
    @staticmethod
    def _check_shapes(x, t):
        if t.dim() == 1:
            if x.size(0) != t.size(0):
                raise RuntimeError("Input and target should have the same size in the batch dimension.")
            if x.dim() != 2:
                raise RuntimeError(f"1D target tensor expects 2D input tensors, but found inputs with size {x.size()}")
        elif t.dim() == 0:
            if x.dim() != 1:
                raise RuntimeError(f"0D target tensor expects 1D input tensors, but found inputs with size {x.size()}")
        else:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")

    def _check_range(self, t):
        if t.numel() == 0:
            return
        low, high = t.min().item(), t.max().item()
        if low < 0 or high >= self.n_classes:
            raise RuntimeError(f"Target values should be in [0, {self.n_classes - 1}], "
                               f"but values in range [{low}, {high}] were found. ")

    def _head_column(self, t):
        """Which head entry scores each target: the class itself in the shortlist, else its cluster."""
        cluster_slot = self.shortlist_size - 1
        for start in self.cutoffs[:-1]:
            cluster_slot = cluster_slot + (t >= start).long()
        return tg.where(t < self.shortlist_size, t, cluster_slot)

    def forward(self, input_, target_):
        self._check_shapes(input_, target_)
        unbatched = target_.dim() == 0
        x = input_.unsqueeze(0) if unbatched else input_
        t = target_.unsqueeze(0) if unbatched else target_
        self._check_range(t)

        # the in-cluster log-probabilities, zero for shortlist targets; a cluster that no target
        # falls in is not evaluated (so its tail gets no gradient, as in PyTorch). The tails run
        # before the head, as PyTorch's: an input of the wrong width fails in the first tail used.
        within = tg.zeros(t.shape, dtype=x.dtype, device=x.device)
        for tail, (lo, hi) in zip(self.tail, self._cluster_bounds()):
            rows = tg.nonzero((t >= lo) & (t < hi)).flatten()
            if rows.numel() == 0:
                continue
            cluster_lp = F.log_softmax(tail(x.index_select(0, rows)), dim=1)
            picked = cluster_lp.gather(1, (t.index_select(0, rows) - lo).unsqueeze(1)).squeeze(1)
            within = within.index_copy(0, rows, picked)
        head_lp = F.log_softmax(self.head(x), dim=1)
        from_head = head_lp.gather(1, self._head_column(t).unsqueeze(1)).squeeze(1)
        output = within + from_head
        loss = (-output).mean()
        if unbatched:
            output = output.squeeze(0)
        return _ASMoutput(output, loss)

    # ------------------------------------------------------------------ full distribution
    def _all_classes(self, x, head_lp):
        """``(batch, n_classes)`` log-probabilities from the inputs and their head log-probabilities."""
        table = head_lp.new_empty((head_lp.size(0), self.n_classes))
        table[:, :self.shortlist_size] = head_lp[:, :self.shortlist_size]
        for i, (tail, (lo, hi)) in enumerate(zip(self.tail, self._cluster_bounds())):
            slot = self.shortlist_size + i
            table[:, lo:hi] = F.log_softmax(tail(x), dim=1) + head_lp[:, slot:slot + 1]
        return table

    def log_prob(self, input):
        """Log-probabilities of every class, shape ``(batch, n_classes)``."""
        return self._all_classes(input, F.log_softmax(self.head(input), dim=1))

    def predict(self, input):
        """The most likely class of every row. Rows whose best head entry is a shortlist class need no
        tail; the others are decided on their full distribution."""
        with tg.no_grad():
            head_lp = F.log_softmax(self.head(input), dim=1)
            best = head_lp.argmax(dim=1)
            rows = tg.nonzero(best >= self.shortlist_size).flatten()
            if rows.numel() == 0:
                return best
            full = self._all_classes(input.index_select(0, rows), head_lp.index_select(0, rows))
            return best.index_copy(0, rows, full.argmax(dim=1))
