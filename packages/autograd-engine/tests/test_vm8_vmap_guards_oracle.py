"""``tensorgraft.func.vmap`` against ``torch.func.vmap`` (``func/_vmap_guards.py``): results of ops
that drop NumPy's subclass (``any``, ``argmax``, ``where``, ``cat``...) stay batched, so
``out_dims=None``, ``.item()`` and ``if`` on them are refused as in PyTorch; data-dependent
shapes, reading a batched tensor's memory, ``equal``/``allclose``, a functional training batch
norm with unbatched running stats and in-place writes of batched values into unbatched tensors
fail with PyTorch's errors, before anything changes. Each case is written once against the
library module ``m`` and run with both."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from tensorgraft.testing.oracle import assert_same_error, assert_same_result, run_in_both  # noqa: E402

RNG = np.random.default_rng(8)
X = RNG.standard_normal((3, 4)).astype(np.float32)


def _x(m):
    return m.tensor(X)


# ---------------------------------------------------------------- results that stayed unbatched
PER_ROW = {
    "any": lambda m, r: (r > 0).any(),
    "all": lambda m, r: m.all(r > -5),
    "any_dim": lambda m, r: (r > 0).reshape(2, 2).any(1),
    "argmax": lambda m, r: r.argmax(),
    "argmin_dim": lambda m, r: m.argmin(r.reshape(2, 2), dim=0),
    "where": lambda m, r: m.where(r > 0, r, m.zeros(4)),
    "where_scalar": lambda m, r: m.where(r > 0, r, 0.0),
    "cat": lambda m, r: m.cat([r, m.ones(2)]),
    "cat_first_unbatched": lambda m, r: m.cat([m.ones(2), r]),
    "stack": lambda m, r: m.stack([m.ones(4), r]),
    "max_dim": lambda m, r: tuple(r.reshape(2, 2).max(dim=1)),
    "sort": lambda m, r: tuple(r.sort()),
    "topk": lambda m, r: tuple(r.topk(2)),
    "masked_fill_batched_mask": lambda m, r: m.ones(4).masked_fill(r > 0, 0.0),
    "clamp_tensor_bounds": lambda m, r: m.zeros(4).clamp(r, m.ones(4)),
    "index_select_batched_index": lambda m, r: m.arange(10.).index_select(0, (r > 0).long()),
    "gather_batched_index": lambda m, r: m.arange(10.).gather(0, (r > 0).long()),
    "cumsum": lambda m, r: r.cumsum(0),
    "einsum": lambda m, r: m.einsum("i,i->", r, r),
    "count_nonzero": lambda m, r: m.count_nonzero(r > 0),
}


@pytest.mark.parametrize("name", sorted(PER_ROW))
def test_results_match(name):
    ours, theirs = run_in_both(lambda m: m.func.vmap(lambda r: PER_ROW[name](m, r))(_x(m)))
    assert_same_result(ours, theirs)


@pytest.mark.parametrize("name", sorted(PER_ROW))
def test_out_dims_none_refuses_them_as_batched(name):
    # before the fix these came back as the first row's value
    assert_same_error(lambda m: m.func.vmap(lambda r: PER_ROW[name](m, r), out_dims=None)(_x(m)))


def _branch(r):
    if (r > 0).any():  # data-dependent control flow on an ``any``
        return r
    return -r


@pytest.mark.parametrize("call", [
    lambda m: m.func.vmap(_branch)(_x(m)),
    lambda m: m.func.vmap(lambda r: r * r.argmax().item())(_x(m)),
    lambda m: m.func.vmap(lambda r: r * bool(m.cat([r, r]).all()))(_x(m)),
    lambda m: m.func.vmap(lambda r: m.where(r > 0, r, 0.0).tolist())(_x(m)),
], ids=["if_any", "argmax_item", "bool_of_cat_all", "tolist_of_where"])
def test_reads_of_those_results_are_refused(call):
    assert_same_error(call)


def test_nested_vmap_over_argmax():
    ours, theirs = run_in_both(lambda m: m.func.vmap(m.func.vmap(lambda v: v.argmax()))(_x(m).reshape(3, 2, 2)))
    assert_same_result(ours, theirs)


# ---------------------------------------------------------------- refusals
REFUSED = {
    "numpy": lambda m, r: m.as_tensor(r.numpy()),
    "numpy_of_sum": lambda m, r: r * float(r.sum().numpy()),
    "np_asarray": lambda m, r: m.tensor(np.asarray(r)),
    "nonzero": lambda m, r: m.nonzero(r > 0),
    "nonzero_method": lambda m, r: (r > 0).nonzero(),
    "nonzero_as_tuple": lambda m, r: m.nonzero(r > 0, as_tuple=True)[0],
    "nonzero_same_count": lambda m, r: m.nonzero(r.abs() >= 0),
    "where_condition_only": lambda m, r: m.where(r > 0)[0],
    "bool_mask_index": lambda m, r: r[r > 0],
    "bool_mask_of_unbatched": lambda m, r: m.arange(4.)[r > 0],
    "masked_select": lambda m, r: m.masked_select(r, r > 0),
    "unique": lambda m, r: m.unique(r),
    "unique_method_counts": lambda m, r: r.round().unique(return_counts=True)[1],
    "unique_dim": lambda m, r: m.unique(r, dim=0),
    "unique_consecutive": lambda m, r: m.unique_consecutive(r),
    "equal": lambda m, r: m.tensor(m.equal(r, r)),
    "allclose": lambda m, r: m.tensor(m.allclose(r, r)),
    "is_nonzero": lambda m, r: m.tensor(r[0].is_nonzero()),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_as_in_pytorch(name):
    assert_same_error(lambda m: m.func.vmap(lambda r: REFUSED[name](m, r))(_x(m)))


def test_numpy_inside_grad_inside_vmap():
    assert_same_error(lambda m: m.func.vmap(m.func.grad(lambda r: r.sum() * float(r.detach().numpy().sum())))(_x(m)))


ALLOWED = {
    "masked_select_unbatched_mask": lambda m, r: m.masked_select(r, m.tensor([True, False, True, False])),
    "unbatched_bool_mask": lambda m, r: r[m.tensor([True, False, True, False])],
    "unique_of_unbatched": lambda m, r: r + m.unique(m.ones(4)),
    "equal_of_unbatched": lambda m, r: r + m.tensor(m.equal(m.ones(2), m.ones(2))),
    "inplace_into_batched": lambda m, r: r.clone().mul_(m.ones(4)).add_(2.0),
    "inplace_of_fresh_result": lambda m, r: (r * 2).exp_(),
    "zero_": lambda m, r: m.zeros(4).zero_() + r,
}


@pytest.mark.parametrize("name", sorted(ALLOWED))
def test_not_refused(name):
    ours, theirs = run_in_both(lambda m: m.func.vmap(lambda r: ALLOWED[name](m, r))(_x(m)))
    assert_same_result(ours, theirs)


def test_functional_batch_norm_training_with_unbatched_running_stats():
    def call(m):
        rm, rv = m.zeros(2), m.ones(2)
        try:
            m.func.vmap(lambda r: m.nn.functional.batch_norm(r.reshape(2, 2), rm, rv, training=True))(_x(m))
        finally:
            assert rm.tolist() == [0.0, 0.0] and rv.tolist() == [1.0, 1.0]  # refused before the update
    assert_same_error(call)


def test_functional_batch_norm_without_running_stats_or_with_batched_ones():
    def call(m):
        f = m.nn.functional.batch_norm
        a = m.func.vmap(lambda r: f(r.reshape(2, 2), None, None, training=True))(_x(m))
        b = m.func.vmap(lambda r, mean, var: f(r.reshape(2, 2), mean, var, training=True))(
            _x(m), m.zeros(3, 2), m.ones(3, 2))
        c = m.func.vmap(lambda r: f(r.reshape(2, 2), m.zeros(2), m.ones(2), training=False))(_x(m))
        return a, b, c
    ours, theirs = run_in_both(call)
    assert_same_result(ours, theirs, atol=1e-5, rtol=1e-5)


INPLACE = {
    "add_": lambda m, r: m.zeros(4).add_(r),
    "add_alpha": lambda m, r: m.zeros(4).add_(r, alpha=2),
    "add_broadcast": lambda m, r: m.zeros(2, 4).add_(r),
    "add_0d": lambda m, r: m.zeros(()).add_(r[0]),
    "iadd": lambda m, r: m.zeros(4).__iadd__(r),
    "sub_": lambda m, r: m.zeros(4).sub_(r),
    "mul_": lambda m, r: m.ones(4).mul_(r),
    "div_": lambda m, r: m.ones(4).div_(r),
    "imul": lambda m, r: m.ones(4).__imul__(r),
    "ipow": lambda m, r: m.ones(4).__ipow__(r),
    "copy_": lambda m, r: m.zeros(4).copy_(r),
    "copy_broadcast": lambda m, r: m.zeros(2, 4).copy_(r),
    "fill_": lambda m, r: m.zeros(4).fill_(r[0]),
    "setitem": lambda m, r: m.zeros(4).__setitem__(0, r[0]),
    "setitem_row": lambda m, r: m.zeros(2, 4).__setitem__(0, r),
    "index_put_": lambda m, r: m.zeros(4).index_put_((m.tensor([0]),), r[:1]),
    "index_add_": lambda m, r: m.zeros(4).index_add_(0, m.tensor([0, 1, 2, 3]), r),
    "index_fill_": lambda m, r: m.zeros(4).index_fill_(0, m.tensor([0]), r[0]),
    "masked_fill_batched_mask": lambda m, r: m.zeros(4).masked_fill_(r > 0, 1.0),
    "masked_fill_batched_value": lambda m, r: m.zeros(4).masked_fill_(m.tensor([True, False, True, False]), r[0]),
    "clamp_": lambda m, r: m.zeros(4).clamp_(min=r),
    "addcmul_": lambda m, r: m.zeros(4).addcmul_(r, r),
    "lerp_": lambda m, r: m.zeros(4).lerp_(r, 0.5),
    "scatter_add_": lambda m, r: m.zeros(4).scatter_add_(0, m.tensor([0, 1]), r),
    "remainder_": lambda m, r: m.ones(4).remainder_(r),
}


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_write_of_batched_value_into_unbatched_tensor(name):
    assert_same_error(lambda m: m.func.vmap(lambda r: INPLACE[name](m, r))(_x(m)))


def test_inplace_refusal_leaves_the_tensor_unchanged():
    def call(m):
        buf = m.zeros(4)
        try:
            m.func.vmap(lambda r: buf.copy_(r))(_x(m))
        finally:
            assert buf.tolist() == [0.0] * 4
    assert_same_error(call)


def test_nested_inplace_refusal_names_the_inner_level():
    assert_same_error(lambda m: m.func.vmap(lambda r: m.func.vmap(lambda s: m.zeros(4).clamp_(min=s))(
        r.reshape(2, 2).repeat(1, 2)))(_x(m)))
    assert_same_error(lambda m: m.func.vmap(lambda r: m.func.vmap(lambda s: m.zeros(4).add_(s))(
        r.reshape(2, 2).repeat(1, 2)))(_x(m)))


# functions handed to vmap directly were taken before the patches went in: refused all the same
DIRECT = {
    "nonzero": lambda m, x: m.func.vmap(m.nonzero)(x),
    "unique": lambda m, x: m.func.vmap(m.unique)(x),
    "Tensor.numpy": lambda m, x: m.func.vmap(m.Tensor.numpy)(x),
    "Tensor.nonzero": lambda m, x: m.func.vmap(m.Tensor.nonzero)(x),
    "bound_copy_": lambda m, x: m.func.vmap(m.zeros(4).copy_)(x),
    "bound_add_": lambda m, x: m.func.vmap(m.zeros(4).add_)(x),
    "equal": lambda m, x: m.func.vmap(m.equal)(x, x),
}


@pytest.mark.parametrize("name", sorted(DIRECT))
def test_patched_function_passed_directly_is_refused(name):
    assert_same_error(lambda m: DIRECT[name](m, _x(m)))
