"""``nn.utils.rnn``: padded batches and packed sequences of variable-length sequences.

A packed sequence stores a batch sorted by decreasing length, time step after time step: the rows
of step ``t`` are the first ``batch_sizes[t]`` sequences of the batch (those still running), so an
RNN can shrink its batch as sequences end instead of computing on padding. ``batch_sizes``,
``lengths`` and the index arithmetic live on the host (CPU int64, as in PyTorch); the data moves
only through device gathers and scatters, so packing works alike on every device and gradients
flow through both directions.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

import tensorgraft as tg
from tensorgraft.autograd import Function
from tensorgraft.tensor import Tensor

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "unpad_sequence", "pack_sequence", "unpack_sequence"]


class _PackedFields(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(_PackedFields):
    """The data and ``batch_sizes`` of a packed batch (build it with :func:`pack_padded_sequence` or
    :func:`pack_sequence`). ``sorted_indices`` (on the data's device) says which original batch
    entry each packed column holds; ``unsorted_indices`` undoes it. ``batch_sizes`` stays on CPU."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        elif batch_sizes.device.type != "cpu":
            raise ValueError(
                "batch_sizes should always be on CPU. Instances of PackedSequence should never be created manually. "
                "They should be instantiated by functions like pack_sequence and pack_padded_sequences in "
                "nn.utils.rnn. https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence")
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def _with_data(self, data):
        """``self`` when the conversion changed nothing, else a copy whose index tensors follow the
        data's device (``batch_sizes`` stays on CPU)."""
        if data is self.data:
            return self
        dev = data.device
        move = (lambda t: None if t is None else t.to(dev))
        return type(self)(data, self.batch_sizes, move(self.sorted_indices), move(self.unsorted_indices))

    def to(self, *args, **kwargs):
        return self._with_data(self.data.to(*args, **kwargs))

    def cuda(self, device=None, non_blocking=False, memory_format=None):
        return self._with_data(self.data.cuda(device, non_blocking=non_blocking, memory_format=memory_format))

    def cpu(self, memory_format=None):
        return self._with_data(self.data.cpu(memory_format=memory_format))

    def pin_memory(self):
        pin = (lambda t: None if t is None else t.pin_memory())
        return type(self)(self.data.pin_memory(), self.batch_sizes, pin(self.sorted_indices),
                          pin(self.unsorted_indices))

    def double(self):
        return self.to(dtype=tg.float64)

    def float(self):
        return self.to(dtype=tg.float32)

    def half(self):
        return self.to(dtype=tg.float16)

    def bfloat16(self):
        return self.to(dtype=tg.bfloat16)

    def long(self):
        return self.to(dtype=tg.int64)

    def int(self):
        return self.to(dtype=tg.int32)

    def short(self):
        return self.to(dtype=tg.int16)

    def char(self):
        return self.to(dtype=tg.int8)

    def byte(self):
        return self.to(dtype=tg.uint8)

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return self.data.is_pinned()


def invert_permutation(permutation):
    """The inverse of a 1-D permutation tensor (None stays None)."""
    if permutation is None:
        return None
    out = tg.empty_like(permutation)
    return out.scatter_(0, permutation, tg.arange(permutation.numel(), device=permutation.device))


# ----------------------------------------------------------------------------- host-side layout
def _batch_sizes(lengths):
    """Host int64 array: how many of the (sorted) sequences are still running at each step."""
    steps = np.arange(int(lengths.max()) if lengths.size else 0)
    return (lengths[None, :] > steps[:, None]).sum(1).astype(np.int64)


def _packed_rows(batch_sizes, seq_len, batch, batch_first, order=None):
    """For each packed row, its row in the padded tensor flattened to ``(seq_len * batch, *)``:
    step ``t``, sorted column ``b`` (original column ``order[b]``)."""
    t = np.repeat(np.arange(len(batch_sizes)), batch_sizes)
    starts = np.concatenate(([0], np.cumsum(batch_sizes)[:-1]))
    b = np.arange(int(batch_sizes.sum())) - np.repeat(starts, batch_sizes)
    if order is not None:
        b = order[b]
    return b * seq_len + t if batch_first else t * batch + b


def _index_on(rows, device):
    return tg.as_tensor(rows.astype(np.int64), device=device)


class _PackPadded(Function):
    """Gather of the packed rows of a padded batch; its backward scatters the gradient back into a
    zero padded gradient (written with tensorgraft ops, so it is differentiable again)."""

    @staticmethod
    def forward(ctx, input, rows):
        ctx.rows = rows
        ctx.shape = tuple(input.shape)
        return input.reshape((-1,) + ctx.shape[2:]).index_select(0, rows)

    @staticmethod
    def backward(ctx, grad):
        shape = ctx.shape
        flat = grad.new_zeros((shape[0] * shape[1],) + shape[2:])
        return flat.index_copy(0, ctx.rows, grad).reshape(shape), None


def _node_repr(self):
    # a built-in node in PyTorch, so its repr is the bare class name, not a custom Function's full path
    return f"<{type(self).__name__} object at {hex(id(self))}>"


# PyTorch's node for this op is PackPaddedSequenceBackward0 (what grad_fn shows)
_PackPadded._backward_cls = type("PackPaddedSequenceBackward0", (_PackPadded._backward_cls,),
                                 {"__module__": __name__, "__repr__": _node_repr})


def _check_lengths(lengths):
    if lengths.dim() != 1 or lengths.device.type != "cpu":
        raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got {lengths.dim()}D "
                           f"{lengths.device} Long tensor")


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch ``(T, B, *)`` (``(B, T, *)`` with ``batch_first``) of sequences with the
    given lengths (a CPU tensor or a list). With ``enforce_sorted=False`` the batch is sorted by
    decreasing length first and the permutation is kept in the result."""
    if not isinstance(lengths, Tensor):
        lengths = tg.as_tensor(lengths, dtype=tg.int64, device="cpu")
    else:
        lengths = lengths.to(dtype=tg.int64)
    sorted_indices = order = None
    if not enforce_sorted:
        # a stable sort: among equal lengths PyTorch's order is unspecified, here it is the batch order
        lengths, order = tg.sort(lengths, descending=True, stable=True)
        sorted_indices = order.to(input.device)
    _check_lengths(lengths)
    batch_dim = 0 if batch_first else 1
    batch = input.size(batch_dim)
    seq_len = input.size(1 - batch_dim)
    if input.numel() == 0:
        raise RuntimeError("Cannot pack empty tensors.")
    lens = lengths.numpy()
    if order is not None and lens.shape[0] != batch:
        # PyTorch first reorders the batch by ``sorted_indices``: fewer lengths than columns packs just
        # the first columns, more fails in that index_select
        if lens.shape[0] > batch:
            input.index_select(batch_dim, sorted_indices)
    elif lens.shape[0] != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {lens.shape[0]} "
                           f"(batch_size={batch})")
    if lens[-1] <= 0:  # sorted and the last positive: all are
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' that "
                           "is <= 0")
    if (lens[1:] > lens[:-1]).any():
        raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You "
                           "can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep "
                           "this requirement if you do not need ONNX exportability.")
    if lens[0] > seq_len:
        # PyTorch reads past the end of the input here; a clear error is the careful answer
        raise RuntimeError(f"Expected all lengths to be at most the padded sequence length {seq_len}, but got a "
                           f"length of {int(lens[0])}")
    batch_sizes = _batch_sizes(lens)
    order = None if order is None else order.numpy()
    rows = _index_on(_packed_rows(batch_sizes, seq_len, batch, batch_first, order), input.device)
    # one gather straight from the layout given (batch_first or not, sorted or not)
    data = _PackPadded.apply(input, rows)
    return PackedSequence(data, tg.as_tensor(batch_sizes, device="cpu"), sorted_indices, None)  # CPU, as PyTorch's


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Undo :func:`pack_padded_sequence`: the padded batch (in the original batch order) and the
    lengths (a CPU int64 tensor). ``total_length`` pads the time dimension further."""
    data, batch_sizes, _, unsorted_indices = sequence
    bs = batch_sizes.numpy().astype(np.int64)
    max_len = int(bs.shape[0])
    if total_length is not None:
        if total_length < max_len:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, but "
                             f"got total_length={total_length} and max sequence length being {max_len}")
        max_len = int(total_length)
    batch = int(bs[0]) if bs.size else 0
    rest = tuple(data.shape[1:])
    padded = data.new_full((max_len, batch) + rest, padding_value)
    rows = _index_on(_packed_rows(bs, max_len, batch, False), data.device)
    padded.view((max_len * batch,) + rest)[rows] = data
    lengths = (bs[None, :] > np.arange(batch)[:, None]).sum(1).astype(np.int64)
    lengths = tg.as_tensor(lengths, device="cpu")
    if batch_first:
        padded = padded.transpose(0, 1)
    if unsorted_indices is not None:
        padded = padded.index_select(0 if batch_first else 1, unsorted_indices)
        lengths = lengths[unsorted_indices.cpu()]
    return padded, lengths


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack sequences ``(L_i, *)`` into one ``(T, B, *)`` tensor (``(B, T, *)`` with ``batch_first``),
    filling with ``padding_value`` after (or, with ``padding_side="left"``, before) each."""
    if isinstance(sequences, Tensor):
        if sequences.dim() == 0:
            raise TypeError("iteration over a 0-d tensor")
        sequences = sequences.unbind(0)
    elif not hasattr(sequences, "__iter__"):
        raise RuntimeError(f"pad_sequence: Expected iterable for input sequences, but got arg of type: "
                           f"{type(sequences)}")
    sequences = list(sequences)
    # PyTorch's order of checks: the list, then the side, then the sequences' dimensions
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    first = sequences[0]
    if first.dim() == 0:   # its steps' shape is its shape after the first dimension
        raise RuntimeError("ArrayRef: invalid slice, N = 1; size = 0")
    for s in sequences:
        if s.dim() == 0:
            raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    max_len = max(s.shape[0] for s in sequences)
    for s in sequences[1:]:
        _check_trailing_dims(first, s)
    shape = (len(sequences), max_len) if batch_first else (max_len, len(sequences))
    out = first.new_full(shape + tuple(first.shape[1:]), padding_value)
    view = out.view(tuple(out.shape))  # writes through a view record CopySlices on ``out``, as PyTorch
    for i, s in enumerate(sequences):
        n = s.shape[0]
        steps = slice(0, n) if padding_side == "right" else slice(max_len - n, max_len)
        if batch_first:
            view[i, steps] = s
        else:
            view[steps, i] = s
    return out


def _check_trailing_dims(first, seq):
    """Each sequence is copied into a slot shaped like the first one's steps (``seq.shape[0]`` steps
    of ``first.shape[1:]``), broadcasting as a copy does: name a dimension that cannot broadcast
    (right-aligned, the last such first, as PyTorch's copy does) instead of the indexing error the
    copy would raise, then refuse a slot the sequence would have to grow."""
    slot = [seq.shape[0], *first.shape[1:]]
    ndim = max(len(slot), seq.dim())
    grown = []
    for i in range(1, ndim + 1):
        want = slot[-i] if i <= len(slot) else 1
        got = seq.shape[-i] if i <= seq.dim() else 1
        if want != got and want != 1 and got != 1:
            raise RuntimeError(f"The size of tensor a ({want}) must match the size of tensor b ({got}) at "
                               f"non-singleton dimension {ndim - i}")
        grown.insert(0, max(want, got))
    if grown != slot:
        raise RuntimeError(f"output with shape {slot} doesn't match the broadcast shape {grown}")


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The list of sequences of a padded batch, each cut to its length (copies, as PyTorch)."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    steps = tg.arange(padded_sequences.shape[1], device=padded_sequences.device)
    return [seq[steps < int(n)] for seq, n in zip(padded_sequences, lengths)]


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of sequences ``(L_i, *)``: :func:`pad_sequence` then :func:`pack_padded_sequence`."""
    lengths = tg.as_tensor([s.size(0) for s in sequences], device="cpu")
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of sequences of a :class:`PackedSequence`, in the original batch order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
