"""tensorgraft.distributed in one process (a world of size 1): the API's answers and its refusals of
bad input, which are raised before anything changes."""
from __future__ import annotations

import os
from datetime import timedelta

import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.distributed as dist


@pytest.fixture
def world():
    dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)
    yield
    if dist.is_initialized():
        dist.destroy_process_group()


def test_nothing_works_before_init_process_group():
    assert dist.is_available() and not dist.is_initialized() and dist.group.WORLD is None
    msg = "Default process group has not been initialized, please make sure to call init_process_group."
    for call in (dist.get_rank, dist.get_world_size, dist.barrier, lambda: dist.all_reduce(tg.ones(1)),
                 dist.destroy_process_group, dist.new_group):
        with pytest.raises(ValueError, match=msg):
            call()


def test_world_of_one(world):
    assert dist.is_initialized() and dist.get_rank() == 0 and dist.get_world_size() == 1
    assert dist.get_backend() == "gloo" and isinstance(dist.get_backend(), dist.Backend)
    assert dist.group.WORLD is dist.GroupMember.WORLD is dist._get_default_group()
    assert dist.get_process_group_ranks(dist.group.WORLD) == [0]
    x = tg.tensor([1.0, 2.0])
    for op in (dist.ReduceOp.SUM, dist.ReduceOp.AVG, dist.ReduceOp.MAX, dist.ReduceOp.PRODUCT):
        dist.all_reduce(x, op=op)
    assert x.tolist() == [1.0, 2.0]
    out = [tg.zeros(2)]
    dist.all_gather(out, x)
    assert out[0].tolist() == [1.0, 2.0]
    w = dist.all_reduce(x, async_op=True)
    assert w.wait() is True and w.is_completed() and w.is_success() and w.get_future().wait()[0] is x
    objs = [None]
    dist.all_gather_object(objs, {"a": 1})
    assert objs == [{"a": 1}]
    dist.barrier()
    g = dist.new_group([0])
    assert dist.get_rank(g) == 0 and dist.get_world_size(g) == 1 and dist.get_pg_count() == 2
    dist.destroy_process_group()
    assert not dist.is_initialized() and dist.group.WORLD is None


def test_blocking_calls_run_inline_only_when_nothing_is_queued(world):
    import threading
    pg = dist.group.WORLD
    ran_in = []
    assert pg.run_now(lambda: ran_in.append(threading.current_thread()))
    assert ran_in == [threading.current_thread()]
    gate = threading.Event()
    work = pg.submit(gate.wait, None)  # the worker is busy with this one
    assert not pg.run_now(lambda: ran_in.append("inline"))  # would overtake it: refused
    gate.set()
    work.wait()
    assert ran_in == [threading.current_thread()] and pg._pending == 0


def test_a_collective_ignores_autograd_and_the_version_counter(world):
    pytest.importorskip("tensorgraft.autograd", reason="needs tensorgraft-autograd")
    x = tg.ones(3, requires_grad=True)  # PyTorch's collectives write in place below autograd
    dist.all_reduce(x)
    assert x.requires_grad and x.grad_fn is None and x._version == 0


def test_init_refusals():
    with pytest.raises(AssertionError, match="Cannot specify both init_method and store."):
        dist.init_process_group("gloo", init_method="tcp://127.0.0.1:1", store=dist.HashStore(), rank=0, world_size=1)
    with pytest.raises(AssertionError, match="world_size must be positive if using store"):
        dist.init_process_group("gloo", store=dist.HashStore())
    with pytest.raises(AssertionError, match="rank must be non-negative if using store"):
        dist.init_process_group("gloo", store=dist.HashStore(), world_size=1)
    with pytest.raises(RuntimeError, match="No rendezvous handler for bla://"):
        dist.init_process_group("gloo", init_method="bla://x", rank=0, world_size=1)
    with pytest.raises(AssertionError, match="Unknown backend type foo"):
        dist.init_process_group("foo", store=dist.HashStore(), rank=0, world_size=1)
    with pytest.raises(RuntimeError, match="Distributed package doesn't have MPI built in"):
        dist.init_process_group("mpi", store=dist.HashStore(), rank=0, world_size=1)
    with pytest.raises(TypeError, match="Expected timeout argument to be of type datetime.timedelta"):
        dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1, timeout=5)
    with pytest.raises(ValueError, match=r"Invalid rank 3: the rank must be in \[0, 1\]"):
        dist.init_process_group("gloo", store=dist.HashStore(), rank=3, world_size=2)
    assert not dist.is_initialized()


def test_nccl_needs_a_cuda_device():
    if dist.is_nccl_available():
        pytest.skip("a CUDA device is present: nccl is accepted")
    with pytest.raises(RuntimeError, match="Distributed package doesn't have NCCL built in"):
        dist.init_process_group("nccl", store=dist.HashStore(), rank=0, world_size=1)


def test_env_rendezvous_names_the_missing_variable(monkeypatch):
    for var in ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(ValueError, match="Error initializing torch.distributed using env:// rendezvous: environment "
                                         "variable RANK expected, but not set"):
        dist.init_process_group("gloo")
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "1")
    with pytest.raises(ValueError, match="environment variable MASTER_ADDR expected, but not set"):
        dist.init_process_group("gloo")


