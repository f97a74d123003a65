"""tensorgraft.distributed across processes: each test runs a script as the ranks of a job
(``tensorgraft.testing.distributed.run_ranks``) and checks what every rank printed."""
from __future__ import annotations

import json

import numpy as np
import pytest

from tensorgraft.testing.distributed import run_ranks

PRELUDE = """
import json, sys
import numpy as np
import tensorgraft as torch
import tensorgraft.distributed as dist
dist.init_process_group("gloo")
rank, world = dist.get_rank(), dist.get_world_size()
def out(key, value):
    if isinstance(value, torch.Tensor):
        value = value.tolist()
    print(key, json.dumps(value, default=lambda v: v.tolist() if isinstance(v, torch.Tensor) else str(v)))
"""


def outputs(results) -> list[dict]:
    """Each rank's printed ``key json`` lines as a dict."""
    per_rank = []
    for r in results:
        d = {}
        for line in r.stdout.splitlines():
            key, _, value = line.partition(" ")
            d[key] = json.loads(value)
        per_rank.append(d)
    return per_rank


def test_all_reduce_every_op_and_dtype_three_ranks():
    res = outputs(run_ranks(PRELUDE + """
for dtype in ("float32", "float64", "float16", "bfloat16", "int64", "int32", "uint8", "bool", "complex64"):
    for op in ("SUM", "AVG", "PRODUCT", "MIN", "MAX", "BAND", "BOR", "BXOR"):
        x = torch.tensor([1, 2, 3, 0, 5, 6, 7], dtype=torch.int64) * (rank + 1) % 5
        x = x.to(getattr(torch, dtype))
        try:
            dist.all_reduce(x, op=getattr(dist.ReduceOp, op))
            out(dtype + "." + op, x.to(torch.complex128).real.tolist() if dtype == "complex64" else x.tolist())
        except (RuntimeError, ValueError) as e:
            out(dtype + "." + op, "refused")
dist.destroy_process_group()
""", 3))
    assert res[0] == res[1] == res[2]
    per = [np.array([1, 2, 3, 0, 5, 6, 7]) * (r + 1) % 5 for r in range(3)]
    assert res[0]["float32.SUM"] == sum(per).tolist()
    assert np.allclose(res[0]["float64.AVG"], sum(per) / 3)
    assert res[0]["int64.PRODUCT"] == (per[0] * per[1] * per[2]).tolist()
    assert res[0]["int32.MIN"] == np.minimum.reduce(per).tolist()
    assert res[0]["uint8.MAX"] == np.maximum.reduce(per).tolist()
    assert res[0]["int64.BXOR"] == (per[0] ^ per[1] ^ per[2]).tolist()
    assert res[0]["bool.SUM"] == (sum(per) > 0).tolist() and res[0]["bool.PRODUCT"] == np.all(per, 0).tolist()
    assert res[0]["complex64.SUM"] == sum(per).tolist()
    assert res[0]["bfloat16.SUM"] == sum(per).tolist() and res[0]["float16.MAX"] == np.maximum.reduce(per).tolist()
    for refused in ("float32.BAND", "int64.AVG", "bool.AVG", "complex64.MAX", "complex64.PRODUCT"):
        assert res[0][refused] == "refused"


def test_all_reduce_agrees_bit_for_bit_on_every_rank_at_every_size():
    res = outputs(run_ranks(PRELUDE + """
for n in (0, 1, 2, 5, 1000, 300001):
    g = torch.Generator().manual_seed(n * 10 + rank)
    x = torch.randn(n, generator=g)
    mine = x.clone()
    dist.all_reduce(x)
    out(f"n{n}", [float(x.sum()), x.numpy().tobytes().hex()[:64], float(mine.sum())])
x = torch.randn(4, 3, 2)
dist.all_reduce(x, op=dist.ReduceOp.AVG)
out("avg_shape", list(x.shape))
t = torch.arange(12.).reshape(3, 4).t()  # a non-contiguous tensor is reduced in place too
dist.all_reduce(t)
out("strided", t)
dist.destroy_process_group()
""", 3))
    assert res[0] == res[1] == res[2] or all(res[0][k][:2] == r[k][:2] for r in res for k in res[0] if k[0] == "n")
    for key in ("n0", "n1", "n2", "n5", "n1000", "n300001"):
        assert res[0][key][:2] == res[1][key][:2] == res[2][key][:2]
        assert np.isclose(res[0][key][0], sum(r[key][2] for r in res), rtol=1e-4, atol=1e-3)
    assert res[0]["avg_shape"] == [4, 3, 2]
    assert res[2]["strided"] == (np.arange(12.).reshape(3, 4).T * 3).tolist()


