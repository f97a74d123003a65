"""The sweep's regressions against PyTorch itself: the same snippet run by both libraries gives
the same values, dtypes, warnings and error messages (type and text)."""
import warnings

import numpy as np
import pytest

import tensorgraft as tg

torch = pytest.importorskip("torch")


def _outcome(fn):
    """(value or None, exception type name, message, warnings) of running ``fn``; PyTorch's
    "(Triggered internally at ...)" suffix is dropped from warnings."""
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        try:
            value = fn()
            err = (None, None)
        except Exception as exc:  # noqa: BLE001 - the point is to compare what was raised
            value, err = None, (type(exc).__name__, str(exc))
    notes = [str(w.message).split(" (Triggered internally")[0] for w in seen]
    if value is not None and hasattr(value, "tolist"):
        value = (value.tolist(), str(value.dtype), tuple(value.shape))
    return value, err, notes


def same(snippet):
    mine, theirs = _outcome(lambda: snippet(tg)), _outcome(lambda: snippet(torch))
    assert mine == theirs


@pytest.mark.parametrize("snippet", [
    lambda t: t.tensor([1.5]) & 1,
    lambda t: t.tensor([1.5], dtype=t.float64) | t.tensor([1.0], dtype=t.float64),
    lambda t: t.tensor([1 + 1j]) ^ 1,
    lambda t: t.tensor([1], dtype=t.int32) & t.tensor([1.5]),
    lambda t: t.tensor([1.5], dtype=t.float16) << 1,
    lambda t: 3 >> t.tensor([1.5]),
    lambda t: t.tensor([1.5]).bitwise_xor_(1),
    lambda t: t.tensor([6, 3]) & 5,
], ids=["and", "or-double", "xor-complex", "int-float", "lshift-half", "rrshift", "xor_", "ints"])
def test_bitwise(snippet):
    same(snippet)


@pytest.mark.parametrize("shapes", [((3,), (3,)), ((2, 3), (3,)), ((2, 2, 3), (3,)), ((3,), (3, 2)),
                                    ((2, 3), (3, 2)), ((2, 2, 3), (3, 2)), ((2, 3), (2, 3, 2)),
                                    ((3,), (2, 3, 2)), ((2, 2, 3), (2, 3, 2))])
@pytest.mark.parametrize("dtypes", [("float32", "float64"), ("int64", "float32"), ("float64", "int64")])
def test_matmul_of_two_dtypes(shapes, dtypes):
    same(lambda t: t.ones(*shapes[0], dtype=getattr(t, dtypes[0])) @ t.ones(*shapes[1], dtype=getattr(t, dtypes[1])))


def test_mv_bmm_dot_of_two_dtypes():
    same(lambda t: t.ones(2, 3).mv(t.ones(3, dtype=t.int64)))
    same(lambda t: t.bmm(t.ones(2, 2, 3), t.ones(2, 3, 2, dtype=t.float64)))
    same(lambda t: t.dot(t.ones(3), t.ones(3, dtype=t.float64)))


def test_einsum_sublists():
    rng = np.random.default_rng(21)
    a = rng.standard_normal((2, 3)).astype(np.float32)
    b = rng.standard_normal((3, 4)).astype(np.float32)
    for build in [lambda t, x, y: t.einsum(x, [0, 1], y, [1, 2], [0, 2]),
                  lambda t, x, y: t.einsum(x, [0, 1], y, [1, 2]),
                  lambda t, x, y: t.einsum(x, [Ellipsis, 1], [Ellipsis]),
                  lambda t, x, y: t.einsum(x, [40, 3], [3, 40]),
                  lambda t, x, y: t.einsum(x, [0, 52])]:
        mine, theirs = (_outcome(lambda: build(lib, lib.tensor(a), lib.tensor(b))) for lib in (tg, torch))
        assert mine[1:] == theirs[1:]
        if theirs[0] is not None:
            np.testing.assert_allclose(np.array(mine[0][0]), np.array(theirs[0][0]), rtol=1e-5, atol=1e-6)
            assert mine[0][1:] == theirs[0][1:]


@pytest.mark.parametrize("eq, shapes", [("ij->k", [(2, 3)]), ("i->ii", [(2,)]), ("ij,jk->ik", [(2, 3), (2, 3)])])
def test_einsum_errors(eq, shapes):
    same(lambda t: t.einsum(eq, *[t.ones(*s) for s in shapes]))


