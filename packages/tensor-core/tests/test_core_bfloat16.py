"""bfloat16: stored in 2 bytes, computed in float32 and rounded once (ops/_bfloat16.py).

The expected values are worked out by hand from bfloat16's format (8 significant bits: a spacing
of 2**-7 between 1 and 2), so each test fails if the rounding or the accumulation is wrong."""
import pickle

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.ops._bfloat16 import float32_compute, narrow, widen


def bf(values):
    return tg.tensor(values, dtype=tg.bfloat16)


def test_dtype_facts():
    d = tg.bfloat16
    assert repr(d) == str(d) == "torch.bfloat16"
    assert d.is_floating_point and not d.is_complex and d.is_signed and d.itemsize == 2
    assert pickle.loads(pickle.dumps(d)) is d
    fi = tg.finfo(d)
    assert (fi.eps, fi.bits, fi.resolution, fi.tiny) == (2.0 ** -7, 16, 0.01, 2.0 ** -126)
    assert repr(fi) == ("finfo(resolution=0.01, min=-3.38953e+38, max=3.38953e+38, eps=0.0078125, "
                        "smallest_normal=1.17549e-38, tiny=1.17549e-38, dtype=bfloat16)")


@pytest.mark.parametrize("other,expected", [
    (tg.float16, tg.float32), (tg.float32, tg.float32), (tg.float64, tg.float64), (tg.int64, tg.bfloat16),
    (tg.bool, tg.bfloat16), (tg.uint8, tg.bfloat16), (tg.complex64, tg.complex64), (tg.complex128, tg.complex128),
    (tg.bfloat16, tg.bfloat16)])
def test_promotion(other, expected):
    assert tg.promote_types(tg.bfloat16, other) is expected
    assert tg.promote_types(other, tg.bfloat16) is expected
    assert (bf([1.0, 2.0]) + tg.ones(2, dtype=other)).dtype is expected


def test_storage_and_conversions():
    t = bf([3.14159, 70000.0, 1.0 / 3])
    assert t.element_size() == 2 and t.nbytes == 6 and t.dtype is tg.bfloat16
    # round to nearest even at 8 significant bits
    assert t.tolist() == [3.140625, 70144.0, 0.333984375]
    assert t.float().dtype is tg.float32 and t.float().tolist() == [3.140625, 70144.0, 0.333984375]
    assert tg.tensor([1.0, 2.0]).bfloat16().dtype is tg.bfloat16
    assert t.to(tg.int64).tolist() == [3, 70144, 0]
    assert t[0].item() == 3.140625 and t.is_floating_point()
    assert tg.zeros(2, dtype=tg.bfloat16).bfloat16().float().tolist() == [0.0, 0.0]
    assert tg.arange(0, 1, 0.25, dtype=tg.bfloat16).tolist() == [0.0, 0.25, 0.5, 0.75]


def test_numpy_is_refused_as_pytorch():
    t = bf([1.0])
    with pytest.raises(TypeError, match="^Got unsupported ScalarType BFloat16$"):
        t.numpy()
    with pytest.raises(TypeError, match="^Got unsupported ScalarType BFloat16$"):
        np.asarray(t)
    assert t.float().numpy().dtype == np.float32


def test_repr_prints_like_float():
    assert repr(bf([0.1259765625, -2.328125])) == "tensor([ 0.1260, -2.3281], dtype=torch.bfloat16)"
    assert repr(bf([1.0, 2.0])) == "tensor([1., 2.], dtype=torch.bfloat16)"


def test_sum_accumulates_in_float32():
    ones = tg.ones(100000, dtype=tg.bfloat16)
    # a bfloat16 accumulator stops at 256 (256 + 1 rounds back to 256); float32 reaches 100000,
    # which then rounds to bfloat16's 99840
    assert ones.sum().item() == 99840.0 and ones.sum().dtype is tg.bfloat16
    assert ones.sum(dtype=tg.float32).item() == 100000.0
    assert ones.mean().item() == 1.0 and ones.mean().dtype is tg.bfloat16
    assert tg.ones(300, dtype=tg.bfloat16).cumsum(0)[-1].item() == 300.0


def test_unary_ops_keep_bfloat16_and_round_once():
    x = bf([1.0, 2.0])
    r = x.exp()
    assert r.dtype is tg.bfloat16
    assert r.tolist() == [2.71875, 7.375]  # e and e**2 at 8 significant bits
    assert x.sqrt().tolist() == [1.0, 1.4140625]
    assert x.sigmoid().dtype is tg.bfloat16


