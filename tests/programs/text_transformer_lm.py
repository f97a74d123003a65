"""'Language Modeling with nn.Transformer and torchtext' tutorial: PositionalEncoding with
register_buffer, nn.TransformerEncoder/TransformerEncoderLayer, generate_square_subsequent_mask,
src_key_padding_mask, batchify/get_batch on a token stream, CrossEntropyLoss, SGD + StepLR, gradient
clipping, evaluation, plus the shapes, state_dict keys and mistakes users hit."""
# needs: nn optim
import math

import tensorgraft as torch
import tensorgraft.nn as nn
from tensorgraft.nn import TransformerEncoder, TransformerEncoderLayer

torch.manual_seed(0)


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, dropout=0.1, max_len=64):
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)
        position = torch.arange(max_len).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, 1, d_model)
        pe[:, 0, 0::2] = torch.sin(position * div_term)
        pe[:, 0, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe)

    def forward(self, x):
        x = x + self.pe[: x.size(0)]
        return self.dropout(x)


class TransformerModel(nn.Module):
    def __init__(self, ntoken, d_model, nhead, d_hid, nlayers, dropout=0.5):
        super().__init__()
        self.model_type = "Transformer"
        self.pos_encoder = PositionalEncoding(d_model, dropout)
        encoder_layers = TransformerEncoderLayer(d_model, nhead, d_hid, dropout)
        self.transformer_encoder = TransformerEncoder(encoder_layers, nlayers, enable_nested_tensor=False)
        self.embedding = nn.Embedding(ntoken, d_model)
        self.d_model = d_model
        self.linear = nn.Linear(d_model, ntoken)
        self.init_weights()

    def init_weights(self):
        initrange = 0.1
        self.embedding.weight.data.uniform_(-initrange, initrange)
        self.linear.bias.data.zero_()
        self.linear.weight.data.uniform_(-initrange, initrange)

    def forward(self, src, src_mask=None):
        src = self.embedding(src) * math.sqrt(self.d_model)
        src = self.pos_encoder(src)
        if src_mask is None:
            src_mask = nn.Transformer.generate_square_subsequent_mask(len(src))
        output = self.transformer_encoder(src, src_mask)
        output = self.linear(output)
        return output


pe = PositionalEncoding(8, dropout=0.0, max_len=5)
print(pe)
print(pe.pe.shape, list(pe.state_dict().keys()), [n for n, _ in pe.named_buffers()])
print(pe.pe[:3, 0])
print(nn.Transformer.generate_square_subsequent_mask(4))
print(nn.Transformer.generate_square_subsequent_mask(3, dtype=torch.float64))

corpus = ("the cat sat on the mat . the dog sat on the log . a cat and a dog met on the mat . "
          "the log and the mat are on the floor .").split()
vocab = {w: i for i, w in enumerate(sorted(set(corpus)))}
ntokens = len(vocab)
data = torch.tensor([vocab[w] for w in corpus], dtype=torch.long)
print(ntokens, data.numel())


def batchify(data, bsz):
    seq_len = data.size(0) // bsz
    data = data[: seq_len * bsz]
    data = data.view(bsz, seq_len).t().contiguous()
    return data


train_data = batchify(data, 4)
print(train_data.shape)
print(train_data[:3])
bptt = 6


def get_batch(source, i):
    seq_len = min(bptt, len(source) - 1 - i)
    data = source[i:i + seq_len]
    target = source[i + 1:i + 1 + seq_len].reshape(-1)
    return data, target


x, y = get_batch(train_data, 0)
print(x.shape, y.shape)

model = TransformerModel(ntokens, 16, 2, 32, 2, dropout=0.1)
print(model)
print(sum(p.numel() for p in model.parameters() if p.requires_grad))
print([k for k in model.state_dict().keys()][:14])
print(len(model.state_dict()))

criterion = nn.CrossEntropyLoss()
lr = 1.0
optimizer = torch.optim.SGD(model.parameters(), lr=lr)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1.0, gamma=0.95)


def train_epoch(epoch):
    model.train()
    total_loss = 0.0
    num_batches = 0
    for i in range(0, train_data.size(0) - 1, bptt):
        num_batches += 1
        data, targets = get_batch(train_data, i)
        output = model(data)
        output_flat = output.view(-1, ntokens)
        loss = criterion(output_flat, targets)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        optimizer.step()
        total_loss += loss.item()
    return total_loss / num_batches


def evaluate(eval_model, data_source):
    eval_model.eval()
    total_loss = 0.0
    with torch.no_grad():
        for i in range(0, data_source.size(0) - 1, bptt):
            data, targets = get_batch(data_source, i)
            seq_len = data.size(0)
            output = eval_model(data)
            output_flat = output.view(-1, ntokens)
            total_loss += seq_len * criterion(output_flat, targets).item()
    return total_loss / (len(data_source) - 1)


for epoch in range(1, 6):
    train_loss = train_epoch(epoch)
    val_loss = evaluate(model, train_data)
    print(f"| epoch {epoch:3d} | lr {scheduler.get_last_lr()[0]:02.2f} | train {train_loss:.4f} "
          f"| valid loss {val_loss:5.4f} | valid ppl {math.exp(val_loss):8.4f}")
    scheduler.step()

model.eval()
with torch.no_grad():
    out = model(x)
print(out.shape, out[0, 0, :4])
print(out.argmax(-1)[:, 0])

# key padding masks on a batch_first encoder
layer = nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16, dropout=0.0, batch_first=True,
                                   norm_first=True, activation="gelu")
print(layer)
enc = nn.TransformerEncoder(layer, num_layers=2, norm=nn.LayerNorm(8), enable_nested_tensor=False)
src = torch.randn(2, 5, 8)
pad_mask = torch.tensor([[False, False, False, True, True], [False] * 5])
out = enc(src, src_key_padding_mask=pad_mask)
print(out.shape, out.grad_fn is not None)
print(out[0, :3, :3])
out2 = enc(src, mask=nn.Transformer.generate_square_subsequent_mask(5), src_key_padding_mask=pad_mask)
print(out2[1, :2, :3])
out3 = enc(src, mask=nn.Transformer.generate_square_subsequent_mask(5), is_causal=True)
print(out3[1, -1, :3])
enc.eval()
with torch.no_grad():
    print(enc(src, src_key_padding_mask=pad_mask)[0, :3, :3])
float_mask = torch.zeros(2, 5).masked_fill(pad_mask, float("-inf"))
print(float_mask)
with torch.no_grad():
    print(enc(src, src_key_padding_mask=float_mask)[0, 0, :3])

try:
    nn.TransformerEncoderLayer(d_model=10, nhead=3)
except Exception as e:
    print(type(e).__name__, e)
try:
    layer(torch.randn(2, 5, 6))
except Exception as e:
    print(type(e).__name__, e)
try:
    enc(src, src_key_padding_mask=torch.zeros(2, 4, dtype=torch.bool))
except Exception as e:
    print(type(e).__name__, e)
try:
    enc(src, mask=torch.zeros(4, 4))
except Exception as e:
    print(type(e).__name__, e)
