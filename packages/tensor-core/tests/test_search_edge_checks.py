"""searchsorted and bucketize at their edges, as PyTorch 2.13 checks them: the parser's refusals,
the sorter's and the shapes' checks in PyTorch's order, scalars, empty tensors, the dtypes its
kernel has none for, and ``out=``. Every expected message and value is what PyTorch 2.13 gave."""
import re

import pytest

import tensorgraft as tg

nan = float("nan")


def _fn(name):
    """The function taking ``out=``: ``tg.<name>`` once ops/_bind.py leaves that op's ``out=`` to its
    frontend (it is not in TAKES_OUT), the op's frontend itself until then."""
    from tensorgraft.ops._bind import TAKES_OUT
    from tensorgraft.registry import registry
    return registry.ops[name].frontend if name in TAKES_OUT else getattr(tg, name)


def _s():
    return tg.tensor([1.0, 2.0, 3.0])


def _v():
    return tg.tensor([2.0])


_SS = ("searchsorted() received an invalid combination of arguments - got {}, but expected one of:\n"
       " * (Tensor sorted_sequence, Tensor input, *, bool out_int32 = False, bool right = False, str side = None, "
       "Tensor sorter = None, Tensor out = None)\n"
       " * (Tensor sorted_sequence, Number self, *, bool out_int32 = False, bool right = False, str side = None, "
       "Tensor sorter = None, Tensor out = None)\n")
_BK = ("bucketize() received an invalid combination of arguments - got {}, but expected one of:\n"
       " * (Tensor input, Tensor boundaries, *, bool out_int32 = False, bool right = False, Tensor out = None)\n"
       " * (Number self, Tensor boundaries, *, bool out_int32 = False, bool right = False)\n")


@pytest.mark.parametrize("call, msg", [
    (lambda: tg.searchsorted(_s(), _v(), side=1), _SS.format("(Tensor, Tensor, side=int)")),
    (lambda: tg.searchsorted(_s(), _v(), right=None), _SS.format("(Tensor, Tensor, right=NoneType)")),
    (lambda: tg.searchsorted(_s(), _v(), out_int32=1), _SS.format("(Tensor, Tensor, out_int32=int)")),
    (lambda: tg.searchsorted([1.0, 2.0], _v()), _SS.format("(list, Tensor)")),
    (lambda: tg.searchsorted(_s(), [2.5]), _SS.format("(Tensor, list)")),
    (lambda: tg.searchsorted(_s(), _v(), True), _SS.format("(Tensor, Tensor, bool)")),
    (lambda: tg.searchsorted(_s(), _v(), sorter=[1, 2, 0]), _SS.format("(Tensor, Tensor, sorter=list)")),
    (lambda: _fn("searchsorted")(_s(), 2.0, out=(tg.empty(0),)), _SS.format("(Tensor, float, out=tuple)")),
    (lambda: tg.bucketize(_v(), _s(), side="right"), _BK.format("(Tensor, Tensor, side=str)")),
    (lambda: tg.bucketize([2.0], _s()), _BK.format("(list, Tensor)")),
    (lambda: tg.bucketize(_v(), [1.0]), _BK.format("(Tensor, list)")),
    (lambda: tg.bucketize(_v(), _s(), True), _BK.format("(Tensor, Tensor, bool)")),
    (lambda: _fn("bucketize")(2.0, _s(), out=tg.empty(0, dtype=tg.int64)), _BK.format("(float, Tensor, out=Tensor)")),
])
def test_parser_refusals(call, msg):
    with pytest.raises(TypeError, match="^" + re.escape(msg) + "$"):
        call()


