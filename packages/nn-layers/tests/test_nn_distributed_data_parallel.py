"""``nn.parallel.DistributedDataParallel`` over two ranks (subprocesses joined by
``tensorgraft.distributed``): replicas start equal, gradients are averaged during backward, so
training on half the batch per rank equals one process training on all of it; ``no_sync``,
unused parameters, communication hooks, bucket views and PyTorch's errors. The ``_oracle`` twin
runs the same scripts under PyTorch."""
from __future__ import annotations


import pytest

pytest.importorskip("tensorgraft.nn", reason="needs tensorgraft-nn")
dist = pytest.importorskip("tensorgraft.distributed", reason="needs tensorgraft.distributed")

import tensorgraft as tg  # noqa: E402
import tensorgraft.nn as nn  # noqa: E402


from _tg_distributed_ranks import run_ranks  # noqa: E402  (see conftest.py)

# An MLP, its data and a reference trained in one process on the whole batch; each rank trains
# the DDP replica on its half (rank r holds rows r::WORLD).
TRAINING = '''
torch.manual_seed(RANK)   # different initial weights on each rank: DDP must broadcast rank 0's
def make():
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2)).double()
rng = np.random.default_rng(0)
X = torch.tensor(rng.standard_normal((8, 4)))
Y = torch.tensor(rng.standard_normal((8, 2)))
mine = slice(RANK, None, WORLD)


def sgd(model, lr=0.1):
    with torch.no_grad():
        for p in model.parameters():
            if p.grad is not None:
                p -= lr * p.grad
                p.grad = None
'''


def test_training_on_half_the_batch_per_rank_equals_one_process_on_the_whole_batch():
    script = TRAINING + '''
model = make()
ddp = torch.nn.parallel.DistributedDataParallel(model, bucket_cap_mb=0.0001)  # several buckets
ref = make()
ref.load_state_dict(model.state_dict())   # rank 0's weights after the broadcast
losses = []
for step in range(4):
    out = ddp(X[mine])
    loss = ((out - Y[mine]) ** 2).mean()
    loss.backward()
    grads = [numbers(p.grad) for p in ddp.parameters()]
    sgd(ddp)
    ref_loss = ((ref(X) - Y) ** 2).mean()
    ref_loss.backward()
    ref_grads = [numbers(p.grad) for p in ref.parameters()]
    sgd(ref)
    losses.append(float(loss))
diff = max(float((a - b).abs().max()) for a, b in zip(model.parameters(), ref.parameters()))
report({"diff": diff, "grads": grads, "ref_grads": ref_grads, "params": [numbers(p) for p in model.parameters()],
        "keys": list(ddp.state_dict()), "module_is_model": ddp.module is model,
        "buckets": len(ddp.reducer.buckets)})
'''
    r0, r1 = run_ranks(script)
    for r in (r0, r1):
        assert r["diff"] < 1e-12
        assert r["module_is_model"]
        assert r["keys"] == ["module.0.weight", "module.0.bias", "module.2.weight", "module.2.bias"]
        assert r["buckets"] > 1
        for g, ref in zip(r["grads"], r["ref_grads"]):
            assert tg.allclose(tg.tensor(g, dtype=tg.float64), tg.tensor(ref, dtype=tg.float64), atol=1e-12)
    assert r0["params"] == r1["params"]   # the replicas stay identical


def test_no_sync_accumulates_locally_and_the_next_synced_backward_averages_the_sum():
    script = TRAINING + '''
ddp = torch.nn.parallel.DistributedDataParallel(make())
w = ddp.module[0].weight
with ddp.no_sync():
    ddp(X[mine][:2]).sum().backward()
    local_1 = w.grad.clone()
    ddp(X[mine][2:]).sum().backward()
local_2 = w.grad.clone()
out = ddp(X[mine])                  # a forward outside no_sync: its backward synchronises
with ddp.no_sync():
    out.sum().backward()
report({"local_1": numbers(local_1), "local_2": numbers(local_2), "final": numbers(w.grad)})
'''
    r0, r1 = run_ranks(script)
    assert r0["local_1"] != r1["local_1"]            # nothing averaged inside no_sync
    for r in (r0, r1):
        a0 = tg.tensor(r0["local_2"], dtype=tg.float64)
        a1 = tg.tensor(r1["local_2"], dtype=tg.float64)
        # each rank adds its full-half gradient (= its two micro-batches again) to what it accumulated
        assert tg.allclose(tg.tensor(r["final"], dtype=tg.float64), (2 * a0 + 2 * a1) / 2, atol=1e-12)


