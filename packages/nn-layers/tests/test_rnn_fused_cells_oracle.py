"""LSTM/GRU (modules and cells), now built on the fused cell ops, against PyTorch with the same
weights: outputs, final states, gradients of the input, initial states and every parameter,
gradients of gradients, and the grad_fn names users see on the module outputs."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensorgraft as tg  # noqa: E402
import tensorgraft.nn as nn  # noqa: E402
from tensorgraft.nn.utils import rnn as U  # noqa: E402
from tensorgraft.testing.oracle import as_both  # noqa: E402

TOL = {np.float64: (1e-9, 1e-11), np.float32: (2e-4, 2e-5)}
TDT = {np.float64: torch.float64, np.float32: torch.float32}


def npy(t):
    return t.detach().cpu().numpy()


def pair(cls_name, dtype, seed, *args, **kwargs):
    """The same module in tensorgraft and torch, with tensorgraft's random weights copied over."""
    tg.manual_seed(seed)
    ours = getattr(nn, cls_name)(*args, **kwargs, dtype=tg.float64 if dtype is np.float64 else tg.float32)
    theirs = getattr(torch.nn, cls_name)(*args, **kwargs, dtype=TDT[dtype])
    with torch.no_grad():
        for name, p in ours.named_parameters():
            getattr(theirs, name).copy_(torch.from_numpy(npy(p)))
    return ours, theirs


def check(ours, theirs, outs, touts, leaves, tleaves, dtype):
    rtol, atol = TOL[dtype]
    for o, t in zip(outs, touts):
        assert o.shape == tuple(t.shape) and str(o.dtype) == str(t.dtype)
        np.testing.assert_allclose(npy(o), t.detach().numpy(), rtol=rtol, atol=atol)
    rng = np.random.default_rng(99)
    weights = [rng.standard_normal(tuple(t.shape)).astype(dtype) for t in touts]
    sum((o * tg.tensor(w)).sum() for o, w in zip(outs, weights)).backward()
    sum((t * torch.from_numpy(w)).sum() for t, w in zip(touts, weights)).backward()
    for a, b in zip(leaves, tleaves):
        np.testing.assert_allclose(npy(a.grad), b.grad.numpy(), rtol=rtol, atol=atol)
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(npy(p.grad), q.grad.numpy(), rtol=rtol, atol=atol, err_msg=name)


@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("cls_name,kwargs", [
    ("LSTM", {}), ("GRU", {}),
    ("LSTM", {"num_layers": 2, "bidirectional": True}), ("GRU", {"num_layers": 2, "bidirectional": True}),
    ("LSTM", {"proj_size": 2, "batch_first": True}), ("GRU", {"batch_first": True, "bias": False}),
])
def test_modules_with_given_state(dtype, cls_name, kwargs):
    ours, theirs = pair(cls_name, dtype, 1, 3, 4, **kwargs)
    rng = np.random.default_rng(1)
    D = 2 if kwargs.get("bidirectional") else 1
    L = kwargs.get("num_layers", 1) * D
    x = rng.standard_normal((2, 5, 3) if kwargs.get("batch_first") else (5, 2, 3)).astype(dtype)
    h0 = rng.standard_normal((L, 2, kwargs.get("proj_size") or 4)).astype(dtype)
    (xa, xb), (ha, hb) = as_both(x, requires_grad=True), as_both(h0, requires_grad=True)
    if cls_name == "LSTM":
        (ca, cb) = as_both(rng.standard_normal((L, 2, 4)).astype(dtype), requires_grad=True)
        out, (h, c) = ours(xa, (ha, ca))
        tout, (th, tc) = theirs(xb, (hb, cb))
        check(ours, theirs, (out, h, c), (tout, th, tc), (xa, ha, ca), (xb, hb, cb), dtype)
    else:
        out, h = ours(xa, ha)
        tout, th = theirs(xb, hb)
        check(ours, theirs, (out, h), (tout, th), (xa, ha), (xb, hb), dtype)


@pytest.mark.parametrize("cls_name", ["LSTM", "GRU"])
def test_packed_bidirectional(cls_name):
    ours, theirs = pair(cls_name, np.float64, 2, 3, 4, bidirectional=True)
    x = np.random.default_rng(2).standard_normal((6, 3, 3))
    (xa, xb) = as_both(x, requires_grad=True)
    lengths = [4, 6, 2]
    out, hid = ours(U.pack_padded_sequence(xa, lengths, enforce_sorted=False))
    tout, thid = theirs(torch.nn.utils.rnn.pack_padded_sequence(xb, lengths, enforce_sorted=False))
    hs = hid if cls_name == "GRU" else hid[0]
    ths = thid if cls_name == "GRU" else thid[0]
    check(ours, theirs, (out.data, hs), (tout.data, ths), (xa,), (xb,), np.float64)


