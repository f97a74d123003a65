"""unique, unique_consecutive, histc, histogram and histogramdd of a tensor requiring grad, as PyTorch
2.13 records them: unique's values on Unique2Backward0 / UniqueDimBackward0 /
UniqueConsecutiveBackward0 and histogram's results on a NotImplemented node (edges to the inputs
requiring grad only), each raising PyTorch's error at backward; histc records nothing. The node
names, edges and messages are what PyTorch 2.13 gave for the same calls."""
import re

import pytest

import tensorgraft as tg

pytest.importorskip("tensorgraft.autograd")


def _x():
    return tg.tensor([3.0, 1.0, 3.0, 2.0], requires_grad=True)


def _edges(t):
    return [(type(f).__name__, nr) for f, nr in t.grad_fn.next_functions]


@pytest.mark.parametrize("call, node, aten", [
    (lambda x: tg.unique(x), "Unique2Backward0", "_unique2"),
    (lambda x: tg.unique(x, sorted=False, return_inverse=True, return_counts=True), "Unique2Backward0", "_unique2"),
    (lambda x: x.unique(), "Unique2Backward0", "_unique2"),
    (lambda x: tg.unique(x, dim=0), "UniqueDimBackward0", "unique_dim"),
    (lambda x: tg.unique_consecutive(x, return_counts=True), "UniqueConsecutiveBackward0", "unique_consecutive"),
    (lambda x: tg.unique_consecutive(x, dim=0), "UniqueConsecutiveBackward0", "unique_consecutive"),
])
def test_unique_values_get_a_node_whose_backward_raises(call, node, aten):
    x = _x()
    r = call(x)
    values, rest = (r[0], r[1:]) if isinstance(r, tuple) else (r, ())
    assert values.requires_grad and type(values.grad_fn).__name__ == node
    assert _edges(values) == [("AccumulateGrad", 0)]
    assert all(not t.requires_grad and t.grad_fn is None and t.dtype == tg.int64 for t in rest)
    with pytest.raises(NotImplementedError, match="^" + re.escape(f"the derivative for '{aten}' is not implemented.")
                       + "$"):
        values.sum().backward()
    assert repr(tg.unique(x)).endswith(f"grad_fn=<{'Unique2Backward0'}>)")


def test_no_node_without_grad_mode_or_for_histc():
    x = _x()
    with tg.no_grad():
        assert not tg.unique(x).requires_grad and not tg.histogram(x, 3).hist.requires_grad
    h = tg.histc(x, 3)
    assert not h.requires_grad and h.grad_fn is None


def test_histogram_results_share_a_not_implemented_node():
    x = _x()
    h = tg.histogram(x, 3)
    assert h.hist.grad_fn is h.bin_edges.grad_fn and h.hist.grad_fn.name() == "torch::autograd::NotImplemented"
    assert type(h.hist.grad_fn).__name__ == "NotImplemented" and _edges(h.hist) == [("AccumulateGrad", 0)]
    assert repr(h).endswith("grad_fn=<NotImplemented>))")
    with pytest.raises(RuntimeError, match=r"^derivative for aten::histogram is not implemented$"):
        h.hist.sum().backward()
    # edges to the inputs requiring grad only: (input, bins, weight) as given
    w = tg.ones(4, requires_grad=True)
    assert _edges(tg.histogram(x.detach(), 3, weight=w).hist) == [("AccumulateGrad", 0)]
    assert _edges(tg.histogram(x, 3, weight=tg.ones(4)).hist) == [("AccumulateGrad", 0)]
    e = tg.tensor([0.0, 2.0, 4.0], requires_grad=True)
    assert _edges(tg.histogram(x, e, weight=w).hist) == [("AccumulateGrad", 0)] * 3


def test_histogramdd_nodes():
    x = tg.tensor([[3.0, 1.0], [3.0, 2.0]], requires_grad=True)
    r = tg.histogramdd(x, bins=[2, 2])
    assert type(r.hist.grad_fn).__name__ == "NotImplemented"
    # the edges come from an op of their own: one node for them all, not the histogram's
    assert r.bin_edges[0].grad_fn is r.bin_edges[1].grad_fn is not r.hist.grad_fn
    with pytest.raises(RuntimeError, match=r"^derivative for aten::_histogramdd_from_bin_cts is not implemented$"):
        r.hist.sum().backward()
    with pytest.raises(RuntimeError, match=r"^derivative for aten::_histogramdd_bin_edges is not implemented$"):
        r.bin_edges[0].sum().backward()
    bins = [tg.tensor([0.0, 2.0, 4.0], requires_grad=True), tg.tensor([0.0, 2.0, 4.0])]
    r = tg.histogramdd(x.detach(), bins=bins)
    assert r.bin_edges[0] is bins[0] and r.bin_edges[1] is bins[1]  # (handed back themselves)
    with pytest.raises(RuntimeError, match=r"^derivative for aten::_histogramdd_from_bin_tensors is not implemented$"):
        r.hist.sum().backward()