def test_an_unused_parameter_fails_the_next_forward_and_a_parameter_cannot_be_ready_twice():
    script = '''
class Two(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Linear(2, 2)
        self.b = torch.nn.Linear(2, 2)

    def forward(self, x):
        return self.a(x)

ddp = torch.nn.parallel.DistributedDataParallel(Two())
ddp(torch.ones(1, 2)).sum().backward()
try:
    ddp(torch.ones(1, 2))
    unfinished = None
except RuntimeError as e:
    unfinished = str(e)
with torch.no_grad():
    ddp(torch.ones(1, 2))           # no check without grad
plain = torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(2, 2))
out = plain(torch.ones(1, 2))
plain(torch.ones(1, 2))             # a forward whose backward never ran leaves nothing unfinished
plain.module.weight.sum().backward()
try:
    out.sum().backward()
    twice = None
except RuntimeError as e:
    twice = str(e)
report({"unfinished": unfinished, "twice": twice})
'''
    for rank, r in enumerate(run_ranks(script)):
        assert r["unfinished"].startswith("Expected to have finished reduction in the prior iteration before starting "
                                          "a new one. This error indicates that your module has parameters that were "
                                          "not used in producing loss.")
        assert f"Parameter indices which did not receive grad for rank {rank}: 2 3\n" in r["unfinished"]
        assert r["twice"].startswith("Expected to mark a variable ready only once.")
        assert "Parameter at index 0 with name .weight has been marked as ready twice." in r["twice"]


def test_find_unused_parameters_and_static_graph():
    script = '''
class Branches(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.a = torch.nn.Linear(2, 2).double()
        self.b = torch.nn.Linear(2, 2).double()   # used by rank 0 only
        self.c = torch.nn.Linear(2, 2).double()   # used by no rank
        self.d = torch.nn.Linear(2, 2).double()   # its output is left out of the loss

    def forward(self, x, use_b):
        y = self.a(x)
        if use_b:
            y = y + self.b(x)
        return y, self.d(x)

x = torch.full((1, 2), float(RANK + 1), dtype=torch.float64)
ddp = torch.nn.parallel.DistributedDataParallel(Branches(), find_unused_parameters=True)
for step in range(2):
    ddp.zero_grad()
    y, _ = ddp(x, RANK == 0)
    y.sum().backward()
m = ddp.module
static = torch.nn.parallel.DistributedDataParallel(Branches(), static_graph=True)
for step in range(3):
    static(x, False)[0].sum().backward()
report({"a": numbers(m.a.weight.grad), "b": numbers(m.b.weight.grad), "c": m.c.weight.grad is None,
        "d": m.d.weight.grad is None, "static_a": numbers(static.module.a.weight.grad),
        "static_b": static.module.b.weight.grad is None})
'''
    r0, r1 = run_ranks(script)
    for r in (r0, r1):
        assert r["a"] == [[1.5, 1.5], [1.5, 1.5]]     # (1 + 2) / 2
        assert r["b"] == [[0.5, 0.5], [0.5, 0.5]]     # rank 0's 1, rank 1's nothing, averaged
        assert r["c"] and r["d"]                      # no rank used them: .grad untouched
        assert r["static_a"] == [[4.5, 4.5], [4.5, 4.5]]   # three steps accumulated
        assert r["static_b"]


def test_comm_hook_gradient_as_bucket_view_and_frozen_parameters():
    script = TRAINING + '''
calls = []

def averaging_hook(state, bucket):
    calls.append((bucket.index(), bucket.is_last(), len(bucket.parameters())))
    fut = dist.all_reduce(bucket.buffer(), async_op=True).get_future()
    return fut.then(lambda f: f.value()[0] / state)

torch.manual_seed(1)
hooked = torch.nn.parallel.DistributedDataParallel(make())
hooked.register_comm_hook(WORLD, averaging_hook)
try:
    hooked.register_comm_hook(WORLD, averaging_hook)
    again = None
except RuntimeError as e:
    again = str(e)
torch.manual_seed(1)
plain = torch.nn.parallel.DistributedDataParallel(make())
torch.manual_seed(5)
frozen = make()
frozen[0].weight.requires_grad_(False)
viewed = torch.nn.parallel.DistributedDataParallel(frozen, gradient_as_bucket_view=True)
for m in (hooked, plain, viewed):
    for step in range(2):
        m(X[mine]).sum().backward()
same = all(bool((a.grad == b.grad).all()) for a, b in zip(hooked.parameters(), plain.parameters()))
report({"same": same, "calls": calls, "again": again, "frozen_grad": frozen[0].weight.grad is None,
        "view": all(p.grad._base is not None for p in frozen.parameters() if p.requires_grad),
        "viewed": [numbers(p.grad) for p in frozen.parameters() if p.requires_grad],
        "frozen_weight": numbers(frozen[0].weight)})
'''
    r0, r1 = run_ranks(script)
    for r in (r0, r1):
        assert r["same"]
        assert r["calls"] == [[0, True, 4], [0, True, 4]]
        assert r["again"] == "register_comm_hook or register_builtin_comm_hook can only be called once."
        assert r["frozen_grad"] and r["view"]
    assert r0["viewed"] == r1["viewed"]
    assert r0["frozen_weight"] == r1["frozen_weight"]   # broadcast at construction even though frozen


