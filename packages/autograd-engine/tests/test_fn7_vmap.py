"""``tensorgraft.func.vmap`` runs the function slice by slice on slices whose memory is marked as
batched (``_vmap._BatchedArray``): reading such a value as a Python value is refused inside the
vmap (as PyTorch refuses it), the mark never changes a value and never shows outside the vmap,
and a training batch norm with unbatched running stats is refused before it changes anything."""
from __future__ import annotations

import pickle
import threading

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.func import _vmap
from tensorgraft.func._vmap import _BatchedArray

ITEM = "vmap: It looks like you're calling .item() on a Tensor"
FLOW = "vmap: It looks like you're attempting to use a Tensor in some data-dependent control flow"
BOTH = r"vmap: It looks like you're either \(1\) calling .item\(\)"


def _x():
    return tg.tensor(np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32))


@pytest.mark.parametrize("read, message", [
    (lambda t: t.sum().item(), ITEM), (lambda t: float(t[0]), ITEM), (lambda t: int(t[1]), ITEM),
    (lambda t: f"{t.sum():.3f}", ITEM), (lambda t: [0, 1, 2, 3][t.long()[0].abs()], ITEM),
    (lambda t: t if t.sum() > 0 else -t, FLOW), (lambda t: t.tolist(), "Cannot access data pointer"),
])
def test_user_reads_of_batched_values_are_refused(read, message):
    with pytest.raises(RuntimeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        tg.func.vmap(read)(_x())


def test_reads_inside_grad_inside_vmap_get_the_combined_message():
    with pytest.raises(RuntimeError, match=BOTH):
        tg.func.vmap(tg.func.grad(lambda w: w.sum() * w.sum().item()))(_x())
    with pytest.raises(RuntimeError, match=BOTH):
        tg.func.vmap(tg.func.jacrev(lambda w: w * (1.0 if w.sum() > 0 else 2.0)))(_x())


def test_the_refusal_comes_before_the_value_is_used():
    seen = []

    def f(t):
        seen.append(t.sum().item())
        return t
    with pytest.raises(RuntimeError, match="calling .item"):
        tg.func.vmap(f)(_x())
    assert seen == []


def test_unbatched_values_and_internal_reads_are_allowed():
    pytest.importorskip("tensorgraft.nn", reason="uses nn layers (tensorgraft-nn)")
    x = _x()
    out = tg.func.vmap(lambda t, s: t * s.item() * tg.tensor(2.).item(), in_dims=(0, None))(x, tg.tensor(3.))
    np.testing.assert_allclose(out.numpy(), x.numpy() * 6, rtol=1e-6)
    # cross_entropy / one_hot read their inputs internally: no user read
    logits = tg.tensor(np.random.default_rng(1).standard_normal((2, 5, 4)).astype(np.float32))
    target = tg.tensor([[0, 1, 2, 3, 0], [3, 3, 2, 1, 0]])
    per = tg.func.vmap(lambda a, y: tg.nn.functional.cross_entropy(a, y))(logits, target)
    ref = tg.stack([tg.nn.functional.cross_entropy(logits[i], target[i]) for i in range(2)])
    np.testing.assert_allclose(per.numpy(), ref.numpy(), rtol=1e-6)
    assert tg.func.vmap(lambda y: tg.nn.functional.one_hot(y, 4))(target).shape == (2, 5, 4)


def test_the_mark_never_leaves_vmap():
    x = _x().requires_grad_()
    y = tg.func.vmap(lambda t: (t.sin() * t).sum())(x)
    assert type(y._data) is np.ndarray
    y.sum().backward()
    # gradients are computed from marked slices: outside vmap they read as any tensor
    assert isinstance(x.grad.sum().item(), float)
    assert len(x.grad.tolist()) == 3
    restored = pickle.loads(pickle.dumps(x.grad._data))
    assert type(restored) is np.ndarray
    np.testing.assert_array_equal(restored, x.grad.numpy())
    assert repr(np.arange(2.).view(_BatchedArray)) == repr(np.arange(2.))


def test_nested_vmap_results_stay_batched_for_the_outer_vmap():
    with pytest.raises(RuntimeError, match="calling .item"):
        tg.func.vmap(lambda r: tg.func.vmap(lambda t: t * 2)(r).sum().item())(_x())
    # an inner vmap over a tensor the outer one does not map gives unbatched results
    out = tg.func.vmap(lambda r: r * tg.func.vmap(lambda t: t * 2)(tg.ones(2)).sum().item())(_x())
    np.testing.assert_allclose(out.numpy(), _x().numpy() * 4, rtol=1e-6)


def test_another_threads_reads_are_not_refused():
    ready, done = threading.Event(), threading.Event()
    got = []

    def other():
        ready.wait()
        got.append(tg.ones(2).sum().item())
        done.set()
    th = threading.Thread(target=other)
    th.start()

    def f(t):
        ready.set()
        done.wait(10)
        return t * 2
    tg.func.vmap(f)(_x())
    th.join()
    assert got == [2.0]


def test_training_batch_norm_is_refused_before_it_changes_anything():
    pytest.importorskip("tensorgraft.nn", reason="uses nn layers (tensorgraft-nn)")
    bn = tg.nn.BatchNorm1d(4)
    with pytest.raises(RuntimeError, match="Batch norm got a batched tensor as input while the running_mean"):
        tg.func.vmap(bn)(_x().view(3, 1, 4).expand(3, 2, 4))
    assert bn.num_batches_tracked.item() == 0
    assert bn.running_mean.tolist() == [0.0] * 4
    # the check is installed only while a vmap runs
    from tensorgraft.nn.modules import _global_hooks
    assert not _global_hooks.forward_pre_hooks
    assert _vmap._bn_hook_handle is None


def test_batch_norm_cases_that_work():
    pytest.importorskip("tensorgraft.nn", reason="uses nn layers (tensorgraft-nn)")
    x = _x().view(3, 1, 4).expand(3, 2, 4).contiguous()
    assert tg.func.vmap(tg.nn.BatchNorm1d(4).eval())(x).shape == (3, 2, 4)
    assert tg.func.vmap(tg.nn.BatchNorm1d(4, track_running_stats=False))(x).shape == (3, 2, 4)
    model = tg.func.replace_all_batch_norm_modules_(tg.nn.Sequential(tg.nn.Linear(4, 4), tg.nn.BatchNorm1d(4)))
    assert tg.func.vmap(model)(x).shape == (3, 2, 4)
    # an unbatched input to a training batch norm inside vmap is no batched input
    bn = tg.nn.BatchNorm1d(4)
    out = tg.func.vmap(lambda t: bn(tg.ones(2, 4)) * t, in_dims=0)(tg.ones(3, 1, 4))
    assert out.shape == (3, 2, 4)


def test_results_get_the_batched_ops_node_and_stacks_gradient():
    x = _x().requires_grad_()
    w = tg.ones(4, 2, requires_grad=True)
    cases = [(lambda t: t * 2, "MulBackward0"), (lambda t: t.sum(), "SumBackward1"), (lambda t: t @ w, "SqueezeBackward5"),
             (lambda t: t.mean(), "MeanBackward1")]
    for f, name in cases:
        y = tg.func.vmap(f)(x)
        assert type(y.grad_fn).__name__ == name
        ref = tg.stack([f(x[i]) for i in range(3)])
        g1 = tg.autograd.grad((y ** 2).sum(), (x, w), allow_unused=True)
        g2 = tg.autograd.grad((ref ** 2).sum(), (x, w), allow_unused=True)
        for a, b in zip(g1, g2):
            if b is not None:
                np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)
    assert type(tg.func.vmap(lambda t: t * 2, out_dims=1)(x).grad_fn).__name__ == "PermuteBackward0"
    assert tg.func.vmap(lambda t: t)(x) is x


