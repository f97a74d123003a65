"""Creating tensors the ways users do: tensor/zeros/ones/full/eye/arange/linspace/logspace/empty
shapes, *_like factories, new_* methods, dtype inference from Python data, and common mistakes."""
import tensorgraft as torch

torch.manual_seed(0)

print(torch.tensor(3))
print(torch.tensor(3.0))
print(torch.tensor([1, 2, 3]))
print(torch.tensor([1.0, 2, 3]))
print(torch.tensor([True, False]))
print(torch.tensor([1, 2.5]))
print(torch.tensor([1 + 2j, 3]))
print(torch.tensor([[1, 2], [3, 4]], dtype=torch.float64))
print(torch.tensor([]))
print(torch.tensor([[]]).shape)
print(torch.tensor([]).dtype)

print(torch.zeros(2, 3))
print(torch.zeros((2, 3), dtype=torch.int32))
print(torch.ones(3, dtype=torch.bool))
print(torch.full((2, 2), 7))
print(torch.full((2, 2), 7.5))
print(torch.full((2,), True))
print(torch.full((2, 3), 3.14159, dtype=torch.float64))
print(torch.eye(3))
print(torch.eye(2, 4, dtype=torch.int64))
print(torch.arange(5))
print(torch.arange(1, 4))
print(torch.arange(1, 2.5, 0.5))
print(torch.arange(0, 10, 3))
print(torch.arange(10, 0, -3))
print(torch.arange(5.0))
print(torch.linspace(0, 1, 5))
print(torch.linspace(-10, 10, steps=6))
print(torch.linspace(0, 1, 1))
print(torch.logspace(0, 3, 4))
print(torch.logspace(0, 2, 3, base=2))
print(torch.empty(2, 3).shape, torch.empty(0).shape, torch.empty(2, 0, 3).shape)
print(torch.zeros(2, 0, 3))
print(torch.empty((3, 1)).dtype)

x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
print(torch.zeros_like(x))
print(torch.ones_like(x, dtype=torch.int64))
print(torch.full_like(x, 9))
print(torch.empty_like(x).shape)
print(torch.randn_like(x).shape)
print(torch.randint_like(x, 10).dtype)
print(x.new_zeros(3))
print(x.new_ones((2, 1)))
print(x.new_full((2,), -1))
print(x.new_tensor([5, 6]))
print(x.new_empty(4).shape)

print(torch.zeros(3).dtype, torch.arange(3).dtype, torch.arange(3.0).dtype)
print(torch.get_default_dtype())
torch.set_default_dtype(torch.float64)
print(torch.tensor([1.5]), torch.zeros(1).dtype, torch.arange(0.0, 1.0, 0.5))
torch.set_default_dtype(torch.float32)
print(torch.tensor([1.5]).dtype)

print(torch.randint(0, 10, (3, 3)))
print(torch.randn(2, 3))
print(torch.rand(2))
print(torch.randperm(6))
print(torch.normal(0.0, 1.0, size=(2,)))
print(torch.zeros(2, 2).fill_(3))
print(torch.tril(torch.ones(3, 3)))
print(torch.triu(torch.ones(3, 3), diagonal=1))
print(torch.diag(torch.tensor([1, 2, 3])))
print(torch.diag(torch.arange(9).reshape(3, 3)))
print(torch.zeros(2, 3).size(), torch.zeros(2, 3).size(1), torch.zeros(2, 3).dim(), torch.zeros(2, 3).numel())
print(torch.Size([2, 3]), torch.Size([]), torch.Size([4]))
print(torch.Tensor([1, 2]), torch.FloatTensor([1]), torch.LongTensor([1, 2]))
print(torch.Tensor(2, 3).shape)

for bad in [lambda: torch.tensor([[1, 2], [3]]),
            lambda: torch.arange(0, 10, 0),
            lambda: torch.zeros(-1),
            lambda: torch.linspace(0, 1, -1),
            lambda: torch.tensor([1, 2], dtype="float32"),
            lambda: torch.full((2,), 1.5, dtype=torch.int64).sum(),
            lambda: torch.eye(-2),
            lambda: torch.randint(5, 2, (3,))]:
    try:
        print(bad())
    except Exception as e:
        print(type(e).__name__, e)
