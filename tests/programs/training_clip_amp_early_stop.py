"""A training loop with the usual utilities: clip_grad_norm_ / clip_grad_value_ (their return
values, foreach, error_if_nonfinite), get_total_norm / clip_grads_with_norm_, parameters_to_vector,
torch.autocast on CPU (float16; which ops it casts), GradScaler(enabled=False) as a no-op wrapper
(the 'Automatic Mixed Precision' recipe run on CPU), and an early-stopping loop that keeps the best
state_dict with copy.deepcopy."""
# needs: nn optim
import copy
import math

import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.nn.utils import clip_grad_norm_, clip_grad_value_, parameters_to_vector, vector_to_parameters

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 2))
x = torch.randn(16, 5)
y = torch.randint(0, 2, (16,))

loss = F.cross_entropy(model(x), y) * 50
loss.backward()
grads_before = [p.grad.clone() for p in model.parameters()]
total = clip_grad_norm_(model.parameters(), max_norm=1.0)
print(total, total.dtype, total.requires_grad)
print(f"{torch.norm(torch.stack([p.grad.norm() for p in model.parameters()])).item():.4f}")
print(clip_grad_norm_(model.parameters(), max_norm=1.0, norm_type=float("inf")))
print(clip_grad_norm_(model.parameters(), 0.5, norm_type=1.0))
print(clip_grad_norm_(model.parameters(), 10.0, foreach=True))
print(clip_grad_norm_(model[0].weight, 0.1))
print(clip_grad_value_(model.parameters(), clip_value=0.01))
print(model[2].bias.grad)
print(clip_grad_norm_([], 1.0))
p_no_grad = nn.Parameter(torch.ones(3))
print(clip_grad_norm_([p_no_grad], 1.0))

grads = [p.grad for p in model.parameters()]
norm = torch.nn.utils.get_total_norm(grads, norm_type=2.0)
print(norm)
torch.nn.utils.clip_grads_with_norm_(model.parameters(), max_norm=0.001, total_norm=norm)
print(f"{torch.nn.utils.get_total_norm([p.grad for p in model.parameters()]).item():.6f}")

bad = nn.Parameter(torch.ones(2))
bad.grad = torch.tensor([float("nan"), 1.0])
print(clip_grad_norm_([bad], 1.0))
try:
    clip_grad_norm_([bad], 1.0, error_if_nonfinite=True)
except Exception as e:
    print(type(e).__name__, e)
bad.grad = torch.tensor([float("inf"), 1.0])
print(clip_grad_norm_([bad], 1.0), bad.grad)

vec = parameters_to_vector(model.parameters())
print(vec.shape, vec.grad_fn.name())
vector_to_parameters(torch.zeros_like(vec), model.parameters())
print(model[2].bias)
try:
    vector_to_parameters([1.0], model.parameters())
except Exception as e:
    print(type(e).__name__, e)

# Autocast on CPU with float16: linear layers run in float16, losses stay float32.
torch.manual_seed(0)
net = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 3))
inp = torch.randn(2, 4)
with torch.autocast(device_type="cpu", dtype=torch.float16):
    out = net(inp)
    print(out.dtype, torch.is_autocast_enabled("cpu"), torch.get_autocast_dtype("cpu"))
    loss = F.cross_entropy(out, torch.tensor([0, 2]))
    print(loss.dtype, (inp + 1).dtype, torch.mm(inp, inp.t()).dtype)
    with torch.autocast(device_type="cpu", enabled=False):
        print(net(inp).dtype)
print(out.dtype, torch.is_autocast_enabled("cpu"))
loss.backward()
print(net[0].weight.grad.dtype, net[0].weight.dtype)

# The AMP recipe with the scaler disabled: every call passes through.
scaler = torch.amp.GradScaler("cpu", enabled=False)
print(scaler.is_enabled(), scaler.get_scale(), scaler.state_dict())
opt = torch.optim.SGD(net.parameters(), lr=0.1)
opt.zero_grad()
loss = F.cross_entropy(net(inp), torch.tensor([0, 2]))
scaled = scaler.scale(loss)
print(scaled is loss, f"{scaled.item():.4f}")
scaled.backward()
scaler.unscale_(opt)
print(scaler.step(opt), scaler.update())

# Early stopping on a validation loss.
torch.manual_seed(0)
Xtr, Xva = torch.randn(40, 3), torch.randn(20, 3)
w_true = torch.tensor([[1.5], [-2.0], [0.5]])
Ytr = Xtr @ w_true + 0.5 * torch.randn(40, 1)
Yva = Xva @ w_true + 0.5 * torch.randn(20, 1)
model = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 1))
opt = torch.optim.Adam(model.parameters(), lr=0.05)
sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=2)
best, best_state, best_epoch, patience, bad_epochs = math.inf, None, -1, 4, 0
for epoch in range(60):
    model.train()
    opt.zero_grad()
    train_loss = F.mse_loss(model(Xtr), Ytr)
    train_loss.backward()
    clip_grad_norm_(model.parameters(), 5.0)
    opt.step()
    model.eval()
    with torch.no_grad():
        val_loss = F.mse_loss(model(Xva), Yva).item()
    sched.step(val_loss)
    if epoch % 5 == 0:
        print(f"epoch {epoch:2d} train {train_loss.item():.4f} val {val_loss:.4f} lr {opt.param_groups[0]['lr']:.5f}")
    if val_loss < best - 1e-4:
        best, best_epoch, bad_epochs = val_loss, epoch, 0
        best_state = copy.deepcopy(model.state_dict())
    else:
        bad_epochs += 1
        if bad_epochs >= patience:
            print(f"early stop at epoch {epoch}, best epoch {best_epoch} val {best:.4f}")
            break
model.load_state_dict(best_state)
with torch.no_grad():
    print(f"restored val {F.mse_loss(model(Xva), Yva).item():.4f}")
print(best_state["0.bias"].requires_grad, type(best_state).__name__)

for bad_call in [lambda: clip_grad_norm_(model.parameters(), 1.0, norm_type="fro"),
                 lambda: clip_grad_value_(model.parameters(), clip_value=None),
                 lambda: torch.autocast(device_type="gpu"),
                 lambda: torch.amp.GradScaler("cpu", init_scale=-1.0).scale(torch.tensor(1.0))]:
    try:
        r = bad_call()
        print("no error", type(r).__name__)
    except Exception as e:
        print(type(e).__name__, str(e).splitlines()[0])
