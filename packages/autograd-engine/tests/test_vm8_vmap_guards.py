"""``func/_vmap_guards.py``: the kernel and method patches exist only while a vmap runs (removed
after the last one, also when the function raises), act only in the thread running the vmap and
only on calls made by user code, keep results of batched inputs marked inside the vmap (and
never outside it), and refuse before anything changes."""
from __future__ import annotations

import threading

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.func import _vmap, _vmap_guards
from tensorgraft.func._vmap import _BatchedArray
from tensorgraft.registry import registry


@pytest.fixture
def loop_vmap(monkeypatch):
    """The slice-by-slice vmap (``TENSORGRAFT_VMAP=loop``, a supported mode) whatever mode this
    process runs: the test checks that loop's own workings."""
    monkeypatch.setattr(_vmap, "_MODE", "loop")


def _x():
    return tg.tensor(np.random.default_rng(3).standard_normal((3, 4)).astype(np.float32))


def _snapshot():
    kernels = {name: registry.ops[name].table.get("cpu") for name in registry.ops}
    methods = {name: vars(tg.Tensor)[name] for name in ("add_", "copy_", "__setitem__", "numpy", "__getitem__")}
    functions = {name: getattr(tg, name) for name in ("nonzero", "where", "unique", "equal")}
    return kernels, methods, functions


@pytest.mark.usefixtures("loop_vmap")
def test_patches_are_in_place_only_while_a_vmap_runs():
    before = _snapshot()
    seen = {}

    def f(r):
        seen["add_"] = vars(tg.Tensor)["add_"]
        seen["any"] = registry.ops["any"].table["cpu"]
        return r * 2
    tg.func.vmap(tg.func.vmap(f))(_x().reshape(3, 2, 2))
    assert seen["add_"] is not before[1]["add_"] and seen["any"] is not before[0]["any"]
    assert seen["add_"].__name__ == "add_" and seen["add_"].__wrapped__ is before[1]["add_"]
    assert _snapshot() == before
    assert _vmap_guards._users == 0 and _vmap_guards.batch_sizes() == []


def test_patches_are_removed_when_the_function_raises():
    # (the first vectorized vmap of a process turns __torch_function__ dispatch on for good, which
    # rebinds the methods: done before the snapshot, so this test does not depend on running after
    # another one that did it)
    tg.func.vmap(lambda r: r * 2)(_x())
    before = _snapshot()
    with pytest.raises(RuntimeError, match="dynamic shape"):
        tg.func.vmap(lambda r: tg.nonzero(r > 0))(_x())
    with pytest.raises(ZeroDivisionError):
        tg.func.vmap(lambda r: 1 / 0)(_x())
    assert _snapshot() == before


@pytest.mark.parametrize("op", [
    lambda r: (r > 0).any(), lambda r: r.argmax(), lambda r: tg.where(r > 0, r, 0.0), lambda r: tg.cat([r, r]),
    lambda r: r.max(0)[1], lambda r: tg.einsum("i,i->", r, r),
])
@pytest.mark.usefixtures("loop_vmap")
def test_results_of_batched_inputs_stay_marked_inside_and_plain_outside(op):
    inside = []
    out = tg.func.vmap(lambda r: inside.append(op(r)) or op(r))(_x())
    assert all(isinstance(t._data, _BatchedArray) for t in inside)
    assert type(out._data) is np.ndarray


def test_results_of_unbatched_inputs_are_not_marked():
    inside = []
    tg.func.vmap(lambda r: inside.append(tg.ones(4).argmax()) or r)(_x())
    assert not isinstance(inside[0]._data, _BatchedArray)


def test_data_dependent_branch_on_any_is_refused():
    def f(r):
        return r if (r > 0).any() else -r
    with pytest.raises(RuntimeError, match="data-dependent control flow"):
        tg.func.vmap(f)(_x())


def test_inplace_refusal_comes_before_the_write():
    buf = tg.zeros(4)
    for write in (lambda r: buf.copy_(r), lambda r: buf.add_(r), lambda r: buf.__setitem__(0, r[0]),
                  lambda r: buf.masked_fill_(r > 0, 1.0)):
        with pytest.raises(RuntimeError):
            tg.func.vmap(write)(_x())
        assert buf.tolist() == [0.0] * 4


def test_functional_batch_norm_refusal_comes_before_the_update():
    pytest.importorskip("tensorgraft.nn", reason="uses nn layers (tensorgraft-nn)")
    import tensorgraft.nn.functional as F
    rm, rv = tg.zeros(2), tg.ones(2)
    with pytest.raises(RuntimeError, match="Batch norm got a batched tensor"):
        tg.func.vmap(lambda r: F.batch_norm(r.reshape(2, 2), rm, rv, training=True))(_x())
    assert rm.tolist() == [0.0, 0.0] and rv.tolist() == [1.0, 1.0]
    assert rm._version == 0


def test_library_internals_are_not_refused():
    pytest.importorskip("tensorgraft.nn", reason="uses nn layers (tensorgraft-nn)")
    import tensorgraft.nn.functional as F
    logits = tg.tensor(np.random.default_rng(1).standard_normal((2, 5, 4)).astype(np.float32))
    target = tg.tensor([[0, 1, 3, 2, 1], [3, 3, 0, 1, 2]])
    out = tg.func.vmap(lambda lg, t: F.cross_entropy(lg, t, ignore_index=1))(logits, target)
    expected = [F.cross_entropy(logits[i], target[i], ignore_index=1).item() for i in range(2)]
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)


def test_other_threads_are_left_alone():
    results = {}
    go, done = threading.Event(), threading.Event()

    def other():
        go.wait(5)
        try:
            # a plain tensor in a thread with no vmap running: nothing refused or marked
            t = tg.tensor([0.0, 1.0, 2.0])
            results["nonzero"] = tg.nonzero(t).flatten().tolist()
            results["marked"] = isinstance((t > 0).any()._data, _BatchedArray)
            buf = tg.zeros(3)
            buf.copy_(t)
            results["copy"] = buf.tolist()
        finally:
            done.set()

    def f(r):
        if not go.is_set():
            go.set()
            done.wait(5)
        return r + 1
    thread = threading.Thread(target=other)
    thread.start()
    tg.func.vmap(f)(_x())
    thread.join(5)
    assert results == {"nonzero": [1, 2], "marked": False, "copy": [0.0, 1.0, 2.0]}


def test_vmap_results_can_be_read_after_the_vmap():
    out = tg.func.vmap(lambda r: (r > 0).any())(_x())
    assert isinstance(out.tolist(), list) and out.numpy().shape == (3,)
    assert tg.nonzero(out).shape[1] == 1
