"""The 'Parametrizations Tutorial': register_parametrization with small nn.Module classes
(Symmetric, Skew, MatrixExponential, CayleyMap, a Noop that prints when it runs), the
``parametrizations.weight.original`` tensor, chaining several parametrizations on one tensor,
caching with ``parametrize.cached()``, initialising through ``right_inverse`` (assigning to the
weight), a parametrization that leaves no ``right_inverse``, and remove_parametrizations with
``leave_parametrized`` True and False; then a short training step on a parametrized layer."""
# needs: nn optim
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.utils.parametrize as P

torch.manual_seed(0)


def symmetric(X):
    return X.triu() + X.triu(1).transpose(-1, -2)


X = torch.rand(3, 3)
A = symmetric(X)
assert torch.allclose(A, A.T)
print(A)


class LinearSymmetric(nn.Module):
    def __init__(self, n_features):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(n_features, n_features))

    def forward(self, x):
        A = symmetric(self.weight)
        return x @ A


layer = LinearSymmetric(3)
out = layer(torch.rand(5, 3))
print(out.shape, out.grad_fn.name())


class Symmetric(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).transpose(-1, -2)


layer = nn.Linear(3, 3)
P.register_parametrization(layer, "weight", Symmetric())
A = layer.weight
print(torch.allclose(A, A.T))
print(A)


class Skew(nn.Module):
    def forward(self, X):
        A = X.triu(1)
        return A - A.transpose(-1, -2)


cnn = nn.Conv2d(in_channels=5, out_channels=8, kernel_size=3)
P.register_parametrization(cnn, "weight", Skew())
print(cnn.weight[0, 1])
print(cnn.weight[2, 2])
print(layer)
print(type(layer).__name__, type(layer).__bases__[0].__name__)
print(layer.parametrizations)
print(layer.parametrizations.weight)
print(layer.parametrizations.weight.original)
print(torch.dist(layer.weight, symmetric(layer.parametrizations.weight.original)))
print([n for n, _ in layer.named_parameters()])
print(list(layer.state_dict().keys()))
print(P.is_parametrized(layer), P.is_parametrized(layer, "weight"), P.is_parametrized(layer, "bias"))


class NoisyParametrization(nn.Module):
    def forward(self, X):
        print("Computing the Parametrization")
        return X


layer = nn.Linear(4, 4)
P.register_parametrization(layer, "weight", NoisyParametrization())
print("Here, layer.weight is recomputed every time we call it")
foo = layer.weight + layer.weight.T
bar = layer.weight.sum()
with P.cached():
    print("Here, it is computed just the first time layer.weight is called")
    foo = layer.weight + layer.weight.T
    bar = layer.weight.sum()


class CayleyMap(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.register_buffer("Id", torch.eye(n))

    def forward(self, X):
        # (I + X)(I - X)^{-1}
        return torch.linalg.solve(self.Id - X, self.Id + X)


layer = nn.Linear(3, 3)
P.register_parametrization(layer, "weight", Skew())
P.register_parametrization(layer, "weight", CayleyMap(3))
X = layer.weight
print(torch.dist(X.T @ X, torch.eye(3)) < 1e-5)
print(layer.parametrizations.weight)
print(list(layer.state_dict().keys()))


class MatrixExponential(nn.Module):
    def forward(self, X):
        return torch.matrix_exp(X)


layer_orthogonal = nn.Linear(3, 3)
P.register_parametrization(layer_orthogonal, "weight", Skew())
P.register_parametrization(layer_orthogonal, "weight", MatrixExponential())
X = layer_orthogonal.weight
print(torch.dist(X.T @ X, torch.eye(3)) < 1e-5)

layer_spd = nn.Linear(3, 3)
P.register_parametrization(layer_spd, "weight", Symmetric())
P.register_parametrization(layer_spd, "weight", MatrixExponential())
X = layer_spd.weight
print(torch.dist(X, X.T) < 1e-5, (torch.linalg.eigvalsh(X) > 0.).all())


# the built-in orthogonal parametrization, without the trivialization (no `base` buffer)
from tensorgraft.nn.utils import parametrizations  # noqa: E402

torch.manual_seed(0)
ortho = parametrizations.orthogonal(nn.Linear(3, 3, bias=False), use_trivialization=False)
print(ortho)
print(ortho.weight)
print(list(ortho.state_dict().keys()))


# Initialising parametrizations: right_inverse maps a value back to the original.
class Skew2(nn.Module):
    def forward(self, X):
        A = X.triu(1)
        return A - A.transpose(-1, -2)

    def right_inverse(self, A):
        # We assume that A is skew-symmetric; take the upper triangle that forward uses
        return A.triu(1)


layer = nn.Linear(3, 3)
P.register_parametrization(layer, "weight", Skew2())
X = torch.rand(3, 3)
X = X - X.T
layer.weight = X
print(torch.dist(layer.weight, X))
print(layer.parametrizations.weight.original)

layer = nn.Linear(3, 3)
P.register_parametrization(layer, "weight", Skew())
try:
    layer.weight = X
except Exception as e:
    print(type(e).__name__, str(e).splitlines()[0])

# Removing parametrizations.
layer = nn.Linear(3, 3)
print("Before:")
print(layer)
print(layer.weight)
P.register_parametrization(layer, "weight", Skew2())
print("\nParametrized:")
print(layer)
print(layer.weight)
P.remove_parametrizations(layer, "weight")
print("\nAfter. Weight has skew-symmetric values but it is unconstrained:")
print(layer)
print(layer.weight)
print(type(layer).__name__, type(layer.weight).__name__)

layer = nn.Linear(3, 3)
P.register_parametrization(layer, "weight", Skew2())
print(layer.parametrizations.weight.original)
P.remove_parametrizations(layer, "weight", leave_parametrized=False)
print(layer.weight)
try:
    P.remove_parametrizations(layer, "weight")
except Exception as e:
    print(type(e).__name__, e)

# Training through a parametrization: the original gets the gradient.
torch.manual_seed(1)
model = nn.Sequential(nn.Linear(3, 3), nn.Tanh(), nn.Linear(3, 1))
P.register_parametrization(model[0], "weight", Symmetric())
opt = torch.optim.SGD(model.parameters(), lr=0.1)
x, y = torch.randn(8, 3), torch.randn(8, 1)
for step in range(5):
    opt.zero_grad()
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    opt.step()
    print(step, f"{loss.item():.4f}")
print(model[0].parametrizations.weight.original.grad)
print(torch.allclose(model[0].weight, model[0].weight.T))
print([n for n, _ in model.named_parameters()])
