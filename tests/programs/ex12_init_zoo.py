"""The nn.init zoo as "weight initialization in PyTorch" blog posts walk through it: a custom
init_weights applied with model.apply, calculate_gain for each nonlinearity, xavier / kaiming
(fan_in / fan_out, leaky_relu slope), orthogonal with a gain, sparse_, dirac_ and eye_ for
identity-preserving layers, trunc_normal_ like ViT code, init under a local Generator, the
statistics each init produces, and the errors for tensors with too few dimensions."""
# needs: nn
import tensorgraft as torch
import tensorgraft.nn as nn

torch.manual_seed(0)

print([round(nn.init.calculate_gain(n), 4) for n in ["linear", "conv2d", "sigmoid", "tanh", "relu", "selu"]])
print(round(nn.init.calculate_gain("leaky_relu", 0.2), 4), round(nn.init.calculate_gain("leaky_relu"), 4))
print(nn.init._calculate_fan_in_and_fan_out(torch.empty(8, 4, 3, 3)))


def init_weights(m):
    if isinstance(m, nn.Linear):
        nn.init.xavier_uniform_(m.weight, gain=nn.init.calculate_gain("tanh"))
        nn.init.zeros_(m.bias)
        print("  init", m)
    elif isinstance(m, nn.Conv2d):
        nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        if m.bias is not None:
            nn.init.constant_(m.bias, 0.1)
        print("  init", m)
    elif isinstance(m, (nn.BatchNorm2d, nn.LayerNorm)):
        nn.init.ones_(m.weight)
        nn.init.zeros_(m.bias)


model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.Flatten(), nn.Linear(8, 4), nn.Tanh())
print(model.apply(init_weights) is model)
print("conv std", f"{model[0].weight.std().item():.4f}", "bias", model[0].bias[:3])
print("linear bound", f"{model[4].weight.abs().max().item():.4f}", "bias", model[4].bias)

w = torch.empty(256, 128)
for name, fn in [("xavier_uniform", lambda t: nn.init.xavier_uniform_(t)),
                 ("xavier_normal", lambda t: nn.init.xavier_normal_(t, gain=2.0)),
                 ("kaiming_uniform a=sqrt5", lambda t: nn.init.kaiming_uniform_(t, a=5 ** 0.5)),
                 ("kaiming_normal fan_out", lambda t: nn.init.kaiming_normal_(t, mode="fan_out")),
                 ("kaiming leaky 0.1", lambda t: nn.init.kaiming_uniform_(t, a=0.1, nonlinearity="leaky_relu")),
                 ("normal", lambda t: nn.init.normal_(t, mean=1.0, std=0.02)),
                 ("uniform", lambda t: nn.init.uniform_(t, -0.5, 0.5)),
                 ("trunc_normal", lambda t: nn.init.trunc_normal_(t, std=0.02, a=-0.04, b=0.04))]:
    out = fn(w)
    print(f"{name:24s} returns same: {out is w} mean {w.mean().item():+.4f} std {w.std().item():.4f} "
          f"min {w.min().item():+.4f} max {w.max().item():+.4f}")

q = torch.empty(3, 5)
nn.init.orthogonal_(q, gain=2.0)
print("orthogonal q q^T / 4\n", (q @ q.T / 4).round(decimals=4))
s = torch.empty(6, 4)
nn.init.sparse_(s, sparsity=0.5, std=0.1)
print("sparse zeros per column", (s == 0).sum(0))
d = torch.empty(2, 2, 3, 3)
nn.init.dirac_(d)
print("dirac", d[0, 0], d[1, 1].sum().item(), d[0, 1].abs().sum().item())
conv = nn.Conv2d(2, 2, 3, padding=1, bias=False)
nn.init.dirac_(conv.weight)
x = torch.randn(1, 2, 4, 4)
print("dirac conv is identity:", torch.equal(conv(x), x))
print(nn.init.eye_(torch.empty(3, 4)))
g = nn.init.dirac_(torch.empty(4, 2, 3), groups=2)
print("dirac groups", g.sum((1, 2)))

gen = torch.Generator().manual_seed(5)
a = nn.init.normal_(torch.empty(2, 3), generator=gen)
gen.manual_seed(5)
b = nn.init.normal_(torch.empty(2, 3), generator=gen)
print("generator reproducible:", torch.equal(a, b), a)
p = nn.Parameter(torch.zeros(2, 3))
nn.init.constant_(p, 0.3)
print(p, p.grad_fn, p.is_leaf)
with torch.no_grad():
    p.normal_(0.0, 0.01)
print("normal_ under no_grad", p.requires_grad, p.grad_fn)
e = nn.Embedding(5, 3, padding_idx=0)
nn.init.uniform_(e.weight, -0.1, 0.1)
print("embedding padding row after init", e.weight[0])

for bad in [lambda: nn.init.kaiming_uniform_(torch.empty(3)),
            lambda: nn.init.xavier_normal_(torch.empty(3)),
            lambda: nn.init.orthogonal_(torch.empty(3)),
            lambda: nn.init.dirac_(torch.empty(3, 3)),
            lambda: nn.init.eye_(torch.empty(3, 3, 3)),
            lambda: nn.init.sparse_(torch.empty(3, 3, 3), 0.5),
            lambda: nn.init.calculate_gain("gelu"),
            lambda: nn.init.calculate_gain("leaky_relu", "x"),
            lambda: nn.init.kaiming_normal_(torch.empty(2, 2), mode="fan_avg"),
            lambda: torch.zeros(2, requires_grad=True).uniform_()]:
    try:
        bad()
    except Exception as e:
        print(type(e).__name__, e)
