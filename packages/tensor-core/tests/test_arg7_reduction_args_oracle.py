"""Argument validation of reductions and a few ops against PyTorch: ``dim=None`` / tuple / float
dims where PyTorch's parser refuses them, an int ``keepdim``, "(position N)" in argument errors
(method and function forms), and ``copy_`` of complex values into a real tensor."""
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensorgraft as tg  # noqa: E402
from tensorgraft.testing.oracle import assert_same_error, assert_values_close, run_in_both  # noqa: E402


def _x(lib):
    return lib.arange(6, dtype=lib.float32).reshape(2, 3)


# (label, call) pairs: each takes the library and must raise in PyTorch
_BAD_DIMS = [
    ("dim=None", (), {"dim": None}),
    ("None", (None,), {}),
    ("tuple", ((0, 1),), {}),
    ("list", ([0],), {}),
    ("dim=tuple", (), {"dim": (0,)}),
    ("float", (1.0,), {}),
    ("dim=float", (), {"dim": 1.0}),
    ("dim=str", (), {"dim": "a"}),
]
_BAD_KEEPDIMS = [
    ("keepdim=1", (), {"dim": 0, "keepdim": 1}),
    ("0, 1", (0, 1), {}),
    ("0, keepdim=1", (0,), {"keepdim": 1}),
    ("keepdim=None", (0,), {"keepdim": None}),
    ("numpy bool", (0, np.bool_(True)), {}),
]


def _cases(names, variants):
    out = []
    for name in names:
        for form in ("function", "method"):
            for label, args, kwargs in variants:
                out.append(pytest.param(name, form, args, kwargs, id=f"{name}-{form}-{label}"))
    return out


def _call(lib, name, form, args, kwargs):
    x = _x(lib)
    lead = (1,) if name == "kthvalue" else ()  # (k)
    if form == "function":
        return getattr(lib, name)(x, *lead, *args, **kwargs)
    return getattr(x, name)(*lead, *args, **kwargs)


_INT_DIM = ["median", "nanmedian", "mode", "kthvalue", "prod", "cumsum", "cumprod", "softmax", "log_softmax"]
_ONE_SIGNATURE_KEEPDIM = ["prod", "median", "nanmedian", "mode", "kthvalue", "logsumexp", "argmax", "argmin",
                          "amax", "amin", "nansum", "nanmean"]


@pytest.mark.parametrize("name, form, args, kwargs", _cases(_INT_DIM, _BAD_DIMS) + _cases(
    ["logsumexp"], [v for v in _BAD_DIMS if v[0] not in ("tuple", "list", "dim=tuple")]))
def test_dims_refused_as_pytorch(name, form, args, kwargs):
    assert_same_error(lambda lib: _call(lib, name, form, args, kwargs))


@pytest.mark.parametrize("name, form, args, kwargs", _cases(_ONE_SIGNATURE_KEEPDIM,
                                                            _BAD_KEEPDIMS))
def test_int_keepdim_refused_as_pytorch(name, form, args, kwargs):
    assert_same_error(lambda lib: _call(lib, name, form, args, kwargs))


@pytest.mark.parametrize("name, form, args, kwargs", _cases(
    ["argmax", "argmin", "amax", "amin", "nansum", "nanmean"],
    [v for v in _BAD_DIMS if v[0] not in ("dim=None", "None", "tuple", "list", "dim=tuple")]))
def test_dims_of_optional_reductions_refused_as_pytorch(name, form, args, kwargs):
    assert_same_error(lambda lib: _call(lib, name, form, args, kwargs))


@pytest.mark.parametrize("name, form, args, kwargs", _cases(
    ["argmax", "argmin", "amax", "amin", "nansum", "nanmean", "prod", "median", "nanmedian", "mode", "logsumexp",
     "cumsum", "kthvalue"],
    [("0", (0,), {}), ("dim=0", (), {"dim": 0}), ("0, True", (0, True), {}), ("dim=-1, keepdim=True", (),
                                                                             {"dim": -1, "keepdim": True}),
     ("np int", (np.int64(1),), {})]))