def test_broadcast_reduce_gather_scatter_and_friends_three_ranks():
    res = outputs(run_ranks(PRELUDE + """
x = torch.arange(4) + 10 * rank
dist.broadcast(x, src=2); out("broadcast", x)
y = torch.tensor([1., 2.]) * (rank + 1)
dist.reduce(y, dst=1, op=dist.ReduceOp.MAX); out("reduce", y)
lst = [torch.zeros(2, dtype=torch.int64) for _ in range(world)]
dist.all_gather(lst, torch.tensor([rank, rank * rank])); out("all_gather", [t.tolist() for t in lst])
big = torch.zeros(world, 2); dist.all_gather_single(big, torch.ones(2) * rank); out("all_gather_single", big)
gl = [torch.zeros(1) for _ in range(world)] if rank == 0 else None
dist.gather(torch.tensor([rank + 0.5]), gl, dst=0); out("gather", [t.item() for t in gl] if gl else None)
s = torch.zeros(2)
dist.scatter(s, [torch.full((2,), float(i)) for i in range(world)] if rank == 1 else None, src=1); out("scatter", s)
rs = torch.zeros(1)
dist.reduce_scatter(rs, [torch.tensor([float(rank * 10 + i)]) for i in range(world)]); out("reduce_scatter", rs)
a2a = torch.zeros(world, dtype=torch.int64)
dist.all_to_all_single(a2a, torch.arange(world) + 100 * rank); out("all_to_all_single", a2a)
# uneven splits: rank r sends r+1 rows to every rank
send = torch.full((world * (rank + 1),), rank)
recv = torch.zeros(sum(r + 1 for r in range(world)), dtype=torch.int64)
dist.all_to_all_single(recv, send, output_split_sizes=[r + 1 for r in range(world)],
                       input_split_sizes=[rank + 1] * world); out("a2a_uneven", recv)
outs = [torch.zeros(1) for _ in range(world)]
dist.all_to_all(outs, [torch.tensor([float(rank * 10 + j)]) for j in range(world)]); out("all_to_all", [t.item() for t in outs])
ts = [torch.ones(2) * rank, torch.ones(3, dtype=torch.float32)]
dist.all_reduce_coalesced(ts); out("coalesced", [t.tolist() for t in ts])
obj = [None] * world; dist.all_gather_object(obj, {"r": rank}); out("all_gather_object", obj)
bl = [rank, "x"] if rank == 2 else [None, None]; dist.broadcast_object_list(bl, src=2); out("broadcast_object_list", bl)
go = [None] * world if rank == 1 else None; dist.gather_object(("o", rank), go, dst=1); out("gather_object", go)
so = [None]; dist.scatter_object_list(so, [f"s{i}" for i in range(world)] if rank == 0 else None, src=0)
out("scatter_object_list", so)
dist.barrier(); dist.monitored_barrier()
dist.destroy_process_group()
""", 3))
    for r, d in enumerate(res):
        assert d["broadcast"] == [20, 21, 22, 23]
        assert d["reduce"] == ([3.0, 6.0] if r == 1 else [r + 1.0, 2.0 * (r + 1)])
        assert d["all_gather"] == [[0, 0], [1, 1], [2, 4]]
        assert d["all_gather_single"] == [[0, 0], [1, 1], [2, 2]]
        assert d["gather"] == ([0.5, 1.5, 2.5] if r == 0 else None)
        assert d["scatter"] == [float(r)] * 2
        assert d["reduce_scatter"] == [float(0 + 10 + 20 + 3 * r)]
        assert d["all_to_all_single"] == [r, 100 + r, 200 + r]
        assert d["a2a_uneven"] == [0, 1, 1, 2, 2, 2]
        assert d["all_to_all"] == [float(r), 10.0 + r, 20.0 + r]
        assert d["coalesced"] == [[3.0, 3.0], [3.0, 3.0, 3.0]]
        assert d["all_gather_object"] == [{"r": 0}, {"r": 1}, {"r": 2}]
        assert d["broadcast_object_list"] == [2, "x"]
        assert d["gather_object"] == ([["o", 0], ["o", 1], ["o", 2]] if r == 1 else None)
        assert d["scatter_object_list"] == [f"s{r}"]


