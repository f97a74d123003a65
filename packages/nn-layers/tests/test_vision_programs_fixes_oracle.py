"""The gaps the vision programs (tests/programs/vision_*.py) found, compared with PyTorch itself:
affine_grid's exact values and messages, grid_sample's check order, the convolutions' dtype
checks, the conv modules' configuration messages and their bias initialisation."""
import math
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensorgraft  # noqa: E402
from tensorgraft.testing.oracle import assert_same_error, assert_values_close, run_in_both, to_numpy  # noqa: E402


def _affine(lib, theta, size, align):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the unit-size warning of align_corners=True
        return lib.nn.functional.affine_grid(lib.from_numpy(theta), size, align_corners=align)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize("align", [False, True])
def test_affine_grid_matches_to_the_last_bits(dtype, align):
    # small grids take ATen's plain bmm loop, large ones its BLAS path; both, and odd sizes. On a
    # CPU whose BLAS sums as tensorgraft's grid does the grids are equal bit for bit; others (MKL
    # on AMD) round some elements differently, so a few units in the last place are allowed.
    rng = np.random.default_rng(7)
    for case in range(24):
        nd = 2 if case % 2 else 3
        hi = 40 if nd == 2 else 12
        spatial = tuple(int(v) for v in rng.integers(2, hi, nd))
        theta = rng.standard_normal((int(rng.integers(1, 4)), nd, nd + 1)).astype(dtype)
        if case % 3 == 0:
            theta = np.round(theta, 1).astype(dtype)
        size = (theta.shape[0], 2) + spatial
        ours, theirs = run_in_both(lambda lib: _affine(lib, theta, size, align))
        ulp = float(np.finfo(dtype).eps)
        np.testing.assert_allclose(to_numpy(ours), to_numpy(theirs), rtol=4 * ulp, atol=4 * ulp,
                                   err_msg=f"{size} align={align}")


def test_affine_grid_rounding_that_changes_the_print():
    # PyTorch's float32 sum leaves 1.4901e-08 where an exact sum gives 0: the whole tensor then
    # prints in scientific notation
    theta = np.array([[[0.9, -0.2, 0.1], [0.3, 1.1, -0.2]]], dtype=np.float32)
    ours, theirs = run_in_both(lambda lib: _affine(lib, theta, (1, 3, 5, 5), False))
    assert str(ours[0, 3]) == str(theirs[0, 3])


@pytest.mark.parametrize("size", [[2, 3, 5, 5], (2, 3, 5, 5), "Size4", [2, 3, 5], "Size3", [2, 3, 0, 5], "Size0"])
@pytest.mark.parametrize("rows", [1, 2])
def test_affine_grid_messages_quote_the_size_as_given(size, rows):
    def call(lib):
        s = {"Size4": lib.Size([2, 3, 5, 5]), "Size3": lib.Size([2, 3, 5]), "Size0": lib.Size([2, 3, 0, 5])}.get(
            size, size) if isinstance(size, str) else size
        return lib.nn.functional.affine_grid(lib.zeros(2, rows, 3), s, align_corners=False)
    if rows == 2 and size in ([2, 3, 5, 5], (2, 3, 5, 5), "Size4"):
        run_in_both(call)
    else:
        assert_same_error(call)


@pytest.mark.parametrize("spatial", [(1, 4), (3, 1), (1, 2, 2)])
def test_affine_grid_half_with_a_unit_axis(spatial):
    nd = len(spatial)
    assert_same_error(lambda lib: lib.nn.functional.affine_grid(
        lib.zeros(1, nd, nd + 1, dtype=lib.float16), (1, 1) + spatial, align_corners=False))


