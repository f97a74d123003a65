"""A memory-mapped dataset: features written once with NumPy's ``tofile``, read back without loading
them with ``torch.from_file`` / ``torch.UntypedStorage.from_file``, batched through a Dataset and a
DataLoader; ``shared=True`` writes through to the file (a label file updated in place), and
``shared=False`` is a private copy-on-write view."""
import os
import tempfile

import numpy as np

import tensorgraft as torch
from tensorgraft.utils.data import DataLoader, Dataset

N, D = 12, 3
rng = np.random.default_rng(0)
features = rng.standard_normal((N, D)).astype(np.float32)
labels = (features.sum(axis=1) > 0).astype(np.int64)


class MemmapDataset(Dataset):
    def __init__(self, root):
        flat = torch.from_file(os.path.join(root, "features.bin"), shared=False, size=N * D,
                               dtype=torch.float32)
        self.x = flat.view(N, D)
        self.y = torch.from_file(os.path.join(root, "labels.bin"), shared=False, size=N, dtype=torch.int64)

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


with tempfile.TemporaryDirectory() as root:
    features.tofile(os.path.join(root, "features.bin"))
    labels.tofile(os.path.join(root, "labels.bin"))
    print(os.path.getsize(os.path.join(root, "features.bin")), os.path.getsize(os.path.join(root, "labels.bin")))

    ds = MemmapDataset(root)
    print(len(ds), ds.x.shape, ds.x.dtype, ds.y.dtype, ds.x.is_contiguous())
    print(ds.x[:2])
    print(ds.y)
    print(torch.equal(ds.x, torch.from_numpy(features)), ds.x.untyped_storage().nbytes())

    loader = DataLoader(ds, batch_size=5, shuffle=False)
    for xb, yb in loader:
        print(tuple(xb.shape), yb.tolist(), f"{xb.mean().item():.4f}")

    # shared=False: the tensor can be written, the file never changes.
    ds.y[0] = 7
    print(ds.y[0].item(), np.fromfile(os.path.join(root, "labels.bin"), dtype=np.int64)[0])

    # shared=True: writes reach the file (relabelling in place).
    path = os.path.join(root, "labels.bin")
    y = torch.from_file(path, shared=True, size=N, dtype=torch.int64)
    y[y == 0] = -1
    y[:2] += 10
    print(y.tolist())
    del y
    print(np.fromfile(path, dtype=np.int64).tolist())

    # A new file is created (and zero-filled) by shared=True.
    new = os.path.join(root, "scores.bin")
    s = torch.from_file(new, shared=True, size=4, dtype=torch.float64)
    print(s, os.path.getsize(new))
    s.copy_(torch.linspace(0, 1, 4, dtype=torch.float64))
    s.mul_(2)
    print(np.fromfile(new, dtype=np.float64))
    t = torch.from_file(new, shared=True, size=4, dtype=torch.float64)
    t[3] = 100.0
    print(s[3].item(), np.fromfile(new, dtype=np.float64)[3])

    # The storage API, reading half the features as bytes and as another dtype.
    storage = torch.UntypedStorage.from_file(os.path.join(root, "features.bin"), shared=False,
                                             nbytes=N * D * 4)
    print(type(storage).__name__, storage.nbytes(), storage.device)
    as_float = torch.tensor([], dtype=torch.float32).set_(storage)
    print(as_float.shape, torch.equal(as_float.view(N, D), ds.x))
    first_row = torch.frombuffer(bytearray(storage[:12]), dtype=torch.float32)
    print(first_row, torch.equal(first_row, ds.x[0]))
    raw = torch.from_file(os.path.join(root, "features.bin"), size=8, dtype=torch.uint8)
    print(raw.tolist() == list(features.tobytes()[:8]))
    ints = torch.from_file(os.path.join(root, "labels.bin"), size=2 * N, dtype=torch.int32)
    print(ints[:6].tolist())

    # Errors users meet: a file too small, a missing file.
    try:
        torch.from_file(os.path.join(root, "labels.bin"), shared=False, size=N + 1, dtype=torch.int64)
    except RuntimeError as e:
        print(type(e).__name__, str(e).replace(root, "<root>"))
    try:
        torch.from_file(os.path.join(root, "missing.bin"), size=3)
    except RuntimeError as e:
        print(type(e).__name__, str(e).replace(root, "<root>"))
