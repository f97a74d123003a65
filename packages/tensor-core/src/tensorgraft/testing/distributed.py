"""Run a piece of code as the ranks of a distributed job, for tests (``run_ranks``).

Each rank is a fresh Python process with the environment ``init_process_group("env://")`` reads,
as the launcher sets it; the call returns every rank's exit code and output. Used by tensorgraft's
own distributed tests and available to plugin authors testing their ops under collectives.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass


@dataclass
class RankResult:
    rank: int
    returncode: int
    stdout: str
    stderr: str


def free_port() -> int:
    """A TCP port nobody listens on now (for MASTER_PORT)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_ranks(source: str, world_size: int = 2, *, timeout: float = 120, env: dict | None = None,
              check: bool = True) -> list[RankResult]:
    """Run ``source`` (dedented) as ranks ``0 .. world_size-1`` in parallel. With ``check``, a rank
    that exits non-zero (or a job past ``timeout`` seconds, whose ranks are killed) raises an
    AssertionError carrying every rank's output."""
    port = free_port()
    code = textwrap.dedent(source)
    procs = []
    for rank in range(world_size):
        rank_env = dict(os.environ, MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank),
                        LOCAL_RANK=str(rank), WORLD_SIZE=str(world_size), LOCAL_WORLD_SIZE=str(world_size),
                        PYTHONUNBUFFERED="1", **(env or {}))
        procs.append(subprocess.Popen([sys.executable, "-c", code], env=rank_env, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True))
    deadline = time.monotonic() + timeout
    results, timed_out = [], False
    for rank, p in enumerate(procs):
        try:
            out, err = p.communicate(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            timed_out = True
            for q in procs:
                q.kill()
            out, err = p.communicate()
        results.append(RankResult(rank, p.returncode, out, err))
    if check and (timed_out or any(r.returncode != 0 for r in results)):
        report = "\n".join(f"--- rank {r.rank} (exit {r.returncode})\n{r.stdout}{r.stderr}" for r in results)
        raise AssertionError(("timed out after %ss\n" % timeout if timed_out else "a rank failed\n") + report)
    return results
