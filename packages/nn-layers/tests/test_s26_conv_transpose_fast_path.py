"""The strided transposed convolutions' phase path (conv_transpose_phases.py: one stride-1
correlation per output phase, gathered, instead of columns scattered by col2im) gives what a
transposed convolution is: values and the gradients of input, weight and bias against a direct NumPy
reference (each input value times each kernel tap added where it lands, then cropped), in 1-D, 2-D
and 3-D, with padding, output_padding, dilation and groups, phases that no tap reaches and phases
that read only padding. Also which transposed convs take the path."""
import itertools

import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn.functional as F
from tensorgraft.nn.functional_ops import conv as conv_mod
from tensorgraft.nn.functional_ops import conv3d as conv3d_mod
from tensorgraft.nn.functional_ops import conv_transpose_phases as ph

_FN = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


def _geometry(x_sp, k, s, p, op, d):
    out = tuple((n - 1) * ss - 2 * pp + dd * (kk - 1) + o + 1 for n, kk, ss, pp, o, dd in zip(x_sp, k, s, p, op, d))
    full = tuple((n - 1) * ss + dd * (kk - 1) + 1 + o for n, kk, ss, o, dd in zip(x_sp, k, s, op, d))
    return out, full


def _tap_slices(kk, x_sp, s, d):
    """Where input positions land for kernel tap ``kk`` in the uncropped output."""
    return tuple(slice(i * dd, i * dd + (n - 1) * ss + 1, ss) for i, n, ss, dd in zip(kk, x_sp, s, d))


def _reference(x, w, b, s, p, op, d, G):
    """The transposed convolution written out: every tap of every input value scattered, then cropped."""
    N, Cin = x.shape[:2]
    Og, k, x_sp = w.shape[1], w.shape[2:], x.shape[2:]
    Cg = Cin // G
    out, full = _geometry(x_sp, k, s, p, op, d)
    buf = np.zeros((N, G * Og) + full, dtype=np.result_type(x, w))
    for g in range(G):
        for kk in itertools.product(*(range(n) for n in k)):
            part = np.tensordot(x[:, g * Cg:(g + 1) * Cg], w[(slice(g * Cg, (g + 1) * Cg), slice(None)) + kk],
                                axes=([1], [0]))
            buf[(slice(None), slice(g * Og, (g + 1) * Og)) + _tap_slices(kk, x_sp, s, d)] += np.moveaxis(part, -1, 1)
    y = buf[(slice(None), slice(None)) + tuple(slice(pp, pp + o) for pp, o in zip(p, out))]
    if b is not None:
        y = y + b.reshape((1, -1) + (1,) * len(k))
    return y


def _reference_grads(x, w, gy, s, p, op, d, G):
    """The gradients of sum(y * gy): the output gradient put back in the uncropped grid, then read at
    each tap's landing places (the adjoint of ``_reference``)."""
    N, Cin = x.shape[:2]
    Og, k, x_sp = w.shape[1], w.shape[2:], x.shape[2:]
    Cg = Cin // G
    out, full = _geometry(x_sp, k, s, p, op, d)
    gbuf = np.zeros((N, G * Og) + full, dtype=gy.dtype)
    gbuf[(slice(None), slice(None)) + tuple(slice(pp, pp + o) for pp, o in zip(p, out))] = gy
    gx, gw = np.zeros_like(x), np.zeros_like(w)
    sp_axes = list(range(2, 2 + len(k)))
    for g in range(G):
        for kk in itertools.product(*(range(n) for n in k)):
            read = gbuf[(slice(None), slice(g * Og, (g + 1) * Og)) + _tap_slices(kk, x_sp, s, d)]  # (N, Og, *x_sp)
            wk = w[(slice(g * Cg, (g + 1) * Cg), slice(None)) + kk]  # (Cg, Og)
            gx[:, g * Cg:(g + 1) * Cg] += np.moveaxis(np.tensordot(read, wk, axes=([1], [1])), -1, 1)
            gw[(slice(g * Cg, (g + 1) * Cg), slice(None)) + kk] += np.tensordot(
                x[:, g * Cg:(g + 1) * Cg], read, axes=([0] + sp_axes, [0] + sp_axes))
    return gx, gw, gy.sum(axis=(0,) + tuple(sp_axes))


@pytest.fixture
def small_inputs_gather(monkeypatch):
    """The cases below are small for speed; tiny inputs otherwise keep the scatter form."""
    monkeypatch.setattr(ph, "_GATHER_MIN_INPUT", 1)


# (x shape, Og per group, kernel, stride, padding, output_padding, dilation, groups)
CASES = [
    ((2, 2, 7), 3, (3,), (2,), (1,), (1,), (1,), 1),
    ((1, 3, 1), 2, (2,), (2,), (1,), (0,), (3,), 1),            # every phase reads only padding: bias only
    ((2, 4, 5, 6), 3, (3, 2), (2, 3), (1, 0), (1, 2), (1, 2), 2),
    ((2, 2, 12, 11), 8, (4, 3), (2, 2), (1, 2), (0, 1), (1, 1), 1),  # phases of >= 64 outputs: the flat kernel
    ((3, 2, 4, 3), 4, (1, 3), (3, 2), (0, 1), (2, 0), (1, 2), 1),    # kernel 1 under stride 3: phases no tap reaches
    ((2, 3, 4, 6, 5), 4, (3, 5, 2), (2, 1, 1), (0, 4, 2), (0, 0, 0), (1, 1, 1), 1),  # PyTorch's docstring, small
    ((1, 4, 3, 4, 3), 2, (2, 3, 2), (2, 2, 3), (1, 1, 0), (1, 0, 2), (2, 1, 1), 2),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES, ids=lambda c: "x{}-k{}-s{}".format(*[c[i] for i in (0, 2, 3)]))
