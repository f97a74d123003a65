"""Higher-order derivatives of activations, the way the autograd tutorials take them: gradients
with create_graph=True, then the gradient of the gradient. Prints the first three derivatives of
sigmoid and tanh at a few points, the nodes each gradient hangs on (SigmoidBackwardBackward0 ...),
the second derivative of softplus/silu/mish/logsigmoid/elu, in-place activations' gradient nodes,
sigmoid's far tail, x ** 3 against x * x * x, and the error of an in-place leaky_relu with a
negative slope when its backward runs."""
# needs: nn
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F


def names(node, depth=2):
    """The node's name and, one level down, the names of the nodes it hangs on."""
    if node is None:
        return None
    if depth == 1:
        return type(node).__name__
    return (type(node).__name__, [names(n, depth - 1) for n, _ in node.next_functions])


x = torch.linspace(-3, 3, 7, requires_grad=True)
for fn in (torch.sigmoid, torch.tanh):
    y = fn(x)
    d1, = torch.autograd.grad(y.sum(), x, create_graph=True)
    d2, = torch.autograd.grad(d1.sum(), x, create_graph=True)
    d3, = torch.autograd.grad(d2.sum(), x)
    print(fn.__name__)
    print("  d1:", d1)
    print("  d2:", d2)
    print("  d3:", d3)
    print("  d1 node:", names(d1.grad_fn))
    print("  d2 node:", names(d2.grad_fn))

# a weighted upstream gradient, as a loss gives it
w = torch.tensor([0.5, -1.0, 2.0, 0.0, 1.5, -0.5, 1.0])
g, = torch.autograd.grad((torch.sigmoid(x) * w).sum(), x, create_graph=True)
h, = torch.autograd.grad((g ** 2).sum(), x)
print("weighted sigmoid grad:", g)
print("d/dx |grad|^2:", h)

torch.manual_seed(0)
z = torch.randn(2, 5, dtype=torch.float64, requires_grad=True)
for name, act in [("softplus", lambda t: F.softplus(t, beta=2.0)), ("silu", F.silu), ("mish", F.mish),
                  ("logsigmoid", F.logsigmoid), ("elu", F.elu), ("selu", F.selu), ("hardswish", F.hardswish),
                  ("log_softmax", lambda t: F.log_softmax(t, dim=1)), ("softmax", lambda t: F.softmax(t, dim=1)),
                  ("tanhshrink", F.tanhshrink), ("softsign", F.softsign)]:
    g1, = torch.autograd.grad(act(z).pow(2).sum(), z, create_graph=True)
    g2, = torch.autograd.grad(g1.sum(), z, create_graph=True)
    print(f"{name:11s} second derivative sum {g2.sum().item():.6f}  grad_fn {type(g1.grad_fn).__name__} "
          f"-> {type(g2.grad_fn).__name__}")

# in-place activations inside a network: the gradient of the gradient still reaches the input
for name, layer in [("ReLU(inplace)", nn.ReLU(inplace=True)), ("LeakyReLU(inplace)", nn.LeakyReLU(0.2, inplace=True)),
                    ("ELU(inplace)", nn.ELU(inplace=True)), ("SELU(inplace)", nn.SELU(inplace=True)),
                    ("Hardtanh(inplace)", nn.Hardtanh(inplace=True)), ("ReLU6(inplace)", nn.ReLU6(inplace=True)),
                    ("Hardswish(inplace)", nn.Hardswish(inplace=True))]:
    a = torch.tensor([[-1.5, -0.2, 0.3, 2.0]], requires_grad=True)
    out = layer(a * 2)
    g1, = torch.autograd.grad((out ** 2).sum(), a, create_graph=True)
    g2, = torch.autograd.grad(g1.sum(), a)
    print(f"{name:19s} out.grad_fn={type(out.grad_fn).__name__:18s} g1={g1.detach()} g2={g2}")
    inner = g1.grad_fn
    print("   ", names(inner, 3))

print("x.sigmoid_():", names(torch.autograd.grad((x * 1).sigmoid_().sum(), x, create_graph=True)[0].grad_fn, 3))

# sigmoid far out in the tails
t = torch.tensor([-100.0, -30.0, -17.0, -5.0, 0.0, 5.0, 17.0, 30.0])
print("sigmoid:", torch.sigmoid(t))
print("sigmoid float64:", torch.sigmoid(t.double()))
print("log(sigmoid(-30)):", torch.log(torch.sigmoid(torch.tensor(-30.0))).item())

# pow by a number
p = torch.tensor([0.1, 1.7, -2.3, 3.3, 7.9])
print("x ** 3 == x * x * x:", torch.equal(p ** 3, p * p * p))
print("x ** 3:", p ** 3)
print("x ** -2:", p ** -2)
q = p.abs().requires_grad_()
print("pow grad_fn edges:", names((q ** 3).grad_fn), names((2 ** q).grad_fn))
dq, = torch.autograd.grad(q.rsqrt().sum(), q, create_graph=True)
print("rsqrt grad:", dq, names(dq.grad_fn, 3))

# a common mistake: an in-place leaky_relu with a negative slope cannot be differentiated
a = torch.tensor([1.0, -2.0], requires_grad=True)
try:
    F.leaky_relu(a * 1, -0.1, inplace=True).sum().backward()
except Exception as e:
    print(type(e).__name__, e)