def test_tcp_and_file_rendezvous_need_rank_and_world_size(tmp_path):
    with pytest.raises(ValueError, match="tcp:// rendezvous: port number missing"):
        dist.init_process_group("gloo", init_method="tcp://127.0.0.1")
    with pytest.raises(ValueError, match="tcp:// rendezvous: rank parameter missing"):
        dist.init_process_group("gloo", init_method="tcp://127.0.0.1:5")
    with pytest.raises(ValueError, match="file:// rendezvous: world size parameter missing"):
        dist.init_process_group("gloo", init_method=f"file://{tmp_path}/f", rank=0)


def test_file_and_tcp_rendezvous_of_one(tmp_path):
    dist.init_process_group("gloo", init_method=f"file://{tmp_path}/rdv", rank=0, world_size=1)
    dist.destroy_process_group()
    from tensorgraft.testing.distributed import free_port
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{free_port()}?rank=0&world_size=1")
    assert dist.get_world_size() == 1
    dist.destroy_process_group()


def test_init_twice_is_refused(world):
    with pytest.raises(ValueError, match="trying to initialize the default process group twice!"):
        dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)


def test_reduce_op_refusals_leave_the_tensor_alone(world):
    x = tg.tensor([1.5, 2.5])
    with pytest.raises(RuntimeError, match="Cannot use ReduceOp.BAND with non-integral dtype"):
        dist.all_reduce(x, op=dist.ReduceOp.BAND)
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        dist.all_reduce(tg.tensor([3, 5]), op=dist.ReduceOp.AVG)
    with pytest.raises(ValueError, match="all_reduce does not support RedOpType.MAX on complex tensors"):
        dist.all_reduce(tg.tensor([1 + 2j]), op=dist.ReduceOp.MAX)
    with pytest.raises(ValueError, match="PREMUL_SUM is not supported"):
        dist.all_reduce(x, op=dist.ReduceOp.PREMUL_SUM)
    assert x.tolist() == [1.5, 2.5] and x._version == 0


def test_argument_type_errors(world):
    with pytest.raises(TypeError, match="Expected parameter `tensor` of type torch.Tensor\n +but got <class 'list'>"):
        dist.all_reduce([tg.ones(2)])
    with pytest.raises(TypeError, match=r"`tensor_list` of type List\[torch.Tensor\]"):
        dist.all_gather(tg.ones(2), tg.ones(2))
    with pytest.raises(RuntimeError, match=r"invalid output tensor list at index 0 \(expected length 1, got 2\)"):
        dist.all_gather([tg.ones(2), tg.ones(2)], tg.ones(2))
    with pytest.raises(RuntimeError, match="Collectives take dense tensors"):
        dist.all_reduce(tg.ones(2, 2).to_sparse())
    with pytest.raises(RuntimeError, match="meta tensor"):
        dist.all_reduce(tg.ones(2, device="meta"))


def test_rank_arguments_are_checked(world):
    with pytest.raises(RuntimeError, match="Invalid src rank 3"):
        dist.broadcast(tg.ones(2), src=3)
    with pytest.raises(ValueError, match="destination rank should not be the same as the rank of the current process"):
        dist.send(tg.ones(2), dst=0)
    with pytest.raises(ValueError, match="Argument ``gather_list`` must be specified on destination rank."):
        dist.gather(tg.ones(2), dst=0)
    with pytest.raises(ValueError, match="Argument ``scatter_list`` must be specified on source rank."):
        dist.scatter(tg.ones(2), src=0)
    with pytest.raises(ValueError, match="Can not specify both src and group_src"):
        dist.broadcast(tg.ones(2), src=0, group_src=0)
    with pytest.raises(ValueError, match="not within the world of size 1"):
        dist.new_group([0, 1])
    with pytest.raises(ValueError, match="Invalid ``op``"):
        dist.P2POp(dist.all_reduce, tg.ones(1), 0)
    with pytest.raises(ValueError, match="Invalid ``p2p_op_list``"):
        dist.batch_isend_irecv([1])
    with pytest.raises(ValueError, match=r"cannot take its own input 0 \(tensorgraft.float32 of shape \(3,\)\)|float32 of shape \(3,\)"):
        dist.all_to_all_single(tg.zeros(2), tg.zeros(3))


def test_single_outputs_check_their_sizes(world):
    with pytest.raises(ValueError, match="1 times the input's elements"):
        dist.all_gather_single(tg.zeros(3), tg.zeros(2))
    out = tg.zeros(2)
    dist.all_gather_single(out, tg.tensor([4.0, 5.0]))
    assert out.tolist() == [4.0, 5.0]
    with pytest.warns(FutureWarning, match="all_gather_into_tensor` is deprecated"):
        dist.all_gather_into_tensor(out, tg.tensor([1.0, 2.0]))
    with pytest.warns(FutureWarning, match="reduce_scatter_tensor` is deprecated"):
        dist.reduce_scatter_tensor(out, tg.tensor([7.0, 8.0]))
    assert out.tolist() == [7.0, 8.0]


