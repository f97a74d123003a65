"""Memory formats and layouts: named singletons, real strides from factories, ``to`` and the
``*_like`` functions, and elementwise results keeping a channels-last input's order."""
import pickle

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft import memory_layout as ml  # the layout helpers (the public names are tg.*)

CL = tg.channels_last


def _x(shape, seed, device="cpu"):
    return tg.tensor(np.random.default_rng(seed).standard_normal(shape).astype(np.float32), device=device)


def test_reprs_and_pickling():
    assert repr(tg.channels_last) == "torch.channels_last"
    assert str(tg.preserve_format) == "torch.preserve_format"
    assert repr(tg.contiguous_format) == "torch.contiguous_format"
    assert repr(tg.channels_last_3d) == "torch.channels_last_3d"
    assert repr(tg.strided) == "torch.strided"
    assert isinstance(CL, tg.memory_format) and isinstance(tg.strided, tg.layout)
    assert pickle.loads(pickle.dumps(CL)) is CL
    assert pickle.loads(pickle.dumps(tg.strided)) is tg.strided
    assert tg.zeros(2).layout is tg.strided


def test_format_strides():
    assert ml.format_strides((2, 3, 4, 5), ml.dim_order(4, CL)) == (60, 1, 15, 3)
    assert ml.format_strides((2, 3, 4, 5, 6), ml.dim_order(5, tg.channels_last_3d)) == (360, 1, 90, 18, 3)
    assert ml.format_strides((2, 3, 1, 1), ml.dim_order(4, CL)) == (3, 1, 3, 3)   # size-1 dims count as 1
    assert ml.format_strides((0, 3, 4, 5), ml.dim_order(4, CL)) == (60, 1, 15, 3)


def test_empty_and_to_channels_last(tg_device):
    e = tg.empty(2, 3, 4, 5, memory_format=CL, device=tg_device)
    assert e.stride() == (60, 1, 15, 3)
    assert e.is_contiguous(memory_format=CL) and not e.is_contiguous()
    x = _x((2, 3, 4, 5), 1, tg_device)
    y = x.to(memory_format=CL)
    assert y.stride() == (60, 1, 15, 3)
    np.testing.assert_array_equal(y.cpu().numpy(), x.cpu().numpy())
    assert y.to(memory_format=CL) is y          # already in that format: no copy
    assert x.to(memory_format=tg.preserve_format) is x
    assert x.to(tg.float64, memory_format=CL).stride() == (60, 1, 15, 3)
    assert x.double(memory_format=CL).stride() == (60, 1, 15, 3)
    assert tg.empty(2, 3, 4, 5, 6, memory_format=tg.channels_last_3d).stride() == (360, 1, 90, 18, 3)


def test_rank_and_preserve_errors():
    with pytest.raises(RuntimeError, match="required rank 4 tensor to use channels_last format"):
        tg.empty(2, 3, memory_format=CL)
    with pytest.raises(RuntimeError, match="required rank 4 tensor to use channels_last format"):
        _x((3, 4), 2).to(memory_format=CL)
    with pytest.raises(RuntimeError, match="required rank 5 tensor to use channels_last_3d format"):
        _x((2, 3, 4, 5), 2).to(memory_format=tg.channels_last_3d)
    with pytest.raises(RuntimeError, match="unsupported memory format Preserve"):
        tg.empty(2, 3, 4, 5, memory_format=tg.preserve_format)
    with pytest.raises(RuntimeError, match="required rank 4"):
        tg.empty_like(_x((3, 4), 3), memory_format=CL)


def test_is_contiguous_ignores_size_one_dims():
    t = tg.empty(2, 3, 1, 1)
    assert t.is_contiguous(memory_format=CL) and t.is_contiguous()
    assert t.to(memory_format=CL).stride() == (3, 1, 3, 3)
    assert tg.empty(2, 1, 3, 3).to(memory_format=CL).stride() == (9, 1, 3, 1)
    assert not _x((3, 4), 4).is_contiguous(memory_format=CL)    # wrong rank: just False
    assert _x((3, 4), 4).is_contiguous(memory_format=tg.preserve_format)
    assert not _x((3, 4), 4).t().is_contiguous(memory_format=tg.preserve_format)


@pytest.mark.parametrize("fname", ["empty_like", "zeros_like", "ones_like", "rand_like", "randn_like"])
def test_like_factories_preserve_and_impose(fname, tg_device):
    f = getattr(tg, fname)
    cl = _x((2, 3, 4, 5), 5, tg_device).to(memory_format=CL)
    assert f(cl).stride() == (60, 1, 15, 3)
    assert f(cl, memory_format=tg.contiguous_format).stride() == (60, 20, 5, 1)
    assert f(_x((2, 3, 4, 5), 6, tg_device), memory_format=CL).stride() == (60, 1, 15, 3)
    t = _x((3, 4), 7, tg_device).t()
    assert f(t).stride() == (1, 4)                     # dense: the input's strides
    assert f(_x((3, 8), 8, tg_device)[:, ::2]).stride() == (4, 1)   # gaps: contiguous
    assert tg.full_like(t, 2.0).stride() == (1, 4)
    assert tg.randint_like(cl, 5).stride() == (60, 1, 15, 3)


