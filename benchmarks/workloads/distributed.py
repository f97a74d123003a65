"""Distributed workloads: ``all_reduce`` of float32 tensors and one ``DistributedDataParallel``
training step, between 2 processes on this machine — tensorgraft's TCP gloo backend against
PyTorch's gloo, each library in its own pair of processes.

A pair is started once per workload (``MASTER_ADDR``/``MASTER_PORT``/``RANK``/``WORLD_SIZE``, as
the launcher sets them), sets up, checks its result and warms up, then waits on its stdin. Each
call of the timing callable asks both ranks for ``iters`` more iterations: they meet in a barrier,
time every iteration and print the times; the call returns the slower rank's median. So the
runner's rounds still alternate tensorgraft and PyTorch (one pair idles in a blocking read while
the other runs), and neither pays its interpreter start-up more than once. Every rank runs with
one compute thread (``set_num_threads(1)``), as the runner's other workloads do: 2 ranks on the
2-core machine.

``mlp784_sgd_b1024_step`` is the same model's one-process step on the whole 1024-row batch (in the
runner's process, as the training workloads): what the 2-rank step divides between two processes.
"""
from __future__ import annotations

import atexit
import json
import os
import queue
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from . import Unavailable, Workload
from .training import _mod

MB = 1024 * 1024
WORLD_SIZE = 2
_TAG = "@@tg-bench "  # marks the ranks' report lines on their stdout (libraries may print there too)
_BENCH_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ---------------------------------------------------------------------------- inside a rank
def _import(lib):
    if lib == "torch":
        import torch as t
        import torch.distributed as dist
    else:
        import tensorgraft as t
        import tensorgraft.distributed as dist
    t.set_num_threads(1)
    return t, dist


