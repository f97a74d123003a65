"""'Fusing Convolution and Batch Norm using Custom Function': a conv2d Function whose backward uses
torch.nn.grad.conv2d_input / conv2d_weight, a batch-norm Function with a hand-written backward,
both checked with gradcheck in float64 and then fused into one Function that saves only the conv
input (recomputing the conv output in backward); a FusedConvBN module wrapping it, compared with
the unfused nn.Sequential(Conv2d, BatchNorm2d) on outputs, gradients and a few training steps;
plus the errors a wrong input gives."""
# needs: nn optim
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.autograd.function import once_differentiable


def convolution_backward(grad_out, X, weight):
    # (gradient for the conv input, gradient for the conv weight)
    grad_input = torch.nn.grad.conv2d_input(X.shape, weight, grad_out)
    grad_weight = torch.nn.grad.conv2d_weight(X, weight.shape, grad_out)
    return grad_input, grad_weight


class Conv2D(torch.autograd.Function):
    @staticmethod
    def forward(ctx, X, weight):
        ctx.save_for_backward(X, weight)
        return F.conv2d(X, weight)

    # Use @once_differentiable by default unless we intend to double backward
    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out):
        X, weight = ctx.saved_tensors
        return convolution_backward(grad_out, X, weight)


weight = torch.rand(5, 3, 3, 3, requires_grad=True, dtype=torch.double)
X = torch.rand(10, 3, 7, 7, requires_grad=True, dtype=torch.double)
print("conv gradcheck:", torch.autograd.gradcheck(Conv2D.apply, (X, weight)))
out = Conv2D.apply(X, weight)
print(out.shape, out.dtype, out.grad_fn.name())


def unsqueeze_all(t):
    # Helper function to unsqueeze all the dimensions that we reduce over
    return t[None, :, None, None]


def batch_norm_backward(grad_out, X, sum, sqrt_var, N, eps):
    # We use the formula: out = (X - mean(X)) / (sqrt(var(X)) + eps)
    # in batch norm 2d's forward. To simplify our derivation, we follow the
    # chain rule and compute the gradients as follows before accumulating
    # them all into a final grad_input.
    #  1) 'grad of out wrt var(X)' * 'grad of var(X) wrt X'
    #  2) 'grad of out wrt mean(X)' * 'grad of mean(X) wrt X'
    #  3) 'grad of out wrt X in the numerator' * 'grad of X wrt X'
    # We then rewrite the formulas to use as few extra buffers as possible
    tmp = ((X - unsqueeze_all(sum) / N) * grad_out).sum(dim=(0, 2, 3))
    tmp *= -1
    d_denom = tmp / (sqrt_var + eps) ** 2  # d_denom = -num / denom**2
    # It is useful to delete tensors when you no longer need them with `del`
    # For example, we could've done `del tmp` here because we won't use it later
    # In this case, it's not a big difference because tmp only has size of (C,)
    # The important thing is avoid allocating NCHW-sized tensors unnecessarily
    d_var = d_denom / (2 * sqrt_var)  # denom = torch.sqrt(var) + eps
    # Compute d_mean_dx before allocating the final NCHW-sized grad_input buffer
    d_mean_dx = grad_out / unsqueeze_all(sqrt_var + eps)
    d_mean_dx = unsqueeze_all(-d_mean_dx.sum(dim=(0, 2, 3)) / N)
    # d_var_dx = 2 * (X - mean) / N
    grad_input = X * unsqueeze_all(d_var * N)
    grad_input += unsqueeze_all(-d_var * sum)
    grad_input *= 2 / ((N - 1) * N)
    # (mean / sqrt(var) part)
    grad_input += d_mean_dx
    # (X / sqrt(var) part, using the chain rule)
    grad_input *= unsqueeze_all(sqrt_var + eps)
    grad_input += grad_out
    grad_input /= unsqueeze_all(sqrt_var + eps)  # sqrt_var + eps > 0!
    return grad_input


class BatchNorm(torch.autograd.Function):
    @staticmethod
    def forward(ctx, X, eps=1e-3):
        # Don't save keepdim'd values for backward
        sum = X.sum(dim=(0, 2, 3))
        var = X.var(unbiased=True, dim=(0, 2, 3))
        N = X.numel() / X.size(1)
        sqrt_var = torch.sqrt(var)
        ctx.save_for_backward(X)
        ctx.eps = eps
        ctx.sum = sum
        ctx.N = N
        ctx.sqrt_var = sqrt_var
        mean = sum / N
        denom = sqrt_var + eps
        out = X - unsqueeze_all(mean)
        out /= unsqueeze_all(denom)
        return out

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out):
        X, = ctx.saved_tensors
        return batch_norm_backward(grad_out, X, ctx.sum, ctx.sqrt_var, ctx.N, ctx.eps)


a = torch.rand(1, 2, 3, 4, requires_grad=True, dtype=torch.double)
print("batch norm gradcheck:", torch.autograd.gradcheck(BatchNorm.apply, (a,), fast_mode=False))