def test_phase_path_values_and_gradients_match_reference(case, dtype, small_inputs_gather):
    xs, Og, k, s, p, op, d, G = case
    rng = np.random.default_rng(len(xs) * 100 + sum(xs))
    x = rng.standard_normal(xs).astype(dtype)
    w = rng.standard_normal((xs[1], Og) + k).astype(dtype)
    b = rng.standard_normal(G * Og).astype(dtype)
    assert ph.phases_pay(np, x, w, s, G)  # (the path under test)
    xt, wt, bt = (tg.tensor(a, requires_grad=True) for a in (x, w, b))
    y = _FN[len(k)](xt, wt, bt, s, p, op, G, d)
    ref = _reference(x.astype(np.float64), w.astype(np.float64), b.astype(np.float64), s, p, op, d, G)
    tol = 1e-4 if dtype == np.float32 else 1e-11
    assert y.dtype == tg.tensor(x).dtype and tuple(y.shape) == ref.shape
    np.testing.assert_allclose(y.detach().numpy(), ref, rtol=tol, atol=tol)
    gy = rng.standard_normal(ref.shape).astype(dtype)
    y.backward(tg.tensor(gy))
    for got, want in zip((xt.grad, wt.grad, bt.grad),
                         _reference_grads(x.astype(np.float64), w.astype(np.float64), gy.astype(np.float64),
                                          s, p, op, d, G)):
        np.testing.assert_allclose(got.numpy(), want, rtol=tol, atol=tol)


def test_phase_path_is_taken_and_writes_every_output(monkeypatch, small_inputs_gather):
    """The strided transposed convs of both kernels' modules go through the phase kernel; its output
    starts uninitialised (np.empty), so a phase left unwritten would show as garbage."""
    calls = []
    real = ph.conv_transpose_phases

    def spy(*a, **kw):
        calls.append(a[5])
        return real(*a, **kw)
    monkeypatch.setattr(conv_mod, "conv_transpose_phases", spy)
    monkeypatch.setattr(conv3d_mod, "conv_transpose_phases", spy)
    rng = np.random.default_rng(3)
    for xs, k, s in (((2, 3, 9), (3,), 2), ((2, 3, 5, 6), (3, 3), 2), ((1, 3, 3, 4, 5), (3, 2, 1), (2, 3, 2))):
        x = rng.standard_normal(xs).astype(np.float32)
        w = rng.standard_normal((3, 5) + k).astype(np.float32)
        stride = (s,) * len(k) if isinstance(s, int) else s
        y = _FN[len(k)](tg.tensor(x), tg.tensor(w), None, s).numpy()
        np.testing.assert_allclose(y, _reference(x, w, None, stride, (0,) * len(k), (0,) * len(k), (1,) * len(k), 1),
                                   rtol=1e-5, atol=1e-5)
    assert len(calls) == 3


def test_unbatched_and_channels_last_inputs_through_phase_path(small_inputs_gather):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 4, 5, 6)).astype(np.float32)
    w = rng.standard_normal((4, 6, 3, 3)).astype(np.float32)
    ref = _reference(x, w, None, (2, 2), (1, 1), (1, 0), (1, 1), 1)
    xt = tg.tensor(x)
    y = F.conv_transpose2d(xt.contiguous(memory_format=tg.channels_last), tg.tensor(w), None, 2, 1, (1, 0))
    assert y.is_contiguous(memory_format=tg.channels_last)  # (as PyTorch's)
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-5, atol=1e-5)
    y1 = F.conv_transpose2d(xt[0], tg.tensor(w), None, 2, 1, (1, 0))
    np.testing.assert_allclose(y1.numpy(), ref[0], rtol=1e-5, atol=1e-5)


def test_complex_input_through_phase_path(small_inputs_gather):
    rng = np.random.default_rng(5)
    x = (rng.standard_normal((2, 2, 7)) + 1j * rng.standard_normal((2, 2, 7))).astype(np.complex64)
    w = (rng.standard_normal((2, 3, 3)) + 1j * rng.standard_normal((2, 3, 3))).astype(np.complex64)
    y = F.conv_transpose1d(tg.tensor(x), tg.tensor(w), None, 2, 1, 1)
    np.testing.assert_allclose(y.numpy(), _reference(x, w, None, (2,), (1,), (1,), (1,), 1), rtol=1e-5, atol=1e-5)


def test_which_transposed_convs_take_the_phase_path():
    """Few input channels or more output channels: gather (the 3-D docstring example's 16 -> 33);
    a DCGAN's 512 -> 256 and 128 -> 3 layers keep the scatter form (measured faster there); stride
    1 keeps the flat paths; so do tiny inputs (a DCGAN's 4x4) and bfloat16/float16."""
    def pays(cin, og, nsp, s, dtype=np.float32, G=1, size=8):
        return ph.phases_pay(np, np.zeros((2, cin) + (size,) * nsp, dtype), np.zeros((cin, og) + (3,) * nsp, dtype),
                             s, G)
    assert pays(16, 33, 3, (2, 1, 1))
    assert pays(8, 16, 2, (2, 2)) and pays(64, 64, 2, (2, 2)) and pays(16, 8, 2, (2, 2), G=4)
    assert not pays(512, 256, 2, (2, 2)) and not pays(128, 3, 2, (2, 2))
    assert not pays(16, 33, 3, (1, 1, 1)) and not pays(64, 64, 2, (2, 2), size=4)
    assert not pays(16, 33, 2, (2, 2), np.float16)
