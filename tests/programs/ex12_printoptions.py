"""torch.set_printoptions as the "Tensors" tutorial, notebooks and debugging blog posts use it:
precision, sci_mode, threshold/edgeitems summarisation, linewidth wrapping, the 'short' and 'full'
profiles, how float16/bfloat16/float64/complex/empty tensors print, Parameters and grad_fn in
reprs, f-string formatting of 0-d tensors, and restoring the defaults."""
# needs: nn
import tensorgraft as torch
import tensorgraft.nn as nn

torch.manual_seed(0)
x = torch.randn(3, 4)
print(x)
torch.set_printoptions(precision=2)
print("precision=2\n", x)
torch.set_printoptions(precision=6)
print(torch.tensor([1 / 3]), torch.tensor(1 / 3, dtype=torch.float64), torch.tensor([1 / 3], dtype=torch.float16))
torch.set_printoptions(precision=0)
print(torch.tensor([1.4, 2.6, -0.5]))
torch.set_printoptions(profile="default")

print("automatic scientific notation:")
print(torch.tensor([1e-5, 1.0, 1e5]))
print(torch.tensor([0.0001, 1000.0]), torch.tensor([1001.0, 0.001]), torch.tensor([1e16, 1.0]))
print(torch.tensor([123456.0, 1.0]), torch.tensor([12345678, 1]), torch.tensor([-1e-30]), torch.tensor([3.0e38]))
print(torch.tensor([[1e-4, 2.0], [3.0, 4e4]]), torch.tensor([-5.0, 5e10]))
torch.set_printoptions(sci_mode=True)
print("sci_mode=True", torch.tensor([1.5, 200.0]))
torch.set_printoptions(sci_mode=False, precision=3)
print("sci_mode=False", torch.tensor([1e-8, 1e8, 0.5]))
torch.set_printoptions(profile="default")

torch.set_printoptions(threshold=10, edgeitems=2)
print(torch.arange(100.0).reshape(10, 10))
print(torch.arange(60).reshape(3, 4, 5))
print(torch.arange(11), torch.arange(10))
torch.set_printoptions(profile="default")
print(torch.arange(1001.0)[995:], torch.arange(2000).shape)
big = torch.arange(1200.0)
print(big)

torch.set_printoptions(linewidth=40)
print(torch.randn(3, 8))
print(torch.ones(5, requires_grad=True) * 2)
torch.set_printoptions(profile="short")
print("short", torch.tensor([1 / 3, 100.0]), x)
torch.set_printoptions(profile="full")
print("full", torch.arange(1200).sum(), torch.arange(1005)[-4:])
torch.set_printoptions(profile="default")
print(x)

print("special values", torch.tensor([1.0, float("nan"), float("inf"), -float("inf")]), torch.tensor([-0.0, 0.0]))
print(torch.empty(0), torch.empty(2, 0), torch.empty(0, 3, dtype=torch.int64), torch.zeros(1, 1, 1))
print(torch.tensor([True]), torch.tensor(5, dtype=torch.uint8), torch.tensor([1.0], dtype=torch.float16) / 3,
      torch.tensor([100.0], dtype=torch.bfloat16) / 3)
print(torch.tensor([0.1, 0.25]).half(), torch.tensor([70000.0]).half(), torch.tensor([1e-8]).half())
print(torch.tensor([1, 2, 3]).to(torch.int16) * 1000, torch.tensor([2**40]), torch.tensor([-(2**63)]))
print(torch.tensor([1.0 + 0j, 1e-5 + 1e5j]), torch.tensor([[1 + 1j, 2.5 - 3j], [0j, 1e-3j]]))
print(torch.ones(2, 3, dtype=torch.float64), torch.ones(2).expand(3, 2))
print(torch.arange(3.0, requires_grad=True), torch.arange(3.0, requires_grad=True) * 2)
print(nn.Parameter(torch.ones(2)), nn.Parameter(torch.ones(2), requires_grad=False))
print(repr(torch.tensor([1.5])), str(torch.tensor([1.5])), f"{torch.tensor(2.5):.2f}", format(torch.tensor(3), "03d"))
loss = torch.tensor(0.123456, requires_grad=True) * 2
print(f"loss={loss:.3f}", f"{loss.item():.4f}", loss)

try:
    print(f"{torch.tensor([2.5, 1.0]):.2f}")
except Exception as e:
    print(type(e).__name__, e)
try:
    torch.set_printoptions(precision=-1)
    print(torch.tensor([1.25]))
except Exception as e:
    print(type(e).__name__, e)
torch.set_printoptions(profile="default")
print(torch.tensor([1 / 3, 2 / 3]))