def test_point_to_point_tags_any_source_async_and_large_messages():
    res = outputs(run_ranks(PRELUDE + """
peer = 1 - rank
if rank == 0:
    dist.send(torch.tensor([1.]), dst=1, tag=7)
    dist.send(torch.tensor([2.]), dst=1, tag=3)
else:
    a, b = torch.zeros(1), torch.zeros(1)
    dist.recv(b, src=0, tag=3); dist.recv(a, src=0, tag=7)  # received in the other order
    out("tags", [a.item(), b.item()])
if rank == 1:
    dist.send(torch.tensor([42]), dst=0)
else:
    t = torch.zeros(1, dtype=torch.int64)
    out("any_source", [dist.recv(t), t.item()])
# both ranks send 8 MB to each other at once: neither blocks the other
big = torch.full((2_000_000,), float(rank))
got = torch.zeros(2_000_000)
ws = dist.batch_isend_irecv([dist.P2POp(dist.isend, big, peer), dist.P2POp(dist.irecv, got, peer)])
for w in ws:
    w.wait()
out("swap", [float(got.min()), float(got.max()), all(w.is_completed() for w in ws)])
works = [dist.all_reduce(torch.ones(3) * i, async_op=True) for i in range(5)]
fut = works[-1].get_future()
out("async", [w.wait() for w in works] + [fut.wait()[0].tolist()])
big_async = torch.ones(500_000) * (rank + 1)
pending = dist.all_reduce(big_async, async_op=True)
small_sync = torch.ones(2) * (rank + 1)
dist.all_reduce(small_sync)  # issued while the async one may still run: it queues behind it
pending.wait()
out("mixed", [float(big_async[0]), float(big_async[-1]), small_sync.tolist()])
req = dist.irecv(torch.zeros(1), src=peer, tag=9)
dist.isend(torch.tensor([float(rank)]), dst=peer, tag=9).wait()
req.wait()
out("irecv_done", req.is_completed())
dist.destroy_process_group()
""", 2))
    assert res[1]["tags"] == [1.0, 2.0] and res[0]["any_source"] == [1, 42]
    assert res[0]["swap"] == [1.0, 1.0, True] and res[1]["swap"] == [0.0, 0.0, True]
    assert res[0]["async"] == [True] * 5 + [[8.0, 8.0, 8.0]]
    assert res[0]["mixed"] == res[1]["mixed"] == [3.0, 3.0, [3.0, 3.0]]
    assert res[0]["irecv_done"] is True


def test_subgroups_use_group_ranks_and_skip_non_members():
    res = outputs(run_ranks(PRELUDE + """
import warnings
g = dist.new_group([0, 2])
x = torch.tensor([float(rank + 1)])
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    dist.all_reduce(x, group=g)
out("sum", x)
out("rank_in_group", [dist.get_rank(g), dist.get_world_size(g)])
out("warned", [str(w.message) for w in caught])
if g != dist.GroupMember.NON_GROUP_MEMBER:
    y = torch.tensor([float(rank)])
    dist.broadcast(y, src=2, group=g)  # a global rank
    z = torch.tensor([float(rank)])
    dist.broadcast(z, group=g, group_src=0)
    out("bc", [y.item(), z.item(), dist.get_global_rank(g, 1), dist.get_group_rank(g, 2), dist.get_process_group_ranks(g)])
mine, groups = dist.new_subgroups(1)
out("subgroup", [dist.get_world_size(mine), len(groups)])
dist.destroy_process_group()
""", 3))
    assert res[0]["sum"] == res[2]["sum"] == [4.0] and res[1]["sum"] == [2.0]
    assert [d["rank_in_group"] for d in res] == [[0, 2], [-1, -1], [1, 2]]
    assert res[1]["warned"] == ["Running all_reduce on global rank 1 which does not belong to the given group."]
    assert res[0]["bc"] == res[2]["bc"] == [2.0, 0.0, 2, 1, [0, 2]]
    assert all(d["subgroup"] == [1, 3] for d in res)