@pytest.mark.parametrize("call, err, msg", [
    (lambda: tg.searchsorted(_s(), _v(), side="middle"), RuntimeError,
     "torch.searchsorted(): side can only be 'left' or 'right' but got middle"),
    (lambda: tg.searchsorted(_s(), _v(), side="left", right=True), RuntimeError,
     "torch.searchsorted(): side and right can't be set to opposites, got side of left while right was True"),
    (lambda: tg.searchsorted(tg.tensor([[1.0, 2.0, 3.0]]), 2.5), RuntimeError,
     "torch.searchsorted(): input value can be a scalar only when boundaries tensor dimension is 1, but we got "
     "boundaries tensor dim(2) and input value's dim(0) numel(1)"),
    (lambda: tg.searchsorted(tg.tensor([[1.0, 2.0, 3.0]]), tg.tensor(2.5)), RuntimeError,
     "torch.searchsorted(): input value can be a scalar only when boundaries tensor dimension is 1, but we got "
     "boundaries tensor dim(2) and input value's dim(0) numel(1)"),
    (lambda: tg.searchsorted(tg.tensor(1.0), 2.0), RuntimeError,
     "torch.searchsorted(): input value can be a scalar only when boundaries tensor dimension is 1, but we got "
     "boundaries tensor dim(0) and input value's dim(0) numel(1)"),
    (lambda: tg.searchsorted(tg.tensor(1.0), tg.tensor([2.5])), RuntimeError,
     "torch.searchsorted(): boundaries tensor should have positive dimension, but got 0 dimension"),
    (lambda: tg.searchsorted(tg.zeros(2, 3), tg.zeros(2, 2, 3)), RuntimeError,
     "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions of boundaries tensor "
     "and input value tensor must match, but we got boundaries tensor [2, 3] and input value tensor [2, 2, 3]"),
    (lambda: tg.searchsorted(tg.tensor([3.0, 1.0, 2.0]), _v(), sorter=tg.tensor([1, 2])), RuntimeError,
     "torch.searchsorted(): boundary and sorter must have the same size, but got boundary tensor [3]and got sorter "
     "tensor [2]"),
    (lambda: tg.searchsorted(tg.zeros(2, 3), tg.zeros(2, 1), sorter=tg.zeros(3, 2, dtype=tg.int64)), RuntimeError,
     "torch.searchsorted(): boundary and sorter must have the same size, but got boundary tensor [2, 3]and got sorter "
     "tensor [3, 2]"),
    (lambda: tg.searchsorted(tg.tensor([3.0, 1.0, 2.0]), _v(), sorter=tg.tensor([1, 2, 5])), RuntimeError,
     "torch.searchsorted(): sorter index out of range"),
    (lambda: tg.searchsorted(tg.tensor([3.0, 1.0, 2.0]), _v(), sorter=tg.tensor([1, 2, -1])), RuntimeError,
     "torch.searchsorted(): sorter index out of range"),
    (lambda: tg.searchsorted(tg.tensor([3.0, 1.0, 2.0]), _v(), sorter=tg.tensor([True, False, True])), RuntimeError,
     "torch.searchsorted(): sorter must be a tensor of long dtype but got dtype Bool"),
    (lambda: tg.searchsorted(tg.tensor([False, True]), tg.tensor([True])), NotImplementedError,
     "\"searchsorted_out_cpu\" not implemented for 'Bool'"),
    (lambda: tg.searchsorted(_s().to(tg.complex64), _v().to(tg.complex64)), NotImplementedError,
     "\"searchsorted_out_cpu\" not implemented for 'ComplexFloat'"),
    (lambda: tg.searchsorted(_s(), 2 + 1j), NotImplementedError,
     "\"searchsorted_out_cpu\" not implemented for 'ComplexFloat'"),
    (lambda: tg.bucketize(tg.tensor([True]), tg.tensor([False, True])), NotImplementedError,
     "\"searchsorted_out_cpu\" not implemented for 'Bool'"),
    (lambda: tg.bucketize(2.0, tg.tensor(1.0)), RuntimeError, "boundaries tensor must be 1 dimension, but got dim(0)"),
])
def test_value_checks(call, err, msg):
    with pytest.raises(err, match="^" + re.escape(msg) + "$"):
        call()


def test_results_at_the_edges():
    # (a bool sequence searched for integers compares as integers; empty inputs skip the kernel's dtype check)
    assert tg.searchsorted(tg.tensor([False, True]), tg.tensor([1])).tolist() == [1]
    assert tg.searchsorted(tg.tensor([False, True]), tg.zeros(0, dtype=tg.bool)).tolist() == []
    assert tg.searchsorted(_s(), _v(), side="right", right=False).tolist() == [2]
    assert tg.searchsorted(tg.tensor([3, 1, 2]), tg.tensor([2]), sorter=tg.tensor([1, 2, 0])).tolist() == [1]
    r = tg.searchsorted(_s(), 2.5, out_int32=True)
    assert r.dtype == tg.int32 and r.shape == () and r.item() == 2
    r = tg.bucketize(2.5, _s(), out_int32=True)
    assert r.dtype == tg.int32 and r.item() == 2
    assert tg.searchsorted(_s(), tg.tensor([nan, 2.0]), right=True).tolist() == [3, 2]
    assert tg.searchsorted(tg.zeros(2, 0), tg.zeros(2, 0)).shape == (2, 0)
    assert not hasattr(tg.Tensor, "bucketize")  # (PyTorch's Tensor has no bucketize method)


_OUT_DTYPE = ("torch.searchsorted(): output tensor's dtype is wrong, it can only be Int(int32) or Long(int64) depending "
              "on whether out_int32 flag is True, but we got output tensor's dtype {} and out_int32 flag is {}")


@pytest.mark.parametrize("name", ["searchsorted", "bucketize"])
def test_out(name):
    def call(out, **kw):
        args = (_s(), _v()) if name == "searchsorted" else (_v(), _s())
        return _fn(name)(*args, out=out, **kw)
    o = tg.empty(0, dtype=tg.int64)
    assert call(o) is o and o.tolist() == [1]
    o = tg.empty(1, dtype=tg.int32)
    assert call(o, out_int32=True) is o and o.tolist() == [1]
    for dtype, out_int32, word in ((tg.float32, False, "Float"), (tg.int32, False, "Int"), (tg.int64, True, "Long")):
        with pytest.raises(RuntimeError, match="^" + re.escape(_OUT_DTYPE.format(word, out_int32)) + "$"):
            call(tg.empty(1, dtype=dtype), out_int32=out_int32)
    o = tg.empty(4, dtype=tg.int64)
    with pytest.warns(UserWarning, match=re.escape("An output with one or more elements was resized since it had "
                                                   "shape [4], which does not match the required output shape [1].")):
        call(o)
    assert o.tolist() == [1]


def test_out_for_a_number_and_alongside_gradients():
    o = tg.empty(3, dtype=tg.int64)
    with pytest.warns(UserWarning):
        assert _fn("searchsorted")(_s(), 2.5, out=o) is o
    assert o.shape == () and o.item() == 2
    pytest.importorskip("tensorgraft.autograd")
    # searchsorted has no gradient: PyTorch writes its out tensor for operands requiring grad
    o = tg.empty(0, dtype=tg.int64)
    _fn("searchsorted")(_s().requires_grad_(), _v(), out=o)
    assert o.tolist() == [1]
