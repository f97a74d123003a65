"""Oracle twins of test_series_audio_fixes.py: the pooling errors (zero/negative strides, kernels,
dilations, padding against the dilated kernel, negative adaptive sizes, dtypes PyTorch's kernels
refuse) match PyTorch's class and message, and valid calls its values and indices."""
import numpy as np
import pytest

from tensorgraft.testing.oracle import as_both, assert_same_error, assert_values_close, seeded_normal

torch = pytest.importorskip("torch")

CALLS = [
    lambda F, x: F.max_pool2d(x, 0), lambda F, x: F.max_pool2d(x, 0, 1), lambda F, x: F.max_pool2d(x, 2, 0),
    lambda F, x: F.max_pool2d(x, 2, -1), lambda F, x: F.max_pool2d(x, -2, 1), lambda F, x: F.max_pool2d(x, -1, 1),
    lambda F, x: F.max_pool2d(x, 2, 1, -1), lambda F, x: F.max_pool2d(x, 2, 1, 0, 0),
    lambda F, x: F.max_pool2d(x, 2, 1, 0, -1), lambda F, x: F.max_pool2d(x, (2, 3, 4)),
    lambda F, x: F.max_pool2d(x, 2, 1, (1, 2, 3)), lambda F, x: F.max_pool2d(x, 2, 1, 0, (1, 2, 3)),
    lambda F, x: F.max_pool2d(x, 3, padding=2, dilation=2), lambda F, x: F.max_pool2d(x, (2, 0), 1),
    lambda F, x: F.max_pool2d(x, (0, 2), (1, -1)), lambda F, x: F.max_pool2d(x, (3, 2), padding=(0, 2)),
    lambda F, x: F.max_pool2d(x[0, 0], 2, 0), lambda F, x: F.max_pool2d(x[:, :, :0], 2),
    lambda F, x: F.max_pool2d(x, 7), lambda F, x: F.max_pool2d(x.view(1, 1, 2, 6, 6), 2),
    lambda F, x: F.max_pool1d(x[0], 2, 0, return_indices=True), lambda F, x: F.max_pool1d(x[0], 0, return_indices=True),
    lambda F, x: F.max_pool1d(x[0], 2, 1, 0, 0, return_indices=True),
    lambda F, x: F.max_pool1d(x[0], 3, padding=2, dilation=2, return_indices=True),
    lambda F, x: F.max_pool1d(x[0], 3, padding=2, dilation=2),
    lambda F, x: F.max_pool1d(x[0, 0, :0].reshape(0, 0), 2, return_indices=True),
    lambda F, x: F.max_pool1d(x[0, 0, :0].reshape(1, 0), 2), lambda F, x: F.max_pool1d(x[0, 0, :, :0], 2),
    lambda F, x: F.adaptive_max_pool2d(x, -1), lambda F, x: F.adaptive_max_pool2d(x, (2, -3)),
    lambda F, x: F.adaptive_max_pool2d(x, (None, -1)), lambda F, x: F.adaptive_max_pool1d(x[0], -2),
    lambda F, x: F.adaptive_avg_pool2d(x, -1), lambda F, x: F.adaptive_avg_pool2d(x, (-1, 1)),
    lambda F, x: F.adaptive_avg_pool2d(x, (None, -1)), lambda F, x: F.adaptive_avg_pool2d(x[0, 0, 0], -1),
    lambda F, x: F.adaptive_avg_pool1d(x[0], -2),
]


@pytest.mark.parametrize("call", CALLS)
def test_pool_errors_match(call):
    a, b = as_both(seeded_normal(1, 2, 6, 6))
    import tensorgraft.nn.functional as TGF
    assert_same_error(lambda: call(TGF, a), lambda: call(torch.nn.functional, b))