def test_out_dims_out_of_range():
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        tg.func.vmap(lambda t: t, out_dims=2)(_x())


def test_a_batch_of_one_is_stacked_not_expanded():
    x = _x()[:1].requires_grad_()
    y = tg.func.vmap(lambda t: t * 2)(x)
    assert type(y.grad_fn).__name__ == "MulBackward0"
    assert y.is_contiguous()
    y.add_(1)  # an expanded view would refuse this write
    np.testing.assert_allclose(y.detach().numpy(), x.detach().numpy() * 2 + 1, rtol=1e-6)


def test_gradients_through_vmap_carry_no_mark():
    pytest.importorskip("tensorgraft.nn", reason="uses nn layers (tensorgraft-nn)")
    x = _x().requires_grad_()
    model = tg.nn.Sequential(tg.nn.Linear(4, 5), tg.nn.Tanh(), tg.nn.Linear(5, 2))
    tg.func.vmap(lambda t: model(t).sin())(x).sum().backward()
    assert type(x.grad.numpy()) is np.ndarray
    assert all(type(p.grad.numpy()) is np.ndarray for p in model.parameters())
    tg.optim.Adam(model.parameters()).step()
    assert all(type(p.detach().numpy()) is np.ndarray for p in model.parameters())


def test_backward_refusal_helper_for_the_engine():
    # autograd.backward is to call this first (it is outside this package; see the report)
    from tensorgraft.func._custom_functions import refuse_backward_under_transforms
    refuse_backward_under_transforms()  # no transform running: nothing happens
    msg = "backward\\(\\) called inside a functorch transform"

    def f(t):
        refuse_backward_under_transforms()
        return t.sum()
    with pytest.raises(RuntimeError, match=msg):
        tg.func.vmap(f)(_x())
    with pytest.raises(RuntimeError, match=msg):
        tg.func.grad(f)(tg.ones(3))
    with pytest.raises(RuntimeError, match=msg):
        tg.func.jacrev(f)(tg.ones(3))
    refuse_backward_under_transforms()  # and nothing after they finished


def test_backward_inside_a_transform_is_refused():
    w = tg.ones(4, requires_grad=True)
    msg = "backward\\(\\) called inside a functorch transform"

    def f(t):
        (t * w).sum().backward()
        return t.sum()
    with pytest.raises(RuntimeError, match=msg):
        tg.func.vmap(f)(_x())
    with pytest.raises(RuntimeError, match=msg):
        tg.func.grad(f)(tg.ones(4))
    assert w.grad is None  # refused before anything was written
    (w * 2).sum().backward()  # and allowed again afterwards
    assert w.grad.tolist() == [2.0, 2.0, 2.0, 2.0]
