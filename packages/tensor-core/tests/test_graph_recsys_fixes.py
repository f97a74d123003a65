"""Index dtypes the index ops accept (exactly PyTorch's: short and unsigned index tensors are
refused, not widened) and index_reduce's beta warning, found by the graph/recsys programs."""
import warnings

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.ops import scatter as scatter_mod


def _index(dtype, shape=(1,)):
    return tg.zeros(*shape, dtype=dtype)


SHORT = [tg.int16, tg.int8]


@pytest.mark.parametrize("dtype", SHORT)
def test_index_select_refuses_short_index(dtype):
    with pytest.raises(RuntimeError, match=r"^index_select\(\): Expected dtype int32 or int64 for index$"):
        tg.zeros(2, 2).index_select(0, _index(dtype))


@pytest.mark.parametrize("dtype", SHORT)
@pytest.mark.parametrize("call", [
    lambda x, i: x.gather(0, i),
    lambda x, i: x.scatter(0, i, 1.0),
    lambda x, i: x.scatter_add(0, i, tg.ones(1, 1)),
    lambda x, i: x.scatter_reduce(0, i, tg.ones(1, 1), "sum"),
])
def test_gather_scatter_refuse_short_index(dtype, call):
    with pytest.raises(RuntimeError, match=r"\(\): Expected dtype int32/int64 for index$"):
        call(tg.zeros(2, 2), _index(dtype, (1, 1)))


@pytest.mark.parametrize("dtype,name", [(tg.int32, "Int"), (tg.int16, "Short"), (tg.int8, "Char")])
def test_take_put_take_along_dim_want_int64(dtype, name):
    x = tg.zeros(2, 2)
    with pytest.raises(RuntimeError, match=f"^take\\(\\): Expected a long tensor for index, but got {name}$"):
        x.take(_index(dtype))
    with pytest.raises(RuntimeError, match=f"^put_\\(\\): Expected a long tensor for index, but got {name}$"):
        x.put(_index(dtype), tg.ones(1))
    with pytest.raises(RuntimeError, match=f"dtype of indices should be Long but got {name}$"):
        tg.take_along_dim(x, _index(dtype, (1, 1)), 0)
    assert x.take(_index(tg.int64)).tolist() == [0.0]


@pytest.mark.parametrize("dtype", SHORT)
def test_getitem_setitem_refuse_short_index_tensor(dtype):
    x = tg.arange(9.0).view(3, 3)
    msg = "tensors used as indices must be long, int, byte or bool tensors"
    with pytest.raises(IndexError, match=msg):
        x[tg.tensor([1], dtype=dtype)]
    with pytest.raises(IndexError, match=msg):
        x[tg.tensor([1], dtype=dtype)] = 1.0
    assert x.sum().item() == 36.0           # refused before anything was written
    # a 0-d index of any integer type reads as a number
    assert x[tg.tensor(1, dtype=dtype)].tolist() == [3.0, 4.0, 5.0]
    assert x[tg.tensor([1], dtype=tg.int32)].tolist() == [[3.0, 4.0, 5.0]]


def test_index_add_copy_fill_keep_their_own_messages():
    i = _index(tg.int16)
    with pytest.raises(RuntimeError, match=r"^index_add_\(\): Expected dtype int32/int64 for index but got: Short$"):
        tg.zeros(2, 2).index_add(0, i, tg.ones(1, 2))
    with pytest.raises(IndexError, match=r"^index_fill_\(\): Expected dtype int64 for index.$"):
        tg.zeros(2, 2).index_fill(0, i, 1.0)


def test_index_reduce_warns_beta_once(monkeypatch):
    monkeypatch.setattr(scatter_mod, "_BETA_WARNED", [])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(RuntimeError):   # a refused call does not use up the warning
            tg.zeros(3).index_reduce(0, tg.tensor([0]), tg.ones(1), "foo")
        out = tg.zeros(3).index_reduce(0, tg.tensor([0, 0]), tg.tensor([2.0, 3.0]), "prod", include_self=False)
        tg.ones(3).index_reduce_(0, tg.tensor([1]), tg.ones(1), "amax")
    msgs = [str(w.message) for w in caught]
    assert msgs == ["index_reduce() is in beta and the API may change at any time."]
    assert caught[0].category is UserWarning and caught[0].filename == __file__
    np.testing.assert_allclose(out.numpy(), [6.0, 0.0, 0.0])


