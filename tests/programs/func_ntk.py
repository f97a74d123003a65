"""The 'Neural Tangent Kernels' torch.func tutorial: a small CNN made functional with
functional_call over a dict of detached parameters, the empirical NTK as the contraction of the
per-example Jacobians (vmap of jacrev, flattened, einsum 'Naf,Mbf->NMab') in 'full', 'trace' and
'diagonal' modes, and the same kernel computed by NTK-vector products (vmap of vjp_fn of jvp),
compared with allclose."""
# needs: nn
import tensorgraft as torch
import tensorgraft.nn as nn
from tensorgraft.func import functional_call, jacrev, jvp, vjp, vmap

torch.manual_seed(0)


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, (3, 3))
        self.conv2 = nn.Conv2d(4, 4, (3, 3))
        self.conv3 = nn.Conv2d(4, 4, (3, 3))
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        x = self.conv1(x)
        x = x.relu()
        x = self.conv2(x)
        x = x.relu()
        x = self.conv3(x)
        x = x.mean((2, 3))
        x = self.fc(x)
        return x


x_train = torch.randn(5, 3, 8, 8)
x_test = torch.randn(4, 3, 8, 8)
net = CNN()
print(net)
params = {k: v.detach() for k, v in net.named_parameters()}
print({k: tuple(v.shape) for k, v in params.items()})


def fnet_single(params, x):
    return functional_call(net, params, (x.unsqueeze(0),)).squeeze(0)


print("single output:", fnet_single(params, x_train[0]))


def empirical_ntk_jacobian_contraction(fnet_single, params, x1, x2, compute="full"):
    # Jacobian for x1
    jac1 = vmap(jacrev(fnet_single), (None, 0))(params, x1)
    jac1 = jac1.values()
    jac1 = [j.flatten(2) for j in jac1]

    # Jacobian for x2
    jac2 = vmap(jacrev(fnet_single), (None, 0))(params, x2)
    jac2 = jac2.values()
    jac2 = [j.flatten(2) for j in jac2]

    # Compute J(x1) @ J(x2).T
    einsum_expr = None
    if compute == "full":
        einsum_expr = "Naf,Mbf->NMab"
    elif compute == "trace":
        einsum_expr = "Naf,Maf->NM"
    elif compute == "diagonal":
        einsum_expr = "Naf,Maf->NMa"
    else:
        raise ValueError(f"unknown compute mode {compute!r}")

    result = torch.stack([torch.einsum(einsum_expr, j1, j2) for j1, j2 in zip(jac1, jac2)])
    result = result.sum(0)
    return result


jac = vmap(jacrev(fnet_single), (None, 0))(params, x_train)
print("jacobian shapes:", {k: tuple(v.shape) for k, v in jac.items()})

result = empirical_ntk_jacobian_contraction(fnet_single, params, x_train, x_test)
print("full ntk:", result.shape, result.dtype)
print(result[0, 0])
trace = empirical_ntk_jacobian_contraction(fnet_single, params, x_train, x_test, "trace")
print("trace ntk:", trace.shape)
print(trace)
print("trace == sum of diagonal:", torch.allclose(trace, result.diagonal(dim1=2, dim2=3).sum(-1), atol=1e-4))
diag = empirical_ntk_jacobian_contraction(fnet_single, params, x_train, x_test, "diagonal")
print("diagonal ntk:", diag.shape, torch.allclose(diag, result.diagonal(dim1=2, dim2=3), atol=1e-4))
self_ntk = empirical_ntk_jacobian_contraction(fnet_single, params, x_train, x_train, "trace")
print("symmetric:", torch.allclose(self_ntk, self_ntk.T, atol=1e-4), "psd:",
      bool((torch.linalg.eigvalsh(self_ntk) > -1e-4).all()))


def empirical_ntk_ntk_vps(func, params, x1, x2, compute="full"):
    def get_ntk(x1, x2):
        def func_x1(params):
            return func(params, x1)

        def func_x2(params):
            return func(params, x2)

        output, vjp_fn = vjp(func_x1, params)

        def get_ntk_slice(vec):
            # This computes ``vec @ J(x2).T``
            # `vec` is some unit vector (a single slice of the Identity matrix)
            vjps = vjp_fn(vec)
            # This computes ``J(X1) @ vjps``
            _, jvps = jvp(func_x2, (params,), vjps)
            return jvps

        # Here's our identity matrix
        basis = torch.eye(output.numel(), dtype=output.dtype, device=output.device).view(output.numel(), -1)
        return vmap(get_ntk_slice)(basis)

    # ``get_ntk(x1, x2)`` computes the NTK for a single data point x1, x2
    # Since the x1, x2 inputs to ``empirical_ntk_ntk_vps`` are batched,
    # we actually wish to compute the NTK between every pair of data points
    # between {x1} and {x2}. That's what the ``vmaps`` here do.
    result = vmap(vmap(get_ntk, (None, 0)), (0, None))(x1, x2)

    if compute == "full":
        return result
    if compute == "trace":
        return torch.einsum("NMKK->NM", result)
    if compute == "diagonal":
        return torch.einsum("NMKK->NMK", result)


result_from_ntk_vps = empirical_ntk_ntk_vps(fnet_single, params, x_train[:3], x_test[:2])
result_from_jacobian_contraction = empirical_ntk_jacobian_contraction(fnet_single, params, x_train[:3], x_test[:2])
print("ntk-vp shape:", result_from_ntk_vps.shape)
print("ntk-vp vs contraction:", torch.allclose(result_from_ntk_vps, result_from_jacobian_contraction, atol=1e-4))
trace_vps = empirical_ntk_ntk_vps(fnet_single, params, x_train[:3], x_test[:2], "trace")
print(trace_vps)

try:
    empirical_ntk_jacobian_contraction(fnet_single, params, x_train, x_test, "bogus")
except ValueError as e:
    print("ValueError", e)
try:
    vmap(jacrev(fnet_single), (None, 0))(params, x_train[0, 0])
except Exception as e:
    print(type(e).__name__, e)