_GRID_CASES = [((3, 5, 5), (3, 4, 4, 2)), ((3, 5, 5), (2, 4, 4, 2)), ((3, 5, 5), (3, 4, 1)), ((3, 5, 5), (3, 4, 4, 1)),
               ((2, 3, 5, 5), (3, 4, 2)), ((2, 3, 5, 5), (2, 4, 2)), ((2, 3, 5, 5), (3, 4, 4, 2, 2)),
               ((2, 3, 5, 5, 5), (1, 4, 4, 3)), ((2, 3, 5, 5, 5), (2, 4, 4, 3)), ((2, 3, 0, 5), (3, 4, 4, 2)),
               ((2, 3, 5, 5, 5, 5), (2, 4, 4, 4, 4, 4)), ((5,), (5,))]


@pytest.mark.parametrize("shapes", _GRID_CASES)
@pytest.mark.parametrize("dtypes", [("float32", "float32"), ("float32", "float64"), ("int64", "float32")])
def test_grid_sample_checks_in_atens_order(shapes, dtypes):
    a, b = shapes
    assert_same_error(lambda lib: lib.nn.functional.grid_sample(
        lib.zeros(a, dtype=getattr(lib, dtypes[0])), lib.zeros(b, dtype=getattr(lib, dtypes[1])),
        align_corners=False))


@pytest.mark.parametrize("dtypes", [("int64", "int64"), ("int32", "float32"), ("float32", "int64"),
                                    ("float16", "float32")])
@pytest.mark.parametrize("rank", [4, 5])
def test_grid_sample_dtype_errors(dtypes, rank):
    a = (1, 1) + (2,) * (rank - 2)
    b = (1,) + (1,) * (rank - 2) + (rank - 2,)
    assert_same_error(lambda lib: lib.nn.functional.grid_sample(
        lib.zeros(a, dtype=getattr(lib, dtypes[0])), lib.zeros(b, dtype=getattr(lib, dtypes[1])),
        align_corners=False))


@pytest.mark.parametrize("a,b", [((0, 3, 5, 5), (0, 4, 4, 2)), ((2, 0, 5, 5), (2, 4, 4, 2)),
                                 ((2, 3, 5, 5), (2, 0, 4, 2)), ((0, 2, 3, 3, 3), (0, 2, 2, 2, 3))])
def test_grid_sample_empty_batch_or_channels(a, b):
    def call(lib):
        x = lib.ones(a, requires_grad=True)
        g = lib.zeros(b, requires_grad=True)
        y = lib.nn.functional.grid_sample(x, g, align_corners=False)
        y.sum().backward()
        return y, x.grad, g.grad
    ours, theirs = run_in_both(call)
    for o, t in zip(ours, theirs):
        assert_values_close(o, t)


_DT = {"f": "float32", "d": "float64", "l": "int64", "h": "float16"}


@pytest.mark.parametrize("di", "fdlh")
@pytest.mark.parametrize("dw", "fdl")
@pytest.mark.parametrize("db", [None, "f", "d"])
@pytest.mark.parametrize("channels,bias_len", [(4, 8), (3, 8), (4, 7)])
@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("batch", [1, 2])  # a float32 batch of more than one takes ATen's mkldnn path
def test_conv3d_dtype_checks(di, dw, db, channels, bias_len, transposed, batch):
    def call(lib):
        x = lib.zeros(batch, channels, 3, 3, 3, dtype=getattr(lib, _DT[di]))
        b = None if db is None else lib.zeros(bias_len, dtype=getattr(lib, _DT[db]))
        if transposed:
            return lib.nn.functional.conv_transpose3d(x, lib.zeros(4, 8, 1, 1, 1, dtype=getattr(lib, _DT[dw])), b)
        return lib.nn.functional.conv3d(x, lib.zeros(8, 4, 1, 1, 1, dtype=getattr(lib, _DT[dw])), b)
    ours, theirs = None, None
    try:
        theirs = call(torch)
    except Exception:  # noqa: BLE001 - then the same error is wanted
        assert_same_error(call)
        return
    ours = call(tensorgraft)
    assert_values_close(ours, theirs)


