"""Benchmark runner: times a named workload in tensorgraft, plain NumPy and (when installed) PyTorch,
alternating the implementations within one invocation so machine noise hits all of them alike,
and prints medians and the ratios tensorgraft/NumPy and tensorgraft/PyTorch.

    python benchmarks/run.py --list
    python benchmarks/run.py add_tiny add_1000 import_time
    python benchmarks/run.py --all --rounds 15 --json results.json
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from workloads import Unavailable  # noqa: E402

IMPLS = ("tensorgraft", "numpy", "torch", "tensorgraft_cpu")


def discover():
    """Every ``WORKLOADS`` dict in benchmarks/workloads/*.py: name -> Workload."""
    import workloads
    found = {}
    for m in pkgutil.iter_modules(workloads.__path__):
        mod = importlib.import_module(f"workloads.{m.name}")
        for w in getattr(mod, "WORKLOADS", []):
            found[w.name] = w
    return found


def _time_batch(fn, number):
    t0 = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - t0) / number


def run_workload(w, rounds: int, min_time: float):
    """Median seconds per call of each implementation that could run, and why the others did not."""
    makers = {impl: getattr(w, impl) for impl in IMPLS if getattr(w, impl, None) is not None}
    fns = {}
    skipped = {}
    for impl, make in makers.items():
        if impl == "tensorgraft_cpu" and "tensorgraft" not in fns:
            continue  # the CPU baseline of a device run that could not run: nothing to compare
        try:
            fns[impl] = make()
        except ImportError as exc:
            skipped[impl] = f"not installed ({exc})"
        except Unavailable as exc:
            skipped[impl] = f"skipped: {exc}"
    if not fns:
        return {}, skipped
    if w.custom_timer:
        samples = {impl: [] for impl in fns}
        order = list(fns)
        for r in range(rounds):
            for impl in order[r % len(order):] + order[:r % len(order)]:  # rotated, as below
                samples[impl].append(fns[impl]())
    else:
        number = {}
        for impl, fn in fns.items():  # warm up and calibrate so a batch takes ~min_time
            fn()
            # re-time each candidate batch (as timeit.autorange): a first call that pays for page
            # faults would otherwise pick a batch several times too small, and small batches carry
            # more of the cost of switching between libraries
            n = 1
            while _time_batch(fn, n) * n < min_time and n < 1_000_000:
                n *= 2
            number[impl] = n
        samples = {impl: [] for impl in fns}
        order = list(fns)
        for r in range(rounds):
            # rotate who goes first each round: the batch that follows another library's pays for
            # its leftovers (freed heap, cold caches), and a fixed order hands that cost to one side
            for impl in order[r % len(order):] + order[:r % len(order)]:
                samples[impl].append(_time_batch(fns[impl], number[impl]))
    med = {impl: statistics.median(s) for impl, s in samples.items()}
    for fn in fns.values():  # a workload that keeps helper processes (distributed.py) ends them now
        close = getattr(fn, "close", None)
        if close is not None:
            close()
    return med, skipped


def fmt(sec):
    if sec < 1e-3:
        return f"{sec * 1e6:9.2f} us"
    if sec < 1:
        return f"{sec * 1e3:9.3f} ms"
    return f"{sec:9.3f} s "


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*")
    ap.add_argument("--all", action="store_true")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--min-time", type=float, default=0.02, help="seconds per timed batch")
    ap.add_argument("--json", help="also write results to this file")
    args = ap.parse_args(argv)
    found = discover()
    if args.list:
        for name, w in found.items():
            print(f"{name:28s} {w.description}")
        return 0
    names = list(found) if args.all or not args.names else args.names
    unknown = [n for n in names if n not in found]
    if unknown:
        ap.error(f"unknown workload(s): {', '.join(unknown)} (see --list)")
    results = {}
    print(f"{'workload':28s} {'tensorgraft':>12s} {'numpy':>12s} {'torch':>12s} {'tg/np':>7s} {'tg/torch':>8s}")
    for name in names:
        w = found[name]
        med, skipped = run_workload(w, args.rounds, args.min_time)
        tg, np_, th = med.get("tensorgraft"), med.get("numpy"), med.get("torch")
        r_np = f"{tg / np_:7.2f}" if tg and np_ else "      -"
        r_th = f"{tg / th:8.2f}" if tg and th else "       -"
        print(f"{name:28s} {fmt(tg) if tg else '-':>12s} {fmt(np_) if np_ else '-':>12s} "
              f"{fmt(th) if th else '-':>12s} {r_np} {r_th}")
        cpu = med.get("tensorgraft_cpu")
        if cpu:
            speedup = f"; on the device it runs {cpu / tg:.1f}x faster" if tg else ""
            print(f"    (tensorgraft on CPU: {fmt(cpu).strip()}{speedup})")
        for impl, why in skipped.items():
            print(f"    ({impl}: {why})")
        results[name] = {"median_s": med, "ratio_vs_numpy": tg / np_ if tg and np_ else None,
                         "ratio_vs_torch": tg / th if tg and th else None, "target": w.target,
                         "skipped": skipped}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