def _all_reduce_task(t, dist, spec, rank):
    """A float32 tensor of ``spec['nbytes']``, summed across the ranks in place."""
    n = spec["nbytes"] // 4
    x = t.full((n,), float(rank + 1))
    dist.all_reduce(x)
    want = float(sum(range(1, WORLD_SIZE + 1)))
    got = (float(x[0]), float(x[n // 2]), float(x[-1]))
    if got != (want,) * 3:
        raise AssertionError(f"all_reduce gave {got}, expected {want} everywhere")
    x.zero_()  # (repeated sums of zeros stay zeros: no overflow to inf over many iterations)

    def step():
        dist.all_reduce(x)
    return step, lambda: float(x.sum())


def _mlp(t):
    nn = t.nn
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))


def _training_step(model, opt, loss_fn, x, y):
    """One SGD step on the fixed batch (x, y), shared by the DDP and one-process workloads."""
    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


def _ddp_task(t, dist, spec, rank):
    """The 784-512-512-10 MLP in DDP, ``spec['batch']`` rows per rank, cross-entropy + SGD."""
    t.manual_seed(0)
    model = t.nn.parallel.DistributedDataParallel(_mlp(t))
    opt = t.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = t.nn.CrossEntropyLoss()
    t.manual_seed(1 + rank)  # each rank its own share of the batch
    x, y = t.randn(spec["batch"], 784), t.randint(0, 10, (spec["batch"],))
    step = _training_step(model, opt, loss_fn, x, y)

    def check():
        """The loss is finite and the replicas stayed equal (the sum of the weights, per rank)."""
        loss = step().item()
        if loss != loss or abs(loss) == float("inf"):
            raise AssertionError(f"the DDP step's loss is {loss}")
        with t.no_grad():
            return sum(float(p.double().sum()) for p in model.parameters())
    return step, check


_TASKS = {"all_reduce": _all_reduce_task, "ddp": _ddp_task}


def _report(obj):
    sys.stdout.write(_TAG + json.dumps(obj) + "\n")
    sys.stdout.flush()


def rank_main(spec_json):
    """One rank of a pair: set up, warm up, then time ``N`` iterations for each ``N`` read from stdin."""
    from datetime import timedelta
    spec = json.loads(spec_json)
    t, dist = _import(spec["lib"])
    dist.init_process_group("gloo", timeout=timedelta(seconds=spec["timeout"]))
    rank = dist.get_rank()
    step, check = _TASKS[spec["task"]](t, dist, spec, rank)
    for _ in range(spec["warmup"]):
        step()
    _report({"ready": True, "check": check()})
    for line in sys.stdin:
        cmd = line.strip()
        if not cmd or cmd == "quit":
            break
        dist.barrier()
        times = []
        for _ in range(int(cmd)):
            t0 = time.perf_counter()
            step()
            times.append(time.perf_counter() - t0)
        _report({"times": times})
    dist.barrier()
    dist.destroy_process_group()
    # leave without the interpreter's teardown: PyTorch's gloo sometimes aborts there ("terminate called
    # without an active exception", exit -6) after a run that ended cleanly, as the oracle programs found
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


# ---------------------------------------------------------------------------- the parent's side
def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_LIVE = []


@atexit.register
def _close_all():
    for pair in list(_LIVE):
        pair.close()


class RankPair:
    """``WORLD_SIZE`` rank processes running ``spec``; calling it times ``iters`` iterations and
    returns the slowest rank's median seconds per iteration."""

    def __init__(self, spec, iters, start_timeout=180.0):
        self.iters, self.spec = iters, dict(spec)
        self.timeout = spec["timeout"]
        port = _free_port()
        code = f"import sys; sys.path.insert(0, {_BENCH_DIR!r}); from workloads.distributed import rank_main; " \
               f"rank_main(sys.argv[1])"
        self.procs, self.errs, self.lines = [], [], []
        for rank in range(WORLD_SIZE):
            env = dict(os.environ, MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank),
                       LOCAL_RANK=str(rank), WORLD_SIZE=str(WORLD_SIZE), LOCAL_WORLD_SIZE=str(WORLD_SIZE),
                       OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
            if sys.platform.startswith("linux"):
                env.setdefault("GLOO_SOCKET_IFNAME", "lo")  # PyTorch's gloo: loopback, not the hostname's address
            err = tempfile.TemporaryFile(mode="w+")
            p = subprocess.Popen([sys.executable, "-c", code, json.dumps(self.spec)], env=env, stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=err, text=True, bufsize=1)
            q = queue.Queue()
            threading.Thread(target=self._pump, args=(p.stdout, q), daemon=True).start()
            self.procs.append(p)
            self.errs.append(err)
            self.lines.append(q)
        _LIVE.append(self)
        try:
            ready = [self._read(rank, start_timeout) for rank in range(WORLD_SIZE)]
        except BaseException:
            self.close()
            raise
        checks = [r["check"] for r in ready]
        if max(checks) - min(checks) > 1e-6 * max(1.0, abs(checks[0])):
            self.close()
            raise AssertionError(f"{spec['lib']} {spec['task']}: the ranks disagree after warm-up: {checks}")
        self.check = checks[0]

    @staticmethod
    def _pump(stream, q):
        for line in stream:
            if line.startswith(_TAG):
                q.put(json.loads(line[len(_TAG):]))
        q.put(None)

    def _read(self, rank, timeout):
        try:
            msg = self.lines[rank].get(timeout=timeout)
        except queue.Empty:
            msg = None
        if msg is None:
            tails = []
            for r, err in enumerate(self.errs):
                err.seek(0)
                tails.append(f"--- rank {r} (exit code {self.procs[r].poll()}):\n{err.read()[-3000:]}")
            self.close()
            raise RuntimeError(f"{self.spec['lib']} {self.spec['task']}: rank {rank} did not report within "
                               f"{timeout:.0f}s\n" + "\n".join(tails))
        return msg

    def __call__(self):
        for p in self.procs:
            p.stdin.write(f"{self.iters}\n")
            p.stdin.flush()
        medians = [statistics.median(self._read(rank, self.timeout)["times"]) for rank in range(WORLD_SIZE)]
        return max(medians)

    def close(self):
        if self in _LIVE:
            _LIVE.remove(self)
        for p in self.procs:
            try:
                if p.poll() is None:
                    p.stdin.write("quit\n")
                    p.stdin.flush()
                p.stdin.close()
            except OSError:
                pass
        deadline = time.monotonic() + 10
        for p in self.procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for e in self.errs:
            e.close()


def _check_installed(lib, task):
    """Raise ImportError (the runner's "not installed") in the parent, before starting any process."""
    if lib == "torch":
        import torch.distributed as dist
        if not dist.is_available() or not dist.is_gloo_available():
            raise Unavailable("this PyTorch build has no gloo backend (torch.distributed)")
    else:
        import tensorgraft.distributed  # noqa: F401
        if task == "ddp":
            import tensorgraft.nn.parallel  # noqa: F401
            import tensorgraft.optim  # noqa: F401


def rank_pair(lib, task, iters, warmup=3, timeout=120.0, **spec):
    """The runner's builder: starts the pair when the runner asks for it."""
    def make():
        _check_installed(lib, task)
        return RankPair(dict(spec, lib=lib, task=task, warmup=warmup, timeout=timeout), iters)
    return make


def all_reduce(lib, nbytes, iters, warmup=3):
    return rank_pair(lib, "all_reduce", iters, warmup, nbytes=nbytes)


def ddp_mlp(lib, batch, iters, warmup=3):
    return rank_pair(lib, "ddp", iters, warmup, batch=batch)


def mlp_sgd_step(lib, batch):
    """The same MLP's one-process step (cross-entropy + SGD), in the runner's process."""
    def make():
        t = _mod(lib)
        t.manual_seed(0)
        model = _mlp(t)
        opt = t.optim.SGD(model.parameters(), lr=0.01)
        loss_fn = t.nn.CrossEntropyLoss()
        x, y = t.randn(batch, 784), t.randint(0, 10, (batch,))
        return _training_step(model, opt, loss_fn, x, y)
    return make


WORKLOADS = [
    Workload("all_reduce_2ranks_4B", "all_reduce (sum) of one float32 between 2 processes, gloo: the per-call "
             "latency (thread hand-offs and messages, no data to speak of)",
             tensorgraft=all_reduce("tensorgraft", 4, iters=500), torch=all_reduce("torch", 4, iters=500),
             target="tg/torch <= 2.0", custom_timer=True),
    Workload("all_reduce_2ranks_4MB", "all_reduce (sum) of a 4 MB float32 tensor between 2 processes, gloo",
             tensorgraft=all_reduce("tensorgraft", 4 * MB, iters=100), torch=all_reduce("torch", 4 * MB, iters=100),
             target="tg/torch <= 1.5", custom_timer=True),
    Workload("all_reduce_2ranks_64MB", "all_reduce (sum) of a 64 MB float32 tensor between 2 processes, gloo",
             tensorgraft=all_reduce("tensorgraft", 64 * MB, iters=6), torch=all_reduce("torch", 64 * MB, iters=6),
             target="tg/torch <= 1.5", custom_timer=True),
    Workload("ddp_mlp_step_2ranks", "784-512-512-10 MLP in DistributedDataParallel, batch 512 per rank on 2 "
             "processes, cross-entropy + SGD: one step",
             tensorgraft=ddp_mlp("tensorgraft", 512, iters=10), torch=ddp_mlp("torch", 512, iters=10),
             target="tg/torch <= 1.5", custom_timer=True),
    Workload("mlp784_sgd_b1024_step", "the same MLP in one process, batch 1024, cross-entropy + SGD: one step "
             "(context for ddp_mlp_step_2ranks)",
             tensorgraft=mlp_sgd_step("tensorgraft", 1024), torch=mlp_sgd_step("torch", 1024)),
]
