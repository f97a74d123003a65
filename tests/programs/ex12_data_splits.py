"""torch.utils.data plumbing from the "Datasets & DataLoaders" tutorial and imbalanced-data blog
posts: random_split with counts and fractions, Subset, ConcatDataset, WeightedRandomSampler for
class balancing, SubsetRandomSampler / BatchSampler, default_collate of dicts, tuples, namedtuples
and strings, drop_last, and the errors of common mistakes."""
import collections
import random

import tensorgraft as torch
from tensorgraft.utils.data import (BatchSampler, ConcatDataset, DataLoader, Dataset, RandomSampler,
                                    SequentialSampler, Subset, SubsetRandomSampler, TensorDataset,
                                    WeightedRandomSampler, default_collate, random_split)

torch.manual_seed(0)
random.seed(0)

X = torch.arange(20, dtype=torch.float32).reshape(10, 2)
y = torch.tensor([0, 0, 0, 0, 0, 0, 0, 1, 1, 2])
ds = TensorDataset(X, y)
print(len(ds), ds[3])

train, val = random_split(ds, [8, 2], generator=torch.Generator().manual_seed(42))
print(type(train).__name__, len(train), len(val), train.indices, val.indices)
a, b, c = random_split(range(10), [0.5, 0.3, 0.2], generator=torch.Generator().manual_seed(1))
print([len(s) for s in (a, b, c)], list(a), list(b), list(c))
uneven = random_split(range(7), [0.5, 0.5], generator=torch.Generator().manual_seed(0))
print("uneven fractions:", [list(s) for s in uneven])

sub = Subset(ds, [1, 3, 5])
print("subset", len(sub), sub[2], sub.dataset is ds)
both = ConcatDataset([sub, val])
print("concat", len(both), both.cumulative_sizes, both[4][1])
print("concat via +", len(sub + val))

# class-balanced sampling: weight each sample by 1 / its class count
counts = torch.bincount(y)
weights = 1.0 / counts[y].double()
print("class counts", counts, "weights", weights)
sampler = WeightedRandomSampler(weights, num_samples=12, replacement=True,
                                generator=torch.Generator().manual_seed(7))
drawn = list(sampler)
print("drawn", drawn, "labels", torch.bincount(y[drawn], minlength=3))
print(len(sampler))
no_repl = list(WeightedRandomSampler([0.1, 0.9, 0.4, 0.0], 3, replacement=False,
                                     generator=torch.Generator().manual_seed(0)))
print("without replacement", no_repl)

print(list(SubsetRandomSampler([2, 4, 6, 8], generator=torch.Generator().manual_seed(3))))
print(list(BatchSampler(SequentialSampler(range(7)), batch_size=3, drop_last=False)))
print(list(BatchSampler(range(7), batch_size=3, drop_last=True)))
print(list(RandomSampler(range(5), generator=torch.Generator().manual_seed(5))))
print(len(RandomSampler(range(5), replacement=True, num_samples=9)))

loader = DataLoader(ds, batch_size=4, sampler=SubsetRandomSampler(range(10), torch.Generator().manual_seed(0)))
for xb, yb in loader:
    print("batch", xb.shape, yb.tolist())
print("len(loader)", len(loader), len(DataLoader(ds, batch_size=4, drop_last=True)))

# default_collate on the sample types datasets return
Point = collections.namedtuple("Point", ["x", "label"])
print(default_collate([{"img": torch.ones(2), "id": 1, "name": "a"},
                       {"img": torch.zeros(2), "id": 2, "name": "b"}]))
print(default_collate([Point(torch.tensor([1.0]), 0), Point(torch.tensor([2.0]), 1)]))
print(default_collate([(1.5, [1, 2]), (2.5, [3, 4])]))
print(default_collate([True, False]), default_collate([3, 4]).dtype, default_collate([0.5]).dtype)


class Words(Dataset):
    def __init__(self):
        self.words = ["tree", "cat", "sky", "moon", "sun"]

    def __len__(self):
        return len(self.words)

    def __getitem__(self, i):
        return {"word": self.words[i], "len": len(self.words[i]), "vec": torch.full((2,), float(i))}


for batch in DataLoader(Words(), batch_size=2):
    print(batch)

for bad in [lambda: random_split(ds, [5, 4]),
            lambda: random_split(ds, [0.5, 0.6]),
            lambda: TensorDataset(X, y[:5]),
            lambda: DataLoader(ds, batch_size=2, shuffle=True, sampler=SequentialSampler(ds)),
            lambda: DataLoader(ds, batch_sampler=BatchSampler(range(10), 2, False), batch_size=3),
            lambda: WeightedRandomSampler([0.5, 0.5], 3, replacement=False),
            lambda: default_collate([torch.ones(2), torch.ones(3)])]:
    try:
        bad()
    except Exception as e:
        print(type(e).__name__, e)
