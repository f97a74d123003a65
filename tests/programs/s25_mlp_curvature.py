"""Curvature of small nn models with torch.func: the full Hessian of an MLP's cross-entropy loss
(class weights, ignore_index, label smoothing) against Hessian-vector products, the empirical NTK of
a two-layer net (jacrev over parameters with functional_call), a per-example input-Jacobian norm
regulariser (vmap(jacrev)) trained for a few steps, and regression losses' Hessians."""
# needs: nn optim
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.autograd.functional import hessian as f_hessian
from tensorgraft.autograd.functional import hvp
from tensorgraft.func import functional_call, hessian, jacfwd, jacrev, vmap

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)


class MLP(nn.Module):
    def __init__(self, d_in=4, hidden=6, d_out=3, act=nn.GELU()):
        super().__init__()
        self.fc1 = nn.Linear(d_in, hidden)
        # no affine: PyTorch 2.13's torch.func Hessian through layer_norm is wrong (not symmetric)
        # when the input and the weight both depend on the differentiated tensor
        self.norm = nn.LayerNorm(hidden, elementwise_affine=False)
        self.act = act
        self.fc2 = nn.Linear(hidden, d_out)

    def forward(self, x):
        return self.fc2(self.act(self.norm(self.fc1(x))))


net = MLP()
x = torch.randn(8, 4)
target = torch.tensor([0, 2, 1, 1, -100, 0, 2, 1])
weight = torch.tensor([1.0, 2.0, 0.5])
params = {k: v.detach() for k, v in net.named_parameters()}
names = list(params)
print("params", [(k, tuple(v.shape)) for k, v in params.items()])


def ce_loss(flat):
    chunks = torch.split(flat, [params[k].numel() for k in names])
    p = {k: c.reshape(params[k].shape) for k, c in zip(names, chunks)}
    logits = functional_call(net, p, (x,))
    return F.cross_entropy(logits, target, weight=weight, ignore_index=-100, label_smoothing=0.1)


flat = torch.cat([params[k].reshape(-1) for k in names])
print("n params", flat.numel(), "loss", round(ce_loss(flat).item(), 6))
H = hessian(ce_loss)(flat)
print("H", H.shape, "symmetric", torch.allclose(H, H.T))
H2 = f_hessian(ce_loss, flat, vectorize=True)
H3 = jacfwd(jacrev(ce_loss))(flat)
H4 = jacrev(jacrev(ce_loss), chunk_size=7)(flat)
print("functional", torch.allclose(H, H2), "fwd-over-rev", torch.allclose(H, H3), "chunked", torch.allclose(H, H4))
v = torch.randn(flat.numel())
_, Hv = hvp(ce_loss, flat, v)
print("hvp == H @ v", torch.allclose(Hv, H @ v))
print("trace", round(H.trace().item(), 5), "|H|", round(H.norm().item(), 5))
print("fc2.bias block", [[round(e, 5) for e in row] for row in H[-3:, -3:].tolist()])

# the ignored sample contributes nothing: its input gradient is exactly zero
xr = x.clone().requires_grad_()
gx = jacrev(lambda inp: F.cross_entropy(net(inp), target, weight=weight, ignore_index=-100,
                                        label_smoothing=0.1))(xr)
print("ignored row grad", gx[4].abs().max().item(), "others nonzero", bool((gx[:4].abs().sum(1) > 0).all()))

# empirical neural tangent kernel of a two-layer net
ntk_net = nn.Sequential(nn.Linear(3, 16), nn.SiLU(), nn.Linear(16, 2))
ntk_params = {k: v.detach() for k, v in ntk_net.named_parameters()}
x1, x2 = torch.randn(5, 3), torch.randn(4, 3)


def f(p, xb):
    return functional_call(ntk_net, p, (xb.unsqueeze(0),)).squeeze(0)


def ntk(xa, xb):
    ja = vmap(jacrev(f), (None, 0))(ntk_params, xa)
    jb = vmap(jacrev(f), (None, 0))(ntk_params, xb)
    ja = [j.flatten(2) for j in ja.values()]
    jb = [j.flatten(2) for j in jb.values()]
    return sum(torch.einsum("Naf,Mbf->NMab", a, b) for a, b in zip(ja, jb))


K = ntk(x1, x2)
print("NTK", K.shape, [round(e, 4) for e in K[0, 0].flatten().tolist()])
Kxx = ntk(x1, x1)
print("NTK(x, x) symmetric", torch.allclose(Kxx, Kxx.permute(1, 0, 3, 2)))
jfull = jacrev(lambda p: functional_call(ntk_net, p, (x1,)))(ntk_params)
flat_j = torch.cat([j.flatten(2) for j in jfull.values()], dim=2)
print("vs one jacrev", torch.allclose(K, torch.einsum("Naf,Mbf->NMab", flat_j, torch.cat(
    [j.flatten(2) for j in vmap(jacrev(f), (None, 0))(ntk_params, x2).values()], dim=2))))

# per-example input-Jacobian norm regulariser, trained a few steps
torch.manual_seed(1)
reg_net = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 8), nn.Softplus(), nn.Linear(8, 2))
opt = torch.optim.SGD(reg_net.parameters(), lr=0.05)
xs, ys = torch.randn(16, 4), torch.randn(16, 2)
for step in range(4):
    opt.zero_grad()
    pred = reg_net(xs)
    jac = vmap(jacrev(reg_net))(xs)
    penalty = jac.pow(2).sum(dim=(1, 2)).mean()
    loss = F.mse_loss(pred, ys) + 0.1 * penalty
    loss.backward()
    opt.step()
    print(f"step {step}: loss {loss.item():.5f} penalty {penalty.item():.5f} jac {tuple(jac.shape)}")
print("jac grad_fn", type(penalty.grad_fn).__name__)

# Hessians of the regression losses w.r.t. predictions
pred = torch.tensor([0.3, -1.7, 2.2, 0.05])
tgt = torch.tensor([0.0, 0.0, 1.0, 0.0])
for name, fn in [("mse", lambda p: F.mse_loss(p, tgt)),
                 ("huber", lambda p: F.huber_loss(p, tgt, delta=1.0)),
                 ("smooth_l1", lambda p: F.smooth_l1_loss(p, tgt, beta=0.5)),
                 ("l1+softmax", lambda p: F.l1_loss(F.softmax(p, 0), tgt))]:
    Hl = hessian(fn)(pred)
    print(name, [round(e, 4) for e in Hl.diagonal().tolist()], torch.allclose(Hl, f_hessian(fn, pred, vectorize=True)))
