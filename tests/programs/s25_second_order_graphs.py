"""What autograd records, printed the way one debugs a double-backward: the grad_fn chains of
create_graph=True gradients of the regression losses, a convolution, F.normalize and a chain of
multi-dimensional slices, walked through next_functions."""
# needs: nn
import tensorgraft as torch
import tensorgraft.nn.functional as F

torch.manual_seed(0)


def chain(fn, depth=4, indent="  "):
    """The graph below ``fn`` as an indented tree (AccumulateGrad named by the leaf's shape)."""
    lines = []

    def walk(node, level):
        if node is None:
            lines.append(indent * level + "None")
            return
        name = type(node).__name__
        if name == "AccumulateGrad":
            name += f"[{tuple(node.variable.shape)}]"
        lines.append(indent * level + name)
        if level < depth:
            for child, _ in node.next_functions:
                walk(child, level + 1)

    walk(fn, 0)
    return "\n".join(lines)


pred = torch.randn(3, 4, requires_grad=True)
target = torch.randn(3, 4)
for name, loss_fn in [("mse", lambda p: F.mse_loss(p, target)),
                      ("mse sum", lambda p: F.mse_loss(p, target, reduction="sum")),
                      ("smooth_l1", lambda p: F.smooth_l1_loss(p, target, beta=0.5)),
                      ("huber", lambda p: F.huber_loss(p, target, delta=0.7))]:
    loss = loss_fn(pred)
    (g,) = torch.autograd.grad(loss, pred, create_graph=True)
    print(f"== {name}: loss {type(loss.grad_fn).__name__}, grad {type(g.grad_fn).__name__}")
    print(chain(g.grad_fn, depth=2))
    (gg,) = torch.autograd.grad(g.pow(2).sum(), pred)
    print("  second-order sum", round(gg.sum().item(), 4))

# convolution: gradient of an input-gradient penalty w.r.t. the weight
x = torch.randn(2, 2, 6, 6, requires_grad=True)
w = torch.randn(3, 2, 3, 3, requires_grad=True)
b = torch.randn(3, requires_grad=True)
y = F.conv2d(x, w, b, padding=1, stride=1)
print("== conv2d:", type(y.grad_fn).__name__)
(gx,) = torch.autograd.grad(y.tanh().sum(), x, create_graph=True)
print(chain(gx.grad_fn, depth=3))
penalty = gx.pow(2).sum()
gw, gb = torch.autograd.grad(penalty, (w, b), allow_unused=True)
print("conv double backward: gw", tuple(gw.shape), round(gw.norm().item(), 3), "gb", None if gb is None else
      round(gb.norm().item(), 3))

# F.normalize, and its second derivative
v = torch.randn(4, 3, requires_grad=True)
n = F.normalize(v, dim=1)
print("== normalize")
print(chain(n.grad_fn, depth=3))
(gv,) = torch.autograd.grad((n * torch.arange(3.0)).sum(), v, create_graph=True)
print("grad", type(gv.grad_fn).__name__, "norm rows", [round(r, 4) for r in n.norm(dim=1).tolist()])
(ggv,) = torch.autograd.grad(gv.pow(2).sum(), v)
print("second", round(ggv.abs().sum().item(), 4))
z = torch.zeros(2, 3, requires_grad=True)
nz = F.normalize(z, dim=1)
(gz,) = torch.autograd.grad(nz.sum(), z)
print("normalize at zero", nz.tolist(), gz.tolist())

# multi-dim slicing chains
a = torch.arange(30.0).reshape(5, 6).requires_grad_()
s = a[1:, ::2]
print("== slices", tuple(s.shape), s.stride(), s.storage_offset())
print(chain(s.grad_fn))
s2 = a[1:4, 1::2][:, 1:][::2]
print(tuple(s2.shape), s2.stride(), s2.storage_offset())
print(chain(s2.grad_fn))
s3 = a[..., None, 2:5:2]
print(tuple(s3.shape), s3.storage_offset(), s3.is_contiguous())
print(chain(s3.grad_fn))
(s.pow(2).sum() + s2.sum() * 10 + s3.sum()).backward()
print(a.grad)
(ga,) = torch.autograd.grad((a[1:, ::2] ** 3).sum(), a, create_graph=True)
print("slice double backward:", type(ga.grad_fn).__name__)
print(chain(ga.grad_fn, depth=3))
