"""The nodes of recurrent layers' outputs and of label-smoothed cross entropy with class targets,
against PyTorch: the node trees (names; edges to nothing left out, as every op here keeps one per
non-tensor argument), values, dtypes and gradients."""
import itertools

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import tensorgraft as tg  # noqa: E402


def named_tree(fn):
    if fn is None:
        return None
    kids = tuple(named_tree(f) for f, _ in fn.next_functions if f is not None)
    return (type(fn).__name__.replace("torch::autograd::", ""), kids)


def top_names(t):
    fn = t.grad_fn
    return (type(fn).__name__, [type(f).__name__ for f, _ in fn.next_functions if f is not None])


@pytest.mark.parametrize("kind, batch_first, bidirectional, unbatched",
                         [c for c in itertools.product(["RNN", "GRU", "LSTM"], [False, True], [False, True],
                                                       [False, True])])
def test_recurrent_output_nodes_match_torch(kind, batch_first, bidirectional, unbatched):
    rng = np.random.default_rng(41)
    data = rng.standard_normal((2, 5, 3))
    if unbatched:
        data = data[0]
    results = []
    state = None
    for m in (torch, tg):
        layer = getattr(m.nn, kind)(3, 4, batch_first=batch_first, bidirectional=bidirectional).double()
        if state is None:
            state = {k: v.detach().numpy() for k, v in layer.state_dict().items()}
        else:
            layer.load_state_dict({k: m.tensor(v) for k, v in state.items()})
        x = m.tensor(data, requires_grad=True)
        out, hidden = layer(x)
        hs = hidden if kind == "LSTM" else (hidden,)
        out.pow(2).sum().backward()
        results.append((top_names(out)[0], [type(h.grad_fn).__name__ for h in hs], out.detach().numpy(),
                        x.grad.numpy(), top_names(out)[1][:1]))
    ref, ours = results
    assert ours[0] == ref[0] and ours[1] == ref[1]
    if batch_first or unbatched:  # below the transposes/squeezes: Stack/Cat (ours) vs the same in torch
        assert ours[4] == ref[4] or ref[4] == ["MkldnnRnnLayerBackward0"]
    np.testing.assert_allclose(ours[2], ref[2], rtol=1e-10)
    np.testing.assert_allclose(ours[3], ref[3], rtol=1e-9)


@pytest.mark.parametrize("shape", [(4, 3), (3,), (2, 3, 4), (2, 3, 4, 2), (2, 3, 2, 2, 2)])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted, ignore_index", [(False, -100), (True, -100), (False, 0), (True, 2)])
def test_smoothed_class_target_cross_entropy_matches_torch(shape, reduction, weighted, ignore_index):
    rng = np.random.default_rng(42)
    xv = rng.standard_normal(shape).astype(np.float32)
    tv = rng.integers(0, 3, shape[:1] + shape[2:] if len(shape) > 1 else ())
    wv = (rng.random(3) + 0.5).astype(np.float32)
    results = []
    for m in (torch, tg):
        x = m.tensor(xv, requires_grad=True)
        loss = m.nn.functional.cross_entropy(x, m.tensor(tv), weight=m.tensor(wv) if weighted else None,
                                             ignore_index=ignore_index, reduction=reduction, label_smoothing=0.15)
        loss.backward(m.ones_like(loss))
        results.append((named_tree(loss.grad_fn), str(loss.dtype).split(".")[-1], tuple(loss.shape),
                        loss.detach().numpy(), x.grad.numpy()))
    ref, ours = results
    assert ours[:3] == ref[:3]
    np.testing.assert_allclose(ours[3], ref[3], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours[4], ref[4], rtol=1e-5, atol=1e-6)


def test_label_smoothing_top_edges_match_torch():
    names = []
    for m in (torch, tg):
        x = m.zeros(4, 3, requires_grad=True)
        loss = m.nn.functional.cross_entropy(x, m.tensor([0, 1, 2, 0]), label_smoothing=0.1)
        names.append([type(f).__name__ for f, _ in loss.grad_fn.next_functions])
    assert names[0] == names[1] == ["MulBackward1", "MulBackward1"]