def test_valid_calls_still_match(name, form, args, kwargs):
    if name in ("cumsum",) and (len(args) > 1 or "keepdim" in kwargs):
        pytest.skip("cumsum takes no keepdim")
    ours, theirs = run_in_both(lambda lib: _call(lib, name, form, args, kwargs))
    for o, t in zip(ours if isinstance(ours, tuple) else (ours,), theirs if isinstance(theirs, tuple) else (theirs,)):
        assert_values_close(o, t)


@pytest.mark.parametrize("name", ["argmax", "amax", "nansum", "nanmean"])
def test_none_dim_still_reduces_everything(name):
    ours, theirs = run_in_both(lambda lib: getattr(_x(lib), name)(None))
    assert_values_close(ours, theirs)


def test_aminmax_dim_and_keepdim():
    assert_same_error(lambda lib: lib.aminmax(_x(lib), dim=(0,)))
    assert_same_error(lambda lib: _x(lib).aminmax(dim=1.5))
    assert_same_error(lambda lib: _x(lib).aminmax(dim=0, keepdim=1))
    assert_same_error(lambda lib: _x(lib).aminmax(0))
    assert_same_error(lambda lib: lib.aminmax(_x(lib), 0, keepdim=True))
    ours, theirs = run_in_both(lambda lib: lib.aminmax(_x(lib), dim=1, keepdim=True))
    assert_values_close(ours[0], theirs[0])
    assert_values_close(ours[1], theirs[1])


def test_missing_required_dims_as_pytorch():
    assert_same_error(lambda lib: _x(lib).logsumexp())
    assert_same_error(lambda lib: lib.cumsum(_x(lib)))
    assert_same_error(lambda lib: _x(lib).softmax())


def test_too_many_positional_arguments_of_cumsum():
    assert_same_error(lambda lib: lib.cumsum(_x(lib), 0, 1))
    assert_same_error(lambda lib: _x(lib).cumsum(0, 1))


@pytest.mark.parametrize("form", ["function", "method"])
@pytest.mark.parametrize("bad", [True, 1, "a"])
def test_softmax_dtype_position(form, bad):
    if form == "function":
        assert_same_error(lambda lib: lib.softmax(_x(lib), 0, bad))
        assert_same_error(lambda lib: lib.log_softmax(_x(lib), 0, bad))
    else:
        assert_same_error(lambda lib: _x(lib).softmax(0, bad))
        assert_same_error(lambda lib: _x(lib).log_softmax(0, dtype=bad))


def test_softmax_positional_dtype_still_works():
    ours, theirs = run_in_both(lambda lib: _x(lib).softmax(0, lib.float64))
    assert_values_close(ours, theirs)


# --------------------------------------------------------------------------- squeeze
def _y(lib):
    return lib.ones(2, 1, 3)


@pytest.mark.parametrize("call", [
    lambda lib: lib.squeeze(_y(lib), None),
    lambda lib: lib.squeeze(_y(lib), dim=None),
    lambda lib: _y(lib).squeeze(dim=None),
    lambda lib: _y(lib).squeeze(1.5),
    lambda lib: lib.squeeze(_y(lib), 1.5),
    lambda lib: _y(lib).squeeze("a"),
    lambda lib: _y(lib).squeeze(True),
    lambda lib: lib.squeeze(_y(lib), True),
    lambda lib: _y(lib).squeeze((1.5,)),
    lambda lib: _y(lib).squeeze([1.5]),
    lambda lib: lib.squeeze(_y(lib), (1.5, 2.5)),
    lambda lib: _y(lib).squeeze(dim=(1.5,)),
    lambda lib: lib.squeeze(_y(lib), 0, 1),
    lambda lib: _y(lib).squeeze(None, 1),
    lambda lib: _y(lib).squeeze(1, dim=0),
    lambda lib: _y(lib).squeeze(0, 1.5),
    lambda lib: _y(lib).squeeze((0, 1.5)),
])
def test_squeeze_refusals_as_pytorch(call):
    assert_same_error(call)


