"""stft/istft and signal.windows against PyTorch (oracle): values, dtypes, shapes, grad_fn names,
gradients, warnings and error messages."""
import warnings

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.testing.oracle import grad_fn_name

torch = pytest.importorskip("torch")


def _both(fn_torch, fn_tg):
    """Run both; return (result or exception) pairs with warnings silenced."""
    out = []
    for fn in (fn_torch, fn_tg):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                out.append(fn())
            except Exception as e:  # noqa: BLE001 - the exception is what is compared
                out.append(e)
    return out


def _same(a, b, atol):
    if isinstance(a, Exception) or isinstance(b, Exception):
        assert type(a).__name__ == type(b).__name__ and str(a) == str(b), (a, b)
        return False
    assert tuple(a.shape) == tuple(b.shape) and str(a.dtype) == str(b.dtype)
    np.testing.assert_allclose(np.asarray(b.detach().cpu()), a.detach().numpy(), atol=atol)
    assert grad_fn_name(a) == grad_fn_name(b)
    return True


STFT_KW = [{}, {"hop_length": 3}, {"win_length": 5}, {"center": False}, {"pad_mode": "constant"},
           {"pad_mode": "replicate"}, {"pad_mode": "circular"}, {"normalized": True}, {"onesided": False},
           {"center": False, "win_length": 4, "align_to_window": True}, {"hop_length": 0}, {"win_length": 9},
           {"pad_mode": "zeros"}]


@pytest.mark.parametrize("kw", STFT_KW)
@pytest.mark.parametrize("dtype", ["float32", "float64", "complex64", "complex128"])
@pytest.mark.parametrize("shape", [(30,), (2, 30)])
def test_stft_istft_match_torch(kw, dtype, shape):
    rng = np.random.default_rng(21)
    x = rng.standard_normal(shape)
    if dtype.startswith("complex"):
        x = x + 1j * rng.standard_normal(shape)
    x = x.astype(dtype)
    w = (rng.random(kw.get("win_length", 8)) + 0.2).astype("float64" if dtype in ("float64", "complex128")
                                                               else "float32")
    for window in (None, w):
        for rc in (True, False):
            def call(m, conv):
                return m.stft(conv(x), 8, window=None if window is None else conv(window), return_complex=rc, **kw)
            a, b = _both(lambda: call(torch, torch.from_numpy), lambda: call(tg, tg.tensor))
            if not _same(a, b, 1e-4) or not rc or window is None or kw.get("align_to_window"):
                continue
            ikw = {k: v for k, v in kw.items() if k in ("hop_length", "win_length", "center", "normalized", "onesided")}
            for length in (None, shape[-1], shape[-1] + 5):
                ra, rb = _both(lambda: torch.istft(a, 8, window=torch.from_numpy(w), length=length,
                                                   return_complex=dtype.startswith("complex"), **ikw),
                               lambda: tg.istft(b, 8, window=tg.tensor(w), length=length,
                                                return_complex=dtype.startswith("complex"), **ikw))
                _same(ra, rb, 1e-4)


def test_stft_istft_gradients_match_torch():
    rng = np.random.default_rng(22)
    x = rng.standard_normal((2, 25))
    w = rng.random(6) + 0.3
    g = rng.standard_normal((2, 5, 9, 2))
    grads = []
    for m in (torch, tg):
        xt = m.tensor(x, requires_grad=True)
        wt = m.tensor(w, requires_grad=True)
        spec = m.stft(xt, 8, hop_length=3, win_length=6, window=wt, return_complex=True, pad_mode="reflect")
        loss = (m.view_as_real(spec) * m.tensor(g)).sum()
        back = m.istft(spec, 8, hop_length=3, win_length=6, window=wt, length=25)
        loss = loss + (back * back).sum()
        loss.backward()
        grads.append((xt.grad, wt.grad, grad_fn_name(spec), grad_fn_name(back)))
    (gx_t, gw_t, n1, n2), (gx_g, gw_g, m1, m2) = grads
    np.testing.assert_allclose(gx_g.numpy(), gx_t.numpy(), atol=1e-10)
    np.testing.assert_allclose(gw_g.numpy(), gw_t.numpy(), atol=1e-10)
    assert (n1, n2) == (m1, m2)