@pytest.mark.parametrize("snippet", [
    lambda t: t.var_mean(t.tensor([1.0])),
    lambda t: t.std_mean(t.tensor([1.0, 2.0]), 0, correction=2),
    lambda t: t.tensor([]).mean(),
    lambda t: t.zeros(0, 3).mean(0),
], ids=["var_mean", "std_mean", "mean-empty", "mean-empty-dim"])
def test_reduction_warnings(snippet):
    mine, theirs = _outcome(lambda: snippet(tg)), _outcome(lambda: snippet(torch))
    assert mine[1:] == theirs[1:]


def test_T_and_H():
    tg.set_warn_always(True)
    torch.set_warn_always(True)
    try:
        for snippet in [lambda t: t.ones(3).T, lambda t: t.tensor(1.0).T, lambda t: t.ones(2, 3, 4).T,
                        lambda t: t.tensor(2.0).H, lambda t: t.ones(2).H, lambda t: t.ones(2, 3).T,
                        lambda t: t.tensor([[1 + 1j, 2j], [3, 4 - 1j]]).H]:
            same(snippet)
    finally:
        tg.set_warn_always(False)
        torch.set_warn_always(False)
    a = tg.ones(2, 2, requires_grad=True)
    ta = torch.ones(2, 2, requires_grad=True)
    assert type(a.H.grad_fn).__name__ == type(ta.H.grad_fn).__name__ == "TransposeBackward0"


@pytest.mark.parametrize("snippet", [
    lambda t: t.tensor(t.ones(2)),
    lambda t: t.ones(2).new_tensor(t.ones(2)),
    lambda t: t.tensor([t.tensor(1.0), t.tensor(2.0)]),
], ids=["tensor", "new_tensor", "list-of-scalars"])
def test_copy_construct_warning(snippet):
    same(snippet)


@pytest.mark.parametrize("out_shape", [(2,), (0,), (3,), (1, 2)])
@pytest.mark.parametrize("name, args", [("mul", ([1.0, 2.0], [3.0, 4.0])), ("exp", ([0.5, 1.0],)),
                                        ("maximum", ([1.0, 5.0], [3.0, 4.0])), ("add", ([1.0, 2.0], [3.0, 4.0]))])
def test_out_argument(name, args, out_shape):
    def snippet(t):
        out = t.zeros(out_shape)
        res = getattr(t, name)(*[t.tensor(a) for a in args], out=out)
        assert res is out
        return out
    mine, theirs = _outcome(lambda: snippet(tg)), _outcome(lambda: snippet(torch))
    assert mine[1:] == theirs[1:]
    np.testing.assert_allclose(mine[0][0], theirs[0][0], rtol=1e-6)
    assert mine[0][1:] == theirs[0][1:]


@pytest.mark.parametrize("snippet", [
    lambda t: t.exp(t.tensor([1.5]), out=t.empty(1, dtype=t.int64)),
    lambda t: t.mul(t.tensor([1.5]), 2, out=t.empty(1, dtype=t.float64)),
    lambda t: t.cross(t.tensor([[1.0, 0, 0]]), t.tensor([[0.0, 1, 0]]), dim=1, out=t.empty(1, 3)),
    lambda t: t.nonzero(t.tensor([0, 3, 0, 4]), out=t.empty(0, dtype=t.int64)),
    lambda t: t.searchsorted(t.tensor([1.0, 3.0]), t.tensor([2.0, 4.0]), out=t.empty(2, dtype=t.int64)),
    lambda t: t.inner(t.tensor([1.0, 2.0]), t.tensor([3.0, 4.0]), out=t.empty(())),
], ids=["cast-error", "widen", "cross", "nonzero", "searchsorted", "inner"])
def test_out_rules(snippet):
    same(snippet)


@pytest.mark.parametrize("write", [
    lambda e: e.__setitem__((0, 0), 1.0),
    lambda e: e.__setitem__(1, 7.0),
    lambda e: e.__setitem__((slice(None), 1), 5.0),
    lambda e: e.add_(1),
    lambda e: e.fill_(2),
    lambda e: e.zero_(),
    lambda e: e[0].mul_(3),
    lambda e: e.select(1, 0).add_(1),
], ids=["one", "row", "column", "add_", "fill_", "zero_", "row-mul_", "column-add_"])
def test_writes_through_expand(write):
    def snippet(t):
        base = t.arange(3.0).reshape(1, 3)
        write(base.expand(2, 3))
        return base
    same(snippet)


