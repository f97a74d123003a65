"""Element-wise math beginners print: exp/log/sqrt on edge values giving nan/inf, isnan/isinf/
nan_to_num/nansum/nanmean, rounding modes, sign/abs of negative zero, float16 overflow and
precision, integer overflow wrap-around, comparisons and allclose/isclose/equal, and printing
of the results (including very large and very small values)."""
import math

import tensorgraft as torch

torch.manual_seed(0)
x = torch.tensor([-1.0, 0.0, 1.0, float("inf"), float("nan")])
print(torch.exp(x), torch.log(x), torch.sqrt(x))
print(torch.log1p(x), torch.expm1(x), torch.reciprocal(x), 1 / x)
print(torch.sigmoid(x), torch.tanh(x), torch.relu(x), torch.softmax(torch.tensor([1.0, 2.0, 3.0]), dim=0))
print(x.isnan(), x.isinf(), x.isfinite(), torch.isposinf(x), torch.isneginf(-x))
print(torch.nan_to_num(x), torch.nan_to_num(x, nan=0.0, posinf=100.0, neginf=-100.0))
print(torch.nansum(x), torch.nanmean(torch.tensor([1.0, float("nan"), 3.0])), x.sum(), x.max(), x.min())
print(torch.tensor([0.0]) / torch.tensor([0.0]), torch.tensor([1.0]) / 0, torch.tensor([-1.0]) / 0)
print(torch.tensor([-0.0]).abs(), torch.tensor([-0.0]).sign(), torch.tensor([-0.0]) * 1, -torch.tensor([0.0]))
print(torch.tensor([-0.0, 0.0]).signbit(), torch.copysign(torch.tensor([1.0, 2.0]), torch.tensor([-0.0, 0.0])))

r = torch.tensor([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 2.4999, 1e-8])
print(r.round(), r.floor(), r.ceil(), r.trunc(), r.frac())
print(torch.round(torch.tensor([1.23456, 123.456]), decimals=2), torch.round(torch.tensor([1234.5]), decimals=-2))
print(torch.fmod(torch.tensor([-3.0, 3.0]), 2), torch.remainder(torch.tensor([-3.0, 3.0]), 2))

h = torch.tensor([60000.0, 1e-8, 1.0 + 1e-4, 3.14159], dtype=torch.float16)
print(h, h * 2, h.float(), h.sum(), h.dtype)
print(torch.tensor([70000.0]).half(), torch.tensor([1e-40]), torch.tensor([1e-40], dtype=torch.float64))
print(torch.tensor([1e38]) * 10, torch.tensor([3.4e38], dtype=torch.float64).float())
i8 = torch.tensor([120, -120], dtype=torch.int8)
print(i8 + 10, i8 * 2, torch.tensor([255], dtype=torch.uint8) + 1, torch.tensor([0], dtype=torch.uint8) - 1)
print(torch.tensor([2 ** 62]) * 4, torch.tensor([2 ** 31 - 1], dtype=torch.int32) + 1)
print(torch.tensor([10 ** 18, -10 ** 18]), torch.tensor([123456789012345678]))
print(torch.tensor([1.0, 2.0]) == torch.tensor([1.0, 2.0000001]), torch.equal(torch.tensor([1, 2]), torch.tensor([1, 2])))
print(torch.allclose(torch.tensor([1.0, float("nan")]), torch.tensor([1.0, float("nan")])),
      torch.allclose(torch.tensor([1.0, float("nan")]), torch.tensor([1.0, float("nan")]), equal_nan=True),
      torch.isclose(torch.tensor([1.0, 1.1]), torch.tensor([1.0 + 1e-9, 1.0]), rtol=0.05))
print(torch.tensor([math.pi, math.e]), torch.tensor(math.pi, dtype=torch.float64), torch.tensor([1 / 3], dtype=torch.float64))
print(torch.tensor([1e-3, 1e3]), torch.tensor([1e-4, 1e4]), torch.tensor([0.001, 999.0]), torch.tensor([12345.678]))
print(torch.tensor([1e-20, 1e20], dtype=torch.float64), torch.tensor([5e-324], dtype=torch.float64))
print(torch.tensor([[float("nan"), 1e-5], [float("inf"), -3.25]]))
print(torch.tensor([1.0, -1.0]) * float("inf"), torch.tensor([100.0]).exp(), torch.tensor([-100.0]).exp())
print(torch.logsumexp(torch.tensor([1000.0, 1000.0]), 0), torch.log(torch.exp(torch.tensor([1000.0]))))
print(torch.special.expit(torch.tensor([0.0])), torch.erf(torch.tensor([0.5])), torch.lgamma(torch.tensor([0.5, 10.0])))
print(torch.clamp(torch.tensor([float("nan"), 5.0]), 0, 1), torch.maximum(torch.tensor([float("nan")]), torch.tensor([1.0])),
      torch.fmax(torch.tensor([float("nan")]), torch.tensor([1.0])))
print(torch.tensor([3, -3]) // torch.tensor([2, 2]), torch.tensor([7.0]).pow(0.5), torch.tensor([-8.0]).pow(1 / 3))
print(torch.tensor([True, False]).float().mean(), torch.tensor([1, 2, 3]).float().std(), (torch.arange(5) > 2).sum().item())
print(torch.randn(3).mul(1e6), torch.rand(2).mul(1e-6))
print(torch.tensor([0.1 + 0.2]).item(), torch.tensor([0.1 + 0.2], dtype=torch.float64).item(), float(torch.tensor(0.1)))
print(torch.tensor([1.0, 2.0]).sum().item() == 3.0, round(torch.tensor(2 / 3).item(), 4), int(torch.tensor(3.9)))
