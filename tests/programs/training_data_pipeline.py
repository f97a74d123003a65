"""A data pipeline as real training scripts build one: a map-style Dataset with composed transform
objects, a custom Sampler and a length-bucketing BatchSampler subclass, a collate_fn that pads
sequences and builds masks, worker processes (num_workers=2) seeded through worker_init_fn and
torch.initial_seed(), an IterableDataset sharded with get_worker_info(), persistent workers across
epochs, and the batches, shapes and dtypes a user prints to check it all."""
import random

import numpy as np

import tensorgraft as torch
from tensorgraft.utils.data import (BatchSampler, DataLoader, Dataset, IterableDataset, Sampler,
                                    SequentialSampler, get_worker_info)

torch.manual_seed(0)
random.seed(0)
np.random.seed(0)


class Normalize:
    def __init__(self, mean, std):
        self.mean, self.std = mean, std

    def __call__(self, x):
        return (x - self.mean) / self.std


class AddNoise:
    def __init__(self, scale):
        self.scale = scale

    def __call__(self, x):
        return x + self.scale * torch.randn_like(x)


class Compose:
    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x

    def __repr__(self):
        return f"Compose({[type(t).__name__ for t in self.transforms]})"


class SequenceDataset(Dataset):
    """Sequences of varying length with an integer label."""

    def __init__(self, n, transform=None):
        g = torch.Generator().manual_seed(123)
        self.lengths = torch.randint(2, 7, (n,), generator=g).tolist()
        self.data = [torch.randn(length, 3, generator=g) for length in self.lengths]
        self.labels = torch.randint(0, 4, (n,), generator=g)
        self.transform = transform

    def __len__(self):
        return len(self.data)

    def __getitem__(self, idx):
        x = self.data[idx]
        if self.transform is not None:
            x = self.transform(x)
        return x, self.labels[idx]


def pad_collate(batch):
    seqs, labels = zip(*batch)
    lengths = torch.tensor([len(s) for s in seqs])
    padded = torch.zeros(len(seqs), int(lengths.max()), seqs[0].shape[1])
    for i, s in enumerate(seqs):
        padded[i, : len(s)] = s
    mask = torch.arange(int(lengths.max()))[None, :] < lengths[:, None]
    return padded, mask, torch.stack(labels), lengths


class EveryOtherSampler(Sampler):
    """Even indices first, then odd ones."""

    def __init__(self, data_source):
        self.n = len(data_source)

    def __iter__(self):
        return iter(list(range(0, self.n, 2)) + list(range(1, self.n, 2)))

    def __len__(self):
        return self.n


class BucketBatchSampler(BatchSampler):
    """Batches of indices with similar sequence lengths (sorted within chunks)."""

    def __init__(self, lengths, batch_size, generator):
        super().__init__(SequentialSampler(lengths), batch_size, drop_last=False)
        self.lengths, self.generator = lengths, generator

    def __iter__(self):
        order = torch.randperm(len(self.lengths), generator=self.generator).tolist()
        order.sort(key=lambda i: self.lengths[i])
        batches = [order[i:i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        for k in torch.randperm(len(batches), generator=self.generator).tolist():
            yield batches[k]


transform = Compose([Normalize(0.0, 2.0), AddNoise(0.0)])
print(transform)
ds = SequenceDataset(10, transform=transform)
print(len(ds), ds.lengths, ds.labels)
x0, y0 = ds[0]
print(x0.shape, x0.dtype, y0, y0.dtype)

loader = DataLoader(ds, batch_size=4, sampler=EveryOtherSampler(ds), collate_fn=pad_collate)
print(len(loader))
for padded, mask, labels, lengths in loader:
    print(padded.shape, mask.sum(dim=1).tolist(), lengths.tolist(), labels.tolist(), mask.dtype)

bucket = BucketBatchSampler(ds.lengths, batch_size=3, generator=torch.Generator().manual_seed(5))
print(len(bucket), list(bucket))
bucket_loader = DataLoader(ds, batch_sampler=bucket, collate_fn=pad_collate)
for padded, mask, labels, lengths in bucket_loader:
    print("bucket", tuple(padded.shape), lengths.tolist(), labels.tolist(), mask.sum().item())
print(f"{padded[0, 0, 0].item():.4f}")


# Worker processes: each seeds Python's and NumPy's RNGs from its torch seed (the reproducibility recipe).
def seed_worker(worker_id):
    worker_seed = torch.initial_seed() % 2**32
    np.random.seed(worker_seed)
    random.seed(worker_seed)


class RandomAugment(Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, idx):
        return torch.tensor([idx, torch.rand(1).item() > 0.5, random.random() > 0.5, np.random.rand() > 0.5])


g = torch.Generator()
g.manual_seed(0)
worker_loader = DataLoader(RandomAugment(), batch_size=2, num_workers=2, worker_init_fn=seed_worker, generator=g)
for epoch in range(2):
    print("epoch", epoch, [b.tolist() for b in worker_loader])
g.manual_seed(0)
print("again  ", [b.tolist() for b in worker_loader])


class ShardedRange(IterableDataset):
    def __init__(self, start, end):
        self.start, self.end = start, end

    def __iter__(self):
        info = get_worker_info()
        if info is None:
            return iter(range(self.start, self.end))
        per_worker = int(np.ceil((self.end - self.start) / float(info.num_workers)))
        lo = self.start + info.id * per_worker
        return iter(range(lo, min(lo + per_worker, self.end)))


it_ds = ShardedRange(3, 10)
print(list(DataLoader(it_ds, num_workers=0)))
print(list(DataLoader(it_ds, num_workers=2)))
print([b.tolist() for b in DataLoader(it_ds, batch_size=2, num_workers=2)])
persistent = DataLoader(it_ds, batch_size=3, num_workers=2, persistent_workers=True)
for epoch in range(2):
    print("persistent", epoch, [b.tolist() for b in persistent])
print(get_worker_info())