def test_mismatched_calls_fail_on_every_rank_naming_both_tensors():
    res = outputs(run_ranks(PRELUDE + """
x = torch.ones(3 if rank else 2)
try:
    dist.all_reduce(x)
    out("err", None)
except dist.DistBackendError as e:
    out("err", str(e))
y = torch.ones(2, dtype=torch.float64 if rank else torch.float32)
try:
    dist.broadcast(y, src=0)
    out("err2", None)
except RuntimeError as e:
    out("err2", str(e))
""", 2))
    assert "rank 0 passed a tensor of dtype float32 and shape (2)" in res[0]["err"]
    assert "rank 1 passed dtype float32 and shape (3)" in res[0]["err"]
    assert "rank 1 passed a tensor of dtype float32 and shape (3)" in res[1]["err"]
    assert res[0]["err2"] is None and "dtype float64" in res[1]["err2"] and "rank 0 passed dtype float32" in res[1]["err2"]


def test_a_rank_that_leaves_is_reported_instead_of_hanging():
    results = run_ranks(PRELUDE + """
if rank == 1:
    sys.exit(0)
try:
    dist.recv(torch.zeros(1), src=1)
except dist.DistBackendError as e:
    out("err", str(e))
""", 2, timeout=60)
    assert "rank 1 left the process group" in outputs(results)[0]["err"]


@pytest.mark.parametrize("method", ["tcp", "file", "store"])
def test_other_rendezvous(method, tmp_path):
    from tensorgraft.testing.distributed import free_port
    port = free_port()
    init = {"tcp": f'init_method="tcp://127.0.0.1:{port}", rank=rank, world_size=2',
            "file": f'init_method="file://{tmp_path}/rdv", rank=rank, world_size=2',
            "store": f'store=dist.TCPStore("127.0.0.1", {port}, 2, rank == 0), rank=rank, world_size=2'}[method]
    res = outputs(run_ranks(f"""
import os, json
import tensorgraft as torch, tensorgraft.distributed as dist
rank = int(os.environ["RANK"])
for k in ("MASTER_ADDR", "MASTER_PORT", "RANK", "WORLD_SIZE"):
    del os.environ[k]
dist.init_process_group("gloo", {init})
x = torch.ones(2) * (rank + 1)
dist.all_reduce(x)
print("x", json.dumps(x.tolist()))
dist.destroy_process_group()
""", 2))
    assert res[0]["x"] == res[1]["x"] == [3.0, 3.0]


