"""The 'Automatic Mixed Precision' recipe's GradScaler loop run on CPU with the scaler enabled:
scale/backward/unscale_/clip_grad_norm_/step/update, a gradient overflow injected to show the skipped
step and the scale backoff, growth after growth_interval clean steps, gradient accumulation with
the scaler, its state_dict round trip, the errors of calling it out of order, and which ops
autocast(float16) runs in lower precision (dtypes and node names, not values)."""
# needs: nn optim
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 2))
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
scaler = torch.amp.GradScaler("cpu", init_scale=1024.0, growth_factor=2.0, backoff_factor=0.5, growth_interval=3)
print(scaler.is_enabled(), scaler.get_scale(), scaler.get_growth_interval(), scaler.state_dict())

X = torch.randn(32, 6)
Y = torch.randint(0, 2, (32,))
for step in range(9):
    opt.zero_grad()
    loss = F.cross_entropy(model(X), Y)
    scaled = scaler.scale(loss)
    scaled.backward()
    if step == 4:
        model[0].weight.grad[0, 0] = float("inf")  # an overflow: this step must be skipped
    scaler.unscale_(opt)
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    before = model[2].bias.detach().clone()
    scaler.step(opt)
    scaler.update()
    moved = not torch.equal(before, model[2].bias)
    print(f"step {step} loss {loss.item():.4f} scaled {scaled.item():.2f} norm {norm.item():.4f} "
          f"moved {moved} scale {scaler.get_scale()}")
print(scaler.state_dict())

# Gradient accumulation: scale every micro-batch, unscale/step once.
accum = 4
opt.zero_grad()
for i, (xb, yb) in enumerate(zip(X.split(8), Y.split(8))):
    loss = F.cross_entropy(model(xb), yb) / accum
    scaler.scale(loss).backward()
    if (i + 1) % accum == 0:
        scaler.step(opt)
        scaler.update()
        opt.zero_grad()
print(f"after accumulation scale {scaler.get_scale()} bias {model[2].bias}")

# Save / restore the scaler with the rest of a checkpoint.
state = scaler.state_dict()
restored = torch.amp.GradScaler("cpu")
restored.load_state_dict(state)
print(restored.get_scale(), restored.get_growth_factor(), restored.get_backoff_factor(),
      restored.get_growth_interval(), restored.state_dict() == state)

# Mistakes: unscale_ twice, step without a backward-produced inf check, update before use.
fresh = torch.amp.GradScaler("cpu")
opt.zero_grad()
fresh.scale(F.cross_entropy(model(X), Y)).backward()
fresh.unscale_(opt)
for bad in [lambda: fresh.unscale_(opt),
            lambda: torch.amp.GradScaler("cpu").step(opt),
            lambda: torch.amp.GradScaler("cpu").update(),
            lambda: fresh.update(new_scale=torch.tensor([1.0, 2.0])),
            lambda: fresh.scale("loss")]:
    try:
        bad()
        print("no error")
    except Exception as e:
        print(type(e).__name__, str(e).splitlines()[0])
fresh.step(opt)
fresh.update(new_scale=8.0)
print(fresh.get_scale())

# What autocast on CPU (float16) casts.
torch.manual_seed(0)
net = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 3))
x = torch.randn(2, 4)
with torch.autocast(device_type="cpu", dtype=torch.float16):
    h = net[0](x)
    out = net(x)
    loss = F.cross_entropy(out, torch.tensor([0, 2]))
    print(h.dtype, out.dtype, loss.dtype, torch.relu(h).dtype, (x @ x.T).dtype, torch.softmax(out, -1).dtype)
    print(F.conv2d(torch.randn(1, 1, 4, 4), torch.randn(2, 1, 3, 3)).dtype, torch.bmm(x[None], x.T[None]).dtype,
          F.mse_loss(out, torch.zeros(2, 3)).dtype, x.sum().dtype, torch.cat([h, x]).dtype)
    print(out.grad_fn.name(), loss.grad_fn.name(), torch.is_autocast_enabled("cpu"), torch.get_autocast_dtype("cpu"))
loss.backward()
print(net[0].weight.grad.dtype, net[2].bias.grad.dtype, net[0].weight.dtype)
print(torch.is_autocast_enabled("cpu"))
