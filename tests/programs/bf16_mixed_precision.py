"""Mixed precision on the CPU, as PyTorch's AMP recipe and LLM fine-tuning notes write it: a model
trained under ``torch.autocast("cpu")`` (bfloat16 by default), then a copy of it cast to bfloat16
for inference, with the dtypes, values and errors users print along the way.
# needs: nn optim
"""
import tensorgraft as torch
import tensorgraft.nn as nn

torch.manual_seed(0)
print(torch.bfloat16, torch.finfo(torch.bfloat16))
x = torch.tensor([1.0, 3.14159, 70000.0, 1 / 3], dtype=torch.bfloat16)
print(x, x.dtype, x.element_size(), x.nbytes)
print(x.float(), x.to(torch.int64), x.half())
print(x + 1, x * 1.006, x / 3, x.exp()[:2], x.sum(), x.mean())
print(torch.ones(100000, dtype=torch.bfloat16).sum())
print(torch.promote_types(torch.bfloat16, torch.float16), (x + torch.ones(4)).dtype)
try:
    x.numpy()
except Exception as e:
    print(type(e).__name__, e)

model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
loss_fn = nn.CrossEntropyLoss()
data = torch.randn(32, 8)
target = torch.randint(0, 3, (32,))
for step in range(5):
    opt.zero_grad()
    with torch.autocast("cpu"):
        out = model(data)
        loss = loss_fn(out, target)
    print(step, out.dtype, loss.dtype, f"{loss.item():.4f}")
    loss.backward()
    opt.step()
print(model[0].weight.dtype, model[0].weight.grad.dtype)

with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
    h = data @ model[0].weight.T
    print(h.dtype, torch.get_autocast_dtype("cpu"), torch.is_autocast_enabled("cpu"))

w = torch.randn(4, 3, dtype=torch.bfloat16, requires_grad=True)
y = (torch.randn(5, 4, dtype=torch.bfloat16) @ w).relu().sum()
y.backward()
print(y, w.grad.dtype, w.grad[0])
print(torch.tensor([[1.5, -2.25]], dtype=torch.bfloat16).T.contiguous(), torch.zeros(2, 2, dtype=torch.bfloat16))
