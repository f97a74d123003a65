"""Extending collation as the torch.utils.data docs describe: a custom type registered in
default_collate_fn_map (so default_collate and every DataLoader use it), collate() with a map of
one's own, the default functions for tensors, NumPy arrays and scalars, floats, ints, bools and
strings, and the error for a type no function takes."""
import numpy as np

import tensorgraft as torch
from tensorgraft.utils.data import DataLoader, default_collate
from tensorgraft.utils.data._utils.collate import collate, collate_tensor_fn, default_collate_fn_map


class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y


def collate_point_fn(batch, *, collate_fn_map=None):
    return torch.tensor([[p.x, p.y] for p in batch], dtype=torch.float32)


default_collate_fn_map.update({Point: collate_point_fn})
samples = [(Point(i, -i), {"id": i, "name": f"p{i}", "w": np.float32(i / 2)}) for i in range(5)]
print(default_collate(samples[:2]))
for batch in DataLoader(samples, batch_size=2):
    print(batch)


def cat_tensors(batch, *, collate_fn_map):
    return torch.cat(batch, 0)


print(collate([{"a": torch.ones(2)}, {"a": torch.zeros(2)}], collate_fn_map={torch.Tensor: cat_tensors}))
print(collate([torch.ones(2), torch.zeros(2)], collate_fn_map={torch.Tensor: collate_tensor_fn}))
print(default_collate([np.array([1.5, 2.5]), np.array([3.5, 4.5])]), default_collate([np.int16(3), np.int16(4)]))
print(default_collate([1.5, 2.5]), default_collate([1, 2]), default_collate([True, False]), default_collate(["a", "b"]))
print(sorted(t.__name__ if isinstance(t, type) else str(len(t)) for t in default_collate_fn_map))
try:
    collate([object(), object()], collate_fn_map={torch.Tensor: collate_tensor_fn})
except TypeError as e:
    print(type(e).__name__, str(e).split(";")[0])
