"""``F.embedding_bag`` and ``nn.EmbeddingBag``: a NumPy loop reference (values, weight and
per-sample-weight gradients), errors, the module, every device; PyTorch-oracle twins at the end."""
import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.testing import assert_on_device
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.autograd import gradcheck
from tensorgraft.testing.oracle import seeded_normal


# ------------------------------------------------------------------ the reference: one bag at a time
def bags_of(inp, offsets, include_last_offset):
    """Lists of positions, one per bag."""
    inp = np.asarray(inp)
    if inp.ndim == 2:
        B, L = inp.shape
        return [list(range(b * L, (b + 1) * L)) for b in range(B)]
    off = list(offsets)
    ends = off[1:] if include_last_offset else off[1:] + [len(inp)]
    starts = off[:-1] if include_last_offset else off
    return [list(range(s, e)) for s, e in zip(starts, ends)]


def reference(inp, w, offsets=None, mode="mean", psw=None, include_last_offset=False, padding_idx=None,
              scale_grad_by_freq=False, g=None):
    """(output, weight grad, per_sample_weights grad) for the upstream gradient ``g``."""
    idx = np.asarray(inp).reshape(-1)
    p = None if psw is None else np.asarray(psw).reshape(-1)
    bags = bags_of(inp, offsets, include_last_offset)
    V, D = w.shape
    if padding_idx is not None:
        padding_idx %= V
    out = np.zeros((len(bags), D))
    gw = np.zeros_like(w)
    gp = None if p is None else np.zeros_like(p)
    freq = np.bincount(idx, minlength=V)
    for b, pos in enumerate(bags):
        pos = [i for i in pos if idx[i] != padding_idx]
        if not pos:
            continue
        rows = w[idx[pos]]
        if mode == "max":
            arg = rows.argmax(0)          # the first maximum
            out[b] = rows[arg, np.arange(D)]
            if g is not None:
                for d in range(D):
                    gw[idx[pos[arg[d]]], d] += g[b, d]
            continue
        coef = np.ones(len(pos)) if p is None else p[pos]
        out[b] = (rows * coef[:, None]).sum(0)
        if mode == "mean":
            out[b] /= len(pos)
        if g is None:
            continue
        for k, i in enumerate(pos):
            scale = coef[k] / (len(pos) if mode == "mean" else 1) / (freq[idx[i]] if scale_grad_by_freq else 1)
            gw[idx[i]] += g[b] * scale
            if gp is not None:
                gp[i] = g[b] @ w[idx[i]]
    return out, gw, gp


IDX = np.array([1, 2, 4, 5, 4, 3, 2, 0, 6, 6])
OFF = np.array([0, 3, 3, 6, 8])     # an empty bag (1) and bags of 3, 3, 2, 2
CONFIGS = {
    "sum": dict(mode="sum"),
    "mean": dict(mode="mean"),
    "max": dict(mode="max"),
    "sum-psw": dict(mode="sum", psw=True),
    "sum-padding": dict(mode="sum", padding_idx=4),
    "mean-padding": dict(mode="mean", padding_idx=2),
    "max-padding": dict(mode="max", padding_idx=6),     # the last bag is all padding: zeros
    "psw-padding": dict(mode="sum", psw=True, padding_idx=-5),
    "mean-last-offset": dict(mode="mean", include_last_offset=True),
    "max-last-offset": dict(mode="max", include_last_offset=True, offsets=[0, 2, 2, 7]),
    "sum-freq": dict(mode="sum", scale_grad_by_freq=True),
    "mean-freq-padding": dict(mode="mean", scale_grad_by_freq=True, padding_idx=0),
    "2d-sum": dict(mode="sum", input=IDX.reshape(2, 5)),
    "2d-max-padding": dict(mode="max", input=IDX.reshape(5, 2), padding_idx=6),
    "2d-mean": dict(mode="mean", input=IDX.reshape(2, 5)),
    "2d-sum-psw": dict(mode="sum", input=IDX.reshape(2, 5), psw=True),
}


