"""tensorgraft.distributed against torch.distributed (PyTorch 2.13, gloo): the same programs, run
as the same ranks, print the same lines; the stores answer alike; the common mistakes get
PyTorch's errors."""
from __future__ import annotations

from datetime import timedelta

import pytest

torch = pytest.importorskip("torch")
import torch.distributed as tdist  # noqa: E402

import tensorgraft as tg  # noqa: E402
import tensorgraft.distributed as dist  # noqa: E402
from tensorgraft.testing.distributed import run_ranks  # noqa: E402
from tensorgraft.testing.oracle import assert_same_error  # noqa: E402

IMPORTS = {"torch": "import torch\nimport torch.distributed as dist\n",
           "tensorgraft": "import tensorgraft as torch\nimport tensorgraft.distributed as dist\n"}
NN_IMPORTS = {"torch": "import torch.nn as nn, torch.nn.functional as F, torch.optim as optim\n",
              "tensorgraft": "import tensorgraft.nn as nn, tensorgraft.nn.functional as F, tensorgraft.optim as optim\n"}


def both(program: str, world_size: int, nn: bool = False):
    """Every rank's output of ``program`` under PyTorch and under tensorgraft."""
    runs = {}
    for lib, imports in IMPORTS.items():
        imports += NN_IMPORTS[lib] if nn else ""
        # leave with os._exit: PyTorch's gloo sometimes aborts at interpreter exit ("terminate called
        # without an active exception") after a job that ended cleanly
        results = run_ranks("import warnings; warnings.simplefilter('ignore')\n" + imports + program
                            + "\nimport os, sys\nsys.stdout.flush()\nos._exit(0)\n", world_size)
        runs[lib] = [r.stdout for r in results]
    return runs["torch"], runs["tensorgraft"]


def test_collectives_print_the_same():
    expected, got = both("""
dist.init_process_group("gloo")
r, n = dist.get_rank(), dist.get_world_size()
x = torch.tensor([1., 2., 3.]) * (r + 1)
dist.all_reduce(x); print("sum", x)
y = torch.tensor([1., 2.]) * (r + 1); dist.all_reduce(y, op=dist.ReduceOp.AVG); print("avg", y)
i = torch.tensor([5, 3, 9]) + r; dist.all_reduce(i, op=dist.ReduceOp.MIN); print("min", i)
z = torch.arange(4) + r; dist.broadcast(z, src=2); print("bc", z)
out = [torch.zeros(2) for _ in range(n)]; dist.all_gather(out, torch.ones(2) * r); print("ag", out)
big = torch.zeros(n * 2); dist.all_gather_into_tensor(big, torch.ones(2) * r); print("agt", big)
red = torch.tensor([float(r)]); dist.reduce(red, dst=0); print("reduce", red if r == 0 else "-")
rs = torch.zeros(2); dist.reduce_scatter_tensor(rs, torch.arange(6.) * (r + 1)); print("rs", rs)
a2a = torch.zeros(3); dist.all_to_all_single(a2a, torch.arange(3.) + 10 * r); print("a2a", a2a)
w = dist.all_reduce(torch.ones(3), async_op=True); print(w.wait(), w.is_completed(), w.get_future().wait())
o = [None] * n; dist.all_gather_object(o, {"rank": r}); print(o)
lst = [r, "x"]; dist.broadcast_object_list(lst, src=1); print(lst)
g = dist.new_group([0, 2]); print("g", dist.get_rank(g), dist.get_world_size(g))
print(dist.get_backend(), dist.ReduceOp.SUM, repr(dist.ReduceOp.MAX), dist.is_initialized())
dist.barrier()
dist.destroy_process_group(); print(dist.is_initialized())
""", 3)
    assert got == expected


def test_the_distributed_tutorial_programs_print_the_same():
    """PyTorch's "Writing Distributed Applications" tutorial: point-to-point, a ring all-reduce
    built from isend/irecv, and synchronous SGD averaging gradients with all_reduce (on random data
    from manual_seed, which gives PyTorch's numbers)."""
    pytest.importorskip("tensorgraft.nn", reason="needs tensorgraft-nn")
    pytest.importorskip("tensorgraft.optim", reason="needs tensorgraft-optim")
    expected, got = both("""
dist.init_process_group("gloo")
rank, size = dist.get_rank(), dist.get_world_size()
tensor = torch.zeros(1)
if rank == 0:
    tensor += 1
    dist.send(tensor=tensor, dst=1)
else:
    dist.recv(tensor=tensor, src=0)
print('Rank ', rank, ' has data ', tensor[0])
tensor = torch.zeros(1)
if rank == 0:
    tensor += 1
    req = dist.isend(tensor=tensor, dst=1)
    print('Rank 0 started sending')
else:
    req = dist.irecv(tensor=tensor, src=0)
    print('Rank 1 started receiving')
req.wait()
print('Rank ', rank, ' has data ', tensor[0])

def allreduce(send, recv):
    rank, size = dist.get_rank(), dist.get_world_size()
    send_buff, recv_buff, accum = send.clone(), send.clone(), send.clone()
    left, right = ((rank - 1) + size) % size, (rank + 1) % size
    for i in range(size - 1):
        if i % 2 == 0:
            send_req = dist.isend(send_buff, right)
            dist.recv(recv_buff, left)
            accum[:] += recv_buff[:]
        else:
            send_req = dist.isend(recv_buff, right)
            dist.recv(send_buff, left)
            accum[:] += send_buff[:]
        send_req.wait()
    recv[:] = accum[:]

t = torch.arange(4.) * (rank + 1); r = torch.zeros(4); allreduce(t, r); print("ring", r)

torch.manual_seed(1234)
data, target = torch.randn(64, 10), torch.randint(0, 3, (64,))
mine = slice(rank * 32, (rank + 1) * 32)
model = nn.Sequential(nn.Linear(10, 16), nn.ReLU(), nn.Linear(16, 3))
opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.5)
for epoch in range(3):
    opt.zero_grad()
    loss = F.cross_entropy(model(data[mine]), target[mine])
    loss.backward()
    for p in model.parameters():
        dist.all_reduce(p.grad.data, op=dist.ReduceOp.SUM)
        p.grad.data /= float(size)
    opt.step()
    print('Rank ', rank, ', epoch ', epoch, ': ', round(loss.item(), 5))
print([round(float(p.sum()), 4) for p in model.parameters()])
dist.destroy_process_group()
""", 2, nn=True)
    assert got == expected


