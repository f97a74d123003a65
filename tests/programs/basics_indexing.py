"""Indexing and slicing the NumPy way: basic slices, negative steps replaced by flip, None/Ellipsis,
integer-array and boolean-mask indexing, assignment through indices, masked_fill, where, nonzero,
and the usual indexing mistakes."""
import tensorgraft as torch

torch.manual_seed(0)
x = torch.arange(24).reshape(4, 6)
print(x)
print(x[1], x[1, 2], x[-1, -1])
print(x[1:3])
print(x[:, 1:5:2])
print(x[..., 0])
print(x[None].shape, x[:, None].shape, x[..., None].shape)
print(x[1:2, None, 3:])
print(x[[0, 2]])
print(x[[0, 2], [1, 3]])
print(x[torch.tensor([[0, 1], [2, 3]])].shape)
print(x[:, [0, -1]])
print(x[torch.tensor([3, 0]), 2:4])
print(x[x > 15])
print(x[x % 5 == 0])
mask = torch.tensor([True, False, True, False])
print(x[mask])
print(x[mask, 1])
print(x.flip(0))
print(x.flip(-1)[0])
print(x[1][2].item())

y = torch.zeros(3, 4)
y[0] = 1
y[1, 1:3] = torch.tensor([5.0, 6.0])
y[:, -1] = torch.tensor([7.0, 8.0, 9.0])
y[y == 0] = -1
y[[2, 2], [0, 1]] = 4
print(y)

z = torch.arange(6.0)
print(z.masked_fill(z > 2, 0.0))
print(z.masked_fill(torch.tensor([True, False, True, False, False, False]), float("-inf")))
z.masked_fill_(z < 2, -5)
print(z)
print(torch.where(z > 2, z, torch.zeros_like(z)))
print(torch.where(z > 2, z, 0.0))
print(torch.where(z > 2, 1, 0))
print(torch.where(torch.tensor([[True, False], [False, True]])))
print(torch.nonzero(torch.tensor([[0, 1], [2, 0]])))
print(torch.nonzero(torch.tensor([0, 3, 0, 4]), as_tuple=True))
print(torch.tensor([1, 0, 2]).nonzero().squeeze())
print(torch.argwhere(torch.tensor([[0, 1], [1, 1]])))
print(torch.masked_select(x, x > 20))
print(torch.index_select(x, 1, torch.tensor([0, 5])))
print(torch.take(x, torch.tensor([0, 7, 23])))
print(x.narrow(1, 2, 3))
print(x.select(0, 2))
print(torch.tensor([3, 1, 2])[torch.tensor([True, False, True])])
print(x[0, torch.tensor(2)], x[torch.tensor(1)].shape)
print(x[x.sum(1) > 30].shape)
b = torch.arange(10)
b[b > 5] += 100
print(b)
c = torch.arange(5.0)
c[1:3] *= 10
print(c)
print(c[c != c].numel())

for bad in [lambda: x[4],
            lambda: x[0, 6],
            lambda: x[:, torch.tensor([0, 6])],
            lambda: x[torch.tensor([True, False])],
            lambda: x[1.5],
            lambda: x[0, 0, 0],
            lambda: x.index_select(0, torch.tensor([1.0])),
            lambda: x.masked_fill(x, 0),
            lambda: torch.where(x > 2, x, torch.zeros(3))]:
    try:
        print(bad())
    except Exception as e:
        print(type(e).__name__, e)
