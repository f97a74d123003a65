"""'Language Translation with nn.Transformer' tutorial on a toy copy/reverse task: TokenEmbedding
(scaled by sqrt(emb_size)), PositionalEncoding (register_buffer, exp/sin/cos), Seq2SeqTransformer
built on nn.Transformer, create_mask (generate_square_subsequent_mask, padding masks via ==
PAD_IDX, transpose), teacher forcing with tgt[:-1]/tgt[1:], CrossEntropyLoss(ignore_index=PAD_IDX),
Adam with betas/eps, xavier_uniform_ init, greedy_decode with encode/decode, and nn.Transformer's
repr, defaults and shape errors."""
# needs: nn optim
import math

import tensorgraft as torch
import tensorgraft.nn as nn
from tensorgraft import Tensor
from tensorgraft.nn import Transformer
from tensorgraft.nn.utils.rnn import pad_sequence

torch.manual_seed(0)
PAD_IDX, BOS_IDX, EOS_IDX = 1, 2, 3
VOCAB = 10


class PositionalEncoding(nn.Module):
    def __init__(self, emb_size: int, dropout: float, maxlen: int = 50):
        super(PositionalEncoding, self).__init__()
        den = torch.exp(- torch.arange(0, emb_size, 2) * math.log(10000) / emb_size)
        pos = torch.arange(0, maxlen).reshape(maxlen, 1)
        pos_embedding = torch.zeros((maxlen, emb_size))
        pos_embedding[:, 0::2] = torch.sin(pos * den)
        pos_embedding[:, 1::2] = torch.cos(pos * den)
        pos_embedding = pos_embedding.unsqueeze(-2)
        self.dropout = nn.Dropout(dropout)
        self.register_buffer("pos_embedding", pos_embedding)

    def forward(self, token_embedding: Tensor):
        return self.dropout(token_embedding + self.pos_embedding[:token_embedding.size(0), :])


class TokenEmbedding(nn.Module):
    def __init__(self, vocab_size: int, emb_size):
        super(TokenEmbedding, self).__init__()
        self.embedding = nn.Embedding(vocab_size, emb_size)
        self.emb_size = emb_size

    def forward(self, tokens: Tensor):
        return self.embedding(tokens.long()) * math.sqrt(self.emb_size)


class Seq2SeqTransformer(nn.Module):
    def __init__(self, num_encoder_layers, num_decoder_layers, emb_size, nhead, src_vocab_size, tgt_vocab_size,
                 dim_feedforward=32, dropout=0.1):
        super(Seq2SeqTransformer, self).__init__()
        self.transformer = Transformer(d_model=emb_size, nhead=nhead, num_encoder_layers=num_encoder_layers,
                                       num_decoder_layers=num_decoder_layers, dim_feedforward=dim_feedforward,
                                       dropout=dropout)
        self.generator = nn.Linear(emb_size, tgt_vocab_size)
        self.src_tok_emb = TokenEmbedding(src_vocab_size, emb_size)
        self.tgt_tok_emb = TokenEmbedding(tgt_vocab_size, emb_size)
        self.positional_encoding = PositionalEncoding(emb_size, dropout=dropout)

    def forward(self, src, trg, src_mask, tgt_mask, src_padding_mask, tgt_padding_mask, memory_key_padding_mask):
        src_emb = self.positional_encoding(self.src_tok_emb(src))
        tgt_emb = self.positional_encoding(self.tgt_tok_emb(trg))
        outs = self.transformer(src_emb, tgt_emb, src_mask, tgt_mask, None, src_padding_mask, tgt_padding_mask,
                                memory_key_padding_mask)
        return self.generator(outs)

    def encode(self, src, src_mask):
        return self.transformer.encoder(self.positional_encoding(self.src_tok_emb(src)), src_mask)

    def decode(self, tgt, memory, tgt_mask):
        return self.transformer.decoder(self.positional_encoding(self.tgt_tok_emb(tgt)), memory, tgt_mask)


def generate_square_subsequent_mask(sz):
    mask = (torch.triu(torch.ones((sz, sz))) == 1).transpose(0, 1)
    mask = mask.float().masked_fill(mask == 0, float("-inf")).masked_fill(mask == 1, float(0.0))
    return mask


def create_mask(src, tgt):
    src_seq_len = src.shape[0]
    tgt_seq_len = tgt.shape[0]
    tgt_mask = generate_square_subsequent_mask(tgt_seq_len)
    src_mask = torch.zeros((src_seq_len, src_seq_len)).type(torch.bool)
    src_padding_mask = (src == PAD_IDX).transpose(0, 1)
    tgt_padding_mask = (tgt == PAD_IDX).transpose(0, 1)
    return src_mask, tgt_mask, src_padding_mask, tgt_padding_mask


print(generate_square_subsequent_mask(3))
print(torch.equal(generate_square_subsequent_mask(4), nn.Transformer.generate_square_subsequent_mask(4)))

# toy data: the target is the source reversed
g = torch.Generator().manual_seed(0)
pairs = []
for _ in range(24):
    n = int(torch.randint(2, 6, (1,), generator=g))
    s = torch.randint(4, VOCAB, (n,), generator=g)
    pairs.append((s, s.flip(0)))
