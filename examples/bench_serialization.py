"""Benchmark: tensorgraft.save/load of a 100 MB state_dict vs numpy.save/load of the same arrays.

Runs are interleaved (np, tg, np, tg ...) and the best of N is reported, because a shared
machine's noise otherwise dominates. tensorgraft.save also fsyncs (atomic write); the numpy
column is shown with and without an fsync for a like-for-like comparison.

    python examples/bench_serialization.py [--mb 100] [--reps 7] [--dir /tmp]
"""
from __future__ import annotations

import argparse
import collections
import os
import tempfile
import time

import numpy as np

import tensorgraft as tg


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=100)
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--dir", default=None)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    n = max(1, args.mb // 4)  # 4 MB float32 matrices
    sd = collections.OrderedDict(
        (f"layer{i}.weight", tg.from_numpy(rng.standard_normal((1024, 1024), dtype=np.float32))) for i in range(n))
    arrays = [t.numpy() for t in sd.values()]
    with tempfile.TemporaryDirectory(dir=args.dir) as d:
        np_path, tg_path = os.path.join(d, "arrays.npy"), os.path.join(d, "state.pt")

        def np_save(fsync):
            with open(np_path, "wb") as f:
                for a in arrays:
                    np.save(f, a)
                if fsync:
                    f.flush()
                    os.fsync(f.fileno())

        def np_load():
            with open(np_path, "rb") as f:
                return [np.load(f) for _ in arrays]

        cases = {
            "numpy.save": lambda: np_save(False),
            "numpy.save+fsync": lambda: np_save(True),
            "numpy.load": np_load,
            "tensorgraft.save": lambda: tg.save(sd, tg_path),
            "tensorgraft.load": lambda: tg.load(tg_path),
        }
        times = {k: [] for k in cases}
        for _ in range(args.reps):
            for k, fn in cases.items():
                t0 = time.perf_counter()
                out = fn()
                times[k].append(time.perf_counter() - t0)
                del out
        loaded = tg.load(tg_path)
        assert all(np.array_equal(loaded[k].numpy(), sd[k].numpy()) for k in sd)
    best = {k: min(v) for k, v in times.items()}
    mb = sum(a.nbytes for a in arrays) / 2 ** 20
    print(f"state_dict: {len(sd)} tensors, {mb:.0f} MB; best of {args.reps}")
    for k, v in best.items():
        print(f"  {k:18s} {v * 1000:8.1f} ms  ({mb / v:7.0f} MB/s)")
    tg_total = best["tensorgraft.save"] + best["tensorgraft.load"]
    for label, save_key in (("numpy (no fsync)", "numpy.save"), ("numpy (fsync)", "numpy.save+fsync")):
        np_total = best[save_key] + best["numpy.load"]
        print(f"  save+load vs {label:17s}: {tg_total * 1000:.0f} ms vs {np_total * 1000:.0f} ms = "
              f"{tg_total / np_total:.2f}x")


if __name__ == "__main__":
    main()
