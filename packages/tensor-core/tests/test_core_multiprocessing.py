"""tensorgraft.multiprocessing: shared-memory tensors across fork, spawn and queues, and spawn()'s
errors. Targets of spawned processes are importable functions (a module written to tmp_path, or
functools.partial over tensorgraft's own methods), as spawn needs."""
import functools
import io
import multiprocessing as std_mp
import operator
import sys
import textwrap
from multiprocessing.reduction import ForkingPickler

import pytest

import tensorgraft as tg
import tensorgraft.multiprocessing as mp

fork_only = pytest.mark.skipif("fork" not in std_mp.get_all_start_methods(), reason="needs the fork start method")


def test_reexports_multiprocessing_and_strategies():
    assert mp.Process is std_mp.Process and mp.Queue is std_mp.Queue and mp.get_context is std_mp.get_context
    assert mp.get_sharing_strategy() == "file_descriptor"
    assert mp.get_all_sharing_strategies() == {"file_descriptor", "file_system"}
    mp.set_sharing_strategy("file_system")
    try:
        assert mp.get_sharing_strategy() == "file_system"
    finally:
        mp.set_sharing_strategy("file_descriptor")
    with pytest.raises(AssertionError, match="invalid sharing strategy 'nope', expected one of"):
        mp.set_sharing_strategy("nope")
    assert tg.multiprocessing is mp


@pytest.mark.filterwarnings("ignore:TypedStorage is deprecated")
def test_share_memory_keeps_values_and_reports_shared():
    t = tg.arange(6.).reshape(2, 3).t()  # a transposed (Fortran-ordered) base keeps its strides
    base = t._base if t._base is not None else t
    assert not t.is_shared() and not base.is_shared()
    strides = t.stride()
    assert t.share_memory_() is t
    assert t.is_shared() and t.untyped_storage().is_shared() and t.storage().is_shared()
    assert t.tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]] and t.stride() == strides
    data = t._data
    t.share_memory_()  # already shared: nothing moves
    assert t._data is data
    for empty_or_int in (tg.zeros(0), tg.tensor([1, 2]), tg.tensor(True)):
        assert empty_or_int.share_memory_().is_shared()


def test_a_view_is_shared_with_its_base():
    base = tg.arange(6.)
    view = base[1:3]
    view.share_memory_()
    assert view.is_shared() and base.is_shared()
    base[1] = 100.0
    assert view.tolist() == [100.0, 2.0]


def test_pickling_for_another_process_moves_into_shared_memory():
    t = tg.arange(4.)
    buf = io.BytesIO()
    ForkingPickler(buf).dump(t)
    assert t.is_shared()  # as in PyTorch, the sender's tensor moved
    back = ForkingPickler.loads(buf.getvalue())
    back.add_(1)  # the same memory
    assert t.tolist() == [1.0, 2.0, 3.0, 4.0]


def test_requires_grad_travels_and_non_leaf_requiring_grad_is_refused():
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
    leaf = tg.ones(2, requires_grad=True)
    assert ForkingPickler.loads(ForkingPickler.dumps(leaf)).requires_grad
    x = tg.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="Cowardly refusing to serialize non-leaf tensor which requires_grad"):
        ForkingPickler.dumps(x)
    assert not x.is_shared()


class Marked(tg.Tensor):
    """Defined after tensorgraft.multiprocessing was imported (Tensor.__init_subclass__ registers it)."""


def test_subclasses_defined_later_are_registered():
    assert Marked in ForkingPickler._extra_reducers
    m = tg.ones(3).as_subclass(Marked)
    reducer = ForkingPickler._extra_reducers[Marked]
    rebuild, args = reducer(m)
    back = rebuild(*args)
    assert type(back) is Marked and back.is_shared() and m.is_shared()


@fork_only
def test_forked_child_writes_reach_the_parent_only_when_shared():
    ctx = std_mp.get_context("fork")
    shared, private = tg.zeros(3).share_memory_(), tg.zeros(3)

    def child():
        shared.add_(1)
        private.add_(1)
    p = ctx.Process(target=child)
    p.start()
    p.join()
    assert p.exitcode == 0
    assert shared.tolist() == [1.0, 1.0, 1.0] and private.tolist() == [0.0, 0.0, 0.0]


@pytest.fixture
def workers(tmp_path, monkeypatch):
    """A module of spawn targets that the spawned interpreters can import (sys.path travels to them)."""
    (tmp_path / "tg_mp_workers.py").write_text(textwrap.dedent("""
        def set_rank(i, t, value):
            t[i] = value

        def echo(q_in, q_out):
            t = q_in.get()
            t.mul_(10)
            q_out.put(t[1])
            q_in.get()  # the file descriptor is served by this process until the parent has it
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    import tg_mp_workers
    return tg_mp_workers


def test_spawn_runs_each_rank_on_shared_arguments(workers):
    t = tg.zeros(3)
    assert mp.spawn(workers.set_rank, args=(t, 7.0), nprocs=3) is None
    assert t.tolist() == [7.0, 7.0, 7.0] and t.is_shared()


def test_spawn_join_false_returns_the_context(workers):
    t = tg.zeros(2)
    context = mp.spawn(functools.partial(workers.set_rank, t=t, value=5.0), nprocs=2, join=False)
    assert isinstance(context, mp.ProcessContext) and len(context.pids()) == 2
    while not context.join():
        pass
    assert t.tolist() == [5.0, 5.0]


def test_spawn_raises_the_childs_traceback():
    with pytest.raises(mp.ProcessRaisedException) as info:
        mp.spawn(operator.truediv, args=(0,), nprocs=2)
    e = info.value
    assert isinstance(e, mp.ProcessException) and e.error_index in (0, 1) and e.error_pid > 0
    assert str(e).startswith(f"\n\n-- Process {e.error_index} terminated with the following error:\nTraceback")
    assert "ZeroDivisionError: division by zero" in str(e)


def test_spawn_reports_an_exit_code():
    with pytest.raises(mp.ProcessExitedException, match=r"^process 1 terminated with exit code 1$") as info:
        mp.spawn(sys.exit, nprocs=2)  # rank 0 exits with 0, rank 1 with 1
    assert info.value.exit_code == 1 and info.value.signal_name is None and info.value.error_index == 1


def test_exceptions_pickle():
    e = mp.ProcessExitedException("m", 1, 42, -9, "SIGKILL")
    back = ForkingPickler.loads(ForkingPickler.dumps(e))
    assert (back.msg, back.error_index, back.error_pid, back.exit_code, back.signal_name) == ("m", 1, 42, -9,
                                                                                           "SIGKILL")


def test_queue_between_spawned_processes_shares_memory(workers):
    ctx = mp.get_context("spawn")
    q_in, q_out = ctx.Queue(), ctx.Queue()
    p = ctx.Process(target=workers.echo, args=(q_in, q_out))
    p.start()
    t = tg.arange(6.).reshape(2, 3)
    q_in.put(t)
    row = q_out.get(timeout=60)
    q_in.put(None)
    p.join(60)
    assert p.exitcode == 0
    assert t.tolist() == [[0.0, 10.0, 20.0], [30.0, 40.0, 50.0]]
    assert row.tolist() == [30.0, 40.0, 50.0] and row.is_shared()