def test_zeros_like_values_in_new_layout():
    z = tg.ones_like(_x((2, 3, 4, 5), 9), memory_format=CL)
    assert z.stride() == (60, 1, 15, 3) and float(z.sum()) == 120.0


def test_elementwise_results_stay_channels_last(tg_device):
    cl = _x((2, 3, 4, 5), 10, tg_device).to(memory_format=CL)
    plain = _x((2, 3, 4, 5), 11, tg_device)
    for r in (cl + 1, cl * cl, tg.exp(cl), cl.to(tg.float64), -cl, cl.relu() if hasattr(cl, "relu") else cl + 0):
        assert r.stride() == (60, 1, 15, 3)
        assert r.is_contiguous(memory_format=CL)
    np.testing.assert_allclose((cl + plain).cpu().numpy(), cl.cpu().numpy() + plain.cpu().numpy(), rtol=1e-6)


def test_to_records_to_copy_and_gradient_flows():
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
    x = _x((2, 3, 4, 5), 12).requires_grad_()
    y = x.to(memory_format=CL)
    assert type(y.grad_fn).__name__ == "ToCopyBackward0"
    (y * tg.arange(120.).view(2, 3, 4, 5)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.arange(120.).reshape(2, 3, 4, 5))


def test_contiguous_and_clone_helpers():
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
    from tensorgraft.ops.tensor_extras import clone_as, contiguous_as
    x = _x((2, 3, 4, 5), 13).requires_grad_()
    c = contiguous_as(x, CL)
    assert c.stride() == (60, 1, 15, 3) and type(c.grad_fn).__name__ == "CloneBackward0"
    assert contiguous_as(c, CL) is c
    assert contiguous_as(x, tg.preserve_format) is x
    with pytest.raises(RuntimeError, match="preserve memory format is unsupported by the contiguous operator"):
        contiguous_as(_x((3, 4), 14).t(), tg.preserve_format)
    assert clone_as(c, None).stride() == (60, 1, 15, 3)
    assert clone_as(_x((3, 4), 15).t(), None).stride() == (1, 4)
    assert clone_as(c, tg.contiguous_format).stride() == (60, 20, 5, 1)
    with pytest.raises(RuntimeError, match="required rank 5"):
        clone_as(_x((3, 4), 16), tg.channels_last_3d)


def test_empty_strided_and_new_empty_strided(tg_device):
    assert tg.empty_strided((2, 3), (1, 2), device=tg_device).stride() == (1, 2)
    assert tg.zeros(1, device=tg_device).new_empty_strided((2, 3), (3, 1)).stride() == (3, 1)
    with pytest.raises(RuntimeError, match="mismatch in length of strides and shape"):
        tg.empty_strided((2, 3), (1,))


def test_empty_permuted(tg_device):
    t = tg.empty_permuted((2, 3, 4), (0, 2, 1), device=tg_device)
    assert t.stride() == (12, 1, 3) and t.shape == (2, 3, 4)
    with pytest.raises(RuntimeError, match="Duplicate dim not allowed"):
        tg.empty_permuted((2, 3), (0, 0))
    with pytest.raises(RuntimeError, match="does not match the length of the physical_layout"):
        tg.empty_permuted((2, 3), (0,))


def test_clone_without_format_is_c_ordered_so_view_writes_keep_recording():
    # deliberate difference (docs/user-guide/differences.md): PyTorch's clone() keeps a transposed
    # input's strides; tensorgraft's copies C-ordered, because in-place writes into views of a tensor
    # that records gradients need a C-ordered base
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
    x = tg.ones(3, 4, requires_grad=True)
    c = x.t().clone()
    assert c.is_contiguous() and c.stride() == (3, 1)
    c[0].mul_(2)
    c.diagonal().zero_()
    c.sum().backward()
    want = np.ones((4, 3))
    want[0] = 2
    want[np.arange(3), np.arange(3)] = 0
    np.testing.assert_array_equal(x.grad.numpy(), want.T)
    assert x.t().clone(memory_format=tg.preserve_format).stride() == (1, 4)


def test_as_strided_on_a_densely_laid_out_base():
    # a channels-last (or transposed) tensor covers its memory densely: as_strided reads that memory
    base = tg.arange(24.0).reshape(1, 2, 3, 4).contiguous(memory_format=tg.channels_last)
    flat = base.as_strided((24,), (1,), 0)
    np.testing.assert_array_equal(flat.numpy(), base.numpy().transpose(0, 2, 3, 1).reshape(-1))
    flat[0] = -1.0
    assert base[0, 0, 0, 0].item() == -1.0