@pytest.mark.parametrize("call", [
    lambda lib: _y(lib).squeeze(0, 1),
    lambda lib: _y(lib).squeeze(0, True),
    lambda lib: _y(lib).squeeze((0, True)),
    lambda lib: lib.squeeze(_y(lib), (1, False)),
    lambda lib: _y(lib).squeeze(np.int64(1)),
    lambda lib: _y(lib).squeeze([]),
    lambda lib: _y(lib).squeeze(),
    lambda lib: lib.squeeze(_y(lib), 1),
])
def test_squeeze_accepts_as_pytorch(call):
    ours, theirs = run_in_both(call)
    assert tuple(ours.shape) == tuple(theirs.shape)


# --------------------------------------------------------------------------- copy_ of complex values
def _copy_warnings(lib, dst_dtype, fresh):
    if fresh and lib is tg:
        from tensorgraft import global_switches
        global_switches._warned_once.discard("Casting complex values to real discards the imaginary part")
    dst = lib.zeros(2, dtype=dst_dtype(lib))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lib.set_warn_always(True)
        try:
            dst.copy_(lib.tensor([1 + 2j, 0 + 3j]))
        finally:
            lib.set_warn_always(False)
    return dst, [(w.category.__name__, str(w.message).split(" (Triggered internally")[0], w.filename)
                 for w in caught]


@pytest.mark.parametrize("dst_dtype", [lambda lib: lib.float32, lambda lib: lib.int64, lambda lib: lib.float16,
                                       lambda lib: lib.bool], ids=["float32", "int64", "float16", "bool"])
def test_copy_complex_into_real_warns_and_casts_as_pytorch(dst_dtype):
    ours, ow = _copy_warnings(tg, dst_dtype, True)
    theirs, tw = _copy_warnings(torch, dst_dtype, True)
    assert_values_close(ours, theirs)
    assert ow == tw  # one UserWarning at this file's line, none for bool


# --------------------------------------------------------------------------- positions of shape ops' int arguments
@pytest.mark.parametrize("call", [
    lambda lib: _x(lib).unsqueeze(None),
    lambda lib: lib.unsqueeze(_x(lib), 1.0),
    lambda lib: _x(lib).unsqueeze(dim=(0,)),
    lambda lib: _x(lib).unsqueeze(0, 1),
    lambda lib: lib.unsqueeze(_x(lib), 0, 1),
    lambda lib: _x(lib).unsqueeze(),
    lambda lib: _x(lib).unsqueeze(0, dim=1),
    lambda lib: _x(lib).transpose(None, 1),
    lambda lib: lib.transpose(_x(lib), 0, 1.0),
    lambda lib: _x(lib).transpose(0, True),
    lambda lib: _x(lib).transpose(5),
    lambda lib: _x(lib).transpose(),
    lambda lib: lib.transpose(_x(lib), dim0=0),
    lambda lib: _x(lib).transpose(0, keepdim=1),
    lambda lib: _x(lib).transpose(0, 1, 2),
    lambda lib: lib.transpose(_x(lib), 0, 1, 2),
    lambda lib: _x(lib).transpose(0, 1, foo=2),
    lambda lib: lib.swapaxes(_x(lib), None, 1),
    lambda lib: _x(lib).swapaxes(0),
    lambda lib: _x(lib).swapdims(None, 1),
    lambda lib: _x(lib).flatten(None),
    lambda lib: lib.flatten(_x(lib), 0, True),
    lambda lib: _x(lib).flatten(start_dim=None),
    lambda lib: _x(lib).flatten(0, 1, 2),
    lambda lib: lib.flatten(_x(lib), 0, 1, 2),
])
def test_shape_int_arguments_refused_as_pytorch(call):
    assert_same_error(call)


@pytest.mark.parametrize("call", [
    lambda lib: _x(lib).transpose(0, 1),
    lambda lib: lib.transpose(_x(lib), dim0=1, dim1=0),
    lambda lib: _x(lib).swapaxes(axis0=0, axis1=1),
    lambda lib: lib.swapdims(_x(lib), np.int64(0), 1),
    lambda lib: _x(lib).unsqueeze(dim=lib.tensor(0)),
    lambda lib: lib.unsqueeze(_x(lib), -1),
    lambda lib: _x(lib).flatten(),
    lambda lib: _x(lib).flatten(end_dim=0),
    lambda lib: lib.flatten(_x(lib), 1),
])
def test_shape_int_arguments_accepted_as_pytorch(call):
    ours, theirs = run_in_both(call)
    assert_values_close(ours, theirs)


