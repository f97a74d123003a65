"""PyTorch as the oracle for the second round of nn.functional fixes: the checks (and their order)
of the 1-D/2-D convolutions, interpolate's integer inputs, scaled_dot_product_attention's input
checks, embedding's checks and max_norm renorming, embedding_bag's offsets message, batch_norm's
missing running stats, group_norm's and unfold's rank errors."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensorgraft  # noqa: E402
from tensorgraft.testing.oracle import assert_same_error, assert_values_close, error_of, grad_fn_name  # noqa: E402


def _t(lib, shape, dtype=None, seed=0):
    """The same seeded standard-normal data in either library, cast to ``dtype`` (a name)."""
    t = lib.tensor(np.random.default_rng(seed).standard_normal(shape).astype(np.float32))
    return t if dtype is None else t.to(getattr(lib, dtype))


def _F(lib):
    return lib.nn.functional


# ------------------------------------------------------------------ 1. convolutions
# (name, weight shape, input spatial rank)
_CONVS = [("conv1d", (3, 4, 3), 1), ("conv2d", (3, 4, 3, 3), 2),
          ("conv_transpose1d", (4, 3, 3), 1), ("conv_transpose2d", (4, 3, 3, 3), 2)]


def _conv_call(name, wshape, nd, batch=1, xdtype=None, wdtype=None, bias="float32", **kw):
    def call(lib):
        x = _t(lib, (batch, 4) + (6,) * nd, xdtype, seed=1)
        b = None if bias is None else _t(lib, (3,), bias, seed=3)
        return getattr(_F(lib), name)(x, _t(lib, wshape, wdtype, seed=2), b, **kw)
    return call


@pytest.mark.parametrize("name,wshape,nd", _CONVS)
@pytest.mark.parametrize("xdtype", ["float64", "float16", "bool", "int64", "int32", "uint8"])
@pytest.mark.parametrize("bias", ["float32", None])
@pytest.mark.parametrize("batch", [1, 2])
def test_conv_input_dtype_messages_match_torch(name, wshape, nd, xdtype, bias, batch):
    # the bias is checked first (non-transposed), then the kernel's own dtype rules, whose words
    # depend on the path ATen takes (mkldnn for half, or float32 batches of more than one)
    assert_same_error(_conv_call(name, wshape, nd, batch, xdtype=xdtype, bias=bias))


@pytest.mark.parametrize("name,wshape,nd", _CONVS)
@pytest.mark.parametrize("batch", [1, 2])
@pytest.mark.parametrize("which", ["weight", "bias"])
def test_conv_parameter_dtype_messages_match_torch(name, wshape, nd, batch, which):
    call = _conv_call(name, wshape, nd, batch, **({"wdtype": "float64"} if which == "weight" else {"bias": "float64"}))
    if "transpose" in name and which == "bias" and batch == 1:
        # ATen's slow transposed kernels take a bias of another float dtype as it is
        ours, theirs = call(tensorgraft), call(torch)
        assert_values_close(ours, theirs, atol=1e-5, rtol=1e-5)
        return
    assert_same_error(call)


def test_conv_transpose2d_double_input_float_weight_is_refused():
    # it used to compute silently in float64
    assert_same_error(_conv_call("conv_transpose2d", (4, 3, 3, 3), 2, xdtype="float64", bias=None))


@pytest.mark.parametrize("name,wshape,nd", _CONVS)
@pytest.mark.parametrize("arg", ["stride", "padding", "dilation", "output_padding"])
@pytest.mark.parametrize("value", [(1, 2, 3), (1, 1)])
def test_conv_setting_lengths_match_torch(name, wshape, nd, arg, value):
    if arg == "output_padding" and "transpose" not in name:
        return
    call = _conv_call(name, wshape, nd, bias=None, **{arg: value})
    if len(value) == nd:   # a list of nd values is taken (an output padding of 1 is then too large)
        assert error_of(lambda: call(tensorgraft)) == error_of(lambda: call(torch))
        return
    assert_same_error(call)


@pytest.mark.parametrize("name,wshape,nd", _CONVS)
@pytest.mark.parametrize("kw", [{"stride": 0}, {"stride": -1}, {"dilation": -1}, {"groups": 0},
                                {"stride": 0, "dilation": -1}, {"stride": (1, 2, 3), "padding": (1, 2, 3)},
                                {"padding": (1, 2, 3), "dilation": (1, 2, 3)}, {"padding": -1, "dilation": -1}])
def test_conv_bad_settings_match_torch(name, wshape, nd, kw):
    assert_same_error(_conv_call(name, wshape, nd, batch=2, bias=None, **kw))


@pytest.mark.parametrize("name,wshape,nd", _CONVS)
@pytest.mark.parametrize("dilation", [0, (0, 1), (1, 0)])
@pytest.mark.parametrize("batch,xdtype", [(1, None), (2, None), (2, "float64")])
@pytest.mark.parametrize("padding", [0, 1])
def test_conv_zero_dilation_messages_match_torch(name, wshape, nd, dilation, batch, xdtype, padding):
    if isinstance(dilation, tuple) and nd == 1:
        dilation = (0,)
    if "transpose" in name and batch == 2 and xdtype is None:
        pytest.skip("oneDNN's primitive message: covered in test_conv_transpose_zero_dilation_mkldnn")
    assert_same_error(_conv_call(name, wshape, nd, batch, xdtype=xdtype, wdtype=xdtype, bias=None,
                                 dilation=dilation, padding=padding))


def test_conv_transpose_zero_dilation_mkldnn():
    assert_same_error(_conv_call("conv_transpose2d", (4, 3, 3, 3), 2, batch=2, bias=None, dilation=0))


@pytest.mark.parametrize("name,wshape,nd", _CONVS)
@pytest.mark.parametrize("bshape", [(7,), (1, 3)])
def test_conv_wrong_bias_size_matches_torch(name, wshape, nd, bshape):
    def call(lib):
        x = _t(lib, (1, 4) + (6,) * nd)
        return getattr(_F(lib), name)(x, _t(lib, wshape), _t(lib, bshape))
    assert_same_error(call)


@pytest.mark.parametrize("name,nd", [("conv1d", 1), ("conv2d", 2), ("conv_transpose1d", 1),
                                     ("conv_transpose2d", 2)])
def test_conv_groups_not_dividing_weight_matches_torch(name, nd):
    assert_same_error(lambda lib: getattr(_F(lib), name)(_t(lib, (1, 3) + (6,) * nd),
                                                         _t(lib, (3, 2) + (3,) * nd), groups=2))


@pytest.mark.parametrize("name", ["conv_transpose1d", "conv_transpose2d"])
def test_conv_transpose_string_padding_is_a_type_error(name):
    nd = int(name[-2])
    assert_same_error(lambda lib: getattr(_F(lib), name)(_t(lib, (1, 4) + (6,) * nd), _t(lib, (4, 3) + (3,) * nd),
                                                         padding="same"))


@pytest.mark.parametrize("name,nd", [("conv1d", 1), ("conv2d", 2), ("conv_transpose1d", 1),
                                     ("conv_transpose2d", 2)])
@pytest.mark.parametrize("wshape", [(3,), (3, 4, 3, 3, 3)])
def test_conv_weight_rank_matches_torch(name, nd, wshape):
    assert_same_error(lambda lib: getattr(_F(lib), name)(_t(lib, (1, 4) + (6,) * nd), _t(lib, wshape)))


@pytest.mark.parametrize("padding", ["same", -1])
def test_conv_negative_dilation_with_padding_matches_torch(padding):
    assert_same_error(_conv_call("conv2d", (3, 4, 3, 3), 2, bias=None, dilation=-1, padding=padding))


def test_conv1d_kernel_larger_than_input_matches_torch():
    assert_same_error(lambda lib: _F(lib).conv1d(_t(lib, (1, 4, 2)), _t(lib, (3, 4, 3))))


@pytest.mark.parametrize("name,wshape,kw", [
    ("conv2d", (6, 2, 3, 2), dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2)),
    ("conv1d", (6, 2, 3), dict(stride=(2,), padding=1, dilation=2, groups=2)),
    ("conv1d", (6, 4, 2), dict(padding="same")),
    ("conv_transpose2d", (4, 3, 3, 2), dict(stride=(2, 1), padding=(1, 0), output_padding=(1, 0), dilation=(1, 2),
                                            groups=2)),
    ("conv_transpose1d", (4, 3, 3), dict(stride=2, padding=1, output_padding=1, groups=2)),
])
@pytest.mark.parametrize("batched", [False, True])
def test_conv_values_and_grads_still_match_torch(name, wshape, kw, batched):
    nd = len(wshape) - 2
    outs = []
    for lib in (tensorgraft, torch):
        x = _t(lib, ((2,) if batched else ()) + (4,) + (7,) * nd, "float64", seed=1).requires_grad_()
        w = _t(lib, wshape, "float64", seed=2).requires_grad_()
        nb = wshape[1] * kw.get("groups", 1) if "transpose" in name else wshape[0]
        b = _t(lib, (nb,), "float64", seed=3).requires_grad_()
        y = getattr(_F(lib), name)(x, w, b, **kw)
        y.sin().sum().backward()
        outs.append((y, x.grad, w.grad, b.grad))
    for ours, theirs in zip(*outs):
        assert_values_close(ours, theirs)
    assert grad_fn_name(outs[0][0]) == grad_fn_name(outs[1][0])


# ------------------------------------------------------------------ 2. interpolate
@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "int64", "bool"])
@pytest.mark.parametrize("rank,mode,antialias", [
    (3, "nearest", False), (3, "nearest-exact", False), (3, "linear", False),
    (4, "nearest", False), (4, "nearest-exact", False), (4, "bilinear", False), (4, "bicubic", False),
    (4, "bilinear", True), (4, "bicubic", True), (5, "nearest", False), (5, "trilinear", False),
    (5, "area", False)])
def test_interpolate_integer_and_bool_inputs_match_torch(dtype, rank, mode, antialias):
    def call(lib):
        x = lib.tensor(np.random.default_rng(0).integers(0, 5, (1, 2) + (4,) * (rank - 2))).to(getattr(lib, dtype))
        return _F(lib).interpolate(x, scale_factor=2, mode=mode, antialias=antialias)
    if dtype == "uint8" and mode not in ("linear", "trilinear", "area"):
        ours, theirs = call(tensorgraft), call(torch)   # PyTorch takes uint8 images here
        assert str(ours.dtype) == str(theirs.dtype) and tuple(ours.shape) == tuple(theirs.shape)
        if mode.startswith("nearest"):
            assert_values_close(ours, theirs)
        return
    assert_same_error(call)


# ------------------------------------------------------------------ 3. scaled_dot_product_attention
def _sdpa(qshape, kshape, vshape, dtypes=(None, None, None), **kw):
    def call(lib):
        q, k, v = (_t(lib, s, d, seed=i) for i, (s, d) in enumerate(zip((qshape, kshape, vshape), dtypes)))
        return _F(lib).scaled_dot_product_attention(q, k, v, **kw)
    return call


@pytest.mark.parametrize("case", [
    _sdpa((2, 3, 4), (2, 3, 4), (2, 3, 4), (None, "int64", None)),
    _sdpa((2, 3, 4), (2, 3, 4), (2, 3, 4), (None, None, "float64")),
    _sdpa((2, 3, 4), (2, 3, 4), (2, 3, 4), ("float16", None, None)),
    _sdpa((2, 3, 4), (2, 3, 4), (2, 3, 4), ("int32", None, "bool")),
    _sdpa((4,), (4,), (4,)),
    _sdpa((4,), (3, 4), (3, 4)),
    _sdpa((3, 4), (3, 4), (4,)),
    _sdpa((), (), ()),
    _sdpa((4,), (4,), (4,), (None, "float64", None)),
    _sdpa((1, 6, 3, 4), (1, 4, 3, 4), (1, 4, 3, 4), enable_gqa=True),
    _sdpa((1, 6, 3, 4), (1, 3, 3, 4), (1, 4, 3, 4), enable_gqa=True),
    _sdpa((6, 3, 4), (4, 3, 4), (4, 3, 4), enable_gqa=True),
    _sdpa((1, 6, 3, 4), (1, 4, 3, 4), (1, 4, 3, 4), enable_gqa=True, dropout_p=0.5),
    _sdpa((3, 4), (3, 4), (3, 4), enable_gqa=True),
])
def test_sdpa_input_checks_match_torch(case):
    assert_same_error(case)


def test_sdpa_check_order_matches_torch():
    def call(lib, q=(2, 3, 4), dtypes=(None, "float64", None)):
        m = lib.ones(3, 3, dtype=lib.int64)
        return _sdpa(q, q, q, dtypes, attn_mask=m)(lib)
    assert_same_error(call)                                             # dtypes before the mask
    assert_same_error(lambda lib: call(lib, (4,), (None, None, None)))  # ranks before the mask


def test_sdpa_non_tensor_argument_is_a_type_error():
    assert_same_error(lambda lib: _F(lib).scaled_dot_product_attention(_t(lib, (3, 4)), [1.0], _t(lib, (3, 4))))


def test_sdpa_gqa_values_still_match_torch():
    ours, theirs = (_sdpa((2, 6, 3, 4), (2, 3, 3, 4), (2, 3, 3, 4), enable_gqa=True, is_causal=True)(lib)
                    for lib in (tensorgraft, torch))
    assert_values_close(ours, theirs)


# ------------------------------------------------------------------ 4. embedding
@pytest.mark.parametrize("wshape", [(3,), (3, 2, 2), ()])
@pytest.mark.parametrize("kw", [{}, {"max_norm": 1.0}, {"padding_idx": 0}])
def test_embedding_weight_rank_matches_torch(wshape, kw):
    assert_same_error(lambda lib: _F(lib).embedding(lib.tensor([1]), _t(lib, wshape), **kw))


@pytest.mark.parametrize("dtype", ["int16", "int8", "uint8", "bool", "float32", "float64"])
@pytest.mark.parametrize("max_norm", [None, 1.0])
def test_embedding_index_dtypes_match_torch(dtype, max_norm):
    assert_same_error(lambda lib: _F(lib).embedding(lib.tensor([1, 2]).to(getattr(lib, dtype)), _t(lib, (5, 3)),
                                                    max_norm=max_norm))
    if max_norm is None:
        assert_same_error(lambda lib: lib.nn.Embedding(5, 3)(lib.tensor([1, 2]).to(getattr(lib, dtype))))


@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.Embedding(5, 3)([1, 2]),
    lambda lib: _F(lib).embedding([1, 2], _t(lib, (5, 3))),
    lambda lib: _F(lib).embedding(lib.tensor([1, 2]), [[1.0]]),
    lambda lib: lib.nn.Embedding(5, 3, max_norm=1.0)([1, 2]),
])
def test_embedding_non_tensor_arguments_match_torch(call):
    assert_same_error(call)


@pytest.mark.parametrize("indices", [[-1], [-5, 9, 4], [9, 4], [1, -1]])
def test_embedding_max_norm_out_of_range_matches_torch(indices):
    assert_same_error(lambda lib: _F(lib).embedding(lib.tensor(indices), _t(lib, (3, 2)), max_norm=1.0))


def test_embedding_max_norm_integer_weight_matches_torch():
    assert_same_error(lambda lib: _F(lib).embedding(lib.tensor([1]), lib.ones(3, 2, dtype=lib.int32), max_norm=1.0))


@pytest.mark.parametrize("norm_type", [float("inf"), float("-inf"), 0, 1.0, 2.0, 3.0, 0.5])
def test_embedding_max_norm_renorms_as_torch(norm_type):
    outs = []
    for lib in (tensorgraft, torch):
        w = _t(lib, (5, 3)) * 3
        y = _F(lib).embedding(lib.tensor([1, 2, 1]), w, max_norm=1.5, norm_type=norm_type)
        outs.append((y, w))
    for ours, theirs in zip(*outs):
        assert_values_close(ours, theirs)


# ------------------------------------------------------------------ 5. embedding_bag
@pytest.mark.parametrize("in_dtype", ["int64", "int32", "int16", "uint8", "bool"])
@pytest.mark.parametrize("off_dtype", ["int64", "int32", "int16", "bool"])
def test_embedding_bag_offsets_and_index_types_match_torch(in_dtype, off_dtype):
    def call(lib, offsets):
        return _F(lib).embedding_bag(lib.tensor([1, 2, 3]).to(getattr(lib, in_dtype)), _t(lib, (5, 3)),
                                     lib.tensor(offsets).to(getattr(lib, off_dtype)))
    assert_same_error(lambda lib: call(lib, [1, 2]))   # offsets[0] != 0, or the index type
    try:
        theirs = call(torch, [0, 1])
    except RuntimeError:
        assert_same_error(lambda lib: call(lib, [0, 1]))
    else:
        assert_values_close(call(tensorgraft, [0, 1]), theirs)


@pytest.mark.parametrize("dtype", ["int16", "uint8", "bool"])
def test_embedding_bag_2d_index_types_match_torch(dtype):
    assert_same_error(lambda lib: _F(lib).embedding_bag(lib.tensor([[1, 2, 3]]).to(getattr(lib, dtype)),
                                                        _t(lib, (5, 3))))


def test_embedding_bag_max_norm_checks_the_indices_first():
    assert_same_error(lambda lib: _F(lib).embedding_bag(lib.tensor([1, 2, 3]).short(), _t(lib, (5, 3)),
                                                        lib.tensor([1, 2], dtype=lib.int32), max_norm=1.0))


# ------------------------------------------------------------------ 6. batch_norm, group_norm, unfold
@pytest.mark.parametrize("call", [
    lambda lib: _F(lib).batch_norm(_t(lib, (4, 3)), None, None),
    lambda lib: _F(lib).batch_norm(_t(lib, (4, 3)), lib.zeros(3), None),
    lambda lib: _F(lib).batch_norm(_t(lib, (4, 3)), None, lib.ones(3)),
    lambda lib: _F(lib).batch_norm(_t(lib, (4,)), None, None),
    lambda lib: _F(lib).batch_norm(_t(lib, (4, 3)), None, None, lib.ones(4)),
    lambda lib: _F(lib).batch_norm(_t(lib, (4, 3)), lib.zeros(3), None, training=True),
    lambda lib: _F(lib).batch_norm(_t(lib, (4, 3)), None, lib.ones(3), training=True),
    lambda lib: _F(lib).batch_norm(_t(lib, (1, 3)), lib.zeros(3), None, training=True),
])
def test_batch_norm_missing_running_stats_match_torch(call):
    assert_same_error(call)


@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.GroupNorm(3, 6)(_t(lib, (6,))),
    lambda lib: lib.nn.GroupNorm(3, 6)(_t(lib, ())),
    lambda lib: _F(lib).group_norm(_t(lib, (6,)), 3, lib.ones(5)),
    lambda lib: _F(lib).group_norm(_t(lib, (6,)), 0),
])
def test_group_norm_rank_matches_torch(call):
    assert_same_error(call)


def test_group_norm_empty_batch_matches_torch():
    outs = []
    for lib in (tensorgraft, torch):
        x = lib.zeros(0, 6, 2, requires_grad=True)
        m = lib.nn.GroupNorm(3, 6)
        y = m(x)
        y.sum().backward()
        outs.append((y, x.grad, m.weight.grad, m.bias.grad))
    for ours, theirs in zip(*outs):
        assert_values_close(ours, theirs)


@pytest.mark.parametrize("shape", [(3, 4), (4,), (), (3, 0), (0, 4), (1, 1, 3, 4, 4)])
def test_unfold_rank_matches_torch(shape):
    assert_same_error(lambda lib: _F(lib).unfold(lib.zeros(*shape), 2))
    assert_same_error(lambda lib: lib.nn.Unfold(2)(lib.zeros(*shape)))


def test_unfold_non_tensor_is_a_type_error():
    assert_same_error(lambda lib: _F(lib).unfold([1.0], 2))


@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.EmbeddingBag(5, 3)([1, 2]),
    lambda lib: _F(lib).embedding_bag([1, 2], _t(lib, (5, 3)), lib.tensor([0])),
    lambda lib: _F(lib).embedding_bag(lib.tensor([1, 2]), [[1.0]], lib.tensor([0])),
    lambda lib: _F(lib).embedding_bag(lib.tensor([1, 2]), _t(lib, (5, 3)), [0]),
])
def test_embedding_bag_non_tensor_arguments_match_torch(call):
    assert_same_error(call)