def test_number_operands_follow_pytorch_opmath():
    x = bf([3.0, 100.0])
    # mul/div keep the number in float32: 3 * 1.006 = 3.018 -> 3.015625 (not 3 * 1.0078125 -> 3.03125)
    assert (x * 1.006).tolist() == [3.015625, 100.5]
    assert (1.006 * x).tolist() == [3.015625, 100.5]
    # add rounds the number to bfloat16 first (3.01 -> 3.015625), as PyTorch's kernel does
    assert (bf([-2.5]) + 3.01).tolist() == [0.515625]


def test_in_place_writes_reach_the_tensor():
    a = bf([1.0, 2.0, 3.0])
    a[1] = 7.77
    assert a.tolist() == [1.0, 7.78125, 3.0]  # the nearer of 7.75 and 7.78125
    a.fill_(2.5)
    assert a.tolist() == [2.5, 2.5, 2.5]
    a.copy_(tg.tensor([1.0, 2.0, 3.0]))
    assert a.tolist() == [1.0, 2.0, 3.0]
    a += 1
    assert a.tolist() == [2.0, 3.0, 4.0] and a.dtype is tg.bfloat16
    a.zero_()
    assert a.tolist() == [0.0, 0.0, 0.0]


def test_float32_compute_wrapper():
    calls = []

    def kernel(a, b, dtype=None):
        calls.append((a.dtype, b.dtype, dtype))
        return a + b

    k = float32_compute(kernel)
    a = np.array([1.0, 2.0], dtype=tg.bfloat16.np)
    r = k(a, np.float32(0.5) * np.ones(2, np.float32))
    assert r.dtype is tg.bfloat16.np and calls[-1][0] == np.float32
    f = np.ones(2, np.float32)
    assert k(f, f).dtype == np.float32 and calls[-1][0] == np.float32  # other dtypes untouched
    # a named result dtype other than bfloat16 is what was asked for: not rounded
    assert k(a, a, dtype=np.dtype(np.float64)).dtype == np.float32
    assert widen(a).dtype == np.float32 and narrow(np.ones(1, np.float32)).dtype is tg.bfloat16.np
    assert narrow((np.ones(1, np.float32), np.zeros(1, np.int64)))[1].dtype == np.int64


def test_gradients():
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
    x = bf([1.0, 2.0, 3.0]).requires_grad_()
    (x * x).sum().backward()
    assert x.grad.dtype is tg.bfloat16 and x.grad.tolist() == [2.0, 4.0, 6.0]
    w = bf([[1.0, 2.0], [3.0, 4.0]]).requires_grad_()
    (w @ w).sum().backward()
    assert w.grad.dtype is tg.bfloat16 and w.grad.tolist() == [[7.0, 11.0], [9.0, 13.0]]


def test_autocast_cpu_defaults_to_bfloat16():
    a = tg.ones(2, 3)
    with tg.autocast("cpu"):
        assert (a @ a.T).dtype is tg.bfloat16


def test_views_share_the_bfloat16_memory():
    # the float32 computation path must not turn a view into a copy (ops/_bfloat16.py)
    for view in (lambda a: a.t(), lambda a: a.view(4), lambda a: a[0], lambda a: a.unsqueeze(0), lambda a: a.diagonal(),
                 lambda a: a.unbind(0)[1], lambda a: a.expand(2, 2), lambda a: a[:, ::2], lambda a: a.narrow(0, 1, 1)):
        a = bf([[1.0, 2.0], [3.0, 4.0]])
        v = view(a)
        assert v._base is a and v.dtype is tg.bfloat16
        v.fill_(9.0)
        assert 9.0 in a.flatten().tolist()


def test_safetensors_round_trip(tmp_path):
    import io
    t = bf([1.5, -2.25, 3.140625])
    tg.save({"w": t}, tmp_path / "w.safetensors")
    back = tg.load(tmp_path / "w.safetensors")["w"]
    assert back.dtype is tg.bfloat16 and back.tolist() == t.tolist()
    buf = io.BytesIO()
    tg.save(t, buf)
    buf.seek(0)
    back = tg.load(buf)
    assert back.dtype is tg.bfloat16 and back.tolist() == t.tolist()
    assert tg.BFloat16Storage.dtype is tg.bfloat16 and tg.BFloat16Tensor([1, 2]).dtype is tg.bfloat16
