"""Variable-length batches through GRU/LSTM with torch.nn.utils.rnn, as in the classic
"pad, pack, run, unpack" blog recipe: pad_sequence, pack_padded_sequence with
enforce_sorted=False, PackedSequence fields, pad_packed_sequence with total_length, pack_sequence,
unpad/unpack helpers, bidirectional final states, and the mistakes people make with lengths."""
# needs: nn
import tensorgraft as torch
import tensorgraft.nn as nn
from tensorgraft.nn.utils.rnn import (pack_padded_sequence, pack_sequence, pad_packed_sequence,
                                      pad_sequence, unpack_sequence, unpad_sequence)

torch.manual_seed(3)
vocab, emb_dim, hid = 10, 4, 3
seqs = [torch.tensor([1, 2, 3]), torch.tensor([4, 5, 6, 7, 8]), torch.tensor([9])]
lengths = torch.tensor([len(s) for s in seqs])
padded = pad_sequence(seqs, batch_first=True)
print(padded)
print(pad_sequence(seqs, padding_value=-1))
print(pad_sequence(seqs, batch_first=True, padding_side="left"))

emb = nn.Embedding(vocab, emb_dim, padding_idx=0)
x = emb(padded)
packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
print(type(packed).__name__, packed.data.shape)
print("batch_sizes", packed.batch_sizes)
print("sorted_indices", packed.sorted_indices, "unsorted_indices", packed.unsorted_indices)

gru = nn.GRU(emb_dim, hid, num_layers=2, batch_first=True, bidirectional=True)
print(gru)
out, h_n = gru(packed)
print(type(out).__name__, out.data.shape, h_n.shape)
unpacked, out_lens = pad_packed_sequence(out, batch_first=True)
print(unpacked.shape, out_lens)
print("padding stays zero:", unpacked[2, 1:].abs().sum().item())
longer, _ = pad_packed_sequence(out, batch_first=True, total_length=7, padding_value=-9.0)
print(longer.shape, longer[2, -1, :2])

# the final forward/backward states of the last layer, in the original batch order
last_fwd, last_bwd = h_n[-2], h_n[-1]
summary = torch.cat([last_fwd, last_bwd], dim=1)
print("summary", summary.shape)
print("fwd state == output at last valid step:",
      torch.allclose(last_fwd, unpacked[torch.arange(3), lengths - 1, :hid], atol=1e-6))
print("bwd state == output at step 0:", torch.allclose(last_bwd, unpacked[:, 0, hid:], atol=1e-6))

# LSTM on a sorted pack_sequence, with an initial state
lstm = nn.LSTM(emb_dim, hid, batch_first=False)
sorted_seqs = sorted([emb(s) for s in seqs], key=len, reverse=True)
ps = pack_sequence(sorted_seqs)
h0 = torch.zeros(1, 3, hid)
c0 = torch.zeros(1, 3, hid)
o, (h, c) = lstm(ps, (h0, c0))
print("lstm", o.data.shape, h.shape, c.shape, ps.sorted_indices)
back = unpack_sequence(o)
print([tuple(t.shape) for t in back])
print([tuple(t.shape) for t in unpad_sequence(padded, lengths, batch_first=True)])

# a classifier over the packed batch trains
head = nn.Linear(2 * hid, 2)
params = list(emb.parameters()) + list(gru.parameters()) + list(head.parameters())
opt = torch.optim.Adam(params, lr=0.05)
y = torch.tensor([0, 1, 0])
for step in range(5):
    packed = pack_padded_sequence(emb(padded), lengths, batch_first=True, enforce_sorted=False)
    _, h_n = gru(packed)
    logits = head(torch.cat([h_n[-2], h_n[-1]], dim=1))
    loss = nn.functional.cross_entropy(logits, y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(f"step {step} loss {loss.item():.4f}")
print("padding row grad stays zero:", emb.weight.grad[0].abs().sum().item())

for bad in [lambda: pack_padded_sequence(x, lengths, batch_first=True),
            lambda: pack_padded_sequence(x, torch.tensor([3, 0, 1]), batch_first=True, enforce_sorted=False),
            lambda: pad_packed_sequence(out, batch_first=True, total_length=2),
            lambda: pack_sequence([emb(s) for s in seqs])]:
    try:
        bad()
    except Exception as e:
        print(type(e).__name__, e)
