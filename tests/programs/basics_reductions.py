"""Reductions and their named-tuple results: sum/mean/prod/std/var (unbiased, correction), max/min
with and without dim, argmax/argmin, keepdim, amax/amin, median/mode, logsumexp, norm, all/any,
count_nonzero, cumsum/cumprod/cummax, sort/argsort/topk/kthvalue/unique/unique_consecutive,
and the printing of torch.return_types."""
import tensorgraft as torch

torch.manual_seed(0)
x = torch.tensor([[3.0, 1.0, 4.0, 1.0], [5.0, 9.0, 2.0, 6.0], [5.0, 3.0, 7.0, 8.0]])
print(x.sum(), x.sum(0), x.sum(dim=1, keepdim=True), x.sum((0, 1)))
print(x.mean(), x.mean(1), torch.mean(x, dim=0, keepdim=True))
print(x.prod(1), x.std(), x.var(), x.std(0), x.var(1, unbiased=False), x.std(1, correction=0))
print(torch.std_mean(x, dim=1))
print(torch.var_mean(x))
print(x.max())
print(x.max(dim=1))
print(x.max(0, keepdim=True))
print(x.min(1))
values, indices = torch.max(x, 1)
print(values, indices)
m = x.max(1)
print(m.values, m.indices, m[0], type(m).__name__, len(m))
print(x.argmax(), x.argmax(1), x.argmin(0, keepdim=True), x.amax(1), x.amin(dim=(0, 1)))
print(torch.max(x, torch.full_like(x, 4.0)))
print(x.median(), x.median(1))
print(x.mode(1))
print(torch.nanmedian(torch.tensor([1.0, float("nan"), 3.0])))
print(x.logsumexp(1), x.norm(), x.norm(dim=1), torch.linalg.vector_norm(x, ord=1), x.norm(p=1, dim=0))
print((x > 4).all(), (x > 4).any(1), x.all(), torch.count_nonzero(x > 4, dim=0), (x > 4).sum(1))
print(x.cumsum(1), x.cumprod(0)[-1], torch.cummax(torch.tensor([1, 3, 2, 5, 4]), 0))
print(torch.cummin(torch.tensor([3.0, 1.0, 2.0]), dim=0))
print(x.aminmax())
print(torch.aminmax(x, dim=0))

s = torch.sort(x, dim=1)
print(s)
print(torch.sort(x[0], descending=True, stable=True))
print(x.argsort(1, descending=True), torch.msort(x))
print(torch.topk(x, 2))
print(x.topk(1, dim=0, largest=False))
print(torch.kthvalue(x, 2, 1))
print(torch.unique(torch.tensor([3, 1, 2, 3, 1])))
print(torch.unique(torch.tensor([3, 1, 2, 3, 1]), return_counts=True))
print(torch.unique(torch.tensor([3, 1, 2, 3, 1]), return_inverse=True, return_counts=True))
print(torch.unique(torch.tensor([[1, 2], [1, 2], [0, 5]]), dim=0))
print(torch.unique_consecutive(torch.tensor([1, 1, 2, 2, 3, 1, 1]), return_counts=True))
print(torch.unique(torch.tensor([float("nan"), 1.0, float("nan"), 1.0])), torch.tensor([True, False, True]).max(0))
print(torch.tensor([1, 4, 2]).bincount(), torch.histc(torch.tensor([1.0, 2.0, 1.0]), bins=4, min=0, max=3))
print(torch.searchsorted(torch.tensor([1, 3, 5, 7]), torch.tensor([3, 6])), torch.bucketize(torch.tensor([2, 6]), torch.tensor([1, 5])))

r = torch.randn(4, 5)
print(r)
print(r.max(1))
print(r.sort(0).indices)
print(torch.tensor([]).sum(), torch.tensor([]).mean(), torch.zeros(0, 3).sum(0), torch.tensor([], dtype=torch.int64).prod())
print(torch.tensor([1, 2, 3]).float().var(), torch.tensor([2.0]).std(), torch.tensor([2.0]).var(correction=0))
print(torch.tensor([1, 2, 3, 4]).sum(dtype=torch.float64), torch.tensor([True, False, True]).sum(), torch.tensor([1, 3]).float().mean())

for bad in [lambda: torch.tensor([1, 2, 3]).mean(),
            lambda: x.max(2),
            lambda: torch.tensor([]).max(),
            lambda: x.topk(5),
            lambda: x.kthvalue(0, 1),
            lambda: torch.tensor([1, 2]).std(),
            lambda: x.sum(dim=3),
            lambda: torch.zeros(0, 3).argmax(0),
            lambda: x.max(1).vals,
            lambda: torch.tensor([True, False]).argmax(),
            lambda: torch.tensor([True, False]).topk(1),
            lambda: x.mean(dtype=torch.int64),
            lambda: torch.tensor([1.0, 2.0]).item()]:
    try:
        print(bad())
    except Exception as e:
        print(type(e).__name__, e)
