"""Batched backward through nn building blocks: jacrev/jacfwd (argnums, has_aux, chunk_size) over
activations, softmax, layer_norm and losses; autograd.functional.jacobian/hessian with vectorize=True
on tuples of inputs and outputs and with create_graph; autograd.grad(is_grads_batched=True) with
several outputs and inputs; gradcheck with check_batched_grad over nn.functional ops."""
# needs: nn
import tensorgraft as torch
import tensorgraft.nn.functional as F
from tensorgraft.autograd.functional import hessian as f_hessian
from tensorgraft.autograd.functional import jacobian as f_jacobian
from tensorgraft.func import jacfwd, jacrev, vmap

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)
x = torch.randn(3, 5)
w = torch.randn(4, 5)
b = torch.randn(4)

acts = {"gelu": F.gelu, "gelu_tanh": lambda t: F.gelu(t, approximate="tanh"), "silu": F.silu, "mish": F.mish,
        "softplus": F.softplus, "elu": F.elu, "leaky_relu": lambda t: F.leaky_relu(t, 0.1),
        "sigmoid": torch.sigmoid, "tanh": torch.tanh, "hardswish": F.hardswish, "logsigmoid": F.logsigmoid,
        "softmax": lambda t: F.softmax(t, -1), "log_softmax": lambda t: F.log_softmax(t, -1),
        "layer_norm": lambda t: F.layer_norm(t, (4,))}
for name, act in acts.items():
    def f(w, b):
        return act(F.linear(x, w, b))
    jw, jb = jacrev(f, argnums=(0, 1))(w, b)
    jw2, jb2 = jacfwd(f, argnums=(0, 1))(w, b)
    jw3 = jacrev(f, chunk_size=3)(w, b)
    hb = jacrev(jacrev(lambda b: f(w, b).sum()))(b)
    print(f"{name:<12} {tuple(jw.shape)} {tuple(jb.shape)} fwd==rev {torch.allclose(jw, jw2) and torch.allclose(jb, jb2)}"
          f" chunked {torch.allclose(jw, jw3)} |jb| {jb.norm().item():.5f} tr(H_b) {hb.trace().item():.5f}")

# losses: Jacobian/Hessian w.r.t. the predictions, with aux
target = torch.tensor([1, 0, 3])
soft = torch.softmax(torch.randn(3, 4), -1)
reg_t = torch.randn(3, 4)
losses = {
    "cross_entropy": lambda z: F.cross_entropy(z, target),
    "ce weight+smooth": lambda z: F.cross_entropy(z, target, weight=torch.tensor([1.0, 0.5, 2.0, 1.0]),
                                                  label_smoothing=0.2),
    "ce ignore": lambda z: F.cross_entropy(z, target, ignore_index=0, reduction="sum"),
    "ce probs": lambda z: F.cross_entropy(z, soft),
    "nll": lambda z: F.nll_loss(F.log_softmax(z, 1), target),
    "mse": lambda z: F.mse_loss(z, reg_t),
    "huber": lambda z: F.huber_loss(z, reg_t, delta=0.5),
    "smooth_l1": lambda z: F.smooth_l1_loss(z, reg_t, beta=2.0),
    "kl_div": lambda z: F.kl_div(F.log_softmax(z, 1), soft, reduction="batchmean"),
    "bce_logits": lambda z: F.binary_cross_entropy_with_logits(z, soft),
}
z0 = torch.randn(3, 4)
for name, loss in losses.items():
    g, val = jacrev(lambda z: (loss(z), loss(z).detach()), has_aux=True)(z0)
    H = jacfwd(jacrev(loss))(z0).reshape(12, 12)
    Hv = f_hessian(loss, z0, vectorize=True).reshape(12, 12)
    print(f"{name:<17} loss {val.item():.5f} |g| {g.norm().item():.5f} tr(H) {H.trace().item():.5f}"
          f" sym {torch.allclose(H, H.T)} functional {torch.allclose(H, Hv)}")

# autograd.functional on tuples, vectorized, with create_graph


def two_out(a, c):
    return (a * c).sum(0), torch.tanh(a @ c.T)


a0 = torch.randn(2, 3, requires_grad=True)
c0 = torch.randn(2, 3)
J = f_jacobian(two_out, (a0, c0), vectorize=True, create_graph=True)
Jl = f_jacobian(two_out, (a0, c0))
print([[tuple(j.shape) for j in row] for row in J])
print(all(torch.allclose(J[i][k], Jl[i][k]) for i in range(2) for k in range(2)),
      J[1][0].grad_fn is not None)
(ga,) = torch.autograd.grad(J[1][0].sum(), a0)
print("d(sum J)/da", [round(e, 4) for e in ga.flatten().tolist()])
Hs = f_hessian(lambda a, c: (a.sin() * c).sum(), (a0.detach(), c0), vectorize=True)
print([[tuple(h.shape) for h in row] for row in Hs], round(Hs[0][1].abs().sum().item(), 4))
print("outer_jacobian_strategy fwd",
      torch.allclose(f_hessian(lambda a: (a.exp() * c0).sum(), a0.detach(), vectorize=True,
                               outer_jacobian_strategy="forward-mode"),
                     f_hessian(lambda a: (a.exp() * c0).sum(), a0.detach())))

# is_grads_batched with several outputs and inputs
p = torch.randn(3, requires_grad=True)
q = torch.randn(3, requires_grad=True)
o1, o2 = (p * q).exp(), (p - q).pow(2).sum()
gp, gq = torch.autograd.grad((o1, o2), (p, q), (torch.eye(3), torch.arange(1.0, 4.0)), is_grads_batched=True,
                             retain_graph=True)
print("multi", tuple(gp.shape), tuple(gq.shape))
print([[round(e, 4) for e in r] for r in gp.tolist()])
gp2, = torch.autograd.grad(o1, p, torch.eye(3), is_grads_batched=True, create_graph=True)
print("create_graph", type(gp2.grad_fn).__name__ if gp2.grad_fn is not None else None,
      round(torch.autograd.grad(gp2.sum(), q)[0].sum().item(), 4))
try:
    torch.autograd.grad(o2, p, torch.ones(2, 3), is_grads_batched=True)
except RuntimeError as e:
    print("RuntimeError", str(e).splitlines()[0])

# per-sample input Jacobians with vmap over jacrev / jacfwd
xs = torch.randn(6, 5)


def net(xi):
    return F.log_softmax(F.silu(F.linear(xi, w, b)), -1)


Jr = vmap(jacrev(net))(xs)
Jf = vmap(jacfwd(net))(xs)
print("per-sample", tuple(Jr.shape), torch.allclose(Jr, Jf), [round(e, 4) for e in Jr.norm(dim=(1, 2)).tolist()])

# gradcheck with batched gradients over nn.functional ops
inp = torch.randn(2, 4, requires_grad=True)
wt = torch.randn(3, 4, requires_grad=True)
for name, fn in [("linear+gelu", lambda i, w_: F.gelu(F.linear(i, w_))),
                 ("softmax", lambda i, w_: F.softmax(i @ w_.T, 1)),
                 ("layer_norm", lambda i, w_: F.layer_norm(i @ w_.T, (3,))),
                 ("mse", lambda i, w_: F.mse_loss(i @ w_.T, torch.ones(2, 3))),
                 ("normalize", lambda i, w_: F.normalize(i @ w_.T, dim=1))]:
    print(name, torch.autograd.gradcheck(fn, (inp, wt), check_batched_grad=True),
          torch.autograd.gradgradcheck(fn, (inp, wt), check_batched_grad=True))