def test_buffers_are_broadcast_at_construction_and_by_each_forward():
    script = '''
import warnings

def make():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.BatchNorm1d(3))

x = torch.randn(4, 3) + RANK
synced = torch.nn.parallel.DistributedDataParallel(make())
start = numbers(synced.module[1].running_mean)
for step in range(2):
    synced(x)
after_forward = numbers(synced.module[1].running_mean)  # rank 0's, broadcast before the last forward ran
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    local = torch.nn.parallel.DistributedDataParallel(make(), broadcast_buffers=False)
for step in range(2):
    local(x)
report({"start": start, "synced": numbers(synced.module[1].running_mean),
        "local": numbers(local.module[1].running_mean),
        "warned": [str(w.category.__name__) for w in caught], "flag": local.broadcast_buffers})
'''
    r0, r1 = run_ranks(script)
    assert r0["start"] == r1["start"]
    # each forward broadcasts rank 0's buffers first, then updates them from the local batch
    assert r0["synced"] != r1["synced"]
    assert r0["local"] != r1["local"]
    assert r0["warned"] == ["FutureWarning"] and r0["flag"] is False


def test_bad_arguments_get_pytorchs_errors():
    script = '''
import warnings

def error(fn):
    try:
        fn()
    except Exception as e:
        return [type(e).__name__, str(e)]

DDP = torch.nn.parallel.DistributedDataParallel
frozen = torch.nn.Linear(2, 2).requires_grad_(False)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    DDP(torch.nn.Linear(2, 2), check_reduction=True)
report({
    "frozen": error(lambda: DDP(frozen)),
    "no_params": error(lambda: DDP(torch.nn.ReLU())),
    "device_ids": error(lambda: DDP(torch.nn.Linear(2, 2), device_ids=[0, 1])),
    "cpu_device_ids": error(lambda: DDP(torch.nn.Linear(2, 2), device_ids=[0]))[0],
    "delay": error(lambda: DDP(torch.nn.Linear(2, 2), delay_all_reduce_named_params=[])),
    "check_reduction": [str(w.message) for w in caught],
})
'''
    (r,) = run_ranks(script, world_size=1)
    needless = "DistributedDataParallel is not needed when a module doesn't have any parameter that requires a gradient."
    assert r["frozen"] == ["RuntimeError", needless]
    assert r["no_params"] == ["RuntimeError", needless]
    assert r["device_ids"] == ["ValueError", "device_ids can only be None or contain a single element."]
    assert r["cpu_device_ids"] == "ValueError"
    assert r["delay"] == ["ValueError", "delay_all_reduce_named_params and param_to_hook_all_reduce need to be set "
                                        "at the same time."]
    assert r["check_reduction"] == ["The `check_reduction` argument in `DistributedDataParallel` module is "
                                    "deprecated. Please avoid using it."]


def test_without_a_process_group_construction_fails_and_the_class_is_exported():
    if dist.is_initialized():
        pytest.skip("a process group is initialised in this process")
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        nn.parallel.DistributedDataParallel(nn.Linear(2, 2))
    from tensorgraft.nn.parallel import DistributedDataParallel
    from tensorgraft.nn.parallel.distributed import DistributedDataParallel as same
    assert DistributedDataParallel is same is nn.parallel.DistributedDataParallel


def test_mismatched_models_are_refused():
    script = '''
model = torch.nn.Sequential(*[torch.nn.Linear(2, 2) for _ in range(1 + RANK)])
try:
    torch.nn.parallel.DistributedDataParallel(model)
    count = None
except RuntimeError as e:
    count = str(e)
model = torch.nn.Linear(2, 2 + RANK)
try:
    torch.nn.parallel.DistributedDataParallel(model)
    shape = None
except RuntimeError as e:
    shape = str(e)
report({"count": count, "shape": shape})
'''
    r0, r1 = run_ranks(script, timeout=30)
    assert r0["count"] == ("DDP expects same model across all ranks, but Rank 0 has 2 params, while rank 1 has "
                           "inconsistent 4 params.")
    assert r1["count"] == ("DDP expects same model across all ranks, but Rank 1 has 4 params, while rank 0 has "
                           "inconsistent 2 params.")
    # (PyTorch leaves rank 0 waiting in the broadcast that follows; here it is told)
    assert r0["shape"] == ("DDP expects same model across all ranks, but the parameters of rank(s) [1] do not match "
                           "the sizes and strides of process 0's.")
    assert r1["shape"] == ("[1]: params[0] in this process with sizes [3, 2] appears not to match sizes of the same "
                           "param in process 0.")