DTYPES = ["int64", "int32", "int16", "int8", "uint8", "bool", "complex64"]
DTYPE_CALLS = [lambda F, x: F.max_pool1d(x, 2), lambda F, x: F.adaptive_max_pool1d(x, 2),
               lambda F, x: F.adaptive_max_pool2d(x.view(1, 2, 4), 1), lambda F, x: F.adaptive_max_pool2d(x.view(1, 2, 4), -1),
               lambda F, x: F.max_pool2d(x.view(1, 2, 4), 2), lambda F, x: F.max_pool1d(x, 2, return_indices=True)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("call", DTYPE_CALLS)
def test_pool_dtypes_match(call, dtype):
    import tensorgraft as tg
    import tensorgraft.nn.functional as TGF
    a = tg.arange(8).view(1, 1, 8).to(getattr(tg, dtype))
    b = torch.arange(8).view(1, 1, 8).to(getattr(torch, dtype))
    try:
        expected = call(torch.nn.functional, b)
    except Exception:  # noqa: BLE001 - PyTorch refuses this dtype: the same error is expected
        assert_same_error(lambda: call(TGF, a), lambda: call(torch.nn.functional, b))
        return
    ours = call(TGF, a)
    for o, e in zip(ours if isinstance(ours, tuple) else (ours,), expected if isinstance(expected, tuple) else (expected,)):
        assert_values_close(o, e)


@pytest.mark.parametrize("args", [(3, 2, 1, 2, True), ((3, 2), (2, 1), (1, 0), (1, 3), True), (2, 1, 1, 1, False)])
def test_valid_max_pool2d_values_and_indices(args):
    a, b = as_both(seeded_normal(2, 3, 7, 8), requires_grad=True)
    import tensorgraft.nn.functional as TGF
    oa, ia = TGF.max_pool2d(a, *args, return_indices=True)
    ob, ib = torch.nn.functional.max_pool2d(b, *args, return_indices=True)
    assert_values_close(oa, ob)
    assert_values_close(ia, ib)
    w = seeded_normal(*ob.shape, seed=3)
    (oa * a.new_tensor(w) if hasattr(a, "new_tensor") else oa).sum().backward()
    (ob * torch.tensor(w)).sum().backward()
    assert_values_close(a.grad, b.grad)


def test_valid_max_pool1d_with_dilation():
    a, b = as_both(seeded_normal(2, 3, 11))
    import tensorgraft.nn.functional as TGF
    for kw in [dict(kernel_size=3, padding=1, dilation=2), dict(kernel_size=2, stride=3, padding=1, dilation=2,
                                                                   ceil_mode=True)]:
        oa, ia = TGF.max_pool1d(a, return_indices=True, **kw)
        ob, ib = torch.nn.functional.max_pool1d(b, return_indices=True, **kw)
        assert_values_close(oa, ob)
        assert_values_close(ia, ib)
        assert_values_close(TGF.max_pool1d(a, **kw), torch.nn.functional.max_pool1d(b, **kw))
    assert np.array_equal(TGF.adaptive_max_pool2d(a.view(2, 3, 11, 1), 0).shape, (2, 3, 0, 0))


# ------------------------------------------------------------------ convolution argument checks
def _conv_case(fn, x_nd, wshape, **kw):
    def call(lib, F):
        x = lib.tensor(seeded_normal(2, 4, 11, seed=1)).view(2, 4, 11, *(1,) * (x_nd - 1)).float()
        wt = lib.tensor(seeded_normal(*wshape, seed=2)).float()
        return getattr(F, fn)(x, wt, **kw)
    return call


CONV_CASES = [
    _conv_case("conv1d", 1, (3, 1, 3), groups=4), _conv_case("conv1d", 1, (0, 1, 3), groups=4),
    _conv_case("conv1d", 1, (0, 4, 3)), _conv_case("conv1d", 1, (6, 1, 3), groups=4),
    _conv_case("conv_transpose1d", 1, (3, 1, 3), groups=4), _conv_case("conv_transpose1d", 1, (0, 1, 3), groups=4),
    _conv_case("conv2d", 2, (3, 1, 3, 1), groups=4), _conv_case("conv_transpose2d", 2, (3, 1, 3, 1), groups=4),
    _conv_case("conv3d", 3, (3, 1, 3, 1, 1), groups=4), _conv_case("conv_transpose3d", 3, (3, 1, 3, 1, 1), groups=4),
    _conv_case("conv1d", 1, (4, 4, 3), stride=0, padding=-1), _conv_case("conv1d", 1, (4, 4, 3), groups=0, padding=-1),
    _conv_case("conv1d", 1, (3, 1, 3), groups=4, padding=-1), _conv_case("conv1d", 1, (6, 1, 3), groups=4, padding=-1),
    _conv_case("conv1d", 1, (3, 1, 3), groups=4, dilation=-1), _conv_case("conv1d", 1, (4, 4, 3), stride=0, dilation=-1),
    _conv_case("conv1d", 1, (3, 1, 3), groups=4, stride=0, padding=-1),
    _conv_case("conv_transpose1d", 1, (4, 4, 3), stride=0, padding=-1),
    _conv_case("conv_transpose1d", 1, (3, 1, 3), groups=4, padding=-1),
    _conv_case("conv_transpose1d", 1, (3, 1, 3), groups=4, output_padding=-1),
    _conv_case("conv_transpose1d", 1, (3, 1, 3), groups=4, dilation=-1),
    _conv_case("conv_transpose1d", 1, (4, 4, 3), stride=0, output_padding=-1),
    _conv_case("conv2d", 2, (3, 1, 3, 1), groups=4, padding=-1), _conv_case("conv2d", 2, (6, 1, 3, 1), groups=4, padding=-1),
    _conv_case("conv3d", 3, (4, 4, 3, 1, 1), dilation=-1), _conv_case("conv3d", 3, (4, 4, 3, 1, 1), dilation=0),
    _conv_case("conv3d", 3, (4, 4, 3, 1, 1), stride=0, padding=-1), _conv_case("conv3d", 3, (4, 4, 3, 1, 1), stride=0, dilation=0),
    _conv_case("conv3d", 3, (4, 4, 3, 1, 1), groups=0, padding=-1), _conv_case("conv3d", 3, (3, 1, 3, 1, 1), groups=4, dilation=-1),
    _conv_case("conv3d", 3, (3, 1, 3, 1, 1), groups=4, stride=-1), _conv_case("conv3d", 3, (4, 4, 3, 1, 1), dilation=0, padding=-1),
    _conv_case("conv3d", 3, (4, 4, 3, 1, 1), stride=0, dilation=-1), _conv_case("conv3d", 3, (3, 1, 3, 1, 1), groups=4, padding=-1),
    _conv_case("conv3d", 3, (3, 1, 3, 1, 1), groups=4, dilation=0), _conv_case("conv3d", 3, (6, 1, 3, 1, 1), groups=4, dilation=0),
    _conv_case("conv3d", 3, (4, 4, 3, 1, 1), padding="same", dilation=-1),
    _conv_case("conv3d", 3, (4, 4, 3, 1, 1), padding="same", dilation=(1, 1, -1)),
    _conv_case("conv3d", 3, (4, 4, 3, 1, 1), padding="valid", dilation=-1),
    _conv_case("conv3d", 3, (4, 4, 3, 1, 1), padding="same", dilation=0),
    _conv_case("conv3d", 3, (4, 4, 3, 1, 1), padding="same", stride=0),
    _conv_case("conv3d", 3, (4, 4, 3, 1, 1), padding="foo", groups=0),
    _conv_case("conv_transpose3d", 3, (4, 4, 3, 1, 1), dilation=-1),
    _conv_case("conv_transpose3d", 3, (4, 4, 3, 1, 1), stride=0, padding=-1),
    _conv_case("conv_transpose3d", 3, (4, 4, 3, 1, 1), stride=0, output_padding=-1),
    _conv_case("conv_transpose3d", 3, (3, 1, 3, 1, 1), groups=4, dilation=0),
    _conv_case("conv_transpose3d", 3, (4, 4, 3, 1, 1), groups=0, padding=-1),
    _conv_case("conv1d", 1, (4, 4, 3), padding="same", stride=0), _conv_case("conv1d", 1, (4, 4, 3), padding="same", stride=2, groups=0),
    _conv_case("conv1d", 1, (4, 4, 3), padding="foo", groups=0), _conv_case("conv1d", 1, (4, 4, 3), padding="foo", stride=2),
    _conv_case("conv1d", 1, (3, 1, 3), padding="same", groups=4, stride=2),
    _conv_case("conv1d", 1, (4, 4, 3), padding="same", dilation=-1), _conv_case("conv1d", 1, (4, 4, 3), padding="valid", dilation=-1),
    _conv_case("conv1d", 1, (4, 4, 3), padding=-1, dilation=-1),
    _conv_case("conv2d", 2, (4, 4, 3, 1), padding="same", stride=0),
]


@pytest.mark.parametrize("call", CONV_CASES)
def test_conv_errors_match(call):
    import tensorgraft as tg
    import tensorgraft.nn.functional as TGF
    assert_same_error(lambda: call(tg, TGF), lambda: call(torch, torch.nn.functional))


@pytest.mark.parametrize("call", [
    _conv_case("conv1d", 1, (4, 4, 3), padding="same", dilation=2), _conv_case("conv1d", 1, (8, 1, 3), groups=4, padding=1),
    _conv_case("conv3d", 3, (4, 4, 3, 1, 1), padding="same", dilation=2),
    _conv_case("conv_transpose1d", 1, (4, 2, 3), stride=2, padding=1, output_padding=1),
    _conv_case("conv_transpose3d", 3, (4, 1, 3, 1, 1), groups=4),
])
def test_valid_convolutions_match(call):
    import tensorgraft as tg
    import tensorgraft.nn.functional as TGF
    assert_values_close(call(tg, TGF), call(torch, torch.nn.functional), rtol=1e-5, atol=1e-5)


# ------------------------------------------------------------------ F.pad's argument types
@pytest.mark.parametrize("call", [
    lambda t, F: F.pad(t, (1.5, 1)), lambda t, F: F.pad(t, (1, 1.5)), lambda t, F: F.pad(t, (1.0, 1)),
    lambda t, F: F.pad(t, (True, 1)), lambda t, F: F.pad(t, 1), lambda t, F: F.pad(t, (1, "a")),
    lambda t, F: F.pad(t, (1.5, 1), mode="reflect"), lambda t, F: F.pad(t, (1, None)),
    lambda t, F: F.pad(t, [1, 2.0], value=3), lambda t, F: F.pad(t, (1, 1), value="a"),
    lambda t, F: F.pad(t, (1, 1), mode=3),
])
def test_pad_argument_errors_match(call):
    import tensorgraft as tg
    import tensorgraft.nn.functional as TGF
    assert_same_error(lambda: call(tg.arange(12.0).view(1, 2, 6), TGF),
                      lambda: call(torch.arange(12.0).view(1, 2, 6), torch.nn.functional))


# ------------------------------------------------------------------ the pools' "tuple of ints" arguments
@pytest.mark.parametrize("call", [
    lambda t, F: F.avg_pool1d(t, 2.5), lambda t, F: F.avg_pool1d(t, 2, 1.5), lambda t, F: F.avg_pool1d(t, 2, 1, 0.0),
    lambda t, F: F.avg_pool1d(t, (2.0,)), lambda t, F: F.avg_pool1d(t, True), lambda t, F: F.max_pool1d(t, 2.5),
    lambda t, F: F.max_pool1d(t, 2, 1.5), lambda t, F: F.max_pool1d(t, 2.5, return_indices=True),
    lambda t, F: F.max_pool1d(t, 2, dilation=1.0), lambda t, F: F.max_pool1d(t, [2, 2.0]),
    lambda t, F: F.max_pool1d(t, "2"),
    lambda t, F: F.max_pool2d(t.view(2, 3, 2, 5), 2.5), lambda t, F: F.max_pool2d(t.view(2, 3, 2, 5), (2, 2.5)),
    lambda t, F: F.max_pool2d(t.view(2, 3, 2, 5), (1, 2, 2.5)),
    lambda t, F: F.max_pool2d(t.view(2, 3, 2, 5), 2.5, return_indices=True),
    lambda t, F: F.avg_pool2d(t.view(2, 3, 2, 5), 2.5), lambda t, F: F.avg_pool2d(t.view(2, 3, 2, 5), 2, 1.5),
    lambda t, F: F.avg_pool2d(t.view(2, 3, 2, 5), 2, padding=(0, 1.0)),
    lambda t, F: F.max_pool3d(t.view(1, 2, 3, 2, 5), 2.5), lambda t, F: F.avg_pool3d(t.view(1, 2, 3, 2, 5), 2.5),
    lambda t, F: F.max_pool3d(t.view(1, 2, 3, 2, 5), 2.5, return_indices=True),
    lambda t, F: F.lp_pool1d(t, 2, 2.5), lambda t, F: F.pad(t, (1, 1, 1.5, 1)), lambda t, F: F.pad(t, (1, 1, 1, 1, 1, 1.5)),
])
def test_pool_int_tuple_errors_match(call):
    import tensorgraft as tg
    import tensorgraft.nn.functional as TGF
    data = seeded_normal(2, 3, 10).astype(np.float32)
    assert_same_error(lambda: call(tg.tensor(data), TGF), lambda: call(torch.tensor(data), torch.nn.functional))


def test_conv_forward_with_another_weight_matches():
    import tensorgraft as tg
    data = seeded_normal(2, 4, 11).astype(np.float32)
    outs = []
    for lib, t in ((tg, tg.tensor(data)), (torch, torch.tensor(data))):
        lib.manual_seed(0)
        conv = lib.nn.Conv1d(4, 3, 3, padding=2, dilation=2, padding_mode="circular")
        w = conv.weight
        w = (w - w.mean(dim=(1, 2), keepdim=True)) / (w.std(dim=(1, 2), keepdim=True) + 1e-5)
        outs.append(conv._conv_forward(t, w, conv.bias))
    assert_values_close(outs[0], outs[1], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("call", [
    lambda nn: nn.Conv1d(3, 3.0, 3), lambda nn: nn.Conv1d(3.0, 3, 3), lambda nn: nn.Conv1d(3, 3, 2.5),
    lambda nn: nn.ConvTranspose2d(3, 3.0, 3), lambda nn: nn.Conv3d(3, 3, (1, 1, 1.5)),
])
def test_float_conv_sizes_match(call):
    import tensorgraft.nn as tnn
    assert_same_error(lambda: call(tnn), lambda: call(torch.nn))
