"""Batching variable-length sequences as speech and NLP codebases do: a Sampler subclass that sorts by
length inside shuffled chunks (__iter__/__len__, its own torch.Generator), a bucketing BatchSampler
with drop_last, a collate_fn padding with pad_sequence(batch_first=True, padding_value=...) and
building masks, DataLoader(batch_sampler=...), random_split by counts and by fractions with a
seeded generator, Subset of a Subset and ConcatDataset index bookkeeping, default_collate of dicts
and namedtuples, SubsetRandomSampler and WeightedRandomSampler with generators, and an
IterableDataset that asks get_worker_info() in the main process, chained with ChainDataset."""
import collections

import tensorgraft as torch
from tensorgraft.nn.utils.rnn import pad_sequence
from tensorgraft.utils.data import (BatchSampler, ChainDataset, ConcatDataset, DataLoader, Dataset,
                                    IterableDataset, Sampler, Subset, SubsetRandomSampler,
                                    WeightedRandomSampler, default_collate, get_worker_info,
                                    random_split)

torch.manual_seed(0)
PAD = -1


class Utterances(Dataset):
    def __init__(self, n, offset=0):
        self.lengths = torch.randint(2, 9, (n,)).tolist()
        self.offset = offset

    def __len__(self):
        return len(self.lengths)

    def __getitem__(self, i):
        n = self.lengths[i]
        return {"id": i + self.offset, "tokens": torch.arange(n) + 10 * (i % 3), "label": n % 2}


class SortedChunkSampler(Sampler):
    """Shuffles chunks, then sorts each chunk by length so neighbours pad little."""

    def __init__(self, lengths, chunk, generator=None):
        self.lengths, self.chunk, self.generator = lengths, chunk, generator

    def __iter__(self):
        order = torch.randperm(len(self.lengths), generator=self.generator).tolist()
        for start in range(0, len(order), self.chunk):
            yield from sorted(order[start:start + self.chunk], key=lambda i: self.lengths[i])

    def __len__(self):
        return len(self.lengths)


class BucketBatchSampler(BatchSampler):
    def __init__(self, sampler, lengths, max_tokens, drop_last=False):
        super().__init__(sampler, batch_size=1, drop_last=drop_last)
        self.lengths, self.max_tokens = lengths, max_tokens

    def __iter__(self):
        batch, longest = [], 0
        for idx in self.sampler:
            longest_if_added = max(longest, self.lengths[idx])
            if batch and longest_if_added * (len(batch) + 1) > self.max_tokens:
                yield batch
                batch, longest_if_added = [], self.lengths[idx]
            batch.append(idx)
            longest = longest_if_added
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        return sum(1 for _ in iter(self))


def pad_collate(items):
    tokens = pad_sequence([item["tokens"] for item in items], batch_first=True, padding_value=PAD)
    return {
        "ids": torch.tensor([item["id"] for item in items]),
        "tokens": tokens,
        "mask": tokens != PAD,
        "lengths": torch.tensor([len(item["tokens"]) for item in items]),
        "labels": torch.tensor([item["label"] for item in items]),
    }


data = Utterances(14)
print("lengths:", data.lengths)
print(data[3])
sampler = SortedChunkSampler(data.lengths, chunk=5, generator=torch.Generator().manual_seed(1))
print("sampler order:", list(sampler), len(sampler))
batches = BucketBatchSampler(sampler, data.lengths, max_tokens=16)
print("buckets:", [[data.lengths[i] for i in b] for b in batches])
loader = DataLoader(data, batch_sampler=batches, collate_fn=pad_collate)
print("len(loader):", len(loader), loader.batch_size, loader.drop_last)
for batch in loader:
    t = batch["tokens"]
    print(tuple(t.shape), batch["ids"].tolist(), "padding:", int((~batch["mask"]).sum()), "tokens:", t.numel())
print(batch["tokens"])
print(batch["mask"])
try:
    DataLoader(data, batch_size=4, batch_sampler=batches)
except ValueError as e:
    print("ValueError:", e)

# splits
train, val, test = random_split(data, [8, 4, 2], generator=torch.Generator().manual_seed(42))
print(type(train).__name__, train.indices, val.indices, test.indices)
parts = random_split(range(10), [0.5, 0.3, 0.2], generator=torch.Generator().manual_seed(0))
print([list(p) for p in parts])
try:
    random_split(range(10), [5, 4])
except ValueError as e:
    print("ValueError:", e)
inner = Subset(train, [0, 2, 4])
print("subset of subset:", [inner[i]["id"] for i in range(len(inner))], [train.indices[i] for i in [0, 2, 4]])

more = Utterances(5, offset=100)
both = ConcatDataset([data, more])
print(len(both), both.cumulative_sizes, both[13]["id"], both[14]["id"], both[-1]["id"])
print([both[i]["id"] for i in Subset(both, [0, 14, 18]).indices])
try:
    both[19]
except IndexError as e:
    print("IndexError:", e)

# default collation of dicts and namedtuples
Example = collections.namedtuple("Example", ["x", "y", "name"])
examples = [Example(torch.tensor([float(i), i + 0.5]), i, f"ex{i}") for i in range(3)]
collated = default_collate(examples)
print(type(collated).__name__, collated.x, collated.y, collated.name)
nested = default_collate([{"a": {"b": torch.ones(2) * i, "c": 1.5 * i}, "d": (i, True)} for i in range(2)])
print(nested)
plain = DataLoader(Subset(data, [0, 1, 2, 3]), batch_size=2, collate_fn=lambda b: [x["id"] for x in b])
print(list(plain))

# random samplers
g = torch.Generator().manual_seed(7)
print(list(SubsetRandomSampler([3, 5, 7, 9, 11], generator=g)))
weights = torch.tensor([0.1, 0.1, 5.0, 1.0])
wrs = WeightedRandomSampler(weights, num_samples=8, replacement=True, generator=torch.Generator().manual_seed(3))
print(list(wrs), len(wrs))
print(list(WeightedRandomSampler(weights, 3, replacement=False, generator=torch.Generator().manual_seed(3))))
shuffled = DataLoader(range(10), batch_size=4, shuffle=True, drop_last=True, generator=torch.Generator().manual_seed(5))
print([b.tolist() for b in shuffled], len(shuffled))


class Stream(IterableDataset):
    def __init__(self, start, end):
        self.start, self.end = start, end

    def __iter__(self):
        info = get_worker_info()
        print("worker info:", info)
        lo, hi = self.start, self.end
        if info is not None:
            per = (hi - lo + info.num_workers - 1) // info.num_workers
            lo, hi = lo + info.id * per, min(hi, lo + (info.id + 1) * per)
        return iter({"step": i, "value": torch.tensor(i * 0.5)} for i in range(lo, hi))


stream = DataLoader(Stream(0, 5), batch_size=2)
for b in stream:
    print(b["step"], b["value"])
chained = ChainDataset([Stream(0, 2), Stream(10, 12)])
print([item["step"] for item in chained])
try:
    len(stream)
except TypeError as e:
    print("TypeError:", e)