class FusedConvBN2DFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, X, conv_weight, eps=1e-3):
        assert X.ndim == 4  # N, C, H, W
        # (1) Only need to save this single buffer for backward!
        ctx.save_for_backward(X, conv_weight)

        # (2) Exact same Conv2D forward from example above
        X = F.conv2d(X, conv_weight)
        # (3) Exact same BatchNorm2D forward from example above
        sum = X.sum(dim=(0, 2, 3))
        var = X.var(unbiased=True, dim=(0, 2, 3))
        N = X.numel() / X.size(1)
        sqrt_var = torch.sqrt(var)
        ctx.eps = eps
        ctx.sum = sum
        ctx.N = N
        ctx.sqrt_var = sqrt_var
        mean = sum / N
        denom = sqrt_var + eps
        # Try to do as many things in-place as possible
        # Instead of `out = (X - a) / b`, doing `out = X - a; out /= b`
        # avoids allocating one extra NCHW-sized buffer here
        out = X - unsqueeze_all(mean)
        out /= unsqueeze_all(denom)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        X, conv_weight, = ctx.saved_tensors
        # (4) Batch norm backward
        # (5) We need to recompute conv
        X_conv_out = F.conv2d(X, conv_weight)
        grad_out = batch_norm_backward(grad_out, X_conv_out, ctx.sum, ctx.sqrt_var,
                                       ctx.N, ctx.eps)
        # (6) Conv2d backward
        grad_X, grad_weight = convolution_backward(grad_out, X, conv_weight)
        return grad_X, grad_weight, None


weight = torch.rand(5, 3, 3, 3, requires_grad=True, dtype=torch.double)
X = torch.rand(2, 3, 4, 4, requires_grad=True, dtype=torch.double)
print("fused gradcheck:", torch.autograd.gradcheck(FusedConvBN2DFunction.apply, (X, weight)))


class FusedConvBN(nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size, exp_avg_factor=0.1,
                 eps=1e-3, device=None, dtype=None):
        super().__init__()
        factory_kwargs = {"device": device, "dtype": dtype}
        # Conv parameters
        weight_shape = (out_channels, in_channels, kernel_size, kernel_size)
        self.conv_weight = nn.Parameter(torch.empty(*weight_shape, **factory_kwargs))
        # Batch norm parameters
        num_features = out_channels
        self.num_features = num_features
        self.eps = eps
        # Initialize
        self.reset_parameters()

    def forward(self, X):
        return FusedConvBN2DFunction.apply(X, self.conv_weight, self.eps)

    def reset_parameters(self) -> None:
        nn.init.kaiming_uniform_(self.conv_weight, a=5 ** 0.5)


torch.manual_seed(0)
fused = FusedConvBN(3, 4, 3, dtype=torch.double)
unfused = nn.Sequential(nn.Conv2d(3, 4, 3, bias=False, dtype=torch.double),
                        nn.BatchNorm2d(4, affine=False, eps=1e-3, dtype=torch.double))
with torch.no_grad():
    unfused[0].weight.copy_(fused.conv_weight)
print(fused)
print(unfused)
print([(n, tuple(p.shape)) for n, p in fused.named_parameters()])
print([(n, tuple(p.shape)) for n, p in unfused.named_parameters()])
print(list(unfused.state_dict().keys()))

X = torch.randn(4, 3, 6, 6, dtype=torch.double)
a = fused(X)
b = unfused(X)
print(a.shape, a.grad_fn.name(), b.grad_fn.name())
# the tutorial's batch norm divides by (std + eps) with the unbiased variance: close, not equal
print(f"max |fused - unfused| = {(a - b).abs().max().item():.4f}")
print(a[0, 0])
a.pow(2).sum().backward()
print(fused.conv_weight.grad[0, 0])
print(unfused[1].running_mean)
print(unfused[1].num_batches_tracked)

# a few SGD steps on each: same direction of travel
torch.manual_seed(0)
target = torch.randn(4, 4, 4, 4, dtype=torch.double)
for model in [fused, unfused]:
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    losses = []
    for _ in range(4):
        opt.zero_grad()
        loss = F.mse_loss(model(X), target)
        loss.backward()
        opt.step()
        losses.append(f"{loss.item():.4f}")
    print(type(model).__name__, losses)

# common mistakes
for bad in [lambda: fused(torch.randn(3, 6, 6, dtype=torch.double)),
            lambda: fused(torch.randn(2, 3, 6, 6)),
            lambda: torch.autograd.gradcheck(Conv2D.apply, (torch.rand(1, 3, 4, 4, requires_grad=True),
                                                           torch.rand(2, 3, 3, 3, requires_grad=True)))]:
    try:
        bad()
        print("no error")
    except Exception as e:
        print(type(e).__name__, str(e).splitlines()[0] if str(e) else "")
