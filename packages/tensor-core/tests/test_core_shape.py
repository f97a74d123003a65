"""Shape ops against PyTorch (oracle): values, dtypes, shapes, view-vs-copy, node names, gradients."""
import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.testing.oracle import grad_fn_name, to_numpy

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4, 5)).astype(np.float32)
M = RNG.standard_normal((4, 4)).astype(np.float32)


def _pair(arr, grad=True):
    a = tg.tensor(arr.copy(), requires_grad=grad)
    b = torch.tensor(arr.copy(), requires_grad=grad)
    return a, b


# (id, fn(lib, x)) -- the same code runs on tensorgraft and torch
CASES = [
    ("view", lambda m, x: x.view(12, 5)),
    ("view_neg", lambda m, x: x.view(-1, 20)),
    ("reshape_view", lambda m, x: x.reshape(3, 20)),
    ("reshape_copy", lambda m, x: x.transpose(0, 1).reshape(-1)),
    ("flatten", lambda m, x: x.flatten()),
    ("flatten_nc", lambda m, x: x.transpose(0, 2).flatten(1)),
    ("flatten_mid", lambda m, x: m.flatten(x, 1, 2)),
    ("unflatten", lambda m, x: x.unflatten(1, (2, -1))),
    ("squeeze", lambda m, x: x[:, :1].squeeze()),
    ("squeeze_dim", lambda m, x: x[:, :1].squeeze(1)),
    ("squeeze_tuple", lambda m, x: x[:1, :1].squeeze((0, 1))),
    ("squeeze_noop", lambda m, x: x.squeeze(0)),
    ("unsqueeze", lambda m, x: x.unsqueeze(-1)),
    ("permute", lambda m, x: x.permute(2, 0, 1)),
    ("permute_neg", lambda m, x: m.permute(x, (-1, 0, 1))),
    ("transpose", lambda m, x: x.transpose(0, 2)),
    ("swapaxes", lambda m, x: x.swapaxes(0, 1)),
    ("t", lambda m, x: x[0].t()),
    ("T", lambda m, x: x[0].T),
    ("mT", lambda m, x: x.mT),
    ("mH", lambda m, x: x.mH),
    ("movedim", lambda m, x: x.movedim(0, 2)),
    ("movedim_multi", lambda m, x: m.movedim(x, (0, 1), (2, 0))),
    ("expand", lambda m, x: x[:, :1].expand(3, 4, 5)),
    ("expand_neg", lambda m, x: x[:, :1].expand(2, -1, 4, -1)),
    ("expand_as", lambda m, x: x[:1].expand_as(x)),
    ("broadcast_to", lambda m, x: m.broadcast_to(x[0, :1], (2, 4, 5))),
    ("repeat", lambda m, x: x.repeat(2, 1, 3)),
    ("repeat_lead", lambda m, x: x[0].repeat(2, 1, 2)),
    ("tile", lambda m, x: x.tile((2,))),
    ("tile_more", lambda m, x: m.tile(x[0], (2, 1, 1))),
    ("cat", lambda m, x: m.cat([x, x * 2], 1)),
    ("cat_neg", lambda m, x: m.cat((x, x[:, :2]), -2)),
    ("concat", lambda m, x: m.concat([x, x], 0)),
    ("concatenate", lambda m, x: m.concatenate([x, x], 2)),
    ("stack", lambda m, x: m.stack([x, x * 3], 1)),
    ("stack_end", lambda m, x: m.stack([x, x], -1)),
    ("hstack", lambda m, x: m.hstack([x, x])),
    ("vstack", lambda m, x: m.vstack([x[0, 0], x[0, 1]])),
    ("split0", lambda m, x: x.split(2)[0]),
    ("split1", lambda m, x: x.split(2)[1]),
    ("split_sizes", lambda m, x: x.split([1, 3], 1)[1]),
    ("chunk", lambda m, x: x.chunk(2, 2)[1]),
    ("unbind", lambda m, x: x.unbind(1)[2]),
    ("flip", lambda m, x: x.flip(0, 2)),
    ("fliplr", lambda m, x: x.fliplr()),
    ("flipud", lambda m, x: x.flipud()),
    ("roll", lambda m, x: x.roll(1)),
    ("roll_dims", lambda m, x: x.roll((1, -2), (0, 2))),
    ("narrow", lambda m, x: x.narrow(1, 1, 2)),
    ("narrow_neg", lambda m, x: x.narrow(-1, -3, 2)),
    ("select", lambda m, x: x.select(1, -1)),
    ("diagonal", lambda m, x: x.diagonal()),
    ("diagonal_off", lambda m, x: x.diagonal(1, 1, 2)),
    ("diagonal_neg", lambda m, x: x.diagonal(-1, -1, -2)),
    ("diag_1d", lambda m, x: x[0, 0].diag()),
    ("diag_1d_off", lambda m, x: m.diag(x[0, 0], -2)),
    ("diag_2d", lambda m, x: x[0].diag(1)),
    ("diag_embed", lambda m, x: x.diag_embed()),
    ("diag_embed_off", lambda m, x: m.diag_embed(x, 1, 0, 2)),
    ("tril", lambda m, x: x.tril()),
    ("triu", lambda m, x: x.triu(1)),
    ("tril_neg", lambda m, x: m.tril(x, -1)),
    ("contiguous", lambda m, x: x.mT.contiguous()),
    ("clone", lambda m, x: x.clone()),
    ("view_as", lambda m, x: x[0].view_as(x[1])),
    ("reshape_as", lambda m, x: x.reshape_as(x.mT)),
    ("atleast_1d", lambda m, x: m.atleast_1d(x[0, 0, 0])),
    ("atleast_2d", lambda m, x: m.atleast_2d(x[0, 0])),
    ("atleast_2d0", lambda m, x: m.atleast_2d(x[0, 0, 0])),
    ("meshgrid_ij", lambda m, x: m.meshgrid(x[0, 0], x[0, 1, :3], indexing="ij")[1]),
    ("meshgrid_xy", lambda m, x: m.meshgrid(x[0, 0], x[0, 1, :3], indexing="xy")[0]),
    ("broadcast_tensors", lambda m, x: m.broadcast_tensors(x, x[0, :1])[1]),
    ("as_strided", lambda m, x: x.as_strided((3, 2), (2, 1), 1)),
    ("rot90", lambda m, x: m.rot90(x, 1, (1, 2))),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_against_torch(case):
    _, fn = case
    a, b = _pair(X)
    ra, rb = fn(tg, a), fn(torch, b)
    assert tuple(ra.shape) == tuple(rb.shape)
    assert str(ra.dtype) == str(rb.dtype)
    np.testing.assert_allclose(to_numpy(ra), to_numpy(rb), rtol=1e-6)
    # view vs copy
    assert (ra._base is not None) == (rb._base is not None)
    assert grad_fn_name(ra) == grad_fn_name(rb)
    # gradients
    w = RNG.standard_normal(tuple(rb.shape)).astype(np.float32)
    (ra * tg.tensor(w)).sum().backward()
    (rb * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(to_numpy(a.grad), to_numpy(b.grad), rtol=1e-5, atol=1e-6)


VIEW_CASES = [c for c in CASES if c[0] in (
    "view", "reshape_view", "flatten", "unflatten", "squeeze", "unsqueeze", "permute", "transpose", "t", "T", "mT",
    "movedim", "expand", "split1", "chunk", "unbind", "narrow", "select", "diagonal", "diagonal_off", "view_as")]


@pytest.mark.parametrize("case", VIEW_CASES, ids=[c[0] for c in VIEW_CASES])
def test_views_share_memory_and_version(case):
    _, fn = case
    base = tg.tensor(X.copy())
    v = fn(tg, base)
    assert v._base is base
    v0 = base._version
    # writing through the base is seen by the view
    base.add_(1.0)
    np.testing.assert_allclose(np.asarray(v), np.asarray(fn(tg, tg.tensor(X + 1.0))), rtol=1e-6)
    assert v._version == base._version == v0 + 1
    # writing through the view is seen by the base and bumps the shared counter
    if case[0] != "expand":
        v.mul_(0.0)
        assert v._version == base._version == v0 + 2
        assert float(np.abs(np.asarray(base)).sum()) < float(np.abs(X + 1.0).sum())


COPY_CASES = [c for c in CASES if c[0] in ("reshape_copy", "repeat", "cat", "stack", "flip", "roll", "clone",
                                           "tril", "contiguous")]


@pytest.mark.parametrize("case", COPY_CASES, ids=[c[0] for c in COPY_CASES])
def test_copies_do_not_share(case):
    _, fn = case
    base = tg.tensor(X.copy())
    c = fn(tg, base)
    assert c._base is None
    base.zero_()
    assert np.abs(np.asarray(c)).sum() > 0


def test_split_chunk_unbind_tuples():
    a, b = _pair(X)
    for fa, fb in [(a.split(2), b.split(2)), (a.split([1, 1, 1]), b.split([1, 1, 1])), (a.chunk(3, 1), b.chunk(3, 1)),
                   (a.unbind(2), b.unbind(2)), (tg.split(a, 3, -1), torch.split(b, 3, -1)),
                   (a.tensor_split(3, 1), b.tensor_split(3, 1)), (a.tensor_split([1, 3], 2), b.tensor_split([1, 3], 2))]:
        assert isinstance(fa, tuple)
        assert len(fa) == len(fb)
        for p, q in zip(fa, fb):
            assert tuple(p.shape) == tuple(q.shape)
            np.testing.assert_allclose(to_numpy(p), to_numpy(q))
            assert grad_fn_name(p) == grad_fn_name(q) or grad_fn_name(q) is None


def test_split_pieces_gradients_sum():
    a, b = _pair(X)
    pa, pb = a.chunk(2), b.chunk(2)
    (pa[0].sum() * 2 + (pa[1] ** 2).sum()).backward()
    (pb[0].sum() * 2 + (pb[1] ** 2).sum()).backward()
    np.testing.assert_allclose(to_numpy(a.grad), to_numpy(b.grad), rtol=1e-6)


def test_cat_dtype_promotion_and_legacy_empty():
    i = tg.ones(2, 3, dtype=tg.int64)
    f = tg.ones(1, 3)
    r = tg.cat([i, f])
    assert r.dtype == tg.float32 and tuple(r.shape) == (3, 3)
    r2 = tg.cat([tg.ones(2, 3), tg.ones(0)])
    assert tuple(r2.shape) == (2, 3)
    assert tg.stack([tg.ones(2, dtype=tg.int32), tg.ones(2, dtype=tg.int64)]).dtype == tg.int64


def test_flatten_same_dim_returns_input():
    a = tg.ones(2, 3)
    assert a.flatten(1, 1) is a
    assert tuple(tg.ones(()).flatten().shape) == (1,)


def test_contiguous_noop_and_T_property_only_added():
    a = tg.ones(2, 3)
    assert a.contiguous() is a
    assert not a.t().is_contiguous()
    assert a.t().contiguous().is_contiguous()
    assert tuple(tg.ones(2, 3, 4).T.shape) == (4, 3, 2)


def test_out_argument_of_cat():
    out = tg.empty(4, 3)
    r = tg.cat([tg.ones(2, 3), tg.zeros(2, 3)], out=out)
    assert r is out
    np.testing.assert_array_equal(np.asarray(out)[:2], 1)


def test_inplace_tril_triu():
    a = tg.ones(3, 3)
    a.tril_()
    np.testing.assert_array_equal(np.asarray(a), np.tril(np.ones((3, 3))))
    b = tg.ones(3, 3)
    b.triu_(1)
    np.testing.assert_array_equal(np.asarray(b), np.triu(np.ones((3, 3)), 1))


def test_repeat_interleave():
    a = tg.tensor([[1, 2], [3, 4]])
    t = torch.tensor([[1, 2], [3, 4]])
    np.testing.assert_array_equal(np.asarray(a.repeat_interleave(2)), t.repeat_interleave(2).numpy())
    np.testing.assert_array_equal(np.asarray(a.repeat_interleave(tg.tensor([1, 2]), dim=0)),
                                  t.repeat_interleave(torch.tensor([1, 2]), dim=0).numpy())


ERRORS = [
    (lambda m: m.ones(3, 4).t().view(12), RuntimeError, "view size is not compatible with input tensor's size and stride"),
    (lambda m: m.ones(3, 4).reshape(5), RuntimeError, "shape '[5]' is invalid for input of size 12"),
    (lambda m: m.ones(3, 4).view(-1, -1), RuntimeError, "only one dimension can be inferred"),
    (lambda m: m.ones(3, 4).repeat(2), RuntimeError,
     "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor"),
    (lambda m: m.ones(3, 4).flip(0, 0), RuntimeError, "dim 0 appears multiple times in the list of dims"),
    (lambda m: m.ones(3, 4).unflatten(1, (3, 2)), RuntimeError,
     "unflatten: Provided sizes [3, 2] don't multiply up to the size of dim 1 (4) in the input tensor"),
    (lambda m: m.ones(3, 4).movedim((0, 1), (0,)), RuntimeError,
     "movedim: Invalid source or destination dims: source ([0, 1] dims) should contain the same number of dims as "
     "destination ([0] dims)"),
    (lambda m: m.ones(2, 2, 2).diag(), RuntimeError, "diag(): Supports 1D or 2D tensors. Got 3D"),
    (lambda m: m.ones(3).tril(), RuntimeError, "tril: input tensor must have at least 2 dimensions"),
    (lambda m: m.ones(3, 4).expand(3, 5), RuntimeError,
     "The expanded size of the tensor (5) must match the existing size (4) at non-singleton dimension 1.  "
     "Target sizes: [3, 5].  Tensor sizes: [3, 4]"),
    (lambda m: m.ones(3, 4).transpose(0, 2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    (lambda m: m.ones(3, 4).permute(0, 0), RuntimeError, "permute(): duplicate dims are not allowed."),
    (lambda m: m.ones(3, 4).squeeze(3), IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got 3)"),
    (lambda m: m.cat([]), ValueError, "torch.cat(): expected a non-empty list of Tensors"),
    (lambda m: m.cat([m.ones(2, 3), m.ones(3, 4)], 1), RuntimeError,
     "Sizes of tensors must match except in dimension 1. Expected size 2 but got size 3 for tensor number 1 in the list."),
    (lambda m: m.cat([m.ones(2, 3), m.ones(3)]), RuntimeError, "Tensors must have same number of dimensions: got 2 and 1"),
    (lambda m: m.stack([m.ones(2, 3), m.ones(2, 4)]), RuntimeError,
     "stack expects each tensor to be equal size, but got [2, 3] at entry 0 and [2, 4] at entry 1"),
    (lambda m: m.stack([]), RuntimeError, "stack expects a non-empty TensorList"),
    (lambda m: m.ones(3, 4).split(0), RuntimeError,
     "split_size can only be 0 if dimension size is 0, but got dimension size of 3"),
    (lambda m: m.ones(3, 4).chunk(0), RuntimeError, "chunk expects `chunks` to be greater than 0, got: 0"),
    (lambda m: m.ones(3, 4).split([1, 1]), RuntimeError,
     "split_with_sizes expects split_sizes to sum exactly to 3 (input tensor's size at dimension 0), but got "
     "split_sizes=[1, 1]"),
    (lambda m: m.ones(3, 4).narrow(0, 2, 2), RuntimeError, "start (2) + length (2) exceeds dimension size (3)."),
    (lambda m: m.ones(3, 4).narrow(0, 5, 1), IndexError, "start out of range (expected to be in range of [-3, 3], but got 5)"),
    (lambda m: m.ones(3, 4).select(0, 5), IndexError,
     "select(): index 5 out of range for tensor of size [3, 4] at dimension 0"),
    (lambda m: m.ones(3).mT, RuntimeError, "tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor."),
    (lambda m: m.ones(3).mH, RuntimeError, "tensor.mH is only supported on matrices or batches of matrices. Got 1-D tensor."),
    (lambda m: m.ones(2, 3, 4).t(), RuntimeError, "t() expects a tensor with <= 2 dimensions, but self is 3D"),
    (lambda m: m.broadcast_tensors(m.ones(2), m.ones(3)), RuntimeError,
     "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0"),
]


@pytest.mark.parametrize("k", range(len(ERRORS)))
def test_error_messages(k):
    fn, exc, msg = ERRORS[k]
    with pytest.raises(exc) as e_tg:
        fn(tg)
    assert msg in str(e_tg.value)
    with pytest.raises(exc) as e_t:  # the message is PyTorch's
        fn(torch)
    assert msg in str(e_t.value)