@pytest.mark.parametrize("call", [
    lambda lib: _x(lib).topk(),
    lambda lib: _x(lib).topk(k=1.5),
    lambda lib: _x(lib).topk(1, 0, 1),
    lambda lib: lib.topk(_x(lib), 1, 0, 1),
    lambda lib: _x(lib).topk(1, 0, True, 0),
    lambda lib: _x(lib).topk(1, largest=None),
    lambda lib: _x(lib).topk(1, 0, True, True, 1),
    lambda lib: lib.topk(_x(lib), 1, 0, True, True, 1),
    lambda lib: _x(lib).topk(k=1, dim=None),
    lambda lib: _x(lib).topk(1, (0,)),
])
def test_topk_arguments_refused_as_pytorch(call):
    assert_same_error(call)


@pytest.mark.parametrize("call", [
    lambda lib: lib.topk(_x(lib), 2),
    lambda lib: _x(lib).topk(2, 0, False, True),
    lambda lib: _x(lib).topk(k=1, largest=False),
    lambda lib: lib.topk(_x(lib), 1, dim=np.int64(0), sorted=False),
])
def test_topk_still_works(call):
    ours, theirs = run_in_both(call)
    assert_values_close(ours.values, theirs.values)
    assert_values_close(ours.indices, theirs.indices)


# --------------------------------------------------------------------------- torch.norm (through linalg_vector_norm)
@pytest.mark.parametrize("call", [
    lambda lib: lib.norm(_x(lib), 2, 'a'),
    lambda lib: lib.norm(_x(lib), dim=1.5),
    lambda lib: _x(lib).norm(2, 0, 1),
    lambda lib: lib.norm(_x(lib), 'fro', None, 1),
    lambda lib: lib.norm(_x(lib), 2, dim=1.5),
    lambda lib: lib.norm(_x(lib), 2, dim=None, keepdim=1),
    lambda lib: lib.norm(_x(lib), 2, (0, 1.5)),
    lambda lib: lib.norm(_x(lib), dim=0, keepdim=None),
    lambda lib: lib.norm(_x(lib), None, 'a'),
    lambda lib: lib.norm(_x(lib), 'fro', dim=(0,), keepdim=1),
])
def test_norm_arguments_refused_as_pytorch(call):
    assert_same_error(call)


@pytest.mark.parametrize("call", [
    lambda lib: lib.norm(_x(lib), np.int64(2)),
    lambda lib: _x(lib).norm(np.float32(3)),
    lambda lib: lib.norm(_x(lib), 3, 0, True),
])
def test_norm_takes_numpy_orders(call):
    ours, theirs = run_in_both(call)
    assert_values_close(ours, theirs)


@pytest.mark.parametrize("call", [
    lambda lib: _x(lib).kthvalue(),
    lambda lib: lib.kthvalue(_x(lib)),
    lambda lib: _x(lib).median(keepdim=True),
    lambda lib: lib.nanmedian(_x(lib), keepdim=True),
    lambda lib: lib.argmax([1, 2], 0, 1),
    lambda lib: lib.median([1.0], None),
])
def test_missing_arguments_and_non_tensors_as_pytorch(call):
    assert_same_error(call)


def test_mode_keepdim_without_dim():
    ours, theirs = run_in_both(lambda lib: _x(lib).mode(keepdim=True))
    assert_values_close(ours.values, theirs.values)
    assert_values_close(ours.indices, theirs.indices)


@pytest.mark.parametrize("call", [lambda m: m.ones(1, 2).squeeze_(None), lambda m: m.ones(1, 2).squeeze(None),
                                  lambda m: m.linalg.vector_norm(m.ones(2), keepdim=1),
                                  lambda m: m.linalg.vector_norm(m.ones(2), dim=1.5)])
def test_in_place_squeeze_and_vector_norm_wrapper_errors(call):
    assert_same_error(lambda: call(tg), lambda: call(torch))