def test_complex_spectrum_gradients_and_gradcheck_match_torch():
    """The spectrum as a complex leaf: both gradcheck the complex input the same way (and pass), and
    the complex gradients agree, imaginary parts included."""
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
    rng = np.random.default_rng(23)
    x = rng.standard_normal(18)
    w = rng.random(6) + 0.5
    z = rng.standard_normal(14) + 1j * rng.standard_normal(14)
    g = rng.standard_normal(20)
    results = []
    for m in (torch, tg):
        wt = m.tensor(w)
        spec = m.stft(m.tensor(x), 8, 3, 6, wt, return_complex=True).detach().requires_grad_()
        zt = m.tensor(z, requires_grad=True)
        ok = (m.autograd.gradcheck(lambda s: m.istft(s, 8, 3, 6, wt, length=20), (spec,)),
              m.autograd.gradcheck(lambda z: m.stft(z, 8, 3, 6, wt, return_complex=True), (zt,)))
        (m.istft(spec, 8, 3, 6, wt, length=20) * m.tensor(g)).sum().backward()
        (m.stft(zt, 8, 3, 6, wt, return_complex=True).abs() ** 2).sum().backward()
        results.append((ok, spec.grad, zt.grad))
    (ok_t, gs_t, gz_t), (ok_g, gs_g, gz_g) = results
    assert ok_t == ok_g == (True, True)
    assert str(gs_g.dtype) == str(gs_t.dtype) == "torch.complex128"
    np.testing.assert_allclose(gs_g.numpy(), gs_t.numpy(), atol=1e-10)
    np.testing.assert_allclose(gz_g.numpy(), gz_t.numpy(), atol=1e-10)