def test_launcher_sets_the_environment_and_reports_failures(tmp_path):
    import subprocess
    import sys
    script = tmp_path / "job.py"
    # one write per worker: print() of several items under python -u writes them piecewise, and the
    # two workers share the launcher's stdout
    script.write_text("import os, sys, tensorgraft.distributed as dist\n"
                      "dist.init_process_group()\n"
                      "line = ' '.join(map(str, (dist.get_rank(), dist.get_world_size(), os.environ['LOCAL_RANK'], "
                      "os.environ['LOCAL_WORLD_SIZE'], dist.is_torchelastic_launched(), os.environ['OMP_NUM_THREADS'])))\n"
                      "sys.stdout.write(line + '\\n')\n"
                      "dist.destroy_process_group()\n")
    p = subprocess.run([sys.executable, "-m", "tensorgraft.distributed.run", "--standalone", "--nproc-per-node=2",
                        str(script)], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert sorted(p.stdout.split("\n")[:2]) == ["0 2 0 2 True 1", "1 2 1 2 True 1"]
    bad = tmp_path / "bad.py"
    bad.write_text("import os, sys, time\nif os.environ['RANK'] == '1': sys.exit(3)\ntime.sleep(60)\n")
    p = subprocess.run([sys.executable, "-m", "tensorgraft.distributed.run", "--nproc_per_node", "2",
                        "--master-port", "0", str(bad)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 1
    assert "worker with global rank 1 failed (exit code 3)" in p.stderr and "FAILED" in p.stderr
    p = subprocess.run([sys.executable, "-m", "tensorgraft.distributed.run", "--standalone", "--nproc-per-node=1",
                        "--no-python", sys.executable, "-c", "import os; print(os.environ['RANK'])"],
                       capture_output=True, text=True, timeout=60)
    assert p.stdout.strip() == "0"
    p = subprocess.run([sys.executable, "-m", "tensorgraft.distributed.run", "--standalone", "-m", "json.tool",
                        "--help"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and "json.tool" in p.stdout


def test_launcher_reports_the_exception_a_recorded_worker_died_of(tmp_path):
    import subprocess
    import sys
    script = tmp_path / "rec.py"
    script.write_text("import os, time\n"
                      "from tensorgraft.distributed.elastic.multiprocessing.errors import record\n"
                      "@record\n"
                      "def main():\n"
                      "    if os.environ['RANK'] == '1':\n"
                      "        raise ValueError('bad batch 7')\n"
                      "    time.sleep(60)\n"
                      "main()\n")
    p = subprocess.run([sys.executable, "-m", "tensorgraft.distributed.run", "--standalone", "--nproc-per-node=2",
                        str(script)], capture_output=True, text=True, timeout=120)
    assert p.returncode == 1
    tail = p.stderr[p.stderr.index("FAILED"):]
    assert "rank 1 ended with exit code 1; root cause:\nValueError: bad batch 7\nTraceback" in tail
    assert "rec.py\", line 6, in main" in tail


def test_record_lets_a_clean_exit_through(tmp_path, monkeypatch):
    from tensorgraft.distributed.elastic.multiprocessing.errors import ChildFailedError, record
    monkeypatch.setenv("TORCHELASTIC_ERROR_FILE", str(tmp_path / "err.json"))

    @record
    def ok():
        raise SystemExit(0)
    assert ok() is None and not (tmp_path / "err.json").exists()

    @record
    def bad():
        raise KeyError("k")
    with pytest.raises(KeyError):
        bad()
    assert json.loads((tmp_path / "err.json").read_text())["message"]["message"] == "KeyError: 'k'"
    e = ChildFailedError("train.py", {3: (1, "<N/A>"), 1: (2, "<N/A>")})
    assert e.get_first_failure() == (1, (2, "<N/A>")) and "rank 1 (exit code 2)" in str(e)


def test_legacy_launcher_passes_local_rank_unless_use_env(tmp_path):
    import subprocess
    import sys
    script = tmp_path / "la.py"
    script.write_text("import sys, os\nsys.stdout.write(f\"{sys.argv[1:]} {os.environ['LOCAL_RANK']}\\n\")\n")
    from tensorgraft.testing.distributed import free_port
    p = subprocess.run([sys.executable, "-m", "tensorgraft.distributed.launch", "--nproc_per_node=2",
                        f"--master_port={free_port()}", str(script), "--foo"], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0 and "FutureWarning: The module torch.distributed.launch is deprecated" in p.stderr
    assert sorted(p.stdout.splitlines()) == ["['--local-rank=0', '--foo'] 0", "['--local-rank=1', '--foo'] 1"]
    p = subprocess.run([sys.executable, "-m", "tensorgraft.distributed.launch", "--use-env", "--nproc_per_node=1",
                        f"--master_port={free_port()}", str(script)], capture_output=True, text=True, timeout=60)
    assert p.stdout.strip() == "[] 0"
    p = subprocess.run([sys.executable, "-m", "tensorgraft.distributed.launch", "--no-python", "echo"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode != 0 and "you must also set the '--use-env' flag" in p.stderr


def test_launcher_two_nodes_of_two_ranks_form_one_world(tmp_path):
    """--nnodes 2: each launcher starts its machine's ranks (RANK = node_rank * nproc + local) and
    all four meet at the master address (both "machines" are this one here)."""
    import subprocess
    import sys
    from tensorgraft.testing.distributed import free_port
    script = tmp_path / "job.py"
    script.write_text("import os, sys, tensorgraft as torch, tensorgraft.distributed as dist\n"
                      "dist.init_process_group()\n"
                      "x = torch.ones(1) * dist.get_rank()\n"
                      "dist.all_reduce(x)\n"
                      "sys.stdout.write(f\"{dist.get_rank()} {os.environ['LOCAL_RANK']} {os.environ['GROUP_RANK']} "
                      "{dist.get_world_size()} {x.item()}\\n\")\n"
                      "dist.destroy_process_group()\n")
    port = free_port()
    nodes = [subprocess.Popen([sys.executable, "-m", "tensorgraft.distributed.run", "--nnodes=2", f"--node-rank={n}",
                               "--nproc-per-node=2", "--master-addr=127.0.0.1", f"--master-port={port}", str(script)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for n in (0, 1)]
    outs = [p.communicate(timeout=120) for p in nodes]
    assert [p.returncode for p in nodes] == [0, 0], outs
    lines = sorted(line for out, _err in outs for line in out.splitlines())
    assert lines == ["0 0 0 4 6.0", "1 1 0 4 6.0", "2 0 1 4 6.0", "3 1 1 4 6.0"]