@pytest.mark.parametrize("dtype", ["int16", "int8", "uint8", "bool", "int32"])
@pytest.mark.parametrize("transposed", [False, True])
def test_conv3d_kernel_dtypes(dtype, transposed):
    def call(lib):
        dt = getattr(lib, dtype)
        x = lib.zeros(1, 4, 3, 3, 3, dtype=dt)
        if transposed:
            return lib.nn.functional.conv_transpose3d(x, lib.zeros(4, 8, 1, 1, 1, dtype=dt))
        return lib.nn.functional.conv3d(x, lib.zeros(8, 4, 1, 1, 1, dtype=dt))
    try:
        theirs = call(torch)
    except Exception:  # noqa: BLE001
        assert_same_error(call)
        return
    assert_values_close(call(tensorgraft), theirs)


@pytest.mark.parametrize("cls,shape", [("Conv1d", (1, 4, 5)), ("Conv2d", (1, 4, 5, 5)), ("Conv2d", (4, 5, 5)),
                                       ("Conv3d", (1, 4, 5, 5, 5)), ("Conv2d", (5, 5)), ("Conv2d", (1, 3, 5, 5))])
@pytest.mark.parametrize("dtype", ["float64", "int64", "float16"])
@pytest.mark.parametrize("mode", ["zeros", "reflect"])
def test_conv_module_given_another_dtype(cls, shape, dtype, mode):
    def call(lib):
        lib.manual_seed(0)
        m = getattr(lib.nn, cls)(4, 8, 3, padding=1, padding_mode=mode)
        return m(lib.ones(shape, dtype=getattr(lib, dtype)))
    assert_same_error(call)


@pytest.mark.parametrize("cls,shape", [("ConvTranspose1d", (1, 4, 5)), ("ConvTranspose2d", (1, 4, 5, 5)),
                                       ("ConvTranspose2d", (4, 5, 5)), ("ConvTranspose3d", (1, 4, 2, 2, 2)),
                                       ("ConvTranspose2d", (1, 3, 5, 5)), ("ConvTranspose2d", (5,))])
@pytest.mark.parametrize("dtype", ["float64", "int64", "float16"])
@pytest.mark.parametrize("bias", [True, False])
def test_conv_transpose_module_given_another_dtype(cls, shape, dtype, bias):
    def call(lib):
        m = getattr(lib.nn, cls)(4, 8, 3, bias=bias)
        return m(lib.ones(shape, dtype=getattr(lib, dtype)))
    assert_same_error(call)


@pytest.mark.parametrize("cls,n", [("ConvTranspose1d", 1), ("ConvTranspose2d", 2), ("ConvTranspose3d", 3)])
@pytest.mark.parametrize("batch", [None, 1, 2])
@pytest.mark.parametrize("wdt,bdt", [("float32", "float64"), ("float64", "float32"), ("float64", "float64")])
@pytest.mark.parametrize("idt", ["float32", "float64"])
def test_conv_transpose_module_with_parameters_of_another_dtype(cls, n, batch, wdt, bdt, idt):
    def call(lib):
        lib.manual_seed(0)
        m = getattr(lib.nn, cls)(4, 8, 1).to(getattr(lib, wdt))
        m.bias.data = m.bias.data.to(getattr(lib, bdt))
        return m(lib.ones(((batch,) if batch else ()) + (4,) + (3,) * n, dtype=getattr(lib, idt)))
    try:
        theirs = call(torch)
    except Exception:  # noqa: BLE001
        assert_same_error(call)
        return
    assert_values_close(call(tensorgraft), theirs)


def test_conv_module_message_sets_print_as_pytorchs():
    # the same hash seed in one process: the sets print in the same order
    assert_same_error(lambda lib: lib.nn.Conv2d(1, 1, 1, padding_mode="wrap"))
    assert_same_error(lambda lib: lib.nn.Conv2d(1, 1, 1, padding="full"))


