"""Run a script as the ranks of a process group, one subprocess per rank, for the
DistributedDataParallel and SyncBatchNorm tests (loaded by path: the tests run with
``--import-mode=importlib``).

The script runs after a prelude that imports the library as ``torch`` (tensorgraft, or PyTorch
itself for the oracle tests), calls ``dist.init_process_group("gloo")`` from the usual environment
variables and defines ``RANK``, ``WORLD`` and ``report(value)``; what each rank reports (JSON) comes
back as a list indexed by rank.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap

_PRELUDE = '''\
import json, os, sys
import numpy as np
{imports}
import {lib}.distributed as dist
RANK, WORLD = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
if {init}:
    dist.init_process_group("gloo")


def report(value):
    print("RESULT " + json.dumps(value), flush=True)


def numbers(t):
    """A tensor as nested lists of floats (for report)."""
    return None if t is None else t.detach().double().tolist()
'''

_MARK = "RESULT "


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_ranks(script, world_size=2, *, lib="tensorgraft", timeout=60, init=True):
    """Run ``script`` on ``world_size`` ranks; each rank's reported value, by rank. A rank that
    fails, or a run past ``timeout`` seconds, fails the test with every rank's stderr."""
    imports = "import tensorgraft as torch" if lib == "tensorgraft" else "import torch"
    code = _PRELUDE.format(imports=imports, lib=lib if lib == "torch" else "tensorgraft", init=init)
    # (leaving with os._exit: PyTorch aborts at interpreter exit after some of the DDP errors tested)
    code += ("\n" + textwrap.dedent(script) + "\nif dist.is_initialized():\n    dist.destroy_process_group()\n"
             "sys.stdout.flush()\nos._exit(0)\n")
    port = free_port()
    procs = []
    for rank in range(world_size):
        env = dict(os.environ, MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank),
                   WORLD_SIZE=str(world_size), OMP_NUM_THREADS="1", TENSORGRAFT_STRICT_PLUGINS="1")
        procs.append(subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True))
    outputs, failed = [], False
    for p in procs:
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            out, err = p.communicate()
            err += f"\n[timed out after {timeout}s]"
            failed = True
        failed = failed or p.returncode != 0
        outputs.append((out, err))
    if failed:
        details = "\n".join(f"--- rank {r} (exit {p.returncode}) ---\n{out}\n{err}"
                            for r, (p, (out, err)) in enumerate(zip(procs, outputs)))
        raise AssertionError(f"a rank failed:\n{details}")
    results = []
    for out, _ in outputs:
        values = [json.loads(line[len(_MARK):]) for line in out.splitlines() if line.startswith(_MARK)]
        results.append(values[-1] if len(values) == 1 else values)
    return results
