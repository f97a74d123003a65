"""What TensorBoard logging adds to a training step: a few ``add_scalar`` calls and a histogram of
a weight matrix (TensorFlow's default buckets), through ``SummaryWriter`` into an event file.
The same calls on PyTorch's writer; NumPy has no writer, so its baseline is the histogram alone
(``np.histogram`` over the same buckets), the part of the step that grows with the weight."""
from __future__ import annotations

import atexit
import importlib
import shutil
import tempfile

import numpy as np

from . import Unavailable, Workload


def _writer_module(lib):
    try:
        return importlib.import_module(f"{lib}.utils.tensorboard")
    except ImportError as e:  # tensorboard (or the library) is not installed
        raise Unavailable(f"{lib}.utils.tensorboard is unavailable: {e}") from e


def log_step(lib, rows=512, cols=512, scalars=4, seed=0):
    """One step's logging; the event file is flushed every 1000 events (the writer's queue), as a
    long run would, so disk writes are amortised the same way for both libraries."""
    def make():
        tb = _writer_module(lib)
        t = importlib.import_module(lib)
        weight = t.tensor(np.random.default_rng(seed).standard_normal((rows, cols), dtype=np.float32))
        loss = t.tensor(0.25)
        logdir = tempfile.mkdtemp(prefix=f"bench_tb_{lib}_")
        writer = tb.SummaryWriter(logdir, max_queue=1000, flush_secs=3600)
        step = [0]

        def run():
            for k in range(scalars):
                writer.add_scalar(f"metric{k}", loss.item() + k, step[0])
            writer.add_histogram("fc.weight", weight, step[0])
            step[0] += 1
        # the runner keeps the callable to the end: the event file goes when the process does
        atexit.register(shutil.rmtree, logdir, ignore_errors=True)
        atexit.register(writer.close)
        return run
    return make


def numpy_histogram(rows=512, cols=512, seed=0):
    def make():
        weight = np.random.default_rng(seed).standard_normal((rows, cols), dtype=np.float32)
        edge, positive = 1e-12, []
        while edge < 1e20:
            positive.append(edge)
            edge *= 1.1
        bins = [-v for v in reversed(positive)] + [0] + positive

        def run():
            values = weight.astype(float).reshape(-1)
            np.histogram(values, bins=bins)
            values.dot(values)
        return run
    return make


WORKLOADS = [
    Workload("tensorboard_log_step", "4 add_scalar + add_histogram of a 512x512 weight (TensorFlow buckets)",
             tensorgraft=log_step("tensorgraft"), torch=log_step("torch"), numpy=numpy_histogram(),
             target="tg/torch <= 1.1"),
]
