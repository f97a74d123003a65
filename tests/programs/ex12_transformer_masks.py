"""Masks in nn.Transformer / nn.TransformerEncoder, the way the "Language Modeling with
nn.Transformer" tutorial and blog posts on padding masks use them: a causal mask from
generate_square_subsequent_mask, boolean src_key_padding_mask, batch_first and norm_first
layers, an encoder-decoder nn.Transformer, and the shape mistakes users make."""
# needs: nn
import tensorgraft as torch
import tensorgraft.nn as nn

torch.manual_seed(0)

d_model, nhead, seq, batch = 8, 2, 5, 3
mask = nn.Transformer.generate_square_subsequent_mask(4)
print("causal mask:")
print(mask)
print(mask.dtype, mask.shape)

layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=16, dropout=0.0, batch_first=True)
print(layer)
encoder = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
print("encoder params:", sum(p.numel() for p in encoder.parameters()))
print([name for name, _ in encoder.named_parameters()][:8])

x = torch.randn(batch, seq, d_model)
lengths = torch.tensor([5, 3, 2])
pad_mask = torch.arange(seq)[None, :] >= lengths[:, None]
print("padding mask:")
print(pad_mask)

encoder.eval()
with torch.no_grad():
    out = encoder(x, src_key_padding_mask=pad_mask)
print("out", out.shape)
print(out[1, :3].round(decimals=3))
# a boolean causal mask, the same type as the padding mask (mixing float and bool masks warns)
causal = torch.triu(torch.ones(seq, seq, dtype=torch.bool), diagonal=1)
with torch.no_grad():
    out_c = encoder(x, mask=causal, src_key_padding_mask=pad_mask)
print("causal out", out_c[0, 0].round(decimals=3))
with torch.no_grad():
    out_ic = encoder(x, mask=causal, is_causal=True)
print("is_causal same:", torch.allclose(out_ic, encoder(x, mask=causal), atol=1e-6))

# norm_first (pre-LN) with a gelu activation given by name
pre = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=16, dropout=0.0,
                                 activation="gelu", norm_first=True, batch_first=True)
pre.eval()
y = pre(x, src_key_padding_mask=pad_mask)
print("pre-LN", y.shape, y.grad_fn is not None)
print(y.sum(dim=-1).round(decimals=3))

# training mode: gradient flows and a loss decreases
encoder.train()
head = nn.Linear(d_model, 4)
opt = torch.optim.SGD(list(encoder.parameters()) + list(head.parameters()), lr=0.1)
target = torch.randint(0, 4, (batch, seq))
target[pad_mask] = -100
for step in range(4):
    logits = head(encoder(x, mask=causal, src_key_padding_mask=pad_mask))
    loss = nn.functional.cross_entropy(logits.reshape(-1, 4), target.reshape(-1), ignore_index=-100)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(f"step {step} loss {loss.item():.4f}")

# full encoder-decoder model, sequence-first (the default)
model = nn.Transformer(d_model=d_model, nhead=nhead, num_encoder_layers=1, num_decoder_layers=1,
                       dim_feedforward=16, dropout=0.0)
model.eval()
src = torch.randn(6, 2, d_model)
tgt = torch.randn(4, 2, d_model)
tgt_mask = model.generate_square_subsequent_mask(4)
with torch.no_grad():
    o = model(src, tgt, tgt_mask=tgt_mask, src_key_padding_mask=torch.zeros(2, 6, dtype=torch.bool))
print("transformer out", o.shape)
print(o[-1, 0].round(decimals=3))
print(type(model.encoder).__name__, type(model.decoder).__name__, model.batch_first)
print(model.decoder.layers[0])

# common mistakes
try:
    encoder(x, src_key_padding_mask=pad_mask.T)
except Exception as e:
    print(type(e).__name__, e)
try:
    nn.TransformerEncoderLayer(10, 3)
except Exception as e:
    print(type(e).__name__, e)
try:
    model(src, tgt[:, :1])
except Exception as e:
    print(type(e).__name__, e)
try:
    model(src, torch.randn(4, 2, 6))
except Exception as e:
    print(type(e).__name__, e)