@pytest.mark.parametrize("cls_name", ["LSTM", "GRU"])
def test_unbatched_default_state(cls_name):
    ours, theirs = pair(cls_name, np.float32, 3, 3, 4)
    xa, xb = as_both(np.random.default_rng(3).standard_normal((5, 3)).astype(np.float32), requires_grad=True)
    out, hid = ours(xa)
    tout, thid = theirs(xb)
    hs = hid if cls_name == "GRU" else hid[1]
    ths = thid if cls_name == "GRU" else thid[1]
    check(ours, theirs, (out, hs), (tout, ths), (xa,), (xb,), np.float32)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cells(dtype):
    rng = np.random.default_rng(4)
    ours, theirs = pair("LSTMCell", dtype, 4, 3, 5)
    (xa, xb), (ha, hb), (ca, cb) = (as_both(rng.standard_normal(shape).astype(dtype), requires_grad=True)
                                    for shape in ((2, 3), (2, 5), (2, 5)))
    check(ours, theirs, ours(xa, (ha, ca)), theirs(xb, (hb, cb)), (xa, ha, ca), (xb, hb, cb), dtype)
    ours, theirs = pair("GRUCell", dtype, 5, 3, 5)
    (xa, xb), (ha, hb) = (as_both(rng.standard_normal(shape).astype(dtype), requires_grad=True)
                          for shape in ((2, 3), (2, 5)))
    check(ours, theirs, (ours(xa, ha),), (theirs(xb, hb),), (xa, ha), (xb, hb), dtype)


@pytest.mark.parametrize("cls_name", ["LSTM", "GRU", "LSTMCell", "GRUCell"])
def test_double_backward(cls_name):
    """A gradient penalty through the recurrence (PyTorch's CPU LSTM/GRU support it)."""
    ours, theirs = pair(cls_name, np.float64, 6, 3, 4)
    shape = (4, 2, 3) if cls_name in ("LSTM", "GRU") else (2, 3)
    xa, xb = as_both(np.random.default_rng(6).standard_normal(shape), requires_grad=True)
    res = []
    for m, x, lib in ((ours, xa, tg), (theirs, xb, torch)):
        out = m(x)
        y = out[0] if isinstance(out, tuple) else out
        (gx,) = lib.autograd.grad((y * y).sum(), (x,), create_graph=True)
        (gx * gx).sum().backward()
        res.append([npy(x.grad)] + [npy(p.grad) for p in m.parameters()])
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)


def test_module_output_grad_fn_names_match():
    """What a user printing the results of nn.LSTM/nn.GRU sees (the cells are one level down)."""
    for cls_name in ("LSTM", "GRU"):
        ours, theirs = pair(cls_name, np.float32, 7, 3, 4)
        x = np.random.default_rng(7).standard_normal((3, 2, 3)).astype(np.float32)
        _, hid = ours(tg.tensor(x))
        _, thid = theirs(torch.tensor(x))
        for a, b in zip(hid if cls_name == "LSTM" else (hid,), thid if cls_name == "LSTM" else (thid,)):
            assert a.grad_fn.name() == b.grad_fn.name() == "StackBackward0"


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("cls, batch_first", [("LSTM", False), ("LSTM", True), ("GRU", False), ("GRU", True)])
def test_whole_layer_output_nodes_match_torch(cls, batch_first, dtype):
    """The names users print: PyTorch's CPU LSTM output is MkldnnRnnLayerBackward0 in float32 and
    StackBackward0 in float64; GRU's StackBackward0; batch_first adds a transpose on top."""
    names = []
    for lib in (torch, tg):
        lib.manual_seed(0)
        m = getattr(lib.nn, cls)(3, 4, batch_first=batch_first, dtype=getattr(lib, dtype))
        out, hidden = m(lib.randn(5, 2, 3, dtype=getattr(lib, dtype)))
        h = hidden[0] if cls == "LSTM" else hidden
        names.append((out.grad_fn.name(), h.grad_fn.name()))
    assert names[1] == names[0]
