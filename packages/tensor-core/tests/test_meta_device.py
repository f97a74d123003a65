"""The meta device: shapes, dtypes and autograd history without values (tensorgraft/meta_device.py)."""
import pytest

import tensorgraft as tg

NO_DATA = "Cannot copy out of meta tensor; no data!"


def test_factories_make_index_less_meta_tensors():
    for t in (tg.empty(2, 3, device="meta"), tg.zeros(2, 3, device=tg.device("meta")),
              tg.randn(2, 3, device="meta"), tg.tensor([[1.0, 2, 3], [4, 5, 6]], device="meta")):
        assert t.device == tg.device("meta") and t.device.index is None and str(t.device) == "meta"
        assert t.shape == (2, 3) and t.dtype == tg.float32 and t.stride() == (3, 1)
    assert tg.randint(0, 5, (4,), device="meta").dtype == tg.int64
    assert tg.randperm(6, device="meta").shape == (6,)


def test_ops_keep_shape_dtype_and_device():
    x = tg.empty(4, 3, device="meta")
    y = (x * 2 + 1).sum(1, keepdim=True).to(tg.float64)
    assert y.device.type == "meta" and y.shape == (4, 1) and y.dtype == tg.float64
    assert (x @ tg.empty(3, 5, device="meta")).shape == (4, 5)
    assert tg.zeros_like(x).device.type == "meta" and x.new_zeros(2).device.type == "meta"


def test_values_never_leave_the_device():
    x = tg.ones(2, device="meta")
    for leave in (x.cpu, x.tolist, lambda: x.to("cpu")):
        with pytest.raises(NotImplementedError, match=NO_DATA):
            leave()


def test_mixing_with_cpu_tensors_is_refused():
    with pytest.raises(RuntimeError, match="meta and cpu"):
        tg.ones(2, device="meta") + tg.ones(2)


def test_meta_samplers_leave_the_cpu_stream_alone():
    tg.manual_seed(0)
    expected = tg.randn(3)
    tg.manual_seed(0)
    tg.randn(1000, device="meta")
    tg.empty(50, device="meta").uniform_()
    assert tg.equal(tg.randn(3), expected)


def test_autograd_runs_on_meta():
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
    w = tg.ones(3, 2, device="meta", requires_grad=True)
    (tg.empty(5, 3, device="meta") @ w).sum().backward()
    assert w.grad.device.type == "meta" and w.grad.shape == (3, 2)


def test_default_device_meta_builds_modules_without_values():
    nn = pytest.importorskip("tensorgraft.nn", reason="needs tensorgraft-nn")
    with tg.device("meta"):
        layer = nn.Linear(5, 4)
    assert layer.weight.device.type == "meta" and layer.bias.shape == (4,)
    assert layer(tg.empty(2, 5, device="meta")).shape == (2, 4)
    layer.to_empty(device="cpu")
    assert layer.weight.device.type == "cpu" and layer.weight.shape == (4, 5)


@pytest.mark.parametrize("make,expected", [
    (lambda: tg.empty(2, 3, device="meta"), "tensor(..., device='meta', size=(2, 3))"),
    (lambda: tg.zeros((), device="meta"), "tensor(..., device='meta', size=())"),
    (lambda: tg.zeros(2, dtype=tg.int64, device="meta"), "tensor(..., device='meta', size=(2,), dtype=torch.int64)"),
    (lambda: tg.zeros(0, 3, dtype=tg.float64, device="meta"),
     "tensor(..., device='meta', size=(0, 3), dtype=torch.float64)"),
])
def test_printing_shows_no_values(make, expected):
    assert repr(make()) == expected


def test_printing_shows_autograd_state():
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
    leaf = tg.ones(4, device="meta", requires_grad=True)
    assert repr(leaf) == "tensor(..., device='meta', size=(4,), requires_grad=True)"
    assert repr(leaf * 2) == "tensor(..., device='meta', size=(4,), grad_fn=<MulBackward0>)"


def test_scalar_reads_are_refused_with_pytorchs_words():
    one = tg.ones((), device="meta")
    for read in (one.item, lambda: bool(one), lambda: float(one), lambda: int(one)):
        with pytest.raises(RuntimeError, match="Tensor.item\\(\\) cannot be called on meta tensors"):
            read()
    with pytest.raises(TypeError, match="unsupported format string passed to Tensor.__format__"):
        f"{one:.2f}"
    with pytest.raises(TypeError, match="can't convert meta device type tensor to numpy"):
        one.numpy()
    assert one.is_meta and not tg.ones(()).is_meta