print(pairs[0])


def collate_fn(batch):
    src_batch, tgt_batch = [], []
    for src_sample, tgt_sample in batch:
        src_batch.append(torch.cat([torch.tensor([BOS_IDX]), src_sample, torch.tensor([EOS_IDX])]))
        tgt_batch.append(torch.cat([torch.tensor([BOS_IDX]), tgt_sample, torch.tensor([EOS_IDX])]))
    src_batch = pad_sequence(src_batch, padding_value=PAD_IDX)
    tgt_batch = pad_sequence(tgt_batch, padding_value=PAD_IDX)
    return src_batch, tgt_batch


src, tgt = collate_fn(pairs[:4])
print(src)
print(tgt.shape)
masks = create_mask(src, tgt[:-1, :])
for m in masks:
    print(m.shape, m.dtype)
print(masks[2])

model = Seq2SeqTransformer(1, 1, 16, 2, VOCAB, VOCAB)
for p in model.parameters():
    if p.dim() > 1:
        nn.init.xavier_uniform_(p)
print(model.transformer.encoder.layers[0])
print(model.transformer.d_model, model.transformer.nhead, model.transformer.batch_first)
print(sum(p.numel() for p in model.parameters()))
print([n for n, _ in model.named_parameters()][:6])
print(type(model.transformer.encoder.norm).__name__, type(model.transformer.decoder.norm).__name__)

loss_fn = torch.nn.CrossEntropyLoss(ignore_index=PAD_IDX)
optimizer = torch.optim.Adam(model.parameters(), lr=0.005, betas=(0.9, 0.98), eps=1e-9)


def train_epoch(model, optimizer):
    model.train()
    losses = 0
    for i in range(0, len(pairs), 8):
        src, tgt = collate_fn(pairs[i:i + 8])
        tgt_input = tgt[:-1, :]
        src_mask, tgt_mask, src_padding_mask, tgt_padding_mask = create_mask(src, tgt_input)
        logits = model(src, tgt_input, src_mask, tgt_mask, src_padding_mask, tgt_padding_mask, src_padding_mask)
        optimizer.zero_grad()
        tgt_out = tgt[1:, :]
        loss = loss_fn(logits.reshape(-1, logits.shape[-1]), tgt_out.reshape(-1))
        loss.backward()
        optimizer.step()
        losses += loss.item()
    return losses / 3


for epoch in range(1, 16):
    train_loss = train_epoch(model, optimizer)
    if epoch % 5 == 0:
        print(f"Epoch: {epoch}, Train loss: {train_loss:.4f}")


def greedy_decode(model, src, src_mask, max_len, start_symbol):
    memory = model.encode(src, src_mask)
    ys = torch.ones(1, 1).fill_(start_symbol).type(torch.long)
    for _ in range(max_len - 1):
        tgt_mask = (generate_square_subsequent_mask(ys.size(0)).type(torch.bool))
        out = model.decode(ys, memory, tgt_mask)
        out = out.transpose(0, 1)
        prob = model.generator(out[:, -1])
        _, next_word = torch.max(prob, dim=1)
        next_word = next_word.item()
        ys = torch.cat([ys, torch.ones(1, 1).type_as(src.data).fill_(next_word)], dim=0)
        if next_word == EOS_IDX:
            break
    return ys


model.eval()
for s, t in pairs[:3]:
    src = torch.cat([torch.tensor([BOS_IDX]), s, torch.tensor([EOS_IDX])]).view(-1, 1)
    num_tokens = src.shape[0]
    src_mask = (torch.zeros(num_tokens, num_tokens)).type(torch.bool)
    with torch.no_grad():
        tgt_tokens = greedy_decode(model, src, src_mask, max_len=num_tokens + 2, start_symbol=BOS_IDX).flatten()
    print(s.tolist(), "->", tgt_tokens.tolist(), "expected", t.tolist())

# nn.Transformer directly, batch_first
torch.manual_seed(0)
transformer_model = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                                   dim_feedforward=16, dropout=0.0, batch_first=True)
print(transformer_model.encoder.layers[0].self_attn)
src = torch.rand((2, 5, 8))
tgt = torch.rand((2, 4, 8))
out = transformer_model(src, tgt, tgt_mask=transformer_model.generate_square_subsequent_mask(4), tgt_is_causal=True)
print(out.shape, out.grad_fn)
print(out[0, 0])
enc = transformer_model.encoder(src)
dec = transformer_model.decoder(tgt, enc, tgt_mask=nn.Transformer.generate_square_subsequent_mask(4))
print(torch.allclose(dec, out, atol=1e-6))
for fn in [
    lambda: transformer_model(src, tgt[:1]),
    lambda: transformer_model(src, torch.rand(2, 4, 6)),
    lambda: nn.Transformer(d_model=8, nhead=3),
    lambda: transformer_model(src, tgt, tgt_mask=torch.zeros(3, 3)),
]:
    try:
        fn()
    except Exception as e:
        print(type(e).__name__, e)
