"""'A Gentle Introduction to torch.autograd' and 'Automatic Differentiation with torch.autograd'
tutorials: gradients of Q = 3a^3 - b^2 with an external gradient, the one-layer network with
binary cross-entropy, Jacobian-vector products via backward(v), gradient accumulation and
zeroing, disabling tracking, plus the 'Autograd mechanics' notes on requires_grad propagation."""
# needs: nn optim
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
import tensorgraft.optim as optim

torch.manual_seed(0)
a = torch.tensor([2., 3.], requires_grad=True)
b = torch.tensor([6., 4.], requires_grad=True)
Q = 3 * a ** 3 - b ** 2
print(Q)
external_grad = torch.tensor([1., 1.])
Q.backward(gradient=external_grad)
print(9 * a ** 2 == a.grad)
print(-2 * b == b.grad)
print(a.grad, b.grad)
print(Q.grad_fn, Q.grad_fn.next_functions)

x = torch.ones(5)
y = torch.zeros(3)
w = torch.randn(5, 3, requires_grad=True)
bb = torch.randn(3, requires_grad=True)
z = torch.matmul(x, w) + bb
loss = F.binary_cross_entropy_with_logits(z, y)
print(f"Gradient function for z = {z.grad_fn}")
print(f"Gradient function for loss = {loss.grad_fn}")
print(f"{loss.item():.4f}")
loss.backward()
print(w.grad)
print(bb.grad)
try:
    loss.backward()
except RuntimeError as e:
    print("second backward:", str(e)[:60])

z = torch.matmul(x, w) + bb
print(z.requires_grad)
with torch.no_grad():
    z = torch.matmul(x, w) + bb
print(z.requires_grad)
z = torch.matmul(x, w) + bb
z_det = z.detach()
print(z_det.requires_grad)

inp = torch.eye(4, 5, requires_grad=True)
out = (inp + 1).pow(2).t()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"First call\n{inp.grad}")
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\nSecond call\n{inp.grad}")
inp.grad.zero_()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\nCall after zeroing gradients\n{inp.grad}")

# requires_grad propagation (autograd mechanics)
xx = torch.randn(5, 5)
yy = torch.randn(5, 5)
zz = torch.randn((5, 5), requires_grad=True)
aa = xx + yy
print(aa.requires_grad)
bbb = aa + zz
print(bbb.requires_grad, bbb.is_leaf, bbb.grad_fn.name())
print(torch.randn(2, requires_grad=True).sum().grad_fn)
print((torch.randn(2, requires_grad=True) > 0).requires_grad)
print(torch.randn(2, requires_grad=True).argmax().requires_grad)
print(torch.randn(2, requires_grad=True).long().requires_grad)
print(torch.randn(2, dtype=torch.float64, requires_grad=True).float().grad_fn)
print(torch.zeros(2, requires_grad=True).to(torch.float16).grad_fn.name())

# fine-tuning: freeze a "backbone", replace the classifier head, only the head learns
backbone = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU())
for param in backbone.parameters():
    param.requires_grad = False
head = nn.Linear(16, 3)
model = nn.Sequential(backbone, head)
optimizer = optim.SGD(head.parameters(), lr=1e-1, momentum=0.9)
data = torch.randn(12, 8)
labels = torch.randint(0, 3, (12,))
for epoch in range(5):
    optimizer.zero_grad()
    logits = model(data)
    l = F.cross_entropy(logits, labels)
    l.backward()
    optimizer.step()
    print(epoch, f"{l.item():.4f}", logits.grad_fn.name())
print([n for n, p in model.named_parameters() if p.requires_grad])
print(backbone[0].weight.grad is None, head.weight.grad.shape)
print(sum(p.numel() for p in model.parameters() if p.requires_grad))

# zero_grad(set_to_none) and grad accumulation over micro-batches
net = nn.Linear(4, 2)
opt = optim.SGD(net.parameters(), lr=0.1)
xs = torch.randn(8, 4)
ys = torch.randn(8, 2)
full = F.mse_loss(net(xs), ys)
full.backward()
full_grad = net.weight.grad.clone()
opt.zero_grad()
print(net.weight.grad)
for chunk_x, chunk_y in zip(xs.chunk(4), ys.chunk(4)):
    (F.mse_loss(net(chunk_x), chunk_y) / 4).backward()
print(torch.allclose(net.weight.grad, full_grad, atol=1e-6))
opt.zero_grad(set_to_none=False)
print(net.weight.grad)
net.weight.grad = None
print(net.weight.grad)
try:
    net.weight.grad = torch.zeros(3, 3)
except Exception as e:
    print(type(e).__name__, e)
try:
    net.weight.grad = torch.zeros(2, 4, dtype=torch.float64)
except Exception as e:
    print(type(e).__name__, e)

# backward with several roots and torch.autograd.backward
p = torch.tensor([1.0, 2.0], requires_grad=True)
o1 = (p * 2).sum()
o2 = (p ** 2).sum()
torch.autograd.backward([o1, o2])
print(p.grad)
p.grad = None
torch.autograd.backward([p * 3], grad_tensors=[torch.tensor([1.0, -1.0])])
print(p.grad)
try:
    torch.autograd.backward([p * 3, p * 4], grad_tensors=[torch.ones(2)])
except Exception as e:
    print(type(e).__name__, e)
try:
    (p * 3).backward(torch.ones(3))
except Exception as e:
    print(type(e).__name__, e)
