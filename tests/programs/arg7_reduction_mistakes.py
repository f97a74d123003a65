"""Reductions over a batch of scores, the way classification and ranking tutorials compute
predictions, medians and top-k, with the argument mistakes users make along the way (``dim=None``
where an int is needed, ``keepdim=1``, a tuple of dims for ``prod``, ``squeeze(None)``), and
writing complex results into a real buffer with ``copy_``."""
import warnings

import tensorgraft as torch

torch.manual_seed(0)
scores = torch.randn(4, 5)
print(scores)

# predictions and confidence, as in an accuracy loop
pred = scores.argmax(dim=1)
print("pred", pred)
print("argmax keepdim", scores.argmax(1, keepdim=True).shape)
print("max", scores.max(dim=1))
print("amax", torch.amax(scores, dim=(0, 1)))
print("median", scores.median(dim=0))
print("median all", scores.median())
print("kthvalue", torch.kthvalue(scores, 2, 1, True))
print("mode", torch.tensor([[1, 2, 2], [3, 3, 1]]).mode(1))
print("topk", scores.topk(2, dim=1, largest=False))
print("logsumexp", torch.logsumexp(scores, dim=[0, 1]))
print("prod", scores.prod(1, keepdim=True))
print("nansum", scores.nansum(0))
print("cumsum", scores.cumsum(0)[-1])
print("norm", f"{scores.norm(2, 1)[0].item():.4f}")
print("softmax rows", scores.softmax(1).sum(1))
probs = torch.log_softmax(scores, 1, torch.float64)
print("log_softmax dtype", probs.dtype)
print("squeeze", scores.unsqueeze(0).unsqueeze(2).squeeze(0, 2).shape)
print("transpose", scores.transpose(0, 1).shape, scores.flatten(0).shape)

# the mistakes
mistakes = [
    lambda: scores.median(dim=None),
    lambda: torch.median(scores, None),
    lambda: scores.prod((0, 1)),
    lambda: torch.prod(scores, dim=None),
    lambda: scores.argmax(1, 1),
    lambda: torch.amax(scores, 0, keepdim=1),
    lambda: scores.logsumexp(None),
    lambda: torch.logsumexp(scores, dim=None),
    lambda: scores.mode(dim=(0,)),
    lambda: torch.kthvalue(scores, 1, 0, 1),
    lambda: scores.cumsum(None),
    lambda: torch.cumsum(scores, 1.0),
    lambda: scores.softmax(1, True),
    lambda: torch.squeeze(scores, dim=None),
    lambda: scores.unsqueeze(1.0),
    lambda: scores.transpose(0),
    lambda: torch.transpose(scores, 0, None),
    lambda: scores.topk(2, 1, 0),
    lambda: torch.norm(scores, 2, 1, 1),
    lambda: torch.aminmax(scores, dim=(0,)),
    lambda: scores.nanmean(0, 1),
]
for i, call in enumerate(mistakes):
    try:
        call()
        print(i, "no error")
    except Exception as e:
        print(i, type(e).__name__, e)

# complex results into a real buffer: the imaginary part is dropped, with a warning
spectrum = torch.fft.fft(scores[0])
buffer = torch.zeros(5)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    buffer.copy_(spectrum)
print([str(w.message).split(" (Triggered")[0] for w in caught])
print(buffer)
mask = torch.zeros(3, dtype=torch.bool)
mask.copy_(torch.tensor([0j, 1j, 0j]))
print(mask)