def run_config(cfg, dtype=tg.float64, device="cpu", w_np=None, seed=0):
    cfg = dict(cfg)
    inp = cfg.pop("input", IDX)
    offsets = None if np.asarray(inp).ndim == 2 else np.asarray(cfg.pop("offsets", OFF))
    cfg.pop("offsets", None)
    psw_np = seeded_normal(*np.asarray(inp).shape, seed=seed + 1) if cfg.pop("psw", False) else None
    w_np = seeded_normal(7, 3, seed=seed) if w_np is None else w_np
    w = tg.tensor(w_np, dtype=dtype, device=device, requires_grad=True)
    psw = None if psw_np is None else tg.tensor(psw_np, dtype=dtype, device=device, requires_grad=True)
    y = F.embedding_bag(tg.tensor(inp, device=device), w, None if offsets is None else tg.tensor(offsets, device=device),
                        per_sample_weights=psw, **cfg)
    g_np = seeded_normal(*y.shape, seed=seed + 2)
    y.backward(tg.tensor(g_np, dtype=dtype, device=device))
    return (inp, w_np, offsets, psw_np, g_np), y, w.grad, None if psw is None else psw.grad


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_matches_the_loop_reference(name):
    cfg = CONFIGS[name]
    (inp, w_np, offsets, psw_np, g_np), y, gw, gp = run_config(cfg)
    kw = {k: v for k, v in cfg.items() if k not in ("input", "psw", "offsets")}
    ref_y, ref_gw, ref_gp = reference(inp, w_np, offsets, psw=psw_np, g=g_np, **kw)
    assert y.grad_fn.name() == "EmbeddingBagBackward0"
    np.testing.assert_allclose(y.detach().numpy(), ref_y, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gw.numpy(), ref_gw, rtol=1e-12, atol=1e-12)
    if ref_gp is not None:
        np.testing.assert_allclose(gp.numpy(), ref_gp.reshape(gp.shape), rtol=1e-12, atol=1e-12)
    pad = kw.get("padding_idx")
    if pad is not None:
        assert not gw.numpy()[pad].any(), "the padding row got a gradient"


def test_empty_bags_and_empty_input():
    w = tg.tensor(seeded_normal(5, 2), requires_grad=True)
    for mode in ("sum", "mean", "max"):
        y = F.embedding_bag(tg.tensor([], dtype=tg.int64), w, tg.tensor([0, 0, 0]), mode=mode)
        assert y.shape == (3, 2) and not y.detach().numpy().any()
        y = F.embedding_bag(tg.tensor([1, 2]), w, tg.tensor([], dtype=tg.int64), mode=mode)
        assert y.shape == (0, 2)
        y.sum().backward()
    y = F.embedding_bag(tg.tensor([1, 2, 3]), w, tg.tensor([0]), mode="sum", include_last_offset=True)
    assert y.shape == (0, 2)


def test_max_ties_go_to_the_first_element():
    w = tg.tensor([[1.0, 2.0], [1.0, 0.0], [1.0, 2.0]], requires_grad=True)
    y = F.embedding_bag(tg.tensor([[0, 1, 2]]), w, mode="max")
    y.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [[1, 1], [0, 0], [0, 0]])


def test_int32_indices_and_offsets():
    w = tg.tensor(seeded_normal(7, 3))
    a = F.embedding_bag(tg.tensor(IDX, dtype=tg.int32), w, tg.tensor(OFF, dtype=tg.int32), mode="sum")
    b = F.embedding_bag(tg.tensor(IDX), w, tg.tensor(OFF), mode="sum")
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_max_norm_renormalises_the_rows_looked_up():
    w_np = seeded_normal(7, 3) * 3
    w = tg.tensor(w_np)
    F.embedding_bag(tg.tensor([1, 2]), w, tg.tensor([0]), max_norm=1.0)
    norms = np.linalg.norm(w.numpy(), axis=1)
    assert np.all(norms[[1, 2]] <= 1.0 + 1e-6)
    np.testing.assert_array_equal(w.numpy()[[0, 3, 4, 5, 6]], w_np[[0, 3, 4, 5, 6]])


def test_per_sample_weights_only_need_grad():
    w = tg.tensor(seeded_normal(7, 3))
    p = tg.tensor(seeded_normal(10, seed=3), requires_grad=True)
    y = F.embedding_bag(tg.tensor(IDX), w, tg.tensor(OFF), mode="sum", per_sample_weights=p)
    y.sum().backward()
    assert p.grad is not None and w.grad is None


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_gradcheck(mode):
    psw = tg.tensor(seeded_normal(10, seed=4), requires_grad=True) if mode == "sum" else None
    args = (tg.tensor(seeded_normal(7, 3, seed=5), requires_grad=True),) + ((psw,) if psw is not None else ())
    assert gradcheck(lambda w, *p: F.embedding_bag(tg.tensor(IDX), w, tg.tensor(OFF), mode=mode,
                                                   per_sample_weights=p[0] if p else None, padding_idx=3), args)


