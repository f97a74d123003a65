"""Data pipelines from the data-loading tutorials: an IterableDataset split across two worker
processes with get_worker_info(), worker_init_fn, a map-style Dataset with a dict sample and the
default collate of nested dicts/tuples/numbers/strings, collate of numpy arrays, default_collate and
default_convert called directly, pin_memory on a CPU-only machine left off, and len() of loaders."""
import math

import numpy as np

import tensorgraft as torch
from tensorgraft.utils.data import DataLoader, Dataset, IterableDataset, get_worker_info
from tensorgraft.utils.data import default_collate, default_convert


class RangeStream(IterableDataset):
    def __init__(self, start, end):
        super().__init__()
        self.start, self.end = start, end

    def __iter__(self):
        info = get_worker_info()
        if info is None:
            lo, hi = self.start, self.end
        else:
            per_worker = int(math.ceil((self.end - self.start) / float(info.num_workers)))
            lo = self.start + info.id * per_worker
            hi = min(lo + per_worker, self.end)
        return iter(range(lo, hi))


ds = RangeStream(3, 7)
print(list(DataLoader(ds, num_workers=0)))
print(list(DataLoader(ds, num_workers=2)))
print(list(DataLoader(ds, batch_size=2, num_workers=2)))


def worker_init_fn(worker_id):
    info = get_worker_info()
    dataset = info.dataset
    overall_start, overall_end = dataset.start, dataset.end
    per_worker = int(math.ceil((overall_end - overall_start) / float(info.num_workers)))
    dataset.start = overall_start + worker_id * per_worker
    dataset.end = min(dataset.start + per_worker, overall_end)


print(list(DataLoader(RangeStream(0, 5), num_workers=2, worker_init_fn=worker_init_fn)))
print(get_worker_info())


class Samples(Dataset):
    def __len__(self):
        return 5

    def __getitem__(self, i):
        return {"x": np.full((2,), i, dtype=np.float32), "y": i % 2, "name": f"s{i}",
                "meta": (float(i), torch.tensor([i, -i]))}


loader = DataLoader(Samples(), batch_size=2, shuffle=False)
print(len(loader), len(DataLoader(Samples(), batch_size=2, drop_last=True)))
for batch in loader:
    print(batch)
print(default_collate([(1, 2.0), (3, 4.0)]))
print(default_collate([np.array([1, 2]), np.array([3, 4])]))
print(default_convert(np.array([1.5, 2.5])), default_convert({"a": np.int64(3)}))
print(default_collate([True, False]), default_collate(["a", "b"]))
try:
    default_collate([torch.zeros(2), torch.zeros(3)])
except RuntimeError as e:
    print(type(e).__name__, e)
