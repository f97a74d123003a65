# Seed 000 (Japanese tutorial "PyTorch チュートリアルにトライ 1"), every code block in order,
# with `import torch` replaced by `import tensorgraft as torch` and nothing else changed.
import tensorgraft as torch
x = torch.ones(2, 2, requires_grad=True)
print(x)

x = torch.ones(2, 2, requires_grad=True)
y = x + 2
print(y)
print(y.grad_fn)

x = torch.ones(2, 2, requires_grad=True)
y = x + 2
z = y * y * 3
print(z)
out = z.mean()
print(out)

x = torch.ones(2, 2, requires_grad=True)
y = x + 2
z = y * y * 3
out = z.mean()
print(x.grad)
out.backward()
print(x.grad)

a = torch.randn(2,2)
print(a)
a = ((a * 3)/(a - 1))
print(a)
print(a.requires_grad)
print(a.requires_grad_(True))
print(a.requires_grad)
b = (a * a).sum()
print(b)
print(b.grad_fn)

x = torch.randn(3, requires_grad=True)
print(x)
y = x * 2
while y.data.norm() < 1000:
    y = y * 2

print(y)
print(x.grad)
try:
    y.backward()
except RuntimeError as e:
    print("RuntimeError:", e)

x = torch.randn(3, requires_grad=True)
y = x * 2
while y.data.norm() < 1000:
    y = y * 2

print(x.grad)
v = torch.tensor([0.1, 1.0, 0.0001], dtype=torch.float)
print(v)
y.backward(v)
print(x.grad)

x = torch.randn(3, requires_grad=True)
print(x)
print(x.requires_grad)
print((x ** 2).requires_grad)
with torch.no_grad():
    print(x.requires_grad)
    print((x ** 2).requires_grad)
