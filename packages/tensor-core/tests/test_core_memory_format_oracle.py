"""Memory formats against PyTorch: strides from factories, ``to``, ``*_like``, elementwise results,
``is_contiguous`` and the error messages."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
import tensorgraft as tg  # noqa: E402

FORMATS = {"channels_last": (torch.channels_last, tg.channels_last),
           "contiguous_format": (torch.contiguous_format, tg.contiguous_format),
           "preserve_format": (torch.preserve_format, tg.preserve_format),
           "channels_last_3d": (torch.channels_last_3d, tg.channels_last_3d)}
SHAPES = [(2, 3, 4, 5), (2, 1, 3, 3), (2, 3, 1, 1), (3, 4), (2, 3, 4, 5, 6)]


def _both(fn):
    out = []
    for lib, pick in ((torch, 0), (tg, 1)):
        try:
            out.append(fn(lib, pick))
        except RuntimeError as e:
            out.append(("error", str(e)))
    return out


def _data(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def test_reprs_match():
    for t, g in FORMATS.values():
        assert repr(g) == repr(t) and str(g) == str(t)
    assert repr(tg.strided) == repr(torch.strided) and repr(tg.ones(1).layout) == repr(torch.ones(1).layout)


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_factory_and_to_strides(fmt, shape):
    a = _data(shape, 1)

    def run(case):
        return _both(lambda L, i: case(L, FORMATS[fmt][i]))
    cases = [
        lambda L, f: L.empty(*shape, memory_format=f).stride(),
        lambda L, f: L.tensor(a).to(memory_format=f).stride(),
        lambda L, f: L.tensor(a).to(L.float64, memory_format=f).stride(),
        lambda L, f: L.tensor(a).is_contiguous(memory_format=f),
        lambda L, f: L.empty_like(L.tensor(a), memory_format=f).stride(),
        lambda L, f: L.zeros_like(L.tensor(a).transpose(0, 1), memory_format=f).stride(),
        lambda L, f: L.full_like(L.tensor(a).transpose(0, 1), 3.0, memory_format=f).stride(),
    ]
    for case in cases:
        want, got = run(case)
        assert got == want


def test_channels_last_roundtrip_values_and_elementwise():
    a, b = _data((2, 3, 4, 5), 2), _data((2, 3, 4, 5), 3)
    tx = torch.tensor(a).to(memory_format=torch.channels_last)
    gx = tg.tensor(a).to(memory_format=tg.channels_last)
    for tf, gf in [(lambda x: x + 1, lambda x: x + 1), (lambda x: x * x, lambda x: x * x),
                   (torch.exp, tg.exp), (lambda x: x + torch.tensor(b[0, :, :1, :1]), lambda x: x + tg.tensor(b[0, :, :1, :1])),
                   (lambda x: x.double(), lambda x: x.double()), (torch.sigmoid, tg.sigmoid)]:
        t, g = tf(tx), gf(gx)
        assert g.stride() == t.stride()
        assert g.is_contiguous() == t.is_contiguous()
        assert g.is_contiguous(memory_format=tg.channels_last) == t.is_contiguous(memory_format=torch.channels_last)
        np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-6)


def test_like_preserve_rules():
    a = _data((3, 8), 4)
    for pick in [lambda x: x.t(), lambda x: x[:, ::2], lambda x: x]:
        for fname in ["empty_like", "ones_like", "rand_like", "randn_like"]:
            assert getattr(tg, fname)(pick(tg.tensor(a))).stride() == getattr(torch, fname)(pick(torch.tensor(a))).stride()


def test_grad_fn_and_gradients():
    a = _data((2, 3, 4, 5), 5)
    w = _data((2, 3, 4, 5), 6)
    tx, gx = torch.tensor(a, requires_grad=True), tg.tensor(a, requires_grad=True)
    ty, gy = tx.to(memory_format=torch.channels_last), gx.to(memory_format=tg.channels_last)
    assert gy.grad_fn.name() == ty.grad_fn.name()
    (ty * torch.tensor(w)).sum().backward()
    (gy * tg.tensor(w)).sum().backward()
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy())
    from tensorgraft.ops.tensor_extras import clone_as, contiguous_as
    assert contiguous_as(gx, tg.channels_last).grad_fn.name() == tx.contiguous(
        memory_format=torch.channels_last).grad_fn.name()
    assert clone_as(gx, tg.channels_last).stride() == tx.clone(memory_format=torch.channels_last).stride()
    assert clone_as(gx.detach().transpose(1, 3), None).stride() == tx.detach().transpose(1, 3).clone().stride()


def test_empty_strided_and_permuted():
    assert tg.empty_strided((2, 3), (1, 2)).stride() == torch.empty_strided((2, 3), (1, 2)).stride()
    assert tg.empty_permuted((2, 3, 4), (2, 0, 1)).stride() == torch.empty_permuted((2, 3, 4), (2, 0, 1)).stride()
    for size, order in [((2, 3), (0, 0)), ((2, 3), (0,))]:
        with pytest.raises(RuntimeError) as t_err:
            torch.empty_permuted(size, order)
        with pytest.raises(RuntimeError) as g_err:
            tg.empty_permuted(size, order)
        assert str(g_err.value) == str(t_err.value)
