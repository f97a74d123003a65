"""F.pad: exact values (inf and NaN stay where they are - the old 0/1-matrix product smeared
them over whole rows), negative pads crop, PyTorch's grad_fn names, first and second
derivatives, and agreement with PyTorch."""
import math

import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn.functional as F
from tensorgraft.autograd import gradcheck, gradgradcheck

CASES = [("constant", (1, 2), (1, 3, 4)), ("constant", (1, 1, 2, 0), (1, 3, 4)),
         ("constant", (-1, 2, 0, -1), (2, 3, 4)), ("reflect", (1, 2), (1, 2, 4)),
         ("reflect", (2, 1, 1, 2), (1, 2, 3, 4)), ("replicate", (2, 1, 1, 1), (1, 2, 3, 4)),
         ("replicate", (1, 1, 2, 0, 1, 1), (1, 1, 3, 4, 2)), ("circular", (1, 1), (1, 2, 4)),
         ("circular", (1, 2, 3, 1), (1, 2, 3, 4))]


def test_non_finite_values_stay_put():
    x = tg.tensor([[1.0, -math.inf, 3.0], [math.nan, 5.0, 6.0]])
    y = F.pad(x, (1, 1), value=0.5)
    ref = np.pad(x.numpy(), ((0, 0), (1, 1)), constant_values=0.5)
    np.testing.assert_array_equal(y.numpy(), ref)  # (equal NaNs count as equal here)
    for mode in ("reflect", "replicate", "circular"):
        y = F.pad(x[None], (1, 1), mode=mode)[0]
        ref = np.pad(x.numpy(), ((0, 0), (1, 1)), mode={"reflect": "reflect", "replicate": "edge",
                                                          "circular": "wrap"}[mode])
        np.testing.assert_array_equal(y.numpy(), ref)


def test_negative_pads_crop_and_integer_values():
    x = tg.arange(12).reshape(3, 4)
    assert F.pad(x, (-1, 1, 0, -2), value=9).tolist() == [[1, 2, 3, 9]]
    assert F.pad(tg.tensor([1, 2]), (1, 1), value=2.7).tolist() == [2, 1, 2, 2]  # value cast to int64
    with pytest.raises(RuntimeError, match=r"^narrow\(\): length must be non-negative.$"):  # (PyTorch's check)
        F.pad(tg.ones(1, 3), (-2, -2))


@pytest.mark.parametrize("mode,pad,shape", CASES, ids=[f"{m}-{len(p)}" for m, p, _ in CASES])
def test_gradients(mode, pad, shape):
    x = tg.randn(*shape, dtype=tg.float64, requires_grad=True)
    assert gradcheck(lambda a: F.pad(a, pad, mode=mode), (x,))
    assert gradgradcheck(lambda a: F.pad(a, pad, mode=mode), (x,))


@pytest.mark.parametrize("mode,pad,shape", CASES, ids=[f"{m}-{len(p)}" for m, p, _ in CASES])
def test_matches_pytorch(mode, pad, shape):
    torch = pytest.importorskip("torch")
    res = []
    for lib, f in ((tg, F), (torch, torch.nn.functional)):
        x = lib.tensor(np.arange(np.prod(shape), dtype=np.float64).reshape(shape), requires_grad=True)
        if mode == "constant":
            with lib.no_grad():
                x.view(-1)[1] = -math.inf
        y = f.pad(x, pad, mode=mode, value=0.5 if mode == "constant" else None)
        w = lib.tensor(np.random.default_rng(0).standard_normal(tuple(y.shape)))
        (y * w).sum().backward()
        res.append((y.grad_fn.name().split("::")[-1], y.detach().numpy(), x.grad.numpy()))
    (n1, y1, g1), (n2, y2, g2) = res
    assert n1 == n2
    np.testing.assert_array_equal(y1, y2)
    np.testing.assert_allclose(g1, g2)


def test_pad_on_device(tg_device):
    x = tg.tensor([[[1.0, -math.inf, 3.0, 4.0]]], device=tg_device, requires_grad=True)
    for mode in ("constant", "reflect", "replicate", "circular"):
        y = F.pad(x, (2, 1), mode=mode)
        assert y.device.type == tg.device(tg_device).type
        cpu = F.pad(x.detach().cpu(), (2, 1), mode=mode)
        np.testing.assert_array_equal(y.detach().cpu().numpy(), cpu.numpy())
        x.grad = None
        y.sum().backward()
        assert x.grad.device.type == tg.device(tg_device).type


@pytest.mark.parametrize("dtype, value, bits", [
    ("float8_e4m3fn", 2.5, [66, 56, 56, 66]), ("float8_e5m2", 449.0, [95, 60, 60, 95]),
    ("float8_e5m2", float("inf"), [124, 60, 60, 124]), ("float8_e8m0fnu", 1e10, [160, 127, 127, 160]),
    ("float8_e4m3fn", 449.0, None), ("float8_e4m3fn", float("inf"), None), ("float8_e5m2", 1e10, None),
])
def test_constant_pad_of_8_bit_floats(dtype, value, bits):
    # PyTorch 2.13's values and refusals (c10's range checks; e4m3fn and e8m0 have no infinity)
    x = tg.ones(2, dtype=getattr(tg, dtype))
    if bits is None:
        with pytest.raises(RuntimeError, match=f"^value cannot be converted to type c10::{dtype.capitalize()} "
                                               "without overflow$"):
            F.pad(x, (1, 1), value=value)
    else:
        assert F.pad(x, (1, 1), value=value).view(tg.uint8).tolist() == bits
