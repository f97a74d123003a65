"""'Datasets & DataLoaders' tutorial patterns: a custom map-style Dataset, TensorDataset,
DataLoader with batch_size / shuffle (seeded generator) / drop_last / collate_fn, random_split,
Subset, ConcatDataset, WeightedRandomSampler, BatchSampler, SequentialSampler, RandomSampler,
an IterableDataset, default_collate on dicts/tuples/numbers, and the errors of common mistakes."""
import random

import tensorgraft as torch
from tensorgraft.utils.data import (BatchSampler, ConcatDataset, DataLoader, Dataset, IterableDataset,
                                    RandomSampler, SequentialSampler, Subset, TensorDataset,
                                    WeightedRandomSampler, default_collate, random_split)

torch.manual_seed(0)
random.seed(0)


class SquaresDataset(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, idx):
        x = torch.tensor([float(idx)])
        return {"x": x, "y": x ** 2, "idx": idx, "name": f"item{idx}"}


ds = SquaresDataset(10)
print(len(ds), ds[3])
loader = DataLoader(ds, batch_size=4)
print(len(loader))
for batch in loader:
    print(sorted(batch.keys()), batch["x"].shape, batch["idx"], batch["name"])
    print(batch["y"].view(-1))

X = torch.arange(20, dtype=torch.float32).reshape(10, 2)
Y = torch.arange(10) % 3
tds = TensorDataset(X, Y)
print(tds[2], len(tds), tds.tensors[1].dtype)
g = torch.Generator()
g.manual_seed(42)
loader = DataLoader(tds, batch_size=3, shuffle=True, generator=g, drop_last=True)
print(len(loader))
for epoch in range(2):
    print("epoch", epoch, [yb.tolist() for _, yb in loader])
xb, yb = next(iter(DataLoader(tds, batch_size=4, shuffle=False)))
print(xb, yb)
print(len(DataLoader(tds, batch_size=3)), len(DataLoader(tds, batch_size=3, drop_last=True)))

# A collate_fn for variable-length sequences.
seqs = [torch.arange(n) for n in [3, 1, 4, 2]]


def pad_collate(batch):
    lengths = torch.tensor([len(s) for s in batch])
    padded = torch.nn.utils.rnn.pad_sequence(batch, batch_first=True, padding_value=-1)
    return padded, lengths


for padded, lengths in DataLoader(seqs, batch_size=2, collate_fn=pad_collate):
    print(padded, lengths)
print(next(iter(DataLoader(seqs, batch_size=None))))
print(next(iter(DataLoader([(1, 2.5, "a"), (3, 4.5, "b")], batch_size=2))))

# random_split / Subset / ConcatDataset.
train, val = random_split(tds, [0.8, 0.2], generator=torch.Generator().manual_seed(0))
print(type(train).__name__, len(train), len(val), train.indices, val.indices)
a, b, c = random_split(range(10), [5, 3, 2], generator=torch.Generator().manual_seed(1))
print(list(a), list(b), list(c))
try:
    random_split(range(10), [5, 4])
except Exception as e:
    print(type(e).__name__, e)
sub = Subset(tds, [0, 2, 4])
print(len(sub), sub[1], sub.indices)
cat = ConcatDataset([sub, Subset(tds, [9])])
print(len(cat), cat[3], cat.cumulative_sizes)
print((sub + Subset(tds, [8]))[3][1])

# Samplers.
print(list(SequentialSampler(range(5))))
print(list(RandomSampler(range(6), generator=torch.Generator().manual_seed(3))))
print(list(RandomSampler(range(6), replacement=True, num_samples=4, generator=torch.Generator().manual_seed(3))))
weights = [0.1, 0.1, 0.1, 5.0, 0.1]
wrs = WeightedRandomSampler(weights, num_samples=8, replacement=True, generator=torch.Generator().manual_seed(0))
print(list(wrs), len(wrs))
print(list(WeightedRandomSampler([1.0, 2.0, 3.0], 3, replacement=False, generator=torch.Generator().manual_seed(5))))
print(list(BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=False)))
print(list(BatchSampler(range(10), batch_size=3, drop_last=True)))
bs = BatchSampler(RandomSampler(range(7), generator=torch.Generator().manual_seed(2)), batch_size=2, drop_last=False)
loader = DataLoader(tds, batch_sampler=bs)
print(len(loader), [y.tolist() for _, y in loader])
loader = DataLoader(tds, sampler=wrs, batch_size=4)
print([y.tolist() for _, y in loader])

# Class-balanced sampling (imbalanced dataset recipe).
labels = torch.tensor([0, 0, 0, 0, 0, 0, 1, 1])
class_count = torch.bincount(labels)
sample_weights = 1.0 / class_count[labels].float()
print(class_count, sample_weights)
sampler = WeightedRandomSampler(sample_weights, num_samples=len(labels), generator=torch.Generator().manual_seed(7))
print(list(sampler))


class Countdown(IterableDataset):
    def __init__(self, start):
        self.start = start

    def __iter__(self):
        return iter(range(self.start, 0, -1))


print([b.tolist() for b in DataLoader(Countdown(7), batch_size=3)])
print([b.tolist() for b in DataLoader(Countdown(7), batch_size=3, drop_last=True)])

print(default_collate([{"a": 1, "b": torch.tensor([1.0])}, {"a": 2, "b": torch.tensor([2.0])}]))
print(default_collate([(torch.zeros(2), 1.5), (torch.ones(2), 2.5)]))
print(default_collate([True, False]), default_collate([[1, 2], [3, 4]]))

# Common mistakes.
for bad in [lambda: DataLoader(tds, batch_size=0),
            lambda: DataLoader(tds, shuffle=True, sampler=SequentialSampler(tds)),
            lambda: DataLoader(tds, batch_sampler=bs, batch_size=4),
            lambda: DataLoader(tds, batch_size=2, drop_last=True, batch_sampler=bs),
            lambda: DataLoader(Countdown(3), shuffle=True),
            lambda: TensorDataset(torch.zeros(3), torch.zeros(4)),
            lambda: WeightedRandomSampler([1.0, 2.0], num_samples=0),
            lambda: WeightedRandomSampler([1.0, 2.0], num_samples=3, replacement=False),
            lambda: next(iter(DataLoader([torch.zeros(2), torch.zeros(3)], batch_size=2))),
            lambda: next(iter(DataLoader([object(), object()], batch_size=2))),
            lambda: len(DataLoader(Countdown(3))),
            lambda: tds[10],
            lambda: BatchSampler(range(3), batch_size=-1, drop_last=False)]:
    try:
        r = bad()
        print("no error", type(r).__name__)
    except Exception as e:
        msg = str(e).replace("tensorgraft", "torch")
        print(type(e).__name__, msg.splitlines()[0] if msg else msg)