@pytest.mark.parametrize("case", [
    lambda m, x, w: m.stft(x, 8, window=w, return_complex=True),
    lambda m, x, w: m.stft(x[None].expand(2, 20), 8, window=w, return_complex=True),
    lambda m, x, w: m.stft(x, 8, window=w, return_complex=False),
    lambda m, x, w: m.istft(m.stft(x, 8, window=w, return_complex=True), 8, window=w),
    lambda m, x, w: m.istft(m.stft(x, 8, window=w, return_complex=True), 8, window=w, length=10),
    lambda m, x, w: m.istft(m.stft(x[None].expand(2, 20), 8, window=w, return_complex=True), 8, window=w),
])
def test_grad_fn_names_match_torch(case):
    x = np.random.default_rng(23).standard_normal(20)
    w = np.hanning(8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = case(torch, torch.tensor(x, requires_grad=True), torch.tensor(w))
        b = case(tg, tg.tensor(x, requires_grad=True), tg.tensor(w))
    assert grad_fn_name(a) == grad_fn_name(b)


ERROR_CASES = [
    lambda m, x, w: m.stft(x, 8, window=w),
    lambda m, x, w: m.stft(x, 30, window=m.ones(30, dtype=x.dtype), center=False, return_complex=True),
    lambda m, x, w: m.stft(x, 8, window=m.ones(2, 4, dtype=x.dtype), return_complex=True),
    lambda m, x, w: m.stft(x, 8, window=m.ones(7, dtype=x.dtype), win_length=6, return_complex=True),
    lambda m, x, w: m.stft(x[:3], 8, window=w, return_complex=True),
    lambda m, x, w: m.stft(x[:3], 8, window=w, return_complex=True, pad_mode="circular"),
    lambda m, x, w: m.stft(x.to(m.int64), 8, window=w, return_complex=True),
    lambda m, x, w: m.stft(x.to(m.complex64), 8, window=w, onesided=True),
    lambda m, x, w: m.stft(x, 8, window=w, return_complex=True, align_to_window=False),
    lambda m, x, w: m.istft(m.stft(x, 8, window=w, return_complex=True), 8, window=w, center=False),
    lambda m, x, w: m.istft(m.stft(x, 8, window=w, return_complex=True), 8, window=m.zeros(8, dtype=x.dtype)),
    lambda m, x, w: m.istft(m.stft(x, 8, window=w, return_complex=True).real, 8, window=w),
    lambda m, x, w: m.istft(m.stft(x, 8, window=w, return_complex=True), 7, window=w[:7]),
    lambda m, x, w: m.istft(m.stft(x, 8, window=w, return_complex=True), 8, window=w, onesided=False, length=3),
    lambda m, x, w: m.istft(m.stft(x, 8, window=w, return_complex=True), 8, hop_length=0, window=w),
    lambda m, x, w: m.istft(m.stft(x, 8, window=w, return_complex=True), 8, win_length=4, window=w),
    lambda m, x, w: m.istft(m.stft(x, 8, window=w, return_complex=True), 8, window=w, return_complex=True),
    lambda m, x, w: m.istft(m.stft(x, 8, window=w, return_complex=True)[None, None], 8, window=w),
    lambda m, x, w: m.istft(m.stft(x, 8, window=w, return_complex=True)[0], 8, window=w),
]


@pytest.mark.parametrize("case", ERROR_CASES)
def test_errors_match_torch(case):
    x = np.random.default_rng(24).standard_normal(20).astype("float32")
    w = np.hanning(8).astype("float32")
    a, b = _both(lambda: case(torch, torch.tensor(x), torch.tensor(w)), lambda: case(tg, tg.tensor(x), tg.tensor(w)))
    assert isinstance(a, Exception)
    assert type(a).__name__ == type(b).__name__ and str(a) == str(b)


WARNING_CASES = [
    "m.stft(x, 8, return_complex=True)",
    "m.stft(x, 8, window=m.ones(8), return_complex=False)",
    "m.istft(m.stft(x, 8, window=m.ones(8), return_complex=True), 8)",
    "m.istft(m.stft(x, 8, window=m.ones(8), return_complex=True), 8, window=m.ones(8), length=30)",
]

_COLLECT = """
import json, sys, warnings
import {module} as m
x = m.arange(20.0)
texts = []
for case in {cases!r}:
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        eval(case)
    texts.append([str(w.message).split(" (Triggered internally")[0] for w in got
                  if issubclass(w.category, UserWarning)])
print(json.dumps(texts))
"""


def test_warnings_match_torch():
    """PyTorch raises each of these warnings once per process: collect both in fresh processes."""
    import json
    import subprocess
    import sys
    texts = [json.loads(subprocess.run([sys.executable, "-c", _COLLECT.format(module=mod, cases=WARNING_CASES)],
                                       capture_output=True, text=True, check=True).stdout.splitlines()[-1])
             for mod in ("torch", "tensorgraft")]
    assert texts[0] == texts[1]
    assert all(texts[0])


# --------------------------------------------------------------------------- windows
WINDOWS = [("bartlett", {}), ("blackman", {}), ("cosine", {}), ("exponential", {}), ("exponential", {"tau": 2.5}),
           ("gaussian", {}), ("gaussian", {"std": 3.0}), ("general_cosine", {"a": [0.4, 0.3, 0.3]}),
           ("general_hamming", {"alpha": 0.6}), ("hamming", {}), ("hann", {}), ("kaiser", {}),
           ("kaiser", {"beta": 3.0}), ("nuttall", {})]


@pytest.mark.parametrize("name,kw", WINDOWS)
def test_windows_match_torch(name, kw):
    for M in (0, 1, 2, 5, 8, 11):
        for sym in (True, False):
            for dtype in ("float32", "float64"):
                for rg in (False, True):
                    a = getattr(torch.signal.windows, name)(M, sym=sym, dtype=getattr(torch, dtype), requires_grad=rg,
                                                            **kw)
                    b = getattr(tg.signal.windows, name)(M, sym=sym, dtype=getattr(tg, dtype), requires_grad=rg, **kw)
                    assert str(a.dtype) == str(b.dtype) and a.requires_grad == b.requires_grad
                    np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), atol=1e-6, rtol=1e-6)
                    assert grad_fn_name(a) == grad_fn_name(b), (name, M, sym)
    a = torch.signal.windows.exponential(9, center=2.0, sym=False)
    np.testing.assert_allclose(tg.signal.windows.exponential(9, center=2.0, sym=False).numpy(), a.numpy(), atol=1e-6)


@pytest.mark.parametrize("case", [
    lambda W, m: W.hann(-1), lambda W, m: W.bartlett(-2), lambda W, m: W.kaiser(5, dtype=m.int32),
    lambda W, m: W.cosine(5, dtype=m.complex64), lambda W, m: W.gaussian(5, std=0),
    lambda W, m: W.gaussian(5, std=-1.5), lambda W, m: W.exponential(5, tau=0), lambda W, m: W.exponential(5, center=1.0),
    lambda W, m: W.kaiser(5, beta=-1), lambda W, m: W.general_cosine(5, a=0.5), lambda W, m: W.general_cosine(5, a=[]),
    lambda W, m: W.general_cosine(5), lambda W, m: W.nuttall(-1, dtype=m.int32), lambda W, m: W.hamming(5, dtype=m.float16),
])
def test_window_errors_match_torch(case):
    a, b = _both(lambda: case(torch.signal.windows, torch), lambda: case(tg.signal.windows, tg))
    assert isinstance(a, Exception)
    assert type(a).__name__ == type(b).__name__ and str(a) == str(b)