def test_reduce_op_and_backend_names():
    assert repr(dist.ReduceOp.AVG) == "<RedOpType.AVG: 1>" and str(dist.ReduceOp.SUM) == "RedOpType.SUM"
    assert isinstance(dist.ReduceOp.SUM, dist.ReduceOp) and dist.ReduceOp.RedOpType.MAX == 4
    assert dist.ReduceOp(dist.ReduceOp.MIN).op is dist.ReduceOp.MIN
    assert dist.Backend("GLOO") == "gloo" and dist.Backend("custom") == "custom"
    assert dist.is_gloo_available() and not dist.is_mpi_available()
    assert dist.get_default_backend_for_device("cuda:0") == "nccl"


def test_node_local_rank_and_torchelastic(monkeypatch):
    monkeypatch.delenv("LOCAL_RANK", raising=False)
    monkeypatch.delenv("TORCHELASTIC_RUN_ID", raising=False)
    assert dist.get_node_local_rank(fallback_rank=3) == 3 and not dist.is_torchelastic_launched()
    with pytest.raises(RuntimeError, match="LOCAL_RANK is not in the environment"):
        dist.get_node_local_rank()
    monkeypatch.setenv("LOCAL_RANK", "2")
    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "x")
    assert dist.get_node_local_rank() == 2 and dist.is_torchelastic_launched()


def test_torch_futures():
    f = tg.futures.Future()
    assert not f.done()
    g = f.then(lambda fut: fut.value() + 1)
    f.set_result(3)
    assert f.wait() == 3 and g.wait() == 4 and f.done()
    with pytest.raises(RuntimeError, match="Attempting to mark a completed Future as complete again"):
        f.set_result(4)
    h = tg.futures.Future()
    h.set_exception(ValueError("x"))
    with pytest.raises(ValueError, match="x"):
        h.wait()
    bad = h.then(lambda fut: fut.value())
    with pytest.raises(ValueError):
        bad.wait()
    assert tg.futures.wait_all([f, g]) == [3, 4]
    assert tg.futures.collect_all([f, g]).wait() == [f, g]
    seen = []
    f.add_done_callback(lambda fut: seen.append(fut.value()))
    assert seen == [3]
    with pytest.raises(RuntimeError, match="before the future completed"):
        tg.futures.Future().value()


def test_timeout_default_and_env_is_untouched():
    assert dist.default_pg_timeout == timedelta(minutes=30)
    assert "RANK" not in os.environ or os.environ["RANK"].isdigit()
    assert np.dtype("float32")  # (numpy imported for the sake of symmetry with the other tests)


def test_debug_level_complex_support_and_backend_config(world, monkeypatch):
    assert dist.get_debug_level() == dist.DebugLevel.OFF and str(dist.DebugLevel.DETAIL) == "DebugLevel.DETAIL"
    monkeypatch.setenv("TORCH_DISTRIBUTED_DEBUG", "detail")
    dist.set_debug_level_from_env()
    assert dist.get_debug_level() is dist.DebugLevel.DETAIL
    dist.set_debug_level(dist.DebugLevel.OFF)
    monkeypatch.setenv("TORCH_DISTRIBUTED_DEBUG", "LOUD")
    with pytest.raises(ValueError, match="must be OFF, INFO, or DETAIL"):
        dist.set_debug_level_from_env()
    assert [dist.supports_complex(op) for op in (dist.ReduceOp.SUM, dist.ReduceOp.AVG, dist.ReduceOp.MAX)] == [
        True, True, False]
    assert dist.get_backend_config() == "cpu:gloo,cuda:gloo"


def test_breakpoint_on_another_rank_only_waits_and_skip_counts_calls(world):
    dist.breakpoint(rank=3)  # not this rank: a barrier, no debugger
    for _ in range(2):
        dist.breakpoint(rank=0, skip=2)  # the first two calls from this line pass


def test_all_gather_coalesced(world):
    outs = [[tg.zeros(2), tg.zeros(3)]]
    with pytest.warns(FutureWarning, match="all_gather_coalesced` will be deprecated"):
        dist.all_gather_coalesced(outs, [tg.ones(2), tg.full((3,), 2.0)])
    assert [o.tolist() for o in outs[0]] == [[1.0, 1.0], [2.0, 2.0, 2.0]]
    with pytest.warns(FutureWarning), pytest.raises(ValueError, match="one per rank"):
        dist.all_gather_coalesced([[tg.zeros(2)]], [tg.ones(3)])


def test_custom_rendezvous_handler():
    seen = []

    def handler(url, timeout=None, **kwargs):
        seen.append((url, kwargs))
        yield dist.HashStore(), 0, 1
    dist.register_rendezvous_handler("mine", handler)
    with pytest.raises(RuntimeError, match="Rendezvous handler for mine:// already registered"):
        dist.register_rendezvous_handler("mine", handler)
    dist.init_process_group("gloo", init_method="mine://somewhere", rank=0, world_size=1)
    try:
        assert dist.get_world_size() == 1 and seen == [("mine://somewhere", {"rank": 0, "world_size": 1})]
    finally:
        dist.destroy_process_group()