ERRORS = [
    (lambda w: F.embedding_bag(tg.tensor(IDX), w, tg.tensor([1, 3])), RuntimeError,
     "offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from position 0. However, got 1"
     "\n[ torch.LongTensor{} ]"),  # PyTorch's message carries the checked tensor's type on a second line
    (lambda w: F.embedding_bag(tg.tensor(IDX), w, tg.tensor([0, 11])), RuntimeError,
     "offsets[-1] can not be greater than input's length 10 but got offsets[-1] of 11"),
    (lambda w: F.embedding_bag(tg.tensor(IDX), w, tg.tensor([0, 5, 3])), RuntimeError,
     "offsets has to be non-decreasing, but got offsets[2] = 3 after offsets[1] = 5"),
    (lambda w: F.embedding_bag(tg.tensor(IDX), w, tg.tensor([[0, 3]])), ValueError, "offsets has to be a 1D Tensor"),
    (lambda w: F.embedding_bag(tg.tensor(IDX), w), ValueError, "offsets has to be a 1D Tensor but got None"),
    (lambda w: F.embedding_bag(tg.tensor(IDX).reshape(1, 2, 5), w), ValueError,
     "input has to be 1D or 2D Tensor, but got Tensor of dimension 3"),
    (lambda w: F.embedding_bag(tg.tensor(IDX), w, tg.tensor(OFF), per_sample_weights=tg.ones(10)), NotImplementedError,
     "embedding_bag: per_sample_weights was not None. per_sample_weights is only supported for mode='sum' (got "
     "mode='mean'). Please open a feature request on GitHub."),
    (lambda w: F.embedding_bag(tg.tensor(IDX), w, tg.tensor(OFF), mode="sum", per_sample_weights=tg.ones(9)),
     ValueError, "embedding_bag: If per_sample_weights (torch.Size([9])) is not None, then it must have the same shape "
     "as the input (torch.Size([10]))"),
    (lambda w: F.embedding_bag(tg.tensor(IDX), w, tg.tensor(OFF), mode="min"), ValueError,
     "mode has to be one of sum, mean or max"),
    (lambda w: F.embedding_bag(tg.tensor(IDX), w, tg.tensor(OFF), mode="max", scale_grad_by_freq=True), ValueError,
     "max mode does not support scaling the gradient by the frequency"),
    (lambda w: F.embedding_bag(tg.tensor([1, 7]), w, tg.tensor([0])), RuntimeError,
     "Index 1 of input takes value 7 which is not in the valid range [0, 7)"),
    (lambda w: F.embedding_bag(tg.tensor([1, 7]).reshape(1, 2), w), RuntimeError,
     "Index 1 of input takes value 7 which is not in the valid range [0, 7)"),
    (lambda w: F.embedding_bag(tg.tensor(IDX), w, tg.tensor(OFF), padding_idx=7), RuntimeError,
     "padding_idx must be within the number of embeddings, -7 through 6, but got 7"),
    (lambda w: F.embedding_bag(tg.tensor(IDX), w[0], tg.tensor(OFF)), ValueError,
     "weight has to be a 2D Tensor, but got Tensor of dimension 1"),
    (lambda w: F.embedding_bag(tg.zeros(2, 0, dtype=tg.int64), w), RuntimeError, "step must be nonzero"),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors(i):
    fn, exc, msg = ERRORS[i]
    with pytest.raises(exc) as e:
        fn(tg.tensor(seeded_normal(7, 3)))
    assert str(e.value) == msg


def test_swapped_arguments_warn_and_work():
    w = tg.tensor(seeded_normal(7, 3))
    with pytest.warns(UserWarning, match="Argument order of nn.functional.embedding_bag was changed"):
        y = F.embedding_bag(w, tg.tensor(IDX), tg.tensor(OFF))
    np.testing.assert_array_equal(y.numpy(), F.embedding_bag(tg.tensor(IDX), w, tg.tensor(OFF)).numpy())


# ------------------------------------------------------------------ the module
def test_module():
    tg.manual_seed(0)
    m = nn.EmbeddingBag(10, 3, mode="sum", padding_idx=-2)
    assert m.padding_idx == 8 and not m.weight.detach().numpy()[8].any()
    assert repr(m) == "EmbeddingBag(10, 3, mode='sum', padding_idx=8)"
    assert list(m.state_dict()) == ["weight"]
    y = m(tg.tensor([1, 8, 3, 3]), tg.tensor([0, 2]), per_sample_weights=tg.tensor([1.0, 2.0, 0.5, 0.5]))
    w = m.weight.detach().numpy()
    np.testing.assert_allclose(y.detach().numpy(), [w[1], w[3]], rtol=1e-6)
    assert repr(nn.EmbeddingBag(4, 2, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True)) == \
        "EmbeddingBag(4, 2, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True, mode='mean')"
    with pytest.raises(AssertionError, match="padding_idx must be within num_embeddings"):
        nn.EmbeddingBag(4, 2, padding_idx=4)
    with pytest.raises(AssertionError, match="Shape of weight does not match"):
        nn.EmbeddingBag(4, 2, _weight=tg.zeros(3, 2))


def test_from_pretrained():
    w = tg.tensor(seeded_normal(4, 2))
    m = nn.EmbeddingBag.from_pretrained(w, mode="max", include_last_offset=True)
    assert not m.weight.requires_grad and m.mode == "max" and m.include_last_offset
    y = m(tg.tensor([0, 1, 2, 3]), tg.tensor([0, 2, 4]))
    np.testing.assert_allclose(y.numpy(), [w.numpy()[:2].max(0), w.numpy()[2:].max(0)])
    assert nn.EmbeddingBag.from_pretrained(w, freeze=False).weight.requires_grad
    with pytest.raises(AssertionError, match="Embeddings parameter is expected to be 2-dimensional"):
        nn.EmbeddingBag.from_pretrained(w[0])


# ------------------------------------------------------------------ every device
_on = assert_on_device  # the result lives on the device, as the device's own array


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_devices_agree_with_cpu(tg_device, name):
    _, y, gw, gp = run_config(CONFIGS[name], dtype=tg.float32)
    _, yd, gwd, gpd = run_config(CONFIGS[name], dtype=tg.float32, device=tg_device)
    for c, d in ((y, yd), (gw, gwd), (gp, gpd)):
        if c is None:
            assert d is None
            continue
        _on(d, tg_device)
        np.testing.assert_allclose(d.detach().cpu().numpy(), c.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_errors_on_device(tg_device):
    w = tg.tensor(seeded_normal(7, 3), device=tg_device)
    with pytest.raises(RuntimeError, match="Index 1 of input takes value 7"):
        F.embedding_bag(tg.tensor([1, 7], device=tg_device), w, tg.tensor([0], device=tg_device))
    if tg.device(tg_device).type != "cpu":
        with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
            F.embedding_bag(tg.tensor([1, 2]), w, tg.tensor([0]))


def test_module_on_device(tg_device):
    m = nn.EmbeddingBag(10, 3, mode="max", device=tg_device)
    _on(m.weight, tg_device)
    y = m(tg.tensor([[1, 2], [3, 3]], device=tg_device))
    _on(y, tg_device)
    y.sum().backward()
    _on(m.weight.grad, tg_device)


# ------------------------------------------------------------------ PyTorch as the oracle
def _torch():
    return pytest.importorskip("torch")


# scale_grad_by_freq with every index in the bags occurring equally often: PyTorch's CPU kernel
# divides group i of the sorted indices by the count of the i-th sorted index (not of group i's
# own index), which agrees with the frequency only then (see test_scale_grad_by_freq_difference)
ORACLE = dict(CONFIGS)
ORACLE["sum-freq"] = dict(mode="sum", scale_grad_by_freq=True, input=np.array([3, 1, 1, 5, 3, 5]),
                          offsets=[0, 2, 2, 5])
ORACLE["mean-freq-padding"] = dict(mode="mean", scale_grad_by_freq=True, padding_idx=0,
                                   input=np.array([3, 1, 1, 0, 3, 0]), offsets=[0, 2, 3])
# PyTorch's CPU mean and max run the last bag to the end of the input when include_last_offset
# leaves elements after the last offset (its sum stops at the offset); oracle cases end there
ORACLE["max-last-offset"] = dict(mode="max", include_last_offset=True, offsets=[0, 2, 2, 10])
ORACLE["mean-last-offset"] = dict(mode="mean", include_last_offset=True, offsets=[0, 3, 3, 6, 10])


@pytest.mark.parametrize("name", sorted(ORACLE))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_oracle_values_and_gradients(name, dtype):
    torch = _torch()
    cfg = dict(ORACLE[name])
    (inp, w_np, offsets, psw_np, g_np), y, gw, gp = run_config(cfg, dtype=getattr(tg, dtype))
    tdt = getattr(torch, dtype)
    w = torch.tensor(w_np, dtype=tdt, requires_grad=True)
    psw = None if psw_np is None else torch.tensor(psw_np, dtype=tdt, requires_grad=True)
    kw = {k: v for k, v in cfg.items() if k not in ("input", "psw", "offsets")}
    ty = torch.nn.functional.embedding_bag(torch.tensor(inp), w, None if offsets is None else torch.tensor(offsets),
                                           per_sample_weights=psw, **kw)
    ty.backward(torch.tensor(g_np, dtype=tdt))
    assert y.grad_fn.name() == ty.grad_fn.name()
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(gw.numpy(), w.grad.numpy(), rtol=tol, atol=tol)
    if psw is not None:
        np.testing.assert_allclose(gp.numpy(), psw.grad.numpy(), rtol=tol, atol=tol)


def test_scale_grad_by_freq_difference():
    """Where PyTorch's CPU kernel pairs counts with the wrong index group, tensorgraft divides each
    row's gradient by how often that row's index occurs (docs/user-guide/differences.md)."""
    torch = _torch()
    inp, off = np.array([1, 2, 4, 5, 4, 3, 2, 0]), np.array([0, 3, 3, 6])
    w_np = seeded_normal(6, 3)
    w = tg.tensor(w_np, requires_grad=True)
    F.embedding_bag(tg.tensor(inp), w, tg.tensor(off), mode="sum", scale_grad_by_freq=True).sum().backward()
    _, ref_gw, _ = reference(inp, w_np, off, mode="sum", scale_grad_by_freq=True, g=np.ones((4, 3)))
    np.testing.assert_allclose(w.grad.numpy(), ref_gw)
    tw = torch.tensor(w_np, requires_grad=True)
    torch.nn.functional.embedding_bag(torch.tensor(inp), tw, torch.tensor(off), mode="sum",
                                      scale_grad_by_freq=True).sum().backward()
    # row 3 occurs once; PyTorch halves it (the count of index 2, the 4th sorted index)
    np.testing.assert_allclose(tw.grad.numpy()[3], ref_gw[3] / 2)


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_oracle_errors(i):
    torch = _torch()
    fn, exc, msg = ERRORS[i]
    if "non-decreasing" in msg:
        pytest.skip("PyTorch's check of decreasing offsets is an internal assertion (tensorgraft names the offsets)")
    shim = type("shim", (), {"tensor": staticmethod(torch.tensor), "ones": staticmethod(torch.ones),
                             "zeros": staticmethod(torch.zeros), "int64": torch.int64})
    import types
    g = dict(fn.__globals__)
    g.update(tg=shim, F=torch.nn.functional)
    tfn = types.FunctionType(fn.__code__, g)
    with pytest.raises(exc) as e:
        # float32: PyTorch words the index error differently in its float64 and max-mode kernels
        tfn(torch.tensor(seeded_normal(7, 3), dtype=torch.float32))
    assert str(e.value) == msg or str(e.value).split("\n")[0] == msg  # (some messages' 2nd line: a C++ trace)


def test_oracle_module():
    torch = _torch()
    assert repr(nn.EmbeddingBag(4, 2, scale_grad_by_freq=True)) == repr(torch.nn.EmbeddingBag(4, 2,
                                                                                             scale_grad_by_freq=True))
    for kw in (dict(mode="sum", padding_idx=-2), dict(max_norm=1.0, norm_type=1.0),
               dict(mode="max", include_last_offset=True)):
        m, tm = nn.EmbeddingBag(10, 3, **kw), torch.nn.EmbeddingBag(10, 3, **kw)
        assert repr(m) == repr(tm)
        assert list(m.state_dict()) == list(tm.state_dict())
        with torch.no_grad():
            tm.weight.copy_(torch.tensor(m.weight.detach().numpy()))
        inp, off = [1, 8, 3, 3, 9, 0], [0, 2, 2, 6] if kw.get("include_last_offset") else [0, 2, 2]
        y = m(tg.tensor(inp), tg.tensor(off))
        ty = tm(torch.tensor(inp), torch.tensor(off))
        np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-6, atol=1e-7)
        y.sum().backward()
        ty.sum().backward()
        np.testing.assert_allclose(m.weight.grad.numpy(), tm.weight.grad.numpy(), rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(m.weight.detach().numpy(), tm.weight.detach().numpy(), rtol=1e-6, atol=1e-7)