ISIN_OVERLOADS = (
    " * (Tensor elements, Tensor test_elements, *, bool assume_unique = False, bool invert = False, Tensor out = None)\n"
    " * (Number element, Tensor test_elements, *, bool assume_unique = False, bool invert = False, Tensor out = None)\n"
    " * (Tensor elements, Number test_element, *, bool assume_unique = False, bool invert = False, Tensor out = None)\n")


@pytest.mark.parametrize("call,got", [
    (lambda: tg.isin(tg.arange(3), [1, 2]), "Tensor, list"),
    (lambda: tg.isin([1], tg.arange(3)), "list, Tensor"),
    (lambda: tg.isin(1, 2), "int, int"),
    (lambda: tg.isin(tg.arange(3), None), "Tensor, NoneType"),
    (lambda: tg.isin(tg.arange(3), tg.arange(2), foo=1), "Tensor, Tensor, foo=int"),
    (lambda: tg.isin(tg.arange(3), tg.arange(2), invert=1), "Tensor, Tensor, invert=int"),
    # the keywords are listed latest first
    (lambda: tg.isin(tg.arange(3), tg.arange(2), invert=None, assume_unique=1),
     "Tensor, Tensor, assume_unique=int, invert=NoneType"),
    (lambda: tg.isin(tg.arange(3), [1], invert=True), "Tensor, list, invert=bool"),
])
def test_isin_invalid_combination_lists_the_overloads(call, got):
    with pytest.raises(TypeError) as info:
        call()
    assert str(info.value) == (f"isin() received an invalid combination of arguments - got ({got}), but expected "
                               f"one of:\n{ISIN_OVERLOADS}")


def test_isin_keywords_still_work():
    import inspect
    assert str(inspect.signature(tg.isin)) == "(elements, test_elements, *, assume_unique=False, invert=False, out=None)"
    assert tg.isin(elements=tg.tensor([1, 2]), test_elements=tg.tensor([1])).tolist() == [True, False]
    assert tg.isin(tg.tensor([1, 2]), tg.tensor([1]), invert=True, assume_unique=True).tolist() == [False, True]
    assert tg.isin(2.0, tg.tensor([1, 2])).item() is True
    out = tg.empty(0, dtype=tg.bool)
    assert tg.isin(tg.tensor([1, 2]), 1, out=out) is out and out.tolist() == [True, False]


@pytest.mark.parametrize("call", [
    lambda x, i, s: x.scatter(1, i, s, reduce="multiply"),
    lambda x, i, s: tg.scatter(x, 1, i, s, reduce="add"),
    lambda x, i, s: x.clone().scatter_(1, i, s, reduce="add"),
])
def test_scatter_reduce_argument_warning_names_the_callers_line(call):
    x, i, s = tg.ones(2, 2), tg.tensor([[0], [1]]), tg.full((2, 1), 3.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call(x, i, s)
    assert [w.filename for w in caught] == [__file__]
    assert "The reduce argument of torch.scatter with Tensor src is deprecated" in str(caught[0].message)


def test_scatter_with_reduce_has_no_derivative_node_name():
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
    x = tg.ones(2, 2, requires_grad=True)
    for v in (5.0, tg.full((2, 1), 3.0)):
        for r in ("add", "multiply"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                y = x.scatter(1, tg.tensor([[0], [1]]), v, reduce=r)
            assert type(y.grad_fn).__name__ == "NotImplemented" and "grad_fn=<NotImplemented>" in repr(y)
            # (PyTorch's name() adds its C++ namespace: torch::autograd::NotImplemented)
            assert y.grad_fn.name().endswith("NotImplemented")
            with pytest.raises(RuntimeError):
                y.sum().backward()
    # without reduce the derivative is there
    y = x.scatter(1, tg.tensor([[0], [1]]), 5.0)
    assert y.grad_fn.name() == "ScatterBackward1"