def test_hash_store_answers_as_pytorch():
    for lib in (tdist, dist):
        s = lib.HashStore()
        s.set("a", "1")
        got = [s.get("a"), s.add("n", 3), s.add("n", 2), s.get("n"), s.check(["a"]), s.check(["a", "b"]),
               s.num_keys(), s.compare_set("k", "x", "v"), s.compare_set("k", "", "v"), s.compare_set("k", "v", "w"),
               s.delete_key("a"), s.delete_key("a"), s.num_keys()]
        s.append("ap", "ab")
        s.append("ap", "cd")
        got += [s.get("ap"), s.multi_get(["ap", "k"]), s.timeout]
        if lib is tdist:
            expected = got
    assert got == expected


def test_tcp_store_times_out_as_pytorch():
    def wait(lib):
        s = lib.TCPStore("127.0.0.1", 0, 1, True, timedelta(seconds=5))
        s.set_timeout(timedelta(milliseconds=100))
        try:
            s.get("zz")
        finally:
            if hasattr(s, "close"):
                s.close()
    assert_same_error(lambda: wait(tdist), lambda: wait(dist))


def test_common_mistakes_get_pytorch_errors(monkeypatch):
    for var in ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(var, raising=False)
    assert_same_error(lambda: tdist.get_rank(), lambda: dist.get_rank())
    assert_same_error(lambda: tdist.all_reduce(torch.ones(1)), lambda: dist.all_reduce(tg.ones(1)))
    assert_same_error(lambda: tdist.init_process_group("gloo"), lambda: dist.init_process_group("gloo"))
    assert_same_error(lambda: tdist.init_process_group("gloo", store=tdist.HashStore()),
                      lambda: dist.init_process_group("gloo", store=dist.HashStore()))
    assert_same_error(lambda: tdist.init_process_group("nccl", store=tdist.HashStore(), rank=0, world_size=1),
                      lambda: dist.init_process_group("nccl", store=dist.HashStore(), rank=0, world_size=1))
    tdist.init_process_group("gloo", store=tdist.HashStore(), rank=0, world_size=1)
    dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)
    try:
        assert_same_error(lambda: tdist.init_process_group("gloo", store=tdist.HashStore(), rank=0, world_size=1),
                          lambda: dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1))
        assert_same_error(lambda: tdist.all_reduce([torch.ones(1)]), lambda: dist.all_reduce([tg.ones(1)]))
        assert_same_error(lambda: tdist.all_reduce(torch.ones(1), op=tdist.ReduceOp.BAND),
                          lambda: dist.all_reduce(tg.ones(1), op=dist.ReduceOp.BAND))
        assert_same_error(lambda: tdist.all_reduce(torch.tensor([1 + 1j]), op=tdist.ReduceOp.MAX),
                          lambda: dist.all_reduce(tg.tensor([1 + 1j]), op=dist.ReduceOp.MAX))
        assert_same_error(lambda: tdist.all_reduce(torch.tensor([3]), op=tdist.ReduceOp.AVG),
                          lambda: dist.all_reduce(tg.tensor([3]), op=dist.ReduceOp.AVG))
        assert_same_error(lambda: tdist.send(torch.ones(1), dst=0), lambda: dist.send(tg.ones(1), dst=0))
        assert_same_error(lambda: tdist.gather(torch.ones(1), dst=0), lambda: dist.gather(tg.ones(1), dst=0))
        assert_same_error(lambda: tdist.all_gather([torch.ones(1)] * 2, torch.ones(1)),
                          lambda: dist.all_gather([tg.ones(1)] * 2, tg.ones(1)))
    finally:
        tdist.destroy_process_group()
        dist.destroy_process_group()


def test_debug_levels_and_complex_support_as_pytorch():
    assert [str(v) for v in tdist.DebugLevel.__members__.values()] == [str(v) for v in dist.DebugLevel.__members__.values()]
    assert repr(tdist.DebugLevel.INFO) == repr(dist.DebugLevel.INFO)
    for op in ("SUM", "AVG", "PRODUCT", "MIN", "MAX", "BAND", "BOR", "BXOR"):
        assert tdist.supports_complex(getattr(tdist.ReduceOp, op)) == dist.supports_complex(getattr(dist.ReduceOp, op))
    tdist.init_process_group("gloo", store=tdist.HashStore(), rank=0, world_size=1)
    dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)
    try:
        assert tdist.get_backend_config() == dist.get_backend_config()
    finally:
        tdist.destroy_process_group()
        dist.destroy_process_group()
