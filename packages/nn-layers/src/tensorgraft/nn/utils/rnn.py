"""``nn.utils.rnn``: padding a list of variable-length sequences into one tensor."""
from __future__ import annotations


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    import tensorgraft as tg
    from .. import functional as F
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    max_len = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        extra = max_len - s.shape[0]
        pads = [0, 0] * (s.ndim - 1) + ([0, extra] if padding_side == "right" else [extra, 0])
        padded.append(F.pad(s, pads, value=padding_value) if extra else s)
    return tg.stack(padded, 0 if batch_first else 1)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [seq[:int(n)] for seq, n in zip(padded_sequences, lengths)]


def pack_padded_sequence(*args, **kwargs):
    raise NotImplementedError("packed sequences are not supported by tensorgraft; pass padded batches instead")


pack_sequence = pad_packed_sequence = pack_padded_sequence
