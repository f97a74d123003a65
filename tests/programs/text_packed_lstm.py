"""Variable-length batches the way users feed them to LSTMs: pad_sequence, pack_padded_sequence
(enforce_sorted True/False), pack_sequence, pad_packed_sequence (total_length, padding_value),
a bidirectional 2-layer batch_first LSTM tagger/classifier, gathering last hidden states, and the
PackedSequence repr, fields and errors users run into."""
# needs: nn optim
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.nn.utils.rnn import (pack_padded_sequence, pack_sequence, pad_packed_sequence, pad_sequence,
                                      unpack_sequence, unpad_sequence)

torch.manual_seed(0)

seqs = [torch.tensor([1, 2, 3]), torch.tensor([4, 5]), torch.tensor([6, 7, 8, 9]), torch.tensor([10])]
lengths = torch.tensor([len(s) for s in seqs])
print(lengths)
padded = pad_sequence(seqs, batch_first=True)
print(padded)
print(pad_sequence(seqs, padding_value=-1))
print(pad_sequence(seqs, batch_first=True, padding_side="left"))

packed = pack_padded_sequence(padded, lengths, batch_first=True, enforce_sorted=False)
print(packed)
print(packed.data, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices)
print(type(packed).__name__, packed.is_cuda, packed.data.dtype)
unpacked, out_lens = pad_packed_sequence(packed, batch_first=True)
print(unpacked)
print(out_lens, out_lens.dtype)
print(pad_packed_sequence(packed, batch_first=True, padding_value=0, total_length=6)[0].shape)
print(pad_packed_sequence(packed)[0].shape)
print(pack_sequence([torch.tensor([1.0, 2.0, 3.0]), torch.tensor([4.0, 5.0])]))
ps = pack_sequence([torch.tensor([1.0]), torch.tensor([2.0, 3.0, 4.0])], enforce_sorted=False)
print(ps.sorted_indices, ps.batch_sizes)
print(unpack_sequence(ps))
print(unpad_sequence(padded, lengths, batch_first=True))
sorted_lengths, idx = lengths.sort(descending=True)
print(sorted_lengths, idx)
p2 = pack_padded_sequence(padded[idx], sorted_lengths, batch_first=True)
print(p2.sorted_indices, p2.unsorted_indices, p2.batch_sizes)
print(pack_padded_sequence(padded, [3, 2, 4, 1], batch_first=True, enforce_sorted=False).batch_sizes)

vocab_size, emb_dim, hidden = 12, 6, 5
emb = nn.Embedding(vocab_size, emb_dim, padding_idx=0)
lstm = nn.LSTM(emb_dim, hidden, num_layers=2, bidirectional=True, batch_first=True)
print(lstm)
print([(n, tuple(p.shape)) for n, p in lstm.named_parameters()][:8])
x = emb(padded)
print(x.shape, x[3, 1:])
pk = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
print(pk.data.shape, pk.data.grad_fn)
out, (h_n, c_n) = lstm(pk)
print(type(out).__name__, out.data.shape, h_n.shape, c_n.shape)
print(out.data.grad_fn)
out_pad, out_len = pad_packed_sequence(out, batch_first=True)
print(out_pad.shape, out_len)
print(out_pad[3])
print(out_pad.grad_fn)
# the last layer's forward and backward final states, per sequence in the original order
last = torch.cat([h_n[-2], h_n[-1]], dim=1)
print(last.shape)
print(torch.allclose(h_n[-2][1], out_pad[1, 1, :hidden]), torch.allclose(h_n[-1][1], out_pad[1, 0, hidden:]))
# the same from the padded output, gathering at length-1
idx_last = (lengths - 1).view(-1, 1, 1).expand(-1, 1, 2 * hidden)
gathered = out_pad.gather(1, idx_last).squeeze(1)
print(torch.allclose(gathered[:, :hidden], h_n[-2]))

# initial state given in the caller's order
h0 = torch.randn(4, 4, hidden)
c0 = torch.randn(4, 4, hidden)
out2, (h2, c2) = lstm(pk, (h0, c0))
print(h2[0, :, 0])
padded_out, _ = lstm(x)
print(padded_out.shape)


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(vocab_size, emb_dim, padding_idx=0)
        self.rnn = nn.GRU(emb_dim, hidden, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(2 * hidden, 3)

    def forward(self, tokens, lengths):
        e = self.emb(tokens)
        p = pack_padded_sequence(e, lengths.cpu(), batch_first=True, enforce_sorted=False)
        o, h = self.rnn(p)
        o, _ = pad_packed_sequence(o, batch_first=True, total_length=tokens.size(1))
        return self.fc(o), h


tagger = Tagger()
tags = torch.tensor([[0, 1, 2, -100], [1, 1, -100, -100], [2, 0, 1, 2], [0, -100, -100, -100]])
opt = torch.optim.Adam(tagger.parameters(), lr=0.05)
for epoch in range(30):
    logits, h = tagger(padded, lengths)
    loss = F.cross_entropy(logits.reshape(-1, 3), tags.reshape(-1), ignore_index=-100)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if epoch % 10 == 0:
        print(epoch, f"{loss.item():.4f}", logits.shape, h.shape)
print(tagger.emb.weight.grad[0])
with torch.no_grad():
    pred = tagger(padded, lengths)[0].argmax(-1)
print(pred)
print((pred == tags)[tags != -100].float().mean())

# common mistakes
for fn in [
    lambda: pack_padded_sequence(padded, lengths, batch_first=True),
    lambda: pack_padded_sequence(padded, torch.tensor([3, 2, 0, 1]), batch_first=True, enforce_sorted=False),
    lambda: print(pack_padded_sequence(padded, [3, 2], batch_first=True, enforce_sorted=False)),
    lambda: pad_packed_sequence(packed, batch_first=True, total_length=2),
    lambda: pad_sequence([torch.zeros(2, 3), torch.zeros(2, 4)]),
    lambda: pad_sequence([]),
    lambda: lstm(x, (h0[:2], c0)),
    lambda: lstm(x, h0),
    lambda: lstm(padded),
]:
    try:
        fn()
    except Exception as e:
        print(type(e).__name__, e)