@pytest.mark.parametrize("dtype", ["int32", "int64", "float32", "float64", "uint8", "float16", "int8", "bool"])
@pytest.mark.parametrize("write", [lambda x: x.__setitem__(0, 1 + 2j), lambda x: x.fill_(3j),
                                   lambda x: x.__setitem__(slice(None), 2 + 1j)], ids=["item", "fill_", "slice"])
def test_complex_number_into_a_real_tensor(dtype, write):
    def snippet(t):
        x = t.zeros(2, dtype=getattr(t, dtype))
        write(x)
        return x

    same(snippet)


def test_uint8_index():
    same(lambda t: t.arange(6).reshape(2, 3)[t.tensor([0, 1], dtype=t.uint8)])


@pytest.mark.parametrize("data", [[1, [2]], [[1], 2], [[1, 2], [3]], [[[1]], [2]], [[1], [[2]]], [1, (2,)],
                                  [[], [1]], [1.5, [2.0]], [True, [1]], [1j, [1]], [[[1, 2]], [[3]]]])
def test_ragged_nested_lists(data):
    same(lambda t: t.tensor(data))


@pytest.mark.parametrize("value", ["a", None, [1], 2.5, True])
def test_full_fill_values(value):
    same(lambda t: t.full((2,), value))


@pytest.mark.parametrize("snippet", [
    lambda t, x: t.sum(x, axis=0, keepdims=True),
    lambda t, x: x.mean(axis=1),
    lambda t, x: t.softmax(x, axis=1),
    lambda t, x: t.cumsum(x, axis=0),
    lambda t, x: t.cat([x, x], axis=1),
    lambda t, x: x.argmax(axis=1, keepdims=True),
    lambda t, x: t.sum(x, dim=0, axis=0),
    lambda t, x: t.flip(x, axis=0),
], ids=["sum", "mean", "softmax", "cumsum", "cat", "argmax", "both", "flip"])
def test_numpy_keyword_spellings(snippet):
    data = np.random.default_rng(4).standard_normal((3, 4)).astype(np.float32)
    mine = _outcome(lambda: snippet(tg, tg.tensor(data)))
    theirs = _outcome(lambda: snippet(torch, torch.tensor(data)))
    if theirs[0] is None:
        assert mine[1][0] == theirs[1][0] == "TypeError"
        return
    np.testing.assert_allclose(np.array(mine[0][0]), np.array(theirs[0][0]), rtol=1e-5, atol=1e-6)
    assert mine[0][1:] == theirs[0][1:] and mine[1:] == theirs[1:]


def test_zero_remainder_sign():
    data = [0.0, -0.0, 4.0, -4.0, 3.0, -3.0, 7.5, float("inf")]
    div = [-2.0, -2.0, -2.0, 2.0, 1.5, -1.5, 2.0, 2.0]
    for lib in (tg, torch):
        r = lib.remainder(lib.tensor(data), lib.tensor(div))
        assert lib.signbit(r).tolist() == torch.signbit(torch.remainder(torch.tensor(data),
                                                                         torch.tensor(div))).tolist()
    same(lambda t: t.tensor(data[:7]) % -2)
    same(lambda t: 2.5 % t.tensor(data[2:6]))


@pytest.mark.parametrize("make", [
    lambda t: t.ones(2, 3), lambda t: t.ones(2, 3).t(), lambda t: t.ones(2, 1, 3),
    lambda t: t.ones(2, 3, 4, 5).to(memory_format=t.channels_last), lambda t: t.ones(2, 3, 4).permute(2, 0, 1),
    lambda t: t.ones(3, 1).expand(3, 4), lambda t: t.ones(2, 3, 1, 1)])
@pytest.mark.parametrize("check", [False, True, "formats"])
def test_dim_order(make, check):
    if check is False and make(tg).stride().count(0):
        pytest.skip("the order of a broadcast (stride 0) dim differs: docs/user-guide/differences.md")

    def snippet(t):
        arg = [t.contiguous_format, t.channels_last] if check == "formats" else check
        return make(t).dim_order(ambiguity_check=arg)

    same(snippet)
