"""The nn.Module API beyond forward, as used in training scripts and model surgery:
get_submodule/get_parameter/get_buffer, named_modules with prefixes and remove_duplicate,
shared (tied) weights, replacing a layer in place, zero_grad(set_to_none), parameters_to_vector,
clip_grad_norm_/clip_grad_value_, copy.deepcopy, and __dir__/__setattr__ corner cases."""
# needs: nn
import copy

import tensorgraft as torch
import tensorgraft.nn as nn
from tensorgraft.nn.utils import clip_grad_norm_, clip_grad_value_, parameters_to_vector, vector_to_parameters

torch.manual_seed(0)


class TiedLM(nn.Module):
    def __init__(self, vocab=7, dim=4):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim, padding_idx=0)
        self.encoder = nn.Sequential(nn.Linear(dim, dim), nn.Tanh())
        self.decoder = nn.Linear(dim, vocab, bias=False)
        self.decoder.weight = self.embed.weight
        self.register_buffer("position", torch.arange(3))

    def forward(self, tokens):
        return self.decoder(self.encoder(self.embed(tokens)))


lm = TiedLM()
print(lm)
print(lm.decoder.weight is lm.embed.weight)
print([n for n, _ in lm.named_parameters()])
print([n for n, _ in lm.named_parameters(remove_duplicate=False)])
print(len(list(lm.parameters())), sum(p.numel() for p in lm.parameters()))
print([n for n, _ in lm.named_modules(prefix="lm")])
print(list(lm.state_dict().keys()))
print(lm.get_submodule("encoder.0"), lm.get_parameter("encoder.0.bias").shape, lm.get_buffer("position"))
for bad in ["encoder.5", "nothing"]:
    try:
        lm.get_submodule(bad)
    except Exception as e:
        print(type(e).__name__, e)
try:
    lm.get_parameter("encoder.1.weight")
except Exception as e:
    print(type(e).__name__, e)
try:
    lm.get_buffer("encoder.0.weight")
except Exception as e:
    print(type(e).__name__, e)

tokens = torch.tensor([[1, 2, 0], [3, 4, 5]])
logits = lm(tokens)
print(logits.shape, logits.grad_fn)
loss = nn.functional.cross_entropy(logits.reshape(-1, 7), torch.tensor([2, 0, 0, 4, 5, 6]), ignore_index=0)
print(f"{loss.item():.4f}")
loss.backward()
print(lm.embed.weight.grad[0], lm.embed.weight.grad.shape)
vec = parameters_to_vector(lm.parameters())
print(vec.shape, vec.grad_fn)
total = clip_grad_norm_(lm.parameters(), max_norm=0.5)
print(f"{total.item():.4f}", f"{torch.cat([p.grad.flatten() for p in lm.parameters()]).norm().item():.4f}")
clip_grad_value_(lm.parameters(), clip_value=0.01)
print(lm.encoder[0].bias.grad)
print(clip_grad_norm_([p for p in lm.parameters()], max_norm=1.0, norm_type=float("inf")))

lm.zero_grad()
print(lm.encoder[0].weight.grad)
loss = lm(tokens).sum()
loss.backward()
lm.zero_grad(set_to_none=False)
print(lm.encoder[0].bias.grad)

with torch.no_grad():
    vector_to_parameters(torch.zeros_like(vec), lm.parameters())
print(lm.encoder[0].weight.abs().sum(), lm.embed.weight.abs().sum())

clone = copy.deepcopy(lm)
print(clone.decoder.weight is clone.embed.weight, clone.decoder.weight is lm.decoder.weight)
print(type(clone.encoder[0].weight).__name__, clone.encoder[0].weight.requires_grad)

lm.encoder[0] = nn.Linear(4, 4, bias=False)
print(lm.encoder)
lm.encoder[1] = nn.Identity()
print(lm.encoder, [n for n, _ in lm.named_parameters()])
for name in ["head"]:
    setattr(lm, name, nn.Linear(4, 2))
print("head" in dict(lm.named_children()), lm.head)
del lm.head
print(hasattr(lm, "head"), [n for n, _ in lm.named_children()])
lm.extra = None
print(lm.extra, "extra" in dir(lm), "encoder" in dir(lm))
lm.register_module("head2", None)
print(lm.head2, [n for n, _ in lm.named_children()])
try:
    lm.register_parameter("bad", torch.zeros(2))
except Exception as e:
    print(type(e).__name__, e)
try:
    lm.add_module("", nn.ReLU())
except Exception as e:
    print(type(e).__name__, e)
try:
    lm.add_module("a.b", nn.ReLU())
except Exception as e:
    print(type(e).__name__, e)
try:
    lm.add_module("embed2", "x")
except Exception as e:
    print(type(e).__name__, e)
print(lm.embed.padding_idx, lm.embed)
print(nn.Embedding.from_pretrained(torch.eye(3), freeze=True))
print(nn.Embedding(10, 3, max_norm=1.0, sparse=True, scale_grad_by_freq=True))
