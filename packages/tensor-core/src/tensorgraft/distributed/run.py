"""``python -m tensorgraft.distributed.run`` — PyTorch's ``torchrun`` launcher.

Starts ``--nproc-per-node`` copies of a script (or ``-m module``, or a program with
``--no-python``) with the environment ``init_process_group("env://")`` reads: RANK, LOCAL_RANK,
WORLD_SIZE, LOCAL_WORLD_SIZE, GROUP_RANK, MASTER_ADDR, MASTER_PORT, and TORCHELASTIC_RUN_ID (so
``dist.is_torchelastic_launched()`` is True). Several machines: run it on each with the same
``--nnodes``, ``--master-addr``/``--master-port`` and its own ``--node-rank`` (static
rendezvous). If a worker fails, the others are stopped and the launcher exits with an error naming
it, and, when its main function is decorated with ``@record``
(``tensorgraft.distributed.elastic.multiprocessing.errors``), the exception and traceback it died
of; ``--max-restarts`` starts the whole group again that many times first.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid


def _nproc(value: str) -> int:
    if value in ("cpu", "auto", "gpu", "xpu"):
        if value in ("auto", "gpu"):
            try:
                from .. import cuda
                if cuda.is_available():
                    return cuda.device_count()
            except Exception:  # tensorgraft-cuda not installed: count CPUs, as torchrun does
                pass
            if value == "gpu":
                raise ValueError("--nproc-per-node=gpu, but no CUDA device was found")
        return os.cpu_count() or 1
    n = int(value)
    if n < 1:
        raise ValueError(f"--nproc-per-node must be at least 1, got {n}")
    return n


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m tensorgraft.distributed.run",
                                description="Start the processes of a distributed job (PyTorch's torchrun).")
    p.add_argument("--nnodes", type=str, default="1", help="number of machines (or MIN:MAX; MAX is used)")
    p.add_argument("--nproc-per-node", "--nproc_per_node", type=str, default="1",
                   help="processes per machine: a number, 'cpu', 'gpu' or 'auto'")
    p.add_argument("--node-rank", "--node_rank", type=int, default=0, help="this machine's rank among --nnodes")
    p.add_argument("--master-addr", "--master_addr", type=str, default="127.0.0.1")
    p.add_argument("--master-port", "--master_port", type=int, default=29500)
    p.add_argument("--standalone", action="store_true", help="one machine, on a free port")
    p.add_argument("--rdzv-backend", "--rdzv_backend", type=str, default="static")
    p.add_argument("--rdzv-endpoint", "--rdzv_endpoint", type=str, default="", help="HOST:PORT of the master")
    p.add_argument("--rdzv-id", "--rdzv_id", type=str, default=None)
    p.add_argument("--max-restarts", "--max_restarts", type=int, default=0)
    p.add_argument("--monitor-interval", "--monitor_interval", type=float, default=0.1)
    p.add_argument("--start-method", "--start_method", type=str, default="spawn",
                   choices=["spawn", "fork", "forkserver"])
    p.add_argument("--role", type=str, default="default")
    p.add_argument("-m", "--module", action="store_true", help="run the script as 'python -m'")
    p.add_argument("--no-python", "--no_python", action="store_true", help="run the program directly")
    p.add_argument("--run-path", "--run_path", action="store_true", help="run with runpy.run_path")
    p.add_argument("--log-dir", "--log_dir", type=str, default=None)
    p.add_argument("training_script", type=str)
    p.add_argument("training_script_args", nargs=argparse.REMAINDER)
    return p


def _command(args, local_rank: int) -> list[str]:
    # the legacy launcher (launch.py without --use-env) tells each worker its rank as an argument
    script_args = list(args.training_script_args)
    if not getattr(args, "use_env", True):
        script_args.insert(0, f"--local-rank={local_rank}")
    if args.no_python:
        if args.module:
            raise ValueError("Don't use both the '--no-python' flag and the '--module' flag at the same time.")
        return [args.training_script, *script_args]
    if args.run_path:
        code = "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
        return [sys.executable, "-u", "-c", code, args.training_script, *script_args]
    return [sys.executable, "-u", *(["-m"] if args.module else []), args.training_script, *script_args]


def _start(args, nproc: int, nnodes: int, restart: int, run_id: str, error_dir: str) -> list:
    world = nproc * nnodes
    procs = []
    for local in range(nproc):
        rank = args.node_rank * nproc + local
        env = dict(os.environ, RANK=str(rank), LOCAL_RANK=str(local), WORLD_SIZE=str(world),
                   LOCAL_WORLD_SIZE=str(nproc), GROUP_RANK=str(args.node_rank), GROUP_WORLD_SIZE=str(nnodes),
                   ROLE_RANK=str(rank), ROLE_NAME=args.role, ROLE_WORLD_SIZE=str(world),
                   MASTER_ADDR=args.master_addr, MASTER_PORT=str(args.master_port),
                   TORCHELASTIC_RESTART_COUNT=str(restart), TORCHELASTIC_MAX_RESTARTS=str(args.max_restarts),
                   TORCHELASTIC_RUN_ID=run_id, TORCHELASTIC_USE_AGENT_STORE="False",
                   TORCHELASTIC_ERROR_FILE=os.path.join(error_dir, f"restart{restart}_rank{rank}.json"))
        if nproc > 1 and "OMP_NUM_THREADS" not in os.environ:
            env["OMP_NUM_THREADS"] = "1"  # as torchrun: N processes should not each take every core
        out = None
        if args.log_dir:
            os.makedirs(os.path.join(args.log_dir, str(restart)), exist_ok=True)
            out = open(os.path.join(args.log_dir, str(restart), f"rank{rank}.log"), "wb")
        procs.append((rank, subprocess.Popen(_command(args, local), env=env, stdout=out, stderr=out)))
    return procs


def _watch(procs, interval: float):
    """Wait until every worker ended (0) or one failed: (rank, code) of the first failure."""
    while True:
        running = False
        for rank, p in procs:
            code = p.poll()
            if code is None:
                running = True
            elif code != 0:
                return rank, code
        if not running:
            return None
        time.sleep(interval)


def _stop(procs) -> None:
    for _rank, p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 5
    for _rank, p in procs:
        try:
            p.wait(max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def main(argv=None) -> int:
    return launch_with(parser().parse_args(argv))


def launch_with(args) -> int:
    """Run the job ``args`` (parsed by ``parser()``) describes; the exit code."""
    nnodes = int(args.nnodes.split(":")[-1])
    nproc = _nproc(args.nproc_per_node)
    if args.standalone:
        nnodes, args.node_rank, args.master_addr, args.master_port = 1, 0, "127.0.0.1", _free_port()
    elif args.rdzv_endpoint:
        host, _, port = args.rdzv_endpoint.rpartition(":")
        args.master_addr, args.master_port = host or args.rdzv_endpoint, int(port) if port else args.master_port
    if not 0 <= args.node_rank < nnodes:
        raise SystemExit(f"--node-rank {args.node_rank} must be in [0, {nnodes - 1}] for --nnodes {nnodes}")
    run_id = args.rdzv_id or uuid.uuid4().hex
    with tempfile.TemporaryDirectory(prefix="tensorgraft-run-") as error_dir:
        return _run(args, nproc, nnodes, run_id, error_dir)


def _root_cause(error_file: str) -> str:
    """What a ``@record``-decorated worker wrote before dying ('' when it wrote nothing)."""
    try:
        with open(error_file) as f:
            message = json.load(f)["message"]
        return f"{message['message']}\n{message['extraInfo']['py_callstack']}"
    except (OSError, ValueError, KeyError, TypeError):
        return ""


def _run(args, nproc: int, nnodes: int, run_id: str, error_dir: str) -> int:
    for restart in range(args.max_restarts + 1):
        procs = _start(args, nproc, nnodes, restart, run_id, error_dir)
        try:
            failure = _watch(procs, args.monitor_interval)
        except KeyboardInterrupt:
            _stop(procs)
            return 130
        if failure is None:
            return 0
        _stop(procs)
        rank, code = failure
        how = f"signal {-code}" if code < 0 else f"exit code {code}"
        print(f"[tensorgraft.distributed.run] worker with global rank {rank} failed ({how}); "
              f"{'restarting the group' if restart < args.max_restarts else 'stopped the other workers'}",
              file=sys.stderr)
    cause = _root_cause(os.path.join(error_dir, f"restart{args.max_restarts}_rank{rank}.json"))
    print(f"[tensorgraft.distributed.run] {args.training_script} FAILED: rank {rank} ended with {how}; "
          + (f"root cause:\n{cause}" if cause else "see its output above (decorate its main function with "
             "@record from tensorgraft.distributed.elastic.multiprocessing.errors to have it reported here)"),
          file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