@pytest.mark.parametrize("cls", ["ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"])
@pytest.mark.parametrize("padding", ["same", "valid"])
def test_conv_transpose_module_with_a_padding_word(cls, padding):
    n = int(cls[-2])
    ours, theirs = run_in_both(lambda lib: getattr(lib.nn, cls)(2, 2, 3, padding=padding))
    assert repr(ours) == repr(theirs)
    assert ours.padding == theirs.padding
    assert ours._reversed_padding_repeated_twice == theirs._reversed_padding_repeated_twice
    assert_same_error(lambda lib: getattr(lib.nn, cls)(2, 2, 3, padding=padding)(lib.zeros((1, 2) + (4,) * n)))


@pytest.mark.parametrize("args", [(4, 8, 0), (0, 8, 3), (4, 8, (0, 3))])
@pytest.mark.parametrize("cls", ["Conv2d", "ConvTranspose2d"])
def test_conv_bias_without_inputs_is_zero_and_draws(args, cls):
    def call(lib):
        lib.manual_seed(3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Initializing zero-element tensors is a no-op"
            m = getattr(lib.nn, cls)(*args)
        return m.bias.detach(), lib.rand(3)
    (ob, orand), (tb, trand) = run_in_both(call)
    assert_values_close(ob, tb)
    assert_values_close(orand, trand)


def _layouts(lib):
    lib.manual_seed(0)
    x = lib.randn(2, 6, 4, 5)
    return [("perm", x.permute(0, 2, 3, 1)), ("t", x.transpose(2, 3)), ("slice", x[:, :, ::2]),
            ("cl", x.contiguous(memory_format=lib.channels_last))]


_LAYOUT_OPS = {
    "layer_norm": lambda F, lib, t: F.layer_norm(t, t.shape[-1:]),
    "layer_norm_2d": lambda F, lib, t: F.layer_norm(t, t.shape[-2:], lib.ones(t.shape[-2:])),
    "group_norm": lambda F, lib, t: F.group_norm(t, 1),
    "batch_norm": lambda F, lib, t: F.batch_norm(t, None, None, training=True),
    "instance_norm": lambda F, lib, t: F.instance_norm(t),
    "nearest": lambda F, lib, t: F.interpolate(t, scale_factor=2),
    "bilinear": lambda F, lib, t: F.interpolate(t, scale_factor=2, mode="bilinear"),
    "max_pool": lambda F, lib, t: F.max_pool2d(t, 2),
    "avg_pool": lambda F, lib, t: F.avg_pool2d(t, 2),
    "constant_pad": lambda F, lib, t: F.pad(t, (1, 1)),
    "conv": lambda F, lib, t: F.conv2d(t, lib.ones(3, t.shape[1], 1, 1)),
}


@pytest.mark.parametrize("op", sorted(_LAYOUT_OPS))
@pytest.mark.parametrize("layout", range(4))
def test_results_are_laid_out_as_atens(op, layout):
    # a transposed input gives a contiguous result (so .view works on it), a channels-last one a
    # channels-last result
    def call(lib):
        name, t = _layouts(lib)[layout]
        r = _LAYOUT_OPS[op](lib.nn.functional, lib, t)
        return r.stride(), r.is_contiguous(), r.is_contiguous(memory_format=lib.channels_last), r
    (os_, oc, ocl, o), (ts, tc, tcl, t) = run_in_both(call)
    assert (os_, oc, ocl) == (ts, tc, tcl)
    assert_values_close(o, t, atol=1e-5, rtol=1e-5)


def test_convnext_layer_norm_then_view():
    def call(lib):
        lib.manual_seed(0)
        x = lib.randn(2, 6, 4, 5)
        y = lib.nn.LayerNorm(6)(x.permute(0, 2, 3, 1))
        return y.view(2, 20, 6), y.permute(0, 3, 1, 2).is_contiguous()
    (o, oc), (t, tc) = run_in_both(call)
    assert oc == tc
    assert_values_close(o, t, atol=1e-5, rtol=1e-5)


def _sync_bn(lib):
    from importlib import import_module
    return import_module(f"{lib.__name__}.nn.modules.batchnorm").SyncBatchNorm


@pytest.mark.parametrize("shape", [(4, 6), (2, 6, 3), (2, 6, 3, 3), (2, 6, 2, 2, 2), (2, 6, 2, 1, 2, 2)])
@pytest.mark.parametrize("momentum", [0.1, None])
def test_sync_batch_norm_runs_as_batch_norm_in_one_process(shape, momentum):
    def call(lib):
        lib.manual_seed(0)
        m = _sync_bn(lib)(6, momentum=momentum)
        x = lib.randn(shape, requires_grad=True)
        y = m(x)
        m(x * 2)
        y.sum().backward()
        m.eval()
        z = m(x)
        return repr(m), y, z, x.grad, m.running_mean, m.running_var, m.num_batches_tracked, list(m.state_dict())
    ours, theirs = run_in_both(call)
    assert ours[0] == theirs[0] and ours[-1] == theirs[-1]
    for o, t in zip(ours[1:-1], theirs[1:-1]):
        assert_values_close(o, t, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("shape", [(6,), (1, 6), (2, 0, 3)])
def test_sync_batch_norm_errors(shape):
    assert_same_error(lambda lib: _sync_bn(lib)(shape[1] if len(shape) > 1 else 6)(lib.randn(shape)))


def test_convert_sync_batchnorm():
    def call(lib):
        nn = lib.nn
        net = nn.Sequential(nn.Conv2d(3, 6, 3), nn.BatchNorm2d(6), nn.ReLU(),
                            nn.Sequential(nn.BatchNorm1d(4, affine=False)), nn.InstanceNorm2d(3),
                            nn.BatchNorm2d(2, track_running_stats=False))
        net[1].running_mean.fill_(2.0)
        net[1].weight.requires_grad_(False)
        net[3].eval()
        weight, mean = net[1].weight, net[1].running_mean
        out = _sync_bn(lib).convert_sync_batchnorm(net)
        single = _sync_bn(lib).convert_sync_batchnorm(nn.BatchNorm2d(3))
        return (repr(out), out is net, out[1].weight is weight, out[1].running_mean is mean,
                out[1].weight.requires_grad, out[3][0].training, list(out.state_dict()), repr(single),
                type(single).__name__)
    ours, theirs = run_in_both(call)
    assert ours == theirs


_PAD_CASES = [((2, 0), (1, 1)), ((0, 2, 3), (1, 1)), ((2, 0, 3), (1, 1)), ((1, 2, 0, 3, 3), (1, 1, 1, 1, 1, 1)),
              ((0, 2, 3, 3), (1, 1, 1, 1)), ((1, 1, 3), (-1, 0)), ((1, 1, 3), (-2, -2)), ((1, 1, 3), (-3, 0)),
              ((1, 1, 3, 3), (-1, -1, 0, 0)), ((1, 1, 3, 3), (-2, -2, -2, -2)), ((1, 1, 3, 3, 3), (-2,) * 6),
              ((1, 1, 3, 3, 3), (0, 0, -2, -2, -2, -2)), ((1, 1, 3, 3, 3), (-2, -2, -2, -2, 0, 0)), ((1, 1, 3), (5, 5)),
              ((2, 0, 3), (0, 0))]


@pytest.mark.parametrize("shape,pad", _PAD_CASES)
@pytest.mark.parametrize("mode", ["reflect", "replicate"])
@pytest.mark.parametrize("dtype", ["float32", "bool", "int64"])
def test_reflection_and_replication_pad_checks(shape, pad, mode, dtype):
    def call(lib):
        x = lib.arange(float(math.prod(shape))).view(shape).to(getattr(lib, dtype))
        return lib.nn.functional.pad(x, pad, mode=mode)
    try:
        theirs = call(torch)
    except Exception:  # noqa: BLE001
        assert_same_error(call)
        return
    assert_values_close(call(tensorgraft), theirs)
