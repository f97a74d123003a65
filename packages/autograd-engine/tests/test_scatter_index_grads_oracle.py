"""PyTorch as the oracle for the indexing/scatter family's backward: values, gradients, grad_fn
names and ``next_functions`` (edge count and the node each edge leads to), over random inputs
drawn from a few values so that reductions meet tied extrema and zero factors."""
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensorgraft as tg  # noqa: E402
from tensorgraft.testing.oracle import assert_values_close, grad_fn_name  # noqa: E402


def _edges(t):
    if t.grad_fn is None:
        return None
    return [(type(fn).__name__ if fn is not None else None, nr) for fn, nr in t.grad_fn.next_functions]


def _check(call, arrays, needs_grad, seed=0):
    """Run ``call(lib, *tensors)`` in both libraries on the same data and compare everything the
    graph shows; the gradients against a fixed random upstream gradient."""
    results = []
    for lib in (tg, torch):
        ts = [lib.tensor(a, requires_grad=r) for a, r in zip(arrays, needs_grad)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # index_reduce is in beta (both say so)
            out = call(lib, *ts)
        w = lib.tensor(np.random.default_rng(seed + 100).standard_normal(tuple(out.shape)))
        grads = lib.autograd.grad((out * w).sum(), [t for t, r in zip(ts, needs_grad) if r])
        results.append((out, grads))
    (ours, our_grads), (theirs, their_grads) = results
    assert_values_close(ours, theirs)
    assert grad_fn_name(ours) == grad_fn_name(theirs)
    assert _edges(ours) == _edges(theirs)
    for k, (g, tg_) in enumerate(zip(our_grads, their_grads)):
        assert_values_close(g, tg_, msg=f"gradient of input {k}")


def _draw(shape, seed, values):
    return np.random.default_rng(seed).choice(values, size=shape).astype(np.float64)


IDX = np.array([[0, 1, 0, 2], [1, 1, 0, 0], [2, 0, 0, 1]])
VEC = np.array([0, 2, 0, 1, 0])
TIES = (0.0, 1.0, 2.0)
ZEROS = (0.0, 1.0, 2.0, 3.0)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
def test_scatter_reduce(reduce, include_self, seed):
    values = ZEROS if reduce == "prod" else TIES
    _check(lambda lib, x, s: x.scatter_reduce(0, lib.tensor(IDX), s, reduce, include_self=include_self),
           [_draw((3, 4), seed, values), _draw((3, 4), seed + 50, values)], [True, True], seed)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
def test_index_reduce(reduce, include_self, seed):
    values = ZEROS if reduce == "prod" else TIES
    _check(lambda lib, x, s: x.index_reduce(0, lib.tensor(VEC), s, reduce, include_self=include_self),
           [_draw((3, 4), seed, values), _draw((5, 4), seed + 50, values)], [True, True], seed)


@pytest.mark.parametrize("needs_grad", [(True, False), (False, True)])
@pytest.mark.parametrize("reduce", ["amax", "prod"])
def test_reductions_with_one_side_needing_grad(reduce, needs_grad):
    _check(lambda lib, x, s: x.scatter_reduce(0, lib.tensor(IDX), s, reduce, include_self=False),
           [_draw((3, 4), 1, ZEROS), _draw((3, 4), 2, ZEROS)], list(needs_grad))
    _check(lambda lib, x, s: x.index_reduce(0, lib.tensor(VEC), s, reduce),
           [_draw((3, 4), 3, ZEROS), _draw((5, 4), 4, ZEROS)], list(needs_grad))


MASK = np.random.default_rng(7).random((3, 4)) > 0.5
X, S = np.random.default_rng(8).standard_normal((3, 4)), np.random.default_rng(9).standard_normal((5, 4))


def _augmented(lib, x, v):
    y = x.clone()
    y[lib.tensor([0, 2])] += v[0]
    return y


def _assigned(lib, x, v):
    y = x.clone()
    y[lib.tensor([0, 2])] = v[0]
    return y


CASES = {
    "gather": (lambda lib, x: x.gather(1, lib.tensor([[0, 3], [1, 1], [2, 0]])), [X]),
    "index_select": (lambda lib, x: x.index_select(1, lib.tensor([0, 3, 3])), [X]),
    "take": (lambda lib, x: x.take(lib.tensor([[0, 5], [5, -1]])), [X]),
    "take_along_dim": (lambda lib, x: lib.take_along_dim(x, lib.tensor([[0, 3], [1, 1], [2, 0]]), 1), [X]),
    "take_along_dim_flat": (lambda lib, x: lib.take_along_dim(x, lib.tensor([0, 3, 5])), [X]),
    "getitem_tensor": (lambda lib, x: x[lib.tensor([0, 2, 2])], [X]),
    "getitem_mask": (lambda lib, x: x[x > 0], [X]),
    "masked_select": (lambda lib, x: x.masked_select(lib.tensor(MASK)), [X]),
    "masked_fill_number": (lambda lib, x: x.masked_fill(lib.tensor(MASK), 2.0), [X]),
    "masked_fill_tensor": (lambda lib, x, v: x.masked_fill(lib.tensor(MASK), v), [X, np.array(2.0)]),
    "masked_scatter": (lambda lib, x, s: x.masked_scatter(lib.tensor(MASK), s), [X, S]),
    "index_add": (lambda lib, x, s: x.index_add(0, lib.tensor(VEC), s, alpha=2.0), [X, S]),
    "index_copy": (lambda lib, x, s: x.index_copy(0, lib.tensor([2, 0, 1]), s[:3]), [X, S]),
    "index_fill_number": (lambda lib, x: x.index_fill(1, lib.tensor([0, 2]), 3.0), [X]),
    "index_fill_tensor": (lambda lib, x, v: x.index_fill(1, lib.tensor([0, 2]), v), [X, np.array(1.5)]),
    "scatter_number": (lambda lib, x: x.scatter(1, lib.tensor([[0], [1], [2]]), 1.0), [X]),
    "scatter_src": (lambda lib, x, s: x.scatter(1, lib.tensor([[0, 1], [1, 2], [2, 3]]), s[:3, :2]), [X, S]),
    "scatter_add": (lambda lib, x, s: x.scatter_add(1, lib.tensor([[0, 0], [1, 1], [2, 0]]), s[:3, :2]), [X, S]),
    "put": (lambda lib, x, s: x.put(lib.tensor([0, 5, 7, -1]), s[0]), [X, S]),
    "put_accumulate": (lambda lib, x, s: x.put(lib.tensor([0, 5, 5, -1]), s[0], accumulate=True), [X, S]),
    "index_put": (lambda lib, x, s: x.index_put((lib.tensor([0, 2]),), s[0]), [X, S]),
    "index_put_accumulate": (lambda lib, x, s: x.index_put((lib.tensor([0, 2, 0]),), s[0], accumulate=True), [X, S]),
    "index_put_2d": (lambda lib, x, s: x.index_put((lib.tensor([0, 2]), lib.tensor([1, 3])), s[0, :2]), [X, S]),
    "index_put_mask": (lambda lib, x, v: x.index_put((lib.tensor(MASK),), v), [X, np.array(4.0)]),
    "index_put_inplace": (lambda lib, x, s: x.clone().index_put_((lib.tensor([0, 2]),), s[0]), [X, S]),
    "index_put_inplace_accumulate":
        (lambda lib, x, s: x.clone().index_put_((lib.tensor([1, 1]),), s[0], accumulate=True), [X, S]),
    "setitem_augmented": (_augmented, [X, S]),
    "setitem": (_assigned, [X, S]),
    "where_number": (lambda lib, x: lib.where(x > 0, x, 0.0), [X]),
    "where_tensors": (lambda lib, x, s: lib.where(x > 0, x, s[:3]), [X, S]),
    "where_method": (lambda lib, x, s: x.where(x > 0, s[:3]), [X, S]),
    "select_scatter": (lambda lib, x, s: x.select_scatter(s[0], 0, 1), [X, S]),
    # in-place variants: the node is rebased onto the clone
    "masked_fill_": (lambda lib, x: x.clone().masked_fill_(lib.tensor(MASK), 1.0), [X]),
    "index_fill_": (lambda lib, x, v: x.clone().index_fill_(1, lib.tensor([0, 2]), v), [X, np.array(1.5)]),
    "scatter_": (lambda lib, x: x.clone().scatter_(1, lib.tensor([[0], [1], [2]]), 1.0), [X]),
    "scatter_add_": (lambda lib, x, s: x.clone().scatter_add_(1, lib.tensor([[0], [1], [2]]), s[:3, :1]), [X, S]),
    "scatter_reduce_": (lambda lib, x, s: x.clone().scatter_reduce_(0, lib.tensor(IDX), s[:3], "amax",
                                                                    include_self=False), [X, S]),
    "index_reduce_": (lambda lib, x, s: x.clone().index_reduce_(0, lib.tensor(VEC), s, "prod"), [X, S]),
    "index_add_": (lambda lib, x, s: x.clone().index_add_(0, lib.tensor(VEC), s), [X, S]),
    "masked_scatter_": (lambda lib, x, s: x.clone().masked_scatter_(lib.tensor(MASK), s), [X, S]),
    "put_": (lambda lib, x, s: x.clone().put_(lib.tensor([0, 5]), s[0, :2]), [X, S]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_op(name):
    call, arrays = CASES[name]
    _check(call, arrays, [True] * len(arrays))


@pytest.mark.parametrize("name", [n for n, (_, arrays) in CASES.items() if len(arrays) == 2])
def test_op_second_input_alone_needs_grad(name):
    call, arrays = CASES[name]
    _check(call, arrays, [False, True])


def test_node_hook_gradients_match_the_edges():
    seen = {}
    for lib in (tg, torch):
        x = lib.tensor(X, requires_grad=True)
        s = lib.tensor(S, requires_grad=True)
        out = x.index_add(0, lib.tensor(VEC), s)
        got = []
        out.grad_fn.register_hook(lambda gi, go, got=got: got.append([g is not None for g in gi]))
        out.sum().backward()
        seen[lib.__name__] = got
    assert seen["tensorgraft"] == seen["torch"]
