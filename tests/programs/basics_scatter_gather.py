"""gather/scatter/scatter_add/scatter_reduce/index_add/index_copy/index_fill/index_put and masked
ops as used for one-hot encodings, picking per-row labels and segment sums; with their errors."""
# needs: nn
import tensorgraft as torch

torch.manual_seed(0)
logits = torch.tensor([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.2, 0.6]])
labels = torch.tensor([1, 0, 2])
print(logits.gather(1, labels.unsqueeze(1)))
print(torch.gather(logits, 1, labels.view(-1, 1)).squeeze(1))
print(logits.gather(0, torch.tensor([[2, 1, 0]])))
print(logits[torch.arange(3), labels])

one_hot = torch.zeros(3, 4).scatter_(1, labels.unsqueeze(1), 1.0)
print(one_hot)
print(torch.zeros(3, 4, dtype=torch.long).scatter(1, labels.unsqueeze(1), 1))
print(torch.nn.functional.one_hot(labels, num_classes=4))
print(torch.zeros(2, 5).scatter(1, torch.tensor([[0, 2], [4, 1]]), torch.tensor([[1.0, 2.0], [3.0, 4.0]])))
print(torch.zeros(5).scatter_add(0, torch.tensor([0, 1, 0, 3]), torch.tensor([1.0, 2.0, 3.0, 4.0])))
seg = torch.tensor([0, 0, 1, 2, 2, 2])
vals = torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
print(torch.zeros(3).scatter_add_(0, seg, vals))
print(torch.zeros(3).scatter_reduce(0, seg, vals, reduce="amax"))
print(torch.zeros(3).scatter_reduce(0, seg, vals, reduce="mean", include_self=False))
print(torch.ones(3).scatter_reduce(0, seg, vals, reduce="prod"))
print(torch.zeros(3, 2).scatter(0, torch.tensor([[1, 2]]), 5.0, reduce="add"))

acc = torch.zeros(3, 2)
acc.index_add_(0, torch.tensor([0, 2, 0]), torch.ones(3, 2))
print(acc)
print(torch.zeros(2, 3).index_add(1, torch.tensor([0, 2]), torch.tensor([[1.0, 2.0], [3.0, 4.0]]), alpha=10))
print(torch.zeros(3, 2).index_copy(0, torch.tensor([2, 0]), torch.tensor([[1.0, 2.0], [3.0, 4.0]])))
print(torch.zeros(2, 3).index_fill(1, torch.tensor([0, 2]), -1.0))
t = torch.zeros(3, 3)
t.index_put_((torch.tensor([0, 2]), torch.tensor([1, 1])), torch.tensor(7.0))
print(t)
t.index_put_((torch.tensor([0, 0]), torch.tensor([1, 1])), torch.tensor([1.0, 1.0]), accumulate=True)
print(t)
print(torch.zeros(4).put_(torch.tensor([1, 3]), torch.tensor([9.0, 8.0])))
print(torch.zeros(2, 3).masked_scatter(torch.tensor([[True, False, True], [False, True, False]]), torch.arange(1.0, 7.0)))
print(torch.take_along_dim(logits, logits.argmax(1, keepdim=True), dim=1))
print(torch.diagonal(logits), logits.diag_embed().shape, torch.diag_embed(torch.tensor([1, 2])))
print(torch.select_scatter(torch.zeros(2, 2), torch.ones(2), 0, 0))
print(torch.slice_scatter(torch.zeros(4), torch.ones(2), start=2))

w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
g = w.gather(0, torch.tensor([2, 2, 0]))
print(g)
g.sum().backward()
print(w.grad)
s = torch.zeros(3).scatter_add(0, torch.tensor([1, 1, 2]), w)
print(s)
ia = torch.zeros(2).index_add(0, torch.tensor([0, 1, 0]), w)
print(ia)

for bad in [lambda: torch.zeros(3, 2).index_add_(0, torch.tensor([0, 1]), torch.ones(2, 2, dtype=torch.float64)),
            lambda: torch.zeros(3).index_add_(0, torch.tensor([0.0]), torch.ones(1)),
            lambda: logits.gather(1, torch.tensor([[3]])),
            lambda: logits.gather(1, torch.tensor([1, 0, 2])),
            lambda: logits.gather(1, torch.tensor([[1]], dtype=torch.int32)),
            lambda: torch.zeros(3).scatter_(0, torch.tensor([5]), 1.0),
            lambda: torch.zeros(3).scatter_add(0, torch.tensor([0]), torch.ones(1, dtype=torch.int64)),
            lambda: torch.zeros(3).scatter_reduce(0, seg, vals, reduce="max"),
            lambda: torch.zeros(3).index_fill(0, torch.tensor([3]), 1.0),
            lambda: torch.zeros(3, 2).index_copy(0, torch.tensor([0]), torch.ones(2)),
            lambda: torch.nn.functional.one_hot(torch.tensor([1.0])),
            lambda: logits.index_select(1, torch.tensor([0, 3])),
            lambda: logits.index_select(0, torch.tensor([3])),
            lambda: torch.zeros(3, 2).index_add(0, torch.tensor([-1]), torch.ones(1, 2)),
            lambda: torch.zeros(3, 2).index_copy(0, torch.tensor([0, 5]), torch.ones(2, 2)),
            lambda: torch.zeros(3).scatter_reduce(0, seg, vals, reduce="max")]:
    try:
        print(bad())
    except Exception as e:
        print(type(e).__name__, e)
